"""The results document, with one owner: everything that reads a ``rigbench bench`` file goes through here.

:func:`load` reads a file (older versions migrated, newer ones refused, every field's type checked, values no run
writes refused: :func:`validate`), :class:`Results`
is the typed view the model, the guidelines, the cost planner, ``compare`` and the bench table read, and
:func:`newest`/:func:`results_dir`/:func:`reserve_path` say where results live. Which figure may be used is decided
here, from the structured reasons :mod:`rigbench.validity` wrote: ``Results.ok(kernel=..., device=...)`` gives
only valid figures unless asked otherwise, and a figure of one device is never handed out for another.

Version history of ``rigbench.results``:

- **/0** (development snapshots before the first release): measurements carried ``time_s`` (the median) and
  ``samples`` (the repeat count) and no ``valid``/``invalid_reasons``; the top level had no ``status``. Migrated on
  read: ``time_s`` -> ``median_s``, ``samples`` -> ``repeats``, ``valid`` = (status == "ok") with the reason
  "written by rigbench.results/0, validity not checked", ``status`` = "complete".
- **/1**: top level ``schema, status ("complete"|"interrupted"|"failed"), created_utc, host, rigbench_version, argv,
  quick, probe, peaks, conditions, measurements`` (distributed runs add ``distributed``). Each measurement: ``kernel,
  device, dtype, params, label, median_s, iqr_s, min_s, max_s, repeats, inner, metric, unit, value, peak,
  peak_source, fraction_of_peak, flops, bytes, items, status ("ok"|"skipped"|"failed"), reason, valid,
  invalid_reasons (prose), prepare_s, conditions, info``. Migrated on read: each prose reason becomes
  ``{"code": "recorded", "value": null, "limit": null, "text": <the prose>}``.
- **/2** (current): ``invalid_reasons`` are structured (``code, value, limit, text``; codes in
  :data:`rigbench.validity.CODES`). A measurement adds ``ci_low_s``/``ci_high_s`` (95% confidence interval of
  the median per-call time), ``rounds_s`` (its median in each round of the suite), ``round_sizes`` (how many of
  ``samples_s`` each round took, in order: a round's samples can be told apart) and ``machine`` (the machine
  during it: reference ``drift``, hypervisor ``steal``, ``others``' CPU use, as fractions; ``earlier``, the figure
  against this machine's earlier runs of it); the top level adds
  ``machine`` (the reference workload's time in every round and the run's summary) and
  ``conditions.cpu_clock_rounds`` (the CPU clock after each round of load).

Every version carries ``created_utc`` (an ISO 8601 time with its zone) and, once migrated, ``status``: a file without
either is refused, as is one whose figures contradict each other (:func:`_consistency_error`).

A file from a newer version is refused ("upgrade rigbench"), never misread. The published JSON Schema of the
current version is ``docs/results.schema.json``, generated from :data:`TYPES` by :func:`json_schema`.
"""

from __future__ import annotations

import copy
import math
import os
import re
import socket
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, Iterator

from rigbench import catalog, intervals, validity
from rigbench.errors import UserError
from rigbench.files import DATA_DIR_ENV, dumps, free_names, json_files, read_json, user_data_dir
from rigbench.kernels import REGISTRY, allreduce, ddp_train
from rigbench.kernels.base import case_params
from rigbench.kernels.base import METRICS
from rigbench.units import MAX_CORES, fmt_bytes, shown

KIND = "results"
VERSION = 2
SCHEMA = f"rigbench.{KIND}/{VERSION}"

# ------------------------------------------------------------------------------------------------ the types

# One description of the document's types, used both to check a file on load and to publish the JSON Schema.
# A type is a JSON type name, a tuple of them, or a dict {"type": ..., "items": ..., "properties": ...,
# "patterns": ..., "values": ..., "required": ...}; "patterns" types the keys that match a regular expression (every
# ``flops:<dtype>`` peak, whatever the dtype), "values" every key that neither names (a device of ``peaks``). Other
# keys are allowed (a newer minor writer, a distributed run's extra fields).
_NUM = ("number", "null")
_STR = ("string", "null")
_OBJ = ("object", "null")

REASON = {"type": "object", "required": ["code", "text"], "properties": {
    "code": "string", "text": "string", "value": ("number", "string", "null"), "limit": _NUM}}

MEASUREMENT = {"type": "object", "required": ["kernel", "device", "status"], "properties": {
    "kernel": "string", "device": "string", "dtype": _STR, "params": _OBJ, "label": _STR,
    "median_s": _NUM, "iqr_s": _NUM, "min_s": _NUM, "max_s": _NUM, "ci_low_s": _NUM, "ci_high_s": _NUM,
    "repeats": ("integer", "null"), "inner": ("integer", "null"), "metric": _STR, "unit": _STR, "value": _NUM,
    "peak": _NUM, "peak_source": _STR, "fraction_of_peak": _NUM, "flops": _NUM, "bytes": _NUM, "items": _NUM,
    "status": {"type": "string", "enum": ["ok", "skipped", "failed"]}, "reason": _STR, "valid": ("boolean", "null"),
    "invalid_reasons": {"type": ("array", "null"), "items": REASON}, "prepare_s": _NUM, "conditions": _OBJ,
    "info": _OBJ, "rounds_s": {"type": ("array", "null"), "items": _NUM},
    "round_sizes": {"type": ("array", "null"), "items": "integer"}, "machine": _OBJ,
    "samples_s": {"type": ("array", "null"), "items": _NUM}}}

# The probe's fields that the guidelines, the report and the model compute with are typed down to the leaf: a
# probe file edited by hand ("usable_bytes": "lots") is refused on load instead of failing in arithmetic later.
# Counts and sizes are whole numbers the probe reads from the system (sysfs, /proc/meminfo, statvfs, NVML): a size
# is 0 or more, a machine has at least one core, and at most Linux's largest NR_CPUS (units.MAX_CORES, the bound a
# typed --spec cores= respects too). No upper bound is put on a size: a mounted network filesystem can be any size.
_INT = ("integer", "null")
_BYTES = {"type": _INT, "min": 0}
_CORES = {"type": _INT, "min": 1, "max": MAX_CORES, "why": "Linux's largest NR_CPUS"}
PROBE = {"type": ("object", "null"), "properties": {
    "cpu": {"type": _OBJ, "properties": {"brand": _STR, "tier": _STR, "usable_cores": _CORES,
                                         "logical_cores": _CORES, "physical_cores": _CORES,
                                         "affinity_cores": _CORES, "sockets": _CORES, "cpu_quota_cores": _NUM}},
    "memory": {"type": _OBJ, "properties": {"total_bytes": _BYTES, "usable_bytes": _BYTES, "limit_bytes": _BYTES,
                                            "available_bytes": _BYTES, "swap_bytes": _BYTES,
                                            "swap_free_bytes": _BYTES}},
    "os": {"type": _OBJ, "properties": {"system": _STR, "release": _STR, "distribution": _STR,
                                        "virtualization": _STR, "virtualisation": _STR, "container": _STR,
                                        "dmi_product_name": _STR, "chassis": {"type": _OBJ, "properties": {
                                            "type": _INT, "name": _STR, "class": _STR, "reason": _STR}}}},
    "host": {"type": ("object", "string", "null"), "properties": {"hostname": _STR, "power": {
        "type": _OBJ, "properties": {"on_battery": ("boolean", "null"), "reason": _STR}}}},
    "gpu_error": _STR, "gpu_binding_warning": _STR,
    "data_dir": _OBJ, "software": {"type": _OBJ, "properties": {"python": _STR, "torch": _STR}},
    "gpus": {"type": ("array", "null"), "items": {"type": "object", "properties": {
        "index": {"type": _INT, "min": 0}, "name": _STR, "catalog_id": _STR, "memory_total_bytes": _BYTES,
        "pcie_width": _INT}}},
    "disks": {"type": ("array", "null"), "items": {"type": "object", "properties": {
        "mount": _STR, "device": _STR, "fstype": _STR, "total_bytes": _BYTES, "free_bytes": _BYTES, "kind": _STR,
        "kind_note": _STR}}}}}

# The run's sections that the bench table, the report, the guidelines and the baseline read are typed down to the
# fields they compute with or format, as the probe is: a hand-edited ``"peaks": {"cpu": "x"}`` or ``"rounds": "3"``
# is refused on load with the field named, instead of failing later inside a renderer.
_PEAK = {"type": _OBJ, "properties": {"value": _NUM, "unit": _STR, "source": _STR, "reason": _STR, "cores": _INT,
                                      "mhz": _NUM, "flop_per_cycle": _NUM}}
PEAKS = {"type": _OBJ, "values": {"type": _OBJ, "properties": {
    "clock": {"type": _OBJ, "properties": {"scalar_mhz": _NUM, "after_vector_load_mhz": _NUM, "used_mhz": _NUM,
                                           "after_vector_load_reason": _STR, "method": _STR}},
    "cpu_class": _STR, "catalog_id": _STR, "mem_bw": _PEAK, "h2d_bw": _PEAK}, "patterns": {"^flops:": _PEAK}}}

_STATE = {"type": _OBJ, "properties": {"loadavg_1m": _NUM, "torch_threads": _INT, "numba_threads": _INT}}
_CLOCK_READING = {"type": _OBJ, "properties": {"scalar_mhz": _NUM, "machine": _OBJ}}
CONDITIONS = {"type": _OBJ, "properties": {
    "start": _STATE, "end": _STATE, "heap": _OBJ, "cpu_clock_end": _CLOCK_READING,
    "cpu_clock_rounds": {"type": ("array", "null"), "items": _CLOCK_READING}}}

MACHINE = {"type": _OBJ, "properties": {
    "rounds": _INT, "drift": _NUM, "slower": _NUM, "steal": _NUM, "others": _NUM, "sampled_s": _NUM, "reason": _STR,
    "loadavg_1m": {"type": _OBJ, "properties": {"start": _NUM, "end": _NUM}},
    "reference": {"type": _OBJ, "properties": {"workload": _STR, "reason": _STR, "readings": {
        "type": ("array", "null"), "items": {"type": "object", "properties": {"median_s": _NUM, "clock_mhz": _NUM}}}}},
    "baseline": {"type": _OBJ, "properties": {"mcycles": _NUM, "file": _STR, "runs": _INT, "reason": _STR}},
    "limits": _OBJ, "earlier": _OBJ}}

# A distributed run's own section, down to what its screen and the GPU check print (status line, reasons).
DISTRIBUTED = {"type": _OBJ, "properties": {
    "backend": _STR, "world_size": _INT, "nnodes": _INT, "nproc_per_node": _INT, "elapsed_s": _NUM,
    "results_file": _STR, "reasons": {"type": ("array", "null"), "items": "string"},
    "warnings": {"type": ("array", "null"), "items": "string"}}}

# What a run's ``status`` may be: what the suite runner and the distributed launcher write (rigbench.bench.schema
# starts a run "interrupted"; it ends "complete", or "failed" when a distributed job's ranks failed).
STATUSES = ("complete", "interrupted", "failed")

TYPES = {"type": "object", "required": ["schema", "measurements"], "properties": {
    "schema": "string", "status": {"type": _STR, "enum": list(STATUSES)}, "created_utc": _STR, "host": _STR, "rigbench_version": _STR,
    "argv": {"type": ("array", "null"), "items": "string"}, "quick": ("boolean", "null"), "probe": PROBE,
    "peaks": PEAKS, "conditions": CONDITIONS, "machine": MACHINE, "distributed": DISTRIBUTED, "lost_devices": _OBJ,
    "reason": _STR,
    "measurements": {"type": "array", "items": MEASUREMENT}}}

_PY = {"string": (str,), "number": (int, float), "integer": (int,), "boolean": (bool,), "object": (dict,),
       "array": (list,), "null": (type(None),)}


def _spec(t) -> dict:
    return t if isinstance(t, dict) else {"type": t}


def _names(t) -> tuple[str, ...]:
    t = _spec(t)["type"]
    return t if isinstance(t, tuple) else (t,)


def _is(value, name: str) -> bool:
    if isinstance(value, bool) and name in ("number", "integer"):
        return False
    return isinstance(value, _PY[name])


def _describe(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _members(spec: dict, value: dict) -> Iterator[tuple[str, object]]:
    """(key, type) of each key of ``value`` that ``spec`` types: named, matching a pattern, else ``values``."""
    props, patterns = spec.get("properties", {}), spec.get("patterns", {})
    for key, sub in props.items():
        if key in value:
            yield key, sub
    for key in value:
        if not isinstance(key, str) or key in props:
            continue
        matched = [sub for pattern, sub in patterns.items() if re.search(pattern, key)]
        yield from ((key, sub) for sub in matched)
        if not matched and "values" in spec:
            yield key, spec["values"]


def _check(value, t, where: str, finite: bool = False) -> str | None:
    """The first type error under ``where``, or None. ``finite``: a number must be finite, as in a file: Python's
    JSON reader takes ``NaN`` and ``Infinity``, which no rigbench file holds (:func:`rigbench.files.dumps` writes
    them as null); a document still in memory (a run being written) may hold them."""
    spec = _spec(t)
    names = _names(spec)
    if finite and isinstance(value, float) and not math.isfinite(value) and {"number", "integer"} & set(names):
        return f"{where} is {'NaN' if math.isnan(value) else 'Infinity' if value > 0 else '-Infinity'}, not a finite number"
    if isinstance(value, float) and "integer" in names and "number" not in names and math.isfinite(value):
        return f"{where} is {value!r}, expected a whole number"     # 2.0, not 2: the number written
    if not any(_is(value, n) for n in names):
        want = " or ".join("null" if n == "null" else f"{'an' if n[0] in 'aeio' else 'a'} {n}" for n in names)
        return f"{where} is {_describe(value)}, expected {want}"
    if _is(value, "number") and ("min" in spec or "max" in spec) and math.isfinite(value):
        low, high = spec.get("min"), spec.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            want = (f"{low:,} to {high:,}" if high is not None else f"{low:,} or more") if low is not None \
                else f"{high:,} or less"
            return f"{where} is {value:,}, expected {want}" + (f" ({spec['why']})" if "why" in spec else "")
    if "enum" in spec and value is not None and value not in spec["enum"]:
        return f"{where} is {value!r}, expected one of {', '.join(spec['enum'])}"
    if isinstance(value, dict):
        for key in spec.get("required", []):
            if key not in value:
                return f"{where or 'the document'} has no {key!r}"
        for key, sub in _members(spec, value):
            err = _check(value[key], sub, f"{where}.{key}" if where else key, finite)
            if err:
                return err
    if isinstance(value, list) and "items" in spec:
        for i, item in enumerate(value):
            err = _check(item, spec["items"], f"{where}[{i}]", finite)
            if err:
                return err
    return None


# The devices a measurement may name: what the suite runner and the distributed worker write, ``cpu`` and ``cuda:N``
# (N the index torch and NVML count from 0). Any other name matches no GPU of the probe, or the wrong one.
DEVICE = re.compile(r"cpu|cuda:[0-9]+", re.ASCII)


def refuse_device_without_file(device: str | None, has_file: bool, give: str) -> None:
    """``--device`` picks a device of a results file: with no file to pick from it would be set aside without a
    word, and the figures would read as that device's. One wording for every command that takes it (cost's
    ``--results FILE``, a file among compare's devices); ``give`` says how this command is given a file."""
    if device is not None and not has_file:
        raise UserError(f"--device {shown(device)} names a device of a results file: {give}")

# The largest fraction of its device's peak a file may hold. Above 1 a figure is impossible as measured (nothing runs
# faster than its hardware): the runner marks it invalid ("above_peak", rigbench.validity), and so does the loader
# for a file that does not, since a peak a little wrong (a clock read low, data a cache held) is a real run's fault.
# Ten times the peak is not: it is a value or a peak wrong by an order of magnitude (a unit, a digit, a hand edit),
# and no table, plot or comparison of it means anything, so the file is refused.
MAX_FRACTION_OF_PEAK = 10.0

# What every reader says of what only the probe can tell (the machine's kind, CPU, GPUs, memory, disks, OS) in a file
# without one (:attr:`Results.probed`).
NO_PROBE = "the file holds no probe of the machine"

# A run's host as a title shows it where the file names none.
UNKNOWN_HOST = "unknown host"

# Where the loader leaves what it read otherwise than written (a GPU id this catalog does not know), as lines for a
# person; the document keeps every other field as written.
NOTES = "notes_on_reading"


def _values_error(doc: dict, from_file: bool = False) -> str | None:
    """The first measurement value no run can have written (a device that is no device, a negative rate, a fraction
    of the peak beyond :data:`MAX_FRACTION_OF_PEAK`, an interval that is inverted or leaves out its median), or None.
    Types are checked before (:func:`_check`); a number that is not finite (a document in memory) is left alone."""
    for i, m in enumerate(doc.get("measurements") or []):
        where = f"measurements[{i}]"
        if not DEVICE.fullmatch(m["device"]):
            shown = m["device"] if len(m["device"]) <= 40 else m["device"][:37] + "..."
            return f"{where}.device is {shown!r}, expected cpu or cuda:N (N = 0, 1, ...)"
        value = m.get("value")
        if _finite(value) and value < 0:
            return f"{where}.value is {value:g}, below zero: a rate of work is 0 or more (null when none was measured)"
        # a figure is a number in a unit: every writer puts its kernel's unit beside the value (rigbench.bench.runner,
        # rigbench.bench.distributed), and every reader prints them together. Required of a file; a document a
        # program built in memory (a test's, a model's) may leave it out, as it may leave out its start
        if from_file and m.get("status") == "ok" and _finite(value) and not isinstance(m.get("unit"), str):
            return (f"{where}.unit is {'missing' if 'unit' not in m else _describe(m['unit'])}, expected a string: "
                    f"a measured value ({value:g}) needs its unit")
        frac = m.get("fraction_of_peak")
        if _finite(frac) and not 0 <= frac <= MAX_FRACTION_OF_PEAK:
            return (f"{where}.fraction_of_peak is {frac:g}, expected 0 to {MAX_FRACTION_OF_PEAK:g} (1 is the device's "
                    "peak; ten times it means a wrong value or a wrong peak)")
        for key in ("ci_low_s", "ci_high_s"):
            if _finite(m.get(key)) and m[key] <= 0:
                return f"{where}.{key} is {m[key]:g}, expected a time above zero"
        low, high, median = m.get("ci_low_s"), m.get("ci_high_s"), m.get("median_s")
        if _finite(low) and _finite(high):
            if low > high:
                return f"{where}.ci_low_s ({low:g} s) is above ci_high_s ({high:g} s): the interval is inverted"
            if _finite(median) and not low <= median <= high:
                # the interval is two order statistics of the samples the median is taken from (rigbench.intervals):
                # it holds the median by construction
                return (f"{where}.median_s ({median:g} s) lies outside its confidence interval ci_low_s to ci_high_s "
                        f"({low:g} to {high:g} s)")
    return None


# When the run started, as the writer spells it (rigbench.bench.schema: 2026-12-02T17:05:50Z): an ISO 8601 date and
# time in the extended format with its zone, Z or an offset from UTC (the RFC 3339 profile of ISO 8601, which also
# allows a space for the T). A time without a zone is no point in time; "yesterday" is no date.
CREATED = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})",
                     re.ASCII)

# How far after this machine's clock a run may say it started. A file from another machine can be ahead by that
# machine's clock error, and a local time written as UTC by a whole time-zone offset: at most 14 hours (UTC+14, the
# Line Islands, the largest offset in use). A day covers both; a start later than that cannot be a real run's, and
# would sort as the newest run (``latest``) until that date came.
CREATED_AHEAD = timedelta(days=1)

# How far after this machine's clock a run's start may lie and still be taken as the newest run (``latest``,
# ``recommend``'s run of this machine). A run within :data:`CREATED_AHEAD` is read (a file from a machine whose clock
# is off, or a local time written as UTC), but a run that says it started later than now cannot be the one just made:
# taken as the newest, it would hide every run made until its date came. Five minutes is the clock skew Kerberos
# tolerates between machines that must agree on the time (MIT krb5's default ``clockskew``, 300 s: krb5.conf(5)),
# far more than two clocks kept by NTP differ, and less than a run of the suite takes.
CLOCK_SKEW = timedelta(minutes=5)

# Before every run: where a document says no start (one built in memory), it sorts as the oldest.
NEVER = datetime.min.replace(tzinfo=timezone.utc)


def created_at(doc: "dict | Results") -> datetime | None:
    """When the run started (``created_utc``) as a UTC datetime; None where the document says nothing readable (a
    document a program built in memory: a file's is checked on load, :func:`validate`)."""
    doc = doc.doc if isinstance(doc, Results) else doc
    text = doc.get("created_utc") if isinstance(doc, dict) else None
    if not isinstance(text, str) or not CREATED.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text.upper().replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:     # a month 13, a 25th hour
        return None


def ahead_of_clock(doc: "dict | Results", now: datetime | None = None) -> bool:
    """The run says it started more than :data:`CLOCK_SKEW` after this machine's clock: no newest run."""
    when = created_at(doc)
    return when is not None and when > (now or datetime.now(timezone.utc)) + CLOCK_SKEW


def ahead_note(paths: "list[str] | list[Path]") -> str:
    """'X (it says it started after this machine's clock ...)': the runs passed over as the newest for starting in
    the future (:func:`ahead_of_clock`), in the words every command uses."""
    names = ", ".join(str(p) for p in paths)
    one = len(paths) == 1
    return (f"{names} ({'it says it' if one else 'they say they'} started more than {CLOCK_SKEW.seconds // 60} "
            f"minutes after this machine's clock, so {'it is' if one else 'they are'} not taken as the newest run; "
            f"give {'its path' if one else 'a path'} to read {'it' if one else 'one'})")


def _run_error(doc: dict, from_file: bool) -> str | None:
    """The first top-level field of a run that no run can have written (a ``created_utc`` that is not a time, or
    more than :data:`CREATED_AHEAD` after now), or None. ``from_file``: ``status`` and ``created_utc`` are required,
    as every writer (and the migration of rigbench.results/0, for ``status``) puts them in every file; a document a
    program built in memory may leave them out."""
    if from_file:
        for key in ("status", "created_utc"):
            if doc.get(key) is None:
                return (f"the document has no {key!r} (every rigbench bench run writes it: "
                        + ("complete, interrupted or failed)" if key == "status" else "when the run started)"))
    text = doc.get("created_utc")
    if text is None:
        return None
    when = created_at(doc)
    if when is None:
        shown = text if len(text) <= 40 else text[:37] + "..."
        return f"created_utc is {shown!r}, not an ISO 8601 UTC time such as 2026-12-02T17:05:50Z"
    now = datetime.now(timezone.utc)
    if when > now + CREATED_AHEAD:
        return (f"created_utc is {text}, more than a day after this machine's clock "
                f"({now.strftime('%Y-%m-%dT%H:%M:%SZ')}): no run can have started then")
    return None


# How closely a figure must agree with what it was computed from. The writer computes ``value`` = work per call /
# ``median_s`` / scale (rigbench.kernels.base.METRICS) and ``fraction_of_peak`` = ``value`` / ``peak``
# (rigbench.bench.peaks.fraction), and rounds nothing: json writes each float as the shortest text that reads back
# to the same binary64 number (Python's float repr), so a file read back holds the very numbers computed with, and
# the same formula gives the same result. A result computed another way (operands in another order) differs by the
# rounding of each operation, at most half an ulp each (IEEE 754 round to nearest), i.e. a relative 2**-53 per
# operation: a few operations, and a margin of the same size, stay under 8 machine epsilons (1.8e-15). Any edit of a
# figure (a value scaled, a time doubled, a fraction typed) is billions of times larger.
AGREE = 8 * sys.float_info.epsilon

# The work fields of a measurement each metric's formula reads, under the kernel methods that formula calls.
_WORK = {"flops": "flops", "bytes_moved": "bytes", "items": "items"}


class _Recorded:
    """A kernel whose work per call is what a measurement recorded: the writer's own formula (METRICS) applied to the
    file's figures, not to a kernel's formulas of today."""

    def __init__(self, m: dict):
        self.m = m
        self.used: list[str] = []

    def __getattr__(self, name):
        if name not in _WORK:
            raise AttributeError(name)
        field = _WORK[name]

        def work(params):
            self.used.append(field)
            return self.m.get(field)
        return work


# Every kernel that writes measurements: the suite's and the distributed ones.
_KERNELS = {k.name: k for k in [*REGISTRY.values(), *allreduce.DISTRIBUTED_KERNELS, *ddp_train.DISTRIBUTED_KERNELS]}


def _agree(a: float, b: float) -> bool:
    return abs(a - b) <= AGREE * max(abs(a), abs(b))


def _probe_cores_error(probe: dict | None, where: str) -> str | None:
    """The first of the probe's CPU counts that contradicts another, or None. The probe counts the logical CPUs
    online (/proc/cpuinfo), then the physical cores and sockets under them (sysfs topology), the affinity mask (a
    subset of the online CPUs, sched_getaffinity(2)) and the cgroup quota (cpu.max: quota over period, a positive
    number of cores, or no quota at all); ``usable_cores`` is the least of those. So no count can exceed the logical
    CPUs, and a quota of 0 or less was never read: such a file is an edit, and ``cores_per_gpu`` or the thread
    count would be computed from it."""
    cpu = (probe or {}).get("cpu") if isinstance(probe, dict) else None
    if not isinstance(cpu, dict):
        return None
    quota = cpu.get("cpu_quota_cores")
    if quota is not None and not quota > 0:
        return f"{where}cpu.cpu_quota_cores is {quota!r}, expected a number of cores above 0 (or null: no quota)"
    logical = cpu.get("logical_cores")
    if logical is None:
        return None
    for key in ("usable_cores", "physical_cores", "affinity_cores"):
        n = cpu.get(key)
        if n is not None and n > logical:
            return (f"{where}cpu.{key} is {n:,}, more than {where}cpu.logical_cores ({logical:,}): the probe's CPU "
                    "counts contradict each other")
    return None


def _consistency_error(doc: dict) -> str | None:
    """The first measurement whose figures contradict each other, where the record carries what is needed: its
    ``metric`` or ``unit`` not its kernel's, its ``value`` not its work per call over ``median_s``, its
    ``fraction_of_peak`` not ``value`` / ``peak``; or None. A kernel this rigbench does not know (a newer one's) is
    checked on what it carries, its unit aside; its ``valid`` true beside reasons it is not to be trusted."""
    from_v0 = doc.get("migrated_from") == f"rigbench.{KIND}/0"
    for i, m in enumerate(doc.get("measurements") or []):
        where = f"measurements[{i}]"
        # ``valid`` is whether the reasons are empty: the runner and the distributed worker write valid = not reasons
        # for every measured figure (rigbench.bench.runner, rigbench.bench.distributed), and valid false for a
        # skipped or failed record, with a reason (a wrong result) or without (a skip says why in ``reason``). So
        # valid true beside a reason is written by no run: it is an edit, and believing ``valid`` would hand out a
        # figure its own reasons reject. The one reason that leaves a figure valid is the migration's "unchecked"
        # (a rigbench.results/0 figure, kept valid as that version wrote it, noted as not checked). The converse,
        # valid false without a reason, is a skipped or failed record, or an older writer's; it is kept, since a
        # figure not marked valid is never used (Figure.valid) and says "not judged valid".
        against = [r for r in m.get("invalid_reasons") or []
                   if not (from_v0 and isinstance(r, dict) and r.get("code") == "unchecked")]
        if m.get("valid") is True and against:
            shown = ", ".join(validity.brief(r) if isinstance(r, dict) else str(r) for r in against)
            return (f"{where}.valid is true, but the figure ({m['kernel']} on {m['device']}) carries "
                    f"invalid_reasons ({shown}): the figures contradict each other")
        if m.get("valid") is True and not from_v0 and m.get("status") == "ok":
            # the same writers judge a figure's own timings as they write them (validity.timing_reasons on the
            # spread, the rounds' movement and the sample length they record): a figure marked valid whose recorded
            # timings fail those limits is an edit too, as valid beside a reason is. A rigbench.results/0 figure was
            # never judged (its "unchecked" note says so) and is kept as written.
            own = recorded_timing_reasons(m)
            if own:
                shown = ", ".join(validity.brief(r) for r in own)
                return (f"{where}.valid is true, but the figure ({m['kernel']} on {m['device']}) records timings "
                        f"over their limits ({shown}): the figures contradict each other")
        kernel = _KERNELS.get(m["kernel"])
        metric, unit = m.get("metric"), m.get("unit")
        if kernel is not None:
            if metric is not None and metric != kernel.metric:
                return f"{where}.metric is {metric!r}, but {m['kernel']} measures {kernel.metric!r}"
            if unit is not None and unit != kernel.unit:
                return f"{where}.unit is {unit!r}, but {m['kernel']} is measured in {kernel.unit}"
        value, median = m.get("value"), m.get("median_s")
        if m.get("status") == "ok" and metric in METRICS and _finite(value) and _finite(median) and median > 0:
            shim = _Recorded(m)
            try:
                expected = METRICS[metric][1](shim, m.get("params") or {}, median)
            except (TypeError, ZeroDivisionError):      # the record carries no work per call to check against
                expected = None
            if _finite(expected) and not _agree(value, expected):
                field = shim.used[0] if shim.used else "work"
                return (f"{where}.value is {value:.6g} {unit or ''}, but its {field} ({m[field]:g} per call) over its "
                        f"median_s ({median:g} s) give {expected:.6g}: the figures contradict each other")
        frac, peak = m.get("fraction_of_peak"), m.get("peak")
        if _finite(peak) and peak <= 0:
            return f"{where}.peak is {peak:g}, expected a peak above zero (null when there is none)"
        if frac is not None and value is None:
            # the writer computes the fraction from the value (rigbench.bench.peaks.fraction): none without one
            return (f"{where}.fraction_of_peak is {frac:g}, but its value is null: a fraction of the peak without a "
                    "value: the figures contradict each other")
        if _finite(frac) and _finite(value) and _finite(peak) and not _agree(frac, value / peak):
            return (f"{where}.fraction_of_peak is {frac:.6g}, but value / peak is {value / peak:.6g} "
                    f"({value:g} / {peak:g} {unit or ''}): the figures contradict each other")
    return None


def recorded_timing_reasons(m: dict) -> list[dict]:
    """What :func:`rigbench.validity.timing_reasons` says of the timings a measurement records, computed as the
    writer computes them (rigbench.bench.timing.Measurement): spread = ``iqr_s`` / ``median_s``, rounds' movement =
    (slowest - fastest of ``rounds_s``) / ``median_s``, sample length = ``median_s`` x ``inner``. A timing the
    record does not carry (an older writer's) is not judged: only numbers written are held against the limits."""
    median, iqr, inner = m.get("median_s"), m.get("iqr_s"), m.get("inner")
    if not (_finite(median) and median > 0):
        return []
    rounds = [t for t in m.get("rounds_s") or [] if _finite(t)]
    spread = iqr / median if _finite(iqr) else None
    move = (max(rounds) - min(rounds)) / median if len(rounds) >= 2 else None
    sample = median * inner if _finite(inner) else None
    return [r for r in validity.timing_reasons(spread, sample, move)
            if not (r.get("code") == "spread" and spread is None)]


def _above_peak(doc: dict) -> None:
    """Mark a measured figure above its device's peak invalid, with the runner's structured reason, where the file
    does not already: whatever its ``valid`` says, such a figure cannot be trusted."""
    for m in doc.get("measurements") or []:
        why = validity.above_peak(m.get("fraction_of_peak"))
        if m.get("status") != "ok" or why is None:
            continue
        reasons = m.get("invalid_reasons") or []
        if not any(isinstance(r, dict) and r.get("code") == "above_peak" for r in reasons):
            m["invalid_reasons"] = [*reasons, why]
        m["valid"] = False


def _catalog_ids(probe: dict | None, where: str, path) -> list[str]:
    """Read each GPU's ``catalog_id`` of a probe through this rigbench's catalog: an id it knows becomes the catalog's
    own spelling; one it does not (a file from a newer rigbench, a hand edit) becomes null, as for a card that was not
    in the catalog when probed, so every reader judges it as not in the catalog instead of refusing it as a name
    typed wrong. Returns a note for each id it set aside."""
    notes = []
    gpus = (probe or {}).get("gpus") or []
    for i, g in enumerate(gpus):
        cid = g.get("catalog_id")
        if not cid:
            continue
        known = catalog.find(cid)
        g["catalog_id"] = known.id if known is not None else None
        if known is None:
            shown = cid if len(cid) <= 40 else cid[:37] + "..."
            notes.append(f"{path}: {where}gpus[{i}].catalog_id {shown!r} is not a card of this rigbench's catalog "
                         f"(written by a newer one?): {g.get('name') or 'the GPU'} is judged as not in the catalog")
    return notes


def validate(doc: dict, path: str | os.PathLike = "results document", from_file: bool = False) -> dict:
    """Raise a one-line ``UserError`` naming the first field whose type or value is wrong; return ``doc``, a figure
    above its peak marked invalid and unknown GPU catalog ids set aside (:data:`NOTES` says which). ``from_file``:
    ``doc`` was read from a file, where every number is finite."""
    err = _check(doc, TYPES, "", from_file) or _run_error(doc, from_file) or _values_error(doc, from_file) \
        or _probe_cores_error(doc.get("probe"), "probe.") or _consistency_error(doc)
    if err:
        raise UserError(f"{path}: {err}: not a valid rigbench.results file")
    _above_peak(doc)
    notes = _catalog_ids(doc.get("probe"), "probe.", path)
    if notes:
        doc[NOTES] = notes
    return doc


def validate_probe(doc: dict, path: str | os.PathLike = "probe document") -> dict:
    """The ``probe`` part of :func:`validate` for a ``rigbench probe --json`` file; return ``doc``."""
    err = _check(doc, PROBE, "", True) or _probe_cores_error(doc, "")
    if err:
        raise UserError(f"{path}: {err}: not a valid rigbench.probe file")
    notes = _catalog_ids(doc, "", path)
    if notes:
        doc[NOTES] = notes
    return doc


def json_schema() -> dict:
    """The JSON Schema (draft 2020-12) of the current version, from :data:`TYPES`."""

    def conv(t) -> dict:
        spec = _spec(t)
        names = list(_names(spec))
        out: dict = {"type": names[0] if len(names) == 1 else names}
        if "enum" in spec:
            out["enum"] = list(spec["enum"]) + ([None] if "null" in names else [])
        if "min" in spec:
            out["minimum"] = spec["min"]
        if "max" in spec:
            out["maximum"] = spec["max"]
        if "properties" in spec:
            out["properties"] = {k: conv(v) for k, v in spec["properties"].items()}
        if spec.get("required"):
            out["required"] = list(spec["required"])
        if "patterns" in spec:
            out["patternProperties"] = {k: conv(v) for k, v in spec["patterns"].items()}
        if "values" in spec:
            out["additionalProperties"] = conv(spec["values"])
        if "items" in spec:
            out["items"] = conv(spec["items"])
        return out

    schema = conv(TYPES)
    schema["properties"]["schema"] = {"const": SCHEMA}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://github.com/rigbench/rigbench/docs/results.schema.json",
            "title": SCHEMA, "description": "A rigbench bench results file (see rigbench/results.py for the version "
                                            "history; older versions are migrated on read).", **schema}


# ------------------------------------------------------------------------------------------------ migration

def migrate(doc: dict) -> dict:
    """Bring an older results document up to the current version (in place, returned)."""
    first = doc.get("schema")
    ms = doc.get("measurements") if isinstance(doc.get("measurements"), list) else []
    if doc.get("schema") == f"rigbench.{KIND}/0":
        doc.setdefault("status", "complete")
        for m in ms:
            if not isinstance(m, dict):
                continue
            if "median_s" not in m and "time_s" in m:
                m["median_s"] = m.pop("time_s")
            if "repeats" not in m and "samples" in m:
                m["repeats"] = m.pop("samples")
            if "valid" not in m:
                m["valid"] = m.get("status") == "ok"
                m["invalid_reasons"] = [validity.reason("unchecked", "written by rigbench.results/0, validity not "
                                                                     "checked")]
        doc["schema"] = f"rigbench.{KIND}/1"
    if doc.get("schema") == f"rigbench.{KIND}/1":
        for m in ms:
            if isinstance(m, dict) and isinstance(m.get("invalid_reasons"), list):
                m["invalid_reasons"] = [validity.recorded(r) if isinstance(r, str) else r
                                        for r in m["invalid_reasons"]]
        doc["schema"] = SCHEMA
    if first != doc.get("schema"):
        doc["migrated_from"] = first
    return doc


def load_document(path: str | os.PathLike) -> dict:
    """The document of a results file, migrated and type-checked; anything wrong with it is a ``UserError``."""
    return validate(migrate(read_json(path, KIND, VERSION)), path, from_file=True)


def load(path: str | os.PathLike) -> "Results":
    """A results file as a :class:`Results` view."""
    return Results(load_document(path), Path(path))


# ------------------------------------------------------------------------------------------------ the view

def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


@dataclass(frozen=True)
class Figure:
    """One measurement of the file, read-only; ``raw`` is its record as written."""

    raw: dict

    def _get(self, key, default=None):
        v = self.raw.get(key)
        return default if v is None else v

    kernel = property(lambda self: str(self.raw.get("kernel")))
    device = property(lambda self: str(self.raw.get("device")))
    dtype = property(lambda self: self.raw.get("dtype"))
    params = property(lambda self: self._get("params", {}))
    label = property(lambda self: self.raw.get("label"))
    unit = property(lambda self: self.raw.get("unit"))
    status = property(lambda self: self.raw.get("status") or "failed")
    reason = property(lambda self: self.raw.get("reason"))
    conditions = property(lambda self: self._get("conditions", {}))
    info = property(lambda self: self._get("info", {}))
    machine = property(lambda self: self._get("machine", {}))

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """What makes records of two runs the same figure: kernel, device, dtype, the case as a person reads it,
        and the params that make the case what it runs (:func:`rigbench.kernels.base.case_params`): one label can
        name two cases."""
        return self.kernel, self.device, str(self.dtype), case_label(self), case_params(self.params)

    @property
    def value(self) -> float | None:
        v = self.raw.get("value")
        return float(v) if _finite(v) else None

    @property
    def measured(self) -> bool:
        """It ran, and gave a finite positive figure (valid or not)."""
        return self.status == "ok" and self.value is not None and self.value > 0

    @property
    def valid(self) -> bool:
        """Measured and judged trustworthy."""
        return self.measured and self.raw.get("valid") is True

    @property
    def valid_in_its_run(self) -> bool:
        """Valid on everything judged inside its own run, the check against this machine's earlier runs set aside
        (:data:`rigbench.validity.ACROSS_RUNS_CODES`): what a comparison of runs reads, since it compares runs
        itself. A figure flagged only for being unlike earlier runs is the change such a comparison is for."""
        if self.valid:
            return True
        raw = self.raw.get("invalid_reasons") or []
        return self.measured and bool(raw) and all(isinstance(r, dict) and r.get("code") in validity.ACROSS_RUNS_CODES
                                                   for r in raw)

    @property
    def reasons(self) -> list[dict]:
        """Why it is not valid, structured (empty when valid)."""
        return [r for r in (self.raw.get("invalid_reasons") or []) if isinstance(r, dict)]

    def why_not(self) -> str:
        """The reasons as one line; a figure not marked valid without a recorded reason says so."""
        if self.status != "ok":
            return f"{self.status}: {self.reason or 'no reason recorded'}"
        if self.value is None or self.value <= 0:
            return "no figure recorded"
        return "; ".join(validity.texts(self.reasons)) or ("" if self.valid else "not judged valid")

    @property
    def ci(self) -> tuple[float, float] | None:
        """95% confidence interval of the figure in its unit (:mod:`rigbench.intervals`); None if not known."""
        iv = intervals.of_measurement(self.raw)
        return (iv.low, iv.high) if iv is not None else None

    @property
    def spread(self) -> float | None:
        med, iqr = self.raw.get("median_s"), self.raw.get("iqr_s")
        return iqr / med if _finite(med) and med > 0 and _finite(iqr) else None

    def gpu_states(self) -> Iterator[tuple[str, dict]]:
        """(when, NVML state) before the figure, after it, and after each of its rounds."""
        cond = self.conditions if isinstance(self.conditions, dict) else {}
        for when in ("gpu_before", "gpu_after"):
            if isinstance(cond.get(when), dict):
                yield when, cond[when]
        for i, st in enumerate(cond.get("gpu_rounds") or []):
            if isinstance(st, dict):
                yield f"gpu_after_round_{i + 1}", st

    def clock_events(self) -> set[str]:
        """NVML clock-event (throttle) reasons seen before or after the figure."""
        seen: set[str] = set()
        for _, st in self.gpu_states():
            seen.update(r for r in (st.get("clock_event_reasons") or []) if isinstance(r, str))
        return seen

    def clock_events_read(self) -> bool:
        """NVML's clock-event (throttle) reasons were read at least once around the figure. Without a reading, no
        clock event seen says nothing about throttling (NVML was missing, or could not read that GPU)."""
        return any(isinstance(st.get("clock_event_reasons"), list) for _, st in self.gpu_states())

    def clock_events_unread(self) -> str | None:
        """Why the clock-event reasons were not read, as the file recorded it (None if it recorded no reason)."""
        for _, st in self.gpu_states():
            why = st.get("reason") or st.get("clock_event_reason_error")
            if isinstance(why, str) and why.strip():
                return why.strip()
        return None

    def power_w(self) -> tuple[float, str] | None:
        """The larger NVML board power reading around the figure (before or after), with which one."""
        best = None
        for when, st in self.gpu_states():
            v = st.get("power_w")
            if _finite(v) and v > 0 and (best is None or v > best[0]):
                best = (float(v), when)
        return best


def _match(value: str, want: str | Iterable[str] | None) -> bool:
    if want is None:
        return True
    return value == want if isinstance(want, str) else value in tuple(want)


def _device_match(device: str, want: str | None) -> bool:
    """``cuda`` matches every GPU (cuda:N); anything else matches exactly."""
    if want is None:
        return True
    if want == "cuda":
        return device.startswith("cuda")
    return device == want


class Results:
    """A read-only view over one results document (``doc``), with the path it came from."""

    def __init__(self, doc: dict, path: str | os.PathLike | None = None):
        self.doc = doc
        self.path = Path(path) if path is not None else None
        self.figures = [Figure(m) for m in doc.get("measurements") or [] if isinstance(m, dict)]

    @classmethod
    def of(cls, doc: "dict | Results", path=None) -> "Results":
        """The view of a document (a dict checked and migrated here), or the view itself. A document a program
        built in memory without ``schema`` is taken as the current version (a file always needs one: :func:`load`)."""
        if isinstance(doc, Results):
            return doc
        if not isinstance(doc, dict):
            raise UserError("results document is not a JSON object: not a rigbench.results file")
        # checking reads the document its own way (a figure above its peak marked invalid, catalog ids this catalog
        # does not know set aside): on a copy, so the caller's document (a run still being written) stays as it is
        doc = copy.deepcopy(doc)
        if "schema" not in doc:
            doc = {"schema": SCHEMA, **doc}
        elif doc.get("schema") != SCHEMA:
            doc = migrate(doc)
        return cls(validate(doc, path or "results document"), path)

    # --- the run
    status = property(lambda self: self.doc.get("status"))
    reason = property(lambda self: self.doc.get("reason"))      # why a run that did not complete stopped
    host = property(lambda self: self.doc.get("host"))
    # the host for a person: a file may leave ``host`` out (the schema does not require it), shown as not known,
    # never as "None"
    host_shown = property(lambda self: self.host or UNKNOWN_HOST)
    created_utc = property(lambda self: self.doc.get("created_utc"))
    quick = property(lambda self: bool(self.doc.get("quick")))
    probe = property(lambda self: self.doc.get("probe") or {})
    peaks = property(lambda self: self.doc.get("peaks") or {})
    conditions = property(lambda self: self.doc.get("conditions") or {})

    @property
    def probed(self) -> bool:
        """The file holds a probe of the machine. Every run writes one (rigbench.bench.schema), but the document
        requires only ``schema`` and ``measurements`` (:data:`TYPES`): without one, what the machine is (its CPU,
        memory, GPUs, disks, OS, and so its kind) is not known, and a reader says so (:data:`NO_PROBE`) instead of
        reading an empty probe as a machine with none of them."""
        return bool(self.doc.get("probe"))

    @property
    def notes(self) -> list[str]:
        """What was read otherwise than written (:func:`validate`), one line each; empty for most files."""
        return list(self.doc.get(NOTES) or [])

    @property
    def machine(self) -> dict:
        """The machine's movement over the run: ``drift`` of the reference, ``steal``, ``others``, ``loadavg_1m``."""
        return self.doc.get("machine") or {}

    def machine_verdict(self) -> dict:
        """Whether the machine was quiet enough over the run, with the numbers: the run's ``steal``, ``others``,
        reference ``drift``, the load average at start and end, the reasons over the limits (structured), how
        many measured figures a machine reason flagged (``flagged`` of ``measured``), how many were flagged only
        for their own timing (``unsteady``: samples or rounds too far apart, no machine reason), how many were
        more than their limit from this machine's earlier runs of them (``unlike``), and the
        hypervisor the probe found (``virtualization``, None on bare metal or where it could not tell)."""
        mach = self.machine
        measured = [f for f in self.figures if f.measured]
        flagged = [f for f in measured if any(r.get("code") in validity.MACHINE_CODES for r in f.reasons)]
        unsteady = [f for f in measured if f not in flagged
                    and any(r.get("code") in validity.TIMING_CODES for r in f.reasons)]
        unlike = [f for f in measured if any(r.get("code") == "earlier" for r in f.reasons)]
        run_reasons = validity.machine_reasons(mach)
        load = mach.get("loadavg_1m") if isinstance(mach.get("loadavg_1m"), dict) else {}
        return {"quiet": not run_reasons and not flagged, "steal": mach.get("steal"), "others": mach.get("others"),
                "drift": mach.get("drift"), "slower": mach.get("slower"), "rounds": mach.get("rounds"), "loadavg_start": load.get("start"),
                "loadavg_end": load.get("end"), "reasons": run_reasons, "flagged": len(flagged),
                "unsteady": len(unsteady), "unlike": len(unlike), "measured": len(measured),
                "virtualization": (self.probe.get("os") or {}).get("virtualization")}

    @property
    def complete(self) -> bool:
        return self.status == "complete"

    @property
    def stopped(self) -> str | None:
        """The status of a run that stopped before the end (``interrupted``, ``failed``, ...); None for a complete
        run, and for a file that records no status (nothing is known of how its run ended)."""
        return None if self.complete or self.status is None else str(self.status)

    def stopped_before(self, what: str) -> str | None:
        """Why ``what`` (a figure, a reading the suite takes) is missing from a run that did not complete: "the run
        was interrupted before WHAT; run `rigbench bench` again"; None where the run is not known to have stopped
        (:attr:`stopped`): it is missing for another reason (an older version, an ``--only``)."""
        if self.stopped is None:
            return None
        return f"the run {stopped_verb(self.stopped)} before {what}; run `rigbench bench` again"

    def status_note(self, subject: str = "that run") -> str | None:
        """The run's status for a person when it did not complete, with the reason the file gives; None when it did,
        or when the file records no status. ``subject`` names the run where "that run" would not say which."""
        if self.stopped is None:
            return None
        reason = self.reason
        return f"{subject} is {self.status}" + (f" ({reason})" if reason else "") + ": what it did not reach is unknown"

    # --- the figures
    def all(self, kernel: str | Iterable[str] | None = None, device: str | None = None) -> list[Figure]:
        """Every record, skipped and failed ones too, in file order."""
        return [f for f in self.figures if _match(f.kernel, kernel) and _device_match(f.device, device)]

    def ok(self, kernel: str | Iterable[str] | None = None, device: str | None = None, dtype: str | None = None,
           valid_only: bool = True) -> list[Figure]:
        """Measured figures (a finite positive value), only valid ones unless ``valid_only`` is False.

        ``device``: ``cpu``, ``cuda:N``, or ``cuda`` for every GPU; None for every device."""
        return [f for f in self.all(kernel, device) if f.measured and (f.valid or not valid_only)
                and (dtype is None or str(f.dtype) == dtype)]

    def invalid(self, kernel: str | Iterable[str] | None = None, device: str | None = None) -> list[Figure]:
        """Measured figures that were judged not to be trusted."""
        return [f for f in self.all(kernel, device) if f.measured and not f.valid]

    def devices(self) -> list[str]:
        """The devices measured, in first-seen order."""
        return list(dict.fromkeys(f.device for f in self.figures))

    def invalid_note(self, figures: Iterable[Figure]) -> str:
        """'present but INVALID (reason; reason)' for figures that ran but may not be used; those that did not run
        (skipped, failed) are said apart, as not measured, so a skip's reason never reads as a figure's flaw."""
        figures = list(figures)
        ran = [f for f in figures if f.measured]

        def why(group: list[Figure]) -> str:
            reasons: list[str] = []
            for f in group:
                for r in ([*validity.texts(f.reasons)] or [f.why_not()]) if f.measured else [f.why_not()]:
                    if r and r not in reasons:
                        reasons.append(r)
            return f" ({'; '.join(reasons[:3])})" if reasons else ""

        rest = [f for f in figures if not f.measured]
        not_run = f"not measured{why(rest)}"
        if not ran and rest:
            return not_run
        return f"present but INVALID{why(ran)}" + (f"; {len(rest)} more {not_run}" if rest else "")

    # --- the device a figure belongs to
    def device_measured(self, device: str) -> dict | None:
        """The probe's record of the GPU behind ``cuda:N`` (name, catalog_id, memory ...), or None."""
        if not device.startswith("cuda"):
            return None
        try:
            index = int(device.partition(":")[2] or 0)
        except ValueError:
            return None
        gpus = self.probe.get("gpus") or []
        for g in gpus:
            if isinstance(g, dict) and g.get("index") == index:
                return g
        return gpus[index] if index < len(gpus) and isinstance(gpus[index], dict) else None

    def device_name(self, device: str) -> str:
        g = self.device_measured(device) or {}
        return str(g.get("name") or g.get("catalog_id") or device)

    # --- the CPU clock before and after load (cooling)
    def cpu_clock(self) -> tuple[float | None, list[dict]]:
        """(scalar MHz before the suite, the readings after load), each reading ``{"scalar_mhz", "machine"}``.

        Files of /2 carry a reading after every round (``conditions.cpu_clock_rounds``); older ones one at the end."""
        start = (((self.peaks.get("cpu") or {}).get("clock")) or {}).get("scalar_mhz")
        cond = self.conditions
        after = cond.get("cpu_clock_rounds")
        if not isinstance(after, list):
            end = cond.get("cpu_clock_end")
            after = [end] if isinstance(end, dict) else []
        readings = [r for r in after if isinstance(r, dict) and _finite(r.get("scalar_mhz"))]
        return (float(start) if _finite(start) else None), readings


def stopped_verb(status: str) -> str:
    """How a run with ``status`` stopped, after "the run": "was interrupted", "failed", "ended STATUS"."""
    return {"interrupted": "was interrupted", "failed": "failed"}.get(status, f"ended {status}")


def records(doc: "dict | Results | None") -> list[dict]:
    """Every measurement record of a document as written (skipped, failed and invalid ones too), in file order: for
    listings and checks that show each record. A verdict takes its figures from :meth:`Results.ok` instead.
    A document without a measurement list (a run that stopped before its first) has none."""
    if isinstance(doc, Results):
        return [f.raw for f in doc.figures]
    if not isinstance(doc, dict) or not isinstance(doc.get("measurements"), list):
        return []
    return [f.raw for f in Results(doc).figures]


def run_id(doc: "dict | Results") -> tuple[str, str] | None:
    """Which run a document is: the host it ran on and when it started (``created_utc``), the same in every copy of
    its file under any name; None where the file says neither. Copies of one run are one run, not many."""
    doc = doc.doc if isinstance(doc, Results) else doc
    host, created = doc.get("host"), doc.get("created_utc")
    return (host, created) if host and created else None


def copy_key(doc: "dict | Results") -> tuple | None:
    """What every copy of one run's file shares: :func:`run_id` and the figures as written (a copy edited to other
    figures, a planted slowdown to try a gate on, is another run to set beside it); None without a run id."""
    view = doc if isinstance(doc, Results) else Results.of(doc)
    rid = run_id(view)
    return None if rid is None else (rid, dumps([f.raw for f in view.figures], indent=None))


# ------------------------------------------------------------------------------------------------ where results live

def results_dir() -> Path:
    """The per-user folder runs go to without ``--out``: ``results/`` in :func:`rigbench.files.user_data_dir`."""
    return user_data_dir() / "results"


def not_a_folder(folder: str | os.PathLike) -> Path | None:
    """The part of ``folder``'s path that exists and is not a folder (a file where the data folder should be), or
    None: then no run can be found there, and none written."""
    folder = Path(folder)
    for part in (folder, *folder.parents):
        try:
            if part.exists():
                return None if part.is_dir() else part
        except OSError:
            return None
    return None


def folder_blocked(folder: str | os.PathLike) -> str | None:
    """'X is a file, not a folder; move it away' when a file stands where ``folder`` or a folder above it should be,
    else None: in the words every command uses. The way round it (another data folder, :data:`DATA_DIR_ENV`) is
    offered only where ``folder`` is the per-user one (:func:`results_dir`): it moves no other folder."""
    blocked = not_a_folder(folder)
    if blocked is None:
        return None
    data_folder = Path(folder) == results_dir()
    return f"{blocked} is a file, not a folder; move it away" + (
        f" (or set {DATA_DIR_ENV} to another folder)" if data_folder else "")


def data_folder_blocked() -> str | None:
    """'cannot read your runs in F: X is a file, not a folder; ...' when a file stands where the per-user results
    folder (:func:`results_dir`) or a folder above it should be, else None: ``results list``/``show``, ``recommend``
    and ``bench`` all say it in these words."""
    folder = results_dir()
    blocked = folder_blocked(folder)
    return None if blocked is None else f"cannot read your runs in {folder}: {blocked}"


def search_dirs(folder: str | os.PathLike | None = None) -> list[Path]:
    """Where :func:`newest` looks: ``folder`` if given; else the per-user folder, then ``./results`` (runs made
    with older versions, or with ``--out results/...``)."""
    if folder is not None:
        return [Path(folder)]
    return [results_dir(), Path("results")]


def machine_of(doc: "dict | Results | None") -> dict:
    """Which machine a run was made on: ``{"host", "cpu", "cpu_cache", "cpu_isa"}``, the host name the run recorded
    (``host``, else its probe's), its CPU's brand, last-level cache in bytes and the instruction sets its probe
    read (each None where not recorded). The earlier runs a run is held against (:mod:`rigbench.bench.baseline`)
    share all of them; the run ``recommend`` reads for the machine it has just probed (:func:`probe_machine`) is one
    of :func:`same_machine`. A host name alone is no identity (``localhost``, a VM image cloned under one name),
    nor a CPU brand alone (some VMs report several generations as "AMD EPYC")."""
    doc = doc.doc if isinstance(doc, Results) else doc if isinstance(doc, dict) else {}
    probe = doc.get("probe") if isinstance(doc.get("probe"), dict) else {}
    seen = probe_machine(probe)
    host = doc.get("host")
    return {**seen, "host": host if isinstance(host, str) and host else seen["host"]}


def probe_machine(probe: dict | None) -> dict:
    """:func:`machine_of` for a probe (``rigbench probe --json``, or a run's ``probe``)."""
    probe = probe if isinstance(probe, dict) else {}
    host = probe.get("host")
    if isinstance(host, dict):
        host = host.get("hostname") or host.get("name")
    cpu = probe.get("cpu") if isinstance(probe.get("cpu"), dict) else {}
    brand, cache = cpu.get("brand"), cpu.get("llc_bytes")
    flags = cpu.get("flags") if isinstance(cpu.get("flags"), dict) else None
    return {"host": host if isinstance(host, str) and host else None,
            "cpu": brand if isinstance(brand, str) and brand else None,
            "cpu_cache": cache if isinstance(cache, int) and not isinstance(cache, bool) and cache > 0 else None,
            "cpu_isa": " ".join(sorted(k for k, v in flags.items() if v is True)) if flags else None}


def same_machine(a: dict, b: dict) -> bool:
    """Whether two machines of :func:`machine_of` are one: the same host and CPU brand, and the same last-level cache
    and instruction sets wherever both recorded them (a run from before the probe read them is not another
    machine's for that alone)."""
    return all(a.get(k) == b.get(k) for k in ("host", "cpu")) and all(
        a.get(k) is None or b.get(k) is None or a.get(k) == b.get(k) for k in ("cpu_cache", "cpu_isa"))


def machine_shown(machine: dict) -> str:
    """A machine of :func:`machine_of` for a person: "otherbox, AMD EPYC, 16.0 MiB last-level cache"."""
    said = [str(machine.get(k) or f"{k} not recorded") for k in ("host", "cpu")]
    cache = machine.get("cpu_cache")
    return ", ".join(said + ([f"{fmt_bytes(cache)} last-level cache"] if cache else []))


def newest(folder: str | os.PathLike | None = None, measured: bool = False,
           passed_over: list[Path] | None = None, machine: dict | None = None,
           other_machines: list[Path] | None = None, ahead: list[Path] | None = None,
           refused: list[tuple[Path, str]] | None = None) -> Path | None:
    """The most recently created results file (by ``created_utc`` read as a time, then mtime); None if there is none.

    Files that are not results files (or are unreadable, malformed or newer than this rigbench) are passed over.
    ``measured``: only a run that :func:`holds_measurement` (the newest run to read figures from, as ``latest``
    means); the runs without one that are newer than it are added to ``passed_over``, newest first. ``machine``
    (:func:`machine_of`): only a run of that machine; the newer runs of other machines are added to
    ``other_machines``, newest first. A run that says it started in the future (:func:`ahead_of_clock`) is never
    the newest; those runs go to ``ahead``. ``refused`` gets (path, why) of each ``*.json`` file that is no usable
    results file, as ``rigbench results list`` says it: a file passed over without a word could be the run meant."""
    best: tuple[str, float, Path] | None = None
    empty: list[tuple[str, float, Path]] = []
    others: list[tuple[str, float, Path]] = []
    future: list[tuple[str, float, Path]] = []
    now = datetime.now(timezone.utc)
    for where in search_dirs(folder):
        for path, st in json_files(where, refused):
            try:
                doc = load_document(path)
            except UserError as exc:
                if refused is not None:
                    refused.append((path, str(exc)))
                continue
            # by the time itself: ISO 8601 text with an offset does not sort as the time it names
            key = (created_at(doc) or NEVER, st.st_mtime, path)
            # another machine's run first, whatever its date: it is passed over as another machine's, not as one
            # dated ahead of this machine's clock. A run without a measurement may record no probe to tell its
            # machine by: it is passed over as one without a measurement, as before
            if machine is not None and holds_measurement(doc) and not same_machine(machine_of(doc), machine):
                others.append(key)
            elif ahead_of_clock(doc, now):
                future.append(key)
            elif measured and not holds_measurement(doc):
                empty.append(key)
            elif best is None or key[:2] > best[:2]:
                best = key
    for skipped, out in ((empty, passed_over), (others, other_machines), (future, ahead)):
        if out is not None:
            skipped.sort(key=lambda k: k[:2], reverse=True)
            out += [k[2] for k in skipped if best is None or k[:2] > best[:2]]
    return best[2] if best else None


def holds_measurement(doc: "dict | Results | None") -> bool:
    """The run wrote at least one measurement record (skipped and failed ones count). A run killed outright
    (SIGKILL, the kernel's out-of-memory killer) before its first cannot remove its file as a stopped one does: it
    leaves a run marked interrupted with nothing in it, which is no run to take as the newest (``latest``)."""
    return bool(records(doc))


def no_measurement_note(paths: "list[str] | list[Path]") -> str:
    """'X (it holds no measurement: ...)': the runs without a measurement passed over for the newest that has one
    (:func:`holds_measurement`), in the words every command uses."""
    names = ", ".join(str(p) for p in paths)
    if len(paths) == 1:
        return f"{names} (it holds no measurement: the run stopped before its first)"
    return f"{names} (they hold no measurement: each run stopped before its first)"


def file_stem(host: str | None = None, created: datetime | None = None) -> str:
    """``<host>-<UTC time>``: the name of a run's file before any suffix."""
    host = (host or socket.gethostname()).replace(os.sep, "_") or "host"
    created = created or datetime.now(timezone.utc)
    return f"{host}-{created.strftime('%Y%m%dT%H%M%SZ')}"


def reserve_path(folder: str | os.PathLike | None = None, host: str | None = None,
                 created: datetime | None = None) -> Path:
    """A new, empty results file in ``folder`` (default :func:`results_dir`) that no other run holds.

    The names tried are :func:`rigbench.files.free_names`' (the one rule for default names: past a regular file,
    a folder or link there refused), each claimed exclusively (``O_EXCL``): two runs started in the same second get
    ``…Z.json`` and ``…Z-2.json``, never the same file. The run then replaces it atomically as it writes."""
    folder = Path(folder) if folder is not None else results_dir()
    blocked = folder_blocked(folder)
    if blocked is not None:      # said as `results list` says it, not as mkdir's bare "Not a directory"
        raise UserError(f"cannot create the results folder {folder}: {blocked}, or give --out FILE")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create the results folder {folder}: {exc.strerror or exc}; give --out FILE") from None
    for path in free_names(folder / f"{file_stem(host, created)}.json", "give --out FILE"):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            continue             # taken since free_names looked: the next name, by the same rule
        except OSError as exc:
            raise UserError(f"cannot write results to {folder}: {exc.strerror or exc}; give --out FILE") from None
        os.close(fd)
        return path
    raise AssertionError("free_names ends in a UserError, never by running out")


# ------------------------------------------------------------------------------------------------ as a table

def case_label(f: "Figure | dict") -> str:
    """The case as a person reads it ("1024³"): the record's own label, else its kernel's, else ""."""
    f = f if isinstance(f, Figure) else Figure(f)
    if f.label:
        return str(f.label)
    if not f.params:
        return ""

    kernel = REGISTRY.get(f.kernel)
    try:
        return kernel.label(f.params) if kernel is not None else ""
    except (KeyError, TypeError, ValueError):
        return ""
