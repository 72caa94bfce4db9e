"""The check on the prediction: run a real training step at a batch and measure its peak memory, independently of
the counters ``rigbench.size.trace`` predicts with.

* CPU: the bytes alive before the step (parameters, buffers, optimizer state and the batch: each tensor's storage
  counted once) plus the largest ``total_allocated`` the CPU allocator reports to ``torch.profiler`` (``profile_memory``)
  during the step. The profiler sees every allocation and free made while it runs, so the sum is the allocator's
  own peak; the one blind spot is memory freed during the step that was allocated before it, and the step frees none
  (gradients are None on entry).
* CUDA: ``torch.cuda.max_memory_allocated`` after ``reset_peak_memory_stats``, which counts the caching allocator's
  blocks, everything the process holds on the card but the CUDA context and the cache's unused reserve.
"""

from __future__ import annotations

import contextlib
import gc
from dataclasses import dataclass

from rigbench.size import load as loader


@dataclass(frozen=True)
class Measured:
    batch: int
    device: str
    peak_bytes: float
    before_bytes: float          # alive before the step (CPU); 0 on CUDA, where the counter is absolute
    method: str


def _allocation_peak(prof) -> float:
    """The most bytes the CPU allocator held at once during a profile, beyond what it held when the profile began.

    ``total_allocated`` is the allocator's running total, which carries over from earlier profiles (frees made
    while no profiler runs are not subtracted), so the peak is taken relative to the total before the first event.
    """
    from torch._C._profiler import _EventType

    events = []
    stack = list(prof.profiler.kineto_results.experimental_event_tree())
    while stack:
        e = stack.pop()
        if e.tag == _EventType.Allocation and e.extra_fields.device.type == "cpu":
            events.append((e.start_time_ns, e.extra_fields.alloc_size, e.extra_fields.total_allocated))
        stack.extend(e.children)
    if not events:
        return 0.0
    events.sort()
    base = events[0][2] - events[0][1]
    return float(max(0, max(total for _, _, total in events) - base))


def _unique_bytes(tensors) -> float:
    return float(sum({t.untyped_storage()._cdata: t.untyped_storage().nbytes() for t in tensors}.values()))


def peak_memory(job: loader.Job, batch: int, precision: str = "fp32", device: str = "cpu") -> Measured:
    """Peak memory of one real, steady training step of ``job`` at ``batch`` on ``device`` ("cpu" or "cuda")."""
    import torch
    from torch.utils._pytree import tree_leaves, tree_map

    target = "cuda" if device.startswith("cuda") else "cpu"
    model = job.model.to(device)
    optimizer = loader.make_optimizer(job, target)

    def on_device(b):
        return tree_map(lambda t: t.to(device) if isinstance(t, torch.Tensor) else t, b)

    def step(b):
        amp = torch.autocast(target, dtype=torch.bfloat16 if target == "cpu" else torch.float16) \
            if precision == "amp" else contextlib.nullcontext()
        with amp:
            out = loader.forward(model, b)
            loss = loader.loss_of(job, out, b)
        loss.backward()
        optimizer.step()

    model.train()
    optimizer.zero_grad(set_to_none=True)
    step(on_device(job.resized(batch)))                 # creates the optimizer state
    optimizer.zero_grad(set_to_none=True)
    b = on_device(job.resized(batch))
    gc.collect()
    if target == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        step(b)
        torch.cuda.synchronize()
        peak = float(torch.cuda.max_memory_allocated())
        return Measured(batch, device, peak, 0.0, "torch.cuda.max_memory_allocated")
    alive = [*model.parameters(), *model.buffers(),
             *[t for s in optimizer.state.values() for t in tree_leaves(list(s.values())) if isinstance(t, torch.Tensor)],
             *[t for t in tree_leaves(b) if isinstance(t, torch.Tensor)]]
    before = _unique_bytes(alive)
    del alive
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step(b)
    optimizer.zero_grad(set_to_none=True)
    return Measured(batch, device, before + _allocation_peak(prof), before,
                    "bytes alive before the step + peak of the CPU allocator's total_allocated (torch.profiler)")
