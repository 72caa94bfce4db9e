"""The machine against its own past: is this whole run slower than the same machine has been?

Movement inside a run (the reference workload between rounds, steal, other programs' CPU time) cannot see a machine
that is slower for the whole run: on a VM whose cores are shared with another tenant (an SMT sibling, a shared cache
or memory controller on the host), every kernel and every reference reading may run a third slower for minutes,
with nothing in the guest to show it. Measured on this project's 2-vCPU VM: one of three back-to-back quick runs had
every figure 20-35% below the other two, the reference 35% slower than in them and steady within the run (so no
drift), steal 1%, other programs 2%.

The fixed reference workload is the yardstick across runs too. Its time times the measured clock is its cost in
cycles: a slower clock (heat, a power limit) lowers every figure but not the cycles, while a core shared with
someone else costs more cycles for the same work. Each earlier run stands at the median cycles of its readings; the
lowest of those medians is the baseline (interference only ever adds cycles, so the quietest run is the machine's
own level), and a figure's span of readings is held against it by their median too: a median against a median. The
fewest cycles of any single reading would not do: over the readings of many runs it is the low tail of the
reading-to-reading noise, which reaches lower with every run stored. Measured here, that baseline made an idle run
read 13 % "slower" (its median 6.05 Mcycles against one reading of 5.34 in an earlier run whose median was 6.68);
against the quietest run's median (5.78) it is 5 %. Earlier runs are those in the folder this run is written to and in
the per-user data folder, made on the same machine (host, CPU, usable cores), with the same reference workload,
torch version and threads, and started in the :data:`WINDOW` before this run: runs of one sitting, since a VM's host
can settle into a slower stretch for hours; the newest :data:`HISTORY` of them are read. A first run of a sitting
has no baseline and says so (``rigbench results diff`` compares runs any time apart).

The same earlier runs hold each figure against itself (:func:`figure_history`, :func:`against`): the reference is
one small workload, read for a moment at each round boundary, and a machine can move between runs in ways it does
not show (measured, docs/bench.md). A figure more than 10% from the median of its own newest
:data:`FIGURE_HISTORY` earlier values is flagged (:mod:`rigbench.validity`). The median, because one odd earlier
run must not decide; values measured while the machine moved or was shared are left out, because they show that.
"""

from __future__ import annotations

import math
import os
import statistics
from datetime import datetime, timedelta
from pathlib import Path

from rigbench import files, results, validity
from rigbench.errors import UserError

HISTORY = 50      # earlier runs read at most (the newest)
# Only runs started this long before a run are held against it: one sitting of back-to-back runs (three default
# suites take about half an hour). Over hours a VM's host can change under it and stay changed, steady within each
# stretch (measured, docs/bench.md). A figure measured in a steady, slower stretch is that machine's figure then;
# held against an earlier, faster stretch it is flagged in every run, for hours, with nothing the user can do.
WINDOW = timedelta(hours=1)
FIGURE_HISTORY = 5    # a figure is held against the median of its newest this many earlier values


def signature(doc: dict) -> dict:
    """What must match for two runs' reference readings to be compared."""
    probe = doc.get("probe") or {}
    cpu = probe.get("cpu") or {}
    machine = doc.get("machine") or {}
    start = (doc.get("conditions") or {}).get("start") or {}
    # the machine with its CPU's last-level cache and instruction sets: a brand string alone does not name one CPU
    # ("AMD EPYC" is what some VMs report for several generations)
    return {**results.machine_of(doc), "usable_cores": cpu.get("usable_cores"),
            "torch": (probe.get("software") or {}).get("torch"), "threads": start.get("torch_threads"),
            "workload": (machine.get("reference") or {}).get("workload")}


def reading_mcycles(reading: dict) -> float | None:
    """Millions of cycles of one reference reading: its per-call time times the clock measured beside it."""
    t, mhz = reading.get("median_s"), reading.get("clock_mhz")
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0 for x in (t, mhz)):
        return None     # an older or hand-edited file: no clock beside the reading, or not a number
    return t * mhz


def _cycles(doc: dict) -> list[float]:
    """Millions of cycles of each usable reference reading of a results document (none in an older file)."""
    machine = doc.get("machine") if isinstance(doc.get("machine"), dict) else {}
    reference = machine.get("reference") if isinstance(machine.get("reference"), dict) else {}
    readings = reference.get("readings") if isinstance(reference.get("readings"), list) else []
    return [c for c in (reading_mcycles(r) for r in readings if isinstance(r, dict)) if c is not None]


def median_of(doc: dict) -> float | None:
    """The median cycles of a run's reference readings: where the machine stood over that run."""
    cycles = _cycles(doc)
    return statistics.median(cycles) if cycles else None


def earlier(sig: dict, folders: list[Path], exclude: Path | None = None,
            started: datetime | None = None) -> list[tuple[Path, dict]]:
    """This machine's earlier runs, oldest first: of the newest :data:`HISTORY` runs in ``folders``, those whose
    :func:`signature` is ``sig`` (``exclude``, this run's own file, left out) and, given when this run ``started``,
    that started within :data:`WINDOW` before it. A run is read once however many files hold it
    (:func:`rigbench.results.run_id`): copies of one run are not a history."""
    if not sig.get("workload") or not sig.get("host"):
        return []
    found: dict[tuple[int, int], tuple[float, Path]] = {}     # one entry per file, however many names lead to it
    for folder in folders:
        for p, st in files.json_files(folder):
            found.setdefault((st.st_dev, st.st_ino), (st.st_mtime, p))
    try:
        skip = os.stat(exclude) if exclude is not None else None
    except OSError:
        skip = None
    if skip is not None:
        found.pop((skip.st_dev, skip.st_ino), None)
    out, read = [], set()
    for _, path in sorted(found.values(), key=lambda t: t[0], reverse=True):
        if len(read) >= HISTORY:
            break
        try:
            doc = results.load_document(path)
        except (UserError, OSError):
            continue
        run = results.run_id(doc) or path
        if run in read:     # a copy of a run already read (cp a.json b.json): one run of the machine, counted once
            continue
        read.add(run)
        if signature(doc) == sig and (started is None or _within_window(doc, started)):
            out.append((path, doc))
    return out[::-1]


def window_words(window_s: float | None = None) -> str:
    """'hour', '2 hours': the span of earlier runs a run is held against (:data:`WINDOW` unless given)."""
    hours = (WINDOW.total_seconds() if window_s is None else window_s) / 3600
    return "hour" if hours == 1 else f"{hours:g} hours"


def _within_window(doc: dict, started: datetime) -> bool:
    """The run started at most :data:`WINDOW` before ``started`` (and not after it)."""
    when = results.created_at(doc)
    return when is not None and started - WINDOW <= when <= started


def find(sig: dict, folders: list[Path], exclude: Path | None = None,
         runs: list[tuple[Path, dict]] | None = None, started: datetime | None = None) -> dict:
    """The baseline of a machine: ``{"mcycles", "file", "runs"}``, or ``{"mcycles": None, "reason"}``, with
    ``window_s`` (the span of earlier runs read, :data:`WINDOW`) when ``started`` is given; ``runs``: its earlier
    runs when already read (:func:`earlier`, with the same ``started``)."""
    if not sig.get("workload") or not sig.get("host"):
        return {"mcycles": None, "reason": "no reference workload or host recorded for this run"}
    window = {} if started is None else {"window_s": int(WINDOW.total_seconds())}
    best, count = None, 0
    for path, doc in earlier(sig, folders, exclude, started) if runs is None else runs:
        cycles = median_of(doc)
        if cycles is None:
            continue
        count += 1
        if best is None or cycles < best[0]:
            best = (cycles, path)
    if best is None:
        where = ", ".join(dict.fromkeys(str(f) for f in folders))     # the run's folder may be the data folder
        when = "" if started is None else f" started in the {window_words()} before this one"
        return {"mcycles": None, "reason": f"no earlier run of this machine with the same reference{when} in {where}",
                **window}
    return {"mcycles": best[0], "file": str(best[1]), "runs": count, **window}


def slower(readings: list[dict], base: dict) -> float | None:
    """How many more cycles than the baseline the median of ``readings`` took (0.35 = 35% more); None unknown."""
    cycles = [c for c in (reading_mcycles(r) for r in readings) if c is not None]
    if not cycles or not base.get("mcycles"):
        return None
    return round(statistics.median(cycles) / base["mcycles"] - 1.0, 4)


def figure_history(runs: list[tuple[Path, dict]]) -> dict[tuple, list[float]]:
    """Each figure's values in this machine's earlier runs (:func:`earlier`), oldest first, at most the newest
    :data:`FIGURE_HISTORY`, keyed as :attr:`rigbench.results.Figure.key`. A value flagged for its own timings counts
    (its median is still the machine's level); one flagged for the machine (:data:`rigbench.validity.MACHINE_CODES`:
    moving, slower, stolen from or busy) does not, since it shows that and not the machine's level."""
    out: dict[tuple, list[float]] = {}
    for _, doc in runs:
        for f in results.Results.of(doc).ok(valid_only=False):
            if not any(r.get("code") in validity.MACHINE_CODES for r in f.reasons):
                out.setdefault(f.key, []).append(f.value)
    return {k: v[-FIGURE_HISTORY:] for k, v in out.items()}


def against(value: float | None, earlier_values: list[float] | None) -> dict | None:
    """A figure against its own earlier values: ``{"median", "runs", "off"}``, ``off`` its value over their median
    less one (-0.14: 14% below what this machine gave before); None with no earlier value or no value."""
    if not earlier_values or value is None or not math.isfinite(value):
        return None
    med = statistics.median(earlier_values)
    ratio = value / med if med > 0 else math.inf
    if not math.isfinite(ratio):    # an earlier file edited to a value near zero: nothing to hold this one against
        return None
    return {"median": med, "runs": len(earlier_values), "off": round(ratio - 1.0, 4)}
