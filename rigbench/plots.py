"""Charts written to files (``--plot FILE``): the path checked before any work, pyplot without a display, the
figure saved with one clear error. matplotlib is imported only when a chart is checked or drawn.

The charts themselves: :func:`comparison_chart` (``rigbench compare --plot``); ``rigbench.cost`` and
``rigbench.size`` draw theirs through :func:`check_plot_path` too.
"""

from __future__ import annotations

from pathlib import Path

from rigbench import files
from rigbench.errors import UserError


def check_plot_path(path: str | Path) -> Path:
    """Refuse, before any work, a plot file matplotlib cannot write: an unsupported suffix or a missing folder."""
    from matplotlib.backend_bases import FigureCanvasBase

    path = files.check_output(path, "the plot", "--plot")   # never through a link, onto a device, a FIFO or a folder
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


def pyplot():
    """matplotlib.pyplot on the Agg backend (files only, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path: str | Path, **savefig_kwargs) -> Path:
    """Write ``fig`` to ``path`` and close it; a failure to write is a UserError naming the path. The file is written
    under ``rigbench.files``' output policy: a regular file, atomically, never through a link."""
    plt = pyplot()
    try:
        return files.save_figure(fig, path, **savefig_kwargs)
    except OSError as exc:
        raise UserError(f"cannot write plot {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UserError(f"cannot write plot {path}: {str(exc).splitlines()[0] if str(exc) else exc!r}") from None
    finally:
        plt.close(fig)


def comparison_chart(doc: dict, path: str | Path) -> Path:
    """Two panels of a ``rigbench.compare/1`` document: training speed relative to the first device, and samples/s
    per $1000; bars carry the model's uncertainty as error bars (none on measured figures)."""
    path = check_plot_path(path)
    plt = pyplot()
    ids = [d["id"] for d in doc["devices"]]
    rows = doc["workloads"]
    groups = [f"{r['workload']}\n{r['precision']}" for r in rows]
    fig, (ax, ax_usd) = plt.subplots(1, 2, figsize=(max(9, 3.0 * len(groups) + 3), 4.8))
    width = 0.8 / len(ids)
    priced = any(r["per_1000_usd"][i] is not None for r in rows for i in ids)
    for i, dev in enumerate(ids):
        xs = [g + i * width for g in range(len(groups))]
        vals = [r["ratio"][dev] for r in rows]
        err = [v * (r["ratio_band"][dev] or 0) for v, r in zip(vals, rows)]
        bars = ax.bar(xs, vals, width, yerr=err, capsize=3, label=dev)
        for b, r in zip(bars, rows):
            ax.annotate(f"{r['throughput'][dev]:,.0f}", (b.get_x() + b.get_width() / 2, b.get_height()),
                        ha="center", va="bottom", fontsize=7)
        if priced:
            usd = [r["per_1000_usd"][dev] or 0 for r in rows]
            uerr = [v * (r["uncertainty"][dev] or 0) for v, r in zip(usd, rows)]
            ax_usd.bar(xs, usd, width, yerr=uerr, capsize=3, label=dev)
    for a in (ax, ax_usd):
        a.set_xticks([g + 0.4 - width / 2 for g in range(len(groups))], groups)
    ax.set_ylabel(f"training throughput relative to {ids[0]} (x)")
    ax.axhline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_title("training speed (labels: samples/s)")
    ax.legend(fontsize=8)
    if priced:
        ax_usd.set_ylabel("samples/s per $1000")
        ax_usd.set_title("per dollar (" + ", ".join(sorted({d["price_source"] for d in doc["devices"]
                                                              if d["price_source"]})) + ")")
    else:
        ax_usd.set_title("per dollar: no prices (give --price CARD=USD)")
    fig.suptitle(" vs ".join(ids))
    fig.text(0.01, 0.01, "Error bars: the model's validation error for each card's architecture and workload "
             "family (docs/model.md); a difference inside them is a tie. Measured figures have none.", fontsize=7)
    fig.tight_layout(rect=(0, 0.04, 1, 0.95))
    return save(fig, path, dpi=120)
