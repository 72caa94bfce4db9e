"""GPU cards as the rules see them: the catalog's card by name or id, and the performance model's training throughput
of it (:mod:`rigbench.model`), which the GPU rules, the advice and the rentals compare against a profile's bar."""

from __future__ import annotations

from functools import lru_cache

from rigbench import catalog, model
from rigbench.errors import UserError
from rigbench.guidelines.profiles import gpu_bar_rule


@lru_cache(maxsize=None)
def gpu_throughput(gpu_id: str, workload: str, precision: str | None = None) -> tuple[float, str, str]:
    """Predicted training throughput of a catalog card: (value, unit, precision). ``precision=None``: the better one.
    0 where not one sample fits the card (rigbench.model gives it no throughput): it cannot train the workload, so
    it meets no bar."""
    cap = model.capability_from_gpu(catalog.resolve(gpu_id))
    best = None
    for p in ([precision] if precision else list(model.PRECISIONS)):
        pred = model.predict(cap, workload, p)
        value = float(pred.throughput) if pred.throughput is not None else 0.0
        if best is None or value > best[0]:
            best = (value, pred.unit, p)
    return best


def known_gpu(gpu_id: str) -> bool:
    """Whether the catalog has this card (a price list may name cards the catalog lacks)."""
    try:
        catalog.resolve(gpu_id)
    except UserError:
        return False
    return True


def reaches_bar(gpu_id: str | None) -> bool:
    """Whether a catalog card's predicted throughput reaches the desktop GPU rule's pass reference."""
    rule = gpu_bar_rule()
    if not gpu_id or not known_gpu(gpu_id):
        return False
    return gpu_throughput(gpu_id, rule["workload"])[0] >= gpu_throughput(rule["pass_reference"], rule["workload"])[0]


def bar_card_name() -> str:
    """The catalog name of the card the desktop GPU rule names as its bar (``rtx-2070`` -> "GeForce RTX 2070")."""
    return catalog.resolve(gpu_bar_rule()["pass_reference"]).name
