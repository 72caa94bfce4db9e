"""The runner with stand-in kernels: failures stay inside their measurement, OOM shrinks, lost GPUs, validity."""

import json
import time

import pytest

from rigbench.bench import runner, schema
from rigbench.bench.runner import Settings, SuiteState, measure_case, run_suite
from rigbench.errors import UserError
from rigbench.kernels.base import Kernel, KernelFault, KernelSkip, Prepared, RunContext

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
    assert any("size reduced after out of memory" in r["text"] and r["code"] == "shrunk" for r in rec["invalid_reasons"])


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


def test_only_and_device_names_are_checked():
    reg = {"sleepy": Sleepy()}
    with pytest.raises(UserError, match="valid kernels: sleepy"):
        runner.resolve_kernels(["nope"], reg)
    assert [k.name for k in runner.resolve_kernels(["sleepy"], reg)] == ["sleepy"]
    with pytest.raises(UserError, match="no CUDA GPU is visible here: 'cuda:3'; valid devices here: cpu, all$"):
        runner.resolve_devices("cuda:3", n_cuda=0)          # without a GPU, no cuda name is offered as valid
    with pytest.raises(UserError, match="valid devices here: cpu, cuda, cuda:0, cuda:1, all"):
        runner.resolve_devices("cuda:3", n_cuda=2)
    with pytest.raises(UserError, match="--only names no kernel; valid kernels: sleepy"):
        runner.resolve_kernels([""], reg)                   # `--only ""` is a mistake, not "run nothing"
    with pytest.raises(UserError, match="--device is empty"):
        runner.resolve_devices(" , ", n_cuda=0)
    assert runner.resolve_devices("cuda", n_cuda=2) == ["cuda:0", "cuda:1"]
    assert runner.resolve_devices(None, n_cuda=1) == ["cpu", "cuda:0"]


def test_unwritable_out_fails_before_the_run(tmp_path):
    # A regular file where the folder should be: unwritable even for root (tests may run as root).
    (tmp_path / "afile").write_text("x")
    with pytest.raises(UserError, match="cannot write results"):
        runner.check_writable(tmp_path / "afile" / "r.json")
    with pytest.raises(UserError, match="is a directory"):
        runner.check_writable(tmp_path)


def test_keyboard_interrupt_keeps_a_partial_file(tmp_path):
    class CtrlC(Sleepy):
        name = "ctrlc"

        def prepare(self, device, dtype, params, ctx):
            raise KeyboardInterrupt

    reg = {"sleepy": Sleepy(), "ctrlc": CtrlC()}
    with pytest.raises(runner.Interrupted) as info:
        run_suite(registry=reg, device="cpu", out=tmp_path / "r.json", probe=PROBE, peaks=PEAKS, settings=FAST)
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["status"] == "interrupted" and info.value.path == tmp_path / "r.json"
    assert [m["kernel"] for m in doc["measurements"]] == ["sleepy"]


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
