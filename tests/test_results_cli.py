"""`rigbench results list|show|diff` on crafted runs whose changes are known, and the interval rule they use."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import FIXTURES, assert_user_error, run_cli
from rigbench import diff as diff_mod, frames, intervals, runs as runs_mod, units
from rigbench.bench import schema
from rigbench.errors import UserError
from rigbench.files import write_json_atomic

GEMM_FLOPS = 2 * 1024 ** 3          # one 1024³ matrix product
COPY_BYTES = 2 * 64 * 2 ** 20       # 64 MiB read and written


def _samples(median_s: float, n: int = 20, jitter: float = 0.02) -> list[float]:
    """n per-call times spread evenly over median x (1 +- jitter): a figure with a known median and spread."""
    return [median_s * (1 - jitter + 2 * jitter * i / (n - 1)) for i in range(n)]


def _measurement(kernel: str, dtype: str, params: dict, label: str, metric: str, unit: str, work: float,
                 samples: list[float] | None, *, valid: bool = True, status: str = "ok") -> dict:
    m = schema.empty_measurement(kernel, "cpu", dtype, {}, metric, unit)
    m.update(params=params, label=label, status=status)
    if status != "ok":
        m.update(reason="skipped for the test", valid=False)
        return m
    times = sorted(samples)
    median = (times[(len(times) - 1) // 2] + times[len(times) // 2]) / 2
    q1, q3 = times[len(times) // 4], times[(3 * len(times)) // 4]
    scale = 1e12 if metric == "flops" else 1e9
    m.update(samples_s=list(samples), median_s=median, iqr_s=q3 - q1, min_s=times[0], max_s=times[-1],
             repeats=len(times), value=work / median / scale, valid=valid,
             invalid_reasons=[] if valid else [{"code": "spread", "value": 0.12, "limit": 0.10,
                                                "text": "spread 12% of the median (IQR over median above 10%)"}])
    return m


def craft_run(path: Path, created: str, *, gemm_s: float = 0.01, copy_s: float = 0.02, copy_valid: bool = True,
              host: str = "testbox") -> Path:
    """A results file of one gemm and one memcopy figure with the given median times per call."""
    doc = schema.new_document(probe={"cpu": {"brand": "AMD EPYC 7B13", "usable_cores": 2}, "gpus": []}, quick=True,
                              argv=["rigbench", "bench", "--quick"])
    doc.update(status="complete", created_utc=created, host=host)
    doc["measurements"] = [
        _measurement("gemm", "float32", {"m": 1024, "n": 1024, "k": 1024}, "1024³", "flops", "TFLOP/s", GEMM_FLOPS,
                     _samples(gemm_s)),
        _measurement("memcopy", "float32", {"n": 2 ** 24}, "64 MiB", "bandwidth", "GB/s", COPY_BYTES,
                     _samples(copy_s), valid=copy_valid),
        _measurement("gemm", "float16", {}, "", "flops", "TFLOP/s", 0, None, status="skipped"),
    ]
    write_json_atomic(path, doc)
    return path


@pytest.fixture
def folder(tmp_path):
    """A working directory with ./results holding a baseline and four crafted later runs."""
    res = tmp_path / "results"
    craft_run(res / "box-20260101T000000Z.json", "2026-01-01T00:00:00Z")
    # the same machine 10 minutes later, 1% slower on gemm: well inside a 2% jitter
    craft_run(res / "box-20260101T001000Z.json", "2026-01-01T00:10:00Z", gemm_s=0.0101)
    # a planted slowdown: every gemm call takes 1.2x as long
    craft_run(res / "slow-20260102T000000Z.json", "2026-01-02T00:00:00Z", gemm_s=0.012)
    # memcopy 50% slower but INVALID in that run: shown, never decides
    craft_run(res / "noisy-20260103T000000Z.json", "2026-01-03T00:00:00Z", copy_s=0.03, copy_valid=False)
    # gemm 25% faster
    craft_run(res / "fast-20260104T000000Z.json", "2026-01-04T00:00:00Z", gemm_s=0.008)
    return tmp_path


# ---------------------------------------------------------------- the interval

@pytest.mark.parametrize("n, rank, coverage", [
    (5, 1, 1 - 2 / 32),                        # no pair of ranks reaches 95%: min..max, 93.75%
    (6, 1, 1 - 2 / 64),                        # 96.9%
    (9, 2, 1 - 2 * (1 + 9) / 512),             # [x(2), x(8)]: 96.1%
    (20, 6, 1 - 2 * (1 + 20 + 190 + 1140 + 4845 + 15504) / 2 ** 20),   # [x(6), x(15)]: 95.9%
])
def test_median_interval_ranks_follow_the_binomial_table(n, rank, coverage):
    r, cov = intervals.median_ranks(n)
    assert r == rank
    assert cov == pytest.approx(coverage, rel=1e-12)


def test_interval_of_a_figure_maps_slow_samples_to_the_low_value():
    samples = [0.010, 0.011, 0.012, 0.013, 0.014, 0.015, 0.016, 0.017, 0.018]   # n = 9: ranks 2 and 8
    iv = intervals.of_samples(samples, value=100.0, median_s=0.014)
    assert iv.low == pytest.approx(100 * 0.014 / 0.017)
    assert iv.high == pytest.approx(100 * 0.014 / 0.011)
    assert iv.samples == 9 and iv.coverage == pytest.approx(1 - 20 / 512)


# ---------------------------------------------------------------- diff on crafted runs

def _runs(folder: Path, *names: str) -> list:
    return [runs_mod.resolve(n, cwd=folder) for n in names]


def test_one_percent_inside_the_noise_is_no_regression(folder):
    changes = diff_mod.diff(_runs(folder, "box-20260101T0000", "box-20260101T0010"), fail_above=0.005)
    gemm = next(c for c in changes if c.kernel == "gemm" and c.dtype == "float32")
    assert gemm.slower_by == pytest.approx(0.01)
    assert gemm.beyond_noise is False and gemm.verdict == "within noise"
    assert diff_mod.failed(changes) == []


def test_planted_twenty_percent_slowdown_is_a_regression(folder):
    changes = diff_mod.diff(_runs(folder, "box-20260101T0000", "slow"), fail_above=0.05)
    gemm = next(c for c in changes if c.kernel == "gemm" and c.dtype == "float32")
    assert gemm.slower_by == pytest.approx(0.20)
    assert gemm.change == pytest.approx(1 / 1.2 - 1)
    assert gemm.beyond_noise and gemm.verdict == "slower" and gemm.regression and gemm.over_limit
    copy = next(c for c in changes if c.kernel == "memcopy")
    assert copy.verdict == "within noise" and copy.change == pytest.approx(0.0)
    skipped = next(c for c in changes if c.dtype == "float16")
    assert skipped.verdict == "not measured" and not skipped.regression


def test_invalid_figure_never_decides_the_gate(folder):
    changes = diff_mod.diff(_runs(folder, "box-20260101T0000", "noisy"), fail_above=0.05)
    copy = next(c for c in changes if c.kernel == "memcopy")
    assert copy.slower_by == pytest.approx(0.5) and copy.beyond_noise is True
    assert copy.verdict == "INVALID in B" and not copy.regression and not copy.over_limit


def test_a_slowdown_flagged_only_as_unlike_earlier_runs_still_fails_the_gate(folder):
    """A steady 20% slowdown is exactly what bench flags as unlike this machine's earlier runs; the diff makes that
    comparison itself, so the flag must not hide the regression. Any other reason beside it still does."""
    path = folder / "results" / "slow-20260102T000000Z.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    gemm = next(m for m in doc["measurements"] if m["kernel"] == "gemm" and m["dtype"] == "float32")
    gemm.update(valid=False, invalid_reasons=[{"code": "earlier", "value": -0.1667, "limit": 0.1,
                                               "text": "-17% against this machine's earlier runs of it"}])
    path.write_text(json.dumps(doc), encoding="utf-8")
    changes = diff_mod.diff(_runs(folder, "box-20260101T0000", "slow"), fail_above=0.05)
    c = next(c for c in changes if c.kernel == "gemm" and c.dtype == "float32")
    assert c.verdict == "slower" and c.regression and c.over_limit
    gemm["invalid_reasons"].append({"code": "spread", "value": 0.12, "limit": 0.1, "text": "spread 12%"})
    path.write_text(json.dumps(doc), encoding="utf-8")
    changes = diff_mod.diff(_runs(folder, "box-20260101T0000", "slow"), fail_above=0.05)
    c = next(c for c in changes if c.kernel == "gemm" and c.dtype == "float32")
    assert c.verdict == "INVALID in B" and not c.over_limit


def test_faster_is_beyond_noise_but_no_regression(folder):
    changes = diff_mod.diff(_runs(folder, "box-20260101T0000", "fast"), fail_above=0.0)
    gemm = next(c for c in changes if c.kernel == "gemm" and c.dtype == "float32")
    assert gemm.verdict == "faster" and gemm.change == pytest.approx(0.25) and not gemm.regression


def test_cli_diff_exits_1_on_the_planted_slowdown(folder):
    r = run_cli("results", "diff", "box-20260101T0000", "slow", "--fail-above", "5%", cwd=folder)
    assert r.code == 1, r.stderr
    assert "slower by 20.0%" in r.stderr and "gemm cpu float32 1024³" in r.stderr
    assert "slower, over limit" in r.stdout
    # a limit above the slowdown passes
    assert run_cli("results", "diff", "box-20260101T0000", "slow", "--fail-above", "25%", cwd=folder).code == 0


def test_a_gate_that_could_judge_no_figure_fails(folder):
    # every figure of B invalid: "--fail-above 5.0%: 0 valid figures take more than 5.0% longer" and exit 0
    path = folder / "results" / "shaky-20260105T000000Z.json"
    doc = json.loads(craft_run(path, "2026-01-05T00:00:00Z").read_text())
    for m in doc["measurements"]:
        if m["status"] == "ok":
            m.update(valid=False, invalid_reasons=[{"code": "spread", "value": 0.2, "limit": 0.1, "text": "spread 20%"}])
    write_json_atomic(path, doc)
    r = run_cli("results", "diff", "box-20260101T0000", "shaky", "--fail-above", "5%", cwd=folder,
                env={"COLUMNS": "200"})
    assert r.code == 1, r.stderr
    assert r.stderr.strip() == ("rigbench: --fail-above 5.0%: shaky-20260105T000000Z.json: 0 of 2 figures could be "
                                "judged (all invalid in one of the runs); a gate that judged nothing has not passed")
    assert "--fail-above 5.0%: 0 of 2 figures could be judged (all invalid in one of the runs)" in r.stdout
    assert run_cli("results", "diff", "box-20260101T0000", "shaky", "--json", "--fail-above", "5%",
                   cwd=folder).json()["judged"] == {"shaky-20260105T000000Z.json": {"judged": 0, "measured_in_both": 2}}
    # without a gate the diff only shows; one judged figure is enough for the gate to judge
    assert run_cli("results", "diff", "box-20260101T0000", "shaky", cwd=folder).code == 0
    assert run_cli("results", "diff", "box-20260101T0000", "noisy", "--fail-above", "5%", cwd=folder).code == 0


def test_results_list_counts_measured_figures_not_skipped_cases(folder):
    # "2/3" counted the skipped float16 case as a measurement, for a run whose every figure is valid
    r = run_cli("results", "list", cwd=folder, env={"COLUMNS": "200"})
    assert r.code == 0, r.stderr
    row = next(line for line in r.stdout.splitlines() if line.startswith("box-20260101T000000Z.json"))
    assert "2/2, 1 skipped" in row
    noisy = next(line for line in r.stdout.splitlines() if line.startswith("noisy-"))
    assert "1/2, 1 skipped" in noisy
    listed = {s["run"]: s for s in run_cli("results", "list", "--json", cwd=folder).json()["runs"]}
    box = listed["box-20260101T000000Z.json"]
    assert (box["valid"], box["ok"], box["skipped"], box["failed"], box["measurements"]) == (2, 2, 1, 0, 3)


def test_cli_diff_inside_the_noise_exits_0(folder):
    r = run_cli("results", "diff", "box-20260101T0000", "box-20260101T0010", "--fail-above", "0.5%", cwd=folder)
    assert r.code == 0, r.stderr
    gemm = next(ln for ln in r.stdout.splitlines() if ln.strip().startswith("gemm") and "float32" in ln)
    assert gemm.split()[-2:] == ["within", "noise"] and "-1.0%" in gemm


def test_cli_diff_json_and_csv_carry_the_numbers(folder):
    r = run_cli("results", "diff", "box-20260101T0000", "slow", "fast", "--json", cwd=folder)
    assert r.code == 0
    doc = r.json()
    assert doc["schema"] == "rigbench.diff/1" and len(doc["runs"]) == 2
    slow = [f for f in doc["figures"] if f["kernel"] == "gemm" and f["dtype"] == "float32"]
    assert [round(f["slower_by"], 6) for f in slow] == [0.2, -0.2]
    assert slow[0]["base"]["low"] < slow[0]["base"]["value"] < slow[0]["base"]["high"]
    r = run_cli("results", "diff", "box-20260101T0000", "slow", "--format", "csv", cwd=folder)
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    gemm = next(row for row in rows if row["kernel"] == "gemm" and row["dtype"] == "float32")
    assert float(gemm["slower_by"]) == pytest.approx(0.2) and gemm["verdict"] == "slower"
    r = run_cli("results", "diff", "box-20260101T0000", "slow", "--format", "markdown", cwd=folder)
    assert "| kernel | dtype | case | A (baseline) | B | change | verdict |" in r.stdout
    assert "TFLOP/s [" in r.stdout and "| -16.7% | slower |" in r.stdout


def test_a_diff_says_which_run_was_interrupted(folder):
    # a run stopped by Ctrl-C showed its missing figures as "not measured", as if the suite had never had them
    res = folder / "results"
    cut = json.loads((res / "slow-20260102T000000Z.json").read_text())
    reason = "interrupted by the user (Ctrl-C) before the suite finished"
    cut.update(status="interrupted", reason=reason, created_utc="2026-01-05T00:00:00Z")
    cut["measurements"] = cut["measurements"][:1]
    write_json_atomic(res / "cut-20260105T000000Z.json", cut)
    line = f"is interrupted ({reason}): what it did not reach is unknown"
    r = run_cli("results", "diff", "box-20260101T0000", "cut", cwd=folder, env={"COLUMNS": "300"})
    assert r.code == 0, r.stderr
    assert f"B (cut-20260105T000000Z.json) {line}" in r.stdout and "A (box-" not in r.stdout
    r = run_cli("results", "diff", "cut", "box-20260101T0000", cwd=folder, env={"COLUMNS": "300"})
    assert f"A (cut-20260105T000000Z.json) {line}" in r.stdout and "B (box-" not in r.stdout
    doc = run_cli("results", "diff", "box-20260101T0000", "cut", "slow", "--json", cwd=folder).json()
    assert doc["baseline_stopped"] is None
    assert doc["stopped"] == {"cut-20260105T000000Z.json": {"status": "interrupted", "reason": reason},
                              "slow-20260102T000000Z.json": None}
    # a complete pair says nothing of the kind
    r = run_cli("results", "diff", "box-20260101T0000", "slow", cwd=folder, env={"COLUMNS": "300"})
    assert "interrupted" not in r.stdout
    # a gate cannot pass figures the later run never reached; a stopped baseline leaves nothing of B unseen
    missing = len(json.loads((res / "box-20260101T000000Z.json").read_text())["measurements"]) - 1
    r = run_cli("results", "diff", "box-20260101T0000", "cut", "--fail-above", "50%", cwd=folder)
    assert r.code == 1 and (f"cut-20260105T000000Z.json: interrupted before {missing} of the baseline's figures "
                            "(never measured in it); a gate that did not see them has not passed") in r.stderr
    r = run_cli("results", "diff", "cut", "box-20260101T0000", "--fail-above", "50%", cwd=folder)
    assert r.code == 0, r.stderr


def test_a_gate_over_an_interrupted_run_never_reads_as_a_pass(folder):
    # the last line said "0 valid figures take more than 50.0% longer" (a pass) while the exit code was 1, and the
    # JSON document had no field for the gate's verdict
    res = folder / "results"
    cut = json.loads((res / "slow-20260102T000000Z.json").read_text())
    cut.update(status="interrupted", created_utc="2026-01-05T00:00:00Z", measurements=cut["measurements"][:1])
    write_json_atomic(res / "cut-20260105T000000Z.json", cut)
    r = run_cli("results", "diff", "box-20260101T0000", "cut", "--fail-above", "50%", cwd=folder,
                env={"COLUMNS": "400"})
    assert r.code == 1
    last = r.stdout.strip().splitlines()[-1]
    assert "interrupted before" in last and "the gate fails" in last, last
    doc = run_cli("results", "diff", "box-20260101T0000", "cut", "--fail-above", "50%", "--json", cwd=folder).json()
    assert doc["gate"]["limit"] == 0.5 and doc["gate"]["passed"] is False
    assert len(doc["gate"]["reasons"]) == 1 and "interrupted before" in doc["gate"]["reasons"][0]
    assert run_cli("results", "diff", "box-20260101T0000", "slow", "--json", cwd=folder).json()["gate"] is None
    ok = run_cli("results", "diff", "box-20260101T0000", "slow", "--fail-above", "25%", "--json", cwd=folder)
    assert ok.code == 0 and ok.json()["gate"] == {"limit": 0.25, "passed": True, "reasons": []}


def test_a_diff_across_two_machines_says_so(folder):
    # "host" names the machine that wrote the file: two of them compare two machines, not one over time
    craft_run(folder / "results" / "elsewhere-20260105T000000Z.json", "2026-01-05T00:00:00Z", host="otherbox")
    assert diff_mod.setup_differences(*_runs(folder, "box-20260101T0000", "box-20260101T0010")) == {}
    r = run_cli("results", "diff", "box-20260101T0000", "elsewhere", cwd=folder, env={"COLUMNS": "200"})
    assert r.code == 0, r.stderr
    assert "A and B were measured on different setups (host testbox -> otherbox)" in r.stdout
    doc = run_cli("results", "diff", "box-20260101T0000", "elsewhere", "--json", cwd=folder).json()
    assert doc["setup_differs"] == {"elsewhere-20260105T000000Z.json": {"host": ["testbox", "otherbox"]}}


def test_a_diff_of_a_quick_run_against_a_full_one_says_so(folder):
    # a quick run against a full one listed two "batch 32" rows as unrelated, with no word of why nothing compared
    path = craft_run(folder / "results" / "full-20260105T000000Z.json", "2026-01-05T00:00:00Z")
    doc = json.loads(path.read_text())
    assert doc["quick"] is True        # craft_run writes quick runs
    doc["quick"] = False
    path.write_text(json.dumps(doc))
    assert diff_mod.suite_difference(*_runs(folder, "box-20260101T0000", "box-20260101T0010")) is None
    r = run_cli("results", "diff", "full-2026", "box-20260101T0000", cwd=folder, env={"COLUMNS": "200"})
    assert r.code == 0, r.stderr
    assert ("A is a default run and B a quick one: the quick suite measures smaller cases, so only the cases both "
            "measured are compared") in r.stdout
    doc = run_cli("results", "diff", "full-2026", "box-20260101T0000", "--json", cwd=folder).json()
    assert doc["suite_differs"] == {"box-20260101T000000Z.json": ["default", "quick"]}


def test_a_run_without_a_host_shows_it_as_unknown_never_none(folder):
    # `results show` titled it "nohost-...json: None, 2026-..." and `results diff` said "host None -> testbox"
    path = craft_run(folder / "results" / "nohost-20260105T000000Z.json", "2026-01-05T00:00:00Z")
    doc = json.loads(path.read_text())
    del doc["host"]
    path.write_text(json.dumps(doc))
    r = run_cli("results", "show", "nohost", cwd=folder)
    assert r.code == 0, r.stderr
    assert r.stdout.splitlines()[0] == "nohost-20260105T000000Z.json: unknown host, 2026-01-05T00:00:00Z, quick"
    r = run_cli("results", "diff", "nohost", "box-20260101T0000", cwd=folder, env={"COLUMNS": "200"})
    assert r.code == 0, r.stderr
    assert "different setups (host unknown host -> testbox)" in r.stdout and "None" not in r.stdout


# ---------------------------------------------------------------- list, show, naming a run

def test_list_is_newest_first_with_valid_counts(folder):
    r = run_cli("results", "list", "--json", cwd=folder)
    doc = r.json()
    names = [s["run"] for s in doc["runs"] if s["origin"] == "yours"]     # the shipped reference runs are listed too
    assert names[0].startswith("fast-") and names[-1] == "box-20260101T000000Z.json"
    noisy = next(s for s in doc["runs"] if s["run"].startswith("noisy"))
    assert (noisy["valid"], noisy["ok"], noisy["measurements"]) == (1, 2, 3)
    assert noisy["machine"] == "AMD EPYC 7B13 (2 cores)"
    table = run_cli("results", "list", cwd=folder).stdout
    assert table.index("fast-") < table.index("box-20260101T000000Z")


def test_list_also_lists_the_folders_named_where_bench_out_wrote(folder):
    # `bench --out runs/` twice: `results list` showed neither run, and took no folder to look in
    runs = folder / "runs"
    runs.mkdir()
    craft_run(runs / "other-20260105T000000Z.json", "2026-01-05T00:00:00Z")
    doc = run_cli("results", "list", "runs/", "--json", cwd=folder).json()
    assert doc["folders"][0] == str(folder / "runs")
    assert [s["run"] for s in doc["runs"] if s["origin"] == "yours"][0] == "other-20260105T000000Z.json"
    assert Path(next(r["path"] for r in doc["runs"] if r["origin"] == "yours")).parent == runs
    table = run_cli("results", "list", "runs", cwd=folder)
    assert table.code == 0 and "other-20260105T000000Z.json" in table.stdout
    # the same folder twice, or one of the usual ones named, is read once
    again = run_cli("results", "list", "runs", "runs/", "results", "--json", cwd=folder).json()
    assert len(again["folders"]) == len(set(again["folders"])) and again["folders"][:2] == [str(runs),
                                                                                          str(folder / "results")]
    assert len(again["runs"]) == len(doc["runs"])
    # a folder that is not there, or a file: one line, exit 2
    assert_user_error(run_cli("results", "list", "nope", cwd=folder), "nope: no such folder")
    assert_user_error(run_cli("results", "list", "runs/other-20260105T000000Z.json", cwd=folder),
                      "runs/other-20260105T000000Z.json is a file, not a folder of runs")


def test_show_prints_the_bench_table_from_the_file(folder):
    r = run_cli("results", "show", "noisy", cwd=folder)
    assert r.code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[1].split() == ["kernel", "device", "dtype", "case", "value", "95%", "CI", "spread", "of", "peak",
                                "status"]
    gemm = next(ln for ln in lines if ln.startswith("gemm") and "float32" in ln)
    assert f"{GEMM_FLOPS / 0.01 / 1e12:.3f} TFLOP/s" in gemm and "valid" in gemm
    # 20 samples evenly over 0.98-1.02 x the median: the 95% interval of the median is ranks 6 and 15 of 20
    # (P(Bin(20, 1/2) <= 5) = 0.0207), times 0.98 + 0.04 x 5/19 = 0.99053 and 0.98 + 0.04 x 14/19 = 1.00947 of it;
    # as a rate the larger side is 1/0.99053 - 1 = 0.96%
    assert "±1.0%" in gemm
    assert any(ln.startswith("memcopy") and "INVALID" in ln for ln in lines)
    r = run_cli("results", "show", "latest", "--format", "csv", cwd=folder)
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    gemm = next(row for row in rows if row["kernel"] == "gemm" and row["dtype"] == "float32")
    assert float(gemm["value"]) == pytest.approx(GEMM_FLOPS / 0.008 / 1e12)   # latest is the fast run
    assert float(gemm["low"]) < float(gemm["value"]) < float(gemm["high"])


def test_show_csv_names_its_fractions_as_fractions(tmp_path):
    # the CSV wrote 4.0199 and 0.7837 under "spread" and "of peak", where the table says 402.0% and 78%
    run = str(FIXTURES / "gpu_check" / "bench-cuda.json")
    r = run_cli("results", "show", run, "--format", "csv", cwd=tmp_path)
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(rows[0]) == ["kernel", "device", "dtype", "case", "value", "low", "high", "unit", "spread_fraction",
                             "fraction_of_peak", "status", "reasons"]
    gemm = next(row for row in rows if row["kernel"] == "gemm" and row["dtype"] == "float32")
    assert (gemm["spread_fraction"], gemm["fraction_of_peak"]) == ("0.01", "0.8")    # raw numbers, no % sign
    md = run_cli("results", "show", run, "--format", "markdown", cwd=tmp_path).stdout
    assert "| spread | of peak |" in md and "| TFLOP/s | 1.0% | 80% | valid |" in md


def test_a_run_named_as_results_list_prints_it_is_found(folder):
    """`results list` prints the file name with .json; given back from a folder where no such file lies, it is the
    run of that name in the results folders, not a missing file."""
    name = run_cli("results", "list", "--json", cwd=folder).json()["runs"][-1]["run"]
    assert name == "box-20260101T000000Z.json"
    r = run_cli("results", "show", name, "--json", cwd=folder)
    assert r.code == 0, r.stderr
    assert r.json()["created_utc"] == "2026-01-01T00:00:00Z"
    assert_user_error(run_cli("results", "show", "box-2027.json", cwd=folder), "no file 'box-2027.json' here",
                      "no run of that name")


def test_bad_run_names_are_one_line_errors(folder):
    assert_user_error(run_cli("results", "show", "box", cwd=folder), "matches 2 runs", "more of the file name")
    assert_user_error(run_cli("results", "show", "nothing", cwd=folder), "no run matches", "results list")
    assert_user_error(run_cli("results", "show", "missing/run.json", cwd=folder), "no such file")
    assert_user_error(run_cli("results", "diff", "slow", cwd=folder), "at least two runs")
    assert_user_error(run_cli("results", "diff", "slow", "slow", cwd=folder), "same run")
    assert_user_error(run_cli("results", "diff", "slow", "fast", "--fail-above", "five", cwd=folder),
                      "--fail-above is 'five', not a number")
    assert_user_error(run_cli("results", "diff", "slow", "fast", "--fail-above", "-5%", cwd=folder), "at least 0")


def test_json_beside_another_format_is_refused(folder):
    # `results show --json --format csv` printed JSON without a word of the csv asked for
    for args in (("--json", "--format", "csv"), ("--format", "markdown", "--json")):
        assert_user_error(run_cli("results", "show", "latest", *args, cwd=folder),
                          f"--json and --format {args[2] if args[0] == '--json' else args[1]} do not go together")
    assert run_cli("results", "show", "latest", "--json", "--format", "json", cwd=folder).code == 0
    assert_user_error(run_cli("results", "list", "--json", "--format", "csv", cwd=folder), "do not go together")
    # the conflict is said before any run is looked for: it was "no run matches 'x'", hiding the line's own fault
    assert_user_error(run_cli("results", "show", "--json", "--format", "csv", "x", cwd=folder),
                      "--json and --format csv do not go together")
    assert_user_error(run_cli("results", "diff", "x", "y", "--json", "--format", "csv", cwd=folder),
                      "--json and --format csv do not go together")
    assert_user_error(run_cli("results", "diff", "x", "--format", "markdown", "--json", cwd=folder),
                      "--json and --format markdown do not go together")


def test_a_folder_or_a_link_leading_nowhere_is_said_as_what_it_is(folder):
    # `results show .` said "no run matches '.'" while `results show /` said "is a directory"
    (folder / "adir").mkdir()
    for arg in (".", "adir", "/", str(folder)):
        assert_user_error(run_cli("results", "show", arg, cwd=folder), "is a directory")
    (folder / "gone").symlink_to(folder / "deleted")
    (folder / "gone.json").symlink_to(folder / "deleted.json")
    for arg in ("gone", "gone.json"):
        assert_user_error(run_cli("results", "show", arg, cwd=folder), f"{arg} is a symbolic link that leads nowhere")


def test_a_copy_of_a_run_is_the_same_run_but_an_edited_copy_is_another(folder):
    # `report run.json copy.json` made a page "against 1 other run": the run beside its own copy
    res = folder / "results"
    (folder / "copy.json").write_bytes((res / "slow-20260102T000000Z.json").read_bytes())
    names = [runs_mod.resolve("slow", cwd=folder), runs_mod.load_run(folder / "copy.json")]
    assert runs_mod.same_run_key(names[0]) == runs_mod.same_run_key(names[1])
    with pytest.raises(UserError, match="the same run is given twice"):
        runs_mod.resolve_all(["slow", str(folder / "copy.json")], cwd=folder)
    assert_user_error(run_cli("report", "slow", "copy.json", "--out", "r.html", cwd=folder),
                      "the same run is given twice")
    assert not (folder / "r.html").exists()
    # a copy planted with other figures (a slowdown to try the gate on) is set beside the run it came from
    doc = json.loads((folder / "copy.json").read_text())
    doc["measurements"][0]["median_s"] *= 1.2
    (folder / "copy.json").write_text(json.dumps(doc))
    assert len(runs_mod.resolve_all(["slow", str(folder / "copy.json")], cwd=folder)) == 2


def test_frame_has_one_row_per_measurement_with_intervals(folder):
    run = runs_mod.resolve("slow", cwd=folder)
    frame = frames.to_frame(run.view)
    assert list(frame.columns) == frames.FRAME_COLUMNS and len(frame) == 3
    gemm = frame[(frame.kernel == "gemm") & (frame.dtype == "float32")].iloc[0]
    assert gemm.value == pytest.approx(GEMM_FLOPS / 0.012 / 1e12) and gemm.case == "1024³"
    assert gemm.low < gemm.value < gemm.high
    skipped = frame[frame.dtype == "float16"].iloc[0]
    assert math.isnan(skipped.value) and skipped.reasons == "skipped: skipped for the test" and not skipped.valid
    # several runs in one frame, as pandas reads them
    both = frames.to_frame([run.view, runs_mod.resolve("fast", cwd=folder).view])
    per_run = both[both.dtype == "float32"].pivot_table(index="kernel", columns="run", values="value")
    assert per_run.loc["gemm"].to_dict() == pytest.approx({
        "slow-20260102T000000Z.json": GEMM_FLOPS / 0.012 / 1e12, "fast-20260104T000000Z.json": GEMM_FLOPS / 0.008 / 1e12})
    # a results file by its path is read as the results owner reads it (a path was refused as "not a JSON object")
    by_path = frames.to_frame([str(run.path)])
    assert by_path.equals(frame)


def test_interval_recorded_by_the_runner_is_used_as_it_is():
    m = {"status": "ok", "value": 2.0, "median_s": 0.5, "ci_low_s": 0.4, "ci_high_s": 0.625, "repeats": 9,
         "samples_s": [0.1, 0.9]}
    iv = intervals.of_measurement(m)
    assert (iv.low, iv.high) == (pytest.approx(1.6), pytest.approx(2.5))
    assert iv.method == "recorded by the runner"


def slowed(doc: dict, factor: float) -> dict:
    """A copy of a run in which every call took ``factor`` times as long: every time scaled, every value divided."""
    out = json.loads(json.dumps(doc))
    for m in out["measurements"]:
        if m.get("status") != "ok":
            continue
        for key in ("median_s", "iqr_s", "min_s", "max_s", "ci_low_s", "ci_high_s"):
            if isinstance(m.get(key), (int, float)):
                m[key] *= factor
        m["samples_s"] = [t * factor for t in m.get("samples_s") or []]
        m["value"] /= factor
        if m.get("fraction_of_peak") is not None:
            m["fraction_of_peak"] /= factor
    return out


REFERENCE = Path(__file__).resolve().parent.parent / "results" / "reference"


@pytest.mark.parametrize("path", sorted(REFERENCE.glob("*.json")), ids=lambda p: p.name)
def test_planted_slowdown_of_a_real_run_fails_the_gate(path, tmp_path):
    """This machine's committed run against a copy of it where every call takes 1.2x as long."""
    slow = tmp_path / "slow.json"
    write_json_atomic(slow, slowed(json.loads(path.read_text()), 1.2))
    base = runs_mod.load_run(path, "reference")
    changes = diff_mod.diff([base, runs_mod.load_run(slow)], fail_above=0.05)
    judged = [c for c in changes if c.base and c.base.valid]
    if not any(m.get("valid") for m in base.doc["measurements"]):
        assert not judged and not diff_mod.failed(changes)   # every figure flagged: nothing to hold a slowdown to
        return
    for c in judged:
        assert c.slower_by == pytest.approx(0.2)
        # beyond the noise exactly when the interval is narrower than the slowdown (high/low < 1.2)
        assert c.beyond_noise == (c.base.high / c.base.low < 1.2)
        assert c.over_limit == c.beyond_noise
    assert diff_mod.failed(changes)
    r = run_cli("results", "diff", str(path), str(slow), "--fail-above", "5%", cwd=tmp_path)
    assert r.code == 1 and "slower by 20.0%" in r.stderr


def test_list_passes_over_files_that_are_not_runs_and_show_reads_an_interrupted_run(folder):
    res = folder / "results"
    (res / "notes.json").write_text('{"hello": 1}')
    (res / "future.json").write_text('{"schema": "rigbench.results/99", "measurements": []}')
    cut = json.loads((res / "slow-20260102T000000Z.json").read_text())
    cut.update(status="interrupted", reason="interrupted by the user (Ctrl-C) before the suite finished",
               created_utc="2026-01-05T00:00:00Z")
    cut["measurements"] = cut["measurements"][:1]
    write_json_atomic(res / "cut-20260105T000000Z.json", cut)
    doc = run_cli("results", "list", "--json", cwd=folder).json()
    assert sorted(Path(s["path"]).name for s in doc["skipped"]) == ["future.json", "notes.json"]
    assert any("upgrade rigbench" in s["reason"] for s in doc["skipped"])
    mine = [s for s in doc["runs"] if s["origin"] == "yours"]
    assert mine[0]["run"].startswith("cut-") and mine[0]["status"] == "interrupted"
    r = run_cli("results", "show", "latest", cwd=folder)
    assert r.code == 0
    assert "gemm" in r.stdout and "memcopy" not in r.stdout
    assert "run status: interrupted (interrupted by the user (Ctrl-C)" in r.stdout


def test_latest_passes_over_a_run_dated_in_the_future(folder):
    # a run dated hours ahead (a clock set wrong, a local time written as UTC) won `latest` over the run just made,
    # and would have until its date came
    now = datetime.now(timezone.utc)

    def stamp(d):
        return d.strftime("%Y-%m-%dT%H:%M:%SZ")
    craft_run(folder / "results" / "ahead-1.json", stamp(now + timedelta(hours=20)))
    craft_run(folder / "results" / "just-made.json", stamp(now - timedelta(minutes=1)))
    r = run_cli("results", "show", "latest", "--json", cwd=folder)
    assert r.code == 0, r.stderr
    assert r.json()["created_utc"] == stamp(now - timedelta(minutes=1))
    assert "latest is just-made.json; passed over ahead-1.json (it says it started more than 5 minutes after this " \
           "machine's clock" in " ".join(r.stderr.split())
    # a clock a minute or two ahead is skew, not the future: such a run is still the newest
    craft_run(folder / "results" / "skewed.json", stamp(now + timedelta(minutes=2)))
    assert run_cli("results", "show", "latest", "--json", cwd=folder).json()["created_utc"] == stamp(
        now + timedelta(minutes=2))
    # given by its path, a run dated ahead is read
    assert run_cli("results", "show", "results/ahead-1.json", cwd=folder).code == 0
    # the list shows it where its date puts it, and says it is not the newest
    listed = run_cli("results", "list", cwd=folder)
    assert listed.code == 0, listed.stderr
    assert "dated ahead: ahead-1.json (it says it started more than 5 minutes after this machine's clock, so it is " \
           "not taken as the newest run" in " ".join(listed.stdout.split())
    doc = run_cli("results", "list", "--json", cwd=folder).json()
    assert [s["run"] for s in doc["runs"] if s["ahead_of_clock"]] == ["ahead-1.json"]


def test_no_latest_names_the_runs_without_a_measurement_beside_those_dated_ahead(tmp_path):
    # the error named the run dated ahead only: the runs killed before their first measurement, passed over too,
    # went unsaid
    (tmp_path / "results").mkdir()
    now = datetime.now(timezone.utc)
    craft_run(tmp_path / "results" / "ahead-1.json", (now + timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    killed_run(tmp_path / "results" / "killed-1.json", "2026-01-05T00:00:00Z")
    r = run_cli("results", "show", "latest", cwd=tmp_path)
    assert_user_error(r, "to take as latest: passed over ahead-1.json (it says it started",
                      "and killed-1.json (it holds no measurement")


def killed_run(path: Path, created: str) -> Path:
    """The file a run killed outright (SIGKILL) before its first measurement leaves: written when it started, marked
    interrupted, with no probe and no figure (the runner removes such a file on Ctrl-C, but cannot on SIGKILL)."""
    doc = schema.new_document(probe=None, quick=False, argv=["rigbench", "bench"])
    doc["created_utc"] = created
    write_json_atomic(path, doc)
    return path


def test_latest_passes_over_a_newer_run_killed_before_its_first_measurement(folder):
    killed = killed_run(folder / "results" / "killed-20260105T000000Z.json", "2026-01-05T00:00:00Z")
    run = runs_mod.resolve("latest", cwd=folder)
    assert run.name == "fast-20260104T000000Z" and run.passed_over == (killed,)
    r = run_cli("results", "show", "latest", "--format", "csv", cwd=folder)
    assert r.code == 0, r.stderr
    gemm = next(row for row in csv.DictReader(io.StringIO(r.stdout)) if row["kernel"] == "gemm"
                and row["dtype"] == "float32")
    assert float(gemm["value"]) == pytest.approx(GEMM_FLOPS / 0.008 / 1e12)   # the fast run, not the empty one
    assert r.stderr.splitlines() == [
        "rigbench: note: latest is fast-20260104T000000Z.json, the newest run with a measurement; passed over "
        "killed-20260105T000000Z.json (it holds no measurement: the run stopped before its first)"]
    # named, the empty run is still shown, and no note is said
    r = run_cli("results", "show", "killed", "--format", "csv", cwd=folder)
    assert r.code == 0 and r.stderr == "" and list(csv.DictReader(io.StringIO(r.stdout))) == []


def test_latest_with_only_runs_killed_before_their_first_measurement_is_one_line(tmp_path):
    killed_run(tmp_path / "results" / "a-20260105T000000Z.json", "2026-01-05T00:00:00Z")
    killed_run(tmp_path / "results" / "b-20260106T000000Z.json", "2026-01-06T00:00:00Z")
    assert_user_error(run_cli("results", "show", "latest", cwd=tmp_path), "no run of yours holds a measurement",
                      "passed over b-20260106T000000Z.json, a-20260105T000000Z.json (they hold no measurement",
                      "rigbench bench")


# ---------------------------------------------------------------- odd text in files and names

EVIL_NAME = "evil\x1b]0;PWN\x07\x1b[2J.json"
EVIL_SHOWN = "evil\\x1b]0;PWN\\x07\\x1b[2J.json"


def _with_kernel(tmp_path: Path, kernel: str) -> Path:
    """A copy of a committed reference run whose gemm float32 figures are named ``kernel``."""
    doc = json.loads(next(REFERENCE.glob("*.json")).read_text())
    for m in doc["measurements"]:
        if m["kernel"] == "gemm" and m["dtype"] == "float32":
            m["kernel"] = kernel
    path = tmp_path / "k.json"
    write_json_atomic(path, doc)
    return path


def test_csv_shows_control_characters_as_their_escapes(tmp_path):
    # ESC, BEL and CR from a file reached the terminal raw in CSV (the table and markdown escaped them), and click
    # dropped a CSI sequence like ESC[2J from piped output, so the cell did not even say what the file held
    k = _with_kernel(tmp_path, "gemm\x1b[2J\r\x85")
    (tmp_path / "results").mkdir()
    write_json_atomic(tmp_path / "results" / EVIL_NAME, json.loads(k.read_text()))
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    shows = [run_cli("results", "show", str(k), "--format", "csv", cwd=tmp_path, env=env),
             run_cli("results", "diff", str(next(REFERENCE.glob("*.json"))), str(k), "--format", "csv", cwd=tmp_path,
                     env=env)]
    for r in shows:
        assert r.code == 0, r.stderr
        assert not any(ch in r.stdout for ch in "\x1b\x07\r\x85"), r.stdout
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        assert "gemm\\x1b[2J\\x0d\\x85" in {row["kernel"] for row in rows}
    listed = run_cli("results", "list", "--format", "csv", cwd=tmp_path, env=env)
    assert listed.code == 0 and "\x1b" not in listed.stdout and "\x07" not in listed.stdout
    row = next(row for row in csv.DictReader(io.StringIO(listed.stdout)) if row["origin"] == "yours")
    assert row["run"] == EVIL_SHOWN and row["path"] == str(tmp_path / "results" / EVIL_SHOWN)


def test_a_stacked_list_shows_a_bel_in_a_file_name_as_its_escape(tmp_path):
    # at 60 columns the list is stacked; rich's Text dropped the BEL before the console could escape it, showing
    # evil\x1b]0;PWN\x1b[2J.json, a name that is not the file's
    (tmp_path / "results").mkdir()
    write_json_atomic(tmp_path / "results" / EVIL_NAME, json.loads(next(REFERENCE.glob("*.json")).read_text()))
    r = run_cli("results", "list", cwd=tmp_path, env={"COLUMNS": "60", "XDG_DATA_HOME": str(tmp_path / "data")})
    assert r.code == 0, r.stderr
    assert EVIL_SHOWN in r.stdout.splitlines() and "\x07" not in r.stdout


def test_a_newline_in_a_run_s_file_name_stays_on_its_row(tmp_path):
    (tmp_path / "results").mkdir()
    write_json_atomic(tmp_path / "results" / "a\nb.json", json.loads(next(REFERENCE.glob("*.json")).read_text()))
    r = run_cli("results", "list", cwd=tmp_path, env={"COLUMNS": "200", "XDG_DATA_HOME": str(tmp_path / "data")})
    assert r.code == 0, r.stderr
    row = next(line for line in r.stdout.splitlines() if "a\\nb.json" in line)
    assert row.split()[-1] == "yours" and not any(line.startswith("b.json") for line in r.stdout.splitlines())
    shown = run_cli("results", "show", str(tmp_path / "results" / "a\nb.json"), cwd=tmp_path)
    assert f"results: {tmp_path}/results/a\\nb.json" in shown.stdout.splitlines()


@pytest.mark.parametrize("value, fragment", [
    ("5%%", "--fail-above is '5%%': write a percentage with one % sign"),
    ("5_0", "--fail-above is '5_0', not a number"),                    # float() reads it as 50
    ("\u0661\u0660", "not a number"),                                   # Arabic-Indic 10: float() reads it
    ("1e400", "--fail-above is '1e400', not a finite number"),
    ("1" * 400, "400 characters long"),
    # "-0" read as 0 and printed "-0.0%"; any sign is refused, as other options refuse '-0'
    ("-0", "--fail-above is '-0', with a minus sign: it must be at least 0"),
    ("-0%", "--fail-above is '-0%', with a minus sign"),
])
def test_fail_above_is_read_by_the_bounded_number_parser(folder, value, fragment):
    assert_user_error(run_cli("results", "diff", "slow", "fast", "--fail-above", value, cwd=folder), fragment)


def test_a_bare_fail_above_number_is_a_percentage():
    assert units.parse_percent("5%", what="x") == pytest.approx(0.05)
    assert units.parse_percent("5", what="x") == pytest.approx(0.05)
    assert units.parse_percent(" 0.5 % ", what="x") == pytest.approx(0.005)
    assert units.parse_percent("0", what="x") == 0.0


def test_the_reference_runs_are_found_from_any_folder(tmp_path):
    # they were looked for in ./results/reference only: from any other folder, "no runs yet" and a report
    # "against 0 other runs"
    shipped = sorted(p.name for p in REFERENCE.glob("*.json"))
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    doc = run_cli("results", "list", "--json", cwd=tmp_path, env=env).json()
    assert sorted(s["run"] for s in doc["runs"] if s["origin"] == "reference") == shipped
    assert str(REFERENCE) in doc["folders"]
    # named by its file name from here; `latest` stays the newest of your own runs, and there is none here
    r = run_cli("results", "diff", shipped[0], str(REFERENCE / shipped[0]), cwd=tmp_path, env=env)
    assert_user_error(r, "the same run is given twice")
    assert_user_error(run_cli("results", "show", "latest", cwd=tmp_path, env=env), "no runs of yours in",
                      "rigbench bench")



def test_a_data_folder_that_is_a_file_is_named_not_taken_for_no_runs(tmp_path):
    # "no runs of yours in .../rigbench/results: run `rigbench bench` first", which could not write there either
    (tmp_path / "share").mkdir()
    (tmp_path / "share" / "rigbench").write_text("x")
    r = run_cli("results", "show", "latest", cwd=tmp_path, env={"XDG_DATA_HOME": str(tmp_path / "share")})
    assert_user_error(r, f"{tmp_path / 'share' / 'rigbench'} is a file, not a folder",
                      "move it away (or set RIGBENCH_DATA_DIR to another folder)")
    assert "rigbench bench" not in r.stderr


def test_a_file_named_results_here_is_named_without_data_folder_advice(tmp_path):
    # it said "set RIGBENCH_DATA_DIR to another folder", which moves the per-user folder, not ./results; and it
    # dropped "run `rigbench bench`", which still writes to the per-user folder
    (tmp_path / "results").write_text("x")
    r = run_cli("results", "show", "latest", cwd=tmp_path, env={"XDG_DATA_HOME": str(tmp_path / "share")})
    assert_user_error(r, f"{tmp_path / 'results'} is a file, not a folder; move it away; run `rigbench bench` first")
    assert "RIGBENCH_DATA_DIR" not in r.stderr


def test_results_list_names_a_data_folder_that_is_a_file_as_show_does(tmp_path):
    # it listed the reference runs alone, exit 0, with no word of the file where the user's runs should be
    (tmp_path / "share").mkdir()
    (tmp_path / "share" / "rigbench").write_text("x")
    blocked = tmp_path / "share" / "rigbench"
    for env in ({"XDG_DATA_HOME": str(tmp_path / "share")}, {"RIGBENCH_DATA_DIR": str(blocked)},
                {"RIGBENCH_DATA_DIR": str(blocked / "below")}):
        for fmt in ((), ("--json",), ("--format", "csv")):
            r = run_cli("results", "list", *fmt, cwd=tmp_path, env=env)
            assert_user_error(r, "cannot read your runs in ", f"{blocked} is a file, not a folder",
                              "move it away (or set RIGBENCH_DATA_DIR to another folder)")
    # the folder there: the list as before
    assert run_cli("results", "list", "--json", cwd=tmp_path, env={"XDG_DATA_HOME": str(tmp_path / "data")}).code == 0

def test_help_examples_name_reference_runs_that_exist():
    names = set()
    for args in (("results", "--help"), ("results", "diff", "--help"), ("report", "--help")):
        r = run_cli(*args)
        assert r.code == 0, r.stderr
        names |= {w for w in r.stdout.split() if w.startswith(("vm-", "results/reference/")) and w.endswith(".json")}
    assert names and all((REFERENCE / Path(n).name).is_file() for n in names), names
