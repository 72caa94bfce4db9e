"""train_cnn / train_transformer: FLOP formulas (hand counts and torch's flop counter), learning, gradients
against a float64 copy, and the build_workload / train_step API other parts rely on."""

import math

import pytest

torch = pytest.importorskip("torch")

from rigbench.kernels import REGISTRY, KernelFault, KernelSkip, RunContext, base  # noqa: E402
from rigbench.kernels.train import (  # noqa: E402
    CNN_CONFIGS, TRANSFORMER_CONFIGS, _workload_from_config, build_workload, channels_last_fault, cnn_forward_flops, gradient_rel_error,
    make_optimizer, train_step, transformer_forward_flops,
)

TINY_CNN = {"image": 8, "channels": (2, 4), "blocks": 1, "classes": 3}
TINY_GPT = {"layers": 1, "d_model": 8, "heads": 2, "seq": 4, "vocab": 16}


def test_cnn_flops_hand_count():
    stem = 2 * 3 * 2 * 9 * 8 * 8                  # 6912
    stage0 = 2 * (2 * 2 * 2 * 9 * 8 * 8)          # two 2->2 convs at 8x8: 9216
    stage1 = 2 * 2 * 4 * 9 * 16 + 2 * 4 * 4 * 9 * 16 + 2 * 2 * 4 * 16  # stride-2 conv, conv, 1x1 shortcut: 7168
    fc = 2 * 4 * 3                                # 24
    assert stem + stage0 + stage1 + fc == 23320
    assert cnn_forward_flops(TINY_CNN) == 23320


def test_transformer_flops_hand_count():
    qkv, proj, mlp, attn = 2 * 4 * 8 * 24, 2 * 4 * 8 * 8, 2 * (2 * 4 * 8 * 32), 2 * (2 * 4 * 4 * 8) // 2  # causal
    head = 2 * 4 * 8 * 16
    assert qkv + proj + mlp + attn + head == 7424
    assert transformer_forward_flops(TINY_GPT) == 7424


@pytest.mark.parametrize("kind,cfg", [("cnn", CNN_CONFIGS[True]), ("transformer", TRANSFORMER_CONFIGS[True]),
                                      ("cnn", TINY_CNN)])
def test_forward_flops_match_torch_flop_counter(kind, cfg):
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    wl = _workload_from_config(kind, dict(cfg), "cpu", 2)
    x, _ = wl.sample_batch()
    counter = FlopCounterMode(display=False)
    # the math backend writes attention as two batched matmuls the counter sees (it does not count the CPU flash
    # kernel); it computes the full L x L square, masked half included, which our causal count leaves out
    with sdpa_kernel(SDPBackend.MATH), counter, torch.no_grad():
        wl.model(x)
    masked_half = cfg["layers"] * 2 * cfg["seq"] ** 2 * cfg["d_model"] if kind == "transformer" else 0
    assert counter.get_total_flops() == pytest.approx(2 * (wl.flops_per_sample + masked_half), rel=1e-9)


def test_kernel_flops_are_three_forwards_per_sample():
    k = REGISTRY["train_transformer"]
    (case,) = k.cases("cpu", "float32", RunContext(quick=True))
    assert k.flops(case) == 3 * transformer_forward_flops(TRANSFORMER_CONFIGS[True]) * case["batch_size"]
    assert k.items(case) == case["batch_size"] and k.metric == "throughput"


def test_quick_cpu_cases_are_float32_only(monkeypatch):
    ctx = RunContext(quick=True)
    for name in ("train_cnn", "train_transformer"):
        assert len(REGISTRY[name].cases("cpu", "float32", ctx)) == 1
        assert REGISTRY[name].cases("cpu", "amp", ctx) == []
        # the default suite trains with bfloat16 autocast where the CPU has native bfloat16 (the /proc/cpuinfo flags
        # of a Zen 4), and says why not on an AVX2-only CPU
        monkeypatch.setattr(base, "probe_cpu", lambda: {"flags": {"avx2": True, "avx512f": True, "avx512_bf16": True}})
        assert len(REGISTRY[name].cases("cpu", "amp", RunContext())) == 1
        monkeypatch.setattr(base, "probe_cpu", lambda: {"flags": {"avx2": True, "fma": True}})
        with pytest.raises(KernelSkip, match="no native bfloat16 arithmetic"):
            REGISTRY[name].cases("cpu", "amp", RunContext())


@pytest.mark.parametrize("kind", ["cnn", "transformer"])
def test_build_workload_api(kind):
    wl = build_workload(kind, quick=True, device="cpu", batch_size=4)
    assert wl.batch_size == 4 and wl.model.training and wl.flops_per_sample > 0
    x1, y1 = wl.sample_batch()
    x2, _ = wl.sample_batch()
    assert x1.shape[0] == 4 and y1.shape[0] == 4 and not torch.equal(x1, x2)  # fresh random data
    if kind == "cnn":
        assert x1.is_floating_point() and float(x1.abs().mean()) > 0.5
    loss = wl.loss(wl.model(x1), y1)
    # an untrained classifier is near chance: cross-entropy about ln(classes)
    n_classes = wl.config["classes"] if kind == "cnn" else wl.config["vocab"]
    assert abs(float(loss.detach()) - math.log(n_classes)) < 1.5


@pytest.mark.parametrize("kind", ["cnn", "transformer"])
def test_loss_decreases_on_a_fixed_batch(kind):
    wl = build_workload(kind, quick=True, device="cpu", batch_size=8)
    opt = make_optimizer(wl)
    x, y = wl.sample_batch()
    losses = [train_step(wl, opt, x, y) for _ in range(8)]
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < 0.9 * losses[0], losses


@pytest.mark.parametrize("kind", ["cnn", "transformer"])
def test_gradients_match_float64_copy(kind):
    cfg = TINY_CNN if kind == "cnn" else TINY_GPT
    wl = _workload_from_config(kind, dict(cfg), "cpu", 3)
    x, y = wl.sample_batch()
    assert gradient_rel_error(wl, x, y) < 1e-5
    if kind == "transformer":
        # bfloat16 autocast: layer norm and softmax run in float32, about 0.3% off here (the CNN's batch norm is
        # much noisier at this tiny size; its amp check is the default-size test below)
        assert gradient_rel_error(wl, x, y, torch.bfloat16) < 0.02


def test_gradient_check_catches_a_wrong_model():
    wl = _workload_from_config("cnn", dict(TINY_CNN), "cpu", 3)
    x, y = wl.sample_batch()

    class Off(torch.nn.Module):  # a "faulty device": the float32 model computes 10% off; the float64 copy does not
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, t):
            out = self.m(t)
            return out * 1.1 if t.dtype == torch.float32 else out

    wl.model = Off(wl.model)
    assert gradient_rel_error(wl, x, y) > 0.01


@pytest.mark.parametrize("name", ["train_cnn", "train_transformer"])
def test_kernel_runs_and_verifies_on_cpu(name):
    k = REGISTRY[name]
    case = dict(k.cases("cpu", "float32", RunContext(quick=True))[0], batch_size=4)
    p = k.prepare("cpu", "float32", case, RunContext(quick=True))
    for _ in range(2):
        p.run()
    p.verify()
    assert p.info["grad_rel_err_vs_float64"] < 1e-4
    assert p.info["train_flops_per_sample"] == 3 * p.info["forward_flops_per_sample"]
    p.close()


def test_amp_on_cpu_is_bfloat16_autocast():
    k = REGISTRY["train_transformer"]
    case = dict(k.cases("cpu", "float32", RunContext(quick=False))[0], **TINY_GPT, batch_size=4)  # same sizes as amp
    p = k.prepare("cpu", "amp", case, RunContext())
    p.run()
    p.verify()
    assert p.info["amp_dtype"] == "bfloat16" and p.info["grad_scaler"] is False


def test_nan_loss_is_a_fault():
    k = REGISTRY["train_cnn"]
    case = dict(k.cases("cpu", "float32", RunContext(quick=True))[0], batch_size=4)
    p = k.prepare("cpu", "float32", case, RunContext())
    p.losses = [float("nan")]
    with pytest.raises(KernelFault, match="finite"):
        p.verify()


def test_shrink_halves_batch():
    k = REGISTRY["train_cnn"]
    assert k.shrink({"model": "cnn", "batch_size": 256})["batch_size"] == 128
    assert k.shrink({"model": "cnn", "batch_size": 2}) is None


def test_cuda_amp_step():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU on this machine: float16 autocast with GradScaler needs one")
    for name in ("train_cnn", "train_transformer"):
        k = REGISTRY[name]
        case = dict(k.cases("cuda:0", "amp", RunContext(quick=True))[0], batch_size=8)
        try:
            p = k.prepare("cuda:0", "amp", case, RunContext())
        except Exception as exc:  # KernelSkip on a GPU without tensor cores
            pytest.skip(str(exc))
        p.run()
        p.verify()


def test_amp_cnn_at_default_size_passes_its_gross_error_check():
    # bfloat16 batch-norm backward loses about 10% here (see _GRAD_REL_ERR); a wrong kernel would be off by ~1
    k = REGISTRY["train_cnn"]
    case = dict(k.cases("cpu", "float32", RunContext(quick=False))[0], batch_size=4)  # same sizes as amp
    p = k.prepare("cpu", "amp", case, RunContext())
    p.run()
    p.verify()
    assert 1e-3 < p.info["grad_rel_err_vs_float64"] < 0.25


def test_cnn_trains_in_channels_last_only_where_its_gradients_are_right():
    # The layout check runs the case a ResNet shortcut needs (strided 1x1 convolution) against float64; where the
    # library gets it wrong the CNN falls back to the contiguous layout and says why.
    wl = build_workload("cnn", quick=True, device="cpu", batch_size=4)
    note = channels_last_fault("cpu")
    assert wl.channels_last == (note is None)
    assert wl.layout_note == note
    if note is not None:
        assert "contiguous layout" in note and "relative error" in note
    x, y = wl.sample_batch()
    assert x.is_contiguous(memory_format=torch.channels_last) == wl.channels_last
