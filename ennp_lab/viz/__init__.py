"""Figures: results in, ``plotly.graph_objects.Figure`` out (no ipywidgets, no physics).

Not imported by ``import ennp_lab``; plotly is imported here only.
"""

from ennp_lab.viz.training import learning_curve_figure, parity_figure

__all__ = ["learning_curve_figure", "parity_figure"]
