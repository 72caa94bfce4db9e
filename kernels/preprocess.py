"""``preprocess``: the CPU side of an image input pipeline, in Numba, on one core and on all usable cores.

One call takes a batch of already-decoded uint8 images (N x 256 x 256 x 3, HWC, as a JPEG decoder hands them over:
decoding itself is not measured) and makes the network's input: a random 224 x 224 crop, a random horizontal flip
and per-channel normalisation ``(x / 255 - mean) / std`` (ImageNet mean and std) into float32 N x 3 x 224 x 224
(CHW). The crop offsets and flips are drawn inside the call, as a data loader does.

The figure is images/s; ``info`` also gives images/s **per core** (the call's own timings divided by its threads):
what decides the guideline "1-2 CPU cores per GPU (more if you're doing a lot of preprocessing)": divide a GPU's
training rate in images/s by this per-core figure to get the cores that GPU needs for this pipeline.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from rigbench import signals
from rigbench.kernels.base import Kernel, KernelFault, KernelSkip, Prepared, RunContext, njit_cached

# ImageNet channel statistics (RGB), as used by torchvision's ResNet training reference.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

_fn = None


def _kernel():
    global _fn
    if _fn is None:
        from numba import prange

        @njit_cached(parallel=True)
        def crop_flip_normalize(src, out, ys, xs, flips, scale, shift):
            ch, cw = out.shape[2], out.shape[3]
            for i in prange(out.shape[0]):
                y0, x0, flip = ys[i], xs[i], flips[i]
                for c in range(3):
                    sc, sh = scale[c], shift[c]
                    for y in range(ch):
                        row = y0 + y
                        for x in range(cw):
                            sx = x0 + (cw - 1 - x if flip else x)
                            out[i, c, y, x] = src[i, row, sx, c] * sc + sh

        _fn = crop_flip_normalize
    return _fn


def reference_preprocess(src, ys, xs, flips, crop: int):
    """The same pipeline in plain NumPy float64: crop, flip, (x/255 - mean)/std, HWC -> CHW."""
    mean = np.array(IMAGENET_MEAN, dtype=np.float64)
    std = np.array(IMAGENET_STD, dtype=np.float64)
    out = np.empty((src.shape[0], 3, crop, crop), dtype=np.float64)
    for i in range(src.shape[0]):
        img = src[i, ys[i]:ys[i] + crop, xs[i]:xs[i] + crop, :].astype(np.float64)
        if flips[i]:
            img = img[:, ::-1, :]
        out[i] = ((img / 255.0 - mean) / std).transpose(2, 0, 1)
    return out


class Preprocess(Kernel):
    name = "preprocess"
    backend = "numba"
    devices = ("cpu",)
    dtypes = ("float32",)
    metric = "throughput"
    description = "uint8 HWC images -> random crop + flip -> normalised float32 CHW (Numba), 1 core and all cores"

    @property
    def unit(self) -> str:
        return "images/s"

    def cases(self, device: str, dtype: str, ctx: RunContext) -> list[dict]:
        if device != "cpu" or dtype != "float32":
            return []
        base = {"images": 32 if ctx.quick else 256, "height": 256, "width": 256, "crop": 224}
        threads = sorted({1, max(1, ctx.usable_cores)})
        return [dict(base, threads=t) for t in threads]

    def label(self, params: dict) -> str:
        t = params["threads"]
        return f"{t} thread" + ("" if t == 1 else "s")

    def items(self, params: dict) -> float:
        return float(params["images"])

    def bytes_moved(self, params: dict) -> float:
        """Crop read as uint8 (3 bytes a pixel) plus the float32 output written (12 bytes a pixel)."""
        return float(params["images"] * params["crop"] ** 2 * (3 + 12))

    def flops(self, params: dict) -> float:
        return float(params["images"] * params["crop"] ** 2 * 3 * 2)  # a multiply and an add per output value

    def peak_key(self, dtype: str, params: dict) -> str | None:
        return None

    def shrink(self, params: dict) -> dict | None:
        return None if params["images"] <= 1 else dict(params, images=params["images"] // 2)

    def prepare(self, device: str, dtype: str, params: dict, ctx: RunContext) -> Prepared:
        if device != "cpu":
            raise KernelSkip("preprocess measures the CPU input pipeline: it runs on device 'cpu' only")
        if params["crop"] > min(params["height"], params["width"]):
            raise KernelSkip(f"crop {params['crop']} larger than the {params['height']}x{params['width']} source")
        return _PreprocessPrepared(params)


class _PreprocessPrepared(Prepared):
    def __init__(self, params: dict):
        super().__init__()
        import numba

        self.params = params
        self.threads = max(1, min(params["threads"], numba.config.NUMBA_NUM_THREADS))
        n, h, w, crop = params["images"], params["height"], params["width"], params["crop"]
        self.rng = np.random.default_rng()
        self.src = self.rng.integers(0, 256, size=(n, h, w, 3), dtype=np.uint8)
        self.out = np.empty((n, 3, crop, crop), dtype=np.float32)
        mean, std = np.array(IMAGENET_MEAN), np.array(IMAGENET_STD)
        self.scale = (1.0 / (255.0 * std)).astype(np.float32)
        self.shift = (-mean / std).astype(np.float32)
        self.fn = _kernel()
        numba.set_num_threads(self.threads)
        t0 = time.perf_counter()
        self._draw()
        with signals.deferred():   # a stop signal inside Numba's compiler would be swallowed there
            self.fn(self.src[:1], self.out[:1], self.ys, self.xs, self.flips, self.scale, self.shift)
        compile_s = time.perf_counter() - t0
        self.times_s: list[float] = []
        self.ran = False
        self.info = {"compile_s": round(compile_s, 4), "threads": self.threads,
                     "source": f"{n} x {h}x{w}x3 uint8 (decoded)", "output": f"{n} x 3x{crop}x{crop} float32",
                     "images_per_s_per_core": None}

    def _draw(self) -> None:
        p = self.params
        n = p["images"]
        self.ys = self.rng.integers(0, p["height"] - p["crop"] + 1, size=n)
        self.xs = self.rng.integers(0, p["width"] - p["crop"] + 1, size=n)
        self.flips = self.rng.integers(0, 2, size=n).astype(bool)

    def run(self) -> None:
        import numba

        t0 = time.perf_counter()
        numba.set_num_threads(self.threads)  # per calling thread
        self._draw()
        self.fn(self.src, self.out, self.ys, self.xs, self.flips, self.scale, self.shift)
        self.times_s.append(time.perf_counter() - t0)
        self.ran = True

    def _update_info(self) -> None:
        if self.times_s:
            med = statistics.median(self.times_s)
            self.info["own_median_s"] = med
            self.info["images_per_s_per_core"] = self.params["images"] / med / self.threads

    def verify(self) -> None:
        if not self.ran:
            raise KernelFault("preprocess: verify called before run")
        ref = reference_preprocess(self.src, self.ys, self.xs, self.flips, self.params["crop"])
        err = float(np.max(np.abs(self.out.astype(np.float64) - ref)))
        # values are at most |(1 - 0.406)/0.225| ~ 2.64; float32 rounding of scale, shift and the result ~ 1e-6
        self.info["max_abs_err"] = err
        self._update_info()
        if not err <= 1e-5:
            raise KernelFault(f"preprocess: output differs from the float64 NumPy pipeline by {err:.3g} (bound 1e-5)")

    def close(self) -> None:
        self._update_info()
        self.src = self.out = None


KERNELS = [Preprocess()]
