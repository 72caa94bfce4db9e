"""`rigbench report`: one self-contained HTML page about a run (machine, figures, references, predictions,
guidelines, cost)."""

from __future__ import annotations

import click

from rigbench import __version__, catalog, html_report, report
from rigbench import runs as runs_mod
from rigbench.cli import Bounded
from rigbench.cost.arithmetic import MAX_MONTHS, MAX_WORK_HOURS_PER_MONTH
from rigbench.errors import UserError
from rigbench.units import refuse_repeats, shown


@click.command(name="report")
@click.argument("runs", nargs=-1)
@click.option("--out", "out", default=None, type=click.Path(dir_okay=True),
              help="The HTML file to write (a name ending in .html or .htm); an earlier rigbench report of that "
                   "name is replaced, any other file refused. Default: report.html here, or report-2.html ... past each file that has the name (a "
                   "folder or link at the name it would take is refused: give --out).")
@click.option("--gpus", default=None, metavar="NAME[,NAME]",
              help="Catalog cards to predict beside this machine (default: gtx-1080-ti,rtx-2080-ti,rtx-3090,"
                   "rtx-4090).")
@click.option("--buy", default=None, metavar="GPU", help="Card bought in the cost chart (default: this machine's "
                                                          "GPU, else the last of --gpus).")
@click.option("--rent", default=None, metavar="PROVIDER:INSTANCE",
              help="Instance rented in the cost chart (default: the cheapest that can do the work).")
@click.option("--hours-per-month", type=Bounded(0, MAX_WORK_HOURS_PER_MONTH, lo_open=True), default=80.0,
              show_default=True,
              help="Hours of work per month on the bought card, for the cost.")
@click.option("--months", type=Bounded(0, MAX_MONTHS, lo_open=True), default=24.0, show_default=True,
              help="Horizon of the cost comparison.")
@click.option("--json", "as_json", is_flag=True, help="Print {schema, out, sections} as JSON instead of a line.")
def command(runs, out, gpus, buy, rent, hours_per_month, months, as_json):
    """Write one HTML page about a run: the machine, every figure against its peak with its interval, this
    run against the reference runs (results/reference/) and the catalog's predictions, the guideline
    verdicts, and buy-or-rent cost with the break-even point. Self-contained: charts embedded as PNG,
    nothing fetched; readable on a phone and printable.

    \b
    RUN: a results file's path, a unique prefix of a file name in the results folders, or `latest`
    (your newest run that holds a measurement, the default). More runs after the first are compared with it beside the
    reference runs.

    \b
    Examples:
      rigbench report                               your newest run -> report.html (or report-2.html ...)
      rigbench report latest --out ~/rig.html
      rigbench report my-run.json vm-amd-epyc-2vcpu-20261202T170550Z.json --gpus rtx-3060,rtx-4090
    """

    out_path = html_report.check_out(out)
    chosen = runs_mod.resolve_all(runs or ("latest",))
    this = chosen[0]
    found, skipped = runs_mod.find_runs()
    refs = [r for r in found if r.origin == "reference"]
    reference_dirs = {folder.resolve() for folder, origin in runs_mod.folders() if origin == "reference"}
    # a reference run that cannot be read is left out of the page; say so rather than compare with fewer in silence
    passed_over = [(p, why) for p, why in skipped if p.parent.resolve() in reference_dirs]
    seen = {this.path.resolve(), runs_mod.same_run_key(this)}
    others = []
    for r in [*chosen[1:], *refs]:
        # a reference run that is this run's own file, or a copy of it, is not another run to compare with
        if r.path.resolve() not in seen and runs_mod.same_run_key(r) not in seen:
            seen.update((r.path.resolve(), runs_mod.same_run_key(r)))
            others.append(r)
    opts = html_report.Options(buy=buy, rent=rent, hours_per_month=hours_per_month, months=months)
    if gpus is not None:
        opts.gpus = tuple(g.strip() for g in gpus.split(",") if g.strip())
        if not opts.gpus:
            raise UserError(f"--gpus {shown(gpus)} names no card; name catalog cards, e.g. --gpus rtx-3060,rtx-4090")
        refuse_repeats([(name, catalog.resolve(name).id) for name in opts.gpus], "--gpus", "card")
    report.echo_notes(n for r in chosen for n in runs_mod.notes(r))
    for p, why in passed_over:
        report.echo(f"rigbench: reference run {report.one_line(p.name)} left out of the report: {why}", err=True)
    sections = html_report.build(this, others, opts)
    page = html_report.render(this, sections, __version__)
    # a page the user did not name never replaces a file already there (their own report.html)
    path = html_report.write_default(page) if out is None else html_report.write(out_path, page)
    if as_json:
        report.emit_json({"schema": "rigbench.report/1", "out": str(path), "run": str(this.path),
                          "compared_with": [str(r.path) for r in others],
                          "passed_over": [{"path": str(p), "why": why} for p, why in passed_over], "sections": [s.id for s in sections]})
    else:
        report.echo(f"report: {report.one_line(path)} ({report.one_line(this.path.name)} against {len(others)} "
                    f"other run{'s' if len(others) != 1 else ''})")
