#!/usr/bin/env python3
"""``make gpu-check``: prove every GPU path of rigbench on a real NVIDIA card in one command (docs/gpu-check.md).

    python3 tests/benchmarks/gpu_check.py                 # on a machine with an NVIDIA GPU (about 6-8 minutes)
    python3 tests/benchmarks/gpu_check.py --dry-run       # anywhere: recorded doubles stand in for the GPU

It needs no virtual environment and fetches nothing: it runs rigbench from this checkout with the interpreter that
runs it (the machine's own python3, which holds torch with CUDA). When rigbench is not installed there, the package
is assembled in a temporary folder the way setup.cfg's ``package_dir`` maps it (``rigbench.kernels`` from
``kernels/``, ``rigbench.profiles`` from ``profiles/``) and put on PYTHONPATH. The logic lives in
``rigbench/gpucheck/``; this file only starts it, and holds the dry run's replay of recorded outputs.

Exit codes: 0 every check passed or is explained; 1 a check or a step failed; 2 bad input; 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import atexit
import configparser
import os
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOUBLES = REPO / "tests" / "fixtures" / "gpu_check"
# the test files whose GPU tests skip without one (kernels on cuda against float64, the probe against real NVML)
GPU_TESTS = sorted([*(REPO / "tests").glob("test_kernel_*.py"), *(REPO / "tests").glob("test_probe_*.py")])


def _from_checkout() -> bool:
    """True when ``rigbench`` with its mapped sub-packages imports from this checkout (installed or on the path)."""
    try:
        import rigbench
        import rigbench.kernels  # noqa: F401 - the mapped sub-packages must come along
        import rigbench.profiles  # noqa: F401
    except ImportError:
        return False
    return Path(rigbench.__file__).resolve().parent == REPO / "rigbench"


def assemble_package(top: Path) -> Path:
    """``top/rigbench``: links to this checkout's ``rigbench/`` files, with ``kernels`` and ``profiles`` linked in
    where setup.cfg's ``package_dir`` maps them (``rigbench.kernels = kernels``, ``rigbench.profiles = profiles``)."""
    pkg = top / "rigbench"
    pkg.mkdir(parents=True)
    for entry in (REPO / "rigbench").iterdir():
        if entry.name != "__pycache__":
            (pkg / entry.name).symlink_to(entry)
    (pkg / "kernels").symlink_to(REPO / "kernels")
    (pkg / "profiles").symlink_to(REPO / "profiles")
    return pkg


def importable() -> dict:
    """Make this checkout's rigbench importable here and in the steps' processes; returns the environment for them."""
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    if _from_checkout():
        return env
    for name in [m for m in sys.modules if m == "rigbench" or m.startswith("rigbench.")]:
        del sys.modules[name]
    top = Path(tempfile.mkdtemp(prefix="rigbench-src-"))
    atexit.register(shutil.rmtree, top, True)
    assemble_package(top)
    sys.path.insert(0, str(top))
    env["PYTHONPATH"] = os.pathsep.join([str(top), *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])])
    return env


def requirements() -> list[str]:
    """setup.cfg's install_requires, as distribution names."""
    from rigbench.gpucheck.plan import requirement_names

    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg", encoding="utf-8")
    return requirement_names([x for x in cfg.get("options", "install_requires", fallback="").splitlines() if x.strip()])


def replay(step: str, to: str | None, hang: bool) -> int:
    """The dry run's stand-in for one step's command: print or write the recorded output of ``step``."""
    if hang:
        time.sleep(10 ** 6)
    src = next((p for p in (DOUBLES / f"{step}.json", DOUBLES / f"{step}.csv", DOUBLES / f"{step}.xml")
                if p.exists()), None)
    if src is None:
        print(f"no recorded output for {step} in {DOUBLES}", file=sys.stderr)
        return 1
    if to:
        shutil.copyfile(src, to)
        print(f"(replayed {src.name} into {to})")
    else:
        sys.stdout.write(src.read_text(encoding="utf-8"))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gpu_check.py", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="The summary format is described in docs/gpu-check.md.")
    parser.add_argument("--dry-run", action="store_true",
                        help="No GPU: replay recorded outputs (tests/fixtures/gpu_check/) through the same steps, "
                             "timeouts and checks; write to a temporary folder unless --out-dir is given.")
    parser.add_argument("--out-dir", default=None,
                        help="Where the report, summary and results files go (default: results/reference/).")
    parser.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                        help="Time for the whole run (default 450); each step also has its own limit.")
    parser.add_argument("--no-cpu", action="store_true", help="Leave out the CPU suite.")
    parser.add_argument("--json", action="store_true", help="Print the report JSON on stdout instead of the summary.")
    parser.add_argument("--dry-hang", action="append", default=[], metavar="STEP",
                        help="Dry run: make STEP's stand-in hang, to watch its timeout stop it.")
    parser.add_argument("--replay", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--to", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--hang", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.replay:
        return replay(args.replay, args.to, args.hang)

    env = importable()
    from rigbench.files import dumps, write_json_atomic
    from rigbench.gpucheck import runner, summary
    from rigbench.gpucheck.plan import plan

    budget = runner.DEFAULT_BUDGET_S if args.budget is None else args.budget
    if not budget > 0:
        print(f"gpu_check.py: error: --budget must be a number of seconds > 0, got {args.budget}", file=sys.stderr)
        return 2
    steps_known = ["packages", "nvidia-smi", "probe", "tests-gpu", "bench-cuda", "bench-distributed", "recommend",
                   "compare", "bench-cpu"]
    bad = [s for s in args.dry_hang if s not in steps_known]
    if bad or (args.dry_hang and not args.dry_run):
        print(f"gpu_check.py: error: --dry-hang takes a step of a dry run ({', '.join(steps_known)}), got "
              f"{', '.join(bad or args.dry_hang)}", file=sys.stderr)
        return 2
    if args.out_dir:
        out_dir = Path(args.out_dir)
    elif args.dry_run:
        out_dir = Path(tempfile.mkdtemp(prefix="rigbench-gpu-check-dry-"))
    else:
        out_dir = REPO / "results" / "reference"
    work = Path(tempfile.mkdtemp(prefix="rigbench-gpu-check-"))
    steps = plan(work, [sys.executable, "-m", "rigbench"], cpu_suite=not args.no_cpu,
                 requirements=None if args.dry_run else requirements(), tests=GPU_TESTS)

    rewrite = None
    if args.dry_run:
        hang = set(args.dry_hang)

        def rewrite(step, argv):  # noqa: F811 - the hardware boundary: recorded outputs instead of the GPU
            return [sys.executable, str(Path(__file__).resolve()), "--replay", step.name,
                    *(["--to", str(step.out)] if step.out else []), *(["--hang"] if step.name in hang else [])]

    started = summary.now_utc()
    t0 = time.monotonic()

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    if args.dry_run:
        say("gpu-check DRY RUN: no GPU is used; recorded outputs stand in for each step. On a GPU it runs, in order:")
        say(f"  {'packages':<18} rigbench's requirements in this python (not in a dry run: no GPU interpreter here)")
        for s in steps:
            say(f"  {s.name:<18} {s.what}")
    progress_file = work / "gpu-check.json"

    def on_step(rec: dict, records: list[dict], ctx: dict) -> None:
        fails = sum(1 for c in rec["checks"] if c["status"] in ("fail", "skip"))
        t = f"{rec['elapsed_s']:.1f} s" if rec.get("elapsed_s") is not None else "-"
        say(f"[{len(records)}/{len(steps)}] {rec['step']:<18} {rec['status']:<8} {t:>8}"
            + (f"  {fails} failed check(s)" if fails else "") + (f"  ({rec['reason']})" if rec.get("reason") else ""))
        if args.dry_run and rec.get("command"):
            say(f"      on a GPU: {shlex.join(rec['command'])}")
        partial = summary.build_report(records, ctx, dry_run=args.dry_run, budget_s=budget,
                                        elapsed_s=time.monotonic() - t0, started=started, complete=False)
        write_json_atomic(progress_file, partial)

    try:
        records, ctx = runner.execute(steps, budget_s=budget, rewrite=rewrite, env=env, on_step=on_step)
    except KeyboardInterrupt:
        say(f"gpu-check: interrupted; the steps done so far are in {progress_file}")
        return 130
    report = summary.build_report(records, ctx, dry_run=args.dry_run, budget_s=budget,
                                   elapsed_s=time.monotonic() - t0, started=started)
    written = summary.write_outputs(report, ctx, out_dir, started)
    shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(dumps(report))
    else:
        print(written["summary"].read_text(encoding="utf-8"), end="")
    return 0 if report["status"] == "pass" else 1


if __name__ == "__main__":
    sys.exit(main())
