"""The ``rigbench`` command line: parsing, calling the library, rendering. No computing here.

Each sub-command lives in its own module (``rigbench/cli/probe.py`` holds ``rigbench probe``) and is imported only
when it runs, so ``rigbench probe`` never pays for torch, numba or pandas.

Exit codes: 0 success; 1 a check failed under ``--strict``; 2 bad input, with one line on stderr.
"""

from __future__ import annotations

import importlib
import sys

import click

from rigbench import __version__
from rigbench.errors import CheckFailed, UserError

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


class LazyGroup(click.Group):
    """A group whose sub-commands are imported on first use."""

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module = importlib.import_module(COMMANDS[name][0])
        return getattr(module, "command")

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
      rigbench bench --quick                 how fast it trains (about a minute)
      rigbench recommend                     does it meet the laptop/desktop/cloud guidelines?
      rigbench compare gtx-1080-ti rtx-2080-ti   which card is faster, and by how much
      rigbench cost --buy rtx-2080-ti --rent all --hours-per-month 80   buy or rent?

    Every command takes --json for machine-readable output on stdout.
    """


def fail(message: str, code: int = 2) -> None:
    """One line on stderr, then exit."""
    message = " ".join(str(message).split())  # one line, whatever the message held
    click.echo(f"rigbench: error: {message}", err=True)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: maps errors to exit codes, never a traceback for user error."""
    try:
        rv = cli.main(args=argv, prog_name="rigbench", standalone_mode=False)
    except UserError as exc:
        fail(str(exc), exc.exit_code)
    except CheckFailed as exc:
        if str(exc):
            click.echo(f"rigbench: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.NoSuchOption as exc:
        hint = f" (did you mean {', '.join(exc.possibilities)}?)" if exc.possibilities else ""
        cmd = exc.ctx.command_path if exc.ctx else "rigbench"
        fail(f"{exc.format_message().rstrip('.')}{hint}; see '{cmd} --help'")
    except click.ClickException as exc:
        cmd = exc.ctx.command_path if getattr(exc, "ctx", None) else "rigbench"
        fail(f"{exc.format_message().rstrip('.')}; see '{cmd} --help'", exc.exit_code)
    except click.exceptions.Abort:
        click.echo("rigbench: aborted", err=True)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    sys.exit(rv if isinstance(rv, int) else 0)
