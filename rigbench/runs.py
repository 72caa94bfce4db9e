"""Saved runs: where results files are found, which file a name on the command line means, what each one holds.

A run is one results file. They are looked for in the results folders (:func:`folders`): the user's own runs and
``results/reference/``, the runs of real machines committed with rigbench. A name given on the command line
(``RUN``) is a path, a unique prefix of a file name in those folders, or ``latest`` (the newest run).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rigbench import intervals, results
from rigbench.bench import schema
from rigbench.errors import UserError

LATEST = "latest"


@dataclass(frozen=True)
class Run:
    """One results file and its document."""

    path: Path
    doc: dict
    origin: str          # "yours" (a user's run) or "reference" (committed with rigbench)

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def created_utc(self) -> str:
        return str(self.doc.get("created_utc") or "")


def folders(cwd: str | os.PathLike | None = None) -> list[tuple[Path, str]]:
    """(folder, origin) of every results folder, the user's own first, in the order a name is looked up: the
    per-user data folder ``rigbench bench`` writes to (found from any working directory), ./results, and the
    reference runs."""
    base = Path(cwd) if cwd is not None else Path.cwd()
    return [(results.results_dir(), "yours"), (base / "results", "yours"), (base / "results" / "reference", "reference")]


def _candidates(cwd=None) -> list[tuple[Path, str]]:
    seen: set[Path] = set()
    out = []
    for folder, origin in folders(cwd):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.json")):
            real = path.resolve()
            if path.name.startswith(".") or real in seen:
                continue
            seen.add(real)
            out.append((path, origin))
    return out


def find_runs(cwd=None) -> tuple[list[Run], list[tuple[Path, str]]]:
    """Every readable run in the results folders, newest first; and (path, why) of the files passed over."""
    runs, skipped = [], []
    for path, origin in _candidates(cwd):
        try:
            runs.append(Run(path, schema.load_results(path), origin))
        except UserError as exc:
            skipped.append((path, str(exc)))
    runs.sort(key=lambda r: (r.created_utc, r.path.stat().st_mtime), reverse=True)
    return runs, skipped


def load_run(path: str | os.PathLike, origin: str = "yours") -> Run:
    return Run(Path(path), schema.load_results(path), origin)


def resolve(arg: str, cwd=None) -> Run:
    """The run ``arg`` names: an existing path, ``latest``, or a unique prefix of a file name in the results folders."""
    path = Path(arg)
    if arg != LATEST and (path.is_file() or os.sep in arg or arg.endswith(".json")):
        return load_run(path, "reference" if "reference" in path.parts else "yours")
    runs, _ = find_runs(cwd)
    where = " and ".join(str(f) for f, _ in folders(cwd))
    if not runs:
        raise UserError(f"no runs in {where}: run `rigbench bench` first, or give a results file's path")
    if arg == LATEST:
        return runs[0]
    matches = [r for r in runs if r.path.name.startswith(arg)]
    exact = [r for r in matches if r.name == arg or r.path.name == arg]
    if len(exact) == 1:
        return exact[0]
    if not matches:
        raise UserError(f"no run matches {arg!r} in {where}; `rigbench results list` shows the runs")
    if len(matches) > 1:
        names = ", ".join(r.path.name for r in matches[:4]) + (" ..." if len(matches) > 4 else "")
        raise UserError(f"{arg!r} matches {len(matches)} runs ({names}): give more of the file name")
    return matches[0]


def machine(doc: dict) -> str:
    """The machine in a few words: its CPU brand and GPUs from the probe (the host name when the probe says nothing)."""
    probe = doc.get("probe") or {}
    cpu = probe.get("cpu") or {}
    parts = []
    brand = cpu.get("brand") or cpu.get("cpu_class")
    if brand:
        cores = cpu.get("usable_cores")
        parts.append(" ".join(str(brand).split()) + (f" ({cores} cores)" if cores else ""))
    gpus = [g.get("name") for g in probe.get("gpus") or [] if isinstance(g, dict) and g.get("name")]
    if gpus:
        counts: dict[str, int] = {}
        for g in gpus:
            counts[g] = counts.get(g, 0) + 1
        parts.append(", ".join(f"{n}x {g}" if n > 1 else g for g, n in counts.items()))
    return "; ".join(parts) or str(doc.get("host") or "unknown machine")


def summary(run: Run) -> dict:
    """One line of ``rigbench results list``: the run, its machine, when, which devices, how many figures are valid."""
    ms = results.records(run.doc)
    ok = [m for m in ms if m.get("status") == "ok"]
    devices = sorted({str(m.get("device")) for m in ms if m.get("device")})
    return {
        "run": run.path.name, "path": str(run.path), "origin": run.origin, "host": run.doc.get("host"),
        "machine": machine(run.doc), "created_utc": run.created_utc or None, "devices": devices,
        "status": run.doc.get("status"), "quick": bool(run.doc.get("quick")), "measurements": len(ms),
        "ok": len(ok), "valid": sum(1 for m in ok if m.get("valid")),
    }


def case_label(m: dict) -> str:
    """The case as a person reads it ("1024³"): the record's own label, else its kernel's, else its params."""
    if m.get("label"):
        return str(m["label"])
    params = m.get("params") or {}
    if not params:
        return ""
    from rigbench.kernels import REGISTRY

    kernel = REGISTRY.get(m.get("kernel"))
    try:
        return kernel.label(params) if kernel is not None else ""
    except (KeyError, TypeError, ValueError):
        return ""


FRAME_COLUMNS = ["run", "host", "created_utc", "kernel", "device", "dtype", "case", "metric", "unit", "value", "low",
                 "high", "coverage", "spread", "fraction_of_peak", "peak", "repeats", "status", "valid", "reasons"]


def to_frame(runs) -> "pandas.DataFrame":
    """One row per measurement of every run (a :class:`Run`, or a results document): the figure, its interval and
    validity, in the columns of ``FRAME_COLUMNS``. Figures that were not measured (skipped, failed) have no value."""
    import pandas as pd

    rows = []
    for run in runs if isinstance(runs, (list, tuple)) else [runs]:
        doc, name = (run.doc, run.path.name) if isinstance(run, Run) else (run, run.get("host"))
        for m in results.records(doc):
            iv = intervals.of_measurement(m)
            ok = m.get("status") == "ok"
            reasons = m.get("invalid_reasons") or []
            if not ok and m.get("reason"):
                reasons = [m["reason"]]
            rows.append({
                "run": name, "host": doc.get("host"), "created_utc": doc.get("created_utc"),
                "kernel": m.get("kernel"), "device": m.get("device"), "dtype": m.get("dtype"), "case": case_label(m),
                "metric": m.get("metric"), "unit": m.get("unit"), "value": m.get("value") if ok else None,
                "low": iv.low if iv else None, "high": iv.high if iv else None,
                "coverage": iv.coverage if iv else None,
                "spread": (m["iqr_s"] / m["median_s"]) if ok and m.get("median_s") and m.get("iqr_s") is not None
                else None,
                "fraction_of_peak": m.get("fraction_of_peak"), "peak": m.get("peak"), "repeats": m.get("repeats"),
                "status": m.get("status"), "valid": bool(ok and m.get("valid")),
                "reasons": "; ".join(str(r.get("text", r)) if isinstance(r, dict) else str(r) for r in reasons),
            })
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    for col in ("value", "low", "high", "coverage", "spread", "fraction_of_peak", "peak"):
        frame[col] = frame[col].astype("float64")
    return frame
