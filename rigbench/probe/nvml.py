"""The one module that talks to NVML (through nvidia-ml-py, imported as ``pynvml``).

Every NVML call goes through :meth:`Nvml.get`, which turns "not supported", "function not found", "no permission",
"GPU is lost" and similar into ``(None, reason)``; nothing above this module catches NVML errors. Starting NVML
(:func:`load`) turns a missing library, a driver/library version mismatch or no device into a message a person can
act on.

Tests stand in for NVML at this boundary: ``load(lib=fake)`` with a module-like object offering the same functions,
``NVMLError`` (with ``.value``, the NVML return code) and constants.
"""

from __future__ import annotations

import os
from typing import Any

import pynvml  # nvidia-ml-py: importing it loads nothing; nvmlInit opens libnvidia-ml

# NVML return codes (nvml.h, stable across releases).
NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_NO_PERMISSION = 4
NVML_ERROR_NOT_FOUND = 6
NVML_ERROR_DRIVER_NOT_LOADED = 9
NVML_ERROR_LIBRARY_NOT_FOUND = 12
NVML_ERROR_FUNCTION_NOT_FOUND = 13
NVML_ERROR_GPU_IS_LOST = 15
NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18
NVML_ERROR_UNKNOWN = 999

# nvmlDeviceGetCurrentClocksEventReasons bits (nvml.h "nvmlClocksEventReason*"): why clocks are below maximum.
CLOCK_EVENT_REASONS = {
    0x1: "gpu_idle", 0x2: "applications_clocks_setting", 0x4: "sw_power_cap", 0x8: "hw_slowdown",
    0x10: "sync_boost", 0x20: "sw_thermal_slowdown", 0x40: "hw_thermal_slowdown", 0x80: "hw_power_brake_slowdown",
    0x100: "display_clock_setting",
}

CLOCK_SM = 1       # NVML_CLOCK_SM
CLOCK_MEM = 2      # NVML_CLOCK_MEM
TEMPERATURE_GPU = 0  # NVML_TEMPERATURE_GPU

MSG_NO_LIBRARY = ("no NVIDIA driver found (libnvidia-ml.so not loadable): install the NVIDIA driver, or ignore "
                  "this on a machine without an NVIDIA GPU")
MSG_MISMATCH = ("NVIDIA driver/library version mismatch (the loaded kernel module and libnvidia-ml.so come from "
                "different driver versions, usually after a driver update): reload the driver or reboot")
MSG_NOT_LOADED = ("the NVIDIA driver is installed but its kernel module is not loaded: load it "
                  "('sudo modprobe nvidia') or reboot, then check 'nvidia-smi'")
MSG_NO_PERMISSION = ("no permission to open the NVIDIA devices (/dev/nvidia*): run as a user allowed to use them; in a "
                     "container start it with '--gpus all'")
MSG_NO_DEVICE = ("the NVIDIA driver is loaded but reports no GPU: check 'nvidia-smi'; in a container start it with "
                 "'--gpus all' (or set NVIDIA_VISIBLE_DEVICES)")

_REASONS = {
    NVML_ERROR_NOT_SUPPORTED: "not supported by this GPU or driver",
    NVML_ERROR_NO_PERMISSION: "no permission to read it (try as root)",
    NVML_ERROR_NOT_FOUND: "not found",
    NVML_ERROR_FUNCTION_NOT_FOUND: "this driver's NVML does not have the function (driver too old)",
    NVML_ERROR_GPU_IS_LOST: "the GPU is lost (fell off the bus or stopped answering): check 'nvidia-smi' and dmesg; "
                            "a reboot is usually needed",
}


class NvmlUnavailable(Exception):
    """NVML could not start; ``str(exc)`` is the message for ``gpu_error``."""


def _code(exc: BaseException) -> int | None:
    value = getattr(exc, "value", None)
    return value if isinstance(value, int) else None


def _startup_message(exc: BaseException) -> str:
    code = _code(exc)
    if code == NVML_ERROR_LIBRARY_NOT_FOUND:
        return MSG_NO_LIBRARY
    if code == NVML_ERROR_LIB_RM_VERSION_MISMATCH:
        return MSG_MISMATCH
    if code == NVML_ERROR_DRIVER_NOT_LOADED:
        return MSG_NOT_LOADED
    if code == NVML_ERROR_NO_PERMISSION:
        return MSG_NO_PERMISSION
    return f"NVML could not start ({exc}): check that 'nvidia-smi' works"


def _decode(value: Any) -> Any:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


class Nvml:
    """A started NVML. Use as a context manager (shuts NVML down on exit)."""

    def __init__(self, lib: Any):
        self.lib = lib
        self.binding_warning = _binding_warning(lib)

    def get(self, function: str, *args: Any) -> tuple[Any, str | None]:
        """Call ``lib.<function>(*args)``: ``(value, None)``, or ``(None, reason)`` for any NVML error."""
        fn = getattr(self.lib, function, None)
        if fn is None:
            return None, f"{function} is not in this nvidia-ml-py: upgrade it (pip install -U nvidia-ml-py)"
        try:
            return _decode(fn(*args)), None
        except self.lib.NVMLError as exc:
            code = _code(exc)
            return None, _REASONS.get(code, f"NVML error {code}: {exc}")

    def __enter__(self) -> "Nvml":
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self.lib.nvmlShutdown()
        except self.lib.NVMLError:
            pass


def _binding_warning(lib: Any) -> str | None:
    """nvidia-ml-py installs a single ``pynvml.py``; the deprecated ``pynvml`` package (before 12) is a directory."""
    path = getattr(lib, "__file__", None)
    if path and os.path.basename(path) == "__init__.py":
        return ("'pynvml' here is the deprecated pynvml package, not NVIDIA's nvidia-ml-py: "
                "pip uninstall pynvml && pip install nvidia-ml-py")
    return None


def load(lib: Any = None) -> Nvml:
    """Start NVML and return it; raise :class:`NvmlUnavailable` with a message a person can act on.

    ``lib`` is the binding module (``pynvml`` by default); tests pass a stand-in.
    """
    lib = pynvml if lib is None else lib
    try:
        lib.nvmlInit()
    except lib.NVMLError as exc:
        raise NvmlUnavailable(_startup_message(exc)) from None
    except OSError as exc:  # the shared library exists but cannot be loaded (wrong architecture, broken install)
        raise NvmlUnavailable(f"{MSG_NO_LIBRARY} ({exc})") from None
    return Nvml(lib)


def clock_event_names(mask: int | None) -> list[str] | None:
    """A clocks-event (throttle) bitmask -> the names of the set reasons ([] when none)."""
    if mask is None:
        return None
    return [name for bit, name in CLOCK_EVENT_REASONS.items() if mask & bit]
