"""A device's capability from a results file (a ``rigbench bench`` run on it): docs/model.md, "Measured capability".

Only valid figures of the device asked for are used (:class:`rigbench.results.Results`); a card the catalog knows
starts from its catalog capability and is corrected by what was measured, an unknown card is built from its
measured gemm and memcopy rates.
"""

from __future__ import annotations

import statistics
from typing import Any

from rigbench import catalog, results
from rigbench.units import fmt_num
from rigbench.errors import UserError
from rigbench.model.capability import Capability, capability_from_gpu
from rigbench.model.demand import PRECISIONS, demand, load_workloads_profile
from rigbench.model.efficiency import compute_factor, fp32_is_tf32, gemm_reference, peak_tflops
from rigbench.model.roofline import efficiency_for

# results-file dtypes -> model precision
_DTYPE_PRECISION = {"float32": "fp32", "fp32": "fp32", "tf32": "fp32", "float16": "amp", "fp16": "amp",
                    "bfloat16": "amp", "bf16": "amp", "amp": "amp"}


def gemm_dtypes(gpu, precision: str) -> tuple[str, ...]:
    """The gemm dtypes, in order of preference, that measure what the model's ``precision`` means on ``gpu``.

    fp32: ``tf32`` where the model's fp32 is TF32 tensor cores, ``float32`` elsewhere (never both: they are up to
    8x apart on an A100). amp: ``float16`` (the model's amp is FP16 tensor cores with FP32 accumulate, what the
    NGC ResNet-50 AMP runs it was fitted on use); ``bfloat16`` only when float16 was not measured and the card's
    spec sheet gives BF16 the FP16 tensor rate. ``gpu`` None (not in the catalog): tf32 if measured, else float32;
    float16, else bfloat16.
    """
    if precision == "fp32":
        if gpu is None:
            return ("tf32", "float32")
        return ("tf32",) if fp32_is_tf32(gpu) else ("float32",)
    if gpu is None or (gpu.bf16_tensor_tflops and gpu.bf16_tensor_tflops == gpu.fp16_tensor_tflops):
        return ("float16", "bfloat16")
    return ("float16",)


def _gemm_rate(ms: list[dict], dtypes: tuple[str, ...]) -> tuple[float, str] | None:
    """(TFLOP/s, dtype): the first dtype in ``dtypes`` that has valid gemm results; of its cases the largest
    (m x n x k: the size nearest the card's peak), the median over that case's results (several workers)."""
    for dt in dtypes:
        rows = [m for m in ms if m.get("kernel") == "gemm" and str(m.get("dtype")) == dt]
        if not rows:
            continue

        def size(m):
            p = m.get("params") or {}
            try:
                return float(p.get("m", 0)) * float(p.get("n", 0)) * float(p.get("k", 0))
            except (TypeError, ValueError):
                return 0.0

        biggest = max(size(m) for m in rows)
        return statistics.median(m["value"] for m in rows if size(m) == biggest), dt
    return None


def suite_config(workload_id: str) -> dict | None:
    """The ``params`` a ``train_cnn`` / ``train_transformer`` measurement carries when it ran the model this
    workload's demand is counted for (``profiles/workloads.toml``); None for workloads the suite does not run."""
    spec = load_workloads_profile()["workloads"].get(workload_id)
    if workload_id == "train_cnn" and spec:
        blocks = set(spec["blocks"])
        return {"image": spec["image"], "channels": list(spec["widths"]),
                "blocks": blocks.pop() if len(blocks) == 1 else list(spec["blocks"]), "classes": spec["classes"]}
    if workload_id == "train_transformer" and spec:
        return {"layers": spec["layers"], "d_model": spec["hidden"], "heads": spec["heads"], "seq": spec["seq"],
                "vocab": spec["vocab"]}
    return None


def _same_model(params: Any, want: dict) -> bool:
    if not isinstance(params, dict):
        return False
    norm = (lambda v: list(v) if isinstance(v, (list, tuple)) else v)
    return all(norm(params.get(k)) == norm(v) for k, v in want.items())


def _probed_gpu(view: results.Results, device: str):
    """The catalog card the probe names for ``device`` (its catalog_id, else its name), or None."""
    pg = view.device_measured(device) or {}
    gpu = catalog.find(pg["catalog_id"]) if pg.get("catalog_id") else None
    if gpu is None and pg.get("name"):
        gpu = catalog.find(pg["name"])
    return gpu


def figures_read(doc: "dict | results.Results", device: str, workload_id: str, precision: str
                 ) -> list[results.Figure]:
    """The measured figures of ``device``, valid or not, that :func:`capability_from_results` reads for a prediction
    of ``workload_id`` in ``precision``: the gemm of the dtypes that measure that precision on the card the probe
    names (:func:`gemm_dtypes`), memcopy, and the workload's own training run in that precision when it is one the
    suite runs and its ``params`` are the workload's model (:func:`suite_config`). Those that are not valid are what
    such a prediction leaves out."""
    view = results.Results.of(doc)
    gpu = _probed_gpu(view, device)
    want = suite_config(workload_id) if workload_id in ("train_cnn", "train_transformer") else None
    out = []
    for f in view.all(device=device):
        if not f.measured:
            continue
        if ((f.kernel == "gemm" and str(f.dtype) in gemm_dtypes(gpu, precision)) or f.kernel == "memcopy"
                or (want is not None and f.kernel == workload_id
                    and _DTYPE_PRECISION.get(str(f.dtype)) == precision and _same_model(f.params, want))):
            out.append(f)
    return out


def capability_from_results(doc: "dict | results.Results", device: str = "cuda:0") -> Capability:
    """A device's capability from a ``rigbench.results/1`` document (docs/model.md, "Measured capability").

    * gemm: of the dtype that measures what the model's precision means on this card (``gemm_dtypes``), the largest
      case. It changes the catalog capability only relative to what a typical card of the architecture reaches
      (``gemm_reference``): compute x (measured / model peak) / typical fraction, so a card measuring the typical
      rate predicts the catalog value. Without a published typical fraction it is recorded, not applied (the
      efficiency factors are fitted against the spec peak; putting an achieved rate in its place would count the
      gemm shortfall twice).
    * memcopy: the median GB/s replaces spec bandwidth x memory factor (both are achieved streaming rates).
    * train_cnn / train_transformer: returned as measured throughput only when their ``params`` are the model the
      workload's demand counts (a ``--quick`` run's smaller net is not); the factor they imply is recorded as
      ``calibrated_<precision>`` but never applied to ResNet-50 or BERT (a 32x32 net's kernels say nothing
      established about a 224x224 ResNet-50's).
    Distributed files carry per-worker measurements: the median over the matching ones is used.
    """
    view = results.Results.of(doc)
    everything = view.all(device=device)
    ms = [f.raw for f in view.ok(device=device)]   # valid figures of this device only
    if not ms:
        if everything:
            raise UserError(f"results file's measurements for device {device!r} are {view.invalid_note(everything)}: "
                            "rerun rigbench bench on a quiet machine")
        raise UserError(f"results file has no valid measurements for device {device!r}")
    pg = view.device_measured(device) or {}
    gpu = _probed_gpu(view, device)

    def med(kernel: str) -> float | None:
        vals = [m["value"] for m in ms if m.get("kernel") == kernel]
        return statistics.median(vals) if vals else None

    if gpu is not None:
        cap = capability_from_gpu(gpu)
    else:
        fp32 = _gemm_rate(ms, gemm_dtypes(None, "fp32"))
        bw = med("memcopy")
        if fp32 is None or bw is None:
            lacking = []
            for kernel, have in (("gemm fp32", fp32), ("memcopy", bw)):
                if have is None:
                    ran = [f for f in everything if f.kernel == kernel.split()[0]]
                    lacking.append(f"{kernel} {view.invalid_note(ran)}" if ran else f"no {kernel}")
            raise UserError(f"device {device!r} is not in the catalog and the results file's measurements cannot "
                            f"stand in for its specs: {'; '.join(lacking)}")
        amp = _gemm_rate(ms, gemm_dtypes(None, "amp")) or fp32
        conv, mm, factors = {}, {}, {}
        for p, (rate, dt) in (("fp32", fp32), ("amp", amp)):
            f, how = compute_factor("ampere", p)
            conv[p] = mm[p] = rate * f
            factors[p] = {"factor": f, "source": f"unknown architecture: measured gemm {dt} x GA100's factor "
                                                 f"(a rough stand-in); {how}"}
        cap = Capability(id=device, name=pg.get("name") or device, architecture=None, source="measured",
                         conv_tflops=conv, matmul_tflops=mm, bandwidth_gbps=bw,
                         memory_bytes=pg.get("memory_total_bytes"), factors=factors)
    cap.source = "measured"
    host = (view.host or "results")
    cap.id = f"{gpu.id if gpu else device}@{host}" if isinstance(host, str) else cap.id
    if gpu is not None:
        peaks = peak_tflops(gpu)
        for p in PRECISIONS:
            got = _gemm_rate(ms, gemm_dtypes(gpu, p))
            if got is None:
                continue
            g, dt = got
            cap.peak[f"measured_gemm_{p}_tflops"] = g
            cap.peak[f"measured_gemm_{p}_dtype"] = dt
            achieved = g / peaks["matmul"][p]
            ref = gemm_reference(gpu, p)
            if ref is None:
                cap.factors[f"measured_gemm_{p}"] = {
                    "fraction_of_peak": achieved, "applied": False,
                    "source": f"gemm {dt} {g:.4g} TFLOP/s = {achieved:.0%} of the model's peak; not applied: no "
                              f"published typical gemm fraction for {gpu.architecture} {p} to compare it with"}
                continue
            typical, src = ref
            scale = achieved / typical
            cap.conv_tflops[p] *= scale
            cap.matmul_tflops[p] *= scale
            if p in cap.transformer_tflops:
                cap.transformer_tflops[p] *= scale
            cap.factors[f"measured_gemm_{p}"] = {
                "fraction_of_peak": achieved, "typical_fraction": typical, "scale": scale, "applied": True,
                "source": f"gemm {dt} {g:.4g} TFLOP/s = {achieved:.0%} of the model's peak, typical {typical:.0%} "
                          f"({src})"}
    bw = med("memcopy")
    if bw is not None:
        cap.bandwidth_gbps = bw
        cap.peak["measured_bandwidth_gbps"] = bw
        cap.factors["memory"] = {"factor": None, "source": "measured memcopy bandwidth"}
    for kernel in ("train_cnn", "train_transformer"):
        want = suite_config(kernel)
        for p in PRECISIONS:
            rows = [m for m in ms if m.get("kernel") == kernel and _DTYPE_PRECISION.get(str(m.get("dtype"))) == p]
            same = [m["value"] for m in rows if want is not None and _same_model(m.get("params"), want)]
            if rows and not same:
                cap.factors[f"ignored_{kernel}_{p}"] = {
                    "source": f"{kernel} {p} measured with other params than the workload's model "
                              f"({rows[0].get('params')} vs {want}; a --quick run?): not used"}
            if not same:
                # a figure of the workload's own model that ran but is flagged: named, so a predicted row beside it
                # does not read as if the file had nothing to say
                flagged = [f for f in figures_read(view, device, kernel, p) if f.kernel == kernel and not f.valid]
                if flagged:
                    v = statistics.median(f.value for f in flagged)
                    cap.factors[f"invalid_{kernel}_{p}"] = {
                        "value": v, "source": f"{kernel} {p} measured {fmt_num(v)} {flagged[0].unit or '/s'}, "
                                  f"{view.invalid_note(flagged)}: not used"}
                continue
            v = statistics.median(same)
            cap.measured[(kernel, p)] = v
            cal = calibrate_factor(cap, kernel, p, v)
            if cal is not None:
                cap.factors[f"calibrated_{p}"] = {
                    "factor": cal, "applied": False,
                    "source": f"{kernel} measured {v:.4g}/s; the factor that reproduces it on this capability, "
                              "recorded only: not applied to ResNet-50 or BERT"}
    return cap


def calibrate_factor(cap: Capability, workload_id: str, precision: str, measured_per_s: float) -> float | None:
    """The compute factor (relative to the capability's peak) that reproduces a measured throughput, or None."""
    f = cap.factors.get(precision, {}).get("factor") or 1.0
    return efficiency_for(demand(workload_id), precision, measured_per_s, conv_tflops=cap.conv_tflops[precision] / f,
                          matmul_tflops=cap.matmul_tflops[precision] / f, bandwidth_gbps=cap.bandwidth_gbps)
