"""`rigbench size MODEL`: will it fit, how long will it train, what will it cost, on every card and instance."""

from __future__ import annotations

import click

from rigbench import model as perf_model
from rigbench import report
from rigbench.cli import Bounded
from rigbench.cost.arithmetic import MAX_DATASET_SIZE, MAX_EPOCHS
from rigbench.errors import UserError
from rigbench.plots import check_plot_path
from rigbench.size import demand, load
from rigbench.size import plan as planner
from rigbench.size.plot import plot_time_vs_cost
from rigbench.units import fmt_bytes, fmt_flops, fmt_num, fmt_params, one_line, shown


def _fmt_h(h: float | None) -> str:
    """Hours for a person, 2-3 significant digits in the unit that fits: 13 us, 0.42 h -> '25 min', 30 h -> '30 h',
    200 h -> '8.33 d', 436,800 h -> '18,200 d' (never an exponent)."""
    if h is None:
        return "-"
    if h * 3600 < 1e-3:
        return f"{fmt_num(h * 3600e6, 2)} us"
    if h * 3600 < 1:
        return f"{fmt_num(h * 3600e3, 2)} ms"
    if h < 1 / 60:
        return f"{fmt_num(h * 3600, 2)} s"
    if h < 1:
        return f"{fmt_num(h * 60, 2)} min"
    return f"{fmt_num(h, 3)} h" if h < 48 else f"{fmt_num(h / 24, 3)} d"


def _count(n: float, unit: str) -> str:
    """'1 sample', '1,000 samples' (the unit is plural: samples, images, sequences)."""
    return f"{n:,.0f} {unit.removesuffix('s') if n == 1 else unit}"


def _usd(o, x) -> str:
    """Dollars of an option; a launch-bound one's are a floor."""
    return f"{fmt_num(x)} or more" if o.bound == "launch" else fmt_num(x)


def _range_h(o, h):
    if h is None:
        return "-"
    if o.bound == "launch":
        return f"{_fmt_h(h)} or more"
    if o.uncertainty is None:
        return _fmt_h(h)
    lo, hi = h * (1 - o.uncertainty), h * (1 + o.uncertainty)
    return f"{_fmt_h(h)} ({_fmt_h(lo)}-{_fmt_h(hi)})"


def _verdict(meets) -> str:
    """meets_deadline on screen: yes (the whole range within it), maybe (the range crosses it), no."""
    return "-" if meets is None else ("maybe" if meets == planner.MAYBE else ("yes" if meets else "no"))


def _best_line(rep, best) -> str:
    """The cheapest option's line: which, at what batch where it is not the one asked, its time and dollars."""
    band = rep.usd_band(best)
    usd = (f"{fmt_num(best.total_usd)} USD or more" if best.bound == "launch" else
           f"{fmt_num(best.total_usd)} USD" + (f" ({fmt_num(band[0])}-{fmt_num(band[1])})" if band else ""))
    at = "" if best.fits else f" at batch {best.batch} per GPU"
    maybe = (" No instance finishes by then over its whole range; this one may: its range reaches past the "
             "deadline." if best.meets_deadline == planner.MAYBE else "")
    return (f"{best.id} ({best.gpu_count}x {best.gpu_id}){at}: {_range_h(best, best.total_h)}, {usd} for "
            f"{_count(rep.samples, rep.unit)}.{maybe}")


def render(rep, show_all: bool, narrowed: bool = False) -> list:
    md, b = rep.demand, rep.batch
    parts = md.breakdown(b)
    mem = " + ".join(f"{k.replace('_', ' ')} {fmt_bytes(v)}" for k, v in parts.items() if k != "peak")
    ctx = perf_model.load_workloads_profile()["memory"]
    out = [
        f"{one_line(rep.name)}: {fmt_params(md.params)}, {rep.optimizer}, {md.precision_label}, batch {b} per GPU; per "
        f"step {fmt_flops(md.flops.at(b))} of tensor work, {fmt_bytes(md.traffic_bytes.at(b), binary=False)} "
        f"through memory-bound layers",
        f"Peak memory {fmt_bytes(parts['peak'])} in {md.peak_phase(b)} = {mem}; a card also keeps "
        f"{ctx['context_gib']:g} GiB for the CUDA context and {ctx['reserve_fraction']:.0%} free",
        f"Counted from real steps at batches {demand.TRACE_BATCHES[0]} and {demand.TRACE_BATCHES[1]} on this CPU, "
        f"affine in the batch ({'memory moment by moment' if md.moments else 'memory per phase'}).",
    ]
    cards = sorted(rep.cards, key=lambda o: -(o.samples_per_s or 0))
    fit = [o for o in cards if o.fits]
    shown = cards if show_all else fit[:12]
    run_col = "run (range)" if rep.samples is not None else "per 1M (range)"
    rows = []
    for o in shown:
        per = o.total_h if rep.samples is not None else (1e6 / o.samples_per_s / 3600 if o.samples_per_s else None)
        rows.append((o.id, fmt_bytes(o.memory_bytes), "yes" if o.fits else ("no" if not o.max_batch else f"at {o.batch}"),
                     o.max_batch if o.max_batch != demand.ANY_BATCH else "any", fmt_num(o.step_s * 1e3) if o.step_s else "-",
                     fmt_num(o.samples_per_s) if o.samples_per_s else "-", _fmt_h(o.epoch_h) if rep.samples else "-",
                     _range_h(o, per) if per else "-"))
    # every card at the launch floor runs at one speed: no card is faster, the rows are in catalog order
    tie = len(fit) > 1 and all(o.bound == "launch" for o in fit) and len({o.samples_per_s for o in fit}) == 1
    order = "all tie at the launch floor; the first 12 in catalog order" if tie else "the fastest 12"
    title = (f"Cards: {len(fit)} of {len(cards)} fit batch {b}" +
             ("" if show_all or len(fit) <= 12 else f"; {order} (all: --all)"))
    if rows:
        out.append(report.table(title, ["card", "memory/card", "fits", "max batch", "step ms", f"{rep.unit}/s", "epoch",
                                        run_col], rows))
    else:
        out.append(f"No card fits batch {b} (give a smaller --batch; --all lists every card).")
    if any(o.gpu_count > 1 for o in shown):
        out.append("Nx rows: memory and max batch are per card (each card holds the model and its own batch); "
                   f"step ms is one step of all N together, {rep.unit}/s and the times are of all N cards.")
    out.extend(filter(None, (planner.one_card_note(o, rep.unit) for o in shown)))
    out.extend(f"{o.id}: {o.note}" for o in shown if o.note)
    not_fit = [o for o in cards if not o.fits]
    if not_fit and not show_all:
        out.append("Do not fit batch %d: %s" % (b, ", ".join(f"{o.id} (max {o.max_batch})" for o in not_fit[:8]) +
                   (f" and {len(not_fit) - 8} more" if len(not_fit) > 8 else "")))
    run = rep.samples is not None
    # by the cost of the run where there is one (billing minimums make a short run's cost no rate x hours)
    cost = (lambda o: o.total_usd) if run else (lambda o: o.usd_per_million)
    insts = sorted(rep.instances, key=lambda o: (cost(o) is None, cost(o) or 0))
    shown_i = insts if show_all else insts[:10]
    irows = []
    for o in shown_i:
        per_1m_h = 1e6 / o.samples_per_s / 3600 if o.samples_per_s else None
        row = [o.id, o.gpu_count, "yes" if o.fits else ("no" if not o.max_batch else f"at {o.batch}"),
               fmt_num(o.samples_per_s) if o.samples_per_s else "-", f"{o.usd_per_hour:.3g}",
               _range_h(o, o.total_h if run else per_1m_h) if o.samples_per_s else "-",
               _usd(o, o.total_usd if run else o.usd_per_million) if o.samples_per_s else "-"]
        if rep.deadline_h is not None:
            row.append(_verdict(o.meets_deadline))
        irows.append(row)
    cols = ["instance", "GPUs", "fits", f"{rep.unit}/s", "USD/h", "run" if run else "per 1M",
            "USD" if run else "USD per 1M"] + ([f"by {_fmt_h(rep.deadline_h)}"] if rep.deadline_h is not None else [])
    out.append(report.table(f"Cloud, on-demand prices of {rep.prices_dated(shown_i) or rep.prices_date}" +
                            ("" if show_all or len(insts) <= 10 else f"; the cheapest 10 of {len(insts)} (all: --all)"),
                            cols, irows))
    if narrowed:
        out.append("The cloud table lists every instance of the price list: --gpus narrows the cards table only.")
    billing = sorted({(o.id.split(":")[0], o.billing) for o in shown_i if o.billing})
    if run and billing:
        out.append("USD: the run's time rounded up as each provider bills it (profiles/cloud_extras.toml: " +
                   "; ".join(f"{p} {b}" for p, b in billing) + ").")
    best = rep.cheapest
    if rep.samples is None:
        out.append("Give --dataset-size N --epochs E for the hours and dollars of a run (the tables show the time "
                   f"and cost per 1M {rep.unit}).")
    elif best is None:
        when = f" by {_fmt_h(rep.deadline_h)}" if rep.deadline_h is not None else ""
        if not rep.fits_asked:
            out.append(f"No instance fits batch {b} per GPU.")
        else:
            out.append(f"No instance that fits batch {b} per GPU finishes {_count(rep.samples, rep.unit)}{when}.")
        smaller = rep.cheapest_at_smaller_batch
        if smaller is not None:
            out.append(f"At a smaller batch (not the one asked), cheapest{when}: {_best_line(rep, smaller)}")
    else:
        when = f" by {_fmt_h(rep.deadline_h)}" if rep.deadline_h is not None else ""
        out.append(f"Cheapest{when}: {_best_line(rep, best)}")
    us = [o.uncertainty for o in [*shown, *shown_i] if o.uncertainty is not None]
    if us:
        ref = "ResNet-50" if md.family == "conv" else "BERT-base"
        out.append(f"Ranges: rigbench.model's uncertainty per card, {min(us):.0%} to {max(us):.0%} (validation error of "
                   f"its cell on {ref}, the family this model's tensor work is counted in; another model can miss by "
                   "more).")
    launched = [o for o in [*shown, *shown_i] if o.bound == "launch"]
    if launched:
        per, _ = perf_model.launch_seconds()
        k = md.kernels_at(b)
        out.append(f"Launch-bound ({len(launched)} of the rows above, those marked 'or more'): a step launches {k:.0f} "
                   f"kernels, each at least {per * 1e6:g} us of host time (Holistic Trace Analysis documentation: 5-20 "
                   f"us), {k * per * 1e3:g} ms a step at batch {b}, more than the card needs for the work. Their times "
                   "and costs are that floor, with no range: the validation error does not apply to them, and eager "
                   "PyTorch adds its own dispatch to each launch. A larger --batch spreads the launches over more "
                   "samples.")
    out.extend(f"WARNING: {w}" for w in rep.warnings)
    return out


@click.command(name="size")
@click.argument("model_arg", metavar="MODEL")
@click.option("--batch", type=Bounded(1, planner.MAX_BATCH, integer=True), default=None,
              help="Batch per GPU (default: the example batch's size).")
@click.option("--seq", type=int, default=None, help="Sequence length (bert-base, train_transformer, or a factory "
                                                      "that takes seq_len).")
@click.option("--precision", default="fp32", help="fp32 or amp (mixed precision).")
@click.option("--optimizer", default=None, help="adam or sgd, when the factory brings no optimizer (default adam).")
@click.option("--dataset-size", type=Bounded(1, MAX_DATASET_SIZE, integer=True), default=None,
              help="Samples in one epoch (at most 10^12).")
@click.option("--epochs", type=Bounded(0, MAX_EPOCHS, lo_open=True), default=None,
              help="Epochs of the run (at most 1,000,000).")
@click.option("--deadline", default=None, help="Finish within this time: 36h, 3d, 2w.")
@click.option("--gpus", default=None, metavar="ID,...", help="Only these cards (catalog ids; '2x rtx-3090' for "
                                                               "several in one machine).")
@click.option("--prices", "prices", default=None, metavar="FILE", help="Another price list in the format of "
                                                                        "profiles/cloud_prices.csv.")
@click.option("--all", "show_all", is_flag=True, help="List every card and instance, not the first screenful.")
@click.option("--json", "as_json", is_flag=True, help="Print one rigbench.size/1 JSON document.")
@click.option("--plot", default=None, metavar="FILE.png", help="Also draw time against cost, one point per instance.")
def command(model_arg, batch, seq, precision, optimizer, dataset_size, epochs, deadline, gpus, prices, show_all,
            as_json, plot):
    """Will MODEL fit, how fast will it train, and what will a run cost, on every card and cloud instance.

    \b
    MODEL is a built-in workload (resnet50, bert-base, train_cnn, train_transformer), your own
    package.module:factory, or path/to/file.py[:factory]. A factory returns
    (model, example_batch[, loss_fn[, optimizer]]), built on the CPU, with the batch first in
    every tensor (docs/size.md).

    \b
    Examples:
      rigbench size resnet50 --dataset-size 1281167 --epochs 90 --deadline 3d
      rigbench size docs/examples/tiny_model.py --batch 256 --gpus rtx-3060,rtx-4090,2x-rtx-3090
      rigbench size mypkg.models:build --precision amp --json

    \b
    rigbench runs two real training steps on this CPU (batches 2 and 4) and counts FLOPs with
    torch, bytes moved, and the bytes alive at every moment; the rest is rigbench.model,
    rigbench.scaling and the cloud price list.
    """

    if precision not in ("fp32", "amp"):
        raise UserError(f"unknown precision {shown(precision)}; valid: fp32, amp")
    if plot:
        check_plot_path(plot)
    planner.check_request(batch, dataset_size, epochs, deadline)
    names = planner.parse_gpus(gpus)
    if names:
        planner.resolve_cards(names)
    # The model's own code runs while it is loaded and traced; what it prints is shown on stderr, its control
    # characters escaped, so stdout holds only rigbench's output (a --json document a program parses).
    with report.others_output():
        job = load.load(model_arg, seq=seq, optimizer=optimizer)
        md = demand.measure(job, precision, "cuda")
    given = click.get_current_context().get_parameter_source("precision") == click.core.ParameterSource.COMMANDLINE
    if given and precision == "fp32" and md.weights_dtype in demand.SIXTEEN_BIT:
        raise UserError(f"--precision fp32: {one_line(job.name)}'s weights are {md.weights_dtype}, timed as amp (each "
                        "card's 16-bit rate); leave --precision out, or make the model float32")
    rep = planner.plan(md, batch=batch or job.batch_size, gpus=names, dataset_size=dataset_size, epochs=epochs,
                       deadline=deadline, prices_path=prices)
    report.echo_notes(rep.notes)
    if plot:
        plot_time_vs_cost(rep, plot)
    if as_json:
        report.emit_json(rep.to_doc())
    else:
        report.show(*render(rep, show_all, narrowed=bool(names)))
    if plot:
        report.echo(f"wrote {plot}", err=True)
