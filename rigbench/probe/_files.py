"""Reading small kernel files (/proc, /sys, /etc) under a root, so every probe can be pointed at a fixture tree.

Files are read as bytes and decoded as UTF-8: the locale never changes what a probe sees.
"""

from __future__ import annotations

import os


def under(root: str | os.PathLike, path: str) -> str:
    """``path`` (absolute, e.g. ``/proc/cpuinfo``) inside ``root``."""
    return os.path.join(os.fspath(root), path.lstrip("/"))


def read_text(root: str | os.PathLike, path: str) -> str | None:
    """The file's text (UTF-8, undecodable bytes replaced), or None when it is missing or unreadable."""
    try:
        with open(under(root, path), "rb") as fh:
            return fh.read().decode("utf-8", errors="replace")
    except OSError:
        return None


def read_line(root: str | os.PathLike, path: str) -> str | None:
    """The file's text stripped of surrounding white space; None when missing, unreadable or empty."""
    text = read_text(root, path)
    if text is None:
        return None
    text = text.strip()
    return text or None


def read_int(root: str | os.PathLike, path: str) -> int | None:
    """The file's content as an integer, or None."""
    text = read_line(root, path)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return None


def list_dir(root: str | os.PathLike, path: str) -> list[str]:
    """Sorted entries of a directory, or [] when it is missing."""
    try:
        return sorted(os.listdir(under(root, path)))
    except OSError:
        return []


MOUNTINFO = "/proc/self/mountinfo"


def parse_mountinfo(text: str) -> list[dict]:
    """``/proc/self/mountinfo`` text -> [{mount, root, major, minor, fstype, source, options}], in mount order.

    Format: proc(5). Fields before " - " are mount ID, parent ID, MAJ:MIN, root, mount point, mount options and
    optional tags; after it come the filesystem type, the source and the super-block options.
    """
    mounts = []
    for line in text.splitlines():
        pre, sep, post = line.partition(" - ")
        fields, tail = pre.split(), post.split()
        if not sep or len(fields) < 6 or len(tail) < 2:
            continue
        major, _, minor = fields[2].partition(":")
        try:
            mounts.append({
                "mount": _unescape(fields[4]), "root": _unescape(fields[3]), "major": int(major), "minor": int(minor),
                "fstype": tail[0], "source": _unescape(tail[1]), "options": tail[2] if len(tail) > 2 else "",
            })
        except ValueError:
            continue
    return mounts


def read_mountinfo(root: str | os.PathLike) -> list[dict]:
    """The mounts this process sees (``/proc/self/mountinfo`` under ``root``); [] when unreadable."""
    return parse_mountinfo(read_text(root, MOUNTINFO) or "")


def _unescape(field: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as octal (\\040 ...)."""
    return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def parse_cpu_list(text: str | None) -> set[int]:
    """``"0-3,8,10-11"`` (the kernel's cpulist format) -> {0, 1, 2, 3, 8, 10, 11}."""
    cpus: set[int] = set()
    if not text:
        return cpus
    for part in text.strip().split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition("-")
        try:
            cpus.update(range(int(lo), int(hi or lo) + 1))
        except ValueError:
            continue
    return cpus
