"""Memory: total, available, swap, and the cgroup limit on this process.

Reads ``/proc/meminfo`` under ``root`` (values in KiB: MemTotal, MemAvailable, SwapTotal, SwapFree); the cgroup limit
comes from :mod:`rigbench.probe.limits`.
"""

from __future__ import annotations

import os

from rigbench.probe import limits
from rigbench.probe._files import read_text

MEMINFO = "/proc/meminfo"


def parse_meminfo(text: str) -> dict[str, int]:
    """``/proc/meminfo`` text -> {field: bytes} (the kernel writes kB and means KiB)."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        key, sep, rest = line.partition(":")
        parts = rest.split()
        if not sep or not parts or not parts[0].isdigit():
            continue
        factor = 1024 if len(parts) > 1 and parts[1] == "kB" else 1
        out[key.strip()] = int(parts[0]) * factor
    return out


def probe_memory(root: str | os.PathLike = "/") -> dict:
    """``total_bytes``, ``available_bytes``, ``swap_bytes`` (swap size), ``swap_free_bytes``, ``limit_bytes``."""
    info = parse_meminfo(read_text(root, MEMINFO) or "")
    limit = limits.memory_limit(root)
    total = info.get("MemTotal")
    effective = total
    if limit["limit_bytes"] is not None and total is not None:
        effective = min(total, limit["limit_bytes"])
    return {
        "total_bytes": total,
        "available_bytes": info.get("MemAvailable"),
        "swap_bytes": info.get("SwapTotal"),
        "swap_free_bytes": info.get("SwapFree"),
        "limit_bytes": limit["limit_bytes"],
        "limit_source": limit["source"],
        "limit_reason": limit["reason"],
        # What a training job in this process can really hold: the smaller of RAM and the cgroup limit.
        "usable_bytes": effective,
    }
