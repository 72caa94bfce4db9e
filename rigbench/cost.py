"""Buy or rent: the cloud price list, the cost of owning a rig, and the arithmetic that compares them.

Three layers, each usable on its own:

1. Data: the price list is ``rigbench.prices`` (``load_prices()``: the user's own list or the shipped one);
   ``load_ownership()`` reads ``profiles/ownership.toml`` (electricity, power, resale, machine price).
2. Arithmetic: pure functions of explicit numbers (USD, watts, hours, samples per second). No catalog, no model.
3. Planning: ``compare()`` turns a ``CostRequest`` (cards, instances, work) into a ``CostReport`` using the GPU
   catalog and the performance model; ``break_even_hours()`` answers one buy-vs-rent pair for other modules.

The same amount of work costs each option a different number of hours: work is counted in samples (images,
sequences), and every option's hours are ``samples / its throughput``. Owning costs a fixed amount (purchase minus
resale) plus electricity per hour; renting costs the instance price per hour. Where the two lines cross is the
break-even usage, reported in hours per month on the reference device.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from rigbench import card_prices, catalog, cloud_extras, data, model, results
from rigbench.errors import UserError
from rigbench.prices import (PRICE_COLUMNS, Instance, PriceList, format_instances, load_prices, parse_prices,
                             resolve_instance, select_instances)

# The price list lives in rigbench.prices; its names stay importable from here for existing callers.

SCHEMA = "rigbench.cost/1"
SECONDS_PER_HOUR = 3600.0
# 730.5 h: the most one machine can run in an average month (a 365.25-day year of 24 h / 12 months; cloud price
# calculators use the same convention rounded to 730 h/month, e.g. the AWS Pricing Calculator).
HOURS_PER_MONTH = 365.25 * 24 / 12
TRAINING_KERNELS = ("train_cnn", "train_transformer")   # measurements whose NVML power is a training load


# --------------------------------------------------------------------------------------------------------------------
# Ownership defaults


@dataclass
class Ownership:
    """The assumptions of owning a machine, with their sources (``profiles/ownership.toml``)."""

    electricity_usd_per_kwh: float
    gpu_load_fraction: float
    rest_of_system_w: float
    psu_efficiency: float
    rest_of_machine_usd: float
    basic_band_usd: tuple[float, float]
    high_end_band_usd: tuple[float, float]
    resale_months: tuple[float, ...]
    resale_fractions: tuple[float, ...]
    data_parallel_efficiency: float
    stale_after_days: int
    sources: dict = field(default_factory=dict)


def _load_toml(text: str, source: str) -> dict:
    return data.parse_toml(text, source)


def _resale_fractions(resale: dict) -> tuple[float, ...]:
    """[resale] fraction when the file gives it, else the card-price fit (rigbench.card_prices) at [resale] months."""
    if "fraction" in resale:
        return tuple(float(f) for f in resale["fraction"])
    fit = card_prices.fit_resale()
    return tuple(round(fit.fraction(float(m)), 4) for m in resale["months"])


def _resale_source(resale: dict) -> str:
    if "fraction" in resale:
        return "[resale] fraction of the ownership file"
    return card_prices.fit_resale().describe()


def load_ownership(path: str | Path | None = None) -> Ownership:
    """The shipped ownership defaults, or a file in the same format."""
    if path is None:
        text, source = data.shipped_text("ownership.toml"), "profiles/ownership.toml"
    else:
        try:
            text, source = Path(path).read_text(encoding="utf-8"), str(path)
        except OSError as exc:
            raise UserError(f"cannot read {path}: {exc}") from None
    d = _load_toml(text, source)
    try:
        power, machine, resale = d["power"], d["machine"], d["resale"]
        own = Ownership(
            electricity_usd_per_kwh=float(d["electricity"]["usd_per_kwh"]),
            gpu_load_fraction=float(power["gpu_load_fraction"]),
            rest_of_system_w=float(power["cpu_w"]) + float(power["other_components_w"]),
            psu_efficiency=float(power["psu_efficiency"]),
            rest_of_machine_usd=float(machine["rest_of_machine_usd"]),
            basic_band_usd=tuple(machine["basic_band_usd"]),
            high_end_band_usd=tuple(machine["high_end_band_usd"]),
            resale_months=tuple(float(m) for m in resale["months"]),
            resale_fractions=_resale_fractions(resale),
            data_parallel_efficiency=float(d["scaling"]["data_parallel_efficiency"]),
            stale_after_days=int(d["prices"]["stale_after_days"]),
            sources={
                "electricity": d["electricity"].get("source"),
                "power": f"{power.get('gpu_load_fraction_source')}; {power.get('rest_of_system_source')}; "
                         f"{power.get('psu_source')}",
                "rest_of_machine": machine.get("rest_of_machine_source"),
                "resale": resale.get("source") or _resale_source(resale),
                "scaling": d["scaling"].get("source"),
            },
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"{source}: missing or malformed entry ({exc})") from None
    if len(own.resale_months) != len(own.resale_fractions) or len(own.resale_months) < 1:
        raise UserError(f"{source}: [resale] months and fraction must be lists of the same length")
    return own


# --------------------------------------------------------------------------------------------------------------------
# Arithmetic: pure functions of explicit numbers


def resale_fraction(months: float, table_months: Sequence[float], table_fractions: Sequence[float]) -> float:
    """Linear interpolation in the resale table; the last point is held beyond its end."""
    if months < 0:
        raise UserError(f"months is {months}; it must be zero or more")
    pts = sorted(zip(table_months, table_fractions))
    if months <= pts[0][0]:
        return pts[0][1]
    for (m0, f0), (m1, f1) in zip(pts, pts[1:]):
        if months <= m1:
            return f0 + (f1 - f0) * (months - m0) / (m1 - m0)
    return pts[-1][1]


def system_power_w(gpu_tdp_w: float, gpu_count: int, gpu_load_fraction: float, rest_of_system_w: float,
                   psu_efficiency: float) -> float:
    """Wall power while training: (GPU TDP x count x load + rest of system) / PSU efficiency."""
    if not 0 < psu_efficiency <= 1:
        raise UserError(f"power supply efficiency {psu_efficiency} must be in (0, 1]")
    return (gpu_tdp_w * gpu_count * gpu_load_fraction + rest_of_system_w) / psu_efficiency


def electricity_usd_per_hour(power_w: float, usd_per_kwh: float) -> float:
    """What one hour at ``power_w`` costs at ``usd_per_kwh``."""
    return power_w / 1000.0 * usd_per_kwh


def hours_for_samples(samples: float, throughput_per_s: float) -> float:
    """Hours a device at ``throughput_per_s`` needs for ``samples``."""
    if throughput_per_s <= 0:
        raise UserError(f"throughput {throughput_per_s}/s must be positive")
    return samples / throughput_per_s / SECONDS_PER_HOUR


def owning_total_usd(purchase_usd: float, resale_usd: float, power_w: float, usd_per_kwh: float,
                     hours: float) -> float:
    """Purchase - resale + electricity for ``hours`` of use."""
    return purchase_usd - resale_usd + electricity_usd_per_hour(power_w, usd_per_kwh) * hours


def renting_total_usd(usd_per_hour: float, hours: float) -> float:
    """Instance hours x price."""
    return usd_per_hour * hours


def crossover_hours_per_month(fixed_usd: float, buy_usd_per_ref_hour: float, rent_usd_per_ref_hour: float,
                              months: float) -> float | None:
    """Reference-device hours per month at which owning and renting cost the same over ``months``.

    Owning costs ``fixed_usd + months * H * buy_usd_per_ref_hour``; renting costs ``months * H * rent_usd_per_ref_hour``
    (both per hour of work measured on the reference device). They cross at
    ``H = fixed / (months * (rent - buy))``. None when renting costs no more per hour than owning's running cost (the
    lines never cross: renting stays cheaper at any usage) or when ``months`` is zero.
    """
    if months <= 0 or rent_usd_per_ref_hour <= buy_usd_per_ref_hour:
        return None
    return max(fixed_usd, 0.0) / (months * (rent_usd_per_ref_hour - buy_usd_per_ref_hour))


# --------------------------------------------------------------------------------------------------------------------
# Planning: options, work, and the report


@dataclass
class Work:
    """How much work per month, in samples, and how it was given."""

    samples_per_month: float
    unit: str                          # "images", "sequences" ...
    description: str
    reference_name: str
    reference_throughput_per_s: float
    samples_per_job: float | None = None   # one training run, when given as a job
    samples_per_epoch: float | None = None

    @property
    def reference_hours_per_month(self) -> float:
        return hours_for_samples(self.samples_per_month, self.reference_throughput_per_s)


@dataclass
class CostOption:
    """One way to do the work: buy a card (and the machine around it) or rent an instance."""

    name: str
    kind: str                          # "buy" or "rent"
    gpu_id: str
    gpu_count: int
    throughput_per_s: float
    throughput_source: str
    hours_per_month: float
    months: float
    purchase_usd: float = 0.0
    resale_usd: float = 0.0
    power_w: float | None = None
    power_source: str | None = None
    usd_per_hour: float = 0.0          # electricity (buy) or instance price (rent)
    monthly_usd: float = 0.0           # storage + egress per month (rent, with --storage-gb / --egress-gb)
    price_date: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def fixed_usd(self) -> float:
        return self.purchase_usd - self.resale_usd

    @property
    def running_usd(self) -> float:
        return (self.usd_per_hour * self.hours_per_month + self.monthly_usd) * self.months

    @property
    def total_usd(self) -> float:
        return self.fixed_usd + self.running_usd

    def cumulative_usd(self, month: float) -> float:
        """Spent by ``month`` (resale comes back at the horizon's end only)."""
        spent = self.purchase_usd + (self.usd_per_hour * self.hours_per_month + self.monthly_usd) * month
        return spent - (self.resale_usd if month >= self.months else 0.0)

    @property
    def feasible(self) -> bool:
        """Can one machine (one instance) do the month's work in the hours a month has (HOURS_PER_MONTH)?"""
        return self.hours_per_month <= HOURS_PER_MONTH * (1 + 1e-9)

    @property
    def machines_needed(self) -> int:
        """How many such machines (instances) running all month the work would take."""
        return max(1, math.ceil(self.hours_per_month / HOURS_PER_MONTH - 1e-9))

    def infeasible_note(self) -> str | None:
        if self.feasible:
            return None
        what = ("machines" if self.gpu_count > 1 else "cards") if self.kind == "buy" else "instances"
        return (f"{self.name} would need {self.hours_per_month:,.0f} h/month, {self.hours_per_month / HOURS_PER_MONTH:.1f}x "
                f"the {HOURS_PER_MONTH:g} h in a month: it would take {self.machines_needed} {what} running all month; "
                f"left out of the recommendation and break-even")

    def usd_per_ref_hour(self, reference_throughput_per_s: float) -> float:
        """Running cost of one reference-device hour of work on this option."""
        return self.usd_per_hour * reference_throughput_per_s / self.throughput_per_s


@dataclass
class CostRequest:
    """Everything ``compare`` needs; every None takes the documented default."""

    buy: Sequence[str] = ()
    rent: Sequence[str] = ()           # instance keys, or ["all"]
    months: float = 24
    hours_per_month: float | None = None
    reference: str | None = None
    workload: str = "resnet50"
    precision: str = "amp"
    epochs: float | None = None
    dataset_size: float | None = None
    jobs_per_month: float = 1.0
    results_doc: dict | None = None
    results_device: str = "cuda:0"
    gpu_price_usd: float | None = None
    build_price_usd: float | None = None
    buy_count: int = 1
    electricity_usd_per_kwh: float | None = None
    power_w: float | None = None
    resale: float | None = None
    spot: bool = False
    prices_path: str | None = None
    today: _dt.date | None = None
    price_kind: str = "launch"         # which card price: launch (MSRP), new (street) or used
    storage_gb: float = 0.0            # block storage kept with a rented instance, GB (per month)
    egress_gb: float = 0.0             # data sent out to the internet per month, GB
    storage_usd_per_gb_month: float | None = None   # overrides every provider's storage price


@dataclass
class CostReport:
    options: list[CostOption]
    work: Work
    months: float
    prices: PriceList
    stale_after_days: int
    assumptions: dict
    warnings: list[str]
    today: _dt.date

    @property
    def buys(self) -> list[CostOption]:
        return [o for o in self.options if o.kind == "buy"]

    @property
    def rents(self) -> list[CostOption]:
        return [o for o in self.options if o.kind == "rent"]

    def break_even(self, buy: CostOption, rent: CostOption) -> float | None:
        """Reference-device hours per month above which ``buy`` is cheaper than ``rent``."""
        ref = self.work.reference_throughput_per_s
        # Monthly charges that do not scale with hours (storage, egress) move the crossover like a fixed cost.
        fixed = buy.fixed_usd + (buy.monthly_usd - rent.monthly_usd) * self.months
        return crossover_hours_per_month(fixed, buy.usd_per_ref_hour(ref), rent.usd_per_ref_hour(ref), self.months)

    def usd_per_million(self, option: CostOption) -> float | None:
        samples = self.work.samples_per_month * self.months
        return option.total_usd / samples * 1e6 if samples > 0 else None

    def cheapest(self, kind: str | None = None) -> CostOption | None:
        """The cheapest option (of ``kind``) that one machine can run within a month; infeasible ones never win."""
        pool = [o for o in self.options if (kind is None or o.kind == kind) and o.feasible]
        return min(pool, key=lambda o: o.total_usd) if pool else None

    @property
    def prices_stale(self) -> bool:
        return self.prices.is_stale(self.stale_after_days, self.today)

    def recommendation(self) -> str:
        best = self.cheapest()
        if best is None:
            if self.options:
                return (f"none of the options can do {self.work.reference_hours_per_month:,.0f} h/month on "
                        f"{self.work.reference_name} within the {HOURS_PER_MONTH:g} h of a month on one machine: "
                        f"see the notes for how many each would take")
            return "nothing to compare"
        ref_h = self.work.reference_hours_per_month
        months = f"{self.months:g} months"
        if best.kind == "buy":
            rent = self.cheapest("rent")
            if rent is None:
                return f"buy {best.name}: {best.total_usd:,.0f} USD over {months}; {self._drivers()}"
            be = self.break_even(best, rent)
            saving = rent.total_usd - best.total_usd
            crossing = (f"buying wins above {be:,.0f} h/month" if be is not None and be > 0
                        else "buying wins at any usage")
            return (f"buy {best.name}: {saving:,.0f} USD cheaper than renting {rent.name} over {months} at "
                    f"{ref_h:,.0f} h/month on {self.work.reference_name}{self._tie(best, rent, saving)}; {crossing}; "
                    f"{self._drivers()}")
        buy = self.cheapest("buy")
        tail = f"; {self._drivers()}"
        if buy is None:
            cannot = [o.name for o in self.buys if not o.feasible]
            why = (f"; buying {', '.join(cannot)} cannot do this work within a month (see the note)" if cannot else "")
            return f"rent {best.name}: {best.total_usd:,.0f} USD over {months}{why}{tail}"
        be = self.break_even(buy, best)
        if be is None:
            crossing = f"buying {buy.name} never pays off against it at these prices"
        elif be * buy.hours_per_month / max(ref_h, 1e-12) > HOURS_PER_MONTH:
            crossing = (f"buying {buy.name} would pay off only above {be:,.0f} h/month, more than "
                        f"{buy.name} can run in a month")
        else:
            crossing = f"buying {buy.name} pays off only above {be:,.0f} h/month"
        saving = buy.total_usd - best.total_usd
        return (f"rent {best.name}: {saving:,.0f} USD cheaper than buying {buy.name} over "
                f"{months} at {ref_h:,.0f} h/month on {self.work.reference_name}{self._tie(best, buy, saving)}; "
                f"{crossing}{tail}")

    def _tie(self, a: CostOption, b: CostOption, saving_usd: float) -> str:
        """' (a tie: ...)' when the difference is inside what the model's uncertainty on the predicted speed can move:
        hours = samples / speed, so an error of +-u on speed moves each option's hour-priced cost (instance hours,
        electricity) by up to u x that cost; purchase and resale do not move. Else ''."""
        bands = []
        for o in (a, b):
            if "predicted" in str(o.throughput_source):
                gpu = catalog.find(o.gpu_id)
                if gpu is not None:
                    bands.append(model.uncertainty(gpu, self.assumptions["workload"])["fraction"])
        if not bands:
            return ""
        band = max(bands)
        movable = band * (a.usd_per_hour * a.hours_per_month + b.usd_per_hour * b.hours_per_month) * self.months
        return (f" (a tie: inside the +-{band:.0%} error of the predicted speed, which moves the hour-priced costs by "
                f"up to {movable:,.0f} USD)" if abs(saving_usd) <= movable else "")

    def notes(self) -> list[str]:
        """One line per option that one machine cannot run within a month (many rented ones folded into one line)."""
        buys = [o.infeasible_note() for o in self.buys if not o.feasible]
        rents = [o for o in self.rents if not o.feasible]
        if len(rents) > 3:
            rents.sort(key=lambda o: o.hours_per_month)
            return buys + [f"{len(rents)} instances would need more than the {HOURS_PER_MONTH:g} h in a month (from "
                           f"{rents[0].name}, {rents[0].machines_needed} instances, to {rents[-1].name}, "
                           f"{rents[-1].machines_needed}); left out of the recommendation and break-even"]
        return buys + [o.infeasible_note() for o in rents]

    def _drivers(self) -> str:
        a = self.assumptions
        return (f"driven by {a['electricity_usd_per_kwh']:.3f} USD/kWh, resale {a['resale_fraction']:.0%} after "
                f"{self.months:g} months, {'spot' if a['spot'] else 'on-demand'} prices of {self.prices.date}")

    def to_doc(self) -> dict:
        """The ``rigbench.cost/1`` JSON document."""
        best_rent = self.cheapest("rent")
        buy = self.cheapest("buy")
        top_be = self.break_even(buy, best_rent) if buy and best_rent else None
        opts = []
        for o in sorted(self.options, key=lambda o: (not o.feasible, o.total_usd)):
            be = None
            if o.kind == "rent" and buy is not None and o.feasible:
                be = self.break_even(buy, o)
            opts.append({
                "name": o.name, "kind": o.kind, "gpu": o.gpu_id, "gpu_count": o.gpu_count,
                "throughput_per_s": o.throughput_per_s, "throughput_unit": f"{self.work.unit}/s",
                "throughput_source": o.throughput_source,
                "hours_per_month": o.hours_per_month, "total_usd": o.total_usd,
                "usd_per_unit_work": self.usd_per_million(o), "unit_of_work": f"1M {self.work.unit}",
                "usd_per_epoch": (o.total_usd / (self.work.samples_per_month * self.months) * self.work.samples_per_epoch
                                  if self.work.samples_per_epoch else None),
                "purchase_usd": o.purchase_usd if o.kind == "buy" else None,
                "resale_usd": o.resale_usd if o.kind == "buy" else None,
                "power_w": o.power_w, "power_source": o.power_source,
                "usd_per_hour": o.usd_per_hour,
                "storage_egress_usd_per_month": o.monthly_usd if o.kind == "rent" else None,
                "usd_per_hour_means": "electricity" if o.kind == "buy" else ("spot" if self.assumptions["spot"] else "on-demand"),
                "break_even_hours_per_month": be,
                "feasible": o.feasible, "machines_needed": o.machines_needed, "infeasible_note": o.infeasible_note(),
                "price_date": o.price_date, **o.extra,
            })
        return {
            "schema": SCHEMA,
            "prices_date": self.prices.date.isoformat(),
            "prices_source": self.prices.source,
            "prices_origin": self.prices.origin,
            "prices_age_days": self.prices.age_days(self.today),
            "prices_stale": self.prices_stale,
            "months": self.months,
            "work": {
                "description": self.work.description, "unit": self.work.unit,
                "samples_per_month": self.work.samples_per_month,
                "reference": self.work.reference_name,
                "reference_throughput_per_s": self.work.reference_throughput_per_s,
                "reference_hours_per_month": self.work.reference_hours_per_month,
            },
            "options": opts,
            "break_even_hours_per_month": top_be,
            "break_even_between": [buy.name, best_rent.name] if buy and best_rent else None,
            "break_even_rent_options_against": buy.name if buy else None,
            "hours_in_a_month": HOURS_PER_MONTH,
            "notes": self.notes(),
            "break_even_hours_are_on": self.work.reference_name,
            "recommendation": self.recommendation(),
            "assumptions": self.assumptions,
            "warnings": self.warnings,
        }


# --------------------------------------------------------------------------------------------------------------------
# Wiring to the catalog and the performance model


def _catalog_resolve(name: str):
    try:
        from rigbench import catalog
    except ImportError:
        raise UserError("the GPU catalog (rigbench.catalog) is not installed; it is needed to price a card") from None
    return catalog.resolve(name)


def _predict_throughput(gpu, workload: str, precision: str) -> tuple[float, str]:
    """(samples/s, unit) predicted for one catalog GPU."""
    try:
        from rigbench import model
    except ImportError:
        raise UserError("the performance model (rigbench.model) is not installed; it is needed to scale hours "
                        "between devices") from None
    pred = model.predict(model.capability_from_gpu(gpu), workload, precision)
    return float(pred.throughput), _unit_of(pred)


def _unit_of(pred) -> str:
    """'images/s' -> 'images': what one sample of work is called."""
    unit = str(getattr(pred, "unit", "samples") or "samples")
    return unit[:-2] if unit.endswith("/s") else unit


def _multi_gpu_throughput(gpu, count: int, one_gpu_per_s: float, workload: str, precision: str,
                          own: Ownership, use_scaling: bool) -> tuple[float, str]:
    """Throughput of ``count`` cards of ``gpu`` training data-parallel (a rented instance or a bought machine):
    rigbench.scaling.predict_data_parallel where installed and able, else N x one GPU x the documented efficiency
    (profiles/ownership.toml [scaling])."""
    if count == 1:
        return one_gpu_per_s, "predicted"
    why = "rigbench.scaling not used"
    if use_scaling:
        try:
            from rigbench import scaling
        except ImportError:
            scaling = None
        if scaling is not None and hasattr(scaling, "predict_data_parallel"):
            try:
                out = scaling.predict_data_parallel(gpu, count, workload, precision, single_throughput=one_gpu_per_s)
            except UserError as exc:
                out = {"reason": str(exc)}
            if out.get("throughput"):
                return float(out["throughput"]), (f"predicted, rigbench.scaling: efficiency "
                                                  f"{out.get('scaling_efficiency', 0):.2f} over {out.get('interconnect')}")
            why = f"rigbench.scaling cannot say: {out.get('reason') or 'no throughput'}"
        else:
            why = "rigbench.scaling not installed"
    eff = own.data_parallel_efficiency
    return (one_gpu_per_s * count * eff,
            f"predicted, {count} x 1 GPU x {eff:g} scaling efficiency (fallback: {why})")


def _instance_throughput(inst: Instance, gpu, one_gpu_per_s: float, workload: str, precision: str,
                         own: Ownership, use_scaling: bool) -> tuple[float, str]:
    """N-GPU instance throughput (see ``_multi_gpu_throughput``)."""
    return _multi_gpu_throughput(gpu, inst.gpu_count, one_gpu_per_s, workload, precision, own, use_scaling)


def _measured_power_w(doc: dict | None, device: str) -> tuple[float, str] | None:
    """GPU board power read by NVML in a results file, for the training measurements on ``device``, or None.

    The bench runner reads NVML power just before and just after each measurement
    (``conditions.gpu_before.power_w`` / ``conditions.gpu_after.power_w``), outside the timed region: the "after"
    reading is taken right at the end of sustained load, the "before" one closer to idle. The larger of the two of
    every valid training measurement (train_cnn, train_transformer) of ``device`` is taken, and the largest of those:
    an instantaneous reading at the end of a kernel, not an average over the run. Returns (watts, where it came from).
    """
    if not doc:
        return None
    best: tuple[float, str] | None = None
    for f in results.Results.of(doc).ok(TRAINING_KERNELS, device=device):
        got = f.power_w()
        if got is not None and (best is None or got[0] > best[0]):
            best = (got[0], f"{f.kernel} {f.dtype or ''}".strip() + f", {got[1]}")
    return best


def _measured_card(view: results.Results, device: str, buy_gpus: list, resolve_gpu: Callable) -> str:
    """The ``--buy`` name that is the card ``device`` of the results file measured. A measurement of one card is
    never used for another: a results file of no bought card is refused, saying which card it measured."""
    probed = view.device_measured(device)
    if probed is None:
        raise UserError(f"--results: the file does not say which GPU {device} is (no probe record of it), so its "
                        "figures cannot be matched to a --buy card; drop --results, or give a file measured on a GPU")
    measured_id = probed.get("catalog_id")
    if not measured_id and probed.get("name"):
        try:
            measured_id = getattr(resolve_gpu(str(probed["name"])), "id", None)
        except UserError:
            measured_id = None
    for name, gpu in buy_gpus:
        if measured_id is not None and getattr(gpu, "id", name) == measured_id:
            return name
    shown = probed.get("name") or measured_id or device
    raise UserError(f"--results measured {shown} ({device}), not {', '.join(n for n, _ in buy_gpus)}: a measurement "
                    f"of one card is never used for another; add --buy {measured_id or 'THAT-CARD'} to cost the "
                    "measured card, or drop --results")


_NUMERIC_OPTIONS = (("months", "--months"), ("hours_per_month", "--hours-per-month"), ("epochs", "--epochs"),
                    ("dataset_size", "--dataset-size"), ("jobs_per_month", "--jobs-per-month"),
                    ("gpu_price_usd", "--gpu-price"), ("build_price_usd", "--build-price"),
                    ("buy_count", "--buy-count"), ("electricity_usd_per_kwh", "--electricity"),
                    ("power_w", "--power-w"), ("resale", "--resale"), ("storage_gb", "--storage-gb"),
                    ("egress_gb", "--egress-gb"), ("storage_usd_per_gb_month", "--storage-usd-per-gb-month"))


def _check_request(req: CostRequest) -> None:
    for attr, flag in _NUMERIC_OPTIONS:
        v = getattr(req, attr)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise UserError(f"{flag} is {v}; give a finite number, zero or more")
    if req.months is None or req.months <= 0:
        raise UserError(f"--months is {req.months}; give the horizon as a positive number of months")
    if req.hours_per_month is not None and req.hours_per_month < 0:
        raise UserError(f"--hours-per-month is {req.hours_per_month}; it must be zero or more")
    if req.hours_per_month is not None and req.epochs is not None:
        raise UserError("give the work either as --hours-per-month or as a training job (--epochs/--dataset-size), not both")
    if (req.epochs is None) != (req.dataset_size is None):
        raise UserError("a training job needs both --epochs and --dataset-size")
    if req.epochs is not None and (req.epochs <= 0 or req.dataset_size <= 0):
        raise UserError("--epochs and --dataset-size must be positive")
    if req.jobs_per_month is not None and req.jobs_per_month <= 0:
        raise UserError(f"--jobs-per-month is {req.jobs_per_month}; it must be positive")
    if req.resale is not None and not 0 <= req.resale <= 1:
        raise UserError(f"--resale is {req.resale}; give a fraction between 0 and 1 (0.5 = half the price back)")
    if req.electricity_usd_per_kwh is not None and req.electricity_usd_per_kwh < 0:
        raise UserError("--electricity must be zero or more (USD per kWh)")
    if req.buy_count < 1:
        raise UserError("--buy-count must be at least 1")
    if req.price_kind not in card_prices.KINDS:
        raise UserError(f"--price-kind is {req.price_kind!r}; use one of {', '.join(card_prices.KINDS)}")
    if not req.buy and not req.rent:
        raise UserError("nothing to compare: give --buy CARD and/or --rent provider:instance (or --rent all)")


def compare(req: CostRequest, *, resolve_gpu: Callable = _catalog_resolve,
            predict: Callable = _predict_throughput, ownership: Ownership | None = None,
            use_scaling: bool = True) -> CostReport:
    """Cost every option in ``req`` for the same work over ``req.months``.

    ``resolve_gpu(name) -> Gpu`` and ``predict(gpu, workload, precision) -> (samples/s, unit)`` default to the catalog
    and the performance model; tests and other modules may pass their own. ``use_scaling``: size multi-GPU
    instances with ``rigbench.scaling`` when it is installed (else the documented efficiency).
    """
    _check_request(req)
    own = ownership or load_ownership()
    prices = load_prices(req.prices_path)
    today = req.today or _dt.date.today()
    warnings: list[str] = []
    usd_per_kwh = own.electricity_usd_per_kwh if req.electricity_usd_per_kwh is None else req.electricity_usd_per_kwh
    fraction = resale_fraction(req.months, own.resale_months, own.resale_fractions) if req.resale is None else req.resale

    # Rented instances: named ones, or every instance of a provider / a GPU / the list.
    instances, selectors = select_instances(req.rent, prices)
    if req.spot:
        no_spot = [i.key for i in instances if i.spot_usd_per_hour is None]
        named_without = [k for k in no_spot if any(r.strip().lower() == k.lower() or r.strip().lower() ==
                                                   k.split(":", 1)[1].lower() for r in req.rent)]
        if named_without:
            raise UserError(f"--spot: no spot price listed for {', '.join(named_without)}; drop --spot or pick "
                            f"another instance")
        if no_spot:
            instances = [i for i in instances if i.spot_usd_per_hour is not None]
            warnings.append(f"--spot: {len(no_spot)} instance(s) without a published spot price left out "
                            f"({', '.join(no_spot[:4])}{', ...' if len(no_spot) > 4 else ''})")
            if not instances and not req.buy:
                raise UserError(f"--spot: none of the instances {' '.join(req.rent)} selects has a spot price in "
                                f"{prices.source}")

    # Storage and egress: every rented option pays them per month; a provider without a cited price is left out.
    extras_monthly: dict[str, tuple[float, str]] = {}
    billing: dict[str, dict] = {}
    if instances:
        facts = cloud_extras.load_extras()
        for provider in sorted({i.provider for i in instances}):
            f = facts.get(provider)
            if f is not None:
                billing[provider] = {"provider": provider, "increment": f.increment, "billing": f.billing,
                                     "source": f.billing_source}
            if not (req.storage_gb or req.egress_gb):
                continue
            usd, how = (cloud_extras.monthly_usd(f, req.storage_gb, req.egress_gb, req.storage_usd_per_gb_month)
                        if f is not None else (None, f"{provider}: no storage or egress prices in profiles/cloud_extras.toml"))
            if usd is None:
                dropped = [i.key for i in instances if i.provider == provider]
                named = [k for k in dropped if any(r.strip().lower() in (k.lower(), k.split(":", 1)[1].lower())
                                                   for r in req.rent)]
                if named:
                    raise UserError(f"{how}; give --storage-usd-per-gb-month USD or drop --storage-gb for "
                                    f"{', '.join(named)}")
                instances = [i for i in instances if i.provider != provider]
                warnings.append(f"{how}: its {len(dropped)} instance(s) left out (give --storage-usd-per-gb-month)")
            else:
                extras_monthly[provider] = (usd, how)
        if not instances and not req.buy:
            raise UserError("--storage-gb/--egress-gb: no selected instance has cited storage and egress prices; "
                            "give --storage-usd-per-gb-month")

    # Bought cards.
    buy_gpus = [(name, resolve_gpu(name)) for name in req.buy]

    # Throughputs (samples/s) of every option, and the unit of work.
    efficiency: dict[str, float | None] = {}   # throughput / (N x one GPU): what a multi-GPU option keeps
    unit = "samples"
    through: dict[str, tuple[float, str]] = {}
    measured_buy = None
    measured_name = None      # the --buy card the results file measured; its figures are used for it alone
    if req.results_doc is not None and buy_gpus:
        from rigbench import model

        view = results.Results.of(req.results_doc)
        measured_name = _measured_card(view, req.results_device, buy_gpus, resolve_gpu)
        if view.ok(device=req.results_device):
            cap = model.capability_from_results(view, req.results_device)
            pred = model.predict(cap, req.workload, req.precision)
            measured_buy = (float(pred.throughput), "measured (results file)")
            unit = _unit_of(pred)
        else:
            warnings.append(f"--results: the figures of {req.results_device} are "
                            f"{view.invalid_note(view.all(device=req.results_device))}: {measured_name} is predicted, "
                            "not measured")
    for name, gpu in buy_gpus:
        if measured_buy is not None and name == measured_name:
            t = measured_buy[0]
            src = measured_buy[1]
        else:
            t, unit = predict(gpu, req.workload, req.precision)
            src = "predicted"
        one = t
        if req.buy_count > 1:
            t, how = _multi_gpu_throughput(gpu, req.buy_count, t, req.workload, req.precision, own, use_scaling)
            src = src + how.removeprefix("predicted")
        through[f"buy:{name}"] = (t, src)
        efficiency[f"buy:{name}"] = t / (one * req.buy_count) if one > 0 else None
    gpu_cache: dict[str, object] = {}
    for inst in instances:
        if inst.gpu_id not in gpu_cache:
            gpu_cache[inst.gpu_id] = resolve_gpu(inst.gpu_id)
        gpu = gpu_cache[inst.gpu_id]
        one, unit = predict(gpu, req.workload, req.precision)
        t, src = _instance_throughput(inst, gpu, one, req.workload, req.precision, own, use_scaling)
        through[f"rent:{inst.key}"] = (t, src)
        efficiency[f"rent:{inst.key}"] = t / (one * inst.gpu_count) if one > 0 else None

    # The work, in samples per month.
    if req.epochs is not None:
        per_epoch = float(req.dataset_size)
        per_job = float(req.epochs) * per_epoch
        samples = per_job * req.jobs_per_month
        ref_name, ref_t = _reference(req, buy_gpus, instances, through, resolve_gpu, predict)
        work = Work(samples, unit, f"{req.jobs_per_month:g} x ({req.epochs:g} epochs x {per_epoch:,.0f} {unit}) "
                    f"of {req.workload} per month", ref_name, ref_t, per_job, per_epoch)
    else:
        if req.hours_per_month is None:
            raise UserError("say how much work: --hours-per-month H (on the reference device) or a training job "
                            "(--epochs N --dataset-size SAMPLES)")
        ref_name, ref_t = _reference(req, buy_gpus, instances, through, resolve_gpu, predict)
        samples = req.hours_per_month * SECONDS_PER_HOUR * ref_t
        work = Work(samples, unit, f"{req.hours_per_month:g} h/month of {req.workload} ({req.precision}) on {ref_name}",
                    ref_name, ref_t)

    options: list[CostOption] = []
    power_basis: list[str] = []
    card_notes: list[str] = []
    listed = card_prices.load_card_prices() if buy_gpus else []
    for name, gpu in buy_gpus:
        t, src = through[f"buy:{name}"]
        if req.build_price_usd is not None:
            purchase = float(req.build_price_usd)
            purchase_src = "--build-price (whole machine)"
        else:
            gpu_price, price_what = _card_price(req, gpu, name)
            purchase = float(gpu_price) * req.buy_count + own.rest_of_machine_usd
            purchase_src = f"{price_what} x {req.buy_count} + rest of machine {own.rest_of_machine_usd:,.0f}"
            gpu_id = getattr(gpu, "id", name)
            others = [cp for cp in (card_prices.card_price(gpu_id, k, listed) for k in card_prices.KINDS)
                      if cp is not None and (req.gpu_price_usd is not None or cp.kind != req.price_kind)]
            if others:
                card_notes.append(f"{gpu_id}: also known: " + "; ".join(
                    f"{card_prices.KIND_WORDS[cp.kind]} {cp.usd:,.0f} USD ({cp.date})" for cp in others)
                    + " (--price-kind launch|new|used)")
        if req.power_w is not None:
            power, power_src = float(req.power_w), "--power-w"
            power_basis.append(f"{getattr(gpu, 'id', name)}: wall power {power:g} W from --power-w")
        else:
            measured = _measured_power_w(req.results_doc, req.results_device) if name == measured_name else None
            if measured is not None:
                watts, where = measured
                power = system_power_w(watts, req.buy_count, 1.0, own.rest_of_system_w, own.psu_efficiency)
                power_src = (f"GPU {watts:.0f} W x {req.buy_count}: NVML reading at the end of a kernel ({where}, "
                             f"results file), not an average; + rest of system {own.rest_of_system_w:.0f} W, / PSU "
                             f"efficiency {own.psu_efficiency:g}")
                power_basis.append(f"{getattr(gpu, 'id', name)}: GPU {watts:.0f} W is an NVML reading at the end of a "
                                   f"training kernel ({where}), not an average over the run")
            else:
                tdp = getattr(gpu, "tdp_w", None)
                if tdp is None:
                    raise UserError(f"the catalog has no TDP for {getattr(gpu, 'name', name)}; give the machine's draw "
                                    f"with --power-w WATTS")
                power = system_power_w(float(tdp), req.buy_count, own.gpu_load_fraction, own.rest_of_system_w,
                                       own.psu_efficiency)
                power_src = (f"GPU TDP {float(tdp):.0f} W x {req.buy_count} x {own.gpu_load_fraction:g} + rest of "
                             f"system {own.rest_of_system_w:.0f} W, / PSU efficiency {own.psu_efficiency:g}")
                why = "TDP, an upper bound on sustained board power"
                if req.results_doc is not None and name == measured_name:
                    why += (f" (the results file has no NVML power reading of a training kernel, "
                            f"{' or '.join(TRAINING_KERNELS)}, on {req.results_device})")
                power_basis.append(f"{getattr(gpu, 'id', name)}: GPU {why}")
        label = getattr(gpu, "id", name) + (f" x{req.buy_count}" if req.buy_count > 1 else "")
        options.append(CostOption(
            name=label, kind="buy", gpu_id=getattr(gpu, "id", name), gpu_count=req.buy_count,
            throughput_per_s=t, throughput_source=src, hours_per_month=hours_for_samples(work.samples_per_month, t),
            months=req.months, purchase_usd=purchase, resale_usd=purchase * fraction, power_w=power,
            power_source=power_src, usd_per_hour=electricity_usd_per_hour(power, usd_per_kwh),
            extra={"purchase_source": purchase_src, "scaling_efficiency": efficiency.get(f"buy:{name}")},
        ))
    for inst in instances:
        t, src = through[f"rent:{inst.key}"]
        options.append(CostOption(
            name=inst.key, kind="rent", gpu_id=inst.gpu_id, gpu_count=inst.gpu_count, throughput_per_s=t,
            throughput_source=src, hours_per_month=hours_for_samples(work.samples_per_month, t), months=req.months,
            usd_per_hour=float(inst.usd_per_hour(req.spot)), price_date=inst.price_date.isoformat(),
            monthly_usd=extras_monthly.get(inst.provider, (0.0, ""))[0],
            extra={"region": inst.region, "price_source": inst.source, "price_date_basis": inst.date_basis,
                   "scaling_efficiency": efficiency.get(f"rent:{inst.key}")},
        ))

    if prices.is_stale(own.stale_after_days, today):
        warnings.insert(0, f"prices are {prices.age_days(today)} days old (list dated {prices.date}, older than "
                           f"{own.stale_after_days} days): run 'rigbench prices refresh' or pass --prices FILE")
    fetched = sorted({i.provider for i in instances if i.date_basis == "fetched"})
    if fetched:
        warnings.append(f"{', '.join(fetched)} prices are dated by the day their catalog file was read, not by a date "
                        f"the source states: they may be older than shown")
    multi = [o for o in options if o.gpu_count > 1]
    if multi:
        effs = [o.extra.get("scaling_efficiency") for o in multi if o.extra.get("scaling_efficiency")]
        lo, hi = (f"{min(effs):.0%}", f"{max(effs):.0%}") if effs else ("", "")
        span = f" (predicted efficiency {lo}-{hi})" if lo != hi else f" (predicted efficiency {lo})" if effs else ""
        warnings.append(f"{len(multi)} multi-GPU option(s) assume the job trains data-parallel on all their GPUs"
                        f"{span}, column 'scaling'; a job that runs on one GPU pays for the idle ones")
    assumptions = {
        "months": req.months,
        "workload": req.workload,
        "precision": req.precision,
        "electricity_usd_per_kwh": usd_per_kwh,
        "electricity_source": "--electricity" if req.electricity_usd_per_kwh is not None else own.sources["electricity"],
        "resale_fraction": fraction,
        "resale_source": "--resale" if req.resale is not None else own.sources["resale"],
        "rest_of_machine_usd": None if req.build_price_usd is not None else own.rest_of_machine_usd,
        "rest_of_machine_source": "--build-price" if req.build_price_usd is not None else own.sources["rest_of_machine"],
        "desktop_price_bands_usd": {"basic": list(own.basic_band_usd), "high_end": list(own.high_end_band_usd)},
        "power_source": own.sources["power"],
        "power_basis": power_basis,
        "multi_gpu_scaling": own.sources["scaling"],
        "spot": req.spot,
        "price_kind": req.price_kind,
        "storage_gb": req.storage_gb,
        "egress_gb": req.egress_gb,
        "extras_per_month": {p: {"usd": u, "how": h} for p, (u, h) in extras_monthly.items()},
        "extras_sources": "profiles/cloud_extras.toml",
        "billing_increments": list(billing.values()),
        "card_prices": card_notes,
        "prices_date": prices.date.isoformat(),
    }
    return CostReport(options, work, req.months, prices, own.stale_after_days, assumptions, warnings, today)


def _card_price(req: CostRequest, gpu, name: str) -> tuple[float, str]:
    """The price of one card and how it was chosen: --gpu-price, else the newest price of --price-kind from
    profiles/card_prices.csv (for launch, the catalog's launch price when the list has none)."""
    if req.gpu_price_usd is not None:
        return float(req.gpu_price_usd), f"--gpu-price {float(req.gpu_price_usd):,.0f}"
    gpu_id = getattr(gpu, "id", name)
    listed = card_prices.load_card_prices()
    cp = card_prices.card_price(gpu_id, req.price_kind, listed)
    if cp is not None:
        return cp.usd, f"{card_prices.KIND_WORDS[cp.kind]} {cp.usd:,.0f} ({cp.date}, {cp.source})"
    if req.price_kind == "launch" and getattr(gpu, "launch_price_usd", None) is not None:
        return float(gpu.launch_price_usd), f"catalog launch price {float(gpu.launch_price_usd):,.0f}"
    known = [c for c in (card_prices.card_price(gpu_id, k, listed) for k in card_prices.KINDS) if c is not None]
    have = "; ".join(f"{c.kind} {c.usd:,.0f} USD ({c.date})" for c in known) or "no price at all"
    raise UserError(f"no {card_prices.KIND_WORDS[req.price_kind]} for {getattr(gpu, 'name', name)} in "
                    f"profiles/card_prices.csv (it has: {have}); give the price with --gpu-price USD, the whole "
                    f"machine with --build-price USD, or pick another --price-kind")


def _reference(req: CostRequest, buy_gpus, instances, through, resolve_gpu, predict) -> tuple[str, float]:
    """The device the work is measured on: --reference, else the first bought card, else the first instance."""
    if req.reference:
        for key, (t, _) in through.items():
            kind, _, name = key.partition(":")
            if name.lower() == req.reference.strip().lower():
                return name, t
        gpu = resolve_gpu(req.reference)
        t, _ = predict(gpu, req.workload, req.precision)
        return getattr(gpu, "id", req.reference), t
    if buy_gpus:
        name = buy_gpus[0][0]
        return getattr(buy_gpus[0][1], "id", name), through[f"buy:{name}"][0]
    inst = instances[0]
    return inst.key, through[f"rent:{inst.key}"][0]


def break_even_hours(buy_gpu_id: str, rent_instance: str, months: float = 24, *, workload: str = "resnet50",
                     precision: str = "amp", electricity_usd_per_kwh: float | None = None,
                     gpu_price_usd: float | None = None, build_price_usd: float | None = None,
                     resale: float | None = None, spot: bool = False,
                     prices_path: str | None = None, price_kind: str = "launch") -> float | None:
    """Hours per month, on the bought card, above which buying ``buy_gpu_id`` costs less than renting ``rent_instance``
    over ``months`` for the same work. None when renting stays cheaper at any usage (the lines never cross).

    Example: ``break_even_hours("gtx-1080-ti", "aws:g4dn.xlarge", 24)`` -> "a GTX 1080 Ti desktop pays for itself
    after N hours a month against a T4 instance".
    """
    report = compare(CostRequest(buy=[buy_gpu_id], rent=[rent_instance], months=months, hours_per_month=1.0,
                                 workload=workload, precision=precision, gpu_price_usd=gpu_price_usd,
                                 build_price_usd=build_price_usd, electricity_usd_per_kwh=electricity_usd_per_kwh,
                                 resale=resale, spot=spot, prices_path=prices_path, price_kind=price_kind))
    return report.break_even(report.buys[0], report.rents[0])


def check_plot_path(path: str | Path) -> Path:
    """Refuse, before any work, a plot file matplotlib cannot write: an unsupported suffix or a missing folder."""
    from matplotlib.backend_bases import FigureCanvasBase

    path = Path(path)
    formats = sorted(FigureCanvasBase.get_supported_filetypes())
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in formats:
        raise UserError(f"--plot {path}: {'no' if not suffix else 'unsupported'} file type"
                        f"{'' if not suffix else ' .' + suffix}; end the name with one of "
                        f"{', '.join('.' + f for f in formats)}")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"cannot write plot {path}: folder {parent} does not exist")
    if path.is_dir():
        raise UserError(f"cannot write plot {path}: it is a folder")
    return path


def plot_cumulative(report: CostReport, path: str | Path, max_lines: int = 10) -> Path:
    """Cumulative cost against months, one line per option (the bought ones and the cheapest rented ones)."""
    path = check_plot_path(path)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chosen = report.buys + sorted(report.rents, key=lambda o: o.total_usd)[: max(1, max_lines - len(report.buys))]
    months = report.months
    steps = max(2, int(math.ceil(months)) * 4)
    xs = [months * i / steps for i in range(steps)] + [months, months]
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    for o in chosen:
        # Spending up to the horizon, then the resale coming back as a vertical step.
        ys = [o.cumulative_usd(x) for x in xs[:-2]] + [o.total_usd + o.resale_usd, o.total_usd]
        style = "-" if o.kind == "buy" else "--"
        ax.plot(xs, ys, style, label=f"{o.name} ({o.total_usd:,.0f} USD)", linewidth=2 if o.kind == "buy" else 1.3)
    ax.set_xlabel("months")
    ax.set_ylabel("cumulative cost (USD)")
    ax.set_title(f"{report.work.description}\nprices of {report.prices.date}; resale returned at month {months:g}",
                 fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    try:
        fig.savefig(path)
    except OSError as exc:
        raise UserError(f"cannot write plot {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UserError(f"cannot write plot {path}: {str(exc).splitlines()[0] if str(exc) else exc!r}") from None
    finally:
        plt.close(fig)
    return path
