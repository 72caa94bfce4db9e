"""`rigbench bench`: run the kernel suite, write a results file, show the table."""

from __future__ import annotations

import sys

import click

from rigbench import results
from rigbench.bench import validity
from rigbench.errors import UserError


def _size(params: dict) -> str:
    """The case of a record that has no ``label`` (written before labels existed): its first params."""
    skip = {"itemsize", "llc_bytes", "llc_known"}
    parts = []
    for k, v in params.items():
        if k in skip or v is None:
            continue
        if k == "n" and isinstance(v, int) and v >= 2 ** 20:
            parts.append(f"n={v / 2 ** 20:.0f}Mi")
        else:
            parts.append(f"{k}={v}")
    return " ".join(parts[:3]) + (" …" if len(parts) > 3 else "")


def _label(m: dict) -> str:
    """The case as a person reads it: the record's ``label``, else the kernel's, else the raw params."""
    if m.get("label"):
        return m["label"]
    params = m.get("params") or {}
    if not params:
        return ""
    try:
        from rigbench.kernels import REGISTRY

        return REGISTRY[m["kernel"]].label(params)
    except Exception:  # noqa: BLE001 - a kernel this rigbench does not know, or params it cannot name
        return _size(params)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _case(m: dict) -> str:
    """The case column: the label, plus what a distributed record adds (latency of small all-reduces; a DDP run's
    scaling efficiency and its 1-worker throughput)."""
    from rigbench.units import fmt_num

    label = _label(m)
    if m.get("status") != "ok":
        return label
    size = (m.get("params") or {}).get("size_bytes")
    if m.get("kernel") == "allreduce" and m.get("latency_us") is not None and size is not None \
            and size <= LATENCY_MAX_BYTES:
        return f"{label}; latency {fmt_num(m['latency_us'])} µs"
    if m.get("kernel") == "ddp_train" and m.get("scaling_efficiency") is not None:
        one = m.get("throughput_1")
        base = f" of {(m.get('params') or {}).get('workers')} x {fmt_num(one)}" if one is not None else ""
        return f"{label}; efficiency {m['scaling_efficiency']:.0%}{base}"
    return label


LATENCY_MAX_BYTES = 64 * 1024   # all-reduce messages up to this size show their latency (the time is the figure)


def _rows(doc: dict) -> tuple[list[tuple], list[tuple], list[str]]:
    """Table rows with the short reason in the status cell, the same rows with only a note number there
    (for narrow terminals), and the numbered notes with every full reason."""
    from rigbench.units import fmt_num

    view = results.Results.of(doc)
    several_devices = len(view.devices()) > 1
    full, compact, notes = [], [], []
    for f in view.all():
        m = f.raw
        label = _case(m)
        who = " ".join(x for x in (m["kernel"], m["device"] if several_devices else "", m["dtype"], label) if x)
        head = (m["kernel"], m["device"], m["dtype"], label or "-")
        if m.get("status") != "ok":
            status = m.get("status") or "failed"
            notes.append(f"[{len(notes) + 1}] {who} {status}: {m.get('reason') or 'no reason recorded'}")
            cell = f"{'skipped' if status == 'skipped' else status.upper()} [{len(notes)}]"
            full.append((*head, "-", "-", "-", cell))
            compact.append(full[-1])
            continue
        spread = m["iqr_s"] / m["median_s"] if m.get("median_s") and m.get("iqr_s") is not None else None
        frac = m.get("fraction_of_peak")
        body = (f"{fmt_num(m['value'])} {m['unit']}", f"{spread:.1%}" if spread is not None else "-",
                f"{frac:.0%}" if frac is not None else "-")
        if f.valid:
            full.append((*head, *body, "valid"))
            compact.append(full[-1])
            continue
        reasons = f.reasons or [validity.reason("recorded", "not judged valid (no reason recorded)")]
        notes.append(f"[{len(notes) + 1}] {who} invalid: {'; '.join(validity.texts(reasons))}")
        more = f" +{len(reasons) - 1}" if len(reasons) > 1 else ""
        full.append((*head, *body, f"INVALID: {validity.brief(reasons[0])}{more} [{len(notes)}]"))
        compact.append((*head, *body, f"INVALID [{len(notes)}]"))
    return full, compact, notes


def _peak_caption(doc: dict) -> str:
    cpu = (doc.get("peaks") or {}).get("cpu") or {}
    clock = cpu.get("clock") or {}
    bits = []
    if clock.get("used_mhz"):
        bits.append(f"CPU clock measured: {clock['scalar_mhz']} MHz scalar, "
                    f"{clock.get('after_vector_load_mhz') or '-'} MHz after vector load; peak uses {clock['used_mhz']} MHz")
    f32 = cpu.get("flops:float32") or {}
    if f32.get("value"):
        bits.append(f"CPU fp32 peak {f32['value'] * 1000:.0f} GFLOP/s = {f32.get('cores')} cores x {f32.get('mhz')} "
                    f"MHz (measured) x {f32.get('flop_per_cycle')} FLOP/cycle ({cpu.get('cpu_class')}; sources in "
                    "the results file)")
    return "\n".join(bits)


_COLUMNS = ["kernel", "device", "dtype", "case", "value", "spread", "of peak", "status"]
_JUSTIFY = ["left", "left", "left", "left", "right", "right", "right", "left"]


def _table(title: str, rows: list[tuple], *, narrow: bool = False):
    """The bench table: two spaces between columns, no margins; only the case column may wrap. ``narrow`` puts
    the "of peak" header on two lines (its cells are at most 4 wide)."""
    from rigbench import report

    columns = [("of\npeak" if narrow and c == "of peak" else c) for c in _COLUMNS]
    t = report.table(title, columns, rows, justify=_JUSTIFY)
    t.show_edge, t.pad_edge, t.collapse_padding = False, False, True
    for col in t.columns:
        col.no_wrap = col.header != "case"
    return t


def _wrapped(text: str, width: int) -> str:
    """A note or footer line wrapped to the console, continuation lines indented under its text."""
    import textwrap

    indent = " " * (text.index("] ") + 2) if text.startswith("[") and "] " in text else "  "
    return textwrap.fill(text, width=max(width - 1, 40), subsequent_indent=indent, break_long_words=True,
                         break_on_hyphens=False)


def _render(doc: dict, quick: bool, json_output: bool, path) -> None:
    from rich.text import Text

    from rigbench import report

    if json_output:
        report.emit_json(doc)
        return
    out = report.console()
    title = f"rigbench bench{' --quick' if quick else ''}: {doc.get('host')}"
    full, compact, notes = _rows(doc)
    table = _table(title, full)
    wide = out.options.update_width(10_000)
    for rows, narrow in ((full, False), (compact, False), (compact, True)):
        # the first that fits: short reasons in the status cell; note numbers only; "of peak" on two lines
        table = _table(title, rows, narrow=narrow)
        if out.measure(table, options=wide).maximum <= out.width:
            break
    report.show(table, *(Text(_wrapped(line, out.width)) for line in [*notes, *_peak_caption(doc).splitlines(),
                                                                     *_run_lines(doc)]))
    if path:
        click.echo(f"results: {path}")


def _run_lines(doc: dict) -> list[str]:
    """A distributed run's status and every reason it gives (a failed run may have no measurement to show)."""
    d = doc.get("distributed")
    if not d:
        return []
    world = d.get("world_size")
    ranks = f"{world} rank{'' if world == 1 else 's'}"
    head = f"run status: {doc.get('status')} ({ranks}, {d.get('backend') or 'no backend'}"
    head += f", {d['elapsed_s']:g} s)" if d.get("elapsed_s") is not None else ")"
    return [head, *(f"  {r}" for r in d.get("reasons") or [])]


def _exit_code(doc: dict) -> int:
    """1 when a distributed run failed or was stopped at its timeout; 0 otherwise (Ctrl-C is 130 elsewhere)."""
    return 1 if doc.get("status") in ("failed", "interrupted") else 0


@click.command(name="bench")
@click.option("--quick", is_flag=True, help="Small sizes, short timing: the whole suite in about a minute.")
@click.option("--only", "only", multiple=True, metavar="KERNEL[,KERNEL]",
              help="Run only these kernels (comma-separated, repeatable).")
@click.option("--device", "device", default=None, metavar="cpu|cuda|cuda:N|all",
              help="Where to run (default: every device found).")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Folder on the disk to measure (disk_read); default: the results folder's disk.")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Results file (default: ./results/<host>-<UTC time>.json).")
@click.option("--json", "json_output", is_flag=True, help="Print the results document as JSON on stdout.")
@click.option("--distributed", is_flag=True, help="Multi-process / multi-node run on torch.distributed.")
@click.option("--nproc", type=int, default=None, help="Processes per node (distributed).")
@click.option("--nnodes", type=int, default=None, help="Number of nodes (distributed).")
@click.option("--node-rank", type=int, default=None, help="This node's rank (distributed).")
@click.option("--master-addr", default=None, metavar="HOST", help="Rank 0's address (distributed).")
@click.option("--master-port", type=int, default=None, metavar="PORT", help="Rank 0's port (distributed).")
@click.option("--rdzv-endpoint", default=None, metavar="HOST:PORT", help="Rendezvous endpoint (distributed).")
@click.option("--timeout", type=float, default=None, metavar="SECONDS", help="Give up after this long (distributed).")
def command(quick, only, device, data_dir, out, json_output, distributed, nproc, nnodes, node_rank, master_addr,
            master_port, rdzv_endpoint, timeout):
    """Measure how fast this machine trains: matrix products, convolutions, attention, memory and disk
    bandwidth, preprocessing and whole training steps, each with its spread and fraction of the device's peak.

    \b
    Examples:
      rigbench bench --quick                 the whole suite at small sizes (about a minute)
      rigbench bench                         the default suite (a few minutes)
      rigbench bench --only gemm,memcopy     just these kernels
      rigbench bench --device cuda:0 --out run.json
      rigbench bench --quick --json > run.json

    \b
    Every figure is the median of at least 5 timed samples; a figure whose spread is over 10%, whose timed
    sample is under 1 ms, that ran throttled or on battery, or at a reduced size is marked INVALID with why.
    Ctrl-C keeps what was measured (the file says "interrupted", exit code 130).

    \b
    Several processes or machines (torch.distributed, see docs/distributed.md):
      rigbench bench --distributed --quick             one worker per GPU (2 on a CPU-only machine)
      rigbench bench --distributed --nproc 4 --only allreduce
      rigbench bench --distributed --nnodes 2 --node-rank 0 --master-addr 10.0.0.1
    --device and --data-dir do not apply there (each worker takes its own GPU, or the CPU); the options
    --nproc ... --timeout apply only there. Exit codes: 0 complete, 1 failed or stopped at --timeout,
    2 bad input (before anything starts), 130 Ctrl-C.
    """
    given = {"nproc": nproc, "nnodes": nnodes, "node_rank": node_rank, "master_addr": master_addr,
             "master_port": master_port, "rdzv_endpoint": rdzv_endpoint, "timeout": timeout}
    if distributed:
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

    from rigbench import report
    from rigbench.bench.runner import Interrupted, run_suite

    def progress(total):
        return report.progress(total, "bench")

    try:
        doc, path = run_suite(only=list(only) or None, device=device, quick=quick, data_dir=data_dir, out=out,
                              argv=["rigbench", "bench", *sys.argv[2:]], progress=progress)
    except Interrupted as exc:
        n = len(results.Results(exc.doc).all())
        click.echo(f"rigbench: interrupted after {n} measurements; partial results in {exc.path}", err=True)
        sys.exit(130)
    _render(doc, quick, json_output, path)


def _run_distributed(given: dict, only, quick: bool, out, json_output: bool, device, data_dir) -> None:
    ignored = [name for name, v in (("--device", device), ("--data-dir", data_dir)) if v is not None]
    if ignored:
        raise UserError(f"{' and '.join(ignored)} do{'es' if len(ignored) == 1 else ''} not apply with --distributed (each worker takes its own GPU, "
                        "or the CPU without one, and no disk is measured); leave them out")
    try:
        from rigbench.bench.distributed import run_distributed
    except ImportError:
        raise UserError("distributed mode is not available in this rigbench (rigbench.bench.distributed "
                        "is missing)") from None
    from rigbench.bench.runner import Interrupted

    def event(line: str) -> None:
        if line.startswith("warning:"):
            click.echo(f"rigbench: {line}", err=True)

    try:
        doc = run_distributed(distributed=True, **{k: v for k, v in given.items() if v is not None},
                              only=list(only) or None, quick=quick, out=out, json_output=json_output, on_event=event)
    except Interrupted as exc:
        n = len(results.Results(exc.doc).all())
        where = f"partial results in {exc.path}" if exc.path else "no results file on this node (rank 0's node writes it)"
        click.echo(f"rigbench: interrupted after {n} measurements; {where}", err=True)
        sys.exit(130)
    _render(doc, quick, json_output, (doc.get("distributed") or {}).get("results_file"))
    if json_output:  # stdout holds only the document: the status and reasons go to stderr
        for line in _run_lines(doc):
            click.echo(line, err=True)
    code = _exit_code(doc)
    if code:
        sys.exit(code)
