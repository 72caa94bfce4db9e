"""The real probe on this machine, checked against the machine itself, and the `rigbench probe` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import assert_user_error, run_cli
from fixtures.probe.fake_nvml import FakeNvml
from fixtures.probe.trees import materialize
from rigbench.cli.probe import _render
from rigbench.probe import SCHEMA, probe
from rigbench.probe.cpu import TIERS

ISSUE_KEYS = {
    "cpu": {"brand", "vendor", "arch", "physical_cores", "logical_cores", "usable_cores", "base_mhz", "max_mhz",
            "avx2", "avx512f", "amx", "tier", "tier_reason", "flags", "l3_cache_bytes", "llc_bytes", "cpu_quota_cores"},
    "memory": {"total_bytes", "available_bytes", "swap_bytes", "limit_bytes"},
    "disk": {"mount", "device", "fstype", "total_bytes", "free_bytes", "kind", "kind_note"},
    "gpu": {"index", "name", "uuid", "memory_total_bytes", "compute_capability", "driver_version",
            "cuda_driver_version", "power_limit_w", "pcie_generation", "pcie_width", "temperature_c", "sm_clock_mhz",
            "max_sm_clock_mhz", "mig_enabled", "catalog_id"},
    "os": {"system", "release", "distribution", "virtualization", "container"},
    "software": {"python", "torch", "torch_cuda_runtime", "numba", "numpy", "nvidia_ml_py"},
}


def meminfo_total_bytes() -> int:
    for line in open("/proc/meminfo", encoding="ascii"):
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no MemTotal")


def check_document(doc: dict) -> None:
    """The document has every key of the probe contract (docs/probe.md), with the right types."""
    assert doc["schema"] == SCHEMA
    for key in ("cpu", "memory", "disks", "gpus", "gpu_error", "os", "software", "host", "data_dir"):
        assert key in doc
    assert ISSUE_KEYS["cpu"] <= set(doc["cpu"])
    assert ISSUE_KEYS["memory"] <= set(doc["memory"])
    for d in doc["disks"]:
        assert ISSUE_KEYS["disk"] <= set(d) and d["kind"] in ("nvme", "ssd", "hdd", "unknown")
    for g in doc["gpus"]:
        assert ISSUE_KEYS["gpu"] <= set(g)
    assert ISSUE_KEYS["os"] <= set(doc["os"]) and ISSUE_KEYS["software"] <= set(doc["software"])
    assert doc["cpu"]["tier"] in TIERS or (doc["cpu"]["tier"] is None and doc["cpu"]["tier_reason"])
    assert (doc["gpus"] == []) == bool(doc["gpu_error"]) or any(g.get("error") for g in doc["gpus"])


def test_real_probe_matches_this_machine():
    doc = probe()
    check_document(doc)
    c = doc["cpu"]
    assert c["logical_cores"] == os.cpu_count()
    assert c["physical_cores"] <= c["logical_cores"]
    assert 1 <= c["usable_cores"] <= c["logical_cores"]
    if c["cpu_quota_cores"] is None:
        assert c["usable_cores"] == len(os.sched_getaffinity(0))
    assert doc["memory"]["total_bytes"] == meminfo_total_bytes()
    assert 0 < doc["memory"]["available_bytes"] <= doc["memory"]["total_bytes"]
    assert "/" in {d["mount"] for d in doc["disks"]}
    assert doc["software"]["python"].startswith(f"{sys.version_info.major}.{sys.version_info.minor}.")


def test_no_gpu_here_means_empty_list_and_an_error():
    doc = probe()
    if doc["gpus"]:
        pytest.skip("this machine has an NVIDIA GPU")
    assert doc["gpus"] == [] and isinstance(doc["gpu_error"], str) and len(doc["gpu_error"]) > 20


def test_probe_never_imports_torch():
    code = ("import sys, json; from rigbench.probe import probe; doc = probe(); "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('torch', 'numba', 'pandas', 'matplotlib'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_cli_json_is_one_document_with_the_issue_keys():
    r = run_cli("probe", "--json")
    assert r.code == 0, r.stderr
    doc = r.json()
    check_document(doc)
    assert doc["cpu"]["logical_cores"] == os.cpu_count()


def test_cli_json_process_does_not_import_torch():
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "rigbench", "probe", "--json"], capture_output=True,
                       text=True)
    assert r.returncode == 0
    imported = {line.split("|")[-1].strip() for line in r.stderr.splitlines() if "|" in line}
    assert "torch" not in imported and "numba" not in imported and "pandas" not in imported


def test_non_english_locale_changes_no_value(tmp_path):
    """Under a German locale (or any name: the C library falls back), every value but the timestamp is equal."""
    base = run_cli("probe", "--json", "--data-dir", str(tmp_path), env={"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"})
    german = run_cli("probe", "--json", "--data-dir", str(tmp_path),
                     env={"LC_ALL": "de_DE.UTF-8", "LANG": "de_DE.UTF-8", "LANGUAGE": "de"})
    assert base.code == 0 and german.code == 0, german.stderr
    a, b = base.json(), german.json()
    for doc in (a, b):
        doc.pop("created_utc")
        doc["memory"].pop("available_bytes")           # changes between any two runs
        doc["memory"].pop("swap_free_bytes")
        doc["cpu"].pop("current_mhz")
        for d in doc["disks"] + [doc["data_dir"]]:
            d.pop("free_bytes")
        for g in doc["gpus"]:                           # a GPU's readings move between any two runs
            for key in ("power_draw_w", "temperature_c", "sm_clock_mhz", "throttle_reasons",
                        "pcie_generation_current", "pcie_width_current"):
                g.pop(key, None)
    assert a == b


def test_cli_summary_names_the_things_a_buyer_reads():
    r = run_cli("probe")
    assert r.code == 0, r.stderr
    for word in ("CPU", "cores", "memory", "Disks", "NVIDIA GPUs", "software"):
        assert word in r.stdout
    doc = probe()
    assert doc["cpu"]["brand"] in r.stdout
    assert f"{doc['cpu']['usable_cores']} usable" in r.stdout


def test_cli_data_dir_reports_the_disk(tmp_path):
    r = run_cli("probe", "--json", "--data-dir", str(tmp_path))
    assert r.code == 0
    dd = r.json()["data_dir"]
    assert dd["path"] == os.path.realpath(tmp_path) and dd["mount"] and dd["free_bytes"] > 0


def test_cli_nonexistent_data_dir_is_exit_2_one_line(tmp_path):
    assert_user_error(run_cli("probe", "--data-dir", str(tmp_path / "nope")), "--data-dir", "no such")


def test_cli_unknown_option_is_exit_2_one_line():
    assert_user_error(run_cli("probe", "--frobnicate"), "frobnicate")


def test_cli_help_teaches_with_examples():
    r = run_cli("probe", "--help")
    assert r.code == 0 and "--data-dir" in r.stdout and "rigbench probe --json" in r.stdout


def test_summary_renders_gpus_and_mig_from_the_nvml_stand_in(capsys):
    doc = probe(nvml_lib=FakeNvml(["gtx_1080_ti", "h100_sxm_mig"]))
    check_document(doc)
    _render(doc)
    out = capsys.readouterr().out
    assert "NVIDIA GeForce GTX 1080 Ti" in out and "11.0 GiB" in out and "gen3 x16" in out and "250 W" in out
    assert "MIG 3g.40gb" in out and "gen5 x16" in out and "700 W" in out
    assert "driver 535.183.01" in out


def test_vm_current_clock_is_null_and_the_summary_says_it_is_the_tsc(tmp_path, capsys):
    """A GCP VM (DMI "Google"): cpuinfo's 2699.998 MHz is the TSC rate the hypervisor set, not the core clock."""
    doc = probe(root=materialize("k8s-xeon-8481c-cgroup2", tmp_path), environ={},
                nvml_lib=FakeNvml(["gtx_1080_ti"]))
    assert doc["os"]["virtualization"] == "google"
    assert doc["cpu"]["current_mhz"] is None
    assert doc["cpu"]["current_mhz_reason"].startswith("virtual machine (google)")
    _render(doc)
    out = " ".join(capsys.readouterr().out.split())   # the table may wrap the clocks cell
    assert "now not reported" in out and "virtual TSC" in out and "now 2700" not in out
