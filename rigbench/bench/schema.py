"""The results file: what ``rigbench bench`` writes and ``recommend``, ``compare`` and ``cost`` read.

Version history of ``rigbench.results``:

- **/0** (development snapshots before the first release): measurements carried ``time_s`` (the median) and
  ``samples`` (the repeat count) and no ``valid``/``invalid_reasons``; the top level had no ``status``. Migrated on
  read: ``time_s`` -> ``median_s``, ``samples`` -> ``repeats``, ``valid`` = (status == "ok") with the reason
  "written by rigbench.results/0, validity not checked", ``status`` = "complete".
- **/1** (current): top level ``schema, status ("complete"|"interrupted"), created_utc, host, rigbench_version,
  argv, quick, probe, peaks, conditions, measurements``. Each measurement: ``kernel, device, dtype, params,
  median_s, iqr_s, min_s, max_s, repeats, inner, metric, unit, value, peak, peak_source, fraction_of_peak, flops,
  bytes, items, status ("ok"|"skipped"|"failed"), reason, valid, invalid_reasons, prepare_s, conditions, info``.
  Distributed runs (issue 7) add a top-level ``distributed`` block.

A file from a newer version is refused ("upgrade rigbench"), never misread.
"""

from __future__ import annotations

import os
import socket
import sys
from datetime import datetime, timezone
from pathlib import Path

from rigbench.errors import UserError
from rigbench.files import read_json

KIND = "results"
VERSION = 1
SCHEMA = f"rigbench.{KIND}/{VERSION}"

MEASUREMENT_KEYS = ("kernel", "device", "dtype", "params", "median_s", "iqr_s", "min_s", "max_s", "repeats", "inner",
                    "metric", "unit", "value", "peak", "peak_source", "fraction_of_peak", "flops", "bytes", "items",
                    "status", "reason", "valid", "invalid_reasons", "prepare_s", "conditions", "info")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def new_document(*, probe: dict | None, quick: bool, argv: list[str] | None = None, peaks: dict | None = None,
                 created: datetime | None = None) -> dict:
    """An empty results document, marked interrupted until the run completes."""
    from rigbench import __version__

    created = created or utc_now()
    return {
        "schema": SCHEMA,
        "status": "interrupted",
        "created_utc": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "host": socket.gethostname(),
        "rigbench_version": __version__,
        "argv": list(sys.argv if argv is None else argv),
        "quick": quick,
        "probe": probe,
        "peaks": peaks or {},
        "measurements": [],
    }


def empty_measurement(kernel: str, device: str, dtype: str, params: dict, metric: str, unit: str) -> dict:
    """A measurement record with every key present (unknown values null)."""
    rec = {k: None for k in MEASUREMENT_KEYS}
    rec.update(kernel=kernel, device=device, dtype=dtype, params=dict(params), metric=metric, unit=unit,
               status="failed", reason=None, valid=False, invalid_reasons=[], conditions={}, info={})
    rec["label"] = None  # the case as a person reads it ("1024³"), from the kernel's own ``label``
    if params:
        try:
            from rigbench.kernels import REGISTRY, allreduce, ddp_train

            known = {k.name: k for k in [*REGISTRY.values(), *allreduce.DISTRIBUTED_KERNELS,
                                         *ddp_train.DISTRIBUTED_KERNELS]}
            rec["label"] = known[kernel].label(params)
        except Exception:  # noqa: BLE001 - an unknown kernel, or params it cannot name: no label
            pass
    return rec


def default_path(host: str | None = None, created: datetime | None = None, folder: str | os.PathLike = "results") -> Path:
    """``./results/<host>-<UTC time>.json``."""
    host = (host or socket.gethostname()).replace(os.sep, "_") or "host"
    created = created or utc_now()
    return Path(folder) / f"{host}-{created.strftime('%Y%m%dT%H%M%SZ')}.json"


def migrate(doc: dict) -> dict:
    """Bring an older results document up to the current version (in place, returned)."""
    schema = doc.get("schema")
    if schema == f"rigbench.{KIND}/0":
        doc.setdefault("status", "complete")
        for m in doc.get("measurements", []):
            if "median_s" not in m and "time_s" in m:
                m["median_s"] = m.pop("time_s")
            if "repeats" not in m and "samples" in m:
                m["repeats"] = m.pop("samples")
            if "valid" not in m:
                m["valid"] = m.get("status") == "ok"
                m["invalid_reasons"] = ["written by rigbench.results/0, validity not checked"]
            for k in MEASUREMENT_KEYS:
                m.setdefault(k, None)
        doc["migrated_from"] = schema
        doc["schema"] = SCHEMA
    return doc


def load_results(path: str | os.PathLike) -> dict:
    """Read a results file: older versions are migrated, newer ones refused, anything else is a ``UserError``."""
    doc = migrate(read_json(path, KIND, VERSION))
    if not isinstance(doc.get("measurements"), list):
        raise UserError(f"{path} has no 'measurements' list: not a complete rigbench.results file")
    return doc


def newest_results(folder: str | os.PathLike = "results") -> Path | None:
    """The most recently created results file in ``folder`` (by ``created_utc``, then mtime); None if there is none.

    Files that are not results files (or are unreadable, or newer than this rigbench) are passed over.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return None
    best: tuple[str, float, Path] | None = None
    for path in folder.glob("*.json"):
        if path.name.startswith("."):
            continue
        try:
            doc = load_results(path)
        except UserError:
            continue
        key = (str(doc.get("created_utc") or ""), path.stat().st_mtime, path)
        if best is None or key[:2] > best[:2]:
            best = key
    return best[2] if best else None
