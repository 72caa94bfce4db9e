"""disk_read / disk_iops: real reads of a real file in tmp_path, page cache kept out and checked, file removed."""

import errno
import os

import pytest

import rigbench.kernels.disk_read as dr
from rigbench.kernels import REGISTRY, KernelFault, KernelSkip, RunContext
from rigbench.probe.disks import probe_data_dir

MIB = 1 << 20
SEQ = REGISTRY["disk_read"]
RND = REGISTRY["disk_iops"]


def _files(folder):
    return [p for p in os.listdir(folder) if p.startswith(".rigbench-disk-read-")]


def test_counts_hand_worked():
    seq = {"access": "sequential", "block_bytes": MIB, "file_bytes": 64 * MIB}
    assert SEQ.bytes_moved(seq) == 67108864 and SEQ.items(seq) == 64
    assert SEQ.value(seq, 0.05) == pytest.approx(1.34217728)  # 64 MiB in 50 ms
    rnd = {"access": "random", "block_bytes": 4096, "file_bytes": 64 * MIB, "reads": 1000, "queue_depth": 1}
    assert RND.items(rnd) == 1000 and RND.bytes_moved(rnd) == 4096000
    assert RND.metric == "iops" and RND.value(rnd, 0.08) == pytest.approx(12500.0)
    assert SEQ.peak_key("uint8", seq) is None and RND.peak_key("uint8", rnd) is None


def test_quick_and_default_sizes():
    assert SEQ.cases("cpu", "uint8", RunContext(quick=True))[0]["file_bytes"] == 64 * MIB
    assert SEQ.cases("cpu", "uint8", RunContext())[0]["file_bytes"] == 1024 * MIB
    assert SEQ.cases("cuda:0", "uint8", RunContext()) == []


def test_file_goes_to_data_dir_then_results_dir():
    assert dr.target_dir(RunContext(data_dir="/data")) == "/data"
    assert dr.target_dir(RunContext(extra={"results_dir": "/r"})) == "/r"


@pytest.mark.parametrize("kernel", [SEQ, RND])
def test_reads_verify_and_file_is_removed(kernel, tmp_path):
    ctx = RunContext(quick=True, data_dir=str(tmp_path))
    params = dict(kernel.cases("cpu", "uint8", ctx)[0], file_bytes=16 * MIB)
    p = kernel.prepare("cpu", "uint8", params, ctx)
    assert len(_files(tmp_path)) == 1 and os.path.getsize(p.path) == 16 * MIB
    assert p.needs_reset
    p.reset()
    p.run()
    p.verify()
    assert p.info["method"] in ("O_DIRECT", "posix_fadvise(DONTNEED) before each call")
    for key in ("cold_read_us", "repeat_read_us", "page_cache_read_us"):
        assert p.info[key] > 0
    assert isinstance(p.info["cache_bypass_verified"], bool)
    p.close()
    assert _files(tmp_path) == []


def test_file_content_is_random_not_zeros(tmp_path):
    p = SEQ.prepare("cpu", "uint8", {"access": "sequential", "block_bytes": MIB, "file_bytes": 8 * MIB},
                    RunContext(data_dir=str(tmp_path)))
    with open(p.path, "rb") as fh:
        head = fh.read(MIB)
    assert head.count(0) < MIB // 100 and head == dr.chunk_bytes(p.seed, 0)[:MIB]
    p.close()


def test_corrupt_read_is_a_fault(tmp_path):
    p = RND.prepare("cpu", "uint8", {"access": "random", "block_bytes": 4096, "file_bytes": 8 * MIB, "reads": 50,
                                     "queue_depth": 1}, RunContext(data_dir=str(tmp_path)))
    p.reset()
    p.run()
    p.view[0] = (p.view[0] + 1) % 256
    with pytest.raises(KernelFault):
        p.verify()
    p.close()


def _refuse_o_direct(monkeypatch):
    real_open = os.open

    def fake_open(path, flags, *a, **kw):  # a file system that refuses O_DIRECT (tmpfs before Linux 6.6, overlay)
        if flags & os.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_open(path, flags, *a, **kw)

    monkeypatch.setattr(dr.os, "open", fake_open)


def test_o_direct_refused_falls_back_to_fadvise(monkeypatch, tmp_path):
    _refuse_o_direct(monkeypatch)
    p = SEQ.prepare("cpu", "uint8", {"access": "sequential", "block_bytes": MIB, "file_bytes": 16 * MIB},
                    RunContext(data_dir=str(tmp_path)))
    assert p.info["method"].startswith("posix_fadvise") and p.info["o_direct_refused"] == "Invalid argument"
    p.reset()
    p.run()
    p.verify()
    p.close()
    assert _files(tmp_path) == []


def test_cache_not_dropped_is_flagged(monkeypatch, tmp_path):
    # neither O_DIRECT nor DONTNEED: every read after the first comes from the page cache, and the check must say so
    _refuse_o_direct(monkeypatch)
    monkeypatch.setattr(dr._DiskPrepared, "_drop_cache", lambda self: None)
    p = RND.prepare("cpu", "uint8", {"access": "random", "block_bytes": 4096, "file_bytes": 8 * MIB, "reads": 50,
                                     "queue_depth": 1}, RunContext(data_dir=str(tmp_path)))
    assert p.info["cache_bypass_verified"] is False and "cache" in p.info["cache_bypass_reason"]
    p.close()


def test_failure_in_prepare_removes_the_file(monkeypatch, tmp_path):
    def boom(self):
        raise RuntimeError("disk vanished")

    monkeypatch.setattr(dr._DiskPrepared, "_check_cache_bypass", boom)
    with pytest.raises(RuntimeError):
        SEQ.prepare("cpu", "uint8", {"access": "sequential", "block_bytes": MIB, "file_bytes": 8 * MIB},
                    RunContext(data_dir=str(tmp_path)))
    assert _files(tmp_path) == []


def test_not_enough_space_is_a_skip(monkeypatch, tmp_path):
    monkeypatch.setattr(dr.shutil, "disk_usage", lambda p: type("U", (), {"free": 10 * MIB})())
    with pytest.raises(KernelSkip, match="free"):
        SEQ.prepare("cpu", "uint8", {"access": "sequential", "block_bytes": MIB, "file_bytes": 64 * MIB},
                    RunContext(data_dir=str(tmp_path)))
    assert _files(tmp_path) == []


def test_a_folder_in_ram_is_not_measured_as_a_disk():
    if probe_data_dir("/dev/shm").get("fstype") != "tmpfs":
        pytest.skip("/dev/shm is not tmpfs on this machine: no RAM-backed folder to try")
    k = REGISTRY["disk_read"]
    ctx = RunContext(quick=True, data_dir="/dev/shm")
    with pytest.raises(KernelSkip, match="lives in RAM"):
        k.prepare("cpu", "uint8", k.cases("cpu", "uint8", ctx)[0], ctx)
