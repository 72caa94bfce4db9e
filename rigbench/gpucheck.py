"""The GPU acceptance run behind ``make gpu-check``: every GPU path of rigbench on a real NVIDIA card, checked.

One run, in this order, each step a separate process with its own timeout inside one global time budget:

1. ``nvidia-smi --query-gpu=... --format=csv``: the driver's own view of each GPU (:data:`SMI_FIELDS`);
2. ``rigbench probe --json``: its NVML facts are checked against nvidia-smi's, field by field (:data:`SMI_TO_PROBE`);
3. ``rigbench bench --device cuda:0``: the default suite on the first GPU (every GEMM dtype the card has, conv2d,
   attention, copies, the Numba CUDA triad beside memcopy, training steps in fp32 and amp);
4. ``rigbench bench --distributed``: one rank per GPU over NCCL;
5. ``rigbench recommend`` and ``rigbench compare`` on the results file of step 3: the card's measured training
   throughput against the model's prediction for the same catalog card, as a ratio, held to the model's band;
6. ``rigbench bench --device cpu``: the CPU suite on the machine's cores.

A step that crashes, fails or runs out of time is recorded with what it left (a bench results file is rewritten
after every measurement, so a stopped run keeps its figures) and the run goes on; the steps that need its output
are skipped with the reason. Each check has one of four outcomes: ``pass``, ``explained`` (not a clean figure, but
rigbench says why: a skipped case, an invalid figure with its reasons, a field neither tool can read), ``fail`` and
``skip`` (its input is missing because an earlier step failed, which is itself a failure there). The run passes when
no check and no step failed.

The process boundary is the hardware boundary for tests: :func:`execute` takes the command ``runner`` and an argv
``rewrite`` (the dry run replays recorded outputs through the same runner, timeouts included).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from rigbench import model, results
from rigbench.bench import validity
from rigbench.files import write_json_atomic
from rigbench.units import fmt_num

SCHEMA = "rigbench.gpucheck/1"
DEFAULT_BUDGET_S = 450.0        # the whole run; the make target's 8-minute ceiling minus install and start-up
MIN_STEP_S = 5.0                # a step that would get less than this is skipped ("budget spent")
KILL_GRACE_S = (10.0, 5.0)      # SIGINT -> SIGTERM -> SIGKILL waits: SIGINT lets rigbench write its partial file

# What nvidia-smi is asked, in the order of its CSV columns (``nvidia-smi --help-query-gpu`` lists every field).
SMI_FIELDS = ("index", "name", "uuid", "pci.bus_id", "driver_version", "memory.total", "clocks.max.sm",
              "clocks.max.memory", "power.limit", "enforced.power.limit", "pcie.link.gen.max",
              "pcie.link.width.max", "compute_cap", "mig.mode.current")
_SMI_CORE = ("index", "name", "uuid")   # never dropped when a driver refuses a field
_SMI_NUMERIC = {"index", "memory.total", "clocks.max.sm", "clocks.max.memory", "power.limit", "enforced.power.limit",
                "pcie.link.gen.max", "pcie.link.width.max"}
_SMI_MISSING = re.compile(r"^\[?(n/a|not supported|unknown error|insufficient permissions|requested functionality "
                          r"has been deprecated)\]?$", re.IGNORECASE)

# nvidia-smi field -> (probe GPU key, tolerance, why that tolerance). Both tools read the same NVML calls
# (nvidia-smi's manual: "much of the functionality of NVSMI is provided by the underlying NVML"), so the
# tolerances only absorb nvidia-smi's rounding for display.
SMI_TO_PROBE = {
    "name": ("name", None, "same string"),
    "uuid": ("uuid", None, "same string, case ignored"),
    "pci.bus_id": ("pci_bus_id", None, "same domain:bus:device.function, case and zero padding ignored"),
    "driver_version": ("driver_version", None, "same string"),
    "memory.total": ("memory_total_bytes", 1.0, "nvidia-smi prints whole MiB"),
    "clocks.max.sm": ("max_sm_clock_mhz", 1.0, "whole MHz"),
    "clocks.max.memory": ("max_memory_clock_mhz", 1.0, "whole MHz"),
    "enforced.power.limit": ("power_limit_w", 0.01, "nvidia-smi prints watts with two decimals"),
    "pcie.link.gen.max": ("pcie_generation", 0.0, "an integer"),
    "pcie.link.width.max": ("pcie_width", 0.0, "an integer"),
    "compute_cap": ("compute_capability", None, "same 'major.minor'"),
    "mig.mode.current": ("mig_enabled", None, "Enabled/Disabled against true/false"),
}

# A triad and a copy stream through the same memory: a factor 2 apart means one of the two paths is broken, not
# slow (a gross-error bound, not a precision claim).
TRIAD_COPY_GROSS = 2.0

_OK, _FAIL, _EXPLAINED, _SKIP = "pass", "fail", "explained", "skip"


# ------------------------------------------------------------------------------------------------ nvidia-smi

def smi_command(fields: tuple[str, ...] = SMI_FIELDS) -> list[str]:
    return ["nvidia-smi", f"--query-gpu={','.join(fields)}", "--format=csv"]


def invalid_smi_field(stderr: str, fields: tuple[str, ...]) -> str | None:
    """The field an older driver refused ('Field "compute_cap" is not a valid field to query.'), if that was the error
    and the field may be dropped."""
    m = re.search(r'Field "([^"]+)" is not a valid field', stderr or "")
    if m and m.group(1) in fields and m.group(1) not in _SMI_CORE:
        return m.group(1)
    return None


def _smi_value(name: str, text: str, unit: str | None) -> Any:
    text = text.strip()
    if not text or _SMI_MISSING.match(text):
        return None
    if unit and text.endswith(" " + unit):
        text = text[: -len(unit) - 1].strip()
    if name in _SMI_NUMERIC:
        try:
            return float(text) if "." in text else int(text)
        except ValueError:
            return None
    return text


def smi_retry(argv: list[str], outcome: "Outcome") -> list[str] | None:
    """After an older driver refused a field: the same query without it (None when that was not the error)."""
    fields = tuple(argv[1].split("=", 1)[1].split(","))
    bad = invalid_smi_field(outcome.stderr + outcome.stdout, fields)
    return smi_command(tuple(f for f in fields if f != bad)) if bad else None


def parse_smi_csv(text: str) -> list[dict]:
    """nvidia-smi ``--format=csv`` output -> one dict per GPU keyed by field name ('memory.total': 143771).

    The header names each column and its unit ("memory.total [MiB]"); values carry the unit ("143771 MiB"), which
    is dropped; "[N/A]", "[Not Supported]" and the like become None. Raises ValueError on text that is not that CSV.
    """
    rows = [r for r in csv.reader(io.StringIO(text), skipinitialspace=True) if r and any(c.strip() for c in r)]
    if not rows:
        raise ValueError("nvidia-smi printed nothing")
    header = []
    for col in rows[0]:
        m = re.match(r"^\s*([^\[]+?)\s*(?:\[([^\]]+)\])?\s*$", col)
        if not m:
            raise ValueError(f"unreadable nvidia-smi CSV header column {col!r}")
        header.append((m.group(1), m.group(2)))
    if "name" not in [h for h, _ in header]:
        raise ValueError(f"nvidia-smi CSV header has no 'name' column: {rows[0]}")
    out = []
    for r in rows[1:]:
        if len(r) != len(header):
            raise ValueError(f"nvidia-smi CSV row has {len(r)} columns, the header {len(header)}: {r}")
        out.append({name: _smi_value(name, cell, unit) for (name, unit), cell in zip(header, r)})
    return out


def _norm_uuid(u: str) -> str:
    u = u.strip().lower()
    return u[4:] if u.startswith("gpu-") else u


def _norm_bus(b: str) -> str:
    """'00000000:18:00.0' and '0000:18:00.0' -> '0:18:00.0'."""
    dom, _, rest = b.strip().lower().partition(":")
    try:
        return f"{int(dom, 16):x}:{rest}"
    except ValueError:
        return b.strip().lower()


def _field_matches(smi_field: str, smi_value: Any, probe_value: Any) -> bool:
    key, tol, _ = SMI_TO_PROBE[smi_field]
    if smi_field == "memory.total":
        return abs(probe_value / 2 ** 20 - smi_value) <= tol
    if smi_field == "mig.mode.current":
        return str(smi_value).lower() == ("enabled" if probe_value else "disabled")
    if smi_field == "uuid":
        return _norm_uuid(str(smi_value)) == _norm_uuid(str(probe_value))
    if smi_field == "pci.bus_id":
        return _norm_bus(str(smi_value)) == _norm_bus(str(probe_value))
    if tol is not None:
        return abs(float(probe_value) - float(smi_value)) <= tol
    return str(smi_value).strip() == str(probe_value).strip()


def check_probe_against_smi(probe_gpus: list[dict], smi_rows: list[dict]) -> list[dict]:
    """One check per GPU and field: the probe's NVML fact against nvidia-smi's, within :data:`SMI_TO_PROBE`'s
    tolerance. Both unreadable: explained; one side only: fail (one tool reads what the other missed)."""
    checks = []
    if len(probe_gpus) != len(smi_rows):
        checks.append(_check("probe", "GPU count", _FAIL,
                             f"probe lists {len(probe_gpus)} GPU(s), nvidia-smi {len(smi_rows)}"))
    for row in smi_rows:
        gpu = None
        if row.get("uuid"):
            gpu = next((g for g in probe_gpus if g.get("uuid") and _norm_uuid(g["uuid"]) == _norm_uuid(row["uuid"])),
                       None)
        if gpu is None:
            gpu = next((g for g in probe_gpus if g.get("index") == row.get("index")), None)
        who = f"GPU {row.get('index')}"
        if gpu is None:
            checks.append(_check("probe", f"{who} present", _FAIL,
                                 f"nvidia-smi lists {row.get('name')} ({row.get('uuid')}); the probe does not"))
            continue
        for smi_field, (key, _, why) in SMI_TO_PROBE.items():
            if smi_field not in row:
                continue  # not asked (an older driver refused the field)
            s, p = row[smi_field], gpu.get(key)
            name = f"{who} {smi_field}"
            if s is None and p is None:
                reason = (gpu.get("reasons") or {}).get(key) or "no reason given"
                checks.append(_check("probe", name, _EXPLAINED, f"neither tool reads it here (probe: {reason})"))
            elif s is None or p is None:
                reason = (gpu.get("reasons") or {}).get(key)
                checks.append(_check("probe", name, _FAIL, f"nvidia-smi {s!r}, probe {p!r}"
                                     + (f" ({reason})" if reason else "")))
            elif _field_matches(smi_field, s, p):
                checks.append(_check("probe", name, _OK, f"{s} ({why})"))
            else:
                checks.append(_check("probe", name, _FAIL, f"nvidia-smi {s!r}, probe {p!r} ({why})"))
        if row.get("power.limit") is not None and row.get("enforced.power.limit") is not None \
                and abs(row["power.limit"] - row["enforced.power.limit"]) > 0.01:
            checks.append(_check("probe", f"{who} power limit", _EXPLAINED,
                                 f"software limit {row['power.limit']} W, enforced {row['enforced.power.limit']} W: "
                                 "the probe reports the enforced one"))
        if not gpu.get("catalog_id"):
            checks.append(_check("probe", f"{who} catalog", _EXPLAINED,
                                 f"{gpu.get('name')!r} is not in the GPU catalog: no peaks, so no fraction of peak "
                                 "and no prediction for it"))
    return checks


# ------------------------------------------------------------------------------------------------ bench checks

def _check(step: str, name: str, status: str, detail: str) -> dict:
    return {"step": step, "check": name, "status": status, "detail": detail}


def _who(m: dict) -> str:
    return " ".join(str(x) for x in (m.get("kernel"), m.get("device"), m.get("dtype"), m.get("label") or "") if x)


def check_figures(doc: dict, step: str, device: str | None = None) -> list[dict]:
    """Every figure valid or explained, 0 < fraction of peak <= 1 where there is a peak, none verified wrong."""
    checks = []
    ms = [m for m in results.records(doc) if device is None or m.get("device") == device]
    if not ms:
        return [_check(step, "figures", _FAIL, f"no measurements{f' on {device}' if device else ''}")]
    for m in ms:
        who = _who(m)
        status = m.get("status")
        if status == "skipped":
            checks.append(_check(step, who, _EXPLAINED if m.get("reason") else _FAIL,
                                 f"skipped: {m.get('reason') or 'no reason recorded'}"))
            continue
        if status != "ok":
            checks.append(_check(step, who, _FAIL, f"{status or 'failed'}: {m.get('reason') or 'no reason recorded'}"))
            continue
        value = m.get("value")
        if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            checks.append(_check(step, who, _FAIL, f"status ok but value {value!r}"))
            continue
        frac = m.get("fraction_of_peak")
        if frac is not None and not 0 < frac <= 1:
            checks.append(_check(step, f"{who} fraction of peak", _FAIL,
                                 f"{frac:.3g} of the peak {m.get('peak')} {m.get('unit')} ({m.get('peak_source')}): "
                                 "outside (0, 1]"))
        if m.get("valid"):
            checks.append(_check(step, who, _OK, f"{value:.4g} {m.get('unit')}"
                                 + (f", {frac:.0%} of peak" if frac is not None else "")))
        elif m.get("invalid_reasons"):
            checks.append(_check(step, who, _EXPLAINED, f"{value:.4g} {m.get('unit')} invalid: "
                                 + "; ".join(validity.texts(m["invalid_reasons"]))))
        else:
            checks.append(_check(step, who, _FAIL, "invalid with no reason recorded"))
    return checks


def supported_gemm_dtypes(compute_capability: str | None) -> tuple[str, ...]:
    """The gemm dtypes a card of this compute capability runs natively: float32 always; float16 tensor cores from
    Volta (7.0); tf32 and bfloat16 from Ampere (8.0) (CUDA C++ Programming Guide, compute capabilities table)."""
    try:
        cc = tuple(int(x) for x in str(compute_capability).split(".")[:2])
    except ValueError:
        cc = (0, 0)
    out = ["float32"]
    if cc >= (7, 0):
        out.append("float16")
    if cc >= (8, 0):
        out += ["tf32", "bfloat16"]
    return tuple(out)


def _ok(ms: list[dict], kernel: str, dtype: str | None = None) -> list[dict]:
    return [m for m in ms if m.get("kernel") == kernel and m.get("status") == "ok"
            and (dtype is None or m.get("dtype") == dtype)]


def check_gpu_paths(doc: dict, device: str, compute_capability: str | None) -> list[dict]:
    """The GPU paths the default suite must have exercised on ``device``: each supported gemm dtype, memcopy beside
    the Numba CUDA triad, training in fp32 and amp (GradScaler), and a float64 (or exact) verification recorded."""
    step = "bench-cuda"
    ms = [m for m in results.records(doc) if m.get("device") == device]
    checks = []
    for dt in supported_gemm_dtypes(compute_capability):
        got = _ok(ms, "gemm", dt)
        checks.append(_check(step, f"gemm {dt} ran", _OK if got else _FAIL,
                             f"{len(got)} case(s)" if got else f"no gemm {dt} result on {device} "
                             f"(compute capability {compute_capability} has it)"))
    copy, triad = _ok(ms, "memcopy"), _ok(ms, "stream_triad")
    if copy and triad:
        ratio = triad[0]["value"] / copy[0]["value"]
        ok = 1 / TRIAD_COPY_GROSS <= ratio <= TRIAD_COPY_GROSS
        checks.append(_check(step, "Numba triad vs memcopy", _OK if ok else _FAIL,
                             f"triad {triad[0]['value']:.4g} GB/s / memcopy {copy[0]['value']:.4g} GB/s = {ratio:.2f}"
                             + ("" if ok else f" (more than {TRIAD_COPY_GROSS:g}x apart: one path is broken)")))
    else:
        missing = [k for k, v in (("memcopy", copy), ("stream_triad", triad)) if not v]
        checks.append(_check(step, "Numba triad vs memcopy", _FAIL, f"no {' or '.join(missing)} result on {device}"))
    for kernel in ("train_cnn", "train_transformer"):
        for dt in ("float32", "amp"):
            got = _ok(ms, kernel, dt)
            if not got:
                checks.append(_check(step, f"{kernel} {dt} ran", _FAIL, f"no {kernel} {dt} result on {device}"))
                continue
            info = got[0].get("info") or {}
            err = info.get("grad_rel_err_vs_float64")
            detail = f"{got[0]['value']:.4g} samples/s, gradients {err:.2g} from float64" if err is not None else \
                f"{got[0]['value']:.4g} samples/s"
            if dt == "amp" and not info.get("grad_scaler"):
                checks.append(_check(step, f"{kernel} amp GradScaler", _FAIL, "amp on a GPU ran without GradScaler"))
            checks.append(_check(step, f"{kernel} {dt} ran", _OK, detail))
    wrong = [m for m in ms if "wrong result" in str(m.get("reason") or "")]
    checks.append(_check(step, "results verified", _FAIL if wrong else _OK,
                         f"{len(wrong)} wrong result(s): " + "; ".join(_who(m) for m in wrong[:3]) if wrong else
                         f"{sum(1 for m in ms if m.get('status') == 'ok')} figure(s) passed their kernel's check "
                         "against float64 or an exact reference"))
    return checks


def check_distributed(doc: dict, n_gpus: int) -> list[dict]:
    step = "bench-distributed"
    d = doc.get("distributed") or {}
    checks = [_check(step, "run status", _OK if doc.get("status") == "complete" else _FAIL,
                     f"{doc.get('status')}" + (f": {'; '.join(d.get('reasons') or [])}" if d.get("reasons") else ""))]
    backend = d.get("backend")
    checks.append(_check(step, "backend", _OK if backend == "nccl" else _FAIL, f"{backend} (NCCL expected on GPUs)"))
    world = d.get("world_size")
    checks.append(_check(step, "one rank per GPU", _OK if world == n_gpus else _FAIL,
                         f"{world} rank(s) for {n_gpus} GPU(s)"))
    checks += check_figures(doc, step)
    return checks


def model_band() -> dict[str, dict]:
    """The model's stated error band per precision: the largest |error| of its validation pairs
    (``rigbench.model.validation_table``, docs/model.md "Validation")."""
    out: dict[str, dict] = {}
    for r in model.validation_table():
        e = out.setdefault(r["precision"], {"band": 0.0, "pairs": 0})
        e["band"] = max(e["band"], abs(r["error"]))
        e["pairs"] += 1
    for p, e in out.items():
        e["source"] = f"largest |error| of the model's {e['pairs']} {p} validation pairs (docs/model.md)"
    return out


def compare_ratios(doc: dict) -> list[dict]:
    """From a ``rigbench.compare/1`` document of (catalog card, results file): per workload and precision, the
    measured throughput, the prediction, and measured / predicted."""
    rows = []
    for r in doc.get("workloads") or []:
        src = r.get("source") or {}
        measured = [k for k, v in src.items() if v == "measured"]
        predicted = [k for k, v in src.items() if v == "predicted"]
        row = {"workload": r.get("workload"), "precision": r.get("precision"), "unit": r.get("unit"),
               "measured": None, "predicted": None, "ratio": None}
        if measured and predicted:
            row["measured"] = r["throughput"][measured[0]]
            row["predicted"] = r["throughput"][predicted[0]]
            row["ratio"] = row["measured"] / row["predicted"] if row["predicted"] else None
        rows.append(row)
    return rows


def _train_note(bench: dict | None, workload: str, precision: str) -> str:
    """Why a training figure is missing from compare: what the results file holds for it."""
    dtype = "float32" if precision == "fp32" else "amp"
    ms = [m for m in results.records(bench) if m.get("kernel") == workload
          and m.get("dtype") == dtype and m.get("device") == "cuda:0"]
    if not ms:
        return f"the results file has no {workload} {dtype} on cuda:0"
    m = ms[0]
    if m.get("status") != "ok":
        return f"{workload} {dtype} {m.get('status')}: {m.get('reason')}"
    if not m.get("valid"):
        return f"{workload} {dtype} is present but INVALID ({'; '.join(validity.texts(m.get('invalid_reasons') or []))})"
    return f"{workload} {dtype} ran at other params than the model's workload ({m.get('params')})"


def check_compare(doc: dict, band: dict[str, dict], bench: dict | None = None) -> list[dict]:
    """Measured vs predicted for the same card within the model's band: |predicted - measured| / measured (the
    error as the validation table defines it) at most the band of that precision. ``bench``: the results file
    compare read, to say why a measured figure is missing."""
    checks = []
    rows = compare_ratios(doc)
    if not rows:
        return [_check("compare", "measured vs predicted", _FAIL, "compare returned no workload rows")]
    for r in rows:
        name = f"{r['workload']} {r['precision']} measured vs predicted"
        if r["ratio"] is None:
            checks.append(_check("compare", name, _FAIL, "no measured figure of this card to compare: "
                                 + _train_note(bench, r["workload"], r["precision"])))
            continue
        b = band.get(r["precision"])
        err = (r["predicted"] - r["measured"]) / r["measured"]
        text = (f"measured {r['measured']:.4g} / predicted {r['predicted']:.4g} {r['unit']} = {r['ratio']:.2f}; "
                f"error {err:+.0%}")
        if b is None:
            checks.append(_check("compare", name, _FAIL, f"{text}; the model states no band for {r['precision']}"))
        else:
            inside = abs(err) <= b["band"]
            checks.append(_check("compare", name, _OK if inside else _FAIL,
                                 f"{text} {'within' if inside else 'outside'} ±{b['band']:.0%} ({b['source']})"))
    return checks


def check_recommend(doc: dict) -> list[dict]:
    profiles = doc.get("profiles") or doc.get("verdicts") or []
    ok = bool(doc.get("schema", "").startswith("rigbench.recommend/"))
    return [_check("recommend", "recommend on the run", _OK if ok else _FAIL,
                   f"{doc.get('schema')}, {len(profiles)} profile verdict(s)" if ok else
                   f"not a rigbench.recommend document: {str(doc)[:120]}")]


# ------------------------------------------------------------------------------------------------ running steps

@dataclass
class Outcome:
    """What one command did."""

    returncode: int | None
    stdout: str
    stderr: str
    elapsed_s: float
    timed_out: bool = False
    error: str | None = None        # the command could not start


def _stop(proc: subprocess.Popen) -> None:
    """SIGINT (rigbench writes its partial results and stops its own workers), then SIGTERM, then SIGKILL, to the
    command's whole process group."""
    for sig, wait_s in ((signal.SIGINT, KILL_GRACE_S[0]), (signal.SIGTERM, KILL_GRACE_S[1]), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def run_command(argv: list[str], timeout_s: float, env: dict | None = None, cwd: str | None = None) -> Outcome:
    """Run ``argv`` in a process group of its own, output to files (no pipe can fill), stopped at ``timeout_s``."""
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                    start_new_session=True)
        except OSError as exc:
            return Outcome(None, "", "", time.monotonic() - t0, error=f"{argv[0]}: {exc.strerror or exc}")
        timed_out = False
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            _stop(proc)
        except BaseException:
            _stop(proc)
            raise
        elapsed = time.monotonic() - t0
        out.seek(0)
        err.seek(0)
        return Outcome(proc.returncode, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
                       elapsed, timed_out)


@dataclass
class Step:
    """One command of the run. ``build(ctx, timeout_s)`` returns its argv, or a string: why it cannot run.
    ``out`` is the file it writes (bench); otherwise its stdout is its output. ``check(ctx, doc)`` returns checks."""

    name: str
    timeout_s: float
    build: Callable[[dict, float], list[str] | str]
    what: str
    out: Path | None = None
    check: Callable[[dict, Any], list[dict]] | None = None
    parse: str = "json"          # "json" or "csv"
    ok_codes: tuple[int, ...] = (0,)
    retry: Callable[[list[str], "Outcome"], list[str] | None] | None = None   # a narrower argv after a refusal


def _tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _read_output(step: Step, outcome: Outcome) -> tuple[Any, str | None]:
    if step.out is not None:
        try:
            return json.loads(step.out.read_text(encoding="utf-8")), None
        except FileNotFoundError:
            return None, f"wrote no {step.out.name}"
        except (OSError, ValueError) as exc:
            return None, f"{step.out.name} is unreadable: {exc}"
    if step.parse == "csv":
        try:
            return parse_smi_csv(outcome.stdout), None
        except ValueError as exc:
            return None, f"unreadable nvidia-smi output: {exc}"
    try:
        return json.loads(outcome.stdout), None
    except ValueError as exc:
        return None, f"stdout is not JSON ({exc}): {outcome.stdout.strip()[:120]!r}"


def run_step(step: Step, ctx: dict, timeout_s: float, runner: Callable = run_command,
             rewrite: Callable[[Step, list[str]], list[str]] | None = None, env: dict | None = None) -> dict:
    """Run one step and check its output; never raises except KeyboardInterrupt."""
    rec: dict[str, Any] = {"step": step.name, "what": step.what, "status": "skipped", "command": None, "ran": None,
                           "timeout_s": round(timeout_s, 1), "elapsed_s": None, "returncode": None, "reason": None,
                           "stdout_tail": "", "stderr_tail": "", "checks": []}
    try:
        argv = step.build(ctx, timeout_s)
        if isinstance(argv, str):
            rec["reason"] = argv
            rec["checks"] = [_check(step.name, "step ran", _SKIP, argv)]
            return rec
        rec["command"] = argv
        ran = rewrite(step, argv) if rewrite else argv
        rec["ran"] = ran if ran != argv else None
        if step.out is not None and step.out.exists():
            step.out.unlink()
        t0 = time.monotonic()
        outcome = runner(ran, timeout_s, env)
        while step.retry and outcome.returncode not in step.ok_codes and not outcome.timed_out:
            narrower = step.retry(argv, outcome)
            left = timeout_s - (time.monotonic() - t0)
            if narrower is None or left <= 0:
                break
            rec.setdefault("dropped", []).append(outcome.stderr.strip().splitlines()[-1][:200])
            argv = narrower
            rec["command"] = argv
            ran = rewrite(step, argv) if rewrite else argv
            outcome = runner(ran, left, env)
        outcome.elapsed_s = time.monotonic() - t0
        rec.update(elapsed_s=round(outcome.elapsed_s, 2), returncode=outcome.returncode,
                   stdout_tail=_tail(outcome.stdout), stderr_tail=_tail(outcome.stderr))
        if outcome.error:
            rec.update(status="failed", reason=outcome.error)
        elif outcome.timed_out:
            rec.update(status="timeout", reason=f"stopped at its {timeout_s:.0f} s limit")
        elif outcome.returncode not in step.ok_codes:
            rec.update(status="failed", reason=f"exit code {outcome.returncode}: "
                       f"{_tail(outcome.stderr, 2) or _tail(outcome.stdout, 2) or 'no output'}")
        else:
            rec["status"] = "ok"
        doc, why = _read_output(step, outcome) if not outcome.error else (None, outcome.error)
        if doc is None:
            if rec["status"] == "ok":
                rec.update(status="failed", reason=why)
            rec["checks"] = [_check(step.name, "step ran", _FAIL, rec["reason"] or why or "no output")]
            return rec
        ctx[step.name] = doc
        if rec["status"] != "ok":
            rec["checks"].append(_check(step.name, "step ran", _FAIL, f"{rec['reason']} (its partial output is "
                                        "checked below)"))
        if step.check is not None:
            rec["checks"] += step.check(ctx, doc)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - a crash inside one step's checks must not lose the others
        rec.update(status="crashed", reason=f"{type(exc).__name__}: {exc}")
        rec["checks"].append(_check(step.name, "step ran", _FAIL, f"gpu-check crashed here: {rec['reason']}"))
    return rec


# ------------------------------------------------------------------------------------------------ the plan

def _probe_gpus(ctx: dict) -> list[dict]:
    return list(((ctx.get("probe") or {}).get("gpus")) or [])


def _first_gpu(ctx: dict) -> dict:
    gpus = _probe_gpus(ctx)
    return gpus[0] if gpus else {}


_PACKAGES_CODE = ("import importlib.metadata as m, json, sys\n"
                  "def v(d):\n"
                  "    try:\n"
                  "        return m.version(d)\n"
                  "    except m.PackageNotFoundError:\n"
                  "        return None\n"
                  "print(json.dumps({d: v(d) for d in sys.argv[1:]}))")


def requirement_names(lines: list[str]) -> list[str]:
    """Distribution names of requirement lines ('torch>=2.1' -> 'torch'; markers and extras dropped)."""
    out = []
    for line in lines:
        m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line.split(";")[0])
        if m:
            out.append(m.group(1))
    return out


def check_packages(found: dict) -> list[dict]:
    """Every distribution rigbench requires is installed in the interpreter the steps run on."""
    missing = sorted(d for d, v in found.items() if v is None)
    present = ", ".join(f"{d} {v}" for d, v in found.items() if v is not None)
    if missing:
        return [_check("packages", "rigbench's requirements", _FAIL,
                       f"missing here: {', '.join(missing)} (the steps that import them fail); present: {present}")]
    return [_check("packages", "rigbench's requirements", _OK, present)]


def plan(work: Path, python: list[str], *, cpu_suite: bool = True, requirements: list[str] | None = None) -> list[Step]:
    """The steps of one run; ``python`` is the command that runs rigbench ([sys.executable, '-m', 'rigbench']), its
    first item the interpreter; ``requirements``: distribution names checked first (setup.cfg's install_requires)."""
    rb = list(python)
    bench_cuda, bench_dist, bench_cpu = work / "bench-cuda.json", work / "bench-distributed.json", work / "bench-cpu.json"

    def need(*names):
        def deco(fn):
            def build(ctx, timeout_s):
                missing = [n for n in names if n not in ctx]
                if missing:
                    return f"needs the output of {', '.join(missing)}, which did not come"
                return fn(ctx, timeout_s)
            return build
        return deco

    def smi_check(ctx, rows):
        if not rows:
            return [_check("nvidia-smi", "GPUs listed", _FAIL, "nvidia-smi lists no GPU")]
        return [_check("nvidia-smi", "GPUs listed", _OK,
                       "; ".join(f"{r.get('index')}: {r.get('name')}" for r in rows))]

    def probe_check(ctx, doc):
        if doc.get("gpu_error"):
            return [_check("probe", "NVML", _FAIL, doc["gpu_error"])]
        if "nvidia-smi" not in ctx:
            return [_check("probe", "NVML facts vs nvidia-smi", _SKIP, "no nvidia-smi output to hold them against")]
        return check_probe_against_smi(_probe_gpus(ctx), ctx["nvidia-smi"])

    @need("probe")
    def build_bench_cuda(ctx, timeout_s):
        if not _probe_gpus(ctx):
            return "the probe found no NVIDIA GPU"
        return [*rb, "bench", "--device", "cuda:0", "--out", str(bench_cuda)]

    def bench_cuda_check(ctx, doc):
        cc = _first_gpu(ctx).get("compute_capability")
        return check_figures(doc, "bench-cuda", "cuda:0") + check_gpu_paths(doc, "cuda:0", cc)

    @need("probe")
    def build_dist(ctx, timeout_s):
        n = len(_probe_gpus(ctx))
        if not n:
            return "the probe found no NVIDIA GPU"
        inner = max(MIN_STEP_S, timeout_s - sum(KILL_GRACE_S) - 10)  # rigbench's own timeout stops its workers first
        return [*rb, "bench", "--distributed", "--nproc", str(n), "--timeout", f"{inner:.0f}", "--out", str(bench_dist)]

    @need("bench-cuda")
    def build_recommend(ctx, timeout_s):
        return [*rb, "recommend", str(bench_cuda), "--json"]

    @need("probe", "bench-cuda")
    def build_compare(ctx, timeout_s):
        cid = _first_gpu(ctx).get("catalog_id")
        if not cid:
            return f"{_first_gpu(ctx).get('name')!r} is not in the GPU catalog: the model has no prediction for it"
        return [*rb, "compare", cid, str(bench_cuda), "--device", "cuda:0", "--workload", "train_cnn",
                "--workload", "train_transformer", "--json"]

    steps = [Step("packages", 30, lambda ctx, t: [rb[0], "-c", _PACKAGES_CODE, *requirements],
                  "rigbench's requirements in this python", check=lambda ctx, doc: check_packages(doc))] \
        if requirements else []
    steps += [
        Step("nvidia-smi", 30, lambda ctx, t: smi_command(), "the driver's view of each GPU", parse="csv",
             check=smi_check, retry=smi_retry),
        Step("probe", 60, lambda ctx, t: [*rb, "probe", "--json"], "rigbench probe: NVML facts vs nvidia-smi",
             check=probe_check),
        Step("bench-cuda", 240, build_bench_cuda, "default suite on cuda:0 (gemm dtypes, conv2d, attention, copies, "
             "Numba triad, training fp32/amp)", out=bench_cuda, check=bench_cuda_check, ok_codes=(0, 130)),
        Step("bench-distributed", 110, build_dist, "bench --distributed, one rank per GPU (NCCL)", out=bench_dist,
             check=lambda ctx, doc: check_distributed(doc, len(_probe_gpus(ctx))), ok_codes=(0, 1, 130)),
        Step("recommend", 60, build_recommend, "recommend on the cuda:0 results", check=lambda ctx, doc:
             check_recommend(doc)),
        Step("compare", 60, build_compare, "compare: measured training throughput vs the model's prediction",
             check=lambda ctx, doc: check_compare(doc, model_band(), ctx.get("bench-cuda"))),
    ]
    if cpu_suite:
        steps.append(Step("bench-cpu", 200, lambda ctx, t: [*rb, "bench", "--device", "cpu", "--out", str(bench_cpu)],
                          "default suite on the CPU's cores", out=bench_cpu,
                          check=lambda ctx, doc: check_figures(doc, "bench-cpu", "cpu"), ok_codes=(0, 130)))
    return steps


def execute(steps: list[Step], *, budget_s: float = DEFAULT_BUDGET_S, runner: Callable = run_command,
            rewrite: Callable | None = None, env: dict | None = None,
            on_step: Callable[[dict, list[dict], dict], None] | None = None,
            clock: Callable[[], float] = time.monotonic) -> tuple[list[dict], dict]:
    """Run the steps in order inside ``budget_s``; returns (step records, context of parsed outputs).
    ``on_step(record, records so far, context)`` is called after each step (the caller writes a progress file and
    prints a line)."""
    deadline = clock() + budget_s
    ctx: dict = {}
    records = []
    for step in steps:
        left = deadline - clock()
        if left < MIN_STEP_S:
            why = f"the run's {budget_s:.0f} s budget is spent ({max(left, 0):.0f} s left)"
            rec = {"step": step.name, "what": step.what, "status": "skipped", "command": None, "ran": None,
                   "timeout_s": 0, "elapsed_s": None, "returncode": None, "reason": why, "stdout_tail": "",
                   "stderr_tail": "", "checks": [_check(step.name, "step ran", _FAIL, why)]}
        else:
            rec = run_step(step, ctx, min(step.timeout_s, left), runner=runner, rewrite=rewrite, env=env)
        records.append(rec)
        if on_step:
            on_step(rec, records, ctx)
    return records, ctx


# ------------------------------------------------------------------------------------------------ the report

def verdict(records: list[dict]) -> tuple[str, dict[str, int]]:
    counts = {s: 0 for s in (_OK, _EXPLAINED, _FAIL, _SKIP)}
    for r in records:
        for c in r["checks"]:
            counts[c["status"]] = counts.get(c["status"], 0) + 1
    failed_steps = [r for r in records if r["status"] not in ("ok", "skipped")]
    return ("fail" if counts[_FAIL] or counts[_SKIP] or failed_steps else "pass"), counts


def card_slug(ctx: dict) -> str:
    """The card's name for file names: its catalog id ('h200-sxm'), else its name in lower case with dashes."""
    g = _first_gpu(ctx)
    if g.get("catalog_id"):
        return str(g["catalog_id"])
    rows = ctx.get("nvidia-smi") or []
    name = g.get("name") or (rows[0].get("name") if rows else None) or "no-gpu"
    return re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-") or "gpu"


def key_figures(ctx: dict) -> list[dict]:
    """The headline figures of the run, for the summary: per gemm dtype its largest case, memcopy, triad, transfer,
    the training steps with their predictions, the distributed run, the CPU's fp32 gemm."""
    rows = []

    def best(ms, kernel, dtype=None):
        got = [m for m in ms if m.get("kernel") == kernel and m.get("status") == "ok"
               and (dtype is None or m.get("dtype") == dtype)]
        return max(got, key=lambda m: m.get("value") or 0) if got else None

    cuda = [m for m in results.records(ctx.get("bench-cuda")) if m.get("device") == "cuda:0"]
    order = [("gemm", d) for d in ("float32", "tf32", "float16", "bfloat16")] + \
            [("conv2d", None), ("attention", None), ("memcopy", None), ("stream_triad", None), ("h2d", None),
             ("d2h", None)]
    for kernel, dt in order:
        m = best(cuda, kernel, dt)
        if m:
            rows.append({"device": "cuda:0", "what": f"{kernel} {m.get('dtype')} {m.get('label') or ''}".strip(),
                         "value": m["value"], "unit": m["unit"], "fraction_of_peak": m.get("fraction_of_peak"),
                         "valid": m.get("valid")})
    ratios = {(r["workload"], r["precision"]): r for r in compare_ratios(ctx.get("compare") or {})}
    for kernel in ("train_cnn", "train_transformer"):
        for dt, prec in (("float32", "fp32"), ("amp", "amp")):
            m = best(cuda, kernel, dt)
            if m:
                r = ratios.get((kernel, prec)) or {}
                rows.append({"device": "cuda:0", "what": f"{kernel} {dt}", "value": m["value"], "unit": m["unit"],
                             "fraction_of_peak": None, "valid": m.get("valid"), "predicted": r.get("predicted"),
                             "ratio": r.get("ratio")})
    dist = ctx.get("bench-distributed") or {}
    for m in results.records(dist):
        if m.get("status") == "ok" and m.get("kernel") == "ddp_train":
            rows.append({"device": m.get("device"), "what": f"ddp_train {m.get('label') or ''}".strip(),
                         "value": m["value"], "unit": m["unit"], "fraction_of_peak": None, "valid": m.get("valid")})
    cpu = [m for m in results.records(ctx.get("bench-cpu")) if m.get("device") == "cpu"]
    for kernel, dt in (("gemm", "float32"), ("memcopy", None), ("train_cnn", "float32")):
        m = best(cpu, kernel, dt)
        if m:
            rows.append({"device": "cpu", "what": f"{kernel} {m.get('dtype')} {m.get('label') or ''}".strip(),
                         "value": m["value"], "unit": m["unit"], "fraction_of_peak": m.get("fraction_of_peak"),
                         "valid": m.get("valid")})
    return rows


def build_report(records: list[dict], ctx: dict, *, dry_run: bool, budget_s: float, elapsed_s: float,
                 started: datetime, complete: bool = True) -> dict:
    status, counts = verdict(records)
    g = _first_gpu(ctx)
    smi = ctx.get("nvidia-smi") or []
    bench = ctx.get("bench-cuda") or {}
    sw = ((ctx.get("probe") or {}).get("software")) or {}
    return {
        "schema": SCHEMA,
        "status": status if complete else "running",
        "dry_run": dry_run,
        "created_utc": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "host": socket.gethostname(),
        "card": {"name": g.get("name") or (smi[0].get("name") if smi else None), "catalog_id": g.get("catalog_id"),
                 "gpus": len(_probe_gpus(ctx)) or len(smi), "driver": g.get("driver_version"),
                 "cuda_driver": g.get("cuda_driver_version"), "compute_capability": g.get("compute_capability")},
        "software": {"python": sys.version.split()[0], "torch": sw.get("torch") if isinstance(sw, dict) else None,
                     "rigbench": (bench.get("rigbench_version"))},
        "budget_s": budget_s,
        "elapsed_s": round(elapsed_s, 1),
        "counts": counts,
        "steps": records,
        "figures": key_figures(ctx),
        "band": model_band(),
        "nvidia_smi": smi,
        "outputs": {k: v for k, v in ctx.items() if k in ("probe", "recommend", "compare")},
    }


def _fmt(v: Any) -> str:
    return fmt_num(v) if isinstance(v, (int, float)) else "-"


def render_summary(report: dict, paths: dict[str, str] | None = None, max_failures: int = 8) -> str:
    """The one-screen summary (docs/gpu-check.md describes each block)."""
    c, counts = report["card"], report["counts"]
    lines = []
    head = (f"rigbench gpu-check: {report['status'].upper()} on {c.get('name') or 'no GPU'}"
            f"{' (' + c['catalog_id'] + ')' if c.get('catalog_id') else ''}, driver {c.get('driver') or '-'}, "
            f"torch {report['software'].get('torch') or '-'}")
    lines.append(head)
    if report["dry_run"]:
        lines.append("DRY RUN: no GPU used; each step replayed a recorded test double (its figures are not "
                     "measurements); the commands a GPU run makes are in the report (steps[].command).")
    lines.append(f"{report['created_utc']}  host {report['host']}  {report['elapsed_s']:.0f} s of a "
                 f"{report['budget_s']:.0f} s budget  checks: {counts['pass']} pass, {counts['explained']} explained, "
                 f"{counts['fail']} fail, {counts['skip']} skipped")
    lines.append("")
    lines.append(f"{'step':<18}{'status':<9}{'time':>8}  checks (pass/explained/fail)")
    for r in report["steps"]:
        n = {s: sum(1 for x in r["checks"] if x["status"] == s) for s in (_OK, _EXPLAINED, _FAIL, _SKIP)}
        t = f"{r['elapsed_s']:.1f} s" if r.get("elapsed_s") is not None else "-"
        note = f"{n[_OK]}/{n[_EXPLAINED]}/{n[_FAIL] + n[_SKIP]}"
        if r["status"] != "ok" and r.get("reason"):
            note += f"  {r['reason']}"
        lines.append(f"{r['step']:<18}{r['status']:<9}{t:>8}  {note}"[:110])
    if report["figures"]:
        lines.append("")
        lines.append(f"{'device':<8}{'figure':<38}{'value':>19}{'of peak':>8}  note")
        for f in report["figures"]:
            frac = f"{f['fraction_of_peak']:.0%}" if f.get("fraction_of_peak") is not None else "-"
            notes = [] if f.get("valid") else ["INVALID"]
            if f.get("ratio") is not None:
                notes.append(f"predicted {_fmt(f['predicted'])}: x{f['ratio']:.2f}")
            lines.append(f"{f['device']:<8}{f['what'][:37]:<38}{_fmt(f['value']) + ' ' + f['unit']:>19}{frac:>8}  "
                         f"{' '.join(notes)}".rstrip())
    band = report.get("band") or {}
    if band:
        lines.append("model band: " + ", ".join(f"{p} ±{b['band']:.0%}" for p, b in band.items())
                     + " (largest validation error per precision, docs/model.md)")
    fails = [x for r in report["steps"] for x in r["checks"] if x["status"] in (_FAIL, _SKIP)]
    if fails:
        lines.append("")
        lines.append(f"failures ({len(fails)}; all checks in the JSON):")
        for x in fails[:max_failures]:
            lines.append(f"  [{x['step']}] {x['check']}: {x['detail']}"[:200])
        if len(fails) > max_failures:
            lines.append(f"  ... {len(fails) - max_failures} more")
    if paths:
        lines.append("")
        lines.extend(f"{k}: {v}" for k, v in paths.items())
    return "\n".join(lines)


def report_paths(folder: Path, slug: str, started: datetime) -> dict[str, Path]:
    stem = f"{slug}-{started.strftime('%Y-%m-%d')}"
    return {"report": folder / f"{stem}.json", "summary": folder / f"{stem}.txt",
            "bench-cuda": folder / f"{stem}-cuda.json", "bench-distributed": folder / f"{stem}-distributed.json",
            "bench-cpu": folder / f"{stem}-cpu.json"}


def write_outputs(report: dict, ctx: dict, folder: Path, started: datetime) -> dict[str, Path]:
    """The report (JSON), the summary (text) and each bench step's complete results document, atomically."""
    paths = report_paths(folder, card_slug(ctx), started)
    keep = {k: p for k, p in paths.items() if k in ("report", "summary") or ctx.get(k)}
    for key in ("bench-cuda", "bench-distributed", "bench-cpu"):
        if key in keep:
            write_json_atomic(keep[key], ctx[key])
    write_json_atomic(keep["report"], report)
    text = render_summary(report, {k: str(v) for k, v in keep.items()}) + "\n"
    tmp = keep["summary"].with_name(f".{keep['summary'].name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, keep["summary"])
    return keep


def now_utc() -> datetime:
    return datetime.now(timezone.utc)

