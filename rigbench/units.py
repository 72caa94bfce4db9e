"""Units: parsing what people type ("32GB", "4 TB", "$2,500") and printing numbers with their unit.

Every parser here is bounded (``MAX_*`` below) and refuses with one line what it cannot read: hundreds of digits,
1e308, NaN, '1.500,00'. Sizes follow the convention of the thing measured: RAM and GPU memory are sold in binary units (16 GB of RAM is
16 GiB), disks in decimal units (a 1 TB drive holds 10**12 bytes). ``parse_size`` takes the convention as an
argument; ``GiB``/``TiB`` written out are always binary and ``GB``/``TB`` follow ``binary``.
"""

from __future__ import annotations

import math
import re

from rigbench.errors import UserError

# Bounds every number a person types must respect. A value past them is a typo (an extra zero, a pasted hash) or an
# attack (hundreds of digits, 1e308), never a machine or a plan: refused with a message, never an overflow.
MAX_NUMBER_CHARS = 32            # characters of one number as typed ("1,000,000,000.00" is 16)
MAX_SIZE_BYTES = 2 ** 50         # 1 PiB: more RAM, GPU memory or local disk than one machine holds
MAX_USD = 10 ** 9                # a billion dollars: more than any one build or price rigbench is asked about
MAX_COUNT = 10 ** 6              # a count (jobs, samples) of a million
MAX_CORES = 8192                 # logical CPUs of one machine: Linux's largest NR_CPUS (x86_64 MAXSMP, arch/x86/Kconfig)

_SIZE = re.compile(r"^\s*([0-9]{1,18}(?:\.[0-9]{1,12})?|\.[0-9]{1,12})\s*([kmgtp]?)(i?)(b?)\s*$", re.IGNORECASE)
_POW = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5}
# Amounts: digits with optional thousands commas (1,500 or 1500) and optional cents after a dot. "1.500,00" (a
# European decimal comma) is refused rather than read as 1.5.
_USD = re.compile(r"^(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?$|^\.[0-9]+$")


# Control characters (C0 but newline and tab, DEL, C1) in text from files, names or arguments would reach the
# terminal as commands: ESC starts a sequence that recolours, retitles the window or moves the cursor, CR returns
# over what was printed. Every line rigbench prints for a person goes through rigbench.report's echo() or console(),
# which show each as the escape a Python string would (ESC as \x1b): harmless, and visible for what it is; a path in
# an error message goes through one_line() where it is written (rigbench.files, the probe). The Unicode bidirectional
# formatting characters (Unicode Standard Annex #9: ALM, LRM, RLM, the embeddings and overrides U+202A-U+202E, the
# isolates U+2066-U+2069) are shown the same way (as \u202e): printed, they reorder the text around them, so a file
# name or host could show one thing and be another (the "Trojan Source" attack, CVE-2021-42574).
_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_CONTROLS = {**{c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7f, 0xa0)) if chr(c) not in "\n\t"},
             **{c: f"\\u{c:04x}" for c in _BIDI}}


def literal(text) -> str:
    """``text`` with every control character but newline and tab, and every bidirectional formatting character,
    written out as its escape (ESC as ``\\x1b``, RIGHT-TO-LEFT OVERRIDE as ``\\u202e``)."""
    return str(text).translate(_CONTROLS)


def one_line(text) -> str:
    """``text`` (a path, a file name) for a table cell or a one-line message: :func:`literal`, and a newline or tab
    in it written as ``\\n`` or ``\\t``. Printed as they are, a newline in a file name would split its cell across two
    rows, or one message across two lines, each showing a path that is not the one meant."""
    return literal(text).replace("\n", "\\n").replace("\t", "\\t")


def shown(text) -> str:
    """A value a person typed, as an error message quotes it: at most 40 characters of it (a value of thousands of
    characters would otherwise turn the one-line message into a screenful)."""
    text = str(text)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def split_items(items, option: str, what: str, example: str) -> list[str]:
    """The names of a comma-separated option, given once or repeated (``--only gemm,memcopy``), stripped. An empty
    item ('gemm,,memcopy', 'gemm,') is refused: a doubled comma is a typo whose name would otherwise be left out in
    silence. Nothing named at all is left to the caller (each option says what it lists)."""
    items = [items] if isinstance(items, str) else list(items or ())
    names = [n.strip() for item in items for n in str(item).split(",")]
    if any(names) and not all(names):
        bad = next(str(item) for item in items if not all(n.strip() for n in str(item).split(",")))
        raise UserError(f"{option} {shown(bad)} has an empty item: name one {what} between each two commas, e.g. "
                        f"{option} {example}")
    return [n for n in names if n]


def refuse_repeats(named: list[tuple[str, str]], option: str, what: str, hint: str = "") -> None:
    """``(name as given, what it names)`` pairs of one option: two names of one thing (a card spelt "RTX 3090" and
    "rtx-3090", a kernel named twice) are refused with one line naming both, since every row, note and measurement
    is keyed by the thing and the second would repeat the first. ``what`` is the thing's word ("card", "kernel")."""
    given: dict[str, str] = {}
    for name, key in named:
        if key in given:
            raise UserError(f"{option} {shown(given[key])} and {option} {shown(name)} are the same {what} ({key}): "
                            f"name each {what} once{hint}")
        given[key] = name


def parse_number(text, *, what: str, lo: float | None = None, hi: float | None = None, integer: bool = False,
                 lo_open: bool = False, example: str = "") -> float | int:
    """A number a person typed, as float (or int with ``integer``), within [lo, hi] (``lo_open``: above ``lo``).

    Refused with one line naming ``what``: empty text, more than ``MAX_NUMBER_CHARS`` characters, anything
    ``float()`` does not read, NaN, infinity, a fraction where a whole number is needed, a value outside the bounds.
    """
    raw = "" if text is None else str(text).strip()
    hint = f" (e.g. {example})" if example else ""
    if not raw:
        raise UserError(f"{what} is empty: give a number{hint}")
    if len(raw) > MAX_NUMBER_CHARS:
        raise UserError(f"{what} is {shown(raw)}, {len(raw)} characters long: not a number rigbench takes{hint}")
    try:
        # ASCII digits only: float() also reads other scripts' digits ("٣"), which sizes and prices do not, and a
        # value read one way in one option and refused in the next is a surprise. No underscores either: float()
        # reads "5_0" as 50 (PEP 515 digit grouping), where a person most likely mistyped 5.0 or 50
        if not raw.isascii() or "_" in raw:
            raise ValueError(raw)
        value = float(raw)
    except ValueError:
        kind = "a whole number" if integer else "a number"
        raise UserError(f"{what} is {shown(raw)}, not {kind}{hint}") from None
    if not math.isfinite(value):
        raise UserError(f"{what} is {shown(raw)}, not a finite number{hint}")
    if integer:
        if value != int(value):
            raise UserError(f"{what} is {shown(raw)}, not a whole number{hint}")
        value = int(value)
    rng = _range(lo, hi, lo_open)
    if lo is not None and (value < lo or (lo_open and value == lo)):
        raise UserError(f"{what} is {raw}; it must be {rng}{hint}")
    if hi is not None and value > hi:
        raise UserError(f"{what} is {raw}; it must be {rng}{hint}")
    return value


def _range(lo, hi, lo_open: bool) -> str:
    def f(x):
        return f"{x:,}" if isinstance(x, int) or float(x).is_integer() and abs(x) >= 1e4 else f"{x:g}"

    low = None if lo is None else (f"above {f(lo)}" if lo_open else f"at least {f(lo)}")
    high = None if hi is None else f"at most {f(hi)}"
    return " and ".join(x for x in (low, high) if x) or "a number"


def parse_count(text, *, what: str, lo: int = 1, hi: int = MAX_COUNT, example: str = "") -> int:
    """A whole number of things (cores, cards, jobs), within [lo, hi]."""
    return parse_number(text, what=what, lo=lo, hi=hi, integer=True, example=example)


def parse_percent(text, *, what: str, example: str = "5%") -> float:
    """A percentage a person typed, '5%' or a bare '5', as a fraction (0.05): 0 or more, without a sign, read by
    :func:`parse_number` (ASCII digits, at most ``MAX_NUMBER_CHARS`` characters, finite). One trailing % sign at
    most: '5%%' is refused, not read as 5 %."""
    raw = "" if text is None else str(text).strip()
    number = raw[:-1].rstrip() if raw.endswith("%") else raw
    if "%" in number:
        raise UserError(f"{what} is {shown(raw)}: write a percentage with one % sign (e.g. {example})")
    if number.startswith("-"):      # '-0' too: it reads as 0 and prints as -0.0%
        raise UserError(f"{what} is {shown(raw)}, with a minus sign: it must be at least 0, written without one "
                        f"(e.g. {example})")
    return parse_number(number, what=what, lo=0, example=example) / 100.0


def parse_size(text: str, *, binary: bool, default_unit: str = "G", what: str = "size",
               maximum: int = MAX_SIZE_BYTES) -> int:
    """'32GB' -> bytes. ``binary`` decides what GB/TB mean; 'GiB' is always binary. A bare number takes ``default_unit``.

    At most ``maximum`` bytes (1 PiB by default); more digits than a size has, or another form, is a ``UserError``.
    """
    m = _SIZE.match(str(text))
    if not m:
        who = "" if what == "size" else f" for {what}"
        raise UserError(f"cannot read size {shown(text)}{who}: write it like 16GB, 512GiB or 4TB")
    number, prefix, i, b = m.groups()
    if i and not prefix:
        # "24iB" or "24i": the binary "i" belongs to a prefix (GiB, MiB); alone it read as 24 bytes or 24 GiB
        who = "" if what == "size" else f" for {what}"
        raise UserError(f"cannot read size {shown(text)}{who}: 'i' goes with a prefix (KiB, MiB, GiB, TiB); "
                        "write it like 16GB, 512GiB or 4TB")
    if not prefix and not b:
        prefix = default_unit
    base = 1024 if (i or binary) else 1000
    value = int(round(float(number) * base ** _POW[prefix.lower()]))
    if value > maximum:
        raise UserError(f"{what} {shown(text)} is more than {fmt_bytes(maximum, binary=binary)}: "
                        "no single machine holds that much")
    return value


def parse_usd(text: str, *, what: str = "amount", maximum: float = MAX_USD) -> float:
    """'$2,500', '2500' or '2500.00' -> 2500.0: a dot for cents, commas only between thousands; at most ``maximum``.

    Negative, non-finite, European-style ('1.500,00') and over-long amounts are refused.
    """
    raw = str(text).strip()
    cleaned = raw.replace("$", "").replace("USD", "").replace("usd", "").strip()
    example = "write it like 2500, 2500.00 or $2,500"
    if len(cleaned) > MAX_NUMBER_CHARS:
        raise UserError(f"cannot read {what} {shown(raw)}: too long for an amount; {example}")
    if cleaned.lstrip("+-").lower() in ("nan", "inf", "infinity"):
        raise UserError(f"{what} {shown(raw)} is not a finite number: {example}")
    if cleaned.startswith("-"):     # '-0' too: an amount is written without a sign
        raise UserError(f"{what} {shown(raw)} has a minus sign: an amount is zero or more, written without one")
    if not _USD.match(cleaned):
        if re.match(r"^[0-9.]+,[0-9]{1,2}$", cleaned):
            raise UserError(f"cannot read {what} {shown(raw)}: a comma separates thousands and a dot the cents "
                            f"here; {example}")
        raise UserError(f"cannot read {what} {shown(raw)}: {example}")
    value = float(cleaned.replace(",", ""))
    if not math.isfinite(value) or value > maximum:
        raise UserError(f"{what} {shown(raw)} is more than ${maximum:,.0f}: check the number")
    return value


def _scaled(x: float, base: float, units: tuple[str, ...], rounded=None) -> tuple[float, str]:
    """``x`` in the first of ``units`` (each ``base`` times the one before) where it is below ``base``, or in the
    last: (value, unit). The one rule behind :func:`fmt_bytes` and :func:`fmt_flops`; NaN stays in the first unit.
    ``rounded(value, unit)``: the value as it will be printed, which must be below ``base`` too (1023.96 KiB prints
    as 1024.0, so it is 1.0 MiB)."""
    i = 0
    while i < len(units) - 1 and abs(x if rounded is None else rounded(x, units[i])) >= base:
        x /= base
        i += 1
    return x, units[i]


_BINARY_BYTES = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
_DECIMAL_BYTES = ("B", "kB", "MB", "GB", "TB", "PB")


def fmt_bytes(n: float | None, *, binary: bool = True) -> str:
    """Bytes for a person: 25769803776 -> '24.0 GiB' (binary) or '25.8 GB' (decimal)."""
    if n is None:
        return "-"
    base, units = (1024.0, _BINARY_BYTES) if binary else (1000.0, _DECIMAL_BYTES)
    value, unit = _scaled(float(n), base, units, lambda v, u: round(v, 0 if u == "B" else 1))
    return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"


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


def fmt_pct(fraction: float | None, digits: int = 2) -> str:
    """A fraction as a percentage with ``digits`` significant digits: 0.7395 -> '74%', 0.00053 -> '0.053%' (a
    fixed '.0%' would show the second as '0%')."""
    return "-" if fraction is None else fmt_num(fraction * 100, digits) + "%"


def fmt_params(n: float) -> str:
    """A parameter count for a person: whole below a million ('18 parameters', '2,372 parameters'), then in millions
    or billions with 3 significant digits ('11.3 M parameters', '1.5 B parameters')."""
    n = float(n)
    if abs(n) < 1e6:
        return f"{n:,.0f} parameter{'' if n == 1 else 's'}"
    n = float(f"{n:.3g}")                  # rounded first: 999,999,999 is 1 B, not 1,000 M
    if abs(n) < 1e9:
        return f"{n / 1e6:.3g} M parameters"
    return f"{n / 1e9:,.3g} B parameters" if abs(n) < 1e12 else f"{n / 1e9:,.0f} B parameters"


_FLOP_PREFIXES = ("", "k", "M", "G", "T", "P", "E")


def fmt_flops(x: float) -> str:
    """FLOPs in the unit their magnitude fits, 3 significant digits: 256 -> '256 FLOP', 77,824 -> '77.8 kFLOP',
    3.409e12 -> '3.41 TFLOP'."""
    # rounded first: 999.6 is 1 kFLOP, not 1,000 FLOP
    value, prefix = _scaled(float(f"{float(x):.3g}"), 1000.0, _FLOP_PREFIXES)
    return f"{fmt_num(value)} {prefix}FLOP"
