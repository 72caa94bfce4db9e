"""Data-parallel scaling prediction (rigbench.scaling): hand-worked cases and sanity of the model."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from rigbench import model, scaling
from rigbench.errors import UserError


def card(name="GTX 1080 Ti", pcie_gen=3, pcie_lanes=16, nvlink_gbps=None):
    """A catalog-shaped GPU: only the interconnect fields scaling reads (values from NVIDIA's spec pages)."""
    return SimpleNamespace(name=name, pcie_gen=pcie_gen, pcie_lanes=pcie_lanes, nvlink_gbps=nvlink_gbps)


def test_pcie_link_bandwidth_from_rate_encoding_and_lanes():
    # 8 GT/s x 128/130 / 8 bit x 16 lanes = 15.75 GB/s; gen4 doubles, gen5 doubles again; 8b/10b for gen 2.
    assert scaling.pcie_link_gbps(3, 16) == pytest.approx(15.75)
    assert scaling.pcie_link_gbps(3, 8) == pytest.approx(7.875)
    assert scaling.pcie_link_gbps(4, 16) == pytest.approx(31.5)
    assert scaling.pcie_link_gbps(5, 16) == pytest.approx(63.0)
    assert scaling.pcie_link_gbps(2, 16) == pytest.approx(8.0)


def test_busbw_convention_matches_nccl_tests():
    # 64 MiB over 2 ranks in 3.1216 ms: algbw 21.5 GB/s, busbw = algbw x 2(n-1)/n = 21.5 (github.com/NVIDIA/nccl-tests/issues/44 row)
    algbw, busbw = scaling.busbw_from_time(67108864, 2, 67108864 / 21.5e9)
    assert algbw == pytest.approx(21.5)
    assert busbw == pytest.approx(21.5)
    # 8 ranks: busbw = algbw x 14/8
    algbw, busbw = scaling.busbw_from_time(1e9, 8, 0.1)
    assert (algbw, busbw) == (pytest.approx(10.0), pytest.approx(17.5))
    # and the time formula inverts it
    assert scaling.allreduce_time_s(1e9, 8, 17.5) == pytest.approx(0.1)
    assert scaling.allreduce_time_s(1e9, 1, 17.5) == 0.0


def test_two_cards_on_pcie3_x16_hand_worked():
    """2x GTX 1080 Ti on PCIe 3.0 x16, ResNet-50 fp32, one card measured at 200 images/s, 32 images per card.

    link    = 8 GT/s x 128/130 / 8 x 16             = 15.75 GB/s each way
    busbw   = 15.75 x 0.555 (nccl #1639, <= 4 cards) = 8.74125 GB/s
    grads   = 25,557,032 params x 4 B                = 102,228,128 B
    comm    = 102,228,128 x 2(2-1)/2 / 8.74125e9     = 0.0116949 s
    compute = 32 / 200                              = 0.16 s, backward = 2/3 of it = 0.10667 s
    exposed = max(last bucket 26,214,400 B / 8.74125e9 = 0.0029989 s, 0.0116949 - 0.10667 < 0) = 0.0029989 s
    step    = 0.1629989 s; efficiency = 0.16 / 0.1629989 = 0.98160; throughput = 2 x 32 / step = 392.64 images/s
    """
    p = scaling.predict_data_parallel(card(), 2, "resnet50", "fp32", single_throughput=200.0)
    assert p["allreduce_busbw_gbps"] == pytest.approx(8.74125)
    assert p["grad_bytes"] == 102_228_128
    assert p["comm_s_per_step"] == pytest.approx(0.0116949, rel=1e-4)
    assert p["compute_s_per_step"] == pytest.approx(0.16)
    assert p["exposed_comm_s_per_step"] == pytest.approx(0.0029989, rel=1e-4)
    assert p["scaling_efficiency"] == pytest.approx(0.98160, rel=1e-4)
    assert p["interconnect_cost"] == pytest.approx(1 - 0.98160, rel=1e-3)
    assert p["throughput"] == pytest.approx(392.64, rel=1e-4)
    assert p["interconnect"].startswith("PCIe 3.0 x16")
    assert p["unit"] == "samples/s"


def test_communication_bound_case_hand_worked():
    """4 cards on PCIe 3.0 x16, BERT-base fp32, one card at 400 samples/s, 32 per card (comm longer than backward).

    busbw   = 8.74125 GB/s (<= 4 cards); grads = 110e6 x 4 = 440e6 B
    comm    = 440e6 x 2 x 3/4 / 8.74125e9 = 0.0754984 s
    compute = 32/400 = 0.08 s; backward = 0.08 x 0.6667 = 0.053336 s
    exposed = max(26,214,400 x 1.5 / 8.74125e9 = 0.0044984, 0.0754984 - 0.053336) = 0.0221624 s
    efficiency = 0.08 / 0.1021624 = 0.78307
    """
    p = scaling.predict_data_parallel(card(), 4, "bert-base", "fp32", single_throughput=400.0)
    assert p["comm_s_per_step"] == pytest.approx(0.0754984, rel=1e-4)
    assert p["exposed_comm_s_per_step"] == pytest.approx(0.0221624, rel=1e-3)
    assert p["scaling_efficiency"] == pytest.approx(0.78307, rel=1e-3)
    assert p["throughput"] == pytest.approx(4 * 400 * 0.78307, rel=1e-3)


def test_nvlink_beats_pcie_for_the_same_card():
    pcie = scaling.predict_data_parallel(card("RTX 2080 Ti"), 2, "bert-base", "fp32", single_throughput=400.0)
    nvl = scaling.predict_data_parallel(card("RTX 2080 Ti", nvlink_gbps=100), 2, "bert-base", "fp32",
                                        single_throughput=400.0)
    # the bridge: 100 GB/s total -> 50 each way x 0.43 (nccl-tests #44) = 21.5 GB/s
    assert nvl["allreduce_busbw_gbps"] == pytest.approx(21.5)
    assert nvl["allreduce_busbw_gbps"] > pcie["allreduce_busbw_gbps"]
    assert nvl["scaling_efficiency"] >= pcie["scaling_efficiency"]
    assert nvl["throughput"] >= pcie["throughput"]


def test_a_bridge_joins_two_cards_so_a_third_rides_pcie():
    bridged = card("RTX 2080 Ti", nvlink_gbps=100)
    assert scaling.interconnect_for(bridged, 2).kind == "nvlink"
    assert scaling.interconnect_for(bridged, 3).kind == "pcie"
    board = card("Tesla V100 SXM2", nvlink_gbps=300)
    assert scaling.interconnect_for(board, 8).kind == "nvlink"


@pytest.mark.parametrize("workload,rate", [("resnet50", 200.0), ("bert-base", 400.0), ("bert-base", 4000.0)])
def test_more_cards_never_scale_better_than_linear(workload, rate):
    prev_eff = 1.0
    for n in range(1, 17):
        p = scaling.predict_data_parallel(card(), n, workload, "fp32", single_throughput=rate)
        assert p["throughput"] <= n * rate * (1 + 1e-12)
        assert 0 < p["scaling_efficiency"] <= prev_eff + 1e-12
        prev_eff = p["scaling_efficiency"]
    assert p["reason"] and "multi-node" in p["reason"] and p["nodes"] == 2   # 16 cards: two machines of 8


def test_one_card_is_the_single_card_throughput():
    p = scaling.predict_data_parallel(card(), 1, "resnet50", "fp32", single_throughput=200.0)
    assert p["throughput"] == 200.0 and p["scaling_efficiency"] == 1.0 and p["comm_s_per_step"] == 0.0


def test_unknown_interconnect_is_null_with_a_reason():
    p = scaling.predict_data_parallel(card(pcie_gen=None, pcie_lanes=None), 2, "resnet50", "fp32",
                                      single_throughput=200.0)
    assert p["throughput"] is None and p["scaling_efficiency"] is None
    assert "PCIe" in p["reason"]


@pytest.mark.parametrize("n", [0, -2, 1.5, True])
def test_bad_card_count_is_a_user_error(n):
    with pytest.raises(UserError, match="number of cards"):
        scaling.predict_data_parallel(card(), n, "resnet50", "fp32", single_throughput=200.0)


@pytest.mark.parametrize("workload", ["bert-base-squad", "bert-large-squad"])
def test_every_workload_compare_offers_scales_with_the_models_own_parameter_count(workload):
    # compare --help offers the SQuAD workloads; past one card they were refused as unknown workloads
    params, source = scaling.workload_params(workload)
    assert params == model.demand(workload).params and "rigbench.model" in source
    # BERT-base 110 M and BERT-large 340 M parameters (Devlin et al. 2019, section 3), within the heads they differ by
    assert params == pytest.approx(110e6 if workload == "bert-base-squad" else 340e6, rel=0.02)
    assert scaling.predict_data_parallel(card(), 2, workload, "amp", batch_per_gpu=32,
                                         single_throughput=200.0)["throughput"] > 200.0


def test_bad_workload_and_precision_are_user_errors():
    with pytest.raises(UserError, match="unknown workload 'gpt5'.*resnet50"):
        scaling.predict_data_parallel(card(), 2, "gpt5", "fp32", single_throughput=200.0)
    with pytest.raises(UserError, match="unknown precision 'fp8'"):
        scaling.predict_data_parallel(card(), 2, "resnet50", "fp8", single_throughput=200.0)
    with pytest.raises(UserError, match="PCIe generation"):
        scaling.pcie_link_gbps(9, 16)


def test_every_profile_number_names_its_source():
    data = scaling.load_interconnects()
    for section in ("pcie", "nvlink"):
        assert data[section]["source"]
        for point in data[section]["achieved"]:
            assert point["source"] and 0 < point["fraction"] <= 1
    for wl in data["workloads"].values():
        assert wl["source"] and wl["params"] > 0


def test_catalog_card_through_the_model():
    p = scaling.predict_data_parallel("gtx-1080-ti", 2, "resnet50", "fp32")
    one = scaling.predict_data_parallel("gtx-1080-ti", 1, "resnet50", "fp32")
    assert p["throughput"] is None or one["throughput"] < p["throughput"] <= 2 * one["throughput"]


def test_sixteen_cards_over_10_gbit_ethernet_hand_worked():
    """16x GTX 1080 Ti in 2 machines of 8 joined by one 10 Gb/s Ethernet adapter each, ResNet-50 fp32, 200 images/s
    per card, 32 per card.

    in-node ring (8 cards, PCIe 3.0 x16): 15.75 GB/s x 0.444 = 6.993 GB/s
    between nodes: 10 Gb/s = 1.25 GB/s x 0.6 (github.com/NVIDIA/nccl-tests/issues/22)   = 0.75 GB/s  -> the ring runs at 0.75 GB/s
    comm    = 102,228,128 B x 2 x 15/16 / 0.75e9      = 0.255570 s
    compute = 32 / 200 = 0.16 s; backward 2/3 = 0.106672 s
    exposed = max(26,214,400 x 1.875 / 0.75e9 = 0.065536, 0.255570 - 0.106672 = 0.148898) = 0.148898 s
    step    = 0.308898 s; efficiency 0.16 / 0.308898 = 0.51797; throughput 16 x 32 / step = 1657.5 images/s
    """
    p = scaling.predict_data_parallel(card(), 16, "resnet50", "fp32", single_throughput=200.0, network="ethernet-10g")
    assert p["nodes"] == 2 and p["network"] == "ethernet-10g"
    assert p["allreduce_busbw_gbps"] == pytest.approx(0.75)
    assert p["comm_s_per_step"] == pytest.approx(0.255570, rel=1e-5)
    assert p["exposed_comm_s_per_step"] == pytest.approx(0.148898, rel=1e-4)
    assert p["scaling_efficiency"] == pytest.approx(0.51797, rel=1e-4)
    assert p["throughput"] == pytest.approx(1657.5, rel=1e-4)
    assert "Ethernet, one 10 Gb/s adapter per node" in p["interconnect"]


def test_data_centre_boards_default_to_their_dgx_fabric_and_others_to_ethernet():
    a100 = card("A100 SXM4", pcie_gen=4, nvlink_gbps=600)
    a100.architecture = "ampere"
    assert scaling.default_network(a100) == "ib-hdr-8x"
    assert scaling.default_network(card()) == "ethernet-100g"
    with pytest.raises(UserError, match="unknown network 'carrier-pigeon'"):
        scaling.predict_data_parallel(card(), 16, "resnet50", "fp32", single_throughput=200.0, network="carrier-pigeon")
