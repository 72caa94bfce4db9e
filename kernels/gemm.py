"""``gemm``: a dense matrix product C = A @ B (m x k times k x n) through PyTorch, the workhorse of training.

Work of one call (a multiply-add counts two FLOPs, the accumulation of k products per output takes k multiply-adds):

    flops = 2 * m * n * k
    bytes = itemsize * (m*k + k*n + m*n)      (A and B read once, C written once: the minimum traffic)

dtypes: float32; tf32 (CUDA only: float32 storage, products on tensor cores with a 10-bit mantissa, through
``torch.backends.cuda.matmul.allow_tf32``); float16 and bfloat16. float16 on a CPU without native half arithmetic
runs a scalar conversion path (about 0.4 GFLOP/s measured here, 1000x below float32): skipped there with that reason.

Verification: a sampled block of rows and columns of C against float64 (relative error of the block's Frobenius norm,
bounded per dtype by its unit round-off times a growth factor in sqrt(k)).
"""

from __future__ import annotations

import math

from rigbench.kernels.base import (Kernel, KernelFault, KernelSkip, Prepared, RunContext, skip_without_native,
                                  tf32_switches)

_ITEMSIZE = {"float32": 4, "tf32": 4, "float16": 2, "bfloat16": 2}
# Unit round-off of the precision the products are computed in: 2^-24 (fp32), 2^-11 (fp16, tf32: 10+1 bits),
# 2^-8 (bf16). Accumulation is in float32 in every library we drive.
_UNIT_ROUNDOFF = {"float32": 2.0 ** -24, "tf32": 2.0 ** -11, "float16": 2.0 ** -11, "bfloat16": 2.0 ** -8}
_VERIFY_BLOCK = 128


def rel_error_bound(dtype: str, k: int) -> float:
    """Allowed relative error of a product with inner size k: rounding of the inputs (two roundings) plus a
    random-walk accumulation error growing as sqrt(k) in float32, with a safety factor of 4."""
    return 4 * (2 * _UNIT_ROUNDOFF[dtype] + math.sqrt(k) * 2.0 ** -24)


class Gemm(Kernel):
    name = "gemm"
    backend = "torch"
    devices = ("cpu", "cuda")
    dtypes = ("float32", "tf32", "float16", "bfloat16")
    metric = "flops"
    description = "dense matrix product C = A @ B, square sizes that fill the device"

    def cases(self, device: str, dtype: str, ctx: RunContext) -> list[dict]:
        kind = device.split(":")[0]
        if dtype == "tf32" and kind != "cuda":
            return []  # TF32 is a tensor-core mode of NVIDIA GPUs
        if kind == "cpu":
            skip_without_native(device, dtype)
            sizes = [1024] if ctx.quick else [2048, 4096]
        else:
            sizes = [4096] if ctx.quick else [8192]
            mem = ctx.device_memory_bytes
            while mem and sizes[0] > 512 and 3 * sizes[0] ** 2 * _ITEMSIZE[dtype] > mem // 4:
                sizes[0] //= 2
        return [{"m": s, "n": s, "k": s, "itemsize": _ITEMSIZE[dtype]} for s in sizes]

    def label(self, params: dict) -> str:
        m, n, k = params["m"], params["n"], params["k"]
        return f"{m}³" if m == n == k else f"{m}×{n}×{k}"

    def flops(self, params: dict) -> float:
        return 2.0 * params["m"] * params["n"] * params["k"]

    def bytes_moved(self, params: dict) -> float:
        item = params.get("itemsize", 4)
        m, n, k = params["m"], params["n"], params["k"]
        return float(item * (m * k + k * n + m * n))

    def shrink(self, params: dict) -> dict | None:
        """Halve the largest dimension (after out of memory); None below 256."""
        p = dict(params)
        dim = max(("m", "n", "k"), key=lambda d: p[d])
        if p[dim] <= 256:
            return None
        p[dim] //= 2
        return p

    def prepare(self, device: str, dtype: str, params: dict, ctx: RunContext) -> Prepared:
        import torch

        kind = device.split(":")[0]
        if dtype == "tf32" and kind != "cuda":
            raise KernelSkip("tf32 is an NVIDIA tensor-core mode: CUDA devices only")
        storage = {"float32": torch.float32, "tf32": torch.float32, "float16": torch.float16,
                   "bfloat16": torch.bfloat16}[dtype]
        m, n, k = params["m"], params["n"], params["k"]
        gen = torch.Generator(device=device).manual_seed(1234 + m + n + k)
        a = torch.randn(m, k, device=device, dtype=storage, generator=gen)
        b = torch.randn(k, n, device=device, dtype=storage, generator=gen)
        c = torch.empty(m, n, device=device, dtype=storage)
        # float32 must be true float32 (cuBLAS would otherwise be free to use TF32); tf32 asks for it.
        restore = tf32_switches(matmul=dtype == "tf32") if kind == "cuda" else None

        def run() -> None:
            torch.matmul(a, b, out=c)

        def verify() -> None:
            rows = torch.randperm(m, generator=torch.Generator().manual_seed(7))[:_VERIFY_BLOCK].to(device)
            cols = torch.randperm(n, generator=torch.Generator().manual_seed(8))[:_VERIFY_BLOCK].to(device)
            ref = a[rows].double() @ b[:, cols].double()
            got = c[rows][:, cols].double()
            err = float(torch.linalg.vector_norm(got - ref) / torch.linalg.vector_norm(ref))
            bound = rel_error_bound(dtype, k)
            if not math.isfinite(err) or err > bound:
                raise KernelFault(f"{dtype} {m}x{k}x{n} product: relative error {err:.2e} against float64 exceeds "
                                  f"{bound:.2e}")

        def close() -> None:
            if restore is not None:
                restore()

        info = {"torch_threads": torch.get_num_threads() if kind == "cpu" else None,
                "tf32": dtype == "tf32", "verify": f"{_VERIFY_BLOCK}x{_VERIFY_BLOCK} sampled block vs float64"}
        prepared = Prepared.of(run, verify, close, info)
        prepared.tensors = (a, b, c)  # for tests that check the whole product
        return prepared


KERNELS = [Gemm()]
