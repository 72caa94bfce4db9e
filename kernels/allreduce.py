"""All-reduce bandwidth and latency across the ranks of a torch.distributed job (NCCL on GPUs, Gloo on CPUs).

One case per message size, 1 KiB to 256 MiB (quick: to 16 MiB), float32, sum. Bus bandwidth follows nccl-tests
(doc/PERFORMANCE.md): an all-reduce of S bytes over n ranks moves S x 2(n-1)/n bytes through each rank's link, so
``bytes_moved`` declares that and the runner's "bandwidth" metric is the bus bandwidth; ``algbw = S / t``. For small
messages the time itself is the figure: the latency.

Inputs are random whole numbers in [-1000, 1000] drawn from a generator seeded with (seed, rank), so every rank can
rebuild every other rank's input and the expected sum is exact in float32 (|sum| < 2^24): ``verify`` compares the
reduced buffer with that sum, element for element. ``reset`` (untimed) restores the input before every timed sample,
since all-reduce works in place. A sample of small messages is several back-to-back calls (so that it lasts over
1 ms), which reduce the already-reduced buffer again; then ``verify`` restores the input and checks one more call.

An all-reduce needs 2 or more ranks: with one, nothing is exchanged (and the bus factor 2(n-1)/n is 0), so the
kernel offers one case and skips it with that reason.

Only ``rigbench.bench.distributed`` runs this kernel: it needs an initialised process group, so it is listed in
``DISTRIBUTED_KERNELS``, not ``KERNELS`` (the single-process suite never sees it).
"""

from __future__ import annotations

from rigbench.kernels.base import Kernel, KernelFault, KernelSkip, Prepared, RunContext
from rigbench.units import fmt_bytes

KIB, MIB = 1024, 1024 * 1024
FULL_MAX_BYTES = 256 * MIB
QUICK_MAX_BYTES = 16 * MIB
SEED = 20190101


def message_sizes(max_bytes: int, min_bytes: int = KIB) -> list[int]:
    """1 KiB, 4 KiB, 16 KiB ... up to ``max_bytes`` (powers of 4, and ``max_bytes`` itself)."""
    sizes, s = [], min_bytes
    while s < max_bytes:
        sizes.append(s)
        s *= 4
    sizes.append(max_bytes)
    return sizes


def bus_factor(world_size: int) -> float:
    """nccl-tests' all-reduce correction: busbw = algbw x 2(n-1)/n."""
    return 2.0 * (world_size - 1) / world_size if world_size > 1 else 0.0


def rank_input(rank: int, count: int, device):
    """Rank ``rank``'s input of ``count`` float32 elements: whole numbers in [-1000, 1000] every rank can rebuild."""
    import torch

    gen = torch.Generator(device=device).manual_seed(SEED + 7919 * rank + count)
    return torch.randint(-1000, 1001, (count,), generator=gen, device=device, dtype=torch.int32).to(torch.float32)


def expected_sum(world: int, count: int, device):
    """The exact float32 sum of every rank's input (|sum| <= 1000 x world < 2^24 for any real world size)."""
    import torch

    total = torch.zeros(count, dtype=torch.float32, device=device)
    for r in range(world):
        total += rank_input(r, count, device)
    return total


def check_sum(work, expected, size_bytes: int, rank: int) -> None:
    """``KernelFault`` unless the reduced buffer equals the exact sum, element for element."""
    diff = work != expected
    bad = int(diff.sum())
    if bad:
        idx = int(diff.nonzero()[0])
        raise KernelFault(f"all-reduce of {size_bytes} B on rank {rank}: {bad} of {work.numel()} elements differ "
                          f"from the exact sum (first at {idx}: {float(work[idx])} != {float(expected[idx])})")


class AllReduce(Kernel):
    name = "allreduce"
    backend = "torch"
    devices = ("cpu", "cuda")
    dtypes = ("float32",)
    metric = "bandwidth"
    description = "torch.distributed all_reduce (sum) across all ranks: bus bandwidth (nccl-tests convention), latency"

    def cases(self, device: str, dtype: str, ctx: RunContext) -> list[dict]:
        world = int(ctx.extra.get("world_size", 1))
        if world < 2:
            return [{"size_bytes": KIB, "world_size": world}]  # skipped in prepare: nothing to exchange
        max_bytes = int(ctx.extra.get("allreduce_max_bytes") or (QUICK_MAX_BYTES if ctx.quick else FULL_MAX_BYTES))
        return [{"size_bytes": s, "world_size": world} for s in message_sizes(max_bytes)]

    def label(self, params: dict) -> str:
        world = params["world_size"]
        return f"{fmt_bytes(params['size_bytes']).replace('.0 ', ' ')}, {world} rank" + ("" if world == 1 else "s")

    def bytes_moved(self, params: dict) -> float:
        return params["size_bytes"] * bus_factor(params["world_size"])

    def items(self, params: dict) -> float:
        return 1.0

    def peak_key(self, dtype: str, params: dict) -> str | None:
        return None  # the link's bound comes from rigbench.scaling, not from the device's memory

    def prepare(self, device: str, dtype: str, params: dict, ctx: RunContext) -> Prepared:
        import torch
        import torch.distributed as dist

        if not dist.is_available() or not dist.is_initialized():
            raise KernelSkip("allreduce needs a torch.distributed process group (run with rigbench bench --distributed)")
        group = ctx.extra.get("group")
        rank, world = dist.get_rank(group), dist.get_world_size(group)
        if world < 2 or int(params.get("world_size", world)) < 2:
            raise KernelSkip(f"all-reduce needs 2 or more ranks (this run has {world}): one process exchanges "
                             "nothing; run with --nproc 2 or more")
        count = params["size_bytes"] // 4
        dev = torch.device(device)
        inp = rank_input(rank, count, dev)
        work = inp.clone()
        calls = [0]  # all-reduce calls since the last reset

        def run():
            dist.all_reduce(work, op=dist.ReduceOp.SUM, group=group)
            calls[0] += 1

        def verify():
            if calls[0] != 1:  # back-to-back timed calls reduced the sum again: check one call from the input
                work.copy_(inp)
                run()
            # built here, not kept: n tensors of the largest size are too much to hold
            check_sum(work, expected_sum(world, count, dev), params["size_bytes"], rank)

        class _Prepared(Prepared):
            def run(self):
                run()

            def verify(self):
                verify()

            def reset(self):
                work.copy_(inp)
                calls[0] = 0

            def close(self):
                pass

        p = _Prepared()
        p.buffer = work  # the reduced tensor, for inspection
        p.info = {"rank": rank, "world_size": world, "elements": count, "backend": dist.get_backend(group)}
        return p


DISTRIBUTED_KERNELS = [AllReduce()]
