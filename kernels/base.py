"""The kernel contract: what every benchmark kernel declares and how the runner drives it.

A kernel is a family of measurements (``gemm``, ``memcopy`` ...). For one device and dtype it offers *cases*
(its sizes and variants, as a params dict); for each case it declares the work one call does, as formulas of the
params: ``flops(params)``, ``bytes_moved(params)`` (bytes read plus written) and ``items(params)`` (samples, images
or I/Os). The runner turns a median time into ``value`` in ``unit`` from these, so a formula and the code it
describes live side by side in the kernel's module.

Rules for kernel modules:
- no torch or numba import at module level (the registry is imported by ``--help`` and by the probe's neighbours);
  import inside ``prepare``;
- ``prepare`` allocates fresh random inputs (never zeros) and does every untimed set-up: allocation, compilation,
  warm caches of code (not of data);
- ``Prepared.run`` is the timed region: exactly one call of the measured work, nothing else. The runner
  synchronises the device around it (CUDA events on GPUs);
- ``Prepared.verify`` checks the result against a float64 (or otherwise independent) reference and raises
  ``KernelFault`` when it is wrong: a fast wrong answer is a hardware or software fault, not a result;
- ``Prepared.reset`` (optional) runs untimed before every timed call, for kernels whose inputs must be renewed
  (the disk kernel drops the page cache of its file).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from rigbench.probe.cpu import probe_cpu

# What `value` means, and how it is computed from one call's declared work and its median time.
METRICS = {
    "flops": ("TFLOP/s", lambda k, p, s: k.flops(p) / s / 1e12),
    "bandwidth": ("GB/s", lambda k, p, s: k.bytes_moved(p) / s / 1e9),
    "throughput": ("samples/s", lambda k, p, s: k.items(p) / s),
    "iops": ("IOPS", lambda k, p, s: k.items(p) / s),
}


class KernelFault(Exception):
    """A kernel computed a wrong result (the measurement is invalid, the device may be faulty)."""


class KernelSkip(Exception):
    """This case cannot run here (no such dtype on this device, no GPU ...); the message says why."""


@dataclass
class RunContext:
    """What the runner tells a kernel about the run."""

    quick: bool = False
    data_dir: str | None = None          # where disk_read puts its file
    usable_cores: int = 1                # from the probe
    llc_bytes: int | None = None         # last-level cache size, for bandwidth buffers larger than it
    device_memory_bytes: int | None = None
    host_memory_bytes: int | None = None # usable host memory (RAM, or the cgroup limit below it), from the probe
    extra: dict = field(default_factory=dict)


#: the most of the usable host memory one memory-bandwidth case may hold: the runner may keep two such cases between
#: rounds (memcopy's and stream_triad's), and half of the memory stays for the rest of the suite and the system
HOST_MEMORY_SHARE = 4


def host_memory_cap(ctx: RunContext) -> int | None:
    """Bytes one CPU memory-bandwidth case may hold in all (None: memory unknown). Sizing from the last-level cache
    alone can ask for more than the machine has: a virtual machine may report its host's whole L3 (480 MiB seen),
    and under a cgroup limit the kernel's OOM killer ends the process instead of failing the allocation."""
    if not ctx.host_memory_bytes:
        return None
    return ctx.host_memory_bytes // HOST_MEMORY_SHARE


#: bytes per element of the floating-point dtypes the torch kernels run
ITEMSIZE = {"float32": 4, "bfloat16": 2, "float16": 2}


def tf32_switches(*, matmul: bool | None = None, cudnn: bool | None = None) -> Callable[[], None]:
    """Set PyTorch's process-wide TF32 switches for a CUDA case (``torch.backends.cuda.matmul.allow_tf32``,
    ``torch.backends.cudnn.allow_tf32``; None leaves one alone) and return the call that puts back those it set:
    the case calls it when it closes, so no other case inherits its arithmetic."""
    import torch

    prior = {}
    for name, owner, want in (("matmul", torch.backends.cuda.matmul, matmul), ("cudnn", torch.backends.cudnn, cudnn)):
        if want is not None:
            prior[name] = (owner, owner.allow_tf32)
            owner.allow_tf32 = want

    def restore() -> None:
        for owner, value in prior.values():
            owner.allow_tf32 = value
        prior.clear()

    return restore


def torch_dtype(name: str):
    """The torch dtype of a kernel dtype name ("float32", "bfloat16", "float16")."""
    import torch

    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]


def rel_error(got, ref) -> float:
    """Relative error of a result against its reference: Frobenius norm of the difference over the reference's norm,
    computed in float64."""
    import torch

    got, ref = got.double(), ref.double()
    return float(torch.linalg.vector_norm(got - ref) / torch.linalg.vector_norm(ref).clamp_min(1e-300))


def njit_cached(**options):
    """``numba.njit(cache=True, **options)`` as a decorator: Numba keeps the machine code (next to the source file,
    or in the user's cache folder when that is read-only) and later runs load it instead of compiling again, which
    takes seconds on a small CPU. Where neither folder is writable (a read-only install run with a read-only home,
    as in some containers) Numba refuses ``cache=True`` when decorating; the function is then compiled in every
    process instead, as without a cache."""
    from numba import njit

    def decorate(fn):
        try:
            return njit(cache=True, **options)(fn)
        except RuntimeError:    # "cannot cache function ...: no locator available for file ..."
            return njit(cache=False, **options)(fn)

    return decorate


def cpu_has(*names: str) -> bool:
    """Does this CPU report any of these instruction-set flags (the probe's /proc/cpuinfo reading)?"""
    try:
        flags = probe_cpu().get("flags") or {}
    except Exception:  # noqa: BLE001 - no probe: assume the instructions are absent
        return False
    return any(flags.get(n) for n in names)


# The instructions that give a CPU native arithmetic at a 16-bit precision. Without them PyTorch (oneDNN) converts
# every element to float32 and back around float32 arithmetic: a conversion path, measured here at 0.6% (gemm),
# 4% (conv2d) and 12% (attention backward) of float32, which says nothing about the hardware's capability.
NATIVE_ON_CPU = {
    "bfloat16": (("avx512_bf16", "amx_bf16"), "AVX512-BF16 or AMX-BF16"),
    # AMX tiles multiply float16 only with AMX-FP16 (Granite Rapids); Sapphire Rapids' tiles take bfloat16 and int8
    "float16": (("avx512_fp16", "amx_fp16"), "AVX512-FP16 or AMX-FP16"),
}


def skip_without_native(device: str, dtype: str) -> None:
    """Raise ``KernelSkip`` for a 16-bit dtype on a CPU without native arithmetic at that precision."""
    if device.split(":")[0] != "cpu" or dtype not in NATIVE_ON_CPU:
        return
    flags, names = NATIVE_ON_CPU[dtype]
    if not cpu_has(*flags):
        # the same words for every kernel, so the bench table says it once for all of them
        raise KernelSkip(f"no native {dtype} arithmetic on this CPU (no {names}): PyTorch converts every element "
                         "to float32 and back, a conversion path that says nothing of the hardware")


# Params that record how a case was sized or stored on this machine (the element size, which the dtype already
# names; the cache size a bandwidth buffer was sized against), not what the case runs.
BOOKKEEPING = ("itemsize", "llc_bytes", "llc_known")


def case_params(params: dict) -> str:
    """The params that make a case what it runs (all but :data:`BOOKKEEPING`), as one canonical string. Two figures
    are the same case only when these agree: a label may name two ("batch 32" is the quick suite's small net and the
    default suite's 15x larger one; "random 4 KiB, QD1" 1,000 reads of a 64 MiB file or 10,000 of 1 GiB)."""
    return json.dumps({k: v for k, v in params.items() if k not in BOOKKEEPING}, sort_keys=True, default=str)


def require_torch_device(kernel_name: str, device: str, dtype: str, valid_dtypes) -> None:
    """Raise ``KernelSkip`` for what a torch kernel cannot run here: a CUDA device torch does not see (CPU-only
    build, no GPU), a dtype the kernel does not offer, or bfloat16 on a GPU without it (before compute capability 8.0).
    """
    import torch

    kind = device.split(":")[0]
    if kind == "cuda" and not torch.cuda.is_available():
        raise KernelSkip("torch sees no CUDA device (CPU-only torch build or no GPU)")
    if dtype not in valid_dtypes:
        raise KernelSkip(f"{kernel_name} has no dtype {dtype!r}; valid: {', '.join(valid_dtypes)}")
    if dtype == "bfloat16" and kind == "cuda" and not torch.cuda.is_bf16_supported():
        raise KernelSkip("this GPU has no bfloat16 support (needs compute capability 8.0 or later)")


class Prepared:
    """One case, set up and ready to be timed. Subclass it, or pass callables to ``Prepared.of``."""

    #: facts the kernel learned while preparing (compile time, threads used ...), copied into the result
    info: dict
    #: bytes of host memory this case holds, set only by a kernel whose runs leave their inputs as they were: the
    #: runner may then keep it from its warm-up to its last round instead of preparing it again in every round
    keep_bytes: int | None = None

    def __init__(self) -> None:
        self.info = {}

    def run(self) -> None:  # the timed region
        raise NotImplementedError

    def verify(self) -> None:  # raise KernelFault if the last run computed something wrong
        pass

    def reset(self) -> None:  # untimed, before every timed call; only kernels that need it override
        pass

    def close(self) -> None:  # free buffers, remove files
        pass

    @property
    def needs_reset(self) -> bool:
        return type(self).reset is not Prepared.reset

    @classmethod
    def of(cls, run: Callable[[], Any], verify: Callable[[], Any] | None = None,
           close: Callable[[], Any] | None = None, info: dict | None = None) -> "Prepared":
        p = _FnPrepared(run, verify, close)
        p.info = dict(info or {})
        return p


class _FnPrepared(Prepared):
    def __init__(self, run, verify, close):
        super().__init__()
        self._run, self._verify, self._close = run, verify, close

    def run(self) -> None:
        self._run()

    def verify(self) -> None:
        if self._verify is not None:
            self._verify()

    def close(self) -> None:
        if self._close is not None:
            self._close()


class Kernel:
    """Base class of every kernel. Subclasses set the class attributes and implement ``cases`` and ``prepare``."""

    name: str = ""
    backend: str = "torch"                 # "torch" | "numba" | "io"
    devices: tuple[str, ...] = ("cpu", "cuda")   # device kinds it runs on
    dtypes: tuple[str, ...] = ("float32",)
    metric: str = "flops"                  # a key of METRICS
    # The runner prepares and runs a case once, untimed, before its first timed round (first-preparation costs of
    # the process). A kernel whose data must reach its first round cold (a disk read) says False.
    warm_up: bool = True
    # A kernel that writes its scratch files in RunContext.data_dir: the runner checks that folder is writable
    # before the suite starts.
    writes_data_dir: bool = False
    description: str = ""

    @property
    def unit(self) -> str:
        return METRICS[self.metric][0]

    def cases(self, device: str, dtype: str, ctx: RunContext) -> list[dict]:
        """The params of each measurement on ``device`` ("cpu", "cuda:0") in ``dtype``; [] if none apply."""
        raise NotImplementedError

    def flops(self, params: dict) -> float | None:
        """Floating-point operations of one call (a multiply-add counts 2)."""
        return None

    def bytes_moved(self, params: dict) -> float | None:
        """Bytes one call must read plus write at the least (each input read once, each output written once)."""
        return None

    def items(self, params: dict) -> float | None:
        """Samples, images or I/O operations one call processes."""
        return None

    def prepare(self, device: str, dtype: str, params: dict, ctx: RunContext) -> Prepared:
        raise NotImplementedError

    def value(self, params: dict, seconds: float) -> float:
        """The headline figure of one call that took ``seconds``, in ``unit``."""
        return METRICS[self.metric][1](self, params, seconds)

    def peak_key(self, dtype: str, params: dict) -> str | None:
        """Which of the device's peaks bounds this measurement: 'flops:<dtype>', 'mem_bw', 'h2d_bw' or None."""
        if self.metric == "flops":
            return f"flops:{dtype}"
        if self.metric == "bandwidth":
            return "mem_bw"
        return None

    def host_timed(self, params: dict) -> bool:
        """Whether the time of this case on a GPU includes the host's own work, so that the host's movement moves
        the figure too: a training step's kernel launches (a small net's step is as long as the host takes to
        dispatch it), a copy staged through host memory. Such a GPU figure is judged on the machine's movement as a
        CPU figure is; a kernel whose time is the GPU's alone is not. Kernels override it."""
        return False

    def label(self, params: dict) -> str:
        """A short human name of one case for tables ("1024³", "fwd L=512 d=64"); kernels override it.

        The default lists up to four of the params as ``key=value``, leaving out bookkeeping (item sizes, cache
        sizes) and anything that is not a plain number or word."""
        parts = [f"{k}={v}" for k, v in params.items()
                 if k not in BOOKKEEPING and isinstance(v, (int, float, str)) and not isinstance(v, bool)]
        return " ".join(parts[:4]) + (" …" if len(parts) > 4 else "")

    def __repr__(self) -> str:
        return f"<kernel {self.name} {self.backend} {self.devices} {self.dtypes}>"
