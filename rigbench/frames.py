"""Saved runs as a pandas DataFrame: one row per measurement, for csv and markdown output and for a person's own
analysis (``pivot_table`` over several runs). Its own module so that only what needs a frame pays pandas' import."""

from __future__ import annotations

import os
from typing import Iterable

import pandas as pd

from rigbench.results import Results, case_label, load

FRAME_COLUMNS = ["run", "host", "created_utc", "kernel", "device", "dtype", "case", "metric", "unit", "value", "low",
                 "high", "spread", "fraction_of_peak", "peak", "repeats", "status", "valid", "reasons"]


def to_frame(runs: "Results | dict | str | os.PathLike | Iterable[Results | dict | str | os.PathLike]") -> pd.DataFrame:
    """A pandas DataFrame with one row per measurement of every run given (views, documents or results files by
    path, read by :func:`rigbench.results.load`), in the columns of
    :data:`FRAME_COLUMNS`: the figure, its 95% interval (``low``, ``high``), spread, fraction of peak, validity and
    the reasons as text. ``run`` is the file's name (the host for a document held in memory). A figure that was
    not measured (skipped, failed) has NaN for its numbers and its reason in ``reasons``."""
    views = [runs] if isinstance(runs, (Results, dict, str, os.PathLike)) else list(runs)
    rows = []
    for v in (load(x) if isinstance(x, (str, os.PathLike)) else Results.of(x) for x in views):
        name = v.path.name if v.path is not None else v.host
        for f in v.figures:
            ci = f.ci if f.measured else None
            rows.append({
                "run": name, "host": v.host, "created_utc": v.created_utc, "kernel": f.kernel, "device": f.device,
                "dtype": f.dtype, "case": case_label(f), "metric": f.raw.get("metric"), "unit": f.unit,
                "value": f.value if f.measured else None, "low": ci[0] if ci else None,
                "high": ci[1] if ci else None, "spread": f.spread if f.measured else None,
                "fraction_of_peak": f.raw.get("fraction_of_peak") if f.measured else None,
                "peak": f.raw.get("peak"), "repeats": f.raw.get("repeats"), "status": f.status, "valid": f.valid,
                "reasons": "" if f.valid else f.why_not(),
            })
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    for col in ("value", "low", "high", "spread", "fraction_of_peak", "peak"):
        frame[col] = frame[col].astype("float64")
    return frame
