"""Speed of the whole `rigbench probe --json` process (target: median under 0.5 s on a 2-core machine).

Under the normal suite (--benchmark-disable) it runs once as a plain test; `make bench` times it.
"""

from __future__ import annotations

import subprocess
import sys


def run_probe_process():
    out = subprocess.run([sys.executable, "-m", "rigbench", "probe", "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_probe_json_process_speed(benchmark):
    stdout = benchmark.pedantic(run_probe_process, rounds=15, warmup_rounds=1) if benchmark.enabled \
        else benchmark(run_probe_process)
    assert '"schema": "rigbench.probe/1"' in stdout
