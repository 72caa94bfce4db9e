"""``train_cnn`` and ``train_transformer``: full training steps (forward, loss, backward, AdamW step) of two small
models, in float32 and with automatic mixed precision ("amp").

* ``train_cnn``: a small ResNet (3x3 basic blocks with batch norm, three stages, global average pool, linear) on
  random 3 x 32 x 32 images, cross-entropy over 10 (quick) or 100 classes.
* ``train_transformer``: a small GPT-style decoder (pre-norm blocks, causal ``scaled_dot_product_attention``, 4x
  GELU MLP, learned positions) on random token sequences, next-token cross-entropy.

"amp" is ``torch.autocast`` with bfloat16 on a CPU, and float16 with a ``GradScaler`` on a CUDA GPU with tensor
cores (compute capability 7.0 or later; skipped with the reason elsewhere).

FLOPs: ``flops(params) = 3 x forward FLOPs per sample x batch`` (the usual convention: the backward pass costs
two forwards, one for the gradient of the activations and one for the weights). The forward count is analytic and
counts the matrix work only (convolutions, linear layers, and attention's two L x L products counted over half
the square because the mask is causal: the same convention as ``torch.utils.flop_counter``); batch norm, layer norm, activations, softmax, pooling and the optimizer
are left out. The tests check these formulas against ``torch.utils.flop_counter``.

A reusable API for other parts of rigbench (distributed training runs the same models):
``build_workload(kind, quick, device, batch_size=None) -> Workload`` and ``train_step(workload, optimizer, inputs,
targets, amp_dtype=None, scaler=None) -> float``.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any, Callable

from rigbench.kernels.base import (Kernel, KernelFault, KernelSkip, Prepared, RunContext, require_torch_device,
                                   skip_without_native, tf32_switches)

# --- model configurations (sizes, not data: no source needed) -----------------------------------------------------
CNN_CONFIGS = {
    True: {"image": 32, "channels": (16, 32, 64), "blocks": 1, "classes": 10},     # quick
    False: {"image": 32, "channels": (64, 128, 256), "blocks": 1, "classes": 100},  # default
}
TRANSFORMER_CONFIGS = {
    True: {"layers": 2, "d_model": 128, "heads": 4, "seq": 64, "vocab": 2048},
    False: {"layers": 4, "d_model": 256, "heads": 4, "seq": 128, "vocab": 8192},
}
# batch sizes per (kind, quick, device kind)
BATCH = {
    ("cnn", True, "cpu"): 32, ("cnn", False, "cpu"): 32, ("cnn", True, "cuda"): 128, ("cnn", False, "cuda"): 256,
    ("transformer", True, "cpu"): 16, ("transformer", False, "cpu"): 8,
    ("transformer", True, "cuda"): 64, ("transformer", False, "cuda"): 64,
}
LEARNING_RATE = 1e-3

# Relative error (norm of all gradients' difference over the float64 gradients' norm) of one step's gradients.
# float32 on a CUDA GPU of compute capability 8.0 or later trains as NVIDIA's published FP32 training runs (and as
# the model's fp32 means: rigbench.model.efficiency): convolutions and matrix products on TF32 tensor cores, whose
# 10-bit mantissa is float16's, so it gets float16's gross-error bound ("tf32" below). Measured on an H200: the
# small CNN's gradients 3.2% and 4.4% off float64 in TF32 (two runs) and 4.2% in float16 amp, alike as the shared
# mantissa says; both about a third of bfloat16's 10-13% (below), where rounding alone would give an eighth.
# amp: bfloat16 keeps 8 mantissa bits, and batch norm's backward (a difference of nearly equal terms) amplifies the
# rounding layer by layer towards the input: measured on this project's 2-core Zen 4 machine, the small CNN's
# gradients are 10-13% off float64 (0.4% at the classifier, 16% at the stem), the transformer's 0.3%. The amp bound
# is therefore a gross-error check (a faulty device or kernel gives errors of order 1), not a precision claim.
# float16 (10 mantissa bits, CUDA amp) rounds 8x finer.
_GRAD_REL_ERR = {("float32", "cpu"): 1e-4, ("float32", "cuda"): 2e-2, ("tf32", "cuda"): 0.1,
                 ("amp", "cpu"): 0.25, ("amp", "cuda"): 0.1}
TF32_FROM = (8, 0)   # TF32 tensor cores exist from Ampere (compute capability 8.0) on


# --- FLOP formulas -------------------------------------------------------------------------------------------------
def cnn_layers(cfg: dict) -> list[tuple]:
    """The matrix layers of the CNN, in order: ("conv", c_in, c_out, kernel, out_h, out_w) or ("linear", in, out)."""
    layers = []
    size = cfg["image"]
    c_prev = cfg["channels"][0]
    layers.append(("conv", 3, c_prev, 3, size, size))  # stem
    for stage, c in enumerate(cfg["channels"]):
        for block in range(cfg["blocks"]):
            stride = 2 if (stage > 0 and block == 0) else 1
            size_out = size // stride
            layers.append(("conv", c_prev, c, 3, size_out, size_out))
            layers.append(("conv", c, c, 3, size_out, size_out))
            if stride != 1 or c_prev != c:
                layers.append(("conv", c_prev, c, 1, size_out, size_out))  # projection shortcut
            c_prev, size = c, size_out
    layers.append(("linear", c_prev, cfg["classes"]))
    return layers


def cnn_forward_flops(cfg: dict) -> float:
    """Forward FLOPs of one image: 2 x multiply-adds of every convolution and of the classifier."""
    total = 0
    for layer in cnn_layers(cfg):
        if layer[0] == "conv":
            _, cin, cout, k, h, w = layer
            total += 2 * cin * cout * k * k * h * w
        else:
            _, fin, fout = layer
            total += 2 * fin * fout
    return float(total)


def transformer_forward_flops(cfg: dict) -> float:
    """Forward FLOPs of one sequence: per layer QKV (2*L*d*3d), output projection (2*L*d*d), MLP (2 * 2*L*d*4d),
    attention scores and weighted sum (2 * 2*L*L*d over the full square, halved for the causal mask: 2*L*L*d);
    plus the vocabulary head (2*L*d*V)."""
    L, d, V = cfg["seq"], cfg["d_model"], cfg["vocab"]
    per_layer = 2 * L * d * 3 * d + 2 * L * d * d + 2 * 2 * L * d * 4 * d + 2 * L * L * d
    return float(cfg["layers"] * per_layer + 2 * L * d * V)


def forward_flops_per_sample(kind: str, cfg: dict) -> float:
    return cnn_forward_flops(cfg) if kind == "cnn" else transformer_forward_flops(cfg)


# --- models (built lazily: no torch import at module level) --------------------------------------------------------
_CLASSES: dict[str, Any] = {}


def _model_classes():
    if _CLASSES:
        return _CLASSES
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class BasicBlock(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = nn.Identity()
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            y = F.relu(self.bn1(self.conv1(x)))
            y = self.bn2(self.conv2(y))
            return F.relu(y + self.shortcut(x))

    class SmallResNet(nn.Module):
        def __init__(self, cfg: dict):
            super().__init__()
            chans = cfg["channels"]
            self.stem = nn.Sequential(nn.Conv2d(3, chans[0], 3, 1, 1, bias=False), nn.BatchNorm2d(chans[0]), nn.ReLU())
            blocks, c_prev = [], chans[0]
            for stage, c in enumerate(chans):
                for b in range(cfg["blocks"]):
                    blocks.append(BasicBlock(c_prev, c, 2 if (stage > 0 and b == 0) else 1))
                    c_prev = c
            self.blocks = nn.Sequential(*blocks)
            self.fc = nn.Linear(c_prev, cfg["classes"])

        def forward(self, x):
            x = self.blocks(self.stem(x))
            return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))

    class DecoderBlock(nn.Module):
        def __init__(self, d: int, heads: int):
            super().__init__()
            self.heads = heads
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv = nn.Linear(d, 3 * d)
            self.proj = nn.Linear(d, d)
            self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

        def forward(self, x):
            b, L, d = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
            q, k, v = (t.view(b, L, self.heads, d // self.heads).transpose(1, 2) for t in (q, k, v))
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(a.transpose(1, 2).reshape(b, L, d))
            return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))

    class TinyGPT(nn.Module):
        def __init__(self, cfg: dict):
            super().__init__()
            d = cfg["d_model"]
            self.tok = nn.Embedding(cfg["vocab"], d)
            self.pos = nn.Embedding(cfg["seq"], d)
            self.blocks = nn.Sequential(*[DecoderBlock(d, cfg["heads"]) for _ in range(cfg["layers"])])
            self.ln_f = nn.LayerNorm(d)
            self.head = nn.Linear(d, cfg["vocab"], bias=False)

        def forward(self, idx):
            pos = torch.arange(idx.shape[1], device=idx.device)
            x = self.blocks(self.tok(idx) + self.pos(pos))
            return self.head(self.ln_f(x))

    _CLASSES.update(SmallResNet=SmallResNet, TinyGPT=TinyGPT)
    return _CLASSES


@dataclass
class Workload:
    """One model, ready to train: ``model`` on ``device``, ``sample_batch()`` fresh random (inputs, targets) on the
    device, ``loss(outputs, targets)``, and ``flops_per_sample`` (analytic forward FLOPs of one sample; a training
    step costs 3x that)."""

    kind: str
    config: dict
    model: Any
    batch_size: int
    device: str
    flops_per_sample: float
    channels_last: bool = False
    layout_note: str | None = None      # why the CNN runs in the contiguous layout, when it does
    _loss_fn: Callable | None = field(default=None, repr=False)

    def sample_batch(self, batch_size: int | None = None):
        import torch

        n = batch_size or self.batch_size
        cfg = self.config
        if self.kind == "cnn":
            x = torch.randn(n, 3, cfg["image"], cfg["image"], device=self.device)
            if self.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            y = torch.randint(0, cfg["classes"], (n,), device=self.device)
            return x, y
        x = torch.randint(0, cfg["vocab"], (n, cfg["seq"]), device=self.device)
        y = torch.randint(0, cfg["vocab"], (n, cfg["seq"]), device=self.device)
        return x, y

    def loss(self, outputs, targets):
        import torch.nn.functional as F

        if self.kind == "cnn":
            return F.cross_entropy(outputs, targets)
        return F.cross_entropy(outputs.reshape(-1, outputs.shape[-1]), targets.reshape(-1))


def build_workload(kind: str, quick: bool, device: str, batch_size: int | None = None) -> Workload:
    """The ``train_cnn`` ("cnn") or ``train_transformer`` ("transformer") model at quick or default size on
    ``device`` ("cpu", "cuda", "cuda:N"), freshly initialised, in training mode, float32 weights."""
    if kind not in ("cnn", "transformer"):
        raise ValueError(f"unknown workload kind {kind!r}; valid: cnn, transformer")
    cfg = dict((CNN_CONFIGS if kind == "cnn" else TRANSFORMER_CONFIGS)[bool(quick)])
    dev_kind = device.split(":")[0]
    batch = batch_size or BATCH[(kind, bool(quick), dev_kind)]
    return _workload_from_config(kind, cfg, device, batch)


_LAYOUT_CHECKS: dict[str, str | None] = {}


def channels_last_fault(device: str) -> str | None:
    """Why the channels_last (NHWC) layout must not be trained in on ``device``, or None when it is sound.

    The CNN trains in channels_last, the layout oneDNN and cuDNN run fastest. Some CPU builds of PyTorch compute the
    weight gradient of a strided 1x1 convolution (a ResNet shortcut) wrongly in that layout on processors without
    AVX-512 (seen with torch 2.13.0: 68% relative error against float64, while the contiguous layout is exact).
    One tiny backward against a float64 reference tells, once per device and process.
    """
    dev = device.split(":")[0] if device.startswith("cpu") else device
    if dev not in _LAYOUT_CHECKS:
        import torch

        gen = torch.Generator().manual_seed(0)
        w = torch.randn(4, 2, 1, 1, generator=gen)
        x = torch.randn(3, 2, 8, 8, generator=gen)
        g = torch.randn(3, 4, 4, 4, generator=gen)
        wl = w.clone().to(device).contiguous(memory_format=torch.channels_last).requires_grad_()
        xl = x.to(device).contiguous(memory_format=torch.channels_last)
        torch.nn.functional.conv2d(xl, wl, stride=2).backward(g.to(device))
        wd = w.clone().double().requires_grad_()
        torch.nn.functional.conv2d(x.double(), wd, stride=2).backward(g.double())
        err = float((wl.grad.double().cpu() - wd.grad).norm() / wd.grad.norm())
        _LAYOUT_CHECKS[dev] = (None if err < 1e-3 else
                               f"torch {torch.__version__} computes a strided 1x1 convolution's weight gradient "
                               f"wrongly in channels_last on {device} ({err:.0%} relative error against float64): "
                               "trained in the contiguous layout instead")
    return _LAYOUT_CHECKS[dev]


def _workload_from_config(kind: str, cfg: dict, device: str, batch: int) -> Workload:
    import torch

    classes = _model_classes()
    note = None
    if kind == "cnn":
        note = channels_last_fault(device)
        model = classes["SmallResNet"](cfg).to(device)
        if note is None:
            model = model.to(memory_format=torch.channels_last)
    else:
        model = classes["TinyGPT"](cfg).to(device)
    model.train()
    return Workload(kind=kind, config=cfg, model=model, batch_size=batch, device=device,
                    flops_per_sample=forward_flops_per_sample(kind, cfg),
                    channels_last=(kind == "cnn" and note is None), layout_note=note)


def make_optimizer(workload: Workload):
    import torch

    return torch.optim.AdamW(workload.model.parameters(), lr=LEARNING_RATE)


def train_step(workload: Workload, optimizer, inputs, targets, amp_dtype=None, scaler=None) -> float:
    """One training step: zero the gradients, forward (under autocast when ``amp_dtype`` is given), loss, backward
    (through ``scaler`` when given, for float16), optimizer step. Returns the loss (this waits for the device)."""
    import torch

    model = workload.model
    optimizer.zero_grad(set_to_none=True)
    if amp_dtype is not None:
        with torch.autocast(device_type=workload.device.split(":")[0], dtype=amp_dtype):
            loss = workload.loss(model(inputs), targets)
    else:
        loss = workload.loss(model(inputs), targets)
    if scaler is not None:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    else:
        loss.backward()
        optimizer.step()
    return float(loss.detach())


def gradient_rel_error(workload: Workload, inputs, targets, amp_dtype=None) -> float:
    """One step's gradients of ``workload.model`` on (inputs, targets), against a float64 copy of the model on the
    same batch: norm of the difference over all parameters divided by the float64 gradients' norm."""
    import torch

    model = workload.model
    ref = copy.deepcopy(model).double()
    for m in (model, ref):
        m.zero_grad(set_to_none=True)
    ref_inputs = inputs.double() if inputs.is_floating_point() else inputs
    workload.loss(ref(ref_inputs), targets).backward()
    if amp_dtype is not None:
        with torch.autocast(device_type=workload.device.split(":")[0], dtype=amp_dtype):
            loss = workload.loss(model(inputs), targets)
    else:
        loss = workload.loss(model(inputs), targets)
    loss.float().backward()
    num = den = 0.0
    for (name, p), p_ref in zip(model.named_parameters(), ref.parameters()):
        if p_ref.grad is None:
            continue
        g = p.grad.double() if p.grad is not None else torch.zeros_like(p_ref.grad)
        num += float(((g - p_ref.grad) ** 2).sum())
        den += float((p_ref.grad ** 2).sum())
    model.zero_grad(set_to_none=True)
    return math.sqrt(num) / max(math.sqrt(den), 1e-300)


# --- the kernels ---------------------------------------------------------------------------------------------------
class TrainKernel(Kernel):
    backend = "torch"
    devices = ("cpu", "cuda")
    dtypes = ("float32", "amp")
    metric = "throughput"

    def __init__(self, kind: str):
        self.kind = kind
        self.name = f"train_{kind}"
        self.description = ("training step of a small ResNet-style CNN (3x32x32)" if kind == "cnn" else
                            "training step of a small GPT-style decoder") + ": forward, backward, AdamW; samples/s"

    def host_timed(self, params: dict) -> bool:
        # an eager step is launched kernel by kernel from Python: a small net's step on a fast card lasts as long as
        # the host takes to dispatch it (an H200 trained both nets at 5-10 ms a step in float32 and amp alike)
        return True

    def cases(self, device: str, dtype: str, ctx: RunContext) -> list[dict]:
        kind = device.split(":")[0]
        if dtype not in self.dtypes:
            return []
        if ctx.quick and kind == "cpu" and dtype == "amp":
            return []  # keep the quick suite short: CPU bfloat16 autocast runs in the default suite
        if kind == "cpu" and dtype == "amp":
            skip_without_native(device, "bfloat16")  # amp on a CPU is bfloat16 autocast
        cfg = (CNN_CONFIGS if self.kind == "cnn" else TRANSFORMER_CONFIGS)[bool(ctx.quick)]
        return [dict(cfg, model=self.kind, batch_size=BATCH[(self.kind, bool(ctx.quick), kind)])]

    def label(self, params: dict) -> str:
        seq = f" seq {params['seq']}" if self.kind == "transformer" and "seq" in params else ""
        return f"batch {params['batch_size']}{seq}"

    @staticmethod
    def _cfg(params: dict) -> dict:
        return {k: v for k, v in params.items() if k not in ("model", "batch_size")}

    def forward_flops_per_sample(self, params: dict) -> float:
        return forward_flops_per_sample(self.kind, self._cfg(params))

    def flops(self, params: dict) -> float:
        """3 x forward FLOPs per sample x batch (backward = 2 forwards, by convention)."""
        return 3.0 * self.forward_flops_per_sample(params) * params["batch_size"]

    def items(self, params: dict) -> float:
        return float(params["batch_size"])

    def shrink(self, params: dict) -> dict | None:
        if params["batch_size"] <= 2:
            return None
        return dict(params, batch_size=params["batch_size"] // 2)

    def prepare(self, device: str, dtype: str, params: dict, ctx: RunContext) -> Prepared:
        import torch

        kind = device.split(":")[0]
        require_torch_device(self.name, device, dtype, self.dtypes)
        amp_dtype, scaler = None, None
        if dtype == "amp":
            if kind == "cuda":
                cc = torch.cuda.get_device_capability(torch.device(device))
                if cc < (7, 0):
                    raise KernelSkip(f"amp needs tensor cores (compute capability 7.0 or later); this GPU is "
                                     f"{cc[0]}.{cc[1]}")
                amp_dtype = torch.float16
                scaler = torch.amp.GradScaler("cuda")
            else:
                amp_dtype = torch.bfloat16
        tf32 = (dtype == "float32" and kind == "cuda"
                and torch.cuda.get_device_capability(torch.device(device)) >= TF32_FROM)
        wl = _workload_from_config(self.kind, self._cfg(params), device, params["batch_size"])
        return _TrainPrepared(self.name, wl, dtype, amp_dtype, scaler, tf32)


class _TrainPrepared(Prepared):
    def __init__(self, name: str, wl: Workload, dtype: str, amp_dtype, scaler, tf32: bool = False):
        super().__init__()
        self.name, self.wl, self.dtype, self.amp_dtype, self.scaler = name, wl, dtype, amp_dtype, scaler
        self.tf32 = tf32
        # PyTorch leaves matrix products in plain FP32 by default (since 1.12) while cuDNN's convolutions use TF32:
        # both are switched on, and put back in close()
        self._restore_tf32 = tf32_switches(matmul=True, cudnn=True) if tf32 else None
        self.optimizer = make_optimizer(wl)
        self.inputs, self.targets = wl.sample_batch()
        self.losses: list[float] = []
        n_params = sum(p.numel() for p in wl.model.parameters())
        self.info = {"parameters": n_params, "config": wl.config,
                     "forward_flops_per_sample": wl.flops_per_sample,
                     "train_flops_per_sample": 3 * wl.flops_per_sample,
                     "flops_convention": "3 x analytic forward (matrix work only)",
                     "amp_dtype": None if amp_dtype is None else str(amp_dtype).replace("torch.", ""),
                     "grad_scaler": scaler is not None, "optimizer": f"AdamW lr={LEARNING_RATE}",
                     "tf32": tf32 if wl.device.startswith("cuda") else None}
        if wl.kind == "cnn":
            self.info["layout"] = "channels_last (NHWC)" if wl.channels_last else "contiguous (NCHW)"
            self.info["layout_note"] = wl.layout_note

    def run(self) -> None:
        self.losses.append(train_step(self.wl, self.optimizer, self.inputs, self.targets, self.amp_dtype,
                                      self.scaler))

    def verify(self) -> None:
        if not self.losses:
            raise KernelFault(f"{self.name}: verify called before run")
        if not all(math.isfinite(x) for x in self.losses[-3:]):
            raise KernelFault(f"{self.name}: loss is not finite ({self.losses[-3:]})")
        self.info["first_loss"], self.info["last_loss"] = self.losses[0], self.losses[-1]
        dev_kind = self.wl.device.split(":")[0]
        bound = _GRAD_REL_ERR[("tf32" if self.tf32 else self.dtype, dev_kind)]
        # A tiny batch keeps the float64 copy cheap. Rounding can put a ReLU input on the other side of zero in one
        # of the two copies, which changes that unit's gradient discretely (seen here in about 1 batch in 20 of the
        # float32 CNN: 1e-3 instead of 1e-6). Such a crossing is rare per batch while a faulty kernel is wrong on
        # every batch, so the check takes the best of up to three fresh batches.
        errors = []
        for _ in range(3):
            x, y = self.wl.sample_batch(2)
            errors.append(gradient_rel_error(self.wl, x, y, self.amp_dtype))
            if errors[-1] <= bound:
                break
        err = min(errors)
        self.info["grad_rel_err_vs_float64"] = err
        self.info["grad_rel_err_batches"] = errors
        if not err <= bound:
            raise KernelFault(f"{self.name} {self.dtype}: gradients differ from a float64 copy by {err:.3g} "
                              f"(bound {bound})")

    def close(self) -> None:
        self.wl = self.optimizer = self.inputs = self.targets = None
        if self._restore_tf32 is not None:
            self._restore_tf32()
            self._restore_tf32 = None


KERNELS = [TrainKernel("cnn"), TrainKernel("transformer")]
