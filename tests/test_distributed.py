"""rigbench bench --distributed: real Gloo jobs on 127.0.0.1 started by torch's elastic launcher.

The two-worker job runs once per module (about 10 s on 2 cores); the failure paths each start their own job.
"""

from __future__ import annotations

import os
import socket
import time
from datetime import timedelta

import pytest

from rigbench.bench import distributed as D
from rigbench.bench.schema import load_results
from rigbench.errors import UserError
from tests.conftest import assert_user_error, run_cli


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purpose
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def assert_no_orphans(doc):
    pids = [w["pid"] for w in doc["distributed"]["workers"]]
    deadline = time.monotonic() + 3
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if alive(p)], "worker processes outlived the run"


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist") / "run.json"
    doc = D.run_distributed(nproc=2, quick=True, timeout=120, out=str(out))
    return doc, out


def test_two_gloo_workers_write_one_results_file(two_workers):
    doc, out = two_workers
    assert doc["status"] == "complete", doc["distributed"]["reasons"]
    on_disk = load_results(out)
    assert on_disk["schema"] == "rigbench.results/1" and on_disk["status"] == "complete"
    d = on_disk["distributed"]
    assert (d["backend"], d["world_size"], d["nnodes"], d["nproc_per_node"]) == ("gloo", 2, 1, 2)
    assert d["timeout_s"] == 120 and d["gathered_by_rank0"] is True
    assert [w["rank"] for w in d["workers"]] == [0, 1]
    for w in d["workers"]:
        assert w["host"] == socket.gethostname() and w["device"] == "cpu" and w["pid"] > 0
        assert w["status"] == "done" and w["measurements"]
    assert_no_orphans(doc)


def test_allreduce_is_checked_and_uses_the_bus_bandwidth_convention(two_workers):
    doc, _ = two_workers
    ar = [m for m in doc["measurements"] if m["kernel"] == "allreduce"]
    sizes = [m["params"]["size_bytes"] for m in ar]
    assert sizes[0] == 1024 and sizes[-1] == 16 * 1024 * 1024  # quick: 1 KiB .. 16 MiB
    for m in ar:
        # status ok means every rank's buffer equalled the exact sum of both ranks' inputs (verify ran)
        assert m["status"] == "ok", m["reason"]
        s, t = m["params"]["size_bytes"], m["median_s"]
        assert t > 0 and m["repeats"] >= 3
        assert m["algbw_gbps"] == pytest.approx(s / t / 1e9)
        assert m["busbw_gbps"] == pytest.approx(m["algbw_gbps"] * 2 * (2 - 1) / 2)
        assert m["value"] == pytest.approx(m["busbw_gbps"]) and m["unit"] == "GB/s"
        assert m["latency_us"] == pytest.approx(t * 1e6)
        assert set(m["per_rank_median_s"]) == {"0", "1"}
        # the job's time is the slowest rank's, so no rank's own median exceeds... its own max sample
        assert all(v > 0 for v in m["per_rank_median_s"].values())


def test_ddp_scaling_efficiency_is_computed(two_workers):
    doc, _ = two_workers
    ddp = [m for m in doc["measurements"] if m["kernel"] == "ddp_train"]
    assert {(m["params"]["workload"], m["params"]["workers"]) for m in ddp} == {
        ("train_cnn", 1), ("train_cnn", 2), ("train_transformer", 1), ("train_transformer", 2)}
    for m in ddp:
        assert m["status"] == "ok", m["reason"]
        b, n = m["params"]["batch_size"], m["params"]["workers"]
        assert m["value"] == pytest.approx(b * n / m["median_s"])  # samples/s of all workers
        if n == 2:
            one = next(o for o in ddp if o["params"]["workload"] == m["params"]["workload"] and o["params"]["workers"] == 1)
            assert m["throughput_1"] == one["value"]
            assert m["scaling_efficiency"] == pytest.approx(m["value"] / (2 * one["value"]))
            assert m["scaling_efficiency"] > 0


def test_allreduce_verification_catches_a_wrong_sum(tmp_path):
    """One-rank Gloo group in this process: the exact sum passes, one element off by 1 is a KernelFault."""
    import torch.distributed as dist

    from rigbench.kernels.allreduce import AllReduce
    from rigbench.kernels.base import KernelFault, RunContext

    dist.init_process_group("gloo", store=dist.FileStore(str(tmp_path / "store"), 1), rank=0, world_size=1,
                            timeout=timedelta(seconds=30))
    try:
        prep = AllReduce().prepare("cpu", "float32", {"size_bytes": 4096, "world_size": 1},
                                   RunContext(quick=True, extra={"world_size": 1}))
        prep.reset()
        prep.run()
        prep.verify()
        assert prep.buffer.abs().sum() > 0  # random whole numbers, not zeros
        prep.buffer[17] += 1
        with pytest.raises(KernelFault, match="1 of 1024 elements differ from the exact sum"):
            prep.verify()
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_a_worker_that_never_joins_fails_within_the_timeout(tmp_path):
    # nnodes=2, nproc=1: node 1 never comes, so node 0's rendezvous must give up (join timeout), not hang
    t0 = time.monotonic()
    doc = D.run_distributed(nproc=1, nnodes=2, node_rank=0, master_addr="127.0.0.1", master_port=free_port(),
                            quick=True, timeout=12, out=str(tmp_path / "r.json"))
    elapsed = time.monotonic() - t0
    assert elapsed < 12 + 5
    assert doc["status"] == "failed"
    assert any("1/2" in r for r in doc["distributed"]["reasons"]), doc["distributed"]["reasons"]
    assert load_results(tmp_path / "r.json")["status"] == "failed"


@pytest.mark.slow
def test_a_hung_worker_is_killed_at_the_timeout_and_measurements_are_kept(tmp_path):
    t0 = time.monotonic()
    doc = D.run_distributed(nproc=2, quick=True, timeout=15, out=str(tmp_path / "r.json"),
                            _fault={"rank": 1, "kind": "hang", "before": "ddp_train"})
    elapsed = time.monotonic() - t0
    assert elapsed < 15 + D._TERM_GRACE_S + 5
    assert doc["status"] == "interrupted"
    reasons = doc["distributed"]["reasons"]
    assert "timed out after 15 s" in reasons[0]
    assert any(r.startswith("rank 1 ") and "ddp_train" in r for r in reasons), reasons
    kept = load_results(tmp_path / "r.json")
    assert kept["status"] == "interrupted"
    assert [m for m in kept["measurements"] if m["kernel"] == "allreduce" and m["status"] == "ok"]
    assert_no_orphans(doc)


def test_a_crashed_worker_is_reported_with_its_rank(tmp_path):
    doc = D.run_distributed(nproc=2, quick=True, timeout=60, only="ddp_train", out=str(tmp_path / "r.json"),
                            _fault={"rank": 1, "kind": "crash", "exitcode": 7, "before": "ddp_train"})
    assert doc["status"] == "failed"
    assert any(r.startswith("rank 1 ") and "exited with code 7" in r for r in doc["distributed"]["reasons"])
    assert_no_orphans(doc)


@pytest.mark.parametrize("kwargs,fragment", [
    ({"nproc": 0}, "--nproc must be a whole number 1 or more"),
    ({"nnodes": 0}, "--nnodes"),
    ({"nnodes": 2, "node_rank": 2, "master_addr": "127.0.0.1"}, "--node-rank must be a whole number 0..1"),
    ({"nnodes": 2}, "needs --master-addr"),
    ({"master_addr": "no-such-host.invalid"}, "does not resolve"),
    ({"rdzv_endpoint": "127.0.0.1"}, "HOST:PORT"),
    ({"timeout": 0}, "--timeout"),
    ({"only": "gemm"}, "a distributed run measures allreduce, ddp_train"),
])
def test_bad_options_are_refused_before_launch(kwargs, fragment):
    with pytest.raises(UserError, match=fragment.replace("(", r"\(").replace(".", r"\.")):
        D.plan(**kwargs)


def test_an_unreachable_master_fails_fast():
    t0 = time.monotonic()
    with pytest.raises(UserError, match="cannot reach the master at 127.0.0.1"):
        D.run_distributed(nproc=1, nnodes=2, node_rank=1, master_addr="127.0.0.1", master_port=free_port(), timeout=8)
    assert time.monotonic() - t0 < 8


def test_cli_nproc_zero_is_exit_code_2():
    assert_user_error(run_cli("bench", "--distributed", "--nproc", "0"), "--nproc")


def test_cli_unresolvable_master_is_exit_code_2():
    assert_user_error(run_cli("bench", "--distributed", "--nnodes", "2", "--node-rank", "1",
                              "--master-addr", "no-such-host.invalid"), "does not resolve")
