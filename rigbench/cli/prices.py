"""`rigbench prices`: the cloud price list `cost` and `recommend` use: list it, refresh it. Parses, calls, renders."""

from __future__ import annotations

import datetime as _dt
import shlex

import click

from rigbench import report
from rigbench.cost.ownership import load_ownership
from rigbench.errors import UserError
from rigbench.prices import cloud, services, skypilot
from rigbench.units import shown


def render_list(prices, as_json: bool) -> None:
    """The instances of a price list, and the services it leaves out (with why)."""
    svc = services.load_services()
    stale = cloud.stale_warning(prices, load_ownership().stale_after_days)
    if as_json:
        report.emit_json({
            "schema": "rigbench.cloud_prices/2", "prices_date": prices.date.isoformat(), "source": prices.source,
            "origin": prices.origin, "warnings": [stale] if stale else [],
            "instances": [{"name": i.key, "gpu": i.gpu_id, "gpu_count": i.gpu_count, "vcpus": i.vcpus,
                           "ram_gb": i.ram_gb, "on_demand_usd_per_hour": i.on_demand_usd_per_hour,
                           "spot_usd_per_hour": i.spot_usd_per_hour,
                           # null with why, as every unknown value: the source row had no spot price
                           **({"spot_missing": "the source published no spot price for it"}
                              if i.spot_usd_per_hour is None else {}),
                           "region": i.region,
                           "price_date": i.price_date.isoformat(), "date_basis": i.date_basis, "source": i.source}
                          for i in prices.instances],
            "services": [s.to_doc() for s in svc],
        })
        return
    report.show(report.table(f"Cloud GPU instances: {prices.describe()}",
                             ["instance", "GPU", "GPUs", "vCPUs", "RAM GiB", "USD/h", "spot USD/h", "region",
                              "price date"],
                             list(cloud.format_instances(prices)),
                             justify=["left", "left"] + ["right"] * 6 + ["left"],
                             caption="each instance at its cheapest region; RAM in GiB, as the providers list it (the "
                                     "file's ram_gb column) and recommend judges it; * = dated by the day the data was "
                                     "read (the source states no date): the prices may be older; sources of every row: "
                                     "--json, profiles/cloud_prices.md"))
    report.show(report.table("Services the guide names, and whether the list has them",
                             ["service", "in the list", "why"],
                             [(s.name, s.status, s.why) for s in svc], justify=["left", "left", "left"]))
    if stale:
        report.show(f"WARNING: {stale}")


def _parse_date(text: str | None) -> _dt.date | None:
    if text is None:
        return None
    try:
        d = _dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"--date is {shown(text)}; write the snapshot's date as YYYY-MM-DD") from None
    if d > _dt.date.today():
        raise UserError(f"--date {d} is in the future; give the date the catalog snapshot was made")
    if d < cloud.FIRST_GPU_INSTANCE:
        # the bound every row of a price list is held to: found only when the new list was read back, the error
        # blamed "the new list line 4" for the date typed here
        raise UserError(f"--date {d} is {cloud.BEFORE_ANY_GPU}; give the date the catalog snapshot was made")
    return d


@click.group(name="prices", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Without a sub-command: the list in use as one "
              "rigbench.cloud_prices/2 JSON document (as `prices list --json`).")
@click.pass_context
def command(ctx, as_json):
    """The cloud price list behind `rigbench cost` and `rigbench recommend` (without a sub-command: `list`).

    \b
    rigbench ships a dated list (profiles/cloud_prices.csv). `rigbench prices refresh` reads SkyPilot's public
    cloud catalog and writes your own list into rigbench's per-user data folder; `cost` and `recommend` then use
    it and say so on screen. Pass --prices FILE to `cost` for a one-off list.

    \b
    Examples:
      rigbench prices                              the list in use (the same as `rigbench prices list`)
      rigbench prices list --shipped               the list shipped with rigbench
      rigbench prices refresh --dry-run            what a refresh would write
    """
    if ctx.invoked_subcommand is None:
        render_list(cloud.load_prices(instead="see the shipped one with 'rigbench prices list --shipped'"),
                    as_json=as_json)
    elif as_json:
        # 'prices --json refresh' would be read as refresh's own --json and silently not be
        raise UserError(f"--json goes after the sub-command: rigbench prices {ctx.invoked_subcommand} --json")


@command.command(name="list")
@click.option("--prices", "prices_path", type=click.Path(), metavar="FILE", help="A price list in the same format.")
@click.option("--shipped", is_flag=True, help="The list shipped with rigbench, even when you have your own.")
@click.option("--json", "as_json", is_flag=True, help="One rigbench.cloud_prices/2 JSON document on stdout.")
def list_command(prices_path, shipped, as_json):
    """The instances `cost` prices, with each row's date and source, and the services left out (and why).

    \b
    Examples:
      rigbench prices list
      rigbench prices list --shipped --json
    """
    if shipped and prices_path:
        raise UserError("give --shipped or --prices FILE, not both")
    render_list(cloud.load_shipped_prices() if shipped
                else cloud.load_prices(prices_path, instead="pass --shipped to list the shipped one"), as_json)


@command.command(name="refresh")
@click.option("--from", "source", metavar="PATH_OR_URL", default=None,
              help="SkyPilot catalog: a folder holding <cloud>/vms.csv (a checkout's catalogs/v7), one vms.csv, or a "
                   "URL. Default: the catalog's master branch on GitHub.")
@click.option("--date", "date_text", metavar="YYYY-MM-DD",
              help="The snapshot's own date. Without it: each file's last commit date when --from is a git checkout of "
                   "the catalog, else today (marked fetched).")
@click.option("--label", metavar="TEXT", help="How the source column names the data ({cloud} becomes the cloud).")
@click.option("--out", "out_path", type=click.Path(), metavar="FILE",
              help="Write here instead of your per-user list. cost and recommend keep the list they use; pass this "
                   "one to cost with --prices FILE.")
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="One rigbench.prices_refresh/1 JSON document on stdout.")
def refresh_command(source, date_text, label, out_path, dry_run, as_json):
    """Refresh the price list from SkyPilot's public catalog (github.com/skypilot-org/skypilot-catalog).

    Every instance of profiles/price_instances.csv is priced at its cheapest region (spot: the lowest zone's spot
    price there). Clouds the source lacks keep the rows they had. The catalog files carry no date, so rows are
    dated by --date (the snapshot's commit date, when you know it) or else by today, marked "fetched".

    \b
    Examples:
      rigbench prices refresh
      git clone --depth 1 https://github.com/skypilot-org/skypilot-catalog
      rigbench prices refresh --from skypilot-catalog/catalogs/v7
      rigbench prices refresh --from tests/fixtures/prices/skypilot --dry-run
    """
    price_date = _parse_date(date_text)
    base = source or skypilot.DEFAULT_BASE_URL
    target = cloud.user_prices_path() if out_path is None else out_path   # a str: a trailing / names a folder
    previous, set_aside = cloud.load_prices_to_refresh()
    result = skypilot.refresh(base, previous, price_date=price_date, label=label)
    comments = [f"written by rigbench prices refresh from {base} on {_dt.date.today().isoformat()}",
                "same columns as profiles/cloud_prices.csv; see profiles/cloud_prices.md for what they mean"]
    # one path for the dry run and the real one: the dry run makes every check of the write, then writes nothing
    done = cloud.write_prices(target, result.instances, comments, dry_run=dry_run)
    written = None if done is None else str(done)
    doc = {
        "schema": "rigbench.prices_refresh/1", "from": base, "read": result.read,
        "price_date": result.price_date.isoformat(), "date_basis": result.date_basis,
        "dates": {c: {"date": d.isoformat(), "date_basis": b} for c, (d, b) in result.dates.items()},
        "refreshed": len(result.refreshed), "carried_over": [i.key for i in result.carried],
        "missing": result.missing, "written": written, "dry_run": dry_run, "set_aside": set_aside,
        "instances": [dict(zip(list(cloud.PRICE_COLUMNS) + list(cloud.OPTIONAL_COLUMNS), cloud.format_row(i)))
                      for i in result.instances],
    }
    if as_json:
        report.emit_json(doc)
        return
    rows = [(i.key, i.gpu_id, i.gpu_count, f"{i.on_demand_usd_per_hour:.4g}",
             "-" if i.spot_usd_per_hour is None else f"{i.spot_usd_per_hour:.4g}", i.region,
             i.price_date.isoformat() + ("" if i.date_basis == "published" else "*"),
             "refreshed" if i in result.refreshed else "kept")
            for i in result.instances]
    report.show(report.table(f"Price list from {base}", ["instance", "GPU", "GPUs", "USD/h", "spot USD/h", "region",
                                                         "price date", ""], rows))
    lines = [f"Read {', '.join(f'{p}: {w}' for p, w in result.read.items())}"]
    if set_aside:
        lines.append(f"Your own list could not be read, so it was not used ({set_aside})")
    if result.carried:
        clouds = sorted({i.provider for i in result.carried})
        lines.append(f"Kept {len(result.carried)} rows of {', '.join(clouds)} from the list in use ({previous.source}): "
                     f"the source has no file for their cloud")
    if result.missing:
        lines.append(f"Not in the source's files, left out: {', '.join(result.missing)}")
    for provider, (d, basis) in result.dates.items():
        how = ("the day its file was read: the catalog files carry no date; pass --date YYYY-MM-DD, or refresh "
               "from a git checkout of the catalog" if basis == "fetched" else
               "--date" if price_date is not None else "its file's last commit in the git checkout")
        lines.append(f"{provider} dated {d} ({how})")
    if written and cloud.is_user_prices_path(written):
        lines.append(f"Wrote {written}: `rigbench cost` and `rigbench recommend` now use it "
                     f"(delete it to go back to the shipped list)")
    elif written:
        # another file is read only when named: the list in use has not changed
        lines.append(f"Wrote {written}: to use it, pass `--prices {shlex.quote(written)}` to `rigbench cost`, "
                     "`rigbench size` or `rigbench prices list`; the list they use unasked is unchanged")
    else:
        lines.append("Dry run: nothing written")
    report.show(*lines)
