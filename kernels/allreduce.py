"""All-reduce bandwidth and latency across the ranks of a torch.distributed job (NCCL on GPUs, Gloo on CPUs).

One case per message size, 1 KiB to 256 MiB (quick: to 16 MiB), float32, sum. Bus bandwidth follows nccl-tests
(doc/PERFORMANCE.md): an all-reduce of S bytes over n ranks moves S x 2(n-1)/n bytes through each rank's link, so
``bytes_moved`` declares that and the runner's "bandwidth" metric is the bus bandwidth; ``algbw = S / t``. For small
messages the time itself is the figure: the latency.

Inputs are random whole numbers in [-1000, 1000] drawn from a generator seeded with (seed, rank), so every rank can
rebuild every other rank's input and the expected sum is exact in float32 (|sum| < 2^24): ``verify`` compares the
reduced buffer with that sum, element for element. ``reset`` (untimed) restores the input before every call, since
all-reduce works in place.

Only ``rigbench.bench.distributed`` runs this kernel: it needs an initialised process group, so it is listed in
``DISTRIBUTED_KERNELS``, not ``KERNELS`` (the single-process suite never sees it).
"""

from __future__ import annotations

from rigbench.kernels.base import Kernel, KernelFault, KernelSkip, Prepared, RunContext

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


class AllReduce(Kernel):
    name = "allreduce"
    backend = "torch"
    devices = ("cpu", "cuda")
    dtypes = ("float32",)
    metric = "bandwidth"
    description = "torch.distributed all_reduce (sum) across all ranks: bus bandwidth (nccl-tests convention), latency"

    def cases(self, device: str, dtype: str, ctx: RunContext) -> list[dict]:
        world = int(ctx.extra.get("world_size", 1))
        max_bytes = int(ctx.extra.get("allreduce_max_bytes") or (QUICK_MAX_BYTES if ctx.quick else FULL_MAX_BYTES))
        return [{"size_bytes": s, "world_size": world} for s in message_sizes(max_bytes)]

    def label(self, params: dict) -> str:
        from rigbench.units import fmt_bytes

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
        count = params["size_bytes"] // 4
        dev = torch.device(device)

        def rank_input(r: int):
            gen = torch.Generator(device=dev).manual_seed(SEED + 7919 * r + count)
            return torch.randint(-1000, 1001, (count,), generator=gen, device=dev, dtype=torch.int32).to(torch.float32)

        inp = rank_input(rank)
        work = inp.clone()
        expected = None  # built on first verify: n tensors of the largest size are too much to keep around

        def run():
            dist.all_reduce(work, op=dist.ReduceOp.SUM, group=group)

        def verify():
            nonlocal expected
            if expected is None:
                expected = torch.zeros(count, dtype=torch.float32, device=dev)
                for r in range(world):
                    expected += rank_input(r)
            bad = int((work != expected).sum())
            if bad:
                idx = int((work != expected).nonzero()[0])
                raise KernelFault(f"all-reduce of {params['size_bytes']} B on rank {rank}: {bad} of {count} elements "
                                  f"differ from the exact sum (first at {idx}: {float(work[idx])} != "
                                  f"{float(expected[idx])})")

        class _Prepared(Prepared):
            def run(self):
                run()

            def verify(self):
                verify()

            def reset(self):
                work.copy_(inp)

            def close(self):
                nonlocal expected
                expected = None

        p = _Prepared()
        p.buffer = work  # the reduced tensor, for inspection
        p.info = {"rank": rank, "world_size": world, "elements": count, "backend": dist.get_backend(group)}
        return p


DISTRIBUTED_KERNELS = [AllReduce()]
