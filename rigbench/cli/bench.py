"""`rigbench bench`: run the kernel suite, write a results file, show the table."""

from __future__ import annotations

import sys

import click

from rigbench import report, results, signals
from rigbench.bench import table
from rigbench.bench.distributed import KERNEL_NAMES as DISTRIBUTED_KERNELS
from rigbench.bench.distributed import run_distributed
from rigbench.bench.runner import Interrupted, run_suite
from rigbench.errors import UserError
from rigbench.kernels import REGISTRY as KERNELS


def _render(doc: dict, quick: bool, json_output: bool, path, replaced: str | None = None) -> None:
    """The bench table (rigbench.bench.table) on stdout, then where the results file is and what it replaced; or the
    document as JSON (where it is, and what it replaced, then said on stderr)."""

    if json_output:
        report.emit_json(doc)
        if path:    # stdout is the document alone; where it was written goes beside it, on stderr
            report.echo_notes([f"results: {report.one_line(path)}" + (f" ({replaced})" if replaced else "")])
        return
    title = f"rigbench bench{' --quick' if quick else ''}: {doc.get('host')}{table.rounds_label(doc)}"
    report.show(*table.renderables(doc, title, report.console()))
    if path:
        report.echo(f"results: {report.one_line(path)}" + (f" ({replaced})" if replaced else ""))


def _exit_code(doc: dict) -> int:
    """1 when a distributed run failed or was stopped at its timeout; 0 otherwise (a stop signal is 128 + N elsewhere)."""
    return 1 if doc.get("status") in ("failed", "interrupted") else 0


@click.command(name="bench")
@click.option("--quick", is_flag=True,
              help="Small sizes, short timing: the whole suite in under 30 s on a 2-core machine.")
@click.option("--only", "only", multiple=True, metavar="KERNEL[,KERNEL]",
              help=f"Run only these kernels (comma-separated, repeatable): {', '.join(KERNELS)}; with "
                   f"--distributed: {', '.join(DISTRIBUTED_KERNELS)}.")
@click.option("--device", "device", default=None, metavar="cpu|cuda|cuda:N|all",
              help="Where to run (default: every device found).")
@click.option("--data-dir", type=str, default=None, metavar="PATH",
              help="Folder on the disk to measure (disk_read); default: the results folder's disk.")
@click.option("--out", type=click.Path(), default=None,
              help="Results file (default: <host>-<UTC time>.json in the per-user data folder, e.g. "
                   "~/.local/share/rigbench/results; `rigbench recommend` finds it from any folder).")
@click.option("--rounds", type=int, default=None, metavar="N",
              help="Interleaved rounds over the suite (default 3): more rounds, steadier figures on a busy machine.")
@click.option("--json", "json_output", is_flag=True, help="Print the results document as JSON on stdout.")
@click.option("--distributed", is_flag=True, help="Multi-process / multi-node run on torch.distributed.")
@click.option("--nproc", type=int, default=None, help="Processes per node (distributed).")
@click.option("--nnodes", type=int, default=None, help="Number of nodes (distributed).")
@click.option("--node-rank", type=int, default=None, help="This node's rank (distributed).")
@click.option("--master-addr", default=None, metavar="HOST", help="Rank 0's address (distributed).")
@click.option("--master-port", type=int, default=None, metavar="PORT", help="Rank 0's port (distributed).")
@click.option("--rdzv-endpoint", default=None, metavar="HOST:PORT", help="Rendezvous endpoint (distributed).")
@click.option("--timeout", type=float, default=None, metavar="SECONDS", help="Give up after this long (distributed).")
@click.option("--oversubscribe", is_flag=True, default=None,
              help="Start more workers than usable cores/GPUs or memory allow (distributed).")
def command(quick, only, device, data_dir, out, rounds, json_output, distributed, nproc, nnodes, node_rank,
            master_addr, master_port, rdzv_endpoint, timeout, oversubscribe):
    """Measure how fast this machine trains: matrix products, convolutions, attention, memory and disk
    bandwidth, preprocessing and whole training steps, each with its spread and fraction of the device's peak.

    \b
    Examples:
      rigbench bench --quick                 the whole suite at small sizes, 3 short rounds
      rigbench bench                         the default suite (a few minutes)
      rigbench bench --only gemm,memcopy     just these kernels
      rigbench bench --device cuda:0 --out run.json
      rigbench bench --quick --json > run.json
      rigbench bench --quick --rounds 5      steadier figures on a busy machine

    \b
    The suite runs in 3 interleaved rounds (--rounds N), every case once per round, with a fixed reference
    workload timed between rounds to measure how far the machine itself moved; CPU steal and other programs'
    CPU use are read during every figure. Each figure is the median of its samples over all rounds, with a 95%
    confidence interval. It is INVALID, with why, when its spread or its movement between rounds is over 10%,
    the machine moved over 10% or was busy (steal or other programs over 5% of the CPUs; a GPU figure timed
    on the GPU alone is not judged on these, one whose time includes the host's work is), a timed sample was
    under 1 ms, it ran throttled, on battery or at a reduced size, or it lies over 10% from this machine's
    runs of it in the past hour (the median of its last five). A busy machine is said once, above the table.
    Ctrl-C, SIGTERM or SIGHUP keeps what was measured (the file says "interrupted" and why; exit code 128 +
    the signal: 130, 143, 129). --out names a NAME.json file, or a folder when it ends in / (the default name
    goes there); it is never a link, a device or a FIFO. A file --out names is replaced only if it is an earlier
    run, and only when the new run completes; two runs under default names never share a file. A run stopped or
    failed before its first measurement leaves no file. Exit codes: 0 complete, 1 failed on the way (its results file
    could not be written: a full disk), 2 bad input (before anything starts), 128 + N stopped by signal N.

    \b
    Several processes or machines (torch.distributed, see docs/distributed.md):
      rigbench bench --distributed --quick             one worker per GPU (2 on a CPU-only machine)
      rigbench bench --distributed --nproc 4 --only allreduce
      rigbench bench --distributed --nnodes 2 --node-rank 0 --master-addr 10.0.0.1
    --device and --data-dir do not apply there (each worker takes its own GPU, or the CPU); the options
    --nproc ... --oversubscribe apply only there; --nproc is at most one worker per GPU or usable core
    (whichever is more) and what memory holds, unless --oversubscribe. Exit codes: 0 complete, 1 failed or
    stopped at --timeout, 2 bad input (before anything starts), 128 + N stopped by signal N (130 Ctrl-C).
    """
    given = {"nproc": nproc, "nnodes": nnodes, "node_rank": node_rank, "master_addr": master_addr,
             "master_port": master_port, "rdzv_endpoint": rdzv_endpoint, "timeout": timeout,
             "oversubscribe": oversubscribe}
    if distributed:
        if rounds is not None:
            raise UserError("--rounds does not apply with --distributed (each worker times its own samples); leave "
                            "it out")
        _run_distributed(given, only, quick, out, json_output, device, data_dir)
        return
    flags = [f"--{k.replace('_', '-')}" for k, v in given.items() if v is not None]
    if flags:
        raise UserError(f"{', '.join(flags)} appl{'ies' if len(flags) == 1 else 'y'} only to a distributed run: "
                        "add --distributed")
    wanted = [k.strip() for item in only for k in item.split(",") if k.strip()]
    dist_only = [k for k in wanted if k in ("allreduce", "ddp_train")]
    if dist_only:
        raise UserError(f"{', '.join(dist_only)} runs under --distributed: rigbench bench --distributed "
                        f"--only {','.join(dist_only)}")

    def progress(total):
        return report.progress(total, "bench")

    replaced: list[str] = []
    try:
        doc, path = run_suite(only=list(only) or None, device=device, quick=quick, data_dir=data_dir, out=out,
                              argv=["rigbench", "bench", *sys.argv[2:]], progress=progress, rounds=rounds,
                              on_replace=replaced.append)
    except Interrupted as exc:
        _interrupted(exc, json_output)
    _render(doc, quick, json_output, path, replaced[0] if replaced else None)


def _interrupted(exc: Interrupted, json_output: bool, distributed: bool = False) -> None:
    """A run stopped by a signal: with --json its partial document (status "interrupted", with its reason) on
    stdout, as a finished run prints its own, so `rigbench bench --json > run.json` keeps what was measured; where
    the file is and why it stopped on stderr; then exit 128 + the signal. ``distributed``: no file (``exc.path``
    None) means this node does not host rank 0, not that nothing was measured."""
    signals.finishing()   # the output below is the last thing the run does: another signal must not cut it short
    if json_output:
        report.emit_json(exc.doc)
    # figures with a value, as the note of a run that replaces this file will count them
    n = len(results.Results(exc.doc).ok(valid_only=False))
    got = f"{n} figure{'' if n == 1 else 's'}"
    if exc.path is not None:
        report.echo(f"rigbench: {signals.reason()} after {got}; partial results in "
                    f"{report.one_line(exc.path)}", err=True)
    elif distributed:
        report.echo(f"rigbench: {signals.reason()} after {got}; no results file on this node "
                    "(rank 0's node writes it)", err=True)
    else:
        report.echo(f"rigbench: {signals.reason()} before the first measurement; no results file was kept",
                    err=True)
    sys.exit(signals.exit_code())


def _run_distributed(given: dict, only, quick: bool, out, json_output: bool, device, data_dir) -> None:
    ignored = [name for name, v in (("--device", device), ("--data-dir", data_dir)) if v is not None]
    if ignored:
        raise UserError(f"{' and '.join(ignored)} do{'es' if len(ignored) == 1 else ''} not apply with "
                        "--distributed (each worker takes its own GPU, or the CPU without one, and no disk is "
                        "measured); leave them out")

    def event(line: str) -> None:
        if line.startswith("warning:"):
            report.echo(f"rigbench: {line}", err=True)

    try:
        doc = run_distributed(distributed=True, **{k: v for k, v in given.items() if v is not None},
                              only=list(only) or None, quick=quick, out=out, json_output=json_output, on_event=event)
    except Interrupted as exc:
        _interrupted(exc, json_output, distributed=True)
    _render(doc, quick, json_output, (doc.get("distributed") or {}).get("results_file"))
    if json_output:  # stdout holds only the document: the status and reasons go to stderr
        for line in table.run_lines(doc):
            report.echo(line, err=True)
    code = _exit_code(doc)
    if code:
        sys.exit(code)
