"""Shared test helpers: run the CLI in-process or as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


def run_cli(*args: str, env: dict | None = None, cwd: str | os.PathLike | None = None, timeout: float = 600,
            input: str | None = None) -> CliResult:
    """Run ``rigbench ARGS`` as a new process, as a user would (python -m rigbench, same interpreter)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "rigbench", *args], capture_output=True, text=True, env=full_env,
                          cwd=cwd, timeout=timeout, input=input)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli():
    return run_cli


def assert_user_error(result: CliResult, *fragments: str) -> None:
    """Bad input: exit code 2, one line on stderr, no traceback, nothing on stdout."""
    assert result.code == 2, (result.code, result.stdout, result.stderr)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for frag in fragments:
        assert frag.lower() in lines[0].lower(), (frag, lines[0])


@pytest.fixture(autouse=True)
def _own_data_folder(tmp_path_factory, monkeypatch):
    """Runs without --out go to the per-user data folder (platformdirs honours XDG_DATA_HOME): in the tests, a
    temporary one, so no test reads or fills the real user's results."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
    monkeypatch.delenv("RIGBENCH_DATA_DIR", raising=False)   # it would move the folder elsewhere
