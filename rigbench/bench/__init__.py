"""The benchmark engine: timing (``timing``), the suite runner (``runner``), the results file (``schema``), device
peaks (``peaks``) and the conditions that bend a number (``conditions``).

Library use::

    from rigbench.bench import run_suite, load_results
    doc, path = run_suite(only=["gemm"], quick=True)
"""

from __future__ import annotations

from rigbench.bench.schema import SCHEMA, load_results, newest_results
from rigbench.bench.timing import Measurement, Timer


def run_suite(**kwargs):
    """See :func:`rigbench.bench.runner.run_suite`."""
    from rigbench.bench.runner import run_suite as _run

    return _run(**kwargs)


__all__ = ["SCHEMA", "Measurement", "Timer", "load_results", "newest_results", "run_suite"]
