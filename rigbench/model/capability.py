"""A device's capability: effective (achievable) rates per precision, memory, and any measured throughputs.

:func:`capability_from_gpu` makes one from a catalog card (spec-sheet peaks x the efficiency factors and power
term of :mod:`rigbench.model.efficiency`); :mod:`rigbench.model.measured` makes one from a results file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from rigbench.model.demand import PRECISIONS
from rigbench.model.efficiency import (compute_factor, full_rate_gain, issue_fraction, memory_factor, peak_tflops,
                                       sustained_clock_fraction)


@dataclass
class Capability:
    """What a device can do: effective (achievable) rates per precision, memory, and any measured throughputs."""

    id: str
    name: str
    architecture: str | None
    source: str                                  # "catalog" or "measured"
    conv_tflops: dict[str, float]                # effective, per precision
    matmul_tflops: dict[str, float]
    bandwidth_gbps: float                        # effective
    memory_bytes: int | None
    peak: dict[str, float | None] = field(default_factory=dict)       # spec/measured peaks, for display
    factors: dict[str, Any] = field(default_factory=dict)            # which efficiency factors were used
    measured: dict[tuple[str, str], float] = field(default_factory=dict)  # (workload, precision) -> samples/s
    gpu: Any = None                              # the catalog card, when known
    transformer_tflops: dict[str, float] = field(default_factory=dict)  # effective, transformer family
    clock_fraction: float = 1.0                  # sustained / boost clock from the power term (1 = not limited)

    def to_dict(self) -> dict:
        d = {k: v for k, v in dataclasses.asdict(self).items() if k not in ("gpu", "measured")}
        d["measured"] = [{"workload": w, "precision": p, "throughput": v} for (w, p), v in self.measured.items()]
        return d


def capability_from_gpu(gpu, *, alpha: float | None = None, share: float | None = None) -> Capability:
    """A catalog card's capability: spec-sheet peaks x its architecture's efficiency factors (per workload family)
    x the part of the spec rate its SM issues (:func:`issue_fraction`: 2/3 on Kepler) x its sustained clock
    fraction (``alpha``: the power exponent, default the fitted one in efficiency.toml); the transformer family's
    rate also x the full-rate tensor gain of workstation parts (``share``: default fitted)."""
    peaks = peak_tflops(gpu)
    mem_f, mem_src = memory_factor()
    clock, clock_how = sustained_clock_fraction(gpu, alpha)
    issue, issue_how = issue_fraction(gpu)
    conv, mm, tr = {}, {}, {}
    factors = {"memory": {"factor": mem_f, "source": mem_src}, "clock": {"factor": clock, "source": clock_how},
               "issue": {"factor": issue, "source": issue_how}}
    for p in PRECISIONS:
        f, how = compute_factor(gpu.architecture, p, gpu.compute_capability)
        conv[p] = peaks["conv"][p] * f * clock * issue
        mm[p] = peaks["matmul"][p] * f * clock * issue
        factors[p] = {"factor": f, "source": how}
        ft, how_t = compute_factor(gpu.architecture, p, gpu.compute_capability, "transformer")
        gain, how_g = full_rate_gain(gpu, p, share)
        tr[p] = peaks["matmul"][p] * ft * clock * gain * issue
        factors[f"transformer_{p}"] = {"factor": ft, "source": how_t}
        factors[f"transformer_full_rate_{p}"] = {"factor": gain, "source": how_g}
    return Capability(
        id=gpu.id, name=gpu.name, architecture=gpu.architecture, source="catalog", conv_tflops=conv,
        matmul_tflops=mm, bandwidth_gbps=gpu.memory_bandwidth_gbps * mem_f, memory_bytes=gpu.memory_bytes,
        peak={"fp32_tflops": gpu.fp32_tflops, "tf32_tflops": gpu.tf32_tflops,
              "fp16_tensor_tflops": gpu.fp16_tensor_tflops, "memory_bandwidth_gbps": gpu.memory_bandwidth_gbps},
        factors=factors, gpu=gpu, transformer_tflops=tr, clock_fraction=clock,
    )
