"""``attention``: ``torch.nn.functional.scaled_dot_product_attention``, forward or backward.

Q, K, V are B x H x L x D; the attention is **not causal** (every query sees every key), so no FLOPs are masked away.
One multiply-add counts two FLOPs:

    forward  = 4 * B * H * L * L * D     (Q @ K^T: 2*B*H*L*L*D, then P @ V: 2*B*H*L*L*D; softmax not counted)
    backward = 2.5 * forward             (the FlashAttention papers' convention: five L x L x D products in the
                                          backward pass against two in the forward)

The backward case times ``torch.autograd.grad`` of the forward output (built untimed in ``prepare``) with respect to
Q, K and V: the backward of one attention layer in training. torch picks the backend (flash, memory-efficient,
math); ``info`` records which ones were enabled.
"""

from __future__ import annotations

from rigbench.kernels.base import (ITEMSIZE, Kernel, KernelFault, Prepared, RunContext, rel_error,
                                   require_torch_device, skip_without_native, torch_dtype)

# Relative error (Frobenius norm) against a float64 softmax(Q K^T / sqrt(D)) V. Flash kernels keep the
# softmax in float32; the inputs are already rounded to the dtype, so the bound covers only the arithmetic.
_REL_ERR = {"float32": 1e-3, "bfloat16": 3e-2, "float16": 5e-3}


def reference_attention(q, k, v):
    """softmax(Q K^T / sqrt(D)) V written out, in whatever dtype the inputs are (float64 for references)."""
    import torch

    scores = q @ k.transpose(-2, -1) / (q.shape[-1] ** 0.5)
    return torch.softmax(scores, dim=-1) @ v


class Attention(Kernel):
    name = "attention"
    backend = "torch"
    devices = ("cpu", "cuda")
    dtypes = ("float32", "bfloat16", "float16")
    metric = "flops"
    description = "scaled_dot_product_attention (non-causal), forward or backward"

    def cases(self, device: str, dtype: str, ctx: RunContext) -> list[dict]:
        kind = device.split(":")[0]
        if dtype == "float16" and kind != "cuda":
            return []
        if kind == "cpu":
            if ctx.quick and dtype != "float32":
                return []
            skip_without_native(device, dtype)
            base = {"b": 2, "h": 8, "l": 512, "d": 64} if ctx.quick else {"b": 4, "h": 16, "l": 1024, "d": 64}
        else:
            base = {"b": 4, "h": 16, "l": 1024, "d": 64} if ctx.quick else {"b": 8, "h": 16, "l": 4096, "d": 128}
        base["itemsize"] = ITEMSIZE[dtype]
        return [dict(base, **{"pass": "forward"}), dict(base, **{"pass": "backward"})]

    def label(self, params: dict) -> str:
        return f"{'fwd' if params['pass'] == 'forward' else 'bwd'} L={params['l']} d={params['d']}"

    def forward_flops(self, params: dict) -> float:
        return 4.0 * params["b"] * params["h"] * params["l"] * params["l"] * params["d"]

    def flops(self, params: dict) -> float:
        fwd = self.forward_flops(params)
        return fwd if params["pass"] == "forward" else 2.5 * fwd

    def bytes_moved(self, params: dict) -> float:
        """A fused kernel's minimum: forward reads Q, K, V and writes O; backward also reads O and dO and writes
        dQ, dK, dV (the L x L matrix never reaches memory)."""
        t = params["b"] * params["h"] * params["l"] * params["d"] * params.get("itemsize", 4)
        return float(4 * t if params["pass"] == "forward" else 9 * t)

    def items(self, params: dict) -> float:
        return float(params["b"])

    def shrink(self, params: dict) -> dict | None:
        if params["b"] > 1:
            return dict(params, b=params["b"] // 2)
        if params["l"] > 128:
            return dict(params, l=params["l"] // 2)
        return None

    def prepare(self, device: str, dtype: str, params: dict, ctx: RunContext) -> Prepared:
        require_torch_device(self.name, device, dtype, tuple(_REL_ERR))
        return _AttnPrepared(device, torch_dtype(dtype), dtype, params)


class _AttnPrepared(Prepared):
    def __init__(self, device: str, tdtype, dtype: str, params: dict):
        super().__init__()
        import torch
        import torch.nn.functional as F

        self.params, self.dtype = params, dtype
        b, h, l, d = (params[x] for x in ("b", "h", "l", "d"))
        gen = torch.Generator(device="cpu")
        gen.seed()
        self.backward = params["pass"] == "backward"

        def rnd():
            return torch.randn(b, h, l, d, generator=gen).to(device=device, dtype=tdtype)

        self.q, self.k, self.v = rnd(), rnd(), rnd()
        self.out = None
        if self.backward:
            for t in (self.q, self.k, self.v):
                t.requires_grad_(True)
            self.fwd_out = F.scaled_dot_product_attention(self.q, self.k, self.v)
            self.dout = rnd()
        self.info = {"causal": False}
        if device.startswith("cuda"):
            self.info["sdp_backends_enabled"] = {
                "flash": torch.backends.cuda.flash_sdp_enabled(),
                "mem_efficient": torch.backends.cuda.mem_efficient_sdp_enabled(),
                "math": torch.backends.cuda.math_sdp_enabled(),
            }

    def run(self) -> None:
        import torch
        import torch.nn.functional as F

        if not self.backward:
            with torch.no_grad():
                self.out = F.scaled_dot_product_attention(self.q, self.k, self.v)
        else:
            self.out = torch.autograd.grad(self.fwd_out, (self.q, self.k, self.v), self.dout, retain_graph=True)

    def verify(self) -> None:
        import torch

        if self.out is None:
            raise KernelFault("attention: verify called before run")
        # (batch, head) pairs are independent: check the first batch element's first two heads in float64
        sl = (slice(0, 1), slice(0, 2))
        q, k, v = (t.detach()[sl].double() for t in (self.q, self.k, self.v))
        bound = _REL_ERR[self.dtype]
        if not self.backward:
            errs = {"output": rel_error(self.out[sl], reference_attention(q, k, v))}
        else:
            for t in (q, k, v):
                t.requires_grad_(True)
            ref = torch.autograd.grad(reference_attention(q, k, v), (q, k, v), self.dout[sl].double())
            errs = {f"grad_{n}": rel_error(g[sl], r) for n, g, r in zip("qkv", self.out, ref)}
        self.info["rel_err"] = errs
        bad = {k: v for k, v in errs.items() if not v <= bound}
        if bad:
            raise KernelFault(f"attention {self.params['pass']} {self.dtype}: relative error {bad} above {bound} "
                              "against float64")

    def close(self) -> None:
        self.q = self.k = self.v = self.out = self.fwd_out = self.dout = None


KERNELS = [Attention()]
