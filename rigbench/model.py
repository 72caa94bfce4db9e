"""The performance model: a device's capability x a workload's demand -> training throughput and memory fit.

Demand (per training sample, counted from the model's layer shapes in ``profiles/workloads.toml``):
  * ``tensor_flops`` - convolution and matrix-multiply FLOPs, the work tensor cores can take (training = 3 x forward);
  * ``elementwise_elements`` - elements of the tensors that norm/activation/residual/softmax layers read and write;
    times ``passes_per_element`` accesses and the bytes per element (4 in fp32, 2 under AMP) they give the bytes
    those memory-bound layers move;
  * memory: saved activations per sample and fixed bytes (weights, gradients, optimizer state).

Capability (per precision): the peak FLOP/s of the units that run the tensor work, times the efficiency factor of
the card's ARCHITECTURE, the PRECISION and the workload FAMILY (convolutional or transformer;
``profiles/efficiency.toml``, each factor fitted to one published measurement named there), times the card's
sustained clock fraction (board power per core against its architecture's fit card, ``sustained_clock_fraction``),
and the memory bandwidth times a measured achievable fraction. Every predicted throughput carries its uncertainty,
the validation error of the card's (architecture, workload family) cell (``uncertainty``, ``validation_summary``).

  fp32: "FP32 training" as NVIDIA's published numbers run it: TF32 tensor cores on Ampere and newer (cuDNN
        convolutions use TF32 by default; NVIDIA's NGC containers and DeepLearningExamples also run matrix
        multiplies in TF32 and label A100 results "TF32"), FP32 CUDA cores on earlier cards. Plain PyTorch
        leaves matmul TF32 off by default (since 1.12): set torch.backends.cuda.matmul.allow_tf32 to match.
  amp:  FP16/BF16 tensor cores with FP32 accumulate; a card without tensor cores runs autocast FP16 at its FP32
        rate at best (consumer Pascal's native FP16 is 1/64 of FP32, so frameworks compute in FP32), so AMP
        only halves its memory traffic.

Time per sample = compute time + memory time (a sum, not a max): the tensor work and the element-wise layers are
different kernels that run one after the other on one stream, each bound by its own resource; the max of the two
would claim they overlap, which a training step's serial layer sequence does not allow. ``bound`` says which term
is larger.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rigbench import catalog, data, results
from rigbench.errors import UserError

PRECISIONS = ("fp32", "amp")
# Workload families: each has its own efficiency factors (profiles/efficiency.toml [compute] for convolutional
# networks, [transformer] for transformers), fitted on measurements of that family only.
FAMILIES = ("conv", "transformer")
_FAMILY_SECTION = {"conv": "compute", "transformer": "transformer"}
BYTES_PER_ELEMENT = {"fp32": 4, "amp": 2}

# results-file dtypes -> model precision
_DTYPE_PRECISION = {"float32": "fp32", "fp32": "fp32", "tf32": "fp32", "float16": "amp", "fp16": "amp",
                    "bfloat16": "amp", "bf16": "amp", "amp": "amp"}


def _toml(name: str) -> dict:
    return data.load_toml(name)


@lru_cache(maxsize=1)
def load_workloads_profile() -> dict:
    return _toml("workloads.toml")


@lru_cache(maxsize=1)
def load_efficiency() -> dict:
    return _toml("efficiency.toml")


# ------------------------------------------------------------------------------------------------ demand

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

    @property
    def fixed_bytes(self) -> float:
        """Weights, gradients and optimizer state."""
        return float(self.params * self.optimizer_bytes_per_param)


@dataclass
class _Counts:
    macs: float = 0.0              # forward multiply-adds
    conv_macs: float = 0.0
    params: int = 0
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
        raise UserError(f"unknown workload {workload_id!r}; valid: {', '.join(table)}")
    spec = table[workload_id]
    c = _COUNTERS[spec["kind"]](spec, prof["traffic"])
    opt = prof["memory"]["adam_bytes_per_param" if spec["optimizer"] == "adam" else "sgd_bytes_per_param"]
    return Demand(
        workload_id=workload_id, name=spec["name"], unit=spec["unit"], tensor_flops=3 * 2 * c.macs,
        conv_flops=3 * 2 * c.conv_macs, elementwise_elements=c.elements, accesses=c.accesses,
        saved_elements=c.saved, params=c.params, optimizer_bytes_per_param=opt, source=spec["source"],
        family=spec.get("family", "conv"),
    )


def workload_ids() -> tuple[str, ...]:
    return tuple(load_workloads_profile()["workloads"])


WORKLOADS = ("resnet50", "bert-base", "train_cnn", "train_transformer")


# ------------------------------------------------------------------------------------------------ capability

@dataclass
class Capability:
    """What a device can do: effective (achievable) rates per precision, memory, and any measured throughputs."""

    id: str
    name: str
    architecture: str | None
    source: str                                  # "catalog" or "measured"
    conv_tflops: dict[str, float]                # effective, per precision
    matmul_tflops: dict[str, float]
    bandwidth_gbps: float                        # effective
    memory_bytes: int | None
    peak: dict[str, float | None] = field(default_factory=dict)       # spec/measured peaks, for display
    factors: dict[str, Any] = field(default_factory=dict)            # which efficiency factors were used
    measured: dict[tuple[str, str], float] = field(default_factory=dict)  # (workload, precision) -> samples/s
    gpu: Any = None                              # the catalog card, when known
    transformer_tflops: dict[str, float] = field(default_factory=dict)  # effective, transformer family
    clock_fraction: float = 1.0                  # sustained / boost clock from the power term (1 = not limited)

    def to_dict(self) -> dict:
        d = {k: v for k, v in dataclasses.asdict(self).items() if k not in ("gpu", "measured")}
        d["measured"] = [{"workload": w, "precision": p, "throughput": v} for (w, p), v in self.measured.items()]
        return d


def _peaks(gpu) -> dict[str, dict[str, float]]:
    """Peak TFLOP/s of the units that run conv and matmul work, per precision, from spec-sheet numbers."""
    fp32_conv = gpu.tf32_tflops if gpu.tf32_tflops else gpu.fp32_tflops
    if gpu.has_tensor_cores and gpu.fp16_tensor_tflops:
        amp = gpu.fp16_tensor_tflops
    else:
        amp = max(gpu.fp32_tflops, gpu.fp16_tflops or 0.0)
    sm_rate = load_efficiency().get("peak", {}).get("sm_rate_bound", {})
    if gpu.compute_capability in sm_rate and gpu.has_tensor_cores:
        # GeForce and workstation parts of one SM version train at the rate their SMs x clock set, not at the
        # doubled FP32-accumulate tensor rate the workstation spec sheet adds (profiles/efficiency.toml [peak]).
        fp32_conv, amp = gpu.fp32_tflops, sm_rate[gpu.compute_capability] * gpu.fp32_tflops
    return {"conv": {"fp32": fp32_conv, "amp": amp}, "matmul": {"fp32": fp32_conv, "amp": amp}}


def _factor_lookup(architecture: str, precision: str, compute_capability: str | None,
                   family: str) -> tuple[dict, str, list[str], bool]:
    """(entry, key it came from, keys walked, borrowed?) for a factor of ``family`` (see compute_factor)."""
    eff = load_efficiency()
    if family not in _FAMILY_SECTION:
        raise UserError(f"unknown workload family {family!r}; valid: {', '.join(FAMILIES)}")
    comp, fb = eff.get(_FAMILY_SECTION[family], {}), eff.get("fallback", {})
    start = [f"{architecture}-{compute_capability}", architecture] if compute_capability else [architecture]
    seen: list[str] = []
    queue = list(start)
    while queue:
        key = queue.pop(0)
        if key in seen:
            continue
        seen.append(key)
        entry = comp.get(key, {}).get(precision)
        if entry is not None and "same_as" in entry:
            entry = {**comp[key][entry["same_as"]], "fit": entry["fit"]}
        if entry is not None:
            return entry, key, seen, key not in start
        if key in fb:
            nxt = fb[key].get(f"use_{precision}") or fb[key].get("use")
            if nxt:
                queue.insert(0, nxt)
    raise UserError(f"no {family} efficiency factor for {architecture} {precision} in profiles/efficiency.toml")


def compute_factor(architecture: str, precision: str, compute_capability: str | None = None,
                   family: str = "conv") -> tuple[float, str]:
    """(efficiency, where it came from) for an architecture (optionally one SM version of it), a precision and a
    workload family ("conv": ResNet-50 fits, ``[compute]``; "transformer": BERT fits, ``[transformer]``).

    Looks up ``<arch>-<cc>`` (e.g. ``ampere-8.6``: GA10x's SM differs from GA100's) before ``<arch>``; a key with
    no fitted factor follows its documented ``[fallback]`` (``use`` or ``use_<precision>``).
    """
    entry, key, seen, borrowed = _factor_lookup(architecture, precision, compute_capability, family)
    fb = load_efficiency().get("fallback", {})
    how = entry["fit"] if not borrowed else f"borrowed from {key}: " + "; ".join(
        fb[k]["why"] for k in seen if k in fb)
    return float(entry["factor"]), how


def factor_key(gpu) -> tuple[str, bool]:
    """(the efficiency key whose factors ``gpu`` uses, whether they are borrowed from another architecture):
    ('ampere-8.6', False) for an RTX 3090, ('ada', True) for an RTX 5090, ('pascal', True) for a Tesla K80."""
    _, key, _, borrowed = _factor_lookup(gpu.architecture, "fp32", gpu.compute_capability, "conv")
    return key, borrowed


def sustained_clock_fraction(gpu, alpha: float | None = None) -> tuple[float, str]:
    """(sustained / boost clock, how) from the card's board power per CUDA core against its architecture's fit card.

    The efficiency factors are fitted on cards that run near their boost clock (the GeForce flagship or the
    data-centre card of each architecture). A card with less power per core cannot hold that clock under tensor
    load: dynamic power grows faster than linearly with clock (P ~ f V^2, and V rises with f), so its clock falls
    to ``(W/core / W/core of the fit card) ** alpha`` of boost, never above 1. Per CUDA core rather than per SM, so
    that GP100's 64-core SMs compare with GP102's 128-core ones (within one SM design the two are the same ratio).
    ``alpha`` is fitted on the named rows of ``[power]`` in ``profiles/efficiency.toml`` and nowhere else."""
    pw = load_efficiency().get("power")
    if not pw:
        return 1.0, "no power term"
    units = gpu.cuda_cores or gpu.sm_count
    if not gpu.tdp_w or not units:
        return 1.0, "no power term: board power or core count not published"
    key, _ = factor_key(gpu)
    ref_id = load_efficiency()["compute"][key]["fp32"].get("fit_gpu")
    if ref_id is None:
        return 1.0, f"no power term: {key} has no fit card"
    ref = catalog.resolve(ref_id)
    ref_units = ref.cuda_cores if gpu.cuda_cores else ref.sm_count
    w, w_ref = gpu.tdp_w / units, ref.tdp_w / ref_units
    per = "CUDA core" if gpu.cuda_cores else "SM"
    if w >= w_ref:
        return 1.0, f"{w * 1000:.1f} mW/{per} >= {w_ref * 1000:.1f} of {ref.id} (the {key} fit card): boost clock held"
    a = float(pw["alpha"]) if alpha is None else alpha
    frac = (w / w_ref) ** a
    return frac, (f"{gpu.tdp_w:g} W / {units} {per}s = {w * 1000:.1f} mW per {per} vs {w_ref * 1000:.1f} of {ref.id}: "
                  f"sustained clock {frac:.0%} of boost (alpha {a:.3f})")


def memory_factor() -> tuple[float, str]:
    m = load_efficiency()["memory"]
    return float(m["factor"]), m["source"]


def capability_from_gpu(gpu, *, alpha: float | None = None) -> Capability:
    """A catalog card's capability: spec-sheet peaks x its architecture's efficiency factors (per workload family)
    x its sustained clock fraction (``alpha``: the power exponent, default the fitted one in efficiency.toml)."""
    peaks = _peaks(gpu)
    mem_f, mem_src = memory_factor()
    clock, clock_how = sustained_clock_fraction(gpu, alpha)
    conv, mm, tr = {}, {}, {}
    factors = {"memory": {"factor": mem_f, "source": mem_src}, "clock": {"factor": clock, "source": clock_how}}
    for p in PRECISIONS:
        f, how = compute_factor(gpu.architecture, p, gpu.compute_capability)
        conv[p] = peaks["conv"][p] * f * clock
        mm[p] = peaks["matmul"][p] * f * clock
        factors[p] = {"factor": f, "source": how}
        ft, how_t = compute_factor(gpu.architecture, p, gpu.compute_capability, "transformer")
        tr[p] = peaks["matmul"][p] * ft * clock
        factors[f"transformer_{p}"] = {"factor": ft, "source": how_t}
    return Capability(
        id=gpu.id, name=gpu.name, architecture=gpu.architecture, source="catalog", conv_tflops=conv,
        matmul_tflops=mm, bandwidth_gbps=gpu.memory_bandwidth_gbps * mem_f, memory_bytes=gpu.memory_bytes,
        peak={"fp32_tflops": gpu.fp32_tflops, "tf32_tflops": gpu.tf32_tflops,
              "fp16_tensor_tflops": gpu.fp16_tensor_tflops, "memory_bandwidth_gbps": gpu.memory_bandwidth_gbps},
        factors=factors, gpu=gpu, transformer_tflops=tr, clock_fraction=clock,
    )


# ------------------------------------------------------------------------------------------------ prediction

@dataclass
class Prediction:
    workload: str
    precision: str
    throughput: float            # samples per second
    unit: str
    bound: str                   # "compute" or "memory"
    source: str                  # "predicted" or "measured"
    max_batch: int | None        # largest batch that fits in device memory
    compute_s: float | None = None   # per sample
    memory_s: float | None = None    # per sample
    uncertainty: float | None = None     # relative (0.08 = +-8 %), from the validation error of the card's cell
    uncertainty_basis: str | None = None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def max_batch(d: Demand, precision: str, memory_bytes: int | None) -> int | None:
    """Largest batch whose saved activations fit beside the fixed state; 0 if even the weights do not fit."""
    if not memory_bytes:
        return None
    mem = load_workloads_profile()["memory"]
    usable = memory_bytes * (1 - mem["reserve_fraction"]) - mem["context_gib"] * 1024**3 - d.fixed_bytes
    return max(0, int(usable // d.sample_bytes(precision)))


def times_per_sample(cap: Capability, d: Demand, precision: str) -> tuple[float, float]:
    """(compute seconds, memory seconds) per sample. A transformer's tensor work runs at the transformer-family
    rate where the capability has one (catalog cards), else at the matmul rate."""
    if d.family == "transformer" and cap.transformer_tflops:
        compute_s = d.tensor_flops / (cap.transformer_tflops[precision] * 1e12)
    else:
        compute_s = (d.conv_flops / (cap.conv_tflops[precision] * 1e12)
                     + d.matmul_flops / (cap.matmul_tflops[precision] * 1e12))
    memory_s = d.traffic_bytes(precision) / (cap.bandwidth_gbps * 1e9)
    return compute_s, memory_s


def predict(capability: Capability, workload_id: str, precision: str) -> Prediction:
    """Training throughput of ``workload_id`` at ``precision`` on ``capability`` (measured if the capability has it),
    with the uncertainty of a predicted figure (:func:`uncertainty`)."""
    pred = _predict(capability, workload_id, precision)
    if pred.source == "predicted" and capability.gpu is not None:
        u = uncertainty(capability.gpu, workload_id)
        pred.uncertainty, pred.uncertainty_basis = u["fraction"], u["basis"]
    return pred


def _predict(capability: Capability, workload_id: str, precision: str) -> Prediction:
    """``predict`` without the uncertainty (which the validation table, computed from predictions, sets)."""
    if precision not in PRECISIONS:
        raise UserError(f"unknown precision {precision!r}; valid: {', '.join(PRECISIONS)}")
    d = demand(workload_id)
    compute_s, memory_s = times_per_sample(capability, d, precision)
    bound = "compute" if compute_s >= memory_s else "memory"
    mb = max_batch(d, precision, capability.memory_bytes)
    measured = capability.measured.get((workload_id, precision))
    if measured is not None:
        return Prediction(workload_id, precision, measured, d.unit, bound, "measured", mb, compute_s, memory_s)
    return Prediction(workload_id, precision, 1.0 / (compute_s + memory_s), d.unit, bound, "predicted", mb,
                      compute_s, memory_s)


def fit_compute_factor(gpu, workload_id: str, precision: str, measured_per_s: float) -> float:
    """The architecture efficiency that makes the model reproduce ``measured_per_s`` on ``gpu``.

    Inverts time = tensor_flops / (peak x f) + traffic / (bandwidth x memory factor) for f. Raises if the
    measured time is below the memory time alone (the model cannot explain it).
    """
    d = demand(workload_id)
    mem_f, _ = memory_factor()
    memory_s = d.traffic_bytes(precision) / (gpu.memory_bandwidth_gbps * mem_f * 1e9)
    left = 1.0 / measured_per_s - memory_s
    if left <= 0:
        raise ValueError(f"{gpu.id} {workload_id} {precision}: measured faster than its memory traffic allows")
    peaks = _peaks(gpu)
    clock, _ = sustained_clock_fraction(gpu)
    if d.family == "transformer":
        unit_time = d.tensor_flops / (peaks["matmul"][precision] * clock * 1e12)
    else:
        unit_time = (d.conv_flops / (peaks["conv"][precision] * clock * 1e12)
                     + d.matmul_flops / (peaks["matmul"][precision] * clock * 1e12))
    return unit_time / left


# ------------------------------------------------------------------------------------------------ measured

def fp32_is_tf32(gpu) -> bool:
    """Whether the model's fp32 on this card means TF32 tensor cores (GA100, Hopper, B200) rather than FP32 CUDA
    cores: the card has a TF32 rate and its SM version is not one whose peak is set by SMs x clock (``_peaks``)."""
    sm_rate = load_efficiency().get("peak", {}).get("sm_rate_bound", {})
    return bool(gpu.tf32_tflops) and gpu.compute_capability not in sm_rate


def gemm_dtypes(gpu, precision: str) -> tuple[str, ...]:
    """The gemm dtypes, in order of preference, that measure what the model's ``precision`` means on ``gpu``.

    fp32: ``tf32`` where the model's fp32 is TF32 tensor cores, ``float32`` elsewhere (never both: they are up to
    8x apart on an A100). amp: ``float16`` (the model's amp is FP16 tensor cores with FP32 accumulate, what the
    NGC ResNet-50 AMP runs it was fitted on use); ``bfloat16`` only when float16 was not measured and the card's
    spec sheet gives BF16 the FP16 tensor rate. ``gpu`` None (not in the catalog): tf32 if measured, else float32;
    float16, else bfloat16.
    """
    if precision == "fp32":
        if gpu is None:
            return ("tf32", "float32")
        return ("tf32",) if fp32_is_tf32(gpu) else ("float32",)
    if gpu is None or (gpu.bf16_tensor_tflops and gpu.bf16_tensor_tflops == gpu.fp16_tensor_tflops):
        return ("float16", "bfloat16")
    return ("float16",)


def _gemm_rate(ms: list[dict], dtypes: tuple[str, ...]) -> tuple[float, str] | None:
    """(TFLOP/s, dtype): the first dtype in ``dtypes`` that has valid gemm results; of its cases the largest
    (m x n x k: the size nearest the card's peak), the median over that case's results (several workers)."""
    for dt in dtypes:
        rows = [m for m in ms if m.get("kernel") == "gemm" and str(m.get("dtype")) == dt]
        if not rows:
            continue

        def size(m):
            p = m.get("params") or {}
            try:
                return float(p.get("m", 0)) * float(p.get("n", 0)) * float(p.get("k", 0))
            except (TypeError, ValueError):
                return 0.0

        biggest = max(size(m) for m in rows)
        return statistics.median(m["value"] for m in rows if size(m) == biggest), dt
    return None


def gemm_reference(gpu, precision: str) -> tuple[float, str] | None:
    """(fraction of the model's peak a typical card of this architecture reaches in a large gemm, source), from
    ``[gemm_reference.<arch>[-<cc>].<precision>]`` in ``profiles/efficiency.toml``; None where none is published."""
    ref = load_efficiency().get("gemm_reference", {})
    for key in (f"{gpu.architecture}-{gpu.compute_capability}", gpu.architecture):
        e = ref.get(key, {}).get(precision)
        if e is not None:
            return float(e["fraction"]), str(e["source"])
    return None


def suite_config(workload_id: str) -> dict | None:
    """The ``params`` a ``train_cnn`` / ``train_transformer`` measurement carries when it ran the model this
    workload's demand is counted for (``profiles/workloads.toml``); None for workloads the suite does not run."""
    spec = load_workloads_profile()["workloads"].get(workload_id)
    if workload_id == "train_cnn" and spec:
        blocks = set(spec["blocks"])
        return {"image": spec["image"], "channels": list(spec["widths"]),
                "blocks": blocks.pop() if len(blocks) == 1 else list(spec["blocks"]), "classes": spec["classes"]}
    if workload_id == "train_transformer" and spec:
        return {"layers": spec["layers"], "d_model": spec["hidden"], "heads": spec["heads"], "seq": spec["seq"],
                "vocab": spec["vocab"]}
    return None


def _same_model(params: Any, want: dict) -> bool:
    if not isinstance(params, dict):
        return False
    norm = (lambda v: list(v) if isinstance(v, (list, tuple)) else v)
    return all(norm(params.get(k)) == norm(v) for k, v in want.items())


def capability_from_results(doc: "dict | results.Results", device: str = "cuda:0") -> Capability:
    """A device's capability from a ``rigbench.results/1`` document (docs/model.md, "Measured capability").

    * gemm: of the dtype that measures what the model's precision means on this card (``gemm_dtypes``), the largest
      case. It changes the catalog capability only relative to what a typical card of the architecture reaches
      (``gemm_reference``): compute x (measured / model peak) / typical fraction, so a card measuring the typical
      rate predicts the catalog value. Without a published typical fraction it is recorded, not applied (the
      efficiency factors are fitted against the spec peak; putting an achieved rate in its place would count the
      gemm shortfall twice).
    * memcopy: the median GB/s replaces spec bandwidth x memory factor (both are achieved streaming rates).
    * train_cnn / train_transformer: returned as measured throughput only when their ``params`` are the model the
      workload's demand counts (a ``--quick`` run's smaller net is not); the factor they imply is recorded as
      ``calibrated_<precision>`` but never applied to ResNet-50 or BERT (a 32x32 net's kernels say nothing
      established about a 224x224 ResNet-50's).
    Distributed files carry per-worker measurements: the median over the matching ones is used.
    """
    view = results.Results.of(doc)
    everything = view.all(device=device)
    ms = [f.raw for f in view.ok(device=device)]   # valid figures of this device only
    if not ms:
        if everything:
            raise UserError(f"results file's measurements for device {device!r} are {view.invalid_note(everything)}: "
                            "rerun rigbench bench on a quiet machine")
        raise UserError(f"results file has no valid measurements for device {device!r}")
    pg = view.device_measured(device) or {}
    gpu = catalog.find(pg["catalog_id"]) if pg.get("catalog_id") else None
    if gpu is None and pg.get("name"):
        gpu = catalog.find(pg["name"])

    def med(kernel: str) -> float | None:
        vals = [m["value"] for m in ms if m.get("kernel") == kernel]
        return statistics.median(vals) if vals else None

    if gpu is not None:
        cap = capability_from_gpu(gpu)
    else:
        fp32 = _gemm_rate(ms, gemm_dtypes(None, "fp32"))
        bw = med("memcopy")
        if fp32 is None or bw is None:
            lacking = []
            for kernel, have in (("gemm fp32", fp32), ("memcopy", bw)):
                if have is None:
                    ran = [f for f in everything if f.kernel == kernel.split()[0]]
                    lacking.append(f"{kernel} {view.invalid_note(ran)}" if ran else f"no {kernel}")
            raise UserError(f"device {device!r} is not in the catalog and the results file's measurements cannot "
                            f"stand in for its specs: {'; '.join(lacking)}")
        amp = _gemm_rate(ms, gemm_dtypes(None, "amp")) or fp32
        conv, mm, factors = {}, {}, {}
        for p, (rate, dt) in (("fp32", fp32), ("amp", amp)):
            f, how = compute_factor("ampere", p)
            conv[p] = mm[p] = rate * f
            factors[p] = {"factor": f, "source": f"unknown architecture: measured gemm {dt} x GA100's factor "
                                                 f"(a rough stand-in); {how}"}
        cap = Capability(id=device, name=pg.get("name") or device, architecture=None, source="measured",
                         conv_tflops=conv, matmul_tflops=mm, bandwidth_gbps=bw,
                         memory_bytes=pg.get("memory_total_bytes"), factors=factors)
    cap.source = "measured"
    host = (view.host or "results")
    cap.id = f"{gpu.id if gpu else device}@{host}" if isinstance(host, str) else cap.id
    if gpu is not None:
        peaks = _peaks(gpu)
        for p in PRECISIONS:
            got = _gemm_rate(ms, gemm_dtypes(gpu, p))
            if got is None:
                continue
            g, dt = got
            cap.peak[f"measured_gemm_{p}_tflops"] = g
            cap.peak[f"measured_gemm_{p}_dtype"] = dt
            achieved = g / peaks["matmul"][p]
            ref = gemm_reference(gpu, p)
            if ref is None:
                cap.factors[f"measured_gemm_{p}"] = {
                    "fraction_of_peak": achieved, "applied": False,
                    "source": f"gemm {dt} {g:.4g} TFLOP/s = {achieved:.0%} of the model's peak; not applied: no "
                              f"published typical gemm fraction for {gpu.architecture} {p} to compare it with"}
                continue
            typical, src = ref
            scale = achieved / typical
            cap.conv_tflops[p] *= scale
            cap.matmul_tflops[p] *= scale
            if p in cap.transformer_tflops:
                cap.transformer_tflops[p] *= scale
            cap.factors[f"measured_gemm_{p}"] = {
                "fraction_of_peak": achieved, "typical_fraction": typical, "scale": scale, "applied": True,
                "source": f"gemm {dt} {g:.4g} TFLOP/s = {achieved:.0%} of the model's peak, typical {typical:.0%} "
                          f"({src})"}
    bw = med("memcopy")
    if bw is not None:
        cap.bandwidth_gbps = bw
        cap.peak["measured_bandwidth_gbps"] = bw
        cap.factors["memory"] = {"factor": None, "source": "measured memcopy bandwidth"}
    for kernel in ("train_cnn", "train_transformer"):
        want = suite_config(kernel)
        for p in PRECISIONS:
            rows = [m for m in ms if m.get("kernel") == kernel and _DTYPE_PRECISION.get(str(m.get("dtype"))) == p]
            same = [m["value"] for m in rows if want is not None and _same_model(m.get("params"), want)]
            if rows and not same:
                cap.factors[f"ignored_{kernel}_{p}"] = {
                    "source": f"{kernel} {p} measured with other params than the workload's model "
                              f"({rows[0].get('params')} vs {want}; a --quick run?): not used"}
            if not same:
                continue
            v = statistics.median(same)
            cap.measured[(kernel, p)] = v
            cal = calibrate_factor(cap, kernel, p, v)
            if cal is not None:
                cap.factors[f"calibrated_{p}"] = {
                    "factor": cal, "applied": False,
                    "source": f"{kernel} measured {v:.4g}/s; the factor that reproduces it on this capability, "
                              "recorded only: not applied to ResNet-50 or BERT"}
    return cap


def calibrate_factor(cap: Capability, workload_id: str, precision: str, measured_per_s: float) -> float | None:
    """The compute factor (relative to the capability's peak) that reproduces a measured throughput, or None."""
    d = demand(workload_id)
    memory_s = d.traffic_bytes(precision) / (cap.bandwidth_gbps * 1e9)
    left = 1.0 / measured_per_s - memory_s
    if left <= 0:
        return None
    f = cap.factors.get(precision, {}).get("factor") or 1.0
    unit_time = (d.conv_flops / (cap.conv_tflops[precision] / f * 1e12)
                 + d.matmul_flops / (cap.matmul_tflops[precision] / f * 1e12))
    return unit_time / left


# ------------------------------------------------------------------------------------------------ validation

def fit_target(entry: dict) -> float:
    """The throughput a factor is fitted to. ``fit_throughput`` as published; with ``fit_anchor_gpu`` the fit is
    to the RATIO against an anchor card measured in the same table, carried onto the anchor's own fit stack:
    target = fit_throughput x (the model's anchor prediction / fit_anchor_throughput). Used where a card's only
    published run is on a newer software stack than its neighbours' fits (B200: NGC 24.10 vs 22.10)."""
    t = float(entry["fit_throughput"])
    if "fit_anchor_gpu" not in entry:
        return t
    anchor = _predict(capability_from_gpu(catalog.resolve(entry["fit_anchor_gpu"])), entry["fit_workload"],
                     entry["fit_precision"]).throughput
    return t * anchor / float(entry["fit_anchor_throughput"])


def refit_factors(family: str = "conv") -> dict[tuple[str, str], float]:
    """Recompute every fitted factor of one family (``[compute]`` = conv, ``[transformer]``) of
    ``profiles/efficiency.toml`` from the measurement written beside it."""
    out = {}
    for arch, precs in load_efficiency().get(_FAMILY_SECTION[family], {}).items():
        for p, e in precs.items():
            if "fit_gpu" in e:
                out[(arch, p)] = fit_compute_factor(catalog.resolve(e["fit_gpu"]), e["fit_workload"], p,
                                                    fit_target({**e, "fit_precision": p}))
    return out


def fit_entries() -> list[dict]:
    """Every fitted factor as a row: family, key, precision, card, workload, throughput, source family."""
    out = []
    for family, section in _FAMILY_SECTION.items():
        for arch, precs in load_efficiency().get(section, {}).items():
            for p, e in precs.items():
                if "fit_gpu" in e:
                    out.append({"family": family, "key": arch, "precision": p, "gpu": e["fit_gpu"],
                                "workload": e["fit_workload"], "throughput": float(e["fit_throughput"]),
                                "source_family": e["fit_family"], "anchor": e.get("fit_anchor_gpu")})
    return out


def fit_power_alpha(step: float = 0.001) -> float:
    """The power exponent that best reproduces the ``[power] fit_rows`` (least squares of log(predicted /
    measured)), searched over 0 .. 1; the efficiency factors stay as fitted (their fit cards hold boost clock)."""
    rows = load_efficiency()["power"]["fit_rows"]
    cards = {r["gpu"]: catalog.resolve(r["gpu"]) for r in rows}

    def loss(a: float) -> float:
        return sum(math.log(_predict(capability_from_gpu(cards[r["gpu"]], alpha=a), r["workload"],
                                    r["precision"]).throughput / float(r["throughput"])) ** 2 for r in rows)

    grid = [i * step for i in range(int(round(1 / step)) + 1)]
    return min(grid, key=loss)


def fit_set_cards() -> set[str]:
    return {e["gpu"] for e in fit_entries()}


def validation_table() -> list[dict]:
    """Predicted vs published speed-ups of the pairs in ``profiles/validation.csv``, with the signed relative
    error of each. A pair either comes from another source family than the fit set or uses only cards no factor
    was fitted to (tests/test_model.py checks it)."""
    rows = []
    for r in data.load_csv("validation.csv"):
        if r["split"] != "validation":
            continue
        a, b = catalog.resolve(r["gpu_a"]), catalog.resolve(r["gpu_b"])
        ta = _predict(capability_from_gpu(a), r["workload"], r["precision"]).throughput
        tb = _predict(capability_from_gpu(b), r["workload"], r["precision"]).throughput
        measured = float(r["measured"])
        predicted = ta / tb
        rows.append({"gpu_a": a.id, "gpu_b": b.id, "workload": r["workload"], "precision": r["precision"],
                     "measured": measured, "predicted": predicted, "error": (predicted - measured) / measured,
                     "family": r["family"], "source": r["source"], "url": r["url"]})
    return rows


# ------------------------------------------------------------------------------------------------ uncertainty

# A cell needs this many validation pairs before its own error is trusted as its band; below it, and for cards whose
# factors are borrowed from another architecture, the band is the family's validation error times EXTRAPOLATION.
MIN_CELL_PAIRS = 3
EXTRAPOLATION = 2.0


def validation_cell(gpu) -> str:
    """The cell a card's predictions are validated in: its efficiency key ('ampere-8.6', 'ada' ...), with laptop
    parts in a cell of their own ('turing-laptop'): their power limit is set by the laptop maker."""
    key, borrowed = factor_key(gpu)
    if borrowed:   # its own key ('blackwell-12.0', 'kepler'), so its pairs do not count as the lender's
        fb = load_efficiency().get("fallback", {})
        cc_key = f"{gpu.architecture}-{gpu.compute_capability}"
        key = cc_key if cc_key in fb else gpu.architecture
    return key + ("-laptop" if getattr(gpu, "form_factor", None) == "laptop" else "")


@lru_cache(maxsize=1)
def validation_summary() -> dict:
    """Mean absolute ratio error of the validation pairs: overall, per workload family, per source family and per
    (cell, workload family); a pair counts in the cell of each of its two cards."""
    rows = validation_table()
    cells: dict[tuple[str, str], list[float]] = {}
    fams: dict[str, list[float]] = {}
    sources: dict[str, list[float]] = {}
    for r in rows:
        fam = demand(r["workload"]).family
        fams.setdefault(fam, []).append(abs(r["error"]))
        sources.setdefault(r["family"], []).append(abs(r["error"]))
        for c in {r["gpu_a"], r["gpu_b"]}:
            cells.setdefault((validation_cell(catalog.resolve(c)), fam), []).append(abs(r["error"]))

    def mae(v: list[float]) -> dict:
        return {"mae": sum(v) / len(v), "pairs": len(v)}

    return {"all": mae([abs(r["error"]) for r in rows]), "families": {k: mae(v) for k, v in fams.items()},
            "sources": {k: mae(v) for k, v in sources.items()}, "cells": {k: mae(v) for k, v in cells.items()}}


def uncertainty(gpu, workload_id: str) -> dict:
    """The relative uncertainty of a catalog card's predicted throughput on a workload: the validation MAE of its
    (cell, workload family) when the cell has MIN_CELL_PAIRS pairs or more and the card's factors are its own; else
    EXTRAPOLATION x the family's MAE, marked extrapolated (Blackwell GeForce, Tesla K80, Ada laptops, B200 ...)."""
    fam = demand(workload_id).family
    summary = validation_summary()
    cell = validation_cell(gpu)
    _, borrowed = factor_key(gpu)
    own = summary["cells"].get((cell, fam))
    family_mae = summary["families"][fam]["mae"]
    if own is not None and own["pairs"] >= MIN_CELL_PAIRS and not borrowed:
        return {"fraction": own["mae"], "cell": f"{cell} x {fam}", "pairs": own["pairs"], "extrapolated": False,
                "basis": f"validation MAE of {cell} x {fam} over {own['pairs']} published pairs"}
    why = ("factors borrowed from another architecture" if borrowed else
           f"{own['pairs'] if own else 0} validation pairs in {cell} x {fam}")
    return {"fraction": EXTRAPOLATION * family_mae, "cell": f"{cell} x {fam}", "pairs": own["pairs"] if own else 0,
            "extrapolated": True,
            "basis": f"extrapolated ({why}): {EXTRAPOLATION:g} x the {fam} family's validation MAE {family_mae:.1%}"}
