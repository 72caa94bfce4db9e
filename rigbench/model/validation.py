"""The model against published measurements: its factors fitted (``fit_*``), its predictions validated.

Each efficiency factor in ``profiles/efficiency.toml`` is fitted to one published measurement written beside it
(:func:`fit_compute_factor` inverts the roofline; :func:`refit_factors` recomputes them all; the power exponent
from the ``[power]`` rows, :func:`fit_power_alpha`). The pairs of ``profiles/validation.csv``, from other sources
or of cards no factor was fitted to, give the validation error (:func:`validation_table`), summarised per
(cell, workload family) in :func:`validation_summary`: the uncertainty every prediction carries.
"""

from __future__ import annotations

import math
from functools import lru_cache

from rigbench import catalog, data
from rigbench.model.capability import capability_from_gpu
from rigbench.model.demand import demand, max_batch
from rigbench.model.efficiency import (FAMILY_SECTION, factor_key, full_rate_gain, load_efficiency,
                                       memory_factor, peak_tflops, step_host_seconds, sustained_clock_fraction)
from rigbench.model.roofline import efficiency_for, point_prediction, step_seconds


def fit_compute_factor(gpu, workload_id: str, precision: str, measured_per_s: float) -> float:
    """The architecture efficiency that makes the model reproduce ``measured_per_s`` on ``gpu``.

    Inverts time = tensor_flops / (peak x f) + traffic / (bandwidth x memory factor) + the optimizer step's share
    for f. Raises if the measured time is below the memory and step time alone (the model cannot explain it).
    """
    mem_f, _ = memory_factor()
    peaks = peak_tflops(gpu)
    clock, _ = sustained_clock_fraction(gpu)
    d = demand(workload_id)
    # a transformer's tensor work is all matrix multiplies (no convolution FLOPs): both rates are the matmul peak,
    # with the full-rate tensor gain of a workstation part (1 on every fit card of today: GeForce or data centre)
    transformer = d.family == "transformer"
    conv = "matmul" if transformer else "conv"
    gain = full_rate_gain(gpu, precision)[0] if transformer else 1.0
    bandwidth = gpu.memory_bandwidth_gbps * mem_f
    f = efficiency_for(d, precision, measured_per_s,
                       conv_tflops=peaks[conv][precision] * clock * gain,
                       matmul_tflops=peaks["matmul"][precision] * clock * gain, bandwidth_gbps=bandwidth,
                       step_s=step_seconds(d, precision, bandwidth_gbps=bandwidth, memory_bytes=gpu.memory_bytes,
                                           host_s_per_synced_tensor=step_host_seconds()))
    if f is None:
        raise ValueError(f"{gpu.id} {workload_id} {precision}: measured faster than its memory traffic allows")
    return f


def fit_target(entry: dict) -> float:
    """The throughput a factor is fitted to. ``fit_throughput`` as published; with ``fit_anchor_gpu`` the fit is
    to the RATIO against an anchor card measured in the same table, carried onto the anchor's own fit stack:
    target = fit_throughput x (the model's anchor prediction / fit_anchor_throughput). Used where a card's only
    published run is on a newer software stack than its neighbours' fits (B200: NGC 24.10 vs 22.10)."""
    t = float(entry["fit_throughput"])
    if "fit_anchor_gpu" not in entry:
        return t
    anchor = point_prediction(capability_from_gpu(catalog.resolve(entry["fit_anchor_gpu"])), entry["fit_workload"],
                     entry["fit_precision"]).throughput
    return t * anchor / float(entry["fit_anchor_throughput"])


def refit_factors(family: str = "conv") -> dict[tuple[str, str], float]:
    """Recompute every fitted factor of one family (``[compute]`` = conv, ``[transformer]``) of
    ``profiles/efficiency.toml`` from the measurement written beside it."""
    out = {}
    for arch, precs in load_efficiency().get(FAMILY_SECTION[family], {}).items():
        for p, e in precs.items():
            if "fit_gpu" in e:
                out[(arch, p)] = fit_compute_factor(catalog.resolve(e["fit_gpu"]), e["fit_workload"], p,
                                                    fit_target({**e, "fit_precision": p}))
    return out


def fit_entries() -> list[dict]:
    """Every fitted factor as a row: family, key, precision, card, workload, throughput, source family."""
    out = []
    for family, section in FAMILY_SECTION.items():
        for arch, precs in load_efficiency().get(section, {}).items():
            for p, e in precs.items():
                if "fit_gpu" in e:
                    out.append({"family": family, "key": arch, "precision": p, "gpu": e["fit_gpu"],
                                "workload": e["fit_workload"], "throughput": float(e["fit_throughput"]),
                                "source_family": e["fit_family"], "anchor": e.get("fit_anchor_gpu")})
    return out


def fit_power_alpha(step: float = 0.001) -> float:
    """The power exponent that best reproduces the ``[power] fit_rows`` (least squares of log(predicted /
    measured)), searched over 0 .. 1; the efficiency factors stay as fitted (their fit cards hold boost clock)."""
    return _grid_least_squares(load_efficiency()["power"]["fit_rows"],
                               lambda gpu, a: capability_from_gpu(gpu, alpha=a), step)


def _grid_least_squares(rows: list[dict], capability, step: float) -> float:
    """The value x in 0 .. 1 (on a grid of ``step``) whose ``capability(gpu, x)`` best reproduces ``rows``' measured
    throughputs: least squares of log(predicted / measured)."""
    cards = {r["gpu"]: catalog.resolve(r["gpu"]) for r in rows}

    def loss(x: float) -> float:
        return sum(math.log(point_prediction(capability(cards[r["gpu"]], x), r["workload"],
                                             r["precision"]).throughput / float(r["throughput"])) ** 2 for r in rows)

    grid = [i * step for i in range(int(round(1 / step)) + 1)]
    return min(grid, key=loss)


def fit_tensor_share(key: str, step: float = 0.001) -> float:
    """The share of the transformer family's tensor time that runs in the tensor pipe on architecture ``key``: the
    value that best reproduces the ``[tensor_share.<key>] fit_rows`` (least squares of log(predicted / measured)),
    searched over 0 .. 1; factors and the power exponent stay as fitted (their rows hold no full-rate card)."""
    return _grid_least_squares(load_efficiency()["tensor_share"][key]["fit_rows"],
                               lambda gpu, x: capability_from_gpu(gpu, share=x), step)


def fit_step_host() -> float:
    """The host time per parameter tensor of an optimizer update that waits on the host once per tensor, from the
    ``[step] fit_rows``: one card measured in fp32 and with AMP in one run, on an architecture whose AMP runs its
    tensor work at the fp32 rate with the fp32 factor (Pascal: no tensor cores). The tensor time is then the same
    in both runs and cancels: what the fp32 run's time per sample has beyond the AMP run's, less the counted memory
    traffic and optimizer bytes of each, is the host time of the fp32 step's synced tensors over its batch. Closed
    form, no search."""
    rows = {r["precision"]: r for r in load_efficiency()["step"]["fit_rows"]}
    one, two = rows["fp32"], rows["amp"]
    if one["gpu"] != two["gpu"] or one["workload"] != two["workload"]:
        raise ValueError("[step] fit_rows: one card and one workload, measured in fp32 and with AMP")
    gpu, d = catalog.resolve(one["gpu"]), demand(one["workload"])
    peaks = peak_tflops(gpu)["matmul"]
    if peaks["fp32"] != peaks["amp"] or "same_as" not in load_efficiency()[FAMILY_SECTION[d.family]].get(
            gpu.architecture, {}).get("amp", {}):
        raise ValueError(f"[step] fit card {gpu.id}: its AMP tensor rate and factor must be its fp32 ones")
    bandwidth = gpu.memory_bandwidth_gbps * memory_factor()[0]

    def known(p: str) -> float:   # the per-sample time of precision p that is not tensor work or synced host time
        return (d.traffic_bytes(p) / (bandwidth * 1e9)
                + step_seconds(d, p, bandwidth_gbps=bandwidth, memory_bytes=gpu.memory_bytes,
                               host_s_per_synced_tensor=0.0))

    per_host_s = {p: d.synced_tensors(p) / max_batch(d, p, gpu.memory_bytes) for p in ("fp32", "amp")}
    left = (1 / float(one["throughput"]) - known("fp32")) - (1 / float(two["throughput"]) - known("amp"))
    return left / (per_host_s["fp32"] - per_host_s["amp"])


def extra_fit_rows() -> list[dict]:
    """The rows that fit a constant other than a factor ([power] alpha, [tensor_share], [step]): gpu, workload,
    precision, throughput, source family, what they fit."""
    eff = load_efficiency()
    out = [{**r, "fits": "power"} for r in eff["power"]["fit_rows"]]
    for key, entry in eff.get("tensor_share", {}).items():
        out += [{**r, "fits": f"tensor_share.{key}"} for r in entry["fit_rows"]]
    out += [{**r, "fits": "step"} for r in eff["step"]["fit_rows"]]
    return out


def fit_set_cards() -> set[str]:
    return {e["gpu"] for e in fit_entries()}


def validation_table() -> list[dict]:
    """Predicted vs published speed-ups of the pairs in ``profiles/validation.csv``, with the signed relative
    error of each. A pair either comes from another source family than the fit set or uses only cards no factor
    was fitted to (tests/test_model.py checks it)."""
    rows = []
    for r in data.load_csv("validation.csv"):
        if r["split"] != "validation":
            continue
        a, b = catalog.resolve(r["gpu_a"]), catalog.resolve(r["gpu_b"])
        ta = point_prediction(capability_from_gpu(a), r["workload"], r["precision"]).throughput
        tb = point_prediction(capability_from_gpu(b), r["workload"], r["precision"]).throughput
        measured = float(r["measured"])
        predicted = ta / tb
        rows.append({"gpu_a": a.id, "gpu_b": b.id, "workload": r["workload"], "precision": r["precision"],
                     "measured": measured, "predicted": predicted, "error": (predicted - measured) / measured,
                     "family": r["family"], "source": r["source"], "url": r["url"]})
    return rows


def validation_cell(gpu) -> str:
    """The cell a card's predictions are validated in: its efficiency key ('ampere-8.6', 'ada' ...), with laptop
    parts in a cell of their own ('turing-laptop'): their power limit is set by the laptop maker."""
    key, borrowed = factor_key(gpu)
    if borrowed:   # its own key ('blackwell-12.0', 'kepler'), so its pairs do not count as the lender's
        fb = load_efficiency().get("fallback", {})
        cc_key = f"{gpu.architecture}-{gpu.compute_capability}"
        key = cc_key if cc_key in fb else gpu.architecture
    return key + ("-laptop" if getattr(gpu, "form_factor", None) == "laptop" else "")


def mae(errors: list[float]) -> dict:
    """Mean and largest absolute error of a list of absolute errors, and how many."""
    return {"mae": sum(errors) / len(errors), "max": max(errors), "pairs": len(errors)}


def _cells_charged(gpu_a: str, gpu_b: str) -> set[str]:
    """The cards of a pair whose cells its error counts in: both, unless exactly one of them borrows its factors
    from another architecture. Then the error is that card's: the other's factors are its own, fitted and
    validated on pairs of their own, and the borrowed one's are not (a Tesla K80 on Pascal's factors, 34-39 % off
    against a P100 and a V100, says nothing of how Pascal or Volta are predicted)."""
    borrowed = {c for c in (gpu_a, gpu_b) if factor_key(catalog.resolve(c))[1]}
    return borrowed if len(borrowed) == 1 else {gpu_a, gpu_b}


@lru_cache(maxsize=1)
def validation_summary() -> dict:
    """Mean (and largest) absolute ratio error of the validation pairs: overall, per workload family, per source
    family and per (cell, workload family); a pair counts in the cell of each of its two cards, or only in the
    cell of the one whose factors are borrowed where exactly one is (:func:`_cells_charged`). ``cell_pairs``:
    per (cell, cell, workload family), the two cells sorted, the pairs whose two cards are in exactly those cells:
    the error of a ratio between two such cards, measured directly."""
    rows = validation_table()
    cells: dict[tuple[str, str], list[float]] = {}
    cell_pairs: dict[tuple[str, str, str], list[float]] = {}
    fams: dict[str, list[float]] = {}
    sources: dict[str, list[float]] = {}
    for r in rows:
        fam = demand(r["workload"]).family
        fams.setdefault(fam, []).append(abs(r["error"]))
        sources.setdefault(r["family"], []).append(abs(r["error"]))
        for c in _cells_charged(r["gpu_a"], r["gpu_b"]):
            cells.setdefault((validation_cell(catalog.resolve(c)), fam), []).append(abs(r["error"]))
        pair = sorted(validation_cell(catalog.resolve(c)) for c in (r["gpu_a"], r["gpu_b"]))
        cell_pairs.setdefault((pair[0], pair[1], fam), []).append(abs(r["error"]))

    return {"all": mae([abs(r["error"]) for r in rows]), "families": {k: mae(v) for k, v in fams.items()},
            "sources": {k: mae(v) for k, v in sources.items()}, "cells": {k: mae(v) for k, v in cells.items()},
            "cell_pairs": {k: mae(v) for k, v in cell_pairs.items()}}


# Source families of the harness every factor is fitted on (Lambda's PyTorch benchmark: NVIDIA's
# DeepLearningExamples scripts in an NGC container, run by one publisher across years and cards)
FIT_HARNESS = "lambda-pytorch"


@lru_cache(maxsize=1)
def precision_gain_table() -> list[dict]:
    """Mixed precision's speed-up over fp32 on one card, predicted vs published: every card whose fp32 and AMP
    throughputs one source family publishes for one workload (the ``a_per_s`` / ``b_per_s`` columns of the
    validation pairs in ``profiles/validation.csv``), with the signed relative error of the predicted gain. Left
    out: a card in a source family whose rows of it fitted a constant (a factor, the power exponent, a tensor
    share, the step's host time): there the gain is the fit's, not a check of it."""
    fitted = ({(e["source_family"], e["gpu"]) for e in fit_entries()}
              | {(r["family"], r["gpu"]) for r in extra_fit_rows()})
    published: dict[tuple[str, str, str], dict[str, dict]] = {}
    for r in data.load_csv("validation.csv"):
        if r["split"] != "validation":
            continue
        for card, value in ((r["gpu_a"], r["a_per_s"]), (r["gpu_b"], r["b_per_s"])):
            published.setdefault((r["family"], card, r["workload"]), {})[r["precision"]] = {
                "per_s": float(value), "source": r["source"], "url": r["url"]}
    rows = []
    for (family, card, workload), by_precision in sorted(published.items()):
        if (family, card) in fitted or not {"fp32", "amp"} <= by_precision.keys():
            continue
        cap = capability_from_gpu(catalog.resolve(card))
        fp32, amp = (point_prediction(cap, workload, p).throughput for p in ("fp32", "amp"))
        measured = by_precision["amp"]["per_s"] / by_precision["fp32"]["per_s"]
        rows.append({"gpu": catalog.resolve(card).id, "workload": workload, "family": family,
                     "fp32_per_s": by_precision["fp32"]["per_s"], "amp_per_s": by_precision["amp"]["per_s"],
                     "measured": measured, "predicted": amp / fp32, "error": (amp / fp32 - measured) / measured,
                     "url": by_precision["amp"]["url"]})
    return rows


@lru_cache(maxsize=1)
def precision_gain_summary() -> dict:
    """The error of the predicted gain of mixed precision over fp32 (:func:`precision_gain_table`): over every
    card, in the harness the factors are fitted on (``FIT_HARNESS``: other years and cards of it) and in the other
    stacks, and per workload family; each with its signed mean (below zero: the published gain is larger)."""
    rows = precision_gain_table()

    def both(subset: list[dict]) -> dict:
        return {**mae([abs(r["error"]) for r in subset]), "signed": sum(r["error"] for r in subset) / len(subset)}

    harness = [r for r in rows if r["family"].startswith(FIT_HARNESS)]
    others = [r for r in rows if not r["family"].startswith(FIT_HARNESS)]
    return {"all": both(rows), "harness": both(harness), "others": both(others),
            "families": {fam: both([r for r in rows if demand(r["workload"]).family == fam])
                         for fam in sorted({demand(r["workload"]).family for r in rows})},
            "others_families": {fam: both([r for r in others if demand(r["workload"]).family == fam])
                                for fam in sorted({demand(r["workload"]).family for r in others})}}
