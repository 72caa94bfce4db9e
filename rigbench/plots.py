"""Plotting, in one place: matplotlib without a display, imported only when a chart is checked or drawn.

Two kinds of chart are drawn here:

- charts written to files (``--plot FILE``): the path checked before any work (:func:`check_plot_path`), the
  figure saved with one clear error (:func:`save`). :func:`comparison_chart` is ``rigbench compare --plot``;
  ``rigbench.cost`` and ``rigbench.size`` draw theirs with :func:`pyplot`, :func:`check_plot_path` and :func:`save`.
- the report's charts, returned as PNG bytes (:func:`fraction_of_peak`, :func:`ratios`, :func:`throughput`,
  :func:`break_even`): each takes plain rows a caller computed (no results file, no catalog here) and draws one
  figure; every number it shows comes with the interval or error band it was given, and invalid figures are drawn
  grey so a reader never takes them for a result.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import sys
import textwrap
import warnings
from dataclasses import dataclass
from pathlib import Path

from rigbench import files
from rigbench.errors import UserError
from rigbench.report import literal
from rigbench.units import fmt_num, one_line


def _matplotlib():
    """The matplotlib package. It checks MPLBACKEND when first imported and stops there on a name it does not know
    (MPLBACKEND=nonexistent); rigbench draws on Agg whatever it says, so the variable is set aside meanwhile."""
    backend = os.environ.pop("MPLBACKEND", None) if "matplotlib" not in sys.modules else None
    try:
        import matplotlib
    finally:
        if backend is not None:
            os.environ["MPLBACKEND"] = backend
    return matplotlib


def check_plot_path(path: str | Path) -> Path:
    """Refuse, before any work, a plot file matplotlib cannot write: an unsupported suffix or a missing folder."""
    path = files.check_output(path, "the plot", "--plot")   # never through a link, onto a device, a FIFO or a folder
    formats, missing = plot_formats()
    suffix = path.suffix.lower().lstrip(".")
    if suffix in missing:
        raise UserError(f"--plot {path}: a .{suffix} plot needs {missing[suffix]}, which is not installed here; "
                        f"install it or end the name with one of {', '.join('.' + f for f in formats)}")
    if suffix not in formats:
        raise UserError(f"--plot {path}: {'no' if not suffix else 'unsupported'} file type"
                        f"{'' if not suffix else ' .' + suffix}; end the name with one of "
                        f"{', '.join('.' + f for f in formats)}")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"cannot write plot {path}: folder {parent} does not exist")
    if path.is_dir():
        raise UserError(f"cannot write plot {path}: it is a folder")
    if path.is_file() and not _holds_image(path, suffix):
        # an earlier plot is replaced; a file of another kind under an image's name (notes.png, a CSV) is the user's
        raise UserError(f"--plot {one_line(path)} exists and is not a .{suffix} image; it is left as it is: give "
                        "another name, or move it away")
    return path


# How each file type's content begins (the formats' own specifications: PNG, JFIF/EXIF, PDF, PostScript and its DOS
# EPS header, SVG as XML, gzip for SVGZ, TIFF's two byte orders, GIF87a/89a, RIFF WebP, ISO-BMFF AVIF). raw and rgba
# are bare pixels with no header: a file of theirs cannot be told from another, and is replaced as named.
_SIGNATURES: dict[str, tuple[tuple[int, bytes], ...]] = {
    "png": ((0, b"\x89PNG\r\n\x1a\n"),), "jpg": ((0, b"\xff\xd8\xff"),), "jpeg": ((0, b"\xff\xd8\xff"),),
    "pdf": ((0, b"%PDF-"),), "ps": ((0, b"%!PS"),), "eps": ((0, b"%!PS"), (0, b"\xc5\xd0\xd3\xc6")),
    "svg": ((0, b"<?xml"), (0, b"<svg")), "svgz": ((0, b"\x1f\x8b"),),
    "tif": ((0, b"II*\x00"), (0, b"MM\x00*")), "tiff": ((0, b"II*\x00"), (0, b"MM\x00*")),
    "gif": ((0, b"GIF87a"), (0, b"GIF89a")), "webp": ((8, b"WEBP"),), "avif": ((4, b"ftypavif"),),
}


def _holds_image(path: Path, suffix: str) -> bool:
    """Whether the regular file at ``path`` begins as a ``suffix`` file does (an empty file holds nothing to lose)."""
    signatures = _SIGNATURES.get(suffix)
    if signatures is None:
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError:
        return True     # the write that follows says what is wrong with the file
    if not head:
        return True
    if suffix == "svg":
        head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return any(head[at:at + len(sig)] == sig for at, sig in signatures)


def plot_formats() -> tuple[list[str], dict[str, str]]:
    """The file types a plot can be written in here, sorted, and those matplotlib knows but cannot write here, each
    with what it needs."""
    _matplotlib()
    from matplotlib.backend_bases import FigureCanvasBase

    known = FigureCanvasBase.get_supported_filetypes()
    missing = {fmt: why for fmt in known if (why := _missing_tool(fmt))}
    return sorted(fmt for fmt in known if fmt not in missing), missing


def _missing_tool(fmt: str) -> str | None:
    """What writing ``fmt`` needs that this machine lacks, or None. matplotlib lists every format it knows, but pgf
    is laid out by a TeX program it does not ship, and it only finds that missing at the end, with a traceback,
    after the command's work is done. (WebP and AVIF come with the Pillow wheels matplotlib installs.)"""
    if fmt == "pgf":
        tex = _matplotlib().rcParams["pgf.texsystem"]   # the TeX program the pgf backend runs to measure its text
        return None if shutil.which(tex) else f"{tex} (the TeX program matplotlib lays out its text with)"
    return None


def pyplot():
    """matplotlib.pyplot on the Agg backend (files only, no display needed)."""
    matplotlib = _matplotlib()
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path: str | Path, **savefig_kwargs) -> Path:
    """Write ``fig`` to ``path`` and close it; a failure to write is a UserError naming the path. The file is written
    under ``rigbench.files``' output policy: a regular file, atomically, never through a link."""
    plt = pyplot()
    from matplotlib.backends.backend_pgf import LatexError

    try:
        with _postscript_alpha_note_silenced():
            return files.save_figure(fig, path, **savefig_kwargs)
    except OSError as exc:
        raise UserError(f"cannot write plot {path}: {exc.strerror or exc}") from None
    except LatexError as exc:
        # the TeX program is there but failed (a broken install, a missing font package): matplotlib's message
        # goes on with the whole LaTeX preamble; the start of its first line says what happened
        tex = _matplotlib().rcParams["pgf.texsystem"]
        what = str(exc).splitlines()[0].split(" while ")[0].rstrip(": ")
        raise UserError(f"cannot write plot {path}: {tex} failed ({what}); write another format instead, e.g. .png "
                        "or .svg") from None
    except (ValueError, RuntimeError) as exc:
        # RuntimeError: the program a format is drawn by failed to start or ended abnormally
        raise UserError(f"cannot write plot {path}: {str(exc).splitlines()[0] if str(exc) else exc!r}") from None
    finally:
        plt.close(fig)


class _PostScriptAlphaNote(logging.Filter):
    """Drops matplotlib's "The PostScript backend does not support transparency ..." note. PostScript has no alpha
    channel, so matplotlib draws the partly transparent parts (error bands, shaded areas) opaque; the figure still
    shows the same numbers. Printed to stderr before "wrote c.eps", the note read as a failure the user could not
    act on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "does not support transparency" not in record.getMessage()


@contextlib.contextmanager
def _postscript_alpha_note_silenced():
    """While a figure is saved, that one note of matplotlib's PostScript backend (.eps, .ps) is not printed; every
    other message is."""
    # matplotlib logs it (logging, not warnings) on its backend's module logger
    logger = logging.getLogger("matplotlib.backends.backend_ps")
    note = _PostScriptAlphaNote()
    logger.addFilter(note)
    try:
        yield
    finally:
        logger.removeFilter(note)


# The footer caption under a compare plot, wrapped to the figure's width (at 7 pt a character is at most about 0.6 of
# the point size wide in DejaVu Sans, matplotlib's default font) so no line runs past the right edge.
CAPTION_PT = 7
COMPARE_CAPTION = ("Error bars: speed, the band of each ratio to the first device that fits; per dollar, the card's "
                   "validation error (docs/model.md). Hatched, ~: extrapolated, a wider band (past one machine no "
                   "verdict rests on it). Measured figures have none.")


def _caption_lines(text: str, width_in: float) -> list[str]:
    """``text`` wrapped to fit a figure ``width_in`` inches wide at CAPTION_PT, with a margin on each side."""
    chars = int((width_in - 0.3) * 72 / (CAPTION_PT * 0.6))
    return textwrap.wrap(text, max(20, chars))


def comparison_chart(doc: dict, path: str | Path) -> Path:
    """Two panels of a ``rigbench.compare/1`` document: training speed relative to the first device that fits (the
    table's reference), and throughput (in each workload's own unit) per $1000; bars carry the model's uncertainty as
    error bars (none on measured figures)."""
    path = check_plot_path(path)
    plt = pyplot()
    ids = [d["id"] for d in doc["devices"]]
    rows = doc["workloads"]
    groups = [f"{r['workload']}\n{r['precision']}" for r in rows]
    fig_w, fig_h = max(9, 3.0 * len(groups) + 3), 4.8
    fig, (ax, ax_usd) = plt.subplots(1, 2, figsize=(fig_w, fig_h))
    width = 0.8 / len(ids)
    priced = any(r["per_1000_usd"][i] is not None for r in rows for i in ids)
    fits = any(r["throughput"][i] is not None for r in rows for i in ids)
    # each row's own unit (BERT's sequences/s, ResNet's images/s), as the table prints it
    units = list(dict.fromkeys(r.get("unit") or "samples/s" for r in rows)) or ["samples/s"]
    unit = " or ".join(units)
    for i, dev in enumerate(ids):
        xs = [g + i * width for g in range(len(groups))]
        vals = [r["ratio"][dev] or 0 for r in rows]      # no ratio: a device, or the first, does not fit
        err = [v * (r["ratio_band"][dev] or 0) for v, r in zip(vals, rows)]
        bars = ax.bar(xs, vals, width, yerr=err, capsize=3, label=dev)
        extrapolated = [bool((r.get("extrapolated") or {}).get(dev)) for r in rows]
        for b, r, far, e in zip(bars, rows, extrapolated, err):
            t = r["throughput"][dev]
            # above the error bar's cap, which would otherwise strike through the label
            ax.annotate("does not fit" if t is None else f"{'~' if far else ''}{t:,.0f}",
                        (b.get_x() + b.get_width() / 2, b.get_height() + e), ha="center", va="bottom", fontsize=7)
            if far:
                b.set_hatch("//")     # the table's '~': a wider band, and past one machine no verdict
        if priced:
            usd = [r["per_1000_usd"][dev] or 0 for r in rows]
            # no error bar where there is no figure: a cap at zero would read as a value of zero
            uerr = [v * (r["uncertainty"][dev] or 0) if v else float("nan") for v, r in zip(usd, rows)]
            for b, far, r in zip(ax_usd.bar(xs, usd, width, yerr=uerr, capsize=3, label=dev), extrapolated, rows):
                if far:
                    b.set_hatch("//")
                if r["per_1000_usd"][dev] is None:
                    # a device without a price (or without a figure) has no bar; say why where it would stand
                    ax_usd.annotate("does not fit" if r["throughput"][dev] is None else "no price",
                                    (b.get_x() + b.get_width() / 2, 0), ha="center", va="bottom", fontsize=7,
                                    rotation=90)
    for a in (ax, ax_usd):
        a.set_xticks([g + 0.4 - width / 2 for g in range(len(groups))], groups)
    # the table's reference: the first device that fits (compare's row["reference"]), one per row; None in a row no
    # device fits, which then has no ratios
    refs = list(dict.fromkeys(r.get("reference", ids[0]) for r in rows if r.get("reference", ids[0])))
    if not refs:
        ax.set_ylabel("training throughput: no device fits, no ratios")
    else:
        ax.set_ylabel(f"training throughput relative to {refs[0] if len(refs) == 1 else 'the first that fits'} (x)")
        ax.axhline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_title(f"training speed (labels: {unit})")
    ax.legend(fontsize=8)
    if priced:
        ax_usd.set_ylabel(f"{unit} per $1000")
        ax_usd.set_title("per dollar (" + ", ".join(sorted({d["price_source"] for d in doc["devices"]
                                                              if d["price_source"]})) + ")")
    elif not fits:
        # the cards may all have prices: there is no throughput to divide by them
        ax_usd.set_title("per dollar: no device fits")
    elif any(d.get("total_price_usd") for d in doc["devices"]):
        ax_usd.set_title("per dollar: no device with a price fits")
    else:
        ax_usd.set_title("per dollar: no prices (give --price CARD=USD)")
    if not priced:
        ax_usd.set_xlim(ax.get_xlim())      # an empty panel: its workload names under the speed panel's
    fig.suptitle(" vs ".join(ids))
    lines = _caption_lines(COMPARE_CAPTION, fig_w)
    fig.text(0.01, 0.01, "\n".join(lines), fontsize=CAPTION_PT, va="bottom")
    # room under the panels for the caption's lines (1.3 line spacing) and the bottom margin
    bottom = min(0.3, (len(lines) * CAPTION_PT * 1.3 + 6) / (fig_h * 72))
    fig.tight_layout(rect=(0, bottom, 1, 0.95))
    return save(fig, path, dpi=120)


# The report's charts: PNG bytes for rigbench.html_report.

DPI = 110
VALID = "#2b6cb0"
INVALID = "#a0aec0"
OTHER = "#dd6b20"


# The most characters of one label, title or legend entry drawn into a report chart: a label from a results file
# (a case, a host) can be any length, and a 100,000-character one leaves no room for the bars. Past it the text is
# cut with an ellipsis; the page's table beside the chart shows it whole.
MAX_LABEL = 40
MAX_TITLE = 100


def _text(text, limit: int = MAX_LABEL) -> str:
    """Text drawn into a chart: control and bidirectional characters as their escapes (``report.literal``; the
    font has no glyph for ESC and matplotlib warns of each), at most ``limit`` characters (cut with an ellipsis)."""
    text = literal(text)
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _png(fig) -> bytes:
    plt = pyplot()
    buf = io.BytesIO()
    try:
        with warnings.catch_warnings():
            # When the labels leave the axes no room, tight_layout keeps the figure as it is and warns; the chart is
            # still drawn (labels are shortened to MAX_LABEL first, so this is rare), and a warning on stderr of a
            # report that was written reads as a failure the reader cannot act on
            warnings.filterwarnings("ignore", message="Tight layout not applied", category=UserWarning)
            fig.tight_layout()
        fig.savefig(buf, format="png", dpi=DPI)
    finally:
        plt.close(fig)
    return buf.getvalue()


@dataclass(frozen=True)
class Bar:
    """One bar: its label, value, interval (low, high; None when unknown) and whether it is a valid figure."""

    label: str
    value: float
    low: float | None = None
    high: float | None = None
    valid: bool = True
    group: str = ""


def _xerr(bars: list[Bar]):
    lows = [max(0.0, b.value - b.low) if b.low is not None else 0.0 for b in bars]
    highs = [max(0.0, b.high - b.value) if b.high is not None else 0.0 for b in bars]
    return [lows, highs]


def fraction_of_peak(bars: list[Bar], title: str) -> bytes:
    """Horizontal bars of each figure's fraction of its device's peak, with the 95% interval as error bars."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.8 + 0.34 * max(1, len(bars))))
    ys = list(range(len(bars)))[::-1]
    ax.barh(ys, [b.value for b in bars], xerr=_xerr(bars), color=[VALID if b.valid else INVALID for b in bars],
            hatch=None, edgecolor="white", capsize=3, error_kw={"elinewidth": 1, "ecolor": "#1a202c"})
    for y, b in zip(ys, bars):
        # past the error bar's end, as the compare panel does, so the whisker never crosses the words
        ax.text(max(b.value, b.high or b.value) + 0.01, y, f" {b.value:.0%}{'' if b.valid else ' INVALID'}",
                va="center", fontsize=8)
    ax.axvline(1.0, color="#c53030", linewidth=1, linestyle="--")
    ax.set_yticks(ys, [_text(b.label) for b in bars], fontsize=8)
    # the axis holds each bar's end and its whisker's, whichever is further: a recorded fraction need not lie inside
    # its interval over the peak (a file edited by hand), and a label drawn past the axis's end made matplotlib
    # rasterise text millions of pixels out and fail
    ax.set_xlim(0, max(1.15, max(max(b.value, b.high or 0.0) for b in bars) * 1.15) if bars else 1.15)
    ax.set_xlabel("fraction of the device's peak (dashed: the peak); error bars: 95% interval")
    ax.set_title(_text(title, MAX_TITLE), fontsize=9, loc="left")
    ax.grid(True, axis="x", alpha=0.3)
    return _png(fig)


def _layout(bars: list[Bar]) -> tuple[list[str], list[str], float]:
    """Groups and labels in first-seen order, and the height of one bar when each label holds one bar per group."""
    groups = list(dict.fromkeys(b.group for b in bars))
    labels = list(dict.fromkeys(b.label for b in bars))
    return groups, labels, 0.8 / max(1, len(groups))


def _rows(bars: list[Bar], groups: list[str], labels: list[str], height: float):
    """(group index, group, its bars, their y positions): the first label on top, a label's groups side by side."""
    for gi, g in enumerate(groups):
        mine = [b for b in bars if b.group == g]
        ys = [len(labels) - 1 - labels.index(b.label) + (len(groups) - 1 - gi - (len(groups) - 1) / 2) * height
              for b in mine]
        yield gi, g, mine, ys


def ratios(bars: list[Bar], title: str, xlabel: str) -> bytes:
    """Horizontal bars of ratios around 1 (this run over another), grouped by ``group`` (one colour each), on a
    log scale so 2x faster and 2x slower look alike."""
    plt = pyplot()
    groups, labels, height = _layout(bars)
    palette = [VALID, OTHER, "#38a169", "#805ad5", "#d53f8c"]
    fig, ax = plt.subplots(figsize=(8, 0.9 + 0.3 * max(1, len(labels)) * max(1, len(groups))))
    for gi, g, mine, ys in _rows(bars, groups, labels, height):
        colour = palette[gi % len(palette)]
        ax.barh(ys, [b.value - 1 for b in mine], left=1, height=height * 0.95, xerr=_xerr(mine),
                color=[colour if b.valid else INVALID for b in mine], capsize=2, label=_text(g),
                error_kw={"elinewidth": 1, "ecolor": "#1a202c"})
    ax.set_xscale("log")
    ax.axvline(1.0, color="#1a202c", linewidth=1)
    ax.set_yticks(range(len(labels))[::-1], [_text(label) for label in labels], fontsize=8)
    ax.set_xlabel(_text(xlabel, MAX_TITLE))
    ax.set_title(_text(title, MAX_TITLE), fontsize=9, loc="left")
    ax.grid(True, axis="x", which="both", alpha=0.3)
    if len(groups) > 1 or groups[0]:
        ax.legend(fontsize=7, loc="best")
    return _png(fig)


def throughput(bars: list[Bar], title: str, xlabel: str) -> bytes:
    """Training throughput of devices (predicted or measured), one colour per ``group`` (the precision), error
    bars from the model's validation error; log scale when the devices span more than 20x."""
    plt = pyplot()
    groups, labels, height = _layout(bars)
    palette = [VALID, OTHER, "#38a169", "#805ad5"]
    fig, ax = plt.subplots(figsize=(8, 0.9 + 0.32 * max(1, len(labels)) * max(1, len(groups))))
    for gi, g, mine, ys in _rows(bars, groups, labels, height):
        ax.barh(ys, [b.value for b in mine], height=height * 0.95, xerr=_xerr(mine), capsize=2, label=_text(g),
                color=palette[gi % len(palette)], hatch=None, error_kw={"elinewidth": 1, "ecolor": "#1a202c"})
        for y, b in zip(ys, mine):
            # the table's own digits (1,301, not 1.3e+03)
            ax.text(b.high or b.value, y, f"  {fmt_num(b.value)}", va="center", fontsize=7)
    values = [b.value for b in bars if b.value > 0]
    if values and max(values) / min(values) > 20:
        ax.set_xscale("log")
    ax.margins(x=0.12)      # room past the longest bar for its label
    ax.set_yticks(range(len(labels))[::-1], [_text(label) for label in labels], fontsize=8)
    ax.set_xlabel(_text(xlabel, MAX_TITLE))
    ax.set_title(_text(title, MAX_TITLE), fontsize=9, loc="left")
    ax.grid(True, axis="x", which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="best")      # where it covers the fewest bars and labels
    return _png(fig)


def break_even(hours: list[float], buy_usd: list[float], rent_usd: list[float], rent_low: list[float],
               rent_high: list[float], *, buy_label: str, rent_label: str, xlabel: str, title: str,
               crossing: float | None, crossing_range: tuple[float | None, float | None], chosen: float | None) -> bytes:
    """Total cost over the horizon against hours of work per month: the bought machine (fixed cost, then
    electricity) and the rented instance (with the band of its predicted speed), the break-even point marked."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.6))
    ax.plot(hours, buy_usd, color=VALID, linewidth=2, label=_text(f"buy {buy_label}"))
    ax.plot(hours, rent_usd, color=OTHER, linewidth=2, linestyle="--", label=_text(f"rent {rent_label}"))
    ax.fill_between(hours, rent_low, rent_high, color=OTHER, alpha=0.18, linewidth=0,
                    label="rent: band of the speed prediction")
    lo, hi = crossing_range
    if lo is not None or hi is not None:
        ax.axvspan(lo if lo is not None else hours[0], hi if hi is not None else hours[-1], color="#718096",
                   alpha=0.12, label="break-even within the band")
    if crossing is not None:
        y = buy_usd[0] + (buy_usd[-1] - buy_usd[0]) * (crossing - hours[0]) / (hours[-1] - hours[0])
        ax.plot([crossing], [y], "o", color="#c53030", markersize=8, zorder=5)
        ax.annotate(f"break-even {crossing:,.0f} h/month", (crossing, y), textcoords="offset points",
                    xytext=(10, -18), fontsize=8, color="#c53030")
    if chosen is not None:
        ax.axvline(chosen, color="#1a202c", linewidth=0.8, linestyle=":")
        ax.annotate(f"{chosen:g} h/month asked", (chosen, ax.get_ylim()[1]), textcoords="offset points",
                    xytext=(3, -12), fontsize=7)
    ax.set_xlabel(_text(xlabel, MAX_TITLE))
    ax.set_ylabel("total cost over the horizon (USD)")
    ax.set_title(_text(title, MAX_TITLE), fontsize=9, loc="left")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    return _png(fig)
