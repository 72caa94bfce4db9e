"""``stream_triad``: the STREAM triad ``a[i] = b[i] + s * c[i]`` in Numba, a second memory-bandwidth path beside
``memcopy`` (which goes through PyTorch).

CPU: ``@njit(parallel=True)`` with ``prange`` on ``min(usable cores, Numba's threads)`` threads. GPU: a
``numba.cuda.jit`` kernel, one element per thread (a grid-stride loop). Compilation happens in ``prepare`` and is
reported as ``compile_s``; it is never timed.

Bytes of one call, by the STREAM convention: ``3 * n * itemsize`` (read b, read c, write a). The
write-allocate read of ``a`` that a CPU cache does before overwriting a line is **not** counted (STREAM does not
count it), so on a CPU without streaming stores the memory bus really moves about 4/3 of this figure.

Each array is at least four times the last-level cache (``RunContext.llc_bytes``), the STREAM rule, so the
arrays cannot live in cache between calls, unless the three together would pass a quarter of usable host memory
(:func:`rigbench.kernels.base.host_memory_cap`), which bounds them first. On a CPU the arrays are shared with
``memcopy`` (:mod:`rigbench.kernels.host_arrays`), and filled in parallel on the threads that stream them.
"""

from __future__ import annotations

import time

import numpy as np

from rigbench import signals
from rigbench.kernels import host_arrays
from rigbench.kernels.base import (Kernel, KernelFault, KernelSkip, Prepared, RunContext, host_memory_cap,
                                  njit_cached)
from rigbench.units import fmt_bytes

_MIB = 1 << 20
_ITEMSIZE = {"float64": 8, "float32": 4}
_DEFAULT_LLC_BYTES = 32 * _MIB   # used when the probe could not read the cache size (info says so)
_SCALAR = 3.0                    # STREAM's scalar

_cpu_fn = None
_gpu_fn = None


def _cpu_triad():
    """The compiled CPU kernel (built once per process; Numba compiles lazily per signature on first call)."""
    global _cpu_fn
    if _cpu_fn is None:
        from numba import prange

        @njit_cached(parallel=True)
        def triad(a, b, c, s):
            for i in prange(a.shape[0]):
                a[i] = b[i] + s * c[i]

        _cpu_fn = triad
    return _cpu_fn


def _triad_cuda_body(a, b, c, s):
    """The GPU kernel's body. It names ``cuda`` as a module global (bound by ``_gpu_triad``) so that Numba's CUDA
    simulator, which swaps the global ``cuda`` of a kernel for its fake, can run it too."""
    start = cuda.grid(1)  # noqa: F821 (bound lazily: no numba import at module level)
    stride = cuda.gridsize(1)  # noqa: F821
    for i in range(start, a.shape[0], stride):
        a[i] = b[i] + s * c[i]


def _gpu_triad():
    global _gpu_fn
    if _gpu_fn is None:
        from numba import cuda as numba_cuda

        # numpy 2.5 removed np.row_stack, an alias of np.vstack; numba-cuda 0.30 still registers an overload for it
        # when its CUDA target first compiles, so every launch fails with AttributeError (NVIDIA/numba-cuda#907;
        # the project is in maintenance mode and leaves it). Putting the alias back is exact.
        if not hasattr(np, "row_stack"):
            np.row_stack = np.vstack
        globals()["cuda"] = numba_cuda
        _gpu_fn = numba_cuda.jit(_triad_cuda_body)
    return _gpu_fn


def array_elements(itemsize: int, llc_bytes: int | None, floor_bytes: int) -> int:
    """Elements per array: at least 4 x LLC and at least ``floor_bytes``, rounded up to whole MiB."""
    need = max(4 * (llc_bytes or _DEFAULT_LLC_BYTES), floor_bytes)
    need = -(-need // _MIB) * _MIB
    return need // itemsize


class StreamTriad(Kernel):
    name = "stream_triad"
    backend = "numba"
    devices = ("cpu", "cuda")
    dtypes = ("float64",)
    metric = "bandwidth"
    description = "STREAM triad a = b + s*c in Numba (njit parallel / numba.cuda): memory bandwidth"

    def cases(self, device: str, dtype: str, ctx: RunContext) -> list[dict]:
        if dtype not in _ITEMSIZE:
            return []
        item = _ITEMSIZE[dtype]
        if device.startswith("cuda"):
            floor = (256 if ctx.quick else 1024) * _MIB
            n = array_elements(item, ctx.llc_bytes, floor)
            if ctx.device_memory_bytes:
                while 3 * n * item > ctx.device_memory_bytes // 2 and n > _MIB:
                    n //= 2
        else:
            n = array_elements(item, ctx.llc_bytes, 64 * _MIB if ctx.quick else 256 * _MIB)
            cap = host_memory_cap(ctx)
            if cap is not None and 3 * n * item > cap:      # three arrays; whole MiB, never under 16 MiB
                n = max(16 * _MIB, cap // 3 // _MIB * _MIB) // item
        return [{"n": n, "itemsize": item, "llc_known": ctx.llc_bytes is not None}]

    def label(self, params: dict) -> str:
        return f"3×{fmt_bytes(params['n'] * params['itemsize']).replace('.0 ', ' ')}"

    def bytes_moved(self, params: dict) -> float:
        return 3.0 * params["n"] * params["itemsize"]

    def flops(self, params: dict) -> float:
        return 2.0 * params["n"]  # one multiply and one add per element (not what bounds it)

    def peak_key(self, dtype: str, params: dict) -> str | None:
        return "mem_bw"

    def shrink(self, params: dict) -> dict | None:
        if params["n"] * params["itemsize"] <= 16 * _MIB:
            return None
        return dict(params, n=params["n"] // 2)

    def prepare(self, device: str, dtype: str, params: dict, ctx: RunContext) -> Prepared:
        if dtype not in _ITEMSIZE:
            raise KernelSkip(f"stream_triad has no dtype {dtype!r}; valid: {', '.join(_ITEMSIZE)}")
        if device.startswith("cuda"):
            from numba import cuda

            if not cuda.is_available():
                raise KernelSkip("numba.cuda finds no usable GPU (no driver or no device)")
            return _GpuTriad(device, dtype, params)
        return _CpuTriad(dtype, params, ctx)


def _inputs(n: int, dtype: str, shared: bool = False):
    """a, b and c of ``n`` elements, filled (:mod:`rigbench.kernels.host_arrays`); ``shared``: in the slots the CPU
    memory-bandwidth kernels share, else arrays of their own (a GPU's host copies)."""
    item = np.dtype(dtype).itemsize
    if shared:
        a, b, c = (host_arrays.shared(slot, n * item).view(dtype)
                   for slot in (host_arrays.OUTPUT, host_arrays.FIRST_INPUT, host_arrays.SECOND_INPUT))
    else:
        a, b, c = (np.empty(n, dtype=dtype) for _ in range(3))
    host_arrays.fill_first_input(b)
    host_arrays.fill_second_input(c)
    host_arrays.fill_output(a)
    return a, b, c


_CHECK_CHUNK = 1 << 20   # elements compared at a time: two 8 MiB float64 temporaries, reused for every chunk


def _check(a, b, c, dtype: str, what: str) -> float:
    """Largest relative error of ``a`` against b + s*c computed in float64; raise KernelFault above the bound.

    Every element is compared, a chunk at a time: whole-array float64 temporaries would be two more arrays four
    times the cache, and the fresh pages they need cost more than the timed calls (a first touch is the slowest
    access a program makes, most of all in a virtual machine whose host backs guest memory on demand)."""
    bound = 4 * float(np.finfo(dtype).eps)  # one rounding of the product and one of the sum (or one FMA)
    ref = np.empty(min(_CHECK_CHUNK, a.shape[0]), dtype=np.float64)
    diff = np.empty_like(ref)
    err = 0.0
    for start in range(0, a.shape[0], _CHECK_CHUNK):
        stop = min(start + _CHECK_CHUNK, a.shape[0])
        r, d = ref[: stop - start], diff[: stop - start]
        np.multiply(c[start:stop], _SCALAR, out=r, dtype=np.float64)
        r += b[start:stop]
        np.subtract(a[start:stop], r, out=d, dtype=np.float64)
        np.abs(d, out=d)
        d /= np.abs(r, out=r)
        worst = float(d.max())
        if not worst <= bound:  # written so that a NaN fails too
            raise KernelFault(f"{what}: relative error {worst:.3g} above {bound:.3g} against float64")
        err = max(err, worst)
    return err


class _CpuTriad(Prepared):
    def __init__(self, dtype: str, params: dict, ctx: RunContext):
        super().__init__()
        import numba

        self.dtype = dtype
        self.threads = max(1, min(ctx.usable_cores, numba.config.NUMBA_NUM_THREADS))
        numba.set_num_threads(self.threads)
        self.fn = _cpu_triad()
        t0 = time.perf_counter()
        small = _inputs(16, dtype)
        with signals.deferred():   # a stop signal inside Numba's compiler would be swallowed there
            self.fn(*small, np.dtype(dtype).type(_SCALAR))  # compiles for this signature
        compile_s = time.perf_counter() - t0
        self.a, self.b, self.c = _inputs(params["n"], dtype, shared=True)
        self.s = np.dtype(dtype).type(_SCALAR)
        self.fn(self.a, self.b, self.c, self.s)  # the first triad, untimed
        self.keep_bytes = 3 * int(self.a.nbytes)  # a triad leaves b and c as they were: the runner may keep all three
        self.info = {"compile_s": round(compile_s, 4), "threads": self.threads,
                     "array_bytes": int(self.a.nbytes), "write_allocate_counted": False,
                     "llc_bytes_assumed": None if params.get("llc_known", True) else _DEFAULT_LLC_BYTES,
                     "threading_layer": None}

    def run(self) -> None:
        import numba

        numba.set_num_threads(self.threads)  # the setting is per calling thread; costs well under a microsecond
        self.fn(self.a, self.b, self.c, self.s)

    def verify(self) -> None:
        import numba

        try:
            self.info["threading_layer"] = numba.threading_layer()
        except ValueError:
            pass
        self.info["max_rel_err"] = _check(self.a, self.b, self.c, self.dtype, "stream_triad cpu")

    def close(self) -> None:
        self.a = self.b = self.c = None


class _GpuTriad(Prepared):
    def __init__(self, device: str, dtype: str, params: dict):
        super().__init__()
        from numba import cuda

        index = int(device.split(":")[1]) if ":" in device else 0
        cuda.select_device(index)
        self.dtype = dtype
        self.fn = _gpu_triad()
        self.s = np.dtype(dtype).type(_SCALAR)
        t0 = time.perf_counter()
        small = [cuda.to_device(x) for x in _inputs(16, dtype)]
        with signals.deferred():   # a stop signal inside Numba's compiler would be swallowed there
            self.fn[1, 32](*small, self.s)
            cuda.synchronize()
        compile_s = time.perf_counter() - t0
        a, b, c = _inputs(params["n"], dtype)
        self.b_host, self.c_host = b, c
        self.a, self.b, self.c = cuda.to_device(a), cuda.to_device(b), cuda.to_device(c)
        self.threads_per_block = 256
        # the simulator has no device attributes; a real GPU reports its SM count
        sms = getattr(getattr(cuda, "get_current_device", lambda: None)(), "MULTIPROCESSOR_COUNT", 1)
        # enough blocks to fill every SM many times over; the grid-stride loop covers the rest
        self.blocks = min(-(-params["n"] // self.threads_per_block), sms * 32)
        self.fn[self.blocks, self.threads_per_block](self.a, self.b, self.c, self.s)
        cuda.synchronize()
        self.info = {"compile_s": round(compile_s, 4), "blocks": self.blocks,
                     "threads_per_block": self.threads_per_block, "array_bytes": int(a.nbytes),
                     "write_allocate_counted": False}

    def run(self) -> None:
        from numba import cuda

        self.fn[self.blocks, self.threads_per_block](self.a, self.b, self.c, self.s)
        cuda.synchronize()  # Numba launches on its own stream: finish inside the timed call

    def verify(self) -> None:
        self.info["max_rel_err"] = _check(self.a.copy_to_host(), self.b_host, self.c_host, self.dtype,
                                          "stream_triad cuda")

    def close(self) -> None:
        self.a = self.b = self.c = self.b_host = self.c_host = None


KERNELS = [StreamTriad()]
