"""`rigbench gpus`: list the GPU catalog, filtered by architecture, memory or price."""

from __future__ import annotations

import click

from rigbench import catalog, report
from rigbench.units import fmt_num, parse_size, parse_usd


@click.command(name="gpus")
@click.argument("names", nargs=-1, metavar="[CARD]...")
@click.option("--arch", "arch", default=None, help="Only this architecture (kepler, pascal, volta, turing, ampere, ada, hopper, blackwell).")
@click.option("--min-memory", default=None,
              help="Only cards with at least this much memory, in the GB of the memory column: a bare number is GB, "
                   "and GPU memory is sold in binary units, so 24, 24GB and 24GiB all mean a 24 GB card's memory "
                   "(e.g. 16GB).")
@click.option("--max-price", default=None, help="Only cards with a launch price up to this, e.g. 1500 or $1,500.")
@click.option("--json", "as_json", is_flag=True, help="Print one rigbench.gpus/1 JSON document.")
def command(names, arch, min_memory, max_price, as_json):
    """List the GPU catalog (spec-sheet numbers with their sources).

    Name cards to see only them, each with its source: a short name lists its family ("a100" gives the four
    A100s), CARD@WATTS the card at that power limit (a laptop's TGP).

    \b
    Examples:
      rigbench gpus
      rigbench gpus rtx-4090 "GTX 1080 Ti"
      rigbench gpus a100
      rigbench gpus rtx-3080-laptop@80W
      rigbench gpus --arch turing
      rigbench gpus --min-memory 24GB --max-price 2000
      rigbench gpus --json
    """
    chosen = groups = None
    if names:
        chosen, taken, groups = [], [], []
        for name in names:
            groups.append(catalog.named(name))
            chosen += [g for g in groups[-1] if g not in chosen]
            # a short name at a power limit ('a100@300W') is one card: say which, as compare and size do
            note = catalog.lookup(name).note() if "@" in name else None
            if note and note not in taken:
                taken.append(note)
        report.echo_notes(taken)
    # binary, as the catalog counts a card's memory (Gpu.memory_bytes): --min-memory 24GB keeps the 24 GB cards
    min_bytes = None if min_memory is None else parse_size(min_memory, binary=True, what="--min-memory")
    limit = None if max_price is None else parse_usd(max_price, what="--max-price")
    cards = catalog.select(cards=chosen, architecture=arch, min_memory_bytes=min_bytes, max_launch_price_usd=limit)
    # a named card a filter removes is said, with why: "0 cards" alone reads as if it were not in the catalog
    notes = catalog.left_out(groups, arch, min_bytes, limit)
    if as_json:
        report.emit_json({"schema": "rigbench.gpus/1", "gpus": [g.to_dict() for g in cards], "notes": notes})
        report.echo_notes(notes)
        return
    rows = [(g.id, g.architecture, fmt_num(g.fp32_tflops), fmt_num(g.fp16_tensor_tflops), fmt_num(g.tf32_tflops),
             f"{g.memory_gb:g} GB {g.memory_type}", fmt_num(g.memory_bandwidth_gbps),
             f"{g.tdp_min_w:g}-{g.tdp_w:g}" if g.tdp_min_w is not None and g.tdp_w is not None and g.tdp_min_w != g.tdp_w
             else None if g.tdp_w is None else f"{g.tdp_w:g}",
             g.launch_year,
             None if g.launch_price_usd is None else f"${g.launch_price_usd:,.0f}") for g in cards]
    report.show(report.table(
        f"GPU catalog ({len(cards)} card{'' if len(cards) == 1 else 's'})",
        ["id", "arch", "FP32 TFLOP/s", "FP16 tensor", "TF32", "memory", "GB/s", "TDP W", "year", "launch"],
        rows, caption="Tensor figures: dense, FP32 accumulate. TDP a-b: the power range a laptop maker (or the card's "
                      "configuration) may set. Sources: profiles/gpus.csv ('source' column); --json shows them."))
    if names:
        report.show(*[f"{g.id}: {g.source}" for g in cards])
    report.echo_notes(notes)
