"""Re-execute the curated notebooks in place and keep only text outputs.

Widget views are dropped from the saved files (their state is not stored, so a saved view
would only read "model not found" until the notebook is run); printed outputs stay, and
nbval compares the cells marked ``# NBVAL_CHECK_OUTPUT`` against them.

    python scripts/refresh_notebooks.py [notebooks/NAME.ipynb ...]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

WIDGET = "application/vnd.jupyter.widget-view+json"


def refresh(path: Path) -> None:
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace", str(path)], check=True)
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        cell.outputs = [o for o in cell.outputs if WIDGET not in o.get("data", {})]
    nbformat.write(nb, path)
    print(f"refreshed {path}")


if __name__ == "__main__":
    paths = [Path(p) for p in sys.argv[1:]] or sorted(Path(__file__).resolve().parents[1].joinpath("notebooks").glob("*.ipynb"))
    for p in paths:
        refresh(p)
