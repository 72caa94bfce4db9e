"""Speed of the suite's own kernels, and the honesty check between the two bandwidth paths.

Under the normal suite (--benchmark-disable) each runs once as a plain test and asserts nothing about speed;
`make bench` times them, and only then is the stream_triad / memcopy agreement (within 15%) asserted.
"""

from __future__ import annotations

import statistics
import time

from rigbench.kernels import REGISTRY, RunContext

CTX = RunContext(quick=True, usable_cores=2, llc_bytes=32 << 20)


def _prepared(name, dtype):
    k = REGISTRY[name]
    return k, k.cases("cpu", dtype, CTX)[0], k.prepare("cpu", dtype, k.cases("cpu", dtype, CTX)[0], CTX)


def test_stream_triad_cpu_speed(benchmark):
    k, params, p = _prepared("stream_triad", "float64")
    benchmark.pedantic(p.run, rounds=20, warmup_rounds=2) if benchmark.enabled else benchmark(p.run)
    p.verify()
    p.close()


def test_preprocess_all_cores_speed(benchmark):
    k = REGISTRY["preprocess"]
    params = k.cases("cpu", "float32", CTX)[-1]
    p = k.prepare("cpu", "float32", params, CTX)
    benchmark.pedantic(p.run, rounds=20, warmup_rounds=2) if benchmark.enabled else benchmark(p.run)
    p.verify()
    p.close()


def test_stream_triad_agrees_with_memcopy(benchmark):
    """Alternate the two kernels call by call (so both see the same machine load) and compare median GB/s."""
    kt, pt, triad = _prepared("stream_triad", "float64")
    km, pm, copy = _prepared("memcopy", "float32")
    rounds = 15 if benchmark.enabled else 2
    t_triad, t_copy = [], []
    for _ in range(rounds):
        for run, times in ((triad.run, t_triad), (copy.run, t_copy)):
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
    # each checked right after its own call, as the runner does: on a CPU the two share their arrays
    # (rigbench.kernels.host_arrays), so each one's output is the other's to overwrite
    triad.run()
    triad.verify()
    copy.run()
    copy.verify()
    gbps_triad = kt.value(pt, statistics.median(t_triad))
    gbps_copy = km.value(pm, statistics.median(t_copy))
    benchmark.extra_info.update(triad_gbps=gbps_triad, memcopy_gbps=gbps_copy)
    benchmark(triad.run)  # the timed figure of this test: one triad call
    if benchmark.enabled:
        assert abs(gbps_triad / gbps_copy - 1) < 0.15, (gbps_triad, gbps_copy)
    triad.close()
    copy.close()
