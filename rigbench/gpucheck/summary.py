"""The report of a gpu-check run (``rigbench.gpucheck/1``): the verdict, the headline figures, the one-screen
summary (docs/gpu-check.md describes each block) and the files written."""

from __future__ import annotations

import re
import socket
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rigbench import results
from rigbench.files import write_json_atomic, write_text_atomic
from rigbench.gpucheck.checks import EXPLAINED, FAIL, PASS, SKIP, STATUSES, compare_ratios, model_band
from rigbench.gpucheck.runner import first_gpu, probe_gpus
from rigbench.units import fmt_num

SCHEMA = "rigbench.gpucheck/1"


def verdict(records: list[dict]) -> tuple[str, dict[str, int]]:
    counts = {s: 0 for s in STATUSES}
    for r in records:
        for c in r["checks"]:
            counts[c["status"]] = counts.get(c["status"], 0) + 1
    failed_steps = [r for r in records if r["status"] not in ("ok", "skipped")]
    return ("fail" if counts[FAIL] or counts[SKIP] or failed_steps else "pass"), counts


def card_slug(ctx: dict) -> str:
    """The card's name for file names: its catalog id ('h200-sxm'), else its name in lower case with dashes."""
    g = first_gpu(ctx)
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
    g = first_gpu(ctx)
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
                 "gpus": len(probe_gpus(ctx)) or len(smi), "driver": g.get("driver_version"),
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
        n = {s: sum(1 for x in r["checks"] if x["status"] == s) for s in STATUSES}
        t = f"{r['elapsed_s']:.1f} s" if r.get("elapsed_s") is not None else "-"
        note = f"{n[PASS]}/{n[EXPLAINED]}/{n[FAIL] + n[SKIP]}"
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
    fails = [x for r in report["steps"] for x in r["checks"] if x["status"] in (FAIL, SKIP)]
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


# The report and summary go one folder down: every *.json of the folder itself is a reference run (a
# rigbench.results document) that report, diff and `results list` read, and the report is another kind of document.
REPORT_FOLDER = "gpu-check"


def report_paths(folder: Path, slug: str, started: datetime) -> dict[str, Path]:
    stem = f"{slug}-{started.strftime('%Y-%m-%d')}"
    return {"report": folder / REPORT_FOLDER / f"{stem}.json", "summary": folder / REPORT_FOLDER / f"{stem}.txt",
            "bench-cuda": folder / f"{stem}-cuda.json", "bench-distributed": folder / f"{stem}-distributed.json",
            "bench-cpu": folder / f"{stem}-cpu.json"}


def write_outputs(report: dict, ctx: dict, folder: Path, started: datetime) -> dict[str, Path]:
    """The report (JSON), the summary (text) and each bench step's complete results document, atomically."""
    paths = report_paths(folder, card_slug(ctx), started)
    keep = {k: p for k, p in paths.items() if k in ("report", "summary") or ctx.get(k)}
    paths["report"].parent.mkdir(parents=True, exist_ok=True)
    for key in ("bench-cuda", "bench-distributed", "bench-cpu"):
        if key in keep:
            write_json_atomic(keep[key], ctx[key])
    write_json_atomic(keep["report"], report)
    write_text_atomic(keep["summary"], render_summary(report, {k: str(v) for k, v in keep.items()}) + "\n")
    return keep


def now_utc() -> datetime:
    return datetime.now(timezone.utc)

