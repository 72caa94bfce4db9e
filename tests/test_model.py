"""The performance model: demands counted from layer shapes, factors reproducible from their fit set, validation."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

from rigbench import catalog, data, model
from rigbench.errors import UserError


def test_resnet50_demand_matches_the_published_counts():
    d = model.demand("resnet50")
    assert d.params == 25_557_032                      # torchvision resnet50 parameter count
    assert d.tensor_flops / 6 == pytest.approx(4.09e9, rel=0.01)   # torchvision: 4.09 GMAC forward
    assert d.unit == "images/s"


def test_bert_base_demand_has_110m_parameters_and_12_h2_macs_per_token_per_layer():
    d = model.demand("bert-base")
    assert d.params == pytest.approx(110e6, rel=0.02)
    h, s, L = 768, 128, 12
    body = L * s * (12 * h * h + 2 * s * h)
    head = 20 * (h * h + h * 30522)
    assert d.tensor_flops == pytest.approx(3 * 2 * (body + head), rel=1e-9)
    assert d.conv_flops == 0


def test_bert_large_demand_is_counted_like_bert_base():
    """BERT-large (Devlin et al. 2019: L=24, H=1024, 340 M parameters) at SQuAD's sequence 384: the same counting as
    BERT-base, no head MACs (the span head is negligible), and 5 + 16 x 24 + 2 parameter tensors for the update."""
    d = model.demand("bert-large-squad")
    assert d.params == pytest.approx(336e6, rel=0.01)
    h, s, L = 1024, 384, 24
    assert d.tensor_flops == pytest.approx(3 * 2 * L * s * (12 * h * h + 2 * s * h), rel=1e-9)
    assert d.param_tensors == 391 and d.family == "transformer"


@pytest.mark.parametrize("family, section", [("conv", "compute"), ("transformer", "transformer")])
def test_every_fitted_factor_is_reproduced_from_its_published_measurement(family, section):
    eff = model.load_efficiency()[section]
    refit = model.refit_factors(family)
    assert len(refit) >= 14                                  # Pascal fp32 + 7 architectures x 2 precisions
    for (arch, p), f in refit.items():
        assert eff[arch][p]["factor"] == pytest.approx(f, abs=5e-4), (family, arch, p)
        assert 0 < f <= 1, (family, arch, p)


def test_each_family_is_fitted_on_its_own_workloads_only():
    for e in model.fit_entries():
        assert model.demand(e["workload"]).family == e["family"], e


def test_the_model_reproduces_a_fit_measurement_exactly():
    v100 = catalog.resolve("tesla-v100-sxm2-16gb")
    assert model.predict(model.capability_from_gpu(v100), "resnet50", "amp").throughput == pytest.approx(833, rel=1e-3)


def test_time_is_the_sum_of_compute_and_memory_terms_worked_by_hand():
    gpu = catalog.resolve("gtx-1080-ti")
    d = model.demand("resnet50")
    f = model.load_efficiency()["compute"]["pascal"]["fp32"]["factor"]
    compute_s = d.tensor_flops / (11.34e12 * f)
    memory_s = d.accesses * 4 / (484e9 * 0.83)
    pred = model.predict(model.capability_from_gpu(gpu), "resnet50", "fp32")
    assert pred.throughput == pytest.approx(1 / (compute_s + memory_s), rel=1e-9)
    assert pred.bound == ("compute" if compute_s > memory_s else "memory")


def test_pascal_gains_from_amp_only_through_halved_memory_traffic():
    cap = model.capability_from_gpu(catalog.resolve("gtx-1080-ti"))
    fp32 = model.predict(cap, "resnet50", "fp32")
    amp = model.predict(cap, "resnet50", "amp")
    assert amp.compute_s == pytest.approx(fp32.compute_s)
    assert amp.memory_s == pytest.approx(fp32.memory_s / 2)


def test_2080_ti_beats_1080_ti_as_lambda_measured():
    """Lambda: 2080 Ti = 1.41x a 1080 Ti on ResNet-50 FP32 (TensorFlow, 2019) and 2.19x with AMP (PyTorch, 2020)."""
    a = model.capability_from_gpu(catalog.resolve("rtx-2080-ti"))
    b = model.capability_from_gpu(catalog.resolve("gtx-1080-ti"))
    fp32 = model.predict(a, "resnet50", "fp32").throughput / model.predict(b, "resnet50", "fp32").throughput
    amp = model.predict(a, "resnet50", "amp").throughput / model.predict(b, "resnet50", "amp").throughput
    assert fp32 == pytest.approx(1.407, rel=0.10)
    assert amp == pytest.approx(2.185, rel=0.15)


def _fit_rows() -> list[dict]:
    return [{"arch": e["key"], "precision": e["precision"], "gpu": e["gpu"], "family": e["source_family"],
             "workload": e["workload"]} for e in model.fit_entries()]


def test_every_fit_names_its_source_family_and_one_family_covers_volta_to_hopper():
    rows = _fit_rows()
    assert all(r["family"] for r in rows)
    later = {r["family"] for r in rows if r["arch"] in ("volta", "ampere", "ampere-8.6", "ada", "hopper")}
    assert later == {"lambda-pytorch-2023"}


def test_validation_pairs_are_disjoint_from_the_fit_set():
    """A validation pair may use a fitted card only with a measurement from another source family. A pair from the
    fit family holds at most one card a factor of that precision was fitted to: the model reproduces that card
    exactly, so the pair's error is the other card's own (two fit cards would make a fit relation, not a test)."""
    fits = {(r["gpu"], r["workload"], r["precision"], r["family"]) for r in _fit_rows()}
    fits |= {(r["gpu"], r["workload"], r["precision"], r["family"]) for r in model.extra_fit_rows()}
    rows = model.validation_table()
    assert len(rows) >= 60
    for r in rows:
        fitted = [c for c in (r["gpu_a"], r["gpu_b"]) if (c, r["workload"], r["precision"], r["family"]) in fits]
        assert len(fitted) <= 1, (r["gpu_a"], r["gpu_b"], r["precision"], r["family"])
        # the power exponent's and the tensor share's fit rows (RTX 6000 Ada, A10 in the 2023 table) are never
        # validation rows
        for c in (r["gpu_a"], r["gpu_b"]):
            power_fit = (c, r["workload"], r["precision"], r["family"]) in fits and c in ("rtx-6000-ada", "a10")
            assert not power_fit, r
    # the pairs span generations: Pascal, Turing, Volta, Ampere, Ada and Hopper appear, in both precisions
    archs = {catalog.resolve(c).architecture for r in rows for c in (r["gpu_a"], r["gpu_b"])}
    assert {"pascal", "turing", "volta", "ampere", "ada", "hopper"} <= archs
    assert {r["precision"] for r in rows} == {"fp32", "amp"}


def test_a_pair_with_one_fit_card_measures_the_other_card_alone():
    """RTX A6000 / RTX 3090 (Lambda 2023): the 3090 is the GA10x fit card, so the pair's error equals the RTX A6000's
    own prediction error against Lambda's 514 images/s."""
    row = next(r for r in model.validation_table() if (r["gpu_a"], r["gpu_b"], r["precision"], r["workload"],
                                                       r["family"])
               == ("rtx-a6000", "rtx-3090", "fp32", "resnet50", "lambda-pytorch-2023"))
    own = model.predict(model.capability_from_gpu(catalog.resolve("rtx-a6000")), "resnet50", "fp32").throughput
    assert row["error"] == pytest.approx(own / 514 - 1, abs=2e-4)     # 1.0019 in the csv is 514 / 513 rounded


def test_fit_cards_follow_the_geforce_flagship_rule():
    """Architectures with a GeForce flagship in the fit family are fitted on it (RTX 3090 for GA10x, RTX 4090 for
    Ada); the power-limited workstation siblings of the same chips are validation cards, never fit cards."""
    fits = {(r["arch"], r["precision"]): r["gpu"] for r in _fit_rows()}
    for p in ("fp32", "amp"):
        assert fits[("ampere-8.6", p)] == "rtx-3090"
        assert fits[("ada", p)] == "rtx-4090"
        for arch in ("ampere-8.6", "ada"):
            assert catalog.resolve(fits[(arch, p)]).name.startswith("GeForce")
    cards = {c for r in model.validation_table() for c in (r["gpu_a"], r["gpu_b"])}
    assert "rtx-a6000" in cards
    assert not {"rtx-a6000", "rtx-6000-ada", "a10"} & model.fit_set_cards()
    # A10 and RTX 6000 Ada fit the power exponent and the tensor share, never a factor; the GTX 1080 Ti's BERT runs
    # fit the optimizer step's host time (its fp32 run also fits the Pascal transformer factor)
    assert {r["gpu"] for r in model.extra_fit_rows() if r["fits"] != "step"} == {"rtx-6000-ada", "a10"}
    assert {r["gpu"] for r in model.extra_fit_rows() if r["fits"] == "step"} == {"gtx-1080-ti"}


def test_geforce_fit_reproduces_lambdas_4090_over_3090_ratio():
    """A fit relation, not a validation: with both GeForce flagships fitted, 4090 / 3090 is Lambda's 721 / 513
    (fp32) and 1301 / 905 (amp) exactly; under the old workstation fits the model gave 1.16x."""
    for p, ratio in (("fp32", 721 / 513), ("amp", 1301 / 905)):
        a = model.predict(model.capability_from_gpu(catalog.resolve("rtx-4090")), "resnet50", p).throughput
        b = model.predict(model.capability_from_gpu(catalog.resolve("rtx-3090")), "resnet50", p).throughput
        assert a / b == pytest.approx(ratio, rel=1e-3)


def _documented_mae() -> dict[str, float]:
    text = (Path(__file__).resolve().parents[1] / "docs" / "model.md").read_text(encoding="utf-8")
    m = re.search(r"MAE ([0-9.]+) % over (\d+) pairs \(convolutional: ([0-9.]+) %; transformer: ([0-9.]+) %\)", text)
    assert m, "docs/model.md must state 'MAE x % over n pairs (convolutional: y %; transformer: z %)'"
    return {"all": float(m.group(1)) / 100, "n": int(m.group(2)), "conv": float(m.group(3)) / 100,
            "transformer": float(m.group(4)) / 100}


def test_validation_mae_is_the_documented_figure():
    """docs/model.md states the validation error as it comes out (rounded to 0.1 %): not a bound to stay under."""
    s = model.validation_summary()
    doc = _documented_mae()
    assert s["all"]["pairs"] == doc["n"]
    assert s["all"]["mae"] == pytest.approx(doc["all"], abs=0.0005)
    for fam in ("conv", "transformer"):
        assert s["families"][fam]["mae"] == pytest.approx(doc[fam], abs=0.0005), fam


def test_validation_spans_five_publishers_and_both_families():
    rows = model.validation_table()
    publishers = {r["family"].rsplit("-", 1)[0].split("-")[0] + "-" + r["family"].split("-")[1] for r in rows}
    assert {"lambda-pytorch", "lambda-tensorflow", "nvidia-dle", "server-gear", "nikolasent-timm"} <= publishers
    assert {model.demand(r["workload"]).family for r in rows} == {"conv", "transformer"}
    assert all(r["url"].startswith("https://") and len(r["source"]) > 40 for r in rows)


def test_every_fit_is_a_split_fit_row_of_the_data_and_no_fit_row_is_validated():
    csv_rows = data.load_csv("validation.csv")
    fit_rows = {(r["gpu_a"], r["workload"], r["precision"], r["family"], float(r["measured"]))
                for r in csv_rows if r["split"] == "fit"}
    for e in model.fit_entries():
        assert (e["gpu"], e["workload"], e["precision"], e["source_family"], e["throughput"]) in fit_rows, e
    for r in model.extra_fit_rows():
        assert (r["gpu"], r["workload"], r["precision"], r["family"], float(r["throughput"])) in fit_rows, r
    assert {r["split"] for r in csv_rows} == {"fit", "validation"}


def test_every_validation_pair_carries_its_two_published_throughputs():
    """a_per_s / b_per_s are the figures the ratio was computed from: their quotient is the published ratio (to its
    4 digits, or to the rounding of integer figures) and each stands in the row's own source text."""
    for r in data.load_csv("validation.csv"):
        if r["split"] == "fit":
            assert r["a_per_s"] == r["b_per_s"] == "", r
            continue
        a, b, ratio = float(r["a_per_s"]), float(r["b_per_s"]), float(r["measured"])
        assert a / b == pytest.approx(ratio, rel=1.1e-3), r
        for value in (r["a_per_s"], r["b_per_s"]):
            assert value in r["source"].replace(",", ""), (value, r["source"])


def test_the_gain_of_mixed_precision_worked_by_hand():
    """NVIDIA's PyTorch ResNet-50 README, release 20.12: the V100 16 GB trains 371 images/s in fp32 and 1,180 with
    AMP, a gain of 3.18x; the prediction is the model's own amp over fp32 for that card. A card whose rows in a
    family fitted a constant is left out there: the V100 16 GB in Lambda's 2023 table (it fits Volta's factors),
    the A10 and RTX 6000 Ada in it (power term, tensor share), the GTX 1080 Ti in Lambda's 2020 runs (the step's
    host time)."""
    rows = {(r["family"], r["gpu"], r["workload"]): r for r in model.precision_gain_table()}
    r = rows[("nvidia-dle-pyt-rn50-20.12", "tesla-v100-sxm2-16gb", "resnet50")]
    assert (r["fp32_per_s"], r["amp_per_s"]) == (371, 1180)
    assert r["measured"] == pytest.approx(1180 / 371)
    cap = model.capability_from_gpu(catalog.resolve("tesla-v100-sxm2-16gb"))
    gain = (model.point_prediction(cap, "resnet50", "amp").throughput
            / model.point_prediction(cap, "resnet50", "fp32").throughput)
    assert r["predicted"] == pytest.approx(gain) and r["error"] == pytest.approx(gain / (1180 / 371) - 1)
    left_out = {("lambda-pytorch-2023", "tesla-v100-sxm2-16gb"), ("lambda-pytorch-2023", "a10"),
                ("lambda-pytorch-2023", "rtx-6000-ada"), ("lambda-pytorch-2020", "gtx-1080-ti")}
    assert not left_out & {(f, g) for f, g, _w in rows}
    # the same card in another family is checked
    assert ("lambda-pytorch-2020", "tesla-v100-sxm2-32gb", "resnet50") in rows


def test_the_gain_error_is_the_documented_figure():
    """docs/model.md states the gain's error as it comes out (rounded to 0.1 %), as it does the pairs' error."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "model.md").read_text(encoding="utf-8")
    m = re.search(r"Gain MAE ([0-9.]+) % over (\d+) cases \(the fitted harness: ([0-9.]+) % over (\d+); other "
                  r"stacks: ([0-9.]+) % over (\d+)\)", " ".join(text.split()))
    assert m, "docs/model.md must state 'Gain MAE x % over n cases (the fitted harness: ...; other stacks: ...)'"
    s = model.precision_gain_summary()
    for key, mae, n in (("all", 1, 2), ("harness", 3, 4), ("others", 5, 6)):
        assert s[key]["pairs"] == int(m.group(n)), key
        assert s[key]["mae"] == pytest.approx(float(m.group(mae)) / 100, abs=0.0005), key


@pytest.mark.parametrize("family", model.FAMILIES)
def test_fitted_factors_are_physical(family):
    """A factor is a fraction of a peak: above 1 would mean the model's traffic or FLOPs are wrong. B200 with AMP
    comes out at 0.037 of its 2.25 PFLOP/s: Lambda's B200 ran ResNet-50 AMP only 1.04x faster than TF32, far from
    compute bound, and the factor carries that."""
    for (arch, p), f in model.refit_factors(family).items():
        assert 0.03 < f < 0.95, (family, arch, p, f)


def test_the_step_host_time_is_fitted_on_its_named_rows_only():
    host = model.load_efficiency()["step"]["host_s_per_synced_tensor"]
    assert model.fit_step_host() == pytest.approx(host, rel=1e-3)
    assert 50e-6 < host < 400e-6          # 19 small kernels of eager PyTorch and one host-device wait per tensor


def test_the_step_fit_reproduces_both_of_its_runs():
    """With the host time fitted, the GTX 1080 Ti's BERT fp32 and AMP runs (one Lambda run, NGC 20.01) both come out
    as measured: 28.0 and 35.2 sequences/s."""
    cap = model.capability_from_gpu(catalog.resolve("gtx-1080-ti"))
    assert model.predict(cap, "bert-base-squad", "fp32").throughput == pytest.approx(28.0, rel=1e-3)
    assert model.predict(cap, "bert-base-squad", "amp").throughput == pytest.approx(35.2, rel=1e-3)


def test_the_optimizer_step_worked_by_hand():
    """GTX 1080 Ti, BERT SQuAD fp32: 199 parameter tensors (5 embedding, 16 per layer x 12, 2 span head), each
    waiting on the host, and 124 bytes per parameter at 484 GB/s x 0.83, over the largest batch that fits (13).
    With AMP the fused update waits for no tensor: 46 bytes per parameter over a batch of 26."""
    gpu = catalog.resolve("gtx-1080-ti")
    d = model.demand("bert-base-squad")
    host = model.load_efficiency()["step"]["host_s_per_synced_tensor"]
    assert d.param_tensors == 199
    assert model.max_batch(d, "fp32", gpu.memory_bytes) == 13
    assert model.max_batch(d, "amp", gpu.memory_bytes) == 26
    cap = model.capability_from_gpu(gpu)
    fp32 = (199 * host + d.params * 124 / (484e9 * 0.83)) / 13
    amp = d.params * 46 / (484e9 * 0.83) / 26
    assert model.predict(cap, "bert-base-squad", "fp32").step_s == pytest.approx(fp32, rel=1e-9)
    assert model.predict(cap, "bert-base-squad", "amp").step_s == pytest.approx(amp, rel=1e-9)
    # a workload without a step table counts none
    assert model.predict(cap, "resnet50", "fp32").step_s == 0


def test_a_card_that_fits_a_smaller_batch_pays_more_of_the_step_per_sample():
    """Same chip, same clocks: the 8 GB RTX 3070 fits a smaller BERT batch than the 24 GB RTX 3090, so its fp32
    step's host time is spread over fewer sequences."""
    d = model.demand("bert-base-squad")
    small, big = (model.capability_from_gpu(catalog.resolve(c)) for c in ("rtx-3070", "rtx-3090"))
    assert model.max_batch(d, "fp32", small.memory_bytes) < model.max_batch(d, "fp32", big.memory_bytes)
    assert (model.predict(small, "bert-base-squad", "fp32").step_s
            > 2 * model.predict(big, "bert-base-squad", "fp32").step_s)


def test_the_power_exponent_is_fitted_on_its_named_rows_only():
    alpha = model.load_efficiency()["power"]["alpha"]
    assert model.fit_power_alpha() == pytest.approx(alpha, abs=1e-3)
    assert 0.1 < alpha < 0.6                             # dynamic power ~ f^3 would give 1/3


def test_sustained_clock_from_power_per_core_and_boost_mhz_worked_by_hand():
    """RTX 6000 Ada: 300 W / (18176 CUDA cores x 2505 MHz) against the RTX 4090 (the Ada fit card) 450 W / (16384 x
    2520 MHz). GP100 (Tesla P100 PCIe, 64-core SMs) at 250 W / (3584 cores x 1329 MHz) has more power per core-cycle
    than the GTX 1080 Ti's 250 W / (3584 x 1582): no penalty, where a per-SM count (56 against 28 SMs) would halve it.
    RTX 2070 Max-Q: 90 W / (2304 x 1185 MHz) against the TITAN RTX's 280 W / (4608 x 1770): its spec sheet's low
    boost clock already spends the power it lacks, so it is charged only 0.96 ** alpha, not the (90/2304 /
    280/4608) = 0.64 ** alpha a per-core count gives."""
    alpha = model.load_efficiency()["power"]["alpha"]
    frac, how = model.sustained_clock_fraction(catalog.resolve("rtx-6000-ada"))
    assert frac == pytest.approx(((300 / (18176 * 2505)) / (450 / (16384 * 2520))) ** alpha, rel=1e-12)
    assert frac == pytest.approx(0.847, abs=0.001)
    assert model.sustained_clock_fraction(catalog.resolve("tesla-p100-pcie-16gb"))[0] == 1.0
    assert "rtx-4090" in how and "2505 MHz" in how
    assert model.sustained_clock_fraction(catalog.resolve("rtx-4090"))[0] == 1.0   # the fit card holds boost
    assert model.sustained_clock_fraction(catalog.resolve("rtx-5080"))[0] == 1.0   # more W per core-MHz than the 4090
    maxq = model.sustained_clock_fraction(catalog.resolve("rtx-2070-max-q"))[0]
    assert maxq == pytest.approx(((90 / (2304 * 1185)) / (280 / (4608 * 1770))) ** alpha, rel=1e-12)
    assert maxq == pytest.approx(0.987, abs=0.001)
    laptop = model.capability_from_gpu(catalog.resolve("rtx-4090-laptop@80W"))   # no published configurations
    assert laptop.clock_fraction == pytest.approx(((80 / (9728 * 2040)) / (450 / (16384 * 2520))) ** alpha,
                                                  rel=1e-12)


def test_a_laptop_at_a_published_tgp_takes_that_configurations_clock_and_memory():
    """RTX 3080 Laptop at 80 W: NVIDIA's Max-Q configuration, 1245 MHz boost and 12 Gbps x 256 bit = 384 GB/s
    (profiles/laptop_gpu_configs.csv), where the catalog row is the 150 W one (1710 MHz, 448 GB/s). Peaks scale with
    the boost clock: 21.01 x 1245 / 1710 = 15.297 TFLOP/s; the power term then compares 80 W / (6144 x 1245 MHz)
    with the RTX 3090's 350 W / (10496 x 1695 MHz)."""
    alpha = model.load_efficiency()["power"]["alpha"]
    g = catalog.resolve("rtx-3080-laptop@80W")
    assert (g.boost_clock_mhz, g.memory_bandwidth_gbps, g.tdp_w) == (1245, 384.0, 80.0)
    assert g.fp32_tflops == pytest.approx(21.01 * 1245 / 1710, abs=0.001)
    assert g.fp16_tensor_tflops == pytest.approx(42.0 * 1245 / 1710, abs=0.001)
    frac = model.sustained_clock_fraction(g)[0]
    assert frac == pytest.approx(((80 / (6144 * 1245)) / (350 / (10496 * 1695))) ** alpha, rel=1e-12)
    # between two published steps: boost interpolated, memory of the step below (a 100 W laptop runs a 90 W step's
    # 12 Gbps memory or a faster step's clocks, not 14 Gbps memory it was not configured with)
    mid = catalog.resolve("rtx-3080-laptop@100W")
    assert mid.boost_clock_mhz == round(1365 + (1545 - 1365) * (100 - 90) / (115 - 90))
    assert mid.memory_bandwidth_gbps == 384.0
    assert catalog.resolve("rtx-3080-laptop@115W").memory_bandwidth_gbps == 448.0
    # the top of the range is the catalog row itself
    assert catalog.resolve("rtx-3080-laptop@150W") == catalog.resolve("rtx-3080-laptop")


def test_a_lower_laptop_power_limit_predicts_a_slower_card():
    full = model.predict(model.capability_from_gpu(catalog.resolve("rtx-4090-laptop")), "resnet50", "amp")
    low = model.predict(model.capability_from_gpu(catalog.resolve("rtx-4090-laptop@80W")), "resnet50", "amp")
    assert low.throughput < full.throughput
    with pytest.raises(UserError, match="outside the card's range 80-150 W"):
        catalog.resolve("rtx-4090-laptop@200W")


@pytest.mark.parametrize("card", ["rtx-5090", "tesla-k80", "b200", "rtx-4090-laptop"])
def test_extrapolated_cards_carry_the_wider_band_and_say_so(card):
    """2 x the family's MAE, or the largest error of the cell's own few pairs where larger (RTX 5090: its two Falaleev
    pairs, +2.3 % and +25.3 %)."""
    gpu = catalog.resolve(card)
    pred = model.predict(model.capability_from_gpu(gpu), "resnet50", "fp32")
    s = model.validation_summary()
    own = s["cells"].get((model.validation_cell(gpu), "conv"))
    assert pred.uncertainty == pytest.approx(max(model.EXTRAPOLATION * s["families"]["conv"]["mae"],
                                                 own["max"] if own else 0.0))
    assert pred.uncertainty >= model.EXTRAPOLATION * s["families"]["conv"]["mae"]
    assert pred.uncertainty_basis.startswith("extrapolated")


def test_an_extrapolated_band_is_never_narrower_than_its_cells_own_error():
    """GA10x laptops have 2 validation pairs per family, fewer than MIN_CELL_PAIRS: the band is the extrapolated one,
    widened to the larger of those pairs' errors where that is larger: every seen pair falls inside it."""
    gpu = catalog.resolve("rtx-3080-laptop")
    s = model.validation_summary()
    own = s["cells"][("ampere-8.6-laptop", "conv")]
    assert own["pairs"] < model.MIN_CELL_PAIRS
    u = model.uncertainty(gpu, "resnet50")
    assert u["extrapolated"]
    assert u["fraction"] == pytest.approx(max(own["max"], model.EXTRAPOLATION * s["families"]["conv"]["mae"]))
    seen = [r for r in model.validation_table() if "rtx-3080-laptop@80W" in (r["gpu_a"], r["gpu_b"])
            and r["workload"] == "resnet50"]
    assert seen and all(abs(r["error"]) <= u["fraction"] + 1e-12 for r in seen)


def test_a_validated_card_carries_its_cells_error():
    """The band of a GTX 1080 Ti ResNet-50 prediction is the mean |error| of the conv pairs with a Pascal card, less
    those whose other card borrows its factors (a Tesla K80 on Pascal's): their error is charged to that card alone."""
    def borrowed(card):
        return model.factor_key(catalog.resolve(card))[1]

    rows, k80 = [], []
    for r in model.validation_table():
        archs = {catalog.resolve(c).architecture for c in (r["gpu_a"], r["gpu_b"])}
        if model.demand(r["workload"]).family == "conv" and "pascal" in archs:
            (k80 if borrowed(r["gpu_a"]) != borrowed(r["gpu_b"]) else rows).append(r)
    assert len(rows) >= 3 and [(r["gpu_a"], r["gpu_b"]) for r in k80] == [("tesla-p100-sxm2-16gb", "tesla-k80")]
    pred = model.predict(model.capability_from_gpu(catalog.resolve("gtx-1080-ti")), "resnet50", "fp32")
    assert pred.uncertainty == pytest.approx(sum(abs(r["error"]) for r in rows) / len(rows), rel=1e-12)
    # and the K80's band is at least the largest miss of its own pairs, in either workload family: its factors
    # are Pascal's, borrowed, so a miss on ResNet-50 is a miss of the borrowing, BERT's too
    worst = max(abs(r["error"]) for r in model.validation_table() if "tesla-k80" in (r["gpu_a"], r["gpu_b"]))
    for workload in ("resnet50", "bert-base"):
        u = model.uncertainty(catalog.resolve("tesla-k80"), workload)
        assert u["extrapolated"] and u["fraction"] == pytest.approx(worst, rel=1e-12), workload


def test_the_pair_uncertainty_band_of_a_ratio():
    """One rule for the band of a ratio of two speeds: none when both are measured or both are one prediction of the
    same card (the ratio is 1 by construction); the predicted one's own band against a measurement; the two cells'
    ratio band for two validated predictions; the two bands in quadrature beside an unvalidated multi-GPU figure."""
    v100, t4 = catalog.resolve("tesla-v100-sxm2-16gb"), catalog.resolve("tesla-t4")
    uv, ut = model.uncertainty(v100, "resnet50"), model.uncertainty(t4, "resnet50")

    def side(gpu, u, count=1, unvalidated=False):
        return {"gpu": gpu, "count": count, "uncertainty": u, "unvalidated": unvalidated}

    assert model.pair_uncertainty(side(v100, None), side(t4, None), "resnet50") is None
    assert model.pair_uncertainty(side(v100, uv["fraction"]), side(v100, uv["fraction"]), "resnet50") is None
    assert model.pair_uncertainty(side(v100, uv["fraction"]), side(t4, None), "resnet50") == uv
    assert model.pair_uncertainty(side(v100, uv["fraction"]), side(t4, ut["fraction"]), "resnet50") \
        == model.ratio_uncertainty(v100, t4, "resnet50")
    wide = model.EXTRAPOLATION * uv["fraction"]
    four = model.pair_uncertainty(side(v100, wide, 4, True), side(t4, ut["fraction"]), "resnet50")
    assert four["fraction"] == pytest.approx((wide ** 2 + ut["fraction"] ** 2) ** 0.5) and four["extrapolated"]
    # four V100s against one: the same card, but not one prediction: the scaling's error stays
    assert model.pair_uncertainty(side(v100, wide, 4, True), side(v100, uv["fraction"]), "resnet50") is not None


def test_max_batch_is_worked_by_hand():
    d = model.demand("resnet50")
    mem = 16 * 1024**3
    usable = mem * 0.9 - 0.5 * 1024**3 - d.params * 12
    assert model.max_batch(d, "fp32", mem) == int(usable // (d.saved_elements * 4))
    assert model.max_batch(d, "amp", mem) == int(usable // (d.saved_elements * 2))


@pytest.mark.parametrize("card, ran", [("gtx-1080-ti", 100), ("titan-rtx", 224), ("tesla-v100-sxm2-16gb", 128),
                                       ("rtx-3090", 224), ("rtx-a6000", 496)])
def test_resnet50_fp32_batches_lambda_ran_fit_and_are_near_the_limit(card, ran):
    """Lambda's PyTorch ResNet-50 FP32 runs used the largest batch that fits (1080 Ti: 100 and TITAN RTX: 224 in the
    2020 logs; pytorch-train-bs-fp32.csv: V100 16GB 128, RTX 3090 224, RTX A6000 496). The model must fit them
    and not claim much more (its saved-activation count would be too low)."""
    gpu = catalog.resolve(card)
    mb = model.max_batch(model.demand("resnet50"), "fp32", gpu.memory_bytes)
    assert ran <= mb <= 1.5 * ran


def test_resnet50_saved_activations_by_tensor_type_worked_by_hand():
    """2 tensors per conv->BN->ReLU output, 1 per conv->BN output and per add->ReLU output (ResNet-50: 4.1 M,
    7.0 M and 5.5 M elements; 83 MB per image in fp32)."""
    d = model.demand("resnet50")
    assert d.elementwise_elements == pytest.approx(16.63e6, rel=0.01)
    assert d.sample_bytes("fp32") == pytest.approx(82.9e6, rel=0.01)
    assert 10.0 < d.passes_per_element < 10.5


@pytest.mark.parametrize("workload, kind", [("train_cnn", "cnn"), ("train_transformer", "transformer")])
def test_suite_workload_demands_match_the_kernels_models(workload, kind):
    """The train_cnn / train_transformer demands are counted from the same shapes kernels/train.py builds: the
    parameter count of the real torch model and the kernel's own forward-FLOP formula."""
    pytest.importorskip("torch")
    from rigbench.kernels import train

    wl = train.build_workload(kind, quick=False, device="cpu")
    d = model.demand(workload)
    assert d.params == sum(p.numel() for p in wl.model.parameters())
    assert d.tensor_flops == pytest.approx(3 * wl.flops_per_sample, rel=1e-12)
    assert d.optimizer_bytes_per_param == 16                         # AdamW: weights, grads, two moments


@pytest.mark.parametrize("gpu", catalog.load_catalog(), ids=lambda g: g.id)
@pytest.mark.parametrize("workload", model.WORKLOADS)
def test_every_card_gets_a_positive_prediction_for_every_workload(gpu, workload):
    cap = model.capability_from_gpu(gpu)
    for p in model.PRECISIONS:
        pred = model.predict(cap, workload, p)
        assert pred.throughput > 0 and pred.source == "predicted" and pred.max_batch >= 1


def test_unknown_workload_and_precision_are_user_errors():
    cap = model.capability_from_gpu(catalog.resolve("rtx-3090"))
    with pytest.raises(UserError, match="valid: resnet50"):
        model.predict(cap, "vgg", "fp32")
    with pytest.raises(UserError, match="valid: fp32, amp"):
        model.predict(cap, "resnet50", "int8")


def _results_doc():
    ms = [
        {"kernel": "gemm", "device": "cuda:0", "dtype": "float32", "value": 12.0, "unit": "TFLOP/s", "status": "ok", "valid": True},
        {"kernel": "gemm", "device": "cuda:0", "dtype": "float16", "value": 80.0, "unit": "TFLOP/s", "status": "ok", "valid": True},
        {"kernel": "memcopy", "device": "cuda:0", "dtype": "float32", "value": 520.0, "unit": "GB/s", "status": "ok", "valid": True},
        {"kernel": "train_cnn", "device": "cuda:0", "dtype": "float32", "value": 700.0, "unit": "samples/s", "status": "ok", "valid": True,
         "params": {"image": 32, "channels": [64, 128, 256], "blocks": 1, "classes": 100, "model": "cnn", "batch_size": 256}},
        {"kernel": "gemm", "device": "cuda:0", "dtype": "float32", "value": 1.0, "unit": "TFLOP/s", "status": "failed", "valid": False},
        {"kernel": "gemm", "device": "cpu", "dtype": "float32", "value": 0.5, "unit": "TFLOP/s", "status": "ok", "valid": True},
    ]
    return {"schema": "rigbench.results/1", "status": "complete", "created_utc": "2026-01-02T03:04:05Z", "host": "box",
            "probe": {"gpus": [{"index": 0, "name": "NVIDIA GeForce RTX 2080 Ti", "catalog_id": "rtx-2080-ti"}]},
            "measurements": ms}


def test_capability_from_results_uses_measured_numbers_and_ignores_invalid_ones():
    cap = model.capability_from_results(_results_doc(), "cuda:0")
    assert cap.source == "measured"
    assert cap.bandwidth_gbps == 520.0
    assert cap.peak["measured_gemm_fp32_tflops"] == 12.0
    pred = model.predict(cap, "train_cnn", "fp32")
    assert pred.source == "measured" and pred.throughput == 700.0
    assert model.predict(cap, "resnet50", "fp32").source == "predicted"
    # the factor the measurement implies is recorded (it reproduces the measurement), never applied elsewhere
    cal = cap.factors["calibrated_fp32"]
    assert cal["applied"] is False
    f = cap.factors["fp32"]["factor"]
    scaled = dataclasses.replace(cap, conv_tflops={k: v * cal["factor"] / f for k, v in cap.conv_tflops.items()},
                                       matmul_tflops={k: v * cal["factor"] / f for k, v in cap.matmul_tflops.items()})
    compute_s, memory_s = model.times_per_sample(scaled, model.demand("train_cnn"), "fp32")
    assert 1 / (compute_s + memory_s) == pytest.approx(700.0, rel=1e-6)


def test_results_without_the_device_is_a_user_error():
    with pytest.raises(UserError, match="cuda:3"):
        model.capability_from_results(_results_doc(), "cuda:3")


# ---------------------------------------------------------------------------- measured capability (review findings)

def _doc(card: str, *ms: dict, name: str | None = None) -> dict:
    """A hand-made rigbench.results/1 document for one catalog card on cuda:0."""
    full = [{"device": "cuda:0", "status": "ok", "valid": True, "invalid_reasons": [], **m} for m in ms]
    return {"schema": "rigbench.results/1", "status": "complete", "created_utc": "2026-01-02T03:04:05Z", "host": "box",
            "probe": {"gpus": [{"index": 0, "name": name or card, "catalog_id": card}]}, "measurements": full}


def _gemm(dtype: str, tflops: float, size: int = 8192) -> dict:
    return {"kernel": "gemm", "dtype": dtype, "value": tflops, "unit": "TFLOP/s",
            "params": {"m": size, "n": size, "k": size, "itemsize": 4}}


QUICK_CNN = {"image": 32, "channels": [16, 32, 64], "blocks": 1, "classes": 10, "model": "cnn", "batch_size": 128}
FULL_CNN = {"image": 32, "channels": [64, 128, 256], "blocks": 1, "classes": 100, "model": "cnn", "batch_size": 256}


def test_measured_fp32_gemm_is_tf32_on_ga100_and_float32_on_ga10x_never_a_median_across_dtypes():
    # A100 SXM4 spec: 19.5 TFLOP/s FP32, 156 TF32, 312 FP16/BF16 tensor; the model's fp32 there is TF32
    a100 = model.capability_from_results(_doc("a100-sxm4-80gb", _gemm("float32", 19.0), _gemm("tf32", 140.0),
                                              _gemm("float16", 250.0), _gemm("bfloat16", 200.0)))
    assert a100.peak["measured_gemm_fp32_tflops"] == 140.0 and a100.peak["measured_gemm_fp32_dtype"] == "tf32"
    assert a100.peak["measured_gemm_amp_tflops"] == 250.0 and a100.peak["measured_gemm_amp_dtype"] == "float16"
    # RTX 3090 (GA102): the model's fp32 is the FP32 CUDA-core rate, so the float32 gemm measures it
    r3090 = model.capability_from_results(_doc("rtx-3090", _gemm("float32", 30.0), _gemm("tf32", 33.0)))
    assert r3090.peak["measured_gemm_fp32_tflops"] == 30.0 and r3090.peak["measured_gemm_fp32_dtype"] == "float32"
    # only bfloat16 measured on an A100 (BF16 = FP16 tensor rate there): it stands in for amp
    bf = model.capability_from_results(_doc("a100-sxm4-80gb", _gemm("bfloat16", 260.0)))
    assert bf.peak["measured_gemm_amp_dtype"] == "bfloat16"


def test_the_largest_gemm_case_is_used_not_a_median_over_sizes():
    cap = model.capability_from_results(_doc("rtx-3090", _gemm("float32", 10.0, 1024), _gemm("float32", 25.0, 4096),
                                             _gemm("float32", 29.0, 8192)))
    assert cap.peak["measured_gemm_fp32_tflops"] == 29.0


def test_a_quick_train_cnn_is_not_reported_as_measured_and_does_not_move_resnet50():
    catalog_cap = model.capability_from_gpu(catalog.resolve("a100-sxm4-80gb"))
    doc = _doc("a100-sxm4-80gb", {"kernel": "train_cnn", "dtype": "amp", "value": 9000.0, "unit": "samples/s",
                                  "params": QUICK_CNN})
    cap = model.capability_from_results(doc)
    assert ("train_cnn", "amp") not in cap.measured and "ignored_train_cnn_amp" in cap.factors
    assert model.predict(cap, "train_cnn", "amp").source == "predicted"
    for w in ("resnet50", "bert-base"):
        assert model.predict(cap, w, "amp").throughput == model.predict(catalog_cap, w, "amp").throughput
    assert round(model.predict(cap, "resnet50", "amp").throughput) == 1582        # the Lambda fit, untouched


def test_a_full_size_train_cnn_is_measured_but_still_does_not_calibrate_resnet50():
    catalog_cap = model.capability_from_gpu(catalog.resolve("a100-sxm4-80gb"))
    doc = _doc("a100-sxm4-80gb", {"kernel": "train_cnn", "dtype": "amp", "value": 9000.0, "unit": "samples/s",
                                  "params": FULL_CNN})
    cap = model.capability_from_results(doc)
    assert model.predict(cap, "train_cnn", "amp").throughput == 9000.0
    assert model.predict(cap, "train_cnn", "amp").source == "measured"
    assert cap.factors["calibrated_amp"]["applied"] is False
    assert model.predict(cap, "resnet50", "amp").throughput == model.predict(catalog_cap, "resnet50", "amp").throughput


def test_suite_config_is_what_the_kernel_runs_by_default():
    from kernels.train import CNN_CONFIGS, TRANSFORMER_CONFIGS

    cnn = dict(CNN_CONFIGS[False])
    assert model.suite_config("train_cnn") == {**cnn, "channels": list(cnn["channels"])}
    t = TRANSFORMER_CONFIGS[False]
    assert model.suite_config("train_transformer") == t


def test_measured_gemm_without_a_typical_fraction_is_recorded_not_double_counted():
    gpu = catalog.resolve("rtx-3090")
    cat = model.predict(model.capability_from_gpu(gpu), "resnet50", "fp32").throughput
    # 90 % of the model's fp32 peak (35.58 TFLOP/s): the old g x f form predicted below the catalog
    cap = model.capability_from_results(_doc("rtx-3090", _gemm("float32", 0.9 * 35.58)))
    assert model.predict(cap, "resnet50", "fp32").throughput == pytest.approx(cat, rel=1e-12)
    assert cap.factors["measured_gemm_fp32"]["applied"] is False
    assert cap.factors["measured_gemm_fp32"]["fraction_of_peak"] == pytest.approx(0.9)


def test_measured_gemm_scales_the_catalog_by_measured_over_typical_fraction(monkeypatch):
    eff = dict(model.load_efficiency())
    eff["gemm_reference"] = {"ampere-8.6": {"fp32": {"fraction": 0.8, "source": "test"}}}
    monkeypatch.setattr(model.efficiency, "load_efficiency", lambda: eff)
    gpu = catalog.resolve("rtx-3090")
    cat = model.capability_from_gpu(gpu)
    typical = model.capability_from_results(_doc("rtx-3090", _gemm("float32", 0.8 * 35.58)))
    assert typical.matmul_tflops["fp32"] == pytest.approx(cat.matmul_tflops["fp32"], rel=1e-12)
    assert model.predict(typical, "resnet50", "fp32").throughput == pytest.approx(
        model.predict(cat, "resnet50", "fp32").throughput, rel=1e-12)
    slow = model.capability_from_results(_doc("rtx-3090", _gemm("float32", 0.72 * 35.58)))   # 10 % under typical
    c_cat, m_cat = model.times_per_sample(cat, model.demand("resnet50"), "fp32")
    c_slow, m_slow = model.times_per_sample(slow, model.demand("resnet50"), "fp32")
    assert c_slow == pytest.approx(c_cat / 0.9, rel=1e-12) and m_slow == m_cat


def test_measurements_that_are_all_invalid_are_named_invalid_not_missing():
    bad = {"status": "ok", "valid": False, "invalid_reasons": ["spread 20% of the median (IQR over median above 10%)"]}
    doc = _doc("rtx-3090", {"kernel": "memcopy", "dtype": "float32", "value": 800.0, **bad})
    with pytest.raises(UserError, match=r"present but INVALID \(spread 20% of the median"):
        model.capability_from_results(doc)
    # an unknown card: a valid memcopy, but its gemm is present-and-invalid
    doc = _doc("x", {"kernel": "memcopy", "dtype": "float32", "value": 800.0},
               {**_gemm("float32", 20.0), **bad}, name="NVIDIA Mystery GPU")
    doc["probe"]["gpus"][0]["catalog_id"] = None
    with pytest.raises(UserError, match=r"gemm fp32 present but INVALID \(spread 20%"):
        model.capability_from_results(doc)


# The model and the views over it import the package's own modules at the top of the file; only the suite's
# training models (rigbench.kernels: torch) are imported inside a function, where they are used.
_TOP_IMPORT_FILES = ["model/__init__.py", "model/demand.py", "model/efficiency.py", "model/capability.py",
                     "model/measured.py", "model/roofline.py", "model/validation.py", "model/predict.py",
                     "comparison.py", "catalog.py", "scaling.py", "plots.py", "cli/compare.py", "cli/gpus.py"]


@pytest.mark.parametrize("name", _TOP_IMPORT_FILES)
def test_own_light_modules_are_imported_at_the_top_of_the_file(name):
    path = Path(model.__file__).resolve().parents[1] / name
    tree = ast.parse(path.read_text(encoding="utf-8"))
    local = []
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            mods = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                    else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            local += [f"{fn.name}: {m}" for m in mods
                      if m.split(".")[0] == "rigbench" and not m.startswith("rigbench.kernels")]
    assert local == [], f"{name} imports the package's own modules inside functions"


def test_full_rate_tensor_gain_worked_by_hand():
    """RTX A6000 amp: SM-rate peak 2 x 38.71 = 77.42 TFLOP/s (profiles [peak]), spec FP16 tensor with FP32 accumulate
    154.8 (GA102 whitepaper V2.0), GA10x share s = 0.429: gain = 1 / (1 - s + s x 77.42 / 154.8). fp32 (TF32):
    77.4 against 38.71. GeForce (RTX 3090: TF32 35.6 printed for 35.58), GA100, Hopper: no gain; Ada's share is 0."""
    s = model.load_efficiency()["tensor_share"]["ampere-8.6"]["share"]
    a6000 = catalog.resolve("rtx-a6000")
    gain, how = model.full_rate_gain(a6000, "amp")
    assert gain == pytest.approx(1 / (1 - s + s * (2 * 38.71) / 154.8), rel=1e-12)
    assert model.full_rate_gain(a6000, "fp32")[0] == pytest.approx(1 / (1 - s + s * 38.71 / 77.4), rel=1e-12)
    assert "ampere-8.6" in how
    for card in ("rtx-3090", "rtx-3070", "a100-sxm4-80gb", "h100-sxm", "gtx-1080-ti", "rtx-2080-ti"):
        for p in ("fp32", "amp"):
            assert model.full_rate_gain(catalog.resolve(card), p)[0] == 1.0, (card, p)
    assert model.full_rate_gain(catalog.resolve("rtx-6000-ada"), "amp")[0] == 1.0       # fitted share 0
    assert model.full_rate_gain(catalog.resolve("titan-rtx"), "amp")[0] == 1.0          # Turing: not fitted


def test_full_rate_gain_scales_only_the_transformer_rate():
    """The A6000's BERT tensor rate carries the gain, its ResNet-50 rate does not, and the gain is recorded."""
    a6000 = catalog.resolve("rtx-a6000")
    with_gain = model.capability_from_gpu(a6000)
    without = model.capability_from_gpu(a6000, share=0.0)
    gain = model.full_rate_gain(a6000, "amp")[0]
    assert with_gain.transformer_tflops["amp"] == pytest.approx(without.transformer_tflops["amp"] * gain, rel=1e-12)
    assert with_gain.conv_tflops == without.conv_tflops
    assert with_gain.factors["transformer_full_rate_amp"]["factor"] == pytest.approx(gain)


@pytest.mark.parametrize("key", ["ampere-8.6", "ada"])
def test_the_tensor_share_is_fitted_on_its_named_rows_only(key):
    share = model.load_efficiency()["tensor_share"][key]["share"]
    assert model.fit_tensor_share(key) == pytest.approx(share, abs=1e-3)
    assert 0.0 <= share <= 1.0


def test_a_card_that_cannot_hold_one_sample_has_no_throughput_and_says_why():
    """BERT-large's weights, gradients and Adam state (16 bytes per parameter) do not fit a 6 GiB card after the
    context and the reserve: max batch 0 is no training at all, not a figure. The roofline's would also have dropped
    the optimizer step's share (spread over a batch of 0) and read faster than an 8 GiB card holding a batch of 1."""
    cap = model.capability_from_gpu(catalog.resolve("gtx-1060"))
    pred = model.predict(cap, "bert-large-squad", "fp32")
    assert pred.max_batch == 0 and pred.throughput is None and pred.uncertainty is None
    assert pred.reason.startswith("does not fit: the weights, gradients and optimizer state need 5.0 GiB of the ")
    assert "card's 6.0 GiB" in pred.reason and pred.to_dict()["reason"] == pred.reason
    # a card that holds one sample keeps its figure, with no reason
    fits = model.predict(model.capability_from_gpu(catalog.resolve("gtx-1080")), "bert-large-squad", "fp32")
    assert fits.max_batch >= 1 and fits.throughput > 0 and fits.reason is None
    d = model.demand("bert-large-squad")
    assert model.no_fit_reason(d, "fp32", catalog.resolve("gtx-1080").memory_bytes) is None
    assert model.no_fit_reason(d, "fp32", None) is None


def test_no_fit_reason_names_one_sample_where_the_fixed_state_alone_fits():
    d = model.demand("bert-large-squad")
    usable = model.usable_bytes(catalog.resolve("gtx-1080").memory_bytes)
    # memory for the fixed state and half a sample, in a card whose usable memory is just that
    mem = catalog.resolve("gtx-1080").memory_bytes * (d.fixed_bytes + d.sample_bytes("fp32") / 2) / usable
    assert model.max_batch(d, "fp32", int(mem)) == 0
    why = model.no_fit_reason(d, "fp32", int(mem))
    assert why.startswith("does not fit: the weights, gradients and optimizer state (") and "one sample's" in why


def test_kepler_issues_two_thirds_of_its_spec_rate_and_no_later_sm_is_limited():
    """GK210's SMX: 192 FP32 cores, four warp schedulers of 32 lanes: 128 / 192 = 2/3 of the spec rate without dual
    issue (NVIDIA's Kepler GK110/GK210 whitepaper). Every later SM has one scheduler per 32 cores."""
    k80 = catalog.resolve("tesla-k80")
    assert k80.cuda_cores / k80.sm_count == 192
    frac, how = model.issue_fraction(k80)
    assert frac == pytest.approx(2 / 3) and "192 cores per SM" in how
    assert [g.id for g in catalog.load_catalog() if model.issue_fraction(g)[0] != 1.0] == ["tesla-k80"]
    cap = model.capability_from_gpu(k80)
    f, _ = model.compute_factor("kepler", "fp32", k80.compute_capability)
    assert cap.conv_tflops["fp32"] == pytest.approx(4.37 * f * cap.clock_fraction * 2 / 3, rel=1e-12)
    assert cap.factors["issue"]["factor"] == pytest.approx(2 / 3)
