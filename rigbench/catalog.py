"""The GPU catalog: NVIDIA cards from Pascal to Blackwell, read from ``profiles/gpus.csv``.

Every row is one card with its spec-sheet numbers and the source they came from. Tensor-core figures are dense (no
2:4 sparsity) FP16/BF16 with FP32 accumulate, the mode mixed-precision training uses: GeForce cards run it at half
their FP16-accumulate rate, data-centre and workstation cards at full rate. ``fp16_tflops`` is the non-tensor FP16
rate (1/64 of FP32 on consumer Pascal), used only for cards without tensor cores. ``nvlink_gbps`` is 0 for a card
without NVLink; an empty cell (``None``) means the figure is not published.

Names resolve leniently: ``1080ti``, ``GTX 1080 Ti``, ``gtx-1080-ti`` and the NVML name ``NVIDIA GeForce GTX 1080 Ti``
are one card (:func:`resolve`); the probe asks :func:`match_nvml_name`, which never raises.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rigbench import data
from rigbench.errors import UserError
from rigbench.files import read_text

ARCHITECTURES = ("pascal", "volta", "turing", "ampere", "ada", "hopper", "blackwell")

# words a vendor puts in front of a model name; dropped before matching
_NOISE_WORDS = re.compile(r"\b(nvidia|geforce|tesla)\b")
_NON_ALNUM = re.compile(r"[^a-z0-9]")


@dataclass(frozen=True)
class Gpu:
    """One card of the catalog. Units are in the names; ``None`` means not published (see ``source``)."""

    id: str
    name: str
    aliases: tuple[str, ...]
    architecture: str
    compute_capability: str
    sm_count: int | None
    cuda_cores: int | None
    boost_clock_mhz: int | None
    fp32_tflops: float
    fp16_tflops: float | None          # non-tensor FP16 (CUDA cores)
    has_tensor_cores: bool
    fp16_tensor_tflops: float | None   # dense, FP32 accumulate
    bf16_tensor_tflops: float | None   # dense, FP32 accumulate; None before Ampere
    tf32_tflops: float | None          # dense; None before Ampere
    memory_gb: float
    memory_type: str
    memory_bandwidth_gbps: float
    tdp_w: float | None
    pcie_gen: int
    pcie_lanes: int
    nvlink_gbps: float                 # total bidirectional NVLink bandwidth; 0 = none
    launch_year: int
    launch_price_usd: float | None
    source: str

    @property
    def memory_bytes(self) -> int:
        """Device memory in bytes (GPU memory is sold in binary units: 24 GB = 24 GiB)."""
        return int(self.memory_gb * 1024**3)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["aliases"] = list(self.aliases)
        return d


def normalize(name: str) -> str:
    """'NVIDIA GeForce GTX 1080 Ti' -> 'gtx1080ti': lowercase, vendor words and punctuation dropped."""
    return _NON_ALNUM.sub("", _NOISE_WORDS.sub(" ", str(name).lower()))


_INT_FIELDS = {"sm_count", "cuda_cores", "boost_clock_mhz", "pcie_gen", "pcie_lanes", "launch_year"}
_FLOAT_FIELDS = {"fp32_tflops", "fp16_tflops", "fp16_tensor_tflops", "bf16_tensor_tflops", "tf32_tflops",
                 "memory_gb", "memory_bandwidth_gbps", "tdp_w", "nvlink_gbps", "launch_price_usd"}


def _parse_row(row: dict, where: str) -> Gpu:
    values: dict = {}
    for f in dataclasses.fields(Gpu):
        raw = (row.get(f.name) or "").strip()
        if f.name == "aliases":
            values[f.name] = tuple(a.strip() for a in raw.split(";") if a.strip())
        elif f.name == "has_tensor_cores":
            if raw not in ("true", "false"):
                raise ValueError(f"{where}: has_tensor_cores must be true or false, not {raw!r}")
            values[f.name] = raw == "true"
        elif f.name in _INT_FIELDS:
            values[f.name] = int(raw) if raw else None
        elif f.name in _FLOAT_FIELDS:
            values[f.name] = float(raw) if raw else None
        else:
            values[f.name] = raw
    return Gpu(**values)


@lru_cache(maxsize=4)
def _load(path: str | None) -> tuple[Gpu, ...]:
    if path is None:
        rows = data.load_csv("gpus.csv")
    else:
        rows = data.parse_csv(read_text(path, "GPU catalog"), path)
    return tuple(_parse_row(row.values, row.where) for row in rows)


def load_catalog(path: str | Path | None = None) -> list[Gpu]:
    """All cards, in file order (by architecture, then by size)."""
    return list(_load(str(path) if path is not None else None))


def match_keys(gpu: Gpu) -> set[str]:
    """The normalised names a card answers to: its id, name and aliases."""
    return {k for k in (normalize(x) for x in (gpu.id, gpu.name, *gpu.aliases)) if k}


@lru_cache(maxsize=4)
def _index(path: str | None) -> dict[str, Gpu]:
    index: dict[str, Gpu] = {}
    for gpu in _load(path):
        for key in match_keys(gpu):
            index.setdefault(key, gpu)
    return index


def find(name: str) -> Gpu | None:
    """The card called ``name`` (any spelling :func:`normalize` folds together), or None."""
    return _index(None).get(normalize(name))


def match_nvml_name(name: str | None) -> str | None:
    """The catalog id of the card NVML calls ``name`` ('NVIDIA GeForce RTX 2080 Ti' -> 'rtx-2080-ti'); None if unknown."""
    if not name:
        return None
    gpu = find(name)
    return gpu.id if gpu is not None else None


def closest(name: str, n: int = 3) -> list[str]:
    """Ids of the cards whose names are nearest to ``name`` (difflib ratio on normalised names)."""
    key = normalize(name)
    by_key = {k: g.id for k, g in _index(None).items()}
    hits = difflib.get_close_matches(key, list(by_key), n=n * 3, cutoff=0.5)
    ids: list[str] = []
    for k in hits:
        if by_key[k] not in ids:
            ids.append(by_key[k])
    return ids[:n]


def resolve(name: str) -> Gpu:
    """The card called ``name``; an unknown name is a ``UserError`` naming the closest matches."""
    gpu = find(name)
    if gpu is not None:
        return gpu
    near = closest(name)
    hint = f"did you mean {', '.join(near)}?" if near else "no close match"
    raise UserError(f"unknown GPU {name!r}: {hint} ('rigbench gpus' lists all {len(_load(None))} cards)")
