"""CPU probe: tiers from real brand strings, cores/clocks/caches/ISA from recorded /proc and /sys trees."""

from __future__ import annotations

import csv

import pytest

from conftest import FIXTURES
from fixtures.probe.trees import materialize
from rigbench.probe import cpu

BRANDS = list(csv.DictReader((FIXTURES / "probe" / "cpu_brands.csv").open(encoding="utf-8")))


def test_brand_fixture_covers_vendors_and_generations():
    tiers = {row["tier"] for row in BRANDS if row["tier"]}
    assert len(BRANDS) >= 25
    assert any(t.startswith("Intel Core i") for t in tiers) and any(t.startswith("AMD Ryzen") for t in tiers)
    assert any(t.startswith("Apple M") for t in tiers) and "AMD EPYC" in tiers and "Intel Xeon" in tiers


@pytest.mark.parametrize("row", BRANDS, ids=[r["brand"] or "<empty>" for r in BRANDS])
def test_classify_tier_of_real_brand_strings(row):
    tier, reason = cpu.classify_tier(row["brand"])
    assert tier == (row["tier"] or None), (row["brand"], tier, reason)
    if tier is None:
        assert reason, "a null tier must say why"
    else:
        assert tier in cpu.TIERS and reason is None


def test_tiers_are_unique_and_stable_strings():
    assert len(set(cpu.TIERS)) == len(cpu.TIERS)
    for name in ("Intel Core i5", "Intel Core i7", "Intel Core Ultra 7", "Intel Xeon", "AMD Ryzen 7",
                 "AMD Ryzen Threadripper", "AMD EPYC", "Apple M2 Pro"):
        assert name in cpu.TIERS


def test_parse_cpuinfo_reads_this_machines_recorded_file():
    blocks = cpu.parse_cpuinfo((FIXTURES / "probe" / "epyc-vm-cpuinfo.txt").read_text(encoding="utf-8"))
    assert [b["processor"] for b in blocks] == ["0", "1"]
    assert blocks[0]["model name"] == "AMD EPYC" and blocks[0]["vendor_id"] == "AuthenticAMD"
    assert "avx512_bf16" in blocks[0]["flags"].split()


def test_laptop_i7_8750h_cores_clocks_cache_isa(tmp_path):
    root = materialize("laptop-i7-8750h", tmp_path)
    c = cpu.probe_cpu(root, arch="x86_64")
    assert c["brand"] == "Intel(R) Core(TM) i7-8750H CPU @ 2.20GHz" and c["vendor"] == "Intel"
    assert (c["physical_cores"], c["logical_cores"], c["sockets"]) == (6, 12, 1)
    # intel_pstate: base_frequency 2200000 kHz, cpuinfo_max_freq 4100000 kHz (Intel ARK: 2.20 / 4.10 GHz)
    assert (c["base_mhz"], c["max_mhz"]) == (2200, 4100)
    assert c["base_mhz_source"] == "sysfs cpufreq base_frequency"
    assert c["l3_cache_bytes"] == 9 * 1024 ** 2 and c["llc_level"] == 3   # one 9 MiB L3 shared by all 12
    assert c["flags"]["avx2"] and c["flags"]["fma"] and not c["flags"]["avx512f"]
    assert c["avx2"] is True and c["avx512f"] is False and c["amx"] is False
    assert c["tier"] == "Intel Core i7" and c["current_mhz"] == 900
    assert c["current_mhz_source"].startswith("/proc/cpuinfo") and c["current_mhz_reason"] is None


def test_current_clock_in_a_vm_is_the_tsc_so_null_with_a_reason(tmp_path):
    # A GCP VM (hypervisor flag, "cpu MHz 2699.998"): the figure is the TSC the hypervisor calibrates, not the clock
    root = materialize("k8s-xeon-8481c-cgroup2", tmp_path)
    c = cpu.probe_cpu(root, arch="x86_64")
    assert c["current_mhz"] is None and c["current_mhz_source"] is None
    assert "virtual TSC" in c["current_mhz_reason"] and "(2700)" in c["current_mhz_reason"]
    # this machine's recorded cpuinfo: a KVM guest whose "cpu MHz" is 2596.128 while the cores run above 3.5 GHz
    blocks = cpu.parse_cpuinfo((FIXTURES / "probe" / "epyc-vm-cpuinfo.txt").read_text(encoding="utf-8"))
    vm = cpu.probe_cpu(tmp_path / "nothing", blocks, arch="x86_64", virtualization="kvm")
    assert vm["current_mhz"] is None and vm["current_mhz_reason"].startswith("virtual machine (kvm)")
    assert "(2596)" in vm["current_mhz_reason"]


def test_current_clock_of_a_vm_found_by_dmi_alone_is_null_too(tmp_path):
    root = materialize("laptop-i7-8750h", tmp_path)
    c = cpu.probe_cpu(root, arch="x86_64", virtualization="vmware")
    assert c["current_mhz"] is None and "virtual TSC" in c["current_mhz_reason"]
    assert cpu.probe_cpu(root, arch="x86_64", virtualization="none")["current_mhz"] == 900


def test_sapphire_rapids_vm_has_amx_and_base_clock_from_brand(tmp_path):
    root = materialize("k8s-xeon-8481c-cgroup2", tmp_path)
    c = cpu.probe_cpu(root, arch="x86_64")
    assert c["amx"] is True and c["flags"]["amx_bf16"] and c["flags"]["avx512_fp16"]
    # no cpufreq in the VM: base from "@ 2.70GHz", max unknown with a reason
    assert c["base_mhz"] == 2700 and c["base_mhz_source"] == "brand string"
    assert c["max_mhz"] is None and "cpufreq" in c["max_mhz_reason"]
    assert (c["physical_cores"], c["logical_cores"]) == (2, 4)
    assert c["l3_cache_bytes"] == 105 * 1024 ** 2   # 107520K: GCP exposes the socket's 105 MB L3


def test_graviton_brand_from_cpu_part_and_dmi(tmp_path):
    root = materialize("aws-graviton2-c6g", tmp_path)
    c = cpu.probe_cpu(root, arch="aarch64", dmi_sys_vendor="Amazon EC2")
    assert c["brand"] == "AWS Graviton (ARM Neoverse-N1)" and c["tier"] == "AWS Graviton"
    assert c["flags"]["asimd"] and c["flags"]["asimddp"] and not c["flags"]["sve"]
    assert c["avx2"] is False and c["logical_cores"] == 2
    assert c["current_mhz"] is None and "no 'cpu MHz'" in c["current_mhz_reason"]
    bare = cpu.probe_cpu(root, arch="aarch64", dmi_sys_vendor=None)
    assert bare["brand"] == "ARM Neoverse-N1" and bare["tier"] is None and "Arm core" in bare["tier_reason"]


def test_missing_clocks_and_caches_are_null_with_reasons(tmp_path):
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "cpuinfo").write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\n"
                                               "flags\t\t: fpu avx2\n\n")
    c = cpu.probe_cpu(tmp_path, arch="x86_64")
    assert c["base_mhz"] is None and c["base_mhz_reason"]
    assert c["max_mhz"] is None and c["max_mhz_reason"]
    assert c["l3_cache_bytes"] is None and c["cache_reason"]
    assert c["logical_cores"] == 1 and c["tier"] == "AMD EPYC"
