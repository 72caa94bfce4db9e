"""Card prices with a date, a kind and a source, and the resale estimate fitted through several cards."""

from __future__ import annotations

import math

import pytest

from rigbench import catalog
from rigbench.prices import cards as cp
from rigbench.errors import UserError

HEADER = "gpu_id,kind,usd,usd_low,usd_high,date,source,note\n"


def test_every_price_has_a_kind_a_date_and_a_source():
    rows = cp.load_card_prices()
    assert {r.kind for r in rows} == set(cp.KINDS)
    assert all(r.source and r.date[:4].isdigit() for r in rows)


def test_launch_prices_agree_with_the_catalog():
    for r in cp.load_card_prices():
        if r.kind != "launch":
            continue
        try:
            gpu = catalog.resolve(r.gpu_id)
        except UserError:
            continue
        assert gpu.launch_price_usd == r.usd, r.gpu_id


def test_newest_price_of_a_kind_wins():
    gtx = cp.card_price("gtx-1080-ti", "new")
    assert (gtx.usd, gtx.date) == (700, "2018-10")          # TechSpot: 900 (May), 720 (July), 700 (October 2018)
    assert cp.card_price("gtx-1080-ti", "used") is None
    with pytest.raises(UserError, match="price kind 'mint'"):
        cp.card_price("gtx-1080-ti", "mint")


def test_resale_fit_hand_worked():
    """RTX 4090: 1,025 / 1,599 after 43 months (2022-10 -> 2026-05); RTX 3090: 600 / 1,499 after 68 (2020-09 -> 2026-05).

    k = (43 ln(1599/1025) + 68 ln(1499/600)) / (43^2 + 68^2) = (43 x 0.444658 + 68 x 0.915623) / 6473 = 0.012573;
    after 24 months exp(-0.012573 x 24) = 0.7395. The RTX 3080's 2022 eBay prices (above launch, mining shortage)
    are shown but not fitted.
    """
    fit = cp.fit_resale()
    k = (43 * math.log(1599 / 1025) + 68 * math.log(1499 / 600)) / (43 ** 2 + 68 ** 2)
    assert fit.k_per_month == pytest.approx(k) == pytest.approx(0.012573, abs=1e-6)
    assert fit.fraction(24) == pytest.approx(0.7395, abs=1e-4)
    assert {p.gpu_id for p in fit.points} == {"rtx-4090", "rtx-3090"}
    assert {(p.gpu_id, p.months) for p in fit.left_out} == {("rtx-3080", 19), ("rtx-3080", 21)}
    lo, hi = fit.fraction_range(24)
    assert lo < fit.fraction(24) < hi


def test_resale_needs_two_cards():
    text = HEADER + "a,launch,100,,,2020-01,s,\na,used,50,,,2022-01,s,\n"
    with pytest.raises(UserError, match="at least two cards"):
        cp.fit_resale(cp.parse_card_prices(text, "t.csv"))


@pytest.mark.parametrize("row, fragment", [
    ("a,mint,100,,,2020-01,s,", "kind 'mint'"),
    ("a,used,100,120,150,2020-01,s,", "usd_low <= usd <= usd_high"),
    ("a,used,100,,,2020/01,s,", "date '2020/01'"),
    ("a,used,100,,,2020-01,,", "every price names its source"),
    ("a,used,-5,,,2020-01,s,", "a price is positive"),
    ("a,used,2e9,,,2020-01,s,", "at most 1,000,000,000"),
])
def test_bad_rows_name_the_line(row, fragment):
    with pytest.raises(UserError) as exc:
        cp.parse_card_prices(HEADER + row + "\n", "t.csv")
    assert "t.csv line 2" in str(exc.value) and fragment in str(exc.value)
