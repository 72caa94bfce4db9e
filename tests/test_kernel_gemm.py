"""gemm: the product is right (float64 reference), the FLOP and byte counts match a hand count."""

import pytest

from rigbench.kernels import REGISTRY, attention, base, conv2d
from rigbench.kernels.base import KernelFault, KernelSkip, RunContext
from rigbench.kernels.gemm import rel_error_bound
from rigbench.probe.cpu import probe_cpu

gemm = REGISTRY["gemm"]


def test_flop_and_byte_counts_by_hand():
    # 2x3 @ 3x4: 8 outputs, each 3 multiply-adds = 24 multiply-adds = 48 FLOP
    p = {"m": 2, "k": 3, "n": 4, "itemsize": 4}
    assert gemm.flops(p) == 48
    # A 6 + B 12 + C 8 = 26 values of 4 bytes
    assert gemm.bytes_moved(p) == 104
    assert gemm.bytes_moved(dict(p, itemsize=2)) == 52


def test_value_is_tflops_from_the_formula():
    p = {"m": 1024, "n": 1024, "k": 1024, "itemsize": 4}
    assert gemm.value(p, 0.01) == pytest.approx(2 * 1024 ** 3 / 0.01 / 1e12)
    assert gemm.unit == "TFLOP/s" and gemm.peak_key("float32", p) == "flops:float32"


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_product_matches_float64_on_the_cpu(dtype):
    import torch

    p = {"m": 96, "n": 80, "k": 112, "itemsize": 4}
    prep = gemm.prepare("cpu", dtype, p, RunContext())
    prep.run()
    prep.verify()   # sampled block against float64
    a, b, c = prep.tensors
    assert a.dtype == getattr(torch, dtype) and a.abs().min() >= 0 and a.std() > 0.5   # random, not zeros
    ref = a.double() @ b.double()
    err = float((c.double() - ref).norm() / ref.norm())
    assert err < rel_error_bound(dtype, 112)
    assert err > 0 or dtype == "float32"


def test_verify_catches_a_wrong_product(monkeypatch):
    import torch

    p = {"m": 64, "n": 64, "k": 64, "itemsize": 4}
    prep = gemm.prepare("cpu", "float32", p, RunContext())
    real = torch.matmul

    def wrong(a, b, out):
        real(a, b, out=out)
        out[3, :] += 1e-3 * out.abs().max()      # a small error in one row: fast and wrong
    monkeypatch.setattr(torch, "matmul", wrong)
    prep.run()
    monkeypatch.setattr(torch, "matmul", real)
    # the sampled block holds all rows for m=64
    with pytest.raises(KernelFault, match="relative error"):
        prep.verify()


def test_error_bounds_order_by_precision():
    assert rel_error_bound("float32", 1024) < rel_error_bound("tf32", 1024) <= rel_error_bound("bfloat16", 1024)


def test_cases_on_the_cpu():
    ctx = RunContext(quick=True)
    assert gemm.cases("cpu", "float32", ctx) == [{"m": 1024, "n": 1024, "k": 1024, "itemsize": 4}]
    assert gemm.cases("cpu", "tf32", ctx) == []
    assert all(c["m"] >= 2048 for c in gemm.cases("cpu", "float32", RunContext()))


def _cpu_flags(monkeypatch, **flags):
    """The CPU's instruction-set flags as /proc/cpuinfo would give them (the hardware boundary)."""
    monkeypatch.setattr(base, "probe_cpu", lambda: {"flags": flags})


# An AVX2 processor (AMD EPYC Zen 3 / Intel Haswell and later) has neither; Zen 4 has avx512_bf16, Sapphire Rapids
# amx_bf16 and amx_tile, and avx512_fp16.
AVX2_ONLY = {"avx2": True, "fma": True}


def test_float16_on_a_cpu_without_native_half_is_skipped_with_the_reason(monkeypatch):
    _cpu_flags(monkeypatch, **AVX2_ONLY)
    with pytest.raises(KernelSkip, match="no native float16 arithmetic on this CPU .no AVX512-FP16 or AMX-FP16"):
        gemm.cases("cpu", "float16", RunContext(quick=True))
    # AMX tiles alone do not multiply float16 (Sapphire Rapids' take bfloat16 and int8): still skipped
    _cpu_flags(monkeypatch, **AVX2_ONLY, avx512f=True, amx_tile=True, amx_bf16=True)
    with pytest.raises(KernelSkip, match="no native float16"):
        gemm.cases("cpu", "float16", RunContext(quick=True))
    _cpu_flags(monkeypatch, **AVX2_ONLY, avx512f=True, amx_tile=True, amx_bf16=True, avx512_fp16=True)
    assert gemm.cases("cpu", "float16", RunContext(quick=True))[0]["m"] == 1024


def test_bfloat16_on_a_cpu_without_native_bfloat16_is_skipped_with_the_reason(monkeypatch):
    _cpu_flags(monkeypatch, **AVX2_ONLY)
    with pytest.raises(KernelSkip, match="no native bfloat16 arithmetic on this CPU .no AVX512-BF16 or AMX-BF16"):
        gemm.cases("cpu", "bfloat16", RunContext(quick=True))
    _cpu_flags(monkeypatch, **AVX2_ONLY, avx512f=True, avx512_bf16=True)
    assert gemm.cases("cpu", "bfloat16", RunContext(quick=True))[0]["m"] == 1024


def test_conv2d_and_attention_in_bfloat16_follow_the_same_rule(monkeypatch):
    _cpu_flags(monkeypatch, **AVX2_ONLY)
    for kernel in (conv2d.KERNELS[0], attention.KERNELS[0]):
        with pytest.raises(KernelSkip, match="no native bfloat16"):
            kernel.cases("cpu", "bfloat16", RunContext())
        assert kernel.cases("cpu", "bfloat16", RunContext(quick=True)) == []   # quick runs float32 only on a CPU
        assert kernel.cases("cpu", "float32", RunContext())
    _cpu_flags(monkeypatch, **AVX2_ONLY, amx_bf16=True)
    assert conv2d.KERNELS[0].cases("cpu", "bfloat16", RunContext())


def test_native_arithmetic_follows_the_probe_s_flags():
    flags = probe_cpu()["flags"]
    assert base.cpu_has("avx512_bf16", "amx_bf16") == bool(flags.get("avx512_bf16") or flags.get("amx_bf16"))


def test_shrink_halves_the_largest_dimension():
    assert gemm.shrink({"m": 8192, "n": 4096, "k": 4096, "itemsize": 4})["m"] == 4096
    assert gemm.shrink({"m": 256, "n": 256, "k": 256, "itemsize": 4}) is None


def test_cuda_paths():
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU on this machine: the tf32/float16 GPU paths run where one is present")
    for dtype in ("float32", "tf32", "float16", "bfloat16"):
        prep = gemm.prepare("cuda:0", dtype, {"m": 512, "n": 512, "k": 512, "itemsize": 4}, RunContext())
        prep.run()
        torch.cuda.synchronize()
        prep.verify()
        prep.close()
