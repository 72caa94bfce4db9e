"""rigbench bench --distributed: real Gloo jobs on 127.0.0.1 started by torch's elastic launcher.

The two-worker job runs once per module (about 10 s on 2 cores); the failure paths each start their own job.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
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
    deadline = time.monotonic() + 30   # a guard: the run stopped its workers before it returned
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if alive(p)], "worker processes outlived the run"


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist") / "run.json"
    doc = D.run_distributed(nproc=2, quick=True, timeout=600, out=str(out))   # 600 s: a hang guard on a busy machine
    return doc, out


def test_two_gloo_workers_write_one_results_file(two_workers):
    doc, out = two_workers
    assert doc["status"] == "complete", doc["distributed"]["reasons"]
    on_disk = load_results(out)
    assert on_disk["schema"] == "rigbench.results/2" and on_disk["status"] == "complete"
    d = on_disk["distributed"]
    assert (d["backend"], d["world_size"], d["nnodes"], d["nproc_per_node"]) == ("gloo", 2, 1, 2)
    assert d["timeout_s"] == 600 and d["gathered_by_rank0"] is True
    assert [w["rank"] for w in d["workers"]] == [0, 1]
    from rigbench.probe import limits

    usable = limits.usable_cores(os.cpu_count(), limits.affinity_size(), limits.cpu_quota()["cpu_quota_cores"])
    for w in d["workers"]:
        assert w["host"] == socket.gethostname() and w["device"] == "cpu" and w["pid"] > 0
        assert w["status"] == "done" and w["measurements"]
        # the probe's usable cores, shared by the 2 local workers
        assert w["usable_cores"] == usable and w["threads"] == max(1, usable // 2)
    assert on_disk["conditions"]["start"]["loadavg_1m"] is not None and on_disk["conditions"]["end"]
    assert d["warnings"] == []
    assert_no_orphans(doc)


def test_timing_follows_the_runner_minimums(two_workers):
    """At least the runner's sample count; a sample is enough back-to-back calls to last 1 ms or is flagged."""
    from rigbench.bench.runner import MIN_SAMPLE_S, Settings

    doc, _ = two_workers
    for m in doc["measurements"]:
        assert m["repeats"] >= Settings.for_mode(True).min_samples, m["label"]
        assert m["inner"] >= 1 and len(m["samples_s"]) == m["repeats"]
        sample = m["median_s"] * m["inner"]
        assert (sample >= MIN_SAMPLE_S) or any(r["code"] == "short_sample" for r in m["invalid_reasons"]), m
        assert m["valid"] == (not m["invalid_reasons"])
        assert m["peak"] is None and m["peak_source"] == "no physical peak bounds this metric"
        assert set(m["conditions"]) == {"cpu_before", "cpu_after"} and "loadavg_1m" in m["conditions"]["cpu_after"]
        assert m["label"]
    small = next(m for m in doc["measurements"] if m["kernel"] == "allreduce")
    assert small["params"]["size_bytes"] == 1024
    # whether a 1 KiB all-reduce is batched depends on how long its calls took while calibrating, which a busy
    # machine stretches: the rule above (a sample of 1 ms or more, or flagged) is what holds at any speed


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


def test_allreduce_verification_catches_a_wrong_sum():
    """Two ranks' inputs summed by hand: the exact sum passes, one element off by 1 is a KernelFault."""
    import torch

    from rigbench.kernels.allreduce import check_sum, expected_sum, rank_input
    from rigbench.kernels.base import KernelFault

    cpu = torch.device("cpu")
    a, b = rank_input(0, 1024, cpu), rank_input(1, 1024, cpu)
    assert a.abs().sum() > 0 and not torch.equal(a, b)       # random whole numbers, different per rank
    assert torch.equal(a, rank_input(0, 1024, cpu))          # and every rank rebuilds them alike
    reduced = (a.double() + b.double()).float()               # float64 reference of the sum
    check_sum(reduced, expected_sum(2, 1024, cpu), 4096, 0)
    reduced[17] += 1
    with pytest.raises(KernelFault, match="1 of 1024 elements differ from the exact sum"):
        check_sum(reduced, expected_sum(2, 1024, cpu), 4096, 0)


def test_one_rank_skips_the_exchange(tmp_path):
    """A 1-rank group: all-reduce and the N-worker DDP case are skipped (nothing exchanged), not "0 GB/s valid"."""
    import torch.distributed as dist

    from rigbench.kernels.allreduce import AllReduce
    from rigbench.kernels.base import KernelSkip, RunContext
    from rigbench.kernels.ddp_train import DdpTrain

    ctx = RunContext(quick=True, extra={"world_size": 1})
    assert AllReduce().cases("cpu", "float32", ctx) == [{"size_bytes": 1024, "world_size": 1}]
    assert [(c["workload"], c["workers"]) for c in DdpTrain().cases("cpu", "float32", ctx)] == [
        ("train_cnn", 1), ("train_cnn", 2), ("train_transformer", 1), ("train_transformer", 2)]
    dist.init_process_group("gloo", store=dist.FileStore(str(tmp_path / "store"), 1), rank=0, world_size=1,
                            timeout=timedelta(seconds=30))
    try:
        with pytest.raises(KernelSkip, match="all-reduce needs 2 or more ranks"):
            AllReduce().prepare("cpu", "float32", {"size_bytes": 1024, "world_size": 1}, ctx)
        with pytest.raises(KernelSkip, match="2-worker DDP case needs 2 or more ranks"):
            DdpTrain().prepare("cpu", "float32", {"workload": "train_cnn", "workers": 2, "world_size": 1}, ctx)
    finally:
        dist.destroy_process_group()
    assert D.plan(nproc=1)["warnings"] == [D.SINGLE_RANK_WARNING] and D.plan(nproc=2)["warnings"] == []


def _ddp(workers, value, valid=True, reasons=()):
    return {"kernel": "ddp_train", "params": {"workload": "train_cnn", "workers": workers, "world_size": 2},
            "status": "ok", "value": value, "valid": valid, "invalid_reasons": list(reasons), "local_median_s": 0.1}


def test_an_invalid_baseline_makes_the_scaling_efficiency_invalid():
    spread = {"code": "spread", "value": 0.75, "limit": 0.10,
              "text": "spread 75% of the median (IQR over median above 10%)"}
    rec = {"worker": {"rank": 0}, "measurements": [_ddp(1, 400.0, False, [spread]), _ddp(2, 700.0)]}
    one, two = D._job_measurements([rec])
    assert two["scaling_efficiency"] == pytest.approx(700 / (2 * 400)) and two["throughput_1"] == 400.0
    assert two["valid"] is False
    assert two["invalid_reasons"] == [{"code": "baseline", "value": None, "limit": None,
                                       "text": "scaling baseline invalid (spread 75% of the median (IQR over median "
                                               "above 10%))"}]
    rec["measurements"][0] = _ddp(1, 400.0)
    assert D._job_measurements([rec])[1]["valid"] is True


@pytest.mark.slow
def test_a_worker_that_never_joins_fails_within_the_timeout(tmp_path):
    # nnodes=2, nproc=1: node 1 never comes, so node 0's rendezvous must give up (join timeout), not hang
    # timeout 60 s: the join timeout is 15 s of it, counted once the launcher is up (however long that takes on a
    # busy machine); the run fails at the join timeout, long before its own timeout would stop it
    doc = D.run_distributed(nproc=1, nnodes=2, node_rank=0, master_addr="127.0.0.1", master_port=free_port(),
                            quick=True, timeout=60, out=str(tmp_path / "r.json"))
    assert doc["status"] == "failed", doc["distributed"]["reasons"]
    assert any("1/2" in r for r in doc["distributed"]["reasons"]), doc["distributed"]["reasons"]
    assert load_results(tmp_path / "r.json")["status"] == "failed"


@pytest.mark.slow
def test_a_hung_worker_is_killed_at_the_timeout_and_measurements_are_kept(tmp_path):
    # The timeout counts from the moment rank 1 hangs (the fault's hook), not from the start: a busy machine may
    # take any time to get there; 600 s is only a guard against a hang of the test itself.
    doc = D.run_distributed(nproc=2, quick=True, timeout=600, out=str(tmp_path / "r.json"),
                            _fault={"rank": 1, "kind": "hang", "before": "ddp_train", "timeout_when_hung_s": 3})
    assert doc["status"] == "interrupted"
    reasons = doc["distributed"]["reasons"]
    assert "timed out after" in reasons[0] and doc["distributed"]["timeout_s"] < 600
    assert any(r.startswith("rank 1 ") and "ddp_train" in r for r in reasons), reasons
    kept = load_results(tmp_path / "r.json")
    assert kept["status"] == "interrupted"
    assert [m for m in kept["measurements"] if m["kernel"] == "allreduce" and m["status"] == "ok"]
    assert_no_orphans(doc)


def test_a_crashed_worker_is_reported_with_its_rank(tmp_path):
    doc = D.run_distributed(nproc=2, quick=True, timeout=600, only="ddp_train", out=str(tmp_path / "r.json"),
                            _fault={"rank": 1, "kind": "crash", "exitcode": 7, "before": "ddp_train"})
    assert doc["status"] == "failed"
    assert any(r.startswith("rank 1 ") and "exited with code 7" in r for r in doc["distributed"]["reasons"])
    assert_no_orphans(doc)


@pytest.mark.parametrize("kwargs,fragment", [
    ({"nproc": 0}, "--nproc must be a whole number 1..1024"),
    ({"nnodes": 0}, "--nnodes"),
    ({"nnodes": 2, "node_rank": 2, "master_addr": "127.0.0.1"}, "--node-rank must be a whole number 0..1"),
    ({"nnodes": 2}, "needs --master-addr"),
    ({"master_addr": "no-such-host.invalid"}, "does not resolve"),
    ({"rdzv_endpoint": "127.0.0.1"}, "HOST:PORT"),
    ({"timeout": 0}, "--timeout"),
    ({"timeout": 1e300}, "--timeout must be a number of seconds > 0 and at most 604800"),
    ({"only": "gemm"}, "a distributed run measures allreduce, ddp_train"),
])
def test_bad_options_are_refused_before_launch(kwargs, fragment):
    with pytest.raises(UserError, match=fragment.replace("(", r"\(").replace(".", r"\.")):
        D.plan(**kwargs)


def test_an_unreachable_master_fails_fast():
    # A worker node gives up on a master nobody listens at after the join timeout (a quarter of --timeout), with a
    # message saying what to do, before starting any worker.
    with pytest.raises(UserError, match=r"cannot reach the master at 127.0.0.1:\d+ within 2 s"):
        D.run_distributed(nproc=1, nnodes=2, node_rank=1, master_addr="127.0.0.1", master_port=free_port(), timeout=8)


def test_an_unwritable_out_is_refused_before_launch(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="cannot write results"):
        D.run_distributed(nproc=2, quick=True, out=str(tmp_path / "file" / "r.json"))
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["file"]      # nothing was started or written


def test_out_naming_a_file_that_is_no_run_is_refused_before_launch(tmp_path):
    # only an earlier run is ours to replace: a user's notes are left as they were
    (tmp_path / "notes.json").write_text('{"name": "value"}\n')
    with pytest.raises(UserError, match="exists and is not a rigbench run"):
        D.run_distributed(nproc=2, quick=True, out=str(tmp_path / "notes.json"))
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["notes.json"]
    assert (tmp_path / "notes.json").read_text() == '{"name": "value"}\n'


def test_a_worker_failing_in_init_is_exit_1_with_a_results_file(tmp_path):
    """Gloo cannot find the interface: every worker dies in init_process_group, before any kernel. The run is
    reported (status, every reason) and written; exit code 1; the temporary run folder is gone."""
    (tmp_path / "tmp").mkdir()
    out = tmp_path / "r.json"
    env = {**os.environ, "GLOO_SOCKET_IFNAME": "eth9", "TMPDIR": str(tmp_path / "tmp")}
    r = run_cli("bench", "--distributed", "--quick", "--only", "allreduce", "--json", "--out", str(out), env=env,
                timeout=600)
    assert r.code == 1, r.stderr
    doc = json.loads(r.stdout)                                # stdout is the document alone
    assert doc["status"] == "failed" and load_results(out)["status"] == "failed"
    reasons = doc["distributed"]["reasons"]
    assert reasons and all("eth9" in x for x in reasons), reasons
    assert "Traceback" not in r.stderr and "run status: failed (2 ranks, gloo" in r.stderr
    assert all(x in r.stderr for x in reasons)
    assert not list((tmp_path / "tmp").glob("rigbench-dist-*"))
    assert_no_orphans(doc)


def test_cli_one_process_warns_and_skips_the_allreduce(tmp_path):
    out = tmp_path / "r.json"
    r = run_cli("bench", "--distributed", "--nproc", "1", "--quick", "--only", "allreduce", "--out", str(out),
                timeout=600)
    assert r.code == 0, r.stderr
    assert "warning: a distributed run with 1 process measures no exchange" in r.stderr
    doc = load_results(out)
    (m,) = doc["measurements"]
    assert m["status"] == "skipped" and m["reason"].startswith("all-reduce needs 2 or more ranks"), m
    assert doc["distributed"]["warnings"] == [D.SINGLE_RANK_WARNING]
    assert "run status: complete (1 rank, gloo" in r.stdout and "skipped" in r.stdout


@pytest.mark.slow
def test_ctrl_c_names_the_partial_results_file(tmp_path):
    out = tmp_path / "r.json"
    proc = subprocess.Popen([sys.executable, "-m", "rigbench", "bench", "--distributed", "--nproc", "2", "--quick",
                             "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(6)        # the launcher is up and the workers are measuring
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130, stderr
    assert f"partial results in {out}" in stderr and "Traceback" not in stderr
    doc = load_results(out)
    assert doc["status"] == "interrupted" and doc["distributed"]["reasons"][0].startswith("interrupted by the user")
    assert_no_orphans(doc)


def test_cli_nproc_zero_is_exit_code_2():
    assert_user_error(run_cli("bench", "--distributed", "--nproc", "0"), "--nproc")


def test_cli_unresolvable_master_is_exit_code_2():
    assert_user_error(run_cli("bench", "--distributed", "--nnodes", "2", "--node-rank", "1",
                              "--master-addr", "no-such-host.invalid"), "does not resolve")


def test_a_cpu_figure_of_the_job_is_judged_on_the_machine_too():
    """The same machine rules as the single-machine runner: other programs' CPU time over the limit flags a CPU
    figure; a GPU figure records it without being judged on it."""
    from rigbench.kernels.allreduce import DISTRIBUTED_KERNELS

    kernel = DISTRIBUTED_KERNELS[0]
    params = {"size_bytes": 2 ** 20, "world_size": 2}
    times = [0.010, 0.0101, 0.0099, 0.0100, 0.0102, 0.0100, 0.0099]
    busy = {"steal": 0.0, "others": 0.30, "sampled_s": 1.0}
    cpu = D._measurement(kernel, "cpu", "float32", params, times, times, {}, 0, 1, None, busy)
    assert cpu["valid"] is False and [r["code"] for r in cpu["invalid_reasons"]] == ["busy"]
    assert cpu["machine"]["others"] == 0.30
    gpu = D._measurement(kernel, "cuda:0", "float32", params, times, times, {}, 0, 1, None, busy)
    assert gpu["valid"] is True and gpu["machine"]["others"] == 0.30
