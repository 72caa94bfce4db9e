"""The cooling rule: throttling under sustained load, read from a results file (GPU clock-event reasons; the CPU
clock before and after the run where no GPU was measured)."""

from __future__ import annotations

import math

from rigbench import validity
from rigbench.guidelines.checks.base import Check, below, judged, needs_bench
from rigbench.guidelines.machine import Machine

# NVML clock-event reasons as rigbench.bench.conditions records them (nvml.h): heat, or a power limit.
_THERMAL_REASONS = ("sw_thermal_slowdown", "hw_thermal_slowdown", "hw_slowdown")   # hw_slowdown: heat or power brake
_POWER_REASONS = ("sw_power_cap", "hw_power_brake_slowdown")


# A CPU clock that falls by more than this between the start and the end of a rigbench bench run counts as slowing
# down under load. The same 10% is where rigbench calls a measurement's spread unstable (pyperf's threshold): a smaller
# difference between two clock readings is within what a shared or busy machine shows anyway.
CPU_CLOCK_DROP = 0.10


def _quiet_measured(machine) -> bool:
    """Both CPU steal and other programs' load were measured during a clock reading (as fractions)."""
    if not isinstance(machine, dict):
        return False
    return all(isinstance(machine.get(k), (int, float)) and not isinstance(machine.get(k), bool)
               and math.isfinite(machine[k]) for k in ("steal", "others"))


def _check_cpu_cooling(rule: dict, m: Machine, req: str) -> Check:
    """The CPU clock before the suite and after each round of load. On a shared or virtual machine a neighbour's
    load reads exactly like heat (the clock is timed, and a stolen core runs fewer iterations), so a fall is judged
    only when every reading after load shows it and every reading recorded CPU steal and other programs' load, none
    over the limits of :mod:`rigbench.validity`; otherwise the answer is unknown, saying why."""
    view = m.view
    start, after = view.cpu_clock()
    if start is None or not after:
        # a run stopped early has not reached the readings it takes after each round; a complete one without them
        # was written by an older version
        stopped = view.stopped_before("its CPU clock readings after load" if start is not None else
                                      "its CPU clock reading before load")
        return judged(rule, "unknown", "no GPU measurements", req,
                      f"{m.results_path} has no GPU measurement and no CPU clock before and after the run ("
                      + (stopped or "re-run `rigbench bench` with this version") + ")",
                      stopped=view.stopped, remedy=needs_bench())
    ends = [float(r["scalar_mhz"]) for r in after]
    drops = [1 - e / start for e in ends]
    measured = f"CPU clock {start:,.0f} -> {', '.join(f'{e:,.0f}' for e in ends)} MHz"
    worst = max(drops)
    if min(drops) < -CPU_CLOCK_DROP:
        # every reading after load above the one before it by more than the threshold: the first reading was
        # slowed (a neighbour only ever slows the timed chain), so there is no trustworthy baseline to fall from
        return judged(rule, "unknown", measured, req,
                      f"the clock before the suite read {start:,.0f} MHz, {-min(drops):.0%} below a reading after load: "
                      "that first reading was slowed by other programs, so a fall cannot be judged; rerun "
                      "`rigbench bench` when the machine is quiet", round(worst, 3), CPU_CLOCK_DROP, "clock drop",
                      remedy=needs_bench())
    if worst <= CPU_CLOCK_DROP:
        return judged(rule, "pass", measured, req,
                      f"no CPU slow-down over the run ({-worst:+.0%} at most, {len(ends)} reading(s) after load); "
                      "no GPU measured", round(worst, 3), CPU_CLOCK_DROP, "clock drop")
    explained = [x for r in after for x in validity.machine_reasons(r.get("machine"))]
    if explained:
        return judged(rule, "unknown", measured, req,
                      f"the CPU clock fell {worst:.0%}, but not on a quiet machine ({explained[0]['text']}): a "
                      "neighbour's load reads like heat; rerun `rigbench bench` when the machine is quiet",
                      round(worst, 3), CPU_CLOCK_DROP, "clock drop", remedy=needs_bench())
    if len(ends) < 2 or min(drops) <= CPU_CLOCK_DROP:
        seen = (f"in {sum(d > CPU_CLOCK_DROP for d in drops)} of {len(ends)} readings after load" if len(ends) > 1
                else "in the one reading after load this file has")
        return judged(rule, "unknown", measured, req,
                      f"the CPU clock fell {worst:.0%} {seen}: not repeatable, so not judged (heat holds the clock "
                      "down in every reading; a neighbour or a burst does not); rerun `rigbench bench`",
                      round(worst, 3), CPU_CLOCK_DROP, "clock drop", remedy=needs_bench())
    unwatched = [r for r in after if not _quiet_measured(r.get("machine"))]
    if unwatched:
        # no steal or load recorded is not a quiet machine: a neighbour could explain the fall as well as heat
        return judged(rule, "unknown", measured, req,
                      f"the CPU clock fell {worst:.0%}, but the machine's CPU steal and other programs' load during "
                      f"{len(unwatched)} of the {len(ends)} readings after load were not recorded, so heat cannot be "
                      "told from a neighbour; rerun `rigbench bench`", round(worst, 3),
                      CPU_CLOCK_DROP, "clock drop", remedy=needs_bench())
    return judged(rule, below(rule), measured, req,
                  f"the CPU clock fell {min(drops):.0%}-{worst:.0%} in all {len(ends)} readings after load, with "
                  "no CPU steal or other load to explain it: heat or a power limit", round(worst, 3), CPU_CLOCK_DROP,
                  "clock drop", {"kind": "cooling"})


def check_cooling(rule: dict, m: Machine) -> Check:
    """GPU clock-event reasons around every GPU figure: heat seen fails, a power cap warns, and it passes only when
    the reasons were read for every GPU figure (none read is not "no throttling"). Without GPU figures, the CPU
    clock (:func:`_check_cpu_cooling`)."""
    req = "no thermal throttling under load"
    if not m.results:
        return judged(rule, "unknown", "-", req, "needs a sustained-load run: `rigbench bench`, then "
                                                  "`rigbench recommend RESULTS.json`", remedy=needs_bench())
    # clock events are conditions, not figures: an invalid (throttled) figure is exactly the evidence
    rows = m.view.ok(device="cuda", valid_only=False)
    if not rows:
        return _check_cpu_cooling(rule, m, req)
    thermal = [x for x in rows if x.clock_events() & set(_THERMAL_REASONS)]
    power = [x for x in rows if x.clock_events() & set(_POWER_REASONS)]
    n = len(rows)

    def names(xs):
        kinds = sorted({f"{x.kernel} on {x.device}" for x in xs})
        events = sorted(set().union(*(x.clock_events() for x in xs)) & set(_THERMAL_REASONS + _POWER_REASONS))
        return f"{', '.join(events)} during {', '.join(kinds[:3])}" + (" ..." if len(kinds) > 3 else "")

    if thermal:
        return judged(rule, below(rule), f"thermal throttling in {len(thermal)} of {n}", req,
                      f"the GPU slowed for heat: {names(thermal)}", len(thermal), 0, "measurements", {"kind": "cooling"})
    if power:
        return judged(rule, "warn", f"power-capped in {len(power)} of {n}", req,
                      f"{names(power)} (capping at the power limit is normal under full load, but the card runs at "
                      "its edge: check the power supply and airflow)", len(power), 0, "measurements", {"kind": "cooling"})
    unread = [x for x in rows if not x.clock_events_read()]
    if unread:
        # a throttle reason nobody read is not "no throttling": the verdict waits for readings
        why = next((w for w in (x.clock_events_unread() for x in unread) if w), None)
        return judged(rule, "unknown", f"throttle reasons not recorded for {len(unread)} of {n} GPU measurements",
                      req, f"{m.results_path} records neither the GPU's clock nor its throttle reasons (NVML) around "
                      f"{len(unread)} of its {n} GPU measurements" + (f" ({why})" if why else "")
                      + ", so whether the GPU slowed for heat is not known; rerun the benchmark where NVML can read "
                      "the GPU (nvidia-ml-py and the NVIDIA driver)", len(unread), 0, "measurements")
    return judged(rule, "pass", f"no throttling in {n} GPU measurements", req,
                  f"{m.results_path}: no heat or power throttle reason before or after {n} GPU measurements"
                  + ("" if m.view.complete else " (run interrupted)"), 0, 0, "measurements")


