"""`rigbench compare`: GPUs side by side (catalog names, results files, Nx NAME, NAME@W), predicted or measured.

Parses and renders; the comparison, its uncertainty and the buying answer are ``rigbench.comparison``."""

from __future__ import annotations

import click

def check_plot_path(path: str) -> None:
    """UserError unless matplotlib can write ``path``'s format (checked before anything is computed)."""
    from pathlib import Path

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from rigbench.errors import UserError

    formats = FigureCanvasAgg.get_supported_filetypes()
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in formats:
        raise UserError(f"--plot {path}: unsupported image format {('.' + suffix) if suffix else '(no extension)'}; "
                        f"valid: {', '.join('.' + f for f in sorted(formats))}")


def _plot(doc: dict, path: str) -> None:
    """Two panels: training speed relative to the first device, and samples/s per $1000; bars carry the model's
    uncertainty as error bars (none on measured figures)."""
    import matplotlib

    from rigbench.errors import UserError

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ids = [d["id"] for d in doc["devices"]]
    rows = doc["workloads"]
    groups = [f"{r['workload']}\n{r['precision']}" for r in rows]
    fig, (ax, ax_usd) = plt.subplots(1, 2, figsize=(max(9, 3.0 * len(groups) + 3), 4.8))
    width = 0.8 / len(ids)
    priced = any(r["per_1000_usd"][i] is not None for r in rows for i in ids)
    for i, dev in enumerate(ids):
        xs = [g + i * width for g in range(len(groups))]
        vals = [r["ratio"][dev] for r in rows]
        err = [v * (r["ratio_band"][dev] or 0) for v, r in zip(vals, rows)]
        bars = ax.bar(xs, vals, width, yerr=err, capsize=3, label=dev)
        for b, r in zip(bars, rows):
            ax.annotate(f"{r['throughput'][dev]:,.0f}", (b.get_x() + b.get_width() / 2, b.get_height()),
                        ha="center", va="bottom", fontsize=7)
        if priced:
            usd = [r["per_1000_usd"][dev] or 0 for r in rows]
            uerr = [v * (r["uncertainty"][dev] or 0) for v, r in zip(usd, rows)]
            ax_usd.bar(xs, usd, width, yerr=uerr, capsize=3, label=dev)
    for a in (ax, ax_usd):
        a.set_xticks([g + 0.4 - width / 2 for g in range(len(groups))], groups)
    ax.set_ylabel(f"training throughput relative to {ids[0]} (x)")
    ax.axhline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_title("training speed (labels: samples/s)")
    ax.legend(fontsize=8)
    if priced:
        ax_usd.set_ylabel("samples/s per $1000")
        ax_usd.set_title("per dollar (" + ", ".join(sorted({d["price_source"] for d in doc["devices"]
                                                              if d["price_source"]})) + ")")
    else:
        ax_usd.set_title("per dollar: no prices (give --price CARD=USD)")
    fig.suptitle(" vs ".join(ids))
    fig.text(0.01, 0.01, "Error bars: the model's validation error for each card's architecture and workload "
             "family (docs/model.md); a difference inside them is a tie. Measured figures have none.", fontsize=7)
    fig.tight_layout(rect=(0, 0.04, 1, 0.95))
    try:
        fig.savefig(path, dpi=120)
    except OSError as e:
        raise UserError(f"--plot {path}: cannot write it ({e.strerror or e}); give a path in a writable folder") from None
    finally:
        plt.close(fig)


@click.command(name="compare")
@click.argument("devices", nargs=-1, required=True)
@click.option("--workload", "workloads", multiple=True,
              help="Workload id (repeatable): resnet50, bert-base, bert-base-squad, train_cnn, train_transformer.")
@click.option("--precision", default="both", help="fp32, amp or both (default).")
@click.option("--price", "prices", multiple=True, metavar="CARD=USD",
              help="Your (street or used) price for a card, per card; repeatable. Default: the launch price.")
@click.option("--network", "network", default=None, metavar="NAME",
              help="Fabric between machines for 'Nx NAME' past 8 cards (ib-ndr-8x, ib-hdr-8x, ib-hdr-4x, ib-edr-4x, "
                   "ib-edr-1x, ethernet-100g, ethernet-25g, ethernet-10g). Default: the card's DGX fabric for "
                   "data-centre boards, else ethernet-100g.")
@click.option("--json", "as_json", is_flag=True, help="Print one rigbench.compare/1 JSON document.")
@click.option("--plot", "plot", default=None, metavar="FILE.png",
              help="Also write a chart: speed and per-dollar panels with error bars (.png, .svg, .pdf ...).")
@click.option("--device", "device", default=None, metavar="cuda:N",
              help="Which device of a results file to read (default: its first GPU).")
def command(devices, workloads, precision, prices, network, as_json, plot, device):
    """Compare GPUs on training workloads and say which to buy: catalog names, results files, 'Nx NAME', NAME@W.

    \b
    Examples:
      rigbench compare gtx-1080-ti rtx-2080-ti
      rigbench compare gtx-1080-ti rtx-2080-ti --price gtx-1080-ti=300 --price rtx-2080-ti=450
      rigbench compare rtx-3090 a100-sxm4-80gb --workload bert-base --precision amp
      rigbench compare results/my-run.json rtx-4090 --plot cmp.png
      rigbench compare "2x gtx-1080-ti" rtx-2080-ti
      rigbench compare "32x a100-sxm4-80gb" "32x h100-sxm" --network ib-hdr-8x
      rigbench compare rtx-4090-laptop@80W rtx-4070

    \b
    Every predicted figure carries the model's error for its card (+-, from the published pairs it was
    validated on, docs/model.md); a difference inside it is called a tie. A short name several cards share
    (a100, v100, h100) is answered with the one taken and the others. 'Nx NAME' predicts N cards of one
    kind: in one machine up to 8, over --network between machines past that. NAME@80W is the card at an
    80 W power limit (a laptop's TGP).
    """
    from rigbench import comparison, model, report, scaling
    from rigbench.errors import UserError

    if len(devices) < 2:
        raise UserError("compare needs at least two devices, e.g. 'rigbench compare gtx-1080-ti rtx-2080-ti'")
    valid = model.workload_ids()
    for w in workloads:
        if w not in valid:
            raise UserError(f"unknown workload {w!r}; valid: {', '.join(valid)}")
    if precision not in ("fp32", "amp", "both"):
        raise UserError(f"unknown precision {precision!r}; valid: fp32, amp, both")
    if network is not None and network not in scaling.network_names():
        raise UserError(f"unknown network {network!r}; valid: {', '.join(scaling.network_names())}")
    precs = model.PRECISIONS if precision == "both" else (precision,)
    if plot:
        check_plot_path(plot)
    doc = comparison.build_comparison(devices, list(workloads) or ["resnet50", "bert-base"], precs, device,
                                      comparison.parse_prices(prices), network)
    if plot:
        _plot(doc, plot)
    if as_json:
        report.emit_json(doc)
        return
    report.show(*render_tables(doc))
    if plot:
        click.echo(f"wrote {plot}", err=True)


_SPEC_ROWS = (("architecture", "architecture"), ("FP32 TFLOP/s", "fp32_tflops"),
              ("FP16 tensor TFLOP/s", "fp16_tensor_tflops"), ("TF32 TFLOP/s", "tf32_tflops"), ("memory GB", "memory_gb"),
              ("bandwidth GB/s", "memory_bandwidth_gbps"), ("TDP W", "tdp_w"), ("price USD", "price"),
              ("launch year", "launch_year"))


def render_tables(doc: dict) -> list:
    """Terminal tables that fit 100 columns: the specs (one column per device; 'Nx' devices show totals), then one
    table per workload with one row per device and precision (+- is the model's error), notes, and the verdict,
    ending with the buying answer."""
    import textwrap

    from rich.text import Text

    from rigbench import comparison, report
    from rigbench.units import fmt_num

    devs = doc["devices"]
    ids = [d["id"] for d in devs]
    first = ids[0]

    def num(v):
        return None if v is None else (v if isinstance(v, str) else fmt_num(v))

    spec_rows = [(label, *[comparison.spec_cell(d, key) for d in devs]) for label, key in _SPEC_ROWS]
    own = any(d.get("price_source") == "your price" for d in devs)
    out = [report.table("Specs (spec sheets: profiles/gpus.csv; Nx devices: totals)", ["", *ids], spec_rows,
                        caption="price: launch price" + ("; * your price (--price)" if own else ""))]
    by_workload: dict[str, list[dict]] = {}
    for r in doc["workloads"]:
        by_workload.setdefault(r["workload"], []).append(r)
    for w, rs in by_workload.items():
        rows = []
        for r in rs:
            for i in ids:
                u = r["uncertainty"][i]
                rows.append((i, r["precision"], fmt_num(r["throughput"][i]), "-" if u is None else f"{u:.0%}",
                             f"{r['ratio'][i]:.2f}x" + (" tie" if r["tie_with_first"][i] else ""),
                             num(r["per_1000_usd"][i]), num(r["per_watt"][i]), r["max_batch"][i], r["source"][i]))
        out.append(report.table(f"{w}: training throughput in {rs[0]['unit']}; ratio to {first}",
                                ["device", "prec.", "per s", "+-", "ratio", "per $1000", "per W", "max batch",
                                 "source"], rows))
    out.append("predicted: rigbench.model (docs/model.md); +-: the model's error for the card (validation MAE of its\n"
               "architecture and workload family); tie: the ratio is inside it. per W: TDP; max batch: largest\n"
               "batch that fits in device memory; measured: from a results file.")
    width = min(report.console().width, 100)
    if doc.get("notes"):
        lines = ["Notes (names, multi-GPU scaling, power):"]
        for note in doc["notes"]:
            lines += textwrap.wrap(note, width, initial_indent="  ", subsequent_indent="    ",
                                   break_long_words=False, break_on_hyphens=False)
        out.append("\n".join(lines))
    lines = ["Verdict (from the tables above):"]
    for sentence in comparison.summary_sentences(doc["devices"], doc["workloads"]) + doc["verdict"]["sentences"]:
        lines += textwrap.wrap(sentence, width, initial_indent="  ", subsequent_indent="    ",
                               break_long_words=False, break_on_hyphens=False)
    text = Text("\n".join(lines))
    text.stylize("bold", 0, len(lines[0]))
    out.append(text)
    return out
