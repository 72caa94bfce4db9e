"""attention: FLOP and byte formulas against hand counts; results against a float64 softmax(QK^T/sqrt(D))V."""

import pytest

from rigbench.kernels import REGISTRY, KernelFault, RunContext
from rigbench.kernels.attention import reference_attention

K = REGISTRY["attention"]
SMALL = {"b": 2, "h": 3, "l": 16, "d": 8, "itemsize": 4}


def test_forward_flops_hand_count():
    # per (batch, head): Q K^T is 16x16 outputs of 8 multiply-adds = 2048 multiply-adds, P V the same:
    # 4096 multiply-adds = 8192 FLOPs; 6 (batch, head) pairs -> 49152
    assert K.flops(dict(SMALL, **{"pass": "forward"})) == 49152


def test_backward_is_two_and_a_half_forward():
    assert K.flops(dict(SMALL, **{"pass": "backward"})) == 2.5 * 49152


def test_bytes_hand_count():
    t = 2 * 3 * 16 * 8 * 4  # one B x H x L x D float32 tensor: 3072 bytes
    assert K.bytes_moved(dict(SMALL, **{"pass": "forward"})) == 4 * t   # Q, K, V, O
    assert K.bytes_moved(dict(SMALL, **{"pass": "backward"})) == 9 * t  # Q, K, V, O, dO, dQ, dK, dV


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("pass_", ["forward", "backward"])
def test_result_matches_float64(dtype, pass_):
    p = K.prepare("cpu", dtype, dict(SMALL, **{"pass": pass_}), RunContext())
    p.run()
    p.verify()
    bound = 1e-5 if dtype == "float32" else 3e-2
    assert p.info["rel_err"] and all(0 <= e < bound for e in p.info["rel_err"].values()), p.info["rel_err"]
    assert p.info["causal"] is False
    p.close()


def test_reference_is_the_textbook_formula():
    torch = pytest.importorskip("torch")

    # one query, two keys with scores 0 and ln(3)*sqrt(D)/sqrt(D): weights 1/4 and 3/4
    d = 4
    q = torch.tensor([[[[1.0, 0, 0, 0]]]], dtype=torch.float64)
    k = torch.tensor([[[[0.0, 0, 0, 0], [2 * torch.log(torch.tensor(3.0)).item(), 0, 0, 0]]]], dtype=torch.float64)
    v = torch.tensor([[[[4.0, 0, 0, 0], [0.0, 8, 0, 0]]]], dtype=torch.float64)
    out = reference_attention(q, k, v)  # scale 1/sqrt(4) = 1/2
    assert d == 4 and torch.allclose(out, torch.tensor([[[[1.0, 6.0, 0, 0]]]], dtype=torch.float64))


def test_a_wrong_gradient_is_a_fault():
    p = K.prepare("cpu", "float32", dict(SMALL, **{"pass": "backward"}), RunContext())
    p.run()
    p.out = (p.out[0], p.out[1] * 0.98, p.out[2])
    with pytest.raises(KernelFault):
        p.verify()


def test_quick_cpu_cases_are_small_float32():
    ctx = RunContext(quick=True)
    cases = K.cases("cpu", "float32", ctx)
    assert [c["pass"] for c in cases] == ["forward", "backward"]
    assert K.cases("cpu", "bfloat16", ctx) == [] and K.cases("cpu", "float16", RunContext()) == []
    assert all(K.flops(c) < 5e9 for c in cases)


def test_shrink_reduces_batch_then_length():
    assert K.shrink(dict(SMALL, b=4, **{"pass": "forward"}))["b"] == 2
    assert K.shrink(dict(SMALL, b=1, l=1024, **{"pass": "forward"}))["l"] == 512
    assert K.shrink(dict(SMALL, b=1, l=128, **{"pass": "forward"})) is None


def test_cuda_against_float64():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU on this machine: the cuda attention path needs one")
    for dtype in ("float32", "float16"):
        for pass_ in ("forward", "backward"):
            p = K.prepare("cuda:0", dtype, dict(SMALL, d=64, **{"pass": pass_}), RunContext())
            p.run()
            torch.cuda.synchronize()
            p.verify()
