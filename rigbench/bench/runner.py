"""The suite runner: every kernel x device x dtype x case, timed, verified, judged, written down.

The suite runs in interleaved rounds (3 by default): each round visits every case once, so slow drift of a shared
machine spreads over all figures instead of landing on one, and a fixed reference workload timed before the first
round and after each one measures how far the machine itself moved (:mod:`rigbench.bench.conditions`). Right
before its first round a case is prepared and run once untimed (its warm-up: one-off costs of a first
preparation); in each round a case is prepared (untimed; the first round's duration is ``prepare_s``), warmed up and timed
(:mod:`rigbench.bench.timing`), except a case whose buffers the runner may keep (``Prepared.keep_bytes``: the
memory-bandwidth kernels' arrays, four times the last-level cache or more), which is prepared once and kept to its
last round while memory allows; the first round also calibrates the calls per sample and verifies the result. CPU
steal and other programs' CPU use are read around every timed stretch. The figure is the median over all rounds'
samples, with its 95% confidence interval, and :mod:`rigbench.validity` judges it.

Every failure stays inside its own measurement: a kernel that raises is ``failed`` with the reason, ``KernelSkip``
is ``skipped``, a wrong result is ``failed`` and invalid, out of memory shrinks the case (the kernel's
``shrink(params)``) and retries, and a lost GPU or a sticky CUDA error marks that device lost so the rest of the
suite goes on. The results file is rewritten atomically after every case of every round, marked ``interrupted``
until the end: Ctrl-C, a crash or a kill leaves what was measured, marked so.
"""

from __future__ import annotations

import difflib
import math
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import psutil

from rigbench import files, results, signals, validity
from rigbench.bench import baseline, conditions, heap, schema
from rigbench.bench import peaks as peaks_mod
from rigbench.bench.timing import Measurement, Timer
from rigbench.errors import RunFailed, UserError
from rigbench.files import write_json_atomic
from rigbench.kernels import REGISTRY as KERNELS
from rigbench.kernels.base import KernelFault, KernelSkip, RunContext
from rigbench.probe import probe as probe_machine
from rigbench.probe.disks import check_data_dir
from rigbench.units import one_line, refuse_repeats, shown, split_items

MAX_SPREAD = validity.MAX_SPREAD        # the limits live with the rules, in rigbench.validity
MIN_SAMPLE_S = validity.MIN_SAMPLE_S
MAX_SHRINKS = 4            # out-of-memory retries, each with the case's largest dimension halved
DEFAULT_ROUNDS = 3         # the suite runs in this many interleaved rounds (--rounds N)
MAX_ROUNDS = 20

# Messages of CUDA errors after which the context is unusable (sticky errors) or the GPU is gone.
_LOST_MARKERS = ("illegal memory access", "device-side assert", "unspecified launch failure", "gpu is lost",
                 "fallen off the bus", "ecc error", "uncorrectable", "cuda error: unknown error",
                 "cuda error: launch failed", "misaligned address", "illegal instruction", "hardware stack error",
                 "no cuda gpus are available", "cudaerrordevicesunavailable")


@dataclass
class Settings:
    """How hard to try per measurement. ``min_samples``, ``min_total_s`` and ``budget_s`` are per figure, over all
    its rounds; each round gets its share (at least 3 samples when there are several rounds, so a round has a
    median). Quick mode: small sizes and a time budget, for a whole suite in well under a minute."""

    quick: bool = False
    min_sample_s: float = 0.01
    min_samples: int = 7
    max_samples: int = 50
    min_total_s: float = 0.5
    warmup_s: float = 0.1
    budget_s: float | None = 15.0
    rounds: int = 1
    # A figure's first round warms up longer: the first calls of a case in a process pay one-off costs (oneDNN
    # primitives created, buffers faulted in, allocator pools grown) that later rounds find done; a short first
    # warm-up shows up as a first round slower than the rest. None: ``warmup_s``.
    first_warmup_s: float | None = None

    @classmethod
    def for_mode(cls, quick: bool, rounds: int | None = None) -> "Settings":
        if quick:
            out = cls(quick=True, min_sample_s=0.002, min_samples=9, max_samples=30, min_total_s=0.3,
                      warmup_s=0.03, first_warmup_s=0.15, budget_s=1.5, rounds=DEFAULT_ROUNDS)
        else:
            out = cls(min_samples=9, min_total_s=0.9, first_warmup_s=0.5, rounds=DEFAULT_ROUNDS)
        if rounds is not None:
            out.rounds = rounds
        return out

    def round_timer(self, sync=None, clock=time.perf_counter, first: bool = False) -> Timer:
        """The timer of one round: this figure's share of the samples, timed work and budget; the ``first`` round
        of a figure warms up for ``first_warmup_s``, outside the budget."""
        r = max(1, self.rounds)
        warmup = self.first_warmup_s if first and self.first_warmup_s is not None else self.warmup_s
        budget = None if self.budget_s is None else (self.budget_s / r + (warmup - self.warmup_s))
        return Timer(clock=clock, sync=sync, min_sample_s=self.min_sample_s,
                     min_samples=self.min_samples if r == 1 else max(3, math.ceil(self.min_samples / r)),
                     max_samples=self.max_samples if r == 1 else max(3, math.ceil(self.max_samples / r)),
                     min_total_s=self.min_total_s / r, warmup_s=warmup, budget_s=budget)


class Interrupted(Exception):
    """Ctrl-C during a run; ``path`` holds the partial results file (None when nothing was measured yet, and so
    no file was kept)."""

    def __init__(self, path: Path | None, doc: dict):
        super().__init__(f"interrupted: partial results in {path}" if path else "interrupted before any measurement")
        self.path, self.doc = path, doc


# ---------------------------------------------------------------- input

def cuda_count() -> int:
    try:
        import torch
    except ImportError:
        return 0
    try:
        return torch.cuda.device_count() if torch.cuda.is_available() else 0
    except RuntimeError:
        return 0


def resolve_devices(spec: str | None, n_cuda: int | None = None) -> list[str]:
    """``cpu``, ``cuda`` (every GPU), ``cuda:N``, ``all`` or None (every device found) -> device names."""
    n_cuda = cuda_count() if n_cuda is None else n_cuda
    gpus = [f"cuda:{i}" for i in range(n_cuda)]
    valid = ["cpu", *(["cuda", *gpus] if gpus else []), "all"]
    if spec is None or spec == "all":
        return ["cpu", *gpus]
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    if not parts:
        raise UserError(f"--device is empty; valid devices here: {', '.join(valid)}")
    named: list[tuple[str, str]] = []      # (as given, the device it names)
    for part in parts:
        if part == "cpu":
            named.append((part, "cpu"))
        elif part == "cuda" and gpus:
            named.extend((part, g) for g in gpus)
        elif part in gpus:
            named.append((part, part))
        else:
            why = "no CUDA GPU is visible here" if part.startswith("cuda") and not gpus else "unknown device"
            raise UserError(f"{why}: {shown(part)}; valid devices here: {', '.join(valid)}")
    # one device named twice ("cpu,cpu", "cuda,cuda:0"): refused as a kernel named twice is, not measured once
    refuse_repeats(named, "--device", "device")
    return [device for _, device in named]


def resolve_kernels(only: Iterable[str] | None, registry: dict) -> list:
    """``--only gemm,memcopy`` (repeatable) -> kernels in suite order; unknown names list the valid ones."""
    if not only:
        return list(registry.values())
    names = split_items(only, "--only", "kernel", "gemm,memcopy")
    if not names:
        raise UserError(f"--only names no kernel; valid kernels: {', '.join(registry)}")
    unknown = [n for n in names if n not in registry]
    if unknown:
        # kernel names are lower case; "GEMM" or "stream-triad" is the kernel a person meant, so name it
        near = [hit for n in unknown
                for hit in difflib.get_close_matches(n.lower().replace("-", "_"), list(registry), n=1, cutoff=0.6)]
        hint = f" (did you mean {', '.join(dict.fromkeys(near))}?)" if near else ""
        raise UserError(f"unknown kernel {', '.join(map(shown, unknown))}{hint}; valid kernels: {', '.join(registry)}")
    # named twice: refused, as a card named twice is, rather than measured once without a word
    refuse_repeats([(n, n) for n in names], "--only", "kernel")
    return [k for name, k in registry.items() if name in names]


def check_writable(path: Path) -> None:
    """Fail fast, before a long run, if the results file cannot be written there (``rigbench.files`` policy)."""
    files.check_writable(path)


# ---------------------------------------------------------------- the machine

def run_probe(data_dir: str | None) -> dict:
    """The probe document of this machine (``rigbench.probe``), with ``data_dir``'s disk."""
    return probe_machine(data_dir)


def on_battery(probe: dict) -> bool | None:
    for where in (probe.get("host") or {}, probe):
        power = where.get("power") if isinstance(where, dict) else None
        if isinstance(power, dict) and "on_battery" in power:
            return power["on_battery"]
    return None


def device_info(device: str) -> dict:
    if device == "cpu":
        return {}
    import torch

    idx = torch.device(device).index or 0
    props = torch.cuda.get_device_properties(idx)
    uuid = getattr(props, "uuid", None)
    return {"index": idx, "name": props.name, "memory_bytes": props.total_memory,
            "uuid": f"GPU-{uuid}" if uuid is not None and not str(uuid).startswith("GPU-") else uuid,
            "compute_capability": f"{props.major}.{props.minor}"}


def measure_peaks(devices: list[str], probe: dict) -> dict:
    out: dict = {}
    for dev in devices:
        if dev == "cpu":
            clock = peaks_mod.measure_cpu_clock()
            out["cpu"] = peaks_mod.cpu_peaks(probe.get("cpu") or {}, clock, peaks_mod.cpu_family())
        else:
            out[dev] = peaks_mod.gpu_peaks(device_info(dev).get("name"))
    return out


# ---------------------------------------------------------------- one measurement

def _is_oom(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError" or "out of memory" in str(exc).lower()


def _is_lost(exc: BaseException) -> bool:
    text = f"{type(exc).__name__}: {exc}".lower()
    return any(m in text for m in _LOST_MARKERS)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class SuiteState:
    """What the runner learns as it goes: lost devices, the GPU monitor."""

    def __init__(self, monitor=None):
        self.lost: dict[str, str] = {}
        self._monitor = monitor

    def monitor(self):
        if self._monitor is None:
            self._monitor = conditions.GpuMonitor()
        return self._monitor


def _gpu_state(state: SuiteState, device: str) -> dict | None:
    if device == "cpu":
        return None
    info = device_info(device)
    return state.monitor().state(info["index"], info.get("uuid"))


def _sync_for(device: str):
    if device == "cpu":
        return None
    import torch

    dev = torch.device(device)
    return lambda: torch.cuda.synchronize(dev)


class CaseRun:
    """One case measured over the suite's rounds: the first round prepares (shrinking after out of memory),
    calibrates, times and verifies; each later round prepares again (or takes the case kept since its warm-up,
    :func:`keep_case`), warms up and times the same calls per sample.
    ``record(readings)`` is the measurement as it stands, judged with the reference readings taken so far."""

    def __init__(self, kernel, device: str, dtype: str, params: dict, ctx, settings: Settings, device_peaks: dict,
                 state: SuiteState, probe: dict | None = None, clock=time.perf_counter):
        self.kernel, self.device, self.dtype, self.ctx = kernel, device, dtype, ctx
        self.settings, self.device_peaks, self.state, self.probe, self.clock = settings, device_peaks, state, probe or {}, clock
        self.original, self.params, self.shrinks = dict(params), dict(params), 0
        self.rec = schema.empty_measurement(kernel.name, device, dtype, params, kernel.metric, kernel.unit)
        self.parts: list = []           # one Measurement per round timed
        self.first_round: int | None = None
        self.done = False               # failed, skipped or stopped: no more rounds
        self.info: dict = {}
        self.cond: dict = {}
        self.machine = conditions.MachineSampler()
        self.stopped: str | None = None
        self.warmed = False             # an untimed warm-up round ran (the suite's): the first round needs no longer one
        self.kept = None                # a prepared case held between rounds (keep_case), with its preparation time
        self.kept_prepare_s: float | None = None

    def _prepare(self):
        """(prepared, seconds to prepare): the case kept from an earlier round, or a new preparation."""
        if self.kept is not None:
            return self.kept, self.kept_prepare_s
        t0 = time.perf_counter()
        prepared = self.kernel.prepare(self.device, self.dtype, self.params, self.ctx)
        prepare_s = time.perf_counter() - t0
        if keep_case(prepared, self.device):
            self.kept, self.kept_prepare_s = prepared, prepare_s
        return prepared, prepare_s

    def _put_back(self, prepared, failed: bool = False) -> None:
        """Close ``prepared`` unless it is kept for the next round; a failure closes a kept case too."""
        if prepared is None or (prepared is self.kept and not failed):
            return
        if prepared is self.kept:
            self.kept = None
        try:
            prepared.close()
        except Exception:  # noqa: BLE001 - a failing close must not hide the measurement
            pass

    def release(self) -> None:
        """Close a case kept between rounds (after its last round, or when the suite stops)."""
        if self.kept is not None:
            self._put_back(self.kept, failed=True)

    def warm_up(self, seconds: float) -> None:
        """Untimed, right before the first timed round: prepare, run for ``seconds``, close. The first preparation of a case
        in a process pays one-off costs (fresh pages from the kernel, oneDNN primitives, allocator pools) that
        every later one finds done; measured here, without it memcopy's and stream_triad's first round ran 13-14%
        slower than the next two. pyperf likewise discards each worker's first value as a warm-up. A failure here is
        left to the first timed round, which meets it again and records it."""
        if not self.kernel.warm_up or self.done or self.device in self.state.lost:
            return
        self.warmed = True
        prepared = None
        failed = False
        sync = _sync_for(self.device)
        try:
            prepared, _ = self._prepare()
            end = time.perf_counter() + seconds
            while True:
                if prepared.needs_reset:
                    prepared.reset()
                prepared.run()
                if sync is not None:
                    sync()
                if time.perf_counter() >= end:
                    break
        except KeyboardInterrupt:
            raise
        except Exception:  # noqa: BLE001 - the first timed round meets the same failure and records it
            failed = True
            _free_cuda(self.device)
        finally:
            self._put_back(prepared, failed)

    def run_round(self, index: int) -> None:
        """Time this case once more (round ``index``); never raises except KeyboardInterrupt."""
        if self.done:
            return
        rec = self.rec
        if self.device in self.state.lost:
            if not self.parts:
                rec.update(status="skipped", reason=f"device {self.device} was lost earlier in this run: "
                                                    f"{self.state.lost[self.device]}")
            else:
                self.stopped = f"device lost before round {index + 1}"
            self.done = True
            return
        first = not self.parts
        while True:
            prepared = None
            failed = True
            try:
                cpu_before = conditions.cpu_state()
                gpu_before = _gpu_state(self.state, self.device)
                prepared, prepare_s = self._prepare()
                timer = self.settings.round_timer(sync=_sync_for(self.device), clock=self.clock,
                                                  first=first and not self.warmed)
                window = conditions.MachineSampler(self.machine.cpus)
                with window.window():
                    m = timer.measure(prepared.run, reset=prepared.reset if prepared.needs_reset else None,
                                      inner=None if first else self.parts[0].inner)
                gpu_after = _gpu_state(self.state, self.device)
                cpu_after = conditions.cpu_state()
                if first:
                    # a wrong answer is caught once; later rounds run the same code on the same sizes
                    prepared.verify()
                    self.info = dict(prepared.info or {})
                failed = False
                break
            except KeyboardInterrupt:
                raise
            except Exception as exc:  # noqa: BLE001 - one failing kernel never stops the suite
                if not first:
                    self.stopped = f"round {index + 1} failed: {_one_line(exc)}"
                    self.done = True
                    if self.device != "cpu" and _is_lost(exc):
                        self.state.lost[self.device] = _one_line(exc)
                    return
                if self._first_round_failed(exc):
                    continue
                self.done = True
                return
            finally:
                self._put_back(prepared, failed)
        self.machine.add(window)
        self.parts.append(m)
        if first:
            self.first_round = index
            rec["prepare_s"] = prepare_s
            self.cond = {"cpu_before": cpu_before, "gpu_before": gpu_before}
        self.cond.update(cpu_after=cpu_after, gpu_after=gpu_after)
        if gpu_after is not None:
            self.cond.setdefault("gpu_rounds", []).append(gpu_after)

    def _first_round_failed(self, exc: BaseException) -> bool:
        """Record why the first round failed; True when a smaller size is to be tried."""

        rec, device = self.rec, self.device
        if isinstance(exc, KernelSkip):
            rec.update(status="skipped", reason=str(exc) or "skipped by the kernel")
            return False
        if isinstance(exc, KernelFault):
            where = " (a wrong result on a GPU is a hardware fault)" if device != "cpu" else ""
            rec.update(status="failed", reason=f"wrong result: {exc}{where}", valid=False,
                       invalid_reasons=[validity.reason("wrong_result", f"wrong result: {exc}")])
            return False
        if _is_oom(exc):
            _free_cuda(device)
            shrink = getattr(self.kernel, "shrink", None)
            smaller = shrink(dict(self.params)) if callable(shrink) and self.shrinks < MAX_SHRINKS else None
            if smaller:
                self.params, self.shrinks = smaller, self.shrinks + 1
                return True
            rec.update(status="skipped", reason=f"out of memory at {self.params} ({_one_line(exc)})"
                       + ("" if callable(shrink) else "; the kernel offers no smaller size"))
            return False
        if device != "cpu" and _is_lost(exc):
            self.state.lost[device] = _one_line(exc)
            rec.update(status="failed", reason=f"device {device} lost: {_one_line(exc)}")
            return False
        rec.update(status="failed", reason=_one_line(exc))
        return False

    def record(self, readings: list[dict] | None = None, base: dict | None = None,
               history: dict | None = None) -> dict:
        """The measurement so far; ``readings``: the reference readings of the run, one per round boundary;
        ``base``: this machine's baseline from its earlier runs, ``history``: their figures
        (:mod:`rigbench.bench.baseline`)."""
        if not self.parts:
            return self.rec
        m = self.parts[0] if len(self.parts) == 1 else Measurement.combine(self.parts)
        machine = self.machine.result()
        if readings is not None and self.first_round is not None:
            # the readings that bracket the rounds this figure was timed in
            span = readings[self.first_round: self.first_round + len(self.parts) + 1]
            machine["drift"] = conditions.drift(span)
            if base is not None:
                machine["slower"] = baseline.slower(span, base)
        machine["rounds"] = len(self.parts)
        if self.stopped:
            machine["stopped"] = self.stopped
        cond = dict(self.cond)
        return _finish(self.rec, self.kernel, self.dtype, self.params, self.original, self.shrinks, m, self.info,
                       self.device_peaks, self.probe, cond, machine, history)


def measure_case(kernel, device: str, dtype: str, params: dict, ctx, settings: Settings, device_peaks: dict,
                 state: SuiteState, probe: dict | None = None, clock=time.perf_counter) -> dict:
    """Prepare, time and verify one case, its rounds back to back (no reference workload between them); never
    raises except KeyboardInterrupt. The suite interleaves the rounds of all cases instead (:func:`run_suite`)."""
    case = CaseRun(kernel, device, dtype, params, ctx, settings, device_peaks, state, probe, clock)
    try:
        for r in range(max(1, settings.rounds)):
            case.run_round(r)
    finally:
        case.release()
    return case.record()


def keep_case(prepared, device: str) -> bool:
    """Whether to keep a prepared case between rounds instead of preparing it again: only host memory (a GPU's
    allocator already reuses its blocks), only a kernel that says it may be (``Prepared.keep_bytes``), and only while
    the memory still available is at least as large as what is kept, so the next round can prepare a case as large.

    Preparing again costs the fresh pages of arrays four times the last-level cache: the C heap hands blocks that
    large back to the kernel when freed (:mod:`rigbench.bench.heap`), and each first touch of a page faults, most
    slowly in a virtual machine whose host backs guest memory on demand and takes freed pages back."""
    size = getattr(prepared, "keep_bytes", None)
    if device != "cpu" or not size:
        return False
    return psutil.virtual_memory().available >= size


def _free_cuda(device: str) -> None:
    if device == "cpu":
        return
    try:
        import torch

        torch.cuda.empty_cache()
    except Exception:  # noqa: BLE001 - best effort after OOM
        pass


def _finish(rec, kernel, dtype, params, original, shrinks, m, info, device_peaks, probe, cond,
            machine: dict | None = None, history: dict | None = None) -> dict:
    def formula(fn):
        try:
            return fn(params)
        except Exception:  # noqa: BLE001 - a formula that cannot apply is simply absent
            return None

    rec["params"] = dict(params)
    rec.update(m.to_dict())
    rec["flops"], rec["bytes"], rec["items"] = formula(kernel.flops), formula(kernel.bytes_moved), formula(kernel.items)
    rec["label"] = formula(getattr(kernel, "label", lambda p: None))   # the case as a person reads it ("1024³")
    try:
        rec["value"] = kernel.value(params, m.median_s)
    except (TypeError, ZeroDivisionError):
        rec["value"] = None
    rec["peak"], rec["fraction_of_peak"], rec["peak_source"] = peaks_mod.fraction(
        device_peaks, kernel.peak_key(dtype, params), rec["value"], rec["unit"])
    rec["conditions"] = cond
    rec["info"] = info
    rec["machine"] = machine = dict(machine or {})
    if history is not None:
        earlier = baseline.against(rec["value"], history.get(results.Figure(rec).key))
        if earlier is not None:
            machine["earlier"] = earlier
    rec["status"], rec["reason"] = "ok", None
    gpu_states = [cond.get("gpu_before"), cond.get("gpu_after"), *(cond.get("gpu_rounds") or [])]
    throttle = [r for st in gpu_states for r in conditions.throttled(st, None)]
    reasons = validity.judge(
        spread=m.spread, sample_s=m.sample_s, round_move=m.round_move,
        # the machine's movement is judged for CPU figures and for GPU figures whose time includes the host's work
        # (Kernel.host_timed); a GPU kernel's own time is the GPU's (its clocks and throttling are judged instead);
        # the numbers are recorded either way
        machine=machine if rec["device"] == "cpu" or kernel.host_timed(params) else None,
        throttle=list(dict.fromkeys(throttle)),
        shrunk=(original, dict(params)) if shrinks else None, on_battery=on_battery(probe), info=info,
        fraction_of_peak=rec["fraction_of_peak"])
    rec["valid"], rec["invalid_reasons"] = not reasons, reasons
    return rec


# ---------------------------------------------------------------- the suite

def make_context(device: str, probe: dict, quick: bool, data_dir: str | None, results_dir: str | None = None):
    """What a kernel is told about the run; ``results_dir`` is where the disk kernels work without --data-dir."""

    cpu = probe.get("cpu") or {}
    mem = device_info(device).get("memory_bytes") if device != "cpu" else None
    extra = {"results_dir": str(results_dir)} if results_dir is not None else {}
    host = (probe.get("memory") or {}).get("usable_bytes")
    return RunContext(quick=quick, data_dir=data_dir, usable_cores=cpu.get("usable_cores") or 1,
                      llc_bytes=cpu.get("llc_bytes"), device_memory_bytes=mem,
                      host_memory_bytes=host if isinstance(host, int) and host > 0 else None, extra=extra)


def plan(kernels: list, devices: list[str], contexts: dict) -> tuple[list[tuple], list[dict]]:
    """(kernel, device, dtype, params) for every case, and records for kernels whose ``cases`` failed."""
    todo, failed = [], []
    for k in kernels:
        for dev in devices:
            if dev.split(":")[0] not in k.devices:
                continue
            for dtype in k.dtypes:
                try:
                    cases = k.cases(dev, dtype, contexts[dev])
                except Exception as exc:  # noqa: BLE001 - a broken kernel never stops the suite

                    rec = schema.empty_measurement(k.name, dev, dtype, {}, k.metric, k.unit)
                    status = "skipped" if isinstance(exc, KernelSkip) else "failed"
                    rec.update(status=status, reason=str(exc) if status == "skipped" else _one_line(exc))
                    failed.append(rec)
                    continue
                todo.extend((k, dev, dtype, dict(p)) for p in cases)
    return todo, failed


def check_kernels_run_here(named: list, devices: list[str]) -> None:
    """A kernel named with ``--only`` that runs on none of the run's devices (h2d on a machine without a GPU) would
    end in a complete run with no figure: refused before anything is written, saying where it runs."""
    idle = [k for k in named if not any(d.split(":")[0] in k.devices for d in devices)]
    if idle:
        where = "; ".join(f"{k.name} runs on {' or '.join(sorted(k.devices))}" for k in idle)
        gpu = "" if any(d.startswith("cuda") for d in devices) or cuda_count() else " (no CUDA GPU is visible here)"
        raise UserError(f"--only: {where}, and this run measures {', '.join(devices)}{gpu}")


def case_label(kernel, device: str, dtype: str, params: dict) -> str:
    """'gemm cpu float32 1024³': what the progress line says about a case."""
    return f"{kernel.name} {device} {dtype} {kernel.label(params)}".strip()


def run_suite(*, only: Iterable[str] | None = None, device: str | None = None, quick: bool = False,
              data_dir: str | None = None, out: str | os.PathLike | None = None, argv: list[str] | None = None,
              registry: dict | None = None, progress: Callable | None = None, probe: dict | None = None,
              peaks: dict | None = None, settings: Settings | None = None,
              rounds: int | None = None, on_replace: Callable[[str], None] | None = None) -> tuple[dict, Path]:
    """Run the suite and write the results file; returns (document, path).

    A file ``out`` names that exists is replaced when the run completes (docs/faults.md), never in silence:
    ``on_replace(what)`` is told what it held (:func:`replaced_note`), once the run has replaced it.

    The suite runs in ``settings.rounds`` interleaved rounds (each case once per round), with the reference workload
    timed before the first round and after each; the file is rewritten after every case of every round.
    ``progress(total)`` returns a context manager whose value has ``step(label)`` (``rigbench.report.progress``).
    ``probe``/``peaks`` may be given (tests); otherwise they are measured here. Raises :class:`Interrupted` on Ctrl-C
    after writing the partial file.
    """
    if registry is None:
        registry = KERNELS
    kernels = resolve_kernels(only, registry)
    devices = resolve_devices(device)
    check_kernels_run_here(kernels if only is not None else [], devices)
    if data_dir is not None:
        # every check of the options comes before the results file exists: exit 2 means nothing was written
        check_data_dir(data_dir)
    writers = [k.name for k in kernels if k.writes_data_dir]
    if data_dir is not None and writers and not os.access(data_dir, os.W_OK | os.X_OK):
        # said before the suite starts: otherwise every disk case fails on its scratch file and the run exits 0
        raise UserError(f"--data-dir {one_line(data_dir)} is not writable, and the disk kernels "
                        f"({', '.join(writers)}) write a scratch file there; give a folder you can write to")
    created = schema.utc_now()
    if rounds is not None and not 1 <= rounds <= MAX_ROUNDS:
        raise UserError(f"--rounds {rounds}: give 1 to {MAX_ROUNDS} (3 by default; more rounds, steadier figures)")
    settings = settings or Settings.for_mode(quick, rounds)
    doc = schema.new_document(probe=None, quick=quick, argv=argv, created=created)
    # Until the suite ends the file says why it is incomplete (a run killed outright leaves it so).
    doc["reason"] = "the run stopped before the suite finished"
    path, in_folder = (None, True) if out is None else \
        files.output_path(out, f"{results.file_stem(created=created)}.json", default_folder=".")
    replaces = None    # an existing file --out names, replaced when the run completes
    if in_folder:
        # the per-user data folder (or the folder --out names), under a name no other run holds: two runs in the
        # same second keep both files
        if path is not None:
            check_writable(path)
        path = results.reserve_path(folder=None if path is None else path.parent, created=created)
        write_json_atomic(path, doc)
    else:
        check_writable(path)
        if path.exists():
            refuse_replacing_other_than_a_run(path)
            files.refuse_unwritable(path)   # the run ends in a rename over it, which a read-only file would not stop
            # The file named is replaced only by a finished run: until then the run writes beside it, so a run
            # stopped, killed or failed on the way leaves the earlier file as it was.
            replaces, path = path, results.reserve_path(folder=path.parent, created=created)
            write_json_atomic(path, doc)
        else:
            path = write_json_atomic(path, doc, create=True)  # a new name is created exclusively
    saved = 0    # measurements in the file as last written: what a run that stops now leaves there

    def save() -> None:
        nonlocal saved
        try:
            write_json_atomic(path, doc)
        except UserError as exc:    # the disk filled up (or went away) under a run that had started
            raise _SaveFailed(str(exc)) from None
        saved = len(doc["measurements"])

    try:
        t0 = time.perf_counter()
        doc["probe"] = probe if probe is not None else run_probe(data_dir)
        doc["probe_s"] = time.perf_counter() - t0
        doc["conditions"] = {"start": conditions.cpu_state(), "heap": heap.keep_freed_memory()}
        t0 = time.perf_counter()
        doc["peaks"] = peaks if peaks is not None else measure_peaks(devices, doc["probe"])
        doc["peaks_s"] = time.perf_counter() - t0
        save()
        contexts = {d: make_context(d, doc["probe"], quick, data_dir, results_dir=path.parent) for d in devices}
        todo, broken = plan(kernels, devices, contexts)
        doc["measurements"].extend(broken)
        state = SuiteState()
        started = time.perf_counter()
        cases = [CaseRun(k, dev, dtype, params, contexts[dev], settings, doc["peaks"].get(dev, {}), state, doc["probe"])
                 for k, dev, dtype, params in todo]
        rounds = max(1, settings.rounds)
        reference = conditions.Reference()
        readings: list[dict] = []
        clocks: list[dict] = []
        machine = conditions.MachineSampler()
        doc["machine"] = {"rounds": rounds, "reference": {"workload": reference.workload, "readings": readings},
                          "limits": {"drift": validity.MAX_DRIFT, "slower": validity.MAX_SLOWER,
                                     "steal": validity.MAX_STEAL,
                                     "others": validity.MAX_OTHERS}}

        # the clock beside each reading turns its time into cycles: this run against the machine's earlier runs
        clock_mhz = ((doc["peaks"].get("cpu") or {}).get("clock") or {}).get("scalar_mhz")
        sig, folders = baseline.signature(doc), [path.parent, results.results_dir()]
        earlier_runs = baseline.earlier(sig, folders, exclude=path, started=created)
        base = baseline.find(sig, folders, runs=earlier_runs, started=created)
        history = baseline.figure_history(earlier_runs)
        doc["machine"]["baseline"] = base

        def read_reference() -> None:
            try:
                readings.append({**reference.measure(), "clock_mhz": clock_mhz})
            except ImportError as exc:    # no torch: the machine's movement is not measured, and says why
                doc["machine"]["reference"]["reason"] = f"not measured: {exc}"

        def publish() -> None:
            doc["measurements"] = [*broken, *(c.record(readings, base, history) for c in cases if c.parts or c.done)]
            total = conditions.MachineSampler(machine.cpus)
            for c in cases:
                total.add(c.machine)
            doc["machine"].update(total.result(), drift=conditions.drift(readings),
                                  slower=baseline.slower(readings, base))
            save()

        warm_s = settings.first_warmup_s if settings.first_warmup_s is not None else settings.warmup_s
        with (progress(len(cases) * rounds) if progress else nullcontext(None)) as bar:
            try:
                read_reference()
                for r in range(rounds):
                    # every case once per round: slow drift of the machine spreads over all of them, and the reference
                    # readings between rounds say how far the machine itself moved
                    for case, (k, dev, dtype, params) in zip(cases, todo):
                        if r == 0:
                            case.warm_up(warm_s)    # untimed, right before its first timed round
                        case.run_round(r)
                        if r == rounds - 1:
                            case.release()
                        publish()
                        if bar is not None:
                            where = f"round {r + 1}/{rounds}: " if rounds > 1 else ""
                            bar.step(where + case_label(k, dev, dtype, params))
                    read_reference()
                    if peaks is None and "cpu" in devices:
                        # the CPU clock after each round of load, with the machine during the reading: the cooling
                        # guideline judges a fall only when it repeats and no neighbour explains it
                        clocks.append(conditions.cpu_clock_reading())
                        doc["conditions"]["cpu_clock_rounds"] = clocks
                        if readings:
                            readings[-1]["clock_mhz"] = clocks[-1]["scalar_mhz"]   # measured right after the reading
                        doc["conditions"]["cpu_clock_end"] = clocks[-1]
                    publish()
            finally:
                for case in cases:
                    case.release()    # the buffers kept between rounds
        doc["suite_s"] = time.perf_counter() - started
        doc["lost_devices"] = state.lost
        doc["conditions"]["end"] = conditions.cpu_state()
        doc["machine"]["loadavg_1m"] = {"start": (doc["conditions"]["start"] or {}).get("loadavg_1m"),
                                        "end": doc["conditions"]["end"].get("loadavg_1m")}
        doc["status"], doc["reason"] = "complete", None
        save()
        if replaces is not None:
            # one rename, in one folder: the earlier file is the finished run or itself, never neither or both
            files.check_replaceable(replaces)
            what = replaced_note(replaces)
            os.replace(path, replaces)
            path = replaces
            if on_replace is not None:
                on_replace(what)
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM or SIGHUP (rigbench.signals)
        doc["status"] = "interrupted"
        doc["reason"] = f"{signals.reason()} before the suite finished"
        if doc["measurements"]:
            try:
                save()
            except _SaveFailed:
                pass            # the file keeps what was saved last, if anything
        if not saved:
            # stopped before its first record: a file with a machine and no figure would only become the newest
            # run that `recommend` and `latest` read; the file is this run's own (created exclusively above)
            _remove_quietly(path)
            raise Interrupted(None, doc) from None
        raise Interrupted(path, doc) from None
    except _SaveFailed as exc:
        # The file holds the last document written, its status still "interrupted": with no figure in it, it goes
        # (as below); a run that had saved some keeps them. Not bad input: the run had started (exit 1).
        if not saved:
            _remove_quietly(path)
            kept = "and left no results file (nothing had been measured)"
        else:
            kept = (f"after {saved} measurement{'' if saved == 1 else 's'}; {one_line(path)} keeps "
                    f"{'it' if saved == 1 else 'them'}")
        raise RunFailed(f"the run stopped {kept}: {exc}") from None
    except BaseException:
        # a run that failed before its first record (a bad input found late, a bug) leaves no empty run behind:
        # what decides is the file, not the document in memory (a record made but never written is no figure there)
        if not saved:
            _remove_quietly(path)
        raise
    return doc, path


def refuse_replacing_other_than_a_run(path: Path) -> None:
    """``--out`` may name an earlier run to replace it (a re-run under one name); a file that is not a readable
    rigbench run (notes, a CSV, another tool's JSON, a run this version refuses) is someone's data, not ours to
    replace, so the run is refused before it starts and the file is left as it was."""
    files.refuse_replacing_other_than(path, results.load, "run")


def replaced_note(path: Path) -> str:
    """What a file about to be replaced by a finished run holds, for a person: "replaced the earlier run of HOST
    started TIME, N figures" (its status too when it did not complete), or that it held no readable run."""
    try:
        view = results.load(path)
    except UserError:
        return "replaced the earlier file there, which held no readable rigbench run"
    n = len(view.ok(valid_only=False))
    status = "" if view.complete else f"{view.status} "
    return (f"replaced the earlier {status}run of {view.host_shown} started {view.created_utc}, "
            f"{n} figure{'' if n == 1 else 's'}")


class _SaveFailed(Exception):
    """The results file could not be rewritten during a run (run_suite turns it into :class:`RunFailed`)."""


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
