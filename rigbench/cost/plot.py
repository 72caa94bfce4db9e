"""The cumulative-cost chart of ``rigbench cost --plot`` (matplotlib, imported only when a plot is drawn)."""

from __future__ import annotations

import math
from pathlib import Path

from rigbench.cost.report import CostReport
from rigbench.plots import check_plot_path, pyplot, save


def plot_cumulative(report: CostReport, path: str | Path, max_lines: int = 10) -> Path:
    """Cumulative cost against months, one line per option (the bought ones and the cheapest rented ones)."""
    path = check_plot_path(path)
    plt = pyplot()
    chosen = report.buys + sorted(report.rents, key=lambda o: o.total_usd)[: max(1, max_lines - len(report.buys))]
    months = report.months
    steps = max(2, int(math.ceil(months)) * 4)
    xs = [months * i / steps for i in range(steps)] + [months, months]
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    for o in chosen:
        # Spending up to the horizon, then the resale coming back as a vertical step.
        ys = [o.cumulative_usd(x) for x in xs[:-2]] + [o.total_usd + o.resale_usd, o.total_usd]
        style = "-" if o.kind == "buy" else "--"
        ax.plot(xs, ys, style, label=f"{o.name} ({o.total_usd:,.0f} USD)", linewidth=2 if o.kind == "buy" else 1.3)
    ax.set_xlabel("months")
    ax.set_ylabel("cumulative cost (USD)")
    dated = f"prices of {report.prices_date}; " if report.rents else ""    # the list is used only for a rented price
    ax.set_title(f"{report.work.description}\n{dated}resale returned at month {months:g}", fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save(fig, path)
