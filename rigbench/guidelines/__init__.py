"""The guidelines engine: judge a machine against the laptop, desktop, DIY and cloud guidelines.

The guidelines are Part 4 of "Lessons from becoming a ML Engineer in 12 months" (hackernoon, 2019; the author's copy:
https://matthewmcateer.me/blog/lessons-from-becoming-a-machine-learning-engineer-in-12-months-without-a-cs-math-degree/).

The profiles are data (``profiles/laptop.toml``, ``desktop.toml``, ``diy.toml``, ``cloud.toml``): each rule quotes the
guideline sentence it checks, names a check function of :mod:`rigbench.guidelines.checks` (``check = "ram_min"``) and carries its
thresholds. A guideline software cannot check is listed with ``checkable = false`` and why, never dropped.

A :class:`Machine` is what the rules look at. It comes from a probe (:meth:`Machine.from_probe`), a results file
(:meth:`Machine.from_results`, which adds measurements: preprocess rate, throttling), a ``--spec`` string for a machine
not yet bought (:meth:`Machine.from_spec`), or a cloud instance of the price list (:meth:`Machine.from_instance`).
A field nobody reported is ``None``, and a rule that needs it says ``unknown`` with why.

Each rule gives ``pass``, ``warn``, ``fail``, ``unknown`` or ``n/a``; a profile's verdict is its worst status in the
order fail > warn > unknown > pass, so an unchecked rule never passes silently. ``n/a`` is a rule that does not apply
to this machine (a multi-GPU rule on one GPU; the local-training rules of a laptop that trains in the cloud): it says
why and stays out of the verdict. Rules marked ``optional`` judge an input that only a person can give (a price):
without it they say so and stay out of the verdict.

Which profiles apply to a machine is decided from what it is (:func:`machine_kind`): a laptop, a desktop, a cloud or
local VM, a container, a Mac, a planned build or a rented instance; ``--profile`` overrides.

The package, by concern: ``profiles`` (the rule files, the CPU class), ``machine`` (the :class:`Machine` and its
constructors), ``spec`` (the ``--spec`` text), ``kind`` (what a machine is), ``cards`` and ``rentals`` (the GPU model's
throughput, the price list's rows), ``checks/`` (the rules: hardware, cooling, build, cloud), ``verdicts``,
``advice`` (what to change), ``providers`` (the cloud providers' notes), ``document`` (the recommend document).
"""

from rigbench.guidelines.advice import cheapest_gpu_option, fit_change, gpu_options, suggestions
from rigbench.guidelines.cards import gpu_throughput
from rigbench.guidelines.checks import CHECKS
from rigbench.guidelines.checks.base import NEEDS_BENCH, NEEDS_GPU, NEEDS_RERUN, TB, Check
from rigbench.guidelines.checks.build import psu_needed_w
from rigbench.guidelines.checks.hardware import CLOUD_PATH
from rigbench.guidelines.document import load_machine, recommend, recommendation, verdict_summary
from rigbench.guidelines.kind import MachineKind, is_mac, machine_kind
from rigbench.guidelines.machine import GIB, DiskUnit, GpuUnit, Machine, apply_spec, attach_instance
from rigbench.guidelines.profiles import (PROFILES, CpuClass, Profile, class_name, cpu_class, cpu_model,
                                          intel_core_generation, load_profile)
from rigbench.guidelines.providers import provider_notes
from rigbench.guidelines.spec import SPEC_EXAMPLE, SPEC_FORMS, SPEC_KEYS, is_override_only, parse_spec, typed_size
from rigbench.guidelines.verdicts import (STATUSES, ProfileVerdict, category, counts_of, evaluate, profile_ids,
                                         verdict_of)

__all__ = [
    "CHECKS", "CLOUD_PATH", "GIB", "NEEDS_BENCH", "NEEDS_GPU", "NEEDS_RERUN", "PROFILES", "SPEC_EXAMPLE", "SPEC_FORMS",
    "SPEC_KEYS", "STATUSES", "TB", "Check",
    "CpuClass", "DiskUnit", "GpuUnit", "Machine", "MachineKind", "Profile", "ProfileVerdict", "apply_spec",
    "attach_instance", "category", "cheapest_gpu_option", "class_name", "counts_of", "cpu_class", "cpu_model",
    "evaluate", "fit_change", "gpu_options", "gpu_throughput", "intel_core_generation", "is_mac", "is_override_only",
    "load_machine", "load_profile", "machine_kind", "parse_spec", "profile_ids", "provider_notes", "psu_needed_w",
    "recommend", "recommendation", "suggestions", "typed_size", "verdict_of", "verdict_summary",
]
