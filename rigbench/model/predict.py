"""Predicted training throughput with its uncertainty: the roofline (:mod:`rigbench.model.roofline`) of a
capability and a demand, banded by the validation error of the card's (cell, workload family)
(:mod:`rigbench.model.validation`)."""

from __future__ import annotations

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
    EXTRAPOLATION x the family's MAE, or the largest error of the cell's few pairs where that is larger, marked
    extrapolated (Blackwell GeForce, Tesla K80, Ada laptops, B200 ...)."""
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
    if own is not None and own["max"] > fraction:
        # never a band narrower than an error already seen on the cell's few published pairs (too few for a mean)
        fraction = own["max"]
        basis = (f"extrapolated ({why}): the largest error of those pairs, {own['max']:.1%}, above "
                 f"{EXTRAPOLATION:g} x the {fam} family's validation MAE {family_mae:.1%}")
    return {"fraction": fraction, "cell": f"{cell} x {fam}", "pairs": own["pairs"] if own else 0,
            "extrapolated": True, "basis": basis}


def predict(capability: Capability, workload_id: str, precision: str) -> Prediction:
    """Training throughput of ``workload_id`` at ``precision`` on ``capability`` (measured if the capability has it),
    with the uncertainty of a predicted figure (:func:`uncertainty`)."""
    pred = point_prediction(capability, workload_id, precision)
    if pred.source == "predicted" and capability.gpu is not None:
        u = uncertainty(capability.gpu, workload_id)
        pred.uncertainty, pred.uncertainty_basis = u["fraction"], u["basis"]
    return pred
