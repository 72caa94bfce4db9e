"""cgroup limits on this process: CPU quota and memory limit, v2 and v1, walking the process's own cgroup path.

Inside a container psutil and /proc report the host's CPUs and RAM; the cgroup is what this process may really use.

Reads (under ``root``, default "/"):
- ``/proc/self/cgroup``: the process's cgroup path per hierarchy (``0::/path`` on v2, ``4:memory:/path`` on v1).
- ``/proc/self/mountinfo``: where each hierarchy is mounted and which cgroup is the mount's root (containers mount
  their own cgroup as the root of ``/sys/fs/cgroup``).
- v2: ``cpu.max`` ("max 100000" or "200000 100000") and ``memory.max`` ("max" or bytes) in every directory from the
  process's cgroup up to the mount point; the tightest wins.
- v1: ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` (quota -1 = none) and ``memory.limit_in_bytes`` (a huge value,
  2**63 rounded down to a page, = none).
"""

from __future__ import annotations

import math
import os
import posixpath

from rigbench.probe._files import read_line, read_mountinfo, read_text

# cgroup v1 writes "no limit" as PAGE_COUNTER_MAX * PAGE_SIZE (9223372036854771712 with 4 KiB pages); anything
# this large is no limit on any real machine.
V1_UNLIMITED_BYTES = 2 ** 62


def _cgroup_paths(root) -> dict[str, str]:
    """Hierarchy -> the process's cgroup path: {"": "/a/b"} for v2, {"cpu": "/x", "memory": "/y"} for v1."""
    paths: dict[str, str] = {}
    for line in (read_text(root, "/proc/self/cgroup") or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":
            paths[""] = path
        for c in controllers.split(","):
            if c:
                paths[c] = path
    return paths


def _cgroup_mounts(root) -> list[tuple[str, str, str, set[str]]]:
    """(fstype, cgroup root, mount point, controllers) for every cgroup/cgroup2 mount in mountinfo."""
    return [(m["fstype"], m["root"], m["mount"], set(m["options"].split(",")))
            for m in read_mountinfo(root) if m["fstype"] in ("cgroup", "cgroup2")]


def _dirs_up(root, fstype: str, controller: str | None) -> list[str]:
    """Directories (absolute, not yet under ``root``) from the process's cgroup up to the hierarchy's mount point."""
    paths = _cgroup_paths(root)
    for kind, cg_root, mount_point, options in _cgroup_mounts(root):
        if kind != fstype or (controller and controller not in options):
            continue
        own = paths.get("" if fstype == "cgroup2" else controller or "")
        if own is None:
            continue
        # With a cgroup namespace (containers) the path is relative to the mount's root already.
        rel = own[len(cg_root):] if cg_root != "/" and own.startswith(cg_root) else own
        rel = rel.strip("/")
        start = posixpath.join(mount_point, rel) if rel else mount_point
        if not os.path.isdir(os.path.join(os.fspath(root), start.lstrip("/"))):
            start = mount_point  # the path is not visible in this mount namespace: only the mount root is
        dirs = []
        current = start
        while True:
            dirs.append(current)
            if current.rstrip("/") == mount_point.rstrip("/") or current in ("/", ""):
                break
            current = posixpath.dirname(current)
        return dirs
    return []


def cpu_quota(root: str | os.PathLike = "/") -> dict:
    """``{"cpu_quota_cores": float | None, "source": path | None, "reason": str | None}``: the tightest quota."""
    best: tuple[float, str] | None = None
    for d in _dirs_up(root, "cgroup2", None):
        text = read_line(root, f"{d}/cpu.max")
        if not text:
            continue
        quota, _, period = text.partition(" ")
        if quota == "max":
            continue
        try:
            cores = int(quota) / int(period or "100000")
        except (ValueError, ZeroDivisionError):
            continue
        if best is None or cores < best[0]:
            best = (cores, f"{d}/cpu.max")
    for d in _dirs_up(root, "cgroup", "cpu"):
        quota = read_line(root, f"{d}/cpu.cfs_quota_us")
        period = read_line(root, f"{d}/cpu.cfs_period_us")
        try:
            q, p = int(quota or "-1"), int(period or "0")
        except ValueError:
            continue
        if q <= 0 or p <= 0:
            continue
        if best is None or q / p < best[0]:
            best = (q / p, f"{d}/cpu.cfs_quota_us")
    if best is None:
        return {"cpu_quota_cores": None, "source": None, "reason": "no cgroup CPU quota on this process's cgroup path"}
    return {"cpu_quota_cores": round(best[0], 4), "source": best[1], "reason": None}


def memory_limit(root: str | os.PathLike = "/") -> dict:
    """``{"limit_bytes": int | None, "source": path | None, "reason": str | None}``: the tightest memory limit."""
    best: tuple[int, str] | None = None
    for d in _dirs_up(root, "cgroup2", None):
        text = read_line(root, f"{d}/memory.max")
        if not text or text == "max" or not text.isdigit():
            continue
        if best is None or int(text) < best[0]:
            best = (int(text), f"{d}/memory.max")
    for d in _dirs_up(root, "cgroup", "memory"):
        text = read_line(root, f"{d}/memory.limit_in_bytes")
        if not text or not text.isdigit() or int(text) >= V1_UNLIMITED_BYTES:
            continue
        if best is None or int(text) < best[0]:
            best = (int(text), f"{d}/memory.limit_in_bytes")
    if best is None:
        return {"limit_bytes": None, "source": None, "reason": "no cgroup memory limit on this process's cgroup path"}
    return {"limit_bytes": best[0], "source": best[1], "reason": None}


def usable_cores(logical_cores: int | None, affinity: int | None, quota_cores: float | None) -> int | None:
    """What this process may really use: the smallest of the logical CPUs, the affinity mask and ceil(quota)."""
    candidates = [n for n in (logical_cores, affinity) if n]
    if quota_cores:
        candidates.append(max(1, math.ceil(quota_cores)))
    return min(candidates) if candidates else None


def affinity_size() -> int | None:
    """How many CPUs the affinity mask of this process allows (None where the OS has no sched_getaffinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None
