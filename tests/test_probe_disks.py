"""Disks: which mounts are real, kinds from sysfs (partitions to disks, LVM to its disks), and --data-dir."""

from __future__ import annotations

import os
import threading

import pytest

from conftest import assert_user_error, run_cli
from fixtures.probe.trees import materialize
from rigbench.errors import UserError
from rigbench.probe import disks
from rigbench.probe._files import parse_mountinfo


def by_mount(entries):
    return {d["mount"]: d for d in entries}


def test_laptop_nvme_partitions_map_to_their_disk_and_pseudo_mounts_are_skipped(tmp_path):
    root = materialize("laptop-i7-8750h", tmp_path)
    d = by_mount(disks.probe_disks(root))
    # proc, sysfs, devtmpfs, devpts, cgroup2, securityfs, /run tmpfs, squashfs snap, fuse portal: all left out
    assert sorted(d) == ["/", "/boot/efi", "/dev/shm"]
    assert d["/"]["disk"] == "nvme0n1" and d["/"]["kind"] == "nvme" and d["/"]["device"] == "/dev/nvme0n1p2"
    assert d["/boot/efi"]["kind"] == "nvme" and d["/boot/efi"]["fstype"] == "vfat"
    assert d["/dev/shm"]["kind"] == "unknown" and "RAM" in d["/dev/shm"]["kind_note"]


def test_rotational_hdd_label_carries_a_note(tmp_path):
    root = materialize("docker-v1-ryzen-5800x", tmp_path)
    d = by_mount(disks.probe_disks(root))
    assert d["/models"]["kind"] == "hdd" and d["/models"]["rotational"] == 1
    assert "rotational=1" in d["/models"]["kind_note"] and "disk_read" in d["/models"]["kind_note"]
    assert d["/models"]["also_mounted_at"] == ["/etc/hostname"]       # a bind mount of the same filesystem


def test_lvm_volume_takes_the_kind_of_the_disk_beneath(tmp_path):
    root = materialize("docker-v1-ryzen-5800x", tmp_path)
    d = by_mount(disks.probe_disks(root))["/data"]
    assert d["disk"] == "dm-0" and d["kind"] == "ssd" and "sdb" in d["kind_note"]


def test_btrfs_anonymous_device_resolved_from_source_and_subvolumes_listed_once(tmp_path):
    root = materialize("docker-v1-ryzen-5800x", tmp_path)
    d = by_mount(disks.probe_disks(root))
    assert "/datasets" not in d
    assert d["/home"]["disk"] == "sdc" and d["/home"]["kind"] == "ssd"
    assert d["/home"]["also_mounted_at"] == ["/datasets"]


def test_overlay_nfs_and_virtual_disk_in_a_pod(tmp_path):
    root = materialize("k8s-xeon-8481c-cgroup2", tmp_path)
    d = by_mount(disks.probe_disks(root))
    assert sorted(d) == ["/", "/data", "/datasets", "/dev/shm"]       # /dev/mqueue, /proc, /sys ... left out
    assert d["/"]["fstype"] == "overlay" and d["/"]["kind"] == "unknown" and "overlay" in d["/"]["kind_note"]
    assert d["/datasets"]["kind"] == "unknown" and "network" in d["/datasets"]["kind_note"]
    # GCP persistent disk: virtio-scsi with rotational=1: the label says nothing of the storage, so no "hdd"
    assert d["/data"]["kind"] == "unknown" and d["/data"]["rotational"] == 1
    assert "virtual disk" in d["/data"]["kind_note"] and "unreliable" in d["/data"]["kind_note"]


def test_parse_mountinfo_unescapes_spaces():
    line = "36 35 98:0 /mnt1 /mnt/my\\040data rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n"
    (m,) = parse_mountinfo(line)
    assert m["mount"] == "/mnt/my data" and (m["major"], m["minor"]) == (98, 0) and m["fstype"] == "ext3"


def test_real_root_filesystem_is_listed_with_space():
    d = by_mount(disks.probe_disks())
    assert "/" in d
    st = os.statvfs("/")
    assert d["/"]["total_bytes"] == st.f_blocks * st.f_frsize
    assert 0 < d["/"]["free_bytes"] <= d["/"]["total_bytes"]
    assert d["/"]["kind"] in ("nvme", "ssd", "hdd", "unknown")


def test_data_dir_found_from_st_dev(tmp_path):
    dd = disks.probe_data_dir(str(tmp_path))
    st = os.stat(tmp_path)
    assert dd["st_dev"] == f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}"
    assert dd["path"] == os.path.realpath(tmp_path)
    assert str(tmp_path).startswith(dd["mount"])
    assert dd["free_bytes"] > 0 and dd["kind"] in ("nvme", "ssd", "hdd", "unknown")


def test_data_dir_on_tmpfs_uses_mountinfo():
    if not os.path.isdir("/dev/shm"):
        pytest.skip("no /dev/shm on this machine")
    dd = disks.probe_data_dir("/dev/shm")
    assert dd["fstype"] == "tmpfs" and dd["mount"] == "/dev/shm" and dd["disk"] is None


def test_nonexistent_data_dir_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no such file or directory"):
        disks.probe_data_dir(str(tmp_path / "missing"))
    # empty: realpath('') is the working directory, which the library probed in silence where the CLI refused it
    with pytest.raises(UserError, match="--data-dir is empty"):
        disks.probe_data_dir("")


def test_dead_nfs_server_does_not_hang_the_probe(tmp_path, monkeypatch):
    """statvfs on a hard-mounted NFS share whose server is gone blocks forever; the probe gives up on it."""
    root = materialize("k8s-xeon-8481c-cgroup2", tmp_path)
    never = threading.Event()

    def statvfs(path):
        if path.endswith("datasets"):
            never.wait(30)           # the kernel would block here
        return os.statvfs(tmp_path)

    monkeypatch.setattr(disks, "NETWORK_STATVFS_TIMEOUT_S", 0.2)
    d = by_mount(disks.probe_disks(root, statvfs=statvfs))
    never.set()
    assert d["/datasets"]["free_bytes"] is None and d["/datasets"]["total_bytes"] is None
    assert d["/data"]["free_bytes"] is not None


def test_data_dir_must_be_a_directory_that_stores_files(tmp_path):
    afile = tmp_path / "data.bin"
    afile.write_bytes(b"x")
    with pytest.raises(UserError, match="is a regular file, not a directory"):
        disks.probe_data_dir(str(afile))
    with pytest.raises(UserError, match="pseudo filesystem"):
        disks.probe_data_dir("/proc")       # proc reports 0 bytes of space: not a disk that is full


@pytest.mark.parametrize("tree, path, words", [
    # Docker with cgroup v1: /sys/fs/cgroup is a tmpfs mounted inside the container's sysfs
    ("docker-v1-ryzen-5800x", "/sys/fs/cgroup", "under /sys (on a tmpfs mounted inside it)"),
    ("docker-v1-ryzen-5800x", "/sys/fs/cgroup/memory", "is on cgroup, a kernel pseudo filesystem"),
    ("laptop-i7-8750h", "/sys/kernel/security", "is on securityfs"),
    ("laptop-i7-8750h", "/sys/class", "is on sysfs"),
    ("laptop-i7-8750h", "/proc/sys", "is on proc"),
])
def test_a_data_dir_inside_proc_or_sys_is_refused_whatever_is_mounted_there(tmp_path, tree, path, words):
    root = materialize(tree, tmp_path)
    a_dir = os.stat(tmp_path)             # what the real path would be: a directory
    with pytest.raises(UserError, match="pseudo filesystem") as err:
        disks.check_data_dir(path, root, stat=lambda p: a_dir)
    assert words in str(err.value)
    # without mountinfo the path itself says it: /proc and /sys are the kernel's
    with pytest.raises(UserError, match="pseudo filesystem"):
        disks.check_data_dir(path, tmp_path / "no-tree", stat=lambda p: a_dir)
    assert disks.check_data_dir("/dev/shm", root, stat=lambda p: a_dir)[0] == "/dev/shm"   # tmpfs under /dev: kept


@pytest.mark.parametrize("make, words", [
    (lambda d: d / "missing", "no such file or directory"),
    (lambda d: d / "afile" / "x", "a part of the path before the last is a file"),
    (lambda d: d / "afile", "is a regular file, not a directory"),
    (lambda d: d / "fifo", "is a FIFO (named pipe), not a directory"),
    (lambda d: "/dev/null", "is a character device, not a directory"),
])
def test_probe_and_bench_say_the_same_about_a_data_dir_and_name_what_it_is(tmp_path, make, words):
    (tmp_path / "afile").write_text("x")
    os.mkfifo(tmp_path / "fifo")
    path = str(make(tmp_path))
    if not os.path.exists(path) and path == "/dev/null":
        pytest.skip("no /dev/null here")
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    probe_says = run_cli("probe", "--data-dir", path, env=env)
    bench_says = run_cli("bench", "--quick", "--only", "gemm", "--data-dir", path, env=env)
    assert_user_error(probe_says, words)
    assert_user_error(bench_says, words)
    assert probe_says.stderr == bench_says.stderr
    assert not (tmp_path / "data").exists()      # exit 2: nothing written


def test_a_data_dir_with_a_newline_is_named_on_one_line(tmp_path):
    # fail() joins a message's lines with spaces: a raw newline in the path would read as a space ("a b")
    with pytest.raises(UserError) as exc:
        disks.check_data_dir(str(tmp_path / "a\nb"))
    assert "a\\nb: no such file or directory" in str(exc.value) and "\n" not in str(exc.value)
