"""Rendering for the terminal and for ``--json``: tables, JSON documents, progress. Library code never prints.

Tables go to stdout through rich (plain text when stdout is not a terminal); with ``--json`` only the JSON document
goes to stdout. Progress goes to stderr: a bar on a terminal, one plain line per step otherwise.
"""

from __future__ import annotations

import codecs
import copy
import io
import os
import sys
import textwrap
import unicodedata
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from typing import Iterable, Iterator, Sequence

import click
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.measure import Measurement
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.table import Table
from rich.text import Text

from rigbench.files import dumps
from rigbench.units import literal, one_line  # noqa: F401 - the escaping every printed line goes through

# Characters rigbench prints that a non-UTF-8 terminal (PYTHONIOENCODING=latin-1, LANG=C) may not have, and the
# ASCII a person would type for them. Anything else unencodable becomes its NFKD ASCII letters, or '?'.
_ASCII = {"\u2014": "-", "\u2013": "-", "\u2212": "-", "\u2026": "...", "\u00b3": "^3", "\u00b2": "^2",
          "\u00b5": "u", "\u03bc": "u", "\u00d7": "x", "\u2265": ">=", "\u2264": "<=", "\u00b1": "+/-",
          "\u00b0": " deg", "\u2192": "->", "\u2190": "<-", "\u2248": "~", "\u2713": "ok", "\u2717": "x",
          "\u2022": "*", "\u00b7": ".", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
          "\u00a0": " ", "\u2009": " ", "\u202f": " "}
ERRORS = "rigbench-ascii"


def _ascii_fallback(exc: UnicodeError):
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = []
    for ch in exc.object[exc.start:exc.end]:
        sub = _ASCII.get(ch)
        if sub is None:
            sub = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii") or "?"
        out.append(sub)
    return "".join(out), exc.end


codecs.register_error(ERRORS, _ascii_fallback)


def setup_streams() -> set[str]:
    """stdout and stderr print every character: one the encoding cannot show becomes its ASCII stand-in. A standard
    stream closed when rigbench started (``rigbench ... >&-``) becomes /dev/null, so that no file rigbench opens
    later (a results file) takes its descriptor, where a child process or a stray print would write into it.
    Returns the names of the streams that were closed ("stdin", "stdout", "stderr"): the CLI refuses to work for a
    stdout that reaches no one."""
    closed = set()
    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        try:
            os.fstat(fd)
        except OSError:
            closed.add(name)
            null = os.open(os.devnull, os.O_RDONLY if fd == 0 else os.O_WRONLY)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
            if fd:
                setattr(sys, name, open(fd, "w", encoding="utf-8", closefd=False))
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        try:
            reconfigure(errors=ERRORS)
        except (ValueError, OSError):  # a closed or detached stream: nothing to print there anyway
            pass
    return closed


def echo(message="", *, err: bool = False, nl: bool = True) -> None:
    """Print a line for a person to stdout (or stderr), its control characters made harmless (:func:`literal`)."""
    click.echo(literal(message), err=err, nl=nl)


def echo_notes(notes: Iterable[str]) -> None:
    """Each note on how an input was read (a GPU id the catalog does not know, a run passed over as ``latest``) as
    one ``rigbench: note: ...`` line on stderr: every command says them alike, and stdout stays its own output
    (a ``--json`` document a program parses)."""
    for note in notes:
        echo(f"rigbench: note: {one_line(note)}", err=True)


class _LiteralConsole(Console):
    """A rich console whose text (strings it renders and :class:`rich.text.Text`) is :func:`literal`: the escape
    sequences rich writes for its own colours are unaffected, those inside the text are shown as text."""

    def render_str(self, text: str, **kwargs) -> Text:
        return super().render_str(literal(text), **kwargs)

    def render(self, renderable, options=None):
        if isinstance(renderable, Text) and literal(renderable.plain) != renderable.plain:
            renderable = renderable.copy()
            renderable.plain = literal(renderable.plain)
        return super().render(renderable, options)


@contextmanager
def others_output() -> Iterator[None]:
    """Run code that is not rigbench's (a model file a person gave) with what it prints to stdout and stderr held back,
    then shown on stderr through :func:`echo`: stdout stays rigbench's own (a ``--json`` document a program parses),
    and an escape sequence the code prints reaches the terminal as text. Shown when the block ends, also on error."""
    held = io.StringIO()
    try:
        with redirect_stdout(held), redirect_stderr(held):
            yield
    finally:
        text = held.getvalue()
        if text:
            echo(text, err=True, nl=not text.endswith("\n"))


def emit_json(doc) -> None:
    """Write one JSON document to stdout (nothing else goes to stdout under --json)."""
    click.echo(dumps(doc))


def console(stderr: bool = False):
    """A rich console on stdout (or stderr); colour only on a terminal. Text is always literal: rich markup
    (``[bold]``) and emoji codes (``:smile:``) in paths, GPU names or file contents are printed as they are.
    Width: the terminal's, else ``COLUMNS``, else 120."""
    stream = sys.stderr if stderr else sys.stdout
    columns = os.environ.get("COLUMNS", "")
    width = None if stream.isatty() or (columns.isdigit() and int(columns) > 0) else 120
    return _LiteralConsole(file=stream, highlight=False, soft_wrap=False, width=width, markup=False, emoji=False)


def _longest_word(text: str) -> int:
    """Columns the longest word of ``text`` takes on screen (control characters as their escapes, East Asian wide
    characters as two)."""
    return max((cell_len(w) for w in literal(text).split()), default=0)


def _longest_line(text: str) -> int:
    return max((cell_len(line) for line in literal(text).splitlines()), default=0)


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence], *, caption: str | None = None,
          justify: Sequence[str] | None = None):
    """A rich Table; ``justify`` per column ('left'/'right'), numbers right-aligned by default.

    Every cell is literal text. No column is narrower than its longest word, so a number is never cut: a table
    that cannot fit the terminal that way is printed stacked by ``show`` (one block per row).
    """
    rows = [["-" if v is None else str(v) for v in row] for row in rows]
    # Plain strings are literal: the console has markup and emoji codes off.
    t = Table(title=title, caption=caption, box=box.SIMPLE_HEAVY, title_justify="left", caption_justify="left")
    for i, col in enumerate(columns):
        # The first column names the row (a GPU id, a kernel): it is never wrapped.
        t.add_column(col, justify=(justify[i] if justify else ("left" if i == 0 else "right")), no_wrap=i == 0,
                     overflow="fold")
    for row in rows:
        t.add_row(*row)
    t.rigbench_cells = (list(columns), rows, title, caption)
    return t


def _bounds(t) -> list[tuple[int, int]]:
    """(narrowest, widest) text width of each column of a :func:`table`: its longest word, or its longest line for
    a column that is not wrapped (the first, which names the row), and its longest line, or the column's
    ``max_width`` when that is narrower and still holds the longest word."""
    columns, rows, _, _ = t.rigbench_cells
    bounds = []
    for i, (col, column) in enumerate(zip(columns, t.columns)):
        cells = [r[i] for r in rows if i < len(r)]
        widest = max(_longest_line(c) for c in [col, *cells])
        whole = _longest_line if column.no_wrap else _longest_word
        narrowest = max(whole(c) for c in [col, *cells])
        if column.max_width is not None:
            widest = max(min(widest, column.max_width), narrowest)
        bounds.append((narrowest, widest))
    return bounds


def _laid_out(t, width: int):
    """``t`` with a fixed width for every column, the whole no wider than ``width``, or None when it cannot be: a
    column keeps its longest word whole. The widest columns give way first, down to their longest word.

    rich's own layout does not keep that promise: past its first shrinking step it takes columns down evenly, then
    puts those it took below their minimum back, and the table comes out wider than the terminal, which crops the
    end of every line (the last column's figures lost their last digits). Fixing each column's width here leaves
    rich nothing to shrink."""
    bounds = _bounds(t)
    laid = copy.copy(t)
    laid.columns = [copy.copy(c) for c in t.columns]
    for c, (_, widest) in zip(laid.columns, bounds):
        c.width = max(widest, 1)
    # what rich adds around the text (padding, borders), measured by rich itself rather than assumed
    overhead = Measurement.get(_measuring_console(), _measuring_console().options.update_width(1_000_000),
                               laid).minimum - sum(c.width for c in laid.columns)
    room = width - overhead
    widths = [max(widest, 1) for _, widest in bounds]
    floors = [max(narrowest, 1) for narrowest, _ in bounds]
    if sum(floors) > room:
        return None
    while sum(widths) > room:
        i = max((j for j in range(len(widths)) if widths[j] > floors[j]), key=lambda j: widths[j])
        widths[i] -= 1
    for c, w in zip(laid.columns, widths):
        c.width = w
    return laid


def _measuring_console():
    """A console for measuring alone: its width is irrelevant, nothing is printed."""
    return _LiteralConsole(file=io.StringIO(), width=1_000_000, markup=False, emoji=False, highlight=False)


def fits(renderable, out=None) -> bool:
    """True when a table can be printed at the console's width without cutting a word or a number."""
    out = out or console()
    return _laid_out(renderable, out.width) is not None


def _wrapped(text: str, width: int, indent: str = "", subsequent: str | None = None) -> list[str]:
    """``text`` in lines of at most ``width``, broken only between words: a word (a number, a path) longer than a
    line runs past the width whole."""
    return textwrap.wrap(text, width=width, initial_indent=indent,
                         subsequent_indent=indent if subsequent is None else subsequent,
                         break_long_words=False, break_on_hyphens=False)


def _paragraphs(text: str, width: int) -> list[str]:
    """``text`` wrapped line by line at ``width`` (:func:`_wrapped`): a caption's own line breaks are kept."""
    return [w for line in str(text).splitlines() for w in (_wrapped(line, width) or [""])]


def _stacked_cell(head: str, indent: int, value: str, width: int) -> list[str]:
    """The lines of one cell of a stacked table: the value beside its label when it fits there, else whole on its
    own line under the label ("24.0 GiB" is not parted from its unit); only a value longer than a line (a sentence)
    is broken, between words. No word is split: at a very narrow width a line runs past it rather than cut a number
    in two."""
    if "\n" not in value and indent + len(value) <= width:
        return [f"{head.ljust(indent)}{value}".rstrip() or head]
    return _wrapped(head, width, subsequent="    ") + (_wrapped(value, width, "    ") or [])


def stacked(t, width: int) -> list[str]:
    """A table as blocks of lines, one per row ("name" then "  column: value"), for terminals too narrow for it.

    Lines are broken between words only; print them unwrapped (``show`` does), or the console would fold a number
    that runs past a very narrow width."""
    columns, rows, title, caption = t.rigbench_cells
    width = max(width, 20)
    lines = _wrapped(str(title), width) if title else []
    label = max((len(str(c)) for c in columns[1:]), default=0)
    for row in rows:
        lines.append(row[0] if row else "")
        for col, value in zip(columns[1:], row[1:]):
            lines.extend(_stacked_cell(f"  {str(col).replace(chr(10), ' ')}:", label + 4, str(value), width))
    if caption:
        lines.extend(_paragraphs(caption, width))
    return lines


class _Unwrapped(str):
    """Lines ``show`` prints as they are: neither wrapped nor cut at the console's width."""


def show(*renderables) -> None:
    """Print rich renderables (tables, text) to stdout; strings are literal text; a table too wide for the
    terminal is stacked rather than cut; piped output carries no trailing padding."""
    out = console()
    items = []
    for r in renderables:
        if isinstance(r, str):
            items.append(Text(literal(r)))
        elif isinstance(r, Table) and hasattr(r, "rigbench_cells"):
            laid = _laid_out(r, out.width)
            if laid is None:
                # already broken between words: rich must not fold a line a word keeps longer than the width
                # (print's own options: rich joins a Text with its neighbours into a new one, without its settings)
                items.append(_Unwrapped("\n".join(stacked(r, out.width))))
                continue
            # rich wraps a table's title and caption at the table's width: a narrow table folded a one-line title
            # in two on a wide terminal, and cut a caption's word longer than the table. Printed above and below
            # it, they wrap at the terminal's width, between words
            if r.title:
                items.append(Text(literal(r.title), style="table.title"))
            laid.title = laid.caption = None
            items.append(laid)
            if r.caption:
                items.append(_Unwrapped("\n".join(_paragraphs(r.caption, out.width))))
        else:
            items.append(r)

    def emit(r):
        if isinstance(r, _Unwrapped):
            # literal before Text(): rich's Text drops BEL, backspace, CR and form feeds as it is made, so a
            # name holding them would be shown as another name, not with its escapes
            out.print(Text(literal(r)), soft_wrap=True)
        else:
            out.print(r)

    if sys.stdout.isatty():
        for r in items:
            emit(r)
        return
    with out.capture() as captured:
        for r in items:
            emit(r)
    # the console made the text literal already; what else is there is its own styling (FORCE_COLOR), kept
    click.echo("\n".join(line.rstrip() for line in captured.get().splitlines()))


class Progress:
    """Progress of a long job: ``step(label)`` after each unit of work."""

    def __init__(self, total: int, label: str, bar):
        self.total, self.label, self._bar, self._done = total, label, bar, 0
        self._task = bar.add_task(label, total=total) if bar is not None else None

    def step(self, what: str) -> None:
        self._done += 1
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=f"{self.label}: {what}")
        else:
            echo(f"[{self._done}/{self.total}] {what}", err=True)


@contextmanager
def progress(total: int, label: str, *, enabled: bool = True) -> Iterator[Progress]:
    """A progress bar on a terminal (stderr), plain lines otherwise, nothing if not ``enabled``."""
    if not enabled:
        yield _Silent()
        return
    if sys.stderr.isatty():
        with RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=console(stderr=True), transient=True) as bar:
            yield Progress(total, label, bar)
    else:
        yield Progress(total, label, None)


class _Silent:
    def step(self, what: str) -> None:
        pass
