"""The CPU: brand, vendor, cores, clocks, caches, the ISA features that matter for training, and its tier.

Reads (under ``root``, default "/"):
- ``/proc/cpuinfo``: brand ("model name"), vendor ("vendor_id" or the Arm "CPU implementer"/"CPU part"), ISA flags,
  the current clock ("cpu MHz"; null in a virtual machine, where it is the virtual TSC rate). Parsed once, by
  :func:`parse_cpuinfo`; the host probe reuses the parsed blocks.
- ``/sys/devices/system/cpu/cpu*/topology/{thread_siblings_list,physical_package_id}``: physical cores and sockets.
- ``/sys/devices/system/cpu/cpufreq/policy*/{base_frequency,cpuinfo_max_freq}`` (kHz): base and maximum clock.
- ``/sys/devices/system/cpu/cpu*/cache/index*/{level,type,size,shared_cpu_list}``: L3 and last-level cache.

``tier`` is the guideline's CPU class, one of :data:`TIERS` (stable strings: the guidelines engine maps them to the
guide's i5/i7 classes), or None with ``tier_reason``.
"""

from __future__ import annotations

import os
import re

from rigbench.probe._files import list_dir, parse_cpu_list, read_int, read_line, read_text

CPUINFO = "/proc/cpuinfo"
CPU_SYS = "/sys/devices/system/cpu"

# The vocabulary of ``cpu.tier``. Keep these strings stable: other modules and users' scripts match on them.
TIERS: tuple[str, ...] = (
    "Intel Core i3", "Intel Core i5", "Intel Core i7", "Intel Core i9",
    "Intel Core Ultra 5", "Intel Core Ultra 7", "Intel Core Ultra 9",
    "Intel Core 3", "Intel Core 5", "Intel Core 7",            # 2023+ Core without "Ultra" (e.g. Core 7 150U)
    "Intel Xeon", "Intel Pentium", "Intel Celeron", "Intel Atom",
    "AMD Ryzen 3", "AMD Ryzen 5", "AMD Ryzen 7", "AMD Ryzen 9",
    "AMD Ryzen AI 5", "AMD Ryzen AI 7", "AMD Ryzen AI 9",       # 2024+ laptop parts with an NPU
    "AMD Ryzen AI Max",                                          # Strix Halo (Ryzen AI Max / Max+)
    "AMD Ryzen Threadripper", "AMD EPYC", "AMD Athlon", "AMD Opteron",
    "Apple M1", "Apple M1 Pro", "Apple M1 Max", "Apple M1 Ultra",
    "Apple M2", "Apple M2 Pro", "Apple M2 Max", "Apple M2 Ultra",
    "Apple M3", "Apple M3 Pro", "Apple M3 Max", "Apple M3 Ultra",
    "Apple M4", "Apple M4 Pro", "Apple M4 Max", "Apple M4 Ultra",
    "AWS Graviton", "Ampere Altra", "AmpereOne", "NVIDIA Grace",
)

# ISA features that matter for training, by architecture (names as the kernel spells them in /proc/cpuinfo).
X86_FLAGS = ("avx", "avx2", "fma", "f16c", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16", "avx_vnni",
             "amx_tile", "amx_bf16", "amx_int8", "amx_fp16")
ARM_FLAGS = ("asimd", "asimdhp", "asimddp", "bf16", "i8mm", "sve", "sve2", "sme")

# Arm "CPU implementer" / "CPU part" ids -> names, from Linux arch/arm64/include/asm/cputype.h.
ARM_IMPLEMENTERS = {0x41: "ARM", 0x4E: "NVIDIA", 0x61: "Apple", 0xC0: "Ampere", 0x51: "Qualcomm"}
ARM_PARTS = {
    (0x41, 0xD03): "Cortex-A53", (0x41, 0xD07): "Cortex-A57", (0x41, 0xD08): "Cortex-A72",
    (0x41, 0xD0B): "Cortex-A76", (0x41, 0xD0C): "Neoverse-N1", (0x41, 0xD40): "Neoverse-V1",
    (0x41, 0xD49): "Neoverse-N2", (0x41, 0xD4F): "Neoverse-V2", (0x41, 0xD84): "Neoverse-V3",
    (0x41, 0xD8E): "Neoverse-N3", (0xC0, 0xAC3): "AmpereOne",
}
X86_VENDORS = {"GenuineIntel": "Intel", "AuthenticAMD": "AMD", "HygonGenuine": "Hygon", "CentaurHauls": "Centaur"}


def parse_cpuinfo(text: str) -> list[dict[str, str]]:
    """``/proc/cpuinfo`` text -> one dict per block (one per logical CPU on x86; Arm adds a trailing global block)."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                current = {}
            continue
        key, sep, value = line.partition(":")
        if sep:
            current[key.strip()] = value.strip()
    if current:
        blocks.append(current)
    return blocks


def read_cpuinfo(root: str | os.PathLike = "/") -> list[dict[str, str]]:
    """The parsed ``/proc/cpuinfo`` under ``root`` ([] when unreadable)."""
    return parse_cpuinfo(read_text(root, CPUINFO) or "")


def _clean_brand(brand: str) -> str:
    text = re.sub(r"\((?:R|TM|tm|r)\)", " ", brand)
    text = re.sub(r"\b(?:CPU|Processor)\b", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def classify_tier(brand: str | None) -> tuple[str | None, str | None]:
    """The guideline CPU class of a brand string: ``(tier, None)`` or ``(None, reason)``.

    >>> classify_tier("Intel(R) Core(TM) i7-8750H CPU @ 2.20GHz")
    ('Intel Core i7', None)
    """
    if not brand or not brand.strip():
        return None, "no CPU brand string to classify"
    b = _clean_brand(brand)
    low = b.lower()
    checks: list[tuple[str, str | None]] = []
    m = re.search(r"\bcore ultra (\d)\b", low)
    if m:
        checks.append((f"Intel Core Ultra {m.group(1)}", None))
    m = re.search(r"\bcore i([3579])\b", low) or re.search(r"\bcore\b.*?\bi([3579])-\d", low)
    if m:
        checks.append((f"Intel Core i{m.group(1)}", None))
    m = re.search(r"\bintel\b.*\bcore ([357]) \d{3}", low)
    if m:
        checks.append((f"Intel Core {m.group(1)}", None))
    for word, tier in (("xeon", "Intel Xeon"), ("pentium", "Intel Pentium"), ("celeron", "Intel Celeron"),
                       ("atom", "Intel Atom"), ("threadripper", "AMD Ryzen Threadripper"), ("epyc", "AMD EPYC"),
                       ("athlon", "AMD Athlon"), ("opteron", "AMD Opteron"), ("graviton", "AWS Graviton"),
                       ("ampereone", "AmpereOne"), ("altra", "Ampere Altra"), ("grace", "NVIDIA Grace")):
        if re.search(rf"\b{word}", low):
            checks.append((tier, None))
    if "ryzen" in low and "threadripper" not in low:
        m = re.search(r"\bryzen ai max\b", low)
        m2 = re.search(r"\bryzen ai ([579])\b", low)
        m3 = re.search(r"\bryzen ([3579])\b", low)
        if m:
            checks.append(("AMD Ryzen AI Max", None))
        elif m2:
            checks.append((f"AMD Ryzen AI {m2.group(1)}", None))
        elif m3:
            checks.append((f"AMD Ryzen {m3.group(1)}", None))
        else:
            checks.append((None, f"an AMD Ryzen this rigbench cannot place in a class: {brand.strip()!r}"))
    m = re.search(r"\bapple m(\d+)(?: (pro|max|ultra))?\b", low)
    if m:
        name = f"Apple M{m.group(1)}" + (f" {m.group(2).capitalize()}" if m.group(2) else "")
        checks.append((name, None) if name in TIERS else (None, f"{name} is newer than this rigbench's tier list"))
    if not checks:
        if re.search(r"\bcore\(?tm\)?2\b|\bcore 2\b", low) or "core2" in low.replace(" ", ""):
            return None, f"Intel Core 2 (2006-2011 generation, before Core i): no guideline class: {brand.strip()!r}"
        if re.search(r"\bneoverse|cortex", low):
            return None, (f"{brand.strip()!r} names an Arm core, not a product (Graviton, Altra, Grace ...): "
                          "the kernel does not report which")
        if low.strip() in ("intel", "amd") or re.fullmatch(r"(intel|amd)( \w+)?", low):
            return None, f"brand string {brand.strip()!r} is too short to tell the CPU class (a VM may hide it)"
        return None, f"unknown CPU family in brand string {brand.strip()!r}"
    tier, reason = checks[0]
    if tier is not None and tier not in TIERS:  # a bug in the rules above, never user input
        return None, f"internal: {tier!r} is not in TIERS"
    return tier, reason


def _brand_and_vendor(blocks: list[dict[str, str]], dmi_sys_vendor: str | None) -> tuple[str | None, str | None]:
    first = blocks[0] if blocks else {}
    brand = first.get("model name") or first.get("Processor") or None
    vendor = X86_VENDORS.get(first.get("vendor_id", ""), first.get("vendor_id") or None)
    if "CPU implementer" in first:
        try:
            impl = int(first["CPU implementer"], 16)
            part = int(first.get("CPU part", "0"), 16)
        except ValueError:
            impl, part = -1, -1
        vendor = ARM_IMPLEMENTERS.get(impl, f"Arm implementer {first['CPU implementer']}")
        if not brand:
            core = ARM_PARTS.get((impl, part), f"part {first.get('CPU part', '?')}")
            brand = f"{vendor} {core}"
            if impl == 0x41 and (dmi_sys_vendor or "").strip() == "Amazon EC2":
                brand = f"AWS Graviton ({brand})"  # an Arm Neoverse core on Amazon EC2 hardware is a Graviton
    return brand, vendor


def _flags(blocks: list[dict[str, str]], arch: str) -> dict[str, bool]:
    first = blocks[0] if blocks else {}
    present = set((first.get("flags") or first.get("Features") or "").split())
    names = ARM_FLAGS if arch.startswith(("aarch64", "arm")) else X86_FLAGS
    return {name: name in present for name in names}


def _topology(root, logical_ids: list[int]) -> tuple[int | None, int | None]:
    cores: set[frozenset[int]] = set()
    packages: set[int] = set()
    for cpu in logical_ids:
        base = f"{CPU_SYS}/cpu{cpu}/topology"
        text = read_line(root, f"{base}/core_cpus_list") or read_line(root, f"{base}/thread_siblings_list")
        siblings = parse_cpu_list(text)
        if not siblings:
            return None, None
        cores.add(frozenset(siblings))
        pkg = read_int(root, f"{base}/physical_package_id")
        if pkg is not None:
            packages.add(pkg)
    return (len(cores) or None), (len(packages) or None)


def _physical_from_cpuinfo(blocks: list[dict[str, str]]) -> int | None:
    pairs = {(b.get("physical id"), b.get("core id")) for b in blocks if "core id" in b}
    return len(pairs) or None


def _caches(root, logical_ids: list[int]) -> dict:
    """Total bytes per cache level over distinct instances (an L3 shared by 8 cores counts once)."""
    per_level: dict[int, dict[frozenset[int], int]] = {}
    for cpu in logical_ids:
        base = f"{CPU_SYS}/cpu{cpu}/cache"
        for index in list_dir(root, base):
            if not index.startswith("index"):
                continue
            level = read_int(root, f"{base}/{index}/level")
            kind = read_line(root, f"{base}/{index}/type") or ""
            size = _parse_size(read_line(root, f"{base}/{index}/size"))
            shared = frozenset(parse_cpu_list(read_line(root, f"{base}/{index}/shared_cpu_list")) or {cpu})
            if level is None or size is None or kind == "Instruction":
                continue
            per_level.setdefault(level, {})[shared] = size
    totals = {level: sum(inst.values()) for level, inst in per_level.items()}
    if not totals:
        return {"l3_cache_bytes": None, "llc_bytes": None, "llc_level": None,
                "cache_reason": f"no cache sizes in {CPU_SYS}/cpu*/cache"}
    top = max(totals)
    return {"l3_cache_bytes": totals.get(3), "llc_bytes": totals[top], "llc_level": top, "cache_reason": None}


def _parse_size(text: str | None) -> int | None:
    if not text:
        return None
    m = re.fullmatch(r"(\d+)\s*([KMG]?)", text.strip())
    if not m:
        return None
    return int(m.group(1)) * {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}[m.group(2)]


def _clocks(root, brand: str | None) -> dict:
    policies = [p for p in list_dir(root, f"{CPU_SYS}/cpufreq") if p.startswith("policy")]
    base_khz = [v for p in policies if (v := read_int(root, f"{CPU_SYS}/cpufreq/{p}/base_frequency"))]
    max_khz = [v for p in policies if (v := read_int(root, f"{CPU_SYS}/cpufreq/{p}/cpuinfo_max_freq"))]
    out: dict = {}
    if base_khz:
        out.update(base_mhz=round(max(base_khz) / 1000), base_mhz_source="sysfs cpufreq base_frequency",
                   base_mhz_reason=None)
    else:
        m = re.search(r"@\s*(\d+(?:\.\d+)?)\s*([GM])Hz", brand or "")
        if m:
            mhz = float(m.group(1)) * (1000 if m.group(2) == "G" else 1)
            out.update(base_mhz=round(mhz), base_mhz_source="brand string", base_mhz_reason=None)
        else:
            out.update(base_mhz=None, base_mhz_source=None,
                       base_mhz_reason="no cpufreq base_frequency in sysfs and no '@ x.xxGHz' in the brand string")
    if max_khz:
        # The largest over all policies: hybrid CPUs (P and E cores) have one policy per core type.
        out.update(max_mhz=round(max(max_khz) / 1000), max_mhz_source="sysfs cpufreq cpuinfo_max_freq",
                   max_mhz_reason=None)
    else:
        out.update(max_mhz=None, max_mhz_source=None,
                   max_mhz_reason="no cpufreq in sysfs (common in virtual machines): the maximum clock is not reported")
    return out


def _current_clock(cpu_blocks: list[dict[str, str]], virtualization: str | None) -> dict:
    """``current_mhz`` with its source, or null with a reason.

    In a virtual machine the kernel fills "cpu MHz" from the TSC calibration (arch/x86/kernel/cpu/proc.c prints
    ``cpu_khz`` when cpufreq has no reading), so it is the virtual TSC rate, not the clock the cores run at.
    """
    mhz = [float(b["cpu MHz"]) for b in cpu_blocks if _is_float(b.get("cpu MHz"))]
    if not mhz:
        return {"current_mhz": None, "current_mhz_source": None,
                "current_mhz_reason": "no 'cpu MHz' in /proc/cpuinfo (Arm kernels do not report one)"}
    if virtualization:
        return {"current_mhz": None, "current_mhz_source": None,
                "current_mhz_reason": f"virtual machine ({virtualization}): /proc/cpuinfo's 'cpu MHz' "
                                      f"({round(sum(mhz) / len(mhz))}) is the virtual TSC rate, not the core "
                                      "clock; 'rigbench bench' measures the real one"}
    return {"current_mhz": round(sum(mhz) / len(mhz)), "current_mhz_reason": None,
            "current_mhz_source": "/proc/cpuinfo cpu MHz (mean over the CPUs at this moment)"}


def probe_cpu(root: str | os.PathLike = "/", blocks: list[dict[str, str]] | None = None, arch: str | None = None,
              dmi_sys_vendor: str | None = None, virtualization: str | None = None) -> dict:
    """The CPU facts under ``root``; ``blocks`` is the parsed cpuinfo (read here when not given).

    ``virtualization``: the hypervisor's name when the host probe found one (None: bare metal or not known; the
    'hypervisor' CPU flag is checked here too).

    ``usable_cores`` and ``cpu_quota_cores`` are added by :func:`rigbench.probe.probe` (they need the limits probe).
    """
    if blocks is None:
        blocks = read_cpuinfo(root)
    arch = arch or os.uname().machine
    cpu_blocks = [b for b in blocks if "processor" in b and b["processor"].isdigit()]
    logical_ids = [int(b["processor"]) for b in cpu_blocks]
    online = parse_cpu_list(read_line(root, f"{CPU_SYS}/online"))
    if not logical_ids and online:
        logical_ids = sorted(online)
    brand, vendor = _brand_and_vendor(cpu_blocks or blocks, dmi_sys_vendor)
    physical, sockets = _topology(root, logical_ids)
    if physical is None:
        physical = _physical_from_cpuinfo(cpu_blocks)
    flags = _flags(cpu_blocks or blocks, arch)
    first = (cpu_blocks or blocks or [{}])[0]
    if virtualization in (None, "none") and "hypervisor" in (first.get("flags") or "").split():
        virtualization = "the 'hypervisor' CPU flag"
    elif virtualization == "none":
        virtualization = None
    tier, tier_reason = classify_tier(brand)
    doc = {
        "brand": brand,
        "vendor": vendor,
        "arch": arch,
        "sockets": sockets,
        "physical_cores": physical,
        "logical_cores": len(logical_ids) or None,
        "usable_cores": None,          # filled by rigbench.probe.probe (needs the limits probe)
        "affinity_cores": None,
        "cpu_quota_cores": None,
        "cpu_quota_source": None,
        **_clocks(root, brand),
        **_current_clock(cpu_blocks, virtualization),
        **_caches(root, logical_ids),
        "flags": flags,
        "avx2": flags.get("avx2", False),
        "avx512f": flags.get("avx512f", False),
        "amx": any(flags.get(n, False) for n in ("amx_tile", "amx_bf16", "amx_int8", "amx_fp16")),
        "tier": tier,
        "tier_reason": tier_reason,
    }
    return doc


def _is_float(text: str | None) -> bool:
    try:
        float(text)  # type: ignore[arg-type]
        return True
    except (TypeError, ValueError):
        return False
