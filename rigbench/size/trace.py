"""Count what one training step of a real model needs, by running it on this CPU under three counters.

* FLOPs: ``torch.utils.flop_counter.FlopCounterMode`` (torch's own formulas: a multiply-add is 2 FLOPs; a
  convolution's backward computes the input gradient only where the input needs one). The CPU flash-attention
  kernel that ``scaled_dot_product_attention`` picks on a CPU has no formula in torch; it gets torch's formulas for
  the other attention kernels, halved for a causal mask (the kernel skips the masked half, the convention
  ``rigbench.model`` counts causal attention with).
* Bytes moved: every operator that is not tensor work (those FlopCounterMode has a formula for) and not a view reads
  its input tensors once and writes its outputs once; normalisation layers read their input twice in each direction
  (a statistics pass before the normalise pass: Jung et al., "Restructuring Batch Normalization to Accelerate CNN
  Training", SysML 2019, section 2), the convention ``profiles/workloads.toml [traffic]`` counts by hand.
* Memory: the bytes alive at every moment of the step (each storage counted once however many views share it, added
  when an operator first returns it, removed when torch frees it), whose maximum is the step's peak; and the
  activations autograd saves for backward (``torch.autograd.graph.saved_tensors_hooks``), parameters excluded.

A trace is one step at one batch; ``rigbench.size.demand`` fits the batch dependence from two of them.
"""

from __future__ import annotations

import bisect
import contextlib
import weakref
from dataclasses import asdict, dataclass
from math import prod
from typing import Any, Callable


# The CUDA caching allocator hands out blocks in multiples of 512 bytes (kMinBlockSize and round_size in
# c10/cuda/CUDACachingAllocator.cpp), and torch.cuda.max_memory_allocated counts those blocks; the CPU allocator
# allocates the bytes asked for.
CUDA_BLOCK_BYTES = 512
_NORM_OPS = ("native_batch_norm", "_native_batch_norm_legit", "native_layer_norm", "native_group_norm",
             "batch_norm", "layer_norm", "group_norm", "rms_norm", "_fused_rms_norm")
_MARK = "rigbench.size.op."
_NO_WRITE_OPS = ("empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided", "_local_scalar_dense",
                 "lift_fresh", "set_", "resize_", "detach_",
                 # the profiler's markers (torch.optim wraps its step in one): bookkeeping on the host, no kernel
                 "_record_function_enter", "_record_function_enter_new", "_record_function_exit")


@dataclass(frozen=True)
class StepTrace:
    """One training step of one model at one batch, counted on this CPU. Bytes are per step."""

    batch: int
    precision: str
    target: str                   # "cpu" or "cuda": allocator rounding and optimizer implementation it mimics
    tensor_flops: float           # FlopCounterMode, forward + backward
    conv_flops: float             # the part in convolutions
    traffic_bytes: float          # read + written by memory-bound operators (optimizer included)
    elementwise_elements: float   # elements those operators write
    saved_bytes: float            # activations kept for backward (parameters and the input batch excluded)
    peak_bytes: float             # most bytes alive at once during the step
    peak_phase: str               # forward, backward or optimizer
    phase_peak_bytes: dict        # the most bytes alive in each phase
    input_bytes: float
    param_bytes: float
    buffer_bytes: float
    grad_bytes: float             # gradients alive after backward
    optimizer_bytes: float        # optimizer state after the step
    params: int
    timeline: tuple = ()          # (phase, bytes alive) after each operator, in order
    input_exact_bytes: float = 0.0  # the input batch at its own size, without the allocator's rounding
    kernels: int = 0              # operators that launch at least one kernel on a GPU (launch_ops lists them)
    launch_ops: tuple = ()        # their names, in order
    uncounted_ops: tuple = ()     # fused recurrent operators that ran with no FLOP formula (their work is missing)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("timeline")
        return d


def _storage_key(t) -> int:
    return t.untyped_storage()._cdata


def _tensors(obj) -> list:
    import torch
    from torch.utils._pytree import tree_leaves

    return [x for x in tree_leaves(obj) if isinstance(x, torch.Tensor)]


def _unique_bytes(tensors, skip: set[int] | None = None, round_to: int = 1) -> float:
    seen: dict[int, int] = {}
    for t in tensors:
        key = _storage_key(t)
        if skip and key in skip:
            continue
        seen[key] = _rounded(t.untyped_storage().nbytes(), round_to)
    return float(sum(seen.values()))


def _rounded(n: int, block: int) -> int:
    return n if block <= 1 or n == 0 else max(block, -(-n // block) * block)


def _op_name(func) -> str:
    return func.overloadpacket.__name__


def _cpu_flash_forward(query_shape, key_shape, value_shape, dropout_p=0.0, is_causal=False, *args,
                       out_shape=None, **kwargs) -> int:
    """FLOPs of ``_scaled_dot_product_flash_attention_for_cpu``: torch's count for the other attention kernels,
    halved under a causal mask."""
    from torch.utils import flop_counter as fc

    flops = fc.sdpa_flop_count(query_shape, key_shape, value_shape)
    return flops // 2 if kwargs.get("is_causal", is_causal) else flops


def _cpu_flash_backward(grad_out_shape, query_shape, key_shape, value_shape, output_shape=None, lse_shape=None,
                        dropout_p=0.0, is_causal=False, *args, out_shape=None, **kwargs) -> int:
    from torch.utils import flop_counter as fc

    flops = fc.sdpa_backward_flop_count(grad_out_shape, query_shape, key_shape, value_shape)
    return flops // 2 if kwargs.get("is_causal", is_causal) else flops


def _rnn_layer_flops(input_shape, w_ih_shape, w_hh_shape) -> int:
    """FLOPs of one fused recurrent layer in one direction, forward: at every time step each gate multiplies the
    input by its W_ih and the previous hidden state by its W_hh (the gate equations of torch.nn.LSTM, nn.GRU and
    nn.RNN in PyTorch's documentation: 4 gates for an LSTM, 3 for a GRU, 1 for a plain RNN). The weights are stacked
    gates first, W_ih (gates x H, I) and W_hh (gates x H, H), so one layer does 2 x B x T x gates*H x (I + H),
    a multiply-add counted as 2 FLOPs like torch's mm formula. The gates' elementwise work is not tensor work (as
    for nn.LSTMCell, whose matrix products alone FlopCounterMode counts)."""
    steps = prod(input_shape[:-1])                # T x B (or B x T), whichever is first
    rows, inputs = w_ih_shape
    return 2 * steps * rows * (inputs + w_hh_shape[1])


def _mkldnn_rnn_forward(input_shape, w_ih_shape, w_hh_shape, *args, out_shape=None, **kwargs) -> int:
    """``mkldnn_rnn_layer``: the fused CPU (oneDNN) kernel nn.LSTM runs one layer and direction with."""
    return _rnn_layer_flops(input_shape, w_ih_shape, w_hh_shape)


def _mkldnn_rnn_backward(input_shape, w_ih_shape, w_hh_shape, *args, out_shape=None, **kwargs) -> int:
    """``mkldnn_rnn_layer_backward``: twice the forward, as for any matrix product: the gradient of the input and
    of the previous hidden state (W^T x the gates' gradient) and of both weights (the gates' gradient x the input
    or hidden state). The fused kernel computes the input's gradient even for a first layer whose input needs none."""
    return 2 * _rnn_layer_flops(input_shape, w_ih_shape, w_hh_shape)


# Fused recurrent kernels (cuDNN, MIOpen, oneDNN, and the whole-network operators that reach Python only when a
# backend runs them in one piece): their matrix products happen inside, where FlopCounterMode, which has no formula
# for them, sees nothing. A trace that meets one without a formula below is refused rather than shown without the
# network's work.
FUSED_RNN_OPS = ("_cudnn_rnn", "_cudnn_rnn_backward", "miopen_rnn", "miopen_rnn_backward", "mkldnn_rnn",
                 "mkldnn_rnn_backward", "mkldnn_rnn_layer", "mkldnn_rnn_layer_backward", "lstm", "gru", "rnn_tanh",
                 "rnn_relu", "quantized_lstm", "quantized_gru")


def flop_counter():
    """A FlopCounterMode that also knows the CPU flash-attention kernels and oneDNN's fused recurrent layer."""
    import torch
    from torch.utils import flop_counter as fc

    aten = torch.ops.aten
    custom = {}
    if hasattr(aten, "_scaled_dot_product_flash_attention_for_cpu"):
        custom[aten._scaled_dot_product_flash_attention_for_cpu] = _cpu_flash_forward
        custom[aten._scaled_dot_product_flash_attention_for_cpu_backward] = _cpu_flash_backward
    if hasattr(aten, "mkldnn_rnn_layer"):
        custom[aten.mkldnn_rnn_layer] = _mkldnn_rnn_forward
        custom[aten.mkldnn_rnn_layer_backward] = _mkldnn_rnn_backward
    return fc.FlopCounterMode(display=False, custom_mapping=custom)


class _Counter:
    """Live bytes and memory-bound traffic, as a TorchDispatchMode (built lazily: torch is imported on use)."""

    def __init__(self, tensor_ops: set, round_to: int):
        self.tensor_ops, self.round_to = tensor_ops, round_to
        self.live: dict[int, int] = {}
        self.now = self.peak = 0
        self.phase, self.peak_phase = "setup", "setup"
        self.phase_peak: dict[str, int] = {}
        self.traffic = 0.0
        self.elements = 0.0
        self.timeline: list[tuple[str, int]] = []
        self.before: list[int] = []        # bytes alive just before each operator ran (when marking operators)
        self.mark_ops = False
        self._finalizers: list = []
        self.launches: list[str] = []      # operators that launch a kernel on a GPU, in order
        self.host_keys: set[int] = set()   # storages a CUDA step keeps on the host (the optimizer's step counts)
        self.uncounted: set[str] = set()   # fused recurrent operators whose work no formula counts

    def track(self, t) -> None:
        st = t.untyped_storage()
        key = st._cdata
        if key in self.live:
            return
        n = _rounded(st.nbytes(), self.round_to)
        self.live[key] = n
        self.now += n
        self._finalizers.append(weakref.finalize(st, self._free, key))
        if self.now > self.peak:
            self.peak, self.peak_phase = self.now, self.phase
        if self.now > self.phase_peak.get(self.phase, 0):
            self.phase_peak[self.phase] = self.now

    def _free(self, key: int) -> None:
        n = self.live.pop(key, 0)
        self.now -= n

    def reset_peak(self) -> None:
        self.peak, self.peak_phase = self.now, self.phase
        self.phase_peak = {}

    def enter(self, phase: str) -> None:
        self.phase = phase
        self.phase_peak[phase] = max(self.phase_peak.get(phase, 0), self.now)

    def close(self) -> None:
        for f in self._finalizers:
            f.detach()
        self._finalizers.clear()

    def on_op(self, func, args, kwargs, out) -> None:
        ins, outs = _tensors((args, kwargs)), _tensors(out)
        for t in ins:
            self.track(t)
        for t in outs:
            self.track(t)
        self.timeline.append((self.phase, self.now))
        name = _op_name(func)
        if name in FUSED_RNN_OPS and func.overloadpacket not in self.tensor_ops:
            self.uncounted.add(name)
        if func.overloadpacket in self.tensor_ops:
            self.launches.append(name)
            return
        if name in _NO_WRITE_OPS:
            return
        in_keys = {_storage_key(t) for t in ins}
        mutable = func._schema.is_mutable
        if getattr(func, "is_view", False) or (outs and not mutable and all(_storage_key(t) in in_keys for t in outs)):
            return                                     # a view or alias: no data moves
        if not (in_keys & self.host_keys and all(t.dim() == 0 for t in ins)):
            self.launches.append(name)
        reads = sum(t.numel() * t.element_size() for t in ins)
        if name.removesuffix("_backward") in _NORM_OPS:
            reads *= 2                                 # statistics pass + normalise (or reduce + dx) pass
        writes = sum(t.numel() * t.element_size() for t in outs)
        self.traffic += reads + writes
        self.elements += sum(t.numel() for t in outs)


def _dispatch_mode(counter: _Counter):
    from torch.autograd.profiler import record_function
    from torch.utils._python_dispatch import TorchDispatchMode

    class Mode(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if counter.mark_ops:
                for t in _tensors((args, kwargs)):
                    counter.track(t)
                counter.before.append(counter.now)
                with record_function(f"{_MARK}{len(counter.timeline)}"):
                    out = func(*args, **kwargs)
            else:
                out = func(*args, **kwargs)
            counter.on_op(func, args, kwargs, out)
            return out

    return Mode()


def trace_step(model, batch, step: Callable, optimizer, *, precision: str, target: str, params_exclude=()) -> StepTrace:
    """Run ``step(model, batch, optimizer, phase)`` once under the counters and return what it needed.

    ``step`` calls ``phase(name)`` as it enters "forward", "backward" and "optimizer". The optimizer's state must
    already exist (a step ran before), so the traced step is a steady one. Gradients must be None on entry.
    """
    import torch
    from torch.utils import flop_counter as fc

    round_to = CUDA_BLOCK_BYTES if target == "cuda" else 1
    param_list = list(model.parameters())
    buffers = list(model.buffers())
    opt_tensors = _tensors([list(s.values()) for s in optimizer.state.values()])
    param_keys = {_storage_key(p) for p in param_list} | {_storage_key(b) for b in buffers}
    input_keys = {_storage_key(t) for t in _tensors(batch)}
    counter = _Counter(set(fc.flop_registry) | _extra_tensor_ops(), round_to)
    flops = flop_counter()
    counter.tensor_ops |= set(flops.flop_registry)
    saved: dict[int, int] = {}

    def pack(t):
        key = _storage_key(t)
        if key not in param_keys and key not in input_keys and key not in saved:
            saved[key] = _rounded(t.untyped_storage().nbytes(), round_to)
        return t

    def phase(name: str) -> Any:
        counter.enter(name)
        return torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t) if name == "forward" else contextlib.nullcontext()

    # torch.optim keeps each parameter's step count on the host unless asked for a capturable or fused update
    # (torch/optim/adam.py: ``state["step"]`` is a CPU tensor by default), so an operator on those counts and other
    # single numbers runs on the host in a CUDA step, without a kernel
    counter.host_keys = {_storage_key(t) for t in opt_tensors if t.dim() == 0}
    for t in [*param_list, *buffers, *opt_tensors, *_tensors(batch)]:
        counter.track(t)
    counter.reset_peak()
    grads_after: list[float] = []
    counter.mark_ops = target == "cpu"
    profiler = _allocator_profile() if counter.mark_ops else contextlib.nullcontext()
    try:
        with profiler, flops, _dispatch_mode(counter):
            step(model, batch, optimizer, phase, lambda: grads_after.append(
                _unique_bytes([p.grad for p in param_list if p.grad is not None], round_to=round_to)))
    finally:
        counter.close()
    if counter.mark_ops:
        _add_scratch(counter, _scratch_by_op(profiler))
    counts = flops.get_flop_counts().get("Global", {})
    conv = float(sum(v for k, v in counts.items() if "conv" in str(k)))
    opt_after = _tensors([list(s.values()) for s in optimizer.state.values()])
    return StepTrace(
        batch=_batch_size(batch), precision=precision, target=target, tensor_flops=float(flops.get_total_flops()),
        conv_flops=conv, traffic_bytes=counter.traffic, elementwise_elements=counter.elements,
        saved_bytes=float(sum(saved.values())), peak_bytes=float(counter.peak), peak_phase=counter.peak_phase,
        phase_peak_bytes={k: float(v) for k, v in counter.phase_peak.items() if k != "setup"},
        timeline=tuple(counter.timeline),
        input_bytes=_unique_bytes(_tensors(batch), round_to=round_to),
        input_exact_bytes=_unique_bytes(_tensors(batch)),
        param_bytes=_unique_bytes(param_list, round_to=round_to),
        buffer_bytes=_unique_bytes(buffers, skip={_storage_key(p) for p in param_list}, round_to=round_to),
        grad_bytes=grads_after[0] if grads_after else 0.0,
        optimizer_bytes=_unique_bytes(opt_after, skip=param_keys, round_to=round_to),
        params=sum(p.numel() for p in {id(p): p for p in param_list}.values()),
        kernels=len(counter.launches), launch_ops=tuple(counter.launches),
        uncounted_ops=tuple(sorted(counter.uncounted)),
    )


def _allocator_profile():
    from torch.profiler import ProfilerActivity, profile

    return profile(activities=[ProfilerActivity.CPU], profile_memory=True)


def _scratch_by_op(prof) -> dict[int, int]:
    """{operator index: the most bytes the CPU allocator held inside it beyond what it held when it began}, from the
    allocation events inside each operator's marker (oneDNN's convolution and RNN scratch space is allocated and
    freed inside one operator, where no counter above the kernel sees it). Events are matched by time: the marker
    and the allocations come from one profiler and one clock."""
    from torch._C._profiler import _EventType

    marks, allocs = [], []
    stack = list(prof.profiler.kineto_results.experimental_event_tree())
    while stack:
        e = stack.pop()
        if e.tag == _EventType.Allocation and e.extra_fields.device.type == "cpu":
            allocs.append((e.start_time_ns, e.extra_fields.alloc_size))
        elif e.name.startswith(_MARK):
            marks.append((e.start_time_ns, e.end_time_ns, int(e.name[len(_MARK):])))
        stack.extend(e.children)
    allocs.sort()
    times = [t for t, _ in allocs]
    out: dict[int, int] = {}
    for start, end, idx in marks:
        run = top = 0
        for _, n in allocs[bisect.bisect_left(times, start):bisect.bisect_right(times, end)]:
            run += n
            top = max(top, run)
        out[idx] = top
    return out


def _add_scratch(counter: _Counter, scratch: dict[int, int]) -> None:
    """Raise each moment of the timeline to what was alive inside its operator, and the peaks with it."""
    for i, extra in scratch.items():
        if i >= len(counter.timeline) or i >= len(counter.before):
            continue
        phase, after = counter.timeline[i]
        inside = counter.before[i] + extra
        if inside > after:
            counter.timeline[i] = (phase, inside)
            counter.phase_peak[phase] = max(counter.phase_peak.get(phase, 0), inside)
            if inside > counter.peak:
                counter.peak, counter.peak_phase = inside, phase


def _extra_tensor_ops() -> set:
    import torch

    aten = torch.ops.aten
    names = ("_scaled_dot_product_flash_attention_for_cpu", "_scaled_dot_product_flash_attention_for_cpu_backward",
             "mkldnn_convolution", "linear", "matmul")
    return {getattr(aten, n) for n in names if hasattr(aten, n)}


def _batch_size(batch) -> int:
    ts = _tensors(batch)
    return int(ts[0].shape[0]) if ts and ts[0].dim() else 1


def _text(exc: BaseException) -> str:
    """The message of an exception the user's code raised; empty when its own ``__str__`` fails (any class can be
    raised, and a failing ``__str__`` here would replace the user's error with rigbench's traceback)."""
    try:
        return str(exc)
    except Exception:
        return ""


def is_out_of_memory(exc: BaseException) -> bool:
    text = _text(exc).lower()
    return isinstance(exc, MemoryError) or "out of memory" in text or "can't allocate memory" in text or \
        "not enough memory" in text


def describe_failure(exc: BaseException) -> str:
    first = (_text(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
