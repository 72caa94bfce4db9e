"""Fault drills: bad input, stop signals, odd files and odd terminals, each answered without a traceback and without
losing or damaging anything. One test per way rigbench was found to fail; names say what must hold.

Runs that must still be going when a signal arrives use a driver (``DRIVER``) whose suite is one slow kernel with
thousands of cases, so the test never depends on how fast the machine is: it waits (with a generous guard) until
the run has written a measurement, then signals.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path

import psutil
import pytest

from rigbench import files, proctree, report, signals
from rigbench.bench import distributed as D
from rigbench.bench import runner, schema
from rigbench.bench.schema import load_results
from rigbench.errors import UserError
from rigbench.kernels import disk_read
from rigbench.kernels.base import Kernel, Prepared, RunContext
from rigbench.units import fmt_num
from conftest import FIXTURES, assert_user_error, run_cli
from test_results_cli import craft_run

GUARD_S = 300           # a hang guard only: every wait below ends as soon as its condition holds

# A bench run that lasts as long as needed: one kernel of 100,000 one-millisecond cases, through the real CLI, and
# whether its results file holds a measurement yet. The fault-drill script uses the same driver and test; they are
# read from there so the two cannot drift apart.
_DRILLS = importlib.util.spec_from_file_location("fault_drills", Path(__file__).parent / "benchmarks" / "faults.py")
_drills = importlib.util.module_from_spec(_DRILLS)
sys.modules[_DRILLS.name] = _drills   # its dataclasses look their module up there
_DRILLS.loader.exec_module(_drills)
DRIVER, measured = _drills.SLOW_KERNEL, _drills.measured

DIST_DRIVER = textwrap.dedent("""
    import sys
    import rigbench.bench.distributed as D
    run = D.run_distributed
    D.run_distributed = lambda *a, **k: run(*a, _fault={"rank": 1, "kind": "hang", "before": "allreduce"}, **k)
    from rigbench.cli import main
    main(["bench", "--distributed", "--nproc", "2", "--quick", "--timeout", "600", "--out", sys.argv[1]])
""")


def _start(script: str, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})})


def _wait_for(condition, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + GUARD_S
    while not condition():
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the run ended before {what}: rc {proc.returncode}\n{err[-2000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {GUARD_S} s")
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


# ------------------------------------------------------------------------------------------------ output paths

def test_out_onto_a_fifo_is_refused_and_the_fifo_kept(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    r = run_cli("bench", "--quick", "--only", "memcopy", "--out", str(fifo))
    assert_user_error(r, "is a FIFO", "regular files only")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node (mknod) needs root")
def test_out_onto_a_device_node_is_refused_and_the_node_kept(tmp_path):
    node = tmp_path / "null"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a second /dev/null
    r = run_cli("bench", "--quick", "--only", "memcopy", "--out", str(node))
    assert_user_error(r, "is a device node")
    assert stat.S_ISCHR(os.lstat(node).st_mode)


def test_out_through_a_symlink_is_refused_and_link_and_target_kept(tmp_path):
    target = tmp_path / "target.json"
    target.write_text("keep me")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    r = run_cli("bench", "--quick", "--only", "memcopy", "--out", str(link))
    assert_user_error(r, "is a symbolic link")
    assert link.is_symlink() and target.read_text() == "keep me"


def test_out_folder_with_a_slash_gets_the_default_name_inside(tmp_path):
    path, default = files.output_path(str(tmp_path / "newdir") + "/", "host-20250101T000000Z.json",
                                      default_folder="results")
    assert default and path == tmp_path / "newdir" / "host-20250101T000000Z.json"
    written = files.write_json_atomic(path, {"a": 1}, create=True, unique=True)
    assert written == path and (tmp_path / "newdir").is_dir()


def test_out_through_a_missing_folder_and_back_or_a_dash_is_refused_and_creates_nothing(tmp_path):
    """'/x/../' would first create the folder x to climb out of it; '-' would be a file named '-'. A '..' out of a
    folder that exists is a path like any other."""
    with pytest.raises(UserError, match=r"goes through .*nowhere'?, which is not a folder here"):
        files.output_path(str(tmp_path / "nowhere") + "/../", "h.json", default_folder="results")
    with pytest.raises(UserError, match="not to standard output"):
        files.check_output("-")
    assert not (tmp_path / "nowhere").exists()
    (tmp_path / "here").mkdir()
    path, default = files.output_path(str(tmp_path / "here") + "/../", "h.json", default_folder="results")
    assert default and path.resolve() == tmp_path / "h.json"


def test_an_existing_folder_as_out_gets_the_default_name_inside(tmp_path):
    path, default = files.output_path(str(tmp_path), "x.json", default_folder="results")
    assert default and path == tmp_path / "x.json"


def test_an_existing_folder_as_out_on_the_command_line_gets_the_run_inside(tmp_path):
    # --help promises it; click's own check (a file, not a directory) used to refuse it first
    for out in (str(tmp_path), f"{tmp_path}/"):
        r = run_cli("bench", "--quick", "--only", "memcopy", "--out", out)
        assert r.code == 0, r.stderr
    runs = sorted(tmp_path.glob("*.json"))
    assert len(runs) == 2 and all(load_results(p)["status"] == "complete" for p in runs)


def test_two_runs_in_the_same_second_get_two_files(tmp_path):
    first = files.write_json_atomic(tmp_path / "vm-20250101T000000Z.json", {"run": 1}, create=True, unique=True)
    second = files.write_json_atomic(tmp_path / "vm-20250101T000000Z.json", {"run": 2}, create=True, unique=True)
    assert first != second and second.name == "vm-20250101T000000Z-2.json"
    assert json.loads(first.read_text()) == {"run": 1} and json.loads(second.read_text()) == {"run": 2}


def test_a_default_name_moves_past_a_file_but_not_past_a_folder(tmp_path):
    # runs moved past anything at name-2, name-3 in silence while the report page refused a folder there: one rule
    (tmp_path / "vm-20250101T000000Z.json").write_text("{}")
    (tmp_path / "vm-20250101T000000Z-2.json").mkdir()
    with pytest.raises(UserError, match="the default name .*vm-20250101T000000Z-2.json is taken here by a directory"):
        files.write_json_atomic(tmp_path / "vm-20250101T000000Z.json", {"run": 2}, create=True, unique=True)
    assert not (tmp_path / "vm-20250101T000000Z-3.json").exists()
    assert (tmp_path / "vm-20250101T000000Z.json").read_text() == "{}"


def test_two_suite_runs_started_in_the_same_second_keep_both_files(tmp_path, monkeypatch):
    fixed = datetime(2025, 1, 1, tzinfo=timezone.utc)
    monkeypatch.setattr(schema, "utc_now", lambda: fixed)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))   # the per-user results folder, here
    monkeypatch.chdir(tmp_path)
    kw = dict(registry={"noop": _Noop()}, device="cpu", probe={"cpu": {"usable_cores": 1}}, peaks={"cpu": {}},
              settings=runner.Settings(min_sample_s=0.0001, min_samples=3, max_samples=3, min_total_s=0,
                                       warmup_s=0, budget_s=1))
    _, a = runner.run_suite(**kw)
    _, b = runner.run_suite(**kw)
    assert a != b and a.exists() and b.exists() and a.parent == b.parent
    assert b.name == a.name.replace(".json", "-2.json")
    assert json.loads(a.read_text())["status"] == json.loads(b.read_text())["status"] == "complete"


def test_a_run_never_replaces_a_non_regular_file_even_if_it_appears_meanwhile(tmp_path):
    path = tmp_path / "r.json"
    os.mkfifo(path)
    with pytest.raises(UserError, match="FIFO"):
        files.write_json_atomic(path, {"a": 1})
    with pytest.raises(UserError, match="FIFO"):
        files.write_json_atomic(path, {"a": 1}, create=True)
    assert stat.S_ISFIFO(os.lstat(path).st_mode)


def _not_writable(monkeypatch, *paths):
    """``os.access`` answering "not writable" for ``paths``: the tests run as root, for whom access(2) grants
    writing any file whatever its mode, so a read-only file cannot stand in for one the user may not write."""
    real, denied = os.access, {os.fspath(p) for p in paths}
    monkeypatch.setattr(os, "access", lambda path, mode, *a, **kw: False if os.fspath(path) in denied and
                        mode & os.W_OK else real(path, mode, *a, **kw))


def test_a_file_the_user_may_not_write_is_never_replaced(tmp_path, monkeypatch):
    # the atomic rename needs write permission on the folder only: another user's read-only page in a shared
    # folder was replaced by `report --out`
    path = tmp_path / "ro.html"
    path.write_text("keep me")
    _not_writable(monkeypatch, path)
    for write in (lambda: files.write_text_atomic(path, "new", what="the report"),
                  lambda: files.write_json_atomic(path, {"a": 1}, what="the report"),
                  lambda: files.check_replaceable(path, "the report")):
        with pytest.raises(UserError, match=r"^cannot write the report to .*ro\.html: Permission denied \(.*\); "
                                            r"choose another --out$"):
            write()
    assert path.read_text() == "keep me" and [p.name for p in tmp_path.iterdir()] == ["ro.html"]
    # a default name moves past it, as past any file of the user's
    moved = files.write_text_atomic(path, "new", create=True, unique=True)
    assert moved.name == "ro-2.html" and path.read_text() == "keep me"


def test_a_replaced_file_keeps_its_permission_bits(tmp_path):
    # the temporary file is created with the umask's mode: renamed over a private (0600) file, it made it readable
    # for everyone; a replaced file keeps its mode, as an editor's save or `install -p` keeps it
    private, shared = tmp_path / "p.csv", tmp_path / "s.html"
    for path, mode in ((private, 0o600), (shared, 0o640)):
        path.write_text("old")
        path.chmod(mode)
        files.write_text_atomic(path, "new")
        assert path.read_text() == "new" and stat.S_IMODE(path.stat().st_mode) == mode
    private.chmod(0o4700)               # set-user-ID is not carried over onto data
    files.write_json_atomic(private, {"a": 1})
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    # a new file still takes the umask's mode
    fresh = files.write_text_atomic(tmp_path / "new.html", "x")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~files._umask()


def test_a_plot_through_a_symlink_is_refused(tmp_path):
    (tmp_path / "real.png").write_bytes(b"x")
    (tmp_path / "p.png").symlink_to(tmp_path / "real.png")
    r = run_cli("compare", "rtx-3090", "gtx-1080-ti", "--plot", str(tmp_path / "p.png"))
    assert_user_error(r, "--plot", "symbolic link")
    assert (tmp_path / "real.png").read_bytes() == b"x"


class _Noop(Kernel):
    name, devices, dtypes, metric = "noop", ("cpu",), ("float32",), "flops"

    def cases(self, device, dtype, ctx):
        return [{"n": 1}]

    def flops(self, params):
        return 1.0

    def prepare(self, device, dtype, params, ctx):
        return Prepared.of(lambda: None)


# ------------------------------------------------------------------------------------------------ signals

class _SignalsItself(_Noop):
    """Sends ``sig`` to this process while preparing its third case for timing (each case is prepared once untimed,
    as its warm-up, right before): a stop in the middle of a suite."""

    name = "signals_itself"

    def __init__(self, sig):
        self.sig, self.calls = sig, 0

    def cases(self, device, dtype, ctx):
        return [{"n": i} for i in range(1, 10)]

    def prepare(self, device, dtype, params, ctx):
        self.calls += 1
        if self.calls == 2 * 3:
            os.kill(os.getpid(), self.sig)
            time.sleep(5)   # the handler interrupts this sleep
        return Prepared.of(lambda: None)


@pytest.fixture
def stop_handlers():
    saved = {s: signal.getsignal(s) for s in signals.STOP_SIGNALS}
    signals.reset()
    signals.install()
    yield
    for s, h in saved.items():
        signal.signal(s, h)
    signals.reset()


def test_a_stop_signal_inside_a_deferred_block_is_raised_where_the_outer_block_ends(stop_handlers):
    # Numba's compiler runs Python callbacks from C and swallows a KeyboardInterrupt raised in one, leaving the
    # function half-built: a Ctrl-C during a first compile ended in a traceback. Compiles run in deferred() blocks.
    reached = []
    with pytest.raises(signals.Stopped) as info:
        with signals.deferred():
            with signals.deferred():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.05)                     # the handler runs here and holds the signal back
                reached.append("inner block ended")
            reached.append("outer block ended")
    assert reached == ["inner block ended", "outer block ended"] and info.value.signum == signal.SIGTERM
    with signals.deferred():                         # no signal: nothing raised
        reached.append("quiet")
    assert reached[-1] == "quiet"


@pytest.mark.parametrize("sig, words", [(signal.SIGTERM, "stopped by SIGTERM"), (signal.SIGHUP, "stopped by SIGHUP"),
                                        (signal.SIGINT, "interrupted by the user (Ctrl-C)")])
def test_sigterm_and_sighup_keep_a_partial_file_with_the_reason_like_ctrl_c(tmp_path, stop_handlers, sig, words):
    out = tmp_path / "r.json"
    with pytest.raises(runner.Interrupted) as info:
        runner.run_suite(registry={"s": _SignalsItself(sig)}, device="cpu", out=str(out),
                         probe={"cpu": {"usable_cores": 1}}, peaks={"cpu": {}},
                         settings=runner.Settings(min_sample_s=0.0001, min_samples=3, max_samples=3, min_total_s=0,
                                                  warmup_s=0, budget_s=1))
    doc = load_results(out)
    assert info.value.path == out
    assert doc["status"] == "interrupted" and doc["reason"].startswith(words)
    assert len(doc["measurements"]) == 2
    assert signals.exit_code() == 128 + sig


def test_an_existing_out_file_is_kept_until_the_run_completes(tmp_path, stop_handlers):
    out = tmp_path / "r.json"
    kw = dict(device="cpu", out=str(out), probe={"cpu": {"usable_cores": 1}}, peaks={"cpu": {}},
              settings=runner.Settings(min_sample_s=0.0001, min_samples=3, max_samples=3, min_total_s=0,
                                       warmup_s=0, budget_s=1))
    runner.run_suite(registry={"noop": _Noop()}, **kw)          # an earlier run under that name
    earlier = out.read_text()
    with pytest.raises(runner.Interrupted) as info:
        runner.run_suite(registry={"s": _SignalsItself(signal.SIGINT)}, **kw)
    partial = info.value.path
    assert out.read_text() == earlier
    assert partial.parent == tmp_path and partial != out and load_results(partial)["status"] == "interrupted"
    _, path = runner.run_suite(registry={"noop": _Noop()}, **kw)
    assert path == out and load_results(out)["status"] == "complete"
    assert sorted(tmp_path.iterdir()) == sorted([out, partial])   # the finished run leaves nothing beside it


def _stopped_once_measuring(out, sig) -> tuple[subprocess.Popen, str]:
    """A bench run (the slow-kernel driver) sent ``sig`` once it has a measurement: the process and its stderr."""
    proc = _start(DRIVER, str(out))
    _wait_for(lambda: measured(out), "first measurement", proc)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=GUARD_S)
    return proc, stderr


@pytest.mark.slow
def test_ctrl_c_keeps_a_partial_file_marked_interrupted(tmp_path):
    out = tmp_path / "r.json"
    proc, stderr = _stopped_once_measuring(out, signal.SIGINT)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and f"partial results in {out}" in stderr
    doc = load_results(out)
    assert doc["status"] == "interrupted" and len(doc["measurements"]) >= 1


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_cli_stopped_by_a_signal_says_so_and_exits_128_plus_n(tmp_path, sig):
    out = tmp_path / "r.json"
    proc, stderr = _stopped_once_measuring(out, sig)
    name = signal.Signals(sig).name
    assert proc.returncode == 128 + sig, stderr
    assert f"stopped by {name}" in stderr and f"partial results in {out}" in stderr and "Traceback" not in stderr
    doc = load_results(out)
    assert doc["status"] == "interrupted" and name in doc["reason"]


@pytest.mark.slow
def test_ctrl_c_twice_prints_no_interpreter_traceback(tmp_path):
    out = tmp_path / "r.json"
    proc = _start(DRIVER, str(out))
    _wait_for(lambda: measured(out), "first measurement", proc)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.02)
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=GUARD_S)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert load_results(out)["status"] == "interrupted"


@pytest.mark.slow
def test_sigterm_stops_the_distributed_launcher_and_workers_and_cleans_up(tmp_path):
    (tmp_path / "tmp").mkdir()
    out = tmp_path / "run.json"
    proc = _start(DIST_DRIVER, str(out), env={"TMPDIR": str(tmp_path / "tmp")})

    def workers():
        return [int(p.read_text()) for p in (tmp_path / "tmp").glob("rigbench-dist-*/pid-*") if p.read_text()]

    _wait_for(lambda: len(workers()) == 2, "2 running workers", proc)
    pids = workers()
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=GUARD_S)
    assert proc.returncode == 143, stderr
    assert "stopped by SIGTERM" in stderr and "Traceback" not in stderr
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if _alive(p)], "workers outlived rigbench"
    assert not list((tmp_path / "tmp").glob("rigbench-dist-*")), "the run folder was left behind"
    doc = load_results(out)
    assert doc["status"] == "interrupted" and doc["reason"] == "stopped by SIGTERM"


def test_stop_tree_ends_a_child_that_ignores_sigterm_and_its_grandchild():
    code = ("import signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "subprocess.Popen([sys.executable, '-c', 'import signal, time; "
            "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)']); print('up', flush=True); "
            "time.sleep(600)")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "up"
    _wait_for(lambda: psutil.Process(child.pid).children(), "the grandchild")
    grandchild = psutil.Process(child.pid).children()[0].pid
    left = proctree.stop_tree(child.pid, grace_s=0.5)
    child.wait(timeout=10)
    assert left == [] and not _alive(grandchild)



def test_stop_tree_sends_each_signal_once_so_a_program_s_cleanup_is_not_interrupted(tmp_path):
    # rigbench.signals reads a second SIGTERM as "hurry" and a third as "quit at once": one is a request to stop
    counts = tmp_path / "sigterms"
    code = ("import signal, sys, time; n = []; "
            f"signal.signal(signal.SIGTERM, lambda *a: (n.append(1), open({str(counts)!r}, 'w').write(str(len(n))))); "
            "print('up', flush=True); time.sleep(600)")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "up"
    groups = []
    left = proctree.stop_tree(child.pid, grace_s=1.0, also=groups.append)
    child.wait(timeout=10)
    assert left == [] and child.returncode == -signal.SIGKILL
    assert counts.read_text() == "1" and groups == [signal.SIGTERM, signal.SIGKILL]

def test_disk_scratch_file_is_removed_when_prepare_is_interrupted(tmp_path, monkeypatch):
    calls = {"n": 0}
    real = disk_read.chunk_bytes

    def interrupted(seed, index):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # what SIGTERM becomes under rigbench.signals
        return real(seed, index)

    monkeypatch.setattr(disk_read, "chunk_bytes", interrupted)
    kernel = disk_read.DiskRead()
    params = {"file_bytes": 16 * 2 ** 20, "block_bytes": 2 ** 20, "access": "sequential", "reads": 16}
    monkeypatch.setattr(disk_read, "_fstype", lambda folder: "ext4")
    with pytest.raises(KeyboardInterrupt):
        kernel.prepare("cpu", "float32", params, RunContext(data_dir=str(tmp_path)))
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".rigbench-disk-read-")]


def test_disk_scratch_left_by_a_killed_run_is_removed_by_the_next(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".rigbench-disk-read-{dead.pid}-abc.bin"
    stale.write_bytes(b"x")
    mine = tmp_path / f".rigbench-disk-read-{os.getpid()}-abc.bin"
    mine.write_bytes(b"x")
    assert disk_read.remove_stale(str(tmp_path)) == [str(stale)]
    assert not stale.exists() and mine.exists()


# ------------------------------------------------------------------------------------------------ --nproc

def test_nproc_beyond_cores_or_memory_is_refused_unless_oversubscribed():
    limit, why = D.nproc_limit()
    assert limit >= 1 and why
    with pytest.raises(UserError, match="--oversubscribe"):
        D.plan(nproc=limit + 1)
    assert D.plan(nproc=limit + 1, oversubscribe=True)["nproc"] == limit + 1
    with pytest.raises(UserError, match="1..1024"):
        D.plan(nproc=10 ** 6, oversubscribe=True)


def test_cli_nproc_1000_is_one_line_and_starts_nothing():
    t0 = time.monotonic()
    assert_user_error(run_cli("bench", "--distributed", "--nproc", "1000"), "--nproc 1000", "--oversubscribe")
    assert time.monotonic() - t0 < GUARD_S


def test_nproc_limit_counts_memory(monkeypatch):
    class Little:
        available = 3 * D.WORKER_MEMORY_BYTES // 2

    monkeypatch.setattr(psutil, "virtual_memory", lambda: Little())
    monkeypatch.setattr(D, "_usable_cores", lambda: 64)
    monkeypatch.setattr(D, "_visible_gpus", lambda: 0)
    assert D.nproc_limit()[0] == 1


# ------------------------------------------------------------------------------------------------ bad numbers

NINES = "9" * 300


@pytest.mark.parametrize("args, fragment", [
    (("gpus", "--min-memory", NINES), "--min-memory"),
    (("gpus", "--min-memory", f"{NINES}GB"), "--min-memory"),
    (("gpus", "--max-price", "1.500,00"), "a comma separates thousands"),
    (("gpus", "--max-price", NINES), "--max-price"),
    (("recommend", "--spec", f"ram={NINES}GB"), "--spec ram"),
    (("recommend", "--spec", f"cores={NINES}"), "--spec cores"),
    (("recommend", "--spec", f"disk={NINES}TB"), "--spec disk"),
    (("recommend", "--spec", f"price={NINES}"), "--spec price"),
    (("cost", "--buy", "rtx-2080-ti", "--rent", "all", "--hours-per-month", "1e308"), "at most 100,000"),
    (("cost", "--buy", "rtx-2080-ti", "--rent", "all", "--hours-per-month", "nan"), "finite"),
    (("cost", "--buy", "rtx-2080-ti", "--rent", "all", "--months", "inf"), "finite"),
    (("cost", "--buy", "rtx-2080-ti", "--rent", "all", "--hours-per-month", "10", "--buy-count", "1000"),
     "--buy-count is 1000"),
    (("cost", "--buy", "rtx-2080-ti", "--rent", "all", "--hours-per-month", "10", "--build-price", "100"),
     "below the price of the card"),
    (("cost", "--buy", "rtx-2080-ti", "--rent", "all", "--hours-per-month", "10", "--gpu-price", "1.500,00"),
     "--gpu-price"),
    (("bench", "--distributed", "--timeout", "1e308"), "--timeout"),
    (("compare", "rtx-3090", "rtx-4090", "--price", "rtx-3090=abc"), "--price 'rtx-3090=abc': the price must be a positive amount"),
    (("compare", "rtx-3090", "rtx-4090", "--price", "rtx-3090=nan"), "--price 'rtx-3090=nan': the price must be a positive amount"),
    # '-0' was "negative"
    (("gpus", "--max-price", "-0"), "--max-price '-0' has a minus sign: an amount is zero or more"),
    (("gpus", "--max-price", "-5"), "--max-price '-5' has a minus sign"),
    # a job of 1e-297 samples printed its hours per month as a 300-digit string
    (("cost", "--buy", "rtx-3090", "--rent", "all", "--epochs", "1e-300", "--dataset-size", "1000"),
     "is 1e-297 samples: a job trains on one sample or more"),
])
def test_bad_numbers_are_one_line_and_exit_2(args, fragment):
    assert_user_error(run_cli(*args), fragment)


@pytest.mark.parametrize("args, fragment", [
    (("--dataset-size", "1000", "--epochs", "1e300"), "--epochs is 1e300"),
    (("--dataset-size", NINES, "--epochs", "1"), "--dataset-size"),
    (("--dataset-size", "1000", "--epochs", "nan"), "finite"),
    # 1e-300 epochs was sized as a run of "0 images" taking 1.8e-298 s
    (("--dataset-size", "1000", "--epochs", "1e-300"), "1e-297 samples: a run trains on one sample or more"),
    # a 35-digit deadline was taken as a real one
    (("--dataset-size", "1000", "--epochs", "1", "--deadline", "9" * 35 + "h"), "is more than 50 years"),
])
def test_size_refuses_a_run_too_long_to_print(args, fragment):
    # 1e300 epochs was costed: a dollar figure hundreds of digits long
    assert_user_error(run_cli("size", "resnet50", "--gpus", "rtx-3090", *args), fragment)


def test_size_check_request_bounds_the_run_for_api_callers():
    from rigbench.size import plan as size_plan
    with pytest.raises(UserError, match="at most 1,000,000"):
        size_plan.check_request(None, 1000, 1e300, None)


def _one_row_prices(tmp_path, on_demand="3.06", spot="", day="2026-01-01") -> str:
    """A price list of one V100 instance, with the price and date cells given; its path."""
    (tmp_path / "p.csv").write_text(
        "provider,instance,gpu_id,gpu_count,vcpus,ram_gb,on_demand_usd_per_hour,spot_usd_per_hour,region,"
        f"price_date,source\naws,x1,tesla-v100-sxm2-16gb,1,8,61,{on_demand},{spot},us-east-1,{day},me\n")
    return str(tmp_path / "p.csv")


def test_a_price_list_dated_in_the_future_is_refused(tmp_path):
    assert_user_error(run_cli("cost", "--list", "--prices", _one_row_prices(tmp_path, day="2099-01-01")), "2099-01-01",
                      "future")


@pytest.mark.parametrize("day, refused", [("0001-01-01", True), ("2010-11-14", True), ("2010-11-15", False)])
def test_a_price_list_dated_before_any_gpu_could_be_rented_is_refused(tmp_path, day, refused):
    # 0001-01-01 was read, then warned about as 739,952 days old; the first GPU instance was announced 2010-11-15
    got = run_cli("cost", "--list", "--prices", _one_row_prices(tmp_path, day=day))
    if refused:
        assert_user_error(got, day, "before any GPU could be rented (2010-11-15, AWS cg1.4xlarge)")
    else:
        assert got.code == 0, got.stderr


@pytest.mark.parametrize("on_demand, spot", [("0", ""), ("0.00", ""), ("3.06", "0")])
def test_a_price_list_price_of_zero_is_refused(tmp_path, on_demand, spot):
    # a free instance won every comparison (and the break-even divided by its price)
    assert_user_error(run_cli("cost", "--list", "--prices", _one_row_prices(tmp_path, on_demand, spot)), "p.csv line 2",
                      "an hourly price is above zero")


@pytest.mark.parametrize("on_demand", ["1e309", "inf", "nan"])
def test_a_price_list_price_that_is_not_finite_is_named_so(tmp_path, on_demand):
    # 1e309 is read as infinity, and was refused as "an hourly price is above zero"
    r = run_cli("cost", "--list", "--prices", _one_row_prices(tmp_path, on_demand))
    assert_user_error(r, f"p.csv line 2: column 'on_demand_usd_per_hour' is {on_demand}, not a finite number")
    assert "above zero" not in r.stderr


@pytest.mark.parametrize("on_demand, spot", [("1e308", ""), ("2000000000", ""), ("3.06", "1e300")])
def test_a_price_list_price_beyond_the_amount_bound_is_refused(tmp_path, on_demand, spot):
    # the bound of every amount was not applied to the list: 1e308 USD/h printed as 300 digits and totalled to inf
    assert_user_error(run_cli("cost", "--list", "--prices", _one_row_prices(tmp_path, on_demand, spot)), "p.csv line 2",
                      "usd_per_hour' is", "it must be at most 1,000,000,000")


# ------------------------------------------------------------------------------------------------ odd files

def test_a_results_file_of_100000_nested_brackets_is_one_line(tmp_path):
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    assert_user_error(run_cli("recommend", str(tmp_path / "deep.json")), "nests")


def test_a_run_named_by_a_prefix_that_cannot_be_read_says_why(tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "broken.json").write_text("{not json")
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    # it used to say no run matches 'broken', with the file right there
    assert_user_error(run_cli("results", "show", "broken", cwd=tmp_path, env=env), "broken.json is not JSON")
    assert_user_error(run_cli("results", "show", "latest", cwd=tmp_path, env=env), "1 unreadable file(s) passed over")


def test_recommend_dev_zero_is_refused_at_once():
    assert_user_error(run_cli("recommend", "/dev/zero", timeout=GUARD_S), "device node")


def test_a_fifo_given_as_results_is_refused_not_waited_on(tmp_path):
    os.mkfifo(tmp_path / "r.json")
    assert_user_error(run_cli("recommend", str(tmp_path / "r.json"), timeout=GUARD_S), "FIFO")


def test_a_fifo_in_the_results_folder_is_passed_over_and_mentioned(tmp_path):
    (tmp_path / "results").mkdir()
    os.mkfifo(tmp_path / "results" / "a.json")
    r = run_cli("recommend", "--json", cwd=tmp_path, timeout=GUARD_S, env={"XDG_DATA_HOME": str(tmp_path / "data")})
    assert r.code == 0, r.stderr
    assert any("passed over 1 file" in n and "FIFO" in n for n in r.json()["notes"]), r.json()["notes"]


def _odd_entries(folder: Path) -> None:
    """A results folder as a careless disk leaves it: a link to a deleted file, two links to each other, a folder
    and a FIFO, each named *.json, and a hidden file."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dangling.json").symlink_to(folder / "deleted.json")
    (folder / "loop-a.json").symlink_to(folder / "loop-b.json")
    (folder / "loop-b.json").symlink_to(folder / "loop-a.json")
    (folder / "dir.json").mkdir()
    os.mkfifo(folder / "fifo.json")
    (folder / ".hidden.json").write_text("{}", encoding="utf-8")


def test_a_folder_listing_passes_over_odd_entries_and_says_why(tmp_path):
    _odd_entries(tmp_path)
    (tmp_path / "run.json").write_text("{}", encoding="utf-8")
    (tmp_path / "alias.json").symlink_to(tmp_path / "run.json")
    odd: list = []
    got = files.json_files(tmp_path, odd)
    assert [p.name for p, _ in got] == ["alias.json", "run.json"]       # a link to a file is that file
    assert got[0][1].st_ino == got[1][1].st_ino
    why = {p.name: w for p, w in odd}
    assert set(why) == {"dangling.json", "loop-a.json", "loop-b.json", "dir.json", "fifo.json"}
    assert "leads nowhere" in why["dangling.json"] and "in a circle" in why["loop-a.json"]
    assert "a directory" in why["dir.json"] and "FIFO" in why["fifo.json"]
    assert files.json_files(tmp_path / "missing") == []


@pytest.mark.parametrize("args", [("results", "list"), ("report", "--out", "r.html"), ("recommend",)])
def test_odd_entries_in_the_results_folder_stop_no_reader(tmp_path, args):
    # a link loop in ./results was a RuntimeError traceback from `results list` and `report`
    _odd_entries(tmp_path / "results")
    r = run_cli(*args, cwd=tmp_path, timeout=GUARD_S, env={"XDG_DATA_HOME": str(tmp_path / "data")})
    assert "Traceback" not in r.stderr and r.code in (0, 2), r.stderr
    if args == ("results", "list"):
        assert "dangling.json is a symbolic link that leads nowhere" in " ".join(r.stdout.split()), r.stdout


def test_a_bench_run_beside_odd_entries_still_reads_its_history(tmp_path):
    # a link to a deleted file beside --out was a FileNotFoundError traceback before the first kernel ran
    from test_bench_runner import FAST, PEAKS, PROBE, Logged

    _odd_entries(tmp_path)
    doc, path = runner.run_suite(registry={"a": Logged("a")}, device="cpu", quick=True, out=tmp_path / "one.json",
                                 probe=PROBE, peaks=PEAKS, settings=FAST)
    assert doc["status"] == "complete" and path == tmp_path / "one.json"


def test_a_file_over_the_size_cap_is_refused_without_reading_it(tmp_path):
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(files.MAX_INPUT_BYTES + 1)   # sparse: no disk used
    assert_user_error(run_cli("recommend", str(big)), "MiB")


# ------------------------------------------------------------------------------------------------ odd text, odd terminals

@pytest.mark.parametrize("name", ["a[/]b", "x[bold]y[/bold]", "e:smile:f"])
def test_paths_with_markup_are_printed_literally(tmp_path, name):
    folder = tmp_path / name
    folder.mkdir(parents=True)
    r = run_cli("probe", "--data-dir", str(folder), env={"COLUMNS": "400"})
    assert r.code == 0, r.stderr
    assert str(folder) in r.stdout


def test_a_price_list_instance_with_markup_is_printed_literally(tmp_path):
    (tmp_path / "p.csv").write_text(
        "provider,instance,gpu_id,gpu_count,vcpus,ram_gb,on_demand_usd_per_hour,spot_usd_per_hour,region,"
        "price_date,source\naws,x[/]1,tesla-v100-sxm2-16gb,1,8,61,3.06,,us-east-1,2020-01-01,[bold]me\n")
    r = run_cli("cost", "--list", "--prices", str(tmp_path / "p.csv"), env={"COLUMNS": "200"})
    assert r.code == 0, r.stderr
    assert "x[/]1" in r.stdout


CONTROLS = [chr(c) for c in (*range(0x20), *range(0x7f, 0xa0)) if chr(c) not in "\n"]
EVIL_HOST = "evil\x1b]0;pwned\x07\x1b[31mRED\x1b[0m\rOVER"


@pytest.mark.parametrize("command", ["show", "diff", "show-markdown"])
def test_control_characters_from_a_results_file_reach_the_terminal_as_text(tmp_path, command):
    # click stripped colour codes from piped output and rich dropped BEL and CR, but a lone ESC (and all of them on
    # a terminal) went through: a file could retitle the window or rewrite what was printed
    doc = json.loads(REFERENCE_RUN.read_text())
    doc["host"] = doc["probe"]["cpu"]["brand"] = EVIL_HOST
    (tmp_path / "esc.json").write_text(json.dumps(doc))
    args = {"show": ("results", "show", "esc.json"), "diff": ("results", "diff", str(REFERENCE_RUN), "esc.json"),
            "show-markdown": ("results", "show", "esc.json", "--format", "markdown")}[command]
    r = run_cli(*args, cwd=tmp_path, env={"COLUMNS": "250"})
    assert r.code == 0, r.stderr
    assert not [ch for ch in CONTROLS if ch in r.stdout + r.stderr], r.stdout
    assert "evil\\x1b]0;pwned\\x07\\x1b[31mRED\\x1b[0m" in r.stdout


def test_bidirectional_overrides_from_a_results_file_are_shown_as_escapes(tmp_path):
    # U+202E (RIGHT-TO-LEFT OVERRIDE) printed as is makes "exe.json" read "nosj.exe": the reader sees one name and
    # the file holds another (CVE-2021-42574); every bidi formatting character of UAX #9 is shown as its escape
    doc = json.loads(REFERENCE_RUN.read_text())
    doc["host"] = "box\u202egnp.exe\u2066x\u2069\u200f"
    (tmp_path / "bidi.json").write_text(json.dumps(doc))
    r = run_cli("results", "show", "bidi.json", cwd=tmp_path, env={"COLUMNS": "250"})
    assert r.code == 0, r.stderr
    assert "box\\u202egnp.exe\\u2066x\\u2069\\u200f" in r.stdout
    assert not set("\u202e\u2066\u2069\u200f") & set(r.stdout + r.stderr)
    assert report.literal("\u061c\u200e\u202a\u202d\u2068 ok") == "\\u061c\\u200e\\u202a\\u202d\\u2068 ok"


def test_control_characters_in_an_error_line_are_shown_as_text(tmp_path):
    r = run_cli("results", "show", str(tmp_path / "a\x1b]0;x\x07b.json"))
    assert_user_error(r, "a\\x1b]0;x\\x07b.json")
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr


def test_lines_for_a_person_are_printed_through_report_echo_or_the_console():
    """report.echo and report.console make control characters harmless; a bare click.echo would bypass them. The
    JSON document (control characters escaped by JSON) is printed as is; CSV goes through report.echo too."""
    allowed = {("rigbench/report.py", "click.echo(dumps(doc))"), ("rigbench/report.py", "click.echo(literal(message)"),
               ("rigbench/report.py", "click.echo(\"\\n\".join(line.rstrip()")}
    root = Path(__file__).parent.parent
    found = [(p.relative_to(root).as_posix(), line.strip()) for p in sorted((root / "rigbench").rglob("*.py"))
             for line in p.read_text(encoding="utf-8").splitlines() if "click.echo(" in line]
    assert [f for f in found if not any(f[0] == a and f[1].startswith(b) for a, b in allowed)] == []


def test_the_console_keeps_its_own_colours_and_shows_the_text_s_escapes():
    import io

    from rich.text import Text

    buf = io.StringIO()
    out = report._LiteralConsole(file=buf, force_terminal=True, color_system="standard", width=200)
    out.print(Text("host " + EVIL_HOST, style="bold"))
    out.print(report.table("t " + EVIL_HOST, ["a"], [[EVIL_HOST]]))
    text = buf.getvalue()
    assert "\x1b[1m" in text                                       # rich's own bold
    assert "\x1b]" not in text and "\x1b[31m" not in text and "\x07" not in text and "\r" not in text
    assert text.count("evil\\x1b]0;pwned") == 3
    assert report.literal("a\x9bb\x7fc\td\ne") == "a\\x9bb\\x7fc\td\ne"


def test_a_latin_1_terminal_gets_ascii_stand_ins_not_an_encoding_error():
    r = run_cli("recommend", "--spec", "ram=32GB,gpu=rtx-2080-ti", env={"PYTHONIOENCODING": "latin-1"})
    assert r.code == 0, r.stderr
    assert "Traceback" not in r.stderr and "\u2014" not in r.stdout


def test_an_ascii_terminal_gets_ascii_stand_ins():
    r = run_cli("bench", "--help", env={"PYTHONIOENCODING": "ascii"})
    assert r.code == 0 and "Traceback" not in r.stderr


def _numbers(doc) -> list[str]:
    return [f"{o['total_usd']:,.0f}" for o in doc["options"]]


@pytest.mark.parametrize("columns", ["80", "40", "24", "20"])
def test_cost_totals_are_never_cut(columns):
    args = ("cost", "--buy", "rtx-2080-ti", "--rent", "all", "--hours-per-month", "80")
    doc = run_cli(*args, "--json").json()
    r = run_cli(*args, env={"COLUMNS": columns})
    assert r.code == 0, r.stderr
    assert "\u2026" not in r.stdout
    for total in _numbers(doc):
        assert total in r.stdout, total


@pytest.mark.parametrize("columns", ["80", "40", "24", "20"])
def test_compare_throughputs_are_never_cut(columns):
    r = run_cli("compare", "gtx-1080-ti", "rtx-2080-ti", env={"COLUMNS": columns})
    assert r.code == 0, r.stderr
    assert "\u2026" not in r.stdout
    doc = run_cli("compare", "gtx-1080-ti", "rtx-2080-ti", "--json").json()
    for w in doc["workloads"]:
        for v in w["throughput"].values():
            assert fmt_num(v) in r.stdout, fmt_num(v)


def test_a_closed_output_pipe_is_quiet_and_exit_141():
    proc = subprocess.Popen([sys.executable, "-m", "rigbench", "gpus"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()          # the reader went away (rigbench gpus | head -0)
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=GUARD_S)
    assert proc.returncode == 141 and stderr == "", (proc.returncode, stderr)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("args", [("gpus",), ("gpus", "--json"), ("compare", "rtx-3090", "rtx-4090"), (), ("results",)])
def test_output_to_a_full_disk_is_one_line_and_exit_2(args):
    with open("/dev/full", "w") as full:   # every write fails with ENOSPC, as on a full disk
        proc = subprocess.run([sys.executable, "-m", "rigbench", *args], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=GUARD_S)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == ["rigbench: error: cannot write the output: No space left on device"]


def _closed_stdout(*args: str) -> subprocess.CompletedProcess:
    """rigbench ARGS started with stdout closed (``rigbench ARGS >&-``)."""
    return subprocess.run(["sh", "-c", 'exec "$0" -m rigbench "$@" >&-', sys.executable, *args],
                          stderr=subprocess.PIPE, text=True, timeout=GUARD_S)


CLOSED = ("rigbench: error: cannot write the output: standard output is closed; nothing was done (redirect it to a "
          "file, or to /dev/null to drop it)")


@pytest.mark.parametrize("args", [("gpus",), ("gpus", "--json"), ("compare", "rtx-3090", "rtx-4090"), (), ("results",),
                                  ("prices", "list"), ("--version",),
                                  ("cost", "--buy", "rtx-2080-ti", "--rent", "all", "--hours-per-month", "80")])
def test_a_closed_stdout_is_one_line_and_exit_2(args):
    # Python leaves sys.stdout None then, and print() wrote nothing: the output was lost, exit 0, not a word
    r = _closed_stdout(*args)
    assert (r.returncode, r.stderr.strip().splitlines()) == (2, [CLOSED])


def test_a_closed_stdout_is_said_before_anything_runs(tmp_path):
    # refused before any work: bad input is not looked at, and a bench run measures and writes nothing (it had
    # measured and saved its run, then answered "error" for the table it lost)
    bad = _closed_stdout("compare", "no-such-card", "rtx-4090")
    assert (bad.returncode, bad.stderr.strip().splitlines()) == (2, [CLOSED])
    out = tmp_path / "r.json"
    r = _closed_stdout("bench", "--quick", "--only", "memcopy", "--out", str(out))
    assert (r.returncode, r.stderr.strip().splitlines()) == (2, [CLOSED])
    assert list(tmp_path.iterdir()) == []
    price_list = tmp_path / "p.csv"
    r = _closed_stdout("prices", "refresh", "--from", str(FIXTURES / "prices" / "skypilot"), "--out", str(price_list))
    assert (r.returncode, r.stderr.strip().splitlines()) == (2, [CLOSED]) and not price_list.exists()


def test_plain_rigbench_prints_the_usage():
    r = run_cli()
    assert r.code == 0 and r.stderr == ""
    assert r.stdout.startswith("Usage: rigbench") and "Commands:" in r.stdout


# ------------------------------------------------------------------------------------------------ rough edges

@pytest.mark.parametrize("args, fragment", [
    (("recommend", "--spec", ""), "--spec is empty"),
    (("recommend", "--instance", ""), "--instance is empty"),
    (("bench", "--out", ""), "--out is empty"),
    (("bench", "--data-dir", ""), "--data-dir is empty"),
    (("probe", "--data-dir", ""), "--data-dir is empty"),
    (("bench", "--distributed", "--out", " "), "--out is empty"),
    # sub-commands of a group: 'results show ""' used to mean the newest run, '--out ""' the current folder
    (("results", "show", ""), "RUN is empty"),
    (("results", "diff", "", "latest"), "RUNS is empty"),
    (("prices", "refresh", "--from", "tests/fixtures/prices/skypilot", "--out", ""), "--out is empty"),
    (("prices", "refresh", "--from", "tests/fixtures/prices/skypilot", "--label", "", "--dry-run"),
     "--label is empty"),
])
def test_empty_values_are_refused(args, fragment):
    assert_user_error(run_cli(*args), fragment)


def test_did_you_mean_is_said_once():
    r = run_cli("gpus", "--jsn")
    assert_user_error(r, "did you mean '--json'")
    assert r.stderr.lower().count("did you mean") == 1


def test_refused_results_files_are_mentioned_when_none_is_left(tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "old.json").write_text('{"schema": "rigbench.results/99", "measurements": []}')
    r = run_cli("recommend", "--json", cwd=tmp_path, env={"XDG_DATA_HOME": str(tmp_path / "data")})
    assert r.code == 0, r.stderr
    assert any("passed over 1 file" in n and "upgrade rigbench" in n for n in r.json()["notes"])


@pytest.mark.parametrize("devices", [("rtx-3090", "rtx-3090"), ("rtx-3090", "RTX 3090"), ("2x rtx-3090", "2x rtx-3090")])
def test_compare_refuses_the_same_device_twice(devices):
    # each table is keyed by the device: the second would overwrite the first, and the verdict call it "the only one"
    assert_user_error(run_cli("compare", *devices, "rtx-4090"), "are the same device", "name each device once")


@pytest.mark.parametrize("name", ["rtx-3090@", "@80W", "rtx-4090-laptop@80W@90W", "a100@80"])
def test_a_malformed_power_limit_is_refused_not_read_as_the_card(name):
    # normalize() drops the @: 'rtx-3090@' used to be the RTX 3090 at full power, silently
    assert_user_error(run_cli("compare", name, "rtx-4090"), "not a card name", "CARD@WATTS W")


@pytest.mark.parametrize("name", ["rtx-3080-laptop@-5W", "rtx-3090@ -5 W"])
def test_a_negative_power_limit_is_named_as_such(name):
    assert_user_error(run_cli("compare", name, "rtx-4090"), "a power limit is a number of watts above zero")


@pytest.mark.parametrize("code", ["import sys\nsys.exit(3)\n",
                                  "import sys\ndef build():\n    sys.exit(3)\n"])
def test_a_model_file_calling_sys_exit_is_one_line_and_exit_2(tmp_path, code):
    # it used to end rigbench with the model's exit code and nothing said
    (tmp_path / "m.py").write_text(code)
    assert_user_error(run_cli("size", str(tmp_path / "m.py"), "--gpus", "rtx-3090"), "SystemExit: 3")


@pytest.mark.parametrize("text, fragment", [("[]", "it holds an array, not a JSON object"),
                                            ("5", "it holds a number"), ("{}", "it has no 'schema'")])
def test_a_results_file_of_the_wrong_shape_says_what_it_holds(tmp_path, text, fragment):
    # it used to say "(schema: 'list')", as if the file had named a schema
    (tmp_path / "r.json").write_text(text)
    assert_user_error(run_cli("results", "show", str(tmp_path / "r.json")), "not a rigbench.results file", fragment)


@pytest.mark.parametrize("edit, fragment", [
    (lambda d: d.__setitem__("cpu", "AMD"), "cpu is a string"),
    (lambda d: d.__setitem__("disks", [5]), "disks[0] is a number"),
    (lambda d: d.__setitem__("os", ["linux"]), "os is a list"),
    (lambda d: d["memory"].update(total_bytes="lots", usable_bytes="lots"), "memory.total_bytes is a string"),
    (lambda d: d["memory"].__setitem__("limit_bytes", "x"), "memory.limit_bytes is a string"),
    (lambda d: d["os"].__setitem__("system", 5), "os.system is a number"),
    (lambda d: d.__setitem__("gpus", [{"name": "x", "memory_total_bytes": "x"}]), "gpus[0].memory_total_bytes"),
])
@pytest.mark.parametrize("wrap", ["probe", "results"])
def test_a_probe_of_the_wrong_shape_is_one_line(tmp_path, edit, fragment, wrap):
    # a hand-edited probe (a string where the probe writes an object or a number) ended in an interpreter traceback
    doc = json.loads((Path(__file__).parent / "fixtures" / "guidelines" / "probe_desktop_2x2080ti.json").read_text())
    edit(doc)
    if wrap == "results":
        doc = {"schema": "rigbench.results/2", "status": "complete", "probe": doc, "measurements": []}
    (tmp_path / "m.json").write_text(json.dumps(doc))
    r = run_cli("recommend", str(tmp_path / "m.json"))
    assert_user_error(r, fragment, f"not a valid rigbench.{wrap} file")


REFERENCE_RUN = next((Path(__file__).parent.parent / "results" / "reference").glob("*.json"))


@pytest.mark.parametrize("edit, fragment", [
    (lambda d: d["peaks"].__setitem__("cpu", "x"), "peaks.cpu is a string, expected an object or null"),
    (lambda d: d["peaks"].__setitem__("cpu", float("nan")), "peaks.cpu is a number"),
    (lambda d: d["peaks"]["cpu"].__setitem__("clock", True), "peaks.cpu.clock is true/false"),
    (lambda d: d["peaks"]["cpu"]["flops:float32"].__setitem__("value", "fast"), "peaks.cpu.flops:float32.value"),
    (lambda d: d["machine"].__setitem__("rounds", "3"), "machine.rounds is a string, expected an integer or null"),
    (lambda d: d["machine"]["loadavg_1m"].__setitem__("start", "high"), "machine.loadavg_1m.start is a string"),
    (lambda d: d["machine"].__setitem__("reference", 3), "machine.reference is a number"),
    (lambda d: d["probe"].__setitem__("software", "torch 2"), "probe.software is a string"),
    (lambda d: d["conditions"].__setitem__("start", True), "conditions.start is true/false"),
    # a distributed run's status line formats elapsed_s as a number
    (lambda d: d.__setitem__("distributed", {"backend": "gloo", "world_size": 2, "elapsed_s": "12"}),
     "distributed.elapsed_s is a string"),
    (lambda d: d.__setitem__("distributed", {"world_size": 2, "reasons": "rank 1 failed"}),
     "distributed.reasons is a string"),
])
@pytest.mark.parametrize("command", ["show", "diff", "report"])
def test_a_run_s_sections_of_the_wrong_shape_are_one_line(tmp_path, edit, fragment, command):
    # a string, a number or true where the run writes an object ended the table, the page or the diff in a traceback
    doc = json.loads(REFERENCE_RUN.read_text())
    edit(doc)
    (tmp_path / "m.json").write_text(json.dumps(doc))
    args = {"show": ("results", "show", "m.json"), "diff": ("results", "diff", str(REFERENCE_RUN), "m.json"),
            "report": ("report", "m.json", "--out", "r.html")}[command]
    assert_user_error(run_cli(*args, cwd=tmp_path), f"m.json: {fragment}", "not a valid rigbench.results file")
    assert not (tmp_path / "r.html").exists()


SKYPILOT = Path(__file__).parent / "fixtures" / "prices" / "skypilot"


def test_a_price_list_saved_with_a_byte_order_mark_is_read(tmp_path):
    # Excel's "CSV UTF-8" starts with a BOM, which glued itself to the first column: "missing column provider"
    shipped = (Path(__file__).parent.parent / "profiles" / "cloud_prices.csv").read_bytes()
    (tmp_path / "p.csv").write_bytes(b"\xef\xbb\xbf" + shipped)
    r = run_cli("cost", "--list", "--prices", str(tmp_path / "p.csv"))
    assert r.code == 0, r.stderr


def test_a_skypilot_vms_csv_with_a_byte_order_mark_is_read(tmp_path):
    shutil.copytree(SKYPILOT, tmp_path / "cat")
    aws = tmp_path / "cat" / "aws" / "vms.csv"
    aws.write_bytes(b"\xef\xbb\xbf" + aws.read_bytes())
    r = run_cli("prices", "refresh", "--from", str(tmp_path / "cat"), "--dry-run", "--json")
    assert r.code == 0, r.stderr


@pytest.mark.parametrize("kind", ["fifo", "folder", "link to /dev/zero"])
def test_a_vms_csv_that_is_no_regular_file_is_refused_not_passed_over(tmp_path, kind):
    # it was taken for a missing file: that cloud silently kept its old rows, "the source has no file for their cloud"
    shutil.copytree(SKYPILOT, tmp_path / "cat")
    aws = tmp_path / "cat" / "aws" / "vms.csv"
    aws.unlink()
    {"fifo": os.mkfifo, "folder": os.mkdir, "link to /dev/zero": lambda p: os.symlink("/dev/zero", p)}[kind](aws)
    (tmp_path / "out.csv").write_text("kept\n")
    r = run_cli("prices", "refresh", "--from", str(tmp_path / "cat"), "--out", str(tmp_path / "out.csv"), timeout=60)
    assert_user_error(r, "aws/vms.csv is a")
    assert (tmp_path / "out.csv").read_text() == "kept\n"


@pytest.fixture
def read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    immutable = False
    if os.access(folder, os.W_OK):    # root: mode bits do not stop it, the immutable flag does
        immutable = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
        if not immutable:
            pytest.skip("cannot make a folder read-only for this user")
    yield folder
    if immutable:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    folder.chmod(0o755)


def test_a_read_only_data_dir_is_refused_before_the_disk_kernels_run(tmp_path, read_only_folder):
    # every disk case failed on its scratch file ("PermissionError") and the run exited 0 with nothing measured
    r = run_cli("bench", "--only", "disk_read", "--quick", "--device", "cpu", "--data-dir", str(read_only_folder),
                "--out", str(tmp_path / "runs") + "/", env={"XDG_DATA_HOME": str(tmp_path / "data")})
    assert_user_error(r, "is not writable", "disk_read")
    assert not (tmp_path / "runs").exists()


LONG = "a" * 300    # longer than a file name may be (255 bytes): Path.is_file() raises ENAMETOOLONG


@pytest.mark.parametrize("args, fragment", [
    (("compare", LONG, "rtx-3090"), "unknown GPU"),
    (("results", "show", LONG), "too long for a file name"),
    (("results", "diff", LONG, "latest"), "too long for a file name"),
    (("report", LONG), "too long for a file name"),
    (("report", "--out", f"{LONG}.html"), "too long for a file name"),
    (("bench", "--data-dir", LONG), "too long for a file name"),
    (("prices", "refresh", "--from", LONG, "--dry-run"), "too long for a file name"),
    (("recommend", "--results-dir", LONG), "too long for a file name"),
])
def test_a_name_too_long_for_a_file_is_one_line(tmp_path, args, fragment):
    # each ended in an interpreter traceback (OSError: File name too long)
    r = run_cli(*args, cwd=tmp_path, env={"XDG_DATA_HOME": str(tmp_path / "data")})
    assert_user_error(r, fragment)
    assert {p.name for p in tmp_path.iterdir()} <= {"data"}     # nothing written


@pytest.mark.parametrize("gpu, fragment", [
    ("+".join(["rtx-3090"] * 65), "more than 64 GPUs in all"),        # passed the bound each "Nx" is held to
    ("32x rtx-3090+33x rtx-3090", "more than 64 GPUs in all"),
    ("9" * 5000 + "x rtx-3090", "--spec gpu count"),                   # int() of 5000 digits: a traceback
    ("rtx-3090+", "a '+' with no card beside it"),                     # was "unknown GPU ''"
])
def test_a_spec_gpu_list_is_bounded_and_one_line(gpu, fragment):
    assert_user_error(run_cli("recommend", "--spec", f"gpu={gpu}"), fragment)


@pytest.mark.parametrize("name", ["aws", "all", "gpu=tesla-t4"])
def test_recommend_instance_is_not_told_forms_it_refuses(name):
    # the hint named "a provider (aws, ...), gpu=NAME or all", which --rent takes and --instance refuses
    r = run_cli("recommend", "--instance", name)
    assert_user_error(r, "unknown instance", "e.g. aws:p3.2xlarge")
    assert "gpu=NAME" not in r.stderr


def test_cost_rent_still_lists_its_selectors():
    assert_user_error(run_cli("cost", "--buy", "rtx-3090", "--rent", "zzz"), "gpu=NAME or all")


LONG = "q" * 100_000


@pytest.mark.parametrize("args, fragment", [
    (("recommend", "--spec", f"{LONG}=3"), "unknown key"),
    (("recommend", "--spec", LONG), "is not key=value"),
    (("recommend", "--spec", f"gpu={LONG}"), "unknown GPU"),
    (("recommend", "--spec", f"os={LONG}"), "--spec os="),
    (("recommend", "--spec", f"kind={LONG}"), "--spec kind="),
    (("recommend", "--spec", f"disk_kind={LONG}"), "--spec disk_kind="),
    (("recommend", "--spec", f"gpu_cooling={LONG}"), "--spec gpu_cooling="),
    (("recommend", "--instance", f"aws:{LONG}"), "unknown instance"),
    (("compare", LONG, "rtx-3090"), "unknown GPU"),
])
def test_a_long_value_is_quoted_short_not_echoed_whole(args, fragment):
    # a 100,000-character value made the "one line" a hundred screens long
    r = run_cli(*args)
    assert_user_error(r, fragment)
    assert len(r.stderr) < 1_000 and "q" * 41 not in r.stderr


@pytest.mark.parametrize("option", ["cores=٣", "ram=٣GB", "psu=٣00W", "price=٣00"])
def test_digits_of_other_scripts_are_refused_alike_in_every_number(option):
    # float() reads "٣" (ARABIC-INDIC DIGIT THREE) as 3 while the size and price parsers refuse it
    assert_user_error(run_cli("recommend", "--spec", f"gpu=none,{option}"), option.split("=")[0])


@pytest.mark.parametrize("url", ["http://[::1", "https://exa mple.com/v7", "https://a..b/v7", f"https://{'a' * 70}.com/"])
def test_a_malformed_refresh_url_is_one_line_without_the_network(url):
    # urllib refuses these when it opens them, with errors that are no OSError: each ended in a traceback
    assert_user_error(run_cli("prices", "refresh", "--from", url, "--dry-run"), "is not a URL rigbench can fetch")


_UNPRINTABLE = "class E(Exception):\n    def __str__(self):\n        raise ValueError('no message')\n"


@pytest.mark.parametrize("code, fragment", [
    (_UNPRINTABLE + "raise E()\n", "does not import: E"),
    ("import torch\n" + _UNPRINTABLE + textwrap.dedent("""
        class M(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = torch.nn.Linear(4, 4)

            def forward(self, x):
                raise E()

        def build():
            return M(), torch.randn(8, 4)
    """), "a training step fails: E"),
])
def test_a_model_error_whose_message_itself_fails_is_named_by_its_class(tmp_path, code, fragment):
    # rigbench read the message with str(), which raised in its own error handler: a traceback
    (tmp_path / "m.py").write_text(code)
    assert_user_error(run_cli("size", str(tmp_path / "m.py"), "--gpus", "rtx-3090"), fragment)


def test_an_optimizer_function_that_raises_is_one_line(tmp_path):
    # the factory's own call is guarded, the optimizer function it returns was called bare: a traceback
    (tmp_path / "m.py").write_text(textwrap.dedent("""
        import torch

        def opt(params):
            raise RuntimeError("no optimizer today")

        def build():
            return torch.nn.Linear(4, 4), torch.randn(8, 4), None, opt
    """))
    r = run_cli("size", str(tmp_path / "m.py"), "--gpus", "rtx-3090")
    assert_user_error(r, "the optimizer function raised RuntimeError: no optimizer today")


def test_a_model_that_prints_leaves_size_json_parseable(tmp_path):
    # its prints went to stdout ahead of the document: --json output that no program could parse
    (tmp_path / "m.py").write_text(textwrap.dedent("""
        import torch
        print("at import")

        class M(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = torch.nn.Linear(4, 4)

            def forward(self, x):
                print("in forward")
                return self.lin(x)

        def build():
            print("in the factory")
            return M(), torch.randn(8, 4)
    """))
    r = run_cli("size", str(tmp_path / "m.py"), "--gpus", "rtx-3090", "--json")
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["schema"] == "rigbench.size/1"
    assert "at import" in r.stderr and "in forward" in r.stderr


@pytest.mark.parametrize("second", ["rtx-3090=800", "RTX 3090=800"])
def test_compare_refuses_two_prices_for_one_card(second):
    # the last one silently won, and the table showed one of two prices the user typed
    r = run_cli("compare", "rtx-3090", "rtx-4090", "--price", "rtx-3090=1000", "--price", second)
    assert_user_error(r, "--price names rtx-3090 twice", "give one price per card")


@pytest.mark.parametrize("second", ["rtx-3090", "RTX 3090"])
def test_cost_refuses_the_same_card_bought_twice(second):
    # each row, purchase note and card-price line was printed twice, as if two options had been costed
    r = run_cli("cost", "--buy", "rtx-3090", "--buy", second, "--rent", "all", "--hours-per-month", "10")
    assert_user_error(r, "are the same card (rtx-3090)", "--buy-count")


@pytest.mark.parametrize("args, fragment", [
    # ARABIC-INDIC DIGIT TWO: was 2x rtx-3090; no card name holds a digit outside ASCII
    (("compare", "٢x rtx-3090", "rtx-4090"), "'٢' (U+0662) is a letter or digit outside ASCII"),
    # FULLWIDTH DIGIT TWO folds to 2 (NFKC), but a count is written in ASCII: said so, with the spelling meant
    (("compare", "２x rtx-3090", "rtx-4090"), "write the card count in ASCII digits and x, as '2x rtx-3090'"),
    (("size", "resnet50", "--gpus", "٢x rtx-3090"), "'٢' (U+0662) is a letter or digit outside ASCII"),
])
def test_card_counts_in_other_scripts_digits_are_refused(args, fragment):
    # the "Nx" pattern matched with \d, which takes any script's digits; every other number rigbench reads refuses them
    assert_user_error(run_cli(*args), fragment)


def _shipped_price_row(path: Path, **cells: str) -> Path:
    """A price list of the shipped list's header and first row, with ``cells`` (column=value) put in that row."""
    shipped = (Path(__file__).parent.parent / "profiles" / "cloud_prices.csv").read_text()
    head, row = [ln for ln in shipped.splitlines() if not ln.startswith("#")][:2]
    values = row.split(",")
    for column, value in cells.items():
        values[head.split(",").index(column)] = value
    path.write_text(head + "\n" + ",".join(values) + "\n")
    return path


def test_a_price_list_count_in_other_scripts_digits_is_refused(tmp_path):
    prices = _shipped_price_row(tmp_path / "p.csv", gpu_count="٢")
    assert_user_error(run_cli("prices", "list", "--prices", str(prices)), "column 'gpu_count' is '٢'")


@pytest.mark.parametrize("batch, fragment", [(NINES[:23], "at most 2,147,483,647"), ("2147483648", "at most 2,147,483,647"),
                                             (NINES, "300 characters long")])
def test_size_batch_is_bounded(batch, fragment):
    # --batch was a bare int: 10^23 was sized, with per-step figures dozens of digits long and float rounding in them
    assert_user_error(run_cli("size", "resnet50", "--gpus", "rtx-3090", "--batch", batch), fragment)


def test_size_check_request_bounds_the_batch_for_api_callers():
    from rigbench.size import plan as size_plan
    with pytest.raises(UserError, match="at most 2,147,483,647"):
        size_plan.check_request(10 ** 23, None, None, None)


@pytest.mark.parametrize("args, fragment", [
    (("gpus", "--arch", LONG), "unknown architecture"),
    (("compare", "rtx-3090", "rtx-4090", "--workload", LONG), "unknown workload"),
    (("compare", "rtx-3090", "rtx-4090", "--precision", LONG), "unknown precision"),
    (("compare", "16x rtx-3090", "rtx-4090", "--network", LONG), "unknown network"),
    (("compare", "rtx-3090", "rtx-4090", "--price", LONG), "write it as CARD=USD"),
    (("cost", "--buy", "rtx-3090", "--rent", f"gpu={LONG}", "--hours-per-month", "10"), "no instance"),
    (("cost", "--buy", "rtx-3090", "--rent", "all", "--hours-per-month", "10", "--workload", LONG), "unknown workload"),
    (("size", LONG), "write a built-in workload"),
    (("size", "resnet50", "--precision", LONG), "unknown precision"),
    (("size", "resnet50", "--optimizer", LONG), "unknown optimizer"),
    (("size", "resnet50", "--dataset-size", "10", "--epochs", "1", "--deadline", LONG), "--deadline"),
    (("results", "diff", "a", "b", "--fail-above", LONG), "--fail-above"),
    (("bench", "--only", LONG), "unknown kernel"),
    (("bench", "--device", LONG), "unknown device"),
    (("prices", "refresh", "--date", LONG, "--dry-run"), "--date"),
])
def test_a_long_value_of_any_option_is_quoted_short(args, fragment):
    # these messages quoted the value whole (repr): a 100,000-character line
    r = run_cli(*args)
    assert_user_error(r, fragment)
    assert len(r.stderr) < 1_000 and "q" * 41 not in r.stderr


@pytest.mark.parametrize("gpus, fragment", [("rtx-3090,RTX 3090", "are the same (rtx-3090)"),
                                            ("2x rtx-3090,2x-rtx-3090", "are the same (2x rtx-3090)")])
def test_size_refuses_the_same_card_named_twice(gpus, fragment):
    # the card was sized twice: two identical rows in the table and in the JSON
    assert_user_error(run_cli("size", "resnet50", "--gpus", gpus), fragment, "name each card once")


def _link_loop(path: Path) -> None:
    path.symlink_to(path.with_name("other.py"))
    path.with_name("other.py").symlink_to(path)


@pytest.mark.parametrize("kind, fragment", [("folder", "is a folder"), ("fifo", "is not a regular file"),
                                            ("loop", "a symbolic link that leads nowhere or in a circle")])
def test_a_model_path_that_is_no_file_says_what_it_is(tmp_path, kind, fragment):
    # it said "model file m.py does not exist" of a folder, FIFO or link loop that was there
    {"folder": os.mkdir, "fifo": os.mkfifo, "loop": _link_loop}[kind](tmp_path / "m.py")
    assert_user_error(run_cli("size", str(tmp_path / "m.py"), "--gpus", "rtx-3090"), fragment)


def test_a_model_file_with_a_colon_in_its_name_is_read_as_a_file(tmp_path):
    # "run:3.py" was split at the colon into module "run" and factory "3.py": "module ... does not import"
    (tmp_path / "run:3.py").write_text("import torch\n\ndef build():\n    return torch.nn.Linear(4, 4), torch.randn(8, 4)\n")
    r = run_cli("size", str(tmp_path / "run:3.py"), "--gpus", "rtx-3090", "--json")
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["model"]["name"].endswith("run:3.py:build")


@pytest.mark.parametrize("option", ["--months", "--hours-per-month"])
def test_report_bounds_its_cost_numbers_as_cost_does(tmp_path, option):
    # report read them as bare floats: 1e308 months drew the chart (matplotlib overflow warnings) and wrote the page
    run = Path(__file__).parent.parent / "results" / "reference"
    r = run_cli("report", str(next(run.glob("*.json"))), option, "1e308", "--out", str(tmp_path / "r.html"))
    assert_user_error(r, option, "at most")
    assert not (tmp_path / "r.html").exists()


def test_cost_requests_are_bounded_for_api_callers():
    from rigbench import cost
    with pytest.raises(UserError, match="at most 600"):
        cost.compare(cost.CostRequest(buy=["rtx-3090"], rent=["all"], months=1e308, hours_per_month=10))


def test_report_refuses_the_same_card_named_twice(tmp_path):
    # the page predicted it twice: two rows per workload and two bars side by side
    run = Path(__file__).parent.parent / "results" / "reference"
    r = run_cli("report", str(next(run.glob("*.json"))), "--gpus", "rtx-3090,RTX 3090", "--out", str(tmp_path / "r.html"))
    assert_user_error(r, "are the same card (rtx-3090)")
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("schema, fragment", [(["rigbench.results/2"], "its 'schema' is an array"),
                                              ({"v": 2}, "its 'schema' is an object"), (2, "its 'schema' is a number")])
def test_a_schema_that_is_no_string_says_what_it_holds(tmp_path, schema, fragment):
    # it said "(schema: 'list')", the Python type's name, as if the file had named a schema 'list'
    (tmp_path / "r.json").write_text(json.dumps({"schema": schema, "measurements": []}))
    r = run_cli("results", "show", str(tmp_path / "r.json"))
    assert_user_error(r, "not a rigbench.results file", fragment)
    assert "'list'" not in r.stderr and "'dict'" not in r.stderr


def test_a_price_list_card_not_in_the_catalog_is_named_with_its_line(tmp_path):
    # 'prices list' showed it, and cost or size then stopped with "unknown GPU 'nonexistent-gpu'", naming no file
    _shipped_price_row(tmp_path / "p.csv", gpu_id="nonexistent-gpu")
    for args in (("prices", "list"), ("cost", "--buy", "rtx-3090", "--rent", "all", "--hours-per-month", "10")):
        r = run_cli(*args, "--prices", str(tmp_path / "p.csv"))
        assert_user_error(r, "p.csv line 2: column 'gpu_id' is 'nonexistent-gpu', not a card of the catalog")


def test_an_unknown_mplbackend_does_not_stop_a_plot(tmp_path):
    # matplotlib raised on it when first imported (ValueError: Key backend): a traceback, though rigbench draws on Agg
    r = run_cli("compare", "rtx-3090", "rtx-4090", "--plot", str(tmp_path / "c.png"), env={"MPLBACKEND": "nonexistent"})
    assert r.code == 0 and "Traceback" not in r.stderr, r.stderr
    assert (tmp_path / "c.png").stat().st_size > 0


@pytest.mark.parametrize("args", [
    ("cost", "--buy", "rtx-3090", "--rent", "aws:p3.2xlarge", "--hours-per-month", "10"),
    ("compare", "rtx-3090", "rtx-4090")])
def test_a_pgf_plot_without_its_tex_program_is_refused_before_any_work(tmp_path, args):
    # matplotlib lists .pgf as a format, but draws it by running xelatex: without it the command did its work and
    # then ended in a traceback (RuntimeError: 'xelatex' not found)
    (tmp_path / "bin").mkdir()
    r = run_cli(*args, "--plot", str(tmp_path / "p.pgf"), env={"PATH": str(tmp_path / "bin")})
    assert_user_error(r, "--plot", "a .pgf plot needs xelatex", "not installed", ".png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin"]


@pytest.mark.parametrize("args", [
    ("cost", "--buy", "rtx-3090", "--rent", "aws:p3.2xlarge", "--hours-per-month", "10"),
    ("compare", "rtx-3090", "rtx-4090")])
def test_a_pgf_plot_whose_tex_program_fails_is_one_line_and_no_file(tmp_path, args):
    # a TeX that is installed but cannot lay out the text (a missing font package) raised matplotlib's LatexError
    # with the whole LaTeX preamble, after the command's work; the stand-in fails as such a TeX does, with exit 1
    (tmp_path / "bin").mkdir()
    tex = tmp_path / "bin" / "xelatex"
    tex.write_text("#!/bin/sh\ncat > /dev/null\necho '! LaTeX Error: File fontspec.sty not found.'\nexit 1\n")
    tex.chmod(0o755)
    r = run_cli(*args, "--plot", str(tmp_path / "p.pgf"), env={"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin"})
    assert_user_error(r, "cannot write plot", "xelatex failed", ".png")
    assert "documentclass" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin"]


def test_every_plot_format_offered_is_written(tmp_path):
    # each suffix the --plot error lists must save with what is installed here, none only at the end of the work
    from rigbench import plots

    formats, missing = plots.plot_formats()
    assert "png" in formats and "svg" in formats and "pdf" in formats
    assert not set(formats) & set(missing)
    plt = plots.pyplot()
    for fmt in formats:
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1], label="price")
        ax.set_title("USD per hour")
        path = plots.save(fig, plots.check_plot_path(tmp_path / f"p.{fmt}"))
        assert path.stat().st_size > 0, fmt


def test_an_empty_example_batch_is_named_as_such(tmp_path):
    # batches 2 and 4 are made by repeating the example's rows; with none the step failed as "ZeroDivisionError"
    (tmp_path / "m.py").write_text("import torch\n\ndef build():\n    return torch.nn.Linear(4, 4), torch.randn(0, 4)\n")
    assert_user_error(run_cli("size", str(tmp_path / "m.py"), "--gpus", "rtx-3090"), "the example batch has 0 samples")


def test_a_model_with_lazy_modules_is_shaped_by_a_dry_run_and_sized(tmp_path):
    # nn.LazyLinear has no shape until it sees an input: counting its parameters raised ValueError, a traceback
    (tmp_path / "lazy.py").write_text("import torch\n\ndef build():\n"
                                      "    return torch.nn.Sequential(torch.nn.LazyLinear(4)), "
                                      "(torch.randn(16, 8), torch.randint(0, 4, (16,)))\n")
    r = run_cli("size", str(tmp_path / "lazy.py"), "--gpus", "rtx-3090", "--json")
    assert r.code == 0, r.stderr
    assert r.json()["model"]["params"] == 8 * 4 + 4          # the weight and bias the dry run gave it
    (tmp_path / "unused.py").write_text(
        "import torch\n\nclass M(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.a, self.b = torch.nn.Linear(8, 4), torch.nn.LazyLinear(3)\n\n"
        "    def forward(self, x):\n        return self.a(x)\n\n"
        "def build():\n    return M(), (torch.randn(16, 8), torch.randint(0, 4, (16,)))\n")
    assert_user_error(run_cli("size", str(tmp_path / "unused.py"), "--gpus", "rtx-3090"),
                      "a lazy module of the model is not used by its forward pass")


def test_a_refresh_url_that_sends_without_end_is_refused_at_the_cap(tmp_path):
    # the body was read whole: a server sending without end filled the memory (files are capped at 64 MiB)
    import http.server
    import threading

    class Endless(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            chunk = b"x" * 2 ** 20
            try:
                for _ in range(files.MAX_INPUT_BYTES // len(chunk) + 8):
                    self.wfile.write(chunk)
            except OSError:         # the reader stopped at the cap and went away
                pass

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Endless)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        r = run_cli("prices", "refresh", "--from", f"http://127.0.0.1:{server.server_port}/v7", "--dry-run",
                    timeout=GUARD_S)
    finally:
        server.shutdown()
    assert_user_error(r, "sends more than 64 MiB")


def test_report_out_must_name_an_html_page(tmp_path):
    # report --out report.png wrote an HTML page under an image's name
    craft_run(tmp_path / "results" / "a-20260101T000000Z.json", "2026-01-01T00:00:00Z")
    assert_user_error(run_cli("report", "--out", str(tmp_path / "report.png"), cwd=tmp_path),
                      "the report is an HTML page")
    assert not (tmp_path / "report.png").exists()


def test_cost_device_without_a_results_file_is_refused():
    # --device picks a device of --results FILE; without a file it was set aside without a word
    assert_user_error(run_cli("cost", "--buy", "rtx-3090", "--rent", "aws:g4dn.xlarge", "--hours-per-month", "40",
                              "--device", "cuda:1"), "--device 'cuda:1'", "--results FILE")


@pytest.mark.parametrize("command", ["size", "bench"])
def test_a_torch_setting_torch_refuses_at_import_is_one_line(tmp_path, command):
    # torch reads TORCH_LOGS when imported and raises ValueError on a name it does not know: a traceback before
    out = tmp_path / "r.json"
    args = {"size": ("size", "resnet50", "--gpus", "rtx-3090", "--json"),
            "bench": ("bench", "--quick", "--only", "gemm", "--device", "cpu", "--out", str(out))}[command]
    r = run_cli(*args, env={"TORCH_LOGS": "no-such-log"})
    assert_user_error(r, "torch cannot be imported in this environment", "Invalid log settings", "TORCH_*")
    assert not out.exists()
