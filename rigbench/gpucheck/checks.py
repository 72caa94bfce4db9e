"""Every check of gpu-check: each step's output held to what it must show, as check records.

A check is ``{"step", "check", "status", "detail"}`` with one of four statuses: ``pass``, ``explained`` (not a clean
figure, but rigbench says why), ``fail`` and ``skip`` (its input is missing because an earlier step failed, which
is itself a failure there).
"""

from __future__ import annotations

import math
from typing import Any
from xml.etree import ElementTree

from rigbench import model, results, validity

PASS, FAIL, EXPLAINED, SKIP = "pass", "fail", "explained", "skip"
STATUSES = (PASS, EXPLAINED, FAIL, SKIP)


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



def make_check(step: str, name: str, status: str, detail: str) -> dict:
    return {"step": step, "check": name, "status": status, "detail": detail}


def _who(m: dict) -> str:
    return " ".join(str(x) for x in (m.get("kernel"), m.get("device"), m.get("dtype"), m.get("label") or "") if x)


def check_figures(doc: dict, step: str, device: str | None = None) -> list[dict]:
    """Every figure valid or explained, 0 < fraction of peak <= 1 where there is a peak, none verified wrong."""
    checks = []
    ms = [m for m in results.records(doc) if device is None or m.get("device") == device]
    if not ms:
        return [make_check(step, "figures", FAIL, f"no measurements{f' on {device}' if device else ''}")]
    for m in ms:
        who = _who(m)
        status = m.get("status")
        if status == "skipped":
            checks.append(make_check(step, who, EXPLAINED if m.get("reason") else FAIL,
                                 f"skipped: {m.get('reason') or 'no reason recorded'}"))
            continue
        if status != "ok":
            checks.append(make_check(step, who, FAIL, f"{status or 'failed'}: {m.get('reason') or 'no reason recorded'}"))
            continue
        value = m.get("value")
        if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            checks.append(make_check(step, who, FAIL, f"status ok but value {value!r}"))
            continue
        frac = m.get("fraction_of_peak")
        info = m.get("info") or {}
        if frac is not None and 1 < frac <= (info.get("above_peak_bound") or 1):
            # the kernel says why its counted work can exceed the work done (a Winograd convolution)
            checks.append(make_check(step, f"{who} fraction of peak", EXPLAINED,
                                     f"{frac:.3g} of the peak: {info.get('above_peak_note')}"))
        elif frac is not None and not 0 < frac <= 1:
            checks.append(make_check(step, f"{who} fraction of peak", FAIL,
                                 f"{frac:.3g} of the peak {m.get('peak')} {m.get('unit')} ({m.get('peak_source')}): "
                                 "outside (0, 1]"))
        if m.get("valid"):
            checks.append(make_check(step, who, PASS, f"{value:.4g} {m.get('unit')}"
                                 + (f", {frac:.0%} of peak" if frac is not None else "")))
        elif m.get("invalid_reasons"):
            checks.append(make_check(step, who, EXPLAINED, f"{value:.4g} {m.get('unit')} invalid: "
                                 + "; ".join(validity.texts(m["invalid_reasons"]))))
        else:
            checks.append(make_check(step, who, FAIL, "invalid with no reason recorded"))
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
        checks.append(make_check(step, f"gemm {dt} ran", PASS if got else FAIL,
                             f"{len(got)} case(s)" if got else f"no gemm {dt} result on {device} "
                             f"(compute capability {compute_capability} has it)"))
    copy, triad = _ok(ms, "memcopy"), _ok(ms, "stream_triad")
    if copy and triad:
        ratio = triad[0]["value"] / copy[0]["value"]
        ok = 1 / TRIAD_COPY_GROSS <= ratio <= TRIAD_COPY_GROSS
        checks.append(make_check(step, "Numba triad vs memcopy", PASS if ok else FAIL,
                             f"triad {triad[0]['value']:.4g} GB/s / memcopy {copy[0]['value']:.4g} GB/s = {ratio:.2f}"
                             + ("" if ok else f" (more than {TRIAD_COPY_GROSS:g}x apart: one path is broken)")))
    else:
        missing = [k for k, v in (("memcopy", copy), ("stream_triad", triad)) if not v]
        checks.append(make_check(step, "Numba triad vs memcopy", FAIL, f"no {' or '.join(missing)} result on {device}"))
    for kernel in ("train_cnn", "train_transformer"):
        for dt in ("float32", "amp"):
            got = _ok(ms, kernel, dt)
            if not got:
                checks.append(make_check(step, f"{kernel} {dt} ran", FAIL, f"no {kernel} {dt} result on {device}"))
                continue
            info = got[0].get("info") or {}
            err = info.get("grad_rel_err_vs_float64")
            detail = f"{got[0]['value']:.4g} samples/s, gradients {err:.2g} from float64" if err is not None else \
                f"{got[0]['value']:.4g} samples/s"
            if dt == "amp" and not info.get("grad_scaler"):
                checks.append(make_check(step, f"{kernel} amp GradScaler", FAIL, "amp on a GPU ran without GradScaler"))
            checks.append(make_check(step, f"{kernel} {dt} ran", PASS, detail))
    wrong = [m for m in ms if "wrong result" in str(m.get("reason") or "")]
    checks.append(make_check(step, "results verified", FAIL if wrong else PASS,
                         f"{len(wrong)} wrong result(s): " + "; ".join(_who(m) for m in wrong[:3]) if wrong else
                         f"{sum(1 for m in ms if m.get('status') == 'ok')} figure(s) passed their kernel's check "
                         "against float64 or an exact reference"))
    return checks


def check_distributed(doc: dict, n_gpus: int) -> list[dict]:
    step = "bench-distributed"
    d = doc.get("distributed") or {}
    checks = [make_check(step, "run status", PASS if doc.get("status") == "complete" else FAIL,
                     f"{doc.get('status')}" + (f": {'; '.join(d.get('reasons') or [])}" if d.get("reasons") else ""))]
    backend = d.get("backend")
    checks.append(make_check(step, "backend", PASS if backend == "nccl" else FAIL, f"{backend} (NCCL expected on GPUs)"))
    world = d.get("world_size")
    checks.append(make_check(step, "one rank per GPU", PASS if world == n_gpus else FAIL,
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
        return [make_check("compare", "measured vs predicted", FAIL, "compare returned no workload rows")]
    for r in rows:
        name = f"{r['workload']} {r['precision']} measured vs predicted"
        if r["ratio"] is None:
            checks.append(make_check("compare", name, FAIL, "no measured figure of this card to compare: "
                                 + _train_note(bench, r["workload"], r["precision"])))
            continue
        b = band.get(r["precision"])
        err = (r["predicted"] - r["measured"]) / r["measured"]
        text = (f"measured {r['measured']:.4g} / predicted {r['predicted']:.4g} {r['unit']} = {r['ratio']:.2f}; "
                f"error {err:+.0%}")
        if b is None:
            checks.append(make_check("compare", name, FAIL, f"{text}; the model states no band for {r['precision']}"))
        else:
            inside = abs(err) <= b["band"]
            checks.append(make_check("compare", name, PASS if inside else FAIL,
                                 f"{text} {'within' if inside else 'outside'} ±{b['band']:.0%} ({b['source']})"))
    return checks


def check_recommend(doc: dict) -> list[dict]:
    profiles = doc.get("profiles") or doc.get("verdicts") or []
    ok = bool(doc.get("schema", "").startswith("rigbench.recommend/"))
    return [make_check("recommend", "recommend on the run", PASS if ok else FAIL,
                   f"{doc.get('schema')}, {len(profiles)} profile verdict(s)" if ok else
                   f"not a rigbench.recommend document: {str(doc)[:120]}")]



def check_packages(found: dict) -> list[dict]:
    """Every distribution rigbench requires is installed in the interpreter the steps run on."""
    missing = sorted(d for d, v in found.items() if v is None)
    present = ", ".join(f"{d} {v}" for d, v in found.items() if v is not None)
    if missing:
        return [make_check("packages", "rigbench's requirements", FAIL,
                       f"missing here: {', '.join(missing)} (the steps that import them fail); present: {present}")]
    return [make_check("packages", "rigbench's requirements", PASS, present)]



def parse_junit(text: str) -> dict:
    """pytest's ``--junitxml`` report -> {"passed": [...], "failed": [(test, message)], "skipped": [(test, reason)]}:
    each test case by its ``classname::name``. A report that is not XML is a ValueError."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise ValueError(f"not a JUnit XML report: {exc}") from None
    out: dict[str, list] = {"passed": [], "failed": [], "skipped": []}
    for case in root.iter("testcase"):
        who = f"{case.get('classname', '')}::{case.get('name', '')}"
        bad = next((e for e in (case.find("failure"), case.find("error")) if e is not None), None)
        skip = case.find("skipped")
        if bad is not None:
            out["failed"].append((who, (bad.get("message") or "").strip()))
        elif skip is not None:
            out["skipped"].append((who, (skip.get("message") or "").strip()))
        else:
            out["passed"].append(who)
    return out


def check_tests(doc: dict) -> list[dict]:
    """The GPU tests of the repository on this machine: each failure fails, each skip is explained by its reason."""
    if not any(doc.values()):
        return [make_check("tests-gpu", "tests ran", FAIL, "the report lists no test")]
    checks = [make_check("tests-gpu", who, FAIL, message[:300]) for who, message in doc["failed"]]
    checks += [make_check("tests-gpu", who, EXPLAINED, f"skipped: {reason[:300]}") for who, reason in doc["skipped"]]
    if doc["passed"]:
        checks.append(make_check("tests-gpu", "tests passed", PASS, f"{len(doc['passed'])} passed"))
    return checks


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
        checks.append(make_check("probe", "GPU count", FAIL,
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
            checks.append(make_check("probe", f"{who} present", FAIL,
                                 f"nvidia-smi lists {row.get('name')} ({row.get('uuid')}); the probe does not"))
            continue
        for smi_field, (key, _, why) in SMI_TO_PROBE.items():
            if smi_field not in row:
                continue  # not asked (an older driver refused the field)
            s, p = row[smi_field], gpu.get(key)
            name = f"{who} {smi_field}"
            if s is None and p is None:
                reason = (gpu.get("reasons") or {}).get(key) or "no reason given"
                checks.append(make_check("probe", name, EXPLAINED, f"neither tool reads it here (probe: {reason})"))
            elif s is None or p is None:
                reason = (gpu.get("reasons") or {}).get(key)
                checks.append(make_check("probe", name, FAIL, f"nvidia-smi {s!r}, probe {p!r}"
                                     + (f" ({reason})" if reason else "")))
            elif _field_matches(smi_field, s, p):
                checks.append(make_check("probe", name, PASS, f"{s} ({why})"))
            else:
                checks.append(make_check("probe", name, FAIL, f"nvidia-smi {s!r}, probe {p!r} ({why})"))
        if row.get("power.limit") is not None and row.get("enforced.power.limit") is not None \
                and abs(row["power.limit"] - row["enforced.power.limit"]) > 0.01:
            checks.append(make_check("probe", f"{who} power limit", EXPLAINED,
                                 f"software limit {row['power.limit']} W, enforced {row['enforced.power.limit']} W: "
                                 "the probe reports the enforced one"))
        if not gpu.get("catalog_id"):
            checks.append(make_check("probe", f"{who} catalog", EXPLAINED,
                                 f"{gpu.get('name')!r} is not in the GPU catalog: no peaks, so no fraction of peak "
                                 "and no prediction for it"))
    return checks

