"""`rigbench recommend` end to end: this machine, results files, planned builds, instances, bad input, --strict."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket

import pytest

from conftest import FIXTURES, REPO, assert_user_error, run_cli

import rigbench
from rigbench.cli.recommend import _unknown_action
from rigbench.errors import UserError
from rigbench import results as results_mod
from rigbench.guidelines import Check
from rigbench.guidelines.machine import Machine
from rigbench.guidelines.checks.base import needs_bench, needs_gpu, needs_rerun

FX = FIXTURES / "guidelines"
TWO_GPU_SPEC = 'ram=32GB,gpu=2x rtx-2080-ti,cpu="Intel Core i7-9700K",cores=8,disk=4TB,disk_kind=ssd,os=linux'


def _checks(doc, profile):
    p = next(p for p in doc["profiles"] if p["profile"] == profile)
    return {c["id"]: c for c in p["checks"]}


def test_this_machine_json(tmp_path):
    r = run_cli("recommend", "--json", cwd=tmp_path)          # no ./results here: probe only
    assert r.code == 0, r.stderr
    doc = r.json()
    assert doc["schema"] == "rigbench.recommend/2"
    # the profiles that apply to this machine's kind, and why
    kind = doc["kind"]
    assert [p["profile"] for p in doc["profiles"]] == kind["profiles"] and kind["why"]
    assert kind["chosen_by"] == "the machine's kind"
    for p in doc["profiles"]:
        assert p["verdict"] in ("pass", "warn", "fail", "unknown", "n/a")
        for c in p["checks"]:
            assert {"id", "status", "measured", "required", "guideline", "measured_value", "required_value"} <= set(c)
    assert doc["machine"]["usable_cores"] == len(os.sched_getaffinity(0)) or doc["machine"]["usable_cores"] < os.cpu_count()
    virt = doc["machine"]["virtualization"]
    if virt not in (None, "none", "oracle", "parallels", "vmware") or doc["machine"]["cloud_provider"]:
        assert kind["kind"] == "cloud-vm" and kind["profiles"] == ["cloud"]
        assert not {s["kind"] for s in doc["suggestions"]} & {"gpu", "storage", "ssd", "ram", "cpu"}
    if shutil.which("nvidia-smi") is None and not doc["machine"]["gpus"] and kind["profiles"] == ["cloud"]:
        assert _checks(doc, "cloud")["cloud.gpu"]["status"] == "fail"  # a CPU-only VM: rent a GPU instance
        assert any(s["kind"] == "cloud" for s in doc["suggestions"])
    assert "no results file" in doc["notes"][0]
    every = run_cli("recommend", "--json", "--profile", "all", cwd=tmp_path).json()
    assert [p["profile"] for p in every["profiles"]] == ["laptop", "desktop", "diy", "cloud"]
    assert every["kind"]["chosen_by"] == "--profile all"
    assert {s["kind"] for s in every["suggestions"]} == {s["kind"] for s in every["suggestions"]} - (
        {"gpu", "storage", "ssd"} if kind["kind"] == "cloud-vm" else set())


def test_this_machine_fits_a_screen(tmp_path):
    r = run_cli("recommend", cwd=tmp_path)
    assert r.code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "Judged as: " in r.stdout and "…" not in r.stdout
    assert max(len(line) for line in lines) <= 100
    assert len(lines) <= 50, r.stdout


def test_a_file_where_the_data_folder_should_be_is_said_as_results_list_says_it(tmp_path):
    # the note said "no results file in .../rigbench/results/ or results/ (run `rigbench bench` ...)": bench cannot
    # write there either while a file stands in the way
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rigbench").write_text("x")
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    listed = run_cli("results", "list", env=env, cwd=tmp_path)
    assert_user_error(listed, "is a file, not a folder")
    r = run_cli("recommend", "--json", env=env, cwd=tmp_path)
    assert r.code == 0, r.stderr
    assert r.json()["notes"][0] == ("probed this machine; no results file: "
                                    + listed.stderr.strip().removeprefix("rigbench: error: "))
    assert "run `rigbench bench`" not in r.json()["notes"][0]


def _gpu_less_vm_results(tmp_path) -> str:
    """A results file of the GPU-less 2-vCPU VM: its probe, and the preprocess and disk_iops rows measured on it."""
    probe = json.loads((FX / "probe_vm_2cpu_nogpu.json").read_text())
    cpu_rows = [x for x in json.loads((FX / "results_cool_fed.json").read_text())["measurements"]
                if x["device"] == "cpu"]
    doc = {"schema": "rigbench.results/1", "status": "complete", "created_utc": "2026-11-24T23:03:04Z", "host": "vm",
           "probe": probe, "measurements": cpu_rows}
    path = tmp_path / "vm-20261124T230304Z.json"
    path.write_text(json.dumps(doc))
    return str(path)


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("fixture", ["vm", "results_thermal_starved.json", "results_power_capped.json"])
def test_default_output_is_one_screen_and_names_every_miss(tmp_path, fixture):
    path = _gpu_less_vm_results(tmp_path) if fixture == "vm" else str(FX / fixture)
    r = run_cli("recommend", path)
    doc = run_cli("recommend", path, "--json").json()
    assert r.code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) <= 45, r.stdout
    assert max(len(line) for line in lines) <= 100 and "…" not in r.stdout
    flat = _flat(r.stdout)
    for p in doc["profiles"]:
        word = {"fail": "FAIL", "unknown": "?"}.get(p["verdict"], p["verdict"])
        if len(doc["profiles"]) > 1:                   # the summary line
            assert re.search(rf"^  {p['profile']} +{re.escape(word)} ", r.stdout, re.M), p["profile"]
        else:                                          # one profile: its title line carries the verdict
            assert re.search(rf"^{p['profile']}: .* — {re.escape(word)} ", r.stdout, re.M), p["profile"]
        shown = p["profile"] != "diy"                  # DIY's rules are the desktop's: said once
        for c in p["checks"]:
            if c["status"] in ("fail", "warn") and shown:
                assert f"{c['status'].upper() if c['status'] == 'fail' else 'warn'} {c['id']}" in flat
                assert _flat(f"{c['measured']}, needs {c['required']}") in flat, c["id"]
            elif c["status"] == "pass" and shown:
                assert f"{c['id'].split('.', 1)[1]} " in flat
            elif c["status"] == "unknown" and c["optional"]:
                assert c["id"] in flat                 # under "Not judged"
    if fixture == "vm":
        # a container on a VM: judged as a cloud machine, told to rent a GPU, never to buy parts
        assert "Judged as: a docker container on a virtual machine on an unnamed hypervisor" in flat
        assert "cloud: Cloud: rent GPUs by the hour — FAIL" in flat and "FAIL cloud.gpu " in flat
        assert "vcpus_per_gpu, preprocess_feed, ram_vs_gpu: need a GPU to judge" in flat
        assert "What to change, cheapest first" in flat and "$0 train on rented GPUs" in flat
        assert "solid-state drive" not in flat and "GeForce" not in flat
    else:
        assert "Judged as: a desktop or workstation" in flat


def test_verbose_quotes_every_guideline(tmp_path):
    path = _gpu_less_vm_results(tmp_path)
    r = run_cli("recommend", path, "--verbose", "--profile", "all")
    assert r.code == 0, r.stderr
    doc = run_cli("recommend", path, "--json", "--profile", "all").json()
    assert max(len(line) for line in r.stdout.splitlines()) <= 100 and "…" not in r.stdout
    flat = _flat(r.stdout)
    for p in doc["profiles"]:
        inherited = set(p["inherited"])
        for c in p["checks"]:
            if c["id"] not in inherited:
                assert _flat(f"“{c['guideline']}”") in flat, c["id"]
                assert _flat(f"why: {c['why']}") in flat, c["id"]
        for nc in p["not_checkable"]:
            assert _flat(nc["guideline"]) in flat, nc["id"]
    assert "Don’t settle for anything less than 16 GB of RAM." in flat
    short = run_cli("recommend", path, "--profile", "all")
    assert len(r.stdout.splitlines()) > 3 * len(short.stdout.splitlines())
    assert "Don’t settle for anything less" not in short.stdout


def test_newest_results_file_is_used_and_named(tmp_path):
    (tmp_path / "results").mkdir()
    src = (FX / "results_cool_fed.json").read_text()
    (tmp_path / "results" / "rig-20250601T123000Z.json").write_text(src)
    r = run_cli("recommend", "--json", "--profile", "desktop", cwd=tmp_path)
    assert r.code == 0, r.stderr
    doc = r.json()
    # the fixture was measured on host "rig2080", not here: it is named and left out
    assert "rig-20250601T123000Z.json (rig2080, Intel(R) Core(TM) i7-9700K" in doc["notes"][0]
    assert doc["machine"]["source"] == "probe" and doc["results_file"] is None


def _this_machine(tmp_path) -> dict:
    """This machine's host, CPU brand, last-level cache and instruction-set flags, as `rigbench probe --json` finds
    them."""
    probe = json.loads(run_cli("probe", "--json", cwd=tmp_path).stdout)
    cpu = probe.get("cpu") or {}
    return {"host": (probe.get("host") or {}).get("hostname") or socket.gethostname(),
            "cpu": cpu.get("brand"), "llc_bytes": cpu.get("llc_bytes"), "flags": cpu.get("flags")}


def _made_here(doc: dict, here: dict) -> dict:
    """A results document made a run of this machine: host, CPU brand, cache and flags of ``here``."""
    doc["host"], doc["probe"]["host"]["hostname"] = here["host"], here["host"]
    doc["probe"]["cpu"].update(brand=here["cpu"], llc_bytes=here["llc_bytes"], flags=here["flags"])
    return doc


def test_the_newest_run_of_another_machine_is_passed_over_for_this_machines(tmp_path):
    # the newest file in the data folder was a run of another machine (its host renamed, or a copied reference run):
    # recommend read its clocks and CPU as this machine's
    here = _this_machine(tmp_path)
    (tmp_path / "results").mkdir()
    ours = _made_here(json.loads((FX / "results_cool_fed.json").read_text()), here)
    (tmp_path / "results" / "ours-20250601T123000Z.json").write_text(json.dumps(ours))
    other = json.loads((FX / "results_cool_fed.json").read_text())
    other["host"], other["created_utc"] = "otherbox", "2025-07-01T00:00:00Z"
    other["probe"]["host"]["hostname"] = here["host"]        # the probe says this host; the run says another
    (tmp_path / "results" / "otherbox-20250701T000000Z.json").write_text(json.dumps(other))
    doc = run_cli("recommend", "--json", "--profile", "desktop", cwd=tmp_path).json()
    assert doc["results_file"] == "results/ours-20250601T123000Z.json"
    assert doc["machine"]["source"] == "results"
    assert doc["notes"][1].startswith("passed over 1 run of another machine: results/otherbox-20250701T000000Z.json "
                                      "(otherbox, ")
    # the same host with another CPU is another machine too (a brand this machine's cannot be: some VMs report
    # their CPU as plain "AMD EPYC")
    cpu = f"Not {here['cpu']} 9999"
    other["host"], other["probe"]["cpu"]["brand"] = here["host"], cpu
    (tmp_path / "results" / "otherbox-20250701T000000Z.json").write_text(json.dumps(other))
    doc = run_cli("recommend", "--json", "--profile", "desktop", cwd=tmp_path).json()
    assert doc["results_file"] == "results/ours-20250601T123000Z.json" and cpu in doc["notes"][1]
    # named as RESULTS, the other machine's run is judged as that machine
    doc = run_cli("recommend", "results/otherbox-20250701T000000Z.json", "--json", cwd=tmp_path).json()
    assert doc["machine"]["source"] == "results" and doc["machine"]["cpu_brand"] == cpu


def test_a_newest_run_without_measurements_is_passed_over_for_the_probe(tmp_path):
    # a run killed before its first measurement (probe null, no figure): it was read as the machine, "a desktop or
    # workstation: no battery, no virtualisation", instead of the machine probed here
    (tmp_path / "results").mkdir()
    empty = {"schema": "rigbench.results/2", "status": "interrupted", "created_utc": "2026-06-01T00:00:00Z",
             "probe": None, "measurements": [], "reason": "the run stopped before the suite finished"}
    (tmp_path / "results" / "box-20260601T000000Z.json").write_text(json.dumps(empty))
    (tmp_path / "none").mkdir()
    here = run_cli("recommend", "--json", "--results-dir", "none", cwd=tmp_path).json()
    r = run_cli("recommend", "--json", cwd=tmp_path)
    assert r.code == 0, r.stderr
    doc = r.json()
    assert "ignored results/box-20260601T000000Z.json (it holds no measurement" in doc["notes"][0]
    assert doc["results_file"] is None and doc["kind"]["why"] == here["kind"]["why"]


def test_a_newer_run_without_measurements_is_passed_over_for_the_newest_with_one(tmp_path):
    # `recommend` judged the probe alone when the newest run was empty, while an earlier run of this machine held
    # figures: the newest run with a measurement is the one `results show latest` and `report` read too
    (tmp_path / "results").mkdir()
    measured = json.loads((FX / "results_cool_fed.json").read_text())
    here = _this_machine(tmp_path)                  # a run of this machine
    _made_here(measured, here)
    (tmp_path / "results" / "box-20250601T123000Z.json").write_text(json.dumps(measured))
    empty = {"schema": "rigbench.results/2", "status": "interrupted", "created_utc": "2026-06-01T00:00:00Z",
             "probe": None, "measurements": []}
    (tmp_path / "results" / "box-20260601T000000Z.json").write_text(json.dumps(empty))
    r = run_cli("recommend", "--json", cwd=tmp_path)
    assert r.code == 0, r.stderr
    doc = r.json()
    assert doc["results_file"] == "results/box-20250601T123000Z.json"
    assert "measurements from the newest results file results/box-20250601T123000Z.json" in doc["notes"][0]
    assert doc["notes"][1] == ("passed over results/box-20260601T000000Z.json (it holds no measurement: the run "
                               "stopped before its first)")


def test_a_run_the_results_owner_refuses_is_noted_as_passed_over(tmp_path):
    # a run of this machine dated more than a day ahead is no valid results file: `results list` said so, while
    # recommend took an older run without a word on the newer one it passed over
    (tmp_path / "results").mkdir()
    measured = json.loads((FX / "results_cool_fed.json").read_text())
    here = _this_machine(tmp_path)
    _made_here(measured, here)
    (tmp_path / "results" / "box-20250601T123000Z.json").write_text(json.dumps(measured))
    (tmp_path / "results" / "box-29990101T000000Z.json").write_text(
        json.dumps({**measured, "created_utc": "2999-01-01T00:00:00Z"}))
    doc = run_cli("recommend", "--json", cwd=tmp_path).json()
    assert doc["results_file"] == "results/box-20250601T123000Z.json"
    said = [n for n in doc["notes"] if n.startswith("passed over results/box-29990101T000000Z.json: ")]
    assert len(said) == 1 and "created_utc is 2999-01-01T00:00:00Z" in said[0], doc["notes"]
    listed = run_cli("results", "list", cwd=tmp_path, env={"COLUMNS": "400"}).stdout
    # in the words `results list` uses (up to the clock reading, a second apart)
    assert said[0].split(": ", 1)[1].split(" (")[0] in listed.replace("\n", " ")


@pytest.mark.parametrize("host, shown", [({"name": "box"}, "this machine (box)"),
                                          ({"hostname": "rig", "name": "box"}, "this machine (rig)"),
                                          ("bare", "this machine (bare)"), ({"hostname": ""}, "this machine"),
                                          (None, "this machine")])
def test_the_label_names_the_host_recommend_matches_runs_on(host, shown):
    # the label read host.hostname only, while the runs of this machine were matched on host.hostname or host.name
    probe = {"host": host, "cpu": {"brand": "X"}}
    assert Machine.from_probe(probe).label == shown
    assert results_mod.probe_machine(probe)["host"] == (shown[len("this machine ("):-1] or None if "(" in shown else None)


def test_results_file_argument():
    r = run_cli("recommend", str(FX / "results_thermal_starved.json"), "--profile", "desktop", "--json")
    assert r.code == 0, r.stderr
    checks = _checks(r.json(), "desktop")
    assert checks["desktop.cooling"]["status"] == "fail"
    assert checks["desktop.cores_per_gpu"]["status"] == "fail"     # 4 GPUs on 2 CPUs
    assert r.json()["results_file"].endswith("results_thermal_starved.json")


def test_a_results_file_without_a_probe_is_judged_as_a_machine_of_unknown_kind(tmp_path):
    # judged as "a desktop or workstation: no battery, no virtualisation" and "FAIL desktop.gpu no GPU": an empty
    # probe read as a machine with none of its parts
    doc = json.loads(next((REPO / "results" / "reference").glob("*.json")).read_text(encoding="utf-8"))
    del doc["probe"]
    (tmp_path / "noprobe.json").write_text(json.dumps(doc), encoding="utf-8")
    r = run_cli("recommend", "noprobe.json", "--json", cwd=tmp_path)
    assert r.code == 0, r.stderr
    out = r.json()
    assert out["kind"]["kind"] == "unknown" and out["machine"]["unprobed"] == "the file holds no probe of the machine"
    assert "the file holds no probe of the machine" in out["kind"]["why"]
    assert [p["profile"] for p in out["profiles"]] == ["laptop", "desktop", "diy", "cloud"]
    checks = {c["id"]: c for p in out["profiles"] for c in p["checks"]}
    for rid in ("desktop.gpu", "desktop.cores_per_gpu", "desktop.storage", "desktop.os_packages", "laptop.ram",
                "laptop.cpu", "laptop.mac_egpu", "cloud.gpu", "cloud.os"):
        assert checks[rid]["status"] == "unknown" and checks[rid]["why"] == "the file holds no probe of the machine"
    assert not any(c["status"] == "fail" for c in checks.values())
    # what was measured is still judged: the CPU clock under load
    assert checks["desktop.cooling"]["status"] == "pass"
    for args in ((), ("-v",), ("--profile", "desktop")):
        screen = run_cli("recommend", "noprobe.json", *args, cwd=tmp_path)
        assert screen.code == 0, screen.stderr
        assert "a machine of unknown kind (the file holds no probe of the machine)" in screen.stdout
        assert "no battery" not in screen.stdout and "FAIL" not in screen.stdout and "None" not in screen.stdout


def _summary_and_headings(stdout: str) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """Per profile, the counts its summary line gives ("4 unknown; 1 not judged") and those its heading gives."""
    summary, heading = {}, {}
    for line in stdout.splitlines():                   # each fits its line here (at most 100 columns)
        m = re.match(r"^  (laptop|desktop|diy|cloud) +\S+  (.*)$", line)
        if m:
            summary[m.group(1)] = {w: int(n) for n, w in re.findall(r"(\d+) (unknown|not judged)", m.group(2))}
        m = re.match(r"^(laptop|desktop|diy|cloud): .* — \S+ \((.*)\)$", line)
        if m:
            heading[m.group(1)] = {w: int(n) for n, w in re.findall(r"(\d+) ([a-z/ ]+?)(?:,|$)", m.group(2))}
    return summary, heading


def test_summary_headings_and_json_count_unknown_and_not_judged_rules_alike(tmp_path):
    # the summary said "desktop FAIL ... 4 unknown" and the heading "(2 fail, 5 unknown, ...)": the heading counted
    # the optional rules left for want of input (desktop.price), listed under "Not judged", as unknown as well
    ref = next((REPO / "results" / "reference").glob("*.json"))
    doc = json.loads(ref.read_text(encoding="utf-8"))
    del doc["probe"]
    (tmp_path / "noprobe.json").write_text(json.dumps(doc), encoding="utf-8")
    # desktop: ssd measured but INVALID, three rules that need a GPU; desktop.price not given. Without the probe every
    # rule on the machine's parts is unknown too, and desktop.psu (its parts' power) is not judged
    for path, desktop_counts in ((str(ref), (4, 1)), ("noprobe.json", (9, 2))):
        out = run_cli("recommend", path, "--profile", "all", "--json", cwd=tmp_path).json()
        screen = run_cli("recommend", path, "--profile", "all", cwd=tmp_path)
        assert screen.code == 0, screen.stderr
        summary, heading = _summary_and_headings(screen.stdout)
        for p in out["profiles"]:
            c = p["counts"]
            optional = sum(1 for x in p["checks"] if x["optional"] and x["status"] == "unknown")
            assert c["not_judged"] == optional
            assert c["unknown"] == sum(1 for x in p["checks"] if x["status"] == "unknown") - optional
            assert sum(c.values()) == len(p["checks"])
            if p["profile"] == "diy":
                continue                                   # "as desktop": its heading is the desktop's
            want = {k: v for k, v in (("unknown", c["unknown"]), ("not judged", c["not_judged"])) if v}
            assert summary[p["profile"]] == want, (path, p["profile"], screen.stdout)
            assert {k: v for k, v in heading[p["profile"]].items() if k in ("unknown", "not judged")} == want
        desktop = next(p for p in out["profiles"] if p["profile"] == "desktop")["counts"]
        assert (desktop["unknown"], desktop["not_judged"]) == desktop_counts


def test_a_run_stopped_before_its_first_clock_reading_says_that_one(tmp_path):
    # it said "before its CPU clock readings under load" where the reading missing is the one taken before load
    doc = json.loads(next((REPO / "results" / "reference").glob("*.json")).read_text(encoding="utf-8"))
    doc.update(status="interrupted")
    doc["peaks"]["cpu"].pop("clock")
    for key in ("cpu_clock_rounds", "cpu_clock_end"):
        del doc["conditions"][key]
    (tmp_path / "intr.json").write_text(json.dumps(doc), encoding="utf-8")
    out = run_cli("recommend", "intr.json", "--profile", "desktop", "--json", cwd=tmp_path).json()
    assert _checks(out, "desktop")["desktop.cooling"]["why"].endswith(
        "(the run was interrupted before its CPU clock reading before load; run `rigbench bench` again)")


def test_an_interrupted_run_says_it_stopped_before_what_it_lacks(tmp_path):
    # it said "no CPU clock before and after the run (re-run `rigbench bench` with this version)" of a run this
    # version wrote and a Ctrl-C stopped in its first round, and nowhere that the run was interrupted
    doc = json.loads(next((REPO / "results" / "reference").glob("*.json")).read_text(encoding="utf-8"))
    doc.update(status="interrupted", reason="interrupted by Ctrl-C before the suite finished")
    doc["measurements"] = [m for m in doc["measurements"] if m["kernel"] not in ("disk_read", "disk_iops")]
    for key in ("cpu_clock_rounds", "cpu_clock_end"):
        del doc["conditions"][key]
    (tmp_path / "intr.json").write_text(json.dumps(doc), encoding="utf-8")
    out = run_cli("recommend", "intr.json", "--profile", "desktop", "--json", cwd=tmp_path).json()
    assert out["results_status"] == "interrupted"
    assert ("that run is interrupted (interrupted by Ctrl-C before the suite finished): what it did not reach is "
            "unknown") in out["notes"]
    checks = _checks(out, "desktop")
    cooling, ssd = checks["desktop.cooling"], checks["desktop.ssd"]
    assert cooling["status"] == "unknown" and "with this version" not in cooling["why"]
    assert cooling["why"].endswith("(the run was interrupted before its CPU clock readings after load; run "
                                   "`rigbench bench` again)")
    assert ssd["status"] == "unknown" and ssd["why"].endswith("(the run was interrupted before disk_iops; run "
                                                              "`rigbench bench` again)")
    # the fact as data, for the screen to render without reading the sentence back
    assert (cooling["stopped"], ssd["stopped"]) == ("interrupted", "interrupted")
    assert all(c["stopped"] is None for c in checks.values() if c["id"] not in ("desktop.cooling", "desktop.ssd"))
    screen = " ".join(run_cli("recommend", "intr.json", "--profile", "desktop", cwd=tmp_path).stdout.split())
    assert "that run is interrupted (interrupted by Ctrl-C before the suite finished)" in screen
    assert "ssd, cooling: the run was interrupted before measuring it: run `rigbench bench` again" in screen
    # a complete run says nothing of the kind
    done = run_cli("recommend", str(next((REPO / "results" / "reference").glob("*.json"))), "--json").json()
    assert done["results_status"] == "complete" and not any("that run is" in n for n in done["notes"])


def test_a_planned_two_gpu_build_is_judged():
    r = run_cli("recommend", "--spec", TWO_GPU_SPEC, "--profile", "desktop", "--json")
    assert r.code == 0, r.stderr
    checks = _checks(r.json(), "desktop")
    for rid in ("desktop.gpu", "desktop.cores_per_gpu", "desktop.ram_vs_gpu", "desktop.storage", "desktop.ssd",
                "desktop.os_packages"):
        assert checks[rid]["status"] == "pass", (rid, checks[rid])
    assert checks["desktop.cooling"]["status"] == "unknown"


def test_the_gpu_rule_shows_each_figure_predicted_with_its_band_and_a_tie_as_one():
    """The RTX 3060 (333 images/s, amp) against the RTX 2070 bar (337): the 2070 is 1.01x as fast, inside the +-8%
    band of that ratio (rigbench compare calls it a tie; tests/test_guidelines.py works the numbers): the rule
    passes, and the passing rules' one line still says the figure is predicted, its +-, and that it is a tie. An
    H200 far over the bar: its figure predicted +-4%, no tie."""
    base = "ram=32GB,cpu=i7-9700K,cores=8,disk=4TB,disk_kind=ssd,os=linux,gpu="
    r = run_cli("recommend", "--spec", base + "rtx-3060", "--profile", "desktop")
    assert r.code == 0, r.stderr
    screen = " ".join(r.stdout.split())
    assert ("pass gpu GeForce RTX 3060 333 images/s predicted +-6% (amp), a tie with rtx-2070 inside the model's "
            "+-8%, cores_per_gpu") in screen
    verbose = " ".join(run_cli("recommend", "--spec", base + "rtx-3060", "--profile", "desktop", "-v").stdout.split())
    assert ("pass desktop.gpu: GeForce RTX 3060 333 images/s predicted +-6% (amp), a tie with rtx-2070 inside the "
            "model's +-8%; required >= rtx-2070 (337 images/s predicted +-4%, amp)") in verbose
    assert ("rtx-2070 is 1.01x as fast: a tie with rtx-2070 inside the model's +-8% on that ratio, so not clearly at "
            "or above it") in verbose
    h200 = " ".join(run_cli("recommend", "--spec", base + "h200", "--profile", "desktop").stdout.split())
    assert "pass gpu H200 SXM 141GB 2,896 images/s predicted +-4%, cores_per_gpu" in h200


def test_price_only_spec_applies_to_a_results_file():
    r = run_cli("recommend", str(FX / "results_cool_fed.json"), "--spec", "price=2500", "--profile", "desktop", "--json")
    assert r.code == 0, r.stderr
    assert _checks(r.json(), "desktop")["desktop.price"]["status"] == "pass"


def test_instance_for_the_cloud_profile():
    r = run_cli("recommend", "--instance", "aws:p3.2xlarge", "--profile", "cloud", "--json")
    assert r.code == 0, r.stderr
    doc = r.json()
    checks = _checks(doc, "cloud")
    assert checks["cloud.gpu"]["status"] == "pass" and checks["cloud.cheapest_provider"]["status"] in ("pass", "warn")
    assert {c["provider"] for c in doc["providers"]["claims"]} == {"azure", "aws", "gcp"}


def test_strict_exit_codes():
    failing = run_cli("recommend", "--spec", "ram=8GB,gpu=gtx-1080-ti", "--profile", "desktop", "--strict")
    assert failing.code == 1 and "desktop.ram_vs_gpu" in failing.stderr
    passing = run_cli("recommend", "--spec", 'ram=16GB,cpu="Intel Core i7-8750H",gpu=gtx-1070,disk=1TB,os=linux',
                      "--profile", "laptop", "--strict", "--json")
    assert passing.code == 0, passing.stderr
    assert passing.json()["profiles"][0]["verdict"] == "pass"


@pytest.mark.parametrize("args, words", [
    (("RESULTS", "--results-dir", "/tmp"), "--results-dir and RESULTS do not go together"),
    (("--spec", "ram=32GB", "--results-dir", "somewhere"), "--results-dir and a --spec describing hardware do not go"),
    (("--instance", "aws:p3.2xlarge", "--results-dir", "somewhere"), "--results-dir and --instance do not go"),
    (("--spec", "price=2500", "--instance", "aws:p3.2xlarge"),
     "--spec price=... and --instance do not go together: a rented instance is priced by the hour"),
    (("--spec", "price=2500,ready_made=3000", "--instance", "aws:p3.2xlarge"), "leave out price=..., ready_made=..."),
    (("--spec", "instance=aws:p3.2xlarge,price=2500"), "--spec price=... and instance=... do not go together"),
])
def test_options_that_contradict_each_other_are_refused_with_one_line(args, words):
    # each was accepted and one of them ignored without a word
    args = tuple(str(FX / "results_cool_fed.json") if a == "RESULTS" else a for a in args)
    assert_user_error(run_cli("recommend", *args), words)


def test_a_results_dir_that_is_no_folder_is_refused(tmp_path):
    # a folder typed wrong was read as one without runs ("no results file in nosuch/"), while a file there was refused
    assert_user_error(run_cli("recommend", "--results-dir", "nosuch", cwd=tmp_path),
                      "--results-dir nosuch: no such folder")
    (tmp_path / "afile").write_text("x")
    assert_user_error(run_cli("recommend", "--results-dir", "afile", cwd=tmp_path),
                      "--results-dir afile is a file, not a folder")
    # /dev/null and a FIFO were read as folders without runs (exit 0, "no results file in /dev/null/")
    assert_user_error(run_cli("recommend", "--results-dir", "/dev/null", cwd=tmp_path),
                      "--results-dir /dev/null is a device node, not a folder")
    os.mkfifo(tmp_path / "rd.fifo")
    assert_user_error(run_cli("recommend", "--results-dir", "rd.fifo", cwd=tmp_path),
                      "--results-dir rd.fifo is a FIFO (named pipe), not a folder")
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    assert_user_error(run_cli("recommend", "--results-dir", "gone", cwd=tmp_path), "leads nowhere", "not a folder")
    (tmp_path / "empty").mkdir()
    r = run_cli("recommend", "--json", "--results-dir", "empty", cwd=tmp_path)
    assert r.code == 0 and "no results file in empty/" in r.json()["notes"][0]


def test_bad_spec_values_exit_2():
    assert_user_error(run_cli("recommend", "--spec", "ramm=16GB"), "unknown key", "ram")
    assert_user_error(run_cli("recommend", "--spec", "ram=sixteen"), "16GB")
    assert_user_error(run_cli("recommend", "--spec", "gpu=2x gtx-9999"), "gtx-9999")
    # a count given twice is said as compare says it, not "unknown GPU '2x rtx-2080-ti'"
    assert_user_error(run_cli("recommend", "--spec", "gpu=2x 2x rtx-2080-ti"), "--spec gpu='2x 2x rtx-2080-ti': the "
                      "card count is given twice; give one 'Nx' per card: '2x rtx-2080-ti'")
    assert_user_error(run_cli("recommend", "--instance", "aws:no-such"), "no-such")
    assert_user_error(run_cli("recommend", "--profile", "boat"), "boat")
    assert_user_error(run_cli("recommend", "--budget", "lots"), "lots")
    assert_user_error(run_cli("recommend", "no-such-file.json"), "no-such-file.json")


def test_help_teaches():
    r = run_cli("recommend", "--help")
    assert r.code == 0
    assert "--spec" in r.stdout and "rigbench recommend --instance aws:p3.2xlarge" in r.stdout
    assert "auto" in r.stdout and "--profile all" in r.stdout and "ready_made" in r.stdout


def test_probe_screen_ends_with_the_verdict_per_profile_that_applies(tmp_path):
    probe_screen = run_cli("probe", cwd=tmp_path)
    assert probe_screen.code == 0, probe_screen.stderr
    last = " ".join(probe_screen.stdout.split("Guidelines for ", 1)[1].split())
    assert last.endswith("`rigbench recommend` says why and what to change.")
    doc = run_cli("recommend", "--json", cwd=tmp_path).json()
    for p in doc["profiles"]:
        word = {"fail": "FAIL", "unknown": "?"}.get(p["verdict"], p["verdict"])
        assert f"{p['profile']} {word}" in last, (p["profile"], last)
    assert doc["kind"]["why"].split(":")[0] in last


def test_a_probe_file_can_be_judged(tmp_path):
    probe_doc = run_cli("probe", "--json", cwd=tmp_path)
    path = tmp_path / "probe.json"
    path.write_text(probe_doc.stdout)
    r = run_cli("recommend", str(path), "--json")
    assert r.code == 0, r.stderr
    assert "probed in" in r.json()["notes"][0] and r.json()["results_file"] is None


def test_a_gtx_1070_build_is_pointed_at_the_cheapest_card_over_the_bar():
    r = run_cli("recommend", "--spec", 'ram=32GB,gpu=gtx-1070,cpu="Intel Core i7-9700K",cores=8,disk=4TB,'
                "disk_kind=ssd,os=linux", "--profile", "desktop", "--json")
    assert r.code == 0, r.stderr
    gpu = next(s for s in r.json()["suggestions"] if s["kind"] == "gpu")
    cheapest = min(gpu["options"], key=lambda o: o["launch_price_usd"])
    assert gpu["cost_usd"] == cheapest["launch_price_usd"] and cheapest["name"] in gpu["change"]


def test_unquoted_thousands_and_new_spec_keys():
    r = run_cli("recommend", "--spec", "gpu=rtx-2080-ti,cpu=i7-9700K,price=$3,500,ready_made=$4,200", "--profile", "diy",
                "--json")
    assert r.code == 0, r.stderr
    price = _checks(r.json(), "diy")["diy.price"]
    assert price["status"] == "pass" and price["measured_value"] == 3500 and price["required_value"] == 4200
    assert_user_error(run_cli("recommend", "--spec", "kind=boat"), "kind", "laptop")
    assert_user_error(run_cli("recommend", "--spec", "psu=lots"), "psu", "1200W")
    assert_user_error(run_cli("recommend", "--spec", "gpu_cooling=fans"), "blower")


def test_a_rented_instance_is_not_told_to_buy_parts():
    r = run_cli("recommend", "--instance", "aws:g4dn.xlarge", "--json")
    assert r.code == 0, r.stderr
    doc = r.json()
    assert doc["kind"]["kind"] == "instance" and [p["profile"] for p in doc["profiles"]] == ["cloud"]
    assert not {s["kind"] for s in doc["suggestions"]} & {"gpu", "ram", "storage", "ssd", "cpu"}


def test_the_python_api_returns_what_json_prints():
    """rigbench.recommend(...) and `rigbench recommend --json` give the same document for the same inputs."""
    spec = 'ram=16GB,cpu="Intel Core i7-8750H",gpu=gtx-1070,disk=1TB,os=linux'
    r = run_cli("recommend", "--spec", spec, "--profile", "all", "--budget", "$1,500", "--json")
    assert r.code == 0, r.stderr
    assert rigbench.recommend(spec=spec, profile="all", budget="$1,500") == r.json()
    assert rigbench.recommend(instance="aws:p3.2xlarge")["kind"]["kind"] == "instance"
    with pytest.raises(UserError, match="unknown key 'ramm'"):
        rigbench.recommend(spec="ramm=16GB")


def test_an_invalid_measurement_says_rerun_on_the_short_line(tmp_path):
    """The reference VM run: disk_iops ran but is INVALID (its rounds moved 20% apart): a rerun helps, not a first run."""
    ref = next((REPO / "results" / "reference").glob("vm-amd-epyc-2vcpu-*.json"))
    shutil.copy(ref, tmp_path / "run.json")
    r = run_cli("recommend", str(tmp_path / "run.json"), "--profile", "desktop")
    assert r.code == 0, r.stderr
    text = " ".join(r.stdout.split())
    assert "ssd: measured but INVALID: rerun `rigbench bench --only disk_iops` on a quiet machine" in text
    assert "ssd: need measurements" not in text


def test_unknowns_are_grouped_by_their_remedy_field_not_by_reading_their_why():
    """The short line's action comes from the check's ``remedy`` (and ``stopped``): rewording a why changes nothing,
    and a why that merely mentions a GPU or `rigbench bench` is shown as it is, not taken for a remedy."""
    def unknown(why: str, **fields) -> dict:
        c = Check("desktop.x", "unknown", "-", "-", why, "a guideline", "x", "fail", **fields)
        return c.to_dict()

    for why in ("no GPU to feed", "a reworded reason in other words", "present but INVALID; `rigbench bench`"):
        assert _unknown_action(unknown(why, remedy=needs_gpu())) == "need a GPU to judge"
        assert (_unknown_action(unknown(why, remedy=needs_rerun("rigbench bench --only disk_iops")))
                == "measured but INVALID: rerun `rigbench bench --only disk_iops` on a quiet machine")
        assert _unknown_action(unknown(why, remedy=needs_bench("rigbench bench --only preprocess"))) == \
            "need measurements: run `rigbench bench`"
        assert _unknown_action(unknown(why, remedy=needs_gpu(), stopped="interrupted")).startswith("the run ")
    for why in ("no GPU reported by the spec", "rerun `rigbench bench --only disk_iops`: present but INVALID, rerun "
                "`rigbench bench --only disk_iops` on a quiet machine"):
        assert _unknown_action(unknown(why)) == why          # no remedy: the why itself


def test_a_planned_mac_with_an_nvidia_gpu_is_refused_and_an_unknown_cpu_is_said(tmp_path):
    # os=macos beside gpu=gtx-1060-max-q passed the GPU rule on a card the Mac rule says it cannot use; cpu=💥 was
    # read without a word
    r = run_cli("recommend", "--spec", "cpu=i3-8130U,ram=8GB,gpu=gtx-1060-max-q,os=macos", cwd=tmp_path)
    assert_user_error(r, "--spec: a Mac (os=macos or an Apple M CPU) with an NVIDIA GPU is no machine to plan")
    assert_user_error(run_cli("recommend", "--spec", 'cpu="Apple M2",gpu=rtx-3060', cwd=tmp_path), "give gpu=none")
    assert run_cli("recommend", "--spec", 'cpu="Apple M2",gpu=none,os=macos', cwd=tmp_path).code == 0
    doc = run_cli("recommend", "--spec", "cpu=💥,ram=16GB", "--json", cwd=tmp_path).json()
    assert any(n.startswith("cpu=💥: no CPU rigbench can class (profiles/cpu_tiers.toml") for n in doc["notes"])
    doc = run_cli("recommend", "--spec", "cpu=i7-9700K,ram=16GB", "--json", cwd=tmp_path).json()
    assert not any("no CPU rigbench can class" in n for n in doc["notes"])


def test_a_planned_laptop_is_told_to_choose_a_laptop_with_a_better_cpu(tmp_path):
    # it was told "a CPU of i7 class or above (usually a new board too)", a desktop's change
    doc = run_cli("recommend", "--spec", "cpu=i3-8100,kind=laptop,ram=16GB", "--json", cwd=tmp_path).json()
    changes = [s["change"] for s in doc["suggestions"] if "cpu" in s.get("from", []) or "CPU" in s["change"]]
    assert "a laptop with a CPU of i7 class or above (a laptop's CPU is soldered), or the cloud path" in changes
    assert not any("new board" in c for c in changes)
