"""The ``--spec`` text of a machine not yet bought: ``key=value`` pairs separated by commas, and sizes as people type
them. What the values mean for a machine is :func:`rigbench.guidelines.machine.apply_spec`."""

from __future__ import annotations

import re
import shlex

from rigbench.errors import UserError
from rigbench.units import parse_size, shown

SPEC_KEYS = {
    "ram": "RAM, like 32GB (GB of RAM are binary, as sold; 16000MB is decimal)",
    "gpu": "GPUs, like rtx-2080-ti, 2x rtx-2080-ti, rtx-3090+gtx-1080-ti or none",
    "cpu": "the CPU brand, like \"Intel Core i7-9700K\"",
    "cores": "logical CPUs, like 8",
    "disk": "total local disk, like 4TB, 931GiB or 1TB+2TB",
    "disk_kind": "nvme, ssd or hdd",
    "os": "linux, windows, macos, chromeos or wsl",
    "price": "the machine's price in USD, like 2500 or $2,500",
    "ready_made": "the price of the same machine bought ready-made, in USD (for a DIY build)",
    "psu": "the power supply's rating, like 1200W",
    "gpu_cooling": "blower, open-air or water (how the GPUs are cooled)",
    "kind": "laptop, desktop, diy or cloud (which guidelines apply; guessed from the spec when left out)",
    "instance": "a cloud instance of the price list, like aws:p3.2xlarge",
}
SPEC_FORMS = "key=value pairs separated by commas; keys: " + ", ".join(f"{k} ({v})" for k, v in SPEC_KEYS.items())

OS_NAMES = {"linux": "Linux", "ubuntu": "Linux", "debian": "Linux", "fedora": "Linux", "wsl": "Linux",
            "windows": "Windows", "win": "Windows", "macos": "Darwin", "mac": "Darwin", "osx": "Darwin",
            "darwin": "Darwin", "chromeos": "ChromeOS"}


def parse_spec(text: str) -> dict[str, str]:
    """``ram=32GB,cpu="Intel Core i7-9700K"`` -> ``{"ram": "32GB", "cpu": "Intel Core i7-9700K"}``; bad forms are UserError.

    Split at commas by :mod:`shlex` (POSIX rules, a comma the only separator): a quoted stretch anywhere in a part
    keeps its commas and spaces, a quote left open is an error; no comments, no backslash escapes.
    """
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace, lexer.whitespace_split = ",", True
    lexer.commenters, lexer.escape = "", ""
    try:
        parts = _join_thousands(list(lexer))
    except ValueError:                 # shlex's "No closing quotation"
        raise UserError(f"--spec {shown(text)}: a quote is not closed; write it like {SPEC_EXAMPLE}") from None
    values: dict[str, str] = {}
    for part in (p.strip() for p in parts):
        if not part:
            continue
        key, sep, value = part.partition("=")
        key = key.strip().lower().replace("-", "_")
        if not sep or not value.strip():
            raise UserError(f"--spec: {shown(part)} is not key=value; {SPEC_FORMS}")
        if key not in SPEC_KEYS:
            raise UserError(f"--spec: unknown key {shown(key)}; valid keys: {', '.join(SPEC_KEYS)} (e.g. {SPEC_EXAMPLE})")
        if key in values:
            raise UserError(f"--spec: {key} is given twice")
        values[key] = value.strip()
    if not values:
        raise UserError(f"--spec is empty; {SPEC_FORMS}")
    return values


def _join_thousands(parts: list[str]) -> list[str]:
    """``price=$2,500`` unquoted splits at its comma: a part of three digits after a value ending in a digit is the
    rest of that number (``["price=$2", "500"]`` -> ``["price=$2,500"]``)."""
    out: list[str] = []
    for part in parts:
        if out and "=" in out[-1] and re.fullmatch(r"\d{3}(\.\d+)?\s*[A-Za-z$]*", part.strip()) \
                and re.search(r"\d$", out[-1].strip()):
            out[-1] = out[-1].rstrip() + "," + part.strip()
        else:
            out.append(part)
    return out


SPEC_EXAMPLE = 'ram=32GB,gpu=2x rtx-2080-ti,cpu="Intel Core i7-9700K",cores=8,disk=4TB,disk_kind=ssd,os=linux'
HARDWARE_KEYS = {"ram", "gpu", "cpu", "cores", "disk", "disk_kind", "os", "instance", "psu", "gpu_cooling", "kind"}
# The prices of a machine that is bought: a rented instance has none (the price list prices it by the hour).
PURCHASE_KEYS = {"price", "ready_made"}
KINDS = ("laptop", "desktop", "diy", "cloud")
_TYPED_SIZE = re.compile(r"^\s*([0-9]*\.?([0-9]*))\s*([kmgtp]?)(i?)(b?)\s*$", re.IGNORECASE)


def typed_size(text: str, *, binary: bool, default_unit: str = "G", what: str = "size") -> tuple[int, int, bool]:
    """A size as a person typed it: (bytes, half of its last digit in bytes, typed in decimal units).

    ``931GiB`` is 999,653,638,144 bytes, give or take half a GiB (a 1 TB drive written to the nearest GiB);
    ``16000MB`` is 16 * 10**9 bytes typed in decimal units. Thousands separators are allowed (``16,000MB``).
    """
    cleaned = str(text).replace(",", "").replace("_", "")
    total = parse_size(cleaned, binary=binary, default_unit=default_unit, what=what)   # bad forms: its UserError
    m = _TYPED_SIZE.match(cleaned)
    number, decimals, prefix, i, b = m.groups()
    decimals_n = len(decimals) if "." in number else 0
    unit = (prefix or ("" if b else default_unit)) + i + (b or "B")
    per_unit = parse_size("1" + unit, binary=binary, default_unit=default_unit)
    decimal = not i and (not binary or prefix.lower() in ("k", "m"))
    return total, int(per_unit * 0.5 * 10 ** -decimals_n), decimal


def is_override_only(values: dict[str, str]) -> bool:
    """A spec with no hardware key (only ``price``) adds to the probe or results file instead of describing a machine."""
    return not (set(values) & HARDWARE_KEYS)

