"""The README as a contract: every Python snippet runs as written, top to bottom, in a
fresh interpreter (and says how long it takes: the durations are printed)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SNIPPETS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_has_its_snippets():
    assert len(SNIPPETS) >= 7


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(SNIPPETS)))
def test_readme_snippet_runs_as_written(index, tmp_path):
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", SNIPPETS[index]], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600, env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    seconds = time.perf_counter() - start
    print(f"README snippet {index}: {seconds:.0f} s")
    assert done.returncode == 0, f"snippet {index} failed:\n{SNIPPETS[index]}\n{done.stderr[-2000:]}"
