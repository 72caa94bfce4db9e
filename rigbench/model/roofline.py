"""Time per sample from a capability and a demand: compute time + memory time + the optimizer step's share, and
the largest batch that fits.

A sum, not a max: the tensor work and the element-wise layers are different kernels that run one after the other
on one stream, each bound by its own resource; the max of the two would claim they overlap, which a training step's
serial layer sequence does not allow. ``bound`` says which of compute and memory is larger. The optimizer step runs
once per batch, after the backward pass: its bytes at the card's bandwidth, plus, where the update waits on the host
once per parameter tensor, that host time per tensor; divided by the largest batch that fits. Where the kernels of
a step are counted (``rigbench size``), a step is never shorter than the host's launches of them
(:func:`floored_step_seconds`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from rigbench.errors import UserError
from rigbench.model.capability import Capability
from rigbench.model.demand import PRECISIONS, Demand, demand, max_batch, no_fit_reason
from rigbench.model.efficiency import launch_seconds, step_host_seconds
from rigbench.units import shown


@dataclass
class Prediction:
    workload: str
    precision: str
    throughput: float | None     # samples per second; None where not one sample fits (``reason`` says why)
    unit: str
    bound: str                   # "compute" or "memory"
    source: str                  # "predicted" or "measured"
    max_batch: int | None        # largest batch that fits in device memory
    compute_s: float | None = None   # per sample
    memory_s: float | None = None    # per sample
    step_s: float | None = None      # per sample: the optimizer step over the batch
    uncertainty: float | None = None     # relative (0.08 = +-8 %), from the validation error of the card's cell
    uncertainty_basis: str | None = None
    reason: str | None = None            # why there is no throughput ("does not fit: ...")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def tensor_seconds(d: Demand, conv_tflops: float, matmul_tflops: float) -> float:
    """Seconds per sample of the tensor work: convolutions at ``conv_tflops``, matrix multiplies at
    ``matmul_tflops``."""
    return d.conv_flops / (conv_tflops * 1e12) + d.matmul_flops / (matmul_tflops * 1e12)


def efficiency_for(d: Demand, precision: str, measured_per_s: float, *, conv_tflops: float, matmul_tflops: float,
                   bandwidth_gbps: float, step_s: float = 0.0) -> float | None:
    """The roofline inverted: the efficiency f that makes tensor time at (rates x f) + memory time + the optimizer
    step's share (``step_s`` per sample) equal one measured sample's time; None when the measured time is below the
    memory and step time alone (nothing is left to explain)."""
    left = 1.0 / measured_per_s - d.traffic_bytes(precision) / (bandwidth_gbps * 1e9) - step_s
    if left <= 0:
        return None
    return tensor_seconds(d, conv_tflops, matmul_tflops) / left


def times_per_sample(cap: Capability, d: Demand, precision: str) -> tuple[float, float]:
    """(compute seconds, memory seconds) per sample. A transformer's tensor work runs at the transformer-family
    rate where the capability has one (catalog cards), else at the matmul rate."""
    if d.family == "transformer" and cap.transformer_tflops:
        compute_s = d.tensor_flops / (cap.transformer_tflops[precision] * 1e12)
    else:
        compute_s = tensor_seconds(d, cap.conv_tflops[precision], cap.matmul_tflops[precision])
    memory_s = d.traffic_bytes(precision) / (cap.bandwidth_gbps * 1e9)
    return compute_s, memory_s


def step_seconds(d: Demand, precision: str, *, bandwidth_gbps: float, memory_bytes: int | None,
                 host_s_per_synced_tensor: float) -> float:
    """Seconds per sample of the optimizer step: (synced tensors x host time per tensor + the step's bytes at
    ``bandwidth_gbps``) over the largest batch that fits in ``memory_bytes``. 0 where the workload names no step, or
    no batch can be worked out (no device memory known, or nothing fits)."""
    if not d.step:
        return 0.0
    batch = max_batch(d, precision, memory_bytes)
    if not batch:
        return 0.0
    step = d.synced_tensors(precision) * host_s_per_synced_tensor + d.step_bytes(precision) / (bandwidth_gbps * 1e9)
    return step / batch


def capability_step_seconds(cap: Capability, d: Demand, precision: str) -> float:
    """:func:`step_seconds` on a capability's own bandwidth and memory. The host time per synced tensor is the
    workload's code's, not the card's: one fitted value for every capability, catalog or measured."""
    return step_seconds(d, precision, bandwidth_gbps=cap.bandwidth_gbps, memory_bytes=cap.memory_bytes,
                        host_s_per_synced_tensor=step_host_seconds())


def launch_floor_seconds(kernels: float) -> float:
    """The shortest a training step of ``kernels`` kernels can take: the host launches them one after another, each
    for at least ``[launch] s_per_kernel`` of profiles/efficiency.toml (a cited lower bound), and the step ends after
    its last one."""
    return max(0.0, kernels) * launch_seconds()[0]


def floored_step_seconds(step_s: float, kernels: float) -> tuple[float, bool]:
    """(seconds of one step, whether the launch floor set them): the roofline's ``step_s``, or
    :func:`launch_floor_seconds` of the step's kernels where that is longer (a small model at a small batch: the card
    waits on the host, and the roofline's time, which the validation measured on large models, does not hold)."""
    floor = launch_floor_seconds(kernels)
    return (floor, True) if floor > step_s else (step_s, False)


def point_prediction(capability: Capability, workload_id: str, precision: str) -> Prediction:
    """Training throughput without its uncertainty: the bare roofline (measured where the capability has it).
    ``rigbench.model.predict`` adds the uncertainty, which the validation table, computed from these, sets."""
    if precision not in PRECISIONS:
        raise UserError(f"unknown precision {shown(precision)}; valid: {', '.join(PRECISIONS)}")
    d = demand(workload_id)
    compute_s, memory_s = times_per_sample(capability, d, precision)
    step_s = capability_step_seconds(capability, d, precision)
    bound = "compute" if compute_s >= memory_s else "memory"
    mb = max_batch(d, precision, capability.memory_bytes)
    measured = capability.measured.get((workload_id, precision))
    if measured is not None:
        return Prediction(workload_id, precision, measured, d.unit, bound, "measured", mb, compute_s, memory_s,
                          step_s)
    if mb == 0:
        # not one sample fits: the card cannot train the workload. A roofline figure would also drop the optimizer
        # step's share (it is spread over a batch of 0), reading faster than a larger card that holds a batch of 1.
        return Prediction(workload_id, precision, None, d.unit, bound, "predicted", mb, compute_s, memory_s, step_s,
                          reason=no_fit_reason(d, precision, capability.memory_bytes))
    return Prediction(workload_id, precision, 1.0 / (compute_s + memory_s + step_s), d.unit, bound, "predicted", mb,
                      compute_s, memory_s, step_s)
