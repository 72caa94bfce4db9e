"""The writer's side of the results file: a new document and an empty measurement record, as ``rigbench bench``
writes them. Reading (load, migrate, newest, the typed view), the version history and the JSON Schema live in
:mod:`rigbench.results`, the document's one owner; ``load_results``/``newest_results`` here are its functions under
their older names.
"""

from __future__ import annotations

import os
import socket
import sys
from datetime import datetime, timezone
from pathlib import Path

from rigbench import __version__
from rigbench.kernels import REGISTRY, allreduce, ddp_train
from rigbench.results import KIND, SCHEMA, VERSION, file_stem, migrate
from rigbench.results import load_document as load_results
from rigbench.results import newest as newest_results

__all__ = ["KIND", "SCHEMA", "VERSION", "MEASUREMENT_KEYS", "new_document", "empty_measurement", "default_path",
           "load_results", "migrate", "newest_results", "utc_now"]

MEASUREMENT_KEYS = ("kernel", "device", "dtype", "params", "median_s", "iqr_s", "min_s", "max_s", "ci_low_s",
                    "ci_high_s", "repeats", "inner", "metric", "unit", "value", "peak", "peak_source",
                    "fraction_of_peak", "flops", "bytes", "items", "status", "reason", "valid", "invalid_reasons",
                    "prepare_s", "conditions", "info", "rounds_s", "round_sizes", "machine")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def new_document(*, probe: dict | None, quick: bool, argv: list[str] | None = None, peaks: dict | None = None,
                 created: datetime | None = None) -> dict:
    """An empty results document, marked interrupted until the run completes."""

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
            known = {k.name: k for k in [*REGISTRY.values(), *allreduce.DISTRIBUTED_KERNELS,
                                         *ddp_train.DISTRIBUTED_KERNELS]}
            rec["label"] = known[kernel].label(params)
        except Exception:  # noqa: BLE001 - an unknown kernel, or params it cannot name: no label
            pass
    return rec


def default_path(host: str | None = None, created: datetime | None = None, folder: str | os.PathLike = "results") -> Path:
    """``<folder>/<host>-<UTC time>.json`` (a name only: :func:`rigbench.results.reserve_path` makes the file)."""
    return Path(folder) / f"{file_stem(host, created)}.json"
