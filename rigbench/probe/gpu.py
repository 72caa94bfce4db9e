"""NVIDIA GPUs from NVML: one entry per GPU (MIG instances listed under their parent), or ``gpu_error``.

All NVML access goes through :mod:`rigbench.probe.nvml`; a field the driver does not support is ``None`` and its
reason is in the entry's ``reasons`` dict. GPUs are identified by ``uuid`` (NVML's index order need not match CUDA's:
match with :func:`find_gpu`).
"""

from __future__ import annotations

from typing import Any

from rigbench import catalog
from rigbench.probe import nvml as nvml_mod

# Fields of a GPU entry and what they mean (units in names).
GPU_FIELDS = ("index", "name", "uuid", "pci_bus_id", "memory_total_bytes", "compute_capability", "driver_version",
              "cuda_driver_version", "power_limit_w", "power_draw_w", "pcie_generation", "pcie_width",
              "pcie_generation_current", "pcie_width_current", "temperature_c", "sm_clock_mhz", "max_sm_clock_mhz",
              "memory_bus_width_bits", "max_memory_clock_mhz", "throttle_reasons", "mig_enabled", "mig_devices",
              "catalog_id")


def _catalog_id(name: str | None) -> tuple[str | None, str | None]:
    """The catalog id of an NVML name (``rigbench.catalog.match_nvml_name``), or None with the reason."""
    if not name:
        return None, "no GPU name"
    found = catalog.match_nvml_name(name)
    return found, None if found else f"{name!r} is not in the GPU catalog"


def _cuda_version(raw: int | None) -> str | None:
    """NVML's CUDA driver version integer (12040) -> "12.4"."""
    if raw is None:
        return None
    return f"{raw // 1000}.{(raw % 1000) // 10}"


def _pcie(nv: nvml_mod.Nvml, handle: Any, entry: dict, reasons: dict) -> None:
    for key, fn in (("pcie_generation", "nvmlDeviceGetMaxPcieLinkGeneration"),
                    ("pcie_width", "nvmlDeviceGetMaxPcieLinkWidth"),
                    ("pcie_generation_current", "nvmlDeviceGetCurrPcieLinkGeneration"),
                    ("pcie_width_current", "nvmlDeviceGetCurrPcieLinkWidth")):
        entry[key], reason = nv.get(fn, handle)
        if reason:
            reasons[key] = reason


def _device_entry(nv: nvml_mod.Nvml, index: int, handle: Any, driver: str | None, cuda: str | None) -> dict:
    reasons: dict[str, str] = {}

    def field(key: str, fn: str, *args: Any, convert=lambda v: v):
        value, reason = nv.get(fn, handle, *args)
        if reason:
            reasons[key] = reason
            return None
        return convert(value)

    entry: dict[str, Any] = {"index": index}
    entry["name"] = field("name", "nvmlDeviceGetName")
    entry["uuid"] = field("uuid", "nvmlDeviceGetUUID")
    entry["pci_bus_id"] = field("pci_bus_id", "nvmlDeviceGetPciInfo",
                                convert=lambda p: _decode(getattr(p, "busId", None)))
    entry["memory_total_bytes"] = field("memory_total_bytes", "nvmlDeviceGetMemoryInfo", convert=lambda m: int(m.total))
    entry["compute_capability"] = field("compute_capability", "nvmlDeviceGetCudaComputeCapability",
                                        convert=lambda cc: f"{cc[0]}.{cc[1]}")
    entry["driver_version"] = driver
    entry["cuda_driver_version"] = cuda
    # The enforced limit (what the board really holds to), in mW.
    entry["power_limit_w"] = field("power_limit_w", "nvmlDeviceGetEnforcedPowerLimit", convert=lambda mw: mw / 1000)
    entry["power_draw_w"] = field("power_draw_w", "nvmlDeviceGetPowerUsage", convert=lambda mw: mw / 1000)
    _pcie(nv, handle, entry, reasons)
    entry["temperature_c"] = field("temperature_c", "nvmlDeviceGetTemperature", nvml_mod.TEMPERATURE_GPU)
    entry["sm_clock_mhz"] = field("sm_clock_mhz", "nvmlDeviceGetClockInfo", nvml_mod.CLOCK_SM)
    entry["max_sm_clock_mhz"] = field("max_sm_clock_mhz", "nvmlDeviceGetMaxClockInfo", nvml_mod.CLOCK_SM)
    entry["memory_bus_width_bits"] = field("memory_bus_width_bits", "nvmlDeviceGetMemoryBusWidth")
    entry["max_memory_clock_mhz"] = field("max_memory_clock_mhz", "nvmlDeviceGetMaxClockInfo", nvml_mod.CLOCK_MEM)
    mask, reason = nv.get("nvmlDeviceGetCurrentClocksEventReasons", handle)
    if reason and mask is None:
        mask, reason = nv.get("nvmlDeviceGetCurrentClocksThrottleReasons", handle)
    entry["throttle_reasons"] = nvml_mod.clock_event_names(mask)
    if reason:
        reasons["throttle_reasons"] = reason
    mig, reason = nv.get("nvmlDeviceGetMigMode", handle)
    if reason:
        entry["mig_enabled"] = None
        reasons["mig_enabled"] = reason
    else:
        entry["mig_enabled"] = bool(mig[0])  # (current, pending)
    entry["mig_devices"] = _mig_devices(nv, handle) if entry["mig_enabled"] else []
    entry["catalog_id"], reason = _catalog_id(entry["name"])
    if reason:
        reasons["catalog_id"] = reason
    lost = [k for k, r in reasons.items() if r == nvml_mod._REASONS[nvml_mod.NVML_ERROR_GPU_IS_LOST]]
    entry["error"] = reasons[lost[0]] if lost else None
    entry["reasons"] = reasons
    return entry


def _decode(value: Any) -> Any:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def _mig_devices(nv: nvml_mod.Nvml, parent: Any) -> list[dict]:
    """MIG instances of a parent GPU, each with its own UUID ("MIG-...") and memory."""
    count, _ = nv.get("nvmlDeviceGetMaxMigDeviceCount", parent)
    out = []
    for i in range(count or 0):
        handle, reason = nv.get("nvmlDeviceGetMigDeviceHandleByIndex", parent, i)
        if reason:  # an empty slot is NVML_ERROR_NOT_FOUND
            continue
        reasons: dict[str, str] = {}
        item: dict[str, Any] = {"mig_index": i}
        for key, fn, convert in (("name", "nvmlDeviceGetName", None), ("uuid", "nvmlDeviceGetUUID", None),
                                 ("memory_total_bytes", "nvmlDeviceGetMemoryInfo", lambda m: int(m.total)),
                                 ("gpu_instance_id", "nvmlDeviceGetGpuInstanceId", None),
                                 ("compute_instance_id", "nvmlDeviceGetComputeInstanceId", None)):
            value, reason = nv.get(fn, handle)
            if reason:
                reasons[key] = reason
            item[key] = convert(value) if (convert and value is not None) else value
        item["reasons"] = reasons
        out.append(item)
    return out


def probe_gpus(lib: Any = None) -> tuple[list[dict], str | None, dict]:
    """``(gpus, gpu_error, nvml_info)``. ``lib`` is the NVML binding (tests pass a stand-in)."""
    try:
        nv = nvml_mod.load(lib)
    except nvml_mod.NvmlUnavailable as exc:
        return [], str(exc), {"binding_warning": None}
    with nv:
        info = {"binding_warning": nv.binding_warning}
        driver, _ = nv.get("nvmlSystemGetDriverVersion")
        cuda_raw, _ = nv.get("nvmlSystemGetCudaDriverVersion_v2")
        if cuda_raw is None:
            cuda_raw, _ = nv.get("nvmlSystemGetCudaDriverVersion")
        count, reason = nv.get("nvmlDeviceGetCount")
        if reason:
            return [], f"NVML could not count the GPUs ({reason})", info
        if not count:
            return [], nvml_mod.MSG_NO_DEVICE, info
        gpus = []
        for index in range(count):
            handle, reason = nv.get("nvmlDeviceGetHandleByIndex", index)
            if reason:
                entry = {key: None for key in GPU_FIELDS}
                entry.update(index=index, driver_version=driver, cuda_driver_version=_cuda_version(cuda_raw),
                             mig_devices=[], error=reason, reasons={"handle": reason})
                gpus.append(entry)
                continue
            gpus.append(_device_entry(nv, index, handle, driver, _cuda_version(cuda_raw)))
    return gpus, None, info


def _norm_uuid(uuid: str) -> str:
    u = uuid.strip().lower()
    return u[4:] if u.startswith("gpu-") else u


def find_gpu(gpus: list[dict], uuid: str) -> dict | None:
    """The GPU or MIG entry with this UUID ("GPU-..." or bare, as torch reports it; "MIG-..." for MIG)."""
    want = _norm_uuid(uuid)
    for g in gpus:
        if g.get("uuid") and _norm_uuid(g["uuid"]) == want:
            return g
        for m in g.get("mig_devices") or []:
            if m.get("uuid") and _norm_uuid(m["uuid"]) == want:
                return m
    return None
