"""The ``rigbench`` command line: parsing, calling the library, rendering. No computing here.

Each sub-command lives in its own module (``rigbench/cli/probe.py`` holds ``rigbench probe``) and is imported only
when it runs, so ``rigbench probe`` never pays for torch, numba or pandas.

Exit codes: 0 success; 1 a check failed under ``--strict``, or a run failed on the way; 2 bad input, with one line
on stderr; 128 + N when stopped by signal N (SIGINT, SIGTERM, SIGHUP: see ``rigbench.signals``).
"""

from __future__ import annotations

import errno
import functools
import importlib
import os
import signal
import sys
import traceback

import click

from rigbench import __version__, signals, units
from rigbench.errors import CheckFailed, RunFailed, UserError
# By name: importing the report command (rigbench.cli.report) sets the attribute 'report' of this package, which
# would replace a module imported here as 'report'.
from rigbench.report import echo, setup_streams

# name -> (module, one-line help). The help is here so `rigbench --help` needs no imports.
COMMANDS = {
    "probe": ("rigbench.cli.probe", "What this machine has: CPU, memory, disks, NVIDIA GPUs, software."),
    "bench": ("rigbench.cli.bench", "Measure how fast this machine trains (kernels, bandwidth, training steps)."),
    "recommend": ("rigbench.cli.recommend", "Check a machine, a results file or a planned build against the guidelines."),
    "compare": ("rigbench.cli.compare", "Compare GPUs (catalog names or results files) on training workloads."),
    "gpus": ("rigbench.cli.gpus", "List the GPU catalog, filtered by architecture, memory or price."),
    "cost": ("rigbench.cli.cost", "Buy a rig or rent the cloud? Total cost, cost per unit of work, break-even."),
    "results": ("rigbench.cli.results", "Saved runs: list them, show one again, diff them (--fail-above for CI)."),
    "prices": ("rigbench.cli.prices", "The cloud price list cost and recommend use: list it, refresh it."),
    "report": ("rigbench.cli.report", "One HTML page about a run: figures, references, predictions, verdicts, cost."),
    "size": ("rigbench.cli.size", "Will my model fit, how long will it train, what will it cost, on every card and cloud."),
}


class Bounded(click.ParamType):
    """A number option with bounds, read by ``rigbench.units.parse_number``: finite, within [lo, hi] (above ``lo``
    with ``lo_open``), whole with ``integer``. ``--help`` shows the range."""

    def __init__(self, lo: float | None = None, hi: float | None = None, *, integer: bool = False,
                 lo_open: bool = False, example: str = ""):
        self.lo, self.hi, self.integer, self.lo_open, self.example = lo, hi, integer, lo_open, example
        self.name = "integer" if integer else "float"

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = repr(value)
        what = param.opts[-1] if param is not None and param.opts else "value"
        return units.parse_number(value, what=what, lo=self.lo, hi=self.hi, integer=self.integer,
                                  lo_open=self.lo_open, example=self.example)


def _refusing_empty(command: click.Command) -> click.Command:
    """Every option or argument given as an empty string (``--out ''``, ``--spec ''``) is refused with one line:
    an empty value is a script's unset variable, never a choice, and must not silently mean "not given". The
    sub-commands of a group (``rigbench results show``, ``rigbench prices refresh``) too."""
    if getattr(command, "_refuses_empty", False):
        return command
    for sub in getattr(command, "commands", {}).values():
        _refusing_empty(sub)
    if command.callback is None:
        return command
    labels = {}
    required = {p.name for p in command.params if p.required}
    for p in command.params:
        if isinstance(p, click.Option):
            labels[p.name] = next((o for o in p.opts if o.startswith("--")), p.opts[0])
        elif isinstance(p, click.Argument):
            labels[p.name] = p.human_readable_name.upper()
    inner = command.callback

    @functools.wraps(inner)
    def callback(*args, **kwargs):
        for name, value in kwargs.items():
            values = value if isinstance(value, (tuple, list)) else (value,)
            if any(isinstance(v, str) and not v.strip() for v in values):
                # a required argument cannot be left out: saying so would send the user in a circle
                raise UserError(f"{labels.get(name, name)} is empty: give a value" +
                                ("" if name in required else " or leave it out"))
        return inner(*args, **kwargs)

    command.callback = callback
    command._refuses_empty = True
    return command


def _refusing_repeats(command: click.Command) -> click.Command:
    """An option that takes one value, given twice (``--out a.json --out b.json``), is refused with one line: click
    would keep the last without a word, and a script that sets an option twice has a mistake in it. Options that
    collect values (``--price``, ``--only``) and on/off flags are not affected. Sub-commands of a group too."""
    if getattr(command, "_refuses_repeats", False):
        return command
    for sub in getattr(command, "commands", {}).values():
        _refusing_repeats(sub)
    single = {p.name: next((o for o in p.opts if o.startswith("--")), p.opts[0]) for p in command.params
              if isinstance(p, click.Option) and not p.multiple and not p.count and not p.is_flag}
    parse = command.parse_args

    def parse_args(ctx, args):
        if single:
            try:
                _, _, order = command.make_parser(ctx).parse_args(args=list(args))
            except click.UsageError:
                order = []          # the real parse below reports it, as click words it
            seen: dict[str, int] = {}
            for param in order:
                if param.name in single:
                    seen[param.name] = seen.get(param.name, 0) + 1
            twice = [name for name, n in seen.items() if n > 1]
            if twice:
                raise UserError(f"{single[twice[0]]} is given {seen[twice[0]]} times: give it once (only the last "
                                "would count)")
        try:
            return parse(ctx, args)
        except click.UsageError as exc:
            # click's option parser raises some errors (an option missing its value) without the command's context;
            # with it the error line points at this command's --help, not the top level's
            if exc.ctx is None:
                exc.ctx = ctx
            raise

    command.parse_args = parse_args
    command._refuses_repeats = True
    return command


class LazyGroup(click.Group):
    """A group whose sub-commands are imported on first use."""

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module = importlib.import_module(COMMANDS[name][0])
        return _refusing_repeats(_refusing_empty(getattr(module, "command")))

    def format_commands(self, ctx, formatter):
        rows = [(name, help_) for name, (_, help_) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="rigbench")
def cli():
    """rigbench sizes and benchmarks machine-learning hardware.

    \b
    Start with:
      rigbench probe                         what this machine really has
      rigbench bench --quick                 how fast it trains (under 30 s on a small machine)
      rigbench recommend                     does it meet the laptop/desktop/cloud guidelines?
      rigbench compare gtx-1080-ti rtx-2080-ti   which card is faster, and by how much
      rigbench cost --buy rtx-2080-ti --rent all --hours-per-month 80   buy or rent?

    Every command takes --json for machine-readable output on stdout.
    """


def fail(message: str, code: int = 2) -> None:
    """One line on stderr, then exit."""
    message = " ".join(str(message).split())  # one line, whatever the message held
    echo(f"rigbench: error: {message}", err=True)
    _exit(code)


def _exit(code: int) -> None:
    """Exit with ``code``; a stop signal arriving from here on changes nothing and prints nothing."""
    signals.finishing()
    if not _flush_quietly() and code == 0:
        code = 2
    sys.exit(code)


def _flush_quietly() -> bool:
    """Flush stdout; a reader that went away (``rigbench ... | head``) is not an error worth a message. False when
    the output could not be written (a full disk, /dev/full), which is said in one line: it is lost."""
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        _stdout_to_devnull()
    except OSError as exc:
        _stdout_to_devnull()
        echo(f"rigbench: error: cannot write to standard output: {exc.strerror or exc}", err=True)
        return False
    return True


def _stdout_to_devnull() -> None:
    # Python flushes stdout again at exit: point it at /dev/null so that flush cannot fail (Python docs,
    # "Note on SIGPIPE" in the signal module).
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _no_such_option(exc: click.exceptions.NoSuchOption) -> str:
    """"No such option '--hours' (did you mean '--hours-per-month'?)": the hint once, in one form. click's close
    names (difflib, similarity 0.6 or more) miss a name cut short, so without them the command's options that begin
    with the name given are offered."""
    cmd = exc.ctx.command_path if exc.ctx else "rigbench"
    names = sorted(exc.possibilities or [])
    if not names and exc.ctx is not None and len(exc.option_name) > 3:
        names = sorted(o for p in exc.ctx.command.params for o in p.opts
                       if o.startswith("--") and o.startswith(exc.option_name))
    said = [repr(n) for n in names[:3]]
    hint = f" (did you mean {', '.join(said[:-1]) + ' or ' if len(said) > 1 else ''}{said[-1]}?)" if said else ""
    return f"{exc.message.rstrip('.')}{hint}; see '{cmd} --help'"


_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}
# `rigbench results` with no sub-command: click 8.1 printed the group's help and exited 0; 8.2 raises this instead,
# whose message is the whole help, which one error line would flatten into a paragraph
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: maps errors to exit codes, never a traceback for user error.

    Exit codes: 0 success; 1 a check failed where the user asked for strictness (``--strict``), or a run failed on
    the way (a failed distributed run, a results file that could not be written); 2 bad input; 128 + N stopped by
    signal N (130 Ctrl-C, 129 SIGHUP, 143 SIGTERM), 141 the output pipe was closed (as if by SIGPIPE, quietly).
    """
    signals.install()
    if "stdout" in setup_streams():
        # refused before any work: a command that wrote its file or replaced a price list and then lost its output
        # would have done its work and still answered "error", and a person could not tell which
        fail("cannot write the output: standard output is closed; nothing was done (redirect it to a file, or to "
             "/dev/null to drop it)")
    args = sys.argv[1:] if argv is None else list(argv)
    rv = 0
    try:
        # click's own main() is not used: it turns a closed output pipe into exit code 1, the code of a failed
        # --strict check; here a closed pipe is 141, as if SIGPIPE had ended the process, and nothing is printed.
        if not args:  # plain `rigbench`: the usage, not an error line
            echo(cli.get_help(click.Context(cli, info_name="rigbench", **cli.context_settings)))
        else:
            try:
                with cli.make_context("rigbench", args) as ctx:
                    rv = cli.invoke(ctx)
            except _NO_ARGS_IS_HELP as exc:  # a group named alone: its help, as plain `rigbench` prints its own
                echo(exc.ctx.get_help())
    except (UserError, RunFailed) as exc:
        fail(str(exc), exc.exit_code)
    except CheckFailed as exc:
        if str(exc):
            echo(f"rigbench: {exc}", err=True)
        _exit(exc.exit_code)
    except click.exceptions.NoSuchOption as exc:
        fail(_no_such_option(exc))
    except click.ClickException as exc:
        cmd = exc.ctx.command_path if getattr(exc, "ctx", None) else "rigbench"
        fail(f"{exc.format_message().rstrip('.')}; see '{cmd} --help'", exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):  # click turns KeyboardInterrupt into Abort
        signals.finishing()
        echo(f"rigbench: {signals.reason()}", err=True)
        _exit(signals.exit_code())
    except click.exceptions.Exit as exc:
        _exit(exc.exit_code)
    except BrokenPipeError:
        signals.finishing()
        _stdout_to_devnull()
        _exit(128 + signal.SIGPIPE)
    except OSError as exc:
        # Only a path typed by a person can be longer than Linux allows (255 bytes a name, 4096 a path): checks like
        # Path.is_dir() raise that instead of answering False, wherever a path is looked at.
        if exc.errno == errno.ENAMETOOLONG:
            name = str(exc.filename or "")
            shown = name if len(name) <= 80 else f"{name[:60]}... ({len(name):,} characters)"
            fail(f"the path {shown!r} is too long for a file name: Linux allows 255 bytes a name and 4,096 a path")
        # Files rigbench writes say their own errors (rigbench.files); what is left of these is the output itself
        # (stdout to a full disk or /dev/full). Any other OSError is a bug, and keeps its traceback.
        if exc.errno not in _OUTPUT_ERRNOS:
            raise
        _stdout_to_devnull()
        fail(f"cannot write the output: {exc.strerror or exc}")
    except RecursionError:  # input nested too deeply for some parser below: bad input, not a crash
        fail("the input nests too deeply to be read; check the file or value given")
    except Exception as exc:  # noqa: BLE001 - re-raised below unless torch itself failed to import
        if not _torch_failed_to_import(exc):
            raise
        first = next((ln.strip() for ln in str(exc).splitlines() if ln.strip()), type(exc).__name__)
        fail(f"torch cannot be imported in this environment ({type(exc).__name__}: {first[:200]}); check the TORCH_* "
             "and CUDA_* environment variables")
    _exit(rv if isinstance(rv, int) else 0)


def _torch_failed_to_import(exc: BaseException) -> bool:
    """The exception came out of torch's own package while it was being imported: a setting of the environment it
    reads at import (TORCH_LOGS=garbage raises ValueError there), not a fault of rigbench. A failed import leaves
    no ``torch`` in sys.modules."""
    if "torch" in sys.modules:
        return False
    frames = traceback.extract_tb(exc.__traceback__)
    return any(f"{os.sep}torch{os.sep}" in f.filename for f in frames)
