"""Each kernel names its case for people ("1024³", "fwd 64ch 56²"): hand-written params, hand-written labels."""

import pytest

from rigbench.bench import schema
from rigbench.bench.runner import Settings, SuiteState, measure_case
from rigbench.kernels import REGISTRY
from rigbench.kernels.allreduce import DISTRIBUTED_KERNELS as ALLREDUCE
from rigbench.kernels.base import Kernel, Prepared, RunContext
from rigbench.kernels.ddp_train import DISTRIBUTED_KERNELS as DDP

MIB = 2 ** 20

CASES = [
    ("gemm", {"m": 1024, "n": 1024, "k": 1024, "itemsize": 4}, "1024³"),
    ("gemm", {"m": 512, "n": 1024, "k": 1024, "itemsize": 2}, "512×1024×1024"),   # after an OOM shrink
    ("conv2d", {"n": 8, "c": 64, "k": 64, "h": 56, "w": 56, "r": 3, "s": 3, "pass": "forward"}, "fwd 64ch 56²"),
    ("conv2d", {"n": 32, "c": 256, "k": 256, "h": 14, "w": 14, "r": 3, "s": 3, "pass": "backward"}, "bwd 256ch 14²"),
    ("conv2d", {"n": 1, "c": 64, "k": 128, "h": 28, "w": 14, "r": 3, "s": 3, "pass": "forward"}, "fwd 64→128ch 28×14"),
    ("attention", {"b": 2, "h": 8, "l": 512, "d": 64, "pass": "forward"}, "fwd L=512 d=64"),
    ("attention", {"b": 8, "h": 16, "l": 4096, "d": 128, "pass": "backward"}, "bwd L=4096 d=128"),
    ("memcopy", {"n": 32 * MIB, "itemsize": 4, "llc_bytes": 32 * MIB}, "128 MiB"),
    ("memcopy", {"n": 512 * MIB, "itemsize": 4, "llc_bytes": None}, "2 GiB"),
    ("stream_triad", {"n": 16 * MIB, "itemsize": 8, "llc_known": True}, "3×128 MiB"),
    ("preprocess", {"images": 32, "height": 256, "width": 256, "crop": 224, "threads": 1}, "1 thread"),
    ("preprocess", {"images": 32, "height": 256, "width": 256, "crop": 224, "threads": 2}, "2 threads"),
    ("disk_read", {"access": "sequential", "block_bytes": MIB, "file_bytes": 64 * MIB}, "seq 1 MiB blocks, 64 MiB file"),
    ("disk_read", {"access": "sequential", "block_bytes": MIB, "file_bytes": 1024 * MIB},
     "seq 1 MiB blocks, 1 GiB file"),
    ("disk_iops", {"access": "random", "block_bytes": 4096, "file_bytes": 64 * MIB, "reads": 1000, "queue_depth": 1},
     "random 4 KiB, QD1"),
    ("train_cnn", {"image": 32, "channels": (16, 32, 64), "blocks": 1, "classes": 10, "model": "cnn",
                   "batch_size": 32}, "batch 32"),
    ("train_transformer", {"layers": 2, "d_model": 128, "heads": 4, "seq": 64, "vocab": 2048, "model": "transformer",
                           "batch_size": 16}, "batch 16 seq 64"),
    ("h2d", {"memory": "pinned", "size_bytes": 256 * MIB}, "pinned 256 MiB"),
    ("d2h", {"memory": "pageable", "size_bytes": 64 * MIB}, "pageable 64 MiB"),
]


@pytest.mark.parametrize("name,params,label", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_label_of_a_known_case(name, params, label):
    assert REGISTRY[name].label(params) == label


def test_distributed_kernels_name_size_ranks_and_workers():
    assert ALLREDUCE[0].label({"size_bytes": 16 * MIB, "world_size": 4}) == "16 MiB, 4 ranks"
    assert ALLREDUCE[0].label({"size_bytes": 1024, "world_size": 1}) == "1 KiB, 1 rank"
    ddp = DDP[0]
    assert ddp.label({"workload": "train_cnn", "workers": 1, "world_size": 2}) == "cnn, 1 worker"
    assert ddp.label({"workload": "train_transformer", "workers": 2, "world_size": 2, "batch_size": 16}) \
        == "transformer batch 16, 2 workers"


def test_every_quick_cpu_case_has_a_short_label():
    ctx = RunContext(quick=True, usable_cores=2, llc_bytes=32 * MIB)
    seen = 0
    for name, k in REGISTRY.items():
        for dtype in k.dtypes:
            try:
                cases = k.cases("cpu", dtype, ctx)
            except Exception:  # noqa: BLE001 - a case skipped here (float16 gemm on this CPU) has no label to check
                continue
            for params in cases:
                label = k.label(params)
                assert 0 < len(label) <= 30 and "\n" not in label, (name, label)
                seen += 1
    assert seen >= 12


class Plain(Kernel):
    """A kernel that does not override ``label``: the base class names the case from its params."""

    name, devices, dtypes, metric = "plain", ("cpu",), ("float32",), "flops"

    def cases(self, device, dtype, ctx):
        return [{"n": 64, "itemsize": 4, "llc_bytes": 2 ** 25, "mode": "fast", "shape": (2, 3)}]

    def flops(self, params):
        return 1e6

    def prepare(self, device, dtype, params, ctx):
        return Prepared.of(lambda: sum(range(2000)))


def test_default_label_lists_plain_params_without_bookkeeping():
    assert Plain().label(Plain().cases("cpu", "float32", None)[0]) == "n=64 mode=fast"
    assert Plain().label({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}) == "a=1 b=2 c=3 d=4 …"


def test_the_runner_writes_the_label_into_the_measurement():
    fast = Settings(quick=True, min_sample_s=0.001, min_samples=5, max_samples=10, min_total_s=0.0, warmup_s=0.0,
                    budget_s=1.0)
    k = Plain()
    rec = measure_case(k, "cpu", "float32", k.cases("cpu", "float32", None)[0], RunContext(), fast, {},
                       SuiteState(), {"cpu": {}, "gpus": [], "host": {}})
    assert rec["status"] == "ok" and rec["label"] == "n=64 mode=fast"


def test_records_that_never_ran_are_labelled_too():
    rec = schema.empty_measurement("gemm", "cpu", "float16", {"m": 2048, "n": 2048, "k": 2048, "itemsize": 2},
                                   "flops", "TFLOP/s")
    assert rec["label"] == "2048³"
    assert schema.empty_measurement("gemm", "cpu", "float16", {}, "flops", "TFLOP/s")["label"] is None
    assert schema.empty_measurement("nosuch", "cpu", "float32", {"n": 1}, "flops", "TFLOP/s")["label"] is None
    rec = schema.empty_measurement("allreduce", "cpu", "float32", {"size_bytes": 4096, "world_size": 2},
                                   "bandwidth", "GB/s")
    assert rec["label"] == "4 KiB, 2 ranks"
