"""Fault drills: run rigbench as a careless user or an attacker would and count what held.

    .venv/bin/python tests/benchmarks/faults.py            # every drill, 2 at a time
    .venv/bin/python tests/benchmarks/faults.py -k cost    # drills whose name contains "cost"
    .venv/bin/python tests/benchmarks/faults.py --slow     # also the signal drills on real runs (a few minutes)

Each drill is a real ``rigbench`` process with one bad thing in it: a number with hundreds of digits, a FIFO where a
results file should be, a symbolic link as --out, a terminal that cannot show UTF-8, a closed output pipe, a stop
signal in the middle of a run. A drill HOLDS when rigbench answers as its contract says (exit 0 with the work done,
or exit 2 with one line on stderr, 128+N after signal N, 141 on a closed pipe, nothing damaged); it FAILS otherwise.
A traceback on stderr is always a failure. The table lists every failure; the last lines give the counts.
Not a pytest module (its name does not start with test_): tests/test_faults.py holds one test per fault.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

PY = sys.executable
GUARD_S = 300


@dataclass
class Result:
    code: int | None
    stdout: str
    stderr: str
    seconds: float


@dataclass
class Drill:
    name: str
    args: list[str] = field(default_factory=list)
    expect: str = "refused"        # refused (2 + one line) | ok (0) | quiet-pipe (141, no stderr) | custom
    env: dict = field(default_factory=dict)
    setup: Callable[[Path], list[str]] | None = None      # returns extra args (paths made in the drill's folder)
    check: Callable[[Result, Path], str | None] | None = None   # None when it held, else why not
    run: Callable[[Path], Result] | None = None           # a drill that runs rigbench its own way
    slow: bool = False


def rigbench(args, cwd: Path, env: dict | None = None, stdin=None) -> Result:
    t0 = time.monotonic()
    # the per-user data folder in the drill's own folder, whatever the caller's environment says
    own = {"XDG_DATA_HOME": str(cwd / "data"), "RIGBENCH_DATA_DIR": str(cwd / "data" / "rigbench")}
    p = subprocess.run([PY, "-m", "rigbench", *args], capture_output=True, text=True, cwd=cwd,
                       env={**os.environ, **own, **(env or {})}, timeout=GUARD_S, stdin=stdin or subprocess.DEVNULL)
    return Result(p.returncode, p.stdout, p.stderr, time.monotonic() - t0)


def judge(d: Drill, r: Result, folder: Path) -> str | None:
    if "Traceback" in r.stderr or "Exception ignored" in r.stderr:
        return "traceback"
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    if d.expect == "refused":
        if r.code != 2:
            return f"exit {r.code}, expected 2"
        if len(lines) != 1 or not lines[0].startswith("rigbench: error: "):
            return f"{len(lines)} stderr lines, expected one 'rigbench: error:' line"
    elif d.expect == "ok" and r.code != 0:
        return f"exit {r.code}: {lines[-1] if lines else ''}"
    elif d.expect == "quiet-pipe" and (r.code != 141 or r.stderr):
        return f"exit {r.code}, stderr {r.stderr[:80]!r}; expected 141 and nothing"
    return d.check(r, folder) if d.check else None


# ------------------------------------------------------------------------------------------------ building blocks

def fifo(name="r.json"):
    def make(folder: Path) -> list[str]:
        os.mkfifo(folder / name)
        return [str(folder / name)]
    return make


def symlink(name="r.json"):
    def make(folder: Path) -> list[str]:
        (folder / "target").write_text("keep")
        (folder / name).symlink_to(folder / "target")
        return [str(folder / name)]
    return make


def device(name="r.json"):
    def make(folder: Path) -> list[str]:
        os.mknod(folder / name, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        return [str(folder / name)]
    return make


def a_dir(name="r.json"):
    def make(folder: Path) -> list[str]:
        (folder / name).mkdir()
        return [str(folder / name)]
    return make


def file_with(text: str | bytes, name="r.json"):
    def make(folder: Path) -> list[str]:
        p = folder / name
        p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        return [str(p)]
    return make


def sparse(size: int, name="r.json"):
    def make(folder: Path) -> list[str]:
        with open(folder / name, "wb") as fh:
            fh.truncate(size)
        return [str(folder / name)]
    return make


def kept(kind: str, name="r.json"):
    """The thing at ``name`` is still what it was (nothing replaced it)."""
    def check(r: Result, folder: Path) -> str | None:
        st = os.lstat(folder / name)
        ok = {"fifo": stat.S_ISFIFO, "link": stat.S_ISLNK, "device": stat.S_ISCHR, "dir": stat.S_ISDIR}[kind](st.st_mode)
        if kind == "link" and (folder / "target").read_text() != "keep":
            return "the link's target was changed"
        return None if ok else f"the {kind} was replaced"
    return check


def no_ellipsis(r: Result, folder: Path) -> str | None:
    return "a cell was cut with '…'" if "\u2026" in r.stdout else None


PRICES = ("provider,instance,gpu_id,gpu_count,vcpus,ram_gb,on_demand_usd_per_hour,spot_usd_per_hour,region,"
          "price_date,source\n")


def price_row(**over) -> str:
    row = {"provider": "aws", "instance": "x1", "gpu_id": "tesla-v100-sxm2-16gb", "gpu_count": "1", "vcpus": "8",
           "ram_gb": "61", "on_demand_usd_per_hour": "3.06", "spot_usd_per_hour": "", "region": "us-east-1",
           "price_date": "2020-01-01", "source": "drill"}
    row.update(over)
    return PRICES + ",".join(row.values()) + "\n"


# ------------------------------------------------------------------------------------------------ the drills

BAD_NUMBERS = {"300 digits": "9" * 300, "1e308": "1e308", "nan": "nan", "inf": "inf", "-1": "-1",
               "1.500,00": "1.500,00", "empty": "", "abc": "abc"}
COST = ["cost", "--buy", "rtx-2080-ti", "--rent", "aws:p3.2xlarge"]
NUMERIC_OPTIONS = [
    ("gpus --min-memory", ["gpus", "--min-memory"], []),
    ("gpus --max-price", ["gpus", "--max-price"], []),
    ("recommend --budget", ["recommend", "--spec", "ram=16GB", "--budget"], []),
    ("cost --hours-per-month", [*COST, "--hours-per-month"], []),
    ("cost --months", [*COST, "--hours-per-month", "10", "--months"], []),
    ("cost --buy-count", [*COST, "--hours-per-month", "10", "--buy-count"], []),
    ("cost --epochs", [*COST, "--dataset-size", "1000", "--epochs"], []),
    ("cost --dataset-size", [*COST, "--epochs", "10", "--dataset-size"], []),
    ("cost --jobs-per-month", [*COST, "--hours-per-month", "10", "--jobs-per-month"], []),
    ("cost --electricity", [*COST, "--hours-per-month", "10", "--electricity"], []),
    ("cost --power-w", [*COST, "--hours-per-month", "10", "--power-w"], []),
    ("cost --resale", [*COST, "--hours-per-month", "10", "--resale"], []),
    ("cost --gpu-price", [*COST, "--hours-per-month", "10", "--gpu-price"], []),
    ("cost --build-price", [*COST, "--hours-per-month", "10", "--build-price"], []),
    ("bench --timeout", ["bench", "--distributed", "--timeout"], []),
    ("bench --nproc", ["bench", "--distributed", "--nproc"], []),
]
SPEC_KEYS_NUMERIC = ["ram", "cores", "disk", "price"]

SLOW_KERNEL = textwrap.dedent("""
    import sys, time
    import rigbench.kernels as K
    from rigbench.kernels.base import Kernel, Prepared

    class Slow(Kernel):
        name, devices, dtypes, metric = "slow", ("cpu",), ("float32",), "flops"
        def cases(self, device, dtype, ctx):
            return [{"n": i} for i in range(1, 100_000)]
        def flops(self, params):
            return 1e6
        def prepare(self, device, dtype, params, ctx):
            return Prepared.of(lambda: time.sleep(0.001))

    K.REGISTRY = {"slow": Slow()}
    from rigbench.cli import main
    main(["bench", "--device", "cpu", "--out", sys.argv[1], *sys.argv[2:]])
""")


def measured(path: Path) -> bool:
    """True once the results file a running bench writes holds a measurement (read back after each one)."""
    try:
        return bool(json.loads(path.read_text())["measurements"])
    except (OSError, ValueError, KeyError):
        return False


def signalled(sigs: list[int], gap_s: float = 0.02, extra: tuple[str, ...] = ()) -> Callable[[Path], Result]:
    """A bench run (one slow kernel, so it is surely running; ``extra`` options) stopped by ``sigs`` once it has a
    measurement."""
    def run(folder: Path) -> Result:
        out = folder / "r.json"
        t0 = time.monotonic()
        p = subprocess.Popen([PY, "-c", SLOW_KERNEL, str(out), *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, cwd=folder)
        deadline = time.monotonic() + GUARD_S
        while time.monotonic() < deadline and p.poll() is None and not measured(out):
            time.sleep(0.1)
        for s in sigs:
            if p.poll() is None:
                p.send_signal(s)
                time.sleep(gap_s)
        stdout, stderr = p.communicate(timeout=GUARD_S)
        return Result(p.returncode, stdout, stderr, time.monotonic() - t0)
    return run


def partial_file(sig: int) -> Callable[[Result, Path], str | None]:
    def check(r: Result, folder: Path) -> str | None:
        if r.code != 128 + sig:
            return f"exit {r.code}, expected {128 + sig}"
        doc = json.loads((folder / "r.json").read_text())
        if doc.get("status") != "interrupted" or not doc.get("reason"):
            return f"file status {doc.get('status')!r}, reason {doc.get('reason')!r}"
        return None if "partial results in" in r.stderr else "no message naming the partial file"
    return check


def partial_json(sig: int) -> Callable[[Result, Path], str | None]:
    """`bench --json > run.json` stopped by ``sig``: stdout holds the partial document, as the file does."""
    def check(r: Result, folder: Path) -> str | None:
        why = partial_file(sig)(r, folder)
        if why:
            return why
        try:
            doc = json.loads(r.stdout)
        except ValueError:
            return f"stdout is not the document: {r.stdout[:80]!r}"
        if doc.get("status") != "interrupted" or not doc.get("reason") or not doc.get("measurements"):
            return f"stdout status {doc.get('status')!r}, reason {doc.get('reason')!r}"
        return None
    return check


def distributed_sigterm(folder: Path) -> Result:
    script = textwrap.dedent("""
        import sys
        import rigbench.bench.distributed as D
        run = D.run_distributed
        D.run_distributed = lambda *a, **k: run(*a, _fault={"rank": 1, "kind": "hang", "before": "allreduce"}, **k)
        from rigbench.cli import main
        main(["bench", "--distributed", "--nproc", "2", "--quick", "--timeout", "600", "--out", sys.argv[1]])
    """)
    (folder / "tmp").mkdir()
    t0 = time.monotonic()
    p = subprocess.Popen([PY, "-c", script, str(folder / "run.json")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env={**os.environ, "TMPDIR": str(folder / "tmp")})
    deadline = time.monotonic() + GUARD_S
    pids: list[int] = []
    while time.monotonic() < deadline and p.poll() is None and len(pids) < 2:
        pids = [int(f.read_text()) for f in (folder / "tmp").glob("rigbench-dist-*/pid-*") if f.read_text()]
        time.sleep(0.1)
    p.send_signal(signal.SIGTERM)
    stdout, stderr = p.communicate(timeout=GUARD_S)
    time.sleep(1)
    left = [pid for pid in pids if Path(f"/proc/{pid}").exists()
            and Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"]
    if left or list((folder / "tmp").glob("rigbench-dist-*")):
        stderr += f"\nleft behind: workers {left}, run folders {list((folder / 'tmp').glob('rigbench-dist-*'))}"
        return Result(-1, stdout, stderr, time.monotonic() - t0)
    return Result(p.returncode, stdout, stderr, time.monotonic() - t0)


def closed_pipe(args: list[str]) -> Callable[[Path], Result]:
    def run(folder: Path) -> Result:
        t0 = time.monotonic()
        p = subprocess.Popen([PY, "-m", "rigbench", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=folder)
        p.stdout.close()
        err = p.stderr.read().decode()
        p.wait(timeout=GUARD_S)
        return Result(p.returncode, "", err, time.monotonic() - t0)
    return run


def drills() -> list[Drill]:
    out: list[Drill] = []
    root = os.geteuid() == 0
    # --- output paths: never through a link, onto a device, a FIFO or a folder
    writers = [("bench --out", ["bench", "--quick", "--only", "memcopy", "--out"]),
               ("bench --distributed --out", ["bench", "--distributed", "--out"]),
               ("cost --plot", [*COST, "--hours-per-month", "10", "--plot"]),
               ("compare --plot", ["compare", "rtx-3090", "gtx-1080-ti", "--plot"])]
    for label, args in writers:
        suffix = "r.png" if "plot" in label else "r.json"
        out.append(Drill(f"{label} onto a FIFO", args, setup=fifo(suffix), check=kept("fifo", suffix)))
        out.append(Drill(f"{label} through a symlink", args, setup=symlink(suffix), check=kept("link", suffix)))
        if root:
            out.append(Drill(f"{label} onto a device node", args, setup=device(suffix), check=kept("device", suffix)))
        out.append(Drill(f"{label} empty", [*args, ""]))
    out.append(Drill("cost --plot onto a folder", [*COST, "--hours-per-month", "10", "--plot"], setup=a_dir("p.png"),
                     check=kept("dir", "p.png")))
    out.append(Drill("bench --out whose folder is a file", ["bench", "--only", "gemm", "--out"],
                     setup=lambda f: [(f / "file").write_text("x") and str(f / "file" / "r.json")]))
    out.append(Drill("bench --out newdir/ makes the file inside", ["bench", "--quick", "--only", "memcopy", "--out"],
                     expect="ok", setup=lambda f: [str(f / "newdir") + "/"],
                     check=lambda r, f: None if len(list((f / "newdir").glob("*.json"))) == 1
                     else f"newdir holds {list((f / 'newdir').iterdir()) if (f / 'newdir').is_dir() else 'nothing'}"))
    # --- numbers
    for label, args, _ in NUMERIC_OPTIONS:
        for vname, value in BAD_NUMBERS.items():
            if label in ("cost --resale",) and vname in ("empty",):
                pass
            out.append(Drill(f"{label} {vname}", [*args, value]))
    for key in SPEC_KEYS_NUMERIC:
        for vname, value in BAD_NUMBERS.items():
            if vname in ("-1",) and key in ("ram", "disk"):
                pass
            out.append(Drill(f"recommend --spec {key}={vname}", ["recommend", "--spec", f"{key}={value}"]))
    out.append(Drill("recommend --spec 100 GPUs", ["recommend", "--spec", "gpu=100x rtx-2080-ti"]))
    out.append(Drill("bench --nproc 1000", ["bench", "--distributed", "--nproc", "1000"]))
    out.append(Drill("cost --buy-count 1000", [*COST, "--hours-per-month", "10", "--buy-count", "1000"]))
    out.append(Drill("cost build price below the card", [*COST, "--hours-per-month", "10", "--build-price", "100"]))
    # --- files read
    readers = [("recommend RESULTS", ["recommend"]), ("cost --results", [*COST, "--hours-per-month", "10", "--results"]),
               ("compare RESULTS", ["compare", "rtx-3090"])]
    bad_files = [("/dev/zero", lambda f: ["/dev/zero"]), ("a FIFO", fifo()), ("a folder", a_dir()),
                 ("65 MiB", sparse(65 * 2 ** 20)), ("100000 brackets", file_with("[" * 100_000 + "]" * 100_000)),
                 ("not JSON", file_with("{not json")), ("binary", file_with(bytes(range(256)))),
                 ("empty", file_with("")), ("another schema", file_with('{"schema": "rigbench.cost/1"}')),
                 ("a newer version", file_with('{"schema": "rigbench.results/99", "measurements": []}')),
                 ("a missing file", lambda f: [str(f / "missing.json")]),
                 ("a 400-digit number", file_with('{"schema": "rigbench.results/1", "measurements": [' + "9" * 400
                                                  + "]}"))]
    for rlabel, args in readers:
        for flabel, make in bad_files:
            out.append(Drill(f"{rlabel}: {flabel}", args, setup=make))
    wrong_types = [("measurements of wrong types", '{"schema": "rigbench.results/1", "measurements": [1, "x", null]}'),
                   ("probe a string", '{"schema": "rigbench.results/1", "probe": "x", "measurements": []}'),
                   ("gpus a dict", '{"schema": "rigbench.results/1", "probe": {"gpus": {"a": 1}}, "measurements": []}'),
                   ("gpus strings", '{"schema": "rigbench.results/1", "probe": {"gpus": ["x"]}, "measurements": []}'),
                   ("a numeric GPU name", '{"schema": "rigbench.results/1", "probe": {"gpus": [{"name": 5}]}, '
                                          '"measurements": []}')]
    for flabel, text in wrong_types:
        out.append(Drill(f"recommend RESULTS: {flabel}", ["recommend"], setup=file_with(text), expect="any-clean"))
    out.append(Drill("recommend with a FIFO in results/", ["recommend", "--json"], expect="ok",
                     setup=lambda f: [(f / "results").mkdir(), os.mkfifo(f / "results" / "a.json")] and [],
                     check=lambda r, f: None if "passed over" in r.stdout else "the refused file is not mentioned"))

    def odd_results(f: Path) -> list[str]:
        """results/ holding a link to a deleted file, two links to each other and a folder, each named *.json."""
        (f / "results").mkdir()
        (f / "results" / "gone.json").symlink_to(f / "results" / "deleted.json")
        (f / "results" / "a.json").symlink_to(f / "results" / "b.json")
        (f / "results" / "b.json").symlink_to(f / "results" / "a.json")
        (f / "results" / "dir.json").mkdir()
        return []

    for cmd in (["results", "list"], ["recommend"], ["report", "--out", "r.html"]):
        out.append(Drill(f"{' '.join(cmd[:2])} with links to nowhere and in a circle in results/", cmd,
                         expect="any-clean", setup=odd_results))
    out.append(Drill("bench --out beside links to nowhere and in a circle", ["bench", "--quick", "--only", "gemm",
                     "--out", "results/run.json"], expect="ok", setup=odd_results))
    for opt, args in [("--out", ["bench", "--only", "gemm", "--out", "a.json", "--out", "b.json"]),
                      ("--plot", ["cost", "--buy", "rtx-3090", "--rent", "all", "--hours-per-month", "5", "--plot",
                                  "a.png", "--plot", "b.png"])]:
        out.append(Drill(f"{args[0]} {opt} given twice", args))
    out.append(Drill("cost --rent the same instance twice", ["cost", "--rent", "aws:p3.2xlarge", "--rent",
                                                             "p3.2xlarge", "--hours-per-month", "10"],
                     check=lambda r, f: None if "same instance" in r.stderr else "not refused as a repeat"))
    price_files = [("a future date", price_row(price_date="2099-01-01")),
                   ("a date before GPUs were rented", price_row(price_date="0001-01-01")),
                   ("a 300-digit price", price_row(on_demand_usd_per_hour="9" * 300)),
                   ("a nan price", price_row(on_demand_usd_per_hour="nan")),
                   ("a 5000-digit count", price_row(gpu_count="9" * 5000)),
                   ("a bad date", price_row(price_date="2020-02-30")),
                   ("a family name (a100) as gpu_id", price_row(gpu_id="a100")),
                   ("no rows", PRICES), ("not CSV", "\x00\x01\x02")]
    for flabel, text in price_files:
        out.append(Drill(f"cost --prices: {flabel}", ["cost", "--list", "--prices"], setup=file_with(text, "p.csv")))
    for flabel, make in [("/dev/zero", lambda f: ["/dev/zero"]), ("a FIFO", fifo("p.csv"))]:
        out.append(Drill(f"cost --prices: {flabel}", ["cost", "--list", "--prices"], setup=make))
        out.append(Drill(f"prices refresh --from: {flabel}", ["prices", "refresh", "--from"], setup=make,
                         check=lambda r, f: "said 'no such file' of a path that is there" if "no such" in r.stderr
                         else None))
    # --- text shown literally, any terminal, any width
    out.append(Drill("cost --prices: an instance named with markup", ["cost", "--list", "--prices"], expect="ok",
                     env={"COLUMNS": "200"}, setup=file_with(price_row(instance="x[/]1", source="[bold]s"), "p.csv"),
                     check=lambda r, f: None if "x[/]1" in r.stdout else "markup was eaten"))
    for name in ("a[/]b", "[bold]x", ":smile:"):
        out.append(Drill(f"probe --data-dir {name}", ["probe", "--data-dir"], expect="ok", env={"COLUMNS": "300"},
                         setup=lambda f, n=name: [(f / n).mkdir(parents=True) or str(f / n)],
                         check=lambda r, f, n=name: None if str(f / n) in r.stdout else "the path is not shown as is"))
    screens = [["gpus"], ["compare", "gtx-1080-ti", "rtx-2080-ti"], [*COST, "--hours-per-month", "80"],
               ["cost", "--buy", "rtx-2080-ti", "--rent", "all", "--hours-per-month", "80"],
               ["recommend", "--spec", "ram=32GB,gpu=rtx-2080-ti,os=linux"], ["cost", "--list"]]
    for args in screens:
        for cols in ("40", "80"):
            out.append(Drill(f"{' '.join(args[:2])} at {cols} columns", args, expect="ok", env={"COLUMNS": cols},
                             check=no_ellipsis))
        for enc in ("latin-1", "ascii"):
            out.append(Drill(f"{' '.join(args[:2])} on a {enc} terminal", args, expect="ok",
                             env={"PYTHONIOENCODING": enc}))
        out.append(Drill(f"{' '.join(args[:2])} into a closed pipe", expect="quiet-pipe", run=closed_pipe(args)))
    # --- rough edges
    for args in (["recommend", "--spec", ""], ["recommend", "--instance", ""], ["bench", "--out", ""],
                 ["bench", "--data-dir", ""], ["probe", "--data-dir", ""], ["recommend", "--results-dir", ""],
                 ["bench", "--device", ""], ["compare", ""], ["gpus", "--arch", ""]):
        out.append(Drill(f"empty: {' '.join(a or repr(a) for a in args)}", args))
    out.append(Drill("plain rigbench", [], expect="ok",
                     check=lambda r, f: None if r.stdout.startswith("Usage:") and not r.stderr else "no usage"))
    out.append(Drill("did you mean, once", ["gpus", "--jsn"],
                     check=lambda r, f: None if r.stderr.lower().count("did you mean") == 1 else "hint not once"))
    out.append(Drill("unknown command", ["benchh"]))
    out.append(Drill("a group named alone", ["results"], expect="ok",
                     check=lambda r, f: None if r.stdout.startswith("Usage: rigbench results") and not r.stderr
                     else "no usage"))
    out.append(Drill("recommend --spec an instance and a GPU beside it", ["recommend", "--spec",
                                                                            "instance=aws:p3.2xlarge,gpu=rtx-3090"]))
    # a reference run with valid figures (a 2-core VM's default suite): the gate drills need figures to judge
    reference = sorted((Path(__file__).resolve().parents[2] / "results" / "reference").glob("vm-*.json"))[:1]
    out.append(Drill("report: one run named twice", ["report", *map(str, reference * 2), "--out", "r.html"],
                     check=lambda r, f: "a report was written" if (f / "r.html").exists() else None))
    lazy = ("import torch\n\ndef build():\n    return torch.nn.Sequential(torch.nn.LazyLinear(4)), "
            "(torch.randn(16, 8), torch.randint(0, 4, (16,)))\n")
    out.append(Drill("size: a model with lazy modules", ["size", "--gpus", "rtx-3090"], expect="ok",
                     setup=lambda f: [(f / "lazy.py").write_text(lazy) and str(f / "lazy.py")]))
    # --- hand-edited results files: every reader refuses what the owner cannot type, in one line
    def mutated(change: Callable[[dict], None], name: str = "m.json") -> Callable[[Path], list[str]]:
        def make(folder: Path) -> list[str]:
            doc = json.loads(reference[0].read_text())
            change(doc)
            (folder / name).write_text(json.dumps(doc))
            return [str(folder / name)]
        return make

    def first(doc: dict, **fields) -> None:
        doc["measurements"][0].update(fields)

    edits = {"fraction of peak 1e6": lambda d: [m.update(fraction_of_peak=1e6) for m in d["measurements"]
                                                 if m.get("fraction_of_peak") is not None],
             "device cuda:-1": lambda d: [m.update(device="cuda:-1") for m in d["measurements"]],
             "chassis a string": lambda d: d["probe"]["os"].update(chassis="x"),
             "a negative value": lambda d: next(m for m in d["measurements"]
                                                if m.get("value") is not None).update(value=-5.0),
             "an interval upside down": lambda d: (lambda m: m.update(ci_low_s=2 * m["ci_high_s"]))(
                 next(m for m in d["measurements"] if m.get("ci_high_s"))),
             "4,096 usable cores of 8": lambda d: d["probe"]["cpu"].update(usable_cores=4096, logical_cores=8),
             "a cgroup quota of -1.5 cores": lambda d: d["probe"]["cpu"].update(cpu_quota_cores=-1.5),
             "0 sockets": lambda d: d["probe"]["cpu"].update(sockets=0)}
    for what, change in edits.items():
        for cmd in (["results", "show"], ["recommend"]):
            out.append(Drill(f"{' '.join(cmd)}: a results file with {what}", cmd, setup=mutated(change)))
        out.append(Drill(f"report: a results file with {what}", ["report", "--out", "r.html"], setup=mutated(change),
                         check=lambda r, f: "a report was written" if (f / "r.html").exists() else None))
    out.append(Drill("results show --format csv: a kernel name with ESC and CR", ["results", "show", "--format",
                                                                                  "csv"], expect="ok",
                     setup=mutated(lambda d: first(d, kernel="gemm\x1b[2J\r")),
                     check=lambda r, f: "a raw control character" if "\x1b" in r.stdout or "\r" in r.stdout else None))
    out.append(Drill("results diff --fail-above 5_0", ["results", "diff", "--fail-above", "5_0", str(reference[0]),
                                                       str(reference[0])]))
    out.append(Drill("bench --data-dir /proc leaves no file", ["bench", "--quick", "--only", "gemm", "--data-dir",
                                                               "/proc"],
                     check=lambda r, f: "a results file was left" if list((f / "data").rglob("*.json")) else None))
    out.append(Drill("compare --plot naming a folder with a slash", ["compare", "rtx-3090", "gtx-1080-ti", "--plot",
                                                                     "new.png/"],
                     check=lambda r, f: "a plot was written" if (f / "new.png").exists() else None))
    noisy = "import torch\nprint('HELLO \\x1b[31mred')\n\ndef build():\n    return torch.nn.Linear(8, 2), torch.randn(4, 8)\n"
    out.append(Drill("size: a model file that prints an escape", ["size", "--gpus", "rtx-3090"], expect="ok",
                     setup=lambda f: [(f / "noisy.py").write_text(noisy) and str(f / "noisy.py")],
                     check=lambda r, f: "a raw ESC" if "\x1b[31m" in r.stdout + r.stderr else None))
    # --- hand-edited figures that contradict themselves, and runs the owner cannot date
    more = {"a value not its work over its time": lambda d: next(m for m in d["measurements"]
                                                                 if m.get("value")).update(
                                                                     value=next(m for m in d["measurements"]
                                                                                if m.get("value"))["value"] * 1.5),
            "a gemm in GB/s": lambda d: next(m for m in d["measurements"] if m["kernel"] == "gemm"
                                             and m.get("value")).update(unit="GB/s"),
            "a start time of 'yesterday'": lambda d: d.update(created_utc="yesterday"),
            "a status of 'bogus'": lambda d: d.update(status="bogus"),
            "a figure without its unit": lambda d: next(m for m in d["measurements"] if m.get("value")).pop("unit"),
            "a fraction of the peak without a value": lambda d: next(
                m for m in d["measurements"] if m.get("fraction_of_peak")).update(value=None),
            "a figure marked valid over its own spread": lambda d: next(
                m for m in d["measurements"] if m["kernel"] == "disk_iops").update(valid=True, invalid_reasons=[]),
            "-4 usable cores": lambda d: d["probe"]["cpu"].update(usable_cores=-4),
            "1.5 bytes of RAM": lambda d: d["probe"]["memory"].update(total_bytes=1.5)}
    for what, change in more.items():
        out.append(Drill(f"results show: a results file with {what}", ["results", "show"], setup=mutated(change)))
    for what in ("a figure marked valid over its own spread", "-4 usable cores"):
        out.append(Drill(f"recommend: a results file with {what}", ["recommend"], setup=mutated(more[what])))
    out.append(Drill("recommend --results-dir naming no folder", ["recommend", "--results-dir", "nosuch"]))
    out.append(Drill("recommend --results-dir /dev/null", ["recommend", "--results-dir", "/dev/null"],
                     check=lambda r, f: None if "not a folder" in r.stderr else "not said to be no folder"))
    def fifo_dir(f: Path) -> list[str]:
        os.mkfifo(f / "rd.fifo")
        return ["--results-dir", str(f / "rd.fifo")]
    out.append(Drill("recommend --results-dir a FIFO", ["recommend"], setup=fifo_dir,
                     check=lambda r, f: None if "not a folder" in r.stderr else "not said to be no folder"))
    out.append(Drill("recommend --results-dir a file", ["recommend", "--results-dir", str(reference[0])],
                     check=lambda r, f: None if "is a file, not a folder" in r.stderr else "not said to be a file"))

    def other_machine(f: Path) -> list[str]:
        """The per-user folder holding only a run of another machine, dated newest."""
        (f / "data" / "rigbench" / "results").mkdir(parents=True)
        doc = json.loads(reference[0].read_text())
        doc.update(host="otherbox", created_utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        (f / "data" / "rigbench" / "results" / "otherbox.json").write_text(json.dumps(doc))
        return []
    out.append(Drill("recommend beside the newest run of another machine", ["recommend", "--json"], expect="ok",
                     setup=other_machine,
                     check=lambda r, f: None if json.loads(r.stdout)["results_file"] is None
                     else "another machine's run was read as this one's"))
    def other_machine_ahead(f: Path) -> list[str]:
        """The per-user folder holding only a run of another machine, dated an hour ahead of the clock."""
        (f / "data" / "rigbench" / "results").mkdir(parents=True)
        doc = json.loads(reference[0].read_text())
        doc.update(host="otherbox", created_utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600)))
        (f / "data" / "rigbench" / "results" / "otherbox.json").write_text(json.dumps(doc))
        return []
    out.append(Drill("recommend beside another machine's run dated an hour ahead", ["recommend", "--json"],
                     expect="ok", setup=other_machine_ahead,
                     check=lambda r, f: None if "another machine" in " ".join(json.loads(r.stdout)["notes"])
                     else f"not named as another machine's: {json.loads(r.stdout)['notes'][:1]}"))

    def own_run_ahead(f: Path) -> list[str]:
        """The per-user folder holding a run of this machine and a copy of it dated in the year 2999."""
        probe = json.loads(rigbench(["probe", "--json"], f).stdout)
        doc = json.loads(reference[0].read_text())
        doc["probe"]["host"]["hostname"] = doc["host"] = (probe.get("host") or {}).get("hostname")
        doc["probe"]["cpu"]["brand"] = (probe.get("cpu") or {}).get("brand")
        (f / "data" / "rigbench" / "results").mkdir(parents=True)
        (f / "data" / "rigbench" / "results" / "mine.json").write_text(json.dumps(doc))
        doc["created_utc"] = "2999-01-01T00:00:00Z"
        (f / "data" / "rigbench" / "results" / "ahead.json").write_text(json.dumps(doc))
        return []
    out.append(Drill("recommend beside a run of this machine dated in 2999", ["recommend", "--json"], expect="ok",
                     setup=own_run_ahead,
                     check=lambda r, f: None if any(n.startswith("passed over") and "ahead.json" in n
                                                    for n in json.loads(r.stdout)["notes"])
                     else "the run dated ahead was passed over without a word"))
    out.append(Drill("results show --json --format csv", ["results", "show", "--json", "--format", "csv",
                                                          str(reference[0])]))
    for cmd in (["results", "show", "x"], ["results", "diff", "x", "y"]):
        out.append(Drill(f"{' '.join(cmd)} --json --format csv, naming no run", [*cmd, "--json", "--format", "csv"],
                         check=lambda r, f: None if "do not go together" in r.stderr
                         else f"not the options' conflict: {r.stderr.strip()[:120]}"))
    def dead_link(f: Path) -> list[str]:
        (f / "gone.json").symlink_to(f / "deleted.json")
        return ["gone.json"]
    for what, make in (("the current folder", lambda f: ["."]), ("a link to nowhere", dead_link)):
        out.append(Drill(f"results show: {what}", ["results", "show"], setup=make))

    def all_invalid(d: dict) -> None:
        d["created_utc"] = "2026-12-02T18:00:00Z"
        for m in d["measurements"]:
            if m.get("value") is not None:
                m.update(valid=False, invalid_reasons=[{"code": "spread", "text": "spread 20% of the median"}])
    out.append(Drill("results diff --fail-above: nothing could be judged", ["results", "diff", "--fail-above", "5%",
                                                                             str(reference[0])],
                     expect="custom", setup=mutated(all_invalid),
                     check=lambda r, f: None if r.code == 1 and "could be judged" in r.stdout + r.stderr
                     else f"exit {r.code}: {(r.stdout + r.stderr)[-200:]}"))
    def interrupted(d: dict) -> None:
        d.update(status="interrupted", measurements=d["measurements"][:8])
    out.append(Drill("results diff --fail-above: B interrupted before the baseline's figures",
                     ["results", "diff", "--fail-above", "5%", str(reference[0])], expect="custom",
                     setup=mutated(interrupted),
                     check=lambda r, f: None if r.code == 1 and "the gate fails" in r.stdout.strip().splitlines()[-1]
                     else f"exit {r.code}, last line {r.stdout.strip().splitlines()[-1:]}"))
    out.append(Drill("report without --out beside a report.html of the user's", ["report"], expect="ok",
                     setup=lambda f: [(f / "report.html").write_text("my own page") and str(reference[0])],
                     check=lambda r, f: None if (f / "report.html").read_text() == "my own page"
                     else "the user's report.html was replaced"))
    # --- options that cannot apply, and prices that cannot be one card's
    out.append(Drill("cost: electricity and resale with nothing bought", ["cost", "--rent", "aws:p3.2xlarge",
                                                                          "--hours-per-month", "10", "--electricity",
                                                                          "0.5", "--resale", "0.2"]))
    # a rented GPU the workload does not fit (BERT-large on a 6 GB card) is left out, saying why; none left is refused
    small = price_row(instance="small", gpu_id="gtx-1060", gpu_count="4")
    bert_large = ["--workload", "bert-large-squad", "--hours-per-month", "10", "--prices"]
    out.append(Drill("cost --rent: only a GPU the workload does not fit", ["cost", "--rent", "all", *bert_large],
                     setup=file_with(small, "p.csv"),
                     check=lambda r, f: None if "does not fit the GPU memory of gtx-1060" in r.stderr
                     else "not refused as not fitting"))
    out.append(Drill("cost --rent: a GPU the workload does not fit beside one it fits",
                     ["cost", "--rent", "all", *bert_large], expect="ok", env={"COLUMNS": "400"},
                     setup=file_with(small + price_row().removeprefix(PRICES), "p.csv"),
                     check=lambda r, f: None if "aws:small left out" in r.stdout and "aws:x1" in r.stdout
                     else "the instance was not left out with a note, or the other not compared"))
    out.append(Drill("compare --network with every device in one machine", ["compare", "rtx-3090", "rtx-4090",
                                                                            "--network", "ib-hdr-8x"]))
    out.append(Drill("cost: one --gpu-price for two bought cards", ["cost", "--buy", "rtx-3090", "--buy", "rtx-4090",
                                                                    "--hours-per-month", "10", "--gpu-price", "500"]))
    huge = ("import torch\n\ndef build():\n    return (torch.nn.Sequential(torch.nn.Conv2d(3, 64, 3, padding=1), "
            "torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(64, 2)),\n"
            "            (torch.randn(2, 3, 8000, 8000), torch.randint(0, 2, (2,))))\n")
    out.append(Drill("size: a model whose activations cannot fit this machine", ["size", "--gpus", "h200-sxm"],
                     setup=lambda f: [(f / "huge.py").write_text(huge) and str(f / "huge.py")]))
    bf16 = ("import torch\n\ndef build():\n    return torch.nn.Linear(8, 2).to(torch.bfloat16), "
            "(torch.randn(4, 8, dtype=torch.bfloat16), torch.randint(0, 2, (4,)))\n")
    out.append(Drill("size: --precision fp32 for a bfloat16 model", ["size", "--gpus", "rtx-4090", "--precision",
                                                                     "fp32"],
                     setup=lambda f: [(f / "bf16.py").write_text(bf16) and str(f / "bf16.py")]))
    for label, args in (("cost --buy", ["cost", "--buy", "2x-rtx-3090", "--hours-per-month", "10"]),
                        ("compare --price", ["compare", "2x rtx-3090", "rtx-4090", "--price", "2x-rtx-3090=500"])):
        out.append(Drill(f"{label} with a count written as the output shows it (2x-rtx-3090)", args,
                         check=lambda r, f: "the hint keeps the count's dash" if " -rtx-3090" in r.stderr else None))
    for label, args, bad in (
            ("cost --buy 0x", ["cost", "--buy", "0x rtx-3090", "--hours-per-month", "10"], "--buy-count 0"),
            ("cost --buy 16x", ["cost", "--buy", "16x rtx-3090", "--hours-per-month", "10"], "--buy-count 16"),
            ("cost --buy -1x", ["cost", "--buy", "-1x rtx-3090", "--hours-per-month", "10"], "unknown GPU"),
            ("cost --buy 2xx", ["cost", "--buy", "2××rtx-3090", "--hours-per-month", "10"], "--buy ×rtx-3090"),
            ("cost --buy fullwidth 2x", ["cost", "--buy", "２x rtx-3090", "--hours-per-month", "10"], "'2x rtx-3090'"),
            ("compare --price fullwidth 2x", ["compare", "rtx-3090", "rtx-4090", "--price", "２×rtx-3090=500"],
             "'2x rtx-3090'")):
        # the hint suggests only what the option accepts: no count --buy-count refuses, no count in --price
        out.append(Drill(f"{label}: the hint is a form the option accepts", args,
                         check=lambda r, f, bad=bad: f"the hint suggests {bad}" if bad in r.stderr else None))
    out.append(Drill("compare a priced card with one that has no launch price", ["compare", "gtx-1080-ti", "k80"],
                     expect="ok"))
    for label, args in (("bench --out through a missing folder and back", ["bench", "--quick", "--only", "gemm",
                                                                            "--out", "nowhere/../"]),
                        ("bench --out -", ["bench", "--quick", "--only", "gemm", "--out", "-"])):
        out.append(Drill(label, args, check=lambda r, f: "it made the missing folder" if (f / "nowhere").exists()
                         or (f / "-").exists() else None))
    for args in (["bench", "--only", "gemm,,memcopy"], ["bench", "--only", "gemm,"],
                 ["bench", "--distributed", "--only", "allreduce,,ddp_train"]):
        out.append(Drill(f"{' '.join(args)} (an empty item between commas)", args))
    out.append(Drill("compare --price for a short name two compared cards share",
                     ["compare", "a100-pcie-80gb", "a100-sxm4-40gb", "--price", "a100=10000"]))
    tex = "#!/bin/sh\ncat > /dev/null\necho '! LaTeX Error: File fontspec.sty not found.'\nexit 1\n"

    def failing_tex(folder: Path) -> list[str]:
        (folder / "bin").mkdir()
        (folder / "bin" / "xelatex").write_text(tex)
        (folder / "bin" / "xelatex").chmod(0o755)
        return [str(folder / "p.pgf")]
    out.append(Drill("compare --plot .pgf with a TeX that fails", run=lambda f: rigbench(
        ["compare", "rtx-3090", "gtx-1080-ti", "--plot", *failing_tex(f)], f, {"PATH": f"{f / 'bin'}:/usr/bin:/bin"}),
        check=lambda r, f: None if "xelatex failed" in r.stderr else f"not the TeX's failure: {r.stderr[:120]}"))
    # --- figures whose validity contradicts their reasons, files without a probe, sizes that do not fit
    def valid_despite(d: dict) -> None:
        for m in d["measurements"]:
            if m.get("invalid_reasons"):
                m["valid"] = True
    out.append(Drill("results show: a figure marked valid beside its invalid reasons", ["results", "show"],
                     setup=mutated(valid_despite)))
    out.append(Drill("recommend: a figure marked valid beside its invalid reasons", ["recommend", "--profile",
                                                                                     "desktop"],
                     setup=mutated(valid_despite)))
    out.append(Drill("recommend: a results file without a probe", ["recommend", "--profile", "desktop"], expect="ok",
                     setup=mutated(lambda d: d.pop("probe")),
                     check=lambda r, f: "judged as a known machine" if "no virtualisation" in r.stdout
                     else "'None' on screen" if "None" in r.stdout else None))
    out.append(Drill("results show: a run without a host", ["results", "show"], expect="ok",
                     setup=mutated(lambda d: d.pop("host", None)),
                     check=lambda r, f: "'None' on screen" if "None" in r.stdout else None))

    def cheapest_fits(r: Result, folder: Path) -> str | None:
        doc = json.loads(r.stdout)
        best = next((o for o in doc["instances"] if o["id"] == doc["cheapest_by_deadline"]), None)
        return None if best is None or best.get("fits") else f"the cheapest, {best['id']}, does not fit the batch"
    tiny = Path(__file__).resolve().parents[2] / "docs" / "examples" / "tiny_model.py"
    out.append(Drill("size: the cheapest instance runs the batch asked", ["size", str(tiny), "--batch", "4000",
                                                                          "--dataset-size", "100000", "--epochs",
                                                                          "90", "--deadline", "1d", "--json"],
                     expect="ok", check=cheapest_fits))

    def torchscript(folder: Path) -> list[str]:
        import torch
        torch.jit.script(torch.nn.Linear(4, 2)).save(str(folder / "ts.pt"))
        return [str(folder / "ts.pt")]
    out.append(Drill("size: a TorchScript file", ["size"], setup=torchscript))
    for flabel, make in [("/dev/zero", lambda f: ["/dev/zero"]), ("a FIFO", fifo("m")),
                         ("a FIFO named .pt", fifo("m.pt")),
                         ("a link to /dev/zero named .pt", lambda f: [(f / "m.pt").symlink_to("/dev/zero") or
                                                                       str(f / "m.pt")])]:
        out.append(Drill(f"size: {flabel} as the model", ["size", "--gpus", "rtx-3090"], setup=make))
    out.append(Drill("gpus --min-memory 24iB", ["gpus", "--min-memory", "24iB"]))
    out.append(Drill("report --out .html", ["report", "--out", ".html", str(reference[0])]))
    out.append(Drill("results list with a file where the data folder goes", ["results", "list"],
                     env={"RIGBENCH_DATA_DIR": "/dev/null/rigbench"}))
    out.append(Drill("cost with nothing rented shows no price-list date", ["cost", "--buy", "rtx-3090",
                                                                           "--hours-per-month", "10"], expect="ok",
                     check=lambda r, f: "a price-list date with nothing rented" if "Prices dated" in r.stdout
                     else None))
    out.append(Drill("bench --out naming a CSV of the user's", ["bench", "--quick", "--only", "memcopy", "--out"],
                     setup=lambda f: [(f / "notes.csv").write_text("name,value\n") and str(f / "notes.csv")],
                     check=lambda r, f: None if (f / "notes.csv").read_text() == "name,value\n"
                     else "the user's CSV was replaced"))
    out.append(Drill("compare --plot over a text file named .png", ["compare", "rtx-3090", "gtx-1080-ti", "--plot"],
                     setup=lambda f: [(f / "notes.png").write_text("my notes\n") and str(f / "notes.png")],
                     check=lambda r, f: None if (f / "notes.png").read_text() == "my notes\n"
                     else "the user's file was replaced by a chart"))
    out.append(Drill("bench --out run.csv (a run is JSON, read back by its .json name)",
                     ["bench", "--quick", "--only", "memcopy", "--out"], setup=lambda f: [str(f / "runs" / "run.csv")],
                     check=lambda r, f: "a file or folder was written" if (f / "runs").exists() else None))
    for only in (["memcopy,memcopy"], ["memcopy", "--only", "memcopy"], ["allreduce,allreduce", "--distributed"]):
        out.append(Drill(f"bench --only {' '.join(only)} (a kernel named twice)", ["bench", "--quick", "--only", *only],
                         check=lambda r, f: "a results file was left" if list(f.rglob("*.json")) else None))
    out.append(Drill("bench --device cpu,cpu (a device named twice)", ["bench", "--quick", "--only", "gemm",
                                                                     "--device", "cpu,cpu"],
                     check=lambda r, f: "a results file was left" if list(f.rglob("*.json")) else None))
    out.append(Drill("bench --only h2d --device cpu (a GPU kernel on no GPU)", ["bench", "--quick", "--only", "h2d",
                                                                            "--device", "cpu"],
                     check=lambda r, f: "a results file was left" if list(f.rglob("*.json")) else None))

    def a_run(name: str):
        def make(folder: Path) -> list[str]:
            (folder / name).write_bytes(reference[0].read_bytes())
            return [str(folder / name)]
        return make
    skypilot = str(Path(__file__).resolve().parents[1] / "fixtures" / "prices" / "skypilot")
    out.append(Drill("prices refresh --out naming a saved run", ["prices", "refresh", "--from", skypilot, "--out"],
                     setup=a_run("run.json"),
                     check=lambda r, f: None if (f / "run.json").read_bytes() == reference[0].read_bytes()
                     else "the saved run was replaced"))
    out.append(Drill("report --out naming a saved run", ["report", str(reference[0]), "--out"],
                     setup=a_run("run.html"),
                     check=lambda r, f: None if (f / "run.html").read_bytes() == reference[0].read_bytes()
                     else "the saved run was replaced"))
    out.append(Drill("compare --device without a results file", ["compare", "gtx-1080-ti", "rtx-2080-ti", "--device",
                                                                 "cuda:0"]))
    out.append(Drill("compare a card count given twice", ["compare", "2x 2x a100", "rtx-4090"]))
    out.append(Drill("size --gpus a card count given twice", ["size", "resnet50", "--gpus", "2x 4x rtx-3090"]))
    for name in ("é a100", "a100 !"):
        out.append(Drill(f"compare a card name holding {name.replace('a100', '').strip()!r}",
                         ["compare", "rtx-4090", name],
                         check=lambda r, f: None if "not a card name" in r.stderr else "the character was dropped"))
    out.append(Drill("recommend --spec a card count given twice", ["recommend", "--spec", "gpu=2x 2x rtx-2080-ti"],
                     check=lambda r, f: None if "given twice" in r.stderr else "not said as a count given twice"))
    # --- stop signals on real runs
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        out.append(Drill(f"bench stopped by {signal.Signals(sig).name}", expect="custom", run=signalled([sig]),
                         check=partial_file(sig), slow=True))
    for sig in (signal.SIGINT, signal.SIGTERM):
        out.append(Drill(f"bench --json stopped by {signal.Signals(sig).name}", expect="custom",
                         run=signalled([sig], extra=("--json",)), check=partial_json(sig), slow=True))
    out.append(Drill("bench: Ctrl-C twice", expect="custom", run=signalled([signal.SIGINT, signal.SIGINT]),
                     check=partial_file(signal.SIGINT), slow=True))
    out.append(Drill("bench --distributed stopped by SIGTERM", expect="custom", run=distributed_sigterm,
                     check=lambda r, f: None if r.code == 143 else f"exit {r.code}: {r.stderr[-300:]}", slow=True))
    return out


def run_one(d: Drill) -> tuple[Drill, Result, str | None]:
    with tempfile.TemporaryDirectory(prefix="rigbench-drill-") as tmp:
        folder = Path(tmp)
        try:
            extra = d.setup(folder) if d.setup else []
            r = d.run(folder) if d.run else rigbench([*d.args, *extra], folder, d.env)
        except subprocess.TimeoutExpired:
            return d, Result(None, "", "", GUARD_S), f"no answer within {GUARD_S} s"
        if d.expect == "any-clean":
            lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
            ok = "Traceback" not in r.stderr and (r.code == 0 or (r.code == 2 and len(lines) == 1))
            return d, r, None if ok else ("traceback" if "Traceback" in r.stderr else f"exit {r.code}")
        return d, r, judge(d, r, folder)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-k", default="", help="only drills whose name contains this")
    ap.add_argument("--slow", action="store_true", help="also the signal drills on real runs")
    ap.add_argument("-j", type=int, default=2, help="drills at a time (default 2)")
    opts = ap.parse_args()
    chosen = [d for d in drills() if opts.k.lower() in d.name.lower() and (opts.slow or not d.slow)]
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, opts.j)) as pool:
        results = list(pool.map(run_one, chosen))
    failed = [(d, r, why) for d, r, why in results if why]
    tracebacks = sum(1 for _, r, why in results if "Traceback" in r.stderr)
    width = max((len(d.name) for d, _, _ in results), default=10)
    for d, r, why in failed:
        print(f"FAILED  {d.name:<{width}}  {why}")
        tail = (r.stderr.strip().splitlines() or [""])[-1]
        print(f"        {'':<{width}}  stderr: {tail[:160]}")
    print(f"{len(results)} drills in {time.monotonic() - t0:.0f} s: {len(results) - len(failed)} held, "
          f"{len(failed)} failed, {tracebacks} tracebacks")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
