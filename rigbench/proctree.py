"""Stopping a whole tree of processes: SIGTERM, a grace period, then SIGKILL, as torchrun's agent stops its workers.

A launcher's workers may outlive it: once it dies they are re-parented (to PID 1) and can no longer be found as
its children. So the tree is
collected before anything is signalled, then again after each round (a process may have started more meanwhile),
and every process ever seen is followed to its end. Each process gets each signal once, as torchrun's agent sends
them: a second SIGTERM would interrupt the cleanup the first one started (``rigbench.signals`` reads a second stop
signal as "hurry" and a third as "quit at once"). ``extra_pids`` adds processes known some other way (workers that
wrote their pid to a file). Linux's ``PR_SET_PDEATHSIG`` (``die_with_parent``) covers the one case no parent can
handle: the parent killed with SIGKILL.
"""

from __future__ import annotations

import ctypes
import os
import signal
import time
from typing import Callable, Iterable

import psutil

PR_SET_PDEATHSIG = 1          # linux/prctl.h


def _prctl(option: int, arg: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, arg, 0, 0, 0) == 0
    except (OSError, AttributeError):  # not Linux, or no prctl: best effort only
        return False


def die_with_parent(sig: int = signal.SIGTERM) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent dies (Linux); False where unsupported.
    Exits at once if the parent is already gone (the race prctl(2) documents)."""
    parent = os.getppid()
    ok = _prctl(PR_SET_PDEATHSIG, int(sig))
    if ok and os.getppid() != parent:
        os._exit(128 + int(sig))
    return ok


def _tree(procs: Iterable[psutil.Process]) -> dict[int, psutil.Process]:
    found: dict[int, psutil.Process] = {}
    for p in procs:
        try:
            if p.is_running():
                found[p.pid] = p
                for c in p.children(recursive=True):
                    found.setdefault(c.pid, c)
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            continue
    return found


def _process(pid: int) -> psutil.Process | None:
    try:
        return psutil.Process(pid)
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return None


def stop_tree(root_pid: int, extra_pids: Iterable[int] = (), *, grace_s: float = 5.0, kill_wait_s: float = 5.0,
              hurry: Callable[[], bool] = lambda: False, also: Callable[[int], None] | None = None) -> list[int]:
    """SIGTERM ``root_pid``, its descendants and ``extra_pids``; SIGKILL what is left after ``grace_s`` (at once when
    ``hurry()`` turns true). ``also(sig)`` is called once per signal, after the first round (to signal a process
    group too). Returns the pids still alive at the end (empty when all are gone)."""
    roots = [p for p in (_process(pid) for pid in [root_pid, *extra_pids]) if p is not None]
    seen: dict[int, psutil.Process] = {}
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, kill_wait_s)):
        deadline = time.monotonic() + wait_s
        signalled: set[int] = set()
        first_round = True
        while True:
            for pid, p in _tree([*roots, *seen.values()]).items():
                seen.setdefault(pid, p)
                if pid not in signalled:
                    signalled.add(pid)
                    _send(p, sig)
            if first_round and also is not None:
                also(sig)
            first_round = False
            alive = [p for p in seen.values() if _running(p)]
            if not alive:
                return []
            if time.monotonic() >= deadline or (sig == signal.SIGTERM and hurry()):
                break
            time.sleep(0.05)  # not psutil.wait_procs: it would reap a child whose exit status its Popen still needs
    return [p.pid for p in seen.values() if _running(p)]


def _send(p: psutil.Process, sig: int) -> None:
    try:
        p.send_signal(sig)
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        pass


def _running(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
