"""`rigbench compare`: GPUs side by side (catalog names, results files, Nx NAME, NAME@W), predicted or measured.

Parses and renders; the comparison, its uncertainty and the buying answer are ``rigbench.comparison``."""

from __future__ import annotations

import textwrap

import click
from rich.text import Text

from rigbench import comparison, report, results
from rigbench.errors import UserError
from rigbench.units import fmt_num


class _CompareCommand(click.Command):
    """click reads an argument that starts with '-' as options: '-1x rtx-3090' became "No such option '-1'". Such
    an argument is a card count below 1, and is answered as '0x rtx-3090' is."""

    def parse_args(self, ctx, args):
        given = list(args)      # click's parser consumes the list it is handed
        try:
            return super().parse_args(ctx, args)
        except click.exceptions.NoSuchOption as exc:
            for arg in given:
                if arg == "--":
                    break
                error = comparison.count_error(arg) if arg.startswith(exc.option_name) else None
                if error:
                    raise UserError(error) from None
            raise


@click.command(name="compare", cls=_CompareCommand)
@click.argument("devices", nargs=-1, required=True)
@click.option("--workload", "workloads", multiple=True,
              help="Workload id (repeatable): resnet50, bert-base, bert-base-squad, train_cnn, train_transformer.")
@click.option("--precision", default="both", help="fp32, amp or both (default).")
@click.option("--price", "prices", multiple=True, metavar="CARD=USD",
              help="Your (street or used) price per card, a positive amount of US dollars; repeatable. CARD is a "
                   "catalog card and prices every device of it: 'Nx CARD' (per card), CARD@W and a measured CARD "
                   "unless they have a price of their own; a price for CARD@W is for that power-limited one only, "
                   "and one for a measured device as shown (CARD@HOST) for that device only. Default: the launch "
                   "price.")
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
    validated on, docs/model.md). A ratio between two cards carries its own band: the error of the
    published pairs of those two architectures where there are enough (it can be narrower than either
    card's), else the two cards' errors combined; a difference inside it is called a tie. A short name
    several cards share (a100, v100, h100) is answered with the one taken and the others. 'Nx NAME'
    predicts N cards of one kind: in one machine up to 8, over --network between machines past that
    (extrapolated: no verdict rests on it). NAME@80W is the card at an 80 W power limit (a laptop's TGP).
    """
    doc = comparison.compare(devices, workload=workloads, precision=precision, price=prices, network=network,
                             device=device, plot=plot)
    report.echo_notes(doc[results.NOTES])
    if as_json:
        report.emit_json(doc)
        return
    report.show(*render_tables(doc))
    if plot:
        report.echo(f"wrote {plot}", err=True)


_SPEC_ROWS = (("architecture", "architecture"), ("FP32 TFLOP/s", "fp32_tflops"),
              ("FP16 tensor TFLOP/s", "fp16_tensor_tflops"), ("TF32 TFLOP/s", "tf32_tflops"), ("memory GB", "memory_gb"),
              ("bandwidth GB/s", "memory_bandwidth_gbps"), ("TDP W", "tdp_w"), ("price USD", "price"),
              ("launch year", "launch_year"))


def render_tables(doc: dict) -> list:
    """Terminal tables that fit 100 columns: the specs (one column per device, per card; 'Nx' devices add their
    count and total TDP and price), then one
    table per workload with one row per device and precision (+- is the model's error), notes, and the verdict,
    ending with the buying answer."""
    devs = doc["devices"]
    ids = [d["id"] for d in devs]
    first = ids[0]

    def num(v):
        return None if v is None else (v if isinstance(v, str) else fmt_num(v))

    # every row per card (memory bandwidth only means something per card); with 'Nx' devices, the count and the
    # totals that per dollar and per watt divide by are rows of their own, labelled
    several = any(d.get("count", 1) > 1 for d in devs)
    keys = ((("cards", "cards"),) if several else ()) + _SPEC_ROWS + (
        (("total TDP W", "total_tdp"), ("total price USD", "total_price")) if several else ())
    spec_rows = [(label, *[comparison.spec_cell(d, key) for d in devs]) for label, key in keys]
    own = any(d.get("price_source") == "your price" for d in devs)
    out = [report.table("Specs per card (spec sheets: profiles/gpus.csv)", ["", *ids], spec_rows,
                        caption="price: launch price" + ("; * your price (--price)" if own else ""))]
    for w, rs in comparison.rows_by_workload(doc["workloads"]).items():
        rows = []
        for r in rs:
            for i in ids:
                u = r["uncertainty"][i]
                ext = "~" if r.get("extrapolated", {}).get(i) else ""
                t, ratio = r["throughput"][i], r["ratio"][i]
                rows.append((i, r["precision"], "does not fit" if t is None else fmt_num(t),
                             "-" if u is None else f"{ext}{u:.0%}",
                             "-" if ratio is None else f"{ratio:.2f}x" + (" tie" if r["tie_with_first"][i] else ""),
                             num(r["per_1000_usd"][i]), num(r["per_watt"][i]), r["max_batch"][i], r["source"][i]))
        out.append(report.table(f"{w}: training throughput in {rs[0]['unit']}; {comparison.ratio_caption(rs, ids)}",
                                ["device", "prec.", "per s", "+-", "ratio", "per $1000", "per W", "max batch",
                                 "source"], rows))
    width = min(report.console().width, 100)
    per_w = "TDP, or the power limit given with @W" if any(d.get("power_limit_w") for d in doc["devices"]) else "TDP"
    legend = ("predicted: rigbench.model (docs/model.md); +-: the model's error for the card (validation MAE of its "
              "architecture and workload family; ~: extrapolated, wider); tie: the ratio is inside the band of that "
              "ratio (the verdict's +-, from published pairs of the two cards' architectures). "
              f"per W: {per_w}; measured: from a results file. {doc['max_batch_basis']}"
              + (f" {doc['precision_gain_basis']}" if doc.get("precision_gain_basis") else ""))
    out.append(textwrap.fill(legend, width, break_long_words=False, break_on_hyphens=False))
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
