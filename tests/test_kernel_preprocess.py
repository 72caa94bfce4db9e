"""preprocess: crop + flip + normalise against a float64 NumPy pipeline; images/s per core in info."""

import numpy as np
import pytest

from rigbench.kernels import REGISTRY, KernelFault, KernelSkip, RunContext
from rigbench.kernels.preprocess import IMAGENET_MEAN, IMAGENET_STD, reference_preprocess

K = REGISTRY["preprocess"]
SMALL = {"images": 6, "height": 40, "width": 48, "crop": 32, "threads": 1}


def test_counts_hand_worked():
    p = {"images": 10, "height": 256, "width": 256, "crop": 224, "threads": 1}
    assert K.items(p) == 10
    assert K.bytes_moved(p) == 10 * 224 * 224 * 15   # 3 uint8 read + 3 float32 written per pixel
    assert K.flops(p) == 10 * 224 * 224 * 3 * 2
    assert K.unit == "images/s" and K.metric == "throughput"
    assert K.value(p, 0.002) == pytest.approx(5000.0)   # 10 images in 2 ms


def test_cases_one_core_and_all_usable_cores():
    assert [c["threads"] for c in K.cases("cpu", "float32", RunContext(quick=True, usable_cores=2))] == [1, 2]
    assert [c["threads"] for c in K.cases("cpu", "float32", RunContext(quick=True, usable_cores=1))] == [1]
    assert K.cases("cuda:0", "float32", RunContext()) == []


def test_reference_by_hand_on_one_pixel():
    src = np.zeros((1, 2, 3, 3), dtype=np.uint8)
    src[0, 1, 2] = (255, 0, 51)  # bottom-right pixel of a 2x3 image
    # crop 1x1 at (1, 2), no flip
    out = reference_preprocess(src, np.array([1]), np.array([2]), np.array([False]), 1)
    expect = [(1.0 - IMAGENET_MEAN[0]) / IMAGENET_STD[0], (0.0 - IMAGENET_MEAN[1]) / IMAGENET_STD[1],
              (0.2 - IMAGENET_MEAN[2]) / IMAGENET_STD[2]]
    assert out[0, :, 0, 0] == pytest.approx(expect, rel=1e-12)


@pytest.mark.parametrize("threads", [1, 2])
def test_numba_matches_numpy_float64_with_same_crops_and_flips(threads):
    p = K.prepare("cpu", "float32", dict(SMALL, threads=threads), RunContext(usable_cores=2))
    p.run()
    ref = reference_preprocess(p.src, p.ys, p.xs, p.flips, 32)
    assert np.max(np.abs(p.out - ref)) < 1e-5
    p.verify()
    assert p.info["max_abs_err"] < 1e-5
    assert p.info["images_per_s_per_core"] > 0 and p.info["threads"] == threads
    assert p.out.dtype == np.float32 and p.out.shape == (6, 3, 32, 32)
    p.close()


def test_flip_mirrors_the_crop():
    p = K.prepare("cpu", "float32", SMALL, RunContext())
    p.run()
    flipped = [i for i in range(6) if p.flips[i]]
    plain = [i for i in range(6) if not p.flips[i]]
    for i in flipped:  # column 0 of a flipped output is the crop's last source column
        col = p.src[i, p.ys[i]:p.ys[i] + 32, p.xs[i] + 31, 0]
        assert np.allclose(p.out[i, 0, :, 0], (col / 255 - IMAGENET_MEAN[0]) / IMAGENET_STD[0], atol=1e-5)
    for i in plain:
        col = p.src[i, p.ys[i]:p.ys[i] + 32, p.xs[i], 0]
        assert np.allclose(p.out[i, 0, :, 0], (col / 255 - IMAGENET_MEAN[0]) / IMAGENET_STD[0], atol=1e-5)


def test_offsets_and_flips_are_drawn_every_call():
    p = K.prepare("cpu", "float32", dict(SMALL, images=64), RunContext())
    p.run()
    first = (p.ys.copy(), p.xs.copy(), p.flips.copy())
    p.run()
    assert not (np.array_equal(first[0], p.ys) and np.array_equal(first[1], p.xs))
    assert 0 < p.flips.sum() < 64  # both flipped and plain images in a batch of 64
    assert p.ys.max() <= 40 - 32 and p.xs.max() <= 48 - 32


def test_wrong_output_is_a_fault():
    p = K.prepare("cpu", "float32", SMALL, RunContext())
    p.run()
    p.out[0, 0, 0, 0] += 0.01
    with pytest.raises(KernelFault):
        p.verify()


def test_crop_larger_than_image_is_skipped():
    with pytest.raises(KernelSkip):
        K.prepare("cpu", "float32", dict(SMALL, crop=64), RunContext())
