"""Speed of the engine's own overhead (runs once as a plain test under --benchmark-disable)."""

from rigbench.bench.timing import Timer


def test_timer_overhead_of_a_trivial_call(benchmark):
    timer = Timer(min_sample_s=0.001, min_samples=5, min_total_s=0.0, warmup_s=0.0)
    m = benchmark(timer.measure, lambda: None)
    assert m.repeats >= 5 and m.inner > 1     # a 100 ns call is batched into millisecond samples


def test_clock_measurement_cost(benchmark):
    from rigbench.bench.peaks import measure_clock_hz

    hz = benchmark(measure_clock_hz, 400_000, 1)
    assert hz > 0
