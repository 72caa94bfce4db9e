"""stream_triad: the STREAM byte count, the CPU kernel against float64, the CUDA kernel under Numba's simulator."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from rigbench.kernels import REGISTRY, KernelFault, RunContext
from rigbench.kernels.stream_triad import _CHECK_CHUNK, _check, array_elements

K = REGISTRY["stream_triad"]
MIB = 1 << 20


def test_bytes_are_two_reads_and_one_write():
    # 1000 float64 elements: read b (8000 B), read c (8000 B), write a (8000 B); no write-allocate read of a
    assert K.bytes_moved({"n": 1000, "itemsize": 8}) == 24000
    assert K.flops({"n": 1000, "itemsize": 8}) == 2000
    assert K.peak_key("float64", {"n": 1000, "itemsize": 8}) == "mem_bw"


def test_each_array_is_at_least_four_times_the_llc():
    ctx = RunContext(quick=True, llc_bytes=32 * MIB)
    (case,) = K.cases("cpu", "float64", ctx)
    assert case["n"] * 8 >= 4 * 32 * MIB
    big = RunContext(quick=True, llc_bytes=96 * MIB)  # e.g. a 96 MiB L3 (AMD 3D V-Cache)
    (case,) = K.cases("cpu", "float64", big)
    assert case["n"] * 8 >= 4 * 96 * MIB
    assert array_elements(8, None, 0) * 8 == 4 * 32 * MIB  # unknown LLC: the 32 MiB assumption, said in info


def test_the_arrays_stay_within_a_quarter_of_host_memory():
    # a VM may report its host's whole L3 (480 MiB): 4x that is 1920 MiB an array, 5.6 GiB for three; with 4 GiB of
    # usable memory the three arrays together get a quarter of it, 1 GiB: 341 MiB each (whole MiB)
    small = RunContext(quick=True, llc_bytes=480 * MIB, host_memory_bytes=4 << 30)
    (case,) = K.cases("cpu", "float64", small)
    assert case["n"] * 8 == 341 * MIB
    roomy = RunContext(quick=True, llc_bytes=480 * MIB, host_memory_bytes=24 << 30)
    (case,) = K.cases("cpu", "float64", roomy)
    assert case["n"] * 8 == 1920 * MIB                          # 5.6 GiB of 24: the STREAM rule holds
    tiny = RunContext(quick=True, llc_bytes=32 * MIB, host_memory_bytes=64 * MIB)
    (case,) = K.cases("cpu", "float64", tiny)
    assert case["n"] * 8 == 16 * MIB                            # never under 16 MiB an array


def test_cpu_triad_matches_float64():
    ctx = RunContext(usable_cores=2)
    p = K.prepare("cpu", "float64", {"n": 100_003, "itemsize": 8}, ctx)
    p.run()
    p.verify()
    assert np.array_equal(p.a, p.b + 3.0 * p.c)
    assert p.info["max_rel_err"] <= 4 * np.finfo(np.float64).eps
    assert p.info["compile_s"] > 0 and p.info["threads"] >= 1
    assert p.info["write_allocate_counted"] is False
    p.close()


def test_cpu_triad_wrong_result_is_a_fault():
    p = K.prepare("cpu", "float64", {"n": 1000, "itemsize": 8}, RunContext())
    p.run()
    p.a[500] += 1e-6
    with pytest.raises(KernelFault):
        p.verify()


def test_check_compares_every_chunk_and_fails_on_nan():
    # the check walks the arrays a chunk at a time; an error past the first chunk, in the short last chunk, or a NaN
    # anywhere must still fail it, and a float32 triad is held to float32's bound in float64 arithmetic
    n = 2 * _CHECK_CHUNK + 7
    b = np.full(n, 1.5)
    c = np.full(n, 2.0)
    a = b + 3.0 * c                                  # 7.5 exactly
    assert _check(a, b, c, "float64", "t") == 0.0
    for where, bad in ((_CHECK_CHUNK + 3, 7.5 * (1 + 1e-12)), (n - 1, 7.5 * (1 + 1e-12)), (n // 2, np.nan)):
        wrong = a.copy()
        wrong[where] = bad
        with pytest.raises(KernelFault, match="relative error"):
            _check(wrong, b, c, "float64", "t")
    a32 = (b + 3.0 * c).astype(np.float32)
    assert _check(a32, b.astype(np.float32), c.astype(np.float32), "float32", "t") == 0.0


def test_cpu_triad_inputs_are_varied_and_nonzero():
    p = K.prepare("cpu", "float64", {"n": 20_000, "itemsize": 8}, RunContext())
    assert p.b.min() >= 1.0 and p.c.min() > 1.0 and len(np.unique(p.b)) == len(np.unique(p.c)) == 8191
    # an element moved by one place no longer matches: neighbours always differ
    assert (np.diff(p.b) != 0).all() and (np.diff(p.c) != 0).all()
    k = np.arange(20_000) % 8191 / 8191.0
    np.testing.assert_array_equal(p.b, 1.0 + k)
    np.testing.assert_array_equal(p.c, 2.0 - k)
    # the untimed first triad; within the check's bound (an FMA rounds once where numpy rounds twice)
    np.testing.assert_allclose(p.a, p.b + 3.0 * p.c, rtol=4 * np.finfo(np.float64).eps, atol=0)


def test_cuda_kernel_under_numba_simulator():
    # NUMBA_ENABLE_CUDASIM must be set before numba.cuda is first imported: a fresh process.
    # 9000 elements with 1 simulated SM -> 32 blocks x 256 threads = 8192 threads, so the grid-stride loop runs twice.
    code = textwrap.dedent("""
        import json
        import numpy as np
        from rigbench.kernels import REGISTRY, RunContext
        k = REGISTRY["stream_triad"]
        p = k.prepare("cuda:0", "float64", {"n": 9000, "itemsize": 8}, RunContext())
        p.run()
        p.verify()
        a = p.a.copy_to_host()
        print(json.dumps({"equal": bool(np.array_equal(a, p.b_host + 3.0 * p.c_host)), "blocks": p.info["blocks"],
                          "min": float(a.min())}))
    """)
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res == {"equal": True, "blocks": 32, "min": pytest.approx(res["min"])} and res["min"] >= 4.0


def test_the_cuda_triad_runs_on_a_numpy_without_row_stack():
    # numpy 2.5 removed np.row_stack, which numba-cuda 0.30 still overloads when its target first compiles: the
    # kernel puts the alias back. Here numpy is made to look like 2.5 before the first compile (simulator).
    code = textwrap.dedent("""
        import numpy as np
        if hasattr(np, "row_stack"):
            del np.row_stack
        from rigbench.kernels import REGISTRY, RunContext
        p = REGISTRY["stream_triad"].prepare("cuda:0", "float64", {"n": 4096, "itemsize": 8}, RunContext())
        p.run()
        p.verify()
        print(np.row_stack is np.vstack)
    """)
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "True"


def test_real_gpu_triad():
    from numba import cuda

    if not cuda.is_available():
        pytest.skip("no CUDA GPU for numba on this machine: the real-device triad needs one (simulated above)")
    p = K.prepare("cuda:0", "float64", {"n": 1 << 20, "itemsize": 8}, RunContext())
    p.run()
    p.verify()
