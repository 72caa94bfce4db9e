"""The assumptions of owning a machine (``profiles/ownership.toml``): electricity, power, the rest of the machine,
resale, multi-GPU scaling, how old a price list may get. Each value carries its source."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rigbench import data
from rigbench.cost.arithmetic import resale_exponential, resale_fraction
from rigbench.errors import UserError
from rigbench.files import read_text
from rigbench.prices import cards


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
    # k of the card-price fit (rigbench.prices.cards.fit_resale) when the file gives no [resale] fraction of its own:
    # then resale is exp(-k x months) at every horizon, and resale_fractions only show the curve at resale_months
    resale_k_per_month: float | None = None
    # the ages (months) of the cards the fit went through, when resale follows it
    resale_fit_months: tuple[int, int] | None = None

    def resale_extrapolated(self, months: float) -> str | None:
        """Where resale at ``months`` follows the card-price fit outside the ages of the cards it was fitted on
        ("extrapolated below the range of the fit, cards N-M months old"), else None: a few months
        after purchase the curve gives nearly all the price back, which no used price measured."""
        if self.resale_k_per_month is None or self.resale_fit_months is None:
            return None
        lo, hi = self.resale_fit_months
        if lo <= months <= hi:
            return None
        return (f"extrapolated {'below' if months < lo else 'above'} the range of the fit, cards "
                f"{lo}-{hi} months old")

    def resale_at(self, months: float) -> float:
        """The fraction of the purchase price back after ``months``: the fitted curve exp(-k x months) at every
        horizon, or, for a file with its own [resale] fraction table, linear between its points (a horizon past
        its last point is refused)."""
        if self.resale_k_per_month is not None:
            return resale_exponential(months, self.resale_k_per_month)
        return resale_fraction(months, self.resale_months, self.resale_fractions)


def _resale_fractions(resale: dict) -> tuple[float, ...]:
    """[resale] fraction when the file gives it, else the card-price fit (rigbench.prices.cards) at [resale] months."""
    if "fraction" in resale:
        return tuple(float(f) for f in resale["fraction"])
    fit = cards.fit_resale()
    return tuple(round(fit.fraction(float(m)), 4) for m in resale["months"])


def _resale_k(resale: dict) -> float | None:
    """The fit's k when the file gives no fractions of its own (resale follows the fit at every horizon), else None."""
    return None if "fraction" in resale else cards.fit_resale().k_per_month


def _resale_fit_months(resale: dict) -> tuple[int, int] | None:
    return None if "fraction" in resale else cards.fit_resale().months_range


def _resale_source(resale: dict, months: tuple[float, ...]) -> str:
    if "fraction" in resale:
        return (f"[resale] fraction of the ownership file, linear between its months (to {max(months):g}; a longer "
                f"horizon needs --resale)")
    return cards.fit_resale().describe()


def load_ownership(path: str | Path | None = None) -> Ownership:
    """The shipped ownership defaults, or a file in the same format."""
    if path is None:
        d, source = data.load_toml("ownership.toml"), "profiles/ownership.toml"
    else:
        source = str(path)
        d = data.parse_toml(read_text(path, "ownership file"), source)
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
            resale_k_per_month=_resale_k(resale),
            resale_fit_months=_resale_fit_months(resale),
            data_parallel_efficiency=float(d["scaling"]["data_parallel_efficiency"]),
            stale_after_days=int(d["prices"]["stale_after_days"]),
            sources={
                "electricity": d["electricity"].get("source"),
                "power": f"{power.get('gpu_load_fraction_source')}; {power.get('rest_of_system_source')}; "
                         f"{power.get('psu_source')}",
                "rest_of_machine": machine.get("rest_of_machine_source"),
                "resale": resale.get("source") or _resale_source(resale, tuple(float(m) for m in resale["months"])),
                "scaling": d["scaling"].get("source"),
            },
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"{source}: missing or malformed entry ({exc})") from None
    if len(own.resale_months) != len(own.resale_fractions) or len(own.resale_months) < 1:
        raise UserError(f"{source}: [resale] months and fraction must be lists of the same length")
    return own

