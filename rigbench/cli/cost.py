"""`rigbench cost`: buy a rig or rent the cloud? Parses, calls ``rigbench.cost``, renders."""

from __future__ import annotations

import click
from rich.text import Text

from rigbench import cost, report, results
from rigbench.cli import Bounded
from rigbench.cli.prices import render_list
from rigbench.cost.arithmetic import (MAX_DATASET_SIZE, MAX_EPOCHS, MAX_JOBS_PER_MONTH, MAX_MONTHS,
                                      MAX_WORK_HOURS_PER_MONTH)
from rigbench.cost.plan import max_buy_count
from rigbench.errors import UserError
from rigbench.prices.cloud import WITH_PRICES_OPTION, load_prices
from rigbench.units import fmt_num, fmt_pct


def _scaling(o: dict) -> str:
    """'0.87' for a multi-GPU option: its throughput over N x one GPU's (rigbench.scaling's prediction)."""
    eff = o.get("scaling_efficiency")
    if o["gpu_count"] <= 1 or eff is None:
        return ""
    return f"{eff:.2f}"


def _caption(doc: dict) -> str:
    """The table's caption: what each column means, and which bought card the break-even column is against."""
    unit, ref = doc["work"]["unit"], doc["work"]["reference"]
    against = doc.get("break_even_rent_options_against")
    n_buy = sum(1 for o in doc["options"] if o["kind"] == "buy")
    if against is None:
        be = "break-even: no bought card to compare with" if n_buy == 0 else \
             "break-even: none (no bought card can do the work within a month)"
    else:
        which = f"buying {against}" + (" (the cheapest bought card)" if n_buy > 1 else "")
        be = f"breakeven = hours/month on {ref} above which {which} beats that instance"
    kinds = {o["throughput_kind"] for o in doc["options"]}
    source = ("source: measured in a results file, or predicted by rigbench.model" if len(kinds) > 1 else
              "measured in a results file" if kinds == {"measured"} else "predicted by rigbench.model")
    text = (f"throughput in {unit}/s ({source}); h/month = hours each option needs for the same work; USD/h is "
            f"electricity for a bought machine, the instance price for a rented one; {be}")
    if doc["assumptions"].get("extras_per_month"):
        text += "; total USD of a rented option includes its storage and egress each month"
    if any(o["gpu_count"] > 1 for o in doc["options"]):
        text += ("; scaling = a multi-GPU option's throughput / (GPUs x one GPU), data-parallel over all its GPUs as "
                 "rigbench.scaling predicts")
    if any(not o["feasible"] for o in doc["options"]):
        text += (f"; ! = more hours than a month has ({doc['hours_in_a_month']:g} h): one machine cannot do the "
                 f"work, left out of the recommendation")
    return text


def _render(doc: dict, as_json: bool) -> None:
    report.echo_notes(doc[results.NOTES])
    if as_json:
        for w in doc["warnings"]:
            report.echo(f"rigbench: warning: {w}", err=True)
        report.emit_json(doc)
        return
    unit = doc["work"]["unit"]
    ref = doc["work"]["reference"]
    rows = []
    for o in doc["options"]:
        rows.append((
            o["name"], o["kind"], o["gpu_count"],
            fmt_num(o["throughput_per_s"]), o["throughput_kind"],
            fmt_num(o["hours_per_month"]) + ("" if o["feasible"] else " !"),
            fmt_num(o["usd_per_hour"]) + (" elec" if o["kind"] == "buy" else ""),
            fmt_num(o["total_usd"]),   # significant digits: a short horizon's totals are cents apart, not 0 and 0
            fmt_num(o["usd_per_unit_work"]),
            "-" if o["usd_per_epoch"] is None else fmt_num(o["usd_per_epoch"]),
            _scaling(o),
            "" if o["kind"] == "buy" else ("infeasible" if not o["feasible"] else fmt_num(o["break_even_hours_per_month"])),
        ))
    title = f"Buy or rent: {doc['work']['description']}, over {doc['months']:g} months"
    caption = _caption(doc)
    columns = ["option", "kind", "GPUs", f"{unit}/s", "source", "h/month", "USD/h", "total USD", f"USD per 1M {unit}",
               "USD/epoch", "scaling", "breakeven"]
    keep = [i for i in range(len(columns))
            if not (columns[i] == "USD/epoch" and not any(o["usd_per_epoch"] for o in doc["options"]))
            # one source for every option: the caption says it once, and the table keeps its width
            and not (columns[i] == "source" and len({o["throughput_kind"] for o in doc["options"]}) == 1)
            and not (columns[i] == "scaling" and not any(o["gpu_count"] > 1 for o in doc["options"]))]
    columns = [columns[i] for i in keep]
    rows = [tuple(r[i] for i in keep) for r in rows]
    t = report.table(title, columns, rows, caption=caption)
    t.columns[0].no_wrap = True
    report.show(t)
    lines = []
    for o in doc["options"]:
        if o["kind"] == "buy":
            lines.append(f"{o['name']}: {unit}/s {o['throughput_source']}; purchase {o['purchase_usd']:,.0f} USD "
                         f"({o['purchase_source']}), resale "
                         f"{fmt_num(o['resale_usd'])} USD back after {doc['months']:g} months"
                         + (f" ({o['resale_source']})" if o.get("resale_source") and o.get("resale_age_rule") else "")
                         + f", {o['power_w']:.0f} W "
                         f"({o['power_source']})")
    be = doc["break_even_hours_per_month"]
    if doc["break_even_between"]:
        b, r = doc["break_even_between"]
        band = doc["break_even_range"]
        err = f"the +-{band['fraction']:.0%} error of the predicted speed ratio" if band else ""
        if be is None:
            lines.append(f"Break-even: {b} never beats {r} ({doc['break_even_reason']})"
                         + (f"; at the edge of {err}, above {fmt_num(band['low_hours_per_month'])} h/month on {ref}"
                            if band else ""))
        elif be <= 0:
            lines.append(f"Break-even: {b} beats {r} at any usage ({doc['break_even_reason']})")
        else:
            high = band and band["high_hours_per_month"]
            lines.append(f"Break-even: {b} beats {r} above {fmt_num(be)} h/month on {ref}"
                         + (f" ({fmt_num(band['low_hours_per_month'])} to "
                            f"{'never' if high is None else fmt_num(high)} within {err})" if band else ""))
    for n in doc["notes"]:
        lines.append(f"NOTE: {n}")
    for n in doc["assumptions"].get("card_prices") or []:
        lines.append(f"Card prices: {n}")
    lines.append(f"Recommendation: {doc['recommendation']}")
    a = doc["assumptions"]
    for p, e in (a.get("extras_per_month") or {}).items():
        lines.append(f"Storage and egress, {p}: {e['usd']:,.2f} USD/month ({e['how']}), added to each {p} option")
    if a.get("billing_increments"):
        lines.append("Billing increments (a short job pays at least the minimum): "
                     + "; ".join(f"{b['provider']} {b['increment']}" for b in a["billing_increments"]))
    # only what enters a total, and only the options that may change it (the others are refused)
    kinds = {o["kind"] for o in doc["options"]}
    said = []
    if "buy" in kinds:
        said += [f"electricity {a['electricity_usd_per_kwh']:.4g} USD/kWh ({a['electricity_source']})",
                 f"resale {a.get('resale_rule') or fmt_pct(a['resale_fraction'])} ({a['resale_source']})"]
    if "rent" in kinds:
        said.append(f"{'spot' if a['spot'] else 'on-demand'} prices")
    # the options that would change this answer and were not given (the library says which)
    flags = list(a.get("change_with") or [])
    said += a.get("power_basis") or []
    lines.append("Assumptions: " + "; ".join(said) + (f"; change them with {', '.join(flags)}" if flags else ""))
    origin = {"shipped": "the list shipped with rigbench", "user": "your own list (rigbench prices refresh)",
              "file": "--prices"}.get(doc.get("prices_origin"), "the list")
    if doc["prices_date"] is not None:     # null with nothing rented: no price of the list is used
        lines.append(f"Prices dated {doc['prices_dated']}, from {origin}: "
                     f"{doc['prices_source']}")
    for w in doc["warnings"]:
        lines.append(f"WARNING: {w}")
    if doc.get("plot"):
        lines.append(f"Plot written to {doc['plot']}")
    report.show(*[Text(ln, style="bold yellow" if ln.startswith("WARNING") else None) for ln in lines])


@click.command(name="cost")
@click.option("--buy", "buy", multiple=True, metavar="CARD",
              help="A card to buy (catalog name, e.g. rtx-2080-ti); repeat to compare several.")
@click.option("--buy-count", type=Bounded(1, max_buy_count(), integer=True), default=1, show_default=True,
              help="Cards in the bought machine (1 to the largest NVLink board, 8).")
@click.option("--rent", "rent", multiple=True, metavar="WHAT",
              help="What to rent, repeatable: an instance (aws:p3.2xlarge), a provider (aws, azure, gcp, lambda: all "
                   "its instances), gpu=NAME (every instance with that GPU: gpu=V100, gpu=A100-80GB) or all.")
@click.option("--months", type=Bounded(0, MAX_MONTHS, lo_open=True), default=24, show_default=True,
              help="Horizon: how long you will do this work (at most 600 months).")
@click.option("--hours-per-month", type=Bounded(0, MAX_WORK_HOURS_PER_MONTH),
              help="Work: hours per month on the reference device (at most 100,000).")
@click.option("--reference", metavar="NAME",
              help="Device the hours are measured on (default: the first --buy machine, all its --buy-count cards).")
@click.option("--workload", default="resnet50", show_default=True,
              help="Workload of the performance model: resnet50, bert-base, train_cnn, train_transformer.")
@click.option("--precision", default="amp", show_default=True, type=click.Choice(["fp32", "amp"]))
@click.option("--epochs", type=Bounded(0, MAX_EPOCHS, lo_open=True), help="Work as a training job: epochs per run (with --dataset-size).")
@click.option("--dataset-size", type=Bounded(0, MAX_DATASET_SIZE, lo_open=True), help="Samples per epoch (ImageNet-1k: 1281167).")
@click.option("--jobs-per-month", type=Bounded(0, MAX_JOBS_PER_MONTH, lo_open=True), default=1, show_default=True, help="Training runs per month.")
@click.option("--results", "results_path", type=click.Path(), help="Results file: measured throughput (and power) "
              "of the bought card instead of the prediction.")
@click.option("--device", help="Device of the results file (default: cuda:0).")
@click.option("--gpu-price", type=str, metavar="USD", help="Price of one card (default: its --price-kind price).")
@click.option("--price-kind", type=click.Choice(["launch", "new", "used"]), default="launch", show_default=True,
              help="Which card price to buy at: launch (MSRP), new (street price) or used, each dated and sourced "
                   "in profiles/card_prices.csv.")
@click.option("--build-price", type=str, metavar="USD", help="Price of the whole machine, GPU included.")
@click.option("--electricity", type=Bounded(0, 10), metavar="USD/kWh", help="Electricity price (default: US EIA average).")
@click.option("--power-w", type=Bounded(0, 100_000, lo_open=True), metavar="WATTS", help="Wall power of the machine while training.")
@click.option("--resale", type=Bounded(0, 1), metavar="FRACTION", help="Share of the purchase price back at the end (0..1).")
@click.option("--spot", is_flag=True, help="Rent at spot/preemptible prices (where published).")
@click.option("--storage-gb", type=Bounded(0, 10 ** 7), default=0, metavar="GB",
              help="Block storage kept with each rented instance all month (priced per provider, cited in "
                   "profiles/cloud_extras.toml).")
@click.option("--egress-gb", type=Bounded(0, 10 ** 7), default=0, metavar="GB",
              help="Data sent out to the internet per month (each provider's free allowance first).")
@click.option("--storage-usd-per-gb-month", type=Bounded(0, 10), metavar="USD",
              help="Storage price for every provider (for those without a cited one: Azure, Lambda).")
@click.option("--prices", "prices_path", type=click.Path(), metavar="FILE", help="Your own price list (same CSV format).")
@click.option("--plot", "plot_path", type=click.Path(), metavar="FILE.png", help="Cumulative cost vs months.")
@click.option("--list", "list_only", is_flag=True, help="List the price list (as rigbench prices list) and exit.")
@click.option("--json", "as_json", is_flag=True, help="One rigbench.cost/1 JSON document on stdout.")
def command(buy, buy_count, rent, months, hours_per_month, reference, workload, precision, epochs, dataset_size,
            jobs_per_month, results_path, device, gpu_price, price_kind, build_price, electricity, power_w, resale,
            spot, storage_gb, egress_gb, storage_usd_per_gb_month, prices_path, plot_path, list_only, as_json):
    """Buy a rig or rent the cloud? Total cost of each option for the same work, cost per unit of work, the
    break-even usage, and a recommendation with the assumptions behind it.

    Every option does the same work: hours on one device become more or fewer hours on a faster or slower one
    (performance model, or your measured results). Owning = card(s) + rest of machine + electricity - resale;
    renting = instance hours x price.

    \b
    Examples:
      rigbench cost --buy rtx-2080-ti --rent aws:p3.2xlarge --rent azure:NC6s_v3 --hours-per-month 80 --months 24
      rigbench cost --buy rtx-2080-ti --rent all --hours-per-month 40
      rigbench cost --buy rtx-2080-ti --rent aws --hours-per-month 40
      rigbench cost --buy rtx-3090 --rent gpu=V100 --rent gpu=A100 --hours-per-month 80
      rigbench cost --buy gtx-1080-ti --rent aws:g4dn.xlarge --workload resnet50 --epochs 90 --dataset-size 1281167
      rigbench cost --buy rtx-3090 --rent all --hours-per-month 100 --electricity 0.30 --resale 0.4 --plot cost.png
      rigbench cost --buy rtx-3090 --price-kind used --rent gpu=A100 --hours-per-month 60
      rigbench cost --list
    """
    if list_only:
        ctx = click.get_current_context()
        others = [next(o for o in p.opts if o.startswith("--")) for p in ctx.command.params
                  if p.name not in ("list_only", "prices_path", "as_json")
                  and ctx.get_parameter_source(p.name) is click.core.ParameterSource.COMMANDLINE]
        if others:
            # --list prints the price list and nothing else: the other options would be set aside without a word
            raise UserError(f"--list shows the price list and takes only --prices and --json: drop "
                            f"{', '.join(others)} (or drop --list to cost them)")
        render_list(load_prices(prices_path, instead=WITH_PRICES_OPTION), as_json)
        return
    _render(cost.cost(buy=buy, rent=rent, buy_count=buy_count, months=months, hours_per_month=hours_per_month,
                      reference=reference, workload=workload, precision=precision, epochs=epochs,
                      dataset_size=dataset_size, jobs_per_month=jobs_per_month, results=results_path, device=device,
                      gpu_price=gpu_price, price_kind=price_kind, build_price=build_price, electricity=electricity,
                      power_w=power_w, resale=resale, spot=spot, storage_gb=storage_gb, egress_gb=egress_gb,
                      storage_usd_per_gb_month=storage_usd_per_gb_month, prices=prices_path, plot=plot_path),
            as_json)
