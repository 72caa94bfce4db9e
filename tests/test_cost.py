"""The cost model: hand-worked arithmetic, break-even where the lines cross, the price list's validity."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from rigbench import catalog, cost, model, results, scaling, validity
from rigbench.cli.cost import _caption
from rigbench.comparison import build_comparison
from rigbench.cost import arithmetic, ownership, plan
from rigbench.cost.plot import plot_cumulative, plot_lines, plot_title
from rigbench.errors import UserError
from rigbench.prices import cards, cloud, extras
from rigbench.units import fmt_num, parse_usd

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "cost"


# ---------------------------------------------------------------------------------------------- pure arithmetic


def test_system_power_hand_worked():
    """RTX 2080 Ti (250 W TDP) + 145 W rest of system, 90% PSU: (250 + 145) / 0.9 = 438.888... W."""
    assert arithmetic.system_power_w(250, 1, 1.0, 145, 0.9) == pytest.approx(438.8888889)


def test_owning_total_hand_worked():
    """Purchase 2,500, resale 1,625 (65%), 400 W at 0.15 USD/kWh for 24 x 80 h = 1,920 h.

    electricity = 0.4 kW x 0.15 x 1920 = 115.2; total = 2500 - 1625 + 115.2 = 990.2 USD.
    """
    assert arithmetic.owning_total_usd(2500, 1625, 400, 0.15, 1920) == pytest.approx(990.2)


def test_renting_total_hand_worked():
    """p3.2xlarge 3.06 USD/h x 1,920 h = 5,875.2 USD."""
    assert arithmetic.renting_total_usd(3.06, 1920) == pytest.approx(5875.2)


def test_hours_for_samples_hand_worked():
    """ResNet-50, 90 epochs of ImageNet (1,281,167 images) at 1,000 images/s:
    90 x 1,281,167 / 1000 / 3600 = 32.029175 h."""
    assert arithmetic.hours_for_samples(90 * 1281167, 1000) == pytest.approx(32.029175)


def test_resale_fraction_interpolates_and_refuses_past_the_table():
    """Table 0:1.0, 12:0.75, 24:0.65: at 18 months 0.75 + (0.65-0.75) x 6/12 = 0.70; past 24 months the table says
    nothing, so it is refused (holding 0.65 would keep the machine's value flat for decades)."""
    months, fracs = (0, 12, 24), (1.0, 0.75, 0.65)
    assert arithmetic.resale_fraction(18, months, fracs) == pytest.approx(0.70)
    assert arithmetic.resale_fraction(0, months, fracs) == 1.0
    assert arithmetic.resale_fraction(24, months, fracs) == pytest.approx(0.65)
    with pytest.raises(UserError, match=r"99 months is past the last point of the resale table \(24 months\).*--resale"):
        arithmetic.resale_fraction(99, months, fracs)
    with pytest.raises(UserError):
        arithmetic.resale_fraction(-1, months, fracs)


def test_shipped_resale_follows_the_fit_at_every_horizon():
    """The shipped defaults give no fractions of their own: resale is the card-price fit exp(-k x months) at every
    horizon, with k = (43 ln(1599/1025) + 68 ln(1499/600)) / (43^2 + 68^2) = 0.0125728 (tests/test_card_prices.py).
    60 months: exp(-0.75437) = 0.4703; 68 months: exp(-0.85483) = 0.4253 (not the 0.4703 the old table held from 60
    months on); 600 months: exp(-7.5437) = 0.000529."""
    own = ownership.load_ownership()
    assert own.resale_k_per_month == pytest.approx(0.0125728, abs=1e-7)
    assert own.resale_at(60) == pytest.approx(0.4703, abs=1e-4)
    assert own.resale_at(68) == pytest.approx(0.4253, abs=1e-4)
    assert own.resale_at(600) == pytest.approx(0.000529, abs=1e-6)
    assert own.resale_at(30) == pytest.approx(math.exp(-own.resale_k_per_month * 30))   # the curve, not a chord
    assert own.sources["resale"].startswith("fit exp(-0.0126 x months)")


def test_a_card_loses_value_with_its_age_from_launch_not_with_the_months_owned_alone():
    """v(t) = exp(-k t), k = 0.0125728 (the card-price fit), v the fraction of the launch price at age t months.

    RTX 3090 (launched 2020-09) bought on 2026-12-04 at its 1,499 launch price: 75 months old, sold at 99 after 24
    months. 1,499 x v(99) / v(75) = 1,499 x exp(-0.30175) = 1,108.55, but its used price, 600 USD at 68 months
    (2026-05), says it is worth 600 x exp(-k x 31) = 406.33 then: 406.33 back, not the 1,108.55 the months owned
    alone gave. The rest of the machine, new: 1,501 x v(24) = 1,110.03. Resale 1,516.36 of 3,000 (51%).
    GTX 1080 Ti (launched 2017-03, no used price listed) bought at 699 on the same day, 60 months: 117 months old,
    177 when sold: 699 x v(177) = 75.51 (not 699 x v(60) = 328.74), + 1,501 x v(60) = 705.93: 781.44 of 2,200.
    A used price typed as the card's price is the purchase price P: --price-kind used (600) gives
    min(600 x v(24) = 443.71, 406.33) = 406.33; --gpu-price 300 gives 300 x v(24) = 221.86, under the cap.
    --build-price 2,500 holding the 1,499 card: 406.33 + (2,500 - 1,499) x v(24) = 1,146.60."""
    today = dt.date(2026, 12, 4)

    def resale(**kw):
        rep = cost.compare(cost.CostRequest(hours_per_month=80, today=today, **kw))
        return rep.buys[0]

    o = resale(buy=["rtx-3090"], months=24)
    assert o.resale_usd == pytest.approx(1516.36, abs=0.01)
    assert o.extra["resale_fraction"] == pytest.approx(1516.36 / 3000, abs=1e-5)
    assert o.extra["resale_source"].startswith("rtx-3090 75 months old when bought (launched 2020-09")
    assert "99 when sold: 406 USD back per card" in o.extra["resale_source"]
    o = resale(buy=["gtx-1080-ti"], months=60)
    assert o.resale_usd == pytest.approx(781.44, abs=0.01) and o.purchase_usd == 2200
    assert resale(buy=["rtx-3090"], months=24, price_kind="used").resale_usd == pytest.approx(406.33 + 1110.03,
                                                                                               abs=0.01)
    assert resale(buy=["rtx-3090"], months=24, gpu_price_usd=300).resale_usd == pytest.approx(221.86 + 1110.03,
                                                                                               abs=0.01)
    assert resale(buy=["rtx-3090"], months=24, build_price_usd=2500).resale_usd == pytest.approx(1146.60, abs=0.01)
    # --resale is the fraction of the whole purchase, whatever the card's age
    assert resale(buy=["rtx-3090"], months=24, resale=0.5).resale_usd == pytest.approx(1500)
    # the pure rule, by hand: 1,000 bought at 10 months, 12 more, worth at most 500 then
    assert arithmetic.card_resale_usd(1000, 10, 12, 0.01) == pytest.approx(1000 * math.exp(-0.12))
    assert arithmetic.card_resale_usd(1000, 10, 12, 0.01, worth_at_sale_usd=500) == 500


def test_a_power_limited_variant_is_priced_and_aged_as_its_card():
    """rtx-4090@300W is an RTX 4090 run at a lower power limit: bought, it is the card itself, so its launch month and
    prices are the card's rows in profiles/card_prices.csv. On 2026-12-04 it is 50 months old (launched 2022-10, not
    the catalog's year with mid-year assumed, 53), sold at 74 after 24 months: min(1,599 x exp(-0.0125728 x 24) =
    1,182.50, used 1,025 at 43 months x exp(-k x 31) = 694.15) = 694.15 back, as for rtx-4090 (not launch 1,599 x
    exp(-k x 77) = 607.30). Rest of machine 1,501 x v(24) = 1,110.03. --price-kind used buys it at 1,025:
    min(1,025 x v(24) = 758.01, 694.15) = 694.15."""
    today = dt.date(2026, 12, 4)

    def bought(**kw):
        return cost.compare(cost.CostRequest(hours_per_month=80, months=24, today=today, **kw)).buys[0]

    limited, card = bought(buy=["rtx-4090@300W"]), bought(buy=["rtx-4090"])
    assert limited.purchase_usd == card.purchase_usd == 1599 + 1501
    assert limited.resale_usd == pytest.approx(694.15 + 1110.03, abs=0.01)
    assert limited.resale_usd == pytest.approx(card.resale_usd)
    assert "50 months old when bought (launched 2022-10 (profiles/card_prices.csv))" in limited.extra["resale_source"]
    used = bought(buy=["rtx-4090@300W"], price_kind="used")
    assert used.purchase_usd == 1025 + 1501
    assert used.resale_usd == pytest.approx(694.15 + 1110.03, abs=0.01)


def test_a_used_price_of_the_mining_shortage_is_not_bought_at():
    """The RTX 3080's used prices listed (1,000 USD in 2022-04, 770 in 2022-06) are eBay averages of the mining
    shortage, above its 699 launch price: resale leaves them out as no market, and buying at them is refused too,
    naming the newest one and its date. A used price is bought at with its age once it is over a year old: the RTX
    3090's 600 USD of 2026-05 is 12 months old on 2027-05-04 (not said) and 13 on 2027-06-04."""
    def bought(today, **kw):
        rep = cost.compare(cost.CostRequest(hours_per_month=80, months=24, today=today, **kw))
        return rep.buys[0]

    with pytest.raises(UserError, match=r"^the only used price listed for GeForce RTX 3080 is a mining-shortage one "
                                        r"\(770 USD, 2022-06\).*--price-kind \(launch\)"):
        bought(dt.date(2026, 12, 4), buy=["rtx-3080"], price_kind="used")
    o = bought(dt.date(2027, 5, 4), buy=["rtx-3090"], price_kind="used")
    assert o.purchase_usd == 600 + 1501
    assert o.extra["purchase_source"].startswith("used price 600 (2026-05, bestllmfor.com")
    o = bought(dt.date(2027, 6, 4), buy=["rtx-3090"], price_kind="used")
    assert o.extra["purchase_source"].startswith("used price 600 (2026-05, 13 months old, bestllmfor.com")
    # the launch price is still bought at, and the shortage price is shown as one
    rep = cost.compare(cost.CostRequest(buy=["rtx-3080"], hours_per_month=80, today=dt.date(2026, 12, 4)))
    assert rep.buys[0].purchase_usd == 699 + 1501
    assert rep.assumptions["card_prices"] == ["rtx-3080: also known: used price 770 USD (2022-06, mining shortage) "
                                              "(--price-kind launch|new|used)"]


def test_the_top_level_resale_extrapolated_is_that_of_the_card_the_verdict_weighs():
    """On 2026-12-04, over 12 months: an RTX 3090 (2020-09) is 75 months old, sold at 87, above the fitted cards'
    43-68 months; an RTX 4090 (2022-10) is 50, sold at 62, inside. Resale: 4090 min(1,599 x exp(-0.0125728 x 12) =
    1,375.07, 1,025 x exp(-k x 19) = 807.19) + 1,501 x exp(-k x 12) = 1,290.79 -> 2,097.99 of 3,100; 3090 min(1,289.07,
    600 x exp(-k x 19) = 472.50) + 1,290.79 = 1,763.30 of 3,000. The 4090 is cheaper and the verdict weighs it (no
    extrapolation said); the top-level JSON field followed the first --buy, the 3090, and said "extrapolated"."""
    rep = cost.compare(cost.CostRequest(buy=["rtx-3090", "rtx-4090"], hours_per_month=80, months=12,
                                        today=dt.date(2026, 12, 4)))
    by = {o.name: o for o in rep.buys}
    assert by["rtx-4090"].resale_usd == pytest.approx(2097.99, abs=0.01)
    assert by["rtx-3090"].resale_usd == pytest.approx(1763.30, abs=0.01)
    assert by["rtx-3090"].extra["resale_extrapolated"].startswith("extrapolated above")
    assert rep.verdict_buy() is by["rtx-4090"] and rep.cheapest("buy") is by["rtx-4090"]
    assert rep.recommendation().startswith("buy rtx-4090") and "extrapolated" not in rep.recommendation()
    assert rep.to_doc()["assumptions"]["resale_extrapolated"] is None


def test_a_listed_price_above_what_the_card_is_worth_today_is_a_warning():
    """An RTX 3090 (launched 2020-09) bought on 2026-12-04 is 75 months old: its used price, 600 USD at 68 months
    (2026-05), says it is worth 600 x exp(-0.0125728 x 7) = 549.45 today. Bought at its 1,499 launch price and sold
    0.01 months later it returns min(1,499 x exp(-k x 0.01) = 1,498.81, 600 x exp(-k x 7.01) = 549.38): the 950 USD
    above its value is gone the day it is bought, and a warning says so with both numbers. A used price (what such a
    card sells for) and a price typed with --gpu-price (what the buyer pays) are not warned about. A GTX 1080 Ti
    (2017-03, no used price listed) is worth 699 x exp(-k x 117) = 160.55 at 117 months: --price-kind used would be
    refused, so only --gpu-price is pointed to."""
    today = dt.date(2026, 12, 4)

    def report(**kw):
        return cost.compare(cost.CostRequest(hours_per_month=80, today=today, **kw))

    rep = report(buy=["rtx-3090"], months=0.01)
    assert rep.buys[0].resale_usd == pytest.approx(549.38 + 1501 * math.exp(-0.0125728 * 0.01), abs=0.01)
    [w] = [w for w in rep.warnings if "worth today" in w]
    assert w.startswith("rtx-3090 is bought at 1,499 USD per card, above the 549 USD the data says it is worth today "
                        "at 75 months old (used 600 USD at 68 months (2026-05)")
    assert w.endswith("price it with --price-kind used or --gpu-price USD")
    for kw in ({"price_kind": "used"}, {"gpu_price_usd": 1499}):
        assert not [w for w in report(buy=["rtx-3090"], months=0.01, **kw).warnings if "worth today" in w]
    [w] = [w for w in report(buy=["gtx-1080-ti"], months=24).warnings if "worth today" in w]
    assert "above the 161 USD the data says it is worth today at 117 months old" in w
    assert w.endswith("price it with --gpu-price USD")


def test_a_horizon_outside_the_ages_the_resale_fit_saw_says_it_is_extrapolated():
    """The shipped fit goes through used prices of cards 43 and 68 months old (tests/test_card_prices.py): at 0.001
    months it gives 100% back, which no used price measured, and the verdict said "resale 100%" as a fact."""
    own = ownership.load_ownership()
    assert own.resale_fit_months == (43, 68)
    assert own.resale_extrapolated(0.001) == ("extrapolated below the range of the fit, cards 43-68 "
                                              "months old")
    assert own.resale_extrapolated(100).startswith("extrapolated above the range of the fit")
    assert own.resale_extrapolated(43) is None and own.resale_extrapolated(68) is None
    # what is extrapolated is the card's age when sold: an RTX 4090 (launched 2022-10) bought in November 2022 and
    # sold 0.001 months later is 1 month old, below the fitted cards' ages
    rep = plan.compare(plan.CostRequest(buy=["rtx-4090"], hours_per_month=80, months=0.001,
                                        today=dt.date(2022, 11, 15)))
    assert rep.recommendation().endswith("resale 100% after 0.001 months (extrapolated below the range of the fit, "
                                         "cards 43-68 months old)")
    # a fraction of one's own is no extrapolation
    rep = plan.compare(plan.CostRequest(buy=["rtx-4090"], hours_per_month=80, months=0.001, resale=0.9))
    assert rep.assumptions["resale_extrapolated"] is None and "extrapolated" not in rep.recommendation()


def test_crossover_hand_worked_and_lines_cross_there():
    """Fixed 875 USD; owning runs at 0.06 USD per reference hour, renting at 3.06; 24 months.

    H = 875 / (24 x (3.06 - 0.06)) = 875 / 72 = 12.152777... h/month. At H both totals are equal:
    own = 875 + 24 x H x 0.06 = 892.5, rent = 24 x H x 3.06 = 892.5.
    """
    h = arithmetic.crossover_hours_per_month(875, 0.06, 3.06, 24)
    assert h == pytest.approx(12.1527778)
    own = 875 + 24 * h * 0.06
    rent = 24 * h * 3.06
    assert own == pytest.approx(892.5) and rent == pytest.approx(892.5)
    # Above the crossover owning is cheaper, below it renting is.
    assert 875 + 24 * (h * 2) * 0.06 < 24 * (h * 2) * 3.06
    assert 875 + 24 * (h / 2) * 0.06 > 24 * (h / 2) * 3.06


def test_crossover_none_when_renting_runs_cheaper_than_electricity():
    assert arithmetic.crossover_hours_per_month(1000, 0.5, 0.4, 24) is None
    assert arithmetic.crossover_hours_per_month(1000, 0.5, 0.5, 24) is None
    assert arithmetic.crossover_hours_per_month(1000, 0.1, 1.0, 0) is None


# ---------------------------------------------------------------------------------------------- the price list


def test_shipped_price_list_is_valid_and_covers_the_generations():
    prices = cloud.load_prices()
    assert len(prices.instances) >= 25
    providers = {i.provider for i in prices.instances}
    assert {"aws", "gcp", "azure"} <= providers
    for inst in prices.instances:
        assert inst.on_demand_usd_per_hour > 0
        assert inst.spot_usd_per_hour is None or 0 < inst.spot_usd_per_hour <= inst.on_demand_usd_per_hour
        assert inst.price_date <= dt.date.today()
        assert inst.source
        assert inst.gpu_count >= 1 and inst.vcpus >= 1 and inst.ram_gb > 0
    ids = " ".join(i.gpu_id for i in prices.instances)
    for generation in ("v100", "t4", "a10g", "l4", "a100", "h100"):
        assert generation in ids, generation
    # The cheapest single-GPU option of each big provider is there.
    keys = {i.key for i in prices.instances}
    assert {"aws:g4dn.xlarge", "gcp:n1-standard-4+t4", "azure:NC4as_T4_v3"} <= keys
    assert prices.date == min(i.price_date for i in prices.instances)


def test_every_gpu_id_in_the_price_list_resolves_in_the_catalog():
    for inst in cloud.load_prices().instances:
        gpu = catalog.resolve(inst.gpu_id)
        assert gpu.memory_gb, inst.key


def test_resolve_instance_exact_bare_and_case_insensitive():
    prices = cloud.load_prices()
    assert cloud.resolve_instance("aws:p3.2xlarge", prices).on_demand_usd_per_hour == 3.06
    assert cloud.resolve_instance("AZURE:nc6s_v3", prices).name == "NC6s_v3"
    assert cloud.resolve_instance("p3.2xlarge", prices).provider == "aws"


def test_unknown_instance_suggests_close_names():
    with pytest.raises(UserError, match=r"aws:p3\.2xlarge"):
        cloud.resolve_instance("aws:p3.2xlarg")


@pytest.mark.parametrize("fixture, fragment", [
    ("negative_price.csv", " line 3: column 'on_demand_usd_per_hour' is -1;"),
    ("spot_above_on_demand.csv", " line 3: column 'spot_usd_per_hour'"),
    ("bad_date.csv", " line 4: column 'price_date'"),
    ("missing_column.csv", " line 1: missing column(s) spot_usd_per_hour"),
    ("not_a_number.csv", " line 2: column 'gpu_count' is 'one'"),
    ("short_row.csv", " line 3: 9 values for 11 columns"),
])
def test_malformed_price_file_names_line_and_column(fixture, fragment):
    with pytest.raises(UserError) as exc:
        cloud.load_prices(FIXTURES / fixture)
    assert fragment in str(exc.value)


def test_stale_list_is_flagged_from_its_oldest_row():
    prices = cloud.load_prices(FIXTURES / "tiny_prices.csv")
    assert prices.date == dt.date(2024, 1, 15)
    assert prices.is_stale(180, today=dt.date(2024, 9, 1))       # 230 days
    assert not prices.is_stale(180, today=dt.date(2024, 3, 1))   # 46 days


def test_ownership_defaults_have_sources():
    own = ownership.load_ownership()
    assert 0.05 < own.electricity_usd_per_kwh < 0.5
    assert own.basic_band_usd == (2000, 3000) and own.high_end_band_usd == (8897, 23000)
    assert own.rest_of_machine_usd == 2500 - 999
    assert all(own.sources.values())


# ---------------------------------------------------------------------------------------------- planning (stubbed GPUs)


@dataclass
class FakeGpu:
    id: str
    launch_price_usd: float | None
    tdp_w: float | None
    memory_gb: float = 16

    @property
    def name(self) -> str:   # the catalog's full name; these made-up cards have none but their id
        return self.id


FAKE = {
    "card-a": FakeGpu("card-a", 1000.0, 250.0),
    "card-b": FakeGpu("card-b", 2000.0, 300.0),
    "tesla-t4": FakeGpu("tesla-t4", None, 70.0),
    "tesla-v100-sxm2-16gb": FakeGpu("tesla-v100-sxm2-16gb", None, 300.0),
}
SPEED = {"card-a": 400.0, "card-b": 500.0, "tesla-t4": 200.0, "tesla-v100-sxm2-16gb": 800.0}  # images/s, made-up round numbers for arithmetic


def fake_resolve(name):
    try:
        return FAKE[name]
    except KeyError:
        raise UserError(f"unknown GPU {name!r}") from None


def fake_predict(gpu, workload, precision):
    return SPEED[gpu.id], "images"


def own_fixture() -> ownership.Ownership:
    return ownership.Ownership(electricity_usd_per_kwh=0.15, gpu_load_fraction=1.0, rest_of_system_w=110,
                          psu_efficiency=0.9, rest_of_machine_usd=1500, basic_band_usd=(2000, 3000),
                          high_end_band_usd=(8897, 23000), resale_months=(0, 24), resale_fractions=(1.0, 0.5),
                          data_parallel_efficiency=0.9, stale_after_days=180, sources={
                              "electricity": "t", "power": "t", "rest_of_machine": "t", "resale": "t", "scaling": "t"})


@pytest.fixture
def fake_ids(monkeypatch):
    """The results owner reads a probe's catalog_id through the catalog (an id it does not know is read as not in
    the catalog): the made-up cards of these tests are known to it, as the rest of the catalog is."""
    real = catalog.find
    monkeypatch.setattr(catalog, "find", lambda name: FAKE.get(name) or real(name))


def run(**kw):
    req = cost.CostRequest(prices_path=str(FIXTURES / "tiny_prices.csv"), today=dt.date(2024, 2, 1), **kw)
    return cost.compare(req, resolve_gpu=fake_resolve, predict=fake_predict, ownership=own_fixture(),
                        use_scaling=False)


def test_compare_hand_worked_buy_vs_rent():
    """Buy card-a (400 img/s, 1,000 USD + 1,500 rest), rent test:v100 (800 img/s, 3.00 USD/h), 80 h/month on card-a, 24 months.

    work = 80 h x 3600 x 400 = 115,200,000 images/month.
    buy: 80 h/month; power (250 + 110)/0.9 = 400 W -> 0.06 USD/h; purchase 2,500, resale 50% = 1,250;
         total = 2500 - 1250 + 0.06 x 80 x 24 = 1,365.2 USD.
    rent v100: 115.2M / 800 / 3600 = 40 h/month; total = 3.00 x 40 x 24 = 2,880 USD.
    break-even (card-a hours): rent per card-a hour = 3.00 x 400/800 = 1.50; buy per hour = 0.06;
         H = 1250 / (24 x 1.44) = 36.1690 h/month.
    """
    rep = run(buy=["card-a"], rent=["test:v100"], hours_per_month=80, months=24)
    buy, rent = rep.buys[0], rep.rents[0]
    assert buy.power_w == pytest.approx(400.0)
    assert buy.hours_per_month == pytest.approx(80)
    assert buy.total_usd == pytest.approx(1365.2)
    assert rent.hours_per_month == pytest.approx(40)
    assert rent.total_usd == pytest.approx(2880.0)
    be = rep.break_even(buy, rent)
    assert be == pytest.approx(1250 / (24 * 1.44))
    # The two cost lines meet at the break-even usage.
    at = run(buy=["card-a"], rent=["test:v100"], hours_per_month=be, months=24)
    assert at.buys[0].total_usd == pytest.approx(at.rents[0].total_usd, rel=1e-9)
    doc = rep.to_doc()
    assert doc["schema"] == "rigbench.cost/1"
    assert doc["break_even_hours_per_month"] == pytest.approx(be)
    assert doc["recommendation"].startswith("buy card-a")
    kinds = {o["name"]: o["kind"] for o in doc["options"]}
    assert kinds == {"card-a": "buy", "test:v100": "rent"}
    # 1M images cost: 1365.2 / (115.2M x 24) x 1e6
    first = doc["options"][0]
    assert first["usd_per_unit_work"] == pytest.approx(1365.2 / (115.2e6 * 24) * 1e6)


def test_hours_of_a_multi_card_machine_are_named_on_that_machine():
    """--buy card-a --buy-count 4: the hours are on the 4-card machine, and every place says so ('card-a x4').

    throughput 4 x 400 x 0.9 (the fixture's scaling efficiency) = 1,440 img/s; purchase 4 x 1,000 + 1,500 = 5,500,
    resale 50% -> fixed 2,750; power (4 x 250 + 110) / 0.9 = 1,233.33 W -> 0.185 USD/h; renting one card-a x4 hour
    costs 3.00 x 1440/800 = 5.40 USD; break-even 2750 / (24 x (5.40 - 0.185)) = 21.972 h/month on card-a x4."""
    rep = run(buy=["card-a"], buy_count=4, rent=["test:v100"], hours_per_month=80, months=24)
    doc = rep.to_doc()
    assert doc["work"]["reference"] == doc["break_even_hours_are_on"] == rep.buys[0].name == "card-a x4"
    assert doc["work"]["reference_throughput_per_s"] == pytest.approx(1440.0)
    assert doc["work"]["description"] == "80 h/month of resnet50 (amp) on card-a x4"
    assert doc["break_even_hours_per_month"] == pytest.approx(2750 / (24 * (5.40 - 0.185)))
    assert "h/month on card-a x4;" in doc["recommendation"]
    # --reference naming the bought card is the bought machine too, by either name
    for ref in ("card-a", "card-a x4"):
        again = run(buy=["card-a"], buy_count=4, rent=["test:v100"], hours_per_month=80, months=24, reference=ref)
        assert (again.work.reference_name, again.work.reference_throughput_per_s) == ("card-a x4", 1440.0)


def test_several_bought_cards_say_the_rest_of_the_machine_is_a_one_gpu_desktops():
    """--buy-count 4 prices the rest of the machine (1,500 USD in the fixture) and powers it (110 W) as one desktop:
    purchase 4 x 1,000 + 1,500 = 5,500, power (4 x 250 + 110) / 0.9 W. No cited figure scales them, so the report
    says it is an underestimate, in the purchase and power sources, a warning and the assumptions."""
    rep = run(buy=["card-a"], buy_count=4, rent=["test:v100"], hours_per_month=80, months=24)
    buy = rep.buys[0]
    assert buy.purchase_usd == 5500 and buy.power_w == pytest.approx((4 * 250 + 110) / 0.9)
    assert buy.extra["purchase_source"].endswith("rest of machine 1,500 (a one-GPU desktop's)")
    assert "+ rest of system 110 W (a one-GPU desktop's)," in buy.power_source
    want = ("--buy-count 4: the rest of the machine is priced (1,500 USD) and powered (110 W besides the cards) as a "
            "one-GPU desktop, an underestimate for 4 cards")
    doc = rep.to_doc()
    assert any(w.startswith(want) for w in doc["warnings"])
    assert doc["assumptions"]["rest_of_machine_underestimate"].startswith(want)
    # --build-price and --power-w replace both figures: nothing left to say; one card: nothing to say
    whole = run(buy=["card-a"], buy_count=4, rent=["test:v100"], hours_per_month=80, build_price_usd=20000, power_w=1500)
    assert whole.to_doc()["assumptions"]["rest_of_machine_underestimate"] is None
    assert not any("one-GPU desktop" in w for w in whole.warnings)
    half = run(buy=["card-a"], buy_count=4, rent=["test:v100"], hours_per_month=80, power_w=1500)
    assert "is priced (1,500 USD) as a one-GPU desktop" in half.to_doc()["assumptions"]["rest_of_machine_underestimate"]
    one = run(buy=["card-a"], rent=["test:v100"], hours_per_month=80)
    assert one.to_doc()["assumptions"]["rest_of_machine_underestimate"] is None
    assert "one-GPU" not in one.buys[0].extra["purchase_source"] + one.buys[0].power_source


def test_small_amounts_in_the_verdict_keep_their_significant_digits():
    """Amounts and hours in the recommendation have three significant digits, never rounded to 0.

    A 1 USD machine (--gpu-price 1 --build-price 1): fixed 1 - 50% resale = 0.5 USD; break-even
    0.5 / (24 x (1.50 - 0.06)) = 0.0144676 h/month, shown 0.0145 (it was 'above 0 h/month').
    0.001 months of 80 h/month: resale 1 - 0.5 x 0.001/24, so fixed 2500 x 0.5 x 0.001/24 = 0.0520833; owning
    0.0520833 + 0.06 x 80 x 0.001 = 0.0568833, renting 3.00 x 40 x 0.001 = 0.12: 0.0631167 USD cheaper, shown 0.0631
    (it was '0 USD cheaper'); break-even 0.0520833 / (0.001 x 1.44) = 36.169 h/month, shown 36.2."""
    rep = run(buy=["card-a"], rent=["test:v100"], hours_per_month=80, months=24, gpu_price_usd=1, build_price_usd=1)
    assert rep.break_even(rep.buys[0], rep.rents[0]) == pytest.approx(0.5 / (24 * 1.44))
    assert "buying wins above 0.0145 h/month" in rep.recommendation()
    rep = run(buy=["card-a"], rent=["test:v100"], hours_per_month=80, months=0.001)
    assert rep.rents[0].total_usd - rep.buys[0].total_usd == pytest.approx(0.0631167, abs=1e-7)
    assert rep.recommendation().startswith("buy card-a: 0.0631 USD cheaper than renting test:v100 over 0.001 months "
                                           "at 80.0 h/month on card-a; buying wins above 36.2 h/month (")

def test_light_use_recommends_renting():
    """At 5 h/month renting the V100 (2.5 h x 3.00 x 24 = 180 USD) beats owning (1,250 + 0.06 x 5 x 24 = 1,257.2)."""
    rep = run(buy=["card-a"], rent=["test:v100"], hours_per_month=5, months=24)
    assert rep.rents[0].total_usd == pytest.approx(180.0)
    assert rep.buys[0].total_usd == pytest.approx(1257.2)
    assert rep.recommendation().startswith("rent test:v100")
    assert "USD/kWh" in rep.recommendation()


def test_two_bought_cards_the_verdict_names_the_margin_and_no_rented_prices():
    """Buy card-a or card-b, nothing rented, 80 h/month on card-a over 24 months (resale 50%):
    card-a 1,250 + 0.06 x 80 x 24 = 1,365.2 USD; card-b (2,000 + 1,500) x 0.5 = 1,750 + (300 + 110) / 0.9 W x
    0.15 USD/kWh = 0.068333 USD/h x 64 h x 24 = 1,854.96 USD: card-a is 489.76 USD cheaper. No instance is rented, so the verdict
    names no price list date."""
    rep = run(buy=["card-a", "card-b"], hours_per_month=80, months=24)
    assert rep.buys[1].total_usd == pytest.approx(1854.96)
    rec = rep.recommendation()
    assert rec.startswith("buy card-a: 490 USD cheaper than buying card-b over 24 months at 80.0 h/month on card-a;")
    assert rec.endswith("driven by 0.150 USD/kWh, resale 50% after 24 months")
    # renting alone: electricity and resale do not enter any total
    assert run(rent=["test:v100"], hours_per_month=10).recommendation().endswith(
        "driven by on-demand prices of 2024-01-15")


def test_training_job_work_and_per_epoch_cost():
    """90 epochs x 1,000,000 images, once a month, for 12 months on a rented 4 x T4 (200 img/s each, 0.9 efficiency).

    throughput = 4 x 200 x 0.9 = 720 img/s; hours/month = 90e6 / 720 / 3600 = 34.7222 h;
    total = 2.00 x 34.7222 x 12 = 833.333 USD; per epoch = 833.333 / (12 x 90) = 0.771605 USD.
    """
    rep = run(rent=["test:t4x4"], epochs=90, dataset_size=1_000_000, months=12)
    opt = rep.rents[0]
    assert opt.throughput_per_s == pytest.approx(720)
    assert opt.hours_per_month == pytest.approx(34.7222222)
    assert opt.total_usd == pytest.approx(833.333333)
    doc = rep.to_doc()
    assert doc["options"][0]["usd_per_epoch"] == pytest.approx(0.7716049)


def test_spot_uses_spot_price_and_refuses_instances_without_one():
    rep = run(rent=["test:v100"], hours_per_month=10, months=1, spot=True, reference="test:v100")
    assert rep.rents[0].usd_per_hour == 1.00
    with pytest.raises(UserError, match="no spot price"):
        run(rent=["test:t4x4"], hours_per_month=10, months=1, spot=True)


def test_stale_prices_warn():
    req = cost.CostRequest(rent=["test:v100"], hours_per_month=10, months=1,
                           prices_path=str(FIXTURES / "tiny_prices.csv"), today=dt.date(2025, 1, 1))
    rep = cost.compare(req, resolve_gpu=fake_resolve, predict=fake_predict, ownership=own_fixture(), use_scaling=False)
    assert rep.prices_stale
    assert "days old" in rep.warnings[0]
    # the list was given with --prices: updating that file is the way out, not "pass --prices FILE" again
    assert rep.warnings[0].endswith(f"update {FIXTURES / 'tiny_prices.csv'} with current prices, or leave out "
                                    "--prices after 'rigbench prices refresh'")
    assert rep.to_doc()["prices_stale"] is True


def test_a_stale_price_list_is_nobodys_concern_when_nothing_is_rented():
    """The same list, 352 days old, with only a card bought: no rented price is in the answer, so neither its date nor
    its age is (JSON keeps the keys, null; prices_stale false); with an instance rented beside the card, both are."""
    req = cost.CostRequest(buy=["card-a"], hours_per_month=10, months=1,
                           prices_path=str(FIXTURES / "tiny_prices.csv"), today=dt.date(2025, 1, 1))
    rep = cost.compare(req, resolve_gpu=fake_resolve, predict=fake_predict, ownership=own_fixture(), use_scaling=False)
    doc = rep.to_doc()
    assert not rep.prices_stale and not any("days old" in w for w in rep.warnings)
    assert {k: doc[k] for k in ("prices_date", "prices_source", "prices_origin", "prices_age_days", "prices_stale")} \
        == {"prices_date": None, "prices_source": None, "prices_origin": None, "prices_age_days": None,
            "prices_stale": False}
    assert doc["assumptions"]["prices_date"] is None
    rep = cost.compare(replace(req, rent=["test:v100"]), resolve_gpu=fake_resolve, predict=fake_predict,
                       ownership=own_fixture(), use_scaling=False)
    doc = rep.to_doc()
    assert rep.prices_stale and rep.warnings[0].startswith("prices are 352 days old (rented prices dated 2024-01-15")
    assert doc["prices_date"] == doc["assumptions"]["prices_date"] == "2024-01-15" and doc["prices_age_days"] == 352


def test_the_json_assumptions_date_the_prices_as_the_report_does():
    """assumptions.prices_date is the report's prices_date, not a second count kept beside it: a report whose rented
    option is then dropped (as a caller filtering the options would) dates no price there either."""
    req = cost.CostRequest(buy=["card-a"], rent=["test:v100"], hours_per_month=10, months=1,
                           prices_path=str(FIXTURES / "tiny_prices.csv"), today=dt.date(2025, 1, 1))
    rep = cost.compare(req, resolve_gpu=fake_resolve, predict=fake_predict, ownership=own_fixture(), use_scaling=False)
    assert rep.to_doc()["assumptions"]["prices_date"] == rep.prices_date.isoformat() == "2024-01-15"
    rep.options = rep.buys
    doc = rep.to_doc()
    assert doc["prices_date"] is None and doc["assumptions"]["prices_date"] is None


def test_the_prices_date_is_the_rented_prices_not_the_lists_oldest_row(tmp_path):
    """A list whose oldest row (test:v100, 2024-01-15) is not rented: the answer's date, age and staleness are the
    rented row's (test:t4x4, read 2024-12-20, 12 days before 2025-01-01: fresh), and the verdict names that date;
    the fetched-date caveat stays. Renting both, the oldest of the two (2024-01-15, 352 days) is the answer's."""
    text = (FIXTURES / "tiny_prices.csv").read_text().replace(
        "2024-02-01,hand-made test row", "2024-12-20,hand-made test row,fetched").replace(
        "price_date,source", "price_date,source,date_basis").replace(
        "2024-01-15,hand-made test row", "2024-01-15,hand-made test row,published")
    prices = tmp_path / "prices.csv"
    prices.write_text(text)
    req = cost.CostRequest(rent=["test:t4x4"], hours_per_month=10, months=1, prices_path=str(prices),
                           today=dt.date(2025, 1, 1))
    rep = cost.compare(req, resolve_gpu=fake_resolve, predict=fake_predict, ownership=own_fixture(), use_scaling=False)
    doc = rep.to_doc()
    assert (doc["prices_date"], doc["prices_age_days"], doc["prices_stale"]) == ("2024-12-20", 12, False)
    assert doc["assumptions"]["prices_date"] == "2024-12-20"
    assert not any("days old" in w for w in rep.warnings)
    assert any(w.startswith("test prices are dated by the day their catalog file was read") for w in rep.warnings)
    assert rep.recommendation().endswith("on-demand prices of 2024-12-20 (fetched: may be older)")
    assert doc["prices_dated"] == "2024-12-20 (12 days ago, fetched: may be older)"
    rep = cost.compare(replace(req, rent=["test:t4x4", "test:v100"]), resolve_gpu=fake_resolve, predict=fake_predict,
                       ownership=own_fixture(), use_scaling=False)
    doc = rep.to_doc()
    assert (doc["prices_date"], doc["prices_age_days"], doc["prices_stale"]) == ("2024-01-15", 352, True)
    assert rep.warnings[0].startswith("prices are 352 days old (rented prices dated 2024-01-15")
    # the verdict names test:t4x4 (10 h x 2.00 = 20 USD against 9 h x 3.00 = 27): its price's date drives it
    assert rep.recommendation().startswith("rent test:t4x4")
    assert rep.recommendation().endswith("on-demand prices of 2024-12-20 (fetched: may be older)")
    # one statement of the dates: the "Prices dated" line and the plot title span the oldest (which the stale warning
    # judges) to the newest (the verdict's), each with its caveat, so the verdict's date is one they show
    assert doc["prices_dated"] == "2024-01-15 (352 days ago) to 2024-12-20 (12 days ago, fetched: may be older)"
    assert "\nprices of 2024-01-15 to 2024-12-20 (fetched: may be older); " in plot_title(rep)
    # a price dated today is "today", not "0 days ago"; a day old, "1 day ago"
    for today, said in ((dt.date(2024, 12, 20), "today"), (dt.date(2024, 12, 21), "1 day ago")):
        rep = cost.compare(replace(req, today=today), resolve_gpu=fake_resolve, predict=fake_predict,
                           ownership=own_fixture(), use_scaling=False)
        assert rep.to_doc()["prices_dated"] == f"2024-12-20 ({said}, fetched: may be older)"


@pytest.mark.parametrize("kw, fragment", [
    (dict(buy=["card-a"], hours_per_month=-1), "--hours-per-month"),
    (dict(buy=["card-a"], hours_per_month=10, months=0), "--months"),
    (dict(buy=["card-a"], hours_per_month=10, resale=1.5), "--resale"),
    (dict(buy=["card-a"], epochs=90), "--dataset-size"),
    (dict(buy=["card-a"]), "how much work"),
    (dict(buy=["no-such-card"], hours_per_month=10), "unknown GPU"),
    (dict(rent=["test:nope"], hours_per_month=10), "unknown instance"),
    (dict(buy=["tesla-t4"], hours_per_month=10), "--gpu-price"),
])
def test_bad_requests_are_user_errors(kw, fragment):
    with pytest.raises(UserError, match=fragment):
        run(**kw)


def _train(kernel, before, after, device="cuda:0", status="ok", dtype="amp", valid=True):
    """A measurement as the bench runner stores it: NVML readings under conditions.gpu_before / gpu_after."""
    reasons = [] if valid else [{"code": "spread", "value": 0.2, "limit": 0.1, "text": "spread 20% of the median"}]
    return {"kernel": kernel, "device": device, "status": status, "dtype": dtype, "value": 100.0,
            "valid": valid and status == "ok", "invalid_reasons": reasons,
            "conditions": {"cpu_before": {}, "cpu_after": {},
                           "gpu_before": {"sm_clock_mhz": 1350, "temperature_c": 45, "power_w": before},
                           "gpu_after": {"sm_clock_mhz": 1545, "temperature_c": 71, "power_w": after}}}


# Readings of the kind NVML returns on an RTX 2080 Ti (250 W TDP): ~55-70 W near idle, ~230-260 W at the end of
# sustained training load.
def _doc(measurements, gpu="card-a"):
    """A results document whose cuda:0 is the catalog card ``gpu`` (the probe's record of it)."""
    return {"schema": "rigbench.results/2", "status": "complete", "created_utc": "2026-01-02T03:04:05Z", "host": "rig",
            "probe": {"gpus": [{"index": 0, "name": gpu.upper(), "catalog_id": gpu}]}, "measurements": measurements}


RESULTS = _doc([
    _train("train_cnn", 58.2, 243.7),
    _train("train_transformer", 61.0, 251.3),
    _train("matmul", 60.0, 280.0),                       # not a training kernel: ignored
    _train("train_cnn", 60.0, 999.0, status="failed"),   # failed: ignored
    _train("train_cnn", 70.0, 777.0, valid=False),       # not valid: ignored
    _train("train_cnn", 10.0, 65.0, device="cpu"),       # another device: ignored
])


def test_measured_power_reads_the_nvml_conditions_of_training_kernels():
    """The runner stores power at conditions.gpu_before/gpu_after.power_w; the larger (after, end of load) of the
    training measurements is used: 251.3 W from train_transformer."""
    watts, where = plan._measured_power_w(RESULTS, "cuda:0")
    assert watts == pytest.approx(251.3)
    assert "train_transformer" in where and "gpu_after" in where
    # The larger of before/after, even if a (strange) record has them the other way round.
    watts, where = plan._measured_power_w(_doc([_train("train_cnn", 240.0, 90.0)]), "cuda:0")
    assert watts == pytest.approx(240.0) and "gpu_before" in where
    assert plan._measured_power_w(_doc([]), "cuda:0") is None
    assert plan._measured_power_w(_doc([_train("train_cnn", None, None)]), "cuda:0") is None


class _Pred:
    throughput, unit, source = 400.0, "images/s", "measured"


def test_compare_uses_measured_power_and_says_it_is_an_end_of_kernel_reading(monkeypatch, fake_ids):
    """Wall power = (251.3 W measured + 110 W rest) / 0.9 = 401.444 W; the assumptions say how it was read."""
    monkeypatch.setattr(model, "capability_from_results", lambda doc, device: object())
    monkeypatch.setattr(model, "predict", lambda cap, workload, precision: _Pred())
    rep = run(buy=["card-a"], rent=["test:v100"], hours_per_month=80, months=24, results_doc=RESULTS)
    assert rep.buys[0].power_w == pytest.approx((251.3 + 110) / 0.9)
    basis = " ".join(rep.assumptions["power_basis"])
    assert "NVML reading at the end of a training kernel" in basis and "not an average" in basis
    assert "NVML" in rep.buys[0].power_source
    # A results file without a training kernel's power falls back to TDP, saying why: (250 + 110) / 0.9 = 400 W.
    rep = run(buy=["card-a"], rent=["test:v100"], hours_per_month=80, months=24,
              results_doc=_doc([_train("matmul", 60.0, 280.0)]))
    assert rep.buys[0].power_w == pytest.approx(400.0)
    assert "no NVML power reading of a training kernel" in " ".join(rep.assumptions["power_basis"])


def test_results_of_one_card_are_never_used_for_another(monkeypatch, fake_ids):
    """--buy card-b --results F with F measured on card-a: refused, naming the card measured (before the fix the
    bought card-b was shown at card-a's measured speed, "measured"). With both bought, F is used for card-a only."""
    monkeypatch.setattr(model, "capability_from_results", lambda doc, device: object())
    monkeypatch.setattr(model, "predict", lambda cap, workload, precision: _Pred())   # 400 images/s "measured"
    measured_a = _doc([_train("train_cnn", 58.2, 243.7)], gpu="card-a")
    with pytest.raises(UserError, match=r"measured CARD-A \(cuda:0\), not card-b.*--buy card-a"):
        run(buy=["card-b"], rent=["test:v100"], hours_per_month=80, months=24, results_doc=measured_a)
    rep = run(buy=["card-b", "card-a"], rent=["test:v100"], hours_per_month=80, months=24, results_doc=measured_a)
    by = {o.gpu_id: o for o in rep.buys}
    assert by["card-a"].throughput_source.startswith("measured") and by["card-a"].throughput_per_s == 400.0
    assert by["card-b"].throughput_source == "predicted" and by["card-b"].throughput_per_s == SPEED["card-b"]
    # card-a's power is its measured 243.7 W (+ 110 W rest, / 0.9 PSU); card-b's comes from its TDP, not from F
    assert by["card-a"].power_w == pytest.approx((243.7 + 110) / 0.9)
    assert "NVML" not in by["card-b"].power_source


def test_a_device_the_results_file_never_measured_is_refused_naming_those_it_did():
    """--device cuda:7 on a file of cuda:0 and cpu figures: not "no probe record", which sends a user looking for
    a probe, but the devices that are there, and the GPU to give."""
    doc = _doc([_train("train_cnn", 58.2, 243.7), _train("train_cnn", 10.0, 65.0, device="cpu")])
    with pytest.raises(UserError, match=r"no figure of cuda:7; it measured cuda:0, cpu: give --device cuda:0$"):
        run(buy=["card-a"], rent=["test:v100"], hours_per_month=80, months=24, results_doc=doc, results_device="cuda:7")
    cpu_only = _doc([_train("train_cnn", 10.0, 65.0, device="cpu")])
    with pytest.raises(UserError, match=r"no figure of cuda:0; it measured cpu: drop --results, or give a file measured"):
        run(buy=["card-a"], rent=["test:v100"], hours_per_month=80, months=24, results_doc=cpu_only)


def test_invalid_results_make_the_bought_card_predicted_saying_why(monkeypatch, fake_ids):
    """Every figure of cuda:0 INVALID: the card is costed from the prediction, and a warning says why."""
    monkeypatch.setattr(model, "capability_from_results", lambda doc, device: pytest.fail("must not be used"))
    doc = _doc([_train("train_cnn", 58.2, 243.7, valid=False)], gpu="card-a")
    rep = run(buy=["card-a"], rent=["test:v100"], hours_per_month=80, months=24, results_doc=doc)
    assert rep.buys[0].throughput_source == "predicted" and rep.buys[0].throughput_per_s == SPEED["card-a"]
    assert any("INVALID" in w and "spread 20%" in w and "predicted" in w for w in rep.warnings)
    assert "NVML" not in rep.buys[0].power_source      # nor is the invalid figure's power reading used


H200_RUN = Path(__file__).resolve().parent.parent / "results" / "reference" / "h200-sxm-2026-12-04-cuda.json"


def _h200(workload: str, doc: dict | None = None):
    doc = doc if doc is not None else json.loads(H200_RUN.read_text(encoding="utf-8"))
    return cost.compare(cost.CostRequest(buy=["h200-sxm"], gpu_price_usd=30000, rent=["aws:p5.48xlarge"],
                                         hours_per_month=100, workload=workload, results_doc=doc))


def test_figures_present_but_invalid_are_each_a_note_and_so_is_power_left_to_the_tdp():
    """The H200 reference run measured train_cnn amp at 42,130 samples/s (95% CI 41,414-52,079), INVALID (spread 29%,
    rounds 39% apart): costing train_cnn it is left out (the card is predicted from the file's valid kernels), and a
    note says so with the figure and its reasons, as docs/model.md words it ("present but INVALID (spread ...)").
    Every training figure that read NVML power is INVALID too, so the power is the TDP: (700 x 1 + 145) / 0.9 =
    938.9 W, and a note says why, naming each reading. Before, both happened without a word (notes: [])."""
    view = results.load(H200_RUN)
    amp = next(f for f in view.invalid("train_cnn", device="cuda:0") if f.dtype == "amp")
    assert fmt_num(amp.value) == "42,130" and [r["code"] for r in amp.reasons] == ["spread", "rounds"]
    rep = _h200("train_cnn")
    opt = rep.buys[0]
    assert opt.throughput_source == "predicted from the results file's measured kernels"
    own, gpu = ownership.load_ownership(), catalog.resolve("h200-sxm")
    assert opt.power_w == pytest.approx((gpu.tdp_w * own.gpu_load_fraction + own.rest_of_system_w) / own.psu_efficiency)
    notes = rep.to_doc()["notes"]
    lo, hi = amp.ci
    assert notes[0] == (f"--results: train_cnn amp on cuda:0, measured 42,130 samples/s (95% CI {fmt_num(lo)}-"
                        f"{fmt_num(hi)}), is present but INVALID (spread 29% of the median (IQR over median above 10%); "
                        "its rounds moved 39% apart (slowest vs fastest round, limit 10%)): left out of h200-sxm's "
                        "train_cnn (amp) throughput")
    readings = "; ".join(f"{f.kernel} {f.dtype} {f.power_w()[0]:.0f} W ("
                         + ", ".join(f"{validity.CODES[r['code']]} {r['value']:.0%}" for r in f.reasons) + ")"
                         for f in view.invalid(plan.TRAINING_KERNELS, device="cuda:0"))
    assert readings.startswith("train_cnn float32 350 W (spread 19%, rounds moved 21%); train_cnn amp 396 W")
    assert notes[1] == ("--results: h200-sxm's power is its catalog TDP, 700 W, an upper bound on sustained board "
                        "power, not a measurement: the file reads NVML power of training kernels on cuda:0 only around "
                        f"figures present but INVALID, not used: {readings}")
    assert len(notes) == 2
    assert any("only around figures present but INVALID" in b for b in rep.assumptions["power_basis"])


def test_a_note_names_only_the_figures_the_prediction_reads():
    """ResNet-50 from the same run reads its gemm (float16, bfloat16 for amp) and memcopy, all valid: no figure is
    left out, only the power (TDP) is said. Marked INVALID, the memcopy (4,270 GB/s) is a note of its own; an INVALID
    figure the prediction never reads (h2d, train_cnn for ResNet-50) is none."""
    rep = _h200("resnet50")
    assert [n.split(",")[0] for n in rep.to_doc()["notes"]] == ["--results: h200-sxm's power is its catalog TDP"]
    doc = json.loads(H200_RUN.read_text(encoding="utf-8"))
    memcopy = next(m for m in doc["measurements"] if m["kernel"] == "memcopy" and m["device"] == "cuda:0")
    memcopy["valid"] = False
    memcopy["invalid_reasons"] = [validity.reason("spread", "spread 12% of the median (IQR over median above 10%)",
                                                  0.12, 0.1)]
    notes = _h200("resnet50", doc).to_doc()["notes"]
    assert len(notes) == 2 and notes[0].startswith("--results: memcopy float32 on cuda:0, measured 4,270 GB/s (95% CI ")
    assert notes[0].endswith(", is present but INVALID (spread 12% of the median (IQR over median above 10%)): left "
                             "out of h200-sxm's resnet50 (amp) throughput")


def test_a_results_file_without_a_training_power_reading_says_so_in_a_note(monkeypatch, fake_ids):
    """A results file of card-a with no training kernel: (250 + 110) / 0.9 = 400 W from the TDP, and a note saying
    the file has no NVML reading of one."""
    monkeypatch.setattr(model, "capability_from_results", lambda doc, device: object())
    monkeypatch.setattr(model, "predict", lambda cap, workload, precision: _Pred())
    rep = run(buy=["card-a"], rent=["test:v100"], hours_per_month=80, months=24,
              results_doc=_doc([_train("matmul", 60.0, 280.0)]))
    assert rep.buys[0].power_w == pytest.approx(400.0)
    assert rep.notes() == ["--results: card-a's power is its catalog TDP, 250 W, an upper bound on sustained board "
                           "power, not a measurement: the file has no NVML power reading of a training kernel, "
                           "train_cnn or train_transformer, on cuda:0"]


MAIN_FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _results_source(workload: str, buy: str, results: str):
    """The bought card's option with --results FILE, and what rigbench compare says of the same figure."""
    doc = json.loads((MAIN_FIXTURES / results).read_text(encoding="utf-8"))
    rep = cost.compare(cost.CostRequest(buy=[buy], rent=["aws:p3.2xlarge"], hours_per_month=80, workload=workload,
                                        gpu_price_usd=30000, results_doc=doc))
    row = build_comparison([str(MAIN_FIXTURES / results)], [workload], ["amp"])["workloads"][0]
    label = next(k for k in row["source"] if "@" in k)
    return rep, rep.buys[0], row["throughput"][label], row["source"][label]


def test_results_label_is_the_models_as_in_compare():
    """bench-cuda.json (an H200) has no resnet50 run: its measured gemm moves the prediction (2,953 against the
    catalog's 2,896 images/s), which compare shows as 'predicted', and so does cost. Its train_cnn amp run is
    'measured' in both."""
    rep, opt, thr, src = _results_source("resnet50", "h200-sxm", "gpu_check/bench-cuda.json")
    assert src == opt.throughput_kind == "predicted" and opt.throughput_per_s == pytest.approx(thr)
    assert opt.throughput_source == "predicted from the results file's measured kernels"
    assert opt.throughput_per_s != pytest.approx(plan._predict_throughput(catalog.resolve("h200-sxm"), "resnet50",
                                                                          "amp")[0])
    assert rep.to_doc()["options"][0]["throughput_kind"] == "predicted"
    rep, opt, thr, src = _results_source("train_cnn", "h200-sxm", "gpu_check/bench-cuda.json")
    assert src == opt.throughput_kind == "measured" and opt.throughput_per_s == pytest.approx(thr)
    assert opt.throughput_source == "measured (results file)"


def test_results_that_change_nothing_say_so():
    """results_cool_fed.json measured only gemm on an RTX 2080 Ti, which the model records but does not apply
    (no published typical gemm fraction for Turing amp): the card stays predicted from the catalog, and a warning
    says --results changed nothing."""
    doc = json.loads((MAIN_FIXTURES / "guidelines/results_cool_fed.json").read_text(encoding="utf-8"))
    rep = cost.compare(cost.CostRequest(buy=["rtx-2080-ti"], rent=["aws:p3.2xlarge"], hours_per_month=80,
                                        results_doc=doc))
    opt = rep.buys[0]
    catalog_t, _ = plan._predict_throughput(catalog.resolve("rtx-2080-ti"), "resnet50", "amp")
    assert opt.throughput_per_s == catalog_t
    assert (opt.throughput_kind, opt.throughput_source) == ("predicted", "predicted")
    said = [w for w in rep.warnings if w.startswith("--results changes nothing for rtx-2080-ti")]
    assert len(said) == 1 and "no published typical gemm fraction for turing amp" in said[0]
    assert said[0].endswith("it stays predicted from the catalog")


# ---------------------------------------------------------------------------------------------- ties


def test_a_tie_is_judged_by_the_band_of_the_two_speeds_ratio_as_compare_judges_it():
    """RTX 3090 (Ampere) against RTX 4090 (Ada), ResNet-50, 120 h/month: the 4090 costs 16.7 USD less over 24 months
    (1,025.7 against 1,042.5). Their hours are the same work over their speeds, so what the model can move is the
    ratio of those speeds: its band is model.ratio_uncertainty, the MAE of the 5 published Ada x Ampere pairs,
    3.2%, which moves the hour-priced costs (218.3 + 261.0 USD of electricity) by up to 15.2 USD: not a tie. The
    larger of the two cards' own bands (6.4%, each measured against other partners) moved them by 30.8 USD and
    called it one."""
    # one resale fraction for both (the curve's after 24 months): by their ages they get back different shares,
    # which is not what this is about
    resale = ownership.load_ownership().resale_at(24)
    rep = cost.compare(cost.CostRequest(buy=["rtx-3090", "rtx-4090"], hours_per_month=120, resale=resale))
    a, b = rep.buys
    band = model.ratio_uncertainty(catalog.resolve("rtx-3090"), catalog.resolve("rtx-4090"), "resnet50")
    assert rep.speed_band(a, b) == band and band["pairs"] == 5
    assert band["fraction"] == pytest.approx(0.03176, abs=1e-5)
    rec = rep.recommendation()
    assert rec.startswith("buy rtx-4090: 16.7 USD cheaper than buying rtx-3090") and "a tie" not in rec
    rec = cost.compare(cost.CostRequest(buy=["rtx-3090", "rtx-4090"], hours_per_month=100,
                                        resale=resale)).recommendation()
    # a tie leads the sentence, before its figures
    assert rec.startswith("A tie between buying rtx-4090 and buying rtx-3090: rtx-4090 is 9.60 USD cheaper over 24 "
                          "months at 100 h/month on rtx-3090, inside the +-3% error of the predicted speed ratio, which "
                          "moves the hour-priced costs by up to 12.7 USD; driven by ")


RESALE_24 = 0.7395249931790762     # exp(-0.0125728 x 24): the fitted curve after 24 months, whatever the date


def _bought_2080ti_against_p3() -> dict:
    """The hand-worked terms of an RTX 2080 Ti bought at its launch price (resale fixed at RESALE_24) against
    aws:p3.2xlarge (one V100), ResNet-50 amp, 24 months, each read from the model, the price lists and the
    ownership defaults: t_b, t_r the two predicted throughputs; F = (card + rest of machine) x (1 - resale);
    e = (TDP x load + rest of system) / PSU x USD/kWh; r = the instance's USD/h x t_b / t_r (one bought-card hour of
    work on the instance); u the band of the two speeds' ratio (model.ratio_uncertainty)."""
    gpu, v100 = catalog.resolve("rtx-2080-ti"), catalog.resolve("tesla-v100-sxm2-16gb")
    t_b = plan._predict_throughput(gpu, "resnet50", "amp")[0]
    t_r = plan._predict_throughput(v100, "resnet50", "amp")[0]
    own = ownership.load_ownership()
    purchase = cards.card_price("rtx-2080-ti", "launch").usd + own.rest_of_machine_usd
    e = ((gpu.tdp_w * own.gpu_load_fraction + own.rest_of_system_w) / own.psu_efficiency / 1000
         * own.electricity_usd_per_kwh)
    usd_h = cloud.resolve_instance("aws:p3.2xlarge").on_demand_usd_per_hour
    return {"t_b": t_b, "t_r": t_r, "F": purchase * (1 - RESALE_24), "e": e, "R": usd_h, "r": usd_h * t_b / t_r,
            "u": model.ratio_uncertainty(gpu, v100, "resnet50")["fraction"]}


def test_a_tie_leads_the_recommendation_and_the_document_carries_its_band():
    """RTX 2080 Ti against aws:p3.2xlarge at 14 h/month (on the card) over 24 months, by the terms of
    _bought_2080ti_against_p3 (today: t_b 554, t_r 833 images/s; F = 2,500 x 0.2605 = 651.2 USD; e = 0.0723 USD/h;
    r = 3.06 x 554/833 = 2.037 USD; u = 6.7%):
    owning F + e x 14 x 24 = 675.5 USD, renting r x 14 x 24 = 684.3 USD: buying is 8.85 USD cheaper, and the band
    moves the hour-priced costs by up to u x (e + r) x 14 x 24 = 47.3 USD: a tie, which the sentence leads with.
    Break-even F / (24 (r - e)) = 13.8 h/month; at the band's ends the instance's hours are the predicted ones / (1
    -+ u): F / (24 (r / (1 - u) - e)) = 12.9 and F / (24 (r / (1 + u) - e)) = 14.8 h/month. At 40 h/month buying
    wins by 1,235 USD against a band of 135 USD: not a tie, and the sentence starts with the verdict as before."""
    k = _bought_2080ti_against_p3()
    F, e, r, u = k["F"], k["e"], k["r"], k["u"]
    rep = cost.compare(cost.CostRequest(buy=["rtx-2080-ti"], rent=["aws:p3.2xlarge"], hours_per_month=14,
                                        resale=RESALE_24))
    buy, rent = rep.buys[0], rep.rents[0]
    assert (buy.throughput_per_s, rent.throughput_per_s) == (k["t_b"], k["t_r"])
    diff = r * 14 * 24 - (F + e * 14 * 24)
    movable = u * (e + r) * 14 * 24
    assert rent.total_usd - buy.total_usd == pytest.approx(diff) and 0 < diff <= movable
    be, low, high = F / (24 * (r - e)), F / (24 * (r / (1 - u) - e)), F / (24 * (r / (1 + u) - e))
    assert rep.break_even(buy, rent) == pytest.approx(be)
    rec = rep.recommendation()
    assert rec.startswith(
        f"A tie between buying rtx-2080-ti and renting aws:p3.2xlarge: buying is {fmt_num(diff)} USD cheaper over 24 "
        f"months at 14.0 h/month on rtx-2080-ti, inside the +-{u:.0%} error of the predicted speed ratio, which moves "
        f"the hour-priced costs by up to {fmt_num(movable)} USD; buying wins above {fmt_num(be)} h/month "
        f"({fmt_num(low)} to {fmt_num(high)} within that error); driven by ")
    doc = rep.to_doc()
    band = doc["verdict_band"]
    assert band["between"] == ["rtx-2080-ti", "aws:p3.2xlarge"] and band["tie"] is True
    assert band["fraction"] == pytest.approx(u) and band["movable_usd"] == pytest.approx(movable)
    assert band["difference_usd"] == pytest.approx(diff)
    assert band["difference_usd_range"] == pytest.approx([diff - movable, diff + movable])
    assert band["basis"].startswith("validation MAE of the ")
    assert (doc["break_even_range"]["low_hours_per_month"], doc["break_even_range"]["high_hours_per_month"]) == \
        pytest.approx((low, high))
    assert doc["break_even_range"]["fraction"] == pytest.approx(u)
    assert doc["options"][1]["break_even_range"] == doc["break_even_range"]

    far = cost.compare(cost.CostRequest(buy=["rtx-2080-ti"], rent=["aws:p3.2xlarge"], hours_per_month=40,
                                        resale=RESALE_24))
    diff = r * 40 * 24 - (F + e * 40 * 24)
    assert diff > u * (e + r) * 40 * 24
    assert far.recommendation().startswith(
        f"buy rtx-2080-ti: {fmt_num(diff)} USD cheaper than renting aws:p3.2xlarge over 24 months at 40.0 h/month on "
        f"rtx-2080-ti; buying wins above {fmt_num(be)} h/month ({fmt_num(low)} to {fmt_num(high)} within the "
        f"+-{u:.0%} error of the predicted speed ratio); driven by ")
    assert far.to_doc()["verdict_band"]["tie"] is False


def test_the_break_even_range_on_the_rented_instance_moves_the_bought_cards_hours():
    """--reference aws:p3.2xlarge: the hours are the instance's, and the bought card's relative to them move by
    (1 -+ u): its electricity per instance-hour of work is e x t_r / t_b, so the break-even is
    F / (24 (R - e t_r / t_b)) with the ends F / (24 (R - e t_r / t_b (1 -+ u)))."""
    k = _bought_2080ti_against_p3()
    F, R, u = k["F"], k["R"], k["u"]
    e = k["e"] * k["t_r"] / k["t_b"]
    rep = cost.compare(cost.CostRequest(buy=["rtx-2080-ti"], rent=["aws:p3.2xlarge"], hours_per_month=10,
                                        reference="aws:p3.2xlarge", resale=RESALE_24))
    buy, rent = rep.buys[0], rep.rents[0]
    assert rep.break_even(buy, rent) == pytest.approx(F / (24 * (R - e)))
    band = rep.break_even_range(buy, rent)
    assert (band["low_hours_per_month"], band["high_hours_per_month"]) == pytest.approx(
        (F / (24 * (R - e * (1 - u))), F / (24 * (R - e * (1 + u)))))
    # no band where both speeds are one prediction (the same card bought and rented)
    same = cost.compare(cost.CostRequest(buy=["tesla-v100-sxm2-16gb"], rent=["aws:p3.2xlarge"], gpu_price_usd=2000,
                                         hours_per_month=13))
    assert same.break_even_range(same.buys[0], same.rents[0]) is None
    doc = same.to_doc()
    assert doc["break_even_range"] is None and doc["verdict_band"]["fraction"] is None
    assert doc["verdict_band"]["tie"] is False and doc["verdict_band"]["difference_usd_range"] is None


def test_the_same_card_bought_and_rented_has_no_tie_band():
    """A Tesla V100 bought against aws:p3.2xlarge, one V100: both speeds are the one prediction of the same card, so
    their ratio is exactly 1 and no model error enters it. At 13 h/month buying is 17.4 USD cheaper over 24 months;
    the +-5% band of the V100's own prediction called that a tie, though nothing the model can get wrong moves it."""
    rep = cost.compare(cost.CostRequest(buy=["tesla-v100-sxm2-16gb"], rent=["aws:p3.2xlarge"], gpu_price_usd=2000,
                                        hours_per_month=13))
    buy, rent = rep.buys[0], rep.rents[0]
    assert buy.throughput_per_s == rent.throughput_per_s
    assert rep.speed_band(buy, rent) is None and rep.speed_band(rent, buy) is None
    rec = rep.recommendation()
    assert rec.startswith("buy tesla-v100-sxm2-16gb: 17.4 USD cheaper than renting aws:p3.2xlarge") and "a tie" not in rec


@pytest.mark.parametrize("instance, count", [("aws:p3.2xlarge", 1), ("aws:p3.8xlarge", 4)])
def test_cost_and_compare_give_one_pair_the_same_band(instance, count):
    """RTX 3090 bought against V100 instances: rigbench cost's band on the two speeds is the band rigbench compare
    gives the ratio of the same two devices, one rule (model.pair_uncertainty). With four V100s the scaling past the
    published all-reduce runs is unvalidated, so compare widens the V100's band and combines the two in quadrature
    (19.7%); cost once gave the single cards' ratio band there."""
    rep = cost.compare(cost.CostRequest(buy=["rtx-3090"], rent=[instance], hours_per_month=50))
    band = rep.speed_band(rep.buys[0], rep.rents[0])
    other = "tesla-v100-sxm2-16gb" if count == 1 else f"{count}x tesla-v100-sxm2-16gb"
    row = build_comparison(["rtx-3090", other], ["resnet50"], ["amp"])["workloads"][0]
    label = other.replace(" ", "-")
    assert band["fraction"] == pytest.approx(row["ratio_band"][label])
    assert row["unvalidated"][label] is (count > 1)
    if count > 1:
        single = model.uncertainty(catalog.resolve("tesla-v100-sxm2-16gb"), "resnet50")["fraction"]
        own = model.uncertainty(catalog.resolve("rtx-3090"), "resnet50")["fraction"]
        assert band["fraction"] == pytest.approx(math.hypot(own, model.EXTRAPOLATION * single))


# ---------------------------------------------------------------------------------------------- more hours than a month


def test_bought_card_needing_more_than_a_month_is_infeasible():
    """500 h/month on test:v100 (800 img/s) = 1,000 h/month on card-a (400 img/s): 1000 / 730.5 = 1.37 months of
    hours, 2 cards. Before the fix it was recommended (total 1,250 + 0.06 x 1000 x 24 = 2,690 USD < 36,000)."""
    assert arithmetic.HOURS_PER_MONTH == pytest.approx(730.5)
    rep = run(buy=["card-a"], rent=["test:v100"], hours_per_month=500, months=24, reference="test:v100")
    buy, rent = rep.buys[0], rep.rents[0]
    assert buy.hours_per_month == pytest.approx(1000) and buy.total_usd == pytest.approx(2690)
    assert not buy.feasible and buy.machines_needed == 2
    assert rent.feasible and rent.total_usd == pytest.approx(3.00 * 500 * 24)
    assert rep.recommendation().startswith("rent test:v100")
    doc = rep.to_doc()
    assert doc["break_even_hours_per_month"] is None and doc["break_even_between"] is None
    opts = {o["name"]: o for o in doc["options"]}
    assert opts["card-a"]["feasible"] is False and opts["test:v100"]["break_even_hours_per_month"] is None
    assert doc["options"][-1]["name"] == "card-a"          # shown, after the feasible ones
    # 1,000 / 730.5 = 1.37 months of one card's hours: at least 2 cards even at perfect scaling, which one machine
    # holds (--buy-count takes up to plan.max_buy_count(), the largest NVLink board): the note offers that
    assert plan.max_buy_count() == 8
    assert doc["notes"] == ["card-a would need 1,000 h/month, 1.37x the 730.5 h in a month: one card cannot do it; "
                            "even at perfect scaling it takes 2 cards, which one machine holds: try --buy-count 2 or "
                            "more (up to 8); left out of the recommendation and break-even"]


def test_a_machine_past_the_buy_count_cap_is_said_to_be_past_one_machine():
    """card-a x4 (4 x 400 x 0.9 = 1,440 img/s) doing 2,000 h/month of test:v100 work (800 img/s): 2,000 x 800 /
    1,440 = 1,111 h/month, 1.52x a month: 4 cards cannot, and even at perfect scaling 1.52 x 4 = 6.08, so 7 cards:
    one machine holds them. card-a alone at 5,000 h/month of test:v100 work needs 10,000 h/month, 13.7x: 14 cards
    even at perfect scaling, more than the 8 --buy-count takes: the note says it is past one machine, not '14 cards
    running all month', which the tool cannot cost."""
    cap = plan.max_buy_count()
    rep = run(buy=["card-a"], buy_count=4, rent=["test:v100"], hours_per_month=2000, months=24, reference="test:v100")
    assert rep.buys[0].hours_per_month == pytest.approx(2000 * 800 / 1440)
    assert rep.notes()[0] == (f"card-a x4 would need 1,111 h/month, 1.52x the 730.5 h in a month: 4 cards cannot do "
                              f"it; even at perfect scaling it takes 7 cards, which one machine holds: try --buy-count "
                              f"7 or more (up to {cap}); left out of the recommendation and break-even")
    rep = run(buy=["card-a"], rent=["test:v100"], hours_per_month=5000, months=24, reference="test:v100")
    note = rep.notes()[0]
    assert note == (f"card-a would need 10,000 h/month, 13.7x the 730.5 h in a month: even at perfect scaling it takes "
                    f"14 cards, more than the {cap} one machine holds (--buy-count takes 1 to {cap}): no machine "
                    f"rigbench cost sizes can do it; give less work a month, or rent; left out of the recommendation "
                    f"and break-even")
    assert next(o for o in rep.to_doc()["options"] if o["name"] == "card-a")["infeasible_note"] == note


def test_rented_instance_needing_more_than_a_month_is_infeasible():
    """800 h/month on test:v100 itself: 800 / 730.5 = 1.10, 2 instances; card-a (1,600 h) also infeasible."""
    rep = run(buy=["card-a"], rent=["test:v100"], hours_per_month=800, months=24, reference="test:v100")
    assert not rep.rents[0].feasible and rep.rents[0].machines_needed == 2
    assert rep.rents[0].infeasible_note().endswith("left out of the recommendation and break-even")
    assert "2 instances" in rep.rents[0].infeasible_note()
    assert rep.recommendation().startswith("none of the options")
    # Exactly a month's hours is still feasible.
    rep = run(rent=["test:v100"], hours_per_month=arithmetic.HOURS_PER_MONTH, months=1, reference="test:v100")
    assert rep.rents[0].feasible


# ---------------------------------------------------------------------------------------------- non-finite input


@pytest.mark.parametrize("kw, flag", [
    (dict(hours_per_month=math.nan), "--hours-per-month"),
    (dict(hours_per_month=math.inf), "--hours-per-month"),
    (dict(hours_per_month=10, months=math.nan), "--months"),
    (dict(hours_per_month=10, months=math.inf), "--months"),
    (dict(hours_per_month=10, electricity_usd_per_kwh=math.nan), "--electricity"),
    (dict(hours_per_month=10, power_w=math.inf), "--power-w"),
    (dict(hours_per_month=10, gpu_price_usd=-5.0), "--gpu-price"),
    (dict(epochs=math.nan, dataset_size=1000), "--epochs"),
    (dict(epochs=90, dataset_size=math.inf), "--dataset-size"),
    (dict(hours_per_month=10, resale=math.nan), "--resale"),
])
def test_non_finite_or_negative_numbers_are_user_errors(kw, flag):
    with pytest.raises(UserError, match=flag):
        run(buy=["card-a"], rent=["test:v100"], **kw)


def test_fmt_num_and_parse_usd_handle_non_finite_values():
    assert fmt_num(math.nan) == "nan" and fmt_num(math.inf) == "inf" and fmt_num(-math.inf) == "-inf"
    assert fmt_num(1234.5) == "1,234" and fmt_num(0.0723, 3) == "0.0723"
    for text in ("nan", "inf", "-inf"):
        with pytest.raises(UserError, match="finite"):
            parse_usd(text)


# ---------------------------------------------------------------------------------------------- bought multi-GPU machines


def test_bought_multi_gpu_machine_uses_rigbench_scaling_like_instances():
    """2 x RTX 2080 Ti at 400 img/s each: rigbench.scaling.predict_data_parallel (the same function, the same card
    as a rented instance) gives the throughput, not the flat 2 x 400 x 0.9 = 720."""
    gpu = catalog.resolve("rtx-2080-ti")
    want = scaling.predict_data_parallel(gpu, 2, "resnet50", "amp", single_throughput=400.0)["throughput"]
    assert want and want != pytest.approx(720)
    req = cost.CostRequest(buy=["rtx-2080-ti"], buy_count=2, hours_per_month=10, months=24,
                           prices_path=str(FIXTURES / "tiny_prices.csv"), today=dt.date(2024, 2, 1))
    rep = cost.compare(req, resolve_gpu=catalog.resolve, predict=lambda g, w, p: (400.0, "images"),
                       ownership=own_fixture(), use_scaling=True)
    assert rep.buys[0].throughput_per_s == pytest.approx(want)
    assert "rigbench.scaling" in rep.buys[0].throughput_source
    # Without rigbench.scaling, the documented fallback: 2 x 400 x 0.9 = 720, saying it is the fallback.
    rep = cost.compare(req, resolve_gpu=catalog.resolve, predict=lambda g, w, p: (400.0, "images"),
                       ownership=own_fixture(), use_scaling=False)
    assert rep.buys[0].throughput_per_s == pytest.approx(720)
    assert "fallback" in rep.buys[0].throughput_source



@pytest.mark.parametrize("count", [0, 9, 10 ** 6])
def test_the_library_holds_buy_count_to_one_machine_as_the_cli_does(count):
    """The command line range-checks --buy-count; a caller of the library met no maximum and priced a million cards."""
    assert cost.plan.max_buy_count() == 8      # profiles/interconnects.toml: the largest NVLink board (HGX, 8 cards)
    req = cost.CostRequest(buy=["rtx-2080-ti"], buy_count=count, hours_per_month=10, months=24,
                           prices_path=str(FIXTURES / "tiny_prices.csv"), today=dt.date(2024, 2, 1))
    with pytest.raises(UserError, match=f"--buy-count is {count}; one machine holds 1 to 8 cards"):
        cost.compare(req, resolve_gpu=catalog.resolve, predict=lambda g, w, p: (400.0, "images"),
                     ownership=own_fixture())


# ---------------------------------------------------------------------------------------------- plot paths


def test_plot_refuses_unsupported_suffix_and_unwritable_paths(tmp_path):
    rep = run(buy=["card-a"], rent=["test:v100"], hours_per_month=80, months=24)
    with pytest.raises(UserError, match=r"unsupported file type \.txt.*\.png"):
        plot_cumulative(rep, tmp_path / "x.txt")
    with pytest.raises(UserError, match="no file type"):
        plot_cumulative(rep, tmp_path / "plot")
    with pytest.raises(UserError, match="does not exist"):
        plot_cumulative(rep, tmp_path / "missing" / "x.png")
    (tmp_path / "d.png").mkdir()
    with pytest.raises(UserError, match="folder"):
        plot_cumulative(rep, tmp_path / "d.png")
    out = plot_cumulative(rep, tmp_path / "ok.svg")
    assert out.read_text().lstrip().startswith("<?xml")


def test_plot_marks_the_options_that_cannot_run_within_a_month():
    """100,000 h/month on card-a (400 img/s) is 136.9x the 730.5 h of a month; test:v100 (800 img/s) needs half,
    50,000 h, 68.4x: neither is a cost anyone can pay, so each is drawn dotted grey and says so in the legend, and
    the title counts them. The description writes the hours with separators, as the rest of the screen does."""
    rep = run(buy=["card-a"], rent=["test:v100"], hours_per_month=100_000, months=24)
    lines = plot_lines(rep)
    assert [(ln["label"], ln["style"], ln["color"]) for ln in lines] == [
        (f"card-a ({fmt_num(rep.buys[0].total_usd)} USD) (cannot run within a month)", ":", "grey"),
        (f"test:v100 ({fmt_num(rep.rents[0].total_usd)} USD) (cannot run within a month)", ":", "grey")]
    title = plot_title(rep)
    assert title.startswith("100,000 h/month of resnet50 (amp) on card-a\n")
    assert title.endswith("\n2 option(s) cannot run within a month on one machine (dotted grey): left out of the "
                          "recommendation")
    feasible = run(buy=["card-a"], rent=["test:v100"], hours_per_month=80, months=24)
    assert [(ln["style"], ln["color"]) for ln in plot_lines(feasible)] == [("-", None), ("--", None)]
    assert "cannot run" not in plot_title(feasible)


def test_the_plot_title_counts_the_lines_it_draws():
    """Both rented options cannot run 100,000 h/month within a month, but with max_lines=1 only the cheaper is drawn:
    the title counts that one dotted grey line, not the option the chart leaves out."""
    rep = run(rent=["test:v100", "test:t4x4"], hours_per_month=100_000, months=24)
    assert not any(o.feasible for o in rep.options) and len(rep.options) == 2
    assert len(plot_lines(rep, max_lines=1)) == 1
    assert plot_title(rep, max_lines=1).endswith("\n1 option(s) cannot run within a month on one machine (dotted "
                                                 "grey): left out of the recommendation")
    assert "\n2 option(s) cannot run" in plot_title(rep)


def test_a_huge_job_prints_its_figures_with_separators():
    """1e7 epochs x 1e6 images a month on card-a (400 img/s): 1e13 / 400 / 3,600 = 6,944,444 h/month, 9,506x the
    730.5 h of a month (three significant digits, as fmt_num writes), 9,507 cards; never '1e+07' or '9506.4x'."""
    rep = run(buy=["card-a"], epochs=1e7, dataset_size=1e6, months=24)
    assert rep.work.description == "1 x (10,000,000 epochs x 1,000,000 images) of resnet50 per month"
    assert rep.notes() == ["card-a would need 6,944,444 h/month, 9,506x the 730.5 h in a month: even at perfect "
                           "scaling it takes 9,507 cards, more than the 8 one machine holds (--buy-count takes 1 to 8): "
                           "no machine rigbench cost sizes can do it; give less work a month, or rent; left out of the "
                           "recommendation and break-even"]
    assert run(buy=["card-a"], epochs=2.5, dataset_size=1e6, months=24).work.description.startswith(
        "1 x (2.50 epochs x 1,000,000 images)")


# ---------------------------------------------------------------------------------------------- the table caption


def test_caption_names_the_bought_card_break_even_is_against():
    """With two bought cards the break-even column is against the cheapest one (card-a: 1,365 USD vs card-b), and
    the caption says so."""
    rep = run(buy=["card-b", "card-a"], rent=["test:v100"], hours_per_month=80, months=24)
    doc = rep.to_doc()
    assert rep.cheapest("buy").name == "card-a"
    assert doc["break_even_rent_options_against"] == "card-a"
    assert "above which buying card-a (the cheapest bought card) beats that instance" in _caption(doc)
    one = run(buy=["card-a"], rent=["test:v100"], hours_per_month=80, months=24).to_doc()
    assert "above which buying card-a beats that instance" in _caption(one)


def test_price_kind_without_a_listed_price_says_what_is_known():
    with pytest.raises(UserError, match="no used price for card-a"):
        run(buy=["card-a"], rent=["test:v100"], hours_per_month=10, price_kind="used")
    with pytest.raises(UserError, match="--price-kind is 'mint'"):
        run(buy=["card-a"], rent=["test:v100"], hours_per_month=10, price_kind="mint")


def test_rent_provider_selector_on_a_small_list():
    rep = run(buy=["card-a"], rent=["test"], hours_per_month=10)
    assert sorted(o.name for o in rep.rents) == ["test:t4x4", "test:v100"]
    t4x4 = next(o for o in rep.rents if o.name == "test:t4x4")
    # use_scaling=False: 4 x 200 x 0.9 = 720 images/s, efficiency 0.9 shown with the option.
    assert t4x4.throughput_per_s == pytest.approx(720) and t4x4.extra["scaling_efficiency"] == pytest.approx(0.9)
    assert any("multi-GPU" in w for w in rep.warnings)


def test_spot_with_a_selector_drops_instances_without_spot():
    rep = run(buy=["card-a"], rent=["test"], hours_per_month=10, spot=True)
    assert [o.name for o in rep.rents] == ["test:v100"]
    assert any("--spot: 1 instance(s)" in w for w in rep.warnings)


def test_spot_leaving_none_of_the_instances_asked_for_is_refused_even_with_a_card_bought():
    """--rent test:t4x4 by gpu= has no spot price: with nothing left to rent, "buy card-a" would answer a question
    nobody asked (buy against no rented option), so it is refused like a named instance without one."""
    with pytest.raises(UserError, match=r"--spot: none of the 1 gpu=T4 instances has a spot price in the price list "
                                        r"\(.*tiny_prices.csv, dated 2024-02-01\)"):
        run(buy=["card-a"], rent=["gpu=T4"], hours_per_month=10, spot=True)


def test_storage_and_egress_per_month_hand_worked():
    """AWS: 500 GB x 0.08 + (200 - 100 free) GB x 0.09 = 40 + 9 = 49 USD/month; GCP: 500 x 0.10 + 200 x 0.12 = 74;
    Lambda has no cited storage price (None, with the reason) and charges no egress."""
    facts = extras.load_extras()
    assert extras.monthly_usd(facts["aws"], 500, 200)[0] == pytest.approx(49.0)
    assert extras.monthly_usd(facts["gcp"], 500, 200)[0] == pytest.approx(74.0)
    usd, why = extras.monthly_usd(facts["lambda"], 500, 0)
    assert usd is None and "no cited storage price" in why
    assert extras.monthly_usd(facts["lambda"], 0, 5000)[0] == 0.0
    assert extras.monthly_usd(facts["lambda"], 10, 0, storage_price_override=0.2)[0] == pytest.approx(2.0)
    assert all(f.billing and f.billing_source for f in facts.values())


def test_storage_moves_total_and_break_even(tmp_path):
    """The hand-worked case above, renting on AWS with 100 GB of storage: 100 x 0.08 = 8 USD/month.

    rent total = 2,880 + 8 x 24 = 3,072 USD. Break-even: owning's fixed 1,250 less renting's 8 x 24 = 192 of monthly
    charges: H = (1250 - 192) / (24 x (1.50 - 0.06)) = 1058 / 34.56 = 30.6134 h/month (36.169 without storage).
    """
    text = (FIXTURES / "tiny_prices.csv").read_text().replace("test,v100", "aws,v100")
    path = tmp_path / "aws_prices.csv"
    path.write_text(text)
    req = cost.CostRequest(prices_path=str(path), today=dt.date(2024, 2, 1), buy=["card-a"], rent=["aws:v100"],
                           hours_per_month=80, storage_gb=100)
    rep = cost.compare(req, resolve_gpu=fake_resolve, predict=fake_predict, ownership=own_fixture(), use_scaling=False)
    rent = rep.rents[0]
    assert rent.monthly_usd == pytest.approx(8.0) and rent.total_usd == pytest.approx(3072.0)
    assert rep.break_even(rep.buys[0], rent) == pytest.approx(1058 / 34.56)
    assert rep.to_doc()["assumptions"]["extras_per_month"]["aws"]["usd"] == pytest.approx(8.0)
    assert rep.to_doc()["assumptions"]["extras_sources"] == "profiles/cloud_extras.toml"


def test_break_even_at_any_usage_says_why_from_the_arithmetic(tmp_path):
    """--resale 1: the 2,500 USD purchase all comes back, owning's fixed cost is 0 and the break-even 0 h/month: the
    reason is the free purchase, not monthly charges (there are none). With 100,000 GB of AWS storage (8,000 USD a
    month, 192,000 over 24 months) against 1,250 USD of purchase less resale, the reason is the storage."""
    rep = run(buy=["card-a"], rent=["test:v100"], hours_per_month=80, months=24, resale=1.0)
    assert rep.break_even(rep.buys[0], rep.rents[0]) == 0
    doc = rep.to_doc()
    assert doc["break_even_reason"] == ("the purchase, 2,500 USD, all comes back as resale (2,500 USD): owning costs "
                                        "only its electricity, less per hour than renting")
    text = (FIXTURES / "tiny_prices.csv").read_text().replace("test,v100", "aws,v100")
    (tmp_path / "aws.csv").write_text(text)
    req = cost.CostRequest(prices_path=str(tmp_path / "aws.csv"), today=dt.date(2024, 2, 1), buy=["card-a"],
                           rent=["aws:v100"], hours_per_month=80, storage_gb=100_000)
    rep = cost.compare(req, resolve_gpu=fake_resolve, predict=fake_predict, ownership=own_fixture(), use_scaling=False)
    assert rep.to_doc()["break_even_reason"] == ("the rented option's storage and egress, 192,000 USD over 24 months, "
                                                 "alone cost more than owning's purchase less resale, 1,250 USD")
    # electricity dearer per hour than renting: never
    rep = run(buy=["card-a"], rent=["test:v100"], hours_per_month=80, months=24, electricity_usd_per_kwh=10)
    assert rep.to_doc()["break_even_reason"] == "renting costs less per hour than the electricity"
    assert run(buy=["card-a"], rent=["test:v100"], hours_per_month=80).to_doc()["break_even_reason"] is None


def test_storage_without_a_cited_price_is_refused_for_a_named_instance():
    with pytest.raises(UserError, match="test: no storage or egress prices in profiles/cloud_extras.toml"):
        run(buy=["card-a"], rent=["test:v100"], hours_per_month=10, storage_gb=50)
