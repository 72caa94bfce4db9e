"""Rented GPUs: the price list's typed rows (:class:`rigbench.prices.cloud.Instance`) as the rules and the advice use them,
per GPU-hour, and the row as the recommend document shows it."""

from __future__ import annotations

from rigbench.cost.ownership import load_ownership
from rigbench.prices.cloud import Instance, load_prices, stale_warning
from rigbench.guidelines.cards import reaches_bar


def instance_row(inst: Instance) -> dict:
    """A price-list row as the recommend document's ``machine.instance`` shows it."""
    return {
        "provider": inst.provider, "instance": inst.name, "gpu_id": inst.gpu_id, "gpu_count": inst.gpu_count,
        "vcpus": inst.vcpus, "ram_gb": inst.ram_gb, "usd_per_hour": inst.on_demand_usd_per_hour,
        "spot_usd_per_hour": inst.spot_usd_per_hour, "region": inst.region, "price_date": str(inst.price_date),
    }


def price_list() -> tuple[list[Instance], str]:
    """The instances of the price list that applies (the user's own or the shipped one), and its date."""
    plist = load_prices()
    return plist.instances, str(plist.date)


def price_source() -> str:
    """Which price list applies (the user's own from `rigbench prices refresh`, or the shipped one), for the screen."""
    return load_prices().origin_label


def price_list_warning() -> str | None:
    """The price list's age past the ownership profile's limit, as cost and size say it; None while it is fresh."""
    return stale_warning(load_prices(), load_ownership().stale_after_days, takes_prices=False)


def per_gpu_hour(inst: Instance, spot: bool = False) -> float | None:
    """USD per GPU-hour on demand (or on spot); None without a price or a GPU."""
    usd = inst.usd_per_hour(spot)
    return None if usd is None or not inst.gpu_count else usd / inst.gpu_count


def cheapest_gpu_hour() -> dict:
    """The cheapest instance of the price list by the hour, and the cheapest whose GPU reaches the desktop GPU bar."""
    rows, _ = price_list()
    priced = [r for r in rows if per_gpu_hour(r) is not None]
    if not priced:
        return {}
    best = min(priced, key=lambda r: r.on_demand_usd_per_hour)
    out = {"cheapest_instance": best.key, "cheapest_usd_per_hour": float(best.on_demand_usd_per_hour),
           "cheapest_gpu": best.gpu_id, "price_date": best.price_date.isoformat(),
           "price_date_basis": getattr(best, "date_basis", None)}
    over = [r for r in priced if reaches_bar(r.gpu_id)]
    if over:
        top = min(over, key=lambda r: r.on_demand_usd_per_hour)
        out.update({"bar_instance": top.key, "bar_gpu": top.gpu_id,
                    "bar_usd_per_hour": float(top.on_demand_usd_per_hour), "bar_price_date": top.price_date.isoformat()})
    return out
