"""Stopping cleanly: SIGTERM and SIGHUP are handled like Ctrl-C (SIGINT).

A batch scheduler, ``timeout(1)``, ``systemctl stop`` and a closed terminal stop a process with SIGTERM or SIGHUP,
not SIGINT. rigbench treats all three the same way, as torchrun's agent and gpu-burn do: the first signal raises
:class:`Stopped` (a ``KeyboardInterrupt``) in the main thread, so every ``except KeyboardInterrupt`` that keeps a
partial results file, stops worker processes and removes scratch files runs for SIGTERM too; the command then says
what happened on one line and exits with ``128 + the signal number`` (130 for Ctrl-C, 143 for SIGTERM, 129 for
SIGHUP), the shell convention (POSIX, "Exit Status for Commands").

A second signal while that cleanup runs does not interrupt it (an exception inside the cleanup would lose the file
and print interpreter tracebacks); it asks the cleanup to hurry (process trees go straight to SIGKILL). A third
ends the process at once, without a traceback.
"""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

_received: list[int] = []
_finishing = False
_deferring = 0           # depth of deferred() blocks the main thread is in
_held: int | None = None  # the first stop signal, held back by deferred() until its block ends


class Stopped(KeyboardInterrupt):
    """A stop signal (SIGINT, SIGTERM, SIGHUP) arrived; ``signum`` says which."""

    def __init__(self, signum: int):
        super().__init__(signal_name(signum))
        self.signum = signum


def signal_name(signum: int) -> str:
    """'Ctrl-C (SIGINT)', 'SIGTERM' ..."""
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = f"signal {signum}"
    return "Ctrl-C (SIGINT)" if signum == signal.SIGINT else name


def _handler(signum, frame) -> None:
    global _held
    _received.append(signum)
    if _finishing:
        return
    if len(_received) == 1:
        if _deferring:
            _held = signum       # raised where the deferred() block ends
            return
        raise Stopped(signum)
    if len(_received) == 2:
        os.write(2, b"rigbench: stopping: saving what was measured and stopping worker processes "
                    b"(once more to quit at once)\n")
        return
    os._exit(exit_code())


def install() -> None:
    """Handle SIGINT, SIGTERM and SIGHUP as described above (main thread only; a no-op elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in STOP_SIGNALS:
        signal.signal(sig, _handler)


def finishing() -> None:
    """From here to the end of the process, stop signals change nothing: an exit in progress is not turned into
    interpreter-shutdown tracebacks, nor into a death by signal. They are ignored by the OS (``SIG_IGN``), not only
    by the handler: while the interpreter shuts down Python puts back the default action of every signal it handled
    (``_PySignal_Fini``), and a Ctrl-C after the output was complete would then end the process with 130."""
    global _finishing
    _finishing = True
    if threading.current_thread() is threading.main_thread():
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)


@contextmanager
def deferred():
    """A block a stop signal must not interrupt: the first one is held back and raised (:class:`Stopped`) when the
    block ends; a second asks to hurry and a third ends the process at once, as everywhere. For a compiler that
    calls back into Python from C: Numba's LLVM passes run Python callbacks, and a KeyboardInterrupt raised inside
    one is swallowed there and leaves the function half-built ("no compiled object yet"), so a Ctrl-C during the
    first compile of a run ended in a traceback instead of the partial results and exit 130."""
    global _deferring, _held
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
    if not _deferring and _held is not None:
        signum, _held = _held, None
        raise Stopped(signum)


def received() -> int | None:
    """The first stop signal received, or None."""
    return _received[0] if _received else None


def hurry() -> bool:
    """True once a second stop signal arrived: cleanup should not wait for grace periods."""
    return len(_received) > 1


def exit_code(signum: int | None = None) -> int:
    """128 + the signal number (130 when no signal was recorded: a KeyboardInterrupt raised some other way)."""
    signum = signum if signum is not None else received()
    return 128 + int(signum if signum is not None else signal.SIGINT)


def reason(signum: int | None = None) -> str:
    """Why a run stopped, for its results file: 'interrupted by the user (Ctrl-C)' or 'stopped by SIGTERM'."""
    signum = signum if signum is not None else received()
    if signum is None or signum == signal.SIGINT:
        return "interrupted by the user (Ctrl-C)"
    return f"stopped by {signal_name(signum)}"


def reset() -> None:
    """Forget received signals (tests that run several commands in one process)."""
    global _finishing, _deferring, _held
    _received.clear()
    _finishing = False
    _deferring, _held = 0, None
