"""The guideline profiles (``profiles/laptop.toml``, ``desktop.toml``, ``diy.toml``, ``cloud.toml``) and the CPU class
equivalence of ``profiles/cpu_tiers.toml``, read through :mod:`rigbench.data`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rigbench import data
from rigbench.errors import UserError
from rigbench.probe.cpu import classify_tier

PROFILES = ("laptop", "desktop", "diy", "cloud")


@dataclass
class Profile:
    id: str
    title: str
    source: str
    rules: list[dict]               # checkable rules, in file order
    not_checkable: list[dict]
    inherited: set[str] = field(default_factory=set)   # rule ids taken from another profile
    extra: dict = field(default_factory=dict)          # the rest of the file ([parts_prices], [[providers]])


def load_profile(profile_id: str) -> Profile:
    """The rules of one profile; ``diy`` inherits the desktop's rules (renamed ``diy.*``) except those it replaces."""
    if profile_id not in PROFILES:
        raise UserError(f"unknown profile {profile_id!r}: valid profiles are {', '.join(PROFILES)} or all")
    doc = data.load_toml(f"{profile_id}.toml")
    meta = doc["profile"]
    rules: list[dict] = []
    inherited: set[str] = set()
    parent_id = meta.get("inherits")
    if parent_id:
        parent = load_profile(parent_id)
        replaced = set(meta.get("replaces", []))
        for rule in parent.rules:
            if rule["id"] in replaced:
                continue
            new = dict(rule, id=profile_id + rule["id"][len(parent_id):], inherited_from=rule["id"])
            rules.append(new)
            inherited.add(new["id"])
    own = doc.get("rules", [])
    rules += [dict(r) for r in own if r.get("checkable", True)]
    not_checkable = [dict(r) for r in own if not r.get("checkable", True)]
    if parent_id:
        not_checkable = [dict(r, id=profile_id + r["id"][len(parent_id):]) for r in load_profile(parent_id).not_checkable] + not_checkable
    extra = {k: v for k, v in doc.items() if k not in ("profile", "rules")}
    return Profile(profile_id, meta["title"], meta["source"], rules, not_checkable, inherited, extra)


@dataclass
class CpuClass:
    value: int | None          # 3 = i3 class, 5 = i5, 7 = i7, 9 = i9
    family: str | None         # the cpu_tiers.toml entry that decided
    why: str


def cpu_class(brand: str | None, tier: str | None, usable_cores: int | None) -> CpuClass:
    """The text's Intel class of a CPU, by the fair equivalence of ``profiles/cpu_tiers.toml``."""
    table = data.load_toml("cpu_tiers.toml")
    if tier is None and brand:
        tier = classify_tier(brand)[0]
    entry = None
    if tier is not None:
        entry = next((e for e in table["tiers"] if tier in e.get("tiers", [])), None)
    if entry is None and brand:
        entry = next((e for e in table["tiers"] if e.get("pattern") and re.search(e["pattern"], brand, re.I)), None)
    if entry is None:
        what = brand or tier
        if not what:
            return CpuClass(None, None, "the CPU is not known (give --spec cpu=\"Intel Core i7-9700K\")")
        return CpuClass(None, None, f"{what!r} is not in profiles/cpu_tiers.toml")
    if entry.get("server"):
        sc = table["server_classes"]
        if usable_cores is None:
            return CpuClass(None, entry["name"], f"{entry['name']}: class depends on the cores you get, not known here "
                                                 "(give --spec cores=N)")
        value = 7 if usable_cores >= sc["i7_min_logical"] else 5 if usable_cores >= sc["i5_min_logical"] else 3
        return CpuClass(value, entry["name"],
                        f"{entry['name']} with {usable_cores} usable CPUs: i7 class needs >= {sc['i7_min_logical']}, "
                        f"i5 >= {sc['i5_min_logical']}")
    value, why = int(entry["class"]), entry["why"]
    if entry["name"].startswith("Intel Core i") and brand:
        value, why = _generation_class(brand, value, why, table["intel_core_generations"])
    return CpuClass(value, entry["name"], why)


def intel_core_generation(brand: str) -> int | None:
    """The generation of an Intel Core i3/i5/i7/i9 from its model number (i7-2600 -> 2, i7-8750H -> 8,
    i7-1165G7 -> 11, i7-12700H -> 12, i7-920 -> 1); None when the brand has no model number."""
    m = re.search(r"\bi[3579]-?\s*(\d{3,5})", brand, re.I)
    if not m:
        return None
    digits = m.group(1)
    if len(digits) == 3:
        return 1                                   # i7-920, i5-750: the first generation (Nehalem, 2008-2010)
    if len(digits) == 5 or digits[0] == "1":      # i7-10750H, i7-12700K; i7-1065G7, i7-1165G7 (10th, 11th mobile)
        return int(digits[:2])
    return int(digits[0])


def _generation_class(brand: str, value: int, why: str, gens: dict) -> tuple[int, str]:
    gen = intel_core_generation(brand)
    if gen is None or gen >= gens["full_from"]:
        return value, why + (f" ({gen}th generation)" if gen else "")
    for band in gens["shifts"]:
        if gen in band["generations"]:
            lowered = max(1, value - 2 * band["shift"])
            return lowered, f"generation {gen}: {band['why']}"
    return value, why


def cpu_model(brand: str | None) -> dict | None:
    """The PCIe lanes and rated power of a CPU model (``profiles/cpu_tiers.toml`` [[models]]), or None."""
    if not brand:
        return None
    return next((e for e in data.load_toml("cpu_tiers.toml").get("models", []) if re.search(e["pattern"], brand, re.I)), None)


def class_name(value: int | None) -> str:
    return "-" if value is None else {1: "below i3", 3: "i3 class", 5: "i5 class", 7: "i7 class", 9: "i9 class"}.get(value, f"class {value}")


def parts_prices() -> dict:
    """Street prices of RAM, SSDs and Linux the advice costs changes with (desktop.toml [parts_prices])."""
    return load_profile("desktop").extra.get("parts_prices", {})


def gpu_boards() -> dict:
    """Reference boards' slot widths and coolers by catalog id (desktop.toml [gpu_boards])."""
    return load_profile("desktop").extra.get("gpu_boards", {})


def gpu_bar_rule() -> dict:
    """The desktop profile's GPU rule: its pass reference is the bar advice and rentals are measured against."""
    return next(r for r in load_profile("desktop").rules if r["check"] == "gpu_class")
