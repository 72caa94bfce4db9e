"""The results file: written whole, read back, old versions migrated, newer ones refused."""

import json
import os

import pytest

from rigbench.bench import schema
from rigbench.errors import UserError
from rigbench.files import write_json_atomic


def _doc(created="2026-01-02T03:04:05Z", **kw):
    doc = schema.new_document(probe={"cpu": {}}, quick=True, argv=["rigbench", "bench"])
    doc.update(created_utc=created, **kw)
    return doc


def test_new_document_has_the_contract_keys():
    doc = schema.new_document(probe={}, quick=False, argv=["x"])
    for key in ("schema", "status", "created_utc", "host", "rigbench_version", "argv", "quick", "probe", "peaks",
                "measurements"):
        assert key in doc
    assert doc["schema"] == "rigbench.results/2" and doc["status"] == "interrupted"


def test_round_trip(tmp_path):
    doc = _doc(status="complete")
    doc["measurements"].append(schema.empty_measurement("gemm", "cpu", "float32", {"m": 8}, "flops", "TFLOP/s"))
    write_json_atomic(tmp_path / "r.json", doc)
    back = schema.load_results(tmp_path / "r.json")
    assert back["measurements"][0]["kernel"] == "gemm" and back["status"] == "complete"


def test_newer_version_is_refused(tmp_path):
    (tmp_path / "r.json").write_text(json.dumps({"schema": "rigbench.results/3", "measurements": []}))
    with pytest.raises(UserError, match="upgrade rigbench"):
        schema.load_results(tmp_path / "r.json")


def test_other_kinds_and_garbage_are_refused(tmp_path):
    (tmp_path / "p.json").write_text(json.dumps({"schema": "rigbench.probe/1"}))
    with pytest.raises(UserError, match="not a rigbench.results file"):
        schema.load_results(tmp_path / "p.json")
    (tmp_path / "g.json").write_text("{half")
    with pytest.raises(UserError, match="not JSON"):
        schema.load_results(tmp_path / "g.json")


def test_version_0_is_migrated(tmp_path):
    old = {"schema": "rigbench.results/0", "created_utc": "2025-01-01T00:00:00Z", "measurements": [
        {"kernel": "gemm", "device": "cpu", "dtype": "float32", "params": {}, "time_s": 0.5, "samples": 7,
         "status": "ok", "value": 0.4, "unit": "TFLOP/s"}]}
    (tmp_path / "old.json").write_text(json.dumps(old))
    doc = schema.load_results(tmp_path / "old.json")
    m = doc["measurements"][0]
    assert doc["schema"] == "rigbench.results/2" and doc["migrated_from"] == "rigbench.results/0"
    assert m["median_s"] == 0.5 and m["repeats"] == 7 and m["valid"] is True
    assert m["invalid_reasons"][0]["code"] == "unchecked"
    assert "validity not checked" in m["invalid_reasons"][0]["text"]


def test_newest_results_picks_by_creation_time_and_skips_other_files(tmp_path):
    write_json_atomic(tmp_path / "b.json", _doc("2026-03-01T00:00:00Z"))
    write_json_atomic(tmp_path / "a.json", _doc("2026-05-01T00:00:00Z"))
    (tmp_path / "c.json").write_text(json.dumps({"schema": "rigbench.results/9", "measurements": []}))
    (tmp_path / "notes.json").write_text("not json")
    os.utime(tmp_path / "b.json", (2e9, 2e9))   # newer mtime must not beat the recorded creation time
    assert schema.newest_results(tmp_path) == tmp_path / "a.json"
    assert schema.newest_results(tmp_path / "missing") is None


def test_default_path_is_host_and_utc_time():
    from datetime import datetime, timezone

    p = schema.default_path("box", datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    assert str(p) == os.path.join("results", "box-20260102T030405Z.json")
