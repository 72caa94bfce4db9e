"""Predicted training throughput with its uncertainty: the roofline (:mod:`rigbench.model.roofline`) of a
capability and a demand, banded by the validation error of the card's (cell, workload family)
(:mod:`rigbench.model.validation`)."""

from __future__ import annotations

import math

from rigbench.model.capability import Capability
from rigbench.model.demand import demand
from rigbench.model.efficiency import factor_key
from rigbench.model.roofline import Prediction, point_prediction
from rigbench.model.validation import validation_cell, validation_summary

# A cell needs this many validation pairs before its own error is trusted as its band; below it, and for cards whose
# factors are borrowed from another architecture, the band is the family's validation error times EXTRAPOLATION.
MIN_CELL_PAIRS = 3
EXTRAPOLATION = 2.0


def uncertainty(gpu, workload_id: str) -> dict:
    """The relative uncertainty of a catalog card's predicted throughput on a workload: the validation MAE of its
    (cell, workload family) when the cell has MIN_CELL_PAIRS pairs or more and the card's factors are its own; else
    EXTRAPOLATION x the family's MAE, or the largest error of the cell's few pairs where that is larger (for borrowed
    factors, its pairs in either workload family), marked extrapolated (Blackwell GeForce, Tesla K80, Ada laptops,
    B200 ...)."""
    fam = demand(workload_id).family
    summary = validation_summary()
    cell = validation_cell(gpu)
    _, borrowed = factor_key(gpu)
    own = summary["cells"].get((cell, fam))
    family_mae = summary["families"][fam]["mae"]
    if own is not None and own["pairs"] >= MIN_CELL_PAIRS and not borrowed:
        return {"fraction": own["mae"], "cell": f"{cell} x {fam}", "pairs": own["pairs"], "extrapolated": False,
                "basis": f"validation MAE of {cell} x {fam} over {own['pairs']} published pairs"}
    why = ("factors borrowed from another architecture" if borrowed else
           f"{own['pairs'] if own else 0} validation pairs in {cell} x {fam}")
    basis = f"extrapolated ({why}): {EXTRAPOLATION:g} x the {fam} family's validation MAE {family_mae:.1%}"
    fraction = EXTRAPOLATION * family_mae
    # never a band narrower than an error already seen on the cell's few published pairs (too few for a mean). Where
    # the factors are borrowed, a miss in the other workload family counts too: it measures the borrowing itself
    # (the same lender's factors, the same architecture's shortfall against them), not one workload's counting
    seen = [(f, c) for (key, f), c in summary["cells"].items() if key == cell and (f == fam or borrowed)]
    worst_family, worst = max(seen, key=lambda fc: fc[1]["max"], default=(None, None))
    if worst is not None and worst["max"] > fraction:
        fraction = worst["max"]
        where = "those pairs" if worst_family == fam else f"{cell}'s {worst['pairs']} pairs on {worst_family}"
        basis = (f"extrapolated ({why}): the largest error of {where}, {worst['max']:.1%}, above "
                 f"{EXTRAPOLATION:g} x the {fam} family's validation MAE {family_mae:.1%}")
    return {"fraction": fraction, "cell": f"{cell} x {fam}", "pairs": own["pairs"] if own else 0,
            "extrapolated": True, "basis": basis}


def ratio_uncertainty(gpu_a, gpu_b, workload_id: str) -> dict:
    """The relative uncertainty of the ratio of two catalog cards' predicted throughputs on a workload.

    Every validation pair is a ratio (gpu_a / gpu_b of one published run), so a card's band (:func:`uncertainty`)
    is already a ratio error, but against whichever partners the published tables used. For a ratio between
    two given cards the evidence that fits best is the pairs whose two cards sit in exactly these two cells
    (``validation_summary()["cell_pairs"]``): with MIN_CELL_PAIRS of them or more, and neither card extrapolated,
    their MAE is the band. Two cards of one cell share their factors, so much of their error cancels in the ratio
    (Turing x Turing, convolutional: 3.3 % over 14 pairs, against 4.4 % for the cell); across architectures the
    direct pairs say how much is left (Pascal x Turing, convolutional: 3.9 % over 7).

    Otherwise the two bands were measured against different partners and nothing ties one error to the other: they
    are taken as independent and combined in quadrature, sqrt(u_a^2 + u_b^2), extrapolated if either band is. Not
    the larger band: that covers 60 % of the 101 validation pairs across two cells, against 55 % for one card's
    own band; quadrature covers 69 %. Not the sum (90 %): it assumes the two errors always push apart, which the
    pairs do not show."""
    fam = demand(workload_id).family
    ua, ub = uncertainty(gpu_a, workload_id), uncertainty(gpu_b, workload_id)
    cells = sorted((validation_cell(gpu_a), validation_cell(gpu_b)))
    direct = validation_summary()["cell_pairs"].get((cells[0], cells[1], fam))
    if (direct is not None and direct["pairs"] >= MIN_CELL_PAIRS and not ua["extrapolated"]
            and not ub["extrapolated"]):
        return {"fraction": direct["mae"], "pairs": direct["pairs"], "extrapolated": False,
                "basis": f"validation MAE of the {direct['pairs']} published pairs of {cells[0]} x {cells[1]} "
                         f"on {fam}"}
    return {"fraction": math.hypot(ua["fraction"], ub["fraction"]), "pairs": direct["pairs"] if direct else 0,
            "extrapolated": ua["extrapolated"] or ub["extrapolated"],
            "basis": (f"{direct['pairs'] if direct else 0} published pairs of {cells[0]} x {cells[1]} on {fam}: "
                      f"the two cards' bands ({ua['fraction']:.1%}, {ub['fraction']:.1%}) combined in quadrature")}


def pair_uncertainty(a: dict, b: dict, workload_id: str) -> dict | None:
    """The relative uncertainty of the ratio between two devices' speeds on a workload, the one rule rigbench compare
    gives a ratio and rigbench cost judges a tie by (docs/model.md, "Uncertainty"). ``a``, ``b``: {"gpu": the catalog
    card or None, "count": how many of it (default 1), "uncertainty": the figure's own band, None when measured,
    "unvalidated": True when its multi-GPU scaling is predicted and never checked against a published run}.

    None when no model error enters the ratio: both figures measured, or one prediction on both sides (the same
    card, as many of it, both predicted: a bought V100 against a rented one). The ratio is then exactly 1 by
    construction, so a band would only invent doubt; None, not 0, because every caller reads None as "no band" and
    a band of 0 would still call an exact 1 a tie. The predicted one's own band when the other is measured (a
    measurement carries no model error); the two bands in quadrature when either is an unvalidated multi-GPU
    figure or has no catalog card (no cell's pairs speak for it); else :func:`ratio_uncertainty`."""
    ua, ub = a.get("uncertainty"), b.get("uncertainty")
    if ua is None and ub is None:
        return None
    ga, gb = a.get("gpu"), b.get("gpu")
    if (ua is not None and ub is not None and ga is not None and gb is not None and ga.id == gb.id
            and a.get("count", 1) == b.get("count", 1)):
        return None
    if ua is None or ub is None:
        side = a if ua is not None else b
        u = side["uncertainty"]
        gpu = side.get("gpu")
        if gpu is not None and not side.get("unvalidated"):
            own = uncertainty(gpu, workload_id)
            if math.isclose(own["fraction"], u, rel_tol=1e-9):
                return own
        return {"fraction": u, "pairs": 0, "extrapolated": bool(side.get("unvalidated")),
                "basis": "the predicted figure's own band, the other being measured"}
    if a.get("unvalidated") or b.get("unvalidated") or ga is None or gb is None:
        return {"fraction": math.hypot(ua, ub), "pairs": 0, "extrapolated": True,
                "basis": (f"the two figures' bands ({ua:.1%}, {ub:.1%}) combined in quadrature: a multi-GPU "
                          f"scaling nothing validates, or a card outside the catalog")}
    return ratio_uncertainty(ga, gb, workload_id)


def predict(capability: Capability, workload_id: str, precision: str) -> Prediction:
    """Training throughput of ``workload_id`` at ``precision`` on ``capability`` (measured if the capability has it),
    with the uncertainty of a predicted figure (:func:`uncertainty`). No throughput (None, with ``reason``) where
    not one sample fits the card's memory."""
    pred = point_prediction(capability, workload_id, precision)
    if pred.source == "predicted" and capability.gpu is not None and pred.throughput is not None:
        u = uncertainty(capability.gpu, workload_id)
        pred.uncertainty, pred.uncertainty_basis = u["fraction"], u["basis"]
    elif pred.source == "predicted" and pred.throughput is not None:
        # a device the catalog does not know (a CPU, an unlisted card): its rates are measured, its efficiency
        # factor borrowed (rigbench.model.measured), and no published pair says how far that carries
        pred.uncertainty_basis = ("none: a device the catalog does not know borrows another architecture's "
                                  "efficiency factor, which no published measurement validates for it")
    return pred
