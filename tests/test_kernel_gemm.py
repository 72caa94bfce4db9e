"""gemm: the product is right (float64 reference), the FLOP and byte counts match a hand count."""

import pytest

from rigbench.kernels import REGISTRY
from rigbench.kernels.base import KernelFault, KernelSkip, RunContext
from rigbench.kernels.gemm import rel_error_bound

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


def test_float16_on_a_cpu_without_native_half_is_skipped_with_the_reason(monkeypatch):
    from rigbench.kernels import gemm as mod

    monkeypatch.setattr(mod, "_fp16_native_on_cpu", lambda: False)
    with pytest.raises(KernelSkip, match="no native half arithmetic"):
        gemm.cases("cpu", "float16", RunContext(quick=True))


def test_bfloat16_on_a_cpu_without_native_bfloat16_is_skipped_with_the_reason(monkeypatch):
    from rigbench.kernels import gemm as mod

    monkeypatch.setattr(mod, "_bf16_native_on_cpu", lambda: False)
    with pytest.raises(KernelSkip, match="no native bfloat16 arithmetic"):
        gemm.cases("cpu", "bfloat16", RunContext(quick=True))
    monkeypatch.setattr(mod, "_bf16_native_on_cpu", lambda: True)
    assert gemm.cases("cpu", "bfloat16", RunContext(quick=True))[0]["m"] == 1024


def test_native_arithmetic_follows_the_probe_s_flags():
    from rigbench.kernels import gemm as mod
    from rigbench.probe.cpu import probe_cpu

    flags = probe_cpu()["flags"]
    assert mod._bf16_native_on_cpu() == bool(flags.get("avx512_bf16") or flags.get("amx_bf16"))


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
