"""Every card and every cloud instance for one model: fits or not, largest batch, step time, time and cost of the run.

Nothing here is a second performance model:

* time per sample: ``rigbench.model.times_per_sample`` (what ``predict`` and therefore ``compare`` and ``cost`` use)
  on the card's ``capability_from_gpu``, for the ``Demand`` the model's traced step gives at the batch it runs;
* memory: the traced peak at that batch beside the model's memory assumptions (``profiles/workloads.toml
  [memory]``: CUDA context and the share kept free for workspaces and fragmentation);
* several cards: ``rigbench.scaling`` (interconnect of the card, DDP step with the gradient all-reduce);
* instances: the price list of ``rigbench.prices.cloud`` and the arithmetic of ``rigbench.cost.arithmetic``, the
  run's hours rounded up to each provider's billing increment and minimum (``rigbench.prices.extras``);
* uncertainty: ``rigbench.model.uncertainty`` of each card (the validation error of its cell for the workload
  family), applied to every time and cost of the option as a relative band; none where the step is launch-bound
  (``rigbench.model.floored_step_seconds``: the host's kernel launches, not the card, set the time, a floor).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from rigbench import catalog, scaling
from rigbench.comparison import refuse_laptop_count, split_count
from rigbench import model as perf_model
from rigbench.cost.arithmetic import (HOURS_PER_MONTH, MAX_DATASET_SIZE, MAX_EPOCHS, MAX_MONTHS, SECONDS_PER_HOUR,
                                      hours_for_samples,
                                      renting_total_usd)
from rigbench.cost.ownership import load_ownership
from rigbench.cost.report import prices_dated
from rigbench.errors import UserError
from rigbench.prices.cloud import WITH_PRICES_OPTION, load_prices, stale_warning
from rigbench.prices.extras import load_extras
from rigbench.size.demand import ANY_BATCH, ModelDemand
from rigbench.units import fmt_bytes, fmt_num, shown, split_items

SCHEMA = "rigbench.size/1"
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(m|min|h|d|w)?\s*$", re.IGNORECASE)
# The largest batch sized: the "any batch" a model whose memory does not grow with it fits (past it, a batch typed
# with hundreds of digits was multiplied out into figures with dozens of digits and float rounding in them).
MAX_BATCH = ANY_BATCH
_HOURS = {"m": 1 / 60, "min": 1 / 60, "h": 1.0, "d": 24.0, "w": 168.0, None: 1.0}
# Where the CUDA context figure comes from (the amount is the model's [memory] context_gib).
CONTEXT_SOURCE = ("PyTorch pull request 86509 (pytorch/pytorch, 2022): a CUDA context took 287 MB with lazy module "
                  "loading and 667 MB without; profiles/workloads.toml [memory] keeps 0.5 GiB and 10% of the card "
                  "for the context, cuDNN/cuBLAS workspaces and fragmentation")


def parse_deadline(text: str) -> float:
    """'3d' -> 72.0 hours; also 36h, 90m, 2w; a bare number is hours."""
    m = _DURATION.match(str(text))
    if not m or float(m.group(1)) <= 0:
        raise UserError(f"--deadline {shown(text)}: write a positive duration in minutes (m or min), hours (h, or a bare "
                        "number), days (d) or weeks (w), like 90m, 36h, 3d or 2w")
    hours = float(m.group(1)) * _HOURS[(m.group(2) or "h").lower() if m.group(2) else None]
    # cost's horizon: a deadline further out than any purchase is costed over is no deadline
    if hours > MAX_MONTHS * HOURS_PER_MONTH:
        raise UserError(f"--deadline {shown(text)} is more than {MAX_MONTHS // 12} years: leave it out to size the "
                        "run without one")
    return hours


# The built-in workload whose validation stands for each workload family's uncertainty.
_FAMILY_REFERENCE = {"conv": "resnet50", "transformer": "bert-base"}


def uncertainty(gpu, family: str) -> tuple[float, str]:
    """(relative band, basis) of a card's predicted time: ``rigbench.model.uncertainty`` of the card for the
    workload family's validated workload (its cell's validation MAE, or the family's x2 where the cell is thin or
    its factors borrowed). The validation has ResNet-50 and BERT-base only: another model's error can be larger."""
    u = perf_model.uncertainty(gpu, _FAMILY_REFERENCE[family])
    return float(u["fraction"]), u["basis"] + f" ({_FAMILY_REFERENCE[family]}; another model's error can be larger)"


def launch_basis(kernels: float) -> str:
    """Why a launch-bound option has no range, and what its time is."""
    per, source = perf_model.launch_seconds()
    return (f"launch-bound: the step's {kernels:.0f} kernels x {per * 1e6:g} us of host time to launch each "
            f"({source}) is longer than the roofline's time, so the time is a floor (eager PyTorch adds its own "
            "dispatch to each launch) and the validation error, measured on large models, does not apply")


# An option's figures that are each card's, whatever its gpu_count (every card holds the model and its batch).
PER_CARD_FIELDS = ("memory_bytes", "max_batch", "batch", "peak_bytes")


@dataclass
class Option:
    """One card (or N of one card in one machine), or one cloud instance."""

    id: str
    kind: str                      # "card" or "instance"
    gpu_id: str
    gpu_count: int
    memory_bytes: int
    fits: bool                     # at the requested batch per card
    max_batch: int                 # per card
    batch: int | None              # per card, the batch it runs (the requested one, or its largest if smaller)
    peak_bytes: float | None       # at that batch, per card
    step_s: float | None
    samples_per_s: float | None
    bound: str | None              # "compute", "memory", or "launch" (the host's kernel launches set the time)
    uncertainty: float | None = None   # relative band of every time and cost of this option
    uncertainty_basis: str | None = None
    scaling_efficiency: float | None = None
    interconnect: str | None = None
    epoch_h: float | None = None
    total_h: float | None = None
    usd_per_hour: float | None = None
    total_usd: float | None = None
    usd_per_million: float | None = None   # instances: on-demand dollars per million samples (a rate: unrounded)
    billed_h: float | None = None          # instances: total_h rounded up to the provider's billing increment and minimum
    billing: str | None = None             # instances: how the provider bills time (profiles/cloud_extras.toml)
    meets_deadline: bool | str | None = None   # True, False, MAYBE (the range crosses the deadline), None: no deadline
    price_date: str | None = None
    note: str | None = None
    versus_one_card: dict | None = None    # N cards: one card of the same GPU at the same batch, and the all-reduce
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


MAYBE = "maybe"


def deadline_verdict(o: Option, deadline_h: float) -> bool | str:
    """True when the whole range of the run's hours is within ``deadline_h``, False when all of it is past it, and
    ``MAYBE`` when the range crosses it. A launch-bound time is a floor with no upper end: within the deadline it is
    a maybe."""
    if o.bound == "launch":
        lo, hi = o.total_h, float("inf")
    elif o.uncertainty is not None:
        lo, hi = o.total_h * (1 - o.uncertainty), o.total_h * (1 + o.uncertainty)
    else:
        lo = hi = o.total_h
    if hi <= deadline_h:
        return True
    return False if lo > deadline_h else MAYBE


def time_per_sample(cap, d: perf_model.Demand, precision: str) -> tuple[float, str]:
    """(seconds per sample, bound) from the one performance model."""
    compute_s, memory_s = perf_model.times_per_sample(cap, d, precision)
    step_s = perf_model.capability_step_seconds(cap, d, precision)
    return compute_s + memory_s + step_s, ("compute" if compute_s >= memory_s else "memory")


def _card(gpu, n: int, md: ModelDemand, batch: int) -> Option:
    budget = perf_model.usable_bytes(gpu.memory_bytes)   # the context and reserve off, as compare counts them
    mb = md.max_batch(budget)
    fits = md.peak_bytes(batch) <= budget
    run = batch if fits else mb
    label = gpu.id if n == 1 else f"{n}x-{gpu.id}"
    opt = Option(id=label, kind="card", gpu_id=gpu.id, gpu_count=n, memory_bytes=gpu.memory_bytes, fits=fits,
                 max_batch=mb, batch=run or None, peak_bytes=None, step_s=None, samples_per_s=None, bound=None,
                 extra={"launch_price_usd": gpu.launch_price_usd, "architecture": gpu.architecture})
    opt.uncertainty, opt.uncertainty_basis = uncertainty(gpu, md.family)
    if not run:
        opt.note = "does not fit even one sample"
        return opt
    if md.weights_dtype == "bfloat16" and gpu.bf16_tensor_tflops is None:
        # the catalog gives bfloat16 rates from Ampere on (compute capability 8.0); an older card has no bfloat16
        # arithmetic to time the model's weights with
        opt.uncertainty, opt.uncertainty_basis = None, None
        opt.note = "no bfloat16 arithmetic on this card (Ampere or later): not predicted"
        return opt
    opt.peak_bytes = md.peak_bytes(run)
    per_sample_s, opt.bound = time_per_sample(perf_model.capability_from_gpu(gpu), md.demand(run), md.precision)
    step_1, launch_bound = perf_model.floored_step_seconds(run * per_sample_s, md.kernels_at(run))
    if launch_bound:
        # the host's launches set the time: a floor (real launches take longer), and not what the validation measured
        opt.bound, opt.uncertainty = "launch", None
        opt.uncertainty_basis = launch_basis(md.kernels_at(run))
    if n == 1:
        opt.step_s, opt.samples_per_s = step_1, run / step_1
        return opt
    link = scaling.interconnect_for(gpu, n)
    if link is None:
        opt.note = f"the catalog has no PCIe or NVLink figure for {gpu.name}: {n} cards not predicted"
        return opt
    grad_bytes = md.params * scaling.load_interconnects()["ddp"]["grad_bytes_per_param"][md.precision]
    step = scaling.ddp_step(step_1, grad_bytes, n, link.busbw_gbps)
    opt.step_s, opt.samples_per_s = step["step_s"], n * run / step["step_s"]
    opt.scaling_efficiency, opt.interconnect = step["scaling_efficiency"], link.describe()
    one = run / step_1
    # N cards beat one only while the all-reduce backward cannot hide stays under (N - 1) steps of compute:
    # speedup = N x compute / (compute + exposed)
    opt.versus_one_card = {
        "one_card_samples_per_s": one, "speedup": opt.samples_per_s / one,
        "not_faster": opt.samples_per_s <= one * (1 + 1e-9),
        "compute_s": step["compute_s"], "comm_s": step["comm_s"], "exposed_comm_s": step["exposed_comm_s"],
        "hidden_comm_s": step["comm_s"] - step["exposed_comm_s"], "grad_bytes": grad_bytes,
        "busbw_gbps": link.busbw_gbps, "link": link.name}
    if link.extrapolated:
        opt.note = f"all-reduce efficiency for {n} cards extrapolated from smaller published runs"
    return opt


def one_card_note(o: Option, unit: str = "samples") -> str | None:
    """Why N cards of ``o`` are predicted no faster than one of them, in the scaling model's numbers; None where they
    are faster (or not predicted). Each card runs the same batch as one card alone, so N cards are faster only while
    the part of the gradient all-reduce that backward cannot hide is shorter than N - 1 steps of compute."""
    v = o.versus_one_card
    if not v or not v["not_faster"]:
        return None

    def ms(seconds: float) -> str:
        return f"{fmt_num(seconds * 1e3)} ms"

    n = o.gpu_count
    slower = "slower than" if v["speedup"] < 1 - 1e-9 else "no faster than"
    return (f"{o.id} is predicted {slower} one {o.gpu_id} ({fmt_num(o.samples_per_s)} against "
            f"{fmt_num(v['one_card_samples_per_s'])} {unit}/s, {v['speedup']:.2f}x): each step all-reduces "
            f"{fmt_bytes(v['grad_bytes'], binary=False)} of gradients over {v['link']} at "
            f"{fmt_num(v['busbw_gbps'])} GB/s of bus bandwidth, {ms(v['comm_s'])}; backward hides "
            f"{ms(v['hidden_comm_s'])} of it and the other {ms(v['exposed_comm_s'])} adds to the "
            f"{ms(v['compute_s'])} of compute: {n} cards take {ms(o.step_s)} a step for {n} batches of {o.batch}, one "
            f"card {ms(n * v['compute_s'])} for the same {n}. One {o.gpu_id} is the better buy for this model (a "
            "larger --batch gives each exchange more compute to hide behind).")


def parse_gpus(text: str | None) -> list[str] | None:
    """``--gpus`` as the list of cards it names ('rtx-3090, 2x rtx-4090' -> ['rtx-3090', '2x rtx-4090']); None when
    not given (every card). Nothing named, or an empty item between commas, is refused: a doubled comma is a typo
    whose card would otherwise be left out in silence."""
    if text is None:
        return None
    names = split_items(text, "--gpus", "card", "rtx-3090,rtx-4090")
    if not names:
        raise UserError("--gpus is empty; name catalog cards, e.g. --gpus rtx-3090,a100-sxm4-80gb")
    return names


def resolve_cards(names: list[str] | None, notes: list[str] | None = None) -> list[tuple[object, int]]:
    """[(Gpu, count)]: every catalog card, or the ones named ('rtx-3090', '2x rtx-3090'). A short name that names
    several cards ('a100') takes the catalog's choice; ``notes`` receives the line saying which (as compare's)."""
    if not names:
        return [(g, 1) for g in catalog.load_catalog()]
    top = int(scaling.load_interconnects()["nvlink"]["board_max_cards"])
    out = []
    given: dict[tuple[str, int], str] = {}
    for name in names:
        n, card = split_count(name, "--gpus") or (1, name)
        if not 1 <= n <= top:
            raise UserError(f"--gpus {shown(name)}: one machine holds 1 to {top} cards")
        found = catalog.lookup(card)
        gpu = found.gpu
        refuse_laptop_count(gpu, n, f"--gpus {name}")
        if notes is not None and found.note() and found.note() not in notes:
            notes.append(found.note())
        if (gpu.id, n) in given:
            # each row is the same card sized again: the table and the JSON would list it twice
            same = gpu.id if n == 1 else f"{n}x {gpu.id}"
            raise UserError(f"--gpus {shown(given[gpu.id, n])} and {shown(name)} are the same ({same}): name each "
                            "card once")
        given[gpu.id, n] = name
        out.append((gpu, n))
    return out


@dataclass
class SizeReport:
    name: str
    unit: str
    precision: str
    optimizer: str
    batch: int
    demand: ModelDemand
    cards: list[Option]
    instances: list[Option]
    samples: float | None           # the whole run (dataset x epochs), None when not given
    dataset_size: int | None
    epochs: float | None
    deadline_h: float | None
    prices_date: str
    prices_age_days: int
    stale_after_days: int
    warnings: list[str] = field(default_factory=list)
    billed: dict = field(default_factory=dict, repr=False)   # instance id -> hours -> billed hours
    notes: list[str] = field(default_factory=list)            # how the input was read (a short card name's choice)

    def _cheapest_of(self, options: list[Option]) -> Option | None:
        """The cheapest of ``options`` that finishes the run by the deadline over its whole range (or at all,
        without one); where none does, the cheapest whose range crosses the deadline (``MAYBE``)."""
        ran = [o for o in options if o.total_usd is not None]
        for ok in ([o for o in ran if o.meets_deadline is True or self.deadline_h is None],
                   [o for o in ran if o.meets_deadline == MAYBE]):
            if ok:
                return min(ok, key=lambda o: o.total_usd)
        return None

    @property
    def cheapest(self) -> Option | None:
        """The cheapest instance that runs the batch asked (``fits``) and finishes by the deadline, as
        ``_cheapest_of`` ranks them. An instance that does not fit runs its largest batch instead, a different
        training run (fewer samples a step, another learning-rate schedule), so it is never the answer here."""
        return self._cheapest_of([o for o in self.instances if o.fits])

    @property
    def fits_asked(self) -> bool:
        """Some instance runs the batch asked per GPU (``fits``); where none does, no instance can be the answer
        for that batch, whatever the deadline."""
        return any(o.fits for o in self.instances)

    @property
    def cheapest_at_smaller_batch(self) -> Option | None:
        """Only where no instance that fits the batch asked is ``cheapest``: the cheapest of those that run a
        smaller batch per card (``batch`` says which), ranked the same way; None otherwise."""
        if self.cheapest is not None:
            return None
        return self._cheapest_of([o for o in self.instances if not o.fits])

    def prices_dated(self, options: list[Option] | None = None) -> str | None:
        """The dates of the prices of ``options`` (default: every instance), as ``rigbench cost`` writes them: one
        date, or the oldest to the newest, each marked where a row is dated by the day it was fetched. The list's
        own date is its oldest row's, which need not be any of the rows shown."""
        return prices_dated([(o.price_date, o.extra.get("price_date_basis") == "fetched")
                             for o in (self.instances if options is None else options) if o.price_date])

    @staticmethod
    def band(o: Option, x: float | None) -> list[float] | None:
        if x is None or o.uncertainty is None:
            return None
        return [x * (1 - o.uncertainty), x * (1 + o.uncertainty)]

    def usd_band(self, o: Option) -> list[float] | None:
        """The range of a run's cost: each end of its hours' range billed as the provider bills it."""
        hours = self.band(o, o.total_h)
        if hours is None or o.total_usd is None or o.usd_per_hour is None:
            return None
        bill = self.billed.get(o.id)
        return [o.usd_per_hour * (bill(h) if bill else h) for h in hours]

    def to_doc(self) -> dict:
        md = self.demand
        cheapest = self.cheapest
        smaller = self.cheapest_at_smaller_batch

        def opt_doc(o: Option) -> dict:
            d = o.to_dict()
            if d["versus_one_card"] is not None:
                d["versus_one_card"]["note"] = one_card_note(o, self.unit)
            d.update({"step_s_band": self.band(o, o.step_s), "samples_per_s_band": self.band(o, o.samples_per_s),
                      "epoch_h_band": self.band(o, o.epoch_h), "total_h_band": self.band(o, o.total_h),
                      "total_usd_band": self.usd_band(o),
                      "usd_per_million_band": self.band(o, o.usd_per_million)})
            return d

        return {
            "schema": SCHEMA,
            "model": {"name": self.name, "unit": self.unit, "batch": self.batch, **md.to_dict(self.batch)},
            "work": {"dataset_size": self.dataset_size, "epochs": self.epochs, "samples": self.samples,
                     "deadline_h": self.deadline_h},
            "memory_assumptions": {**{k: v for k, v in perf_model.load_workloads_profile()["memory"].items()
                                      if k in ("context_gib", "reserve_fraction")},
                                   "source": CONTEXT_SOURCE,
                                   "counted_for": "CUDA: allocations rounded to 512-byte blocks, optimizer with "
                                                  "foreach kernels (torch.optim's CUDA default)"},
            "uncertainty": "per option: uncertainty (relative) and uncertainty_basis; every *_band is value x (1 -/+ it)",
            "per_card": {"fields": list(PER_CARD_FIELDS),
                         "note": "per card of an option's gpu_count; samples_per_s, step_s and every time and cost "
                                 "are of all its cards together"},
            "cards": [opt_doc(o) for o in self.cards],
            "not_faster_than_one_card": [o.id for o in self.cards if one_card_note(o)],
            "instances": [opt_doc(o) for o in self.instances],
            "fits_asked": self.fits_asked,
            "cheapest_by_deadline": None if cheapest is None else cheapest.id,
            "cheapest_at_smaller_batch": None if smaller is None else {"id": smaller.id, "batch": smaller.batch},
            "prices": {"date": self.prices_date, "age_days": self.prices_age_days, "dated": self.prices_dated()},
            "warnings": self.warnings,
            "notes": self.notes,
        }


def check_request(batch: int | None, dataset_size: int | None, epochs: float | None,
                  deadline: str | None) -> float | None:
    """Refuse an impossible request before any work; the deadline in hours (None without one)."""
    if batch is not None and batch < 1:
        raise UserError(f"--batch {batch}: a batch is 1 sample or more")
    if batch is not None and batch > MAX_BATCH:
        raise UserError(f"--batch is {shown(batch)}; it must be at most {MAX_BATCH:,}")
    if (dataset_size is None) != (epochs is None):
        raise UserError("give --dataset-size and --epochs together (the run is dataset size x epochs samples)")
    if dataset_size is not None and (not 1 <= dataset_size <= MAX_DATASET_SIZE or not 0 < epochs <= MAX_EPOCHS):
        raise UserError(f"--dataset-size must be 1 to {MAX_DATASET_SIZE:,} and --epochs above 0 and at most "
                        f"{MAX_EPOCHS:,}")
    if dataset_size is not None and dataset_size * epochs < 1:
        raise UserError(f"--dataset-size {dataset_size:,} x --epochs {epochs:g} is {dataset_size * epochs:.3g} "
                        "samples: a run trains on one sample or more")
    if batch is not None and dataset_size is not None and batch > dataset_size:
        # a step would hold more samples than the dataset has: the time of a batch-sized step is not the run's
        raise UserError(f"batch {batch:,} per GPU is more than the {dataset_size:,} samples of --dataset-size: one "
                        f"step would hold the whole dataset; give --batch {dataset_size:,} or less")
    deadline_h = parse_deadline(deadline) if deadline is not None else None
    if deadline_h is not None and dataset_size is None:
        raise UserError("--deadline needs the size of the run: add --dataset-size N --epochs E")
    return deadline_h


def plan(md: ModelDemand, *, batch: int, gpus: list[str] | None = None, dataset_size: int | None = None,
         epochs: float | None = None, deadline: str | None = None, prices_path: str | None = None) -> SizeReport:
    """Size ``md`` at ``batch`` per card on every card (or ``gpus``) and every instance of the price list."""
    deadline_h = check_request(batch, dataset_size, epochs, deadline)
    samples = float(dataset_size) * float(epochs) if dataset_size is not None else None

    def finish(o: Option) -> Option:
        if o.samples_per_s and samples is not None:
            # a run is made of whole steps: an epoch (or a run) of fewer samples than N cards' batches still takes
            # one step, not the fraction of one the throughput gives
            o.epoch_h = max(hours_for_samples(float(dataset_size), o.samples_per_s), o.step_s / SECONDS_PER_HOUR)
            o.total_h = max(hours_for_samples(samples, o.samples_per_s), o.step_s / SECONDS_PER_HOUR)
            if o.batch * o.gpu_count > dataset_size:
                short = (f"{o.gpu_count} cards x batch {o.batch:,} is more than the {dataset_size:,} samples of the "
                         "dataset: an epoch is one step with cards short of a full batch, timed as a full one")
                o.note = short if o.note is None else f"{o.note}; {short}"
            if deadline_h is not None:
                o.meets_deadline = deadline_verdict(o, deadline_h)
        return o

    notes: list[str] = []
    cards = [finish(_card(g, n, md, batch)) for g, n in resolve_cards(gpus, notes)]
    prices = load_prices(prices_path, instead=WITH_PRICES_OPTION)
    own = load_ownership()
    extras = load_extras()
    billed: dict = {}
    unbilled: set[str] = set()
    instances = []
    for inst in prices.instances:
        gpu = catalog.resolve(inst.gpu_id)
        o = _card(gpu, inst.gpu_count, md, batch)
        o.id, o.kind, o.usd_per_hour, o.price_date = inst.key, "instance", inst.on_demand_usd_per_hour, \
            inst.price_date.isoformat()
        o.extra = {"region": inst.region, "price_source": inst.source, "price_date_basis": inst.date_basis}
        finish(o)
        if o.samples_per_s:
            o.usd_per_million = renting_total_usd(inst.on_demand_usd_per_hour, hours_for_samples(1e6, o.samples_per_s))
        ex = extras.get(inst.provider)
        o.billing = ex.increment if ex is not None and ex.increment_s is not None else None
        if ex is not None and ex.increment_s is not None:
            billed[o.id] = ex.billed_hours
        else:
            unbilled.add(inst.provider)
        if o.total_h is not None:
            # a provider bills whole increments and a minimum (AWS: per second, 60 s at least; Lambda: whole
            # minutes), so a short run costs at least that much
            o.billed_h = ex.billed_hours(o.total_h) if o.id in billed else None
            o.total_usd = renting_total_usd(inst.on_demand_usd_per_hour,
                                            o.billed_h if o.billed_h is not None else o.total_h)
        instances.append(o)
    warnings = []
    if not md.loss_finite:
        warnings.append("the loss was not a finite number (nan or inf) in the traced steps: the sizes hold, since "
                        "memory and work do not depend on the values, but the model as given would not learn; check "
                        "its example batch, its loss and the precision")
    if unbilled and samples is not None:
        warnings.append(f"no billing increment or minimum for {', '.join(sorted(unbilled))} in "
                        "profiles/cloud_extras.toml: those runs are priced by the hour's fraction used, without one")
    stale = stale_warning(prices, own.stale_after_days)
    if stale:
        warnings.append(stale)
    return SizeReport(name=md.name, unit=md.unit, precision=md.precision, optimizer=md.optimizer, batch=batch,
                      demand=md, cards=cards, instances=instances, samples=samples, dataset_size=dataset_size,
                      epochs=epochs, deadline_h=deadline_h,
                      prices_date=prices.date.isoformat(), prices_age_days=prices.age_days(),
                      stale_after_days=own.stale_after_days, warnings=warnings, billed=billed, notes=notes)
