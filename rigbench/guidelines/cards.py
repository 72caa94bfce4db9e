"""GPU cards as the rules see them: the catalog's card by name or id, and the performance model's training throughput
of it (:mod:`rigbench.model`), which the GPU rules, the advice and the rentals compare against a profile's bar."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rigbench import catalog, model
from rigbench.errors import UserError
from rigbench.guidelines.profiles import gpu_bar_rule


@dataclass(frozen=True)
class CardSpeed:
    """A catalog card's predicted training throughput as the GPU rules show it: the figure, its unit and precision,
    and the model's band on it (``uncertainty``, a fraction; None where the card cannot train the workload)."""

    value: float
    unit: str
    precision: str
    uncertainty: float | None
    extrapolated: bool

    def label(self) -> str:
        """'predicted +-6%': every figure a GPU rule prints says it is predicted and carries the model's band (a
        card whose band is extrapolated says so, as compare marks it)."""
        if self.uncertainty is None:
            return "predicted"
        return f"predicted +-{self.uncertainty:.0%}" + (", extrapolated" if self.extrapolated else "")


@lru_cache(maxsize=None)
def gpu_speed(gpu_id: str, workload: str, precision: str | None = None) -> CardSpeed:
    """Predicted training throughput of a catalog card with its band (:func:`rigbench.model.predict`).
    ``precision=None``: the better one. 0 where not one sample fits the card (rigbench.model gives it no
    throughput): it cannot train the workload, so it meets no bar."""
    cap = model.capability_from_gpu(catalog.resolve(gpu_id))
    best = None
    for p in ([precision] if precision else list(model.PRECISIONS)):
        pred = model.predict(cap, workload, p)
        value = float(pred.throughput) if pred.throughput is not None else 0.0
        if best is None or value > best.value:
            best = CardSpeed(value, pred.unit, p, pred.uncertainty if pred.throughput is not None else None,
                             bool(pred.uncertainty_basis and pred.uncertainty_basis.startswith("extrapolated")))
    return best


def gpu_throughput(gpu_id: str, workload: str, precision: str | None = None) -> tuple[float, str, str]:
    """Predicted training throughput of a catalog card: (value, unit, precision) of :func:`gpu_speed`."""
    s = gpu_speed(gpu_id, workload, precision)
    return s.value, s.unit, s.precision


def speed_ratio_band(gpu_id: str, reference_id: str, workload: str) -> dict | None:
    """The model's band on the ratio of two catalog cards' predicted speeds ({"fraction", "basis", ...}), by the
    rule ``rigbench compare`` gives a ratio and calls a tie by (:func:`rigbench.model.pair_uncertainty`, fed the
    facts compare feeds it of one card each); None where either card cannot train the workload (no figure) or the
    two are one card (the ratio is exactly 1)."""
    facts = []
    for gid in (gpu_id, reference_id):
        s = gpu_speed(gid, workload)
        if s.uncertainty is None:
            return None
        facts.append({"gpu": catalog.resolve(gid), "count": 1, "uncertainty": s.uncertainty, "unvalidated": False})
    return model.pair_uncertainty(facts[0], facts[1], workload)


def known_gpu(gpu_id: str) -> bool:
    """Whether the catalog has this card (a price list may name cards the catalog lacks)."""
    try:
        catalog.resolve(gpu_id)
    except UserError:
        return False
    return True


def versus(gpu_id: str, reference_id: str, workload: str) -> dict:
    """A catalog card's predicted throughput against a reference card's: ``at_or_above``; below it, ``times`` (how
    many times as fast the reference is), ``band`` (the model's band on that ratio, :func:`speed_ratio_band`; None
    without one) and ``tie`` (the gap inside the band: compare calls such a pair a tie)."""
    value, bar = gpu_speed(gpu_id, workload).value, gpu_speed(reference_id, workload).value
    if value >= bar:
        return {"at_or_above": True, "times": None, "band": None, "tie": False}
    band = speed_ratio_band(gpu_id, reference_id, workload) if value > 0 else None
    times = bar / value if value > 0 else None
    u = band["fraction"] if band is not None else None
    return {"at_or_above": False, "times": times, "band": u, "tie": u is not None and times - 1 <= u}


def reaches(gpu_id: str, reference_id: str, workload: str) -> bool:
    """Whether a catalog card reaches a reference card: at or above it, or a tie with it (:func:`versus`)."""
    v = versus(gpu_id, reference_id, workload)
    return v["at_or_above"] or v["tie"]


def reaches_bar(gpu_id: str | None) -> bool:
    """Whether a catalog card reaches the desktop GPU rule's pass reference (:func:`reaches`), as the rule judges
    it: the cards the advice lists and the rentals it names are the ones the rule would pass."""
    rule = gpu_bar_rule()
    if not gpu_id or not known_gpu(gpu_id):
        return False
    return reaches(gpu_id, rule["pass_reference"], rule["workload"])


def bar_card_name() -> str:
    """The catalog name of the card the desktop GPU rule names as its bar (``rtx-2070`` -> "GeForce RTX 2070")."""
    return catalog.resolve(gpu_bar_rule()["pass_reference"]).name
