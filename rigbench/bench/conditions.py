"""What can bend a number, recorded before and after each measurement, and how much the machine itself moved.

CPU side: torch and Numba thread counts, the load average (other programs on a shared machine). GPU side, through the
one NVML module (``rigbench.probe.nvml``): SM clock, temperature, power draw and the clocks-event (throttle) reasons.
A GPU whose clocks were held down for power or heat during a kernel makes that measurement invalid.

The machine during a measurement (:class:`MachineSampler`): CPU time stolen by the hypervisor and CPU time other
programs used, on the CPUs this process may run on, from the kernel's per-CPU counters (``/proc/stat`` through
psutil) less this process's own CPU time. A load average says how many programs wanted a CPU over the last minute;
these say what happened in the very seconds a figure was timed.

The machine between rounds (:class:`Reference`): a fixed workload (a float32 matrix product on every usable core,
the suite's most common kind of work) timed at the start of every round and at the end. Its per-call time moves when
the machine does (a neighbour on the host, a clock that falls), whatever the kernels do; pyperf's advice to check
the system before trusting a benchmark ("pyperf system tune") cannot be followed on a shared VM, so rigbench
measures the machine instead of assuming it quiet.
"""

from __future__ import annotations

import os
import time

import psutil

from rigbench.bench import peaks
from rigbench.bench.timing import Timer
from rigbench.probe import nvml as nvml_mod
from rigbench.probe.nvml import CLOCK_SM, TEMPERATURE_GPU, clock_event_names

# Clock-event reasons that mean "slower than it could be because of heat or power" (nvml.h).
THROTTLE_REASONS = ("sw_power_cap", "hw_slowdown", "sw_thermal_slowdown", "hw_thermal_slowdown",
                    "hw_power_brake_slowdown")
# The power cap at the board's own default limit is how a GPU runs under full load, not a slowdown: NVIDIA's
# datacenter parts (H100, H200 SXM at 700 W) hold dense tensor work at the limit with clocks under the boost
# clock, and that sustained rate is what the card delivers. It is a slowdown when the limit was set below the
# default (nvidia-smi -pl), or when either limit is unknown.
RATED_POWER_CAP = "sw_power_cap"


def cpu_state() -> dict:
    state: dict = {}
    try:
        state["loadavg_1m"] = os.getloadavg()[0]
    except OSError:
        state["loadavg_1m"] = None
    try:
        import torch

        state["torch_threads"] = torch.get_num_threads()
    except ImportError:
        state["torch_threads"] = None
    try:
        import numba

        state["numba_threads"] = numba.get_num_threads()
    except ImportError:
        state["numba_threads"] = None
    return state


class GpuMonitor:
    """Reads a GPU's clock, temperature, power and throttle reasons through ``rigbench.probe.nvml``."""

    def __init__(self, nvml=None):
        self.reason = None
        self._nvml = nvml
        if nvml is None:
            try:
                self._nvml = nvml_mod.load()
            except Exception as exc:  # NvmlUnavailable: the message says what to do
                self.reason = str(exc)

    def state(self, index: int, uuid: str | None = None) -> dict:
        if self._nvml is None:
            return {"nvml": None, "reason": self.reason}
        n = self._nvml
        handle, why = (n.get("nvmlDeviceGetHandleByUUID", uuid) if uuid else (None, None))
        if handle is None:
            handle, why = n.get("nvmlDeviceGetHandleByIndex", index)
        if handle is None:
            return {"nvml": None, "reason": why}

        sm, _ = n.get("nvmlDeviceGetClockInfo", handle, CLOCK_SM)
        temp, _ = n.get("nvmlDeviceGetTemperature", handle, TEMPERATURE_GPU)
        power_mw, _ = n.get("nvmlDeviceGetPowerUsage", handle)
        limit_mw, _ = n.get("nvmlDeviceGetEnforcedPowerLimit", handle)
        default_mw, _ = n.get("nvmlDeviceGetPowerManagementDefaultLimit", handle)
        mask, why_mask = n.get("nvmlDeviceGetCurrentClocksEventReasons", handle)
        if mask is None:
            mask, why_mask = n.get("nvmlDeviceGetCurrentClocksThrottleReasons", handle)
        reasons = clock_event_names(mask)
        return {"sm_clock_mhz": sm, "temperature_c": temp,
                "power_w": power_mw / 1000 if power_mw is not None else None,
                "power_limit_w": limit_mw / 1000 if limit_mw is not None else None,
                "default_power_limit_w": default_mw / 1000 if default_mw is not None else None,
                "clock_event_reasons": reasons, "clock_event_reason_error": why_mask if reasons is None else None}


def at_rated_limit(state: dict) -> bool:
    """The board's enforced power limit is at least its default one (both read): a power cap there is its rating."""
    limit, default = state.get("power_limit_w"), state.get("default_power_limit_w")
    return limit is not None and default is not None and limit >= default


def throttled(before: dict | None, after: dict | None) -> list[str]:
    """Throttle reasons seen before or after (heat or power), as 'hw_thermal_slowdown' etc.; a power cap at the
    board's default limit is left out (``RATED_POWER_CAP``)."""
    seen: list[str] = []
    for st in (before or {}, after or {}):
        for r in st.get("clock_event_reasons") or []:
            if r == RATED_POWER_CAP and at_rated_limit(st):
                continue
            if r in THROTTLE_REASONS and r not in seen:
                seen.append(r)
    return seen


# ------------------------------------------------------------------------------------------------ the machine


def _cpu_counters(cpus: list[int] | None) -> tuple[float, float, float] | None:
    """(busy, steal, total) CPU seconds so far over ``cpus`` (all CPUs if None), from psutil's /proc/stat reading."""
    try:
        per = psutil.cpu_times(percpu=True)
    except (OSError, RuntimeError):
        return None
    chosen = [per[i] for i in cpus if i < len(per)] if cpus else per
    busy = steal = total = 0.0
    for t in chosen:
        st = getattr(t, "steal", 0.0)
        # guest time is already inside user on Linux (proc(5)); idle and iowait are not busy
        b = t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)
        busy += b
        steal += st
        total += b + st + t.idle + getattr(t, "iowait", 0.0)
    return busy, steal, total


def _own_cpu_s() -> float | None:
    try:
        t = psutil.Process().cpu_times()
    except (OSError, RuntimeError):
        return None
    return t.user + t.system + getattr(t, "children_user", 0.0) + getattr(t, "children_system", 0.0)


def tree_cpu_s(root_pid: int) -> float | None:
    """CPU seconds used so far by a process and every live descendant (and the children they waited for): a job
    of several processes on one machine, whose ranks are not "other programs" to each other."""
    try:
        root = psutil.Process(root_pid)
        procs = [root, *root.children(recursive=True)]
    except (OSError, RuntimeError):
        return None
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
        except (OSError, RuntimeError):    # psutil.NoSuchProcess is an OSError: a process that just ended
            continue
        total += t.user + t.system + getattr(t, "children_user", 0.0) + getattr(t, "children_system", 0.0)
    return total


def _usable_cpus() -> list[int] | None:
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None


class MachineSampler:
    """CPU steal and other programs' CPU use over windows of time, summed over every window sampled.

    ``with sampler.window(): ...`` around each timed stretch; ``result()`` gives the fractions of the usable CPUs'
    time (``steal``, ``others``) over all windows so far, and the seconds sampled. Counters tick every 10 ms
    (USER_HZ), so a fraction is good to about 0.02 s over the windows' CPU time."""

    def __init__(self, cpus: list[int] | None = None, own=None):
        self.cpus = cpus if cpus is not None else _usable_cpus()
        self.own_cpu_s = own or _own_cpu_s      # what counts as "us": this process, or a job's process tree
        self.busy = self.steal = self.total = self.own = 0.0
        self.seconds = 0.0
        self.known = True

    def window(self):
        return _Window(self)

    def add(self, other: "MachineSampler") -> None:
        self.busy += other.busy
        self.steal += other.steal
        self.total += other.total
        self.own += other.own
        self.seconds += other.seconds
        self.known = self.known and other.known

    def result(self) -> dict:
        if not self.known or self.total <= 0:
            return {"steal": None, "others": None, "sampled_s": round(self.seconds, 3),
                    "reason": "CPU counters not readable here (psutil / /proc/stat)"}
        return {"steal": round(self.steal / self.total, 4),
                "others": round(max(0.0, self.busy - self.own) / self.total, 4),
                "sampled_s": round(self.seconds, 3)}


class _Window:
    def __init__(self, sampler: MachineSampler):
        self.s = sampler

    def __enter__(self):
        self.c0, self.o0, self.t0 = _cpu_counters(self.s.cpus), self.s.own_cpu_s(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        c1, o1 = _cpu_counters(self.s.cpus), self.s.own_cpu_s()
        self.s.seconds += time.perf_counter() - self.t0
        if None in (self.c0, c1, self.o0, o1):
            self.s.known = False
            return False
        self.s.busy += c1[0] - self.c0[0]
        self.s.steal += c1[1] - self.c0[1]
        self.s.total += c1[2] - self.c0[2]
        self.s.own += o1 - self.o0
        return False


def loadavg_1m() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


REFERENCE_N = 512      # the reference product is n x n x n float32: 2 n^3 = 0.27 GFLOP, about 1-2 ms on two cores
REFERENCE_WARMUP_S = 0.3   # untimed calls before the first reading: thread pools, page faults, the clock ramping up
REFERENCE_SAMPLES = 9      # per reading; the median of nine ignores up to four samples hit by a neighbour


class Reference:
    """The fixed reference workload, timed once per round (see the module docstring).

    The first reading is taken only after :data:`REFERENCE_WARMUP_S` of untimed calls: the very first matrix
    products of a process start the thread pool and fault in their pages, and a cold first reading would show the
    machine "moving" between the first round and the next when only the process warmed up."""

    workload = f"float32 matrix product {REFERENCE_N}x{REFERENCE_N}x{REFERENCE_N} on the usable cores (torch)"

    def __init__(self, timer=None, warmup_s: float = REFERENCE_WARMUP_S):
        self.timer = timer or Timer(min_sample_s=0.005, min_samples=REFERENCE_SAMPLES,
                                    max_samples=REFERENCE_SAMPLES, min_total_s=0.0, warmup_s=0.02)
        self.warmup_s = warmup_s
        self._fn = None
        self.inner: int | None = None

    def _work(self):
        if self._fn is None:
            import torch

            gen = torch.Generator().manual_seed(0)
            a = torch.randn(REFERENCE_N, REFERENCE_N, generator=gen)
            b = torch.randn(REFERENCE_N, REFERENCE_N, generator=gen)
            out = torch.empty(REFERENCE_N, REFERENCE_N)
            self._fn = lambda: torch.mm(a, b, out=out)
            deadline = time.perf_counter() + self.warmup_s
            while time.perf_counter() < deadline:
                self._fn()
        return self._fn

    def measure(self) -> dict:
        """One reading: the median per-call time, with the machine during it."""
        work = self._work()
        sampler = MachineSampler()
        with sampler.window():
            m = self.timer.measure(work, inner=self.inner)
        self.inner = m.inner        # the same calls per sample in every round, so readings compare like for like
        return {"median_s": m.median_s, "spread": round(m.spread, 4), "inner": m.inner,
                "loadavg_1m": loadavg_1m(), **sampler.result()}


def drift(readings: list[dict]) -> float | None:
    """(slowest - fastest) reference reading over their median: how far the machine moved; None with under two."""
    times = sorted(r["median_s"] for r in readings if isinstance(r.get("median_s"), (int, float)) and r["median_s"] > 0)
    if len(times) < 2:
        return None
    mid = times[len(times) // 2] if len(times) % 2 else (times[len(times) // 2 - 1] + times[len(times) // 2]) / 2
    return round((times[-1] - times[0]) / mid, 4)


def cpu_clock_reading() -> dict:
    """The scalar CPU clock right now (the chain of :mod:`rigbench.bench.peaks`), with the machine during it: after
    every round of load, for the cooling guideline, which must tell heat from a neighbour."""

    sampler = MachineSampler()
    with sampler.window():
        hz = peaks.measure_clock_hz(iterations=500_000, repeats=20)
    return {"scalar_mhz": round(hz / 1e6), "machine": sampler.result()}

