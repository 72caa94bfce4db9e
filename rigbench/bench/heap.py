"""The C heap during a benchmark: freed memory kept for reuse instead of handed back to the kernel.

glibc's malloc serves a large block (above ``M_MMAP_THRESHOLD``, 128 KiB at first) with a fresh ``mmap`` and gives
it back with ``munmap`` when freed; it also trims the top of the heap back to the kernel once more than
``M_TRIM_THRESHOLD`` is free, and it moves both thresholds as the program runs (mallopt(3), "M_MMAP_THRESHOLD":
the dynamic adjustment). A kernel that allocates its output on every call (a convolution, an attention, a training
step) then pays page faults for some calls and not others, depending on what the heap happened to hold: measured
here, one convolution's per-round median wandered between 10.6 and 15.6 ms with the default heap and stayed within
11.0-12.2 ms with fixed thresholds, on the same idle machine. That variance belongs to the allocator's heuristics,
not to the hardware being measured.

So the suite fixes both thresholds at its start, as a long-running training process settles into by itself, and as
PyTorch's CPU performance tuning guide advises through a reusing allocator (jemalloc or TCMalloc, "Switch Memory
allocator", pytorch.org/tutorials/recipes/recipes/tuning_guide): blocks up to 32 MiB (the largest threshold glibc
accepts on a 64-bit system) come from the heap, and up to 1 GiB of freed heap is kept. Buffers larger than that
(the memory-bandwidth kernels' arrays) are allocated untimed, in ``prepare``. What was set, or why nothing was, is
recorded in the results file.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

M_TRIM_THRESHOLD = -1       # <malloc.h>
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 * 2 ** 20     # DEFAULT_MMAP_THRESHOLD_MAX on 64-bit glibc: 4 * 1024 * 1024 * sizeof(long)
TRIM_THRESHOLD_BYTES = 2 ** 30


def keep_freed_memory() -> dict:
    """Fix glibc's heap thresholds for this process; what was set, or ``{"set": False, "reason": ...}``."""
    lib, _ = platform.libc_ver()
    if lib != "glibc":
        return {"set": False, "reason": f"the C library is {lib or 'not glibc'}: its heap is left as it is"}
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        ok = (libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
              and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1)
    except (OSError, AttributeError) as exc:
        return {"set": False, "reason": f"mallopt not callable: {exc}"}
    if not ok:
        return {"set": False, "reason": "mallopt refused the thresholds"}
    return {"set": True, "mmap_threshold_bytes": MMAP_THRESHOLD_BYTES, "trim_threshold_bytes": TRIM_THRESHOLD_BYTES,
            "why": "freed memory is reused instead of faulted in again: the allocator's heuristics stay out of the "
                   "timings"}
