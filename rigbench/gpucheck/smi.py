"""nvidia-smi: the query gpu-check asks it, the retry when an older driver refuses a field, and reading its CSV."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

# What nvidia-smi is asked, in the order of its CSV columns (``nvidia-smi --help-query-gpu`` lists every field).
SMI_FIELDS = ("index", "name", "uuid", "pci.bus_id", "driver_version", "memory.total", "clocks.max.sm",
              "clocks.max.memory", "power.limit", "enforced.power.limit", "pcie.link.gen.max",
              "pcie.link.width.max", "compute_cap", "mig.mode.current")
_SMI_CORE = ("index", "name", "uuid")   # never dropped when a driver refuses a field
_SMI_NUMERIC = {"index", "memory.total", "clocks.max.sm", "clocks.max.memory", "power.limit", "enforced.power.limit",
                "pcie.link.gen.max", "pcie.link.width.max"}
_SMI_MISSING = re.compile(r"^\[?(n/a|not supported|unknown error|insufficient permissions|requested functionality "
                          r"has been deprecated)\]?$", re.IGNORECASE)


def smi_command(fields: tuple[str, ...] = SMI_FIELDS) -> list[str]:
    return ["nvidia-smi", f"--query-gpu={','.join(fields)}", "--format=csv"]


def invalid_smi_field(stderr: str, fields: tuple[str, ...]) -> str | None:
    """The field an older driver refused ('Field "compute_cap" is not a valid field to query.'), if that was the error
    and the field may be dropped."""
    m = re.search(r'Field "([^"]+)" is not a valid field', stderr or "")
    if m and m.group(1) in fields and m.group(1) not in _SMI_CORE:
        return m.group(1)
    return None


def _smi_value(name: str, text: str, unit: str | None) -> Any:
    text = text.strip()
    if not text or _SMI_MISSING.match(text):
        return None
    if unit and text.endswith(" " + unit):
        text = text[: -len(unit) - 1].strip()
    if name in _SMI_NUMERIC:
        try:
            return float(text) if "." in text else int(text)
        except ValueError:
            return None
    return text


def smi_retry(argv: list[str], outcome: Any) -> list[str] | None:
    """After an older driver refused a field: the same query without it (None when that was not the error).
    ``outcome``: what the refused command did (a :class:`rigbench.gpucheck.runner.Outcome`; its stdout and stderr
    are read)."""
    fields = tuple(argv[1].split("=", 1)[1].split(","))
    bad = invalid_smi_field(outcome.stderr + outcome.stdout, fields)
    return smi_command(tuple(f for f in fields if f != bad)) if bad else None


def parse_smi_csv(text: str) -> list[dict]:
    """nvidia-smi ``--format=csv`` output -> one dict per GPU keyed by field name ('memory.total': 143771).

    The header names each column and its unit ("memory.total [MiB]"); values carry the unit ("143771 MiB"), which
    is dropped; "[N/A]", "[Not Supported]" and the like become None. Raises ValueError on text that is not that CSV.
    """
    rows = [r for r in csv.reader(io.StringIO(text), skipinitialspace=True) if r and any(c.strip() for c in r)]
    if not rows:
        raise ValueError("nvidia-smi printed nothing")
    header = []
    for col in rows[0]:
        m = re.match(r"^\s*([^\[]+?)\s*(?:\[([^\]]+)\])?\s*$", col)
        if not m:
            raise ValueError(f"unreadable nvidia-smi CSV header column {col!r}")
        header.append((m.group(1), m.group(2)))
    if "name" not in [h for h, _ in header]:
        raise ValueError(f"nvidia-smi CSV header has no 'name' column: {rows[0]}")
    out = []
    for r in rows[1:]:
        if len(r) != len(header):
            raise ValueError(f"nvidia-smi CSV row has {len(r)} columns, the header {len(header)}: {r}")
        out.append({name: _smi_value(name, cell, unit) for (name, unit), cell in zip(header, r)})
    return out

