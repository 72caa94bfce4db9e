"""Buy-or-rent arithmetic: pure functions of explicit numbers (USD, watts, hours, samples per second).

No catalog, no model, no files: every input is an argument, so each function can be checked by hand.
"""

from __future__ import annotations

import math
from typing import Sequence

from rigbench.errors import UserError

SECONDS_PER_HOUR = 3600.0
# 730.5 h: the most one machine can run in an average month (a 365.25-day year of 24 h / 12 months; cloud price
# calculators use the same convention rounded to 730 h/month, e.g. the AWS Pricing Calculator).
HOURS_PER_MONTH = 365.25 * 24 / 12
# The largest training job cost and size take: past these the hours and dollars run to hundreds of digits and
# describe no real job (ImageNet-1k is 1.28 M samples; published runs train for tens to hundreds of epochs).
MAX_EPOCHS = 1_000_000
MAX_DATASET_SIZE = 10 ** 12
MAX_JOBS_PER_MONTH = 1_000_000
# The horizon and the monthly work cost and report take (50 years; hours of work on the reference card, which may
# exceed a month's 730.5 when a faster option does the work): past these the totals describe no real purchase.
MAX_MONTHS = 600
MAX_WORK_HOURS_PER_MONTH = 100_000


def resale_fraction(months: float, table_months: Sequence[float], table_fractions: Sequence[float]) -> float:
    """Linear interpolation in a resale table of one's own. A horizon past its last point is refused: the table says
    nothing about it, and holding the last point would keep the machine's value flat for decades."""
    if months < 0:
        raise UserError(f"months is {months}; it must be zero or more")
    pts = sorted(zip(table_months, table_fractions))
    if months <= pts[0][0]:
        return pts[0][1]
    for (m0, f0), (m1, f1) in zip(pts, pts[1:]):
        if months <= m1:
            return f0 + (f1 - f0) * (months - m0) / (m1 - m0)
    raise UserError(f"a horizon of {months:g} months is past the last point of the resale table ({pts[-1][0]:g} "
                    f"months); give the fraction back with --resale FRACTION, or extend the table")


def resale_exponential(months: float, k_per_month: float) -> float:
    """The fitted depreciation curve: the fraction of the price back after ``months`` is exp(-k x months)."""
    if months < 0:
        raise UserError(f"months is {months}; it must be zero or more")
    return math.exp(-k_per_month * months)


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


def card_resale_usd(price_usd: float, age_months: float, months: float, k_per_month: float,
                    worth_at_sale_usd: float | None = None) -> float:
    """What a card bought at ``age_months`` for ``price_usd`` returns after ``months``: price x v(age + months) /
    v(age) with v(t) = exp(-k x t), never more than ``worth_at_sale_usd`` (what the data says the card is worth at
    that age, rigbench.prices.cards.value_at_age) when given."""
    back = price_usd * resale_exponential(age_months + months, k_per_month) / resale_exponential(age_months, k_per_month)
    return back if worth_at_sale_usd is None else min(back, worth_at_sale_usd)
