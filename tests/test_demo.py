"""The main job, in its quick form: data → training → evaluation → offline HTML report."""

from __future__ import annotations

import pytest

from ennp_lab.cli import main
from ennp_lab.models.io import load_model


@pytest.mark.slow
def test_quick_demo_writes_a_report(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--epochs", "2", "--time-budget", "60", "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert f"report: {(out / 'report.html').resolve()}" in printed
    assert "shipped cu-emt on held-out EMT test set" in printed
    html = (out / "report.html").read_text()
    for needle in ("Energy: ENNP vs reference", "Forces: ENNP vs reference", "Learning curve", "force MAE (meV/Å)", "shipped cu-emt"):
        assert needle in html, needle
    assert "<script src=" not in html  # plotly.js embedded: opens offline
    assert load_model(out / "model.pt").species == (29,)
