"""Self-contained offline HTML reports: plotly JS embedded once, no CDN."""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Sequence

import plotly.graph_objects as go
import plotly.io as pio

from ennp_lab.files import atomic_write

__all__ = ["html_table", "write_html_report"]


def html_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain HTML table (cells escaped; floats with 3 significant decimals)."""

    def cell(v: object) -> str:
        return html.escape(f"{v:.3g}" if isinstance(v, float) else str(v))

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_html_report(path: str | os.PathLike, title: str, blocks: Sequence[str | go.Figure]) -> Path:
    """Write an HTML page of text/HTML blocks and plotly figures, atomically.

    The plotly.js bundle is inlined with the first figure, so the file opens offline.
    """
    parts, js_included = [], False
    for block in blocks:
        if isinstance(block, go.Figure):
            parts.append(pio.to_html(block, full_html=False, include_plotlyjs=not js_included and "inline" or False))
            js_included = True
        else:
            parts.append(block)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; display: block; overflow-x: auto; max-width: 100%; }}
th, td {{ border: 1px solid #ccc; padding: 4px 10px; text-align: right; }}
th {{ background: #f3f3f3; }}
</style></head>
<body><h1>{html.escape(title)}</h1>
{''.join(parts)}
</body></html>
"""
    return atomic_write(path, lambda handle: handle.write(page.encode("utf-8")))
