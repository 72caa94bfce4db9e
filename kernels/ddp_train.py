"""Training under DistributedDataParallel: samples/s of one worker alone and of all N workers, and the scaling.

The models are the suite's ``train_cnn`` and ``train_transformer`` (``rigbench.kernels.train.build_workload``),
trained with the suite's own step (``train_step``). Each worker trains on its
own batch of ``batch_size`` samples (weak scaling, as data-parallel training is used), so one step of N workers
processes N x batch_size samples:

- ``workers == 1``: rank 0 trains the plain model alone while the other ranks wait: throughput_1;
- ``workers == N``: every rank trains the model wrapped in ``DistributedDataParallel``, whose backward all-reduces
  the gradients: throughput_N = N x batch_size / step time.

Scaling efficiency = throughput_N / (N x throughput_1), computed by ``rigbench.bench.distributed``.

With one rank there is nothing to scale to: the N-worker case is still listed (``workers`` 2, ``world_size`` 1) and
skipped with that reason, so the results say why it is missing.

``verify`` checks what DDP promises: after the timed steps every rank holds the same parameters (rank 0's initial
weights were broadcast, and every step applied the same averaged gradient), and the loss is finite.
"""

from __future__ import annotations

import math

from rigbench.kernels.base import Kernel, KernelFault, KernelSkip, Prepared, RunContext
from rigbench.kernels.train import build_workload, train_step

WORKLOADS = ("train_cnn", "train_transformer")


class DdpTrain(Kernel):
    name = "ddp_train"
    backend = "torch"
    devices = ("cpu", "cuda")
    dtypes = ("float32",)
    metric = "throughput"
    description = "train_cnn / train_transformer under DistributedDataParallel: samples/s at 1 and N workers"

    def cases(self, device: str, dtype: str, ctx: RunContext) -> list[dict]:
        world = int(ctx.extra.get("world_size", 1))
        out = []
        for wl in WORKLOADS:
            out.append({"workload": wl, "workers": 1, "world_size": world})
            out.append({"workload": wl, "workers": max(world, 2), "world_size": world})
        return out

    def label(self, params: dict) -> str:
        model = params["workload"].replace("train_", "")
        batch = f" batch {params['batch_size']}" if params.get("batch_size") else ""
        workers = params["workers"]
        return f"{model}{batch}, {workers} worker" + ("" if workers == 1 else "s")

    def items(self, params: dict) -> float:
        return params["batch_size"] * params["workers"]

    def peak_key(self, dtype: str, params: dict) -> str | None:
        return None

    def prepare(self, device: str, dtype: str, params: dict, ctx: RunContext) -> Prepared:
        import torch
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel as DDP

        if not dist.is_available() or not dist.is_initialized():
            raise KernelSkip("ddp_train needs a torch.distributed process group (run with rigbench bench --distributed)")
        if params["workers"] > 1 and (dist.get_world_size() < 2 or params["workers"] > dist.get_world_size()):
            raise KernelSkip(f"the {params['workers']}-worker DDP case needs 2 or more ranks (this run has "
                             f"{dist.get_world_size()}): one process exchanges no gradients; run with --nproc 2 or more")
        kind = "cnn" if params["workload"] == "train_cnn" else "transformer"
        torch.manual_seed(1234 + dist.get_rank())  # different data per rank; DDP broadcasts rank 0's weights
        workload = build_workload(kind, quick=ctx.quick, device=device, batch_size=params.get("batch_size"))
        model, batch = workload.model, workload.batch_size
        inputs, targets = workload.sample_batch()
        params["batch_size"] = batch
        model.train()
        distributed = params["workers"] > 1
        if distributed:
            dev_ids = [torch.device(device).index] if device.startswith("cuda") else None
            model = DDP(model, device_ids=dev_ids)
        workload.model = model
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
        last_loss = [math.nan]

        def step():
            last_loss[0] = train_step(workload, optimizer, inputs, targets)

        def verify():
            loss = float(last_loss[0]) if not isinstance(last_loss[0], float) else last_loss[0]
            if not math.isfinite(loss):
                raise KernelFault(f"{params['workload']}: loss is {loss} after the timed steps")
            if not distributed:
                return
            flat = torch.cat([p.detach().reshape(-1).double() for p in model.parameters()])
            mine = torch.stack([flat.sum(), flat.abs().sum(), (flat * flat).sum()])
            world = dist.get_world_size()
            every = [torch.zeros_like(mine) for _ in range(world)]
            dist.all_gather(every, mine)
            for r, other in enumerate(every):
                if not torch.allclose(other, every[0], rtol=1e-9, atol=0.0):
                    raise KernelFault(f"{params['workload']}: DDP replicas diverged: rank {r}'s parameters differ "
                                      f"from rank 0's ({other.tolist()} != {every[0].tolist()})")

        p = Prepared.of(step, verify, info={"batch_size": batch, "ddp": distributed, "model": "kernels.train",
                                            "params": sum(x.numel() for x in model.parameters())})
        return p


DISTRIBUTED_KERNELS = [DdpTrain()]
