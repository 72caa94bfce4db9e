"""The performance model: demands counted from layer shapes, factors reproducible from their fit set, validation."""

from __future__ import annotations

import pytest

from rigbench import catalog, model
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


def test_every_fitted_factor_is_reproduced_from_its_published_measurement():
    eff = model.load_efficiency()["compute"]
    for (arch, p), f in model.refit_factors().items():
        assert eff[arch][p]["factor"] == pytest.approx(f, abs=5e-4), (arch, p)
        assert 0 < f <= 1, (arch, p)


def test_the_model_reproduces_a_fit_measurement_exactly():
    v100 = catalog.resolve("tesla-v100-sxm2-16gb")
    assert model.predict(model.capability_from_gpu(v100), "resnet50", "amp").throughput == pytest.approx(1200, rel=1e-3)


def test_time_is_the_sum_of_compute_and_memory_terms_worked_by_hand():
    gpu = catalog.resolve("gtx-1080-ti")
    d = model.demand("resnet50")
    f = model.load_efficiency()["compute"]["pascal"]["fp32"]["factor"]
    compute_s = d.tensor_flops / (11.34e12 * f)
    memory_s = d.elementwise_elements * 12 * 4 / (484e9 * 0.83)
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
    """Lambda (2019): 2080 Ti is 1.41x a 1080 Ti on ResNet-50 FP32 and about 1.7x in FP16."""
    a = model.capability_from_gpu(catalog.resolve("rtx-2080-ti"))
    b = model.capability_from_gpu(catalog.resolve("gtx-1080-ti"))
    fp32 = model.predict(a, "resnet50", "fp32").throughput / model.predict(b, "resnet50", "fp32").throughput
    amp = model.predict(a, "resnet50", "amp").throughput / model.predict(b, "resnet50", "amp").throughput
    assert 1.25 < fp32 < 1.5
    assert 1.5 < amp < 1.9


def test_validation_pairs_are_outside_the_fit_set_and_mae_is_reported():
    rows = model.validation_table()
    assert len(rows) >= 8
    fit = model.load_efficiency()["compute"]
    for r in rows:
        for card in (r["gpu_a"], r["gpu_b"]):
            gpu = catalog.resolve(card)
            entry = fit.get(gpu.architecture, {}).get(r["precision"], {})
            assert entry.get("fit_gpu") != card, (card, r["precision"])
    mae = sum(abs(r["error"]) for r in rows) / len(rows)
    assert mae < 0.5     # the honest figure is in docs/model.md; this only guards against a broken model


def test_max_batch_is_worked_by_hand():
    d = model.demand("resnet50")
    mem = 16 * 1024**3
    usable = mem * 0.9 - 0.5 * 1024**3 - d.params * 12
    assert model.max_batch(d, "fp32", mem) == int(usable // (d.saved_elements * 4))
    assert model.max_batch(d, "amp", mem) == int(usable // (d.saved_elements * 2))


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
        {"kernel": "train_cnn", "device": "cuda:0", "dtype": "float32", "value": 700.0, "unit": "samples/s", "status": "ok", "valid": True},
        {"kernel": "gemm", "device": "cuda:0", "dtype": "float32", "value": 1.0, "unit": "TFLOP/s", "status": "failed", "valid": False},
        {"kernel": "gemm", "device": "cpu", "dtype": "float32", "value": 0.5, "unit": "TFLOP/s", "status": "ok", "valid": True},
    ]
    return {"schema": "rigbench.results/1", "status": "complete", "host": "box",
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
    assert "calibrated_fp32" in cap.factors
    # the calibrated capability reproduces the measurement it was calibrated on
    compute_s, memory_s = model.times_per_sample(cap, model.demand("train_cnn"), "fp32")
    assert 1 / (compute_s + memory_s) == pytest.approx(700.0, rel=1e-6)


def test_results_without_the_device_is_a_user_error():
    with pytest.raises(UserError, match="cuda:3"):
        model.capability_from_results(_results_doc(), "cuda:3")
