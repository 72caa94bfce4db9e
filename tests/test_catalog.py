"""The GPU catalog: internally consistent, every guideline card present, names resolve, unknown names are exit 2."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from conftest import assert_user_error, run_cli
from rigbench import catalog
from rigbench.errors import UserError

CARDS = catalog.load_catalog()
BY_ID = {g.id: g for g in CARDS}

# The cards the 2019 hardware guide names (desktop: RTX 2070 / 2080 Ti, cheaper GTX 1070 / 1070 Ti / 1080 /
# 1080 Ti; the custom-rig story: a Tesla V100).
GUIDELINE_CARDS = ["gtx-1070", "gtx-1070-ti", "gtx-1080", "gtx-1080-ti", "rtx-2070", "rtx-2080-ti",
                   "tesla-v100-pcie-16gb", "tesla-v100-sxm2-16gb"]


def test_catalog_has_at_least_70_cards_from_kepler_to_blackwell():
    assert len(CARDS) >= 70
    assert {g.architecture for g in CARDS} == set(catalog.ARCHITECTURES)


@pytest.mark.parametrize("card_id", GUIDELINE_CARDS + ["rtx-3090", "rtx-4090", "rtx-5090", "tesla-t4", "a10g", "l4",
                                                       "l40s", "a100-sxm4-40gb", "a100-sxm4-80gb", "h100-sxm",
                                                       "h100-pcie", "h200-sxm", "b200"])
def test_card_people_buy_or_rent_is_in_the_catalog(card_id):
    assert card_id in BY_ID


# Cards a buyer names (workstation, older, data-centre and laptop parts): each must resolve, each row has a source.
BUYER_NAMES = {
    "Quadro RTX 8000": "quadro-rtx-8000", "Quadro RTX 6000": "quadro-rtx-6000", "Quadro RTX 5000": "quadro-rtx-5000",
    "RTX A5000": "rtx-a5000", "RTX A4500": "rtx-a4500", "RTX A5500": "rtx-a5500", "RTX A4000": "rtx-a4000",
    "RTX 2060": "rtx-2060", "RTX 2070 SUPER": "rtx-2070-super", "RTX 2080 SUPER": "rtx-2080-super",
    "GTX 1660 Ti": "gtx-1660-ti", "GTX 1660": "gtx-1660", "GTX 1060": "gtx-1060", "TITAN X (Pascal)": "titan-x-pascal",
    "TITAN Xp": "titan-xp", "Tesla K80": "tesla-k80", "k80": "tesla-k80", "Tesla P100": "tesla-p100-pcie-16gb",
    "Tesla P40": "tesla-p40", "Tesla P4": "tesla-p4", "Tesla V100-SXM3-32GB": "tesla-v100-sxm3-32gb",
    "GH200": "gh200", "L40S": "l40s", "GTX 1060 Max-Q": "gtx-1060-max-q", "GTX 1070 Max-Q": "gtx-1070-max-q",
    "RTX 2060 Max-Q": "rtx-2060-max-q", "RTX 2070 Max-Q": "rtx-2070-max-q", "RTX 2080 Max-Q": "rtx-2080-max-q",
    "RTX 3060 Laptop": "rtx-3060-laptop", "RTX 3070 Laptop": "rtx-3070-laptop", "RTX 3080 Laptop": "rtx-3080-laptop",
    "NVIDIA GeForce RTX 3080 Laptop GPU": "rtx-3080-laptop", "RTX 4060 Laptop": "rtx-4060-laptop",
    "RTX 4070 Laptop": "rtx-4070-laptop", "RTX 4080 Laptop": "rtx-4080-laptop", "RTX 4090 Laptop": "rtx-4090-laptop",
}


@pytest.mark.parametrize("name, card_id", sorted(BUYER_NAMES.items()))
def test_every_card_a_buyer_names_resolves(name, card_id):
    assert catalog.resolve(name).id == card_id


def test_laptop_rows_carry_their_power_range():
    laptops = [g for g in CARDS if g.form_factor == "laptop"]
    assert len(laptops) >= 13
    for g in laptops:
        assert g.tdp_min_w is not None and 30 <= g.tdp_min_w <= g.tdp_w <= 175, g.id
    # the RTX 4090 Laptop is an AD103 (the desktop RTX 4080's chip) at 80-150 W, not the desktop 4090
    lap = BY_ID["rtx-4090-laptop"]
    assert (lap.sm_count, lap.tdp_min_w, lap.tdp_w, lap.memory_gb) == (76, 80, 150, 16)


@pytest.mark.parametrize("short, taken, others", [
    ("a100", "a100-sxm4-40gb", {"a100-pcie-40gb", "a100-pcie-80gb", "a100-sxm4-80gb"}),
    ("v100", "tesla-v100-sxm2-16gb", {"tesla-v100-pcie-16gb", "tesla-v100-sxm2-32gb", "tesla-v100-sxm3-32gb"}),
    ("h100", "h100-sxm", {"h100-pcie"}),
    ("p100", "tesla-p100-pcie-16gb", {"tesla-p100-sxm2-16gb"}),
    ("4090", "rtx-4090", {"rtx-4090-laptop"}),
])
def test_a_short_name_shared_by_variants_says_which_was_taken_and_lists_the_others(short, taken, others):
    r = catalog.lookup(short)
    assert r.gpu.id == taken
    assert others <= set(r.variants) and taken not in r.variants
    assert f"took {taken}" in r.note()


@pytest.mark.parametrize("exact", ["a100-sxm4-80gb", "rtx-4090", "NVIDIA GeForce RTX 4090", "gtx-1080-ti", "a10"])
def test_an_exact_id_or_name_has_no_variants(exact):
    assert catalog.lookup(exact).variants == () and catalog.lookup(exact).note() is None


def test_k80_resolves_to_the_tesla_k80_and_never_suggests_an_rtx_5080():
    assert catalog.resolve("k80").id == "tesla-k80"
    with pytest.raises(UserError) as exc:
        catalog.resolve("tesla k8")
    assert "5080" not in str(exc.value)


def test_a_name_that_starts_several_cards_lists_them():
    with pytest.raises(UserError, match="'quadro rtx' matches 3 cards: quadro-rtx-5000, quadro-rtx-6000, "
                                        "quadro-rtx-8000; name one of them"):
        catalog.resolve("quadro rtx")



def test_ids_and_names_and_aliases_are_unique_across_cards():
    assert len(BY_ID) == len(CARDS)
    counts = Counter(k for g in CARDS for k in catalog.match_keys(g))
    assert [k for k, n in counts.items() if n > 1] == []


@pytest.mark.parametrize("gpu", CARDS, ids=lambda g: g.id)
def test_fp32_tflops_is_two_flops_per_core_per_clock(gpu):
    """FP32 peak = 2 (an FMA) x CUDA cores x boost clock; the spec sheet rounds, so allow 1.5 %."""
    if gpu.cuda_cores is None or gpu.boost_clock_mhz is None:
        pytest.skip(f"{gpu.id}: core count or clock not published")
    expected = 2 * gpu.cuda_cores * gpu.boost_clock_mhz * 1e6 / 1e12
    assert gpu.fp32_tflops == pytest.approx(expected, rel=0.015)


@pytest.mark.parametrize("gpu", CARDS, ids=lambda g: g.id)
def test_every_field_is_typed_and_in_a_sane_range(gpu):
    hints = {f.name: f.type for f in dataclasses.fields(catalog.Gpu)}
    assert set(hints) >= {"id", "name", "aliases", "architecture", "compute_capability", "sm_count", "cuda_cores",
                          "boost_clock_mhz", "fp32_tflops", "has_tensor_cores", "fp16_tensor_tflops",
                          "bf16_tensor_tflops", "tf32_tflops", "memory_gb", "memory_type", "memory_bandwidth_gbps",
                          "tdp_w", "pcie_gen", "pcie_lanes", "nvlink_gbps", "launch_year", "launch_price_usd",
                          "source"}
    assert gpu.architecture in catalog.ARCHITECTURES
    assert isinstance(gpu.has_tensor_cores, bool)
    assert 1 < gpu.fp32_tflops < 200                     # TFLOP/s, not GFLOP/s
    assert 4 <= gpu.memory_gb <= 200                     # GB, not bytes or MB
    assert 150 <= gpu.memory_bandwidth_gbps <= 10_000    # GB/s (GTX 1060 / 1660 / P4: 192)
    assert gpu.tdp_w is None or 50 <= gpu.tdp_w <= 1200
    assert gpu.tdp_min_w is None or (gpu.tdp_w is not None and 30 <= gpu.tdp_min_w <= gpu.tdp_w)
    assert gpu.form_factor in catalog.FORM_FACTORS
    assert gpu.pcie_gen in (3, 4, 5) and gpu.pcie_lanes in (8, 16)
    assert 2014 <= gpu.launch_year <= 2026               # Tesla K80: 2014
    assert gpu.launch_price_usd is None or 200 <= gpu.launch_price_usd <= 50_000   # GTX 1660: 219
    assert gpu.nvlink_gbps >= 0
    assert len(gpu.source) > 20
    major, minor = gpu.compute_capability.split(".")
    assert int(major) in (3, 6, 7, 8, 9, 10, 12) and minor.isdigit()


@pytest.mark.parametrize("gpu", CARDS, ids=lambda g: g.id)
def test_tensor_core_figures_follow_the_architecture(gpu):
    if gpu.architecture == "kepler":
        assert not gpu.has_tensor_cores and gpu.fp16_tflops is None      # no FP16 arithmetic on GK210
        return
    if gpu.architecture == "pascal":
        assert not gpu.has_tensor_cores and gpu.fp16_tensor_tflops is None
        # consumer Pascal runs FP16 at 1/64 of FP32; GP100 (P100) at 2x
        ratio = 2.0 if gpu.compute_capability == "6.0" else 1 / 64
        assert gpu.fp16_tflops == pytest.approx(gpu.fp32_tflops * ratio, rel=0.02)
        return
    if gpu.id in ("gtx-1660-ti", "gtx-1660"):
        # TU116: no tensor cores, dedicated FP16 units at 2x FP32
        assert not gpu.has_tensor_cores and gpu.fp16_tflops == pytest.approx(2 * gpu.fp32_tflops, rel=0.01)
        return
    assert gpu.has_tensor_cores and gpu.fp16_tensor_tflops >= 1.9 * gpu.fp32_tflops
    if gpu.architecture in ("volta", "turing"):
        assert gpu.bf16_tensor_tflops is None and gpu.tf32_tflops is None
    else:
        assert gpu.bf16_tensor_tflops == gpu.fp16_tensor_tflops
        assert gpu.tf32_tflops is not None and gpu.tf32_tflops <= gpu.fp16_tensor_tflops / 2 * 1.01


def test_geforce_turing_runs_fp32_accumulate_tensor_math_at_half_rate():
    """TU102 has 8 tensor cores x 64 FP16 FMA per SM per clock; the RTX 2080 Ti gets half of that with FP32 accumulate."""
    g = BY_ID["rtx-2080-ti"]
    full_rate = g.sm_count * 8 * 64 * 2 * g.boost_clock_mhz * 1e6 / 1e12
    assert g.fp16_tensor_tflops == pytest.approx(full_rate / 2, rel=0.01)
    titan = BY_ID["titan-rtx"]   # the same chip, full rate
    assert titan.fp16_tensor_tflops == pytest.approx(titan.sm_count * 8 * 64 * 2 * titan.boost_clock_mhz / 1e6, rel=0.01)


@pytest.mark.parametrize("text", ["1080ti", "GTX 1080 Ti", "gtx-1080-ti", "NVIDIA GeForce GTX 1080 Ti", "1080 Ti"])
def test_every_spelling_of_the_1080_ti_resolves_to_one_card(text):
    assert catalog.resolve(text).id == "gtx-1080-ti"


@pytest.mark.parametrize("nvml_name, card_id", [
    ("NVIDIA GeForce RTX 2080 Ti", "rtx-2080-ti"),
    ("Tesla V100-SXM2-16GB", "tesla-v100-sxm2-16gb"),
    ("Tesla V100-PCIE-16GB", "tesla-v100-pcie-16gb"),
    ("NVIDIA H100 80GB HBM3", "h100-sxm"),
    ("NVIDIA H100 PCIe", "h100-pcie"),
    ("NVIDIA A100-SXM4-40GB", "a100-sxm4-40gb"),
    ("NVIDIA A100-SXM4-80GB", "a100-sxm4-80gb"),
    ("NVIDIA A100 80GB PCIe", "a100-pcie-80gb"),
    ("Tesla T4", "tesla-t4"),
    ("NVIDIA A10G", "a10g"),
    ("NVIDIA L4", "l4"),
    ("NVIDIA GeForce RTX 4090", "rtx-4090"),
    ("NVIDIA RTX A6000", "rtx-a6000"),
])
def test_nvml_names_match_their_catalog_card(nvml_name, card_id):
    assert catalog.match_nvml_name(nvml_name) == card_id


@pytest.mark.parametrize("nvml_name", ["NVIDIA GeForce RTX 3080 Ti", "NVIDIA GeForce GTX 1660 SUPER", "", None])
def test_a_card_not_in_the_catalog_matches_nothing_rather_than_a_neighbour(nvml_name):
    assert catalog.match_nvml_name(nvml_name) is None


def test_unknown_name_is_a_user_error_naming_the_closest_cards():
    with pytest.raises(UserError) as exc:
        catalog.resolve("gtx 1090 ti")
    msg = str(exc.value)
    assert "gtx-1080-ti" in msg and "\n" not in msg



def test_gpus_says_how_many_cards_max_price_left_out_for_having_no_launch_price():
    # "0 cards" for --arch kepler --max-price 10000, with no word of the K80, which has no launch price
    r = run_cli("gpus", "--arch", "kepler", "--max-price", "10000")
    assert r.code == 0, r.stderr
    assert "GPU catalog (0 cards)" in r.stdout
    assert r.stderr == ("rigbench: note: no kepler card has a published launch price\n"
                        "rigbench: note: --max-price left out 1 card without a launch price (tesla-k80): leave "
                        "--max-price out to list them\n")
    unpriced = [g for g in catalog.load_catalog() if g.launch_price_usd is None]
    r = run_cli("gpus", "--max-price", "100000", "--json")
    assert r.code == 0 and f"left out {len(unpriced)} cards without a launch price ({unpriced[0].id}, " in r.stderr
    assert len(r.json()["gpus"]) == len(catalog.load_catalog()) - len(unpriced)
    assert run_cli("gpus", "--arch", "kepler").stderr == ""


def test_gpus_that_lists_no_card_says_which_filter_emptied_the_catalog_and_the_nearest_card():
    # "GPU catalog (0 cards)" alone for --max-price 50 does not say whether the limit was a little or far off
    priced = [g for g in catalog.load_catalog() if g.launch_price_usd is not None]
    cheapest = min(priced, key=lambda g: g.launch_price_usd)
    r = run_cli("gpus", "--max-price", "50", "--json")
    assert r.code == 0, r.stderr
    assert r.json()["gpus"] == []
    assert r.json()["notes"][0] == (f"no card in the catalog launched at 50 USD or less (the cheapest: {cheapest.id} at "
                                    f"{cheapest.launch_price_usd:,.0f} USD)")
    largest = max(catalog.load_catalog(), key=lambda g: g.memory_bytes)
    assert catalog.left_out(min_memory_bytes=1024 * 1024**3) == [
        f"no card in the catalog has 1,024 GB of memory or more (the most: {largest.id}, {largest.memory_gb:g} GB)"]
    big = [g for g in priced if g.memory_bytes >= 48 * 1024**3]
    low = min(big, key=lambda g: g.launch_price_usd)
    assert catalog.left_out(min_memory_bytes=48 * 1024**3, max_launch_price_usd=1000.5)[0] == (
        f"no card in the catalog with 48 GB or more launched at 1,000.50 USD or less (the cheapest: {low.id} at "
        f"{low.launch_price_usd:,.0f} USD)")
    # a list that is not empty gets no such note
    assert not any(n.startswith("no card") for n in catalog.left_out(max_launch_price_usd=100000))


def test_gpus_says_which_filter_left_out_a_named_card_and_why():
    # "GPU catalog (0 cards)" for rtx-3090 --arch ada, and for rtx-3090 --max-price 100, with no word of why
    r = run_cli("gpus", "rtx-3090", "--arch", "ada")
    assert r.code == 0, r.stderr
    assert "GPU catalog (0 cards)" in r.stdout
    assert r.stderr == "rigbench: note: --arch ada left out rtx-3090: rtx-3090 is ampere, not ada\n"
    r = run_cli("gpus", "rtx-3090", "--max-price", "100", "--json")
    assert r.code == 0, r.stderr
    why = "--max-price left out rtx-3090: rtx-3090's launch price 1,499 USD is above 100"
    assert r.json() == {"schema": "rigbench.gpus/1", "gpus": [], "notes": [why]}
    assert r.stderr == f"rigbench: note: {why}\n"
    assert catalog.left_out([[catalog.resolve("rtx-3090")]], min_memory_bytes=80 * 1024**3) == [
        "--min-memory left out rtx-3090: rtx-3090's 24 GB is below 80 GB"]
    # a family a filter narrows is what was asked: the A100 40GBs are not reported
    r = run_cli("gpus", "a100", "--min-memory", "80GB", "--json")
    assert [g["id"] for g in r.json()["gpus"]] == ["a100-pcie-80gb", "a100-sxm4-80gb"]
    assert r.json()["notes"] == [] and r.stderr == ""


def test_gpus_min_memory_reads_the_catalog_gb_and_refuses_a_lone_binary_i():
    # the memory column is GB as spec sheets write it, which for GPU memory are binary (24 GB GDDR6X is 24 GiB):
    # a bare number, GB and GiB are one reading, and the help says so
    def ids(size):
        r = run_cli("gpus", "--min-memory", size, "--json")
        assert r.code == 0, r.stderr
        return [g["id"] for g in r.json()["gpus"]]

    at_least_24 = [g.id for g in CARDS if g.memory_gb >= 24]
    assert "rtx-4090" in at_least_24 and "rtx-3080" not in at_least_24
    assert ids("24") == ids("24GB") == ids("24GiB") == ids(" 24 gb ") == at_least_24
    assert "rtx-4090" not in ids("25GB")
    help_text = " ".join(run_cli("gpus", "--help").stdout.split())
    assert "a bare number is GB" in help_text and "24, 24GB and 24GiB" in help_text
    # 'i' without a prefix read as bytes ('24iB': 24 bytes, every card) or as GiB ('24i')
    for size in ("24iB", "24i"):
        assert_user_error(run_cli("gpus", "--min-memory", size), f"cannot read size '{size}' for --min-memory",
                          "'i' goes with a prefix")


@pytest.mark.parametrize("name, card_id", [("ａ100", "a100-sxm4-40gb"), ("ＲＴＸ　４０９０", "rtx-4090"),
                                           ("rtx\u00a04090", "rtx-4090"), ("NVIDIA® GeForce RTX™ 4090", "rtx-4090"),
                                           ("rtx-4090＠300W", "rtx-4090@300W"), ("gtx_1080_ti", "gtx-1080-ti")])
def test_a_name_is_folded_to_ascii_before_it_is_looked_up(name, card_id):
    # fullwidth letters and digits were dropped rather than read: 'ａ100' was unknown while 'a100４' was the A100
    assert catalog.resolve(name).id == card_id


@pytest.mark.parametrize("name, char", [("é a100", "'é' (U+00E9) is a letter or digit outside ASCII"),
                                        ("а100", "'а' (U+0430) is a letter or digit outside ASCII"),
                                        ("a100 !", "'!' (U+0021) is a character no card name has"),
                                        ("rtx–4090", "'–' (U+2013) is a character no card name has")])
def test_a_name_with_a_character_no_card_name_has_is_refused_not_dropped(name, char):
    # 'é a100' and 'a100 !' were the A100: the character was dropped in silence
    for find in (catalog.resolve, catalog.named):
        with pytest.raises(UserError) as exc:
            find(name)
        assert str(exc.value).startswith(f"{name!r} is not a card name: {char}; card names are ASCII") and \
            "\n" not in str(exc.value)


@pytest.mark.parametrize("name", ["2×", "2.5× rtx-3090", "×2 rtx-3090", "rtx-3090 * 2", "a100 ✕"])
def test_a_count_sign_out_of_a_counts_place_is_said_as_such(name):
    # '2.5× rtx-3090' and a bare '2×' were refused as holding "a character no card name has", with no word of counts
    sign = next(ch for ch in name if ch in "×*✕")
    with pytest.raises(UserError) as exc:
        catalog.resolve(name)
    assert str(exc.value) == (f"{name!r} is not a card name: {sign!r} (U+{ord(sign):04X}) stands only between a whole "
                              "number of cards and a card's name, as in '2× rtx-3090'")


def test_a_fullwidth_digit_is_a_digit_of_the_name_and_a_fullwidth_count_is_named():
    # 'a100４' was the A100 (the ４ dropped): folded, it is 'a1004', no card's name
    with pytest.raises(UserError, match="unknown GPU 'a100４'"):
        catalog.resolve("a100４")
    with pytest.raises(UserError, match=r"^'２x a100': write the card count in ASCII digits and x, as '2x a100'$"):
        catalog.resolve("２x a100")
    # a count's multiplication sign is no odd character of a name: the hint comes first
    with pytest.raises(UserError, match=r"^'２× a100': write the card count in ASCII digits and x, as '2x a100'$"):
        catalog.resolve("２× a100")


def test_every_catalog_id_name_and_alias_resolves_to_its_card():
    # the characters a name may hold (catalog.NAME_PUNCTUATION) include every one the catalog's own names use
    for gpu in catalog.load_catalog():
        for text in (gpu.id, gpu.name, *gpu.aliases):
            catalog.refuse_odd_characters(text)
        assert catalog.resolve(gpu.id).id == gpu.id and catalog.resolve(gpu.name).id == gpu.id
    assert catalog.resolve("RTX 6000 Ada").id == "rtx-6000-ada"
    assert catalog.resolve("rtx-4090@300W").id == "rtx-4090@300W"


def test_a_number_said_without_its_series_word_names_every_card_it_starts():
    # '4060' was the laptop part in silence ('4060 laptop' is its alias), while 'rtx 4060' listed both cards
    with pytest.raises(UserError, match=r"GPU name '4060' matches 2 cards: rtx-4060-ti, rtx-4060-laptop"):
        catalog.lookup("4060")
    assert catalog.lookup("1080").variants == ("gtx-1080-ti",)
    assert catalog.lookup("1080 ti").variants == () and catalog.lookup("3090").variants == ()
    assert "rtx-2080-ti" in catalog.lookup("2080").variants
