"""The rules of buying or building a desktop: its price band, a DIY build against the same machine ready-made, and
for several GPUs the CPU's PCIe lanes, the power supply and whether the cards fit and stay cool side by side."""

from __future__ import annotations

import math

from rigbench import catalog
from rigbench.guidelines.checks.base import Check, below, judged
from rigbench.guidelines.machine import GpuUnit, Machine
from rigbench.guidelines.profiles import cpu_model, gpu_boards


def check_price_band(rule: dict, m: Machine) -> Check:
    bands = rule["bands"]
    req = "; ".join(f"{b['name']} ${b['min_usd']:,}-{b['max_usd']:,}" for b in bands)
    if m.price_usd is None:
        return judged(rule, "unknown", "-", req, "no price given (--spec price=USD)")
    p = m.price_usd
    inside = next((b for b in bands if b["min_usd"] <= p <= b["max_usd"]), None)
    if inside:
        return judged(rule, "pass", f"${p:,.0f}", req, f"in the text's {inside['name']} band", p, inside["max_usd"], "USD")
    lo, hi = bands[0], bands[-1]
    if p < lo["min_usd"]:
        why = f"below the basic band: check the parts against the rules above (a ${p:,.0f} desktop rarely meets them all)"
    elif p > hi["max_usd"]:
        why = "above the high-end band: at this price renting may be cheaper (`rigbench cost`)"
    else:
        why = "between the basic and high-end bands"
        return judged(rule, "pass", f"${p:,.0f}", req, why, p, None, "USD")
    return judged(rule, below(rule), f"${p:,.0f}", req, why, p, None, "USD")


def check_price_vs_ready_made(rule: dict, m: Machine) -> Check:
    """A DIY build saves money when it costs less than the same machine bought ready-made."""
    req = "below the same machine bought ready-made"
    if m.price_usd is None or m.ready_made_usd is None:
        missing = " and ".join(k for k, v in (("price=", m.price_usd), ("ready_made=", m.ready_made_usd)) if v is None)
        shown = "-" if m.price_usd is None else f"${m.price_usd:,.0f}"
        return judged(rule, "unknown", shown, req, f"needs {missing}USD: the same machine ready-made from "
                                                   f"{rule['vendors']}", m.price_usd, m.ready_made_usd, "USD")
    saved = m.ready_made_usd - m.price_usd
    ok = saved > 0
    why = (f"${saved:,.0f} saved against ${m.ready_made_usd:,.0f} ready-made ({saved / m.ready_made_usd:.0%})" if ok
           else f"${-saved:,.0f} more than the same machine ready-made (${m.ready_made_usd:,.0f}): no saving")
    return judged(rule, "pass" if ok else below(rule), f"${m.price_usd:,.0f}", f"< ${m.ready_made_usd:,.0f} ready-made",
                  why, m.price_usd, m.ready_made_usd, "USD")


def _gpu_catalog(g: GpuUnit):
    return catalog.resolve(g.catalog_id) if g.catalog_id else None


def _multi_gpu_only(rule: dict, m: Machine, req: str, one_gpu_why: str) -> Check | None:
    """The answer of a multi-GPU rule before it looks further: unknown without the GPUs, n/a for fewer than two."""
    if m.gpus is None:
        return judged(rule, "unknown", "-", req, m.unknown.get("gpu", "GPUs not reported"))
    if not m.gpus:
        return judged(rule, "n/a", "no GPU", req, "no GPU")
    if len(m.gpus) < 2:
        return judged(rule, "n/a", "1 GPU", req, one_gpu_why)
    return None


def check_pcie_lanes(rule: dict, m: Machine) -> Check:
    """Multi-GPU: does every card get PCIe lanes from the CPU, x8 each for four (Dettmers)?"""
    req = f"a CPU lane split for every GPU, >= x{rule['min_lanes_multi']} each"
    if early := _multi_gpu_only(rule, m, req, "one GPU takes the CPU's x16 slot: lanes decide little"):
        return early
    n = len(m.gpus)
    widths = [g.pcie_width for g in m.gpus if g.pcie_width]
    if len(widths) == n:                           # a running machine: the widths NVML reports decide
        narrow = min(widths)
        ok = narrow >= rule["min_lanes_multi"]
        return judged(rule, "pass" if ok else "warn", f"x{narrow} narrowest of {n} GPUs (NVML)", req,
                      f"link widths {', '.join(f'x{w}' for w in widths)}" + ("" if ok else
                      ": below x8 per card costs maybe 5-10% when training across all of them (Dettmers)"),
                      narrow, rule["min_lanes_multi"], "lanes")
    model_ = cpu_model(m.cpu_brand)
    if model_ is None:
        return judged(rule, "unknown", f"{n} GPUs", req,
                      m.unknown.get("cpu") or f"{m.cpu_brand or 'the CPU'}: its PCIe lanes are not in "
                                              "profiles/cpu_tiers.toml [[models]]")
    lanes, cards = model_["gpu_lanes"], model_["max_cards"]
    configs = ", ".join(model_["configs"])
    if n > cards:
        return judged(rule, below(rule), f"{n} GPUs on {lanes} CPU lanes", req,
                      f"{model_['name']}: {lanes} graphics lanes split at most {cards} ways ({configs}; "
                      f"{model_['source'].split(':')[0]}): GPU {cards + 1} onwards get no CPU lanes (a chipset x4 "
                      "link shared with disks and network, or a board with a PCIe switch)",
                      lanes / n, rule["min_lanes_multi"], "lanes/GPU",
                      {"kind": "lanes", "text": f"a CPU with more PCIe lanes for {n} GPUs (Threadripper, Core X, "
                                                f"Xeon W: 44-64 lanes), or {cards} GPUs on this one"})
    per = 1 << int(math.log2(lanes // n)) if lanes // n >= 1 else 0
    ok = per >= rule["min_lanes_multi"]
    why = f"{model_['name']}: {lanes} graphics lanes ({configs}) give x{per} per GPU"
    if not ok:
        why += "; below x8 per card costs maybe 5-10% when training across all of them (Dettmers)"
    return judged(rule, "pass" if ok else "warn", f"x{per} per GPU ({n} GPUs)", req, why, per,
                  rule["min_lanes_multi"], "lanes/GPU")


def _gpu_tdps(m: Machine) -> tuple[list[float] | None, str]:
    """The GPUs' TDPs from the catalog, or None and which card has none."""
    tdps = []
    for g in m.gpus or []:
        card = _gpu_catalog(g)
        if card is None or not card.tdp_w:
            return None, f"{g.name}: no TDP in the GPU catalog"
        tdps.append(float(card.tdp_w))
    return tdps, ""


def _gpu_sum(tdps: list[float]) -> str:
    """The GPUs' TDP sum as a person checks it: "GPU 350 W", "GPUs 8 x 350 W = 2,800 W", "GPUs 350 + 250 W = 600 W"."""
    if len(tdps) == 1:
        return f"GPU {tdps[0]:.0f} W"
    parts = f"{len(tdps)} x {tdps[0]:.0f} W" if len(set(tdps)) == 1 else " + ".join(f"{t:.0f}" for t in tdps) + " W"
    return f"GPUs {parts} = {sum(tdps):,.0f} W"


def psu_needed_w(rule: dict, m: Machine) -> tuple[float | None, str]:
    """Watts a power supply needs for the GPUs and the CPU (Dettmers' sum plus two 10% margins), and how."""
    tdps, why = _gpu_tdps(m)
    if tdps is None:
        return None, why
    model_ = cpu_model(m.cpu_brand)
    if model_ is None:
        return None, f"{m.cpu_brand or 'the CPU'}: its TDP is not in profiles/cpu_tiers.toml [[models]]"
    base = sum(tdps) + model_["tdp_w"]
    need = base * (1 + rule["margin_parts"]) * (1 + rule["margin_safety"])
    return need, (f"GPUs {' + '.join(f'{t:.0f}' for t in tdps)} W + CPU {model_['tdp_w']} W = {base:,.0f} W, "
                  f"+{rule['margin_parts']:.0%} other parts and spikes, +{rule['margin_safety']:.0%} margin")


def _psu_without_cpu(rule: dict, m: Machine, cpu_why: str) -> Check | None:
    """Without the CPU's TDP the GPUs' share of the sum is still a lower bound on the need: a PSU below it fails
    whatever the CPU draws; one above it stays unknown (the CPU decides). None without the GPUs' TDPs or a PSU."""
    tdps, _ = _gpu_tdps(m)
    if tdps is None or m.psu_w is None:
        return None
    floor = sum(tdps) * (1 + rule["margin_parts"]) * (1 + rule["margin_safety"])
    how = (f"the GPUs alone need {floor:,.0f} W ({_gpu_sum(tdps)}, +{rule['margin_parts']:.0%} other parts and "
           f"spikes, +{rule['margin_safety']:.0%} margin)")
    req = f">= {floor:,.0f} W plus the CPU's share"
    if m.psu_w >= floor:
        return judged(rule, "unknown", f"{m.psu_w:,.0f} W", req,
                      f"{how}, which {m.psu_w:,.0f} W covers; the CPU's share decides: {cpu_why}",
                      m.psu_w, round(floor), "W")
    return judged(rule, below(rule), f"{m.psu_w:,.0f} W", req,
                  f"{how}: {floor - m.psu_w:,.0f} W short before the CPU, which is not counted ({cpu_why}), so the "
                  "real shortfall is larger", m.psu_w, round(floor), "W", {"kind": "psu", "watts": floor})


def check_psu(rule: dict, m: Machine) -> Check:
    req = "a PSU for the GPUs' and the CPU's TDP, with margins"
    if not m.gpus:
        return judged(rule, "n/a" if m.gpus == [] else "unknown", "-", req,
                      "no GPU" if m.gpus == [] else m.unknown.get("gpu", "GPUs not reported"))
    need, how = psu_needed_w(rule, m)
    if need is None:
        return _psu_without_cpu(rule, m, how) or judged(rule, "unknown", "-", req, how)
    req = f">= {need:,.0f} W"
    if m.psu_w is None:
        if m.source != "spec":
            return judged(rule, "unknown", "-", req, f"a power supply's rating is not visible to software ({how}; "
                                                      "--spec psu=W judges it)", rv=round(need), unit="W")
        if len(m.gpus) < 2:
            return judged(rule, "unknown", "-", req, f"no psu= given; needs {need:,.0f} W: {how}", rv=round(need), unit="W")
        return judged(rule, "warn", "not given", req, f"{len(m.gpus)} GPUs need a PSU of {need:,.0f} W ({how}): "
                      "give psu=W to judge it", None, round(need), "W", {"kind": "psu", "watts": need})
    ok = m.psu_w >= need
    return judged(rule, "pass" if ok else below(rule), f"{m.psu_w:,.0f} W", req,
                  how + ("" if ok else f": {need - m.psu_w:,.0f} W short"), m.psu_w, round(need), "W",
                  None if ok else {"kind": "psu", "watts": need})


def check_gpu_fit(rule: dict, m: Machine) -> Check:
    """Multi-GPU: do the cards fit the slots of an ATX board and case, and are side-by-side cards cooled?"""
    req = f"<= {rule['atx_slots']} slots; blower or water cooling for 3+ cards side by side"
    if early := _multi_gpu_only(rule, m, req, "one GPU: nothing side by side"):
        return early
    n = len(m.gpus)
    if m.source in ("probe", "results"):
        return judged(rule, "n/a", f"{n} GPUs installed", req, "a running machine: its cards fit; the heat of cards "
                                                               "side by side is what the cooling rule measures")
    boards = gpu_boards()
    known = [boards.get(g.catalog_id or "") for g in m.gpus]
    if any(b is None for b in known):
        missing = sorted({g.name for g, b in zip(m.gpus, known) if b is None})
        return judged(rule, "unknown", f"{n} GPUs", req, f"slot width not known for {', '.join(missing)}")
    slots = sum(b["slots"] for b in known)
    coolers = {m.gpu_cooling} if m.gpu_cooling else {b["cooler"] for b in known}
    open_air = "open-air" in coolers
    src = "--spec gpu_cooling" if m.gpu_cooling else "reference boards"
    problems, status = [], "pass"
    if slots > rule["max_slots"]:
        status = below(rule) if rule.get("severity") == "fail" else "fail"
        problems.append(f"{slots} slots of cards: more than an ATX board and case hold ({rule['atx_slots']}; "
                        f"{rule['max_slots']} in cases for four double-width cards): risers or an open frame")
    elif slots > rule["atx_slots"]:
        status = "warn"
        problems.append(f"{slots} slots of cards: a case with {rule['max_slots']} expansion slots (ATX has "
                        f"{rule['atx_slots']})")
    if open_air and n >= 3:
        status = "fail" if status == "fail" else "warn"
        problems.append(f"{n} open-air cards ({src}) side by side blow heat into each other: blower-style cards or "
                        "water for 3+ GPUs (Dettmers)")
    measured = f"{n} GPUs, {slots} slots, {'/'.join(sorted(coolers))} ({src})"
    if not problems:
        return judged(rule, "pass", measured, req, f"{slots} slots fit an ATX board; {'/'.join(sorted(coolers))} "
                                                   "cooling", slots, rule["atx_slots"], "slots")
    # the change follows the slots these cards take: a case only up to max_slots, risers or a frame beyond
    if slots > rule["max_slots"]:
        room = f"risers or an open frame for {n} GPUs ({slots} slots of these cards; a case holds {rule['max_slots']})"
    elif slots > rule["atx_slots"]:
        room = f"a case with {slots} expansion slots for {n} GPUs"
    else:
        room = None
    cool = f"blower-style cards (or water cooling) for {n} GPUs side by side" if open_air and n >= 3 else None
    return judged(rule, status, measured, req, "; ".join(problems), slots, rule["atx_slots"], "slots",
                  {"kind": "gpu_fit", "text": "; ".join(t for t in (cool, room) if t)})


