"""Device peaks: the measured clock (and the assembly that makes it a clock), FLOP/cycle classes, fractions."""

import re

import numpy as np
import pytest

from rigbench.bench import peaks


def test_clock_chain_compiles_to_a_dependent_imul_xor_chain():
    # the suite's dispatcher keeps its machine code in Numba's on-disk cache, and code loaded from there cannot be
    # inspected; the same Python function compiled afresh, by the same compiler for the same CPU, is that code
    from numba import njit

    chain = njit(cache=False, nogil=True)(peaks.chain_function().py_func)
    chain(10, np.int64(3), np.int64(0x5DEECE66D))
    asm = "\n".join(chain.inspect_asm().values())
    body = [ln.strip() for ln in asm.splitlines() if ln.strip() and not ln.strip().startswith((".", "#"))]
    imul = sum(1 for ln in body if re.match(r"imul[qw]?\b", ln))
    xor = sum(1 for ln in body if re.match(r"xorq?\b", ln) and "%e" not in ln.split(",")[0])
    assert imul >= 1, asm
    # no vector instructions: one scalar chain, so cycles per iteration are imul (3) + xor (1)
    assert not any(ln.startswith(("vpmull", "vpmul")) for ln in body)
    # every multiply is followed by an xor of the chain value (LLVM may unroll, never fold two multiplies)
    assert xor >= imul - 1


def test_measured_clock_is_plausible_and_not_the_nominal_rate():
    hz = peaks.measure_clock_hz(iterations=2_000_000, repeats=3)
    assert 0.5e9 < hz < 7e9


def test_cpu_class_from_vendor_family_and_flags():
    zen4 = {"avx2": True, "fma": True, "avx512f": True, "avx512_bf16": True}
    assert peaks.cpu_class("AMD", 0x19, zen4) == "amd-zen4"
    assert peaks.cpu_class("AMD", 0x19, {"avx2": True, "fma": True}) == "x86-avx2-fma"   # Zen 3
    assert peaks.cpu_class("Intel", 6, {"avx512f": True, "amx_bf16": True}) == "intel-amx"
    assert peaks.cpu_class("Intel", 6, {"avx512f": True, "amx_bf16": True, "amx_fp16": True}) == "intel-amx-fp16"
    assert peaks.cpu_class("Intel", 6, {"avx512f": True}) == "x86-avx512"
    assert peaks.cpu_class("ARM", None, {"asimd": True}) is None


def test_cpu_peak_arithmetic_by_hand():
    cpu = {"vendor": "AMD", "usable_cores": 2, "flags": {"avx512f": True, "avx2": True, "fma": True}}
    p = peaks.cpu_peaks(cpu, {"used_mhz": 3500}, 0x19)
    assert p["flops:float32"]["value"] == pytest.approx(2 * 3.5e9 * 32 / 1e12)    # 0.224 TFLOP/s
    assert p["flops:bfloat16"]["value"] == pytest.approx(2 * 3.5e9 * 64 / 1e12)
    assert p["flops:float16"]["value"] is None and "no native" in p["flops:float16"]["reason"]
    assert p["mem_bw"]["value"] is None and p["mem_bw"]["reason"]
    intel = peaks.cpu_peaks({"vendor": "Intel", "usable_cores": 4, "flags": {"avx512f": True}}, {"used_mhz": 2000}, 6)
    assert intel["flops:float32"]["value"] == pytest.approx(4 * 2e9 * 64 / 1e12)
    # Sapphire Rapids (the flags /proc/cpuinfo shows on one): AMX takes bf16, fp16 runs on AVX512-FP16
    spr = {"avx512f": True, "avx512_bf16": True, "avx512_fp16": True, "amx_tile": True, "amx_bf16": True,
           "amx_int8": True}
    p = peaks.cpu_peaks({"vendor": "Intel", "usable_cores": 2, "flags": spr}, {"used_mhz": 4000}, 6)
    assert p["flops:float32"]["value"] == pytest.approx(2 * 4e9 * 64 / 1e12)        # 0.512 TFLOP/s
    assert p["flops:bfloat16"]["value"] == pytest.approx(2 * 4e9 * 1024 / 1e12)     # 8.19 TFLOP/s
    assert p["flops:float16"]["value"] == pytest.approx(2 * 4e9 * 128 / 1e12)       # 1.02 TFLOP/s, not 8.19
    p = peaks.cpu_peaks({"vendor": "Intel", "usable_cores": 2, "flags": dict(spr, amx_fp16=True)}, {"used_mhz": 4000}, 6)
    assert p["flops:float16"]["value"] == pytest.approx(2 * 4e9 * 1024 / 1e12)      # Granite Rapids' AMX-FP16


def test_unknown_clock_or_cpu_gives_null_with_reason():
    p = peaks.cpu_peaks({"vendor": "AMD", "usable_cores": 2, "flags": {"avx2": True, "fma": True}}, None, 0x17)
    assert p["flops:float32"]["value"] is None and "clock" in p["flops:float32"]["reason"]
    p = peaks.cpu_peaks({"vendor": "ARM", "arch": "aarch64", "usable_cores": 2, "flags": {}}, {"used_mhz": 2000}, None)
    assert p["flops:float32"]["value"] is None


def test_fraction_of_peak():
    p = {"flops:float32": {"value": 0.2, "unit": "TFLOP/s", "source": "s"}, "mem_bw": {"value": None, "reason": "r"}}
    assert peaks.fraction(p, "flops:float32", 0.15, "TFLOP/s") == (0.2, pytest.approx(0.75), "s")
    assert peaks.fraction(p, "mem_bw", 30.0, "GB/s") == (None, None, "r")
    assert peaks.fraction(p, None, 1.0, "samples/s")[1] is None


def test_gpu_peaks_from_the_catalog_or_null():
    out = peaks.gpu_peaks("NVIDIA GeForce RTX 2080 Ti")
    cat = pytest.importorskip("rigbench.catalog")
    gid = cat.match_nvml_name("NVIDIA GeForce RTX 2080 Ti")
    if gid is None:
        assert out["flops:float32"]["value"] is None
    else:
        gpu = cat.resolve(gid)
        assert out["flops:float32"]["value"] == pytest.approx(gpu.fp32_tflops)
        assert out["mem_bw"]["value"] == pytest.approx(gpu.memory_bandwidth_gbps)
    assert peaks.gpu_peaks("No Such GPU 9000")["flops:float32"]["value"] is None
