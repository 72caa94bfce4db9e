"""Units: parsing what people type ("32GB", "4 TB", "$2,500") and printing numbers with their unit.

Sizes follow the convention of the thing measured: RAM and GPU memory are sold in binary units (16 GB of RAM is
16 GiB), disks in decimal units (a 1 TB drive holds 10**12 bytes). ``parse_size`` takes the convention as an
argument; ``GiB``/``TiB`` written out are always binary and ``GB``/``TB`` follow ``binary``.
"""

from __future__ import annotations

import math
import re

from rigbench.errors import UserError

_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([kmgtp]?)(i?)(b?)\s*$", re.IGNORECASE)
_POW = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5}


def parse_size(text: str, *, binary: bool, default_unit: str = "G") -> int:
    """'32GB' -> bytes. ``binary`` decides what GB/TB mean; 'GiB' is always binary. A bare number takes ``default_unit``."""
    m = _SIZE.match(str(text))
    if not m:
        raise UserError(f"cannot read size {text!r}: write it like 16GB, 512GiB or 4TB")
    number, prefix, i, b = m.groups()
    if not prefix and not b:
        prefix = default_unit
    base = 1024 if (i or binary) else 1000
    return int(round(float(number) * base ** _POW[prefix.lower()]))


def parse_usd(text: str) -> float:
    """'$2,500' or '2500' -> 2500.0; negative amounts are refused."""
    cleaned = str(text).strip().replace("$", "").replace(",", "").replace("USD", "").strip()
    try:
        value = float(cleaned)
    except ValueError:
        raise UserError(f"cannot read amount {text!r}: write it like 2500 or $2,500") from None
    if not math.isfinite(value):
        raise UserError(f"amount {text!r} is not a finite number: write it like 2500 or $2,500")
    if value < 0:
        raise UserError(f"amount {text!r} is negative")
    return value


def fmt_bytes(n: float | None, *, binary: bool = True) -> str:
    """Bytes for a person: 25769803776 -> '24.0 GiB' (binary) or '25.8 GB' (decimal)."""
    if n is None:
        return "-"
    base, units = (1024.0, ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]) if binary else (1000.0, ["B", "kB", "MB", "GB", "TB", "PB"])
    value = float(n)
    for unit in units:
        if abs(value) < base or unit == units[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= base
    return f"{value:.1f} {units[-1]}"  # pragma: no cover


def fmt_num(x: float | None, digits: int = 3) -> str:
    """A number with ``digits`` significant digits and thousands separators; None -> '-'; NaN/infinity -> 'nan',
    'inf', '-inf' (never an exception)."""
    if x is None:
        return "-"
    x = float(x)
    if not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if x == 0:
        return "0"
    mag = abs(x)
    if mag >= 10 ** digits:
        return f"{x:,.0f}"
    decimals = max(0, digits - 1 - int(f"{mag:e}".split("e")[1]))
    return f"{x:,.{decimals}f}"
