"""The built-in workloads through rigbench size's path (real torch models, traced) against the hand-counted demand
``compare`` uses. Slow: each traces three real ResNet-50 or BERT-base steps on this CPU."""

from __future__ import annotations

import pytest

from rigbench import catalog
from rigbench import model as perf_model
from rigbench.size import demand, load, plan

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def traced():
    out = {}
    for w in ("resnet50", "bert-base"):
        job = load.load(w)
        out[w] = (job, demand.measure(job, "fp32", "cuda"))
    return out


@pytest.mark.parametrize("workload", ["resnet50", "bert-base"])
def test_flops_through_size_agree_with_the_demand_compare_uses_within_2_percent(traced, workload):
    job, md = traced[workload]
    per_sample = md.demand(job.batch_size).tensor_flops
    assert per_sample == pytest.approx(perf_model.demand(workload).tensor_flops, rel=0.02)


def test_resnet50_has_torchvisions_parameter_count_and_its_flops_miss_only_the_stems_input_gradient(traced):
    """FlopCounterMode counts what runs: the stem convolution's input needs no gradient, so its backward computes
    the weight gradient only: 2 x 118,013,952 MACs x 1 fewer than the 3 x forward convention."""
    _, md = traced["resnet50"]
    assert md.params == 25_557_032
    stem_macs = 3 * 64 * 7 * 7 * 112 * 112
    assert md.flops.per_sample == pytest.approx(perf_model.demand("resnet50").tensor_flops - 2 * stem_macs, rel=1e-6)


def test_bert_base_parameters_are_the_profiles_plus_the_next_sentence_head(traced):
    _, md = traced["bert-base"]
    assert md.params == perf_model.demand("bert-base").params + (768 * 2 + 2)


def test_resnet50_through_size_predicts_compares_throughput_within_the_models_uncertainty(traced):
    job, md = traced["resnet50"]
    d = md.demand(job.batch_size)
    for card in ("gtx-1080-ti", "rtx-3090", "a100-sxm4-80gb", "h100-sxm"):
        gpu = catalog.resolve(card)
        cap = perf_model.capability_from_gpu(gpu)
        per_sample_s, _ = plan.time_per_sample(cap, d, "fp32")
        compare = perf_model.predict(cap, "resnet50", "fp32")
        assert 1 / per_sample_s == pytest.approx(compare.throughput, rel=compare.uncertainty), card
