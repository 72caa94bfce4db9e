"""``conv2d``: a ResNet-50-style 3x3 convolution (stride 1, padding 1), forward or backward, through PyTorch.

Shapes follow the cuDNN naming: input N x C x H x W, weight K x C x R x S, output N x K x P x Q (P = H, Q = W for a
3x3 kernel with padding 1 and stride 1). One multiply-add counts two FLOPs, and only multiply-adds with a real input
element count: a filter tap that falls on the zero padding multiplies a zero, no implementation needs it, and oneDNN
skips it (measured here: a padded 14x14 convolution ran in 0.90x the time of the same-size unpadded one, against
(40/42)^2 = 0.907 predicted by the skipped taps). So

    forward  = 2 * N * K * C * taps(H, R) * taps(W, S),  taps(H, R) = sum over output rows of the filter rows that
               land inside the input (H*R - 2 for R = 3, padding 1: 40 instead of 42 at H = 14)
    backward = 2 * forward   (grad of the input and grad of the weight, each a convolution of the forward's size;
                              no bias, so nothing else)

The textbook 2*N*K*C*R*S*P*Q counts the padding too (10% more at 14x14): with it, oneDNN's convolution here reached
107% of a peak that the unpadded product of the same size never passes.

The backward case times ``aten.convolution_backward`` with both gradients requested, exactly the work autograd does
for this layer in training; the forward output and the incoming gradient are made (untimed) in ``prepare``.
"""

from __future__ import annotations

from rigbench.kernels.base import (ITEMSIZE, Kernel, KernelFault, Prepared, RunContext, rel_error,
                                   require_torch_device, skip_without_native, tf32_switches, torch_dtype)

# Relative error (Frobenius norm of the difference over the reference's norm) allowed against float64.
# float32 is IEEE float32 on every device (cuDNN's TF32 default is switched off while the kernel runs).
_REL_ERR = {"float32": 2e-3, "bfloat16": 2e-2, "float16": 5e-3}


class Conv2d(Kernel):
    name = "conv2d"
    backend = "torch"
    devices = ("cpu", "cuda")
    dtypes = ("float32", "bfloat16", "float16")
    metric = "flops"
    description = "ResNet-50-style 3x3 convolution, forward or backward (grad input + grad weight)"

    def cases(self, device: str, dtype: str, ctx: RunContext) -> list[dict]:
        kind = device.split(":")[0]
        if dtype == "float16" and kind != "cuda":
            return []  # float16 convolution on CPUs is an emulation path, not a capability worth measuring
        if ctx.quick:
            if kind == "cpu" and dtype != "float32":
                return []
            # ResNet-50 conv2_x: 64 channels at 56 x 56
            base = {"n": 8 if kind == "cpu" else 64, "c": 64, "k": 64, "h": 56, "w": 56, "r": 3, "s": 3}
        else:
            skip_without_native(device, dtype)
            # ResNet-50 conv4_x: 256 channels at 14 x 14
            base = {"n": 32 if kind == "cpu" else 256, "c": 256, "k": 256, "h": 14, "w": 14, "r": 3, "s": 3}
        base["itemsize"] = ITEMSIZE[dtype]
        return [dict(base, **{"pass": "forward"}), dict(base, **{"pass": "backward"})]

    # --- the work of one call -------------------------------------------------------------------------------
    def label(self, params: dict) -> str:
        chans = f"{params['c']}ch" if params["c"] == params["k"] else f"{params['c']}→{params['k']}ch"
        image = f"{params['h']}²" if params["h"] == params["w"] else f"{params['h']}×{params['w']}"
        return f"{'fwd' if params['pass'] == 'forward' else 'bwd'} {chans} {image}"

    @staticmethod
    def _pq(params: dict) -> tuple[int, int]:
        # stride 1, padding (R-1)/2: same spatial size
        return params["h"], params["w"]

    @staticmethod
    def taps(size: int, kernel: int) -> int:
        """Filter taps that land inside the input, summed over the output positions of one dimension (stride 1,
        padding (kernel-1)//2): the multiply-adds per (input channel, output channel) pair along that dimension."""
        pad = (kernel - 1) // 2
        return sum(1 for out in range(size) for tap in range(kernel) if 0 <= out - pad + tap < size)

    def forward_flops(self, params: dict) -> float:
        rows, cols = self.taps(params["h"], params["r"]), self.taps(params["w"], params["s"])
        return 2.0 * params["n"] * params["k"] * params["c"] * rows * cols

    def flops(self, params: dict) -> float:
        fwd = self.forward_flops(params)
        return fwd if params["pass"] == "forward" else 2.0 * fwd

    def bytes_moved(self, params: dict) -> float:
        """Each tensor touched once, at the dtype's size (``itemsize`` param, 4 by default)."""
        p, q = self._pq(params)
        item = params.get("itemsize", 4)
        x = params["n"] * params["c"] * params["h"] * params["w"]
        w = params["k"] * params["c"] * params["r"] * params["s"]
        y = params["n"] * params["k"] * p * q
        if params["pass"] == "forward":
            return float(item * (x + w + y))  # read x, w; write y
        return float(item * (y + x + w + x + w))  # read dy, x, w; write dx, dw

    def items(self, params: dict) -> float:
        return float(params["n"])

    def shrink(self, params: dict) -> dict | None:
        if params["n"] <= 1:
            return None
        return dict(params, n=params["n"] // 2)

    # --- set-up and the timed region ------------------------------------------------------------------------
    def prepare(self, device: str, dtype: str, params: dict, ctx: RunContext) -> Prepared:
        require_torch_device(self.name, device, dtype, tuple(_REL_ERR))
        return _ConvPrepared(device, torch_dtype(dtype), dtype, params)


class _ConvPrepared(Prepared):
    def __init__(self, device: str, tdtype, dtype: str, params: dict):
        super().__init__()
        import torch

        self.params, self.dtype, self.device = params, dtype, device
        n, c, k, h, w, r, s = (params[x] for x in ("n", "c", "k", "h", "w", "r", "s"))
        self.padding = (r // 2, s // 2)
        gen = torch.Generator(device="cpu")
        gen.seed()  # a fresh, non-deterministic seed for every prepare
        # Fresh random inputs scaled so outputs stay O(1) (Kaiming-like weights), never zeros.
        # channels_last (NHWC): the layout oneDNN and cuDNN tensor-core kernels run fastest, as training code uses it
        cl = torch.channels_last
        self.x = torch.randn(n, c, h, w, generator=gen).to(device=device, dtype=tdtype, memory_format=cl)
        self.w = (torch.randn(k, c, r, s, generator=gen) / (c * r * s) ** 0.5).to(device=device, dtype=tdtype,
                                                                                   memory_format=cl)
        self.out = None
        self.backward = params["pass"] == "backward"
        if self.backward:
            self.dy = torch.randn(n, k, h, w, generator=gen).to(device=device, dtype=tdtype, memory_format=cl)
            self._bwd = torch.ops.aten.convolution_backward
        # float32 means IEEE float32 arithmetic, as for gemm: cuDNN's default lets float32 convolutions run on TF32
        # tensor cores, which would be judged against the float32 peak (several times lower on Ampere and later).
        self._restore_tf32 = tf32_switches(cudnn=False) if device.startswith("cuda") else None
        self.info = {"layout": "channels_last (NHWC)", "padding": list(self.padding), "stride": 1,
                     "tf32_allowed": False if device.startswith("cuda") else None}
        if (r, s) == (3, 3):
            # FLOPs are counted as direct convolution. For 3x3 filters cuDNN and oneDNN may pick Winograd
            # transforms, which do 2.25x (F(2x2,3x3)) to 4x (F(4x4,3x3)) fewer multiplications (Lavin and Gray,
            # "Fast Algorithms for Convolutional Neural Networks", CVPR 2016), so the counted rate can pass the peak.
            self.info["above_peak_note"] = ("counted as direct convolution, but a 3x3 filter may run as a Winograd "
                                            "transform with up to 4x fewer multiplications")
            self.info["above_peak_bound"] = 4.0

    def run(self) -> None:
        import torch.nn.functional as F

        if not self.backward:
            self.out = F.conv2d(self.x, self.w, padding=self.padding)
        else:
            # grad of input and weight (output_mask: input, weight, bias)
            self.out = self._bwd(self.dy, self.x, self.w, None, [1, 1], list(self.padding), [1, 1], False, [0, 0],
                                 1, [True, True, False])

    def verify(self) -> None:
        import torch
        import torch.nn.functional as F

        if self.out is None:
            raise KernelFault("conv2d: verify called before run")
        x64, w64 = self.x.double(), self.w.double()
        bound = _REL_ERR[self.dtype]
        if not self.backward:
            n_check = min(2, x64.shape[0])  # samples are independent: check the first ones
            ref = F.conv2d(x64[:n_check], w64, padding=self.padding)
            errs = {"output": rel_error(self.out[:n_check], ref)}
        else:
            x64.requires_grad_(True)
            w64.requires_grad_(True)
            y = F.conv2d(x64, w64, padding=self.padding)
            gx, gw = torch.autograd.grad(y, (x64, w64), self.dy.double())
            errs = {"grad_input": rel_error(self.out[0], gx), "grad_weight": rel_error(self.out[1], gw)}
        bad = {k: v for k, v in errs.items() if not v <= bound}
        self.info["rel_err"] = errs
        if bad:
            raise KernelFault(f"conv2d {self.params['pass']} {self.dtype}: relative error {bad} above {bound} "
                              "against float64")

    def close(self) -> None:
        self.x = self.w = self.out = self.dy = None
        if self._restore_tf32 is not None:
            self._restore_tf32()
            self._restore_tf32 = None


KERNELS = [Conv2d()]
