"""The runner with stand-in kernels: failures stay inside their measurement, OOM shrinks, lost GPUs, validity."""

import errno
import json
import statistics
import os
import tempfile
import time

import pytest

from fixtures.probe.fake_nvml import FakeNvml
from rigbench import files, validity
from rigbench.bench import runner, schema
from rigbench.bench.runner import Settings, SuiteState, measure_case, run_suite
from rigbench.errors import RunFailed, UserError
from rigbench.kernels import REGISTRY
from rigbench.kernels.base import Kernel, KernelFault, KernelSkip, Prepared, RunContext
from rigbench.probe import nvml

FAST = Settings(quick=True, min_sample_s=0.001, min_samples=5, max_samples=10, min_total_s=0.0, warmup_s=0.0,
                budget_s=1.0)
PROBE = {"cpu": {"usable_cores": 2, "llc_bytes": 32 * 2 ** 20}, "gpus": [], "host": {"power": {"on_battery": False}}}
PEAKS = {"cpu": {"flops:float32": {"value": 1.0, "unit": "TFLOP/s", "source": "test", "reason": None}}}


class Sleepy(Kernel):
    """Takes 2 ms per call (a real sleep) and declares 2e9 FLOP: 1 TFLOP/s at most."""

    name, devices, dtypes, metric = "sleepy", ("cpu",), ("float32",), "flops"

    def cases(self, device, dtype, ctx):
        return [{"n": 1}]

    def flops(self, params):
        return 2e9 * params["n"]

    def prepare(self, device, dtype, params, ctx):
        return Prepared.of(lambda: time.sleep(0.002), info={"made": True})


class Raising(Sleepy):
    name = "raising"

    def prepare(self, device, dtype, params, ctx):
        raise RuntimeError("kernel bug\nsecond line")


class Wrong(Sleepy):
    name = "wrong"

    def prepare(self, device, dtype, params, ctx):
        def verify():
            raise KernelFault("off by 1e-1")
        return Prepared.of(lambda: None, verify)


class Skipping(Sleepy):
    name = "skipping"

    def prepare(self, device, dtype, params, ctx):
        raise KernelSkip("needs a GPU with tensor cores")


class OomUntilSmall(Sleepy):
    """Out of memory above n=2 (as torch.cuda.OutOfMemoryError says it), shrinking by halves."""

    name = "oom"

    def __init__(self, offers_shrink=True):
        self.seen = []
        if not offers_shrink:
            self.shrink = None

    def cases(self, device, dtype, ctx):
        return [{"n": 8}]

    def shrink(self, params):
        return dict(params, n=params["n"] // 2) if params["n"] > 1 else None

    def prepare(self, device, dtype, params, ctx):
        self.seen.append(params["n"])
        if params["n"] > 2:
            raise MemoryError("CUDA out of memory. Tried to allocate 8.00 GiB")
        return Prepared.of(lambda: time.sleep(0.002))


def measure(kernel, device="cpu", state=None, probe=PROBE, peaks=PEAKS["cpu"]):
    return measure_case(kernel, device, "float32", kernel.cases(device, "float32", RunContext())[0], RunContext(),
                        FAST, peaks, state or SuiteState(), probe)


def test_ok_measurement_has_every_field_and_the_value_from_the_formula():
    rec = measure(Sleepy())
    assert rec["status"] == "ok" and rec["reason"] is None
    assert set(schema.MEASUREMENT_KEYS) <= set(rec)
    assert rec["repeats"] >= 5
    assert 0.002 <= rec["median_s"] < 0.05
    assert rec["value"] == pytest.approx(2e9 / rec["median_s"] / 1e12)
    assert rec["fraction_of_peak"] == pytest.approx(rec["value"] / 1.0)
    assert rec["unit"] == "TFLOP/s" and rec["info"] == {"made": True}
    assert rec["prepare_s"] >= 0 and rec["conditions"]["cpu_before"]["torch_threads"] >= 1


def test_a_raising_kernel_is_failed_with_one_line_reason():
    rec = measure(Raising())
    assert rec["status"] == "failed" and rec["reason"] == "RuntimeError: kernel bug"
    assert rec["valid"] is False


def test_a_wrong_result_is_failed_and_invalid():
    rec = measure(Wrong())
    assert rec["status"] == "failed" and "wrong result" in rec["reason"] and [r["code"] for r in rec["invalid_reasons"]] == ["wrong_result"]


def test_a_skip_says_why():
    rec = measure(Skipping())
    assert rec["status"] == "skipped" and rec["reason"] == "needs a GPU with tensor cores"


def test_out_of_memory_shrinks_then_measures_and_flags_the_reduced_size():
    k = OomUntilSmall()
    rec = measure(k)
    assert k.seen == [8, 4, 2]
    assert rec["status"] == "ok" and rec["params"] == {"n": 2}
    assert rec["valid"] is False
    assert any(r["text"] == "size reduced after out of memory (n 8 -> 2)" and r["code"] == "shrunk"
               for r in rec["invalid_reasons"])
    big = {"n": 251658240, "itemsize": 8, "llc_known": True}
    assert validity.shrink_text(big, dict(big, n=125829120)) == "n 251,658,240 -> 125,829,120"


def test_out_of_memory_without_shrink_is_skipped_with_the_reason():
    rec = measure(OomUntilSmall(offers_shrink=False))
    assert rec["status"] == "skipped" and "out of memory" in rec["reason"] and "no smaller size" in rec["reason"]


def test_a_lost_gpu_marks_the_device_and_later_kernels_skip_it(monkeypatch):
    monkeypatch.setattr(runner, "_gpu_state", lambda state, device: None)
    monkeypatch.setattr(runner, "_sync_for", lambda device: None)

    class Lost(Sleepy):
        name, devices = "lost", ("cuda",)

        def prepare(self, device, dtype, params, ctx):
            raise RuntimeError("CUDA error: an illegal memory access was encountered")

    state = SuiteState(monitor=object())
    rec = measure(Lost(), device="cuda:0", state=state)
    assert rec["status"] == "failed" and "cuda:0 lost" in rec["reason"]
    assert "cuda:0" in state.lost
    after = measure(Sleepy(), device="cuda:0", state=state)
    assert after["status"] == "skipped" and "lost earlier" in after["reason"]
    assert measure(Sleepy(), device="cpu", state=state)["status"] == "ok"   # the rest goes on


def test_validity_flags_battery_and_above_peak():
    probe = dict(PROBE, host={"power": {"on_battery": True}})
    rec = measure(Sleepy(), probe=probe, peaks={"flops:float32": {"value": 1e-6, "unit": "TFLOP/s", "source": "t"}})
    reasons = " | ".join(r["text"] for r in rec["invalid_reasons"])
    assert rec["valid"] is False and "on battery" in reasons and "of the peak" in reasons
    above = next(r for r in rec["invalid_reasons"] if r["code"] == "above_peak")
    assert {r["code"] for r in rec["invalid_reasons"]} >= {"battery", "above_peak"} and above["limit"] == 1.0
    assert above["value"] == pytest.approx(rec["fraction_of_peak"], rel=1e-3) and above["value"] > 1


def test_throttling_reported_by_nvml_invalidates(monkeypatch):
    states = iter([{"clock_event_reasons": []}, {"clock_event_reasons": ["hw_thermal_slowdown", "gpu_idle"]}])
    monkeypatch.setattr(runner, "_gpu_state", lambda state, device: next(states))
    monkeypatch.setattr(runner, "_sync_for", lambda device: None)
    k = Sleepy()
    k.devices = ("cuda",)
    rec = measure(k, device="cuda:0")
    assert any("throttled during the run: hw_thermal_slowdown" in r["text"] and r["code"] == "throttled"
               for r in rec["invalid_reasons"])


def test_suite_goes_on_after_failures_and_writes_a_complete_file(tmp_path):
    reg = {k.name: k for k in (Raising(), Sleepy(), Skipping(), Wrong())}
    out = tmp_path / "r.json"
    doc, path = run_suite(registry=reg, device="cpu", out=out, probe=PROBE, peaks=PEAKS, settings=FAST)
    assert path == out
    on_disk = schema.load_results(out)
    assert on_disk["status"] == "complete" and on_disk["schema"] == "rigbench.results/2"
    assert [m["status"] for m in on_disk["measurements"]] == ["failed", "ok", "skipped", "failed"]


def test_a_finished_run_says_what_the_file_it_replaced_held(tmp_path):
    # `bench --out keep.json` replaced an earlier complete run in silence (docs/faults.md: replaced, atomically)
    reg = {k.name: k for k in (Sleepy(), Skipping())}
    out = tmp_path / "keep.json"
    earlier, _ = run_suite(registry=reg, device="cpu", out=out, probe=PROBE, peaks=PEAKS, settings=FAST)
    told: list[str] = []
    doc, path = run_suite(registry=reg, device="cpu", out=out, probe=PROBE, peaks=PEAKS, settings=FAST,
                          on_replace=told.append)
    assert path == out and json.loads(out.read_text())["created_utc"] == doc["created_utc"]
    assert told == [f"replaced the earlier run of {earlier['host']} started {earlier['created_utc']}, 1 figure"]
    assert [p.name for p in tmp_path.iterdir()] == ["keep.json"]
    # an interrupted run; a new file replaces nothing
    interrupted = {**json.loads(out.read_text()), "status": "interrupted"}
    out.write_text(json.dumps(interrupted))
    told.clear()
    run_suite(registry=reg, device="cpu", out=out, probe=PROBE, peaks=PEAKS, settings=FAST, on_replace=told.append)
    assert told == [f"replaced the earlier interrupted run of {doc['host']} started {doc['created_utc']}, 1 figure"]
    told.clear()
    run_suite(registry=reg, device="cpu", out=tmp_path / "new.json", probe=PROBE, peaks=PEAKS, settings=FAST,
              on_replace=told.append)
    assert told == []


@pytest.mark.parametrize("text", ["name,value\nimportant,1\n", '{"keep": 1}', ""])
def test_out_naming_a_file_that_is_no_run_is_refused_and_left_as_it_was(tmp_path, text):
    # `bench --out notes.json` replaced the user's file with a results file, saying so only afterwards: only an
    # earlier run is ours to replace (a name not ending .json is refused before anything is read)
    reg = {k.name: k for k in (Sleepy(), Skipping())}
    out = tmp_path / "notes.json"
    out.write_text(text)
    with pytest.raises(UserError, match=r"--out .*notes.json exists and is not a rigbench run .* left as it is"):
        run_suite(registry=reg, device="cpu", out=out, probe=PROBE, peaks=PEAKS, settings=FAST)
    assert out.read_text() == text and [p.name for p in tmp_path.iterdir()] == ["notes.json"]


def test_out_naming_an_earlier_run_the_user_may_not_write_is_refused_before_the_run(tmp_path, monkeypatch):
    # the finished run is renamed over the earlier one, and a rename passes over a read-only file; the tests run as
    # root, whom access(2) lets write anything, so "not writable" is answered at that one call
    reg = {k.name: k for k in (Sleepy(), Skipping())}
    out = tmp_path / "run.json"
    run_suite(registry=reg, device="cpu", out=out, probe=PROBE, peaks=PEAKS, settings=FAST)
    before = out.read_bytes()
    real = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, *a, **kw: False if os.fspath(path) == str(out) and
                        mode & os.W_OK else real(path, mode, *a, **kw))
    with pytest.raises(UserError, match=r"^cannot write results to .*run\.json: Permission denied"):
        run_suite(registry=reg, device="cpu", out=out, probe=PROBE, peaks=PEAKS, settings=FAST)
    assert out.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["run.json"]


def test_only_and_device_names_are_checked():
    reg = {"sleepy": Sleepy()}
    with pytest.raises(UserError, match="valid kernels: sleepy"):
        runner.resolve_kernels(["nope"], reg)
    assert [k.name for k in runner.resolve_kernels(["sleepy"], reg)] == ["sleepy"]
    with pytest.raises(UserError, match=r"unknown kernel 'SLEEPY' \(did you mean sleepy\?\)"):
        runner.resolve_kernels(["SLEEPY"], reg)             # names are lower case: the one meant is named
    with pytest.raises(UserError, match="no CUDA GPU is visible here: 'cuda:3'; valid devices here: cpu, all$"):
        runner.resolve_devices("cuda:3", n_cuda=0)          # without a GPU, no cuda name is offered as valid
    with pytest.raises(UserError, match="valid devices here: cpu, cuda, cuda:0, cuda:1, all"):
        runner.resolve_devices("cuda:3", n_cuda=2)
    with pytest.raises(UserError, match="--only names no kernel; valid kernels: sleepy"):
        runner.resolve_kernels([""], reg)                   # `--only ""` is a mistake, not "run nothing"
    for typo in ("sleepy,,sleepy", "sleepy,"):          # a doubled comma drops a kernel in silence: refused
        with pytest.raises(UserError, match=f"--only '{typo}' has an empty item: name one kernel between each two"):
            runner.resolve_kernels([typo], reg)
    with pytest.raises(UserError, match="--device is empty"):
        runner.resolve_devices(" , ", n_cuda=0)
    assert runner.resolve_devices("cuda", n_cuda=2) == ["cuda:0", "cuda:1"]
    assert runner.resolve_devices(None, n_cuda=1) == ["cpu", "cuda:0"]
    assert runner.resolve_devices("cuda:1,cpu", n_cuda=2) == ["cuda:1", "cpu"]
    # one device named twice is refused, as a kernel named twice is, whether spelt alike or not
    with pytest.raises(UserError, match=r"^--device 'cpu' and --device 'cpu' are the same device \(cpu\)"):
        runner.resolve_devices("cpu,cpu", n_cuda=0)
    with pytest.raises(UserError, match=r"^--device 'cuda' and --device 'cuda:1' are the same device \(cuda:1\)"):
        runner.resolve_devices("cuda,cuda:1", n_cuda=2)


def test_unwritable_out_fails_before_the_run(tmp_path):
    # A regular file where the folder should be: unwritable even for root (tests may run as root).
    (tmp_path / "afile").write_text("x")
    with pytest.raises(UserError, match="cannot write results"):
        runner.check_writable(tmp_path / "afile" / "r.json")
    with pytest.raises(UserError, match="is a directory"):
        runner.check_writable(tmp_path)


def test_keyboard_interrupt_keeps_a_partial_file(tmp_path):
    class CtrlC(Sleepy):
        """Ctrl-C in its first timed round (its first prepare is the untimed warm-up just before)."""

        name = "ctrlc"
        prepared = 0

        def prepare(self, device, dtype, params, ctx):
            CtrlC.prepared += 1
            if CtrlC.prepared == 2:
                raise KeyboardInterrupt
            return super().prepare(device, dtype, params, ctx)

    reg = {"sleepy": Sleepy(), "ctrlc": CtrlC()}
    with pytest.raises(runner.Interrupted) as info:
        run_suite(registry=reg, device="cpu", out=tmp_path / "r.json", probe=PROBE, peaks=PEAKS, settings=FAST)
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["status"] == "interrupted" and info.value.path == tmp_path / "r.json"
    assert [m["kernel"] for m in doc["measurements"]] == ["sleepy"]


def test_a_run_stopped_before_its_first_measurement_keeps_no_file(tmp_path, monkeypatch):
    """Ctrl-C in the very first (untimed) prepare: nothing was measured, so no empty run is left to become the
    newest one that `recommend` and `latest` read; one measurement in, the file is kept (the test above)."""

    class CtrlCAtOnce(Sleepy):
        name = "ctrlc"

        def prepare(self, device, dtype, params, ctx):
            raise KeyboardInterrupt

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for out in (None, tmp_path / "r.json", str(tmp_path / "runs") + "/"):
        with pytest.raises(runner.Interrupted) as info:
            run_suite(registry={"ctrlc": CtrlCAtOnce()}, device="cpu", out=out, probe=PROBE, peaks=PEAKS,
                      settings=FAST)
        assert info.value.path is None and info.value.doc["measurements"] == []
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    # an earlier file --out names is left as it was
    run_suite(registry={"sleepy": Sleepy()}, device="cpu", out=tmp_path / "r.json", probe=PROBE, peaks=PEAKS,
              settings=FAST)
    earlier = (tmp_path / "r.json").read_text()
    with pytest.raises(runner.Interrupted):
        run_suite(registry={"ctrlc": CtrlCAtOnce()}, device="cpu", out=tmp_path / "r.json", probe=PROBE,
                  peaks=PEAKS, settings=FAST)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["r.json"]
    assert (tmp_path / "r.json").read_text() == earlier


def test_a_run_that_fails_before_its_first_measurement_keeps_no_file(tmp_path, monkeypatch):
    def refused(data_dir):
        raise UserError("refused late")

    monkeypatch.setattr(runner, "run_probe", refused)
    with pytest.raises(UserError, match="refused late"):
        run_suite(registry={"sleepy": Sleepy()}, device="cpu", out=tmp_path / "r.json", peaks=PEAKS, settings=FAST)
    assert list(tmp_path.iterdir()) == []


class _DiskFillsUp:
    """rigbench.files' tempfile, whose Nth temporary results file (every write of the file makes one; the check that
    the folder is writable makes a '.check' file) finds the disk full."""

    def __init__(self, at: int):
        self.at, self.calls = at, 0

    def mkstemp(self, *args, **kwargs):
        self.calls += kwargs.get("suffix") == ".tmp"
        if self.calls >= self.at:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return tempfile.mkstemp(*args, **kwargs)


@pytest.mark.parametrize("at", [2, 3])     # after the probe and peaks; the first record (made, never written)
def test_a_disk_full_before_the_first_measurement_leaves_no_file_and_says_so(tmp_path, monkeypatch, at):
    # the file created at the start (status "interrupted", no measurement) was left behind, and `results show`
    # showed it as a run
    monkeypatch.setattr(files, "tempfile", _DiskFillsUp(at=at))     # the first write (the claim) goes through
    with pytest.raises(RunFailed) as info:
        run_suite(registry={"sleepy": Sleepy()}, device="cpu", out=tmp_path / "r.json", probe=PROBE, peaks=PEAKS,
                  settings=FAST)
    assert list(tmp_path.iterdir()) == []
    assert str(info.value).startswith("the run stopped and left no results file (nothing had been measured): "
                                      f"cannot write results to {tmp_path / 'r.json'}: No space left on device")
    assert RunFailed.exit_code == 1      # a failure on the way (bench --help), not bad input before the start


def test_a_disk_full_after_a_measurement_keeps_what_was_saved(tmp_path, monkeypatch):
    full = _DiskFillsUp(at=4)            # the claim, the probe and peaks, the first case's record: then full
    monkeypatch.setattr(files, "tempfile", full)
    reg = {"sleepy": Sleepy(), "other": type("Other", (Sleepy,), {"name": "other"})()}
    with pytest.raises(RunFailed) as info:
        run_suite(registry=reg, device="cpu", out=tmp_path / "r.json", probe=PROBE, peaks=PEAKS, settings=FAST)
    doc = json.loads((tmp_path / "r.json").read_text())
    assert [m["kernel"] for m in doc["measurements"]] == ["sleepy"] and doc["status"] == "interrupted"
    assert str(info.value).startswith(f"the run stopped after 1 measurement; {tmp_path / 'r.json'} keeps it: ")
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]      # no temporary file beside it


def test_a_disk_full_while_saving_an_interrupted_run_keeps_what_was_saved(tmp_path, monkeypatch):
    class CtrlC(Sleepy):
        name = "ctrlc"

        def prepare(self, device, dtype, params, ctx):
            raise KeyboardInterrupt

    monkeypatch.setattr(files, "tempfile", _DiskFillsUp(at=4))     # the write of the interrupted document fails
    with pytest.raises(runner.Interrupted) as info:
        run_suite(registry={"sleepy": Sleepy(), "ctrlc": CtrlC()}, device="cpu", out=tmp_path / "r.json",
                  probe=PROBE, peaks=PEAKS, settings=FAST)
    assert info.value.path == tmp_path / "r.json"
    assert [m["kernel"] for m in json.loads(info.value.path.read_text())["measurements"]] == ["sleepy"]


@pytest.mark.parametrize("data_dir, words", [("/proc", "is on proc, a kernel pseudo filesystem"),
                                             ("/dev/null", "is a character device, not a directory")])
def test_a_bad_data_dir_is_refused_before_the_results_file_exists(tmp_path, data_dir, words):
    if not os.path.exists(data_dir):
        pytest.skip(f"no {data_dir} here")
    with pytest.raises(UserError, match=words):
        run_suite(registry={"sleepy": Sleepy()}, device="cpu", out=tmp_path / "r.json", data_dir=data_dir,
                  settings=FAST)
    assert list(tmp_path.iterdir()) == []


class CacheServed(Sleepy):
    """A disk-like kernel whose own check found that a cache, not the disk, served its reads."""

    name = "cached"

    def prepare(self, device, dtype, params, ctx):
        return Prepared.of(lambda: time.sleep(0.002), info={"cache_bypass_verified": False,
                                                             "cache_bypass_reason": "repeated reads as fast as RAM"})


def test_a_figure_read_from_a_cache_is_invalid():
    rec = measure_case(CacheServed(), "cpu", "float32", {"n": 1}, RunContext(), FAST, {}, SuiteState(), PROBE)
    assert rec["status"] == "ok" and rec["valid"] is False
    assert any("page cache was not kept out: repeated reads as fast as RAM" in r["text"] and r["code"] == "cache"
               for r in rec["invalid_reasons"])


# ---------------------------------------------------------------- rounds and the machine


class Logged(Sleepy):
    """Sleepy that writes down each prepare: the order the suite visits its cases in."""

    log: list = []

    def __init__(self, name):
        self.name = name

    def prepare(self, device, dtype, params, ctx):
        Logged.log.append(self.name)
        return super().prepare(device, dtype, params, ctx)


class Keeps(Sleepy):
    """Sleepy whose prepared case may be kept between rounds (as memcopy's and stream_triad's are); counts the
    preparations and closes; its next call fails once ``fail_now`` is set."""

    def __init__(self, name, keep_bytes=1 << 20):
        self.name, self.keep_bytes = name, keep_bytes
        self.prepared = self.closed = 0
        self.fail_now = False

    def prepare(self, device, dtype, params, ctx):
        self.prepared += 1

        def run():
            if self.fail_now:
                self.fail_now = False
                raise RuntimeError("fails once")

        def close():
            self.closed += 1

        p = Prepared.of(run, close=close)
        p.keep_bytes = self.keep_bytes
        return p


def _three_rounds(tmp_path, reg, progress=None):
    rounds3 = Settings(quick=True, min_sample_s=0.001, min_samples=5, max_samples=10, min_total_s=0.0, warmup_s=0.0,
                       budget_s=3.0, rounds=3)
    return run_suite(registry=reg, device="cpu", quick=True, out=tmp_path / "r.json", probe=PROBE, peaks=PEAKS,
                     settings=rounds3, progress=progress)


def test_a_case_that_may_be_kept_is_prepared_once_and_closed_once(tmp_path):
    """Warm-up and three rounds on one preparation, closed after its last round; a plain case is prepared for the
    warm-up and for every round, and closed each time."""
    pytest.importorskip("torch", reason="the reference workload is a torch matrix product")
    kept, plain = Keeps("kept"), Keeps("plain", keep_bytes=None)
    doc, _ = _three_rounds(tmp_path, {"kept": kept, "plain": plain})
    assert (kept.prepared, kept.closed) == (1, 1)
    assert (plain.prepared, plain.closed) == (4, 4)
    assert all(len(m["rounds_s"]) == 3 and m["status"] == "ok" for m in doc["measurements"])


def test_a_case_is_not_kept_where_memory_is_short_or_on_a_gpu(monkeypatch):
    class Memory:                       # psutil.virtual_memory() of a machine with 1 GiB available
        available = 1 << 30

    monkeypatch.setattr(runner.psutil, "virtual_memory", lambda: Memory)
    p = Prepared.of(lambda: None)
    assert runner.keep_case(p, "cpu") is False                  # the kernel did not say it may be kept
    p.keep_bytes = 1 << 30
    assert runner.keep_case(p, "cpu") is True                   # as much stays available as is kept
    p.keep_bytes = (1 << 30) + 1
    assert runner.keep_case(p, "cpu") is False
    p.keep_bytes = 1 << 20
    assert runner.keep_case(p, "cuda:0") is False               # a GPU's allocator reuses its blocks already


def test_a_kept_case_that_fails_in_a_later_round_is_closed_and_its_figure_stops(tmp_path):
    pytest.importorskip("torch", reason="the reference workload is a torch matrix product")
    k = Keeps("k")

    class FailAfterFirstRound:          # the progress bar the suite steps after each case's round
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def step(self, label):
            k.fail_now = True

    doc, _ = _three_rounds(tmp_path, {"k": k}, progress=lambda total: FailAfterFirstRound())
    (m,) = doc["measurements"]
    assert k.prepared == k.closed == 1                          # closed when it failed, not kept or closed twice
    assert m["machine"]["stopped"] == "round 2 failed: RuntimeError: fails once" and m["machine"]["rounds"] == 1


def test_the_suite_runs_in_interleaved_rounds_with_the_reference_between_them(tmp_path):
    """Three rounds over two kernels, each case warmed up untimed right before its first round: a, b, a, b, a, b
    (never a, a, a); four reference readings (before the first round and after each); every figure keeps its three round medians and the
    drift of the readings around it."""
    pytest.importorskip("torch", reason="the reference workload is a torch matrix product")
    Logged.log = []
    reg = {"a": Logged("a"), "b": Logged("b")}
    rounds3 = Settings(quick=True, min_sample_s=0.001, min_samples=9, max_samples=30, min_total_s=0.0, warmup_s=0.0,
                       budget_s=3.0, rounds=3)
    doc, path = run_suite(registry=reg, device="cpu", quick=True, out=tmp_path / "r.json", probe=PROBE, peaks=PEAKS,
                          settings=rounds3)
    assert Logged.log == ["a", "a", "b", "b", "a", "b", "a", "b"]   # each prepared once untimed before its first round
    readings = doc["machine"]["reference"]["readings"]
    assert len(readings) == 4 and all(r["median_s"] > 0 and r["inner"] == readings[0]["inner"] for r in readings)
    times = sorted(r["median_s"] for r in readings)
    assert doc["machine"]["drift"] == pytest.approx((times[-1] - times[0]) / ((times[1] + times[2]) / 2), abs=1e-4)
    for m in doc["measurements"]:
        assert len(m["rounds_s"]) == 3 and m["repeats"] >= 9 and m["machine"]["rounds"] == 3
        assert m["machine"]["drift"] == doc["machine"]["drift"]
        assert 0 <= m["machine"]["others"] <= 1 and 0 <= m["machine"]["steal"] <= 1
        assert m["ci_low_s"] <= m["median_s"] <= m["ci_high_s"]
        codes = {r["code"] for r in m["invalid_reasons"]}
        assert ("drift" in codes) == (m["machine"]["drift"] > 0.10)      # judged against the recorded numbers
        assert ("busy" in codes) == (m["machine"]["others"] > 0.05)


def test_machine_reasons_are_structured_and_judged_for_cpu_and_host_timed_figures(monkeypatch):
    busy = {"drift": 0.14, "steal": 0.01, "others": 0.31}
    reasons = validity.judge(spread=0.02, sample_s=0.01, round_move=0.03, machine=busy)
    assert [(r["code"], r["value"], r["limit"]) for r in reasons] == [("drift", 0.14, 0.10), ("busy", 0.31, 0.05)]
    assert "other programs used 31% of the usable CPUs" in reasons[1]["text"]
    moved = validity.judge(spread=0.02, sample_s=0.01, round_move=0.16)
    assert [(r["code"], r["value"]) for r in moved] == [("rounds", 0.16)]
    # a GPU figure records the machine but is judged on its own timing and the GPU's state
    monkeypatch.setattr(runner, "_gpu_state", lambda state, device: {"clock_event_reasons": []})
    monkeypatch.setattr(runner, "_sync_for", lambda device: None)
    monkeypatch.setattr(runner.conditions.MachineSampler, "result",
                        lambda self: {"steal": 0.0, "others": 0.9, "sampled_s": 1.0})
    k = Sleepy()
    k.devices = ("cuda", "cpu")
    gpu = measure(k, device="cuda:0")
    cpu = measure(k, device="cpu")
    assert gpu["machine"]["others"] == 0.9 and "busy" not in {r["code"] for r in gpu["invalid_reasons"]}
    assert "busy" in {r["code"] for r in cpu["invalid_reasons"]} and cpu["valid"] is False
    # ... unless its time includes the host's own work (a training step's launches, a pageable copy)
    k.host_timed = lambda params: True
    host = measure(k, device="cuda:0")
    assert "busy" in {r["code"] for r in host["invalid_reasons"]} and host["valid"] is False


def test_the_kernels_whose_gpu_time_includes_the_host_say_so():
    assert REGISTRY["train_cnn"].host_timed({}) and REGISTRY["train_transformer"].host_timed({})
    transfer = REGISTRY["h2d"]
    assert transfer.host_timed({"memory": "pageable"}) and not transfer.host_timed({"memory": "pinned"})
    assert not any(REGISTRY[k].host_timed({}) for k in ("gemm", "conv2d", "attention", "memcopy", "stream_triad"))


def test_the_sampler_sees_another_program_on_the_cpus():
    """A process spinning on one of this process's CPUs for 0.6 s: other programs' share is well above zero (on an
    idle 2-CPU machine about 50%; more when other programs run too), and this process's own time is not counted."""
    import subprocess
    import sys

    sampler = runner.conditions.MachineSampler()
    spin = subprocess.Popen([sys.executable, "-c", "import time\nend = time.time() + 5\nwhile time.time() < end: pass"])
    try:
        time.sleep(0.3)
        with sampler.window():
            time.sleep(0.6)
    finally:
        spin.kill()
        spin.wait()
    got = sampler.result()
    assert got["others"] > 0.2 * 2 / max(2, len(sampler.cpus or [0, 0])), got
    assert got["sampled_s"] >= 0.6


def test_each_round_gets_its_share_and_the_first_round_warms_up_longer():
    quick = Settings.for_mode(quick=True)            # 9 samples, 0.3 s timed, 1.5 s budget over 3 rounds
    first, later = quick.round_timer(first=True), quick.round_timer()
    assert (later.min_samples, later.max_samples, later.warmup_s) == (3, 10, 0.03)
    assert later.min_total_s == pytest.approx(0.1) and later.budget_s == pytest.approx(0.5)
    # the first round warms up 0.15 s instead of 0.03 s, and its budget grows by the 0.12 s difference
    assert first.warmup_s == 0.15 and first.budget_s == pytest.approx(0.62)
    one = Settings.for_mode(quick=False, rounds=1)
    assert (one.round_timer().min_samples, one.round_timer(first=True).warmup_s) == (9, 0.5)


def test_a_job_s_process_tree_is_not_another_program():
    """A live child's CPU time is in its parent's tree (a distributed job's ranks are the job, not "others"), while
    this process's own time leaves it out until the child is waited for."""
    import subprocess
    import sys

    import psutil

    child = subprocess.Popen([sys.executable, "-c", "import time\nend = time.time() + 60\nwhile time.time() < end: pass"])
    try:
        proc = psutil.Process(child.pid)
        deadline = time.time() + 60
        while sum(proc.cpu_times()[:2]) < 0.2 and time.time() < deadline:   # hang guard only
            time.sleep(0.05)
        own = runner.conditions._own_cpu_s()
        tree = runner.conditions.tree_cpu_s(os.getpid())
        child_s = sum(proc.cpu_times()[:2])
        assert child_s >= 0.2
        assert tree >= own + child_s - 0.05, (tree, own, child_s)     # counters tick in 10 ms steps
    finally:
        child.kill()
        child.wait()


def test_the_heap_keeps_freed_memory_on_glibc():
    import platform

    from rigbench.bench import heap

    got = heap.keep_freed_memory()
    if platform.libc_ver()[0] != "glibc":
        assert got["set"] is False and "glibc" in got["reason"]
        return
    assert got == {**got, "set": True, "mmap_threshold_bytes": 32 * 2 ** 20, "trim_threshold_bytes": 2 ** 30}
    assert heap.keep_freed_memory()["set"] is True     # setting it again is harmless


def test_a_second_run_in_the_same_folder_is_held_against_the_first(tmp_path):
    """Each reference reading carries the clock beside it; the second run of the machine finds the first as its
    baseline and records how many more cycles its readings took (judged against the recorded numbers)."""
    pytest.importorskip("torch", reason="the reference workload is a torch matrix product")
    reg = {"a": Logged("a")}
    peaks = {"cpu": {**PEAKS["cpu"], "clock": {"scalar_mhz": 3000, "used_mhz": 3000}}}
    first, first_path = run_suite(registry=reg, device="cpu", quick=True, out=tmp_path / "one.json", probe=PROBE,
                                  peaks=peaks, settings=FAST)
    assert first["machine"]["baseline"]["mcycles"] is None
    assert all(r["clock_mhz"] == 3000 for r in first["machine"]["reference"]["readings"])
    second, _ = run_suite(registry=reg, device="cpu", quick=True, out=tmp_path / "two.json", probe=PROBE, peaks=peaks,
                          settings=FAST)
    base = second["machine"]["baseline"]
    assert base["file"] == str(first_path) and base["runs"] == 1
    best = statistics.median(r["median_s"] * 3000 for r in first["machine"]["reference"]["readings"])
    assert base["mcycles"] == pytest.approx(best)       # the first run's level: the median of its readings
    (m,) = second["measurements"]
    mine = sorted(r["median_s"] * 3000 for r in second["machine"]["reference"]["readings"])
    assert m["machine"]["slower"] == pytest.approx(((mine[0] + mine[1]) / 2) / best - 1, abs=1e-3)
    assert ("slower" in {r["code"] for r in m["invalid_reasons"]}) == (m["machine"]["slower"] > 0.10)


def test_a_figure_unlike_the_machines_earlier_runs_of_it_is_flagged(tmp_path):
    """The second run in a folder holds each figure against the first run's value of it; a first run whose figure
    reads a hundred times higher (edited here) flags the second one, which says how far and against how many."""
    reg = {"a": Logged("a")}
    first, first_path = run_suite(registry=reg, device="cpu", quick=True, out=tmp_path / "one.json", probe=PROBE,
                                  peaks=PEAKS, settings=FAST)
    assert "earlier" not in first["measurements"][0]["machine"]       # nothing to be held against
    doc = json.loads(first_path.read_text(encoding="utf-8"))
    # a hundred times the value, and no flag: a figure flagged for a busy machine would not count as its history;
    # its times a hundredth and its peak a hundred times higher, or the results owner refuses a figure that
    # contradicts itself
    m0 = doc["measurements"][0]
    for key, v in list(m0.items()):
        if key.endswith("_s") and isinstance(v, (int, float)) and not isinstance(v, bool):
            m0[key] = v / 100
        elif key.endswith("_s") and isinstance(v, list):
            m0[key] = [x / 100 for x in v]
    m0.update(value=m0["value"] * 100, peak=m0["peak"] * 100, valid=True, invalid_reasons=[])
    # and timings that pass their own limits whatever the machine did during the first run (the owner refuses a
    # figure marked valid whose samples, rounds or sample length say otherwise): calls batched a hundred times as
    # many to a sample, no spread, rounds alike
    m0.update(inner=m0["inner"] * 100, iqr_s=0.0,
              rounds_s=m0["rounds_s"] and [m0["median_s"]] * len(m0["rounds_s"]))
    first_path.write_text(json.dumps(doc), encoding="utf-8")
    second, _ = run_suite(registry=reg, device="cpu", quick=True, out=tmp_path / "two.json", probe=PROBE,
                          peaks=PEAKS, settings=FAST)
    (m,) = second["measurements"]
    earlier = m["machine"]["earlier"]
    assert earlier["runs"] == 1 and earlier["median"] == pytest.approx(doc["measurements"][0]["value"])
    assert earlier["off"] == pytest.approx(m["value"] / earlier["median"] - 1, abs=1e-4) and earlier["off"] < -0.9
    assert m["valid"] is False and "earlier" in {r["code"] for r in m["invalid_reasons"]}


def test_a_kernel_whose_data_must_stay_cold_gets_no_untimed_pass(tmp_path):
    class Cold(Logged):
        warm_up = False

    Logged.log = []
    run_suite(registry={"a": Logged("a"), "c": Cold("c")}, device="cpu", quick=True, out=tmp_path / "r.json",
              probe=PROBE, peaks=PEAKS, settings=FAST)
    assert Logged.log == ["a", "a", "c"]        # a: its untimed pass, then its round; c: its round only
    assert REGISTRY["disk_read"].warm_up is False and REGISTRY["disk_iops"].warm_up is False
    assert REGISTRY["gemm"].warm_up is True


def test_only_naming_a_kernel_that_runs_on_none_of_the_devices_is_refused_before_any_file(tmp_path):
    # `bench --only h2d` on a machine without a GPU ended as a complete run with no figure and no word why
    class GpuOnly(Sleepy):
        name, devices = "gpu_only", ("cuda",)
    reg = {k.name: k for k in (GpuOnly(), Sleepy())}
    with pytest.raises(UserError, match=r"--only: gpu_only runs on cuda, and this run measures cpu"):
        run_suite(registry=reg, only=["gpu_only", "sleepy"], device="cpu", out=tmp_path / "r.json", probe=PROBE,
                  peaks=PEAKS, settings=FAST)
    assert list(tmp_path.iterdir()) == []
    # the whole suite leaves a kernel out where it cannot run, as before
    doc, _ = run_suite(registry=reg, device="cpu", out=tmp_path / "r.json", probe=PROBE, peaks=PEAKS, settings=FAST)
    assert {m["kernel"] for m in doc["measurements"]} == {"sleepy"}


@pytest.mark.parametrize("enforced_mw,default_mw,flagged", [
    (700000, 700000, []),                    # at the datasheet's 700 W: the card's sustained rate under full load
    (450000, 700000, ["sw_power_cap"]),      # capped below its default (nvidia-smi -pl 450): slower than it can be
    (700000, "NOT_SUPPORTED", ["sw_power_cap"]),   # the default unread: a cap is not known to be the rating
])
def test_a_power_cap_is_throttling_only_below_the_default_limit(enforced_mw, default_mw, flagged):
    fake = FakeNvml(["h100_sxm_mig"], overrides={"h100_sxm_mig": {
        "clocks_event_reasons": 0x4 | 0x20, "enforced_power_limit_mw": enforced_mw,   # sw_power_cap, thermal
        "default_power_limit_mw": default_mw}})
    state = runner.conditions.GpuMonitor(nvml.load(fake)).state(0)
    assert state["power_limit_w"] == enforced_mw / 1000
    assert state["clock_event_reasons"] == ["sw_power_cap", "sw_thermal_slowdown"]
    assert runner.conditions.throttled(state, None) == flagged + ["sw_thermal_slowdown"]
