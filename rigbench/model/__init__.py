"""The performance model: a device's capability x a workload's demand -> training throughput and memory fit.

One module per step, in the order a prediction runs through them:

* :mod:`~rigbench.model.demand`: what one training sample of a workload needs, counted from its layer shapes
  (``profiles/workloads.toml``), and the largest batch that fits a card's memory;
* :mod:`~rigbench.model.efficiency`: how much of a card's spec-sheet peak training reaches: efficiency factors per
  architecture, precision and workload family, and the power term (``profiles/efficiency.toml``);
* :mod:`~rigbench.model.capability`: a catalog card's effective rates; :mod:`~rigbench.model.measured`: a device's
  from a results file;
* :mod:`~rigbench.model.roofline`: time per sample = compute time + memory time (+ the optimizer step's share),
  and the floor the host's kernel launches put under a step whose kernels are counted;
* :mod:`~rigbench.model.validation`: the factors fitted to published measurements, the predictions validated on
  pairs they were not fitted to (``profiles/validation.csv``);
* :mod:`~rigbench.model.predict`: the prediction every command shows, with its uncertainty (the validation error
  of the card's architecture x workload-family cell).

docs/model.md explains each step with its sources. Everything a caller needs is importable from ``rigbench.model``.
"""

from __future__ import annotations

from rigbench.model.capability import Capability, capability_from_gpu
from rigbench.model.demand import (BYTES_PER_ELEMENT, FAMILIES, PRECISIONS, WORKLOADS, Demand, demand,
                                   load_workloads_profile, max_batch, no_fit_reason, usable_bytes,
                                   workload_ids)
from rigbench.model.efficiency import (compute_factor, factor_key, fp32_is_tf32, full_rate_gain, gemm_reference,
                                       issue_fraction, launch_seconds, load_efficiency, memory_factor, peak_tflops,
                                       spec_tensor_tflops, step_host_seconds, sustained_clock_fraction)
from rigbench.model.measured import (calibrate_factor, capability_from_results, figures_read, gemm_dtypes,
                                     suite_config)
from rigbench.model.predict import (EXTRAPOLATION, MIN_CELL_PAIRS, pair_uncertainty, predict, ratio_uncertainty,
                                     uncertainty)
from rigbench.model.roofline import (Prediction, capability_step_seconds, efficiency_for, floored_step_seconds,
                                     launch_floor_seconds, point_prediction, step_seconds, tensor_seconds,
                                     times_per_sample)
from rigbench.model.validation import (extra_fit_rows, fit_compute_factor, fit_entries, fit_power_alpha, fit_set_cards,
                                       fit_step_host, fit_target, fit_tensor_share, precision_gain_summary,
                                       precision_gain_table, refit_factors, validation_cell, validation_summary,
                                       validation_table)

__all__ = [
    "BYTES_PER_ELEMENT", "Capability", "Demand", "EXTRAPOLATION", "FAMILIES", "MIN_CELL_PAIRS", "PRECISIONS",
    "Prediction", "WORKLOADS", "calibrate_factor", "capability_from_gpu", "capability_from_results",
    "capability_step_seconds", "compute_factor", "demand", "efficiency_for", "extra_fit_rows", "factor_key",
    "figures_read", "fit_compute_factor", "fit_entries", "fit_power_alpha", "fit_set_cards", "fit_step_host",
    "fit_target", "fit_tensor_share", "floored_step_seconds", "fp32_is_tf32", "full_rate_gain", "gemm_dtypes",
    "gemm_reference", "issue_fraction", "launch_floor_seconds", "launch_seconds", "load_efficiency",
    "load_workloads_profile", "max_batch", "memory_factor", "no_fit_reason", "pair_uncertainty", "peak_tflops",
    "point_prediction", "precision_gain_summary", "precision_gain_table", "predict", "ratio_uncertainty",
    "refit_factors", "spec_tensor_tflops", "step_host_seconds", "step_seconds", "suite_config",
    "sustained_clock_fraction", "tensor_seconds", "times_per_sample", "uncertainty", "usable_bytes",
    "validation_cell", "validation_summary", "validation_table", "workload_ids"
]
