"""What can bend a number, recorded before and after each measurement.

CPU side: torch and Numba thread counts, the load average (other programs on a shared machine), the current clock
as Linux reports it (``/proc/cpuinfo`` "cpu MHz"; in a VM this is the nominal rate, said so). GPU side, through the
one NVML module (``rigbench.probe.nvml``): SM clock, temperature, power draw and the clocks-event (throttle) reasons.
A GPU whose clocks were held down for power or heat during a kernel makes that measurement invalid.
"""

from __future__ import annotations

import os

# Clock-event reasons that mean "slower than it could be because of heat or power" (nvml.h).
THROTTLE_REASONS = ("sw_power_cap", "hw_slowdown", "sw_thermal_slowdown", "hw_thermal_slowdown",
                    "hw_power_brake_slowdown")


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
                from rigbench.probe import nvml as nvml_mod

                self._nvml = nvml_mod.load()
            except ImportError:
                self.reason = "rigbench.probe.nvml is not available"
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
        from rigbench.probe.nvml import CLOCK_SM, TEMPERATURE_GPU, clock_event_names

        sm, _ = n.get("nvmlDeviceGetClockInfo", handle, CLOCK_SM)
        temp, _ = n.get("nvmlDeviceGetTemperature", handle, TEMPERATURE_GPU)
        power_mw, _ = n.get("nvmlDeviceGetPowerUsage", handle)
        mask, why_mask = n.get("nvmlDeviceGetCurrentClocksEventReasons", handle)
        if mask is None:
            mask, why_mask = n.get("nvmlDeviceGetCurrentClocksThrottleReasons", handle)
        reasons = clock_event_names(mask)
        return {"sm_clock_mhz": sm, "temperature_c": temp,
                "power_w": power_mw / 1000 if power_mw is not None else None,
                "clock_event_reasons": reasons, "clock_event_reason_error": why_mask if reasons is None else None}


def throttled(before: dict | None, after: dict | None) -> list[str]:
    """Throttle reasons seen before or after (heat or power), as 'hw_thermal_slowdown' etc."""
    seen: list[str] = []
    for st in (before or {}, after or {}):
        for r in st.get("clock_event_reasons") or []:
            if r in THROTTLE_REASONS and r not in seen:
                seen.append(r)
    return seen
