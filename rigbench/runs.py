"""Saved runs: where results files are found, which file a name on the command line means, what each one holds.

A run is one results file. They are looked for in the results folders (:func:`folders`): the user's own runs and
``results/reference/``, the runs of real machines committed with rigbench. A name given on the command line
(``RUN``) is a path, a unique prefix of a file name in those folders, or ``latest`` (the newest of the user's own
runs that holds a measurement: :func:`rigbench.results.holds_measurement`).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from rigbench import files, results
from rigbench.errors import UserError

LATEST = "latest"


@dataclass(frozen=True)
class Run:
    """One results file: its typed view (:class:`rigbench.results.Results`) and where it was found."""

    view: results.Results
    origin: str          # "yours" (a user's run) or "reference" (committed with rigbench)
    # found as ``latest``: the newer runs of yours passed over for holding no measurement, newest first
    passed_over: tuple[Path, ...] = ()
    # found as ``latest``: the newer runs passed over for starting after this machine's clock (results.ahead_of_clock)
    ahead: tuple[Path, ...] = ()

    @property
    def path(self) -> Path:
        return self.view.path

    @property
    def doc(self) -> dict:
        return self.view.doc

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def created_utc(self) -> str:
        return str(self.view.created_utc or "")


# The reference runs committed with rigbench: results/reference/ of the repository, beside the package. It is there
# in a source checkout and an editable install (``make install``), which is how rigbench is installed; where it is
# absent (a wheel), no reference runs are shipped and none are looked for there.
SHIPPED_REFERENCE = Path(__file__).resolve().parent.parent / "results" / "reference"


def folders(cwd: str | os.PathLike | None = None, extra: tuple = ()) -> list[tuple[Path, str]]:
    """(folder, origin) of every results folder, the user's own first, in the order a name is looked up: the
    per-user data folder ``rigbench bench`` writes to (found from any working directory), ./results,
    ./results/reference, and the reference runs shipped with rigbench (:data:`SHIPPED_REFERENCE`, found from any
    working directory; once when it is ./results/reference). ``extra``: more folders of the user's, named on the
    command line (where ``bench --out DIR/`` wrote), looked in first."""
    base = Path(cwd) if cwd is not None else Path.cwd()
    out = [(base / Path(f), "yours") for f in extra]
    out = [f for i, f in enumerate(out) if not any(_same(f[0], g) for g, _ in out[:i])]
    out += [(f, origin) for f, origin in ((results.results_dir(), "yours"), (base / "results", "yours"),
                                           (base / "results" / "reference", "reference"))
            if not any(_same(f, g) for g, _ in out)]
    if SHIPPED_REFERENCE.is_dir() and not any(_same(SHIPPED_REFERENCE, folder) for folder, _ in out):
        out.append((SHIPPED_REFERENCE, "reference"))
    return out


def check_data_folder() -> None:
    """A ``UserError`` when a file stands where the per-user results folder (:func:`rigbench.results.results_dir`)
    or a folder above it should be: no run of yours can be found there and ``rigbench bench`` cannot write one, so
    a list without them would hide the fault."""
    blocked = results.data_folder_blocked()
    if blocked is not None:
        raise UserError(blocked)


def _same(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:       # b does not exist (or cannot be reached): not the same folder
        return False


def _candidates(cwd=None, passed_over: list[tuple[Path, str]] | None = None,
                extra: tuple = ()) -> list[tuple[Path, str, float]]:
    """(path, origin, mtime) of every results file of the folders, one entry per file however many names lead to it."""
    seen: set[tuple[int, int]] = set()
    out = []
    for folder, origin in folders(cwd, extra):
        for path, st in files.json_files(folder, passed_over):
            if (st.st_dev, st.st_ino) in seen:       # one file under two names (a link): listed once
                continue
            seen.add((st.st_dev, st.st_ino))
            out.append((path, origin, st.st_mtime))
    return out


def find_runs(cwd=None, extra: tuple = ()) -> tuple[list[Run], list[tuple[Path, str]]]:
    """Every readable run in the results folders (and the folders ``extra``), newest first; and (path, why) of the
    files passed over."""
    found, skipped = [], []
    for path, origin, mtime in _candidates(cwd, skipped, extra):
        try:
            found.append((Run(results.load(path), origin), mtime))
        except UserError as exc:
            skipped.append((path, str(exc)))
    # the mtime read when listed: a file removed since cannot stop the sort
    found.sort(key=lambda rm: (results.created_at(rm[0].view) or results.NEVER, rm[1]), reverse=True)
    return [r for r, _ in found], skipped


def load_run(path: str | os.PathLike, origin: str = "yours") -> Run:
    return Run(results.load(path), origin)


def resolve(arg: str, cwd=None) -> Run:
    """The run ``arg`` names: an existing path, ``latest``, or a unique prefix of a file name in the results folders."""
    path = Path(arg)
    # a file name as `results list` prints it, with no such file here: the run of that name in the results folders
    listed = arg.endswith(".json") and os.sep not in arg and not path.exists() and not path.is_symlink()
    # anything at that path (a folder, a link leading nowhere) is what was named: read it, to say what it is,
    # rather than look for a run whose name starts with "."
    if arg != LATEST and not listed and (path.exists() or path.is_symlink() or os.sep in arg or arg.endswith(".json")):
        return load_run(path, "reference" if "reference" in path.parts else "yours")
    runs, skipped = find_runs(cwd)
    where = " and ".join(str(f) for f, _ in folders(cwd))
    if listed and not any(r.path.name == arg for r in runs) and not any(p.name == arg for p, _ in skipped):
        raise UserError(f"no file {arg!r} here and no run of that name in {where}; `rigbench results list` shows "
                        "the runs")
    broken = [why for p, why in skipped if arg != LATEST and p.name.startswith(arg)]
    if broken and not any(r.path.name.startswith(arg) for r in runs):
        # the file is there but cannot be read: say why, not that no run has that name
        raise UserError(broken[0] + (f" ({len(broken) - 1} more unreadable file(s) match {arg!r})"
                                     if len(broken) > 1 else ""))
    # latest is the newest of your own runs: a reference run is another machine's, shipped with rigbench, and
    # newer than a run of yours from before it was committed; it is named by its file name
    mine = [r for r in runs if r.origin == "yours"] if arg == LATEST else runs
    if not mine:
        passed = (f" ({len(skipped)} unreadable file(s) passed over: `rigbench results list` says why)" if skipped
                  else "")
        searched = " and ".join(str(f) for f, origin in folders(cwd) if origin == "yours") if arg == LATEST else where
        yours = [f for f, origin in folders(cwd) if origin == "yours"]
        blocked = [b for b in map(results.folder_blocked, yours) if b]
        whose = "of yours " if arg == LATEST else ""
        if results.folder_blocked(yours[0]) is not None:
            # the per-user folder, where `rigbench bench` writes: "run rigbench bench first" would not help, it
            # cannot write its runs there either
            raise UserError(f"no runs {whose}in {searched}: {'; '.join(blocked)}, or give a results file's path")
        # a file at ./results hides only the runs of older versions there; bench still writes to the per-user folder
        said = f": {'; '.join(blocked)};" if blocked else ":"
        raise UserError(f"no runs {whose}in {searched}{passed}{said} run `rigbench bench` first, or give a results "
                        "file's path")
    if arg == LATEST:
        # a run dated in the future is not the newest: it would hide the run just made until its date came
        now = datetime.now(timezone.utc)
        first = next((i for i, r in enumerate(mine) if results.holds_measurement(r.view)
                      and not results.ahead_of_clock(r.view, now)), None)
        future = [r.path for r in mine if results.ahead_of_clock(r.view, now)]
        if first is None and future:
            searched = " and ".join(str(f) for f, origin in folders(cwd) if origin == "yours")
            # the runs without a measurement were passed over too: said beside those dated ahead, or the person
            # looks for why those were not taken
            empty = [r.path.name for r in mine if r.path not in future and not results.holds_measurement(r.view)]
            raise UserError(f"no run of yours in {searched} to take as latest: passed over "
                            + results.ahead_note([p.name for p in future])
                            + (f", and {results.no_measurement_note(empty)}" if empty else ""))
        if first is None:
            searched = " and ".join(str(f) for f, origin in folders(cwd) if origin == "yours")
            names = [r.path.name for r in mine]
            shown = names[:4] + ([f"{len(names) - 4} more"] if len(names) > 4 else [])
            raise UserError(f"no run of yours holds a measurement in {searched}: passed over "
                            f"{results.no_measurement_note(shown)}; run `rigbench bench`, or give a results file's "
                            "path")
        return dataclasses.replace(mine[first], passed_over=tuple(r.path for r in mine[:first] if r.path not in future),
                                   ahead=tuple(p for p in future if p in {r.path for r in mine[:first]}))
    matches = [r for r in runs if r.path.name.startswith(arg)]
    exact = [r for r in matches if r.name == arg or r.path.name == arg]
    if len(exact) == 1:
        return exact[0]
    if not matches:
        raise UserError(f"no run matches {arg!r} in {where}; `rigbench results list` shows the runs")
    if len(matches) > 1:
        names = ", ".join(r.path.name for r in matches[:4]) + (" ..." if len(matches) > 4 else "")
        raise UserError(f"{arg!r} matches {len(matches)} runs ({names}): give more of the file name")
    return matches[0]


def notes(run: Run) -> list[str]:
    """What a person is told about how the run was read, one line each: what the owner read otherwise than written
    (:attr:`rigbench.results.Results.notes`) and, for ``latest``, the newer runs without a measurement passed over."""
    out = list(run.view.notes)
    if run.passed_over:
        out.append(f"latest is {run.path.name}, the newest run with a measurement; passed over "
                   + results.no_measurement_note([p.name for p in run.passed_over]))
    if run.ahead:
        out.append(f"latest is {run.path.name}; passed over " + results.ahead_note([p.name for p in run.ahead]))
    return out


def same_run_key(run: Run) -> tuple:
    """What two names of one run share: its file (two spellings, a link) or, for a copy of the file, the run's
    identity with the same figures (:func:`rigbench.results.copy_key`)."""
    key = results.copy_key(run.view)
    return ("file", run.path.resolve()) if key is None else ("run", key)


def resolve_all(args, cwd=None) -> list[Run]:
    """The runs ``args`` name (:func:`resolve`), each once: one run named twice (two spellings of one file, a prefix
    and a path, or a copy of its file: :func:`same_run_key`) is a ``UserError``, since a run set beside itself says
    nothing."""
    loaded = [resolve(a, cwd) for a in args]
    paths = [r.path.resolve() for r in loaded]
    keys = [same_run_key(r) for r in loaded]
    if len(set(paths)) < len(paths) or len(set(keys)) < len(keys):
        raise UserError("the same run is given twice: name different runs (`rigbench results list` shows them)")
    return loaded


def machine(doc: dict) -> str:
    """The machine in a few words: its CPU brand and GPUs from the probe (the host name when the probe says nothing)."""
    probe = doc.get("probe") or {}
    cpu = probe.get("cpu") or {}
    parts = []
    brand = cpu.get("brand") or cpu.get("cpu_class")
    if brand:
        cores = cpu.get("usable_cores")
        parts.append(" ".join(str(brand).split()) + (f" ({cores} cores)" if cores else ""))
    gpus = [g.get("name") for g in probe.get("gpus") or [] if isinstance(g, dict) and g.get("name")]
    if gpus:
        counts: dict[str, int] = {}
        for g in gpus:
            counts[g] = counts.get(g, 0) + 1
        parts.append(", ".join(f"{n}x {g}" if n > 1 else g for g, n in counts.items()))
    return "; ".join(parts) or str(doc.get("host") or "unknown machine")


def summary(run: Run) -> dict:
    """One line of ``rigbench results list``: the run, its machine, when, which devices, how many figures are valid
    (``valid``) of those measured (``ok``), and the records that are no figure (``skipped``, ``failed``);
    ``measurements`` counts every record."""
    v = run.view
    return {
        "run": run.path.name, "path": str(run.path), "origin": run.origin, "host": v.host,
        "machine": machine(run.doc), "created_utc": run.created_utc or None, "devices": sorted(v.devices()),
        "status": v.status, "quick": v.quick, "measurements": len(v.all()),
        # dated after this machine's clock: listed where its date puts it, but never taken as ``latest``
        "ahead_of_clock": results.ahead_of_clock(v),
        "ok": len(v.ok(valid_only=False)), "valid": len(v.ok()),
        # records that are no figure: a case skipped (no such dtype here, out of memory) or failed
        "skipped": sum(1 for f in v.all() if f.status == "skipped"),
        "failed": sum(1 for f in v.all() if f.status == "failed"),
    }
