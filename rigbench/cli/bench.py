"""`rigbench bench`: run the kernel suite, write a results file, show the table."""

from __future__ import annotations

import sys

import click

from rigbench.errors import UserError


def _size(params: dict) -> str:
    skip = {"itemsize", "llc_bytes"}
    parts = []
    for k, v in params.items():
        if k in skip or v is None:
            continue
        if k == "n" and isinstance(v, int) and v >= 2 ** 20:
            parts.append(f"n={v / 2 ** 20:.0f}Mi")
        else:
            parts.append(f"{k}={v}")
    return " ".join(parts[:4]) + (" …" if len(parts) > 4 else "")


def _short(text: str, limit: int = 60) -> str:
    """Table cells stay one line or two; the results file has the whole reason."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _rows(doc: dict):
    from rigbench.units import fmt_num

    for m in doc["measurements"]:
        if m.get("status") != "ok":
            yield (m["kernel"], m["device"], m["dtype"], _size(m.get("params") or {}), "-", "-", "-",
                   _short(f"{m['status']}: {m.get('reason') or ''}", 50))
            continue
        spread = m["iqr_s"] / m["median_s"] if m.get("median_s") else None
        frac = m.get("fraction_of_peak")
        brief = [r.split(" (")[0] for r in m.get("invalid_reasons") or []]
        flags = "valid" if m.get("valid") else _short("INVALID: " + "; ".join(brief), 40)
        yield (m["kernel"], m["device"], m["dtype"], _size(m.get("params") or {}),
               f"{fmt_num(m['value'])} {m['unit']}", f"{spread:.1%}" if spread is not None else "-",
               f"{frac:.0%}" if frac is not None else "-", flags)


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


def _render(doc: dict, quick: bool, json_output: bool, path) -> None:
    from rigbench import report

    if json_output:
        report.emit_json(doc)
        return
    report.show(report.table(
        f"rigbench bench{' --quick' if quick else ''}: {doc.get('host')}",
        ["kernel", "device", "dtype", "size", "value", "spread", "of peak", "valid"],
        _rows(doc), caption=_peak_caption(doc),
        justify=["left", "left", "left", "left", "right", "right", "right", "left"]))
    if path:
        click.echo(f"results: {path}")


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
    """
    if distributed:
        try:
            from rigbench.bench.distributed import run_distributed
        except ImportError:
            raise UserError("distributed mode is not available in this rigbench (rigbench.bench.distributed "
                            "is missing)") from None
        given = {"nproc": nproc, "nnodes": nnodes, "node_rank": node_rank, "master_addr": master_addr,
                 "master_port": master_port, "rdzv_endpoint": rdzv_endpoint, "timeout": timeout}
        doc = run_distributed(distributed=True, **{k: v for k, v in given.items() if v is not None},
                              only=list(only) or None, quick=quick, out=out, json_output=json_output)
        _render(doc, quick, json_output, (doc.get("distributed") or {}).get("results_file"))
        return

    from rigbench import report
    from rigbench.bench.runner import Interrupted, run_suite

    def progress(total):
        return report.progress(total, "bench")

    try:
        doc, path = run_suite(only=list(only) or None, device=device, quick=quick, data_dir=data_dir, out=out,
                              argv=["rigbench", "bench", *sys.argv[2:]], progress=progress)
    except Interrupted as exc:
        n = len(exc.doc.get("measurements") or [])
        click.echo(f"rigbench: interrupted after {n} measurements; partial results in {exc.path}", err=True)
        sys.exit(130)
    _render(doc, quick, json_output, path)
