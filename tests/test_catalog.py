"""The GPU catalog: internally consistent, every guideline card present, names resolve, unknown names are exit 2."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from rigbench import catalog
from rigbench.errors import UserError

CARDS = catalog.load_catalog()
BY_ID = {g.id: g for g in CARDS}

# The cards the hardware guidelines brief names (desktop: RTX 2070 / 2080 Ti, cheaper GTX 1070 / 1070 Ti / 1080 /
# 1080 Ti; the custom-rig story: a Tesla V100).
GUIDELINE_CARDS = ["gtx-1070", "gtx-1070-ti", "gtx-1080", "gtx-1080-ti", "rtx-2070", "rtx-2080-ti",
                   "tesla-v100-pcie-16gb", "tesla-v100-sxm2-16gb"]


def test_catalog_has_at_least_35_cards_from_pascal_to_blackwell():
    assert len(CARDS) >= 35
    assert {g.architecture for g in CARDS} == set(catalog.ARCHITECTURES)


@pytest.mark.parametrize("card_id", GUIDELINE_CARDS + ["rtx-3090", "rtx-4090", "rtx-5090", "tesla-t4", "a10g", "l4",
                                                       "l40s", "a100-sxm4-40gb", "a100-sxm4-80gb", "h100-sxm",
                                                       "h100-pcie", "h200-sxm", "b200"])
def test_card_people_buy_or_rent_is_in_the_catalog(card_id):
    assert card_id in BY_ID


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
    assert 200 <= gpu.memory_bandwidth_gbps <= 10_000    # GB/s
    assert gpu.tdp_w is None or 50 <= gpu.tdp_w <= 1200
    assert gpu.pcie_gen in (3, 4, 5) and gpu.pcie_lanes in (8, 16)
    assert 2016 <= gpu.launch_year <= 2026
    assert gpu.launch_price_usd is None or 300 <= gpu.launch_price_usd <= 50_000
    assert gpu.nvlink_gbps >= 0
    assert len(gpu.source) > 20
    major, minor = gpu.compute_capability.split(".")
    assert int(major) in (6, 7, 8, 9, 10, 12) and minor.isdigit()


@pytest.mark.parametrize("gpu", CARDS, ids=lambda g: g.id)
def test_tensor_core_figures_follow_the_architecture(gpu):
    if gpu.architecture == "pascal":
        assert not gpu.has_tensor_cores and gpu.fp16_tensor_tflops is None
        # consumer Pascal runs FP16 at 1/64 of FP32; GP100 (P100) at 2x
        ratio = 2.0 if gpu.compute_capability == "6.0" else 1 / 64
        assert gpu.fp16_tflops == pytest.approx(gpu.fp32_tflops * ratio, rel=0.02)
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

