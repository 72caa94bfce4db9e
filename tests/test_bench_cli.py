"""`rigbench bench` as a user runs it: a real process, real kernels, a results file read back."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import assert_user_error, run_cli
from rigbench.bench.schema import load_results


def test_only_gemm_writes_a_valid_results_file(tmp_path):
    out = tmp_path / "r.json"
    r = run_cli("bench", "--quick", "--only", "gemm", "--device", "cpu", "--out", str(out))
    assert r.code == 0, r.stderr
    doc = load_results(out)
    assert doc["status"] == "complete" and doc["quick"] is True
    kernels = {m["kernel"] for m in doc["measurements"]}
    assert kernels == {"gemm"}
    f32 = next(m for m in doc["measurements"] if m["dtype"] == "float32")
    assert f32["status"] == "ok" and f32["repeats"] >= 5 and f32["unit"] == "TFLOP/s"
    assert f32["value"] == pytest.approx(f32["flops"] / f32["median_s"] / 1e12)
    assert 0 < f32["fraction_of_peak"] <= 1.0, f32      # a peak from the measured clock is never beaten
    assert doc["peaks"]["cpu"]["clock"]["used_mhz"] > 0
    assert "gemm" in r.stdout and str(out) in r.stdout and "TFLOP/s" in r.stdout


def test_json_prints_exactly_the_document(tmp_path):
    out = tmp_path / "r.json"
    r = run_cli("bench", "--quick", "--only", "memcopy", "--device", "cpu", "--out", str(out), "--json")
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["schema"] == "rigbench.results/1" and doc["measurements"][0]["kernel"] == "memcopy"
    assert doc == json.loads(out.read_text())


def test_unknown_kernel_lists_the_valid_ones():
    r = run_cli("bench", "--only", "gemm,frobnicate")
    assert_user_error(r, "frobnicate", "valid kernels", "gemm", "memcopy")


def test_unknown_device_lists_the_valid_ones():
    assert_user_error(run_cli("bench", "--device", "tpu"), "tpu", "valid devices", "cpu")


def test_unwritable_out_is_exit_2_before_the_run(tmp_path):
    (tmp_path / "file").write_text("x")
    t0 = time.perf_counter()
    r = run_cli("bench", "--only", "gemm", "--out", str(tmp_path / "file" / "r.json"))
    assert_user_error(r, "cannot write results")
    assert time.perf_counter() - t0 < 20   # failed fast, before measuring


def test_distributed_options_are_declared():
    r = run_cli("bench", "--help")
    assert r.code == 0
    for opt in ("--distributed", "--nproc", "--nnodes", "--node-rank", "--master-addr", "--master-port",
                "--rdzv-endpoint", "--timeout", "--quick", "--only", "--device", "--data-dir", "--out", "--json"):
        assert opt in r.stdout


@pytest.mark.slow
def test_ctrl_c_keeps_a_partial_file_marked_interrupted(tmp_path):
    out = tmp_path / "r.json"
    proc = subprocess.Popen([sys.executable, "-m", "rigbench", "bench", "--quick", "--device", "cpu", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if json.loads(out.read_text())["measurements"]:
                break
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "partial results" in stderr
    doc = load_results(out)
    assert doc["status"] == "interrupted" and len(doc["measurements"]) >= 1


@pytest.mark.slow
def test_quick_suite_end_to_end(tmp_path):
    t0 = time.perf_counter()
    r = run_cli("bench", "--quick", "--device", "cpu", cwd=tmp_path)
    elapsed = time.perf_counter() - t0
    assert r.code == 0, r.stderr
    files = list((tmp_path / "results").glob("*.json"))
    assert len(files) == 1                                  # ./results/<host>-<UTC time>.json
    doc = load_results(files[0])
    assert doc["status"] == "complete" and doc["probe"]["cpu"]
    names = {m["kernel"] for m in doc["measurements"]}
    assert {"gemm", "memcopy"} <= names
    for m in doc["measurements"]:
        for key in ("kernel", "device", "dtype", "params", "median_s", "repeats", "metric", "unit", "value", "peak",
                    "fraction_of_peak", "status", "reason", "valid", "invalid_reasons"):
            assert key in m, (key, m["kernel"])
        if m["status"] == "ok":
            assert m["repeats"] >= 5 and m["value"] > 0 and m["median_s"] > 0
            assert m["valid"] == (not m["invalid_reasons"])
        else:
            assert m["reason"], m
    print(f"quick suite: {elapsed:.1f} s wall, {doc['suite_s']:.1f} s measuring")
