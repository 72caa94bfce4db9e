"""The cumulative-cost chart of ``rigbench cost --plot`` (matplotlib, imported only when a plot is drawn)."""

from __future__ import annotations

import math
from pathlib import Path

from rigbench.cost.report import CostReport
from rigbench.errors import UserError


def check_plot_path(path: str | Path) -> Path:
    """Refuse, before any work, a plot file matplotlib cannot write: an unsupported suffix or a missing folder."""
    from matplotlib.backend_bases import FigureCanvasBase

    path = Path(path)
    formats = sorted(FigureCanvasBase.get_supported_filetypes())
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in formats:
        raise UserError(f"--plot {path}: {'no' if not suffix else 'unsupported'} file type"
                        f"{'' if not suffix else ' .' + suffix}; end the name with one of "
                        f"{', '.join('.' + f for f in formats)}")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"cannot write plot {path}: folder {parent} does not exist")
    if path.is_dir():
        raise UserError(f"cannot write plot {path}: it is a folder")
    return path


def plot_cumulative(report: CostReport, path: str | Path, max_lines: int = 10) -> Path:
    """Cumulative cost against months, one line per option (the bought ones and the cheapest rented ones)."""
    path = check_plot_path(path)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    ax.set_title(f"{report.work.description}\nprices of {report.prices.date}; resale returned at month {months:g}",
                 fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    try:
        fig.savefig(path)
    except OSError as exc:
        raise UserError(f"cannot write plot {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UserError(f"cannot write plot {path}: {str(exc).splitlines()[0] if str(exc) else exc!r}") from None
    finally:
        plt.close(fig)
    return path
