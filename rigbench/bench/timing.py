"""How one piece of work is timed: warm-up, a calibrated inner loop, repeated samples, median and spread.

A *sample* is one timed stretch of ``inner`` back-to-back calls, divided by ``inner``: the per-call time. The inner
count is calibrated so one sample lasts at least ``min_sample_s`` (clock resolution and call overhead then vanish);
work that must be reset between calls (``reset`` given) is timed one call per sample. At least ``min_samples``
samples are taken, more until ``min_total_s`` of timed work, never more than ``max_samples`` and, after the minimum,
never past ``budget_s``. The result is the median with its inter-quartile range: robust to the odd slow sample a
shared machine produces. Outliers (beyond 1.5 IQR of the quartiles) are counted, not dropped.

A figure is measured in *rounds* (the runner interleaves the suite: every case once per round, so slow drift of the
machine spreads over all of them instead of hitting one): :meth:`Measurement.combine` pools the rounds' samples and
keeps each round's median (``rounds_s``). The later rounds reuse the first round's calls per sample, so every
sample of a figure times the same amount of work. The 95% confidence interval of the median comes from the order
statistics of the pooled samples (:mod:`rigbench.intervals`); how far the rounds moved apart is judged separately
(:mod:`rigbench.validity`), since samples within one round are not independent of each other.

The clock and the device synchronisation are injected: tests drive a fake clock; on CUDA the runner passes
``torch.cuda.synchronize`` so the timed region ends when the GPU's work does, not when the launch returns.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass
from typing import Callable

from rigbench import intervals


def quantile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolation quantile of already sorted values (numpy's default method)."""
    if not sorted_values:
        raise ValueError("no values")
    pos = (len(sorted_values) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


@dataclass
class Measurement:
    """Per-call times of one piece of work, and the facts of how they were taken."""

    samples_s: list[float]
    inner: int = 1                  # calls per sample
    warmup_calls: int = 0
    warmup_s: float = 0.0
    first_call_s: float | None = None  # the first (cold) call, which carries one-off costs
    budget_hit: bool = False        # sampling stopped at the time budget, not at min_total_s
    rounds_s: list[float] | None = None   # the median per-call time of each round (None: one round)
    round_sizes: list[int] | None = None  # how many of ``samples_s`` each round took, in order (None: one round)

    @classmethod
    def combine(cls, parts: list["Measurement"]) -> "Measurement":
        """The rounds of one figure as one measurement: pooled samples, each round's median kept."""
        if not parts:
            raise ValueError("no rounds")
        first = parts[0]
        return cls(samples_s=[t for p in parts for t in p.samples_s], inner=first.inner,
                   warmup_calls=sum(p.warmup_calls for p in parts), warmup_s=sum(p.warmup_s for p in parts),
                   first_call_s=first.first_call_s, budget_hit=any(p.budget_hit for p in parts),
                   rounds_s=[p.median_s for p in parts], round_sizes=[len(p.samples_s) for p in parts])

    @property
    def round_move(self) -> float | None:
        """(slowest - fastest round median) over the median: how far the figure moved between rounds."""
        if not self.rounds_s or len(self.rounds_s) < 2 or self.median_s <= 0:
            return None
        return (max(self.rounds_s) - min(self.rounds_s)) / self.median_s

    @property
    def ci_s(self) -> tuple[float, float] | None:
        """95% confidence interval of the median per-call time (order statistics, :mod:`rigbench.intervals`);
        None under 6 samples, where no pair of ranks reaches 95%."""

        times = sorted(self.samples_s)
        if len(times) < 6:
            return None
        r, _ = intervals.median_ranks(len(times))
        return times[r - 1], times[len(times) - r]

    @property
    def repeats(self) -> int:
        return len(self.samples_s)

    @property
    def median_s(self) -> float:
        return statistics.median(self.samples_s)

    @property
    def q1_s(self) -> float:
        return quantile(sorted(self.samples_s), 0.25)

    @property
    def q3_s(self) -> float:
        return quantile(sorted(self.samples_s), 0.75)

    @property
    def iqr_s(self) -> float:
        return self.q3_s - self.q1_s

    @property
    def min_s(self) -> float:
        return min(self.samples_s)

    @property
    def max_s(self) -> float:
        return max(self.samples_s)

    @property
    def spread(self) -> float:
        """IQR over median: the relative noise of the figure."""
        return self.iqr_s / self.median_s if self.median_s > 0 else math.inf

    @property
    def sample_s(self) -> float:
        """Median duration of one timed sample (inner calls together)."""
        return self.median_s * self.inner

    @property
    def outliers(self) -> int:
        lo, hi = self.q1_s - 1.5 * self.iqr_s, self.q3_s + 1.5 * self.iqr_s
        return sum(1 for s in self.samples_s if s < lo or s > hi)

    def to_dict(self) -> dict:
        ci = self.ci_s
        return {
            "median_s": self.median_s, "iqr_s": self.iqr_s, "min_s": self.min_s, "max_s": self.max_s,
            "ci_low_s": ci[0] if ci else None, "ci_high_s": ci[1] if ci else None,
            "repeats": self.repeats, "inner": self.inner, "spread": self.spread, "outliers": self.outliers,
            "warmup_calls": self.warmup_calls, "first_call_s": self.first_call_s, "budget_hit": self.budget_hit,
            "samples_s": list(self.samples_s), "rounds_s": list(self.rounds_s) if self.rounds_s else None,
            "round_sizes": list(self.round_sizes) if self.round_sizes else None,
            "round_move": self.round_move,
        }


@dataclass
class Timer:
    """Times a callable. ``clock`` returns seconds; ``sync`` waits for the device (no-op on the CPU)."""

    clock: Callable[[], float] = time.perf_counter
    sync: Callable[[], None] | None = None
    min_sample_s: float = 0.01
    min_samples: int = 5
    max_samples: int = 100
    min_total_s: float = 0.2
    warmup_s: float = 0.05
    budget_s: float | None = None     # wall time after which sampling stops (once min_samples are in)
    max_inner: int = 1_000_000

    def _sync(self) -> None:
        if self.sync is not None:
            self.sync()

    def _timed(self, fn: Callable[[], object], n: int) -> float:
        self._sync()
        t0 = self.clock()
        for _ in range(n):
            fn()
        self._sync()
        return self.clock() - t0

    def calibrate(self, per_call_s: float) -> int:
        """Calls per sample so that one sample lasts at least ``min_sample_s``, given a per-call estimate."""
        if per_call_s <= 0:
            return self.max_inner
        return max(1, min(self.max_inner, math.ceil(self.min_sample_s / per_call_s)))

    def measure(self, fn: Callable[[], object], reset: Callable[[], object] | None = None,
                inner: int | None = None) -> Measurement:
        """Warm up, calibrate, sample. With ``reset`` every sample is one call, preceded by an untimed reset.
        ``inner`` given (a later round of the same figure): that many calls per sample, no calibration."""
        start = self.clock()
        # Warm-up: at least one call; the first is reported on its own (it pays one-off costs).
        if reset is not None:
            reset()
        first = self._timed(fn, 1)
        warm_calls, warm_total, estimate = 1, first, first
        while self.clock() - start < self.warmup_s and (self.budget_s is None or self.clock() - start < self.budget_s):
            if reset is not None:
                reset()
            n = 1 if reset is not None else max(1, min(self.calibrate(estimate), 1 + warm_calls))
            t = self._timed(fn, n)
            warm_calls += n
            warm_total += t
            estimate = t / n
        if inner is None:
            inner = 1 if reset is not None else self.calibrate(estimate)
        samples: list[float] = []
        timed_total = 0.0
        budget_hit = False
        while len(samples) < self.max_samples:
            if len(samples) >= self.min_samples:
                if timed_total >= self.min_total_s:
                    break
                if self.budget_s is not None and self.clock() - start >= self.budget_s:
                    budget_hit = True
                    break
            if reset is not None:
                reset()
            t = self._timed(fn, inner)
            timed_total += t
            samples.append(t / inner)
        return Measurement(samples_s=samples, inner=inner, warmup_calls=warm_calls, warmup_s=warm_total,
                           first_call_s=first, budget_hit=budget_hit)
