"""``rigbench bench --distributed``: the multi-process, multi-node suite on torch.distributed.

Three layers, three processes:

1. **rigbench** (``run_distributed``): checks the options, starts the launcher in a process group of its own,
   waits at most ``timeout`` seconds, then kills that whole group (SIGTERM, then SIGKILL): no orphans. It then
   writes ONE ``rigbench.results/1`` file from what the workers reported, complete or not.
2. **the launcher** (``_launch_main``): torchrun's own machinery, ``torch.distributed.launcher.api.elastic_launch``
   with a ``LaunchConfig``: the same rendezvous (``static`` with ``--master-addr/--master-port`` and
   ``--node-rank``, ``c10d`` with ``--rdzv-endpoint``, or a private ``c10d`` store on 127.0.0.1 on one machine),
   the same per-worker environment (RANK, LOCAL_RANK, WORLD_SIZE ...), ``max_restarts=0``.
3. **the workers** (``_worker``): one per GPU (NCCL) or, without GPUs, per CPU share (Gloo). Each records which
   host and card it runs on, runs the ``DISTRIBUTED_KERNELS`` (``allreduce``, ``ddp_train``), and rewrites its own
   ``rank-N.json`` after every measurement, so a run that dies keeps what was measured. At the end rank 0 collects
   every worker's record with ``gather_object``.

Collective timing: all ranks agree on the calls per sample and the sample count (the slowest rank's calibration, by
an all-reduce MAX), meet at a barrier before each sample, and a sample's time is the slowest rank's (an all-reduce MAX).
A sample is ``inner`` back-to-back calls, enough to last the single-process runner's minimum sample time (1 ms or
more), and there are at least as many samples as that runner takes (``Settings.for_mode(quick).min_samples``).
"""

from __future__ import annotations

import importlib
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import psutil

from rigbench import files, proctree, signals, validity
from rigbench.bench import heap
from rigbench.bench import peaks as peaks_mod
from rigbench.bench.conditions import MachineSampler, cpu_state, tree_cpu_s
from rigbench.bench.runner import Interrupted, Settings, refuse_replacing_other_than_a_run
from rigbench.bench.schema import default_path, empty_measurement, new_document
from rigbench.bench.timing import Measurement
from rigbench.errors import UserError
from rigbench.kernels.base import KernelFault, KernelSkip, RunContext
from rigbench.probe import limits
from rigbench.probe import probe as probe_machine
from rigbench.scaling import busbw_from_time
from rigbench.units import refuse_repeats, split_items

# The launcher process id, handed to the workers: their process tree is the job, whose CPU time is "ours"
JOB_PID_ENV = "RIGBENCH_JOB_PID"

DEFAULT_TIMEOUT_S = 300
MAX_TIMEOUT_S = 7 * 24 * 3600  # --timeout above a week is a typo (and overflows torch's timedelta arithmetic)
DEFAULT_MASTER_PORT = 29500
KERNEL_NAMES = ("allreduce", "ddp_train")
_KERNEL_MODULES = {"allreduce": "rigbench.kernels.allreduce", "ddp_train": "rigbench.kernels.ddp_train"}
_TERM_GRACE_S = 5.0          # SIGTERM -> SIGKILL
# Memory each worker adds: the peak of its unique set size (USS, pages no other process shares; psutil's
# memory_full_info) sampled every 0.2 s over 3 quick runs of 2 CPU workers, torch 2.13 CPU build: 362 to 440 MB
# (its resident set, 0.45 to 0.53 GB, also counts the torch libraries the workers share). Rounded up from the
# largest: --nproc is bounded by available memory / this.
WORKER_MEMORY_BYTES = 450 * 10 ** 6
_MAX_INNER = 10_000          # calls per timed sample, at most
MIN_WORLD_FOR_EXCHANGE = 2
MAX_NPROC = 1024             # workers per node, even with --oversubscribe (a typo, not a plan, above that)
SINGLE_RANK_WARNING = ("warning: a distributed run with 1 process measures no exchange between ranks "
                       "(all-reduce and the N-worker DDP case are skipped); use --nproc 2 or more")


# ------------------------------------------------------------------------------------------------ options

def default_nproc() -> int:
    """One worker per visible GPU, or 2 on a machine without one."""
    try:
        import torch

        n = torch.cuda.device_count() if torch.cuda.is_available() else 0
    except Exception:  # a broken CUDA install is a CPU machine for this purpose
        n = 0
    return n if n > 0 else 2


def nproc_limit() -> tuple[int, str]:
    """How many workers this node can run side by side, and why: one per visible GPU or per usable core, whichever
    is more, and no more than fit in available memory (``WORKER_MEMORY_BYTES`` each). Cheap: torch is not imported."""
    gpus, cores = _visible_gpus(), _usable_cores()
    if gpus > cores:
        limit, why = gpus, f"{gpus} visible GPUs (one worker each)"
    else:
        limit, why = cores, f"{cores} usable core{'s' if cores > 1 else ''} (one worker each)"
    available = psutil.virtual_memory().available
    try:
        cap = limits.memory_limit()["limit_bytes"]
    except Exception:  # noqa: BLE001 - unreadable cgroup files: the machine's own figure stands
        cap = None
    if cap:
        available = min(available, cap)
    by_memory = max(1, available // WORKER_MEMORY_BYTES)
    if by_memory < limit:
        limit, why = by_memory, (f"{available / 1e9:.1f} GB of available memory at about "
                                 f"{WORKER_MEMORY_BYTES / 1e9:.2f} GB per worker")
    return int(limit), why


def _visible_gpus() -> int:
    """NVIDIA GPUs this process may use: torch's count once torch is loaded, else the driver's list
    (/proc/driver/nvidia/gpus) narrowed by CUDA_VISIBLE_DEVICES."""
    if "torch" in sys.modules:
        return default_nproc() if _has_gpu() else 0
    try:
        n = len(os.listdir("/proc/driver/nvidia/gpus"))
    except OSError:
        return 0
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        n = min(n, len([v for v in visible.split(",") if v.strip() and not v.strip().startswith("-")]))
    return n


def _has_gpu() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available() and torch.cuda.device_count() > 0)
    except Exception:  # a broken CUDA install is a CPU machine for this purpose
        return False


def join_timeout_for(timeout_s: float) -> int:
    """The rendezvous (join) timeout: a quarter of the run's, between 2 and 60 s."""
    return int(max(2, min(60, timeout_s // 4)))


def _whole(name: str, value: Any, lo: int, hi: int | None = None) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= lo and (hi is None or value <= hi)
    if not ok:
        rng = f"{lo}..{hi}" if hi is not None else f"{lo} or more"
        raise UserError(f"{name} must be a whole number {rng}, got {value!r}")
    return value


def _resolve(host: str, option: str) -> None:
    try:
        socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        raise UserError(f"{option} {host!r} does not resolve to an address; give a reachable host name or IP") from None


def _split_endpoint(endpoint: str) -> tuple[str, int]:
    host, sep, port = endpoint.rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise UserError(f"--rdzv-endpoint must be HOST:PORT (e.g. 10.0.0.1:29400), got {endpoint!r}")
    return host.strip("[]"), int(port)


def _reachable(host: str, port: int, within_s: float) -> bool:
    """True once a TCP connection to host:port succeeds, retrying until ``within_s``."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            with socket.create_connection((host, port), timeout=min(2.0, within_s)):
                return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.25)


def plan(*, nproc: int | None = None, nnodes: int = 1, node_rank: int = 0, master_addr: str | None = None,
         master_port: int | None = None, rdzv_endpoint: str | None = None, timeout: float | None = None,
         only: Any = None, quick: bool = False, oversubscribe: bool = False) -> dict:
    """Check the options and turn them into the launch spec; bad input is a ``UserError`` before anything starts.

    ``nproc`` is bounded by ``nproc_limit()`` (usable cores or GPUs, and memory) unless ``oversubscribe``.
    """
    if nproc is None:
        nproc = min(default_nproc(), nproc_limit()[0]) if not oversubscribe else default_nproc()
    nproc = _whole("--nproc", nproc, 1, MAX_NPROC)
    if not oversubscribe:
        limit, why = nproc_limit()
        if nproc > limit:
            raise UserError(f"--nproc {nproc} is more workers than this node can run side by side: {why} allow "
                            f"{limit}; use --nproc {limit} or less, or add --oversubscribe to start them anyway")
    nnodes = _whole("--nnodes", 1 if nnodes is None else nnodes, 1)
    node_rank = _whole("--node-rank", 0 if node_rank is None else node_rank, 0, nnodes - 1)
    timeout = DEFAULT_TIMEOUT_S if timeout is None else timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not math.isfinite(timeout) or timeout <= 0 \
            or timeout > MAX_TIMEOUT_S:
        raise UserError(f"--timeout must be a number of seconds > 0 and at most {MAX_TIMEOUT_S} (7 days), "
                        f"got {timeout!r}")
    if master_port is not None:
        _whole("--master-port", master_port, 1, 65535)
    if only:
        only = split_items(only, "--only", "kernel", ",".join(KERNEL_NAMES))
    kernels = [k for k in (only or KERNEL_NAMES) if k in KERNEL_NAMES]
    if only and (not kernels or len(kernels) != len(only)):
        bad = [k for k in only if k not in KERNEL_NAMES]
        raise UserError(f"--only {','.join(bad) or only!r}: a distributed run measures {', '.join(KERNEL_NAMES)}")
    if only:
        refuse_repeats([(k, k) for k in only], "--only", "kernel")   # as a single-process run refuses it
    join_s = join_timeout_for(timeout)

    if rdzv_endpoint:
        host, port = _split_endpoint(rdzv_endpoint)
        _resolve(host, "--rdzv-endpoint")
        backend, endpoint = "c10d", f"{host}:{port}"
    elif master_addr or master_port or nnodes > 1:
        if nnodes > 1 and not master_addr:
            raise UserError("--nnodes > 1 needs --master-addr (node 0's address) or --rdzv-endpoint HOST:PORT")
        host = master_addr or "127.0.0.1"
        _resolve(host, "--master-addr")
        port = master_port or DEFAULT_MASTER_PORT
        backend, endpoint = "static", f"{host}:{port}"
    else:  # one machine, nothing given: a private store on loopback, like torchrun --standalone
        host, port = "127.0.0.1", 0
        backend, endpoint = "c10d", "127.0.0.1:0"
    world = nproc * nnodes
    return {
        "warnings": [SINGLE_RANK_WARNING] if world < MIN_WORLD_FOR_EXCHANGE else [],
        "nproc": nproc, "nnodes": nnodes, "node_rank": node_rank, "timeout_s": float(timeout),
        "join_timeout_s": join_s, "rdzv_backend": backend, "rdzv_endpoint": endpoint, "master_host": host,
        "master_port": port, "kernels": kernels, "quick": bool(quick), "run_id": f"rigbench-{uuid.uuid4().hex[:12]}",
    }


# ------------------------------------------------------------------------------------------------ rigbench side

def _results_target(out: Any, host: str, started: datetime) -> tuple[Path, bool]:
    """(path, is_default_name): ``--out`` as given (a file), or ``<host>-<UTC time>-distributed.json`` in
    ``results/`` or in the folder ``--out`` names (an existing folder, or one written with a trailing ``/``)."""

    name = default_path(host, started).stem + "-distributed.json"
    return files.output_path(out, name, default_folder="results")


def _results_path(out: Any, host: str, started: datetime) -> Path:
    return _results_target(out, host, started)[0]


def _kill_group(proc: subprocess.Popen, pids: list[int]) -> None:
    """Stop the launcher, every process below it and every worker that wrote its pid: SIGTERM (the agent stops its
    workers), ``_TERM_GRACE_S`` of grace (none after a second Ctrl-C), then SIGKILL; the launcher is reaped."""
    def group(sig: int) -> None:  # the launcher's session, orphans included (it was started in a session of its own)
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    proctree.stop_tree(proc.pid, pids, grace_s=_TERM_GRACE_S, hurry=signals.hurry, also=group)
    group(signal.SIGKILL)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL was sent; the kernel reaps it eventually
        pass


def run_distributed(distributed: bool = True, nproc: int | None = None, nnodes: int = 1, node_rank: int = 0,
                    master_addr: str | None = None, master_port: int | None = None, rdzv_endpoint: str | None = None,
                    timeout: float | None = None, only: Any = None, quick: bool = False, out: Any = None,
                    json_output: bool = False, *, on_event: Callable[[str], None] | None = None,
                    oversubscribe: bool = False, _fault: dict | None = None) -> dict:
    """Run the distributed suite on this node and return the ``rigbench.results/1`` document it wrote.

    Options mirror torchrun's (``nproc`` per node, ``nnodes``, ``node_rank``, ``master_addr``/``master_port``
    or ``rdzv_endpoint``). ``timeout``: seconds for the whole run (default 300); a worker that dies or hangs is
    reported by rank and the run ends by then, with ``status`` "failed" or "interrupted" and what was measured.
    ``out``: a ``.json`` path or a folder (default ``results/``); the path written is ``doc["distributed"]
    ["results_file"]`` (null on a node that does not host rank 0 when the run completed: rank 0's node writes it).
    ``on_event``: called with one line per stage (for a progress display); lines that start with "warning:" are
    worth showing to the user (a 1-process run measures no exchange). ``json_output`` changes nothing here: this
    function never prints; worker output goes to log files.

    ``out`` is checked writable before anything starts (``UserError``). The temporary run folder is always removed,
    and what the workers reported is written even when assembling it partly fails. Ctrl-C: the results so far are
    written and ``rigbench.bench.runner.Interrupted`` (``path``, ``doc``) is raised.
    """
    if not distributed:
        raise UserError("run_distributed needs distributed=True (use the normal runner for one process)")
    spec = plan(nproc=nproc, nnodes=nnodes, node_rank=node_rank, master_addr=master_addr, master_port=master_port,
                rdzv_endpoint=rdzv_endpoint, timeout=timeout, only=only, quick=quick, oversubscribe=oversubscribe)
    event = on_event or (lambda line: None)
    for line in spec["warnings"]:
        event(line)
    started = datetime.now(timezone.utc)
    target, default_name = _results_target(out, socket.gethostname(), started)
    files.check_writable(target)
    if not default_name and target.exists():
        refuse_replacing_other_than_a_run(target)     # only an earlier run is ours to replace
        files.refuse_unwritable(target)                # and only one the user may write: said before the run
    if spec["node_rank"] > 0 and spec["rdzv_backend"] == "static":
        host, port = spec["master_host"], spec["master_port"]
        event(f"waiting up to {spec['join_timeout_s']} s for the master at {host}:{port}")
        if not _reachable(host, port, spec["join_timeout_s"]):
            raise UserError(f"cannot reach the master at {host}:{port} within {spec['join_timeout_s']} s: start node 0 "
                            "first, or check --master-addr/--master-port and the firewall")
    spec["fault"] = _fault
    spec["out"] = str(target)
    run_dir = Path(tempfile.mkdtemp(prefix="rigbench-dist-"))
    try:
        doc, path, elapsed, interrupted = _launch_and_collect(spec, run_dir, started, event, target, default_name)
    finally:
        _cleanup(run_dir)
    event(f"{doc['status']} after {elapsed:.1f} s")
    if interrupted:
        raise Interrupted(path, doc)
    return doc


def _launch_and_collect(spec: dict, run_dir: Path, started: datetime, event: Callable[[str], None], target: Path,
                        default_name: bool) -> tuple[dict, Path | None, float, bool]:
    """Start the launcher, wait for it (or the timeout, or a stop signal), stop its whole tree, write the results
    file. Returns (document, path written or None, seconds, interrupted)."""
    spec["run_dir"] = str(run_dir)
    spec_path = run_dir / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    env = dict(os.environ)
    if spec["nnodes"] == 1 and spec["master_host"] in ("127.0.0.1", "localhost"):
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")
        env.setdefault("NCCL_SOCKET_IFNAME", "lo")
    cmd = [sys.executable, "-c", "import sys; from rigbench.bench.distributed import _launch_main; "
                                 "sys.exit(_launch_main(sys.argv[1]))", str(spec_path)]
    event(f"starting {spec['nproc']} worker(s) on node {spec['node_rank']} of {spec['nnodes']} "
          f"({spec['rdzv_backend']} rendezvous at {spec['rdzv_endpoint']}, timeout {spec['timeout_s']:g} s)")
    t0 = time.monotonic()
    proc = None
    timed_out = interrupted = False
    with open(run_dir / "launcher.log", "wb") as log:
        try:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                    start_new_session=True)
            timed_out = not _wait(proc, spec, run_dir, t0)
        except KeyboardInterrupt:  # Ctrl-C, SIGTERM, SIGHUP (rigbench.signals)
            interrupted = True
        finally:
            if proc is not None:
                if proc.poll() is None:
                    _kill_group(proc, _worker_pids(run_dir))
                else:
                    _kill_group(proc, [p for p in _worker_pids(run_dir) if _alive(p)])
    elapsed = time.monotonic() - t0
    try:
        doc = _assemble(spec, run_dir, started, elapsed, timed_out=timed_out, interrupted=interrupted,
                        launcher_rc=proc.returncode if proc is not None else None)
    except Exception as exc:  # noqa: BLE001 - a malformed worker record must not cost the run its file
        doc = _document(spec, started, elapsed, status="interrupted" if timed_out or interrupted else "failed",
                        measurements=[], workers=[], backend=None, gathered=False, write_here=True,
                        reasons=[f"rigbench could not assemble the workers' records: {type(exc).__name__}: {exc}"])
    if doc["status"] != "complete" and doc["distributed"]["reasons"]:
        doc["reason"] = doc["distributed"]["reasons"][0]
    path = None
    if doc["distributed"]["results_file"] is not None:
        path = files.write_json_atomic(target, doc, create=default_name or not target.exists(),
                                       unique=default_name)
        doc["distributed"]["results_file"] = str(path)
        if path != target:  # a run started in the same second took the name: the file says where it is
            files.write_json_atomic(path, doc)
    return doc, path, elapsed, interrupted


def _wait(proc: subprocess.Popen, spec: dict, run_dir: Path, t0: float) -> bool:
    """Wait for the launcher until the run's timeout; False when the timeout came first.

    Test hook: a ``hang`` fault with ``timeout_when_hung_s`` moves the timeout to that many seconds after the worker
    reports it is hanging (the file ``hung`` in the run folder), and records that as the run's ``timeout_s``, so a
    test of the timeout does not depend on how long the machine takes to reach the hang.
    """
    deadline = t0 + spec["timeout_s"]
    hung_s = (spec.get("fault") or {}).get("timeout_when_hung_s")
    while True:
        try:
            proc.wait(timeout=0.2)
            return True
        except subprocess.TimeoutExpired:
            pass
        now = time.monotonic()
        if hung_s is not None and (run_dir / "hung").exists():
            deadline = min(deadline, now + hung_s)
            spec["timeout_s"] = round(deadline - t0, 1)
            hung_s = None
        if now >= deadline:
            return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _worker_pids(run_dir: Path) -> list[int]:
    pids = []
    for f in run_dir.glob("pid-*"):
        try:
            pids.append(int(f.read_text()))
        except (OSError, ValueError):
            pass
    return pids


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _cleanup(run_dir: Path) -> None:
    shutil.rmtree(run_dir, ignore_errors=True)


def _log_tail(run_dir: Path, rank: int | None = None, lines: int = 3) -> str:
    """The last lines of a worker's error output (or the launcher's), for a failure reason."""
    candidates = sorted((run_dir / "logs").glob(f"**/{rank}/error.json" if rank is not None else "none"))
    for c in candidates:
        doc = _read_json(c) or {}
        msg = (doc.get("message") or {}).get("message") if isinstance(doc.get("message"), dict) else doc.get("message")
        if msg:
            return str(msg).strip().splitlines()[-1][:300]
    try:
        text = (run_dir / "launcher.log").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    keep = [ln for ln in text.splitlines() if ln.strip() and "warn" not in ln.lower()]
    return " | ".join(keep[-lines:])[:400]


def _text(message: Any) -> str:
    """torch's ProcessFailure.message is a str or, from an error file, a dict with a "message" (and timestamp)."""
    if isinstance(message, dict):
        message = message.get("message")
    return "" if message is None else str(message).strip()


def _exit_meaning(code: Any) -> str:
    if isinstance(code, int) and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code} without a Python error (crashed, out of memory, or os._exit)"


def _probe_doc() -> tuple[Any, str | None]:
    try:
        return probe_machine(), None
    except Exception as exc:  # the probe must not cost the measurements
        return None, f"probe failed: {exc}"


def _assemble(spec: dict, run_dir: Path, started: datetime, elapsed: float, *, timed_out: bool, interrupted: bool,
              launcher_rc: int | None) -> dict:
    """The results document, from rank 0's gathered records or, failing that, from each worker's own file."""
    launcher = _read_json(run_dir / "launcher.json") or {}
    gathered = _read_json(run_dir / "gathered.json")
    records = gathered if isinstance(gathered, list) else [
        r for r in (_read_json(p) for p in sorted(run_dir.glob("rank-*.json"))) if isinstance(r, dict)]
    records = sorted([r for r in records if r], key=lambda r: r["worker"]["rank"])
    reasons: list[str] = []
    status = "complete"
    if timed_out or interrupted:
        status = "interrupted"
        seen = {r["worker"]["rank"] for r in records}
        for r in records:
            if r.get("status") == "running":
                w = r["worker"]
                reasons.append(f"rank {w['rank']} ({w['host']}, pid {w['pid']}) was still running at "
                               f"{r.get('stage') or 'start'} when the run was stopped")
        if timed_out:
            reasons.insert(0, f"timed out after {spec['timeout_s']:g} s: killed the launcher's process group")
        else:
            reasons.insert(0, signals.reason())
        if not gathered and len(seen) < spec["nproc"]:
            reasons.append(f"{spec['nproc'] - len(seen)} local worker(s) never started (rendezvous not complete)")
    elif launcher_rc != 0 or not launcher.get("ok", False):
        status = "failed"
        for rank, f in sorted((launcher.get("failures") or {}).items(), key=lambda kv: int(kv[0])):
            rec = next((r for r in records if r["worker"]["rank"] == int(rank)), None)
            where = f" ({rec['worker']['host']}, pid {rec['worker']['pid']})" if rec else ""
            why = _text((rec or {}).get("error")) or _text(f.get("message"))
            if not why or why.startswith("To enable traceback"):
                why = _exit_meaning(f.get("exitcode"))
            reasons.append(f"rank {rank}{where} failed: {why}")
        if launcher.get("error"):
            reasons.append(f"rendezvous/launch failed (join timeout {spec['join_timeout_s']} s): {launcher['error']}")
        if not reasons:
            reasons.append(f"the launcher exited with code {launcher_rc}: {_log_tail(run_dir)}")
    for r in records:
        if r.get("error") and not any(f"rank {r['worker']['rank']} " in x for x in reasons):
            reasons.append(f"rank {r['worker']['rank']}: {_text(r['error'])}")

    lead = records[0] if records else None
    measurements = _job_measurements(records)
    workers = []
    for r in records:
        w = dict(r["worker"])
        w["status"] = r.get("status")
        w["measurements"] = [{"kernel": m["kernel"], "params": m["params"], "median_s": m.get("local_median_s"),
                              "status": m["status"]} for m in r.get("measurements", [])]
        workers.append(w)
    hosts_rank0 = bool(lead and lead["worker"]["rank"] == 0 and gathered is not None)
    write_here = status != "complete" or hosts_rank0 or spec["node_rank"] == 0 and not records
    doc = _document(spec, started, elapsed, status=status, measurements=measurements, workers=workers,
                    backend=lead["worker"]["backend"] if lead else None, gathered=gathered is not None,
                    write_here=write_here, reasons=reasons)
    doc["conditions"] = {"start": (lead or {}).get("conditions_start"), "end": (lead or {}).get("conditions_end")}
    return doc


def _document(spec: dict, started: datetime, elapsed: float, *, status: str, measurements: list, workers: list,
              backend: str | None, gathered: bool, write_here: bool, reasons: list[str]) -> dict:
    probe, probe_reason = _probe_doc()
    doc = new_document(probe=probe, quick=spec["quick"], created=started)
    doc.update(status=status, measurements=measurements)
    doc.update({
        "distributed": {
            "backend": backend,
            "world_size": spec["nproc"] * spec["nnodes"],
            "nnodes": spec["nnodes"],
            "nproc_per_node": spec["nproc"],
            "node_rank": spec["node_rank"],
            "rdzv_backend": spec["rdzv_backend"],
            "rdzv_endpoint": spec["rdzv_endpoint"],
            "timeout_s": spec["timeout_s"],
            "join_timeout_s": spec["join_timeout_s"],
            "elapsed_s": round(elapsed, 3),
            "launcher": "torch.distributed.launcher.api.elastic_launch",
            "workers": workers,
            "reasons": reasons,
            "warnings": list(spec.get("warnings") or []),
            "results_file": None,
            "gathered_by_rank0": gathered,
        },
    })
    if probe_reason:
        doc["probe_reason"] = probe_reason
    if write_here:
        doc["distributed"]["results_file"] = str(_results_path(spec.get("out"), socket.gethostname(), started))
    return doc


def _job_measurements(records: list[dict]) -> list[dict]:
    """The lowest rank's measurements (collective times are already the slowest rank's), each with every rank's
    own median, and, for ddp_train at N workers, the scaling efficiency against the 1-worker run."""
    if not records:
        return []
    lead = records[0]
    key = lambda m: (m["kernel"], json.dumps({k: v for k, v in m["params"].items() if k != "model"}, sort_keys=True))
    by_rank = {r["worker"]["rank"]: {key(m): m for m in r.get("measurements", [])} for r in records}
    out = []
    for m in lead.get("measurements", []):
        m = dict(m)
        m["per_rank_median_s"] = {str(rk): (ms.get(key(m)) or {}).get("local_median_s") for rk, ms in by_rank.items()}
        out.append(m)
    for m in out:
        if m["kernel"] != "ddp_train" or m["params"]["workers"] <= 1 or m["status"] != "ok":
            continue
        one = next((o for o in out if o["kernel"] == "ddp_train" and o["params"]["workload"] == m["params"]["workload"]
                    and o["params"]["workers"] == 1 and o["status"] == "ok"), None)
        if one:
            n = m["params"]["workers"]
            m["throughput_1"] = one["value"]
            m["scaling_efficiency"] = m["value"] / (n * one["value"])
            if not one.get("valid"):
                why = "; ".join(validity.texts(one.get("invalid_reasons") or [])) or "not judged valid"
                m["valid"] = False
                m["invalid_reasons"] = [*(m.get("invalid_reasons") or []),
                                        validity.reason("baseline", f"scaling baseline invalid ({why})")]
    return out


# ------------------------------------------------------------------------------------------------ launcher side

def _launch_main(spec_path: str) -> int:
    """The launcher process: elastic_launch the workers and record how it went in ``launcher.json``."""
    from torch.distributed.elastic.multiprocessing import DefaultLogsSpecs
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    proctree.die_with_parent()  # rigbench killed outright (SIGKILL): the agent still stops its workers
    os.environ[JOB_PID_ENV] = str(os.getpid())  # the workers' machine sampler counts this tree as the job, not others
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    run_dir = Path(spec["run_dir"])
    if spec["rdzv_backend"] == "static":
        rdzv_configs = {"rank": spec["node_rank"], "timeout": spec["join_timeout_s"]}
    else:
        rdzv_configs = {"join_timeout": spec["join_timeout_s"], "last_call_timeout": 1, "close_timeout": 5}
    config = LaunchConfig(
        min_nodes=spec["nnodes"], max_nodes=spec["nnodes"], nproc_per_node=spec["nproc"], run_id=spec["run_id"],
        role="rigbench", rdzv_endpoint=spec["rdzv_endpoint"], rdzv_backend=spec["rdzv_backend"],
        rdzv_configs=rdzv_configs, max_restarts=0, monitor_interval=0.1, start_method="spawn",
        logs_specs=DefaultLogsSpecs(log_dir=str(run_dir / "logs")),
        local_addr="127.0.0.1" if spec["nnodes"] == 1 and spec["master_host"] == "127.0.0.1" else None,
    )
    result: dict[str, Any] = {"ok": False, "failures": {}, "error": None}
    rc = 1
    try:
        elastic_launch(config, _worker)(spec_path)
        result["ok"], rc = True, 0
    except ChildFailedError as exc:
        for rank, f in exc.failures.items():
            result["failures"][str(rank)] = {"exitcode": f.exitcode, "message": _text(f.message) or None,
                                             "pid": f.pid}
    except Exception as exc:  # rendezvous errors and the like: recorded, reported by rigbench
        result["error"] = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    tmp = run_dir / "launcher.json.tmp"
    tmp.write_text(json.dumps(result), encoding="utf-8")
    os.replace(tmp, run_dir / "launcher.json")
    return rc


# ------------------------------------------------------------------------------------------------ worker side

class _Record:
    """One worker's record, rewritten atomically after each change."""

    def __init__(self, run_dir: Path, worker: dict):
        self.path = run_dir / f"rank-{worker['rank']}.json"
        self.doc = {"worker": worker, "status": "running", "stage": "init", "error": None, "measurements": []}
        self.flush()

    def flush(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.doc, default=str), encoding="utf-8")
        os.replace(tmp, self.path)


def _gpu_facts(torch, index: int) -> dict:
    props = torch.cuda.get_device_properties(index)
    uuid_ = getattr(props, "uuid", None)
    return {"gpu_name": props.name, "gpu_uuid": f"GPU-{uuid_}" if uuid_ is not None else None,
            "gpu_memory_bytes": int(props.total_memory)}


def _worker(spec_path: str) -> None:
    """One worker: probe summary, kernels, gather on rank 0."""
    proctree.die_with_parent()  # an agent that dies without stopping its workers (SIGKILL) still takes them along
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    run_dir = Path(spec["run_dir"])
    rank, local_rank = int(os.environ["RANK"]), int(os.environ["LOCAL_RANK"])
    world, local_world = int(os.environ["WORLD_SIZE"]), int(os.environ["LOCAL_WORLD_SIZE"])
    (run_dir / f"pid-{rank}").write_text(str(os.getpid()))
    import torch
    import torch.distributed as dist

    use_cuda = torch.cuda.is_available() and torch.cuda.device_count() > local_rank
    device = f"cuda:{local_rank}" if use_cuda else "cpu"
    backend = "nccl" if use_cuda else "gloo"
    cores = _usable_cores()
    if not use_cuda:
        torch.set_num_threads(max(1, cores // local_world))  # the node's usable cores shared by its workers
    worker = {"rank": rank, "local_rank": local_rank, "node_rank": int(os.environ.get("GROUP_RANK", 0)),
              "host": socket.gethostname(), "pid": os.getpid(), "device": device, "backend": backend,
              "gpu_name": None, "gpu_uuid": None, "torch": torch.__version__, "threads": torch.get_num_threads(),
              "usable_cores": cores}
    if use_cuda:
        torch.cuda.set_device(local_rank)
        worker.update(_gpu_facts(torch, local_rank))
    rec = _Record(run_dir, worker)

    rec.doc["conditions_start"] = {**cpu_state(), "heap": heap.keep_freed_memory()}
    kwargs = {"device_id": torch.device(device)} if use_cuda else {}
    fault = spec.get("fault") or {}
    try:
        rec.doc["stage"] = "init_process_group"
        dist.init_process_group(backend, timeout=timedelta(seconds=spec["timeout_s"]), **kwargs)
        if backend == "nccl":
            worker["nccl_version"] = ".".join(map(str, torch.cuda.nccl.version()))
        for name in spec["kernels"]:
            rec.doc["stage"] = name
            rec.flush()
            if fault.get("rank") == rank and fault.get("before") == name:
                if fault.get("kind") == "hang":
                    (run_dir / "hung").write_text(str(rank))
                    time.sleep(10 ** 6)
                os._exit(int(fault.get("exitcode", 3)))
            _run_kernel(name, spec, rec, device, rank, world)
        rec.doc["status"], rec.doc["stage"] = "done", "gather"
        rec.doc["conditions_end"] = cpu_state()
    except Exception as exc:
        rec.doc["status"] = "failed"
        rec.doc["error"] = f"{type(exc).__name__}: {exc}"
        rec.doc["traceback"] = traceback.format_exc()[-2000:]
        rec.flush()
        raise
    rec.flush()
    gathered = [None] * world if rank == 0 else None
    dist.gather_object(rec.doc, gathered, dst=0)
    if rank == 0:
        tmp = run_dir / "gathered.json.tmp"
        tmp.write_text(json.dumps(gathered, default=str), encoding="utf-8")
        os.replace(tmp, run_dir / "gathered.json")
    dist.destroy_process_group()


def _usable_cores() -> int:
    """The cores this process may use, as the probe counts them (logical CPUs, affinity mask, cgroup quota)."""
    try:
        n = limits.usable_cores(os.cpu_count(), limits.affinity_size(), limits.cpu_quota()["cpu_quota_cores"])
    except Exception:  # noqa: BLE001 - a probe that cannot read limits: the OS's count
        n = None
    return int(n or os.cpu_count() or 1)


def _sync_fn(device: str) -> Callable[[], None]:
    import torch

    if device.startswith("cuda"):
        return torch.cuda.synchronize
    return lambda: None


def _barrier(device: str) -> None:
    import torch.distributed as dist

    if device.startswith("cuda"):
        dist.barrier(device_ids=[int(device.split(":")[1])])
    else:
        dist.barrier()


def _max_over_ranks(values: list[float], device: str, op: str = "MAX") -> list[float]:
    import torch
    import torch.distributed as dist

    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
    return t.tolist()


def _time_calls(prep, device: str, quick: bool, collective: bool) -> tuple[list[float], list[float], int]:
    """(local per-call times, job per-call times, calls per sample). ``collective``: every rank calls; a sample's
    time is the slowest rank's. A sample is ``inner`` back-to-back calls lasting at least the runner's minimum
    sample time; the sample count is the runner's minimum or more (up to its maximum, to fill ``min_total_s``)."""

    settings = Settings.for_mode(quick)
    sync = _sync_fn(device)

    def sample(inner: int) -> float:
        prep.reset()
        sync()
        if collective:
            _barrier(device)
        t0 = time.perf_counter()
        for _ in range(inner):
            prep.run()
        sync()
        return time.perf_counter() - t0

    for _ in range(2):  # warm-up: first-call costs (connections, allocator, kernels)
        sample(1)
    first = min(sample(1) for _ in range(3))  # the fastest of 3 calls: one slow call must not leave inner at 1
    if collective:  # the same calls on every rank: the fastest rank's time, so every rank agrees on inner
        first = _max_over_ranks([first], device, "MIN")[0]
    inner = int(min(_MAX_INNER, max(1, math.ceil(1.2 * settings.min_sample_s / max(first, 1e-9)))))
    reps = int(min(settings.max_samples,
                   max(settings.min_samples, math.ceil(settings.min_total_s / max(first * inner, 1e-9)))))
    local = [sample(inner) / inner for _ in range(reps)]
    job = _max_over_ranks(local, device) if collective else list(local)
    return local, job, inner


def _job_cpu_s() -> float | None:
    """CPU seconds of this job on this machine: the launcher, its agent and every rank (not "other programs")."""
    return tree_cpu_s(int(os.environ.get(JOB_PID_ENV) or os.getpid()))


def _measurement(kernel, device: str, dtype: str, params: dict, local: list[float], job: list[float],
                 info: dict, rank: int, inner: int = 1, cond: dict | None = None,
                 machine: dict | None = None) -> dict:
    job_m, local_m = Measurement(samples_s=job, inner=inner), Measurement(samples_s=local, inner=inner)
    median = job_m.median_s
    t = job_m.to_dict()
    t.pop("samples_s", None)
    m = empty_measurement(kernel.name, device, dtype, params, kernel.metric, kernel.unit)
    m.update(median_s=median, iqr_s=job_m.iqr_s, min_s=job_m.min_s, max_s=job_m.max_s, repeats=job_m.repeats,
             inner=inner, value=kernel.value(params, median), flops=kernel.flops(params),
             bytes=kernel.bytes_moved(params), items=kernel.items(params), status="ok", valid=True, info=info,
             timing=t, local_median_s=local_m.median_s, rank=rank, samples_s=list(job), conditions=cond or {})
    m["label"] = kernel.label(params)
    m["peak"], m["fraction_of_peak"], m["peak_source"] = peaks_mod.fraction(
        {}, kernel.peak_key(dtype, params), m["value"], m["unit"])
    if kernel.name == "allreduce":
        algbw, busbw = busbw_from_time(params["size_bytes"], params["world_size"], median)
        m.update(algbw_gbps=algbw, busbw_gbps=busbw, latency_us=median * 1e6)
    # the machine during the timed calls (steal, other programs' CPU time) is judged for CPU figures, as in the
    # single-machine runner; there is no reference workload between rounds here, so no drift
    m["machine"] = machine or {}
    reasons = validity.judge(spread=job_m.spread, sample_s=job_m.sample_s,
                             machine=machine if device == "cpu" else None)
    m["valid"], m["invalid_reasons"] = not reasons, reasons
    return m


def _failed(kernel, device, dtype, params, rank, status, reason) -> dict:
    m = empty_measurement(kernel.name, device, dtype, params, kernel.metric, kernel.unit)
    m.update(status=status, reason=reason, valid=False,
             invalid_reasons=[validity.reason("wrong_result", reason)] if status == "failed" else [],
             repeats=0, local_median_s=None, rank=rank)
    try:
        m["label"] = kernel.label(params)
    except Exception:  # noqa: BLE001 - params the kernel cannot name: no label
        pass
    return m


def _run_kernel(name: str, spec: dict, rec: _Record, device: str, rank: int, world: int) -> None:
    module = importlib.import_module(_KERNEL_MODULES[name])
    ctx = RunContext(quick=spec["quick"], extra={"world_size": world, **(spec.get("extra") or {})})
    for kernel in module.DISTRIBUTED_KERNELS:
        dtype = kernel.dtypes[0]
        for params in kernel.cases(device, dtype, ctx):
            alone = params.get("workers", world) == 1 and world > 1  # ddp_train's 1-worker baseline
            if alone and rank != 0:
                _barrier(device)
                continue
            rec.doc["stage"] = f"{name} {json.dumps(params, sort_keys=True)}"
            rec.flush()
            try:
                before = cpu_state()
                prep = kernel.prepare(device, dtype, params, ctx)
                try:
                    sampler = MachineSampler(own=_job_cpu_s)
                    with sampler.window():
                        local, job, inner = _time_calls(prep, device, spec["quick"], collective=not alone)
                    after = cpu_state()
                    prep.verify()
                    m = _measurement(kernel, device, dtype, params, local, job, dict(prep.info), rank, inner,
                                     {"cpu_before": before, "cpu_after": after}, sampler.result())
                finally:
                    prep.close()
            except KernelSkip as exc:
                m = _failed(kernel, device, dtype, params, rank, "skipped", str(exc))
            except KernelFault as exc:
                m = _failed(kernel, device, dtype, params, rank, "failed", str(exc))
            rec.doc["measurements"].append(m)
            rec.flush()
            if alone:
                _barrier(device)
