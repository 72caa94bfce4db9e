"""cgroup CPU quota and memory limit (v2 and v1), usable cores, and memory, on recorded container trees."""

from __future__ import annotations

import pytest

from fixtures.probe.trees import materialize
from rigbench.probe import limits, memory


def test_usable_cores_respects_tightest_cgroup2_quota_up_the_path(tmp_path):
    root = materialize("k8s-xeon-8481c-cgroup2", tmp_path)
    q = limits.cpu_quota(root)
    # container cpu.max 200000/100000 = 2.0, its pod 150000/100000 = 1.5: the pod's is the tightest
    assert q["cpu_quota_cores"] == 1.5
    assert q["source"].endswith("kubepods-burstable-pod5f1c.slice/cpu.max")
    assert limits.usable_cores(4, 4, q["cpu_quota_cores"]) == 2       # ceil(1.5)


def test_memory_limit_is_tightest_memory_max_up_the_path(tmp_path):
    root = materialize("k8s-xeon-8481c-cgroup2", tmp_path)
    m = memory.probe_memory(root)
    assert m["limit_bytes"] == 3 * 1024 ** 3                           # pod 3Gi beats container 4Gi
    assert m["total_bytes"] == 16375188 * 1024                         # MemTotal in KiB
    assert m["usable_bytes"] == 3 * 1024 ** 3
    assert m["swap_bytes"] == 0


def test_cgroup_v1_docker_quota_and_memory_limit(tmp_path):
    root = materialize("docker-v1-ryzen-5800x", tmp_path)
    q = limits.cpu_quota(root)
    assert q["cpu_quota_cores"] == 0.5 and q["source"].endswith("cpu.cfs_quota_us")
    assert limits.usable_cores(8, 8, 0.5) == 1                         # half a core is still one core to schedule on
    m = memory.probe_memory(root)
    assert m["limit_bytes"] == 512 * 1024 ** 2 and m["limit_source"].endswith("memory.limit_in_bytes")
    assert m["swap_bytes"] == 8388604 * 1024


def test_no_limits_on_a_laptop_gives_null_with_reason(tmp_path):
    root = materialize("laptop-i7-8750h", tmp_path)
    assert limits.cpu_quota(root)["cpu_quota_cores"] is None
    m = memory.probe_memory(root)
    assert m["limit_bytes"] is None and "no cgroup memory limit" in m["limit_reason"]
    assert m["total_bytes"] == 16262536 * 1024 and m["available_bytes"] == 12403140 * 1024


def test_cgroup_v1_unlimited_value_is_not_a_limit(tmp_path):
    root = materialize("docker-v1-ryzen-5800x", tmp_path)
    (root / "sys/fs/cgroup/memory/memory.limit_in_bytes").write_text("9223372036854771712\n")
    (root / "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us").write_text("-1\n")
    assert memory.probe_memory(root)["limit_bytes"] is None
    assert limits.cpu_quota(root)["cpu_quota_cores"] is None


def test_cgroup_namespace_path_is_relative_to_the_mount(tmp_path):
    """With a cgroup namespace /proc/self/cgroup says "0::/" and the container's files are at the mount root."""
    (tmp_path / "proc/self").mkdir(parents=True)
    (tmp_path / "proc/self/cgroup").write_text("0::/\n")
    (tmp_path / "proc/self/mountinfo").write_text(
        "30 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate\n")
    (tmp_path / "sys/fs/cgroup").mkdir(parents=True)
    (tmp_path / "sys/fs/cgroup/cpu.max").write_text("350000 100000\n")    # docker run --cpus=3.5
    (tmp_path / "sys/fs/cgroup/memory.max").write_text("8589934592\n")     # --memory=8g
    assert limits.cpu_quota(tmp_path)["cpu_quota_cores"] == 3.5
    assert limits.memory_limit(tmp_path)["limit_bytes"] == 8 * 1024 ** 3
    assert limits.usable_cores(16, 16, 3.5) == 4


@pytest.mark.parametrize("logical, affinity, quota, expected", [
    (16, 16, None, 16), (16, 4, None, 4), (16, 16, 2.0, 2), (16, 4, 8.0, 4), (2, None, None, 2),
    (None, None, None, None), (16, 16, 0.1, 1),
])
def test_usable_cores_is_the_smallest_bound(logical, affinity, quota, expected):
    assert limits.usable_cores(logical, affinity, quota) == expected


def test_parse_meminfo_units():
    info = memory.parse_meminfo("MemTotal:       24684084 kB\nHugePages_Total:       0\n")
    assert info == {"MemTotal": 24684084 * 1024, "HugePages_Total": 0}
