"""The command-line contract shared by every command: help, version, exit codes for bad input."""

import configparser
import importlib
import json
import os
import signal
import subprocess
import sys
from collections import Counter

import pytest

from conftest import REPO, assert_user_error, run_cli
from rigbench import __version__, report, signals
from rigbench.cli import cli, main
from rigbench.files import write_json_atomic


def test_help_lists_every_command():
    r = run_cli("--help")
    assert r.code == 0
    for name in ("probe", "bench", "recommend", "compare", "gpus", "cost"):
        assert name in r.stdout


def _every_command():
    """(words after rigbench, click command) of every command and sub-command."""
    out = []
    for name in cli.list_commands(None):
        cmd = cli.get_command(None, name)
        out.append(((name,), cmd))
        for sub in getattr(cmd, "commands", {}):
            out.append(((name, sub), cmd.commands[sub]))
    return out


@pytest.mark.parametrize("words", [w for w, _ in _every_command()], ids=" ".join)
def test_every_help_has_examples_of_that_command(words):
    # `results list --help` and `prices --help` had none, where the other commands' help shows some
    r = run_cli(*words, "--help")
    assert r.code == 0, r.stderr
    text = r.stdout.split("Examples:", 1)
    assert len(text) == 2, r.stdout
    block = text[1].split("\n\n", 1)[0]             # the indented lines up to the first blank one
    example = [ln.strip() for ln in block.splitlines() if ln.strip().startswith("rigbench ")]
    assert example and all(ln.startswith("rigbench " + words[0]) for ln in example), text[1]
    assert any(ln.startswith("rigbench " + " ".join(words)) for ln in example), text[1]


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


@pytest.mark.parametrize("args, line", [
    (("recommend", "--prices", "x"), "No such option '--prices' (did you mean '--profile' or '--strict'?); "
                                     "see 'rigbench recommend --help'"),
    (("gpus", "--jsn"), "No such option '--jsn' (did you mean '--json'?); see 'rigbench gpus --help'"),
    (("results", "list", "--jsn"), "No such option '--jsn' (did you mean '--json'?); see 'rigbench results list --help'"),
    (("probe", "--zzzz"), "No such option '--zzzz'; see 'rigbench probe --help'"),
    # click's parser raises a missing value without the command: the line still names the command's --help
    (("cost", "--list", "--prices"), "Option '--prices' requires an argument; see 'rigbench cost --help'"),
    (("recommend", "--profile"), "Option '--profile' requires an argument; see 'rigbench recommend --help'"),
])
def test_a_usage_error_is_one_worded_line_pointing_at_the_commands_help(args, line):
    r = run_cli(*args)
    assert_user_error(r, line)
    assert r.stderr.strip() == f"rigbench: error: {line}"


@pytest.mark.parametrize("args, fragment", [
    # click's parser raises "requires an argument" with no command, and the pointer was 'rigbench --help'
    (("cost", "--list", "--prices"), "Option '--prices' requires an argument; see 'rigbench cost --help'"),
    (("prices", "refresh", "--from"), "Option '--from' requires an argument; see 'rigbench prices refresh --help'"),
    # a name cut short is not close enough for click's suggestion: the options it begins are offered
    (("cost", "--hours", "5"),
     "No such option '--hours' (did you mean '--hours-per-month'?); see 'rigbench cost --help'"),
    # several close names: one hint, one form (it read "'--onl'. (Did you mean one of: ...)?)")
    (("bench", "--onl", "gemm"),
     "No such option '--onl' (did you mean '--json', '--only' or '--rounds'?); see 'rigbench bench --help'"),
])
def test_a_usage_error_points_at_its_own_commands_help(args, fragment):
    assert_user_error(run_cli(*args), fragment)


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


_LATE_CTRL_C = """
import os, signal, sys, time

class Late:
    # a global of __main__: deleted while the interpreter shuts down, after Python has put back the default action
    # of the signals it handled; the names it needs are bound now, before the module's globals are cleared
    def __del__(self, kill=os.kill, pid=os.getpid(), sig=int(sys.argv[1]), sleep=time.sleep):
        kill(pid, sig)
        sleep(0.3)

holder = Late()
from rigbench.cli import cli, main
main(["gpus", "--json"])
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_after_the_output_is_complete_changes_nothing(tmp_path, sig):
    # the whole document was printed, then Ctrl-C while the interpreter shut down: the process died of the signal
    # (exit 130 in a shell, nothing said) although the command had done everything
    script = tmp_path / "late.py"
    script.write_text(_LATE_CTRL_C)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, str(script), str(int(sig))], capture_output=True, text=True, timeout=120,
                          env=env)
    assert proc.returncode == 0, (proc.returncode, proc.stderr)
    assert proc.stderr == "" and json.loads(proc.stdout)["schema"].startswith("rigbench.gpus/")


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


# ---------------------------------------------------------------------------------------------- narrow terminals


def test_a_path_on_one_line_shows_its_newline_and_tab_as_escapes():
    # a newline in a path split its table cell over two rows, and a one-line message over two lines
    assert report.one_line("/tmp/a\nb\tc\x1bd.json") == "/tmp/a\\nb\\tc\\x1bd.json"
    assert report.literal("two\nlines") == "two\nlines"      # text that is meant to be on two lines stays so


def test_a_stacked_value_that_does_not_fit_beside_its_label_goes_whole_under_it():
    # at 20 columns a value was wrapped at the width, inside itself: "1,00" then "8"
    t = report.table("T", ["", "FP32 TFLOP/s", "GB/s", "memory", "GPU"],
                     [("rtx-4090", "82.6", "1,008", "24 GB GDDR6X", "tesla-v100-sxm2-16gb-xxl")])
    # labels pad to 2 + 12 ("FP32 TFLOP/s") + 2 = 16 columns: 16 + 4 ("82.6") fits 20, 16 + 5 ("1,008") does not
    assert report.stacked(t, 20) == ["T", "rtx-4090", "  FP32 TFLOP/s: 82.6", "  GB/s:", "    1,008", "  memory:",
                                     "    24 GB GDDR6X", "  GPU:", "    tesla-v100-sxm2-16gb-xxl"]


def _printed(args, columns) -> str:
    r = run_cli(*args, env={"COLUMNS": str(columns)})
    assert r.code == 0, r.stderr
    return r.stdout


@pytest.mark.parametrize("columns", [20, 24])
@pytest.mark.parametrize("args, whole", [
    (("gpus", "rtx-4090"), ["1,008", "$1,599"]),
    (("compare", "gtx-1080-ti", "2x rtx-2080-ti"), ["11.3", "1,998", "13.4"])])
def test_no_word_of_a_table_is_cut_at_a_narrow_width(columns, args, whole):
    # COLUMNS=20 split about 30 values in two ('1,00' / '8', '$1,5' / '99', '11' / '.3', '1,' / '998')
    narrow = _printed(args, columns)
    wide = set(_printed(args, 400).split())
    assert [w for w in narrow.split() if w not in wide and not w.endswith(":")] == []
    for value in whole:
        assert any(line.endswith(f" {value}") for line in narrow.splitlines()), value


REF = str(REPO / "results" / "reference" / "vm-amd-epyc-2vcpu-20261202T170550Z.json")


def _tables(monkeypatch, capsys, columns: int, *args) -> tuple[str, list]:
    """A command's output at a width, run in this process (141 widths a command), and what it handed to
    report.show."""
    monkeypatch.setenv("COLUMNS", str(columns))
    caught = []
    show = report.show
    monkeypatch.setattr(report, "show", lambda *items: (caught.extend(items), show(*items)))
    capsys.readouterr()
    cli.main(args=list(args), prog_name="rigbench", standalone_mode=False)
    monkeypatch.setattr(report, "show", show)
    return capsys.readouterr().out, caught


def _words(items, first_header: bool = True) -> Counter:
    """The words a command handed to report.show: the cells, headers (the first's only if ``first_header``: a
    stacked table does not repeat it), title and caption of each table, and the text between them."""
    words = Counter()
    for item in items:
        if hasattr(item, "rigbench_cells"):
            columns, rows, title, caption = item.rigbench_cells
            for text in [*columns[0 if first_header else 1:], *(c for row in rows for c in row), title or "",
                         caption or ""]:
                words.update(report.literal(text).split())
        else:
            words.update(report.literal(item).split())
    return words


@pytest.mark.parametrize("args", [("gpus",), ("prices", "list"), ("results", "show", REF),
                                  ("compare", "gtx-1080-ti", "rtx-4090", "2x rtx-2080-ti")])
def test_no_word_of_a_real_table_is_cut_or_lost_at_any_width_from_60_to_200(monkeypatch, capsys, args):
    # rich's own layout came out wider than the terminal at some widths (gpus at 108-109, prices list at 120-122):
    # the end of each line was cropped ('$1,59', '2026-01-2', a caption's word gone)
    wide = set(_tables(monkeypatch, capsys, 1000, *args)[0].split())    # and the lines printed beside the tables
    for columns in range(60, 201):
        narrow, items = _tables(monkeypatch, capsys, columns, *args)
        shown = wide | set(_words(items))
        words = [w for w in narrow.split() if set(w) != {"\u2501"}]     # the rule under the header
        assert [w for w in words if w not in shown and w.rstrip(":") not in shown] == [], columns
        # and none is lost; a stacked table's labels end in ':' ("launch:"), as a caption's words may ("+-:")
        printed = Counter([*words, *(w[:-1] for w in words if w.endswith(":"))])
        assert not _words(items, first_header=False) - printed, columns
        # nothing runs past the width but a word too long to share a line (a path)
        assert all(len(line) <= columns or len(line.split()[-1]) > columns // 2 for line in narrow.splitlines()), \
            columns


def test_gpus_says_which_card_a_short_name_at_a_power_limit_took(cli):
    r = cli("gpus", "a100@300W")
    assert r.code == 0, r.stderr
    assert "rigbench: note: 'a100@300W' names 4 cards: took a100-sxm4-40gb@300W" in r.stderr
    assert "a100-sxm4-40gb@300W" in r.stdout


# A Ctrl-C that lands while the command line is still loading. The child stops itself with SIGINT at the moment a
# given module starts to load (an import hook), so the test places the signal in each phase whatever the machine's
# speed; the process is started as `python -m rigbench` does it, or through the console script's function.
_CTRL_C_WHILE_LOADING = """
import os, signal, sys

class CtrlC:
    def find_spec(self, name, path=None, target=None, at=sys.argv[1]):
        if name == at:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, CtrlC())
how, sys.argv = sys.argv[2], ["rigbench", *sys.argv[3:]]
if how == "-m":
    import runpy
    runpy.run_module("rigbench", run_name="__main__", alter_sys=True)
else:                                   # what the console script rigbench = rigbench.__main__:main runs
    from rigbench.__main__ import main
    sys.exit(main())
"""


@pytest.mark.parametrize("how", ["-m", "console-script"])
@pytest.mark.parametrize("module", ["click", "rich.console", "rigbench.signals", "rigbench.report", "rigbench.cli",
                                    "rigbench.cli.gpus", "rigbench.catalog"])
def test_ctrl_c_while_the_command_line_loads_says_one_line_and_exits_130(how, module):
    # it printed a KeyboardInterrupt traceback out of whatever import it landed in, before main() had started
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-c", _CTRL_C_WHILE_LOADING, module, how, "gpus"], capture_output=True,
                          text=True, timeout=120, env=env)
    assert "Traceback" not in proc.stderr
    assert (proc.returncode, proc.stderr) == (130, f"rigbench: {signals.reason(signal.SIGINT)}\n")
    assert proc.stdout == ""


def test_the_console_script_is_the_entry_module_s_main():
    # rigbench.cli:main would load the command line before any handler is in place
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    scripts = [ln.strip() for ln in cfg.get("options.entry_points", "console_scripts").splitlines() if ln.strip()]
    assert scripts == ["rigbench = rigbench.__main__:main"]
