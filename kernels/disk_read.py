"""``disk_read`` and ``disk_iops``: reading a file from the disk that holds the data (``--data-dir``) or the results.

* ``disk_read``: the whole file, sequentially, in 1 MiB blocks: GB/s.
* ``disk_iops``: random 4 KiB-aligned 4 KiB reads over the whole file, one at a time (queue depth 1, one thread):
  IOPS. This is the latency-bound case a data loader of many small files meets.

Two kernels rather than one with two cases, because a kernel has one metric (GB/s or IOPS).

The file is written with random bytes (never zeros: a compressing or deduplicating file system would cheat) in
``prepare``, fsync'ed, and removed in ``close`` (and when ``prepare`` fails or is interrupted: Ctrl-C and SIGTERM
reach it as ``KeyboardInterrupt``). Its name carries the writing process's id, so a file left by a process that
was killed outright (SIGKILL, power loss) is removed by the next run that uses the folder. The page cache is kept out of the
way by, in order of preference:

1. ``O_DIRECT`` reads into page-aligned (mmap-allocated) buffers: the page cache is bypassed;
2. when the file system refuses ``O_DIRECT`` (tmpfs, some overlay set-ups): ordinary reads, with
   ``posix_fadvise(POSIX_FADV_DONTNEED)`` on the file before every timed call (``reset``), which drops its clean
   pages from the cache.

``prepare`` checks that it worked: it times a few cold 4 KiB reads, the same reads again, and the same reads from
the page cache. A repeat much faster than the cold read, or cold reads as fast as cached ones, means a cache still
serves the data; ``info.cache_bypass_verified`` is false then, with the reason. A hypervisor's or a disk's own
cache below the page cache cannot be seen from here (info says so).
"""

from __future__ import annotations

import mmap
import os
import shutil
import tempfile
import time

import numpy as np

from rigbench.kernels.base import Kernel, KernelFault, KernelSkip, Prepared, RunContext
from rigbench.probe.disks import probe_data_dir
from rigbench.units import fmt_bytes

_MIB = 1 << 20
_BLOCK_SEQ = _MIB
_BLOCK_RAND = 4096
_CHUNK = 8 * _MIB            # the unit the file is written and checked in
_FREE_MARGIN = 1.10          # leave 10% beyond the file free on the disk


_RAM_FSTYPES = ("tmpfs", "ramfs")
_PREFIX = ".rigbench-disk-read-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale(folder: str) -> list[str]:
    """Remove scratch files in ``folder`` whose writing process is gone; returns their paths."""
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        if not (name.startswith(_PREFIX) and name.endswith(".bin")):
            continue
        pid = name[len(_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or _pid_alive(int(pid)):
            continue
        path = os.path.join(folder, name)
        try:
            os.unlink(path)
            removed.append(path)
        except OSError:
            pass
    return removed


def _fstype(folder: str) -> str | None:
    """The filesystem type that holds ``folder`` (from /proc/self/mountinfo, through the probe's reader)."""
    try:
        return probe_data_dir(folder).get("fstype")
    except Exception:  # noqa: BLE001 - no mount table: the cache-bypass check below still guards the figure
        return None


def target_dir(ctx: RunContext) -> str:
    """Where the file goes: ``--data-dir``, else the results folder the runner names, else ./results."""
    return ctx.data_dir or ctx.extra.get("results_dir") or os.path.join(os.getcwd(), "results")


def chunk_bytes(seed: int, index: int) -> bytes:
    """Chunk ``index`` of the file: random bytes regenerated from (seed, index), so any block can be checked."""
    return np.random.default_rng([seed, index]).bytes(_CHUNK)


class _DiskKernel(Kernel):
    backend = "io"
    writes_data_dir = True
    # no untimed pass first: it would write and read one more test file (1 GiB in the default suite) only to warm
    # caches this kernel works to keep out; its first preparation has no one-off cost in the process to absorb
    warm_up = False
    devices = ("cpu",)
    dtypes = ("uint8",)

    def peak_key(self, dtype: str, params: dict) -> str | None:
        return None  # no physical peak known for a disk (the probe does not read one)

    def label(self, params: dict) -> str:
        block = fmt_bytes(params["block_bytes"]).replace(".0 ", " ")
        if params.get("access") == "random":
            return f"random {block}, QD{params.get('queue_depth', 1)}"
        return f"seq {block} blocks, {fmt_bytes(params['file_bytes']).replace('.0 ', ' ')} file"

    def prepare(self, device: str, dtype: str, params: dict, ctx: RunContext) -> Prepared:
        if device != "cpu":
            raise KernelSkip(f"{self.name} reads from a disk through the host: device 'cpu' only")
        return _DiskPrepared(self.name, params, target_dir(ctx))


class DiskRead(_DiskKernel):
    name = "disk_read"
    metric = "bandwidth"
    description = "sequential read of a file in 1 MiB blocks, page cache kept out (GB/s)"

    def cases(self, device: str, dtype: str, ctx: RunContext) -> list[dict]:
        if device != "cpu":
            return []
        return [{"access": "sequential", "block_bytes": _BLOCK_SEQ,
                 "file_bytes": (64 if ctx.quick else 1024) * _MIB}]

    def bytes_moved(self, params: dict) -> float:
        return float(params["file_bytes"])

    def items(self, params: dict) -> float:
        return float(params["file_bytes"] // params["block_bytes"])


class DiskIops(_DiskKernel):
    name = "disk_iops"
    metric = "iops"
    description = "random 4 KiB reads of a file, queue depth 1, page cache kept out (IOPS)"

    def cases(self, device: str, dtype: str, ctx: RunContext) -> list[dict]:
        if device != "cpu":
            return []
        return [{"access": "random", "block_bytes": _BLOCK_RAND, "file_bytes": (64 if ctx.quick else 1024) * _MIB,
                 "reads": 1000 if ctx.quick else 10000, "queue_depth": 1}]

    def bytes_moved(self, params: dict) -> float:
        return float(params["reads"] * params["block_bytes"])

    def items(self, params: dict) -> float:
        return float(params["reads"])


class _DiskPrepared(Prepared):
    def __init__(self, kernel: str, params: dict, folder: str):
        super().__init__()
        self.params, self.kernel = params, kernel
        self.file_bytes = params["file_bytes"]
        if self.file_bytes % _CHUNK:
            raise KernelSkip(f"{kernel}: file size must be a multiple of {_CHUNK // _MIB} MiB")
        self.fd = self.path = None
        self.buf = None
        self.rng = np.random.default_rng()
        self.seed = int(self.rng.integers(1 << 62))
        try:
            os.makedirs(folder, exist_ok=True)
            remove_stale(folder)
            free = shutil.disk_usage(folder).free
        except OSError as exc:
            raise KernelSkip(f"{kernel}: cannot use {folder}: {exc.strerror or exc}") from None
        fstype = _fstype(folder)
        if fstype in _RAM_FSTYPES:
            raise KernelSkip(f"{kernel}: {folder} is on {fstype}, which lives in RAM: its reads measure memory, not "
                             "a disk (give --data-dir on the disk that holds your datasets)")
        if free < self.file_bytes * _FREE_MARGIN:
            raise KernelSkip(f"{kernel}: {folder} has {free / 2**30:.2f} GiB free, needs "
                             f"{self.file_bytes * _FREE_MARGIN / 2**30:.2f} GiB for its test file")
        try:
            self._write(folder)
            self._open()
            self.info = {"file": self.path, "file_bytes": self.file_bytes, "method": self.method,
                         "o_direct_refused": self.o_direct_refused}
            self._check_cache_bypass()
            self.last = None  # (offset, length) of the last read block, for verify
            self.offsets = None
            self.reset()
        except BaseException:  # a failure, Ctrl-C or SIGTERM while preparing: no file left behind
            self.close()
            raise

    def __del__(self):  # a prepared case dropped without close (interrupted between prepare and its caller)
        try:
            self.close()
        except Exception:  # noqa: BLE001 - at interpreter exit modules may be gone; remove_stale covers it
            pass

    # --- set-up -----------------------------------------------------------------------------------------------
    def _write(self, folder: str) -> None:
        fd, self.path = tempfile.mkstemp(prefix=f"{_PREFIX}{os.getpid()}-", suffix=".bin", dir=folder)
        try:
            for i in range(self.file_bytes // _CHUNK):
                view = memoryview(chunk_bytes(self.seed, i))
                while view:
                    view = view[os.write(fd, view):]
            os.fsync(fd)  # clean pages only: DONTNEED can drop them
        except OSError as exc:
            raise KernelSkip(f"{self.kernel}: cannot write its test file in {folder}: {exc.strerror or exc}") from None
        finally:
            os.close(fd)

    def _open(self) -> None:
        size = max(self.params["block_bytes"], 4096)
        self.buf = mmap.mmap(-1, size)  # page-aligned, as O_DIRECT needs
        self.o_direct_refused = None
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_DIRECT)
            try:
                os.preadv(fd, [self.buf], 0)
            except OSError as exc:
                os.close(fd)
                raise exc
            self.fd, self.method = fd, "O_DIRECT"
        except (OSError, AttributeError) as exc:
            self.o_direct_refused = getattr(exc, "strerror", None) or str(exc) or "O_DIRECT unavailable"
            self.fd = os.open(self.path, os.O_RDONLY)
            self.method = "posix_fadvise(DONTNEED) before each call"
            if self.params["access"] == "random":  # no read-ahead: each 4 KiB read is one I/O, as with O_DIRECT
                os.posix_fadvise(self.fd, 0, 0, os.POSIX_FADV_RANDOM)
        self.view = memoryview(self.buf)[: self.params["block_bytes"]]

    def _drop_cache(self) -> None:
        os.posix_fadvise(self.fd, 0, 0, os.POSIX_FADV_DONTNEED)

    def _timed_reads(self, fd: int, offsets) -> float:
        view4k = memoryview(self.buf)[:4096]
        t0 = time.perf_counter()
        for off in offsets:
            os.preadv(fd, [view4k], int(off))
        return (time.perf_counter() - t0) / len(offsets)

    def _check_cache_bypass(self) -> None:
        """Cold reads, the same reads again (the method's own repeat), and from the page cache: per-read times."""
        n_blocks = self.file_bytes // 4096
        offsets = self.rng.choice(n_blocks, size=min(256, n_blocks), replace=False) * 4096
        self._drop_cache()
        cold = self._timed_reads(self.fd, offsets)
        self._drop_cache()
        repeat = self._timed_reads(self.fd, offsets)
        plain = os.open(self.path, os.O_RDONLY)
        try:
            self._timed_reads(plain, offsets)  # fills the page cache
            cached = self._timed_reads(plain, offsets)
        finally:
            os.close(plain)
        self._drop_cache()
        reasons = []
        if repeat < cold / 5:
            reasons.append(f"a repeated read took {repeat * 1e6:.1f} us against {cold * 1e6:.1f} us cold: "
                           "a cache kept the first read")
        if cold < 2 * cached:
            reasons.append(f"cold reads ({cold * 1e6:.1f} us) are as fast as page-cache reads "
                           f"({cached * 1e6:.1f} us): the reads are served from a cache")
        if repeat < 2 * cached:
            reasons.append(f"repeated reads ({repeat * 1e6:.1f} us) are as fast as page-cache reads "
                           f"({cached * 1e6:.1f} us): the reads are served from a cache")
        self.info.update({
            "cold_read_us": round(cold * 1e6, 2), "repeat_read_us": round(repeat * 1e6, 2),
            "page_cache_read_us": round(cached * 1e6, 2),
            "cache_bypass_verified": not reasons,
            "cache_bypass_reason": "; ".join(reasons) or None,
            "not_visible": "a hypervisor's or the drive's own cache below the page cache",
        })

    # --- the timed region ---------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Untimed, before each call: drop the file's pages from the page cache; draw new random offsets."""
        if self.fd is None:
            return
        self._drop_cache()
        if self.params["access"] == "random":
            n_blocks = self.file_bytes // self.params["block_bytes"]
            self.offsets = (self.rng.integers(0, n_blocks, size=self.params["reads"])
                            * self.params["block_bytes"]).tolist()

    def run(self) -> None:
        fd, view, preadv = self.fd, self.view, os.preadv
        if self.params["access"] == "sequential":
            block = self.params["block_bytes"]
            off = 0
            for off in range(0, self.file_bytes, block):
                if preadv(fd, [view], off) != block:
                    raise KernelFault(f"{self.kernel}: short read at offset {off}")
            self.last = (off, block)
        else:
            off = 0
            for off in self.offsets:
                preadv(fd, [view], off)
            self.last = (off, self.params["block_bytes"])

    def verify(self) -> None:
        """The last block read holds the bytes written there."""
        if self.last is None:
            raise KernelFault(f"{self.kernel}: verify called before run")
        off, length = self.last
        chunk = chunk_bytes(self.seed, off // _CHUNK)
        start = off % _CHUNK
        if bytes(self.view[:length]) != chunk[start:start + length]:
            raise KernelFault(f"{self.kernel}: the {length} bytes read at offset {off} differ from what was written")

    def close(self) -> None:
        if self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = None
        if self.path is not None:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
            self.path = None
        if getattr(self, "view", None) is not None:
            self.view.release()
            self.view = None
        if self.buf is not None:
            self.buf.close()
            self.buf = None


KERNELS = [DiskRead(), DiskIops()]
