"""The results document's one owner: every reader goes through rigbench.results; types are checked on load; a
figure is handed out only when valid and only for its own device; runs never overwrite each other."""

import ast
import re
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import REPO, assert_user_error, run_cli
from rigbench import results
from rigbench import validity
from rigbench.bench.runner import run_suite
from rigbench.prices import cloud
from rigbench.errors import UserError
from rigbench.files import json_depth, write_json_atomic
from rigbench.kernels import REGISTRY

# Modules that WRITE measurements (build the list a run produces) may touch the key; nobody else reads it.
WRITERS = {"rigbench/results.py", "rigbench/bench/runner.py", "rigbench/bench/distributed.py",
           "rigbench/bench/schema.py"}
# The same key in another document: a run summary's count of measurements (rigbench results list).
NOT_THE_DOCUMENT = {("rigbench/cli/results.py", "s['measurements']")}


def _reads_of_measurements(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, source) of every ``x["measurements"]`` and ``x.get("measurements")`` in a module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                and node.slice.value == "measurements":
            found.append((node.lineno, ast.unparse(node)))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
                and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value == "measurements":
            found.append((node.lineno, ast.unparse(node)))
    return sorted(found)


def test_no_module_but_the_owner_reads_measurements_directly():
    offenders = []
    for path in sorted((REPO / "rigbench").rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        if rel in WRITERS:
            continue
        for line, source in _reads_of_measurements(ast.parse(path.read_text(encoding="utf-8"))):
            if (rel, source) not in NOT_THE_DOCUMENT:
                offenders.append(f"{rel}:{line}: {source}")
    assert not offenders, f"read the results document through rigbench.results, not directly: {offenders}"


def test_the_reader_test_would_catch_a_direct_read():
    """The scan above is only worth something if it sees the two ways a module reads the list."""
    tree = ast.parse("a = doc['measurements']\nb = doc.get('measurements', [])\nc = {'measurements': []}\n")
    assert [line for line, _ in _reads_of_measurements(tree)] == [1, 2]


def test_the_bench_table_reads_reason_codes_not_prose():
    """The status cell comes from each reason's ``code`` (validity.brief); nothing parses the prose back."""
    for name in ("cli/bench.py", "bench/table.py"):
        source = (REPO / "rigbench" / name).read_text(encoding="utf-8")
        assert not re.search(r"^\s*import re$", source, re.M) and "_brief" not in source, name
    assert "validity.brief(" in (REPO / "rigbench" / "bench" / "table.py").read_text(encoding="utf-8")
    assert validity.brief(SPREAD) == "spread 16%"
    assert validity.brief(validity.reason("drift", "the machine moved", 0.12, 0.10)) == "machine moved 12%"


# ------------------------------------------------------------------------------------------------ documents

def _doc(measurements, **top):
    return {"schema": results.SCHEMA, "status": "complete", "created_utc": "2026-01-02T03:04:05Z", "host": "rig",
            "probe": {"gpus": [{"index": 0, "name": "NVIDIA GeForce RTX 2080 Ti", "catalog_id": "rtx-2080-ti"}]},
            "measurements": measurements, **top}


def _m(kernel, device, value, valid=True, reasons=(), dtype="float32", status="ok"):
    return {"kernel": kernel, "device": device, "dtype": dtype, "status": status, "value": value,
            "unit": REGISTRY[kernel].unit if kernel in REGISTRY else "x", "valid": valid,
            "invalid_reasons": list(reasons)}


SPREAD = validity.reason("spread", "spread 16% of the median (IQR over median above 10%)", 0.16, 0.10)


def test_ok_hands_out_valid_figures_of_the_device_asked_for_only():
    view = results.Results.of(_doc([
        _m("gemm", "cuda:0", 10.0), _m("gemm", "cuda:0", 12.0, valid=False, reasons=[SPREAD]),
        _m("gemm", "cuda:1", 99.0), _m("gemm", "cpu", 0.2), _m("memcopy", "cuda:0", 500.0),
        _m("gemm", "cuda:0", None, valid=False, status="skipped"), _m("gemm", "cuda:0", float("nan"))]))
    assert [f.value for f in view.ok("gemm", device="cuda:0")] == [10.0]
    assert [f.value for f in view.ok("gemm", device="cuda:0", valid_only=False)] == [10.0, 12.0]
    assert [f.value for f in view.ok("gemm", device="cuda")] == [10.0, 99.0]
    assert [f.value for f in view.invalid("gemm", device="cuda:0")] == [12.0]
    assert len(view.all("gemm", device="cuda:0")) == 4 and view.devices() == ["cuda:0", "cuda:1", "cpu"]
    assert view.invalid_note(view.invalid("gemm")) == "present but INVALID (spread 16% of the median (IQR over " \
                                                      "median above 10%))"
    # a figure that did not run is said apart: its skip reason is no flaw of a measured figure
    every = view.all("gemm", device="cuda:0")
    assert view.invalid_note([f for f in every if not f.valid]).startswith(
        "present but INVALID (spread 16% of the median (IQR over median above 10%)); 2 more not measured (skipped: ")
    assert view.invalid_note([f for f in every if f.status == "skipped"]).startswith("not measured (skipped: ")
    assert view.device_measured("cuda:0")["catalog_id"] == "rtx-2080-ti" and view.device_measured("cpu") is None


def test_a_figure_not_marked_valid_is_not_valid():
    """``valid`` missing is not ``valid: true``: only a figure the runner judged is handed out as valid."""
    f = results.Results.of(_doc([{"kernel": "gemm", "device": "cpu", "status": "ok", "value": 1.0}])).figures[0]
    assert f.measured and not f.valid and f.why_not() == "not judged valid"


def test_confidence_interval_of_a_rate_is_from_the_interval_of_its_time():
    """value 100/s at a median 10 ms; time CI [9.5, 12.5] ms -> rate CI [100 x 10/12.5, 100 x 10/9.5] = [80, 105.26]."""
    rec = {**_m("gemm", "cpu", 100.0), "median_s": 0.010, "ci_low_s": 0.0095, "ci_high_s": 0.0125}
    lo, hi = results.Results.of(_doc([rec])).figures[0].ci
    assert lo == pytest.approx(80.0) and hi == pytest.approx(1000 / 9.5)


def test_version_1_prose_reasons_are_kept_under_a_code_that_claims_nothing(tmp_path):
    old = _doc([_m("gemm", "cpu", 0.2, valid=False, reasons=["spread 16% of the median"])],
               schema="rigbench.results/1")
    (tmp_path / "v1.json").write_text(json.dumps(old))
    doc = results.load_document(tmp_path / "v1.json")
    assert doc["schema"] == "rigbench.results/2" and doc["migrated_from"] == "rigbench.results/1"
    assert doc["measurements"][0]["invalid_reasons"] == [
        {"code": "recorded", "value": None, "limit": None, "text": "spread 16% of the median"}]


@pytest.mark.parametrize("mutate, fragment", [
    (lambda d: d.update(measurements={"a": 1}), "measurements is an object, expected an array"),
    (lambda d: d["measurements"].append("gemm"), "measurements[1] is a string, expected an object"),
    (lambda d: d.update(probe=[1, 2]), "probe is a list, expected an object or null"),
    (lambda d: d["probe"].update(gpus={"0": {}}), "probe.gpus is an object, expected an array or null"),
    (lambda d: d["probe"].update(gpus=["RTX"]), "probe.gpus[0] is a string, expected an object"),
    (lambda d: d["measurements"][0].update(value="fast"), "measurements[0].value is a string, expected a number"),
    (lambda d: d["measurements"][0].update(valid="yes"), "measurements[0].valid is a string, expected a boolean"),
    (lambda d: d["measurements"][0].update(status="great"), "measurements[0].status is 'great', expected one of"),
    (lambda d: d["measurements"][0].update(invalid_reasons=[3]), "measurements[0].invalid_reasons[0] is a number"),
    (lambda d: d["measurements"][0].pop("kernel"), "measurements[0] has no 'kernel'"),
    (lambda d: d["measurements"][0].update(params=[1]), "measurements[0].params is a list, expected an object"),
    (lambda d: d.pop("measurements"), "has no 'measurements'"),
])
def test_malformed_files_are_one_line_user_errors(tmp_path, mutate, fragment):
    doc = _doc([_m("gemm", "cpu", 0.2)])
    mutate(doc)
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    with pytest.raises(UserError) as err:
        results.load(tmp_path / "bad.json")
    text = str(err.value)
    assert fragment in text and "\n" not in text and str(tmp_path / "bad.json") in text


@pytest.mark.parametrize("args", [("recommend", "{f}"), ("compare", "{f}", "rtx-3090"),
                                  ("cost", "--buy", "rtx-2080-ti", "--hours-per-month", "10", "--results", "{f}")])
def test_every_command_refuses_a_malformed_file_with_exit_2(tmp_path, args):
    doc = _doc([_m("gemm", "cuda:0", 12.0)])
    doc["probe"]["gpus"] = [["not", "a", "record"]]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    assert_user_error(run_cli(*(a.format(f=bad) for a in args)), "probe.gpus[0] is a list, expected an object")


def test_published_json_schema_is_the_one_the_loader_checks():
    published = json.loads((REPO / "docs" / "results.schema.json").read_text(encoding="utf-8"))
    assert published == results.json_schema(), "regenerate docs/results.schema.json from rigbench.results.json_schema()"


def test_a_real_run_and_the_reference_files_validate_against_the_published_schema(tmp_path):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is a test extra (pip install -e '.[test]')")

    doc, _ = run_suite(only=["memcopy"], device="cpu", quick=True, out=tmp_path / "r.json",
                       probe={"cpu": {"usable_cores": 1}, "gpus": []}, peaks={"cpu": {}})
    jsonschema.validate(json.loads((tmp_path / "r.json").read_text()), results.json_schema())
    bad = json.loads((tmp_path / "r.json").read_text())
    bad["measurements"][0]["value"] = "fast"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, results.json_schema())


# ------------------------------------------------------------------------------------------------ where results live

def test_runs_in_the_same_second_keep_both_files(tmp_path):
    created = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    a = results.reserve_path(tmp_path, host="box", created=created)
    b = results.reserve_path(tmp_path, host="box", created=created)
    assert (a.name, b.name) == ("box-20260102T030405Z.json", "box-20260102T030405Z-2.json")
    assert a.exists() and b.exists()


def test_a_run_name_taken_by_a_folder_or_link_is_refused_not_moved_past(tmp_path):
    # the rule of every default name (rigbench.files.free_names): past a file, never past a folder or a link
    created = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    (tmp_path / "box-20260102T030405Z.json").mkdir()
    taken = r"box-20260102T030405Z\.json is taken here by a directory \(a folder\); give --out FILE"
    with pytest.raises(UserError, match=taken):
        results.reserve_path(tmp_path, host="box", created=created)
    (tmp_path / "box-20260102T030405Z.json").rmdir()
    (tmp_path / "box-20260102T030405Z.json").write_text("mine")
    (tmp_path / "box-20260102T030405Z-2.json").symlink_to(tmp_path / "elsewhere.json")
    with pytest.raises(UserError, match="-2.json is taken here by a"):
        results.reserve_path(tmp_path, host="box", created=created)
    assert not (tmp_path / "box-20260102T030405Z-3.json").exists()


def test_rigbench_data_dir_moves_the_results_folder_as_it_moves_the_price_list(tmp_path, monkeypatch):
    monkeypatch.setenv("RIGBENCH_DATA_DIR", str(tmp_path / "mine"))
    assert results.results_dir() == tmp_path / "mine" / "results"
    assert cloud.user_prices_path() == tmp_path / "mine" / "cloud_prices.csv"


def test_default_folder_is_per_user_and_newest_is_found_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert results.results_dir() == tmp_path / "data" / "rigbench" / "results"
    path = results.reserve_path(created=datetime(2026, 5, 1, tzinfo=timezone.utc))
    write_json_atomic(path, _doc([_m("gemm", "cpu", 0.2)], created_utc="2026-05-01T00:00:00Z"))
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    assert results.newest() == path
    # a run left in ./results by an older version is still found, and the newer of the two wins
    write_json_atomic(elsewhere / "results" / "old.json", _doc([], created_utc="2025-01-01T00:00:00Z"))
    assert results.newest() == path
    write_json_atomic(elsewhere / "results" / "new.json", _doc([], created_utc="2026-09-01T00:00:00Z"))
    assert results.newest() == Path("results") / "new.json"


def test_newest_passes_over_a_run_dated_in_the_future(tmp_path):
    now = datetime.now(timezone.utc)
    for name, when in (("ahead.json", now + results.CLOCK_SKEW * 2), ("now.json", now)):
        _edited(tmp_path, lambda d, w=when: d.update(created_utc=w.strftime("%Y-%m-%dT%H:%M:%SZ")), name)
    ahead: list = []
    assert results.newest(tmp_path, measured=True, ahead=ahead) == tmp_path / "now.json"
    assert ahead == [tmp_path / "ahead.json"]


def test_another_machines_run_dated_ahead_is_passed_over_as_another_machines(tmp_path):
    # it was classed "dated ahead" before the machine was looked at: the note named it as this machine's run
    now = datetime.now(timezone.utc)
    here = results.machine_of(json.loads(REFERENCE_RUN.read_text(encoding="utf-8")))
    _edited(tmp_path, lambda d: d.update(created_utc=now.strftime("%Y-%m-%dT%H:%M:%SZ")), "mine.json")
    _edited(tmp_path, lambda d: d.update(host="otherbox", created_utc=(now + results.CLOCK_SKEW * 2).strftime(
        "%Y-%m-%dT%H:%M:%SZ")), "theirs.json")
    ahead: list = []
    others: list = []
    assert results.newest(tmp_path, measured=True, machine=here, other_machines=others, ahead=ahead) \
        == tmp_path / "mine.json"
    assert others == [tmp_path / "theirs.json"] and ahead == []


def test_reserved_file_that_the_run_never_wrote_is_passed_over(tmp_path):
    results.reserve_path(tmp_path, host="box")          # empty: a run that died before its first write
    write_json_atomic(tmp_path / "ok.json", _doc([]))
    assert results.newest(tmp_path) == tmp_path / "ok.json"


def test_newest_with_a_measurement_passes_over_runs_killed_before_their_first(tmp_path):
    # a run killed outright (SIGKILL) cannot remove its file: a machine and no figure, and the newest file
    write_json_atomic(tmp_path / "old.json", _doc([_m("gemm", "cpu", 0.2)], created_utc="2026-01-01T00:00:00Z"))
    write_json_atomic(tmp_path / "killed.json", _doc([], created_utc="2026-01-03T00:00:00Z"))
    write_json_atomic(tmp_path / "killed-before.json", _doc([], created_utc="2025-12-01T00:00:00Z"))
    assert results.newest(tmp_path) == tmp_path / "killed.json"          # any run, as before
    passed: list = []
    assert results.newest(tmp_path, measured=True, passed_over=passed) == tmp_path / "old.json"
    assert passed == [tmp_path / "killed.json"]                          # only those newer than the one taken
    (tmp_path / "old.json").unlink()
    passed.clear()
    assert results.newest(tmp_path, measured=True, passed_over=passed) is None
    assert passed == [tmp_path / "killed.json", tmp_path / "killed-before.json"]


def test_clock_events_and_power_come_from_every_nvml_reading_of_the_figure():
    """Before, after, and after each round: the highest board power and every clock-event reason seen."""
    rec = {**_m("train_cnn", "cuda:0", 400.0), "conditions": {
        "gpu_before": {"power_w": 60.0, "clock_event_reasons": []},
        "gpu_after": {"power_w": 240.0, "clock_event_reasons": ["sw_power_cap"]},
        "gpu_rounds": [{"power_w": 251.5, "clock_event_reasons": ["hw_thermal_slowdown"]}, {"power_w": 240.0}]}}
    f = results.Results.of(_doc([rec])).figures[0]
    assert f.power_w() == (251.5, "gpu_after_round_1")
    assert f.clock_events() == {"sw_power_cap", "hw_thermal_slowdown"}


# ------------------------------------------------------------------------------------------------ values no run writes

REFERENCE_RUN = next((REPO / "results" / "reference").glob("*.json"))


def _edited(tmp_path, edit, name="m.json") -> Path:
    """The committed reference run with ``edit`` applied to its document, written to ``tmp_path/name``."""
    doc = json.loads(REFERENCE_RUN.read_text(encoding="utf-8"))
    edit(doc)
    (tmp_path / name).write_text(json.dumps(doc), encoding="utf-8")
    return tmp_path / name


def _slowed(m: dict, factor: float) -> None:
    """Every call of a measurement taking ``factor`` times as long, its figures kept consistent (value, fraction)."""
    for key in ("median_s", "iqr_s", "min_s", "max_s", "ci_low_s", "ci_high_s"):
        m[key] *= factor
    m["samples_s"] = [t * factor for t in m.get("samples_s") or []]
    m["rounds_s"] = [t * factor for t in m.get("rounds_s") or []]
    m["value"] = m["flops"] / m["median_s"] / 1e12
    m["fraction_of_peak"] = m["value"] / m["peak"]


def _gemm(doc) -> dict:
    """The float32 2048³ matrix product of the reference run, whatever its index."""
    return next(m for m in doc["measurements"] if m["kernel"] == "gemm" and m.get("label") == "2048³"
                and m["dtype"] == "float32")


@pytest.mark.parametrize("edit, fragment", [
    # fraction_of_peak above ten times the peak, or below zero; NaN and Infinity, which Python's JSON reader takes
    (lambda m: m.update(fraction_of_peak=1e6), "fraction_of_peak is 1e+06, expected 0 to 10"),
    (lambda m: m.update(fraction_of_peak=-0.5), "fraction_of_peak is -0.5, expected 0 to 10"),
    (lambda m: m.update(fraction_of_peak=float("inf")), "fraction_of_peak is Infinity, not a finite number"),
    (lambda m: m.update(value=float("nan")), "value is NaN, not a finite number"),
    # a negative rate of work
    (lambda m: m.update(value=-5.0), "value is -5, below zero"),
    # devices no runner writes: a negative GPU index passed `index < len(gpus)` and indexed from the end
    (lambda m: m.update(device="cuda:-1"), "device is 'cuda:-1', expected cpu or cuda:N"),
    (lambda m: m.update(device="gpu0"), "device is 'gpu0', expected cpu or cuda:N"),
    # an inverted interval (low twice high), one below zero, one that leaves its median out
    (lambda m: m.update(ci_low_s=m["ci_high_s"] * 2), "ci_low_s (0.26606 s) is above ci_high_s (0.13303 s)"),
    (lambda m: m.update(ci_low_s=-1.0), "ci_low_s is -1, expected a time above zero"),
    (lambda m: m.update(median_s=m["ci_high_s"] * 1.5), "median_s (0.199545 s) lies outside its confidence interval"),
])
def test_a_measurement_value_no_run_writes_is_refused_on_load(tmp_path, edit, fragment):
    path = _edited(tmp_path, lambda d: edit(_gemm(d)))
    doc = json.loads(path.read_text())
    index = doc["measurements"].index(_gemm(doc))
    with pytest.raises(UserError) as exc:
        results.load(path)
    assert str(exc.value).startswith(f"{path}: measurements[{index}].{fragment}")
    assert str(exc.value).endswith("not a valid rigbench.results file") and "\n" not in str(exc.value)


def _every_figure(edit):
    """An edit applied to every measured record of a document."""
    return lambda d: [edit(m) for m in d["measurements"] if m["status"] == "ok"]


def _times(m: dict, factor: float) -> None:
    for key in ("median_s", "iqr_s", "min_s", "max_s", "ci_low_s", "ci_high_s"):
        m[key] *= factor


@pytest.mark.parametrize("edit, fragment", [
    # every value x1.5, times kept: shown as 0.198 TFLOP/s at 63% of a 0.209 peak, and "+50.0% faster" in a diff
    (_every_figure(lambda m: m.update(value=m["value"] * 1.5)), "value is 0.198284 TFLOP/s, but its flops "
                                                                "(1.71799e+10 per call) over its median_s"),
    # every time x2, values kept: "+0.0% within noise" against the run it was copied from
    (_every_figure(lambda m: _times(m, 2)), "value is 0.132189 TFLOP/s, but its flops (1.71799e+10 per call) over "
                                            "its median_s (0.259929 s) give 0.0660945"),
    # a gemm in GB/s, or measuring bandwidth: the kernel says what it measures
    (lambda d: d["measurements"][6].update(unit="GB/s"), "unit is 'GB/s', but gemm is measured in TFLOP/s"),
    (lambda d: d["measurements"][6].update(metric="bandwidth"), "metric is 'bandwidth', but gemm measures 'flops'"),
    # 1% of the peak where value / peak is 63%; a peak 1,320x below the value beside 63%
    (lambda d: d["measurements"][6].update(fraction_of_peak=0.01), "fraction_of_peak is 0.01, but value / peak is "
                                                                    "0.631444 (0.132189 / 0.209344 TFLOP/s)"),
    (lambda d: d["measurements"][6].update(peak=0.0001), "fraction_of_peak is 0.631444, but value / peak is 1321.89"),
    (lambda d: d["measurements"][6].update(peak=0), "peak is 0, expected a peak above zero"),
    # a figure without its unit: `results show` failed with KeyError 'unit', or showed "0.132 None"
    (lambda d: d["measurements"][6].pop("unit"), "unit is missing, expected a string: a measured value (0.132189)"),
    (lambda d: d["measurements"][6].update(unit=None), "unit is null, expected a string"),
    # no value, yet 63% of the peak shown
    (lambda d: d["measurements"][6].update(value=None), "fraction_of_peak is 0.631444, but its value is null"),
])
def test_figures_that_contradict_each_other_are_refused_on_load(tmp_path, edit, fragment):
    path = _edited(tmp_path, edit)
    assert json.loads(path.read_text())["measurements"][6]["kernel"] == "gemm"     # the first measured figure
    with pytest.raises(UserError) as exc:
        results.load(path)
    assert str(exc.value).startswith(f"{path}: measurements[6].{fragment}"), str(exc.value)
    assert_user_error(run_cli("results", "show", str(path)), f"measurements[6].{fragment}")


def _disk_iops(doc) -> dict:
    return next(m for m in doc["measurements"] if m["kernel"] == "disk_iops")


@pytest.mark.parametrize("args", [("results", "show", "m.json"), ("recommend", "m.json", "--profile", "desktop", "-v")])
def test_a_figure_marked_valid_beside_its_invalid_reasons_is_refused(tmp_path, args):
    # "valid": true typed over a disk_iops figure whose reasons say spread 20%: `results show` listed it valid and
    # `recommend` passed desktop.ssd from it
    path = _edited(tmp_path, lambda d: _disk_iops(d).update(valid=True))
    doc = json.loads(path.read_text())
    index = doc["measurements"].index(_disk_iops(doc))
    assert [r["code"] for r in _disk_iops(doc)["invalid_reasons"]] == ["spread", "rounds"]
    with pytest.raises(UserError) as exc:
        results.load(path)
    assert str(exc.value).startswith(f"{path}: measurements[{index}].valid is true, but the figure (disk_iops on cpu) "
                                     "carries invalid_reasons (spread 20%, rounds moved"), str(exc.value)
    assert_user_error(run_cli(*args, cwd=tmp_path), f"m.json: measurements[{index}].valid is true")
    # what the runner writes stays readable: valid false with its reasons, a skipped figure valid false without one
    assert not next(f for f in results.load(REFERENCE_RUN).figures if f.kernel == "disk_iops").valid
    skipped = results.load(_edited(tmp_path, lambda d: d["measurements"][0].update(invalid_reasons=[]), "s.json"))
    assert skipped.figures[0].status == "skipped" and not skipped.figures[0].valid


@pytest.mark.parametrize("args", [("results", "show", "m.json"), ("recommend", "m.json", "--profile", "desktop", "-v")])
def test_a_figure_marked_valid_whose_own_timings_fail_the_limits_is_refused(tmp_path, args):
    # "valid": true and "invalid_reasons": [] typed over the disk_iops figure whose recorded spread is 20% and whose
    # rounds moved 20%: `results show` listed it valid and `recommend` passed desktop.ssd from it
    path = _edited(tmp_path, lambda d: _disk_iops(d).update(valid=True, invalid_reasons=[]))
    index = json.loads(path.read_text())["measurements"].index(_disk_iops(json.loads(path.read_text())))
    with pytest.raises(UserError) as exc:
        results.load(path)
    assert str(exc.value).startswith(f"{path}: measurements[{index}].valid is true, but the figure (disk_iops on cpu) "
                                     "records timings over their limits (spread 20%, rounds moved 20%): the figures "
                                     "contradict each other"), str(exc.value)
    assert_user_error(run_cli(*args, cwd=tmp_path), f"m.json: measurements[{index}].valid is true")
    # only what the record carries is judged: without iqr_s and rounds_s (an older writer's), nothing to contradict
    older = _edited(tmp_path, lambda d: _disk_iops(d).update(valid=True, invalid_reasons=[], iqr_s=None,
                                                             rounds_s=None), "o.json")
    assert next(f for f in results.load(older).figures if f.kernel == "disk_iops").valid


def test_a_version_0_figure_stays_valid_beside_the_note_that_it_was_not_checked(tmp_path):
    # the migration keeps a /0 figure valid and notes "unchecked"; a /2 file saying the same is an edit
    # its spread (40%) over today's limit: /0 judged nothing, and its figure is kept as written, noted unchecked
    fig = {"kernel": "gemm", "device": "cpu", "dtype": "float32", "params": {}, "time_s": 0.5, "samples": 7,
           "iqr_s": 0.2, "status": "ok", "value": 0.4, "unit": "TFLOP/s"}
    old = {"schema": "rigbench.results/0", "created_utc": "2025-01-01T00:00:00Z", "measurements": [fig]}
    (tmp_path / "old.json").write_text(json.dumps(old))
    view = results.load(tmp_path / "old.json")
    assert view.figures[0].valid and [r["code"] for r in view.figures[0].reasons] == ["unchecked"]
    written = {k: v for k, v in view.doc.items() if k != "migrated_from"}     # the same figure, as a /2 run
    (tmp_path / "new.json").write_text(json.dumps(written))
    with pytest.raises(UserError, match=r"measurements\[0\].valid is true, but the figure \(gemm on cpu\) carries "
                                        r"invalid_reasons \(not checked\)"):
        results.load(tmp_path / "new.json")


def test_figures_edited_consistently_still_load(tmp_path):
    # every figure twice as slow, its value and fraction of the peak computed again: a run, not a contradiction
    view = results.load(_edited(tmp_path, _every_figure(lambda m: _slowed(m, 2) if m["kernel"] == "gemm" else None)))
    assert view.ok("gemm")


@pytest.mark.parametrize("path", sorted((REPO / "results" / "reference").glob("*.json"))
                         + sorted(p for p in (REPO / "tests" / "fixtures").rglob("*.json")
                                  if '"rigbench.results/' in p.read_text(encoding="utf-8")), ids=lambda p: p.name)
def test_every_committed_run_and_fixture_agrees_with_itself(path):
    # real runs and fixtures: each value is its work over its median time, each fraction its value over its peak
    assert results.load(path).figures


@pytest.mark.parametrize("edit, fragment", [
    # "yesterday" sorted as the newest run (after every "2026-..."); no date showed as "None"
    (lambda d: d.update(created_utc="yesterday"), "created_utc is 'yesterday', not an ISO 8601 UTC time"),
    (lambda d: d.update(created_utc="2026-12-02T17:05:50"), "created_utc is '2026-12-02T17:05:50', not an ISO 8601"),
    (lambda d: d.update(created_utc="2026-13-02T17:05:50Z"), "created_utc is '2026-13-02T17:05:50Z', not an ISO"),
    (lambda d: d.update(created_utc="2099-01-01T00:00:00Z"), "created_utc is 2099-01-01T00:00:00Z, more than a day "
                                                             "after this machine's clock"),
    (lambda d: d.pop("created_utc"), "the document has no 'created_utc'"),
    (lambda d: d.update(created_utc=None), "the document has no 'created_utc'"),
    (lambda d: d.update(status="bogus"), "status is 'bogus', expected one of complete, interrupted, failed"),
    (lambda d: d.pop("status"), "the document has no 'status'"),
])
def test_a_run_without_a_real_start_or_status_is_refused(tmp_path, edit, fragment):
    path = _edited(tmp_path, edit)
    with pytest.raises(UserError) as exc:
        results.load(path)
    assert str(exc.value).startswith(f"{path}: {fragment}"), str(exc.value)
    # a copy in ./results is passed over by `results list`, not listed as "yesterday" or "bogus"
    (tmp_path / "results").mkdir()
    path.rename(tmp_path / "results" / "m.json")
    listed = json.loads(run_cli("results", "list", "--json", cwd=tmp_path).stdout)
    assert [r["run"] for r in listed["runs"] if r["origin"] == "yours"] == []
    assert [s["reason"].partition(": ")[2][:len(fragment)] for s in listed["skipped"]] == [fragment]


def test_a_start_is_read_as_a_time_whatever_its_zone(tmp_path):
    now = datetime.now(timezone.utc)
    # 16:00 UTC written with its +02:00 offset is older than 17:00 UTC, though its text sorts after it
    write_json_atomic(tmp_path / "a.json", _doc([], created_utc="2026-12-02T18:00:00+02:00"))
    write_json_atomic(tmp_path / "b.json", _doc([], created_utc="2026-12-02T17:00:00Z"))
    assert results.newest(tmp_path) == tmp_path / "b.json"
    assert results.created_at(results.load(tmp_path / "a.json")) == datetime(2026, 12, 2, 16, tzinfo=timezone.utc)
    # a clock some hours ahead of this one (another machine's, a local time written as UTC) is no impossible start
    ahead = (now.replace(microsecond=0) + results.CREATED_AHEAD / 2).strftime("%Y-%m-%dT%H:%M:%SZ")
    write_json_atomic(tmp_path / "c.json", _doc([], created_utc=ahead))
    assert results.load(tmp_path / "c.json").created_utc == ahead


@pytest.mark.parametrize("args", [("results", "show", "m.json"), ("results", "show", "m.json", "--format", "csv"),
                                  ("report", "m.json", "--out", "r.html")])
def test_every_command_refuses_a_negative_value_alike(tmp_path, args):
    # `results show` printed -5.00 TFLOP/s INVALID and its csv "no figure recorded"; `report` drew a plot of a
    # fraction of the peak of a million (a traceback inside matplotlib)
    _edited(tmp_path, lambda d: _gemm(d).update(value=-5.0, fraction_of_peak=1e6))
    assert_user_error(run_cli(*args, cwd=tmp_path), "m.json: measurements[", "value is -5, below zero")
    assert not (tmp_path / "r.html").exists()


def test_a_figure_above_its_peak_is_invalid_whatever_the_file_says(tmp_path):
    # 3.0 of the peak with "valid": true: shown as a valid figure; now marked as the runner marks it
    # (the peak lowered with it: fraction_of_peak is value / peak)
    path = _edited(tmp_path, lambda d: _gemm(d).update(fraction_of_peak=3.0, peak=_gemm(d)["value"] / 3.0, valid=True,
                                                       invalid_reasons=[]))
    view = results.load(path)
    f = next(f for f in view.figures if f.raw is _gemm(view.doc))
    assert f.measured and not f.valid
    assert f.reasons == [{"code": "above_peak", "value": 3.0, "limit": 1.0,
                          "text": "300% of the peak: the peak or the timing is wrong"}]
    assert f not in view.ok("gemm") and f in view.invalid("gemm")
    # at the peak it stays as written
    at_peak = results.load(_edited(tmp_path, lambda d: _gemm(d).update(fraction_of_peak=1.0, peak=_gemm(d)["value"]),
                                   "p.json"))
    assert next(f for f in at_peak.figures if f.raw is _gemm(at_peak.doc)).valid


@pytest.mark.parametrize("edit, fragment", [
    (lambda os_: os_.update(chassis="x"), "probe.os.chassis is a string, expected an object or null"),
    (lambda os_: os_.update(chassis={"type": "9", "class": "laptop"}), "probe.os.chassis.type is a string"),
    (lambda os_: os_.update(chassis={"class": 1}), "probe.os.chassis.class is a number"),
    (lambda os_: os_.update(virtualisation=5), "probe.os.virtualisation is a number"),
])
def test_probe_os_is_typed_down_to_what_the_guidelines_read(tmp_path, edit, fragment):
    # chassis "x" ended `recommend` in AttributeError: 'str' object has no attribute 'get'
    _edited(tmp_path, lambda d: edit(d["probe"]["os"]))
    assert_user_error(run_cli("recommend", "m.json", cwd=tmp_path), f"m.json: {fragment}")


def test_a_probe_s_power_and_gpu_fields_are_typed(tmp_path):
    path = _edited(tmp_path, lambda d: d["probe"]["host"].update(power={"on_battery": "yes"}))
    with pytest.raises(UserError, match=r"probe\.host\.power\.on_battery is a string, expected a boolean or null"):
        results.load(path)
    path = _edited(tmp_path, lambda d: d["probe"].update(gpus=[{"index": "0", "name": "x"}]))
    with pytest.raises(UserError, match=r"probe\.gpus\[0\]\.index is a string"):
        results.load(path)
    path = _edited(tmp_path, lambda d: d["probe"].update(gpu_error=["no", "NVML"]))
    with pytest.raises(UserError, match=r"probe\.gpu_error is a list"):
        results.load(path)


def _probe_edit(edit):
    return lambda d: edit(d["probe"])


@pytest.mark.parametrize("edit, fragment", [
    # each was judged: "-1.0 TiB" of RAM, -4 cores, a disk with -5 bytes free
    (lambda p: p["cpu"].update(usable_cores=-4),
     "cpu.usable_cores is -4, expected 1 to 8,192 (Linux's largest NR_CPUS)"),
    (lambda p: p["cpu"].update(usable_cores=0), "cpu.usable_cores is 0, expected 1 to 8,192"),
    (lambda p: p["cpu"].update(usable_cores=10 ** 9), "cpu.usable_cores is 1,000,000,000, expected 1 to 8,192"),
    (lambda p: p["memory"].update(total_bytes=-1099511627776), "memory.total_bytes is -1,099,511,627,776, expected 0 "
                                                               "or more"),
    (lambda p: p["memory"].update(usable_bytes=-1), "memory.usable_bytes is -1, expected 0 or more"),
    (lambda p: p["memory"].update(total_bytes=1.5), "memory.total_bytes is 1.5, expected a whole number"),
    (lambda p: p["disks"][0].update(free_bytes=-5), "disks[0].free_bytes is -5, expected 0 or more"),
    (lambda p: p.update(gpus=[{"name": "x", "memory_total_bytes": "lots"}]), "gpus[0].memory_total_bytes is a string"),
    (lambda p: p.update(gpus=[{"name": "x", "memory_total_bytes": -8}]), "gpus[0].memory_total_bytes is -8"),
    # the number as written: "is 2" read as if 2 were refused as not whole
    (lambda p: p["cpu"].update(usable_cores=2.0), "cpu.usable_cores is 2.0, expected a whole number"),
    # counts that contradict each other: 4,096 usable of 8 CPUs passed cores_per_gpu at 2,048 CPUs a GPU
    (lambda p: p["cpu"].update(usable_cores=4096, logical_cores=8),
     "cpu.usable_cores is 4,096, more than "),
    (lambda p: p["cpu"].update(physical_cores=64, logical_cores=2, usable_cores=2),
     "cpu.physical_cores is 64, more than "),
    (lambda p: p["cpu"].update(affinity_cores=16, logical_cores=8, usable_cores=8, physical_cores=4),
     "cpu.affinity_cores is 16, more than "),
    (lambda p: p["cpu"].update(affinity_cores=-2), "cpu.affinity_cores is -2, expected 1 to 8,192"),
    (lambda p: p["cpu"].update(sockets=0), "cpu.sockets is 0, expected 1 to 8,192"),
    (lambda p: p["cpu"].update(cpu_quota_cores=-1.5), "cpu.cpu_quota_cores is -1.5, expected a number of cores above 0"),
    (lambda p: p["cpu"].update(cpu_quota_cores=0), "cpu.cpu_quota_cores is 0, expected a number of cores above 0"),
])
def test_impossible_probe_counts_and_sizes_are_refused(tmp_path, edit, fragment):
    path = _edited(tmp_path, _probe_edit(edit))
    with pytest.raises(UserError) as exc:
        results.load(path)
    assert str(exc.value).startswith(f"{path}: probe.{fragment}"), str(exc.value)
    # the same probe as a `rigbench probe --json` file
    probe = json.loads(path.read_text())["probe"]
    (tmp_path / "p.json").write_text(json.dumps({"schema": "rigbench.probe/1", **probe}))
    assert_user_error(run_cli("recommend", "p.json", "--profile", "desktop", cwd=tmp_path), f"p.json: {fragment}")


def test_a_probe_without_a_cgroup_quota_or_logical_count_loads(tmp_path):
    # null is "not read" (no quota, no /proc/cpuinfo): nothing to contradict
    path = _edited(tmp_path, _probe_edit(lambda p: p["cpu"].update(cpu_quota_cores=None, logical_cores=None)))
    assert results.load(path).doc["probe"]["cpu"]["cpu_quota_cores"] is None


def test_a_gpu_id_this_catalog_does_not_know_is_read_as_not_in_the_catalog(tmp_path):
    # the id of a newer catalog was refused by `recommend` as a name the user mistyped ("unknown GPU 'nosuch'")
    mystery = {"index": 0, "name": "Mystery", "catalog_id": "nosuch"}
    path = _edited(tmp_path, lambda d: d["probe"].update(gpus=[mystery, {"index": 1, "name": "x",
                                                                         "catalog_id": "RTX 2080 Ti"}]))
    view = results.load(path)
    assert [g["catalog_id"] for g in view.probe["gpus"]] == [None, "rtx-2080-ti"]   # the catalog's own spelling
    assert view.notes == [f"{path}: probe.gpus[0].catalog_id 'nosuch' is not a card of this rigbench's catalog "
                          "(written by a newer one?): Mystery is judged as not in the catalog"]
    assert results.load(REFERENCE_RUN).notes == []
    r = run_cli("recommend", "m.json", "--json", cwd=tmp_path)
    assert r.code == 0, r.stderr
    doc = r.json()
    assert "m.json: probe.gpus[0].catalog_id 'nosuch' is not a card of this rigbench's catalog" in doc["notes"][1]
    assert "Mystery is not in the catalog: the model cannot judge it" in json.dumps(doc["profiles"])
    # a probe file alike
    probe = dict(json.loads(path.read_text())["probe"], schema="rigbench.probe/1")
    (tmp_path / "p.json").write_text(json.dumps(probe))
    r = run_cli("recommend", "p.json", "--json", cwd=tmp_path)
    assert r.code == 0 and "p.json: gpus[0].catalog_id 'nosuch' is not a card" in r.json()["notes"][1], r.stderr


@pytest.mark.parametrize("args", [("results", "show", "deep.json"), ("results", "show", "--json", "deep.json"),
                                  ("results", "diff", str(REFERENCE_RUN), "deep.json"), ("recommend", "deep.json"),
                                  ("report", "deep.json", "--out", "r.html")])
def test_every_command_refuses_a_file_nested_500_deep_alike(tmp_path, args):
    # `results show` and `diff` read it (exit 0); `show --json`, `recommend` and `report` hit Python's recursion
    # limit further on and said "the input nests too deeply to be read (thousands of brackets)", naming no file
    _edited(tmp_path, lambda d: d.update(junk=json.loads("[" * 500 + "]" * 500)), "deep.json")
    assert_user_error(run_cli(*args, cwd=tmp_path), "deep.json nests objects and lists more than 100 levels deep",
                      "rigbench writes 6")


def test_a_file_nested_100_deep_is_read(tmp_path):
    # the limit counts the document's own level too: {"junk": [[...]]} with 99 lists is 100 deep
    path = _edited(tmp_path, lambda d: d.update(junk=json.loads("[" * 99 + "]" * 99)))
    assert results.load(path).doc["junk"] is not None
    deeper = _edited(tmp_path, lambda d: d.update(junk=json.loads("[" * 100 + "]" * 100)), "d.json")
    with pytest.raises(UserError, match="more than 100 levels deep"):
        results.load(deeper)
    # real runs are far under the limit: 6 levels on a CPU, 7 with a GPU's per-round NVML readings
    assert max(json_depth(json.loads(p.read_text())) for p in (REPO / "results" / "reference").glob("*.json")) == 7


def test_a_run_is_its_host_and_start_in_every_copy(tmp_path):
    doc = json.loads(REFERENCE_RUN.read_text())
    assert results.run_id(doc) == (doc["host"], doc["created_utc"])
    assert results.run_id({"host": "vm"}) is None
    copy = _edited(tmp_path, lambda d: None)
    slowed = _edited(tmp_path, lambda d: _slowed(_gemm(d), 2), "s.json")
    assert results.copy_key(results.load(copy)) == results.copy_key(results.load(REFERENCE_RUN))
    assert results.copy_key(results.load(slowed)) != results.copy_key(results.load(REFERENCE_RUN))


def test_a_file_without_a_status_is_not_said_to_have_stopped():
    # "the run ended None before preprocess" and "that run is None: what it did not reach is unknown"
    doc = json.loads(sorted((REPO / "results" / "reference").glob("*.json"))[0].read_text(encoding="utf-8"))
    doc.pop("status")
    view = results.Results(doc)
    assert (view.stopped, view.stopped_before("preprocess"), view.status_note()) == (None, None, None)
    doc["status"] = "interrupted"
    view = results.Results(doc)
    assert view.stopped == "interrupted"
    assert view.stopped_before("preprocess") == "the run was interrupted before preprocess; run `rigbench bench` again"
