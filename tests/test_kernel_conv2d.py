"""conv2d: FLOP and byte formulas against hand counts; results against float64 on small sizes."""

import pytest

from rigbench.kernels import REGISTRY, KernelFault, RunContext

K = REGISTRY["conv2d"]
SMALL = {"n": 2, "c": 8, "k": 16, "h": 10, "w": 12, "r": 3, "s": 3, "itemsize": 4}


def test_forward_flops_is_two_per_multiply_add_on_real_input():
    # 3x3, padding 1: along the 10 rows, the first and last output row lose one filter row to the padding:
    # 10*3 - 2 = 28 taps; along the 12 columns 12*3 - 2 = 34. Per (n, k, c): 28*34 = 952 multiply-adds
    # (the textbook count with padding would be 10*12*9 = 1080). 2*16*8 pairs x 952 x 2 FLOPs = 487,424.
    assert K.taps(10, 3) == 28 and K.taps(12, 3) == 34
    assert K.flops(dict(SMALL, **{"pass": "forward"})) == 2 * 16 * 8 * 952 * 2 == 487424


def test_backward_flops_is_twice_forward():
    assert K.flops(dict(SMALL, **{"pass": "backward"})) == 2 * 487424


def test_taps_by_brute_force():
    # count the taps that land inside the input by walking a padded grid, for a few sizes and kernels
    for size in (1, 2, 5, 14):
        for kernel in (1, 3, 5):
            pad = (kernel - 1) // 2
            inside = sum(1 for out in range(size) for tap in range(kernel) if pad <= out + tap < size + pad)
            assert K.taps(size, kernel) == inside
    assert K.taps(14, 1) == 14   # a 1x1 convolution has no padding: every tap is real


def test_bytes_count_each_tensor_once():
    x, w, y = 2 * 8 * 10 * 12, 16 * 8 * 9, 2 * 16 * 10 * 12  # 1920, 1152, 3840 elements
    assert K.bytes_moved(dict(SMALL, **{"pass": "forward"})) == 4 * (1920 + 1152 + 3840)
    assert K.bytes_moved(dict(SMALL, **{"pass": "backward"})) == 4 * (3840 + 2 * 1920 + 2 * 1152)


def test_resnet50_conv4_flops():
    # ResNet-50 conv4_x 3x3: 256 -> 256 at 14x14: the textbook 2*256*256*9*196 = 231,211,008 FLOPs per image counts
    # the padding; on real input 40 x 40 taps per channel pair: 2*256*256*1600 = 209,715,200
    assert K.flops({"n": 1, "c": 256, "k": 256, "h": 14, "w": 14, "r": 3, "s": 3, "pass": "forward"}) == 209715200


def test_cases_quick_cpu_is_float32_forward_and_backward():
    ctx = RunContext(quick=True, usable_cores=2)
    assert [c["pass"] for c in K.cases("cpu", "float32", ctx)] == ["forward", "backward"]
    assert K.cases("cpu", "bfloat16", ctx) == []
    assert K.cases("cpu", "float16", RunContext()) == []  # float16 is a GPU case
    assert len(K.cases("cuda:0", "float16", RunContext())) == 2


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("pass_", ["forward", "backward"])
def test_result_matches_float64(dtype, pass_):
    params = dict(SMALL, **{"pass": pass_})
    p = K.prepare("cpu", dtype, params, RunContext())
    p.run()
    p.verify()
    errs = p.info["rel_err"]
    bound = 1e-5 if dtype == "float32" else 2e-2
    assert errs and all(0 <= e < bound for e in errs.values()), errs
    if pass_ == "forward":
        assert tuple(p.out.shape) == (2, 16, 10, 12)
        assert float(p.out.abs().mean()) > 0.1  # random inputs, not zeros
    else:
        assert tuple(p.out[0].shape) == (2, 8, 10, 12) and tuple(p.out[1].shape) == (16, 8, 3, 3)
    p.close()


def test_a_wrong_result_is_a_fault():
    p = K.prepare("cpu", "float32", dict(SMALL, **{"pass": "forward"}), RunContext())
    p.run()
    p.out = p.out * 1.01  # 1% off everywhere: far above float32 rounding
    with pytest.raises(KernelFault):
        p.verify()


def test_inputs_are_fresh_each_prepare():
    a = K.prepare("cpu", "float32", dict(SMALL, **{"pass": "forward"}), RunContext())
    b = K.prepare("cpu", "float32", dict(SMALL, **{"pass": "forward"}), RunContext())
    assert not bool((a.x == b.x).all())


def test_shrink_halves_batch_then_stops():
    assert K.shrink(dict(SMALL, n=8, **{"pass": "forward"}))["n"] == 4
    assert K.shrink(dict(SMALL, n=1, **{"pass": "forward"})) is None


def test_cuda_forward_and_backward_against_float64():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU on this machine: the cuda conv2d path needs one")
    for dtype in ("float32", "float16"):
        for pass_ in ("forward", "backward"):
            p = K.prepare("cuda:0", dtype, dict(SMALL, **{"pass": pass_}), RunContext())
            p.run()
            torch.cuda.synchronize()
            p.verify()
