"""rigbench size's memory prediction against real training steps on this CPU, and the affine rule it rests on."""

from __future__ import annotations

import contextlib
import importlib.util

import pytest

from conftest import REPO
from rigbench.size import demand, load, measure
from rigbench.size.trace import trace_step

torch = pytest.importorskip("torch")


def _shapes():
    spec = importlib.util.spec_from_file_location("size_shapes", REPO / "docs" / "examples" / "shapes.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


SHAPES = _shapes()
SMALL = {   # the five shapes, shrunk so a test step takes well under a second
    "cnn": lambda: SHAPES.cnn(batch=4),
    "encoder": lambda: SHAPES.encoder(batch=4, seq_len=32),
    "mlp": lambda: SHAPES.mlp(batch=4),
    "lstm": lambda: SHAPES.lstm(batch=4, seq_len=20),
    "tied": lambda: SHAPES.tied(batch=4, seq_len=32),
}


def _job(name: str):
    torch.manual_seed(0)
    return load._job_from(name, SMALL[name](), None)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_predicted_peak_is_within_10_percent_of_a_real_step_at_batch_16(name):
    predicted = demand.measure(_job(name), "fp32", "cpu").peak_bytes(16)
    measured = measure.peak_memory(_job(name), 16).peak_bytes
    assert predicted == pytest.approx(measured, rel=0.10), (name, predicted, measured)


def test_the_affine_rule_reproduces_a_direct_count_at_a_third_batch():
    """Fitted from batches 2 and 4, the peak at batch 12 equals the counter's own count of a step at 12, byte for
    byte, for a model whose peak moves from the optimizer step (small batches) to backward (large ones)."""
    job = _job("tied")
    md = demand.measure(job, "fp32", "cpu")
    assert md.moments, "the two steps ran the same operators"
    opt = load.make_optimizer(job, "cpu")
    step = demand._step_fn(job, "fp32", [])
    step(job.model, job.resized(12), opt, lambda _: contextlib.nullcontext(), lambda: None)
    opt.zero_grad(set_to_none=True)

    direct = trace_step(job.model, job.resized(12), step, opt, precision="fp32", target="cpu")
    assert md.peak_bytes(12) == pytest.approx(direct.peak_bytes, rel=1e-9)
    assert md.flops.at(12) == pytest.approx(direct.tensor_flops, rel=1e-9)


def test_weights_gradients_and_adam_state_are_counted_exactly_for_an_mlp():
    """784-1024-1024-10: 1,863,690 parameters; fp32 weights and gradients 4 B each, Adam two 4 B moments."""
    md = demand.measure(_job("mlp"), "fp32", "cpu")
    n = 784 * 1024 + 1024 + 1024 * 1024 + 1024 + 1024 * 10 + 10
    assert md.params == n
    assert md.param_bytes == 4 * n
    assert md.grad_bytes == 4 * n
    assert md.optimizer_bytes == pytest.approx(8 * n, abs=64)      # + Adam's step counters (one scalar each)


def test_tied_weights_are_counted_once():
    md = demand.measure(_job("tied"), "fp32", "cpu")
    net = SMALL["tied"]()[0]
    unique = sum(p.numel() for p in net.parameters())           # parameters() yields a shared one once
    assert md.params == unique
    assert md.param_bytes == 4 * unique


def test_sgd_keeps_one_momentum_buffer_per_parameter():
    job = load._job_from("mlp", SMALL["mlp"](), "sgd")
    md = demand.measure(job, "fp32", "cpu")
    assert md.optimizer_bytes == md.param_bytes


def test_a_linear_layer_flops_and_saved_input_by_hand():
    """Linear 64 -> 32 without bias at batch B: forward 2*64*32*B FLOPs, backward twice that (grad of the input is
    skipped: the input needs none, so only the weight gradient, 2*64*32*B). Saved for backward: nothing but the
    input batch, which is not counted as an activation."""
    net = torch.nn.Linear(64, 32, bias=False)
    job = load._job_from("linear", (net, torch.randn(4, 64)), None)
    md = demand.measure(job, "fp32", "cpu")
    assert md.flops.per_sample == pytest.approx(2 * 64 * 32 * 2, rel=1e-12)
    assert md.flops.fixed == pytest.approx(0, abs=1e-6)


def test_a_tiny_input_still_grows_with_the_batch_under_cuda_block_rounding():
    """Linear(10, 10) on float32 inputs: 40 bytes a sample, so batches 2 and 4 both round up to one 512-byte CUDA
    block and the fitted lines do not grow; the weights-and-input floor still does (40 bytes a sample, by hand)."""
    torch.manual_seed(0)
    job = load._job_from("tiny", (torch.nn.Linear(10, 10), torch.randn(4, 10)), None)
    md = demand.measure(job, "fp32", "cuda")
    assert md.input_bytes.per_sample == 0                  # the rounded input: the same block at both batches
    assert md.input_exact.per_sample == pytest.approx(40)  # 10 float32 a sample
    budget = 24 * 2**30
    assert md.max_batch(budget) == (budget - (md.param_bytes + md.buffer_bytes)) // 40
    assert md.max_batch(budget) != demand.ANY_BATCH
    assert md.peak_bytes(10**14) >= 40 * 10**14 and md.breakdown(10**14)["input"] == pytest.approx(40 * 10**14)
