"""memcopy: the copy is exact, bytes are read plus written, buffers are larger than the cache."""

import pytest

from rigbench.kernels import REGISTRY
from rigbench.kernels.base import KernelFault, RunContext

memcopy = REGISTRY["memcopy"]


def test_bytes_are_read_plus_written_by_hand():
    # 1000 float32 values: 4000 bytes read + 4000 bytes written
    assert memcopy.bytes_moved({"n": 1000, "itemsize": 4}) == 8000
    assert memcopy.value({"n": 1000, "itemsize": 4}, 1e-6) == pytest.approx(8.0)   # 8000 B / 1 us = 8 GB/s
    assert memcopy.unit == "GB/s" and memcopy.peak_key("float32", {}) == "mem_bw"


def test_buffers_are_larger_than_four_times_the_llc():
    ctx = RunContext(quick=True, llc_bytes=32 * 2 ** 20)
    (p,) = memcopy.cases("cpu", "float32", ctx)
    assert p["n"] * p["itemsize"] >= 4 * 32 * 2 ** 20
    (p,) = memcopy.cases("cpu", "float32", RunContext(llc_bytes=64 * 2 ** 20))
    assert p["n"] * p["itemsize"] >= 4 * 64 * 2 ** 20


def test_buffers_stay_within_a_quarter_of_host_memory():
    mib = 2 ** 20
    # a 480 MiB L3 (a VM reporting its host's): 1920 MiB a buffer in --quick, 3840 MiB in the default suite
    roomy = RunContext(quick=True, llc_bytes=480 * mib, host_memory_bytes=24 << 30)
    assert memcopy.cases("cpu", "float32", roomy)[0]["n"] * 4 == 1920 * mib
    # the default suite's two 3840 MiB buffers are more than a quarter of 24 GiB (6 GiB): 3 GiB each
    full = RunContext(quick=False, llc_bytes=480 * mib, host_memory_bytes=24 << 30)
    assert memcopy.cases("cpu", "float32", full)[0]["n"] * 4 == 3072 * mib
    # 4 GiB of usable memory: a quarter is 1 GiB, 512 MiB a buffer
    small = RunContext(quick=True, llc_bytes=480 * mib, host_memory_bytes=4 << 30)
    assert memcopy.cases("cpu", "float32", small)[0]["n"] * 4 == 512 * mib
    # a GPU is sized from its own memory, not the host's
    gpu = RunContext(quick=True, llc_bytes=480 * mib, host_memory_bytes=1 << 30, device_memory_bytes=80 << 30)
    assert memcopy.cases("cuda:0", "float32", gpu)[0]["n"] * 4 == 512 * mib


def test_copy_is_exact_and_verify_catches_a_corrupt_copy():
    p = {"n": 1 << 16, "itemsize": 4}
    prep = memcopy.prepare("cpu", "float32", p, RunContext())
    prep.run()
    prep.verify()
    # a copy that corrupts one element must not pass
    import torch

    real = torch.Tensor.copy_

    def broken(self, src, non_blocking=False):
        real(self, src)
        self[17] = -5.0
        return self

    torch.Tensor.copy_ = broken
    try:
        prep.run()
    finally:
        torch.Tensor.copy_ = real
    with pytest.raises(KernelFault, match="differs from its source in 1 places"):
        prep.verify()


def test_shrink_halves_and_stops():
    assert memcopy.shrink({"n": 1 << 26, "itemsize": 4})["n"] == 1 << 25
    assert memcopy.shrink({"n": 1 << 20, "itemsize": 4}) is None


def test_cuda_copy():
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU on this machine: the GPU copy runs where one is present")
    prep = memcopy.prepare("cuda:0", "float32", {"n": 1 << 20, "itemsize": 4}, RunContext())
    prep.run()
    torch.cuda.synchronize()
    prep.verify()
