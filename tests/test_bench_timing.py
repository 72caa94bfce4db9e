"""The timing engine, driven by a clock the test controls: statistics, calibration, outliers, budgets."""

import statistics

import pytest

from rigbench.bench.timing import Measurement, Timer, quantile


class FakeClock:
    """A clock that advances only when the timed work 'runs' (by the durations the test scripts)."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def work(clock, durations):
    """A callable that takes durations[i] seconds on its i-th call (the last one repeats)."""
    calls = {"n": 0}

    def fn():
        i = min(calls["n"], len(durations) - 1)
        clock.now += durations[i]
        calls["n"] += 1

    fn.calls = calls
    return fn


def test_quantile_matches_linear_interpolation_by_hand():
    v = [1.0, 2.0, 3.0, 4.0]
    assert quantile(v, 0.25) == pytest.approx(1.75)   # position 0.75 between 1 and 2
    assert quantile(v, 0.5) == pytest.approx(2.5)
    assert quantile(v, 0.75) == pytest.approx(3.25)


def test_measurement_statistics_by_hand():
    m = Measurement(samples_s=[0.010, 0.012, 0.011, 0.013, 0.010])
    assert m.repeats == 5
    assert m.median_s == pytest.approx(0.011)
    # sorted: 10, 10, 11, 12, 13 ms; q1 at position 1 -> 10, q3 at position 3 -> 12
    assert m.iqr_s == pytest.approx(0.002)
    assert m.min_s == 0.010 and m.max_s == 0.013
    assert m.spread == pytest.approx(0.002 / 0.011)


def test_calibration_makes_one_sample_last_the_minimum():
    clock = FakeClock()
    fn = work(clock, [1e-4])          # 0.1 ms per call
    t = Timer(clock=clock, min_sample_s=0.01, min_samples=5, min_total_s=0.0, warmup_s=0.0)
    m = t.measure(fn)
    assert m.inner == 100             # 100 calls x 0.1 ms = 10 ms per sample
    assert m.sample_s == pytest.approx(0.01)
    assert m.median_s == pytest.approx(1e-4)
    assert m.repeats == 5


def test_first_call_is_reported_and_kept_out_of_samples():
    clock = FakeClock()
    fn = work(clock, [0.5, 0.02])     # a slow cold call (compilation), then 20 ms
    m = Timer(clock=clock, min_sample_s=0.01, min_total_s=0.0, warmup_s=0.0).measure(fn)
    assert m.first_call_s == pytest.approx(0.5)
    assert m.samples_s == pytest.approx([0.02] * 5)


def test_takes_more_samples_until_the_minimum_total_time():
    clock = FakeClock()
    fn = work(clock, [0.02])
    m = Timer(clock=clock, min_sample_s=0.01, min_samples=5, min_total_s=0.3, warmup_s=0.0).measure(fn)
    assert m.repeats == 15            # 15 x 20 ms = 0.3 s


def test_budget_stops_sampling_after_the_minimum_count():
    clock = FakeClock()
    fn = work(clock, [0.1])
    m = Timer(clock=clock, min_sample_s=0.01, min_samples=5, min_total_s=10.0, warmup_s=0.0, budget_s=0.75).measure(fn)
    assert m.repeats == 7 and m.budget_hit   # 1 warm-up call + 7 samples = 0.8 s > budget
    m = Timer(clock=clock, min_sample_s=0.01, min_samples=5, min_total_s=10.0, warmup_s=0.0, budget_s=0.01).measure(fn)
    assert m.repeats == 5                    # never fewer than the minimum


def test_one_outlier_is_counted_and_barely_moves_the_median():
    clock = FakeClock()
    durations = [0.01] * 3 + [0.010, 0.011, 0.010, 0.170, 0.011, 0.010, 0.011]   # a 17x stall on a shared machine
    fn = work(clock, durations)
    m = Timer(clock=clock, min_sample_s=0.005, min_samples=7, min_total_s=0.0, warmup_s=0.025).measure(fn)
    assert m.repeats == 7
    assert m.median_s == pytest.approx(0.011)
    assert statistics.mean(m.samples_s) > 0.03     # the mean would be ruined
    assert m.outliers == 1


def test_reset_kernels_time_single_calls_with_untimed_reset():
    clock = FakeClock()
    resets = []

    def reset():
        clock.now += 1.0          # a slow reset (dropping a page cache) must not be timed
        resets.append(clock.now)

    fn = work(clock, [0.002])
    m = Timer(clock=clock, min_sample_s=0.01, min_samples=5, min_total_s=0.0, warmup_s=0.0).measure(fn, reset=reset)
    assert m.inner == 1
    assert m.samples_s == pytest.approx([0.002] * 5)
    assert len(resets) == 6       # before the warm-up call and before every sample


def test_sync_is_called_around_every_timed_region():
    clock = FakeClock()
    events = []
    fn = work(clock, [0.02])
    t = Timer(clock=clock, sync=lambda: events.append("sync"), min_sample_s=0.01, min_total_s=0.0, warmup_s=0.0)
    m = t.measure(fn)
    assert events.count("sync") == 2 * (1 + m.repeats)


def test_rounds_pool_their_samples_and_keep_each_rounds_median():
    """Three rounds of 3 samples: medians 10, 11 and 13 ms; pooled median 11 ms; the rounds moved (13-10)/11 = 27%."""
    from rigbench.bench.timing import Measurement

    parts = [Measurement(samples_s=[0.009, 0.010, 0.011], inner=4), Measurement(samples_s=[0.011, 0.011, 0.012]),
             Measurement(samples_s=[0.013, 0.012, 0.014])]
    m = Measurement.combine(parts)
    assert m.repeats == 9 and m.inner == 4 and m.rounds_s == [0.010, 0.011, 0.013]
    assert m.median_s == 0.011 and m.round_move == pytest.approx(0.003 / 0.011)
    assert Measurement(samples_s=[1.0, 2.0]).round_move is None


def test_confidence_interval_of_the_median_from_order_statistics():
    """n = 9: P(Bin(9, 1/2) <= 1) = 10/512, coverage 1 - 20/512 = 96.1% >= 95% with r = 2 (r = 3 gives 82%): the
    interval is the 2nd smallest to the 2nd largest sample. Under 6 samples no pair reaches 95%: None."""
    from rigbench.bench.timing import Measurement

    m = Measurement(samples_s=[0.5, 0.1, 0.9, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6])
    assert m.ci_s == (0.2, 0.8)
    d = m.to_dict()
    assert (d["ci_low_s"], d["ci_high_s"]) == (0.2, 0.8)
    assert Measurement(samples_s=[0.1, 0.2, 0.3, 0.4, 0.5]).ci_s is None


def test_a_later_round_reuses_the_first_rounds_calls_per_sample():
    clock = FakeClock()
    t = Timer(clock=clock, min_sample_s=0.01, min_samples=3, min_total_s=0.0, warmup_s=0.0)
    m = t.measure(work(clock, [0.001]), inner=7)
    assert m.inner == 7 and all(s == pytest.approx(0.001) for s in m.samples_s)
