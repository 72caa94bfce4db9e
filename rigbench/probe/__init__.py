"""What this machine has: CPU, memory, disks, NVIDIA GPUs, OS and software (the ``rigbench.probe/1`` document).

One module per part (``cpu``, ``memory``, ``disks``, ``gpu`` with ``nvml`` as its only NVML boundary, ``software``,
``host``, ``limits``); each reads /proc and /sys in one place under a ``root`` path, so tests point it at recorded
fixture trees. The probe never imports torch (versions come from package metadata) and takes well under a second.

Schema history:
- ``rigbench.probe/1``: keys ``schema, created_utc, cpu, memory, disks, gpus, gpu_error, gpu_binding_warning, os,
  software, host, data_dir``.
"""

from __future__ import annotations

import datetime as _dt
import os
from typing import Any

from rigbench.api import callable_module
from rigbench.probe import cpu as _cpu
from rigbench.probe._files import read_line as _read_line
from rigbench.probe import disks as _disks
from rigbench.probe import gpu as _gpu
from rigbench.probe import host as _host
from rigbench.probe import limits as _limits
from rigbench.probe import memory as _memory
from rigbench.probe import software as _software

SCHEMA = "rigbench.probe/1"


def probe(data_dir: str | None = None, *, root: str | os.PathLike = "/", nvml_lib: Any = None,
          environ: dict | None = None, affinity: int | None = None) -> dict:
    """The ``rigbench.probe/1`` document for this machine.

    ``data_dir``: also report the filesystem and disk holding this path (a nonexistent path is a ``UserError``).
    ``root``, ``nvml_lib``, ``environ``, ``affinity``: test seams (a fixture tree, an NVML stand-in, the environment,
    the affinity-mask size); the defaults read the real machine.
    """
    real = os.fspath(root) == "/"
    blocks = _cpu.read_cpuinfo(root)
    dmi_vendor = _read_line(root, "/sys/class/dmi/id/sys_vendor")
    first = blocks[0] if blocks else {}
    raw_flags = set((first.get("flags") or first.get("Features") or "").split())
    os_doc = _host.probe_os(root, raw_flags, environ)
    cpu = _cpu.probe_cpu(root, blocks, arch=None if real else _arch_of(blocks), dmi_sys_vendor=dmi_vendor,
                         virtualization=os_doc["virtualization"])
    quota = _limits.cpu_quota(root)
    if affinity is None and real:
        affinity = _limits.affinity_size()
    cpu["cpu_quota_cores"] = quota["cpu_quota_cores"]
    cpu["cpu_quota_source"] = quota["source"]
    cpu["affinity_cores"] = affinity
    cpu["usable_cores"] = _limits.usable_cores(cpu["logical_cores"], affinity, quota["cpu_quota_cores"])
    data = _disks.probe_data_dir(data_dir, root) if data_dir is not None else None
    gpus, gpu_error, nvml_info = _gpu.probe_gpus(nvml_lib)
    return {
        "schema": SCHEMA,
        "created_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu": cpu,
        "memory": _memory.probe_memory(root),
        "disks": _disks.probe_disks(root),
        "gpus": gpus,
        "gpu_error": gpu_error,
        "gpu_binding_warning": nvml_info.get("binding_warning"),
        "os": os_doc,
        "software": _software.probe_software(),
        "host": _host.probe_host(root),
        "data_dir": data,
    }


def _arch_of(blocks: list[dict[str, str]]) -> str:
    """The architecture a recorded cpuinfo comes from (for fixture trees)."""
    first = blocks[0] if blocks else {}
    if "CPU implementer" in first:
        return "aarch64"
    return "x86_64"


__all__ = ["probe", "SCHEMA"]

# ``rigbench.probe()`` is ``rigbench.probe.probe()``.
callable_module(__name__, probe)
