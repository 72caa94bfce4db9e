"""Time against cost of the run, one point per cloud instance, the deadline as a line (``rigbench size --plot``)."""

from __future__ import annotations

import math
from pathlib import Path

from rigbench.errors import UserError
from rigbench.plots import check_plot_path, pyplot, save
from rigbench.size.plan import SizeReport
from rigbench.units import one_line


def plot_time_vs_cost(rep: SizeReport, path: str | Path) -> Path:
    """Hours of the run (x) against dollars (y) for every instance that can run it, with the model's error band as
    error bars, the deadline as a vertical line and the cheapest option by the deadline marked."""
    path = check_plot_path(path)
    if rep.samples is None:
        raise UserError("--plot needs the size of the run: add --dataset-size N --epochs E")
    pts = [o for o in rep.instances if o.total_h is not None and o.total_usd is not None]
    if not pts:
        raise UserError("--plot: no instance can run this model at this batch, nothing to draw")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=110)
    best = rep.cheapest
    for o in pts:
        # blue: the whole range within the deadline (or no deadline); orange: the range crosses it; gray: past it
        color = "tab:green" if o is best else {True: "tab:blue", False: "tab:gray"}.get(
            o.meets_deadline, "tab:blue" if o.meets_deadline is None else "tab:orange")
        u = o.uncertainty or 0.0
        ax.errorbar(o.total_h, o.total_usd, xerr=[[o.total_h * u], [o.total_h * u]],
                    yerr=[[o.total_usd * u], [o.total_usd * u]], fmt="o", color=color, ms=5,
                    elinewidth=0.8, capsize=2)
    if rep.deadline_h is not None:
        ax.axvline(rep.deadline_h, color="tab:red", ls="--", lw=1.2, label=f"deadline {rep.deadline_h:g} h")
        ax.legend(fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.autoscale_view()
    shown = place_labels(ax, [(o.id, o.total_h, o.total_usd) for o in pts],
                         keep=[o.id for o in pareto_front(pts)] + ([best.id] if best is not None else []))
    ax.set_xlabel("hours for the run (log)")
    ax.set_ylabel("on-demand cost of the run, USD (log)")
    ax.set_title(f"{one_line(rep.name)}: {rep.samples:,.0f} {rep.unit}, batch {rep.batch} per GPU, {rep.precision}\n"
                 f"error bars: rigbench.model's uncertainty of each card; prices of {rep.prices_dated(pts)}"
                 + ("" if shown == len(pts) else f"\nnamed: {shown} of {len(pts)} (none faster and cheaper, and "
                                                 "those with room; all are in the table)"), fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    return save(fig, path)


def pareto_front(options: list) -> list:
    """The options no other beats on both time and cost (``total_h``, ``total_usd``): the ones worth renting for
    some deadline, fastest first."""
    front, cheapest = [], math.inf
    for o in sorted(options, key=lambda o: (o.total_h, o.total_usd)):
        if o.total_usd < cheapest:
            front.append(o)
            cheapest = o.total_usd
    return front


def place_labels(ax, points: list[tuple[str, float, float]], keep: list[str]) -> int:
    """Name points beside them: those in ``keep`` always, the others only where their name overlaps no name
    already placed (instances of one card at one price sit on one spot, and a pile of names there reads as none).
    Returns how many are named."""
    renderer = ax.figure.canvas.get_renderer()
    order = sorted(points, key=lambda p: (p[0] not in keep, p[1], p[2]))
    placed = []
    for name, x, y in order:
        text = ax.annotate(name, (x, y), fontsize=6, xytext=(3, 3), textcoords="offset points")
        box = text.get_window_extent(renderer=renderer)
        if name not in keep and any(box.overlaps(other) for other in placed):
            text.remove()
            continue
        placed.append(box)
    return len(placed)
