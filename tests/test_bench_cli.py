"""`rigbench bench` as a user runs it: a real process, real kernels, a results file read back."""

import json
import os
import time
from pathlib import Path

import pytest

from conftest import assert_user_error, run_cli
from rigbench import validity
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
    assert doc["schema"] == "rigbench.results/2" and doc["measurements"][0]["kernel"] == "memcopy"
    assert doc == json.loads(out.read_text())
    m = doc["measurements"][0]
    size = m["params"]["n"] * 4        # the buffer, as the table shows it: 4x the LLC, which may pass a GiB
    assert m["label"] == (f"{size / 2 ** 20:.0f} MiB" if size < 2 ** 30 else f"{size / 2 ** 30:.1f} GiB")


def test_unknown_kernel_lists_the_valid_ones():
    r = run_cli("bench", "--only", "gemm,frobnicate")
    assert_user_error(r, "frobnicate", "valid kernels", "gemm", "memcopy")


@pytest.mark.parametrize("only", [("memcopy,memcopy",), ("memcopy", "--only", "memcopy"),
                                  ("allreduce,allreduce", "--distributed")])
def test_a_kernel_named_twice_is_refused_as_a_card_named_twice_is(tmp_path, only):
    # --only memcopy,memcopy measured memcopy once without a word, where --gpus rtx-3090,rtx-3090 is refused
    r = run_cli("bench", "--quick", "--only", *only, "--out", str(tmp_path / "r.json"))
    name = only[0].split(",")[0]
    assert_user_error(r, f"--only '{name}' and --only '{name}' are the same kernel ({name}): name each kernel once")
    assert list(tmp_path.iterdir()) == []


def test_unknown_device_lists_the_valid_ones():
    assert_user_error(run_cli("bench", "--device", "tpu"), "tpu", "valid devices", "cpu")


def test_unwritable_out_is_exit_2_before_the_run(tmp_path):
    (tmp_path / "file").write_text("x")
    r = run_cli("bench", "--only", "gemm", "--out", str(tmp_path / "file" / "r.json"))
    assert_user_error(r, "cannot write results")
    # Refused before the run: nothing was probed or measured, so no progress line and no results file anywhere.
    assert "gemm" not in r.stdout and "clock" not in r.stdout.lower()
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["file"]


def test_a_file_where_the_data_folder_should_be_is_said_as_results_list_says_it(tmp_path):
    # it said "cannot create the results folder ...: Not a directory", where `results list` names the file and
    # what to do about it
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rigbench").write_text("x")
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    r = run_cli("bench", "--quick", "--only", "memcopy", env=env, cwd=tmp_path)
    blocked = (f"{tmp_path / 'data' / 'rigbench'} is a file, not a folder; move it away (or set RIGBENCH_DATA_DIR "
               "to another folder)")
    assert_user_error(r, f"cannot create the results folder {tmp_path / 'data' / 'rigbench' / 'results'}: {blocked}, "
                         "or give --out FILE")
    assert blocked in run_cli("results", "list", env=env, cwd=tmp_path).stderr
    assert "memcopy" not in r.stdout                    # refused before the run: nothing measured or written
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["data", "rigbench"]


def test_distributed_options_are_declared():
    r = run_cli("bench", "--help")
    assert r.code == 0
    for opt in ("--distributed", "--nproc", "--nnodes", "--node-rank", "--master-addr", "--master-port",
                "--rdzv-endpoint", "--timeout", "--quick", "--only", "--device", "--data-dir", "--out", "--json"):
        assert opt in r.stdout


@pytest.mark.slow
def test_quick_suite_end_to_end(tmp_path):
    t0 = time.perf_counter()
    r = run_cli("bench", "--quick", "--device", "cpu", cwd=tmp_path)
    elapsed = time.perf_counter() - t0
    assert r.code == 0, r.stderr
    # without --out: the per-user data folder (XDG_DATA_HOME here, see conftest), never the working directory
    folder = Path(os.environ["XDG_DATA_HOME"]) / "rigbench" / "results"
    files = list(folder.glob("*.json"))
    assert len(files) == 1 and not (tmp_path / "results").exists()      # <host>-<UTC time>.json
    assert str(files[0]) in r.stdout
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
    # the CPU clock is measured before (for the peak) and after the suite (for the cooling guideline)
    start = doc["peaks"]["cpu"]["clock"]["scalar_mhz"]
    end = doc["conditions"]["cpu_clock_end"]["scalar_mhz"]
    assert 500 < start < 7000 and 500 < end < 7000
    print(f"quick suite: {elapsed:.1f} s wall, {doc['suite_s']:.1f} s measuring; clock {start} -> {end} MHz")


# ---------------------------------------------------------------- the table, rendered from a small results document

SKIP_REASON = ("float16 matrix product on this CPU has no native half arithmetic (no AVX512-FP16 or AMX): PyTorch "
               "runs a conversion path about 1000x slower than float32 (measured 0.4 GFLOP/s at 2048), not a "
               "capability worth timing")


def _ok(kernel, dtype, label, value, unit, median, iqr, frac=None, reasons=()):
    return {"kernel": kernel, "device": "cpu", "dtype": dtype, "label": label, "params": {"x": 1}, "status": "ok",
            "reason": None, "value": value, "unit": unit, "median_s": median, "iqr_s": iqr,
            "fraction_of_peak": frac, "valid": not reasons, "invalid_reasons": list(reasons)}


def _fake_doc():
    return {
        "schema": "rigbench.results/2", "host": "testhost", "quick": True, "status": "complete",
        "created_utc": "2026-01-02T03:04:05Z",
        "peaks": {"cpu": {"cpu_class": "amd-zen4", "clock": {"scalar_mhz": 3555, "after_vector_load_mhz": 3392,
                                                             "used_mhz": 3392},
                          "flops:float32": {"value": 0.217, "cores": 2, "mhz": 3392, "flop_per_cycle": 32}}},
        "measurements": [
            {"kernel": "gemm", "device": "cpu", "dtype": "float16", "label": None, "params": {}, "status": "skipped",
             "reason": SKIP_REASON, "value": None, "unit": "TFLOP/s", "valid": False, "invalid_reasons": []},
            _ok("gemm", "float32", "1024³", 0.175, "TFLOP/s", 0.0123, 0.0045, 0.81,
                [{"code": "spread", "value": 0.37, "limit": 0.1,
                  "text": "spread 37% of the median (IQR over median above 10%)"},
                 {"code": "short_sample", "value": 0.0005, "limit": 0.001,
                  "text": "timed sample 0.50 ms is under 1 ms"}]),
            _ok("gemm", "bfloat16", "1024³", 0.404, "TFLOP/s", 0.0053, 0.0001, 0.93),
            _ok("disk_read", "uint8", "seq 1 MiB blocks, 64 MiB file", 1.27, "GB/s", 0.05, 0.002),
            _ok("preprocess", "float32", "2 threads", 10153, "images/s", 0.00315, 0.00029),
            _ok("train_transformer", "float32", "batch 16 seq 64", 440.4, "samples/s", 0.03634, 0.00121),
        ],
    }


def _rendered(monkeypatch, capsys, width, doc=None):
    import io

    from rich.console import Console

    from rigbench import report
    from rigbench.cli import bench

    buf = io.StringIO()
    monkeypatch.setattr(report, "console", lambda stderr=False: Console(file=buf, width=width, soft_wrap=False,
                                                                         highlight=False, color_system=None))
    bench._render(doc or _fake_doc(), True, False, "/tmp/results/testhost-20250101T000000Z.json")
    return buf.getvalue() + capsys.readouterr().out


def test_table_fits_100_columns_one_line_per_row_and_notes_below(monkeypatch, capsys):
    text = _rendered(monkeypatch, capsys, 100)
    lines = text.splitlines()
    assert max(len(ln.rstrip()) for ln in lines) <= 100, text
    header = next(ln for ln in lines if ln.startswith("kernel"))
    assert header.split() == ["kernel", "device", "dtype", "case", "value", "spread", "peak", "status"]
    assert lines[lines.index(header) - 1].split() == ["of"]        # "of peak" on two lines at this width
    rows = lines[lines.index(header) + 2:lines.index(next(ln for ln in lines if ln.startswith("[1] ")))]
    # one line per measurement; only the longest case (disk_read's) wraps, in its own column, at this width
    starts = [i for i, ln in enumerate(rows) if not ln.startswith(" ")]
    assert len(starts) == 6 and len(rows) == 7, text
    for i, ln in enumerate(rows):
        if ln.startswith(" "):
            assert rows[starts[3]].startswith("disk_read") and starts[3] < i < starts[4], text
            assert ln[:header.index("case")].strip() == "", text
            assert set(ln.split()) <= set("seq 1 MiB blocks, 64 MiB file".split()), text
    assert rows[0].split() == ["gemm", "cpu", "float16", "-", "-", "-", "-", "skipped", "[1]"]
    assert rows[1].split() == ["gemm", "cpu", "float32", "1024³", "0.175", "TFLOP/s", "36.6%", "81%", "INVALID", "[2]"]
    assert rows[2].split() == ["gemm", "cpu", "bfloat16", "1024³", "0.404", "TFLOP/s", "1.9%", "93%", "valid"]
    body = [ln for ln in rows if ln.split() and ln.split()[0] in {"preprocess", "train_transformer"}]
    assert body[0].split() == ["preprocess", "cpu", "float32", "2", "threads", "10,153", "images/s", "9.2%", "-", "valid"]
    assert body[1].split()[:6] == ["train_transformer", "cpu", "float32", "batch", "16", "seq"]
    notes = " ".join(text[text.index("[1] gemm"):].split())     # wrapped notes, read as one text
    assert f"[1] gemm float16 skipped: {SKIP_REASON}" in notes
    assert ("[2] gemm float32 1024³ invalid: spread 37% of the median (IQR over median above 10%); timed sample "
            "0.50 ms is under 1 ms") in notes
    assert "[3]" not in notes
    assert "CPU clock measured: 3555 MHz scalar, 3392 MHz after vector load; peak uses 3392 MHz" in notes
    assert "CPU fp32 peak 217 GFLOP/s = 2 cores x 3392 MHz (measured) x 32 FLOP/cycle" in notes
    assert lines[-1] == "results: /tmp/results/testhost-20250101T000000Z.json"


def test_the_results_line_says_what_the_run_replaced(monkeypatch, capsys):
    from rigbench.cli import bench

    what = "replaced the earlier run of testhost started 2026-12-04T01:57:57Z, 15 figures"
    bench._render(_fake_doc(), True, False, "keep.json", what)
    assert capsys.readouterr().out.splitlines()[-1] == f"results: keep.json ({what})"
    # with --json, stdout holds the document alone: the replacement is said on stderr
    bench._render(_fake_doc(), True, True, "keep.json", what)
    out, err = capsys.readouterr()
    assert json.loads(out)["schema"] and err == f"rigbench: note: results: keep.json ({what})\n"
    # and where the file went, replacing nothing: without it a --json run never said where its results are
    bench._render(_fake_doc(), True, True, "r.json")
    out, err = capsys.readouterr()
    assert json.loads(out)["schema"] and err == "rigbench: note: results: r.json\n"


def test_a_peak_clock_without_its_scalar_reading_is_captioned_with_a_dash():
    from rigbench.bench import table

    caption = table.peak_caption({"peaks": {"cpu": {"clock": {"used_mhz": 3000}}}})
    assert caption == "CPU clock measured: - MHz scalar, - MHz after vector load; peak uses 3000 MHz"


def test_an_interval_whose_larger_side_passes_100_percent_shows_both_sides():
    from types import SimpleNamespace

    from rigbench.bench import table

    # 158 samples/s whose median time's interval reaches down to a fast round: 74.6 .. 1,773 samples/s
    wide = SimpleNamespace(value=158.0, ci=(74.6, 1773.7))
    assert table._ci(wide) == "-52.8%/+1022.6%"        # '±1022.6%' would reach below zero samples/s
    assert table._ci(SimpleNamespace(value=100.0, ci=(97.9, 101.0))) == "±2.1%"
    assert table._ci(SimpleNamespace(value=100.0, ci=(40.0, 200.0))) == "±100.0%"


def test_a_wide_console_shows_the_short_reason_in_the_status(monkeypatch, capsys):
    text = _rendered(monkeypatch, capsys, 160)
    row = next(ln for ln in text.splitlines() if ln.startswith("gemm") and "float32" in ln)
    assert row.split()[-5:] == ["INVALID:", "spread", "37%", "+1", "[2]"]
    assert "seq 1 MiB blocks, 64 MiB file" in text                # the longest case on one line
    assert any(ln.split()[-2:] == ["of", "peak"] or "of peak" in ln for ln in text.splitlines()[:3])
    assert max(len(ln.rstrip()) for ln in text.splitlines()) <= 160


def test_a_record_without_label_is_named_by_its_kernel(monkeypatch, capsys):
    doc = _fake_doc()
    doc["measurements"] = [dict(_ok("attention", "float32", None, 0.142, "TFLOP/s", 0.0076, 0.0007, 0.64),
                                params={"b": 2, "h": 8, "l": 512, "d": 64, "pass": "forward"})]
    row = next(ln for ln in _rendered(monkeypatch, capsys, 100, doc).splitlines() if ln.startswith("attention"))
    assert "fwd L=512 d=64" in row


# ---------------------------------------------------------------- --distributed: options, table, exit codes

@pytest.mark.parametrize("args,fragments", [
    (("--nproc", "2", "--timeout", "60"), ("--nproc, --timeout apply only to a distributed run", "--distributed")),
    (("--master-port", "29500"), ("--master-port applies only to a distributed run",)),
    (("--only", "gemm,allreduce"), ("allreduce runs under --distributed",)),
    (("--distributed", "--device", "cpu"), ("--device does not apply with --distributed",)),
    (("--distributed", "--data-dir", "."), ("--data-dir does not apply with --distributed",)),
])
def test_options_of_the_other_mode_are_refused(args, fragments):
    assert_user_error(run_cli("bench", *args), *fragments)


def _dist_doc(status="complete", reasons=()):
    def m(kernel, label, params, value, unit, median, **extra):
        rec = _ok(kernel, "float32", label, value, unit, median, median * 0.02)
        rec.update(params=params, **extra)
        return rec

    return {
        "schema": "rigbench.results/2", "host": "testhost", "quick": True, "status": status, "peaks": {},
        "created_utc": "2026-01-02T03:04:05Z",
        "measurements": [
            m("allreduce", "1 KiB, 2 ranks", {"size_bytes": 1024, "world_size": 2}, 0.0026, "GB/s", 3.9e-4,
              latency_us=390.0),
            m("allreduce", "64 KiB, 2 ranks", {"size_bytes": 65536, "world_size": 2}, 0.09, "GB/s", 7.3e-4,
              latency_us=730.0),
            m("allreduce", "256 KiB, 2 ranks", {"size_bytes": 262144, "world_size": 2}, 0.3, "GB/s", 8.7e-4,
              latency_us=870.0),
            m("ddp_train", "transformer batch 16, 1 worker", {"workload": "train_transformer", "workers": 1}, 106.0,
              "samples/s", 0.15),
            m("ddp_train", "transformer batch 16, 2 workers", {"workload": "train_transformer", "workers": 2}, 185.0,
              "samples/s", 0.17, throughput_1=106.0, scaling_efficiency=185.0 / 212.0),
        ],
        "distributed": {"world_size": 2, "backend": "gloo", "elapsed_s": 16.5, "reasons": list(reasons)},
    }


def test_distributed_table_shows_latency_efficiency_and_the_run_status(monkeypatch, capsys):
    from rigbench.cli import bench

    reasons = ["timed out after 15 s: killed the launcher's process group",
               "rank 1 (vm, pid 4242) was still running at ddp_train when the run was stopped"]
    text = _rendered(monkeypatch, capsys, 100, _dist_doc("interrupted", reasons))
    assert max(len(ln.rstrip()) for ln in text.splitlines()) <= 100, text
    flat = " ".join(text.split())
    assert "1 KiB, 2 ranks; latency 390 µs" in flat and "64 KiB, 2 ranks; latency 730 µs" in flat
    assert "256 KiB, 2 ranks" in flat and "870 µs" not in flat        # latency only up to 64 KiB
    # the case column may wrap: its two lines, each as the table shows it
    assert "transformer batch 16, 2 workers;" in flat and "efficiency 87% of 2 x 106" in flat
    assert "run status: interrupted (2 ranks, gloo, 16.5 s)" in flat
    assert all(r in flat for r in reasons)
    assert bench._exit_code(_dist_doc("interrupted")) == 1 and bench._exit_code(_dist_doc("failed")) == 1
    assert bench._exit_code(_dist_doc("complete")) == 0


def test_a_failed_run_without_measurements_still_shows_why(monkeypatch, capsys):
    doc = dict(_dist_doc("failed", ["rank 0 (vm, pid 7) failed: RuntimeError: Unable to find address for: eth9"]),
               measurements=[])
    flat = " ".join(_rendered(monkeypatch, capsys, 100, doc).split())
    assert "run status: failed (2 ranks, gloo, 16.5 s)" in flat and "Unable to find address for: eth9" in flat


# ---------------------------------------------------------------- a busy machine, said once


def _busy_doc():
    doc = _fake_doc()
    drift = {"code": "drift", "value": 0.14, "limit": 0.1, "text": "the machine itself moved 14% (reference ...)"}
    busy = {"code": "busy", "value": 0.38, "limit": 0.05, "text": "other programs used 38% of the usable CPUs"}
    for m in doc["measurements"][1:]:
        if m["status"] == "ok":
            m["invalid_reasons"] = [*m["invalid_reasons"], drift, busy]
            m["valid"] = False
    doc["machine"] = {"rounds": 3, "steal": 0.02, "others": 0.38, "drift": 0.14,
                      "loadavg_1m": {"start": 2.1, "end": 3.4}}
    return doc


def test_a_busy_machine_is_one_sentence_above_the_table_not_a_note_per_figure(monkeypatch, capsys):
    text = _rendered(monkeypatch, capsys, 120, _busy_doc())
    flat = " ".join(text.split())
    head = flat[:flat.index("kernel device")]
    assert ("The machine was busy while measuring: other programs used 38% of the usable CPUs, the hypervisor took "
            "2% (steal), the reference workload moved 14% between rounds (load average 2.1 -> 3.4)") in head
    assert "5 of 5 figures are flagged for it" in head and "--rounds 5" in head
    assert flat.count("other programs used 38%") == 1 and "moved 14% (reference" not in flat
    # the figure with its own reasons keeps its note, and says the machine is the rest
    assert "[2] gemm float32 1024³ invalid: spread 37% of the median (IQR over median above 10%); timed sample " \
           "0.50 ms is under 1 ms (and the machine, above)" in flat
    assert "[3]" not in flat
    row = next(ln for ln in text.splitlines() if ln.startswith("train_transformer"))
    assert row.endswith("INVALID (above)")
    wide = _rendered(monkeypatch, capsys, 180, _busy_doc())
    row = next(ln for ln in wide.splitlines() if ln.startswith("train_transformer"))
    assert row.endswith("INVALID: machine moved 14%")


def test_a_quiet_machine_gets_no_sentence(monkeypatch, capsys):
    doc = _fake_doc()
    doc["machine"] = {"rounds": 3, "steal": 0.0, "others": 0.01, "drift": 0.03}
    text = _rendered(monkeypatch, capsys, 120, doc)
    assert "The machine was" not in text and text.lstrip().startswith("rigbench bench --quick")


def test_the_title_counts_the_rounds_and_one_round_says_what_it_did_not_check(monkeypatch, capsys):
    doc = _fake_doc()
    doc["machine"] = {"rounds": 3, "steal": 0.0, "others": 0.01, "drift": 0.03}
    text = _rendered(monkeypatch, capsys, 120, doc)
    assert text.lstrip().splitlines()[0].endswith(", 3 rounds") and "1 round:" not in text
    doc["machine"]["rounds"] = 1
    flat = " ".join(_rendered(monkeypatch, capsys, 120, doc).split())
    assert ", 1 round " in flat
    assert "1 round: no figure's movement between rounds was checked (--rounds 3 or more checks it, against 10%)." in flat


@pytest.mark.parametrize("args,fragment", [(("--rounds", "0"), "--rounds 0: give 1 to 20"),
                                           (("--rounds", "2", "--distributed"), "--rounds does not apply")])
def test_bad_rounds_are_refused(args, fragment, tmp_path):
    assert_user_error(run_cli("bench", "--only", "gemm", "--out", str(tmp_path / "r.json"), *args), fragment)


def test_figures_skipped_for_the_same_reason_share_one_note():
    from rigbench.bench import table

    doc = _fake_doc()
    why = "no native bfloat16 arithmetic on this CPU (no AVX512-BF16 or AMX-BF16): a conversion path"
    for kernel in ("conv2d", "attention"):
        doc["measurements"].append({"kernel": kernel, "device": "cpu", "dtype": "bfloat16", "label": None,
                                    "params": {}, "status": "skipped", "reason": why, "value": None,
                                    "unit": "TFLOP/s", "valid": False, "invalid_reasons": []})
    full, _, notes = table.rows(doc)
    cells = {(r[0], r[2]): r[-1] for r in full}
    assert cells[("gemm", "float16")] == "skipped [1]"
    assert cells[("conv2d", "bfloat16")] == cells[("attention", "bfloat16")] == "skipped [3]"
    assert notes[2] == f"[3] conv2d bfloat16; attention bfloat16 skipped: {why}"
    assert len(notes) == 3 and notes[1].startswith("[2] gemm float32 1024³ invalid: spread 37%")


def test_a_quiet_machine_with_many_unsteady_figures_says_so_once(monkeypatch, capsys):
    """Load and steal within their limits, the reference steady, yet three or more figures flagged for their own
    spread: one sentence above the table says so and what to do; each figure keeps its own note."""
    doc = _fake_doc()
    doc["machine"] = {"rounds": 3, "steal": 0.01, "others": 0.0, "drift": 0.04}
    doc.setdefault("probe", {}).setdefault("os", {})["virtualization"] = "kvm"
    spread = {"code": "spread", "value": 0.3, "limit": 0.1, "text": "spread 30% of the median (IQR over median above 10%)"}
    ok = [m for m in doc["measurements"] if m["status"] == "ok"]
    for m in ok:
        m["invalid_reasons"] = [spread]
        m["valid"] = False
    flat = " ".join(_rendered(monkeypatch, capsys, 120, doc).split())
    head = flat[:flat.index("kernel device")]
    assert (f"{len(ok)} of {len(ok)} figures are flagged for their own timings (samples or rounds more than 10% "
            "apart) while other programs and the hypervisor's steal stayed within their limits") in head
    assert "other guests on this virtual machine's host (kvm) can slow it" in head and "--rounds 5" in head
    assert flat.count("spread 30% of the median") == len(ok)
    doc["probe"]["os"]["virtualization"] = None     # bare metal: no guess about a host
    flat = " ".join(_rendered(monkeypatch, capsys, 120, doc).split())
    assert "within their limits. Run again with more rounds" in flat and "virtual machine" not in flat


def test_figures_unlike_the_machines_earlier_runs_are_said_once_above_and_each_in_its_row(monkeypatch, capsys):
    """A quiet run whose figures sit far from this machine's earlier runs of them: the sentence above the table says
    how many and what to trust; each row shows its own distance (the figure's, not the run's)."""
    doc = _fake_doc()
    doc["machine"] = {"rounds": 3, "steal": 0.0, "others": 0.01, "drift": 0.03}
    ok = [m for m in doc["measurements"] if m["status"] == "ok"]
    for m in ok[:2]:
        m["machine"] = {"earlier": {"median": m["value"] / 0.82, "runs": 3, "off": -0.18}}
        m["invalid_reasons"] = validity.machine_reasons(m["machine"])
        m["valid"] = False
    text = _rendered(monkeypatch, capsys, 180, doc)
    flat = " ".join(text.split())
    head = flat[:flat.index("kernel device")]
    assert head.startswith(f"2 of {len(ok)} figures are more than 10% from this machine's earlier runs of them: it "
                           "does not repeat its own numbers from run to run")
    assert "The machine was" not in head       # inside the run it was quiet
    assert flat.count("INVALID: unlike earlier runs -18%") == 2


def test_on_a_busy_machine_figures_unlike_earlier_runs_are_put_down_to_the_load(monkeypatch, capsys):
    doc = _busy_doc()
    ok = [m for m in doc["measurements"] if m["status"] == "ok"]
    ok[1]["machine"] = {"earlier": {"median": ok[1]["value"] * 2, "runs": 5, "off": -0.5}}
    ok[1]["invalid_reasons"] = [*ok[1]["invalid_reasons"], *validity.machine_reasons(ok[1]["machine"])]
    flat = " ".join(_rendered(monkeypatch, capsys, 120, doc).split())
    head = flat[:flat.index("rigbench bench --quick:")].strip()
    assert head.startswith("The machine was busy while measuring")
    assert head.endswith(f"1 of {len(ok)} figures are also more than 10% from this machine's earlier runs of them.")
    assert "does not repeat" not in head


def test_the_busy_machine_note_is_wrapped_once_at_a_narrow_width():
    # it was wrapped at 40 columns by textwrap, then again at 20 by rich: "(samples or rounds\nmore\n  than 10% apart)"
    import textwrap

    from rigbench.bench import table

    path = next((Path(__file__).parent.parent / "results" / "reference").glob("*.json"))
    sentence = table.machine_sentence(load_results(path))
    assert sentence, "the reference run's machine was busy: its note is what this checks"
    r = run_cli("results", "show", str(path), env={"COLUMNS": "20"})
    assert r.code == 0, r.stderr
    once = textwrap.fill(sentence, 19, subsequent_indent="  ", break_long_words=True, break_on_hyphens=False)
    assert r.stdout.startswith(once + "\n"), r.stdout[:600]
    assert all(len(line) <= 19 for line in once.splitlines())


@pytest.mark.parametrize("columns", ["70", "80", "86", "100"])
def test_results_show_keeps_the_case_that_tells_two_rows_apart_at_any_width(columns):
    # at 80 columns the case column was squeezed out of the table: the two gemm float32 rows read the same
    path = Path(__file__).parent.parent / "results" / "reference" / "vm-amd-epyc-2vcpu-20261202T170550Z.json"
    r = run_cli("results", "show", str(path), env={"COLUMNS": columns})
    assert r.code == 0, r.stderr
    assert "2048³" in r.stdout and "4096³" in r.stdout and "bwd L=1024" in " ".join(r.stdout.split()), r.stdout


def _stopped_run(monkeypatch, capsys, *args, path="r.json", measurements=None, runner="run_suite"):
    """`rigbench bench ARGS` in this process, its suite (``runner``: run_suite, or run_distributed with
    --distributed) stopped by SIGTERM: (exit code, stdout, stderr)."""
    import signal

    from rigbench import signals
    from rigbench.bench.runner import Interrupted
    from rigbench.cli import bench, main

    doc = {"schema": "rigbench.results/2", "status": "interrupted",
           "reason": "stopped by SIGTERM before the suite finished", "measurements": measurements or []}

    def stopped(**kwargs):
        signals._received.append(signal.SIGTERM)
        raise Interrupted(None if path is None else Path(path), doc)

    monkeypatch.setattr(bench, runner, stopped)
    saved = {s: signal.getsignal(s) for s in signals.STOP_SIGNALS}
    try:
        with pytest.raises(SystemExit) as exc:
            main(["bench", "--only", "gemm", *args])
    finally:
        for s, h in saved.items():
            signal.signal(s, h)
        signals.reset()
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def test_a_stopped_json_run_prints_its_partial_document_on_stdout(monkeypatch, capsys):
    # `rigbench bench --json > run.json` stopped by Ctrl-C or SIGTERM: run.json holds what was measured, as a
    # finished run's does, not nothing
    code, out, err = _stopped_run(monkeypatch, capsys, "--json")
    doc = json.loads(out)
    assert code == 143 and doc["status"] == "interrupted" and doc["reason"].startswith("stopped by SIGTERM")
    # counted as the note of a run that later replaces the file counts them: figures with a value
    assert "after 0 figures; partial results in r.json" in err
    # nothing measured yet: the document still comes, and says why it holds nothing
    code, out, err = _stopped_run(monkeypatch, capsys, "--json", path=None)
    assert code == 143 and json.loads(out)["status"] == "interrupted" and "no results file was kept" in err
    # without --json stdout stays the table's: nothing is printed there
    code, out, err = _stopped_run(monkeypatch, capsys)
    assert code == 143 and out == "" and "partial results in r.json" in err


def test_a_stopped_distributed_json_run_prints_its_partial_document_on_stdout(monkeypatch, capsys):
    # the same as one process: stdout holds what was measured, stderr says where the file is
    m = [{"kernel": "allreduce"}]
    code, out, err = _stopped_run(monkeypatch, capsys, "--distributed", "--json", measurements=m,
                                  runner="run_distributed")
    assert code == 143 and json.loads(out)["status"] == "interrupted" and "partial results in r.json" in err
    # a node that does not host rank 0 has no file, though something was measured
    code, out, err = _stopped_run(monkeypatch, capsys, "--distributed", "--json", path=None, measurements=m,
                                  runner="run_distributed")
    assert code == 143 and json.loads(out)["status"] == "interrupted"
    assert "no results file on this node (rank 0's node writes it)" in err
    code, out, err = _stopped_run(monkeypatch, capsys, "--distributed", runner="run_distributed")
    assert code == 143 and out == "" and "partial results in r.json" in err


def test_a_stopped_run_names_its_partial_file_on_one_line(monkeypatch, capsys):
    code, out, err = _stopped_run(monkeypatch, capsys, path="nl3\nname.json")
    assert code == 143 and err.count("\n") == 1 and "partial results in nl3\\nname.json" in err


def test_the_help_of_only_lists_every_kernel_from_the_registry():
    from rigbench.bench.distributed import KERNEL_NAMES
    from rigbench.kernels import REGISTRY

    r = run_cli("bench", "--help")
    text = " ".join(r.stdout.split("--only KERNEL[,KERNEL]")[1].split("--device")[0].split())
    assert r.code == 0 and f"repeatable): {', '.join(REGISTRY)}; with --distributed: {', '.join(KERNEL_NAMES)}." in text


def test_the_results_path_is_shown_on_one_line(capsys):
    from rigbench.cli import bench

    bench._render(_fake_doc(), True, False, "nl2\nname.json")
    assert capsys.readouterr().out.splitlines()[-1] == "results: nl2\\nname.json"
    bench._render(_fake_doc(), True, True, "nl2\nname.json")
    assert capsys.readouterr().err == "rigbench: note: results: nl2\\nname.json\n"


def test_an_out_path_refused_is_named_on_one_line(tmp_path):
    from rigbench import files
    from rigbench.errors import UserError

    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError) as exc:
        files.check_writable(tmp_path / "file" / "a\nb.json")
    assert "a\\nb.json" in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize("name, better", [("run.csv", "run.json"), ("run1", "run1.json"), ("run.JSON", "run.json"),
                                          ("a.b.csv", "a.b.json")])
def test_an_out_file_not_named_json_is_refused_before_the_run(tmp_path, name, better):
    # a folder of runs is read by its *.json files (results list, report, the earlier-runs check): a run saved as
    # run.csv would be missing from all of them
    r = run_cli("bench", "--quick", "--only", "memcopy", "--out", str(tmp_path / "runs" / name))
    assert_user_error(r, f"results files are JSON and are found by their .json name (results list, report read "
                         f"*.json); name it {better}")
    assert not (tmp_path / "runs").exists()


def test_an_out_file_named_as_hidden_is_refused_before_the_run(tmp_path):
    r = run_cli("bench", "--quick", "--only", "memcopy", "--out", str(tmp_path / ".run.json"))
    assert_user_error(r, "names a hidden file, which results list and report pass over; name it like ")
    assert list(tmp_path.iterdir()) == []
