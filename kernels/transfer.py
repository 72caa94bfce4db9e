"""``h2d`` and ``d2h``: copies between host memory and a GPU over its host link (PCIe, NVLink-C2C), through PyTorch.

Two host buffers are measured: **pinned** (page-locked, ``pin_memory()``: the DMA engine reads it directly) and
**pageable** (ordinary memory: the driver stages it through its own pinned buffer, usually slower). One call copies
``size_bytes`` once, so ``bytes_moved = size_bytes`` (each byte crosses the link once; the host-side staging copy of
the pageable case is not counted). GPU only: on a machine without CUDA there are no cases.
"""

from __future__ import annotations

from rigbench.kernels.base import Kernel, KernelFault, KernelSkip, Prepared, RunContext
from rigbench.units import fmt_bytes

_MIB = 1 << 20


class Transfer(Kernel):
    backend = "torch"
    devices = ("cuda",)
    dtypes = ("float32",)
    metric = "bandwidth"

    def __init__(self, direction: str):
        if direction not in ("h2d", "d2h"):
            raise ValueError(direction)
        self.direction = direction
        self.name = direction
        self.description = ("host to device copy" if direction == "h2d" else "device to host copy") + \
            ", pinned and pageable host memory"

    def cases(self, device: str, dtype: str, ctx: RunContext) -> list[dict]:
        if not device.startswith("cuda"):
            return []
        size = (64 if ctx.quick else 1024) * _MIB
        if ctx.device_memory_bytes:  # never ask for more than a quarter of the GPU
            while size > ctx.device_memory_bytes // 4 and size > _MIB:
                size //= 2
        return [{"memory": "pinned", "size_bytes": size}, {"memory": "pageable", "size_bytes": size}]

    def label(self, params: dict) -> str:
        return f"{params['memory']} {fmt_bytes(params['size_bytes']).replace('.0 ', ' ')}"

    def host_timed(self, params: dict) -> bool:
        # a pageable copy is the host copying into the driver's pinned staging buffer; a pinned one is DMA alone
        return params.get("memory") == "pageable"

    def bytes_moved(self, params: dict) -> float:
        return float(params["size_bytes"])

    def items(self, params: dict) -> float:
        return 1.0

    def peak_key(self, dtype: str, params: dict) -> str | None:
        return "h2d_bw"  # the host link, taken as symmetric for both directions

    def shrink(self, params: dict) -> dict | None:
        if params["size_bytes"] <= 4 * _MIB:
            return None
        return dict(params, size_bytes=params["size_bytes"] // 2)

    def prepare(self, device: str, dtype: str, params: dict, ctx: RunContext) -> Prepared:
        import torch

        if not device.startswith("cuda"):
            raise KernelSkip(f"{self.name} copies between host and GPU: it needs a cuda device, not {device!r}")
        if not torch.cuda.is_available():
            raise KernelSkip("torch sees no CUDA device (CPU-only torch build or no GPU)")
        return _TransferPrepared(self.direction, device, params)


class _TransferPrepared(Prepared):
    def __init__(self, direction: str, device: str, params: dict):
        super().__init__()
        import torch

        n = params["size_bytes"] // 4
        gen = torch.Generator(device="cpu")
        gen.seed()
        host = torch.rand(n, generator=gen, dtype=torch.float32) + 0.5  # never zeros
        self.pinned = params["memory"] == "pinned"
        if self.pinned:
            host = host.pin_memory()
        self.direction = direction
        if direction == "h2d":
            self.src, self.dst = host, torch.empty(n, dtype=torch.float32, device=device)
        else:
            self.src = host.to(device)
            self.dst = torch.empty(n, dtype=torch.float32, pin_memory=self.pinned)
        self.dst_checked = False
        self.info = {"memory": params["memory"], "host_pinned": bool(host.is_pinned())}

    def run(self) -> None:
        # non_blocking only matters with pinned memory; the runner synchronises after the call
        self.dst.copy_(self.src, non_blocking=self.pinned)

    def verify(self) -> None:
        import torch

        torch.cuda.synchronize()
        a = self.src.cpu() if self.direction == "d2h" else self.src
        b = self.dst.cpu() if self.direction == "h2d" else self.dst
        if not torch.equal(a, b):
            bad = int((a != b).sum())
            raise KernelFault(f"{self.direction}: {bad} of {a.numel()} copied values differ from the source")

    def close(self) -> None:
        self.src = self.dst = None


KERNELS = [Transfer("h2d"), Transfer("d2h")]
