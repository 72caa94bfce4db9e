"""`make gpu-check`: its own logic, on this machine without a GPU.

The hardware boundary is the process boundary: nvidia-smi's CSV is a recorded sample, the steps' outputs are the
recorded doubles of tests/fixtures/gpu_check/ (README there says what is real and what is made up), and the
runner, timeouts, checks, report and summary are the real code.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rigbench import model, validity
from rigbench.bench.schema import load_results
from rigbench.gpucheck import checks as gpu_checks
from rigbench.gpucheck import smi, summary
from rigbench.gpucheck import runner as gpu_runner
from rigbench.gpucheck.plan import plan, requirement_names

REPO = Path(__file__).resolve().parents[1]
DOUBLES = REPO / "tests" / "fixtures" / "gpu_check"
SCRIPT = REPO / "tests" / "benchmarks" / "gpu_check.py"


def _double(name: str) -> dict:
    return json.loads((DOUBLES / name).read_text(encoding="utf-8"))


def _smi() -> list[dict]:
    return smi.parse_smi_csv((DOUBLES / "nvidia-smi.csv").read_text(encoding="utf-8"))


def _statuses(checks: list[dict]) -> dict[str, str]:
    return {c["check"]: c["status"] for c in checks}


# ------------------------------------------------------------------------------------------------ nvidia-smi CSV

def test_smi_csv_sample_parses_into_numbers_without_units():
    (row,) = _smi()
    assert row["name"] == "NVIDIA H200"
    assert row["memory.total"] == 143771 and row["clocks.max.sm"] == 1980 and row["clocks.max.memory"] == 3201
    assert row["power.limit"] == 700.0 and row["enforced.power.limit"] == 700.0
    assert row["pcie.link.gen.max"] == 5 and row["pcie.link.width.max"] == 16
    assert row["compute_cap"] == "9.0" and row["mig.mode.current"] == "Disabled"
    assert row["index"] == 0 and row["driver_version"] == "580.159.03"


def test_smi_csv_unreadable_values_become_none_and_two_gpus_two_rows():
    text = ("index, name, power.limit [W], pcie.link.gen.max, mig.mode.current\n"
            "0, NVIDIA GeForce RTX 2080 Ti, [N/A], 3, [N/A]\n"
            "1, NVIDIA GeForce GTX 1080 Ti, 250.00 W, [Not Supported], [Insufficient Permissions]\n")
    a, b = smi.parse_smi_csv(text)
    assert a["power.limit"] is None and a["pcie.link.gen.max"] == 3 and a["mig.mode.current"] is None
    assert b["power.limit"] == 250.0 and b["pcie.link.gen.max"] is None and b["mig.mode.current"] is None


@pytest.mark.parametrize("text", ["", "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver",
                                  "index, name\n0, A, extra\n"])
def test_smi_csv_that_is_not_the_query_output_is_refused(text):
    with pytest.raises(ValueError):
        smi.parse_smi_csv(text)


def test_a_field_an_older_driver_refuses_is_dropped_and_the_query_retried():
    argv = smi.smi_command()
    refused = gpu_runner.Outcome(2, "", 'Field "compute_cap" is not a valid field to query.\n', 0.1)
    narrower = smi.smi_retry(argv, refused)
    assert narrower is not None and "compute_cap" not in narrower[1] and "clocks.max.sm" in narrower[1]
    core = gpu_runner.Outcome(2, "", 'Field "name" is not a valid field to query.\n', 0.1)
    assert smi.smi_retry(argv, core) is None     # the name is never dropped
    other = gpu_runner.Outcome(9, "", "NVIDIA-SMI has failed\n", 0.1)
    assert smi.smi_retry(argv, other) is None


def test_nvidia_smi_step_retries_without_the_refused_field():
    calls = []

    def runner(argv, timeout_s, env=None):
        calls.append(argv)
        if "compute_cap" in argv[1]:
            return gpu_runner.Outcome(2, "", 'Field "compute_cap" is not a valid field to query.\n', 0.01)
        sample = (DOUBLES / "nvidia-smi.csv").read_text(encoding="utf-8").splitlines()
        cols = [c.strip() for c in sample[0].split(",")]
        keep = [i for i, c in enumerate(cols) if not c.startswith("compute_cap")]
        text = "\n".join(", ".join(line.split(", ")[i] for i in keep) for line in sample)
        return gpu_runner.Outcome(0, text + "\n", "", 0.01)

    step = plan(Path("/nonexistent"), ["python"])[0]
    ctx: dict = {}
    rec = gpu_runner.run_step(step, ctx, 30, runner=runner)
    assert len(calls) == 2 and rec["status"] == "ok" and "compute_cap" not in rec["command"][1]
    assert "compute_cap" not in ctx["nvidia-smi"][0] and rec["dropped"]


# ------------------------------------------------------------------------------------------------ probe vs nvidia-smi

def test_probe_facts_match_the_recorded_smi_sample():
    checks = gpu_checks.check_probe_against_smi(_double("probe.json")["gpus"], _smi())
    st = _statuses(checks)
    assert set(st.values()) == {"pass"}
    for f in ("name", "uuid", "pci.bus_id", "memory.total", "clocks.max.sm", "enforced.power.limit",
              "pcie.link.gen.max", "pcie.link.width.max", "compute_cap", "mig.mode.current", "driver_version"):
        assert st[f"GPU 0 {f}"] == "pass", f


def test_probe_fact_that_differs_from_smi_fails_within_tolerance_passes():
    gpus = _double("probe.json")["gpus"]
    off = copy.deepcopy(gpus)
    off[0]["max_sm_clock_mhz"] = 1755                     # an H100 PCIe's clock on an H200
    off[0]["memory_total_bytes"] = 143771 * 2 ** 20 + 2 ** 19   # half a MiB more: nvidia-smi rounds it away
    off[0]["pci_bus_id"] = "0000:19:00.0"                 # the legacy 4-digit domain is the same bus
    st = _statuses(gpu_checks.check_probe_against_smi(off, _smi()))
    assert st["GPU 0 clocks.max.sm"] == "fail"
    assert st["GPU 0 memory.total"] == "pass" and st["GPU 0 pci.bus_id"] == "pass"
    off[0]["memory_total_bytes"] = (143771 + 2) * 2 ** 20
    assert _statuses(gpu_checks.check_probe_against_smi(off, _smi()))["GPU 0 memory.total"] == "fail"


def test_a_field_neither_tool_reads_is_explained_one_side_only_fails():
    gpus = copy.deepcopy(_double("probe.json")["gpus"])
    smi = _smi()
    smi[0]["pcie.link.gen.max"] = None
    gpus[0]["pcie_generation"] = None
    gpus[0]["reasons"]["pcie_generation"] = "not supported by this GPU or driver"
    smi[0]["pcie.link.width.max"] = None                  # the probe still reads 16
    st = _statuses(gpu_checks.check_probe_against_smi(gpus, smi))
    assert st["GPU 0 pcie.link.gen.max"] == "explained"
    assert st["GPU 0 pcie.link.width.max"] == "fail"


def test_gpu_missing_from_the_probe_fails():
    checks = gpu_checks.check_probe_against_smi([], _smi())
    assert {c["status"] for c in checks} == {"fail"}


# ------------------------------------------------------------------------------------------------ bench figures

def _rec(**kw) -> dict:
    base = {"kernel": "gemm", "device": "cuda:0", "dtype": "float16", "label": "8192³", "status": "ok", "value": 700.0,
            "unit": "TFLOP/s", "peak": 989.4, "fraction_of_peak": 700 / 989.4, "valid": True, "invalid_reasons": []}
    base.update(kw)
    return base


def test_every_figure_valid_or_explained():
    doc = {"measurements": [
        _rec(),
        _rec(dtype="float32", valid=False, invalid_reasons=["spread 12% of the median"]),
        _rec(kernel="conv2d", status="skipped", reason="out of memory at {...}", value=None),
        _rec(kernel="attention", status="failed", reason="RuntimeError: CUDA error", value=None),
        _rec(kernel="memcopy", valid=False, invalid_reasons=[]),
        _rec(kernel="h2d", status="skipped", reason=None, value=None),
    ]}
    st = [c["status"] for c in gpu_checks.check_figures(doc, "bench-cuda", "cuda:0")]
    assert st == ["pass", "explained", "explained", "fail", "fail", "fail"]


@pytest.mark.parametrize("frac,status", [(1.07, "fail"), (0.0, "fail"), (-0.1, "fail"), (1.0, None), (None, None)])
def test_fraction_of_peak_must_lie_in_zero_to_one(frac, status):
    checks = gpu_checks.check_figures({"measurements": [_rec(fraction_of_peak=frac)]}, "bench-cuda")
    frac_checks = [c for c in checks if c["check"].endswith("fraction of peak")]
    assert (frac_checks[0]["status"] if frac_checks else None) == status


def test_no_measurements_on_the_device_fails():
    checks = gpu_checks.check_figures({"measurements": [_rec(device="cpu")]}, "bench-cuda", "cuda:0")
    assert [c["status"] for c in checks] == ["fail"]


def test_recorded_cuda_double_exercises_every_gpu_path():
    doc = _double("bench-cuda.json")
    st = _statuses(gpu_checks.check_gpu_paths(doc, "cuda:0", "9.0"))
    assert set(st.values()) == {"pass"}
    assert {"gemm float32 ran", "gemm tf32 ran", "gemm float16 ran", "gemm bfloat16 ran", "Numba triad vs memcopy",
            "train_cnn float32 ran", "train_cnn amp ran", "train_transformer float32 ran", "train_transformer amp ran",
            "results verified"} <= set(st)


def test_supported_gemm_dtypes_follow_compute_capability():
    assert gpu_checks.supported_gemm_dtypes("6.1") == ("float32",)
    assert gpu_checks.supported_gemm_dtypes("7.5") == ("float32", "float16")
    assert set(gpu_checks.supported_gemm_dtypes("9.0")) == {"float32", "float16", "tf32", "bfloat16"}
    assert gpu_checks.supported_gemm_dtypes(None) == ("float32",)


def test_missing_dtype_broken_triad_amp_without_scaler_and_wrong_result_fail():
    doc = copy.deepcopy(_double("bench-cuda.json"))
    ms = doc["measurements"]
    for m in ms:
        if m["kernel"] == "gemm" and m["dtype"] == "bfloat16":
            m.update(status="failed", reason="wrong result: 3 of 16384 sampled values off (a wrong result on a GPU "
                                             "is a hardware fault)")
        if m["kernel"] == "stream_triad":
            m["value"] = 0.3 * next(x for x in ms if x["kernel"] == "memcopy")["value"]
        if m["kernel"] == "train_cnn" and m["dtype"] == "amp":
            m["info"]["grad_scaler"] = False
    st = _statuses(gpu_checks.check_gpu_paths(doc, "cuda:0", "9.0"))
    assert st["gemm bfloat16 ran"] == "fail"
    assert st["Numba triad vs memcopy"] == "fail"
    assert st["train_cnn amp GradScaler"] == "fail"
    assert st["results verified"] == "fail"
    # a Turing card has no bfloat16: not asked for
    assert "gemm bfloat16 ran" not in _statuses(gpu_checks.check_gpu_paths(doc, "cuda:0", "7.5"))


def test_distributed_double_one_rank_nccl_skips_explained():
    checks = gpu_checks.check_distributed(_double("bench-distributed.json"), n_gpus=1)
    st = [c["status"] for c in checks]
    assert "fail" not in st and st.count("explained") == 3
    assert _statuses(checks)["one rank per GPU"] == "pass"
    assert _statuses(gpu_checks.check_distributed(_double("bench-distributed.json"), n_gpus=2))["one rank per GPU"] \
        == "fail"
    gloo = copy.deepcopy(_double("bench-distributed.json"))
    gloo["distributed"]["backend"] = "gloo"
    assert _statuses(gpu_checks.check_distributed(gloo, 1))["backend"] == "fail"


# ------------------------------------------------------------------------------------------------ model band

def test_model_band_is_the_largest_validation_error_per_precision(monkeypatch):
    rows = [{"precision": "fp32", "error": 0.10}, {"precision": "fp32", "error": -0.20},
            {"precision": "amp", "error": 0.05}]
    monkeypatch.setattr(model, "validation_table", lambda: rows)
    band = gpu_checks.model_band()
    assert band["fp32"]["band"] == pytest.approx(0.20) and band["fp32"]["pairs"] == 2
    assert band["amp"]["band"] == pytest.approx(0.05) and band["amp"]["pairs"] == 1


def test_model_band_of_the_real_validation_table_is_a_fraction():
    band = gpu_checks.model_band()
    assert set(band) == {"fp32", "amp"}
    assert all(0 < b["band"] < 1 for b in band.values())
    assert sum(b["pairs"] for b in band.values()) == len(model.validation_table())


def _compare_doc(measured: float, predicted: float, precision: str) -> dict:
    return {"workloads": [{"workload": "train_cnn", "precision": precision, "unit": "images/s",
                           "throughput": {"h200-sxm": predicted, "h200-sxm@host": measured},
                           "source": {"h200-sxm": "predicted", "h200-sxm@host": "measured"}}]}


def test_measured_vs_predicted_inside_and_outside_the_band():
    band = {"fp32": {"band": 0.161, "source": "s"}, "amp": {"band": 0.269, "source": "s"}}
    # measured 80, predicted 100: error (100 - 80) / 80 = +25 %: inside ±26.9 %, outside ±16.1 %
    (amp,) = gpu_checks.check_compare(_compare_doc(80.0, 100.0, "amp"), band)
    (fp32,) = gpu_checks.check_compare(_compare_doc(80.0, 100.0, "fp32"), band)
    assert amp["status"] == "pass" and fp32["status"] == "fail"
    assert "= 0.80" in amp["detail"] and "+25%" in amp["detail"]
    (row,) = gpu_checks.compare_ratios(_compare_doc(80.0, 100.0, "amp"))
    assert row["ratio"] == pytest.approx(0.8)


def test_compare_double_is_the_real_model_on_the_recorded_run():
    rows = gpu_checks.compare_ratios(_double("compare.json"))
    assert {(r["workload"], r["precision"]) for r in rows} == {
        ("train_cnn", "fp32"), ("train_cnn", "amp"), ("train_transformer", "fp32"), ("train_transformer", "amp")}
    # the double's training figures were set at 0.9 of the model's prediction (make_doubles.py)
    assert all(r["ratio"] == pytest.approx(0.9, rel=1e-6) for r in rows)


def test_missing_measured_training_figure_says_why():
    doc = _compare_doc(80.0, 100.0, "amp")
    doc["workloads"][0]["source"] = {"h200-sxm": "predicted", "h200-sxm@host": "predicted"}
    bench = {"measurements": [_rec(kernel="train_cnn", dtype="amp", valid=False,
                                   invalid_reasons=["spread 14% of the median"])]}
    (c,) = gpu_checks.check_compare(doc, {"amp": {"band": 0.3, "source": "s"}}, bench)
    assert c["status"] == "fail" and "INVALID (spread 14% of the median)" in c["detail"]


# ------------------------------------------------------------------------------------------------ running steps

def test_a_step_past_its_timeout_is_stopped_with_its_whole_process_group(tmp_path):
    pidfile = tmp_path / "grandchild.pid"
    code = ("import subprocess, sys, time; "
            "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
            f"open({str(pidfile)!r}, 'w').write(str(p.pid)); time.sleep(600)")
    t0 = time.monotonic()
    out = gpu_runner.run_command([sys.executable, "-c", code], timeout_s=3)
    assert out.timed_out and time.monotonic() - t0 < 60
    pid = int(pidfile.read_text())
    for _ in range(50):  # the grandchild is reaped by init once killed; give it a moment
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"grandchild {pid} outlived the step's timeout")



def test_a_step_that_ignores_ctrl_c_and_sigterm_is_killed_with_a_child_that_left_its_group(tmp_path, monkeypatch):
    monkeypatch.setattr(gpu_runner, "KILL_GRACE_S", (0.5, 0.5))
    pidfile = tmp_path / "escaped.pid"
    ignore = "import signal; [signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)]; "
    code = (f"{ignore}import subprocess, sys, time; "
            f"p = subprocess.Popen([sys.executable, '-c', {ignore + 'import time; time.sleep(600)'!r}], "
            "start_new_session=True); "
            f"open({str(pidfile)!r}, 'w').write(str(p.pid)); time.sleep(600)")
    out = gpu_runner.run_command([sys.executable, "-c", code], timeout_s=3)
    assert out.timed_out and out.returncode == -9
    pid = int(pidfile.read_text())
    for _ in range(50):  # killed: gone, or a zombie until init reaps it
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().split(")")[-1].split()[0] == "Z":
                    break
        except FileNotFoundError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"child {pid}, in a session of its own, outlived the step's timeout")

def test_a_command_that_cannot_start_is_a_failed_step_not_a_crash():
    step = gpu_runner.Step("x", 5, lambda ctx, t: ["/nonexistent/nvidia-smi"], "x", parse="csv")
    rec = gpu_runner.run_step(step, {}, 5)
    assert rec["status"] == "failed" and "nonexistent" in rec["reason"]
    assert [c["status"] for c in rec["checks"]] == ["fail"]


def _echo_step(name: str, payload: dict, check=None) -> gpu_runner.Step:
    return gpu_runner.Step(name, 30, lambda ctx, t: [sys.executable, "-c", f"print({json.dumps(json.dumps(payload))})"],
                         name, check=check)


def test_one_step_crashing_loses_no_other_step_and_budget_skips_the_rest():
    def boom(ctx, doc):
        raise KeyError("bad key in a document")

    clock_t = [0.0]
    steps = [_echo_step("a", {"x": 1}), _echo_step("b", {"x": 2}, check=boom), _echo_step("c", {"x": 3}),
             _echo_step("d", {"x": 4})]

    def runner(argv, timeout_s, env=None):
        clock_t[0] += 40.0   # each step "takes" 40 s of a 100 s budget: c starts with 20 s left, d with none
        return gpu_runner.run_command(argv, timeout_s, env)

    seen = []
    records, ctx = gpu_runner.execute(steps, budget_s=100, runner=runner, clock=lambda: clock_t[0],
                                    on_step=lambda rec, recs, ctx: seen.append(rec["step"]))
    assert [r["status"] for r in records] == ["ok", "crashed", "ok", "skipped"]
    assert "KeyError" in records[1]["reason"] and ctx["b"] == {"x": 2} and ctx["c"] == {"x": 3}
    assert records[2]["timeout_s"] == 20
    assert "budget is spent" in records[3]["reason"]
    assert seen == ["a", "b", "c", "d"]
    assert summary.verdict(records)[0] == "fail"


def test_a_step_whose_input_did_not_come_is_skipped_with_the_reason(tmp_path):
    steps = plan(tmp_path, [sys.executable, "-m", "rigbench"])
    by = {s.name: s for s in steps}
    assert "bench-cuda" in by["recommend"].build({}, 60)
    why = by["compare"].build({"probe": {"gpus": [{"name": "NVIDIA Mystery"}]}, "bench-cuda": {}}, 60)
    assert isinstance(why, str) and "not in the GPU catalog" in why
    argv = by["bench-distributed"].build({"probe": {"gpus": [{}, {}]}}, 110)
    assert argv[argv.index("--nproc") + 1] == "2"
    assert 0 < float(argv[argv.index("--timeout") + 1]) < 110   # rigbench stops its workers before we stop it


# ------------------------------------------------------------------------------------------------ the whole dry run

def _run_script(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout,
                          cwd=REPO)


def test_dry_run_passes_writes_report_summary_and_results_files(tmp_path):
    p = _run_script("--dry-run", "--out-dir", str(tmp_path))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "DRY RUN" in p.stdout and "PASS" in p.stdout.splitlines()[0]
    assert "on a GPU: nvidia-smi --query-gpu=" in p.stderr
    files = sorted(f.name for f in tmp_path.glob("*.json"))
    stem = files[0].split(".")[0].removesuffix("-cpu")
    assert stem.startswith("h200-sxm-")
    # the results documents beside each other (reference runs), the report and summary one folder down
    assert files == [f"{stem}-cpu.json", f"{stem}-cuda.json", f"{stem}-distributed.json"]
    assert sorted(f.name for f in (tmp_path / "gpu-check").iterdir()) == [f"{stem}.json", f"{stem}.txt"]
    report = json.loads((tmp_path / "gpu-check" / f"{stem}.json").read_text())
    assert report["schema"] == "rigbench.gpucheck/1" and report["dry_run"] and report["status"] == "pass"
    assert [s["step"] for s in report["steps"]] == ["nvidia-smi", "probe", "tests-gpu", "bench-cuda",
                                                    "bench-distributed", "recommend", "compare", "bench-cpu"]
    tests = next(s for s in report["steps"] if s["step"] == "tests-gpu")
    assert "pytest" in tests["command"] and any(c.endswith("test_kernel_gemm.py") for c in tests["command"])
    assert {c["status"] for c in tests["checks"]} == {"pass", "explained"}      # the CPU run's GPU tests skip
    assert all(s["command"] and s["ran"] for s in report["steps"])   # what a GPU runs, and what the dry run ran

    assert load_results(tmp_path / f"{stem}-cuda.json")["measurements"]      # complete results documents
    summary = (tmp_path / "gpu-check" / f"{stem}.txt").read_text()
    assert summary.strip() == p.stdout.strip()
    assert len(summary.splitlines()) <= 50


def test_dry_run_hang_is_stopped_and_the_dependent_steps_say_why(tmp_path):
    p = _run_script("--dry-run", "--out-dir", str(tmp_path), "--budget", "15", "--dry-hang", "bench-cuda")
    assert p.returncode == 1, p.stdout + p.stderr
    (path,) = tmp_path.glob("gpu-check/*.json")
    report = json.loads(path.read_text())
    st = {s["step"]: s for s in report["steps"]}
    assert st["nvidia-smi"]["status"] == "ok" and st["probe"]["status"] == "ok"
    assert st["bench-cuda"]["status"] == "timeout"
    assert st["recommend"]["status"] == "skipped"
    assert report["status"] == "fail" and "FAIL" in p.stdout.splitlines()[0]


def test_bad_input_is_one_line_and_exit_2():
    p = _run_script("--dry-run", "--budget", "0")
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1
    p = _run_script("--dry-hang", "bench-cuda")
    assert p.returncode == 2 and "--dry-hang" in p.stderr


def test_package_assembled_like_setup_cfg_maps_it(tmp_path):
    spec = importlib.util.spec_from_file_location("gpu_check_script", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.assemble_package(tmp_path)
    code = ("import rigbench, rigbench.kernels, rigbench.profiles, importlib.resources as r; "
            "print(rigbench.__file__); print(len(rigbench.kernels.REGISTRY)); "
            "print(r.files('rigbench.profiles').joinpath('gpus.csv').is_file())")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=120)
    lines = out.stdout.split()
    assert out.returncode == 0, out.stderr
    assert lines[0].startswith(str(tmp_path)) and int(lines[1]) > 5 and lines[2] == "True"


# ------------------------------------------------------------------------------------------------ packages

def test_requirement_names_drop_versions_markers_and_extras():
    assert requirement_names(["click>=8.1", "nvidia-ml-py>=12.535", "torch>=2.1; python_version>'3'",
                                       "rich[jupyter]>=13", "  "]) == ["click", "nvidia-ml-py", "torch", "rich"]


def test_packages_step_finds_what_this_python_has_and_names_what_it_lacks():
    step = plan(Path("/nonexistent"), [sys.executable, "-m", "rigbench"],
                         requirements=["click", "psutil", "surely-not-installed-dist"])[0]
    assert step.name == "packages"
    rec = gpu_runner.run_step(step, {}, 60)
    (c,) = rec["checks"]
    assert rec["status"] == "ok" and c["status"] == "fail"
    assert "missing here: surely-not-installed-dist" in c["detail"] and "click " in c["detail"]


@pytest.mark.parametrize("frac,bound,status", [(1.27, 4.0, "explained"), (4.2, 4.0, "fail"), (1.27, None, "fail")])
def test_a_convolution_above_peak_is_explained_only_within_its_winograd_bound(frac, bound, status):
    info = {"above_peak_note": "counted as direct convolution", "above_peak_bound": bound} if bound else {}
    rec = _rec(kernel="conv2d", fraction_of_peak=frac, valid=False, info=info,
               invalid_reasons=[validity.above_peak(frac, info.get("above_peak_note"))])
    checks = gpu_checks.check_figures({"measurements": [rec]}, "bench-cuda")
    assert [c["status"] for c in checks if c["check"].endswith("fraction of peak")] == [status]


H200_RUN = REPO / "results" / "reference" / "h200-sxm-2026-12-04-cuda.json"   # make gpu-check on an NVIDIA H200


def test_the_checks_hold_on_a_real_h200_run():
    """The committed bench-cuda step of a real H200: every GPU path passed, and every figure passed or was explained
    (18 and 9), the Winograd convolution above the FP32 peak among the explained ones, nothing failed."""
    doc = load_results(H200_RUN)
    paths = _statuses(gpu_checks.check_gpu_paths(doc, "cuda:0", "9.0"))
    assert set(paths.values()) == {"pass"} and "Numba triad vs memcopy" in paths
    figures = gpu_checks.check_figures(doc, "bench-cuda", "cuda:0")
    counts = {s: sum(c["status"] == s for c in figures) for s in ("pass", "explained", "fail")}
    assert counts == {"pass": 18, "explained": 9, "fail": 0}
    winograd = [c for c in figures if c["check"].endswith("fraction of peak")]
    assert [c["status"] for c in winograd] == ["explained"] and "Winograd" in winograd[0]["detail"]
    # a power cap at the card's own 700 W is not throttling: no tensor-core figure is flagged for it
    flagged = [m for m in doc["measurements"] for r in (m.get("invalid_reasons") or []) if r["code"] == "throttled"]
    assert flagged == []
    states = [st for m in doc["measurements"] for st in (m.get("conditions") or {}).get("gpu_rounds") or []]
    assert any("sw_power_cap" in (st.get("clock_event_reasons") or []) and st["power_limit_w"] == 700.0
               and st["default_power_limit_w"] == 700.0 for st in states)


JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="4">
<testcase classname="tests.test_kernel_gemm" name="test_float32" time="0.1" />
<testcase classname="tests.test_kernel_gemm" name="test_tf32"><failure message="AssertionError: 3e-2 &gt; 1e-2">x</failure>
</testcase>
<testcase classname="tests.test_kernel_train" name="test_amp"><error message="RuntimeError: CUDA error">y</error></testcase>
<testcase classname="tests.test_kernel_memcopy" name="test_gpu"><skipped type="pytest.skip" message="no CUDA GPU" /></testcase>
</testsuite></testsuites>"""


def test_the_gpu_tests_report_is_read_per_test():
    doc = gpu_checks.parse_junit(JUNIT)
    assert doc == {"passed": ["tests.test_kernel_gemm::test_float32"],
                   "failed": [("tests.test_kernel_gemm::test_tf32", "AssertionError: 3e-2 > 1e-2"),
                              ("tests.test_kernel_train::test_amp", "RuntimeError: CUDA error")],
                   "skipped": [("tests.test_kernel_memcopy::test_gpu", "no CUDA GPU")]}
    st = [(c["check"], c["status"]) for c in gpu_checks.check_tests(doc)]
    assert st == [("tests.test_kernel_gemm::test_tf32", "fail"), ("tests.test_kernel_train::test_amp", "fail"),
                  ("tests.test_kernel_memcopy::test_gpu", "explained"), ("tests passed", "pass")]
    assert [c["status"] for c in gpu_checks.check_tests(gpu_checks.parse_junit("<testsuites/>"))] == ["fail"]
    with pytest.raises(ValueError, match="not a JUnit XML report"):
        gpu_checks.parse_junit("collected 0 items")
