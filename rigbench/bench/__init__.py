"""The benchmark engine: timing (``timing``), the suite runner (``runner``), validity (``validity``), the results
file's writer side (``schema``; its reader is :mod:`rigbench.results`), device peaks (``peaks``) and the conditions
that bend a number (``conditions``).

Library use::

    import rigbench
    doc = rigbench.bench(only=["gemm"], quick=True)       # as `rigbench bench --quick --only gemm --json`

    from rigbench.bench import run_suite
    from rigbench import results
    doc, path = run_suite(only=["gemm"], quick=True)    # the document and the file it was written to
    results.load(path).ok(kernel="gemm", device="cpu")  # its valid figures only
"""

from __future__ import annotations

from rigbench.api import callable_module
from rigbench.bench.runner import run_suite
from rigbench.bench.schema import SCHEMA, load_results, newest_results
from rigbench.bench.timing import Measurement, Timer


def bench(**kwargs) -> dict:
    """Run the suite as ``rigbench bench`` does and return its results document (the file is written as well).

    Keyword arguments are those of :func:`rigbench.bench.runner.run_suite` (``only``, ``device``, ``quick``,
    ``data_dir``, ``out`` ...).
    """
    doc, _path = run_suite(**kwargs)
    return doc


# ``rigbench.bench(...)`` is :func:`bench`.
callable_module(__name__, bench)

__all__ = ["SCHEMA", "bench", "Measurement", "Timer", "load_results", "newest_results", "run_suite"]
