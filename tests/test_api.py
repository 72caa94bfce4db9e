"""The package's commands as Python functions (docs/api.md runs here as a doctest)."""

from __future__ import annotations

import doctest
import json
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


def test_cost_returns_what_cost_json_prints():
    from conftest import run_cli
    from rigbench.files import dumps

    args = dict(buy=["rtx-2080-ti"], rent=["aws:p3.2xlarge", "gpu=T4"], hours_per_month=80, months=36, spot=False,
                electricity=0.2, storage_gb=100)
    printed = run_cli("cost", "--buy", "rtx-2080-ti", "--rent", "aws:p3.2xlarge", "--rent", "gpu=T4",
                      "--hours-per-month", "80", "--months", "36", "--electricity", "0.2", "--storage-gb", "100",
                      "--json")
    assert printed.code == 0, printed.stderr
    assert json.loads(dumps(rigbench.cost(**args))) == printed.json()


def test_cost_is_callable_and_still_a_package():
    from rigbench.cost import arithmetic

    assert arithmetic.hours_for_samples(7200, 1.0) == 2.0
    assert rigbench.cost.cost is not rigbench.cost and rigbench.cost.SCHEMA == "rigbench.cost/1"
