"""What renting costs besides the instance hour: storage and egress per month, and how each provider bills time.

Data: ``profiles/cloud_extras.toml`` (each value with its source; a value without one is absent, with the reason).
``Extras.billed_hours`` rounds a run up to the provider's billing increment and minimum.
``monthly_usd(provider, storage_gb, egress_gb)`` is pure arithmetic: storage GB x price per GB-month + (egress GB -
the free allowance, at least 0) x price per GB.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rigbench import data
from rigbench.errors import UserError


@dataclass(frozen=True)
class Extras:
    provider: str
    storage_usd_per_gb_month: float | None
    storage_what: str
    storage_source: str
    egress_usd_per_gb: float | None
    egress_free_gb: float
    egress_source: str
    increment: str             # short, for the screen: "per second, 60 s minimum"
    billing: str
    billing_source: str
    increment_s: float | None = None     # a run's time is billed in whole increments of this many seconds
    minimum_s: float | None = None       # and never less than this

    def billed_hours(self, hours: float) -> float | None:
        """Hours a run of ``hours`` is billed for: rounded up to whole increments, at least the minimum; None when
        the list has no increment for the provider."""
        if self.increment_s is None:
            return None
        seconds = hours * 3600.0
        # 1e-9 of an increment absorbs float noise (60.000000001 s is one minute, not two)
        units = max(0, math.ceil(seconds / self.increment_s - 1e-9))
        return max(units * self.increment_s, self.minimum_s or 0.0) / 3600.0


def load_extras() -> dict[str, Extras]:
    """Every provider's storage, egress and billing facts (``profiles/cloud_extras.toml``)."""
    doc = data.load_toml("cloud_extras.toml")
    out = {}
    for provider, d in doc.items():
        try:
            out[provider] = Extras(
                provider, _opt(d.get("storage_usd_per_gb_month")), str(d["storage_what"]), str(d["storage_source"]),
                _opt(d.get("egress_usd_per_gb")), float(d.get("egress_free_gb", 0)), str(d["egress_source"]),
                str(d["increment"]), str(d["billing"]), str(d["billing_source"]), _positive(d.get("increment_s")),
                _opt(d.get("minimum_s")))
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(f"profiles/cloud_extras.toml: [{provider}] is missing or malformed ({exc})") from None
    return out


def _opt(v) -> float | None:
    return None if v is None else float(v)


def _positive(v) -> float | None:
    if v is not None and not float(v) > 0:
        raise ValueError(f"increment_s {v!r} is not above 0")
    return _opt(v)


def monthly_usd(extras: Extras, storage_gb: float, egress_gb: float,
                storage_price_override: float | None = None) -> tuple[float | None, str]:
    """(USD per month, how it was worked out); None when a needed price has no source (the text says which)."""
    parts, total = [], 0.0
    if storage_gb > 0:
        price = storage_price_override if storage_price_override is not None else extras.storage_usd_per_gb_month
        if price is None:
            return None, f"{extras.provider}: no cited storage price ({extras.storage_what})"
        total += storage_gb * price
        parts.append(f"storage {storage_gb:g} GB x {price:g} USD/GB-month"
                     + (" (--storage-usd-per-gb-month)" if storage_price_override is not None else ""))
    if egress_gb > 0:
        if extras.egress_usd_per_gb is None:
            return None, f"{extras.provider}: no cited egress price"
        billable = max(0.0, egress_gb - extras.egress_free_gb)
        total += billable * extras.egress_usd_per_gb
        free = f" - {extras.egress_free_gb:g} free" if extras.egress_free_gb else ""
        parts.append(f"egress ({egress_gb:g} GB{free}) x {extras.egress_usd_per_gb:g} USD/GB")
    return total, "; ".join(parts)
