"""Buy or rent: the cost of owning a rig against renting the cloud for the same work (``rigbench cost``).

Three layers, each usable on its own:

1. Data: the price lists are :mod:`rigbench.prices` (cloud instances, card prices, storage and egress);
   :mod:`rigbench.cost.ownership` reads ``profiles/ownership.toml`` (electricity, power, resale, machine price).
2. Arithmetic: :mod:`rigbench.cost.arithmetic`, pure functions of explicit numbers (USD, watts, hours, samples per
   second). No catalog, no model.
3. Planning: :func:`rigbench.cost.plan.compare` turns a ``CostRequest`` (cards, instances, work) into a
   :class:`~rigbench.cost.report.CostReport` using the GPU catalog and the performance model;
   ``break_even_hours()`` answers one buy-vs-rent pair for other modules. :mod:`rigbench.cost.plot` draws it.

The same amount of work costs each option a different number of hours: work is counted in samples (images,
sequences), and every option's hours are ``samples / its throughput``. Owning costs a fixed amount (purchase minus
resale) plus electricity per hour; renting costs the instance price per hour. Where the two lines cross is the
break-even usage, reported in hours per month on the reference device.

``rigbench.cost(...)`` is :func:`cost`: the command as a function, returning the ``rigbench.cost/1`` document.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from rigbench import results as results_file
from rigbench.api import callable_module
from rigbench.cost.plan import CostRequest, break_even_hours, compare
from rigbench.cost.plot import plot_cumulative
from rigbench.cost.report import SCHEMA, CostReport
from rigbench.plots import check_plot_path
from rigbench.units import parse_usd


def cost(buy: str | Sequence[str] = (), rent: str | Sequence[str] = (), *, buy_count: int = 1, months: float = 24,
         hours_per_month: float | None = None, reference: str | None = None, workload: str = "resnet50",
         precision: str = "amp", epochs: float | None = None, dataset_size: float | None = None,
         jobs_per_month: float = 1, results: str | Path | None = None, device: str | None = None,
         gpu_price: float | str | None = None, price_kind: str = "launch", build_price: float | str | None = None,
         electricity: float | None = None, power_w: float | None = None, resale: float | None = None,
         spot: bool = False, storage_gb: float = 0, egress_gb: float = 0,
         storage_usd_per_gb_month: float | None = None, prices: str | Path | None = None,
         plot: str | Path | None = None) -> dict:
    """``rigbench cost`` as a function: the ``rigbench.cost/1`` document ``rigbench cost --json`` prints.

    Keywords are the command's options (``--hours-per-month`` is ``hours_per_month``; ``--results FILE`` is
    ``results``, ``--prices FILE`` is ``prices``, ``--plot FILE`` is ``plot``). ``buy`` and ``rent`` take one name
    or a list. Prices may be numbers or text like ``"$2,500"``. Bad input raises :class:`~rigbench.errors.UserError`.
    """
    if plot:
        check_plot_path(plot)
    results_doc = results_file.load_document(results) if results else None
    req = CostRequest(
        buy=[buy] if isinstance(buy, str) else list(buy), rent=[rent] if isinstance(rent, str) else list(rent),
        months=months, hours_per_month=hours_per_month, reference=reference, workload=workload, precision=precision,
        epochs=epochs, dataset_size=dataset_size, jobs_per_month=jobs_per_month, results_doc=results_doc,
        results_device=device, gpu_price_usd=parse_usd(gpu_price, what="--gpu-price") if gpu_price is not None else None,
        build_price_usd=parse_usd(build_price, what="--build-price") if build_price is not None else None, buy_count=buy_count,
        electricity_usd_per_kwh=electricity, power_w=power_w, resale=resale, spot=spot,
        prices_path=None if prices is None else str(prices), price_kind=price_kind, storage_gb=storage_gb,
        egress_gb=egress_gb, storage_usd_per_gb_month=storage_usd_per_gb_month,
    )
    report = compare(req)
    doc = report.to_doc()
    # what the results file's owner read otherwise than written (a GPU id this catalog does not know)
    doc[results_file.NOTES] = list((results_doc or {}).get(results_file.NOTES) or [])
    if plot:
        plot_cumulative(report, plot)
        doc["plot"] = str(plot)
    return doc


# ``rigbench.cost(...)`` is :func:`cost`.
callable_module(__name__, cost)

# The package's public surface (docs/cost.md, "Library API"): the command as a function, the planner and its report.
# Everything else is imported from the module that defines it (rigbench.cost.arithmetic, rigbench.prices.cloud ...).
__all__ = ["SCHEMA", "CostReport", "CostRequest", "break_even_hours", "compare", "cost"]
