"""The curated notebooks in a real browser: JupyterLab + Playwright driving Debian's Chromium.

For each notebook: run all cells, then assert no JavaScript errors, no widget errors, every
3D view draws a non-blank canvas, every plotly figure has its traces drawn, and moving a
trajectory slider changes the 3D view. Screenshots go to ``$ENNP_LAB_ARTIFACTS`` (default
``reports/browser``). Skipped with a reason where Chromium or Playwright is absent.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
ARTIFACTS = Path(os.environ.get("ENNP_LAB_ARTIFACTS", REPO / "reports" / "browser"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"Chromium not installed at {CHROMIUM} (apt-get install chromium)"),
]
playwright_api = pytest.importorskip("playwright.sync_api", reason="Python playwright not installed")
Image = pytest.importorskip("PIL.Image")

ALL_EXECUTED = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!w || !w.content || !w.sessionContext.session || !w.sessionContext.session.kernel) return false;
  const code = w.content.widgets.filter(c => c.model.type === 'code');
  return code.length > 0 && code.every(c => typeof c.model.executionCount === 'number')
         && w.sessionContext.session.kernel.status === 'idle';
}"""
# Every output has drawn: at least one 3D view (canvas) and every plotly figure has its
# traces. Polled, not slept on: on a busy 2-core machine widgets can take many seconds.
WIDGETS_DRAWN = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!w || !w.node) return false;
  if (w.node.querySelectorAll('.jp-OutputArea canvas').length === 0) return false;
  return Array.from(w.node.querySelectorAll('.jp-OutputArea .js-plotly-plot')).every(
    p => p.querySelector('.scatterlayer .trace, .colorbar, .gl-container canvas') !== null);
}"""
KERNEL_READY = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  return !!(w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel
            && w.sessionContext.session.kernel.status === 'idle');
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    for name in NOTEBOOKS:
        shutil.copy(REPO / "notebooks" / name, root / name)
    # Render every cell (JupyterLab 4 otherwise detaches cells scrolled out of view).
    settings = root / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    port, token = _free_port(), "ennp-lab-browser-test"
    log = open(root / "jupyterlab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--allow-root",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
         f"--LabApp.user_settings_dir={root / 'settings'}",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited: {(root / 'jupyterlab.log').read_text()[-2000:]}")
            time.sleep(0.5)
    else:
        proc.terminate()
        pytest.fail("JupyterLab did not start within 120 s")
    yield url, token
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--enable-unsafe-swiftshader", "--use-angle=swiftshader",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield b
        b.close()


def _distinct_colors(png: bytes) -> int:
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    return len(np.unique(img.reshape(-1, 3), axis=0))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_renders_in_jupyterlab(lab, browser, name):
    url, token = lab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = Path(name).stem
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console_errors.append(f"uncaught: {e}"))
    try:
        # A workspace of its own, reset: no tab of another notebook is restored beside it.
        page.goto(f"{url}/lab/workspaces/{stem}/tree/{name}?reset&token={token}")
        page.wait_for_function(KERNEL_READY, timeout=120_000)
        page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(ALL_EXECUTED, timeout=300_000, polling=500)
        try:
            page.wait_for_function(WIDGETS_DRAWN, timeout=120_000, polling=500)
        except playwright_api.TimeoutError:
            pass  # the assertions below say what is missing
        page.wait_for_timeout(1000)  # a last frame after the DOM is complete
        page.screenshot(path=str(ARTIFACTS / f"{stem}-top.png"))

        notebook = page.locator(".jp-NotebookPanel:visible")
        assert notebook.count() == 1
        text = notebook.inner_text()
        assert "Error displaying widget" not in text and "not registered" not in text
        assert "Traceback" not in text, "a cell raised"

        canvases = notebook.locator(".jp-OutputArea canvas")
        assert canvases.count() >= 1, "no 3D view was drawn"
        for k in range(canvases.count()):
            canvas = canvases.nth(k)
            canvas.scroll_into_view_if_needed()
            page.wait_for_timeout(800)
            png = canvas.screenshot(path=str(ARTIFACTS / f"{stem}-view{k}.png"))
            assert _distinct_colors(png) > 20, f"3D view {k} is blank"

        plots = notebook.locator(".jp-OutputArea .js-plotly-plot")
        for k in range(plots.count()):
            plot = plots.nth(k)
            # 2D traces are SVG; 3D scenes (surfaces, meshes) are WebGL canvases, checked
            # for non-blank pixels with the other canvases above
            drawn = plot.locator(".scatterlayer .trace, .boxlayer .trace, .barlayer .trace, .colorbar, .gl-container canvas").count()
            assert drawn > 0, f"plotly figure {k} has no traces drawn"
            plot.scroll_into_view_if_needed()
            plot.screenshot(path=str(ARTIFACTS / f"{stem}-plot{k}.png"))

        # Move the last slider: a 3D view of its panel (a trajectory frame, the transformed
        # structure of SymmetryPanel, ...) must change.
        sliders = notebook.locator(".jp-OutputArea .widget-slider")
        movable = [sliders.nth(k) for k in range(sliders.count())
                   if float(sliders.nth(k).locator(".noUi-handle").first.get_attribute("aria-valuemax") or 0) > 0]
        if movable:
            slider = movable[-1]
            panel = slider.locator("xpath=ancestor::div[contains(@class,'widget-vbox')][1]")
            views = panel.locator("canvas")
            assert views.count() >= 1, "the slider's panel has no 3D view"
            views.first.scroll_into_view_if_needed()
            page.wait_for_timeout(800)

            def shots(path: str | None = None) -> list[bytes]:
                for attempt in range(5):  # a panel redrawing may swap a canvas under us
                    try:
                        return [views.nth(k).screenshot(path=path if k == 0 else None) for k in range(views.count())]
                    except playwright_api.Error:
                        if attempt == 4:
                            raise
                        page.wait_for_timeout(1500)

            before = shots()
            readout = slider.locator(".widget-readout")
            start = readout.inner_text()
            slider.locator(".noUi-handle").first.focus()
            for _ in range(5):
                page.keyboard.press("ArrowRight")
            page.wait_for_timeout(2000)
            after = shots(str(ARTIFACTS / f"{stem}-slider-moved.png"))
            assert readout.inner_text() != start
            assert before != after, "moving the slider did not change any 3D view of its panel"

        assert not console_errors, f"JavaScript errors: {console_errors[:5]}"
    finally:
        page.screenshot(path=str(ARTIFACTS / f"{stem}-end.png"), full_page=True)
        page.close()
