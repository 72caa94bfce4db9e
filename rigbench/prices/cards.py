"""What a graphics card costs: launch, street (new) and used prices with dates and sources, and the resale estimate.

``profiles/card_prices.csv`` holds every price with its kind, date and source. ``card_price(gpu_id, kind)`` answers
with the newest price of that kind; ``resale_points()`` turns each card's used prices into (age in months, used /
launch price); ``fit_resale()`` fits one depreciation curve through them, ``fraction = exp(-k x months)`` (the
least-squares fit of ``ln(fraction) = -k x months``, through 1.0 at month 0), and reports each card's own k so the
spread shows. Prices from the 2021-2022 mining shortage (note ``shortage``) are shown but not fitted.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass

from rigbench import data
from rigbench.errors import UserError
from rigbench.units import MAX_USD

KINDS = ("launch", "new", "used")
KIND_WORDS = {"launch": "launch price (MSRP)", "new": "street price, new", "used": "used price"}
POSITIVE = "a price is positive"
COLUMNS = ("gpu_id", "kind", "usd", "usd_low", "usd_high", "date", "source", "note")


@dataclass(frozen=True)
class CardPrice:
    gpu_id: str
    kind: str
    usd: float
    usd_low: float | None
    usd_high: float | None
    date: str                 # as the source dates it: YYYY-MM-DD or YYYY-MM
    source: str
    note: str = ""

    @property
    def month(self) -> tuple[int, int]:
        y, m = self.date.split("-")[:2]
        return int(y), int(m)

    def describe(self) -> str:
        rng = f" ({self.usd_low:,.0f}-{self.usd_high:,.0f})" if self.usd_low is not None else ""
        return f"{KIND_WORDS[self.kind]} {self.usd:,.0f} USD{rng}, {self.date}, {self.source}"


def _parse_date(text: str, where: str) -> str:
    text = text.strip()
    try:
        if len(text) == 7:
            _dt.date.fromisoformat(text + "-01")
        else:
            _dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{where}: date {text!r}; write YYYY-MM-DD or YYYY-MM") from None
    return text


def parse_card_prices(text: str, where: str) -> list[CardPrice]:
    """Card-price CSV text in the format of ``profiles/card_prices.csv``."""
    return _card_prices(data.parse_csv(text, where, required=COLUMNS[:7]))


def _card_prices(rows) -> list[CardPrice]:
    out = []
    for row in rows:
        kind = (row.get("kind") or "").strip()
        if kind not in KINDS:
            raise UserError(f"{row.where}: kind {kind!r}; use one of {', '.join(KINDS)}")
        if not (row.get("source") or "").strip():
            raise UserError(f"{row.where}: column 'source' is empty; every price names its source")
        low = row.number("usd_low", optional=True, positive=POSITIVE, at_most=MAX_USD)
        high = row.number("usd_high", optional=True, positive=POSITIVE, at_most=MAX_USD)
        usd = row.number("usd", positive=POSITIVE, at_most=MAX_USD)
        if (low is None) != (high is None) or (low is not None and not low <= usd <= high):
            raise UserError(f"{row.where}: a range needs usd_low <= usd <= usd_high")
        out.append(CardPrice(row["gpu_id"].strip(), kind, usd, low, high, _parse_date(row["date"], row.where),
                             row["source"].strip(), (row.get("note") or "").strip()))
    return out


def load_card_prices() -> list[CardPrice]:
    """Every price of ``profiles/card_prices.csv``."""
    return _card_prices(data.load_csv("card_prices.csv", COLUMNS[:7]))


def card_price(gpu_id: str, kind: str, prices: list[CardPrice] | None = None, *, market: bool = False
               ) -> CardPrice | None:
    """The newest price of ``kind`` for ``gpu_id``, or None when the list has none. ``market``: leave out prices of
    the mining shortage (note ``shortage``), which are no market to buy or sell at today."""
    if kind not in KINDS:
        raise UserError(f"price kind {kind!r}; use one of {', '.join(KINDS)}")
    rows = [p for p in (load_card_prices() if prices is None else prices) if p.gpu_id == gpu_id and p.kind == kind
            and not (market and p.note == "shortage")]
    return max(rows, key=lambda p: p.date) if rows else None


# --------------------------------------------------------------------------------------------------------------------
# Resale


@dataclass(frozen=True)
class ResalePoint:
    gpu_id: str
    months: int               # from the launch month to the used price's month
    fraction: float           # used / launch price
    launch: CardPrice
    used: CardPrice

    @property
    def k_per_month(self) -> float | None:
        return -math.log(self.fraction) / self.months if self.months > 0 else None


@dataclass(frozen=True)
class ResaleFit:
    k_per_month: float
    points: tuple[ResalePoint, ...]        # fitted
    left_out: tuple[ResalePoint, ...]      # shown, not fitted (shortage prices)

    def fraction(self, months: float) -> float:
        return math.exp(-self.k_per_month * months)

    @property
    def months_range(self) -> tuple[int, int]:
        """The ages of the fitted cards, youngest and oldest: the curve is measured there and extrapolated outside."""
        ages = [p.months for p in self.points]
        return min(ages), max(ages)

    def fraction_range(self, months: float) -> tuple[float, float]:
        """The fraction after ``months`` by the slowest and the fastest single card's curve."""
        ks = [p.k_per_month for p in self.points if p.k_per_month is not None]
        return math.exp(-max(ks) * months), math.exp(-min(ks) * months)

    def describe(self) -> str:
        cards = "; ".join(f"{p.gpu_id} {p.used.usd:,.0f}/{p.launch.usd:,.0f} USD = {p.fraction:.0%} after "
                          f"{p.months} months ({p.used.date})" for p in self.points)
        return (f"fit exp(-{self.k_per_month:.4f} x months) through {len(self.points)} cards' used/launch prices: "
                f"{cards}; sources: profiles/card_prices.csv")


def resale_points(prices: list[CardPrice] | None = None) -> list[ResalePoint]:
    """Every used price of a card whose launch price is listed, as (age in months, used / launch)."""
    prices = load_card_prices() if prices is None else prices
    launches = {p.gpu_id: p for p in prices if p.kind == "launch"}
    out = []
    for used in (p for p in prices if p.kind == "used"):
        launch = launches.get(used.gpu_id)
        if launch is None:
            continue
        (y0, m0), (y1, m1) = launch.month, used.month
        out.append(ResalePoint(used.gpu_id, (y1 - y0) * 12 + (m1 - m0), used.usd / launch.usd, launch, used))
    return out


def fit_resale(prices: list[CardPrice] | None = None) -> ResaleFit:
    """Least squares of ln(fraction) = -k x months over the used prices outside the shortage (at least two cards)."""
    pts = resale_points(prices)
    fitted = tuple(p for p in pts if p.used.note != "shortage" and p.months > 0)
    left = tuple(p for p in pts if p not in fitted)
    if len({p.gpu_id for p in fitted}) < 2:
        raise UserError("profiles/card_prices.csv: a resale estimate needs used and launch prices of at least two cards")
    k = sum(p.months * -math.log(p.fraction) for p in fitted) / sum(p.months ** 2 for p in fitted)
    return ResaleFit(k, fitted, left)


# --------------------------------------------------------------------------------------------------------------------
# A card's value by its age
#
# A graphics card loses value with its age, counted from its launch, not from the day one buyer bought it: a
# 2017 card bought in 2026 is already nine years down the curve. With v(age) = exp(-k x age) the fitted fraction of
# the launch price (fit_resale, through the used/launch prices of profiles/card_prices.csv, each dated and sourced),
# a card bought at age a for P and sold m months later returns
#     P x v(a + m) / v(a),
# and never more than what the data says such a card is worth at age a + m: its newest used price U (age t_U)
# carried along the curve, U x v(a + m) / v(t_U), or, for a card with no used price listed, its launch price L x
# v(a + m). The exponential is memoryless, so the first term is P x exp(-k x m) for any age; it is the second that
# holds an old card to its market: a card bought at its launch price long after launch gets back what old cards
# sell for, not a share of what was paid. Shortage prices (note "shortage") are not a market to hold it to.


def launch_month(gpu_id: str, prices: list[CardPrice] | None = None, launch_year: int | None = None
                 ) -> tuple[tuple[int, int], str] | None:
    """The card's launch month and where it comes from: the listed launch price's month, else July of the catalog's
    launch year (the catalog gives the year only: the middle of it is at most six months off), else None."""
    prices = load_card_prices() if prices is None else prices
    listed = [p for p in prices if p.gpu_id == gpu_id and p.kind == "launch"]
    if listed:
        first = min(listed, key=lambda p: p.date)
        return first.month, f"launched {first.date} (profiles/card_prices.csv)"
    if launch_year:
        return (int(launch_year), 7), f"launched {int(launch_year)} (catalog; mid-year assumed)"
    return None


def age_months(launch: tuple[int, int], today: _dt.date) -> int:
    """Whole months from the launch month to ``today``'s month (never below zero)."""
    return max((today.year - launch[0]) * 12 + (today.month - launch[1]), 0)


def value_at_age(gpu_id: str, age: float, k_per_month: float, prices: list[CardPrice] | None = None,
                 launch_usd: float | None = None, launch: tuple[int, int] | None = None
                 ) -> tuple[float, str] | None:
    """What the data says the card is worth at ``age`` months (see above): its newest used price outside the
    shortage carried along the fitted curve from the age it was seen at, else its launch price down the curve; with
    how it was worked out. None when neither is known."""
    prices = load_card_prices() if prices is None else prices
    used = [p for p in prices if p.gpu_id == gpu_id and p.kind == "used" and p.note != "shortage"]
    if used and launch is not None:
        u = max(used, key=lambda p: p.date)
        seen = age_months(launch, _dt.date(*u.month, 1))
        return (u.usd * math.exp(-k_per_month * (age - seen)),
                f"used {u.usd:,.0f} USD at {seen} months ({u.date}) x exp(-{k_per_month:.4f} x ({age:g} - {seen}))")
    if launch_usd is not None:
        return (launch_usd * math.exp(-k_per_month * age),
                f"launch {launch_usd:,.0f} USD x exp(-{k_per_month:.4f} x {age:g})")
    return None
