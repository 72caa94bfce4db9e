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


def test_a_group_named_alone_prints_its_help():
    """As plain `rigbench` does: the usage with its sub-commands on stdout, not the help folded into one error line."""
    r = run_cli("results")
    assert r.code == 0 and r.stderr == "", r.stderr
    assert r.stdout.startswith("Usage: rigbench results [OPTIONS] COMMAND") and "\n  diff " in r.stdout


def test_unknown_command_is_one_line_exit_2():
    assert_user_error(run_cli("frobnicate"), "frobnicate")


def test_unknown_option_is_one_line_exit_2():
    assert_user_error(run_cli("--no-such-option"), "no-such-option")


@pytest.mark.parametrize("args, option", [
    (("cost", "--buy", "rtx-3090", "--rent", "all", "--hours-per-month", "10", "--plot", "a.png", "--plot", "b.png"),
     "--plot"),
    (("cost", "--buy", "rtx-3090", "--rent", "all", "--hours-per-month", "10", "--months=5", "--months", "6"),
     "--months"),
    (("bench", "--only", "gemm", "--out", "a.json", "--out", "b.json"), "--out"),
    (("results", "diff", "a.json", "b.json", "--fail-above", "5", "--fail-above", "6"), "--fail-above"),
])
def test_an_option_of_one_value_given_twice_is_refused(args, option, tmp_path):
    """Click keeps the last of a repeated option without a word; a script that sets one twice has a mistake in it.
    Nothing runs and nothing is written."""
    got = run_cli(*args, cwd=tmp_path)
    assert_user_error(got, f"{option} is given 2 times: give it once")
    assert list(tmp_path.iterdir()) == []


def test_options_that_collect_values_and_flags_may_repeat():
    got = run_cli("compare", "rtx-3090", "rtx-4090", "--price", "rtx-3090=900", "--price", "rtx-4090=1500")
    assert got.code == 0, got.stderr
    got = run_cli("gpus", "--json", "--json")
    assert got.code == 0 and got.stdout.lstrip().startswith("{"), got.stderr


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
