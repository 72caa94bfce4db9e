"""The cloud rule a price list can judge: is this instance the cheapest GPU-hour for its GPU?"""

from __future__ import annotations

from rigbench.guidelines.checks.base import Check, below, judged
from rigbench.guidelines.machine import Machine
from rigbench.guidelines.rentals import per_gpu_hour, price_list


def check_cheapest_provider(rule: dict, m: Machine) -> Check:
    req = "cheapest USD per GPU-hour for its GPU"
    if not m.instance:
        return judged(rule, "unknown", "-", req, "judged only for an instance of the price list (--instance aws:p3.2xlarge)")
    rows, _ = price_list()
    inst = m.instance
    per = per_gpu_hour(inst)
    # the same GPU in the same count: an 8-GPU box is not a cheaper way to rent one GPU
    same = [r for r in rows if r.gpu_id == inst.gpu_id and r.gpu_count == inst.gpu_count and per_gpu_hour(r) is not None]
    if per is None or not same:
        return judged(rule, "unknown", "-", req, "no price for this instance's GPU")
    best = min(same, key=per_gpu_hour)
    bp = per_gpu_hour(best)
    ok = per <= bp + 1e-9
    # each price dated by its own row: one list holds rows of several dates (a provider refreshed, another kept)
    why = (f"{inst.gpu_count}x {inst.gpu_id}: cheapest is {best.key} at ${bp:.3f}/GPU-hour (priced "
           f"{best.dated()}; {inst.key} priced {inst.dated()})")
    return judged(rule, "pass" if ok else below(rule), f"${per:.3f}/GPU-hour ({inst.provider})", req,
                  why if not ok else f"the cheapest {inst.gpu_id} GPU-hour in the price list (priced {inst.dated()})",
                  round(per, 4), round(bp, 4), "USD/GPU-hour", None if ok else {"kind": "instance", "to": best.key})
