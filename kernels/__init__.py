"""The benchmark kernels, installed as ``rigbench.kernels``. ``REGISTRY`` maps a kernel's name to its instance.

One module per family; each module defines ``KERNELS``, a list of ``Kernel`` instances. Importing this package
imports those modules, which must stay light (no torch or numba at module level: see ``base``).
"""

from __future__ import annotations

from rigbench.kernels import attention, conv2d, disk_read, gemm, memcopy, preprocess, stream_triad, train, transfer
from rigbench.kernels.base import Kernel, KernelFault, KernelSkip, Prepared, RunContext

# The suite, in the order it runs (quick, cheap kernels first). allreduce and ddp_train run only in distributed runs
# (rigbench.bench.distributed), so they are not part of it.
_MODULES = [gemm, conv2d, attention, memcopy, transfer, stream_triad, preprocess, disk_read, train]


def _load() -> dict[str, Kernel]:
    registry: dict[str, Kernel] = {}
    for module in _MODULES:
        for k in module.KERNELS:
            if k.name in registry:
                raise RuntimeError(f"two kernels named {k.name!r}")
            registry[k.name] = k
    return registry


REGISTRY: dict[str, Kernel] = _load()

__all__ = ["REGISTRY", "Kernel", "KernelFault", "KernelSkip", "Prepared", "RunContext"]
