"""The benchmark kernels, installed as ``rigbench.kernels``. ``REGISTRY`` maps a kernel's name to its instance.

One module per family; each module defines ``KERNELS``, a list of ``Kernel`` instances. Importing this package
imports those modules, which must stay light (no torch or numba at module level: see ``base``).
"""

from __future__ import annotations

import importlib

from rigbench.kernels.base import Kernel, KernelFault, KernelSkip, Prepared, RunContext

# The suite, in the order it runs (quick, cheap kernels first).
_MODULES = ["gemm", "conv2d", "attention", "memcopy", "transfer", "stream_triad", "preprocess", "disk_read", "train"]


def _load() -> dict[str, Kernel]:
    registry: dict[str, Kernel] = {}
    for mod in _MODULES:
        try:
            module = importlib.import_module(f"rigbench.kernels.{mod}")
        except ModuleNotFoundError as exc:
            if exc.name == f"rigbench.kernels.{mod}":
                continue  # not written yet
            raise
        for k in module.KERNELS:
            if k.name in registry:
                raise RuntimeError(f"two kernels named {k.name!r}")
            registry[k.name] = k
    return registry


REGISTRY: dict[str, Kernel] = _load()

__all__ = ["REGISTRY", "Kernel", "KernelFault", "KernelSkip", "Prepared", "RunContext"]
