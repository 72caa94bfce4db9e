"""Software versions from package metadata (``importlib.metadata``), never by importing the packages.

torch's CUDA runtime is read as text from the installed ``torch/version.py`` (``cuda = '12.4'`` or ``None`` on a CPU
build): importing torch costs seconds and must work where torch is broken.
"""

from __future__ import annotations

import os
import platform
import re
from importlib import metadata

PACKAGES = {"torch": "torch", "numba": "numba", "numpy": "numpy", "nvidia_ml_py": "nvidia-ml-py",
            "rigbench": "rigbench", "pandas": "pandas"}


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def torch_cuda_runtime() -> tuple[str | None, str | None]:
    """(CUDA runtime version of the installed torch, reason when None), read from torch/version.py as text."""
    try:
        dist = metadata.distribution("torch")
    except metadata.PackageNotFoundError:
        return None, "torch is not installed"
    try:
        path = dist.locate_file("torch/version.py")
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8", errors="replace")
    except OSError as exc:
        return None, f"cannot read torch/version.py ({exc.strerror})"
    m = re.search(r"^cuda\s*(?::[^=]*)?=\s*(.+)$", text, re.MULTILINE)
    if not m:
        return None, "torch/version.py has no 'cuda' entry"
    value = m.group(1).strip().strip("'\"")
    if value == "None":
        hip = re.search(r"^hip\s*(?::[^=]*)?=\s*'([^']+)'", text, re.MULTILINE)
        if hip:
            return None, f"a ROCm build of torch (HIP {hip.group(1)}), not CUDA"
        return None, "a CPU-only build of torch (no CUDA runtime): see the README for a CUDA build"
    return value, None


def probe_software() -> dict:
    """Versions of python and the packages that decide how fast training runs here."""
    cuda, cuda_reason = torch_cuda_runtime()
    doc = {"python": platform.python_version(), "python_implementation": platform.python_implementation()}
    for key, dist in PACKAGES.items():
        doc[key] = _version(dist)
    doc["torch_cuda_runtime"] = cuda
    doc["torch_cuda_runtime_reason"] = cuda_reason
    # NVML lists every GPU; CUDA (torch) sees only these, renumbered from 0: match GPUs by UUID.
    doc["cuda_visible_devices"] = os.environ.get("CUDA_VISIBLE_DEVICES")
    return doc
