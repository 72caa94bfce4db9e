"""h2d / d2h: GPU only. The formulas are tested everywhere; the copies where torch sees a CUDA GPU."""

import pytest

from rigbench.kernels import REGISTRY, KernelSkip, RunContext

MIB = 1 << 20


@pytest.mark.parametrize("name", ["h2d", "d2h"])
def test_bytes_are_the_buffer_once(name):
    k = REGISTRY[name]
    assert k.bytes_moved({"memory": "pinned", "size_bytes": 64 * MIB}) == 67108864
    assert k.metric == "bandwidth" and k.unit == "GB/s"
    assert k.peak_key("float32", {"memory": "pinned", "size_bytes": 1}) == "h2d_bw"
    # 64 MiB in 5 ms = 13.42 GB/s
    assert k.value({"memory": "pinned", "size_bytes": 64 * MIB}, 0.005) == pytest.approx(13.4217728)


@pytest.mark.parametrize("name", ["h2d", "d2h"])
def test_no_cases_on_cpu(name):
    k = REGISTRY[name]
    assert k.devices == ("cuda",)
    assert k.cases("cpu", "float32", RunContext(quick=True)) == []
    assert k.cases("cpu", "float32", RunContext()) == []


def test_cuda_cases_are_pinned_and_pageable_within_a_quarter_of_memory():
    k = REGISTRY["h2d"]
    cases = k.cases("cuda:0", "float32", RunContext(quick=False, device_memory_bytes=2 << 30))
    assert [c["memory"] for c in cases] == ["pinned", "pageable"]
    assert all(c["size_bytes"] <= (2 << 30) // 4 for c in cases)


def test_shrink_halves_then_stops():
    k = REGISTRY["d2h"]
    assert k.shrink({"memory": "pinned", "size_bytes": 64 * MIB})["size_bytes"] == 32 * MIB
    assert k.shrink({"memory": "pinned", "size_bytes": 4 * MIB}) is None


def test_prepare_on_cpu_is_a_skip_with_a_reason():
    with pytest.raises(KernelSkip, match="cuda"):
        REGISTRY["h2d"].prepare("cpu", "float32", {"memory": "pinned", "size_bytes": MIB}, RunContext())


@pytest.mark.parametrize("name", ["h2d", "d2h"])
@pytest.mark.parametrize("memory", ["pinned", "pageable"])
def test_copy_on_gpu_is_exact(name, memory):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU on this machine: h2d/d2h copy between host and a GPU")
    k = REGISTRY[name]
    p = k.prepare("cuda:0", "float32", {"memory": memory, "size_bytes": 4 * MIB}, RunContext())
    p.run()
    torch.cuda.synchronize()
    p.verify()
    assert p.info["host_pinned"] is (memory == "pinned")
    p.close()
