"""Honesty: in one run, the suite's numbers agree with independent measurements of the same work.

- fp32 GEMM GFLOP/s from the suite vs ``torch.utils.benchmark.Timer`` on the same product: within 5%;
- ``memcopy`` (torch copy) vs ``stream_triad`` (Numba prange): two independent bandwidth paths, whose ratio lies
  between 8/9 (stores that read their line first) and 1 (streaming stores), within 15%.

Each side is measured in several rounds, alternating (suite, then independent), and each side's best rate is
compared: on a shared machine a neighbour's load only ever slows a measurement down, so the fastest sample of each
side over several rounds is the estimate that load disturbs least (the same rule the CPU clock measurement follows).
A median would compare two moments of the machine: with the other core busy, memcopy and the Numba triad lose
different amounts (a median ratio of 0.67 was seen under a load average of 10 on 2 cores).
"""

import pytest

from rigbench.bench.runner import Settings, SuiteState, make_context, measure_case
from rigbench.kernels import REGISTRY

PROBE = None

# Above this many runnable threads per usable core (the 1-minute load average, this test's own threads included)
# the cores are time-shared so finely that two timing methods are no longer compared, only two moments of the
# scheduler: measured here, fp32 GEMM fell from ~180 to ~15 GFLOP/s at a load average of 10 on 2 cores, and the
# two bandwidth paths lost different amounts.
BUSY_LOAD_PER_CORE = 1.5

WRITE_ALLOCATE_RATIO = (2 / 3) / (3 / 4)   # memcopy/triad counted-rate ratio when every store reads its line first
MAX_SIDE_MOVE = 0.15    # each side's rates over the rounds must agree this well for the two sides to be compared


@pytest.fixture(autouse=True)
def quiet_enough():
    """Skip, saying why, when other programs hold the cores: the comparison needs the machine to itself."""
    import os

    cores = len(os.sched_getaffinity(0))
    load = os.getloadavg()[0]
    if load > BUSY_LOAD_PER_CORE * cores:
        pytest.skip(f"the machine is busy (1-minute load average {load:.1f} on {cores} usable cores): two timing "
                    "methods cannot be compared while other programs share the cores; run it on a quiet machine")


def _probe():
    global PROBE
    if PROBE is None:
        from rigbench.bench.runner import run_probe

        PROBE = run_probe(None)
    return PROBE


def _suite(kernel_name, dtype, params=None, quick=True):
    k = REGISTRY[kernel_name]
    ctx = make_context("cpu", _probe(), True, None)
    params = params or k.cases("cpu", dtype, ctx)[0]
    rec = measure_case(k, "cpu", dtype, params, ctx, Settings.for_mode(quick), {}, SuiteState(), _probe())
    assert rec["status"] == "ok", rec["reason"]
    return rec


def _best_rate(rec: dict) -> float:
    """The figure at the record's fastest sample (the kernel's own formula, applied to ``min_s``)."""
    return REGISTRY[rec["kernel"]].value(rec["params"], rec["min_s"])


def _skip_if_a_side_moved(pairs: list[tuple[float, float]], names: tuple[str, str], unit: str, what: str) -> None:
    """Skip, saying why, when either side's rates moved more than MAX_SIDE_MOVE over the rounds: a shared host moves
    without any load in the guest, and then each side's best is a different moment of the host, not two methods
    compared. Each side must be steady to within the test's own tolerance for the comparison to mean anything."""
    for i, name in enumerate(names):
        rates = [p[i] for p in pairs]
        moved = max(rates) / min(rates) - 1
        if moved > MAX_SIDE_MOVE:
            pytest.skip(f"the machine's {what} moved during the comparison ({name} {min(rates):.1f}-{max(rates):.1f} "
                        f"{unit} over {len(pairs)} rounds, {moved:.0%} apart, more than {MAX_SIDE_MOVE:.0%}): two "
                        "methods cannot be compared while it moves; run it on a quiet machine")


def _best_ratio(ours, theirs, rounds: int) -> tuple[float, list[tuple[float, float]]]:
    """Best of ``rounds`` of ours() over best of ``rounds`` of theirs(), the sides alternating round by round.

    Each call returns a rate (higher is faster) at its fastest sample; load can only lower a rate, so the best of
    each side is the least disturbed estimate of what that method measures.
    """
    pairs = [(ours(), theirs()) for _ in range(rounds)]
    return max(a for a, _ in pairs) / max(b for _, b in pairs), pairs


@pytest.mark.slow
def test_gemm_agrees_with_torch_utils_benchmark_within_5_percent():
    import torch
    from torch.utils import benchmark

    n = 1024
    params = {"m": n, "n": n, "k": n, "itemsize": 4}

    def suite() -> float:
        return _best_rate(_suite("gemm", "float32", params, quick=True)) * 1e3

    def independent() -> float:
        a, b, c = torch.randn(n, n), torch.randn(n, n), torch.empty(n, n)
        t = benchmark.Timer("torch.matmul(a, b, out=c)", globals={"a": a, "b": b, "c": c, "torch": torch},
                            num_threads=torch.get_num_threads())
        return 2 * n ** 3 / min(t.blocked_autorange(min_run_time=0.25).times) / 1e9

    ratio, pairs = _best_ratio(suite, independent, rounds=15)
    print(f"gemm fp32 {n}: suite/torch.utils.benchmark best-rate ratio {ratio:.3f}; GFLOP/s pairs "
          + ", ".join(f"{a:.0f}/{b:.0f}" for a, b in pairs))
    # a shared VM's compute rate moves with no load in the guest (one CI run here: the suite 65-129 GFLOP/s and
    # torch.utils.benchmark 54-103 over 15 rounds, best-rate ratio 1.25)
    _skip_if_a_side_moved(pairs, ("gemm", "torch.utils.benchmark"), "GFLOP/s", "compute rate")
    assert ratio == pytest.approx(1.0, rel=0.05)


@pytest.mark.slow
def test_memcopy_and_stream_triad_agree_up_to_write_allocate_traffic():
    """Two independent bandwidth paths (torch copy_, Numba prange triad), both counting each array once per pass."""

    def copy() -> float:
        return _best_rate(_suite("memcopy", "float32"))

    def triad() -> float:
        return _best_rate(_suite("stream_triad", REGISTRY["stream_triad"].dtypes[0]))

    ratio, pairs = _best_ratio(copy, triad, rounds=7)
    print(f"memcopy/stream_triad best-rate ratio {ratio:.3f}; GB/s pairs "
          + ", ".join(f"{a:.1f}/{b:.1f}" for a, b in pairs))
    # A VM's memory bandwidth is shared with other tenants below it, and moves without any load in the guest: in one
    # run here memcopy went 26.6 -> 31.6 GB/s and the triad 29.8 -> 42.7 GB/s within seven rounds (the two kernels
    # gain differently when the host's memory frees up).
    _skip_if_a_side_moved(pairs, ("memcopy", "stream_triad"), "GB/s", "memory bandwidth")
    # Both count each array once per pass (the STREAM convention), but a cache that allocates on write also reads
    # each destination line before writing it, unless the library uses streaming stores. Then copy really moves 3
    # array-passes for the 2 it counts and the triad 4 for its 3, so the counted ratio is (2/3)/(3/4) = 8/9 with
    # ordinary stores and 1 with streaming ones; 15% either side of that range is measurement (the two kernels differ
    # in threads, vector width and loop overhead: best-rate ratios of 0.83-0.84 were measured on an idle AVX2 VM).
    assert WRITE_ALLOCATE_RATIO * 0.85 <= ratio <= 1.0 * 1.15, ratio
