"""What each device can physically do at most: the denominators of ``fraction_of_peak``.

CPU compute peak = usable cores x a clock the suite MEASURES x FLOP per cycle per core for the dtype. The nominal clock
in /proc/cpuinfo is not used: in a VM it is the TSC rate (2.6 GHz here while the core runs about 3.5 GHz), and a peak
from it claims more than 100%. The clock comes from a dependent chain of ``imul`` + ``xor`` (integer multiply latency
3 cycles, xor 1: 4 cycles per iteration on every x86-64 core since Intel Nehalem and AMD Zen), compiled with Numba
and checked in the tests by reading the generated assembly. It is measured on one core, right after the vector units
were busy (a single-thread float32 matrix product), and again afterwards: the lower of the two is used, since
AVX-512-heavy code may run below the scalar clock.

FLOP per cycle per core comes from the microarchitecture where it is known and from the ISA otherwise (see
:data:`FLOP_PER_CYCLE`, each entry with its source and assumption). CPU memory bandwidth peak is null: DIMM speed
and channel count are not readable without root (dmidecode), and not at all in a VM.

GPU peaks come from the catalog (``rigbench.catalog``), matched on the NVML name; null with the reason otherwise.
"""

from __future__ import annotations

import time

import numpy as np

from rigbench import catalog, signals
from rigbench.kernels.base import njit_cached
from rigbench.probe.cpu import read_cpuinfo

# FLOP per cycle per core, by microarchitecture class. A multiply-add counts 2. Each entry: (fp32, bf16, fp16, source).
# None: no native arithmetic at that precision (the library converts, so no meaningful peak).
FLOP_PER_CYCLE = {
    "amd-zen4": (32, 64, None,
                 "AMD Zen 4: two 256-bit FMA pipes, 512-bit instructions split over both halves (A. Yee, 'Zen4 AVX512 "
                 "teardown', numberworld.org, 2022): 2 x 8 fp32 lanes x 2 = 32 fp32 FLOP/cycle; avx512_bf16 VDPBF16PS "
                 "does two bf16 products per fp32 lane at the FMA rate: 64 bf16 FLOP/cycle (assumption)"),
    "amd-zen5": (64, 128, None,
                 "AMD Zen 5 (server/desktop): native 512-bit datapath, two 512-bit FMA pipes (A. Yee, 'Zen5 AVX512 "
                 "teardown', numberworld.org, 2024): 64 fp32 FLOP/cycle; bf16 via VDPBF16PS 128 (assumption)"),
    "intel-amx": (64, 1024, 128,
                  "Intel Xeon with AMX-BF16 (Sapphire/Emerald Rapids): AVX-512 with two FMA units, 64 fp32 FLOP/cycle "
                  "(assumes a Gold/Platinum part); AMX TMUL 1024 bf16 FLOP/cycle per core (Intel, 'Intel Advanced "
                  "Matrix Extensions overview', intel.com); its tiles take bf16 and int8 only, so fp16 runs on "
                  "AVX512-FP16: 32 fp16 lanes x 2 units x 2 = 128 FLOP/cycle"),
    "intel-amx-fp16": (64, 1024, 1024,
                       "Intel Xeon with AMX-FP16 (Granite Rapids): AVX-512 with two FMA units, 64 fp32 FLOP/cycle "
                       "(assumes a Gold/Platinum part); AMX TMUL 1024 bf16 or fp16 FLOP/cycle per core (Intel, 'Intel "
                       "Architecture Instruction Set Extensions and Future Features', rev. 46: AMX-FP16)"),
    "x86-avx512": (64, None, None,
                   "AVX-512F, two FMA units assumed (Intel Xeon Scalable Gold/Platinum, Skylake-SP and later): 16 fp32 "
                   "lanes x 2 units x 2 = 64; parts with one 512-bit FMA unit (Xeon Silver/Bronze, client Ice/Tiger "
                   "Lake) reach half of it, so the fraction of peak is understated there"),
    "x86-avx2-fma": (32, None, None,
                     "AVX2 + FMA with two 256-bit FMA units (Intel Haswell and later, AMD Zen 2/3): 8 x 2 x 2 = 32"),
    "x86-avx": (16, None, None, "AVX without FMA: one 256-bit multiply and one add per cycle: 8 + 8 = 16"),
    "x86-sse2": (8, None, None, "SSE2: one 128-bit multiply and one add per cycle: 4 + 4 = 8"),
}

CHAIN_CYCLES_PER_ITER = 4  # imul r64 (latency 3) + xor (latency 1), one dependent chain


def cpu_class(vendor: str | None, family: int | None, flags: dict) -> str | None:
    """The :data:`FLOP_PER_CYCLE` key for this CPU, or None (non-x86, unknown)."""
    has = lambda f: bool(flags.get(f))  # noqa: E731
    if vendor == "AMD" and family == 0x19 and has("avx512f"):
        return "amd-zen4"
    if vendor == "AMD" and family == 0x1A and has("avx512f"):
        return "amd-zen5"
    if has("amx_fp16"):
        return "intel-amx-fp16"
    if has("amx_bf16"):
        return "intel-amx"
    if has("avx512f"):
        return "x86-avx512"
    if has("avx2") and has("fma"):
        return "x86-avx2-fma"
    if has("avx"):
        return "x86-avx"
    if vendor in ("Intel", "AMD"):
        return "x86-sse2"
    return None


def cpu_family() -> int | None:
    """'cpu family' from /proc/cpuinfo, through the probe's parser."""
    try:
        blocks = read_cpuinfo()
    except OSError:
        return None
    for b in blocks:
        fam = b.get("cpu family")
        if fam and fam.strip().isdigit():
            return int(fam)
    return None


# ---------------------------------------------------------------- the clock

def _chain_fn():
    @njit_cached(nogil=True)
    def chain(n, x, m):
        # Each iteration depends on the last: imul (3 cycles) then xor (1 cycle).
        for i in range(n):
            x = (x * m) ^ i
        return x

    return chain


_CHAIN = None


def chain_function():
    """The compiled chain (compiled once per process)."""
    global _CHAIN
    if _CHAIN is None:
        chain = _chain_fn()
        with signals.deferred():   # a stop signal inside Numba's compiler would be swallowed there
            chain(10, np.int64(3), np.int64(0x5DEECE66D))
        _CHAIN = chain
    return _CHAIN


def measure_clock_hz(iterations: int = 1_000_000, repeats: int = 40, clock=time.perf_counter) -> float:
    """The core's clock in Hz from the dependent chain: best (shortest) of ``repeats`` runs.

    Many short runs rather than a few long ones: another program or the hypervisor can only make a run slower, and
    a run of about a millisecond (1,000,000 iterations at 4 GHz) is short against a scheduler time slice (several
    ms), so on a busy machine some runs still go uninterrupted and the best of them is the clock. A few long runs
    are all interrupted there, and read the clock far too low."""
    chain = chain_function()
    best = float("inf")
    for _ in range(repeats):
        t0 = clock()
        chain(iterations, np.int64(3), np.int64(0x5DEECE66D))
        best = min(best, clock() - t0)
    return CHAIN_CYCLES_PER_ITER * iterations / best


def measure_cpu_clock() -> dict:
    """Scalar clock, and the clock right after the vector units were busy; which one the peak uses, and how."""
    t0 = time.perf_counter()
    chain_function()
    compile_s = time.perf_counter() - t0
    scalar_hz = measure_clock_hz()
    vector_hz = None
    vector_reason = None
    try:
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            a = torch.randn(512, 512)
            b = torch.randn(512, 512)
            hz = []
            for _ in range(5):
                end = time.perf_counter() + 0.02
                while time.perf_counter() < end:
                    a @ b
                hz.append(measure_clock_hz(iterations=400_000, repeats=3))
            # A neighbour or an interrupt can only make the chain slower, never faster: like the scalar clock, the
            # best (highest) reading is the clock (a median here read 6% low on this shared VM, and peaks from it
            # let measured kernels pass 100%).
            vector_hz = max(hz)
        finally:
            torch.set_num_threads(threads)
    except ImportError:
        vector_reason = "torch is not importable: no vector load to measure under"
    used = min(h for h in (scalar_hz, vector_hz) if h is not None)
    return {
        "scalar_mhz": round(scalar_hz / 1e6),
        "after_vector_load_mhz": round(vector_hz / 1e6) if vector_hz else None,
        "after_vector_load_reason": vector_reason,
        "used_mhz": round(used / 1e6),
        "method": (f"dependent imul+xor chain in Numba ({CHAIN_CYCLES_PER_ITER} cycles/iteration), best of 40 runs "
                   "of about 1 ms on one core; also measured right after 20 ms of single-thread fp32 matrix products "
                   "(AVX-512 clock licence), best of 5 x 3 runs; the lower is used"),
        "compile_s": compile_s,
    }


# ---------------------------------------------------------------- peaks

def _null(reason: str) -> dict:
    return {"value": None, "unit": None, "source": None, "reason": reason}


def cpu_peaks(cpu: dict, clock: dict | None, family: int | None) -> dict:
    """The CPU's peaks: ``flops:<dtype>`` in TFLOP/s and ``mem_bw`` (null with reason)."""
    cores = cpu.get("usable_cores") or cpu.get("logical_cores")
    flags = dict(cpu.get("flags") or {})
    for k in ("avx2", "avx512f"):
        flags.setdefault(k, cpu.get(k))
    klass = cpu_class(cpu.get("vendor"), family, flags)
    peaks: dict = {"clock": clock, "cpu_class": klass}
    mhz = (clock or {}).get("used_mhz")
    for i, dtype in enumerate(("float32", "bfloat16", "float16")):
        key = f"flops:{dtype}"
        if klass is None:
            peaks[key] = _null(f"FLOP per cycle unknown for this CPU (vendor {cpu.get('vendor')}, arch {cpu.get('arch')})")
            continue
        per_cycle, source = FLOP_PER_CYCLE[klass][i], FLOP_PER_CYCLE[klass][3]
        if per_cycle is None:
            peaks[key] = _null(f"{klass} has no native {dtype} arithmetic: the library converts, no meaningful peak")
        elif not cores or not mhz:
            peaks[key] = _null("usable cores or the measured clock is unknown")
        else:
            value = cores * mhz * 1e6 * per_cycle / 1e12
            peaks[key] = {"value": value, "unit": "TFLOP/s", "reason": None, "cores": cores, "mhz": mhz,
                          "flop_per_cycle": per_cycle,
                          "source": f"{cores} usable cores x {mhz} MHz (measured) x {per_cycle} FLOP/cycle ({source})"}
    peaks["mem_bw"] = _null("DRAM speed and channel count are not readable here (dmidecode needs root; a VM hides them)")
    peaks["h2d_bw"] = _null("no host-to-device link on the CPU")
    return peaks


def gpu_peaks(name: str | None) -> dict:
    """Peaks of an NVIDIA GPU from the catalog (spec-sheet values, dense tensor-core rates)."""
    gid = catalog.match_nvml_name(name) if name else None
    if gid is None:
        return {k: _null(f"GPU {name!r} is not in the catalog") for k in
                ("flops:float32", "flops:tf32", "flops:float16", "flops:bfloat16", "mem_bw", "h2d_bw")}
    gpu = catalog.resolve(gid)
    src = f"catalog {gpu.id} ({gpu.source})"
    fields = {"flops:float32": ("fp32_tflops", "TFLOP/s"), "flops:tf32": ("tf32_tflops", "TFLOP/s"),
              "flops:float16": ("fp16_tensor_tflops", "TFLOP/s"), "flops:bfloat16": ("bf16_tensor_tflops", "TFLOP/s"),
              "mem_bw": ("memory_bandwidth_gbps", "GB/s")}
    out: dict = {"catalog_id": gpu.id}
    for key, (attr, unit) in fields.items():
        v = getattr(gpu, attr, None)
        out[key] = ({"value": float(v), "unit": unit, "source": f"{src}: {attr}", "reason": None} if v else
                    _null(f"catalog {gpu.id} has no {attr}"))
    out["h2d_bw"] = _null("PCIe link peak not derived here")
    return out


def fraction(peaks: dict, key: str | None, value: float | None, unit: str) -> tuple[float | None, float | None, str | None]:
    """(peak value, fraction of it, the peak's source or the reason there is none)."""
    if key is None:
        return None, None, "no physical peak bounds this metric"
    entry = peaks.get(key)
    if not entry:
        return None, None, f"no {key} peak for this device"
    if entry.get("value") is None:
        return None, None, entry.get("reason")
    if entry.get("unit") != unit:
        return None, None, f"peak in {entry.get('unit')}, measurement in {unit}"
    frac = value / entry["value"] if value is not None and entry["value"] else None
    return entry["value"], frac, entry.get("source")
