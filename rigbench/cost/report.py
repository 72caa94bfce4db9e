"""The cost report: the work, each option's costs, break-even, the recommendation and the ``rigbench.cost/1``
document. Built by :func:`rigbench.cost.plan.compare`; rendering is the command line's."""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field

from rigbench import catalog, model
from rigbench.cost.arithmetic import HOURS_PER_MONTH, crossover_hours_per_month, hours_for_samples
from rigbench.prices.cloud import FETCHED, PriceList
from rigbench.units import fmt_num, fmt_pct

SCHEMA = "rigbench.cost/1"


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
    throughput_kind: str = "predicted"  # "measured" or "predicted": the model's Prediction.source, as compare shows it

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

    def infeasible_note(self, max_cards: int | None = None) -> str | None:
        """Why the option is left out when one machine cannot do the month's work, with what would. A bought
        machine: the fewest cards that could, even at perfect scaling (hours / the hours of a month x its cards,
        rounded up; data-parallel scaling only loses), and whether one machine holds them (``max_cards``, the most
        --buy-count takes; None: not said): within it, the note offers that --buy-count; past it, no machine
        rigbench cost sizes could, and the note says so. A rented instance: how many running all month."""
        if self.feasible:
            return None
        # fmt_num, as the rest of the screen: 1.37x, 137x, 420,181x (not 420180.8x)
        need = (f"{self.name} would need {self.hours_per_month:,.0f} h/month, "
                f"{fmt_num(self.hours_per_month / HOURS_PER_MONTH)}x the {HOURS_PER_MONTH:g} h in a month")
        out = "left out of the recommendation and break-even"
        if self.kind != "buy":
            return f"{need}: it would take {self.machines_needed:,} instances running all month; {out}"
        cards = max(1, math.ceil(self.hours_per_month / HOURS_PER_MONTH * self.gpu_count - 1e-9))
        least = f"even at perfect scaling it takes {cards:,} cards"
        if max_cards is not None and cards > max_cards:
            return (f"{need}: {least}, more than the {max_cards} one machine holds (--buy-count takes 1 to "
                    f"{max_cards}): no machine rigbench cost sizes can do it; give less work a month, or rent; {out}")
        have = f"{self.gpu_count} cards" if self.gpu_count > 1 else "one card"
        holds = ", which one machine holds" if max_cards is not None else ""
        upto = f" (up to {max_cards})" if max_cards is not None else ""
        return f"{need}: {have} cannot do it; {least}{holds}: try --buy-count {cards} or more{upto}; {out}"

    def usd_per_ref_hour(self, reference_throughput_per_s: float) -> float:
        """Running cost of one reference-device hour of work on this option."""
        return self.usd_per_hour * reference_throughput_per_s / self.throughput_per_s


def prices_dated(rows: list[tuple[str, bool]], today: _dt.date | None = None) -> str | None:
    """The dates of some priced rows, ``(ISO date, dated by the day it was fetched)`` each, as one phrase: the
    oldest, and the newest when they differ ('2026-01-21 to 2026-11-24'), each with its age when ``today`` is given
    and the fetched-date caveat when a row of that date has it; None with no rows."""
    if not rows:
        return None
    dates = sorted({d for d, _ in rows})

    def one(date: str) -> str:
        notes = []
        if today is not None:
            days = (today - _dt.date.fromisoformat(date)).days
            notes.append("today" if days == 0 else "1 day ago" if days == 1 else f"{days} days ago")
        if any(fetched for d, fetched in rows if d == date):
            notes.append(FETCHED)
        return date + (f" ({', '.join(notes)})" if notes else "")

    return one(dates[0]) if len(dates) == 1 else f"{one(dates[0])} to {one(dates[-1])}"


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
    # rented instances left out, {"instance", "gpu", "reason"}: the workload does not fit their GPU
    left_out: list[dict] = field(default_factory=list)
    # what of a --results file the answer does not use and why (figures present but INVALID, power left to the TDP)
    reading_notes: list[str] = field(default_factory=list)
    # the most cards a bought machine holds (--buy-count): what an infeasible bought option's note offers
    max_buy_count: int | None = None

    def __post_init__(self):
        # the top-level resale_extrapolated is that of the bought card the verdict weighs, not of the first --buy:
        # the two must not disagree
        bought = self.verdict_buy()
        self.assumptions["resale_extrapolated"] = bought.extra.get("resale_extrapolated") if bought else None

    def verdict_buy(self) -> CostOption | None:
        """The bought card the verdict weighs (its resale): the cheapest one, a feasible one first; None with nothing
        bought."""
        return min(self.buys, key=lambda o: (not o.feasible, o.total_usd)) if self.buys else None

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

    def break_even_reason(self, buy: CostOption, rent: CostOption) -> str | None:
        """Why ``buy`` and ``rent`` have no break-even above zero, from the arithmetic that decides it: renting runs
        cheaper per hour than owning's electricity (never), or owning's fixed cost (purchase - resale) is no more than
        the rented option's monthly charges over the horizon (at any usage: a purchase that all comes back, or storage
        and egress that alone cost more). None when they cross above zero."""
        be = self.break_even(buy, rent)
        if be is None:
            return "renting costs less per hour than the electricity"
        if be > 0:
            return None
        if buy.fixed_usd <= 0:
            return (f"the purchase, {fmt_num(buy.purchase_usd)} USD, all comes back as resale "
                    f"({fmt_num(buy.resale_usd)} USD): owning costs only its electricity, less per hour than renting")
        return (f"the rented option's storage and egress, {fmt_num(rent.monthly_usd * self.months)} USD over "
                f"{self.months:g} months, alone cost more than owning's purchase less resale, "
                f"{fmt_num(buy.fixed_usd)} USD")

    def usd_per_million(self, option: CostOption) -> float | None:
        samples = self.work.samples_per_month * self.months
        return option.total_usd / samples * 1e6 if samples > 0 else None

    def cheapest(self, kind: str | None = None) -> CostOption | None:
        """The cheapest option (of ``kind``) that one machine can run within a month; infeasible ones never win."""
        pool = [o for o in self.options if (kind is None or o.kind == kind) and o.feasible]
        return min(pool, key=lambda o: o.total_usd) if pool else None

    @property
    def prices_date(self) -> _dt.date | None:
        """The date of the rented prices in the answer (the oldest of them), or None with nothing rented. The list's
        own date is its oldest row's, which may be another provider's, one no option here uses."""
        dates = [o.price_date for o in self.rents if o.price_date]
        return _dt.date.fromisoformat(min(dates)) if dates else None

    def price_date_of(self, option: CostOption) -> str:
        """A rented option's price date as it is shown: '2026-11-24', with ' (fetched: may be older)' when the row is
        dated by the day its catalog file was read rather than by a date its source states."""
        fetched = option.extra.get("price_date_basis") == "fetched"
        return f"{option.price_date}" + (f" ({FETCHED})" if fetched else "")

    def prices_dated(self, ages: bool = True) -> str | None:
        """The dates of the rented prices in the answer, as one phrase (:func:`prices_dated`): the oldest
        (:attr:`prices_date`, which the stale-price warning judges), and the newest when they differ; None with
        nothing rented. The verdict's date (the rented option it names, :meth:`price_date_of`) is one of these, so
        the two never disagree."""
        return prices_dated([(o.price_date, o.extra.get("price_date_basis") == "fetched") for o in self.rents
                             if o.price_date], self.today if ages else None)

    @property
    def prices_age_days(self) -> int | None:
        """How old the rented prices in the answer are (the oldest of them), in days; None with nothing rented."""
        date = self.prices_date
        return (self.today - date).days if date is not None else None

    @property
    def prices_stale(self) -> bool:
        """Whether a rented price in the answer is older than ``stale_after_days``; False with nothing rented, where
        no price of the list is used."""
        age = self.prices_age_days
        return age is not None and age > self.stale_after_days

    def recommendation(self) -> str:
        """One sentence: the cheapest feasible option and its margin over the cheapest of the other kind (or, with
        nothing rented, the next bought card), the break-even and what drives it. A margin inside the band of the
        two options' predicted speed ratio (:meth:`margin`) is a tie, and the sentence leads with it."""
        best = self.cheapest()
        if best is not None and self.work.reference_hours_per_month == 0:
            # every rental then costs only what it charges unused, a tie among all of them: naming the first
            # reads as a choice
            buy = self.cheapest("buy")
            said = (["a rented option costs only what it charges unused (storage, egress)"]
                    if self.cheapest("rent") is not None else [])
            if buy is not None:
                said.append(f"buying {buy.name} costs {fmt_num(buy.total_usd)} USD over {self.months:g} months even "
                            "unused (purchase less resale)")
            return f"no work at 0 h/month: {'; '.join(said)}; give the hours of work (--hours-per-month) to compare"
        if best is None:
            if self.options:
                return (f"none of the options can do {fmt_num(self.work.reference_hours_per_month)} h/month on "
                        f"{self.work.reference_name} within the {HOURS_PER_MONTH:g} h of a month on one machine: "
                        f"see the notes for what each would need")
            return "nothing to compare"
        at = (f"over {self.months:g} months at {fmt_num(self.work.reference_hours_per_month)} h/month on "
              f"{self.work.reference_name}")
        if best.kind == "buy":
            rent = self.cheapest("rent")
            if rent is None:
                runner_up = self._runner_up(best)
                if runner_up is None:
                    return (f"buy {best.name}: {fmt_num(best.total_usd)} USD over {self.months:g} months; "
                            f"{self._drivers()}")
                m = self.margin(best, runner_up)
                if m["tie"]:
                    return (f"A tie between buying {best.name} and buying {runner_up.name}: {best.name} is "
                            f"{fmt_num(m['difference_usd'])} USD cheaper {at}, {self._inside(m)}; {self._drivers()}")
                return (f"buy {best.name}: {fmt_num(m['difference_usd'])} USD cheaper than buying {runner_up.name} "
                        f"{at}; {self._drivers()}")
            m = self.margin(best, rent)
            be = self.break_even(best, rent)
            crossing = ("buying wins at any usage" if be is None or be <= 0
                        else "buying wins " + self._break_even_words(best, rent, said=m["tie"]))
            if m["tie"]:
                lead = (f"A tie between buying {best.name} and renting {rent.name}: buying is "
                        f"{fmt_num(m['difference_usd'])} USD cheaper {at}, {self._inside(m)}")
            else:
                lead = f"buy {best.name}: {fmt_num(m['difference_usd'])} USD cheaper than renting {rent.name} {at}"
            return f"{lead}; {crossing}{self._against_next_card(best)}; {self._drivers(rent)}"
        buy = self.cheapest("buy")
        tail = f"; {self._drivers(best)}"
        if buy is None:
            cannot = [o.name for o in self.buys if not o.feasible]
            why = (f"; buying {', '.join(cannot)} cannot do this work within a month (see the note)" if cannot else "")
            return f"rent {best.name}: {fmt_num(best.total_usd)} USD over {self.months:g} months{why}{tail}"
        m = self.margin(best, buy)
        be = self.break_even(buy, best)
        words = self._break_even_words(buy, best, said=m["tie"])
        if be is None:
            crossing = f"buying {buy.name} never pays off against it at these prices" + (
                f" and the predicted speeds ({words})" if words != "at no usage" else "")
        elif be * buy.hours_per_month / max(self.work.reference_hours_per_month, 1e-12) > HOURS_PER_MONTH:
            crossing = (f"buying {buy.name} would pay off only {words}, more than {buy.name} can run in a month")
        else:
            crossing = f"buying {buy.name} pays off only {words}"
        if m["tie"]:
            lead = (f"A tie between renting {best.name} and buying {buy.name}: renting is "
                    f"{fmt_num(m['difference_usd'])} USD cheaper {at}, {self._inside(m)}")
        else:
            lead = f"rent {best.name}: {fmt_num(m['difference_usd'])} USD cheaper than buying {buy.name} {at}"
        return f"{lead}; {crossing}{tail}"

    def verdict_pair(self) -> tuple[CostOption, CostOption] | None:
        """The two options the recommendation weighs: the cheapest feasible one and the cheapest feasible one of the
        other kind, or, with nothing rented, the next cheapest bought card; None when there is no second."""
        best = self.cheapest()
        if best is None:
            return None
        other = self.cheapest("rent" if best.kind == "buy" else "buy")
        if other is None and best.kind == "buy":
            other = self._runner_up(best)
        return (best, other) if other is not None else None

    def margin(self, a: CostOption, b: CostOption) -> dict:
        """How much cheaper ``a`` is than ``b`` and whether the model's error can undo it: ``difference_usd``
        (b's total - a's), and the band of the two options' predicted speed ratio (:meth:`speed_band`):
        ``fraction`` and ``basis`` (fraction None where no model error enters the ratio). Hours = samples / speed,
        so an error of +-fraction on it moves each option's hour-priced cost (instance hours, electricity) by up to
        fraction x that cost; purchase and resale do not move. ``movable_usd`` is that sum, ``difference_usd_range``
        the difference moved by it, and ``tie`` whether the difference is inside it."""
        diff = b.total_usd - a.total_usd
        u = self.speed_band(a, b)
        out = {"between": [a.name, b.name], "difference_usd": diff, "fraction": None,
               "basis": "no band: neither speed is predicted, or both are one prediction of the same card",
               "movable_usd": None, "difference_usd_range": None, "tie": False}
        if u is None:
            return out
        hourly = (a.usd_per_hour * a.hours_per_month + b.usd_per_hour * b.hours_per_month) * self.months
        movable = u["fraction"] * hourly
        out.update(fraction=u["fraction"], basis=u["basis"], movable_usd=movable,
                   difference_usd_range=[diff - movable, diff + movable], tie=abs(diff) <= movable)
        return out

    @staticmethod
    def _inside(m: dict) -> str:
        """'inside the +-7% error of the predicted speed ratio, which moves the hour-priced costs by up to 86.2
        USD': why a margin is a tie."""
        return (f"inside the +-{m['fraction']:.0%} error of the predicted speed ratio, which moves the hour-priced "
                f"costs by up to {fmt_num(m['movable_usd'])} USD")

    def break_even_range(self, buy: CostOption, rent: CostOption) -> dict | None:
        """The break-even (:meth:`break_even`) at the two ends of the band of the two options' predicted speed ratio
        (:meth:`speed_band`, the band that judges a tie): the rented option's speed relative to the bought one off
        by +-fraction moves its hours relative to the bought one's by 1 / (1 +- fraction) (those of the option the
        hours are counted on hold still). ``low_hours_per_month`` (renting slower: buying wins sooner; 0 when the
        band reaches 100%) and ``high_hours_per_month`` (None: at that end renting stays cheaper at any usage), with
        ``fraction`` and ``basis``. None where the speed ratio carries no band, or buying wins at any usage (the
        fixed cost alone decides: the band does not move it), or the lines cross at neither end."""
        u = self.speed_band(buy, rent)
        be = self.break_even(buy, rent)
        if u is None or (be is not None and be <= 0):
            return None
        f = u["fraction"]
        ref = self.work.reference_throughput_per_s
        fixed = buy.fixed_usd + (buy.monthly_usd - rent.monthly_usd) * self.months
        e, r = buy.usd_per_ref_hour(ref), rent.usd_per_ref_hour(ref)
        on_rent = self.work.reference_name == rent.name and buy.name != rent.name

        def cross(scale: float) -> float | None:
            # scale: the rented option's hours relative to the bought one's, as a factor on the predicted ratio
            if on_rent:
                return crossover_hours_per_month(fixed, e / scale, r, self.months)
            return crossover_hours_per_month(fixed, e, r * scale, self.months)

        low = cross(1 / (1 - f)) if f < 1 else 0.0
        high = cross(1 / (1 + f))
        if low is None and high is None:
            return None
        return {"low_hours_per_month": low, "high_hours_per_month": high, "fraction": f, "basis": u["basis"]}

    def _break_even_words(self, buy: CostOption, rent: CostOption, said: bool = False) -> str:
        """'above 25.0 h/month (23.2 to 26.7 within the +-7% error of the predicted speed ratio)' (:meth:`break_even`
        and :meth:`break_even_range`; 'within that error' when ``said``: the sentence named it already), 'above 25.0
        h/month' where the ratio carries no band (or buying wins at any usage), or, where the lines do not cross at the
        predicted speeds, 'above 31.0 h/month at the edge of the +-7% error of the predicted speed ratio' (or 'at no
        usage')."""
        be = self.break_even(buy, rent)
        band = self.break_even_range(buy, rent)
        err = f"the +-{band['fraction']:.0%} error of the predicted speed ratio" if band else ""
        if be is None:
            return (f"above {fmt_num(band['low_hours_per_month'])} h/month at the edge of {err}" if band
                    else "at no usage")
        if band is None:
            return f"above {fmt_num(be)} h/month"
        high = band["high_hours_per_month"]
        return (f"above {fmt_num(be)} h/month ({fmt_num(band['low_hours_per_month'])} to "
                f"{'never' if high is None else fmt_num(high)} within {'that error' if said else err})")

    def _runner_up(self, best: CostOption) -> CostOption | None:
        """The next cheapest feasible option of ``best``'s kind, or None."""
        pool = [o for o in self.options if o.kind == best.kind and o.feasible and o is not best]
        return min(pool, key=lambda o: o.total_usd) if pool else None

    def speed_band(self, a: CostOption, b: CostOption) -> dict | None:
        """The model's uncertainty on how fast ``a`` is against ``b`` ({"fraction", "basis", ...}) by the rule
        ``rigbench compare`` gives the ratio of two devices, :func:`rigbench.model.pair_uncertainty`: None when
        neither speed is predicted or both are one prediction (the same card, as many of it). Every option's hours
        are the same work over its speed, so this is the band of their hours' ratio too."""
        workload = self.assumptions["workload"]
        return model.pair_uncertainty(self._speed_facts(a, workload), self._speed_facts(b, workload), workload)

    @staticmethod
    def _speed_facts(o: CostOption, workload: str) -> dict:
        """What :func:`rigbench.model.pair_uncertainty` needs of an option's speed, as rigbench compare gives it of a
        device: the catalog card, how many, the predicted figure's band (None when measured), widened by
        model.EXTRAPOLATION when its multi-GPU scaling is unvalidated."""
        gpu = catalog.find(o.gpu_id)
        unvalidated = bool(o.extra.get("scaling_unvalidated"))
        u = None
        if o.throughput_kind != "measured" and gpu is not None:
            u = model.uncertainty(gpu, workload)["fraction"]
            if unvalidated:
                u *= model.EXTRAPOLATION
        return {"gpu": gpu, "count": o.gpu_count, "uncertainty": u, "unvalidated": unvalidated}

    def _against_next_card(self, best: CostOption) -> str:
        """'; rtx-4090 is 2.47 USD cheaper than buying rtx-3090 (a tie: ...)' when ``best`` is bought and another card
        is, judged by the same rule as buy against rent (:meth:`margin`); else ''."""
        runner_up = self._runner_up(best)
        if runner_up is None:
            return ""
        m = self.margin(best, runner_up)
        tie = f" (a tie: {self._inside(m)})" if m["tie"] else ""
        return f"; {best.name} is {fmt_num(m['difference_usd'])} USD cheaper than buying {runner_up.name}{tie}"

    def notes(self) -> list[str]:
        """What the results file gave that the answer does not use (:attr:`reading_notes`), then one line per option
        that one machine cannot run within a month (many rented ones folded into one line)."""
        return list(self.reading_notes) + self._infeasible_notes()

    def _infeasible_notes(self) -> list[str]:
        buys = [o.infeasible_note(self.max_buy_count) for o in self.buys if not o.feasible]
        rents = [o for o in self.rents if not o.feasible]
        if len(rents) > 3:
            rents.sort(key=lambda o: o.hours_per_month)
            return buys + [f"{len(rents)} instances would need more than the {HOURS_PER_MONTH:g} h in a month (from "
                           f"{rents[0].name}, {rents[0].machines_needed} instances, to {rents[-1].name}, "
                           f"{rents[-1].machines_needed}); left out of the recommendation and break-even"]
        return buys + [o.infeasible_note() for o in rents]

    def _drivers(self, rented: CostOption | None = None) -> str:
        """What moves the verdict: electricity and resale when something is bought, the rented prices' date when
        something is rented (each only where it enters a total): that of ``rented``, the instance the verdict names,
        else the oldest rented price."""
        a = self.assumptions
        parts = []
        if self.buys:
            # the resale of the bought card the verdict weighs: each card's own, since a card loses value with its
            # age from launch, not with the months owned alone
            bought = self.verdict_buy()
            fraction = bought.extra.get("resale_fraction")
            fraction = a["resale_fraction"] if fraction is None else fraction
            extrapolated = bought.extra.get("resale_extrapolated")
            outside = f" ({extrapolated})" if extrapolated else ""
            parts += [f"{a['electricity_usd_per_kwh']:.3f} USD/kWh",
                      f"resale {fmt_pct(fraction)} after {self.months:g} months{outside}"]
        if self.rents:
            # the date of the rented price the verdict rests on, with its caveat; without one named, every rented
            # price's, as the "Prices dated" line gives them
            date = (self.price_date_of(rented) if rented is not None and rented.price_date
                    else self.prices_dated(ages=False))
            parts.append(f"{'spot' if a['spot'] else 'on-demand'} prices of {date}")
        return "driven by " + ", ".join(parts)

    def to_doc(self) -> dict:
        """The ``rigbench.cost/1`` JSON document."""
        best_rent = self.cheapest("rent")
        buy = self.cheapest("buy")
        top_be = self.break_even(buy, best_rent) if buy and best_rent else None
        opts = []
        for o in sorted(self.options, key=lambda o: (not o.feasible, o.total_usd)):
            be = be_range = None
            if o.kind == "rent" and buy is not None and o.feasible:
                be, be_range = self.break_even(buy, o), self.break_even_range(buy, o)
            opts.append({
                "name": o.name, "kind": o.kind, "gpu": o.gpu_id, "gpu_count": o.gpu_count,
                "throughput_per_s": o.throughput_per_s, "throughput_unit": f"{self.work.unit}/s",
                "throughput_source": o.throughput_source, "throughput_kind": o.throughput_kind,
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
                "break_even_hours_per_month": be, "break_even_range": be_range,
                "feasible": o.feasible, "machines_needed": o.machines_needed,
                "infeasible_note": o.infeasible_note(self.max_buy_count),
                "price_date": o.price_date, **o.extra,
            })
        rented = bool(self.rents)    # the cloud price list is in the answer only through a rented option
        return {
            "schema": SCHEMA,
            "prices_date": self.prices_date.isoformat() if self.prices_date is not None else None,
            "prices_dated": self.prices_dated(),
            "prices_source": self.prices.source if rented else None,
            "prices_origin": self.prices.origin if rented else None,
            "prices_age_days": self.prices_age_days,
            "prices_stale": self.prices_stale,
            "left_out": self.left_out,
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
            # the break-even at the ends of the band of the two options' predicted speed ratio (null: no band)
            "break_even_range": self.break_even_range(buy, best_rent) if buy and best_rent else None,
            "break_even_reason": self.break_even_reason(buy, best_rent) if buy and best_rent else None,
            "break_even_rent_options_against": buy.name if buy else None,
            "hours_in_a_month": HOURS_PER_MONTH,
            "notes": self.notes(),
            "break_even_hours_are_on": self.work.reference_name,
            "recommendation": self.recommendation(),
            # the margin the recommendation weighs and the band that calls it a tie or not (null: nothing to weigh)
            "verdict_band": self.margin(*pair) if (pair := self.verdict_pair()) else None,
            # the rented prices' date beside the other assumptions, from the one place that dates them
            "assumptions": {**self.assumptions,
                            "prices_date": self.prices_date.isoformat() if self.prices_date is not None else None},
            "warnings": self.warnings,
        }

