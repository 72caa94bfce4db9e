"""Planning: a ``CostRequest`` (cards to buy, instances to rent, the work) becomes a ``CostReport``, using the price
lists, the GPU catalog, the performance model (and :mod:`rigbench.scaling` for multi-GPU options) and, when given,
a results file's measured throughput and power.

The same amount of work costs each option a different number of hours: work is counted in samples (images,
sequences), and every option's hours are ``samples / its throughput``.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, replace
from typing import Callable, Sequence

from rigbench import catalog, comparison, model, results, scaling, validity
from rigbench.comparison import NEGATIVE_NX, price_key, split_typed_count
from rigbench.cost.arithmetic import (MAX_MONTHS, MAX_WORK_HOURS_PER_MONTH, SECONDS_PER_HOUR, card_resale_usd,
                                      electricity_usd_per_hour, hours_for_samples, system_power_w)
from rigbench.cost.ownership import Ownership, load_ownership
from rigbench.cost.report import CostOption, CostReport, Work
from rigbench.errors import UserError
from rigbench.prices import cards, extras
from rigbench.prices.cloud import (WITH_PRICES_OPTION, Instance, PriceList, load_prices, select_instances,
                                   stale_advice)
from rigbench.units import fmt_num, fmt_pct, refuse_repeats, shown

TRAINING_KERNELS = ("train_cnn", "train_transformer")   # measurements whose NVML power is a training load
RESULTS_DEVICE = "cuda:0"   # the device of a results file a request names none of


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
    results_device: str | None = None  # a device of results_doc; None: RESULTS_DEVICE
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



class DoesNotFit(UserError):
    """Not one sample of the workload fits a card (rigbench.model gives it no throughput to cost the work by).
    ``reason`` is the model's own why, with the numbers (rigbench.model.no_fit_reason)."""

    def __init__(self, gpu_id: str, workload: str, precision: str, reason: str):
        self.gpu_id, self.workload, self.precision, self.reason = gpu_id, workload, precision, reason
        super().__init__(f"{gpu_id} cannot train {workload} in {precision}: {reason}; pick a card with more memory, "
                         "or a smaller workload")


def max_buy_count() -> int:
    """The most cards one bought machine holds (--buy-count): the largest NVLink board (profiles/interconnects.toml)."""
    return int(scaling.load_interconnects()["nvlink"]["board_max_cards"])


def _predict_throughput(gpu, workload: str, precision: str) -> tuple[float, str]:
    """(samples/s, unit) predicted for one catalog GPU; :class:`DoesNotFit` where not one sample fits it."""
    pred = model.predict(model.capability_from_gpu(gpu), workload, precision)
    if pred.throughput is None:
        raise DoesNotFit(str(getattr(gpu, "id", gpu)), workload, precision, str(pred.reason))
    return float(pred.throughput), _unit_of(pred)


def _unit_of(pred) -> str:
    """'images/s' -> 'images': what one sample of work is called."""
    unit = str(getattr(pred, "unit", "samples") or "samples")
    return unit[:-2] if unit.endswith("/s") else unit


def _multi_gpu_throughput(gpu, count: int, one_gpu_per_s: float, workload: str, precision: str,
                          own: Ownership, use_scaling: bool) -> tuple[float, str, bool]:
    """Throughput of ``count`` cards of ``gpu`` training data-parallel (a rented instance or a bought machine):
    rigbench.scaling.predict_data_parallel where it can say, else N x one GPU x the documented efficiency
    (profiles/ownership.toml [scaling]); with its source and whether that scaling is unvalidated (extrapolated past
    the published runs, or the documented efficiency, which no published run of this machine checks), as rigbench
    compare marks a multi-GPU figure."""
    if count == 1:
        return one_gpu_per_s, "predicted", False
    why = "rigbench.scaling not used"
    if use_scaling:
        try:
            out = scaling.predict_data_parallel(gpu, count, workload, precision, single_throughput=one_gpu_per_s)
        except UserError as exc:
            out = {"reason": str(exc)}
        if out.get("throughput"):
            return float(out["throughput"]), (f"predicted, rigbench.scaling: efficiency "
                                              f"{out.get('scaling_efficiency', 0):.2f} over {out.get('interconnect')}"
                                              ), bool(out.get("extrapolated"))
        why = f"rigbench.scaling cannot say: {out.get('reason') or 'no throughput'}"
    eff = own.data_parallel_efficiency
    return (one_gpu_per_s * count * eff,
            f"predicted, {count} x 1 GPU x {eff:g} scaling efficiency (fallback: {why})", True)


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


def _unused_power(view: results.Results, device: str) -> tuple[str, str]:
    """Why a results file gives no power to cost ``device`` by (:func:`_measured_power_w` found none), after 'the
    file ', in a few words and in full: its NVML readings of training kernels are all around figures present but
    INVALID (each named in full with its reading and its reasons, :func:`rigbench.validity.brief`), or it has none."""
    read = [(f, w) for f in view.invalid(TRAINING_KERNELS, device=device) if (w := f.power_w()) is not None]
    if not read:
        none = f"has no NVML power reading of a training kernel, {' or '.join(TRAINING_KERNELS)}, on {device}"
        return none, none
    short = f"reads NVML power of training kernels on {device} only around figures present but INVALID, not used"
    return short, short + ": " + "; ".join(
        f"{f.kernel} {f.dtype} {w[0]:.0f} W ({', '.join(validity.brief(r) for r in f.reasons) or f.why_not()})"
        for f, w in read)


def _left_out_figures(view: results.Results, req: CostRequest, name: str) -> list[str]:
    """One note per figure of the results file that the bought card's throughput would read
    (:func:`rigbench.model.figures_read`: the gemm and memcopy the model corrects its prediction with, the
    workload's own training run) and leaves out because it is not valid: the kernel, dtype, measured value with its
    95% interval, and why, in the words docs/model.md promises ("present but INVALID (spread ...)")."""
    notes = []
    for f in model.figures_read(view, req.results_device, req.workload, req.precision):
        if f.valid:
            continue
        ci = f" (95% CI {fmt_num(f.ci[0])}-{fmt_num(f.ci[1])})" if f.ci else ""
        notes.append(f"--results: {f.kernel} {f.dtype} on {req.results_device}, measured {fmt_num(f.value)} "
                     f"{f.unit or ''}{ci}".rstrip() + f", is {view.invalid_note([f])}: left out of "
                     f"{name}'s {req.workload} ({req.precision}) throughput")
    return notes


def _unapplied(cap, precision: str) -> list[str]:
    """Why a results file's figures left a capability's ``precision`` as the catalog has it: the model's own notes
    (``Capability.factors``) on the figures it recorded but did not apply."""
    factors = getattr(cap, "factors", None) or {}
    return [str(f["source"]) for key, f in factors.items()
            if key.endswith(f"_{precision}") and isinstance(f, dict) and f.get("source")
            and (f.get("applied") is False or key.startswith("ignored_"))]


def _measured_card(view: results.Results, device: str, buy_gpus: list, resolve_gpu: Callable) -> str:
    """The ``--buy`` name that is the card ``device`` of the results file measured. A measurement of one card is
    never used for another: a results file of no bought card is refused, saying which card it measured."""
    measured = [d for d in view.devices() if d]
    if device not in measured:
        gpus = [d for d in measured if d.startswith("cuda")]
        raise UserError(f"--results: the file has no figure of {device}; it measured {', '.join(measured) or 'nothing'}"
                        + (f": give --device {gpus[0]}" if gpus else ": drop --results, or give a file measured on a GPU"))
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
    if req.power_w is not None and req.power_w <= 0:
        raise UserError(f"--power-w is {req.power_w}; give the machine's wall power in watts (> 0)")
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
    # the CLI's bounds, for every caller (rigbench report passed 1e308 months through to the chart)
    if req.months > MAX_MONTHS:
        raise UserError(f"--months is {req.months:g}; it must be at most {MAX_MONTHS}")
    if req.hours_per_month is not None and req.hours_per_month > MAX_WORK_HOURS_PER_MONTH:
        raise UserError(f"--hours-per-month is {req.hours_per_month:g}; it must be at most "
                        f"{MAX_WORK_HOURS_PER_MONTH:,}")
    if req.hours_per_month is not None and req.epochs is not None:
        raise UserError("give the work either as --hours-per-month or as a training job (--epochs/--dataset-size), not both")
    if (req.epochs is None) != (req.dataset_size is None):
        raise UserError("a training job needs both --epochs and --dataset-size")
    if req.epochs is not None and (req.epochs <= 0 or req.dataset_size <= 0):
        raise UserError("--epochs and --dataset-size must be positive")
    if req.epochs is not None and req.epochs * req.dataset_size < 1:
        raise UserError(f"--epochs {req.epochs:g} x --dataset-size {req.dataset_size:,.0f} is "
                        f"{req.epochs * req.dataset_size:.3g} samples: a job trains on one sample or more")
    if req.jobs_per_month is not None and req.jobs_per_month <= 0:
        raise UserError(f"--jobs-per-month is {req.jobs_per_month}; it must be positive")
    if req.resale is not None and not 0 <= req.resale <= 1:
        raise UserError(f"--resale is {req.resale}; give a fraction between 0 and 1 (0.5 = half the price back)")
    if req.electricity_usd_per_kwh is not None and req.electricity_usd_per_kwh < 0:
        raise UserError("--electricity must be zero or more (USD per kWh)")
    if not 1 <= req.buy_count <= max_buy_count():
        raise UserError(f"--buy-count is {req.buy_count}; one machine holds 1 to {max_buy_count()} cards (the largest "
                        "NVLink board)")
    if req.price_kind not in cards.KINDS:
        raise UserError(f"--price-kind is {req.price_kind!r}; use one of {', '.join(cards.KINDS)}")
    if not req.buy and not req.rent:
        raise UserError("nothing to compare: give --buy CARD and/or --rent provider:instance (or --rent all)")
    _refuse_inapplicable(req)
    one_card = [flag for attr, flag in (("gpu_price_usd", "--gpu-price"), ("build_price_usd", "--build-price"))
                if getattr(req, attr) is not None]
    if one_card and len(req.buy) > 1:
        # one price for several cards would price them all alike, whatever each costs
        raise UserError(f"{' and '.join(one_card)} price{'s' if len(one_card) == 1 else ''} a single --buy card, and "
                        f"{len(req.buy)} cards are bought ({', '.join(req.buy)}): run rigbench cost once per card, "
                        f"each with its own {' and '.join(one_card)}")


# Options that price only a bought machine, or only rented instances: (request field, its default, the option).
_BUY_ONLY = (("gpu_price_usd", None, "--gpu-price"), ("build_price_usd", None, "--build-price"),
             ("price_kind", "launch", "--price-kind"), ("buy_count", 1, "--buy-count"),
             ("electricity_usd_per_kwh", None, "--electricity"), ("power_w", None, "--power-w"),
             ("resale", None, "--resale"), ("results_doc", None, "--results"))
# What the Assumptions line offers to change a bought machine's total with, in this order.
_CHANGE_BUY = ("electricity_usd_per_kwh", "resale", "gpu_price_usd", "build_price_usd", "power_w")
_RENT_ONLY = (("spot", False, "--spot"), ("storage_gb", 0, "--storage-gb"), ("egress_gb", 0, "--egress-gb"),
              ("storage_usd_per_gb_month", None, "--storage-usd-per-gb-month"))


def _refuse_inapplicable(req: CostRequest) -> None:
    """An option that cannot change this request's answer is refused, saying what it needs: set aside without a
    word, it would read as applied (an electricity price named as a driver while nothing is bought). Every such
    check is here. A value equal to the option's default changes nothing and is not refused."""
    results.refuse_device_without_file(req.results_device, req.results_doc is not None, "give it with --results FILE")
    for present, options, what, add in ((req.buy, _BUY_ONLY, "a bought machine", "--buy CARD"),
                                        (req.rent, _RENT_ONLY, "rented instances", "--rent WHAT")):
        given = [flag for attr, default, flag in options if getattr(req, attr) != default]
        if given and not present:
            one = len(given) == 1
            raise UserError(f"{', '.join(given)} appl{'ies' if one else 'y'} to {what}, and nothing is "
                            f"{'bought' if add.startswith('--buy') else 'rented'}: add {add}, or drop "
                            f"{'it' if one else 'them'}")
    if req.gpu_price_usd is not None and req.price_kind != "launch":
        raise UserError(f"--price-kind {req.price_kind} picks a listed card price, and --gpu-price gives the price "
                        f"itself: drop one")
    if req.storage_usd_per_gb_month is not None and not req.storage_gb:
        raise UserError("--storage-usd-per-gb-month prices the storage of --storage-gb, and none is kept: add "
                        "--storage-gb GB, or drop it")
    if req.epochs is None and req.jobs_per_month != 1:
        raise UserError("--jobs-per-month counts training jobs (--epochs N --dataset-size SAMPLES); with "
                        "--hours-per-month give the hours of all of them, and drop --jobs-per-month")


def _named(key: str, rent: Sequence[str]) -> bool:
    """Whether ``--rent`` names instance ``key`` itself (``aws:p3.2xlarge`` or ``p3.2xlarge``), not by a selector."""
    return any(r.strip().lower() in (key.lower(), key.split(":", 1)[1].lower()) for r in rent)


def _rented_instances(req: CostRequest, prices: PriceList, warnings: list[str]) -> list[Instance]:
    """The instances ``--rent`` names (one, or every instance of a provider / a GPU / the list); with ``--spot``, those
    without a spot price are left out (a named one is an error)."""
    instances, _ = select_instances(req.rent, prices)
    if req.spot:
        no_spot = [i.key for i in instances if i.spot_usd_per_hour is None]
        named_without = [k for k in no_spot if _named(k, req.rent)]
        if named_without:
            raise UserError(f"--spot: no spot price listed for {', '.join(named_without)}; drop --spot or pick "
                            f"another instance")
        if no_spot and len(no_spot) == len(instances):
            # nothing asked for is left to rent: answering "buy" (or nothing) would compare against no rented
            # option at all, so refuse, whatever is bought
            dates = sorted({i.price_date.isoformat() for i in instances})
            dated = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
            raise UserError(f"--spot: none of the {len(instances)} {' '.join(req.rent)} instances has a spot price "
                            f"in the price list ({prices.source}, dated {dated}); drop --spot or rent other instances")
        if no_spot:
            instances = [i for i in instances if i.spot_usd_per_hour is not None]
            warnings.append(f"--spot: {len(no_spot)} instance(s) without a published spot price left out "
                            f"({', '.join(no_spot[:4])}{', ...' if len(no_spot) > 4 else ''})")
    return instances


def _fitting_instances(req: CostRequest, instances: list[Instance], resolve_gpu: Callable, predict: Callable,
                       warnings: list[str], left_out: list[dict]) -> tuple[list[Instance],
                                                                          dict[str, tuple[object, float, str]]]:
    """The rented instances whose GPU can train the workload, and gpu_id -> (catalog GPU, one GPU's samples/s,
    unit) for them; ``left_out`` gets ``{"instance", "gpu", "reason"}`` of each instance left out. An instance whose GPU cannot hold the weights, optimizer state and one sample is left out with
    one warning per GPU, saying why with the numbers: data-parallel training keeps a whole copy of that state on
    every GPU, so more GPUs of the kind do not help. Nothing rented left is refused, whatever is bought, as --spot
    refuses: a comparison against no rented option at all would not answer buy-or-rent."""
    fit: dict[str, tuple[object, float, str]] = {}
    unfit: dict[str, DoesNotFit] = {}
    for inst in instances:
        if inst.gpu_id in fit or inst.gpu_id in unfit:
            continue
        gpu = resolve_gpu(inst.gpu_id)
        try:
            one, unit = predict(gpu, req.workload, req.precision)
        except DoesNotFit as exc:
            unfit[inst.gpu_id] = exc
            continue
        fit[inst.gpu_id] = (gpu, one, unit)
    if not unfit:
        return instances, fit
    kept = [i for i in instances if i.gpu_id in fit]
    notes = []
    for gpu_id, exc in unfit.items():
        keys = [i.key for i in instances if i.gpu_id == gpu_id]
        why = exc.reason.removeprefix("does not fit: ")
        note = (f"{', '.join(keys)} left out: {req.workload} ({req.precision}) does not fit the GPU memory of "
                f"{gpu_id}: {why}")
        if req.reference and req.reference.strip().lower() in {k.lower() for k in keys}:
            # the hours are on it: it cannot be the yardstick of the work
            raise UserError(f"--reference {shown(req.reference)}: {note}; give another --reference")
        notes.append(note)
        left_out.extend({"instance": key, "gpu": gpu_id, "reason": f"does not fit: {why}"} for key in keys)
    if not kept:
        raise UserError(f"nothing rented to compare: {'; '.join(notes)}; rent an instance with more GPU memory, or "
                        "pick a smaller workload")
    warnings.extend(notes)
    return kept, fit


def _storage_and_egress(req: CostRequest, instances: list[Instance], warnings: list[str]
                        ) -> tuple[list[Instance], dict[str, tuple[float, str]], dict[str, dict]]:
    """Storage and egress: every rented option pays them per month; a provider without a cited price is left out.
    Returns (the instances kept, provider -> (USD per month, how), provider -> its billing increment)."""
    extras_monthly: dict[str, tuple[float, str]] = {}
    billing: dict[str, dict] = {}
    if instances:
        facts = extras.load_extras()
        for provider in sorted({i.provider for i in instances}):
            f = facts.get(provider)
            if f is not None:
                billing[provider] = {"provider": provider, "increment": f.increment, "billing": f.billing,
                                     "source": f.billing_source}
            if not (req.storage_gb or req.egress_gb):
                continue
            usd, how = (extras.monthly_usd(f, req.storage_gb, req.egress_gb, req.storage_usd_per_gb_month)
                        if f is not None else (None, f"{provider}: no storage or egress prices in profiles/cloud_extras.toml"))
            if usd is None:
                dropped = [i.key for i in instances if i.provider == provider]
                named = [k for k in dropped if _named(k, req.rent)]
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
    return instances, extras_monthly, billing


def _as_given(x: float) -> str:
    """A figure the work was given in, for its description: a whole number as written, with thousands separators
    ('80', '100,000', '1,000,000'; ':g' wrote '1e+06'), any other to fmt_num's significant digits ('2.50')."""
    x = float(x)
    return f"{x:,.0f}" if x.is_integer() else fmt_num(x)


def _work(req: CostRequest, unit: str, buy_gpus, instances, through, resolve_gpu, predict) -> Work:
    """The work, in samples per month: a training job (epochs x dataset size x jobs), or hours on the reference."""
    if req.epochs is not None:
        per_epoch = float(req.dataset_size)
        per_job = float(req.epochs) * per_epoch
        samples = per_job * req.jobs_per_month
        ref_name, ref_t = _reference(req, buy_gpus, instances, through, resolve_gpu, predict)
        return Work(samples, unit, f"{_as_given(req.jobs_per_month)} x ({_as_given(req.epochs)} epochs x "
                    f"{per_epoch:,.0f} {unit}) "
                    f"of {req.workload} per month", ref_name, ref_t, per_job, per_epoch)
    if req.hours_per_month is None:
        raise UserError("say how much work: --hours-per-month H (on the reference device) or a training job "
                        "(--epochs N --dataset-size SAMPLES)")
    ref_name, ref_t = _reference(req, buy_gpus, instances, through, resolve_gpu, predict)
    samples = req.hours_per_month * SECONDS_PER_HOUR * ref_t
    return Work(samples, unit, f"{_as_given(req.hours_per_month)} h/month of {req.workload} ({req.precision}) on "
                f"{ref_name}",
                ref_name, ref_t)


def _buy_power(req: CostRequest, gpu, name: str, measured_name: str | None, own: Ownership,
               power_basis: list[str], notes: list[str]) -> tuple[float, str]:
    """Wall power of a bought machine while training, and how it was found: --power-w, else the results file's NVML
    reading of a training kernel (for the card it measured), else the catalog's TDP x the load fraction. A results
    file of the card that leaves its power to the TDP is a note in ``notes`` saying why."""
    if req.power_w is not None:
        power, power_src = float(req.power_w), "--power-w"
        power_basis.append(f"{getattr(gpu, 'id', name)}: wall power {power:g} W from --power-w")
    else:
        rest = f"rest of system {own.rest_of_system_w:.0f} W" + (" (a one-GPU desktop's)" if req.buy_count > 1 else "")
        measured = _measured_power_w(req.results_doc, req.results_device) if name == measured_name else None
        if measured is not None:
            watts, where = measured
            power = system_power_w(watts, req.buy_count, 1.0, own.rest_of_system_w, own.psu_efficiency)
            power_src = (f"GPU {watts:.0f} W x {req.buy_count}: NVML reading at the end of a kernel ({where}, "
                         f"results file), not an average; + {rest}, / PSU efficiency {own.psu_efficiency:g}")
            power_basis.append(f"{getattr(gpu, 'id', name)}: GPU {watts:.0f} W is an NVML reading at the end of a "
                               f"training kernel ({where}), not an average over the run")
        else:
            tdp = getattr(gpu, "tdp_w", None)
            if tdp is None:
                raise UserError(f"the catalog has no TDP for {getattr(gpu, 'name', name)}; give the machine's draw "
                                f"with --power-w WATTS")
            power = system_power_w(float(tdp), req.buy_count, own.gpu_load_fraction, own.rest_of_system_w,
                                   own.psu_efficiency)
            power_src = (f"GPU TDP {float(tdp):.0f} W x {req.buy_count} x {own.gpu_load_fraction:g} + {rest}, / PSU "
                         f"efficiency {own.psu_efficiency:g}")
            why = "TDP, an upper bound on sustained board power"
            if req.results_doc is not None and name == measured_name:
                short, full = _unused_power(results.Results.of(req.results_doc), req.results_device)
                why += f" (the results file {short})"
                notes.append(f"--results: {getattr(gpu, 'id', name)}'s power is its catalog TDP, {float(tdp):.0f} W, "
                             f"an upper bound on sustained board power, not a measurement: the file {full}")
            power_basis.append(f"{getattr(gpu, 'id', name)}: GPU {why}")
    return power, power_src


def compare(req: CostRequest, *, resolve_gpu: Callable = catalog.resolve,
            predict: Callable = _predict_throughput, ownership: Ownership | None = None,
            use_scaling: bool = True) -> CostReport:
    """Cost every option in ``req`` for the same work over ``req.months``.

    ``resolve_gpu(name) -> Gpu`` and ``predict(gpu, workload, precision) -> (samples/s, unit)`` default to the catalog
    and the performance model; tests and other modules may pass their own. ``use_scaling``: size multi-GPU
    options with ``rigbench.scaling`` (else the documented efficiency).
    """
    _check_request(req)
    if req.results_device is None:
        req = replace(req, results_device=RESULTS_DEVICE)
    own = ownership or load_ownership()
    prices = load_prices(req.prices_path, instead=WITH_PRICES_OPTION)
    today = req.today or _dt.date.today()
    warnings: list[str] = []
    usd_per_kwh = own.electricity_usd_per_kwh if req.electricity_usd_per_kwh is None else req.electricity_usd_per_kwh
    fraction = own.resale_at(req.months) if req.resale is None else req.resale

    instances = _rented_instances(req, prices, warnings)
    left_out: list[dict] = []
    instances, one_gpu = _fitting_instances(req, instances, resolve_gpu, predict, warnings, left_out)
    instances, extras_monthly, billing = _storage_and_egress(req, instances, warnings)

    # Bought cards.
    for name in req.buy:
        count = split_typed_count(name, "--buy")
        if (count and count[1]) or NEGATIVE_NX.match(name):
            # compare's 'Nx NAME' is --buy-count here: read as a card name it was "unknown GPU"; a count --buy-count
            # refuses (0x, 16x, -1x) is not suggested, its range is said instead
            if count and 1 <= count[0] <= max_buy_count():
                resolve_gpu(count[1])   # a rest that is no card ('2××rtx-3090') is said as compare says it
                raise UserError(f"--buy {shown(name)}: --buy takes one card; for {count[0]} of them in one machine "
                                f"give --buy {count[1]} --buy-count {count[0]}")
            raise UserError(f"--buy {shown(name)}: --buy takes one card; --buy-count gives the cards in one machine, "
                            f"1 to {max_buy_count()} (the largest NVLink board)")
    buy_gpus = [(name, resolve_gpu(name)) for name in req.buy]
    refuse_repeats([(name, getattr(gpu, "id", name)) for name, gpu in buy_gpus], "--buy", "card",
                   " (--buy-count N for several in one machine)")
    # which card a short name took, what a power limit or a laptop part assumes: as compare says it
    name_notes: list[str] = []
    for name, gpu in buy_gpus:
        comparison.refuse_laptop_count(gpu, req.buy_count, f"--buy {name} --buy-count {req.buy_count}")
        if resolve_gpu is catalog.resolve:
            name_notes += [n for n in [catalog.lookup(name).note()] if n]
        name_notes += comparison.power_notes(getattr(gpu, "id", name), gpu)
        if getattr(gpu, "form_factor", None) == "laptop" and req.build_price_usd is None:
            name_notes.append(f"{gpu.id} is a laptop part: the purchase adds a desktop's rest of machine and its "
                              "power; give the laptop's whole price with --build-price USD (and --power-w W)")

    # Throughputs (samples/s) of every option, and the unit of work.
    efficiency: dict[str, float | None] = {}   # throughput / (N x one GPU): what a multi-GPU option keeps
    unit = "samples"
    through: dict[str, tuple[float, str]] = {}
    measured_buy = None
    measured_name = None      # the --buy card the results file measured; its figures are used for it alone
    reading_notes: list[str] = []   # what of the results file the answer leaves out, and why
    if req.results_doc is not None and buy_gpus:
        view = results.Results.of(req.results_doc)
        measured_name = _measured_card(view, req.results_device, buy_gpus, resolve_gpu)
        reading_notes += _left_out_figures(view, req, getattr(dict(buy_gpus)[measured_name], "id", measured_name))
        if view.ok(device=req.results_device):
            cap = model.capability_from_results(view, req.results_device)
            pred = model.predict(cap, req.workload, req.precision)
            # measured or predicted is the model's word (Prediction.source), as in rigbench compare: a results file
            # without a training run of this workload only corrects the prediction through its measured kernels
            measured_buy = (float(pred.throughput), pred.source, _unapplied(cap, req.precision))
            unit = _unit_of(pred)
        else:
            warnings.append(f"--results: the figures of {req.results_device} are "
                            f"{view.invalid_note(view.all(device=req.results_device))}: {measured_name} is predicted, "
                            "not measured")
    kinds: dict[str, str] = {}   # option key -> "measured" or "predicted"
    unvalidated: dict[str, bool] = {}   # option key -> its multi-GPU scaling is unvalidated
    for name, gpu in buy_gpus:
        kind = "predicted"
        if measured_buy is not None and name == measured_name:
            t, kind, unapplied = measured_buy
            src = "measured (results file)" if kind == "measured" else \
                "predicted from the results file's measured kernels"
            catalog_t, _ = predict(gpu, req.workload, req.precision)
            if kind != "measured" and math.isclose(t, catalog_t, rel_tol=1e-9):
                src = "predicted"
                warnings.append(f"--results changes nothing for {name}: the file has no {req.workload} "
                                f"({req.precision}) training run of it, and none of its figures moves the prediction"
                                + (f" ({'; '.join(unapplied)})" if unapplied else "") + "; it stays predicted from "
                                "the catalog")
        else:
            t, unit = predict(gpu, req.workload, req.precision)
            src = "predicted"
        kinds[f"buy:{name}"] = kind
        one = t
        if req.buy_count > 1:
            t, how, unvalidated[f"buy:{name}"] = _multi_gpu_throughput(gpu, req.buy_count, t, req.workload,
                                                                       req.precision, own, use_scaling)
            src = src + how.removeprefix("predicted")
        through[f"buy:{name}"] = (t, src)
        efficiency[f"buy:{name}"] = t / (one * req.buy_count) if one > 0 else None
    for inst in instances:
        gpu, one, unit = one_gpu[inst.gpu_id]
        t, src, unvalidated[f"rent:{inst.key}"] = _multi_gpu_throughput(gpu, inst.gpu_count, one, req.workload,
                                                                         req.precision, own, use_scaling)
        through[f"rent:{inst.key}"] = (t, src)
        efficiency[f"rent:{inst.key}"] = t / (one * inst.gpu_count) if one > 0 else None

    work = _work(req, unit, buy_gpus, instances, through, resolve_gpu, predict)

    options: list[CostOption] = []
    power_basis: list[str] = []
    card_notes: list[str] = []
    listed = cards.load_card_prices() if buy_gpus else []
    for name, gpu in buy_gpus:
        t, src = through[f"buy:{name}"]
        if req.build_price_usd is not None:
            try:
                card_usd, whose = _card_price(req, gpu, name, today)
            except UserError:  # no price known for the card: nothing to hold the build price against
                card_usd, whose = None, ""
            if card_usd is not None and req.build_price_usd < card_usd * req.buy_count:
                raise UserError(f"--build-price {req.build_price_usd:,.2f} is below the price of the card(s) it holds "
                                f"({req.buy_count} x {whose}): the whole machine costs at least its cards; give the "
                                "price of the whole machine, or the card's real price with --gpu-price or --price-kind")
            purchase = float(req.build_price_usd)
            purchase_src = "--build-price (whole machine)"
        else:
            gpu_price, price_what = _card_price(req, gpu, name, today)
            card_usd = float(gpu_price)
            purchase = float(gpu_price) * req.buy_count + own.rest_of_machine_usd
            purchase_src = (f"{price_what} x {req.buy_count} + rest of machine {own.rest_of_machine_usd:,.0f}"
                            + (" (a one-GPU desktop's)" if req.buy_count > 1 else ""))
            gpu_id = getattr(gpu, "id", name)
            others = [cp for cp in (cards.card_price(price_key(gpu_id), k, listed) for k in cards.KINDS)
                      if cp is not None and (req.gpu_price_usd is not None or cp.kind != req.price_kind)]
            if others:
                card_notes.append(f"{gpu_id}: also known: " + "; ".join(
                    f"{cards.KIND_WORDS[cp.kind]} {cp.usd:,.0f} USD ({cp.date}"
                    + (", mining shortage" if cp.note == "shortage" else "") + ")" for cp in others)
                    + " (--price-kind launch|new|used)")
        resale_usd, resale_how, sale_age = _resale(req, own, gpu, name, purchase, card_usd, fraction, listed, today,
                                                   warnings)
        power, power_src = _buy_power(req, gpu, name, measured_name, own, power_basis, reading_notes)
        options.append(CostOption(
            name=_buy_label(gpu, name, req.buy_count), kind="buy", gpu_id=getattr(gpu, "id", name),
            gpu_count=req.buy_count,
            throughput_per_s=t, throughput_source=src, throughput_kind=kinds[f"buy:{name}"],
            hours_per_month=hours_for_samples(work.samples_per_month, t),
            months=req.months, purchase_usd=purchase, resale_usd=resale_usd, power_w=power,
            power_source=power_src, usd_per_hour=electricity_usd_per_hour(power, usd_per_kwh),
            extra={"purchase_source": purchase_src, "scaling_efficiency": efficiency.get(f"buy:{name}"),
                   "resale_fraction": resale_usd / purchase if purchase > 0 else None, "resale_source": resale_how,
                   "resale_age_rule": sale_age is not None,
                   # the card's age at sale outside the ages the resale curve was fitted on (None with --resale)
                   "resale_extrapolated": None if req.resale is not None else own.resale_extrapolated(
                       req.months if sale_age is None else sale_age),
                   "scaling_unvalidated": unvalidated.get(f"buy:{name}", False)},
        ))
    for inst in instances:
        t, src = through[f"rent:{inst.key}"]
        options.append(CostOption(
            name=inst.key, kind="rent", gpu_id=inst.gpu_id, gpu_count=inst.gpu_count, throughput_per_s=t,
            throughput_source=src, hours_per_month=hours_for_samples(work.samples_per_month, t), months=req.months,
            usd_per_hour=float(inst.usd_per_hour(req.spot)), price_date=inst.price_date.isoformat(),
            monthly_usd=extras_monthly.get(inst.provider, (0.0, ""))[0],
            extra={"region": inst.region, "price_source": inst.source, "price_date_basis": inst.date_basis,
                   "scaling_efficiency": efficiency.get(f"rent:{inst.key}"),
                   "scaling_unvalidated": unvalidated.get(f"rent:{inst.key}", False)},
        ))

    fetched = sorted({i.provider for i in instances if i.date_basis == "fetched"})
    if fetched:
        warnings.append(f"{', '.join(fetched)} prices are dated by the day their catalog file was read, not by a date "
                        f"the source states: they may be older than shown")
    if req.spot and instances:
        # a spot instance can be taken back at any time: the hours here are those of a run never interrupted
        warnings.append("--spot: spot prices assume no interruption; an instance the provider takes back loses the "
                        "work since the last checkpoint, and availability is not guaranteed (neither is modelled)")
    one_gpu_rest = _one_gpu_desktop_warning(req, own) if buy_gpus else None
    if one_gpu_rest:
        warnings.append(one_gpu_rest)
    multi = [o for o in options if o.gpu_count > 1]
    if multi:
        effs = [o.extra.get("scaling_efficiency") for o in multi if o.extra.get("scaling_efficiency")]
        lo, hi = (f"{min(effs):.0%}", f"{max(effs):.0%}") if effs else ("", "")
        span = f" (predicted efficiency {lo}-{hi})" if lo != hi else f" (predicted efficiency {lo})" if effs else ""
        # no column named: rigbench cost's table shows the efficiency as 'scaling', rigbench report's in 'source'
        warnings.append(f"{len(multi)} multi-GPU option(s) assume the job trains data-parallel on all their GPUs"
                        f"{span}; a job that runs on one GPU pays for the idle ones")
    assumptions = {
        "months": req.months,
        "workload": req.workload,
        "precision": req.precision,
        "electricity_usd_per_kwh": usd_per_kwh,
        "electricity_source": "--electricity" if req.electricity_usd_per_kwh is not None else own.sources["electricity"],
        "resale_fraction": fraction,
        "resale_source": "--resale" if req.resale is not None else own.sources["resale"],
        # how resale is counted when a bought card follows its age (None: the fraction alone, by months owned)
        "resale_rule": (f"by each card's age from launch: the lesser of price x v(age + {req.months:g}) / v(age) and "
                        f"what its used price says it is worth then, v the fit; the rest of the machine, new, "
                        f"{fmt_pct(fraction)} after {req.months:g} months"
                        if any(o.extra.get("resale_age_rule") for o in options) else None),
        # "resale_extrapolated" (a card's age at sale outside the ages the resale curve was fitted on) is that of
        # the bought card the verdict weighs: CostReport sets it from CostReport.verdict_buy
        "rest_of_machine_usd": None if req.build_price_usd is not None else own.rest_of_machine_usd,
        "rest_of_machine_source": "--build-price" if req.build_price_usd is not None else own.sources["rest_of_machine"],
        # the rest of the machine (price and power) is a one-GPU desktop's, whatever --buy-count is: None when
        # --build-price and --power-w replace both, else what it leaves out
        "rest_of_machine_underestimate": one_gpu_rest,
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
        # the options that would change this answer and were not given: an option already given is not offered
        "change_with": ([flag for attr in _CHANGE_BUY for a, default, flag in _BUY_ONLY
                         if a == attr and getattr(req, attr) == default] if buy_gpus else [])
                       + (["--spot"] if instances and not req.spot else []),
    }
    rep = CostReport(options, work, req.months, prices, own.stale_after_days, assumptions, warnings, today, left_out,
                     name_notes + reading_notes, max_buy_count())
    # the cloud price list enters the answer only through a rented option's price: with none, its date and age are
    # nobody's concern; with some, theirs are (the oldest of them), as the report dates them (CostReport.prices_*)
    if rep.prices_stale:
        rep.warnings.insert(0, f"prices are {rep.prices_age_days} days old (rented prices dated {rep.prices_date}, "
                               f"older than {rep.stale_after_days} days): {stale_advice(prices)}")
    return rep


def _resale(req: CostRequest, own: Ownership, gpu, name: str, purchase: float, card_usd: float | None,
            fraction: float, listed: list, today: _dt.date, warnings: list[str]
            ) -> tuple[float, str, float | None]:
    """(USD back at the horizon, how, the card's age in months when sold or None).

    With --resale, or an ownership file's own [resale] table, or a card whose price or launch date is unknown: the
    purchase x ``fraction``, by the months owned. Otherwise the card loses value with its age from launch, as
    rigbench.prices.cards.value_at_age works out from profiles/card_prices.csv: each card bought at age a for P
    returns min(P x v(a + m) / v(a), what the data says such a card is worth at a + m), v(t) = exp(-k x t) the
    card-price fit; the rest of the machine, bought new, returns ``fraction`` = v(m).

    A listed launch or street price above what the data says the card is worth today (value_at_age at its age now)
    is a warning: the difference is gone the day it is bought (an RTX 3090 bought at its 2020 launch price returns
    its used value, not the price, however soon it is sold)."""
    plain = (purchase * fraction, f"{fmt_pct(fraction)} of the purchase after {req.months:g} months", None)
    k = own.resale_k_per_month
    if req.resale is not None or k is None or card_usd is None:
        return plain
    # a power-limited variant (rtx-4090@300W) is the card itself bought: its launch and prices are the card's
    gpu_id = price_key(getattr(gpu, "id", name))
    launch = cards.launch_month(gpu_id, listed, getattr(gpu, "launch_year", None))
    if launch is None:
        return plain
    listed_launch = cards.card_price(gpu_id, "launch", listed)
    launch_usd = listed_launch.usd if listed_launch is not None else getattr(gpu, "launch_price_usd", None)
    age = cards.age_months(launch[0], today)
    now = cards.value_at_age(gpu_id, age, k, listed, launch_usd, launch[0])
    if now is not None and card_usd > now[0] and req.gpu_price_usd is None and req.price_kind != "used":
        # a used price is what such a card sells for; a price typed with --gpu-price is what the buyer pays
        warnings.append(f"{getattr(gpu, 'id', name)} is bought at {card_usd:,.0f} USD per card, above the "
                        f"{fmt_num(now[0])} USD the data says it is worth today at {age} months old ({now[1]}): "
                        f"that difference does not come back at resale; price it with "
                        + ("--price-kind used or " if cards.card_price(gpu_id, "used", listed, market=True) else "")
                        + "--gpu-price USD")
    sold = age + req.months
    worth = cards.value_at_age(gpu_id, sold, k, listed, launch_usd, launch[0])
    card_back = card_resale_usd(card_usd, age, req.months, k, worth[0] if worth else None)
    rest = purchase - card_usd * req.buy_count
    held = (f"the lesser of {card_usd:,.0f} x exp(-{k:.4f} x {req.months:g}) and {worth[1]}" if worth else
            f"{card_usd:,.0f} x exp(-{k:.4f} x {req.months:g})")
    how = (f"{getattr(gpu, 'id', name)} {age} months old when bought ({launch[1]}), {sold:g} when sold: "
           f"{fmt_num(card_back)} USD back per card ({held})"
           + (f"; rest of machine {fmt_num(rest)} USD x {fmt_pct(fraction)}" if rest > 0 else ""))
    return card_back * req.buy_count + max(rest, 0.0) * fraction, how, sold


def _one_gpu_desktop_warning(req: CostRequest, own: Ownership) -> str | None:
    """The rest of the machine is priced and powered as the guide's one-GPU desktop (profiles/ownership.toml): for
    several cards (a server board, a larger power supply, more cooling) that is an underestimate, and no cited figure
    scales it. Says so where --build-price / --power-w do not replace it; None for one card or when both do."""
    if req.buy_count <= 1:
        return None
    parts = []
    if req.build_price_usd is None:
        parts.append((f"priced ({own.rest_of_machine_usd:,.0f} USD)", "--build-price USD"))
    if req.power_w is None:
        parts.append((f"powered ({own.rest_of_system_w:.0f} W besides the cards)", "--power-w WATTS"))
    if not parts:
        return None
    return (f"--buy-count {req.buy_count}: the rest of the machine is {' and '.join(p for p, _ in parts)} as a one-GPU "
            f"desktop, an underestimate for {req.buy_count} cards (which need a server board and a larger power "
            f"supply); give the real figures with {' and '.join(f for _, f in parts)}")


def _card_price(req: CostRequest, gpu, name: str, today: _dt.date) -> tuple[float, str]:
    """The price of one card and how it was chosen: --gpu-price, else the newest price of --price-kind from
    profiles/card_prices.csv (for launch, the catalog's launch price when the list has none). A used price of the
    mining shortage (note ``shortage``: cards sold above their launch price) is no price to buy at today, as it is
    none to sell at (cards.value_at_age): the newest other used price is taken, and with none the request is
    refused. A used price over a year old says its age."""
    if req.gpu_price_usd is not None:
        return float(req.gpu_price_usd), f"--gpu-price {float(req.gpu_price_usd):,.0f}"
    # a power-limited variant (rtx-4090@300W) is bought as the card itself: the card's listed prices apply
    gpu_id = price_key(getattr(gpu, "id", name))
    listed = cards.load_card_prices()
    cp = cards.card_price(gpu_id, req.price_kind, listed, market=True)
    if cp is not None:
        age = cards.age_months(cp.month, today)
        old = f", {age} months old" if cp.kind == "used" and age > 12 else ""
        return cp.usd, f"{cards.KIND_WORDS[cp.kind]} {cp.usd:,.0f} ({cp.date}{old}, {cp.source})"
    shortage = cards.card_price(gpu_id, req.price_kind, listed)
    if shortage is not None:
        kinds = [k for k in cards.KINDS if k != req.price_kind and (
            cards.card_price(gpu_id, k, listed, market=True) is not None
            or (k == "launch" and getattr(gpu, "launch_price_usd", None) is not None))]
        raise NoCardPrice(f"the only {cards.KIND_WORDS[req.price_kind]} listed for {getattr(gpu, 'name', name)} is a "
                          f"mining-shortage one ({shortage.usd:,.0f} USD, {shortage.date}), not a market to buy at "
                          f"today", kinds)
    if req.price_kind == "launch" and getattr(gpu, "launch_price_usd", None) is not None:
        return float(gpu.launch_price_usd), f"catalog launch price {float(gpu.launch_price_usd):,.0f}"
    known = [c for c in (cards.card_price(gpu_id, k, listed) for k in cards.KINDS) if c is not None]
    have = [f"{c.kind} {c.usd:,.0f} USD ({c.date})" for c in known]
    kinds = [c.kind for c in known]
    launch = getattr(gpu, "launch_price_usd", None)
    if launch is not None and "launch" not in kinds:
        have.append(f"launch {float(launch):,.0f} USD (catalog)")
        kinds.append("launch")
    if not have:
        # no other --price-kind would find one either
        raise NoCardPrice(f"no price at all for {getattr(gpu, 'name', name)}: profiles/card_prices.csv and the "
                          "catalog have none", [])
    raise NoCardPrice(f"no {cards.KIND_WORDS[req.price_kind]} for {getattr(gpu, 'name', name)} in "
                      f"profiles/card_prices.csv (it has: {'; '.join(have)})", kinds)


class NoCardPrice(UserError):
    """A bought card with no price of the kind asked for. ``what`` says so; ``kinds`` are the price kinds the card
    has. The message names ``rigbench cost``'s options; a command without them (``report``) words its own advice
    from ``what`` and ``kinds``."""

    def __init__(self, what: str, kinds: list[str]):
        self.what, self.kinds = what, list(kinds)
        other = f"pick another --price-kind ({'|'.join(kinds)}), " if kinds else ""
        whole = "or the whole machine with" if kinds else "or the whole machine's with"
        price = "give the price with" if kinds else "give the card's price with"
        super().__init__(f"{what}; {other}{price} --gpu-price USD, {whole} --build-price USD")


def _buy_label(gpu, name: str, count: int) -> str:
    """How a bought machine is named everywhere (its row, the reference, break-even): 'rtx-2080-ti', or
    'rtx-2080-ti x8' for eight cards in one machine."""
    return getattr(gpu, "id", name) + (f" x{count}" if count > 1 else "")


def _reference(req: CostRequest, buy_gpus, instances, through, resolve_gpu, predict) -> tuple[str, float]:
    """The device the work is measured on: --reference, else the first bought machine (all its --buy-count cards),
    else the first instance. The name returned is what the hours are on: 'rtx-2080-ti x8' for an 8-card machine."""
    labels = {f"buy:{name}": _buy_label(gpu, name, req.buy_count) for name, gpu in buy_gpus}
    if req.reference:
        want = req.reference.strip().lower()
        for key, (t, _) in through.items():
            kind, _, name = key.partition(":")
            label = labels.get(key, name)
            if want in (name.lower(), label.lower()):
                return label, t
        gpu = resolve_gpu(req.reference)
        t, _ = predict(gpu, req.workload, req.precision)
        return getattr(gpu, "id", req.reference), t
    if buy_gpus:
        name = buy_gpus[0][0]
        return labels[f"buy:{name}"], through[f"buy:{name}"][0]
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

