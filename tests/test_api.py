"""The package's commands as Python functions (docs/api.md runs here as a doctest)."""

from __future__ import annotations

import doctest
import subprocess
import sys
from pathlib import Path

import rigbench

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_api_page_examples_run():
    result = doctest.testfile(str(DOCS / "api.md"), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_probe_is_callable_and_still_a_package():
    from rigbench.probe import cpu

    assert rigbench.probe()["schema"] == "rigbench.probe/1"
    assert rigbench.probe.probe is not rigbench.probe and cpu.__name__ == "rigbench.probe.cpu"


def test_import_rigbench_calls_probe_without_torch():
    code = "import sys, rigbench; print(rigbench.probe()['schema'], 'torch' in sys.modules, 'numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["rigbench.probe/1", "False", "False"]
