"""The report's charts, drawn with matplotlib (Agg, no display) and returned as PNG bytes.

Each function takes plain rows a caller computed (no results file, no catalog here) and draws one figure: every
number it shows comes with the interval or error band it was given, and invalid figures are drawn hatched and
grey so a reader never takes them for a result.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

DPI = 110
VALID = "#2b6cb0"
INVALID = "#a0aec0"
OTHER = "#dd6b20"


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    plt = _plt()
    buf = io.BytesIO()
    try:
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
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 0.8 + 0.34 * max(1, len(bars))))
    ys = list(range(len(bars)))[::-1]
    ax.barh(ys, [b.value for b in bars], xerr=_xerr(bars), color=[VALID if b.valid else INVALID for b in bars],
            hatch=None, edgecolor="white", capsize=3, error_kw={"elinewidth": 1, "ecolor": "#1a202c"})
    for y, b in zip(ys, bars):
        ax.text(b.value + 0.01, y, f" {b.value:.0%}{'' if b.valid else ' INVALID'}", va="center", fontsize=8)
    ax.axvline(1.0, color="#c53030", linewidth=1, linestyle="--")
    ax.set_yticks(ys, [b.label for b in bars], fontsize=8)
    ax.set_xlim(0, max(1.15, max((b.high or b.value) for b in bars) * 1.15) if bars else 1.15)
    ax.set_xlabel("fraction of the device's peak (dashed: the peak); error bars: 95% interval")
    ax.set_title(title, fontsize=9, loc="left")
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
    plt = _plt()
    groups, labels, height = _layout(bars)
    palette = [VALID, OTHER, "#38a169", "#805ad5", "#d53f8c"]
    fig, ax = plt.subplots(figsize=(8, 0.9 + 0.3 * max(1, len(labels)) * max(1, len(groups))))
    for gi, g, mine, ys in _rows(bars, groups, labels, height):
        colour = palette[gi % len(palette)]
        ax.barh(ys, [b.value - 1 for b in mine], left=1, height=height * 0.95, xerr=_xerr(mine),
                color=[colour if b.valid else INVALID for b in mine], capsize=2, label=g,
                error_kw={"elinewidth": 1, "ecolor": "#1a202c"})
    ax.set_xscale("log")
    ax.axvline(1.0, color="#1a202c", linewidth=1)
    ax.set_yticks(range(len(labels))[::-1], labels, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=9, loc="left")
    ax.grid(True, axis="x", which="both", alpha=0.3)
    if len(groups) > 1 or groups[0]:
        ax.legend(fontsize=7, loc="best")
    return _png(fig)


def throughput(bars: list[Bar], title: str, xlabel: str) -> bytes:
    """Training throughput of devices (predicted or measured), one colour per ``group`` (the precision), error
    bars from the model's validation error; log scale when the devices span more than 20x."""
    plt = _plt()
    groups, labels, height = _layout(bars)
    palette = [VALID, OTHER, "#38a169", "#805ad5"]
    fig, ax = plt.subplots(figsize=(8, 0.9 + 0.32 * max(1, len(labels)) * max(1, len(groups))))
    for gi, g, mine, ys in _rows(bars, groups, labels, height):
        ax.barh(ys, [b.value for b in mine], height=height * 0.95, xerr=_xerr(mine), capsize=2, label=g,
                color=palette[gi % len(palette)], hatch=None, error_kw={"elinewidth": 1, "ecolor": "#1a202c"})
        for y, b in zip(ys, mine):
            ax.text(b.high or b.value, y, f"  {b.value:,.3g}", va="center", fontsize=7)
    values = [b.value for b in bars if b.value > 0]
    if values and max(values) / min(values) > 20:
        ax.set_xscale("log")
    ax.set_yticks(range(len(labels))[::-1], labels, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=9, loc="left")
    ax.grid(True, axis="x", which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    return _png(fig)


def break_even(hours: list[float], buy_usd: list[float], rent_usd: list[float], rent_low: list[float],
               rent_high: list[float], *, buy_label: str, rent_label: str, xlabel: str, title: str,
               crossing: float | None, crossing_range: tuple[float | None, float | None], chosen: float | None) -> bytes:
    """Total cost over the horizon against hours of work per month: the bought machine (fixed cost, then
    electricity) and the rented instance (with the band of its predicted speed), the break-even point marked."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 4.6))
    ax.plot(hours, buy_usd, color=VALID, linewidth=2, label=f"buy {buy_label}")
    ax.plot(hours, rent_usd, color=OTHER, linewidth=2, linestyle="--", label=f"rent {rent_label}")
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
    ax.set_xlabel(xlabel)
    ax.set_ylabel("total cost over the horizon (USD)")
    ax.set_title(title, fontsize=9, loc="left")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    return _png(fig)
