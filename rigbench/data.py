"""The one loader for the data under ``profiles/`` (and user files in the same formats).

Every module that needs a profile, the GPU catalog, a price list or the validation table asks here; none opens a
file under ``profiles/`` itself. TOML files come back as dicts, CSV files as rows (dicts of strings) that know their
file and line, so a caller that finds a bad value can say where it is (``gpus.csv line 14: ...``). A file that is
missing or malformed is a :class:`~rigbench.errors.UserError` naming the file and, for TOML, the line.

User files in the same formats (``--prices FILE``) are read by :mod:`rigbench.files` (size caps, regular files
only) and handed to the same parsers, :func:`parse_csv` and :func:`parse_toml`.
"""

from __future__ import annotations

import csv
import io
import math
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from rigbench.errors import UserError
from rigbench.units import MAX_NUMBER_CHARS

PACKAGE = "rigbench.profiles"


@dataclass(frozen=True)
class Row:
    """One CSV row: its values by column name, and where it came from (``gpus.csv line 14``)."""

    values: dict[str, str]
    where: str

    def __getitem__(self, column: str) -> str:
        return self.values[column]

    def get(self, column: str, default: str | None = None) -> str | None:
        return self.values.get(column, default)

    def number(self, column: str, *, integer: bool = False, optional: bool = False,
               positive: str | None = None, at_most: int | None = None) -> float | int | None:
        """The value of ``column`` as a finite number, zero or more; an empty cell is None when ``optional``.
        ``positive``: zero is refused too, and this text says why ("a price is positive"). ``at_most``: the largest
        value taken. Errors name file, line and column."""
        text = (self.get(column) or "").strip()
        if not text:
            if optional:
                return None
            raise UserError(f"{self.where}: column '{column}' is empty; a number is required")
        if len(text) > MAX_NUMBER_CHARS:  # hundreds of digits: a broken file, never a price or a count
            raise UserError(f"{self.where}: column '{column}' is {len(text)} characters long, not a number")
        try:
            if not text.isascii():      # int() and float() read other scripts' digits ("٢"); the number parsers do not
                raise ValueError(text)
            value = int(text) if integer else float(text)
        except ValueError:
            raise UserError(f"{self.where}: column '{column}' is {text!r}, not "
                            f"{'a whole number' if integer else 'a number'}") from None
        if not math.isfinite(value):
            # 1e309 is read as infinity: "above zero" or "zero or more" would say the wrong thing about it
            raise UserError(f"{self.where}: column '{column}' is {text}, not a finite number")
        if value < 0 or (positive and value == 0):
            raise UserError(f"{self.where}: column '{column}' is {text}; {positive or 'it must be zero or more'}")
        if at_most is not None and value > at_most:
            raise UserError(f"{self.where}: column '{column}' is {text}; it must be at most {at_most:,}")
        return value


def shipped_text(name: str) -> str:
    """The text of ``profiles/<name>`` as installed with rigbench."""
    try:
        return resources.files(PACKAGE).joinpath(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"profile data {name} is missing from this rigbench installation; reinstall rigbench") from None


def shipped_path(name: str) -> str:
    """A readable name for a shipped file in messages (``rigbench.profiles/gpus.csv``)."""
    return f"{PACKAGE}/{name}"


def parse_toml(text: str, where: str) -> dict:
    """TOML text -> dict; a syntax error names the file and the line (tomllib puts "at line N" in its message)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{where}: not valid TOML ({exc})") from None


def repeated_columns(header: list[str]) -> list[str]:
    """The column names a CSV header gives more than once: a row read by name would keep the last one's value and lose
    the other's in silence, so such a file is refused."""
    names = [h.strip() for h in header]
    return sorted({n for n in names if n and names.count(n) > 1})


def parse_csv(text: str, where: str, required: tuple[str, ...] = (), exact_width: bool = False) -> list[Row]:
    """CSV text with a header line -> rows; ``required`` columns missing from the header are an error.

    Lines are numbered as an editor shows them (the header is line 1); blank lines and lines starting with ``#``
    are comments. A row with fewer values than the header gets empty trailing ones, unless ``exact_width`` (then,
    as a row with more values always is, it is an error).
    """
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise UserError(f"{where}: empty file (a CSV header line is needed)")
    try:
        reader = csv.reader(io.StringIO("\n".join(line for _, line in lines)))
        parsed = list(reader)
    except csv.Error as exc:
        raise UserError(f"{where}: not valid CSV ({exc})") from None
    header = [h.strip() for h in parsed[0]]
    twice = repeated_columns(header)
    if twice:
        raise UserError(f"{where} line {lines[0][0]}: column(s) {', '.join(twice)} given twice in the header")
    missing = [c for c in required if c not in header]
    if missing:
        raise UserError(f"{where} line {lines[0][0]}: missing column(s) {', '.join(missing)}")
    rows = []
    for (number, _), cells in zip(lines[1:], parsed[1:]):
        if len(cells) > len(header) or (exact_width and len(cells) < len(header)):
            raise UserError(f"{where} line {number}: {len(cells)} values for {len(header)} columns")
        cells = cells + [""] * (len(header) - len(cells))
        rows.append(Row(dict(zip(header, (c.strip() for c in cells))), f"{where} line {number}"))
    return rows


@lru_cache(maxsize=None)
def load_toml(name: str) -> dict:
    """``profiles/<name>`` (TOML) as a dict. Cached: callers must not change what they get."""
    return parse_toml(shipped_text(name), shipped_path(name))


@lru_cache(maxsize=None)
def load_csv(name: str, required: tuple[str, ...] = ()) -> tuple[Row, ...]:
    """``profiles/<name>`` (CSV) as rows. Cached."""
    return tuple(parse_csv(shipped_text(name), shipped_path(name), required))
