"""Host arrays shared by the CPU memory-bandwidth kernels (``memcopy``, ``stream_triad``), and how they are filled.

Each of those kernels streams arrays at least four times the last-level cache (the STREAM rule), and the runner
keeps them from a case's warm-up to its last round, interleaved with every other case. Their first touch is the
slowest access a program makes, most of all in a virtual machine whose host backs guest memory only when it is
first written and takes freed pages back: there a first fill can take ten times as long as the same fill repeated,
and the two kernels' first touches were most of ``bench --quick`` (measured, docs/bench.md).

So the two share their arrays, by slot. :data:`OUTPUT` is each kernel's destination, which every timed call rewrites
whole; :data:`FIRST_INPUT` and :data:`SECOND_INPUT` are inputs, written only when a case is prepared, by
:func:`fill_first_input` and :func:`fill_second_input`, the same values at the same place whichever kernel writes
them. Sharing cannot reach a check or a figure:

* the runner verifies a case right after its own first timed calls, before any other case runs, so the output it
  checks is its own, and the inputs it checks it against are the shared values, which no kernel changes after
  preparing;
* a kernel's bandwidth does not depend on the values it streams: the triad computes on normal float64 numbers in
  [1, 2] (no subnormal, for which a CPU's arithmetic may take a slow path), and a copy moves bits without arithmetic.

A slot holds a weak reference: its array lives as long as some case holds it, and a later request no larger than it
gets a view of it instead of fresh pages. Arrays are page-aligned (NumPy takes blocks this large straight from
``mmap``).
"""

from __future__ import annotations

import weakref

import numpy as np

from rigbench import signals
from rigbench.kernels.base import njit_cached

OUTPUT, FIRST_INPUT, SECOND_INPUT = 0, 1, 2
PERIOD = 8191   # distinct values, repeated along an input: a dropped or shifted element shows in a check

_slots: dict[int, weakref.ref] = {}
_fill_fn = None


def shared(slot: int, nbytes: int) -> np.ndarray:
    """``nbytes`` of host memory (uint8) in ``slot``: a view of the array that slot already holds when it is at
    least as large, else a new array, which later requests then share."""
    held = _slots.get(slot)
    base = held() if held is not None else None
    if base is None or base.nbytes < nbytes:
        base = np.empty(nbytes, dtype=np.uint8)
        _slots[slot] = weakref.ref(base)
    return base[:nbytes]


def _fill():
    """The compiled fill, a parallel loop on the threads that stream the arrays later.

    STREAM initialises its arrays in a parallel loop so that each page is first touched by the thread that will
    stream it (McCalpin, stream.c: "so that the arrays are placed in the memory closest to the thread"); on one
    thread the first touch of three arrays four times the cache took two to three times as long as on two."""
    global _fill_fn
    if _fill_fn is None:
        from numba import prange

        @njit_cached(parallel=True)
        def fill(x, base, step):
            for i in prange(x.shape[0]):
                x[i] = base + step * ((i % PERIOD) / PERIOD)

        _fill_fn = fill
    return _fill_fn


def _run_fill(x: np.ndarray, base: float, step: float) -> None:
    with signals.deferred():   # the first call compiles, and a stop signal inside Numba's compiler is swallowed there
        _fill()(x, x.dtype.type(base), x.dtype.type(step))


def fill_first_input(x: np.ndarray) -> None:
    """``x[i] = 1 + (i mod 8191) / 8191``: in [1, 2), never zero."""
    _run_fill(x, 1.0, 1.0)


def fill_second_input(x: np.ndarray) -> None:
    """``x[i] = 2 - (i mod 8191) / 8191``: in (1, 2], so b + s * c with the first input never cancels."""
    _run_fill(x, 2.0, -1.0)


def fill_output(x: np.ndarray) -> None:
    """Zeros, written now so no page of an output is first touched inside a timed call."""
    _run_fill(x, 0.0, 0.0)


def first_input_float64(nbytes: int) -> np.ndarray:
    """The :data:`FIRST_INPUT` slot as ``nbytes`` of float64 first inputs (``nbytes`` rounded up to whole float64s),
    filled: a kernel of another element type views the same bytes as its own."""
    x = shared(FIRST_INPUT, -(-nbytes // 8) * 8).view(np.float64)
    fill_first_input(x)
    return x
