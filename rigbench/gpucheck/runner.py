"""Running gpu-check's steps: each command in a process group of its own, stopped at its timeout, inside one time
budget; its output read and checked. The process boundary is the hardware boundary for tests: :func:`execute` takes
the command ``runner`` and an argv ``rewrite`` (the dry run replays recorded outputs through the same runner)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from rigbench import proctree
from rigbench.gpucheck.checks import FAIL, SKIP, make_check, parse_junit
from rigbench.gpucheck.smi import parse_smi_csv

DEFAULT_BUDGET_S = 450.0        # the whole run; the make target's 8-minute ceiling minus install and start-up
MIN_STEP_S = 5.0                # a step that would get less than this is skipped ("budget spent")
KILL_GRACE_S = (10.0, 5.0)      # SIGINT -> SIGTERM -> SIGKILL waits: SIGINT lets rigbench write its partial file


@dataclass
class Outcome:
    """What one command did."""

    returncode: int | None
    stdout: str
    stderr: str
    elapsed_s: float
    timed_out: bool = False
    error: str | None = None        # the command could not start


def _stop(proc: subprocess.Popen) -> None:
    """SIGINT to the command's process group, as Ctrl-C in a terminal (rigbench writes its partial results and stops
    its own workers); what is still running after the grace period is stopped by :func:`rigbench.proctree.stop_tree`
    (SIGTERM, then SIGKILL, to the whole tree and the group)."""
    def group(sig: int) -> None:
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    group(signal.SIGINT)
    try:
        proc.wait(timeout=KILL_GRACE_S[0])
        return
    except subprocess.TimeoutExpired:
        pass
    proctree.stop_tree(proc.pid, grace_s=KILL_GRACE_S[1], also=group)
    proc.poll()         # reaped here (stop_tree leaves that to its Popen): its exit status is the step's


def run_command(argv: list[str], timeout_s: float, env: dict | None = None, cwd: str | None = None) -> Outcome:
    """Run ``argv`` in a process group of its own, output to files (no pipe can fill), stopped at ``timeout_s``."""
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                    start_new_session=True)
        except OSError as exc:
            return Outcome(None, "", "", time.monotonic() - t0, error=f"{argv[0]}: {exc.strerror or exc}")
        timed_out = False
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            _stop(proc)
        except BaseException:
            _stop(proc)
            raise
        elapsed = time.monotonic() - t0
        out.seek(0)
        err.seek(0)
        return Outcome(proc.returncode, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
                       elapsed, timed_out)


@dataclass
class Step:
    """One command of the run. ``build(ctx, timeout_s)`` returns its argv, or a string: why it cannot run.
    ``out`` is the file it writes (bench); otherwise its stdout is its output. ``check(ctx, doc)`` returns checks."""

    name: str
    timeout_s: float
    build: Callable[[dict, float], list[str] | str]
    what: str
    out: Path | None = None
    check: Callable[[dict, Any], list[dict]] | None = None
    parse: str = "json"          # "json", "csv" (nvidia-smi) or "junit" (pytest's --junitxml, an ``out`` file)
    ok_codes: tuple[int, ...] = (0,)
    retry: Callable[[list[str], "Outcome"], list[str] | None] | None = None   # a narrower argv after a refusal


def _tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _read_output(step: Step, outcome: Outcome) -> tuple[Any, str | None]:
    if step.out is not None:
        try:
            text = step.out.read_text(encoding="utf-8")
            return (parse_junit(text) if step.parse == "junit" else json.loads(text)), None
        except FileNotFoundError:
            return None, f"wrote no {step.out.name}"
        except (OSError, ValueError) as exc:
            return None, f"{step.out.name} is unreadable: {exc}"
    if step.parse == "csv":
        try:
            return parse_smi_csv(outcome.stdout), None
        except ValueError as exc:
            return None, f"unreadable nvidia-smi output: {exc}"
    try:
        return json.loads(outcome.stdout), None
    except ValueError as exc:
        return None, f"stdout is not JSON ({exc}): {outcome.stdout.strip()[:120]!r}"


def run_step(step: Step, ctx: dict, timeout_s: float, runner: Callable = run_command,
             rewrite: Callable[[Step, list[str]], list[str]] | None = None, env: dict | None = None) -> dict:
    """Run one step and check its output; never raises except KeyboardInterrupt."""
    rec: dict[str, Any] = {"step": step.name, "what": step.what, "status": "skipped", "command": None, "ran": None,
                           "timeout_s": round(timeout_s, 1), "elapsed_s": None, "returncode": None, "reason": None,
                           "stdout_tail": "", "stderr_tail": "", "checks": []}
    try:
        argv = step.build(ctx, timeout_s)
        if isinstance(argv, str):
            rec["reason"] = argv
            rec["checks"] = [make_check(step.name, "step ran", SKIP, argv)]
            return rec
        rec["command"] = argv
        ran = rewrite(step, argv) if rewrite else argv
        rec["ran"] = ran if ran != argv else None
        if step.out is not None and step.out.exists():
            step.out.unlink()
        t0 = time.monotonic()
        outcome = runner(ran, timeout_s, env)
        while step.retry and outcome.returncode not in step.ok_codes and not outcome.timed_out:
            narrower = step.retry(argv, outcome)
            left = timeout_s - (time.monotonic() - t0)
            if narrower is None or left <= 0:
                break
            rec.setdefault("dropped", []).append(outcome.stderr.strip().splitlines()[-1][:200])
            argv = narrower
            rec["command"] = argv
            ran = rewrite(step, argv) if rewrite else argv
            outcome = runner(ran, left, env)
        outcome.elapsed_s = time.monotonic() - t0
        rec.update(elapsed_s=round(outcome.elapsed_s, 2), returncode=outcome.returncode,
                   stdout_tail=_tail(outcome.stdout), stderr_tail=_tail(outcome.stderr))
        if outcome.error:
            rec.update(status="failed", reason=outcome.error)
        elif outcome.timed_out:
            rec.update(status="timeout", reason=f"stopped at its {timeout_s:.0f} s limit")
        elif outcome.returncode not in step.ok_codes:
            rec.update(status="failed", reason=f"exit code {outcome.returncode}: "
                       f"{_tail(outcome.stderr, 2) or _tail(outcome.stdout, 2) or 'no output'}")
        else:
            rec["status"] = "ok"
        doc, why = _read_output(step, outcome) if not outcome.error else (None, outcome.error)
        if doc is None:
            if rec["status"] == "ok":
                rec.update(status="failed", reason=why)
            rec["checks"] = [make_check(step.name, "step ran", FAIL, rec["reason"] or why or "no output")]
            return rec
        ctx[step.name] = doc
        if rec["status"] != "ok":
            rec["checks"].append(make_check(step.name, "step ran", FAIL, f"{rec['reason']} (its partial output is "
                                        "checked below)"))
        if step.check is not None:
            rec["checks"] += step.check(ctx, doc)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - a crash inside one step's checks must not lose the others
        rec.update(status="crashed", reason=f"{type(exc).__name__}: {exc}")
        rec["checks"].append(make_check(step.name, "step ran", FAIL, f"gpu-check crashed here: {rec['reason']}"))
    return rec



def execute(steps: list[Step], *, budget_s: float = DEFAULT_BUDGET_S, runner: Callable = run_command,
            rewrite: Callable | None = None, env: dict | None = None,
            on_step: Callable[[dict, list[dict], dict], None] | None = None,
            clock: Callable[[], float] = time.monotonic) -> tuple[list[dict], dict]:
    """Run the steps in order inside ``budget_s``; returns (step records, context of parsed outputs).
    ``on_step(record, records so far, context)`` is called after each step (the caller writes a progress file and
    prints a line)."""
    deadline = clock() + budget_s
    ctx: dict = {}
    records = []
    for step in steps:
        left = deadline - clock()
        if left < MIN_STEP_S:
            why = f"the run's {budget_s:.0f} s budget is spent ({max(left, 0):.0f} s left)"
            rec = {"step": step.name, "what": step.what, "status": "skipped", "command": None, "ran": None,
                   "timeout_s": 0, "elapsed_s": None, "returncode": None, "reason": why, "stdout_tail": "",
                   "stderr_tail": "", "checks": [make_check(step.name, "step ran", FAIL, why)]}
        else:
            rec = run_step(step, ctx, min(step.timeout_s, left), runner=runner, rewrite=rewrite, env=env)
        records.append(rec)
        if on_step:
            on_step(rec, records, ctx)
    return records, ctx



def probe_gpus(ctx: dict) -> list[dict]:
    return list(((ctx.get("probe") or {}).get("gpus")) or [])


def first_gpu(ctx: dict) -> dict:
    gpus = probe_gpus(ctx)
    return gpus[0] if gpus else {}

