"""A model's demand from two traced steps: FLOPs, bytes moved and memory as functions of the batch.

Rule (stated on screen and in docs/size.md): every count of a training step is affine in the batch,
``count(B) = fixed + per_sample x B``, fitted exactly from real steps at batches 2 and 4 on this CPU. FLOPs, traffic
and saved activations grow with the batch; weights, gradients, optimizer state and the optimizer's own traffic do
not. Memory is fitted moment by moment: the bytes alive after each operator of the step (the same operators run in
the same order at any batch) are affine in the batch, and the peak at B is the largest of those lines at B. The peak
moves: at a small batch it can be the optimizer step (weights + gradients + state + temporaries), at a large one the
start of backward (every saved activation alive); fitting the peak itself from two small batches would miss that.
When the two steps run different operator sequences (control flow that depends on the batch), the peak of each
phase (forward, backward, optimizer) is fitted instead, and ``rule`` says so. ``tests/test_size_memory.py`` checks
the rule against real steps at other batches.

The per-sample demand at a batch becomes a ``rigbench.model.Demand``, so time comes from the one performance model
that ``compare`` and ``cost`` use.
"""

from __future__ import annotations

import contextlib
import gc
import math
from dataclasses import dataclass, field

import psutil

from rigbench import model as perf_model
from rigbench.errors import UserError
from rigbench.size import load as loader
from rigbench.size.trace import StepTrace, describe_failure, is_out_of_memory, trace_step
from rigbench.units import one_line, shown

TRACE_BATCHES = (2, 4)
# Parameters in these dtypes train on the same path as --precision amp in rigbench.model: tensor work at the card's
# 16-bit tensor-core rate, 2 bytes an element through memory.
SIXTEEN_BIT = ("bfloat16", "float16")
ANY_BATCH = 2**31 - 1       # max_batch when nothing in the step grows with the batch
PHASES = ("forward", "backward", "optimizer")


@dataclass(frozen=True)
class Affine:
    """``fixed + per_sample x batch``."""

    fixed: float
    per_sample: float

    def at(self, batch: float) -> float:
        return self.fixed + self.per_sample * batch

    @classmethod
    def through(cls, b1: int, v1: float, b2: int, v2: float) -> "Affine":
        per = (v2 - v1) / (b2 - b1)
        return cls(v1 - per * b1, per)

    def to_dict(self) -> dict:
        return {"fixed": self.fixed, "per_sample": self.per_sample}


@dataclass
class ModelDemand:
    """What training a model needs at any batch, on one target ("cuda": the cards; "cpu": this machine)."""

    name: str
    unit: str
    precision: str
    target: str
    optimizer: str
    params: int
    flops: Affine
    conv_flops: Affine
    traffic_bytes: Affine
    elements: Affine
    saved_bytes: Affine
    phase_peak: dict[str, Affine]
    param_bytes: float
    buffer_bytes: float
    grad_bytes: float
    optimizer_bytes: float
    input_bytes: Affine
    family: str = "conv"            # rigbench.model's workload family: which efficiency factors apply
    moments: list[tuple[str, Affine]] = field(default_factory=list)   # bytes alive after each operator
    traces: list[StepTrace] = field(default_factory=list)
    input_exact: Affine | None = None   # the input batch without allocator rounding
    loss_finite: bool = True            # every traced step's loss was a finite number
    kernels: Affine | None = None       # operators of a step that launch a kernel on a GPU (trace.StepTrace.kernels)
    weights_dtype: str = "float32"      # the floating dtype holding most of the model's parameters

    @property
    def precision_label(self) -> str:
        """The precision as the screen names it: the option, or the 16-bit weights that put it on the amp path."""
        if self.weights_dtype in SIXTEEN_BIT:
            return f"{self.weights_dtype} weights, timed as amp (each card's 16-bit rate)"
        return self.precision

    @property
    def rule(self) -> str:
        how = "each moment of the step" if self.moments else "the peak of each phase (the two steps ran different operators)"
        return (f"affine in the batch, fitted from real steps at batches {TRACE_BATCHES[0]} and {TRACE_BATCHES[1]}; "
                f"memory: {how}")

    def _lines(self) -> list[tuple[str, Affine]]:
        lines = self.moments or list(self.phase_peak.items())
        if self.input_exact is not None and self.input_exact.per_sample > 0:
            # Weights and the input batch are alive together in every forward pass, so the peak never lies below
            # them. The fitted lines already hold both; this floor only shows where CUDA's 512-byte blocks round a
            # tiny input to the same size at both traced batches, which would read as memory that never grows.
            lines = [*lines, ("forward", Affine(self.param_bytes + self.buffer_bytes, self.input_exact.per_sample))]
        return lines

    def peak_bytes(self, batch: int) -> float:
        """Most bytes alive at once in a step at ``batch``."""
        return max(a.at(batch) for _, a in self._lines())

    def peak_phase(self, batch: int) -> str:
        return max(self._lines(), key=lambda m: m[1].at(batch))[0]

    def max_batch(self, budget_bytes: float) -> int:
        """Largest batch whose peak fits in ``budget_bytes``; 0 if none does."""
        best = None
        for _, a in self._lines():
            if a.per_sample <= 0:
                if a.fixed > budget_bytes:
                    return 0
                continue
            n = int((budget_bytes - a.fixed) // a.per_sample)
            best = n if best is None else min(best, n)
        if best is None:                     # nothing grows with the batch: any batch fits
            return ANY_BATCH
        return max(0, best)

    def breakdown(self, batch: int) -> dict[str, float]:
        """The peak at ``batch`` in parts: weights (and buffers), optimizer state, input batch, saved activations,
        and the rest (gradients and temporaries alive at that moment)."""
        peak = self.peak_bytes(batch)
        parts = {"weights": self.param_bytes + self.buffer_bytes, "optimizer_state": self.optimizer_bytes,
                 "input": max(self.input_bytes.at(batch), self.input_exact.at(batch) if self.input_exact else 0.0)}
        if self.peak_phase(batch) != "optimizer":
            parts["activations"] = self.saved_bytes.at(batch)
        else:
            parts["gradients"] = self.grad_bytes
        parts["other"] = max(0.0, peak - sum(parts.values()))
        parts["peak"] = peak
        return parts

    def kernels_at(self, batch: int) -> float:
        """Kernels a step at ``batch`` launches (0 where they were not counted)."""
        return max(0.0, self.kernels.at(batch)) if self.kernels is not None else 0.0

    def demand(self, batch: int) -> perf_model.Demand:
        """The per-sample ``rigbench.model.Demand`` of a step at ``batch`` (batch-independent work spread over it)."""
        bpe = perf_model.BYTES_PER_ELEMENT[self.precision]
        mem = perf_model.load_workloads_profile()["memory"]
        opt_bpp = mem["sgd_bytes_per_param" if self.optimizer == "sgd" else "adam_bytes_per_param"]
        return perf_model.Demand(
            workload_id=self.name, name=self.name, unit=f"{self.unit}/s",
            tensor_flops=self.flops.at(batch) / batch, conv_flops=self.conv_flops.at(batch) / batch,
            elementwise_elements=max(self.elements.at(batch) / batch, 1e-30),
            accesses=self.traffic_bytes.at(batch) / batch / bpe, saved_elements=self.saved_bytes.per_sample / bpe,
            params=self.params, optimizer_bytes_per_param=opt_bpp, family=self.family,
            source="counted from the model by rigbench size (torch FlopCounterMode, operator traffic, live bytes)")

    def to_dict(self, batch: int) -> dict:
        return {
            "params": self.params, "optimizer": self.optimizer, "precision": self.precision,
            "weights_dtype": self.weights_dtype, "target": self.target,
            "family": self.family, "flops_per_step": self.flops.at(batch), "conv_flops_per_step": self.conv_flops.at(batch),
            "traffic_bytes_per_step": self.traffic_bytes.at(batch), "kernels_per_step": self.kernels_at(batch),
            "memory_bytes": self.breakdown(batch), "peak_phase": self.peak_phase(batch),
            "fits": {"flops": self.flops.to_dict(), "traffic_bytes": self.traffic_bytes.to_dict(),
                     "saved_bytes": self.saved_bytes.to_dict(),
                     "phase_peak_bytes": {k: v.to_dict() for k, v in self.phase_peak.items()}},
            "rule": self.rule,
        }


def _step_fn(job: loader.Job, precision: str, losses: list[bool]):
    """One training step of ``job``; whether each step's loss was finite is appended to ``losses``."""
    import torch

    def step(model, batch, optimizer, phase, after_backward):
        amp = torch.autocast("cpu", dtype=torch.bfloat16) if precision == "amp" else contextlib.nullcontext()
        with phase("forward"), amp:
            out = loader.forward(model, batch)
            loss = loader.loss_of(job, out, batch)
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1 or not loss.requires_grad:
            raise UserError(f"{one_line(job.name)}: the loss is not a scalar tensor that depends on the parameters "
                            f"(got {type(loss).__name__}{'' if not isinstance(loss, torch.Tensor) else ' of shape ' + str(tuple(loss.shape))})")
        losses.append(math.isfinite(loss.item()))   # read, not computed on: no tensor for the trace to count
        phase("backward")
        loss.backward()
        after_backward()
        phase("optimizer")
        optimizer.step()

    return step


def weights_dtype(model) -> str:
    """The floating dtype that holds most of ``model``'s parameter elements ("float32", "bfloat16", ...)."""
    counts: dict[str, int] = {}
    for p in model.parameters():
        if p.is_floating_point():
            name = str(p.dtype).removeprefix("torch.")
            counts[name] = counts.get(name, 0) + p.numel()
    return max(counts, key=counts.get) if counts else "float32"


def _check_dtype(job: loader.Job) -> str:
    """The weights' dtype, refused where rigbench.model has no rates for it. The catalog (profiles/gpus.csv) lists
    FP32, TF32 and 16-bit rates only: float64 runs at a fraction of FP32 on most cards (1/64 on an RTX 4090), which
    no column says."""
    dtype = weights_dtype(job.model)
    if dtype not in ("float32", *SIXTEEN_BIT):
        raise UserError(f"{one_line(job.name)}: rigbench sizes float32 / mixed-precision training; this model's "
                        f"parameters are {dtype} (the catalog has no {dtype} rates)")
    return dtype


def _check_dense(job: loader.Job) -> None:
    """Refuse sparse tensors before running: the trace reads every tensor's storage (to count each once), and a
    sparse tensor has none (torch: "Cannot access storage of SparseTensorImpl"). It is the tracer's limit, not the
    model's fault."""
    import torch
    from torch.utils._pytree import tree_leaves

    sparse_grads = any(getattr(m, "sparse", False) is True for m in job.model.modules()
                       if isinstance(m, (torch.nn.Embedding, torch.nn.EmbeddingBag)))
    sparse_inputs = any(isinstance(t, torch.Tensor) and t.layout != torch.strided for t in tree_leaves(job.batch))
    if sparse_grads or sparse_inputs:
        raise UserError(f"{one_line(job.name)}: rigbench cannot size models with sparse tensors (sparse=True "
                        "embeddings or sparse inputs)")


def _check_room(job: loader.Job) -> None:
    """Refuse, before running it, a model whose weights, gradients and optimizer state do not fit in this machine's
    free memory (the trace runs real steps)."""
    params = [p for p in job.model.parameters()]
    param_bytes = sum(p.numel() * p.element_size() for p in params)
    # weights (already allocated) + gradients + up to two optimizer moments + one foreach temporary
    need = param_bytes * 4
    free = psutil.virtual_memory().available
    if need > free:
        raise UserError(f"{one_line(job.name)} is too large to trace on this machine: "
                        f"{sum(p.numel() for p in params):,} parameters need about {need / 2**30:.1f} GiB for "
                        "gradients and optimizer state, "
                        f"{free / 2**30:.1f} GiB is free")


def saved_bytes_on_meta(job: loader.Job, n: int) -> int | None:
    """Bytes autograd saves for the backward in one forward and loss of ``job`` at batch ``n``, run on the meta
    device (shapes only: nothing is allocated); each saved tensor counted once. None where the model cannot run
    there (an op without a meta kernel, a value read back to Python): the trace itself then judges."""
    import torch
    from torch.func import functional_call
    from torch.utils._pytree import tree_map

    def meta(t):
        return t.detach().to("meta").requires_grad_(t.requires_grad) if isinstance(t, torch.Tensor) else t

    state = {k: meta(v) for k, v in [*job.model.named_parameters(), *job.model.named_buffers()]}
    weights = {id(v) for v in state.values()}
    seen: dict[int, torch.Tensor] = {}

    def pack(t):
        # the weights a layer keeps for its backward are counted with the weights, not as activations
        if id(t) not in weights and id(getattr(t, "_base", None)) not in weights:
            seen.setdefault(id(t), t)    # held, so an id is not reused by another tensor within this forward
        return t

    try:
        batch = loader.resize_batch(tree_map(meta, job.batch), n)
        inputs, _, _ = loader.split_batch(batch)
        args, kwargs = ((), inputs) if isinstance(inputs, dict) else (
            (tuple(inputs), {}) if isinstance(inputs, (tuple, list)) else ((inputs,), {}))
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            loader.loss_of(job, functional_call(job.model, state, args, kwargs), batch)
    except Exception:                      # noqa: BLE001 - any failure here only means "cannot tell in advance"
        return None
    return sum(t.numel() * t.element_size() for t in seen.values())


def _check_activation_room(job: loader.Job) -> None:
    """Refuse, before running it, a model whose largest traced step cannot fit in this machine's free memory:
    what its forward saves at that batch (:func:`saved_bytes_on_meta`, a lower bound of the step's peak) with the
    weights, gradients and optimizer state. Without it a model of large inputs (a 6000 x 6000 image) ran until the
    machine swapped."""
    saved = saved_bytes_on_meta(job, TRACE_BATCHES[-1])
    if saved is None:
        return
    param_bytes = sum(p.numel() * p.element_size() for p in job.model.parameters())
    need, free = saved + param_bytes * 4, psutil.virtual_memory().available
    if need > free:
        raise UserError(f"{one_line(job.name)} is too large to trace on this machine: a training step at batch "
                        f"{TRACE_BATCHES[-1]} saves {saved / 2**30:.1f} GiB of activations for its backward "
                        f"(counted without running it), {need / 2**30:.1f} GiB with the weights, gradients and "
                        f"optimizer state; {free / 2**30:.1f} GiB is free")


def _create_state(model, optimizer) -> None:
    """Let the optimizer create its state (moments, momentum) with one step on zero gradients, so the traced steps
    are steady ones, without the cost of a forward and backward pass."""
    import torch

    for p in model.parameters():
        if p.requires_grad:
            p.grad = torch.zeros_like(p)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def measure(job: loader.Job, precision: str = "fp32", target: str = "cuda") -> ModelDemand:
    """Trace two steps of ``job`` at batches 2 and 4, after its optimizer has created its state."""
    if precision not in perf_model.PRECISIONS:
        raise UserError(f"unknown precision {shown(precision)}; valid: {', '.join(perf_model.PRECISIONS)}")
    dtype = _check_dtype(job)
    _check_dense(job)
    _check_room(job)
    job.model.train()
    _check_activation_room(job)
    optimizer = loader.make_optimizer(job, target)
    losses: list[bool] = []
    step = _step_fn(job, precision, losses)
    traces: list[StepTrace] = []
    try:
        _create_state(job.model, optimizer)
        for b in TRACE_BATCHES:
            optimizer.zero_grad(set_to_none=True)
            batch = job.resized(b)
            gc.collect()
            traces.append(trace_step(job.model, batch, step, optimizer, precision=precision, target=target))
            del batch
        optimizer.zero_grad(set_to_none=True)
    except UserError:
        raise
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        if is_out_of_memory(exc):
            raise UserError(f"{one_line(job.name)} is too large to trace on this machine: a training step at batch "
                            f"{TRACE_BATCHES[-1]} ran out of memory ({describe_failure(exc)})") from None
        raise UserError(f"{one_line(job.name)}: a training step fails: {describe_failure(exc)}"
                        f"{job.vector_hint()}") from None
    uncounted = sorted({op for t in traces for op in t.uncounted_ops})
    if uncounted:
        raise UserError(f"{one_line(job.name)}: rigbench cannot count the work of the fused recurrent operator(s) "
                        f"{', '.join(uncounted)} that this torch runs the model's RNN/LSTM/GRU layers with; a "
                        "prediction without it would leave out most of the step")
    (b1, t1), (b2, t2) = [(t.batch, t) for t in traces]

    def fit(attr: str) -> Affine:
        return Affine.through(b1, getattr(t1, attr), b2, getattr(t2, attr))

    phases = {p: Affine.through(b1, t1.phase_peak_bytes.get(p, 0.0), b2, t2.phase_peak_bytes.get(p, 0.0))
              for p in PHASES if p in t1.phase_peak_bytes or p in t2.phase_peak_bytes}
    conv = fit("conv_flops").at(TRACE_BATCHES[1])
    tensor = fit("tensor_flops").at(TRACE_BATCHES[1])
    family = job.family or ("conv" if tensor and conv >= tensor / 2 else "transformer")
    moments: list[tuple[str, Affine]] = []
    if [p for p, _ in t1.timeline] == [p for p, _ in t2.timeline]:
        moments = _upper_lines([(p, Affine.through(b1, v1, b2, v2))
                                for (p, v1), (_, v2) in zip(t1.timeline, t2.timeline)])
    return ModelDemand(
        name=job.name, unit=job.unit, precision="amp" if dtype in SIXTEEN_BIT else precision, target=target,
        optimizer=loader.optimizer_name(optimizer), weights_dtype=dtype,
        params=t2.params, flops=fit("tensor_flops"), conv_flops=fit("conv_flops"), traffic_bytes=fit("traffic_bytes"),
        elements=fit("elementwise_elements"), saved_bytes=fit("saved_bytes"), phase_peak=phases,
        param_bytes=t2.param_bytes, buffer_bytes=t2.buffer_bytes, grad_bytes=t2.grad_bytes,
        optimizer_bytes=t2.optimizer_bytes, input_bytes=fit("input_bytes"), family=family, moments=moments,
        traces=traces, input_exact=fit("input_exact_bytes"), loss_finite=all(losses), kernels=fit("kernels"))


def _upper_lines(lines: list[tuple[str, Affine]]) -> list[tuple[str, Affine]]:
    """The lines that can be the maximum for some batch >= 1 (the rest never are): the largest fixed part for each
    slope, then only lines steeper than every line above them at batch 1."""
    best: dict[float, tuple[str, Affine]] = {}
    for p, a in lines:
        if a.per_sample not in best or a.fixed > best[a.per_sample][1].fixed:
            best[a.per_sample] = (p, a)
    kept: list[tuple[str, Affine]] = []
    top_at_1 = -float("inf")
    for slope in sorted(best, reverse=True):       # steepest first: it wins at large batches
        p, a = best[slope]
        if a.at(1) > top_at_1:
            kept.append((p, a))
            top_at_1 = a.at(1)
    return kept
