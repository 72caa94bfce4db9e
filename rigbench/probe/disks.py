"""Disks: one entry per real mounted filesystem, with its disk's kind (nvme, ssd, hdd, unknown), and the disk behind
a path (``--data-dir``).

Reads (under ``root``, default "/"):
- ``/proc/self/mountinfo``: mount point, MAJ:MIN, fstype, source of every mount this process sees.
- ``/sys/dev/block/MAJ:MIN`` (a link to the device's sysfs directory; a partition has a ``partition`` file and its
  parent directory is the disk) and ``/sys/class/block/NAME`` for sources such as ``/dev/nvme0n1p2`` on filesystems
  whose MAJ:MIN is anonymous (btrfs).
- ``/sys/block/DISK/queue/rotational`` and ``/sys/block/DISK/slaves/`` (device-mapper and md: the disks beneath).

Which mounts are "real": filesystems that hold files a user may read or write. Kernel and pseudo filesystems
(proc, sysfs, cgroup, devpts, mqueue, ...), read-only images (squashfs snaps) and anything mounted under /proc, /sys
or /dev are left out, except ``/dev/shm`` (PyTorch's DataLoader workers pass batches through it, so its size
matters). overlay (a container's root), NFS/CIFS and btrfs are kept; tmpfs is kept only at ``/dev/shm`` and ``/tmp``.
A filesystem mounted at several places (bind mounts, btrfs subvolumes) is listed once, at its shortest mount point.

``kind`` is a label from sysfs, not a measurement: ``rotational`` defaults to 1 for many virtual and USB disks,
so an "hdd" there may be fast. A virtual disk (virtio, Xen) that says rotational is "unknown" with the note, not
"hdd". ``rigbench bench``'s disk_iops (random reads, what tells a spinning disk from a solid-state one) and
disk_read (sequential) measure the truth.
"""

from __future__ import annotations

import errno
import os
import posixpath
import threading
from stat import S_ISBLK, S_ISCHR, S_ISDIR, S_ISFIFO, S_ISREG, S_ISSOCK
from typing import Callable

from rigbench.errors import UserError
from rigbench.units import one_line
from rigbench.probe._files import list_dir, read_int, read_mountinfo, read_text, under


PSEUDO_FSTYPES = frozenset({
    "proc", "sysfs", "cgroup", "cgroup2", "devpts", "devtmpfs", "mqueue", "securityfs", "debugfs", "tracefs",
    "configfs", "fusectl", "pstore", "bpf", "autofs", "binfmt_misc", "hugetlbfs", "rpc_pipefs", "nsfs", "efivarfs",
    "selinuxfs", "ramfs", "squashfs", "fuse.gvfsd-fuse", "fuse.portal", "fuse.lxcfs", "nfsd", "binder",
})
NETWORK_FSTYPES = ("nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs", "fuse.sshfs", "9p", "virtiofs",
                   "lustre", "fuse.s3fs", "fuse.gcsfuse", "fuse.juicefs")
TMPFS_KEPT = ("/dev/shm", "/tmp")

NOTE_ROTATIONAL = ("sysfs says rotational=1, which is the default for many virtual and USB disks: the label may be "
                   "wrong; rigbench bench's disk_iops (random reads) and disk_read (sequential) measure the real speed")
NOTE_VIRTUAL = ("a virtual disk (virtio or Xen): its speed depends on the host's storage; rotational in sysfs "
                "is unreliable here; rigbench bench's disk_iops (random reads) and disk_read (sequential) "
                "measure the real speed")


def is_real(m: dict) -> bool:
    """Does this mount hold files a user may use (see the module docstring for the rule)?"""
    fstype, mount = m["fstype"], m["mount"]
    if fstype in PSEUDO_FSTYPES:
        return False
    if fstype == "tmpfs":
        return mount in TMPFS_KEPT
    if mount == "/dev/shm":
        return True
    return not any(mount == p or mount.startswith(p + "/") for p in ("/proc", "/sys", "/dev", "/run", "/snap"))


def _sysfs_device_dir(root, major: int, minor: int, source: str) -> str | None:
    """The device's sysfs directory (absolute, inside ``root``), from MAJ:MIN or from a /dev/NAME source."""
    candidates = []
    if major != 0:
        candidates.append(under(root, f"/sys/dev/block/{major}:{minor}"))
    if source.startswith("/dev/"):
        name = posixpath.basename(os.path.realpath(under(root, source))) if os.path.islink(under(root, source)) \
            else posixpath.basename(source)
        candidates.append(under(root, f"/sys/class/block/{name}"))
    for c in candidates:
        if os.path.exists(c):
            return os.path.realpath(c)
    return None


def _disk_of(device_dir: str) -> str:
    """A partition's directory -> its disk's directory (a disk maps to itself)."""
    if os.path.exists(os.path.join(device_dir, "partition")):
        return os.path.dirname(device_dir)
    return device_dir


def _leaf_disks(root, name: str, depth: int = 0) -> list[str]:
    """Disks beneath a device-mapper or md device (LVM, dm-crypt, RAID), via /sys/block/NAME/slaves."""
    slaves = list_dir(root, f"/sys/block/{name}/slaves")
    if not slaves or depth > 8:
        return [name]
    out: list[str] = []
    for s in slaves:
        d = _disk_of(os.path.realpath(under(root, f"/sys/class/block/{s}")))
        out.extend(_leaf_disks(root, os.path.basename(d), depth + 1))
    return out


def _kind_of_disk(root, name: str) -> tuple[str, int | None, str | None]:
    """(kind, rotational, note) of one whole disk by name."""
    rotational = read_int(root, f"/sys/block/{name}/queue/rotational")
    if name.startswith("nvme"):
        return "nvme", rotational, None
    if name.startswith(("loop", "zram", "ram", "nbd")):
        what = {"loop": "a loop device (a file on another disk)", "zram": "a compressed RAM disk",
                "ram": "a RAM disk", "nbd": "a network block device"}[next(p for p in ("loop", "zram", "ram", "nbd")
                                                                        if name.startswith(p))]
        return "unknown", rotational, f"{name} is {what}"
    virtual = name.startswith(("vd", "xvd")) or "virtio" in os.path.realpath(under(root, f"/sys/block/{name}"))
    if rotational is None:
        return "unknown", None, f"no /sys/block/{name}/queue/rotational"
    if rotational == 0:
        return "ssd", 0, NOTE_VIRTUAL if virtual else None
    if virtual:
        # a virtio or Xen disk's rotational flag is the guest's block-layer default, not a property of the host's
        # storage beneath (which may be NVMe or a network volume): "hdd" would be a guess
        return "unknown", rotational, NOTE_VIRTUAL
    return "hdd", rotational, NOTE_ROTATIONAL


def classify_mount(root, m: dict) -> dict:
    """{disk, kind, rotational, kind_note} for one mount."""
    fstype = m["fstype"]
    if fstype == "tmpfs":
        return {"disk": None, "kind": "unknown", "rotational": None, "kind_note": "tmpfs lives in RAM (and swap)"}
    if fstype in NETWORK_FSTYPES or fstype.startswith("nfs"):
        return {"disk": None, "kind": "unknown", "rotational": None,
                "kind_note": f"a network filesystem ({fstype}): its speed is the network's and the server's"}
    dev_dir = _sysfs_device_dir(root, m["major"], m["minor"], m["source"])
    if dev_dir is None:
        if fstype == "overlay":
            note = "overlay filesystem (a container's layers): the disk beneath is not visible from here"
        else:
            note = f"{fstype} has no block device this process can see (source {m['source']!r})"
        return {"disk": None, "kind": "unknown", "rotational": None, "kind_note": note}
    disk = os.path.basename(_disk_of(dev_dir))
    leaves = _leaf_disks(root, disk)
    kinds = [_kind_of_disk(root, leaf) for leaf in leaves]
    labels = {k[0] for k in kinds}
    if len(labels) == 1:
        kind, rotational, note = kinds[0]
    else:
        kind, rotational = "unknown", None
        parts = sorted(f"{leaf}={k[0]}" for leaf, k in zip(leaves, kinds))
        note = f"{disk} spans disks of different kinds: {', '.join(parts)}"
    if leaves != [disk] and len(labels) == 1:
        note = (note + "; " if note else "") + f"{disk} is built on {', '.join(leaves)}"
    return {"disk": disk, "kind": kind, "rotational": rotational, "kind_note": note}


NETWORK_STATVFS_TIMEOUT_S = 2.0


def _statvfs_with_timeout(path: str, statvfs: Callable, timeout_s: float):
    """statvfs in a daemon thread: a dead NFS server makes statvfs block forever, the probe must not."""
    result: list = []

    def work():
        try:
            result.append(statvfs(path))
        except OSError as exc:
            result.append(exc)

    t = threading.Thread(target=work, name="rigbench-statvfs", daemon=True)
    t.start()
    t.join(timeout_s)
    if not result:
        raise TimeoutError(f"no answer in {timeout_s:g} s")
    if isinstance(result[0], OSError):
        raise result[0]
    return result[0]


def _space(path: str, statvfs: Callable, network: bool = False) -> tuple[int | None, int | None]:
    try:
        st = _statvfs_with_timeout(path, statvfs, NETWORK_STATVFS_TIMEOUT_S) if network else statvfs(path)
    except (OSError, TimeoutError):
        return None, None
    # free_bytes: what a normal user may still write (f_bavail), not counting the blocks reserved for root.
    return st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize


def real_mounts(root: str | os.PathLike = "/") -> list[dict]:
    """The real mounts, each filesystem once (the latest mount on a mount point hides earlier ones)."""
    mounts = read_mountinfo(root)
    by_point: dict[str, dict] = {}
    for m in mounts:
        by_point[m["mount"]] = m  # a later mount on the same point hides the earlier one
    seen: dict[tuple, dict] = {}
    for m in sorted(by_point.values(), key=lambda m: (len(m["mount"]), m["mount"])):
        if not is_real(m):
            continue
        # Same MAJ:MIN = same filesystem (bind mounts, btrfs subvolumes); tmpfs/overlay/NFS each get their own.
        key = (m["major"], m["minor"])
        if key in seen:
            seen[key]["also_mounted_at"].append(m["mount"])
        else:
            seen[key] = {**m, "also_mounted_at": []}
    return sorted(seen.values(), key=lambda m: m["mount"])


def probe_disks(root: str | os.PathLike = "/", statvfs: Callable = os.statvfs) -> list[dict]:
    """One entry per real mounted filesystem: mount, device, fstype, total_bytes, free_bytes, kind, kind_note."""
    out = []
    for m in real_mounts(root):
        network = m["fstype"] in NETWORK_FSTYPES or m["fstype"].startswith("nfs")
        total, free = _space(m["mount"] if os.fspath(root) == "/" else under(root, m["mount"]), statvfs, network)
        out.append({"mount": m["mount"], "device": m["source"], "fstype": m["fstype"], "total_bytes": total,
                    "free_bytes": free, **classify_mount(root, m), "also_mounted_at": m["also_mounted_at"]})
    return out


def stat_is_dir(st) -> bool:
    return S_ISDIR(st.st_mode)


def _not_a_directory(mode: int) -> str:
    """What a path that is not a directory is, in words."""
    for test, words in ((S_ISREG, "a regular file"), (S_ISCHR, "a character device"), (S_ISBLK, "a block device"),
                        (S_ISFIFO, "a FIFO (named pipe)"), (S_ISSOCK, "a socket")):
        if test(mode):
            return words
    return "not a directory"


def check_data_dir(path: str, root: str | os.PathLike = "/", stat: Callable = os.stat) -> tuple[str, os.stat_result,
                                                                                              dict | None]:
    """The one check of a ``--data-dir`` (``probe`` and ``bench`` alike): it exists, is a directory, and is on a
    filesystem that stores files. Returns (the real path, its stat, the mount holding it or None); anything else is a
    one-line ``UserError`` naming what the path is (missing, a regular file, a device, a FIFO ...). A path longer
    than Linux allows is left to the caller's one line for every path (``OSError`` ENAMETOOLONG)."""
    if not str(path).strip():
        # realpath('') is the working directory: an empty value would probe it silently (the CLI refuses it too)
        raise UserError("--data-dir is empty: give a value or leave it out")
    real = os.path.realpath(path)
    try:
        st = stat(real)
    except FileNotFoundError:
        raise UserError(f"--data-dir {one_line(path)}: no such file or directory; give an existing directory") from None
    except NotADirectoryError:
        raise UserError(f"--data-dir {one_line(path)}: a part of the path before the last is a file, not a "
                        "directory; give an existing directory") from None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise OSError(exc.errno, exc.strerror, path) from None
        raise UserError(f"--data-dir {one_line(path)}: cannot read it ({exc.strerror}); give a directory you can "
                        "read") from None
    if not stat_is_dir(st):
        raise UserError(f"--data-dir {one_line(path)} is {_not_a_directory(st.st_mode)}, not a directory; give a "
                        "directory")
    holding = None
    kernel_tree = None     # proc or sysfs somewhere above the path: a tmpfs or cgroup mounted inside stays the kernel's
    for m in read_mountinfo(root):  # later mounts hide earlier ones on the same point: keep the last, longest match
        mp = m["mount"]
        if real == mp or real.startswith(mp.rstrip("/") + "/"):
            if holding is None or len(mp) >= len(holding["mount"]):
                holding = m
            if m["fstype"] in ("proc", "sysfs") and kernel_tree is None:
                kernel_tree = m
    if holding is not None and holding["fstype"] in PSEUDO_FSTYPES - {"ramfs"}:
        raise UserError(f"--data-dir {one_line(path)} is on {holding['fstype']}, a kernel pseudo filesystem that "
                        "stores no files; give a directory on a disk")
    for top, fstype in (("/proc", "proc"), ("/sys", "sysfs")):   # where they always are, should mountinfo not say
        if kernel_tree is None and (real == top or real.startswith(top + "/")):
            kernel_tree = {"mount": top, "fstype": fstype}
    if kernel_tree is not None:
        inside = (f" (on a {holding['fstype']} mounted inside it)" if holding is not None and holding is not kernel_tree
                  else "")
        raise UserError(f"--data-dir {one_line(path)} is under {kernel_tree['mount']}{inside}, the kernel's "
                        f"{kernel_tree['fstype']} pseudo filesystem, which stores no files; give a directory on a disk")
    return real, st, holding


def probe_data_dir(path: str, root: str | os.PathLike = "/", statvfs: Callable = os.statvfs,
                   stat: Callable = os.stat) -> dict:
    """Which filesystem and disk hold ``path``: {path, mount, device, fstype, kind, kind_note, free_bytes, ...}.

    The mount is the longest mount point that contains the path; the disk comes from the path's ``st_dev`` through
    ``/sys/dev/block/MAJ:MIN`` when it has a block device, else from the mount's source (overlay, NFS, tmpfs, btrfs).
    The path is checked by :func:`check_data_dir`.
    """
    real, st, holding = check_data_dir(path, root, stat)
    major, minor = os.major(st.st_dev), os.minor(st.st_dev)
    if holding is None:
        holding = {"mount": None, "root": "/", "major": major, "minor": minor, "fstype": None, "source": None}
    if major != 0:
        classified = classify_mount(root, {**holding, "major": major, "minor": minor,
                                           "fstype": holding["fstype"] or "unknown", "source": holding["source"] or ""})
    else:
        classified = classify_mount(root, {**holding, "fstype": holding["fstype"] or "unknown",
                                           "source": holding["source"] or ""})
    total, free = _space(real, statvfs)
    return {"path": real, "mount": holding["mount"], "device": holding["source"], "fstype": holding["fstype"],
            "st_dev": f"{major}:{minor}", "total_bytes": total, "free_bytes": free, **classified}
