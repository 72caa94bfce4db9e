"""Rendering for the terminal and for ``--json``: tables, JSON documents, progress. Library code never prints.

Tables go to stdout through rich (plain text when stdout is not a terminal); with ``--json`` only the JSON document
goes to stdout. Progress goes to stderr: a bar on a terminal, one plain line per step otherwise.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterable, Iterator, Sequence

import click

from rigbench.files import dumps


def emit_json(doc) -> None:
    """Write one JSON document to stdout (nothing else goes to stdout under --json)."""
    click.echo(dumps(doc))


def console(stderr: bool = False):
    """A rich console on stdout (or stderr); colour only on a terminal."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(file=stream, highlight=False, soft_wrap=False, width=None if stream.isatty() else 120)


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence], *, caption: str | None = None,
          justify: Sequence[str] | None = None):
    """A rich Table; ``justify`` per column ('left'/'right'), numbers right-aligned by default."""
    from rich import box
    from rich.table import Table

    t = Table(title=title, caption=caption, box=box.SIMPLE_HEAVY, title_justify="left", caption_justify="left")
    rows = [["-" if v is None else str(v) for v in row] for row in rows]
    for i, col in enumerate(columns):
        # The first column names the row (a GPU id, a kernel): it is never wrapped or cut.
        first = {"no_wrap": True, "min_width": max((len(r[0]) for r in rows), default=0)} if i == 0 else {}
        t.add_column(col, justify=(justify[i] if justify else ("left" if i == 0 else "right")), **first)
    for row in rows:
        t.add_row(*row)
    return t


def show(*renderables) -> None:
    """Print rich renderables (tables, text) to stdout; piped output carries no trailing padding."""
    out = console()
    if sys.stdout.isatty():
        for r in renderables:
            out.print(r)
        return
    with out.capture() as captured:
        for r in renderables:
            out.print(r)
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
            click.echo(f"[{self._done}/{self.total}] {what}", err=True)


@contextmanager
def progress(total: int, label: str, *, enabled: bool = True) -> Iterator[Progress]:
    """A progress bar on a terminal (stderr), plain lines otherwise, nothing if not ``enabled``."""
    if not enabled:
        yield _Silent()
        return
    if sys.stderr.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress as RichProgress, TextColumn, TimeElapsedColumn

        with RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=console(stderr=True), transient=True) as bar:
            yield Progress(total, label, bar)
    else:
        yield Progress(total, label, None)


class _Silent:
    def step(self, what: str) -> None:
        pass
