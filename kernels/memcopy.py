"""``memcopy``: device memory bandwidth, ``dst.copy_(src)`` through PyTorch.

Work of one call: ``bytes = 2 * n * itemsize`` (each element read once from ``src`` and written once to ``dst``).
The STREAM convention is followed: write-allocate traffic (a CPU reading a destination line before writing it, when
the copy does not use non-temporal stores) is not counted, so this is the bandwidth a program sees, not the bus.

Buffers are larger than 4x the last-level cache (from the probe; 32 MiB assumed when unknown), so the copy streams
from DRAM and not from cache. On a GPU the buffers are sized from its memory (1/8 of it, at most 2 GiB each). On a
CPU they are the arrays ``stream_triad`` streams as well (:mod:`rigbench.kernels.host_arrays`): each first touch of
arrays this large costs more than the timed calls.
"""

from __future__ import annotations

import numpy as np

from rigbench.kernels import host_arrays
from rigbench.kernels.base import Kernel, KernelFault, Prepared, RunContext, host_memory_cap
from rigbench.units import fmt_bytes

_ITEMSIZE = 4  # float32
_DEFAULT_LLC_BYTES = 32 * 2 ** 20
_MIB = 2 ** 20


def buffer_bytes(device_kind: str, ctx: RunContext) -> int:
    """Size of each buffer: > 4x the last-level cache on a CPU (within :func:`host_memory_cap` for both buffers), a
    large slice of memory on a GPU."""
    if device_kind == "cuda":
        mem = ctx.device_memory_bytes or 8 * 2 ** 30
        size = min(2 * 2 ** 30, mem // 8)
        return max(64 * _MIB, size // 4 if ctx.quick else size)
    llc = ctx.llc_bytes or _DEFAULT_LLC_BYTES
    size = max(64 * _MIB, (4 if ctx.quick else 8) * llc)
    cap = host_memory_cap(ctx)
    if cap is not None and 2 * size > cap:     # two buffers; whole MiB, never under 16 MiB
        size = max(16 * _MIB, cap // 2 // _MIB * _MIB)
    return size


class Memcopy(Kernel):
    name = "memcopy"
    backend = "torch"
    devices = ("cpu", "cuda")
    dtypes = ("float32",)
    metric = "bandwidth"
    description = "dst.copy_(src) of buffers larger than the cache: bytes read plus written per second"

    def cases(self, device: str, dtype: str, ctx: RunContext) -> list[dict]:
        size = buffer_bytes(device.split(":")[0], ctx)
        return [{"n": size // _ITEMSIZE, "itemsize": _ITEMSIZE, "llc_bytes": ctx.llc_bytes}]

    def label(self, params: dict) -> str:
        return fmt_bytes(params["n"] * params["itemsize"]).replace(".0 ", " ")

    def bytes_moved(self, params: dict) -> float:
        return 2.0 * params["n"] * params["itemsize"]

    def shrink(self, params: dict) -> dict | None:
        if params["n"] * params["itemsize"] <= 16 * _MIB:
            return None
        return dict(params, n=params["n"] // 2)

    def prepare(self, device: str, dtype: str, params: dict, ctx: RunContext) -> Prepared:
        import torch

        n = params["n"]
        if device == "cpu":
            # the arrays stream_triad streams too (host_arrays): its first input as the source, its output as the
            # destination. The source's bytes are float64 values, so the check compares bits, not float32 values
            # (two halves of a double can read as a float32 NaN, which equals nothing).
            src = torch.from_numpy(host_arrays.first_input_float64(n * _ITEMSIZE).view(np.float32)[:n])
            dst = torch.from_numpy(host_arrays.shared(host_arrays.OUTPUT, n * _ITEMSIZE).view(np.float32))
        else:
            # 8191 distinct values repeated along the buffer: a dropped or shifted element still differs from its
            # source, and it is built three times faster than torch.rand's buffer (a buffer of 128 MiB or more)
            src = torch.arange(8191, device=device, dtype=torch.float32).repeat(-(-n // 8191))[:n]
            dst = torch.empty_like(src)
        dst.fill_(-1.0)  # touch every page of dst now, not inside the first timed call

        def run() -> None:
            dst.copy_(src)

        def verify() -> None:
            got, want = dst.view(torch.int32), src.view(torch.int32)
            if not torch.equal(got, want):
                bad = int((got != want).sum())
                raise KernelFault(f"copy of {n} float32 values differs from its source in {bad} places")

        info = {"buffer_bytes": n * _ITEMSIZE, "llc_bytes": ctx.llc_bytes,
                "llc_multiple": (n * _ITEMSIZE / ctx.llc_bytes) if ctx.llc_bytes else None,
                "torch_threads": torch.get_num_threads() if device == "cpu" else None,
                "write_allocate_counted": False}
        prepared = Prepared.of(run, verify, None, info)
        prepared.keep_bytes = 2 * n * _ITEMSIZE     # a copy leaves its source as it was: the runner may keep both
        return prepared


KERNELS = [Memcopy()]
