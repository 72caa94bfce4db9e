"""A workload's demand: what one training sample needs, counted from the model's layer shapes.

Read from ``profiles/workloads.toml`` (the networks' shapes, the element-wise traffic per tensor type, the memory
rules). Per training sample:

* ``tensor_flops``: convolution and matrix-multiply FLOPs, the work tensor cores can take (training = 3 x forward);
* ``elementwise_elements``: elements of the tensors that norm/activation/residual/softmax layers read and write;
  times ``passes_per_element`` accesses and the bytes per element (4 in fp32, 2 under AMP) they give the bytes
  those memory-bound layers move;
* memory: saved activations per sample and fixed bytes (weights, gradients, optimizer state);
* the optimizer step, where the workload names one (``step``): bytes per parameter and whether the update waits on
  the host for every parameter tensor; it runs once per batch (``rigbench.model.roofline.step_seconds``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from rigbench import data
from rigbench.errors import UserError
from rigbench.units import fmt_bytes, shown

PRECISIONS = ("fp32", "amp")
# Workload families: each has its own efficiency factors (profiles/efficiency.toml [compute] for convolutional
# networks, [transformer] for transformers), fitted on measurements of that family only.
FAMILIES = ("conv", "transformer")
BYTES_PER_ELEMENT = {"fp32": 4, "amp": 2}
WORKLOADS = ("resnet50", "bert-base", "train_cnn", "train_transformer")


@lru_cache(maxsize=1)
def load_workloads_profile() -> dict:
    """``profiles/workloads.toml`` as a dict."""
    return data.load_toml("workloads.toml")


@dataclass(frozen=True)
class Demand:
    """What one training sample of a workload needs."""

    workload_id: str
    name: str
    unit: str
    tensor_flops: float            # conv + matmul FLOPs per sample, training
    conv_flops: float              # the part that is convolution (TF32 by default on Ampere+)
    elementwise_elements: float    # elements of memory-bound tensors per sample
    accesses: float                # DRAM element accesses those tensors cost per sample, per training step
    saved_elements: float          # activation elements kept for backward, per sample
    params: int
    optimizer_bytes_per_param: int
    source: str
    family: str = "conv"           # "conv" or "transformer": which efficiency factors apply
    param_tensors: int = 0         # parameter tensors an optimizer loops over
    # precision -> {"bytes_per_param", "synced"}; empty: not counted. A dict, so kept out of the hash
    step: dict = field(default_factory=dict, hash=False)

    @property
    def matmul_flops(self) -> float:
        return self.tensor_flops - self.conv_flops

    @property
    def passes_per_element(self) -> float:
        """Average accesses per element-wise element (13/8/11 by tensor type on a ResNet; 12 on a transformer)."""
        return self.accesses / self.elementwise_elements

    def traffic_bytes(self, precision: str) -> float:
        """Bytes the memory-bound layers move per sample."""
        return self.accesses * BYTES_PER_ELEMENT[precision]

    def sample_bytes(self, precision: str) -> float:
        """Device memory one more sample of batch needs (saved activations)."""
        return self.saved_elements * BYTES_PER_ELEMENT[precision]

    def step_bytes(self, precision: str) -> float:
        """Bytes one optimizer step moves (0 where the workload names no step)."""
        return self.params * self.step.get(precision, {}).get("bytes_per_param", 0)

    def synced_tensors(self, precision: str) -> int:
        """Parameter tensors whose update waits on the host once each (0 for a fused, multi-tensor update)."""
        return self.param_tensors if self.step.get(precision, {}).get("synced") else 0

    @property
    def fixed_bytes(self) -> float:
        """Weights, gradients and optimizer state."""
        return float(self.params * self.optimizer_bytes_per_param)


@dataclass
class _Counts:
    macs: float = 0.0              # forward multiply-adds
    conv_macs: float = 0.0
    params: int = 0
    tensors: int = 0               # parameter tensors
    elements: float = 0.0          # element-wise tensor elements
    accesses: float = 0.0          # their DRAM accesses per training step
    saved: float = 0.0             # their elements kept for backward

    def tensor(self, n: float, accesses: float, saved: float) -> None:
        self.elements += n
        self.accesses += n * accesses
        self.saved += n * saved


def _resnet_counts(spec: dict, traffic: dict) -> _Counts:
    """Forward MACs, parameters and element-wise traffic of a ResNet from its block counts (per image).

    Every conv output feeds a BatchNorm; the BN is followed by a ReLU except on the last conv of a block and on the
    projection shortcut, whose outputs go to the residual add (then a ReLU). ``stem = "imagenet"``: 7x7 stride-2
    conv and 3x3 stride-2 max-pool (He et al. 2016); ``stem = "cifar"``: one 3x3 stride-1 conv, no pool (the
    suite's own train_cnn). The projection shortcut is used when the stride or the width changes.
    """
    c = _Counts()
    bn_relu = (traffic["bn_relu_accesses"], traffic["bn_relu_saved"])
    bn_only = (traffic["bn_accesses"], traffic["bn_saved"])
    add_relu = (traffic["add_relu_accesses"], traffic["add_relu_saved"])
    widths = spec.get("widths") or [64 * 2**i for i in range(len(spec["blocks"]))]
    imagenet = spec.get("stem", "imagenet") == "imagenet"

    def conv(cin, cout, k, hout, kind):
        macs = cin * cout * k * k * hout * hout
        c.macs += macs
        c.conv_macs += macs
        c.params += cin * cout * k * k + 2 * cout          # weights (no bias) + BN scale/shift
        c.tensor(cout * hout * hout, *kind)

    h = spec["image"]
    if imagenet:
        h //= 2
        conv(3, 64, 7, h, bn_relu)                          # stem, stride 2
        h //= 2                                             # max-pool, stride 2
        cin = 64
    else:
        cin = widths[0]
        conv(3, cin, 3, h, bn_relu)                         # 3x3 stem at full resolution
    expansion = 4 if spec["bottleneck"] else 1
    for stage, nblocks in enumerate(spec["blocks"]):
        width = widths[stage]
        for b in range(nblocks):
            stride = 2 if (b == 0 and stage > 0) else 1
            hout = h // stride
            cout = width * expansion
            if spec["bottleneck"]:
                conv(cin, width, 1, h, bn_relu)
                conv(width, width, 3, hout, bn_relu)        # v1.5: stride on the 3x3
                conv(width, cout, 1, hout, bn_only)
            else:
                conv(cin, width, 3, hout, bn_relu)
                conv(width, width, 3, hout, bn_only)
            if stride != 1 or cin != cout:
                conv(cin, cout, 1, hout, bn_only)           # projection shortcut
            c.tensor(cout * hout * hout, *add_relu)         # residual add + ReLU
            cin, h = cout, hout
    c.macs += cin * spec["classes"]                         # final fully connected layer
    c.params += cin * spec["classes"] + spec["classes"]
    return c


def _transformer_counts(spec: dict, traffic: dict) -> _Counts:
    """Forward MACs, parameters and element-wise traffic of a BERT-style encoder per sequence.

    Element-wise tensors per token per layer, each with its own access count (``[traffic.bert]``, counted for the
    NVIDIA DeepLearningExamples BERT that the transformer factors are fitted on: apex FusedLayerNorm, jit-fused
    bias+GELU, unfused scale / mask-add / softmax / dropout on the attention scores): per head ``s`` attention
    scores (scale, mask-add, softmax) and ``s`` probabilities (dropout); ``ffn`` GELU outputs; 2 LayerNorms, 2
    dropouts and 2 residual adds of ``hidden`` each; then the embedding sum and its LayerNorm.
    """
    L, hdim, heads, ffn, s, vocab = (spec[k] for k in ("layers", "hidden", "heads", "ffn", "seq", "vocab"))
    t = traffic["bert"]
    saved = traffic["transformer_saved"]
    c = _Counts()
    per_layer_token_macs = 4 * hdim * hdim + 2 * hdim * ffn + 2 * s * hdim   # QKV+out, FFN, scores+context
    c.macs = L * s * per_layer_token_macs
    c.macs += spec["masked_per_sequence"] * (hdim * hdim + hdim * vocab)     # language-model head
    tokens = L * s
    c.tensor(tokens * heads * s, t["scores_accesses"], saved)                 # scores: scale, mask-add, softmax
    c.tensor(tokens * heads * s, t["dropout_accesses"], saved)                # probabilities: dropout
    c.tensor(tokens * ffn, t["gelu_accesses"], saved)                         # fused bias + GELU
    c.tensor(tokens * 2 * hdim, t["layernorm_accesses"], saved)
    c.tensor(tokens * 2 * hdim, t["dropout_accesses"], saved)
    c.tensor(tokens * 2 * hdim, t["residual_add_accesses"], saved)
    c.tensor(s * hdim, t["residual_add_accesses"], saved)                     # embedding sum
    c.tensor(s * hdim, t["layernorm_accesses"], saved)                        # embedding LayerNorm
    p = L * (4 * hdim * hdim + 4 * hdim + 2 * hdim * ffn + ffn + hdim + 4 * hdim)
    p += (vocab + spec["max_position"] + 2) * hdim + 2 * hdim                # embeddings + LayerNorm
    p += hdim * hdim + hdim                                                  # pooler
    p += hdim * hdim + hdim + 2 * hdim + vocab                               # MLM transform, LayerNorm, bias
    c.params = int(p)
    # what an optimizer loops over: word, position and token-type embeddings and their LayerNorm (5); per layer
    # Q, K, V, output, two FFN matrices with their biases and two LayerNorms (16); the task head's weight and bias
    c.tensors = 5 + 16 * L + 2
    return c


def _gpt_counts(spec: dict, traffic: dict) -> _Counts:
    """Forward MACs, parameters and element-wise traffic of a pre-norm GPT decoder per sequence.

    Matmuls per token per layer: QKV (3 d^2), output projection (d^2), 4x MLP (8 d^2); causal attention's two
    s x s products over half the square (s d MACs per token; a fused scaled_dot_product_attention kernel skips the
    masked half and never writes the scores to memory); the vocabulary head (d V). Element-wise tensors per token
    per layer: 2 LayerNorms and 2 residual adds (d each), GELU (4 d); then the final LayerNorm (d), the embedding
    sum (d) and the logits' log-softmax (V), the cross-entropy's memory-bound part.
    """
    L, d, s, V = (spec[k] for k in ("layers", "hidden", "seq", "vocab"))
    c = _Counts()
    c.macs = L * s * (12 * d * d + s * d) + s * d * V   # causal: 2 s d per token over half the square
    c.tensor(L * s * (4 * d + 4 * d) + s * (2 * d + V), traffic["transformer_accesses"], traffic["transformer_saved"])
    per_layer = 2 * 2 * d + (3 * d * d + 3 * d) + (d * d + d) + (4 * d * d + 4 * d) + (4 * d * d + d)
    c.params = int(L * per_layer + V * d + s * d + 2 * d + d * V)          # + embeddings, final LN, head
    return c


_COUNTERS = {"resnet": _resnet_counts, "transformer": _transformer_counts, "gpt": _gpt_counts}


@lru_cache(maxsize=None)
def demand(workload_id: str) -> Demand:
    """The demand of a built-in workload; unknown id -> UserError listing the valid ones."""
    prof = load_workloads_profile()
    table = prof["workloads"]
    if workload_id not in table:
        raise UserError(f"unknown workload {shown(workload_id)}; valid: {', '.join(table)}")
    spec = table[workload_id]
    c = _COUNTERS[spec["kind"]](spec, prof["traffic"])
    opt = prof["memory"]["adam_bytes_per_param" if spec["optimizer"] == "adam" else "sgd_bytes_per_param"]
    return Demand(
        workload_id=workload_id, name=spec["name"], unit=spec["unit"], tensor_flops=3 * 2 * c.macs,
        conv_flops=3 * 2 * c.conv_macs, elementwise_elements=c.elements, accesses=c.accesses,
        saved_elements=c.saved, params=c.params, optimizer_bytes_per_param=opt, source=spec["source"],
        family=spec.get("family", "conv"), param_tensors=c.tensors, step=spec.get("step", {}),
    )


def workload_ids() -> tuple[str, ...]:
    """Every built-in workload's id, in file order."""
    return tuple(load_workloads_profile()["workloads"])


def usable_bytes(memory_bytes: int) -> float:
    """A card's memory left for training: less the reserve and the CUDA context (profiles/workloads.toml
    [memory])."""
    mem = load_workloads_profile()["memory"]
    return memory_bytes * (1 - mem["reserve_fraction"]) - mem["context_gib"] * 1024**3


def max_batch(d: Demand, precision: str, memory_bytes: int | None) -> int | None:
    """Largest batch whose saved activations fit beside the fixed state; 0 if even the weights do not fit."""
    if not memory_bytes:
        return None
    return max(0, int((usable_bytes(memory_bytes) - d.fixed_bytes) // d.sample_bytes(precision)))


def no_fit_reason(d: Demand, precision: str, memory_bytes: int | None) -> str | None:
    """Why not one sample of ``d`` trains in ``memory_bytes`` (:func:`max_batch` 0), or None where one does (or no
    memory is known). A card that cannot hold one sample cannot train the workload at all, so it has no
    throughput."""
    if max_batch(d, precision, memory_bytes) != 0:
        return None
    usable = usable_bytes(memory_bytes)
    left = (f"{fmt_bytes(max(usable, 0.0))} the card's {fmt_bytes(memory_bytes)} leave after the CUDA context and "
            "the reserve")
    if d.fixed_bytes > usable:
        return (f"does not fit: the weights, gradients and optimizer state need {fmt_bytes(d.fixed_bytes)} of the "
                f"{left}")
    return (f"does not fit: the weights, gradients and optimizer state ({fmt_bytes(d.fixed_bytes)}) and one sample's "
            f"activations in {precision} ({fmt_bytes(d.sample_bytes(precision))}) need more than the {left}")
