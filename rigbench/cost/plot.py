"""The cumulative-cost chart of ``rigbench cost --plot`` (matplotlib, imported only when a plot is drawn)."""

from __future__ import annotations

import math
from pathlib import Path

from rigbench.cost.report import CostReport
from rigbench.plots import check_plot_path, pyplot, save
from rigbench.units import fmt_num


CANNOT_RUN = "(cannot run within a month)"   # the legend's mark of an option left out of the recommendation


def plot_lines(report: CostReport, max_lines: int = 10) -> list[dict]:
    """What each line of the chart is: the bought options and the cheapest rented ones, each with its label, line
    style, colour (None: matplotlib's cycle) and width. An option one machine cannot run within a month (the table's
    '!', the notes) is drawn dotted grey and says so in the legend: its total is that of a machine that would have to
    run more hours than a month has, a cost no one can pay, so it is not drawn as a line to compare against."""
    chosen = report.buys + sorted(report.rents, key=lambda o: o.total_usd)[: max(1, max_lines - len(report.buys))]
    out = []
    for o in chosen:
        label = f"{o.name} ({fmt_num(o.total_usd)} USD)"
        if not o.feasible:
            out.append({"option": o, "label": f"{label} {CANNOT_RUN}", "style": ":", "color": "grey",
                        "width": 1.3})
        else:
            out.append({"option": o, "label": label, "style": "-" if o.kind == "buy" else "--", "color": None,
                        "width": 2 if o.kind == "buy" else 1.3})
    return out


def plot_title(report: CostReport, max_lines: int = 10) -> str:
    """The chart's title: the work, the rented prices' date (only when something is rented), the resale step, and
    a note when some line is of an option that cannot run within a month: it counts the lines drawn dotted grey
    (:func:`plot_lines` with ``max_lines``), not options the chart leaves out."""
    # the price list is used only for a rented price
    dated = f"prices of {report.prices_dated(ages=False)}; " if report.rents else ""
    cannot = sum(not line["option"].feasible for line in plot_lines(report, max_lines))
    note = (f"\n{cannot} option(s) {CANNOT_RUN[1:-1]} on one machine (dotted grey): left out of the recommendation"
            if cannot else "")
    return f"{report.work.description}\n{dated}resale returned at month {report.months:g}{note}"


def plot_cumulative(report: CostReport, path: str | Path, max_lines: int = 10) -> Path:
    """Cumulative cost against months, one line per option (the bought ones and the cheapest rented ones)."""
    path = check_plot_path(path)
    plt = pyplot()
    months = report.months
    steps = max(2, int(math.ceil(months)) * 4)
    xs = [months * i / steps for i in range(steps)] + [months, months]
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    for line in plot_lines(report, max_lines):
        o = line["option"]
        # Spending up to the horizon, then the resale coming back as a vertical step.
        ys = [o.cumulative_usd(x) for x in xs[:-2]] + [o.total_usd + o.resale_usd, o.total_usd]
        kw = {"color": line["color"]} if line["color"] else {}
        ax.plot(xs, ys, line["style"], label=line["label"], linewidth=line["width"], **kw)
    ax.set_xlabel("months")
    ax.set_ylabel("cumulative cost (USD)")
    ax.set_title(plot_title(report, max_lines), fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save(fig, path)
