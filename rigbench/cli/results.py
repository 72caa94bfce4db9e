"""`rigbench results`: list the saved runs, show one again, diff several (with a regression gate for CI)."""

from __future__ import annotations

import csv
import io
import math

import click

from rigbench import diff as diff_mod
from rigbench import frames
from rigbench import files, report, results
from rigbench import runs as runs_mod
from rigbench.bench import table
from rigbench.errors import CheckFailed, UserError
from rigbench.units import fmt_bytes, fmt_num, parse_percent

FORMATS = ("table", "csv", "markdown", "json")


def _format_option(fn):
    fn = click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
                      help="table for a person; csv or markdown to paste; json for a program.")(fn)
    return click.option("--json", "as_json", is_flag=True, help="Same as --format json.")(fn)


def _fmt(fmt: str, as_json: bool) -> str:
    """The format asked for; --json beside another --format given on the line is refused, never one of them
    dropped without a word."""
    ctx = click.get_current_context(silent=True)
    given = ctx is not None and ctx.get_parameter_source("fmt") not in (None, click.core.ParameterSource.DEFAULT)
    if as_json and given and fmt != "json":
        raise UserError(f"--json and --format {fmt} do not go together: --json is --format json; give one")
    return "json" if as_json else fmt


def _emit_rows(title: str | None, columns: list[str], rows: list[list], fmt: str, notes: list[str] = (),
               justify: list[str] | None = None, wrap: tuple[str, ...] = ("case",)) -> None:
    """Rows as a terminal table, CSV (header line, no notes) or a Markdown table (notes below it)."""

    if fmt == "csv":
        # each cell literal (ESC as \x1b) before it is quoted: a kernel name or file name holding escape sequences
        # must not drive the terminal the CSV is printed on, and CSV quotes what is left (commas, newlines)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow([report.literal(c) for c in columns])
        w.writerows([["" if v is None else report.literal(v) for v in row] for row in rows])
        report.echo(buf.getvalue(), nl=False)
        return
    if fmt == "markdown":
        def cell(v):
            return "" if v is None else str(v).replace("|", "\\|").replace("\n", " ")

        lines = ([f"**{cell(title)}**", ""] if title else [])
        lines += ["| " + " | ".join(columns) + " |",
                  "|" + "|".join("---:" if (justify and justify[i] == "right") else "---"
                                 for i in range(len(columns))) + "|"]
        lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
        report.echo("\n".join(lines + ([""] + list(notes) if notes else [])))
        return
    t = report.table(title, columns, rows, justify=justify)
    t.show_edge, t.pad_edge, t.collapse_padding = False, False, True   # as the bench table
    for i, col in enumerate(t.columns):   # only the named columns may wrap, at a space: no number is ever cut
        col.no_wrap = col.header not in wrap
        if not col.no_wrap:
            col.min_width = max((len(word) for row in rows for word in str(row[i]).split()), default=1)
    report.show(t, *notes)


# ---------------------------------------------------------------- list

def _list(fmt: str, extra: tuple = ()) -> None:
    runs_mod.check_data_folder()
    for folder in extra:
        what = files.not_a_folder(folder)
        if what == "nothing":
            raise UserError(f"{report.one_line(folder)}: no such folder")
        if what is not None:
            raise UserError(f"{report.one_line(folder)} is {what}, not a folder of runs")
    found, skipped = runs_mod.find_runs(extra=extra)
    summaries = [runs_mod.summary(r) for r in found]
    if fmt == "json":
        report.emit_json({"schema": "rigbench.runs/1",
                          "folders": [str(f) for f, _ in runs_mod.folders(extra=extra)],
                          "runs": summaries, "skipped": [{"path": str(p), "reason": why} for p, why in skipped]})
        return
    if fmt == "csv":
        columns = ["run", "origin", "machine", "created_utc", "devices", "status", "quick", "valid", "ok",
                   "measurements", "path", "skipped", "failed"]
        rows = [[s[c] if c != "devices" else " ".join(s[c]) for c in columns] for s in summaries]
        _emit_rows(None, columns, rows, fmt)
        return
    rows = [[report.one_line(s["run"]), s["machine"], (s["created_utc"] or "-").replace("T", " ").replace("Z", " UTC"),
             ", ".join(s["devices"]) or "-", _counts(s),
             s["status"] + (", quick" if s["quick"] else ""), s["origin"]] for s in summaries]
    folders = " and ".join(report.one_line(f) for f, _ in runs_mod.folders(extra=extra))
    notes = [f"valid: figures valid / figures measured (cases skipped or failed apart); runs from {folders}, "
             "newest first"]
    notes += [f"passed over {report.one_line(p)}: {why}" for p, why in skipped]
    ahead = [report.one_line(s["run"]) for s in summaries if s["ahead_of_clock"]]
    if ahead:
        notes.append("dated ahead: " + results.ahead_note(ahead))
    if not summaries:
        notes.insert(0, "no runs yet: `rigbench bench` writes one")
    _emit_rows("Runs", ["run", "machine", "date", "devices", "valid", "status", "origin"], rows, fmt, notes,
               justify=["left", "left", "left", "left", "right", "left", "left"],
               wrap=("machine", "date", "devices", "status"))


def _counts(s: dict) -> str:
    """'10/14, 6 skipped': valid of the figures measured, then the cases that gave no figure (never counted as
    measured: a skipped case is no figure to be valid or not)."""
    extra = [f"{s[k]} {k}" for k in ("skipped", "failed") if s[k]]
    return ", ".join([f"{s['valid']}/{s['ok']}", *extra])


# ---------------------------------------------------------------- show

def _show(run: runs_mod.Run, fmt: str) -> None:
    if fmt == "json":
        report.emit_json(run.doc)
        return
    if fmt == "table":
        v = run.view
        title = f"{report.one_line(run.path.name)}: {v.host_shown}, {v.created_utc}{', quick' if v.quick else ''}{table.rounds_label(run.doc)}"
        report.show(*table.renderables(run.doc, title, report.console()))
        if v.status == "interrupted" and not v.doc.get("distributed"):
            report.echo(f"run status: interrupted ({v.doc.get('reason') or 'the suite did not finish'})")
        report.echo(f"results: {report.one_line(run.path)}")
        return
    frame = frames.to_frame(run.view)
    # table and markdown show spread and share of peak as percentages; CSV keeps the raw fractions a spreadsheet
    # computes with (0.7837, not 78%), and its header says so
    columns = ["kernel", "device", "dtype", "case", "value", "low", "high", "unit",
               *(("spread_fraction", "fraction_of_peak") if fmt == "csv" else ("spread", "of peak")), "status",
               "reasons"]
    rows = []
    for r in frame.itertuples(index=False):
        status = r.status if r.status != "ok" else ("valid" if r.valid else "INVALID")
        if fmt == "csv":
            vals = [_num(r.value), _num(r.low), _num(r.high), r.unit, _num(r.spread), _num(r.fraction_of_peak)]
        else:
            vals = [fmt_num(_num(r.value)), fmt_num(_num(r.low)), fmt_num(_num(r.high)), r.unit,
                    _pct(_num(r.spread), 1), _pct(_num(r.fraction_of_peak), 0)]
        rows.append([r.kernel, r.device, r.dtype, r.case, *vals, status, r.reasons or None])
    _emit_rows(f"{report.one_line(run.path.name)}: {runs_mod.machine(run.doc)}, {run.doc.get('created_utc')}", columns, rows, fmt,
               ["low, high: 95% confidence interval of the median (order statistics of the timed samples)"])


def _said(key: str, value, run: Run) -> str:
    """A setup value as the run recorded it; one it did not record (no probe) as "not recorded", and no host as
    every command shows it (:attr:`rigbench.results.Results.host_shown`)."""
    if key == "host":
        return report.one_line(run.view.host_shown)
    if key == "cpu_cache" and isinstance(value, int):
        return fmt_bytes(value)
    return "not recorded" if value is None else report.one_line(value)


def _num(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


def _pct(x, digits: int) -> str | None:
    return None if x is None else f"{x:.{digits}%}"


# ---------------------------------------------------------------- diff

def _cell(f, unit: str | None = None) -> str:
    """'0.215 TFLOP/s [0.213–0.217]': the value, its unit, its interval; * when INVALID in that run."""
    if f is None:
        return "-"
    if f.value is None:
        return f.status
    iv = f" [{fmt_num(f.low)}–{fmt_num(f.high)}]" if f.low is not None else ""
    star = "" if f.valid else "*"
    return f"{fmt_num(f.value)}{star}" + (f" {unit}" if unit else "") + iv


def _signed(x: float | None) -> str:
    return "-" if x is None else f"{x:+.1%}"


def _diff(paths: tuple[str, ...], fail_above: float | None, fmt: str) -> None:
    loaded = runs_mod.resolve_all(paths)
    report.echo_notes(n for r in loaded for n in runs_mod.notes(r))
    changes = diff_mod.diff(loaded, fail_above)
    reasons = diff_mod.gate_reasons(loaded, changes, fail_above)
    if fmt == "json":
        report.emit_json(diff_mod.document(loaded, changes, fail_above))
    elif fmt == "csv":
        columns = ["kernel", "device", "dtype", "case", "unit", "baseline", "run", "base_value", "base_low",
                   "base_high", "base_valid", "value", "low", "high", "valid", "change", "slower_by", "beyond_noise",
                   "verdict", "regression", "over_limit"]
        rows = []
        for c in changes:
            b, n = c.base, c.new
            rows.append([c.kernel, c.device, c.dtype, c.case, c.unit, loaded[0].path.name, c.run,
                         *(_fig_cols(b)), *(_fig_cols(n)), c.change, c.slower_by, c.beyond_noise, c.verdict,
                         c.regression, c.over_limit])
        _emit_rows(None, columns, rows, fmt)
    else:
        base_name = loaded[0].path.name
        for run in loaded[1:]:
            mine = [c for c in changes if c.run == run.path.name]
            several = len({c.device for c in mine}) > 1
            rows = [[c.kernel, *([c.device] if several else []), c.dtype, c.case or "-", _cell(c.base, c.unit),
                     _cell(c.new, c.unit), _signed(c.change), c.verdict + (", over limit" if c.over_limit else "")]
                    for c in mine]
            columns = ["kernel", *(["device"] if several else []), "dtype", "case", "A (baseline)", "B", "change",
                       "verdict"]
            justify = ["left"] * (len(columns) - 4) + ["right", "right", "right", "left"]
            title = f"B = {report.one_line(run.path.name)} against A = {report.one_line(base_name)}" + ("" if several else f" ({mine[0].device})"
                                                                      if mine else "")
            notes = _diff_notes(mine, fail_above, [r for r in reasons if r["run"] == run.path.name])
            setup = diff_mod.setup_differences(loaded[0], run)
            if setup:
                notes.insert(0, "A and B were measured on different setups ("
                             + "; ".join(f"{diff_mod.SETUP_WORDS[k]} {_said(k, a, loaded[0])} -> {_said(k, b, run)}"
                                         for k, (a, b) in setup.items())
                             + "): the changes compare the two setups, not one machine over time")
            suites = diff_mod.suite_difference(loaded[0], run)
            if suites:
                notes.insert(0, f"A is a {suites[0]} run and B a {suites[1]} one: the quick suite measures smaller "
                                "cases, so only the cases both measured are compared and the rest are only in A or "
                                "only in B; diff runs of one kind (--quick against --quick)")
            moved = diff_mod.machine_moved(loaded[0], run)
            if moved is not None:
                notes.insert(1, f"the machine itself: B's reference workload took {abs(moved):.1%} "
                                f"{'more' if moved >= 0 else 'fewer'} CPU cycles than A's (a change of about that "
                                "size in every figure is the machine, not the code)")
            notes[:0] = diff_mod.stopped_notes(loaded[0], run)   # first: it explains the "not measured" rows
            _emit_rows(title, columns, rows, fmt, notes, justify=justify,
                       wrap=("case", "A (baseline)", "B", "verdict"))
    failures = [r["text"] for r in reasons]
    if failures:
        raise CheckFailed("; ".join(failures))


def _fig_cols(f) -> list:
    if f is None:
        return [None, None, None, None]
    return [f.value, f.low, f.high, f.valid]


def _diff_notes(changes, fail_above, blind: list[dict]) -> list[str]:
    """The notes under one run's table; ``blind``: the gate's reasons about this run (figures it could not judge or
    never saw), each of which fails the gate whatever the count of regressions says."""
    counts: dict[str, int] = {}
    for c in changes:
        counts[c.verdict] = counts.get(c.verdict, 0) + 1
    summary = ", ".join(f"{n} {v}" for v, n in counts.items())
    notes = [f"{summary}.",
             "value [interval]: the median and its 95% confidence interval; * INVALID in that run (never judged)",
             "change = B / A - 1 (work per second: negative is slower); slower or faster only when the two "
             "intervals do not overlap"]
    if fail_above is not None:
        n = sum(1 for c in changes if c.over_limit)
        judged_none = [r for r in blind if r["kind"] == "unjudged"]
        if judged_none:
            notes.append(f"--fail-above {fail_above:.1%}: {judged_none[0]['why']}: the gate fails, as it cannot "
                         "say the run did not slow down")
        else:
            line = (f"--fail-above {fail_above:.1%}: {n} valid figure{'s take' if n != 1 else ' takes'} more "
                    f"than {fail_above:.1%} longer per unit of work, beyond the noise")
            # figures the run never reached: the count above cannot speak for them
            notes.append(line + "".join(f"; but {r['why']}: the gate fails, as it did not see them"
                                        for r in blind if r["kind"] == "unreached"))
    return notes


# ---------------------------------------------------------------- the group

@click.group(name="results")
def command():
    """Saved runs: list them, show one again, compare several.

    \b
    A run is a results file that `rigbench bench` wrote. RUN is a path, a unique prefix of a file
    name in the results folders (your per-user data folder, ./results, and results/reference: the
    runs of real machines shipped with rigbench), or `latest` (your newest run that holds a
    measurement).

    \b
    Examples:
      rigbench results list
      rigbench results show latest
      rigbench results diff vm-amd-epyc-2vcpu-20261202T170550Z.json latest    against a reference (full) run
      rigbench results diff old.json new.json --fail-above 5%    exit 1 on a regression (for CI)
    """


@command.command(name="list")
@click.argument("folders", nargs=-1, metavar="[FOLDER]...")
@_format_option
def list_command(folders, fmt, as_json):
    """The runs in the results folders, newest first: machine, date, devices, how many figures are valid.
    FOLDER: more folders of runs to list first (where `rigbench bench --out DIR/` wrote).

    \b
    Examples:
      rigbench results list
      rigbench results list runs/                        the runs of bench --out runs/ as well
      rigbench results list --format markdown            to paste into an issue
      rigbench results list --json                       with each run's path, for a program
    """
    _list(_fmt(fmt, as_json), tuple(folders))


@command.command(name="show")
@click.argument("run")
@_format_option
def show_command(run, fmt, as_json):
    """One run again: the table `rigbench bench` printed, read from its file.

    \b
    Examples:
      rigbench results show latest
      rigbench results show vm-2026                     a unique prefix of the file name
      rigbench results show results/run.json --format csv > run.csv
    """
    fmt = _fmt(fmt, as_json)          # first: a conflict on the line is said before any run is looked for
    chosen = runs_mod.resolve(run)
    report.echo_notes(runs_mod.notes(chosen))
    _show(chosen, fmt)


@command.command(name="diff")
@click.argument("runs", nargs=-1, required=True)
@click.option("--fail-above", "fail_above", default=None, metavar="PERCENT",
              help="Exit 1 when a valid figure takes more than this much longer per unit of work (e.g. 5%), "
                   "beyond the noise of both runs, or when no figure of a run could be judged (0% or more).")
@_format_option
def diff_command(runs, fail_above, fmt, as_json):
    """Compare runs figure by figure: A is the baseline, B (and C ...) are compared with it.

    \b
    For each figure: both values with their 95% confidence intervals, the change, and whether it is
    beyond the noise of both runs (the two intervals do not overlap). A regression is a figure valid
    in both runs, slower, beyond the noise; INVALID figures are shown and never decide.

    \b
    Examples:
      rigbench results diff vm-amd-epyc-2vcpu-20261202T170550Z.json latest
      rigbench results diff before.json after.json --fail-above 5%
      rigbench results diff a.json b.json c.json --format markdown
    Exit codes: 0 no regression over the limit; 1 one or more, or (with --fail-above) no figure of a
    run could be judged (each invalid or unmeasured in one of the runs), or a run stopped before some
    of the baseline's figures: a gate that did not judge them has not passed; 2 bad input.
    """
    fmt = _fmt(fmt, as_json)          # first: a conflict on the line is said before any run is looked for
    if len(runs) < 2:
        raise UserError("results diff needs at least two runs: rigbench results diff A B [C ...]")
    limit = parse_percent(fail_above, what="--fail-above") if fail_above is not None else None
    _diff(tuple(runs), limit, fmt)
