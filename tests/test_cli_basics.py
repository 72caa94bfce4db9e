"""The command-line contract shared by every command: help, version, exit codes for bad input."""

import importlib
import os
import signal

import pytest

from conftest import assert_user_error, run_cli
from rigbench import __version__, signals
from rigbench.cli import main
from rigbench.files import write_json_atomic


def test_help_lists_every_command():
    r = run_cli("--help")
    assert r.code == 0
    for name in ("probe", "bench", "recommend", "compare", "gpus", "cost"):
        assert name in r.stdout


def test_version():
    r = run_cli("--version")
    assert r.code == 0 and "rigbench" in r.stdout


def test_unknown_command_is_one_line_exit_2():
    assert_user_error(run_cli("frobnicate"), "frobnicate")


def test_unknown_option_is_one_line_exit_2():
    assert_user_error(run_cli("--no-such-option"), "no-such-option")


def test_json_files_are_written_readable_like_any_other_file(tmp_path):
    """mkstemp creates 0600 files; a results file follows the umask like a file the user saved."""
    old = os.umask(0o022)
    try:
        path = write_json_atomic(tmp_path / "r.json", {"schema": "rigbench.results/1"})
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_the_entry_point_still_runs_after_the_report_command_was_imported(capsys):
    # importing rigbench.cli.report makes it the attribute 'report' of the rigbench.cli package
    importlib.import_module("rigbench.cli.report")
    saved = {s: signal.getsignal(s) for s in signals.STOP_SIGNALS}
    try:
        with pytest.raises(SystemExit) as exc:
            main(["--version"])
    finally:
        for s, h in saved.items():
            signal.signal(s, h)
        signals.reset()
    assert exc.value.code == 0 and __version__ in capsys.readouterr().out
