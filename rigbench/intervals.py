"""The interval of a figure: how far its headline value may be off, from the timed samples it was computed from.

A figure's value is its kernel's work over the *median* per-call time. The interval is the distribution-free
confidence interval of that median from the order statistics of the samples (the binomial method: the median lies
between the r-th smallest and the r-th largest of n samples with probability ``1 - 2 * P(Binomial(n, 1/2) < r)``;
J.-Y. Le Boudec, "Performance Evaluation of Computer and Communication Systems", EPFL Press 2010, chapter 2, the
confidence interval for the median, with its table of ranks). It assumes nothing about the shape of the timing distribution, which on a shared machine is skewed
and has a long slow tail. The largest r whose coverage is still at least 95% is taken; with fewer than 6 samples no
pair of ranks reaches 95%, and the interval is the whole range [min, max] with its coverage (93.75% for 5) said.

Every rigbench figure is work per time (TFLOP/s, GB/s, samples/s, IOPS), so a per-call time ``t`` maps to the value
``value * median / t``: the slow end of the time interval is the low end of the value interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """A figure's value interval (``low`` <= value <= ``high`` in the figure's unit) and how sure it is."""

    low: float
    high: float
    coverage: float        # the probability that the true median lies inside (>= CONFIDENCE unless n < 6)
    samples: int
    method: str

    def relative(self, value: float) -> tuple[float, float]:
        """(low, high) as fractions of ``value`` below and above it (0.05 = 5%)."""
        return (value - self.low) / value, (self.high - value) / value


def median_ranks(n: int, confidence: float = CONFIDENCE) -> tuple[int, float]:
    """The 1-based rank r such that [x(r), x(n+1-r)] covers the median with probability >= ``confidence``, and
    that probability. With too few samples for ``confidence``: r = 1 (min and max) and its lower coverage."""
    if n < 1:
        raise ValueError("no samples")
    best_r, best_cov = 1, 1.0 - 2.0 * 0.5 ** n if n > 1 else 0.0
    below = 0.0  # P(Binomial(n, 1/2) <= r - 1)
    for r in range(1, n // 2 + 1):
        below += math.comb(n, r - 1) * 0.5 ** n
        coverage = 1.0 - 2.0 * below
        if coverage < confidence:
            break
        best_r, best_cov = r, coverage
    return best_r, best_cov


def of_samples(samples_s: list[float], value: float, median_s: float) -> Interval | None:
    """The value interval of a figure from its per-call times; None without samples or a positive median."""
    times = sorted(t for t in samples_s if isinstance(t, (int, float)) and math.isfinite(t) and t > 0)
    if not times or not median_s or median_s <= 0 or value is None:
        return None
    r, coverage = median_ranks(len(times))
    fast_s, slow_s = times[r - 1], times[len(times) - r]
    return Interval(low=value * median_s / slow_s, high=value * median_s / fast_s, coverage=coverage,
                    samples=len(times), method="order statistics of the median")


def _positive(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


def of_measurement(m: dict) -> Interval | None:
    """The interval of one results-file measurement (``status`` ok); None when it has none.

    The interval the runner recorded (``ci_low_s``/``ci_high_s``, files of ``rigbench.results/2``) is taken as it
    is; an older file's is computed here from its ``samples_s`` by the same rule."""
    if m.get("status") != "ok" or not _positive(m.get("value")) or not _positive(m.get("median_s")):
        return None
    value, median_s = float(m["value"]), float(m["median_s"])
    lo_s, hi_s = m.get("ci_low_s"), m.get("ci_high_s")
    if _positive(lo_s) and _positive(hi_s):
        return Interval(low=value * median_s / hi_s, high=value * median_s / lo_s, coverage=CONFIDENCE,
                        samples=int(m.get("repeats") or 0), method="recorded by the runner")
    return of_samples(m.get("samples_s") or [], value, median_s)
