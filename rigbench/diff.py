"""Two or more runs side by side, figure by figure: the change, whether it is beyond the noise, and the gate.

The first run is the baseline; every later run is compared with it. Figures are matched by kernel, device, dtype and
case (the ``case`` label, which names the size). For each pair:

- **change** is ``new / base - 1`` of the figure's value: every rigbench figure is work per second, so -10% is
  slower. **slower by** is the growth of the time one unit of work takes, ``base / new - 1`` (a planted 20%
  slowdown, every call taking 1.2x as long, is "slower by 20%"; its value change is -16.7%), the quantity
  ``--fail-above`` is compared with, as pytest-benchmark's ``--benchmark-compare-fail`` compares times.
- **beyond the noise** when the two figures' intervals do not overlap (:mod:`rigbench.intervals`: each the 95%
  confidence interval of that run's median). Two intervals that do not overlap differ at a level well under 5%
  (N. Schenker and J. F. Gentleman, "On judging the significance of differences by examining the overlap between
  confidence intervals", The American Statistician 55(3), 2001): a conservative rule, chosen because a false alarm
  in a CI gate costs more than a small change seen one run late. Each interval comes from its own run's samples,
  so a noisy run widens its own interval and cannot make the other look changed.
- a **regression** is a figure valid in both runs, slower, beyond the noise; ``fail_above`` turns the ones slower
  by more than that fraction into a failed check. A figure invalid in either run is shown with its values and never
  decides the gate: its noise is already known to be too large to judge. A gate that could judge no figure of a
  run (every one invalid or unmeasured in one of them) fails too: it cannot say the run did not slow down. A figure flagged only for lying far from
  the machine's earlier runs (``earlier``) counts as valid here: that distance is what a diff measures, and a
  steady slowdown, the thing the gate is for, is exactly what gets a figure that flag.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from rigbench import results
from rigbench.bench import baseline
from rigbench.runs import Run

KIND = "diff"
VERSION = 1
SCHEMA = f"rigbench.{KIND}/{VERSION}"


@dataclass(frozen=True)
class Figure:
    """One figure of one run, as a diff reads it."""

    value: float | None
    low: float | None
    high: float | None
    valid: bool
    status: str
    why: str | None          # the first invalid reason, or why there is no value


@dataclass(frozen=True)
class Change:
    """One figure of a later run against the baseline."""

    kernel: str
    device: str
    dtype: str
    case: str
    unit: str
    run: str                 # the later run's file name
    base: Figure | None
    new: Figure | None
    change: float | None     # new / base - 1 of the value
    slower_by: float | None  # base / new - 1: how much longer one unit of work takes
    beyond_noise: bool | None
    verdict: str             # faster | slower | within noise | INVALID in A/B/both | not measured (in A/B) | only in A/B
    regression: bool
    over_limit: bool


def _figure(f: results.Figure) -> Figure:
    ci = f.ci if f.measured else None
    return Figure(value=f.value if f.measured else None, low=ci[0] if ci else None, high=ci[1] if ci else None,
                  valid=f.valid_in_its_run, status=f.status, why=None if f.valid_in_its_run else (f.why_not() or None))


def figures(view: results.Results) -> dict[tuple, tuple[results.Figure, Figure]]:
    """Key -> (figure of the view, as a diff reads it) for every record of a run (the last wins if a key repeats)."""
    return {f.key: (f, _figure(f)) for f in view.all()}


def compare_pair(base: Figure | None, new: Figure | None, fail_above: float | None) -> dict:
    """change, slower_by, beyond_noise, verdict, regression, over_limit of one figure (see the module docstring)."""
    out = {"change": None, "slower_by": None, "beyond_noise": None, "regression": False, "over_limit": False}
    if new is None:
        return {**out, "verdict": "only in A"}
    if base is None:
        return {**out, "verdict": "only in B"}
    missing = [side for side, f in (("A", base), ("B", new)) if not f.value or f.value <= 0]
    if missing:
        return {**out, "verdict": f"not measured in {' and '.join(missing)}" if len(missing) == 1
                else "not measured"}
    out["change"] = new.value / base.value - 1.0
    out["slower_by"] = base.value / new.value - 1.0
    if None not in (base.low, base.high, new.low, new.high):
        out["beyond_noise"] = new.high < base.low or new.low > base.high
    invalid = [side for side, f in (("A", base), ("B", new)) if not f.valid]
    if invalid:
        out["verdict"] = f"INVALID in {'both' if len(invalid) == 2 else invalid[0]}"
        return out
    if out["beyond_noise"] is None:
        out["verdict"] = "no interval"
        return out
    if not out["beyond_noise"]:
        out["verdict"] = "within noise"
        return out
    slower = out["slower_by"] > 0
    out["verdict"] = "slower" if slower else "faster"
    out["regression"] = slower
    out["over_limit"] = slower and fail_above is not None and out["slower_by"] > fail_above
    return out


def diff(runs: list[Run], fail_above: float | None = None) -> list[Change]:
    """Every figure of every later run against the first run, in the baseline's order (new figures last)."""
    if len(runs) < 2:
        raise ValueError("a diff needs at least two runs")
    base = figures(runs[0].view)
    changes: list[Change] = []
    for run in runs[1:]:
        new = figures(run.view)
        for key in [*base, *(k for k in new if k not in base)]:
            bm, bf = base.get(key, (None, None))
            nm, nf = new.get(key, (None, None))
            unit = (bm or nm).unit or ""
            res = compare_pair(bf, nf, fail_above)
            kernel, device, dtype, case, _params = key       # the params only tell two cases of one label apart
            changes.append(Change(kernel, device, dtype, case, unit=unit, run=run.path.name, base=bf, new=nf, **res))
    return changes


def failed(changes: list[Change]) -> list[Change]:
    """The regressions over the ``fail_above`` limit (what makes ``rigbench results diff --fail-above`` exit 1)."""
    return [c for c in changes if c.over_limit]


# The verdicts of a figure the rule judged: valid and measured in both runs, with both intervals.
JUDGED = ("faster", "slower", "within noise")


def judged(changes: list[Change]) -> dict[str, tuple[int, int, bool]]:
    """Per later run: (figures judged, figures measured in both runs, whether every one of those not judged was
    INVALID in a run). A gate that judged no figure of a run cannot say it did not slow down: ``--fail-above``
    fails then, as a test suite that ran no test has not passed."""
    out: dict[str, tuple[int, int, bool]] = {}
    for c in changes:
        n, both, invalid = out.get(c.run, (0, 0, True))
        if c.change is not None:                 # a value in both runs
            both += 1
            if c.verdict in JUDGED:
                n += 1
            else:
                invalid = invalid and c.verdict.startswith("INVALID")
        out[c.run] = (n, both, invalid)
    return out


def unjudged(changes: list[Change]) -> dict[str, str]:
    """Run -> '0 of N figures could be judged (why)' for each later run of which no figure was judged; N counts the
    figures measured in both runs."""
    out = {}
    for run, (n, both, invalid) in judged(changes).items():
        if n == 0:
            why = ("no figure was measured in both runs" if not both else "all invalid in one of the runs" if invalid
                   else "each invalid or without an interval in one of the runs")
            out[run] = f"0 of {both} figure{'s' if both != 1 else ''} could be judged ({why})"
    return out


def unreached(runs: list[Run], changes: list[Change]) -> dict[str, str]:
    """Run -> 'interrupted before N of the baseline's figures' for each later run that did not complete and lacks
    figures the baseline has: those may only be figures it never reached, and a gate that did not see them cannot
    say they did not slow down (``--fail-above`` fails then, as it does when it judged nothing)."""
    out = {}
    for run in runs[1:]:
        status = run.view.stopped
        missing = sum(1 for c in changes if c.run == run.path.name and c.new is None and c.base is not None)
        if status is not None and missing:
            out[run.path.name] = (f"{status} before {missing} of the baseline's figures "
                                  "(never measured in it)")
    return out


def gate_reasons(runs: list[Run], changes: list[Change], fail_above: float | None) -> list[dict]:
    """Why ``--fail-above`` fails, one ``{"run": name or None, "kind": ..., "why": ..., "text": ...}`` per reason
    (``kind`` regression, unjudged or unreached; ``run`` None for the regressions of every later run together;
    ``text`` the whole line); empty when the gate passes or there is no gate. The exit code, the notes under each table and the JSON document all read this one list, so no output can
    read as a pass while the exit code says otherwise."""
    if fail_above is None:
        return []
    head = f"--fail-above {fail_above:.1%}"
    out = []
    bad = failed(changes)
    if bad:
        what = ", ".join(f"{c.kernel} {c.device} {c.dtype} {c.case} slower by {c.slower_by:.1%} in {c.run}"
                         for c in bad[:5]) + (" ..." if len(bad) > 5 else "")
        out.append({"run": None, "kind": "regression", "why": what,
                    "text": f"{len(bad)} valid figure{'s' if len(bad) != 1 else ''} slower by more than "
                            f"{fail_above:.1%} beyond the noise: {what}"})
    # a gate that judged nothing has not passed: it cannot say the run did not slow down
    out += [{"run": run, "kind": "unjudged", "why": why,
             "text": f"{head}: {run}: {why}; a gate that judged nothing has not passed"}
            for run, why in unjudged(changes).items()]
    out += [{"run": run, "kind": "unreached", "why": why,
             "text": f"{head}: {run}: {why}; a gate that did not see them has not passed"}
            for run, why in unreached(runs, changes).items()]
    return out


def gate(runs: list[Run], changes: list[Change], fail_above: float | None) -> dict | None:
    """The gate's verdict for the JSON document: ``{"limit": 0.05, "passed": false, "reasons": [...]}``; None
    without ``--fail-above``."""
    if fail_above is None:
        return None
    reasons = [r["text"] for r in gate_reasons(runs, changes, fail_above)]
    return {"limit": fail_above, "passed": not reasons, "reasons": reasons}


def machine_moved(base: Run, new: Run) -> float | None:
    """How many more CPU cycles ``new``'s reference workload took than ``base``'s (0.06 = 6% more; negative: fewer):
    the machine itself, whatever the figures did. None unless both runs are of one machine (host, CPU with its cache
    and instruction sets, cores, torch, threads, reference workload) and both recorded the clock beside their
    readings."""
    if baseline.signature(base.doc) != baseline.signature(new.doc):
        return None
    a, b = baseline.median_of(base.doc), baseline.median_of(new.doc)
    return round(b / a - 1.0, 4) if a and b else None


SETUP_WORDS = {"host": "host", "cpu": "CPU", "cpu_cache": "CPU last-level cache",
               "cpu_isa": "CPU instruction sets", "usable_cores": "usable cores", "torch": "torch",
               "threads": "torch threads"}


def setup_differences(base: Run, new: Run) -> dict[str, list]:
    """What of the setup differs between two runs (``{"host": ["a", "b"], ...}``); empty when one machine and one
    software stack measured both. A diff between two machines compares the machines, not one machine over time."""
    a, b = baseline.signature(base.doc), baseline.signature(new.doc)
    return {k: [a[k], b[k]] for k in SETUP_WORDS if a.get(k) != b.get(k)}


def suite_difference(base: Run, new: Run) -> list[str] | None:
    """``["default", "quick"]`` (A's suite, B's) when one run is ``--quick`` and the other not, else None. The quick
    suite measures smaller cases (a 15x smaller training net, 32 images against 256), and a figure's key holds its
    case, so such a diff pairs only the cases both suites share and lists the rest as only in A or only in B."""
    a, b = ("quick" if run.view.quick else "default" for run in (base, new))
    return None if a == b else [a, b]


def stopped(run: Run) -> dict | None:
    """How a run that did not complete ended (``{"status": "interrupted", "reason": ...}``), as the results owner
    reads it (:attr:`rigbench.results.Results.stopped`); None for a complete run or a file that records no status.
    A figure "not measured" in a stopped run may only be one the run never reached."""
    view = run.view
    return None if view.stopped is None else {"status": view.stopped, "reason": view.reason}


def stopped_notes(base: Run, new: Run) -> list[str]:
    """One line for A and one for B when that run did not complete (:meth:`rigbench.results.Results.status_note`)."""
    return [note for side, run in (("A", base), ("B", new))
            if (note := run.view.status_note(f"{side} ({run.path.name})")) is not None]


def document(runs: list[Run], changes: list[Change], fail_above: float | None) -> dict:
    """The ``rigbench.diff/1`` JSON document."""
    return {
        "schema": SCHEMA,
        "baseline": str(runs[0].path),
        "runs": [str(r.path) for r in runs[1:]],
        "fail_above": fail_above,
        "rule": "beyond the noise when the two 95% confidence intervals of the median do not overlap; a regression "
                "is valid in both runs, slower and beyond the noise; slower_by = base / new - 1",
        "figures": [asdict(c) for c in changes],
        "machine_moved": {r.path.name: machine_moved(runs[0], r) for r in runs[1:]},
        "setup_differs": {r.path.name: setup_differences(runs[0], r) for r in runs[1:]},
        # per later run: [A's suite, B's] where one is --quick and the other not, else None
        "suite_differs": {r.path.name: suite_difference(runs[0], r) for r in runs[1:]},
        # a run that did not complete, per side: None when it did
        "baseline_stopped": stopped(runs[0]),
        "stopped": {r.path.name: stopped(r) for r in runs[1:]},
        "regressions": sum(1 for c in changes if c.regression),
        "over_limit": sum(1 for c in changes if c.over_limit),
        # per later run: figures judged (valid in both runs, with intervals) of those measured in both
        "judged": {run: {"judged": n, "measured_in_both": both} for run, (n, both, _) in judged(changes).items()},
        # the --fail-above verdict (None without a gate): passed, and every reason it did not
        "gate": gate(runs, changes, fail_above),
    }
