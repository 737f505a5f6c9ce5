"""Stress-test figures: per-atom force error by environment class, each structure in 3D
coloured by its error, generalised stacking-fault lines model over reference (mJ/m² at this
display edge), and the offline HTML report of a whole stress test."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from ennp_lab.properties.stress_test import ENVIRONMENTS, StressTestResult, StructureReport
from ennp_lab.structures.defects import StackingFaultLine
from ennp_lab.units import EV_PER_A2_TO_J_PER_M2, EV_TO_MEV

__all__ = ["environment_error_figure", "error_structure_figure", "stacking_fault_figure", "stress_test_tables",
           "write_stress_test_report", "ENVIRONMENT_CODES"]

_MJ = EV_PER_A2_TO_J_PER_M2 * 1e3  # eV/Å² → mJ/m²

#: environment class → the number it is coloured by on a structure
ENVIRONMENT_CODES = {name: k for k, name in enumerate(ENVIRONMENTS)}


def environment_error_figure(report: StructureReport, quantity: str = "force error") -> go.Figure:
    """Box plots of the per-atom force error (or the ensemble's σ, or the leakage) in each
    environment class."""
    values = report.per_atom(quantity)
    fig = go.Figure()
    for k, env in enumerate(ENVIRONMENTS):
        mask = report.environment == env
        if mask.any():
            fig.add_trace(go.Box(y=values[mask], name=f"{env} ({int(mask.sum())})", boxpoints="all", jitter=0.4,
                                 marker=dict(color=qualitative.Plotly[k], size=4)))
    fig.update_layout(title=f"{report.name}: per-atom {quantity} by environment", yaxis_title=f"{quantity} (eV/Å)",
                      template="plotly_white", width=520, height=380, showlegend=False)
    return fig


def stacking_fault_figure(lines: Mapping[str, StackingFaultLine]) -> go.Figure:
    """γ(u) (mJ/m²) against the shift (fraction of the glide period), one line per label
    (e.g. {"model": …, "reference": …})."""
    fig = go.Figure()
    for k, (label, line) in enumerate(lines.items()):
        fig.add_trace(go.Scatter(x=line.shift, y=np.asarray(line.gamma) * _MJ,
                                 mode="lines+markers", name=f"{label}{' (relaxed)' if line.relaxed else ''}",
                                 line=dict(color=qualitative.Plotly[k % 10])))
    fig.update_layout(title="Generalised stacking fault, (111)", xaxis_title="shift along the glide direction (period)",
                      yaxis_title="γ (mJ/m²)", template="plotly_white", width=520, height=380)
    return fig


def error_structure_figure(report: StructureReport, quantity: str = "force error", max_atoms: int = 4000) -> go.Figure:
    """The structure in 3D, each atom coloured by its force error (or σ, or leakage): bulk
    atoms small and faint, the defect (every other free class) full size, atoms held fixed
    (a dislocation cylinder's rim, whose forces are the boundary's) grey and outside the
    colour scale. Above ``max_atoms`` atoms, bulk atoms are thinned (every k-th) so that the
    page stays light; defect atoms are all kept."""
    values = report.per_atom(quantity)
    pos = report.atoms.positions
    fixed = report.environment == "fixed"
    bulk = report.environment == "bulk"
    defect = ~bulk & ~fixed
    step = max(1, int(np.ceil(bulk.sum() / max(1, max_atoms - defect.sum() - fixed.sum()))))
    free = ~fixed
    span = (0.0, float(values[free].max()) if free.any() else 1.0)
    fig = go.Figure()
    if fixed.any():
        index = np.nonzero(fixed)[0]
        fig.add_trace(go.Scatter3d(x=pos[index, 0], y=pos[index, 1], z=pos[index, 2], mode="markers", name="fixed",
                                   opacity=0.3, marker=dict(size=2.0, color="#999999"), hoverinfo="skip"))
    groups = (("bulk", np.nonzero(bulk)[0][::step], 2.5, 0.35), ("defect", np.nonzero(defect)[0], 6.0, 1.0))
    coloured = "defect" if defect.any() else "bulk"
    for label, index, size, opacity in groups:
        if len(index) == 0:
            continue
        fig.add_trace(go.Scatter3d(
            x=pos[index, 0], y=pos[index, 1], z=pos[index, 2], mode="markers", name=label, opacity=opacity,
            marker=dict(size=size, color=values[index], colorscale="Viridis", cmin=span[0], cmax=span[1] or 1.0,
                        colorbar=dict(title=f"{quantity} (eV/Å)") if label == coloured else None),
            text=[f"{k}: {report.environment[k]}, {values[k]:.3g} eV/Å" for k in index], hoverinfo="text"))
    fig.update_layout(title=f"{report.name}: {quantity} per atom", template="plotly_white", width=620, height=480,
                      legend=dict(orientation="h", y=-0.05),
                      scene=dict(aspectmode="data", xaxis_title="x (Å)", yaxis_title="y (Å)", zaxis_title="z (Å)"))
    return fig


def stress_test_tables(result: StressTestResult) -> tuple[list[str], list[list]]:
    """(header, rows) of the per-structure table at the display edge: energy error (meV/atom;
    with a bulk crystal, of the excess energies, each against its own bulk),
    mean force error in bulk and non-bulk atoms and the largest (meV/Å), formation energy of
    model and reference (eV, or mJ/m² for planar defects), σ's Spearman ρ and AUC where there
    is σ, the largest per-atom force leakage under a rotation."""
    header = ["structure", "atoms", "energy error (meV/atom)", "force error bulk (meV/Å)",
              "force error not bulk (meV/Å)", "max force error (meV/Å)", "formation model", "formation reference",
              "unit", "σ ρ(error)", "σ ρ(not bulk)", "σ AUC(not bulk)", "max leakage (eV/Å)"]
    rows = []
    for name, r in result.reports.items():
        free = r.environment != "fixed"
        bulk, other = free & (r.environment == "bulk"), free & (r.environment != "bulk")
        mean = lambda m: EV_TO_MEV * float(r.force_error[m].mean()) if m.any() else float("nan")  # noqa: E731
        formation = r.formation_energy()
        planar = r.defect_area is not None
        scale = _MJ if planar else 1.0
        ranking = r.sigma_ranking()
        # against each one's own bulk where there is one (two references' energy zeros differ)
        energy = r.energy_error if r.excess_energy_error is None else r.excess_energy_error
        rows.append([name, len(r.atoms), EV_TO_MEV * energy, mean(bulk), mean(other),
                     EV_TO_MEV * float(r.force_error[free].max()),
                     "" if formation is None else scale * formation[0], "" if formation is None else scale * formation[1],
                     "" if formation is None else ("mJ/m²" if planar else "eV"),
                     ranking.get("with_force_error", ""), ranking.get("with_not_bulk", ""), ranking.get("auc_not_bulk", ""),
                     "" if r.leakage is None else float(r.leakage.max())])
    return header, rows


def write_stress_test_report(path, title: str, result: StressTestResult, leakage: list[dict] | None = None,
                             notes: str = "") -> "Path":
    """An offline HTML report (plotly inlined once, no CDN) of a stress test: the table of
    :func:`stress_test_tables`, the stacking-fault energies, the leakage rows (from
    :func:`~ennp_lab.properties.stress_test.defect_leakage`), and for each structure its 3D
    error map and error-by-environment box plot (σ too for an ensemble)."""
    import html

    from ennp_lab.viz.report import html_table, write_html_report

    header, rows = stress_test_tables(result)
    blocks: list = [f"<p>{html.escape(notes)}</p>" if notes else "", "<h2>Structures</h2>", html_table(header, rows)]
    ranking = result.sigma_ranking()
    if ranking:
        blocks.append(f"<p>Ensemble σ over all atoms: Spearman ρ {ranking['with_force_error']:.2f} with the force "
                      f"error, {ranking['with_not_bulk']:.2f} with “not bulk” (at most "
                      f"{ranking.get('with_not_bulk_attainable', float('nan')):.2f} at this class balance); AUC "
                      f"{ranking.get('auc_not_bulk', float('nan')):.2f} as a not-bulk detector.</p>")
    if result.faults:
        fault_rows = []
        for label, comparison in result.faults.items():
            e = comparison.energies()
            fault_rows.append([label, _MJ * e["intrinsic_model"], _MJ * e["intrinsic_reference"],
                               _MJ * e["unstable_model"], _MJ * e["unstable_reference"]])
        blocks += ["<h2>Stacking faults (mJ/m², relaxed)</h2>",
                   html_table(["plane", "intrinsic model", "intrinsic reference", "unstable model", "unstable reference"],
                              fault_rows)]
        for label, comparison in result.faults.items():
            fig = stacking_fault_figure({"model": comparison.model, "reference": comparison.reference})
            fig.update_layout(title=f"Generalised stacking fault, {label}")
            blocks.append(fig)
    if leakage:
        blocks += ["<h2>Equivariance leakage</h2>",
                   html_table(["model", "structure", "atoms", "leakage (relative)", "energy gap (eV/atom)", "force gap (eV/Å)"],
                              [[r["model"], r["structure"], r["atoms"], float(r["leakage"]), float(r["energy_gap"]),
                                float(r["force_gap"])] for r in leakage])]
    for report in result.reports.values():
        blocks += [f"<h2>{html.escape(report.name)}</h2>", error_structure_figure(report),
                   environment_error_figure(report)]
        if report.sigma is not None:
            blocks.append(environment_error_figure(report, "σ"))
    return write_html_report(path, title, blocks)
