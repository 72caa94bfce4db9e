"""The guidelines engine: judge a machine against the laptop, desktop, DIY and cloud guidelines.

The guidelines are Part 4 of "Lessons from becoming a ML Engineer in 12 months" (hackernoon, 2019; the author's copy:
https://matthewmcateer.me/blog/lessons-from-becoming-a-machine-learning-engineer-in-12-months-without-a-cs-math-degree/).

The profiles are data (``profiles/laptop.toml``, ``desktop.toml``, ``diy.toml``, ``cloud.toml``): each rule quotes the
guideline sentence it checks, names a check function of this module (``check = "ram_min"``) and carries its
thresholds. A guideline software cannot check is listed with ``checkable = false`` and why, never dropped.

A :class:`Machine` is what the rules look at. It comes from a probe (:meth:`Machine.from_probe`), a results file
(:meth:`Machine.from_results`, which adds measurements: preprocess rate, throttling), a ``--spec`` string for a machine
not yet bought (:meth:`Machine.from_spec`), or a cloud instance of the price list (:meth:`Machine.from_instance`).
A field nobody reported is ``None``, and a rule that needs it says ``unknown`` with why.

Each rule gives ``pass``, ``warn``, ``fail``, ``unknown`` or ``n/a``; a profile's verdict is its worst status in the
order fail > warn > unknown > pass, so an unchecked rule never passes silently. ``n/a`` is a rule that does not apply
to this machine (a multi-GPU rule on one GPU; the local-training rules of a laptop that trains in the cloud): it says
why and stays out of the verdict. Rules marked ``optional`` judge an input that only a person can give (a price):
without it they say so and stay out of the verdict.

Which profiles apply to a machine is decided from what it is (:func:`machine_kind`): a laptop, a desktop, a cloud or
local VM, a container, a Mac, a planned build or a rented instance; ``--profile`` overrides.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any, Callable

from rigbench import catalog, cost, data, model, results
from rigbench.bench import validity
from rigbench.errors import UserError
from rigbench.files import parse_schema, read_json, read_text
from rigbench.probe import probe as probe_this_machine
from rigbench.probe.cpu import classify_tier
from rigbench.units import fmt_bytes, fmt_num, parse_size, parse_usd

PROFILES = ("laptop", "desktop", "diy", "cloud")
STATUSES = ("fail", "warn", "unknown", "pass", "n/a")   # worst first; n/a never counts
GIB = 1024**3
TB = 1000**4

# ---------------------------------------------------------------------------------------------------------------- data


@lru_cache(maxsize=None)
def _toml(name: str) -> dict:
    return data.load_toml(name)


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
    doc = _toml(f"{profile_id}.toml")
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
    table = _toml("cpu_tiers.toml")
    if tier is None and brand:
        tier = _probe_tier(brand)
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


def _probe_tier(brand: str) -> str | None:
    return classify_tier(brand)[0]


def cpu_model(brand: str | None) -> dict | None:
    """The PCIe lanes and rated power of a CPU model (``profiles/cpu_tiers.toml`` [[models]]), or None."""
    if not brand:
        return None
    return next((e for e in _toml("cpu_tiers.toml").get("models", []) if re.search(e["pattern"], brand, re.I)), None)


def class_name(value: int | None) -> str:
    return "-" if value is None else {1: "below i3", 3: "i3 class", 5: "i5 class", 7: "i7 class", 9: "i9 class"}.get(value, f"class {value}")


# -------------------------------------------------------------------------------------------------------------- machine


@dataclass
class GpuUnit:
    """One GPU of a machine: its name, the catalog card it is (if known) and its memory."""

    name: str
    catalog_id: str | None = None
    memory_bytes: int | None = None
    pcie_width: int | None = None       # the link width NVML reports (probe), None for a planned card


@dataclass
class DiskUnit:
    mount: str
    device: str | None = None
    fstype: str | None = None
    total_bytes: int | None = None
    kind: str | None = None       # nvme, ssd, hdd, unknown
    note: str | None = None       # the probe's caveat about the kind (virtual disks)


@dataclass
class Machine:
    """What the rules look at. ``None`` means not known; ``unknown`` maps a field name to why."""

    source: str                                   # "probe", "results", "spec", "instance"
    label: str                                    # what a person reads: "this machine (host)", "spec: ..."
    cpu_brand: str | None = None
    cpu_tier: str | None = None
    usable_cores: int | None = None               # logical CPUs this process may use (vCPUs for an instance)
    ram_bytes: int | None = None
    ram_reported: bool = False                    # True: the OS's figure (below the installed size)
    gpus: list[GpuUnit] | None = None             # None = not known; [] = none
    gpu_error: str | None = None
    disks: list[DiskUnit] | None = None
    disks_reported: bool = False                  # True: filesystems the probe measured
    data_disk_mount: str | None = None
    os_system: str | None = None                  # "Linux", "Windows", "Darwin" ...
    os_detail: str | None = None
    virtualization: str | None = None
    cloud_provider: str | None = None
    instance: dict | None = None                  # a price-list row: provider, instance, gpu_id, usd_per_hour ...
    price_usd: float | None = None
    ready_made_usd: float | None = None           # the same machine bought ready-made (DIY price rule)
    psu_w: float | None = None                    # the power supply's rating (multi-GPU build rules)
    gpu_cooling: str | None = None                # "blower", "open-air" or "water" (spec), None = not known
    container: str | None = None                  # docker, podman, kubernetes ... (probe)
    on_battery: bool | None = None                # None: no battery or mains adapter reported (desktop, server, VM)
    dmi_product: str | None = None                # the machine model (a laptop's name, an EC2 instance type)
    kind_hint: str | None = None                  # --spec kind=laptop|desktop|diy|cloud
    ram_typed_decimal: bool = False               # RAM typed in decimal units (16000MB): judged in those units
    disk_rounding_bytes: int = 0                  # half the last typed digit of disk= (931GiB means 930.5-931.5)
    results: dict | None = None
    results_path: str | None = None
    unknown: dict[str, str] = field(default_factory=dict)

    # --- constructors

    @classmethod
    def from_probe(cls, doc: dict, label: str | None = None) -> "Machine":
        """From a ``rigbench.probe/1`` document."""
        cpu = doc.get("cpu") or {}
        mem = doc.get("memory") or {}
        osd = doc.get("os") or {}
        ram = mem.get("usable_bytes") or mem.get("total_bytes")
        limit = mem.get("limit_bytes")
        if ram is not None and limit is not None and limit < ram:
            ram = limit
        gpus = [GpuUnit(g.get("name") or "GPU", g.get("catalog_id"), g.get("memory_total_bytes"), g.get("pcie_width"))
                for g in (doc.get("gpus") or [])]
        disks = [DiskUnit(d.get("mount"), d.get("device"), d.get("fstype"), d.get("total_bytes"), d.get("kind"),
                          d.get("kind_note"))
                 for d in (doc.get("disks") or [])]
        data_dir = doc.get("data_dir")
        host = (doc.get("host") or {}).get("hostname") if isinstance(doc.get("host"), dict) else doc.get("host")
        virt = osd.get("virtualization") or osd.get("virtualisation")
        power = ((doc.get("host") or {}).get("power") or {}) if isinstance(doc.get("host"), dict) else {}
        system = osd.get("system")
        detail = " ".join(str(x) for x in (osd.get("distribution"), osd.get("release")) if x)
        return cls(
            source="probe", label=label or f"this machine{f' ({host})' if host else ''}",
            cpu_brand=cpu.get("brand"), cpu_tier=cpu.get("tier"), usable_cores=cpu.get("usable_cores"),
            ram_bytes=ram, ram_reported=True, gpus=gpus, gpu_error=doc.get("gpu_error"),
            disks=disks if doc.get("disks") is not None else None, disks_reported=True,
            data_disk_mount=(data_dir or {}).get("mount") if isinstance(data_dir, dict) else None,
            os_system=system, os_detail=detail or None, virtualization=virt,
            cloud_provider=_cloud_from_probe(doc), container=osd.get("container"),
            on_battery=power.get("on_battery"), dmi_product=osd.get("dmi_product_name"),
        )

    @classmethod
    def from_results(cls, doc: dict, path: str) -> "Machine":
        """From a ``rigbench.results/1`` document: its probe, plus the measurements."""
        m = cls.from_probe(doc.get("probe") or {}, label=f"results file {path}")
        m.source, m.results, m.results_path = "results", doc, str(path)
        return m

    @classmethod
    def from_spec(cls, text: str) -> "Machine":
        """A machine described by ``key=value,...`` (see :data:`SPEC_KEYS`); keys not given are not known."""
        values = parse_spec(text)
        if "instance" in values:
            m = cls.from_instance(values.pop("instance"))
        else:
            m = cls(source="spec", label=f"spec: {text}")
            for key in ("cpu", "cores", "ram", "gpu", "disk", "disk_kind", "os"):
                m.unknown.setdefault(key, f"not in the spec (add {key}=...)")
        apply_spec(m, values)
        return m

    @classmethod
    def from_instance(cls, name: str) -> "Machine":
        """A cloud instance of the price list (``aws:p3.2xlarge``)."""
        row = _resolve_instance(name)
        gpu = _catalog_gpu(row["gpu_id"]) if row.get("gpu_id") else None
        count = int(row.get("gpu_count") or 0)
        gpus = [GpuUnit(gpu.name if gpu else row["gpu_id"], row.get("gpu_id"), gpu.memory_bytes if gpu else None)
                for _ in range(count)]
        ram = row.get("ram_gb")
        return cls(
            source="instance", label=f"cloud instance {row['provider']}:{row['instance']}",
            usable_cores=int(row["vcpus"]) if row.get("vcpus") else None,
            ram_bytes=int(float(ram) * GIB) if ram else None, gpus=gpus,
            os_system="Linux", os_detail="the price list's Linux images", cloud_provider=row["provider"],
            instance=row,
            unknown={"cpu": "the price list does not name the instance's CPU model",
                     "disk": "instance storage is bought separately (EBS, persistent disk)"},
        )

    def describe(self) -> dict:
        """The machine as the JSON document shows it."""
        d = asdict(self)
        d.pop("results")
        d["gpus"] = None if self.gpus is None else [asdict(g) for g in self.gpus]
        d["disks"] = None if self.disks is None else [asdict(x) for x in self.disks]
        return d


def _cloud_from_probe(doc: dict) -> str | None:
    """The cloud provider a probe was taken on, from the DMI vendor or product the probe reports (if it does)."""
    osd = doc.get("os") or {}
    texts = " ".join(str(v) for k, v in {**osd, **(doc.get("host") or {} if isinstance(doc.get("host"), dict) else {})}.items()
                     if any(w in k for w in ("dmi", "vendor", "product", "cloud", "virtual")) and v)
    low = texts.lower()
    for word, provider in (("amazon", "aws"), ("ec2", "aws"), ("google", "gcp"), ("microsoft", "azure")):
        if word in low:
            return provider
    return None


# ------------------------------------------------------------------------------------------------------ machine kind

# Hypervisors of servers and clouds (a VM of these is judged as a cloud machine: its hardware is rented, not bought)
# and of desktops (VirtualBox, Parallels, VMware Workstation/Fusion: the text's "virtual machine with Ubuntu on either
# your Mac or Windows machine"). Names as rigbench.probe.host reports them (systemd-detect-virt's).
SERVER_HYPERVISORS = {"amazon", "google", "microsoft", "alibaba", "openstack", "kvm", "qemu", "xen", "bochs", "bhyve",
                      "unknown-vm"}
DESKTOP_HYPERVISORS = {"oracle", "parallels", "vmware"}
# Words of laptop model names in DMI product_name (Dell, Lenovo, HP, Apple, ASUS, Acer, MSI, Razer, Framework ...).
_LAPTOP_PRODUCTS = re.compile(r"xps|latitude|inspiron|precision \d{4}|thinkpad|ideapad|yoga|legion|elitebook|probook|"
                              r"zbook|spectre|envy|omen|pavilion|macbook|zenbook|vivobook|rog |zephyrus|tuf |aspire|"
                              r"swift|predator|nitro|blade|stealth|raider|framework laptop|surface laptop|chromebook|"
                              r"notebook|laptop", re.I)
# Laptop CPUs by model suffix (Intel U/H/HK/HS/HX/G7/P/Y, AMD U/H/HS/HX) and the laptop-only families.
_LAPTOP_CPU = re.compile(r"\b(i[3579]-\d{4,5}(u|h|hk|hs|hx|hq|y|p|g\d)|ryzen\s*\d\s+\d{4}(u|h|hs|hx))\b|"
                         r"core(\(tm\))?\s*ultra\s*\d\s+\d{3}[uhvp]|celeron\s*n\d|pentium\s*(silver|gold)\s*n?\d|"
                         r"\bn(100|200|50|95|97|300|305)\b|mediatek|kompanio|snapdragon|\bsc7[12]80\b", re.I)


@dataclass
class MachineKind:
    """What a machine is, which guideline profiles apply to it, and what can be added to it."""

    kind: str                  # laptop, desktop, cloud-vm, local-vm, wsl, instance, planned
    profiles: list[str]        # the profiles that apply, in PROFILES order
    why: str                   # what was seen, for a person
    takes_parts: bool          # a GPU, RAM or a disk can be added (a desktop or a planned build)
    takes_nvidia_gpu: bool     # False on a Mac (Apple Silicon takes no eGPU; NVIDIA's macOS drivers end at 10.13)
    container: str | None = None
    memory_on_package: bool = False   # Apple Silicon: the RAM is in the chip's package, nothing to add

    def to_dict(self) -> dict:
        return asdict(self)


def is_mac(m: Machine) -> bool:
    return m.os_system == "Darwin" or bool(m.cpu_brand and re.match(r"\s*apple\s+m\d", m.cpu_brand, re.I))


def _is_laptop_hardware(m: Machine) -> tuple[bool, str]:
    if m.on_battery is not None:
        return True, "a battery or mains adapter in /sys/class/power_supply"
    if m.dmi_product and _LAPTOP_PRODUCTS.search(m.dmi_product):
        return True, f"the model {m.dmi_product!r}"
    if m.cpu_brand and _LAPTOP_CPU.search(m.cpu_brand):
        return True, f"a laptop CPU ({m.cpu_brand})"
    return False, "no battery, no laptop model name or CPU"


def machine_kind(m: Machine) -> MachineKind:
    """Which guidelines apply: a laptop's, a desktop's (bought or built), or the cloud's; and what can be added."""
    mk = _machine_kind(m)
    mk.memory_on_package = bool(m.cpu_brand and re.match(r"\s*apple\s+m\d", m.cpu_brand, re.I))
    return mk


def _machine_kind(m: Machine) -> MachineKind:
    mac = is_mac(m)
    nvidia_ok = not mac
    if m.kind_hint:
        profiles = {"laptop": ["laptop"], "desktop": ["desktop", "diy"], "diy": ["diy"], "cloud": ["cloud"]}[m.kind_hint]
        return MachineKind("planned" if m.source == "spec" else m.kind_hint, profiles,
                           f"kind={m.kind_hint} given", m.kind_hint in ("desktop", "diy") and nvidia_ok, nvidia_ok)
    if m.source == "instance":
        return MachineKind("instance", ["cloud"], f"a rented instance ({m.label.split()[-1]})", False, False)
    if m.source == "spec":
        laptop, why = _is_laptop_hardware(m)
        if m.os_system == "ChromeOS":
            laptop, why = True, "ChromeOS (a Chromebook)"
        elif mac:
            laptop, why = True, "a Mac, most of them MacBooks (give kind=desktop for a Mac mini or Studio)"
        if laptop:
            return MachineKind("planned", ["laptop"], f"a planned laptop: {why}", False, nvidia_ok)
        if m.gpus or m.cpu_brand or m.psu_w:
            return MachineKind("planned", ["desktop", "diy"], "a planned desktop: bought ready-made (desktop) or "
                               "built (diy)", nvidia_ok, nvidia_ok)
        return MachineKind("planned", ["laptop", "desktop", "diy"], "a planned machine of no stated kind "
                           "(give kind=laptop|desktop|diy|cloud)", nvidia_ok, nvidia_ok)
    virt = (m.virtualization or "none").lower()
    where = f"a {m.container} container" if m.container else ""
    if "microsoft-standard-wsl" in (m.os_detail or "").lower():
        # WSL2 runs Linux in a Hyper-V VM on the user's own Windows PC (its kernel release says so): the PC is what
        # is judged, and it takes parts (and CUDA reaches its NVIDIA GPU); laptop or desktop cannot be told from inside.
        laptop, how = _is_laptop_hardware(m)
        return MachineKind("wsl", ["laptop"] if laptop else ["laptop", "desktop"], "WSL2 on a Windows PC (its kernel "
                           "release): judged as that PC" + (f", a laptop ({how})" if laptop else ""), not laptop, True,
                           m.container)
    if virt in SERVER_HYPERVISORS or m.cloud_provider:
        name = {"unknown-vm": "an unnamed hypervisor"}.get(virt, virt)
        on = f"a virtual machine on {name}" + (f" ({m.cloud_provider}" + (f" {m.dmi_product}" if m.instance else "")
                                               + ")" if m.cloud_provider else "")
        why = (f"{where} on {on}" if where else on) + ": rented or server hardware, judged as a cloud machine"
        return MachineKind("cloud-vm", ["cloud"], why, False, False, m.container)
    laptop, how = _is_laptop_hardware(m)
    if virt in DESKTOP_HYPERVISORS:
        profile = "laptop" if laptop else "desktop"
        return MachineKind("local-vm", [profile], f"{where + ' in ' if where else ''}a {virt} virtual machine on a "
                           f"{profile} ({how}): judged by the slice it gets", False, nvidia_ok, m.container)
    if laptop:
        return MachineKind("laptop", ["laptop"], (f"{where} on " if where else "") + f"a laptop: {how}"
                           + (" (a Mac)" if mac else ""), False, nvidia_ok, m.container)
    return MachineKind("desktop", ["desktop"], (f"{where} on " if where else "") + "a desktop or workstation: no "
                       "battery, no virtualisation" + (" (a Mac)" if mac else ""), not m.container and nvidia_ok,
                       nvidia_ok, m.container)


# ------------------------------------------------------------------------------------------------------------ --spec

SPEC_KEYS = {
    "ram": "RAM, like 32GB (GB of RAM are binary, as sold; 16000MB is decimal)",
    "gpu": "GPUs, like rtx-2080-ti, 2x rtx-2080-ti, rtx-3090+gtx-1080-ti or none",
    "cpu": "the CPU brand, like \"Intel Core i7-9700K\"",
    "cores": "logical CPUs, like 8",
    "disk": "total local disk, like 4TB, 931GiB or 1TB+2TB",
    "disk_kind": "nvme, ssd or hdd",
    "os": "linux, windows, macos, chromeos or wsl",
    "price": "the machine's price in USD, like 2500 or $2,500",
    "ready_made": "the price of the same machine bought ready-made, in USD (for a DIY build)",
    "psu": "the power supply's rating, like 1200W",
    "gpu_cooling": "blower, open-air or water (how the GPUs are cooled)",
    "kind": "laptop, desktop, diy or cloud (which guidelines apply; guessed from the spec when left out)",
    "instance": "a cloud instance of the price list, like aws:p3.2xlarge",
}
SPEC_FORMS = "key=value pairs separated by commas; keys: " + ", ".join(f"{k} ({v})" for k, v in SPEC_KEYS.items())

_OS_NAMES = {"linux": "Linux", "ubuntu": "Linux", "debian": "Linux", "fedora": "Linux", "wsl": "Linux",
             "windows": "Windows", "win": "Windows", "macos": "Darwin", "mac": "Darwin", "osx": "Darwin",
             "darwin": "Darwin", "chromeos": "ChromeOS"}


def parse_spec(text: str) -> dict[str, str]:
    """``ram=32GB,cpu="Intel Core i7-9700K"`` -> ``{"ram": "32GB", "cpu": "Intel Core i7-9700K"}``; bad forms are UserError."""
    parts: list[str] = []
    buf, quote = "", None
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
            else:
                buf += ch
        elif ch in "\"'":
            quote = ch
        elif ch == ",":
            parts.append(buf)
            buf = ""
        else:
            buf += ch
    if quote:
        raise UserError(f"--spec {text!r}: a quote is not closed; write it like {SPEC_EXAMPLE}")
    parts.append(buf)
    parts = _join_thousands(parts)
    values: dict[str, str] = {}
    for part in (p.strip() for p in parts):
        if not part:
            continue
        key, sep, value = part.partition("=")
        key = key.strip().lower().replace("-", "_")
        if not sep or not value.strip():
            raise UserError(f"--spec: {part!r} is not key=value; {SPEC_FORMS}")
        if key not in SPEC_KEYS:
            raise UserError(f"--spec: unknown key {key!r}; valid keys: {', '.join(SPEC_KEYS)} (e.g. {SPEC_EXAMPLE})")
        if key in values:
            raise UserError(f"--spec: {key} is given twice")
        values[key] = value.strip()
    if not values:
        raise UserError(f"--spec is empty; {SPEC_FORMS}")
    return values


def _join_thousands(parts: list[str]) -> list[str]:
    """``price=$2,500`` unquoted splits at its comma: a part of three digits after a value ending in a digit is the
    rest of that number (``["price=$2", "500"]`` -> ``["price=$2,500"]``)."""
    out: list[str] = []
    for part in parts:
        if out and "=" in out[-1] and re.fullmatch(r"\d{3}(\.\d+)?\s*[A-Za-z$]*", part.strip()) \
                and re.search(r"\d$", out[-1].strip()):
            out[-1] = out[-1].rstrip() + "," + part.strip()
        else:
            out.append(part)
    return out


SPEC_EXAMPLE = 'ram=32GB,gpu=2x rtx-2080-ti,cpu="Intel Core i7-9700K",cores=8,disk=4TB,disk_kind=ssd,os=linux'
HARDWARE_KEYS = {"ram", "gpu", "cpu", "cores", "disk", "disk_kind", "os", "instance", "psu", "gpu_cooling", "kind"}
KINDS = ("laptop", "desktop", "diy", "cloud")
_TYPED_SIZE = re.compile(r"^\s*([0-9]*\.?([0-9]*))\s*([kmgtp]?)(i?)(b?)\s*$", re.IGNORECASE)


def typed_size(text: str, *, binary: bool, default_unit: str = "G") -> tuple[int, int, bool]:
    """A size as a person typed it: (bytes, half of its last digit in bytes, typed in decimal units).

    ``931GiB`` is 999,653,638,144 bytes, give or take half a GiB (a 1 TB drive written to the nearest GiB);
    ``16000MB`` is 16 * 10**9 bytes typed in decimal units. Thousands separators are allowed (``16,000MB``).
    """
    cleaned = str(text).replace(",", "").replace("_", "")
    total = parse_size(cleaned, binary=binary, default_unit=default_unit)   # bad forms: its UserError
    m = _TYPED_SIZE.match(cleaned)
    number, decimals, prefix, i, b = m.groups()
    decimals_n = len(decimals) if "." in number else 0
    unit = (prefix or ("" if b else default_unit)) + i + (b or "B")
    per_unit = parse_size("1" + unit, binary=binary, default_unit=default_unit)
    decimal = not i and (not binary or prefix.lower() in ("k", "m"))
    return total, int(per_unit * 0.5 * 10 ** -decimals_n), decimal


def apply_spec(m: Machine, values: dict[str, str]) -> Machine:
    """Set the fields a spec gives on ``m`` (a spec machine, or a probe/results machine given a price)."""
    for key, value in values.items():
        m.unknown.pop(key, None)
        if key == "ram":
            # RAM is sold in binary units (a "16 GB" kit is 16 GiB), so GB means GiB; MB and kB as typed are decimal:
            # 16000MB is what a person writes for 16 GB, and is judged against the rule in the same decimal units.
            m.ram_bytes, _, m.ram_typed_decimal = typed_size(value, binary=True)
            if m.ram_typed_decimal:
                m.ram_bytes = typed_size(value, binary=False)[0]
            m.ram_reported = False
            if m.ram_bytes <= 0:
                raise UserError(f"--spec ram={value!r}: give the RAM as a size above zero, like ram=32GB")
        elif key == "cores":
            try:
                cores = int(value)
            except ValueError:
                cores = 0
            if cores < 1:
                raise UserError(f"--spec cores={value!r}: give a whole number of logical CPUs, like cores=8")
            m.usable_cores = cores
        elif key == "cpu":
            m.cpu_brand, m.cpu_tier = value, None
        elif key == "gpu":
            m.gpus, m.gpu_error = _parse_gpus(value), None
        elif key == "disk":
            sizes = [typed_size(p, binary=False, default_unit="T") for p in value.split("+")]
            total = sum(x[0] for x in sizes)
            m.disk_rounding_bytes = sum(x[1] for x in sizes)
            if total <= 0:
                raise UserError(f"--spec disk={value!r}: give the storage as a size above zero, like disk=4TB")
            kind = m.disks[0].kind if m.disks else None
            m.disks, m.disks_reported = [DiskUnit("(spec)", total_bytes=total, kind=kind)], False
        elif key == "disk_kind":
            kind = value.lower()
            if kind not in ("nvme", "ssd", "hdd"):
                raise UserError(f"--spec disk_kind={value!r}: valid kinds are nvme, ssd, hdd")
            if m.disks is None or m.disks_reported:
                m.disks, m.disks_reported = [DiskUnit("(spec)", kind=kind)], False
            for d in m.disks:
                d.kind = kind
        elif key == "os":
            name = _OS_NAMES.get(value.lower())
            if name is None:
                raise UserError(f"--spec os={value!r}: valid values are {', '.join(sorted(_OS_NAMES))}")
            m.os_system, m.os_detail = name, ("WSL" if value.lower() == "wsl" else value)
        elif key == "price":
            m.price_usd = parse_usd(value)
        elif key == "ready_made":
            m.ready_made_usd = parse_usd(value)
        elif key == "psu":
            try:
                m.psu_w = float(re.sub(r"\s*w(atts?)?$", "", value.strip(), flags=re.I).replace(",", ""))
            except ValueError:
                m.psu_w = -1.0
            if not m.psu_w > 0:
                raise UserError(f"--spec psu={value!r}: give the power supply's rating in watts, like psu=1200W")
        elif key == "gpu_cooling":
            if value.lower() not in ("blower", "open-air", "water"):
                raise UserError(f"--spec gpu_cooling={value!r}: valid values are blower, open-air, water")
            m.gpu_cooling = value.lower()
        elif key == "kind":
            if value.lower() not in KINDS:
                raise UserError(f"--spec kind={value!r}: valid kinds are {', '.join(KINDS)}")
            m.kind_hint = value.lower()
    if m.disks is not None and any(d.total_bytes is None for d in m.disks) and "disk" not in values and m.source == "spec":
        m.unknown["disk"] = "not in the spec (add disk=...)"
    return m


def _parse_gpus(value: str) -> list[GpuUnit]:
    if value.strip().lower() in ("none", "0", "no"):
        return []
    gpus: list[GpuUnit] = []
    for part in value.split("+"):
        part = part.strip()
        m = re.match(r"^(\d+)\s*[x×*]\s*(.+)$", part, re.I)
        count, name = (int(m.group(1)), m.group(2)) if m else (1, part)
        if count < 1 or count > 64:
            raise UserError(f"--spec gpu={value!r}: a count must be 1 to 64, like gpu=2x rtx-2080-ti")
        gpu = _catalog_gpu(name)   # unknown name -> UserError with the closest matches
        gpus += [GpuUnit(gpu.name, gpu.id, gpu.memory_bytes) for _ in range(count)]
    return gpus


# -------------------------------------------------------------------------------- the other modules this one consumes


def _catalog_gpu(name: str):
    return catalog.resolve(name)


@lru_cache(maxsize=None)
def gpu_throughput(gpu_id: str, workload: str, precision: str | None = None) -> tuple[float, str, str]:
    """Predicted training throughput of a catalog card: (value, unit, precision). ``precision=None``: the better one."""
    cap = model.capability_from_gpu(_catalog_gpu(gpu_id))
    best = None
    for p in ([precision] if precision else list(model.PRECISIONS)):
        pred = model.predict(cap, workload, p)
        if best is None or pred.throughput > best[0]:
            best = (float(pred.throughput), pred.unit, p)
    return best


def _instance_field(row: Any, *names: str):
    for n in names:
        v = row.get(n) if isinstance(row, dict) else getattr(row, n, None)
        if v not in (None, ""):
            return v
    return None


def _row(inst: Any) -> dict:
    """A price-list instance as a plain dict with the names this module uses."""
    provider = _instance_field(inst, "provider")
    name = _instance_field(inst, "instance", "name")
    return {
        "provider": provider, "instance": name,
        "gpu_id": _instance_field(inst, "gpu_id", "gpu"),
        "gpu_count": _instance_field(inst, "gpu_count", "gpus"),
        "vcpus": _instance_field(inst, "vcpus"),
        "ram_gb": _instance_field(inst, "ram_gb", "ram_gib", "memory_gb"),
        "usd_per_hour": _instance_field(inst, "on_demand_usd_per_hour", "usd_per_hour", "price_usd_per_hour"),
        "spot_usd_per_hour": _instance_field(inst, "spot_usd_per_hour"),
        "region": _instance_field(inst, "region"),
        "price_date": str(_instance_field(inst, "price_date", "date") or ""),
    }


def _resolve_instance(name: str) -> dict:
    return _row(cost.resolve_instance(name))


def _price_source() -> str:
    """Which price list applies (the user's own from `rigbench prices refresh`, or the shipped one), for the screen."""
    from rigbench import cost

    return cost.load_prices().origin_label


def _price_rows() -> tuple[list[dict], str | None]:
    prices = cost.load_prices()
    return [_row(i) for i in prices.instances], str(getattr(prices, "date", None) or "") or None


# ------------------------------------------------------------------------------------------------------------- checks


@dataclass
class Check:
    """One rule judged on one machine."""

    id: str
    status: str                      # pass, warn, fail, unknown
    measured: str                    # for a person
    required: str
    why: str                         # the reasoning behind the status, one sentence
    guideline: str                   # the quoted sentence
    short: str                       # the guideline shortened for a table
    severity: str
    measured_value: float | None = None
    required_value: float | None = None
    unit: str | None = None
    optional: bool = False
    change: dict | None = None       # what would make it pass: {kind, amount, unit}
    implied: str | None = None       # how the rule follows from a quote that does not say it outright
    path: str | None = None          # the laptop's path: "local" (trains on itself) or "cloud" (n/a on the cloud path)

    def to_dict(self) -> dict:
        return asdict(self)


def _check(rule: dict, status: str, measured: str, required: str, why: str, mv=None, rv=None, unit=None,
           change: dict | None = None) -> Check:
    return Check(rule["id"], status, measured, required, why, rule["guideline"], rule.get("short", rule["guideline"]),
                 rule.get("severity", "fail"), mv, rv, unit, bool(rule.get("optional")), change, rule.get("implied"))


def _below(rule: dict) -> str:
    """The status when a machine misses the rule's threshold."""
    return rule.get("severity", "fail")


def _ram_need_bytes(m: Machine, gib: float) -> float:
    """The bytes a rule's "N GB" of RAM means for this machine: N GiB (RAM is sold in binary units), or N * 10**9 when
    the RAM was typed in decimal units (``ram=16000MB`` is a person's 16 GB)."""
    return gib * 1000**3 if m.ram_typed_decimal else gib * GIB


def check_ram_min(rule: dict, m: Machine) -> Check:
    need = _ram_need_bytes(m, rule["min_gib"])
    req = f">= {rule['min_gib']} GB"
    if m.ram_bytes is None:
        return _check(rule, "unknown", "-", req, m.unknown.get("ram", "RAM not reported"), rv=rule["min_gib"], unit="GiB")
    tol = rule.get("os_reported_tolerance", 0.0) if m.ram_reported else 0.0
    have = m.ram_bytes / GIB
    ok = m.ram_bytes >= need * (1 - tol)
    how = " as the OS reports it" if m.ram_reported else (
        f" (typed as {m.ram_bytes / 1000**3:g} GB in decimal units: judged in those units)" if m.ram_typed_decimal else "")
    why = (f"{have:.1f} GiB{how}" + (f" (counts as {rule['min_gib']} GB installed: the OS keeps up to {tol:.0%})"
                                     if ok and m.ram_bytes < need else ""))
    return _check(rule, "pass" if ok else _below(rule), fmt_bytes(m.ram_bytes), req,
                  why if ok else f"{have:.1f} GiB{how}, {rule['min_gib'] - have:.1f} GiB short",
                  round(have, 2), rule["min_gib"], "GiB",
                  None if ok else {"kind": "ram", "gib": rule["min_gib"], "have_gib": have})


def check_nvidia_gpu(rule: dict, m: Machine) -> Check:
    if m.gpus is None:
        return _check(rule, "unknown", "-", ">= 1 NVIDIA GPU", m.unknown.get("gpu", "GPUs not reported"), rv=1, unit="GPUs")
    if m.gpus:
        names = _gpu_summary(m.gpus)
        return _check(rule, "pass", names, ">= 1 NVIDIA GPU", "CUDA-capable: the ML libraries run on it",
                      len(m.gpus), 1, "GPUs")
    if rule.get("change") == "cloud":          # a rented machine: the driver's words are not the point
        why = "a CPU-only machine: training runs on the CPU, hours become weeks; rent one with a GPU"
    else:
        why = "no NVIDIA GPU" + (f": {m.gpu_error}" if m.gpu_error else "") + "; training runs on the CPU, hours become weeks"
    return _check(rule, _below(rule), "none", ">= 1 NVIDIA GPU", why, 0, 1, "GPUs", {"kind": rule.get("change", "gpu")})


def _gpu_summary(gpus: list[GpuUnit]) -> str:
    counts: dict[str, int] = {}
    for g in gpus:
        counts[g.name] = counts.get(g.name, 0) + 1
    return ", ".join(f"{n}x {name}" if n > 1 else name for name, n in counts.items())


def check_cpu_class(rule: dict, m: Machine) -> Check:
    target, floor = rule["target_class"], rule["floor_class"]
    req = f"{class_name(target)} (floor {class_name(floor)})"
    cc = cpu_class(m.cpu_brand, m.cpu_tier, m.usable_cores)
    shown = m.cpu_brand or m.cpu_tier or "-"
    if cc.value is None:
        return _check(rule, "unknown", shown, req, m.unknown.get("cpu", cc.why), rv=target, unit="class")
    measured = f"{shown} = {class_name(cc.value)}"
    if cc.value >= target:
        status = "pass"
    elif cc.value >= floor:
        status = "warn"
    else:
        status = _below(rule)
    return _check(rule, status, measured, req, cc.why, cc.value, target, "class",
                  None if status == "pass" else {"kind": "cpu", "class": target})


def _disk_total(m: Machine) -> tuple[int | None, str]:
    """Sum of real local disks: each device once; memory and network filesystems left out."""
    if m.disks is None:
        return None, m.unknown.get("disk", "disks not reported")
    seen: dict[str, int] = {}
    skipped = []
    for d in m.disks:
        fs = (d.fstype or "").lower()
        if fs in ("tmpfs", "ramfs", "devtmpfs", "squashfs") or fs.startswith(("nfs", "cifs", "smb", "fuse", "9p", "ceph")):
            skipped.append(d.mount)
            continue
        if d.total_bytes is None:
            continue
        key = d.device or d.mount
        seen[key] = max(seen.get(key, 0), d.total_bytes)
    if not seen:
        return None, "no local disk with a known size"
    return sum(seen.values()), f"{len(seen)} local disk(s)"


def check_storage_min(rule: dict, m: Machine) -> Check:
    need = rule["min_tb"] * TB
    req = f">= {rule['min_tb']} TB"
    total, how = _disk_total(m)
    if total is None:
        return _check(rule, "unknown", "-", req, how, rv=rule["min_tb"], unit="TB")
    tol = rule.get("formatted_tolerance", 0.0) if m.disks_reported else 0.0
    rounding = 0 if m.disks_reported else m.disk_rounding_bytes
    ok = total >= need * (1 - tol) or total + rounding >= need
    have = total / TB
    if ok and total < need:
        why = f"{how}: {have:.4g} TB" + (f" (a formatted {rule['min_tb']} TB disk: filesystems keep up to {tol:.0%})"
                                         if m.disks_reported else
                                         f" (as typed, to the nearest {fmt_bytes(2 * rounding)}: a {rule['min_tb']} TB drive)")
    else:
        why = f"{how}: {have:.4g} TB"
    return _check(rule, "pass" if ok else _below(rule), fmt_bytes(total, binary=False), req,
                  why if ok else f"{how}: {have:.4g} TB, {fmt_bytes(need - total, binary=False)} short",
                  round(have, 3), rule["min_tb"], "TB",
                  None if ok else {"kind": "storage", "tb": rule["min_tb"] - have})


def check_storage_ssd(rule: dict, m: Machine) -> Check:
    req = "solid-state (nvme/ssd)"
    iops, not_used = _measured_random_iops(m)
    if not_used:
        return _check(rule, "unknown", "disk_iops INVALID", req, not_used)
    if iops is not None:
        ok = iops >= rule["solid_state_min_iops"]
        return _check(rule, "pass" if ok else _below(rule), f"{fmt_num(iops)} random-read IOPS (measured)",
                      f">= {rule['solid_state_min_iops']:,} IOPS",
                      ("behaves like a solid-state drive" if ok else "random reads as slow as a spinning disk"),
                      iops, rule["solid_state_min_iops"], "IOPS", None if ok else {"kind": "ssd"})
    if not m.disks:
        return _check(rule, "unknown", "-", req, m.unknown.get("disk_kind", "disks not reported"))
    disk = next((d for d in m.disks if m.data_disk_mount and d.mount == m.data_disk_mount), None)
    if disk is None:
        disk = max(m.disks, key=lambda d: d.total_bytes or 0)
    kind = (disk.kind or "unknown").lower()
    where = "" if disk.mount == "(spec)" else f" ({disk.mount})"
    if kind in ("nvme", "ssd"):
        return _check(rule, "pass", kind + where, req, "solid-state by its sysfs label" if m.disks_reported else "as specified")
    if kind == "hdd" and disk.note and "unreliable" in disk.note:
        return _check(rule, "unknown", "hdd?" + where, req, f"{disk.note}: run `rigbench bench --only disk_iops`")
    if kind == "hdd":
        return _check(rule, _below(rule), "hdd" + where, req,
                      "rotational by sysfs (virtual and USB disks often claim this falsely: `rigbench bench --only disk_iops` measures it)"
                      if m.disks_reported else "a spinning disk", change={"kind": "ssd"})
    return _check(rule, "unknown", kind + where, req, m.unknown.get("disk_kind", "the disk's kind is not known; "
                                                                  "`rigbench bench --only disk_iops` measures it"))


def _view(m: Machine) -> results.Results | None:
    """The results file's view (the one reader of measurements), or None without a results file."""
    return results.Results.of(m.results, m.results_path) if m.results else None


def _measured_random_iops(m: Machine) -> tuple[float | None, str | None]:
    """(the best valid random-read IOPS, None), or (None, why a disk_iops figure that ran may not be used)."""
    view = _view(m)
    if view is None:
        return None, None
    vals = [f.value for f in view.ok("disk_iops")]
    if vals:
        return max(vals), None
    bad = view.invalid("disk_iops")
    if not bad:
        return None, None
    return None, (f"disk_iops measured {fmt_num(max(f.value for f in bad))} IOPS in {m.results_path}, "
                  f"{view.invalid_note(bad)}: not judged from it; rerun `rigbench bench --only disk_iops` on a quiet "
                  "machine")


def _os_shown(m: Machine) -> str:
    name = {"Darwin": "macOS"}.get(m.os_system or "", m.os_system or "-")
    detail = m.os_detail if m.os_detail and m.os_detail.lower() not in (name.lower(), "macos", "windows", "linux",
                                                                       "chromeos") else None
    return name + (f" ({detail})" if detail else "")


def check_os_linux(rule: dict, m: Machine) -> Check:
    req = "Linux"
    if m.os_system is None:
        return _check(rule, "unknown", "-", req, m.unknown.get("os", "operating system not reported"))
    shown = _os_shown(m)
    detail = (m.os_detail or "").lower()
    if m.os_system == "Linux":
        why = "Linux under Windows (WSL): fine for training, deploy targets are Linux too" if "wsl" in detail or "microsoft" in detail \
            else "what servers and the ML stack run on"
        return _check(rule, "pass", shown, req, why)
    if m.os_system == "ChromeOS":
        # ChromeOS runs a Linux kernel and its Linux development environment is a Debian VM: the text's substitute
        # (a Linux VM) built in, and on the text's Chromebook path the training runs on the cloud VMs' Linux.
        return _check(rule, "pass", shown, req, "ChromeOS runs Linux in its built-in Linux development environment "
                                                "(a Debian VM): the text's VM substitute, and the cloud VMs are Linux")
    why = "the text's stopgap: an Ubuntu virtual machine (or WSL on Windows) until Linux is the main OS"
    if m.os_system == "Darwin":
        why += " (its general advice, 'if you're already used to using a Mac you should be fine', holds: a VM covers Linux)"
    return _check(rule, _below(rule), shown, req, why, change={"kind": "linux"})


def check_os_packages(rule: dict, m: Machine) -> Check:
    """Less common packages (XGBoost) are trickier to install on Windows; Linux, WSL, macOS and ChromeOS's Linux are not."""
    req = "an OS where the less common packages install (Linux, macOS; WSL on Windows)"
    if m.os_system is None:
        return _check(rule, "unknown", "-", req, m.unknown.get("os", "operating system not reported"))
    shown = _os_shown(m)
    if m.os_system == "Windows":
        return _check(rule, _below(rule), shown, req, rule["now"], change={"kind": "linux"})
    why = {"Linux": "Linux builds of every package", "Darwin": "macOS builds of most packages, as the text says",
           "ChromeOS": "ChromeOS runs Linux packages in its Linux development environment"}.get(m.os_system, "")
    return _check(rule, "pass", shown, req, why or f"{m.os_system}: not Windows")


CLOUD_PATH = "cloud path"


def check_cloud_path(rule: dict, m: Machine) -> Check:
    """A laptop with an NVIDIA GPU trains on itself; one without is on the text's cloud path (a terminal to rented
    GPUs), which the text endorses for any laptop: "a $249 Chromebook" and "whatever laptop you have"."""
    req = "an NVIDIA GPU, or cloud time"
    if m.gpus is None:
        return _check(rule, "unknown", "-", req, m.unknown.get("gpu", "GPUs not reported"))
    if m.gpus:
        c = _check(rule, "pass", "trains locally", req, "this laptop has an NVIDIA GPU; the cloud for big jobs")
        c.path = "local"
        return c
    why = (f"no NVIDIA GPU: the text's cheap-laptop path, training on rented GPUs (`rigbench cost --rent all`); "
           f"the laptop rules for training on it do not apply")
    if m.price_usd is not None and m.price_usd > rule["chromebook_usd"]:
        saved = m.price_usd - rule["chromebook_usd"]
        hour = _cheapest_gpu_hour()
        hours = f" = {saved / hour['cheapest_usd_per_hour']:,.0f} hours of {hour['cheapest_instance']}" if hour else ""
        why += (f"; the text's ${rule['chromebook_usd']} Chromebook would leave ${saved:,.0f} more for cloud "
                f"time{hours}")
    c = _check(rule, "pass", f"no GPU: the {CLOUD_PATH}", req, why, m.price_usd, rule["chromebook_usd"], "USD")
    c.path = "cloud"
    return c


def check_gpu_class(rule: dict, m: Machine) -> Check:
    wl = rule["workload"]
    if m.gpus is None:
        return _check(rule, "unknown", "-", f">= {rule['pass_reference']}", m.unknown.get("gpu", "GPUs not reported"))
    if not m.gpus:
        return _check(rule, _below(rule), "no GPU", f">= {rule['pass_reference']}", "no GPU to judge",
                      change={"kind": rule.get("change", "gpu")})
    ref_pass = gpu_throughput(rule["pass_reference"], wl)
    ref_warn = gpu_throughput(rule["warn_reference"], wl)
    req = f">= {rule['pass_reference']} ({fmt_num(ref_pass[0])} {ref_pass[1]}, {ref_pass[2]})"
    worst = None   # (rank, value, gpu, why)
    for g in m.gpus:
        if g.catalog_id is None:
            cand = (0, None, g, f"{g.name} is not in the catalog: the model cannot judge it")
        else:
            value, unit, prec = gpu_throughput(g.catalog_id, wl)
            rank = 3 if value >= ref_pass[0] else 2 if value >= ref_warn[0] else 1
            listed = 3 if g.catalog_id in rule.get("listed_pass", []) else 2 if g.catalog_id in rule.get("listed_warn", []) else 0
            why = (f"{g.name}: {fmt_num(value)} {unit} predicted ({prec}) vs {rule['pass_reference']} "
                   f"{fmt_num(ref_pass[0])}, {rule['warn_reference']} {fmt_num(ref_warn[0])}")
            if listed > rank:
                why += "; a card the text names" + (" as its budget option" if listed == 2 else "")
            cand = (max(rank, listed), value, g, why)
        if worst is None or cand[0] < worst[0] or (cand[0] == worst[0] and (cand[1] or 0) < (worst[1] or 0)):
            worst = cand
    rank, value, g, why = worst
    status = {3: "pass", 2: "warn", 1: _below(rule), 0: "unknown"}[rank]
    return _check(rule, status, f"{g.name}" + (f" {fmt_num(value)} {ref_pass[1]}" if value else ""), req, why,
                  value, ref_pass[0], ref_pass[1], None if status == "pass" else {"kind": rule.get("change", "gpu")})


def check_cores_per_gpu(rule: dict, m: Machine) -> Check:
    lo, hi = rule["fail_below"], rule["pass_at"]
    req = f">= {hi:g} per GPU" if lo == hi else f">= {hi:g} per GPU (floor {lo:g})"
    if m.gpus is None or m.usable_cores is None:
        why = m.unknown.get("cores") if m.usable_cores is None else m.unknown.get("gpu", "GPUs not reported")
        return _check(rule, "unknown", "-", req, why or "cores or GPUs not known", rv=hi, unit="CPUs/GPU")
    if not m.gpus:
        return _check(rule, "unknown", f"{m.usable_cores} CPUs, no GPU", req, "no GPU to feed: judged once there is one",
                      rv=hi, unit="CPUs/GPU")
    ratio = m.usable_cores / len(m.gpus)
    status = "pass" if ratio >= hi else "warn" if ratio >= lo else _below(rule)
    why = f"{m.usable_cores} usable CPUs for {len(m.gpus)} GPU(s)"
    if status != "pass":
        why += f": {hi:g} per GPU needs {int(hi * len(m.gpus))}"
    elif ratio < 2:
        why += " (inside the text's 1–2; heavy preprocessing wants more: preprocess_feed measures it)"
    return _check(rule, status, f"{ratio:.2g} CPUs/GPU", req, why, round(ratio, 3), hi, "CPUs/GPU",
                  None if status == "pass" else {"kind": "cores", "cores": int(hi * len(m.gpus))})


def _preprocess_rate(m: Machine) -> tuple[float | None, str]:
    """images/s of the preprocess benchmark on the most threads it ran with (all usable cores)."""
    view = _view(m)
    if view is None:
        return None, "needs a results file: run `rigbench bench --only preprocess`"
    rows = view.ok("preprocess", device="cpu")
    if not rows:
        bad = view.invalid("preprocess", device="cpu")
        if bad:
            return None, (f"preprocess in {m.results_path} is {view.invalid_note(bad)}: not judged from it; rerun "
                          "`rigbench bench --only preprocess` on a quiet machine")
        return None, "no preprocess measurement in " + m.results_path
    # the best rate over the thread counts measured: the usable cores can do at least what any subset of them did
    best = max(rows, key=lambda f: f.value)
    threads = best.params.get("threads")
    return best.value, f"preprocess on {threads or '?'} CPU thread(s)"


def check_preprocess_feed(rule: dict, m: Machine) -> Check:
    req = f">= {rule['min_ratio']:g}x what the GPUs consume"
    if not m.gpus:
        return _check(rule, "unknown", "-", req, "no GPU to feed" if m.gpus == [] else m.unknown.get("gpu", "GPUs not reported"))
    rate, how = _preprocess_rate(m)
    if rate is None:
        return _check(rule, "unknown", "-", req, how)
    per_gpu = [gpu_throughput(g.catalog_id, rule["workload"], rule["precision"]) if g.catalog_id else None
               for g in m.gpus]
    if any(p is None for p in per_gpu):
        return _check(rule, "unknown", f"{fmt_num(rate)} images/s", req, "a GPU is not in the catalog: its appetite is unknown")
    demand = sum(p[0] for p in per_gpu)
    ratio = rate / demand
    status = "pass" if ratio >= rule["min_ratio"] else _below(rule)
    why = (f"{how}: {fmt_num(rate)} images/s; {len(m.gpus)} GPU(s) train {fmt_num(demand)} images/s "
           f"({rule['workload']}, {rule['precision']}, predicted)")
    return _check(rule, status, f"{fmt_num(rate)} images/s ({ratio:.2f}x)", req, why, round(ratio, 3), rule["min_ratio"],
                  "x", None if status == "pass" else {"kind": "cores"})


def check_ram_vs_gpu(rule: dict, m: Machine) -> Check:
    if m.gpus is None:
        return _check(rule, "unknown", "-", ">= largest GPU memory", m.unknown.get("gpu", "GPUs not reported"))
    if not m.gpus:
        return _check(rule, "unknown", fmt_bytes(m.ram_bytes), ">= largest GPU memory", "no GPU: nothing to match")
    mems = [g.memory_bytes for g in m.gpus if g.memory_bytes]
    if not mems:
        return _check(rule, "unknown", fmt_bytes(m.ram_bytes), ">= largest GPU memory", "GPU memory not known")
    need = max(mems)
    req = f">= {fmt_bytes(need)} (largest GPU)"
    if m.ram_bytes is None:
        return _check(rule, "unknown", "-", req, m.unknown.get("ram", "RAM not reported"), rv=need / GIB, unit="GiB")
    tol = rule.get("os_reported_tolerance", 0.0) if m.ram_reported else 0.0
    ok = m.ram_bytes >= _ram_need_bytes(m, need / GIB) * (1 - tol)
    why = f"{m.ram_bytes / GIB:.1f} GiB RAM vs {need / GIB:.1f} GiB on the largest GPU"
    return _check(rule, "pass" if ok else _below(rule), fmt_bytes(m.ram_bytes), req,
                  why if ok else why + f": {(need - m.ram_bytes) / GIB:.1f} GiB short",
                  round(m.ram_bytes / GIB, 2), round(need / GIB, 2), "GiB",
                  None if ok else {"kind": "ram", "gib": need / GIB, "have_gib": m.ram_bytes / GIB})


# NVML clock-event reasons as rigbench.bench.conditions records them (nvml.h): heat, or a power limit.
_THERMAL_REASONS = ("sw_thermal_slowdown", "hw_thermal_slowdown", "hw_slowdown")   # hw_slowdown: heat or power brake
_POWER_REASONS = ("sw_power_cap", "hw_power_brake_slowdown")


# A CPU clock that falls by more than this between the start and the end of a rigbench bench run counts as slowing
# down under load. The same 10% is where rigbench calls a measurement's spread unstable (pyperf's threshold): a smaller
# difference between two clock readings is within what a shared or busy machine shows anyway.
CPU_CLOCK_DROP = 0.10


def _check_cpu_cooling(rule: dict, m: Machine, req: str) -> Check:
    """The CPU clock before the suite and after each round of load. On a shared or virtual machine a neighbour's
    load reads exactly like heat (the clock is timed, and a stolen core runs fewer iterations), so a fall is judged
    only when every reading after load shows it and no reading had CPU steal or other programs' load over the
    limits of :mod:`rigbench.bench.validity`; otherwise the answer is unknown, saying why."""
    start, after = _view(m).cpu_clock()
    if start is None or not after:
        return _check(rule, "unknown", "no GPU measurements", req,
                      f"{m.results_path} has no GPU measurement and no CPU clock before and after the run "
                      "(re-run `rigbench bench` with this version)")
    ends = [float(r["scalar_mhz"]) for r in after]
    drops = [1 - e / start for e in ends]
    measured = f"CPU clock {start:,.0f} -> {', '.join(f'{e:,.0f}' for e in ends)} MHz"
    worst = max(drops)
    if worst <= CPU_CLOCK_DROP:
        return _check(rule, "pass", measured, req,
                      f"no CPU slow-down over the run ({-worst:+.0%} at most, {len(ends)} reading(s) after load); "
                      "no GPU measured", round(worst, 3), CPU_CLOCK_DROP, "clock drop")
    explained = [x for r in after for x in validity.machine_reasons(r.get("machine"))]
    if explained:
        return _check(rule, "unknown", measured, req,
                      f"the CPU clock fell {worst:.0%}, but not on a quiet machine ({explained[0]['text']}): a "
                      "neighbour's load reads like heat; rerun `rigbench bench` when the machine is quiet",
                      round(worst, 3), CPU_CLOCK_DROP, "clock drop")
    if len(ends) < 2 or min(drops) <= CPU_CLOCK_DROP:
        seen = (f"in {sum(d > CPU_CLOCK_DROP for d in drops)} of {len(ends)} readings after load" if len(ends) > 1
                else "in the one reading after load this file has")
        return _check(rule, "unknown", measured, req,
                      f"the CPU clock fell {worst:.0%} {seen}: not repeatable, so not judged (heat holds the clock "
                      "down in every reading; a neighbour or a burst does not); rerun `rigbench bench`",
                      round(worst, 3), CPU_CLOCK_DROP, "clock drop")
    return _check(rule, _below(rule), measured, req,
                  f"the CPU clock fell {min(drops):.0%}-{worst:.0%} in all {len(ends)} readings after load, with "
                  "no CPU steal or other load to explain it: heat or a power limit", round(worst, 3), CPU_CLOCK_DROP,
                  "clock drop", {"kind": "cooling"})


def check_cooling(rule: dict, m: Machine) -> Check:
    req = "no thermal throttling under load"
    if not m.results:
        return _check(rule, "unknown", "-", req, "needs a sustained-load run: `rigbench bench`, then "
                                                  "`rigbench recommend RESULTS.json`")
    # clock events are conditions, not figures: an invalid (throttled) figure is exactly the evidence
    rows = _view(m).ok(device="cuda", valid_only=False)
    if not rows:
        return _check_cpu_cooling(rule, m, req)
    thermal = [x for x in rows if x.clock_events() & set(_THERMAL_REASONS)]
    power = [x for x in rows if x.clock_events() & set(_POWER_REASONS)]
    n = len(rows)

    def names(xs):
        kinds = sorted({f"{x.kernel} on {x.device}" for x in xs})
        events = sorted(set().union(*(x.clock_events() for x in xs)) & set(_THERMAL_REASONS + _POWER_REASONS))
        return f"{', '.join(events)} during {', '.join(kinds[:3])}" + (" ..." if len(kinds) > 3 else "")

    if thermal:
        return _check(rule, _below(rule), f"thermal throttling in {len(thermal)} of {n}", req,
                      f"the GPU slowed for heat: {names(thermal)}", len(thermal), 0, "measurements", {"kind": "cooling"})
    if power:
        return _check(rule, "warn", f"power-capped in {len(power)} of {n}", req,
                      f"{names(power)} (capping at the power limit is normal under full load, but the card runs at "
                      "its edge: check the power supply and airflow)", len(power), 0, "measurements", {"kind": "cooling"})
    return _check(rule, "pass", f"no throttling in {n} GPU measurements", req,
                  f"{m.results_path}: no heat or power throttle reason before or after {n} GPU measurements"
                  + ("" if _view(m).complete else " (run interrupted)"), 0, 0, "measurements")


def check_price_band(rule: dict, m: Machine) -> Check:
    bands = rule["bands"]
    req = "; ".join(f"{b['name']} ${b['min_usd']:,}-{b['max_usd']:,}" for b in bands)
    if m.price_usd is None:
        return _check(rule, "unknown", "-", req, "no price given (--spec price=USD)")
    p = m.price_usd
    inside = next((b for b in bands if b["min_usd"] <= p <= b["max_usd"]), None)
    if inside:
        return _check(rule, "pass", f"${p:,.0f}", req, f"in the text's {inside['name']} band", p, inside["max_usd"], "USD")
    lo, hi = bands[0], bands[-1]
    if p < lo["min_usd"]:
        why = f"below the basic band: check the parts against the rules above (a ${p:,.0f} desktop rarely meets them all)"
    elif p > hi["max_usd"]:
        why = "above the high-end band: at this price renting may be cheaper (`rigbench cost`)"
    else:
        why = "between the basic and high-end bands"
        return _check(rule, "pass", f"${p:,.0f}", req, why, p, None, "USD")
    return _check(rule, _below(rule), f"${p:,.0f}", req, why, p, None, "USD")


def check_price_vs_ready_made(rule: dict, m: Machine) -> Check:
    """A DIY build saves money when it costs less than the same machine bought ready-made."""
    req = "below the same machine bought ready-made"
    if m.price_usd is None or m.ready_made_usd is None:
        missing = " and ".join(k for k, v in (("price=", m.price_usd), ("ready_made=", m.ready_made_usd)) if v is None)
        shown = "-" if m.price_usd is None else f"${m.price_usd:,.0f}"
        return _check(rule, "unknown", shown, req, f"needs {missing}USD: the same machine ready-made from "
                                                   f"{rule['vendors']}", m.price_usd, m.ready_made_usd, "USD")
    saved = m.ready_made_usd - m.price_usd
    ok = saved > 0
    why = (f"${saved:,.0f} saved against ${m.ready_made_usd:,.0f} ready-made ({saved / m.ready_made_usd:.0%})" if ok
           else f"${-saved:,.0f} more than the same machine ready-made (${m.ready_made_usd:,.0f}): no saving")
    return _check(rule, "pass" if ok else _below(rule), f"${m.price_usd:,.0f}", f"< ${m.ready_made_usd:,.0f} ready-made",
                  why, m.price_usd, m.ready_made_usd, "USD")


def check_cheapest_provider(rule: dict, m: Machine) -> Check:
    req = "cheapest USD per GPU-hour for its GPU"
    if not m.instance:
        return _check(rule, "unknown", "-", req, "judged only for an instance of the price list (--instance aws:p3.2xlarge)")
    rows, date = _price_rows()
    inst = m.instance
    per = _per_gpu_hour(inst)
    # the same GPU in the same count: an 8-GPU box is not a cheaper way to rent one GPU
    same = [r for r in rows if r["gpu_id"] == inst["gpu_id"] and r["gpu_count"] == inst["gpu_count"]
            and _per_gpu_hour(r) is not None]
    if per is None or not same:
        return _check(rule, "unknown", "-", req, "no price for this instance's GPU")
    best = min(same, key=_per_gpu_hour)
    bp = _per_gpu_hour(best)
    ok = per <= bp + 1e-9
    why = (f"{inst['gpu_count']}x {inst['gpu_id']}: cheapest is {best['provider']}:{best['instance']} at ${bp:.3f}/GPU-hour "
           f"(price list {date or 'undated'})")
    return _check(rule, "pass" if ok else _below(rule), f"${per:.3f}/GPU-hour ({inst['provider']})", req,
                  why if not ok else f"the cheapest {inst['gpu_id']} GPU-hour in the price list ({date or 'undated'})",
                  round(per, 4), round(bp, 4), "USD/GPU-hour", None if ok else {"kind": "instance", "to": f"{best['provider']}:{best['instance']}"})


def _per_gpu_hour(r: dict, spot: bool = False) -> float | None:
    try:
        return float(r["spot_usd_per_hour" if spot else "usd_per_hour"]) / int(r["gpu_count"])
    except (TypeError, ValueError, ZeroDivisionError, KeyError):
        return None


def check_mac_egpu(rule: dict, m: Machine) -> Check:
    """"if you insist on using a Mac, ... an external GPU": where that route still works."""
    req = "an external NVIDIA GPU the Mac can drive, or the cloud"
    if not is_mac(m):
        return _check(rule, "n/a", "not a Mac", req, "applies to a Mac only")
    apple = bool(m.cpu_brand and re.match(r"\s*apple", m.cpu_brand, re.I)) or (m.cpu_brand is None and m.os_system == "Darwin")
    why = rule["apple_silicon"] if apple else rule["intel_mac"]
    return _check(rule, _below(rule), "Apple Silicon Mac" if apple else "Intel Mac", req, why, change={"kind": "cloud"})


def _gpu_catalog(g: GpuUnit):
    return _catalog_gpu(g.catalog_id) if g.catalog_id else None


def check_pcie_lanes(rule: dict, m: Machine) -> Check:
    """Multi-GPU: does every card get PCIe lanes from the CPU, x8 each for four (Dettmers)?"""
    req = f"a CPU lane split for every GPU, >= x{rule['min_lanes_multi']} each"
    if m.gpus is None:
        return _check(rule, "unknown", "-", req, m.unknown.get("gpu", "GPUs not reported"))
    n = len(m.gpus)
    if n < 2:
        return _check(rule, "n/a", f"{n} GPU", req, "one GPU takes the CPU's x16 slot: lanes decide little")
    widths = [g.pcie_width for g in m.gpus if g.pcie_width]
    if len(widths) == n:                           # a running machine: the widths NVML reports decide
        narrow = min(widths)
        ok = narrow >= rule["min_lanes_multi"]
        return _check(rule, "pass" if ok else "warn", f"x{narrow} narrowest of {n} GPUs (NVML)", req,
                      f"link widths {', '.join(f'x{w}' for w in widths)}" + ("" if ok else
                      ": below x8 per card costs maybe 5-10% when training across all of them (Dettmers)"),
                      narrow, rule["min_lanes_multi"], "lanes")
    model_ = cpu_model(m.cpu_brand)
    if model_ is None:
        return _check(rule, "unknown", f"{n} GPUs", req,
                      m.unknown.get("cpu") or f"{m.cpu_brand or 'the CPU'}: its PCIe lanes are not in "
                                              "profiles/cpu_tiers.toml [[models]]")
    lanes, cards = model_["gpu_lanes"], model_["max_cards"]
    configs = ", ".join(model_["configs"])
    if n > cards:
        return _check(rule, _below(rule), f"{n} GPUs on {lanes} CPU lanes", req,
                      f"{model_['name']}: {lanes} graphics lanes split at most {cards} ways ({configs}; "
                      f"{model_['source'].split(':')[0]}): GPU {cards + 1} onwards get no CPU lanes (a chipset x4 "
                      "link shared with disks and network, or a board with a PCIe switch)",
                      lanes / n, rule["min_lanes_multi"], "lanes/GPU",
                      {"kind": "lanes", "text": f"a CPU with more PCIe lanes for {n} GPUs (Threadripper, Core X, "
                                                f"Xeon W: 44-64 lanes), or {cards} GPUs on this one"})
    per = 1 << int(math.log2(lanes // n)) if lanes // n >= 1 else 0
    ok = per >= rule["min_lanes_multi"]
    why = f"{model_['name']}: {lanes} graphics lanes ({configs}) give x{per} per GPU"
    if not ok:
        why += "; below x8 per card costs maybe 5-10% when training across all of them (Dettmers)"
    return _check(rule, "pass" if ok else "warn", f"x{per} per GPU ({n} GPUs)", req, why, per,
                  rule["min_lanes_multi"], "lanes/GPU")


def psu_needed_w(rule: dict, m: Machine) -> tuple[float | None, str]:
    """Watts a power supply needs for the GPUs and the CPU (Dettmers' sum plus two 10% margins), and how."""
    tdps = []
    for g in m.gpus or []:
        card = _gpu_catalog(g)
        if card is None or not card.tdp_w:
            return None, f"{g.name}: no TDP in the GPU catalog"
        tdps.append(float(card.tdp_w))
    model_ = cpu_model(m.cpu_brand)
    if model_ is None:
        return None, f"{m.cpu_brand or 'the CPU'}: its TDP is not in profiles/cpu_tiers.toml [[models]]"
    base = sum(tdps) + model_["tdp_w"]
    need = base * (1 + rule["margin_parts"]) * (1 + rule["margin_safety"])
    return need, (f"GPUs {' + '.join(f'{t:.0f}' for t in tdps)} W + CPU {model_['tdp_w']} W = {base:,.0f} W, "
                  f"+{rule['margin_parts']:.0%} other parts and spikes, +{rule['margin_safety']:.0%} margin")


def check_psu(rule: dict, m: Machine) -> Check:
    req = "a PSU for the GPUs' and the CPU's TDP, with margins"
    if not m.gpus:
        return _check(rule, "n/a" if m.gpus == [] else "unknown", "-", req,
                      "no GPU" if m.gpus == [] else m.unknown.get("gpu", "GPUs not reported"))
    need, how = psu_needed_w(rule, m)
    if need is None:
        return _check(rule, "unknown", "-", req, how)
    req = f">= {need:,.0f} W"
    if m.psu_w is None:
        if m.source != "spec":
            return _check(rule, "unknown", "-", req, f"a power supply's rating is not visible to software ({how}; "
                                                      "--spec psu=W judges it)", rv=round(need), unit="W")
        if len(m.gpus) < 2:
            return _check(rule, "unknown", "-", req, f"no psu= given; needs {need:,.0f} W: {how}", rv=round(need), unit="W")
        return _check(rule, "warn", "not given", req, f"{len(m.gpus)} GPUs need a PSU of {need:,.0f} W ({how}): "
                      "give psu=W to judge it", None, round(need), "W", {"kind": "psu", "watts": need})
    ok = m.psu_w >= need
    return _check(rule, "pass" if ok else _below(rule), f"{m.psu_w:,.0f} W", req,
                  how + ("" if ok else f": {need - m.psu_w:,.0f} W short"), m.psu_w, round(need), "W",
                  None if ok else {"kind": "psu", "watts": need})


def _gpu_boards() -> dict:
    return load_profile("desktop").extra.get("gpu_boards", {})


def check_gpu_fit(rule: dict, m: Machine) -> Check:
    """Multi-GPU: do the cards fit the slots of an ATX board and case, and are side-by-side cards cooled?"""
    req = f"<= {rule['atx_slots']} slots; blower or water cooling for 3+ cards side by side"
    if m.gpus is None:
        return _check(rule, "unknown", "-", req, m.unknown.get("gpu", "GPUs not reported"))
    n = len(m.gpus)
    if n < 2:
        return _check(rule, "n/a", f"{n} GPU", req, "one GPU: nothing side by side")
    if m.source in ("probe", "results"):
        return _check(rule, "n/a", f"{n} GPUs installed", req, "a running machine: its cards fit; the heat of cards "
                                                               "side by side is what the cooling rule measures")
    boards = _gpu_boards()
    known = [boards.get(g.catalog_id or "") for g in m.gpus]
    if any(b is None for b in known):
        missing = sorted({g.name for g, b in zip(m.gpus, known) if b is None})
        return _check(rule, "unknown", f"{n} GPUs", req, f"slot width not known for {', '.join(missing)}")
    slots = sum(b["slots"] for b in known)
    coolers = {m.gpu_cooling} if m.gpu_cooling else {b["cooler"] for b in known}
    open_air = "open-air" in coolers
    src = "--spec gpu_cooling" if m.gpu_cooling else "reference boards"
    problems, status = [], "pass"
    if slots > rule["max_slots"]:
        status = _below(rule) if rule.get("severity") == "fail" else "fail"
        problems.append(f"{slots} slots of cards: more than an ATX board and case hold ({rule['atx_slots']}; "
                        f"{rule['max_slots']} in cases for four double-width cards): risers or an open frame")
    elif slots > rule["atx_slots"]:
        status = "warn"
        problems.append(f"{slots} slots of cards: a case with {rule['max_slots']} expansion slots (ATX has "
                        f"{rule['atx_slots']})")
    if open_air and n >= 3:
        status = "fail" if status == "fail" else "warn"
        problems.append(f"{n} open-air cards ({src}) side by side blow heat into each other: blower-style cards or "
                        "water for 3+ GPUs (Dettmers)")
    measured = f"{n} GPUs, {slots} slots, {'/'.join(sorted(coolers))} ({src})"
    if not problems:
        return _check(rule, "pass", measured, req, f"{slots} slots fit an ATX board; {'/'.join(sorted(coolers))} "
                                                   "cooling", slots, rule["atx_slots"], "slots")
    return _check(rule, status, measured, req, "; ".join(problems), slots, rule["atx_slots"], "slots",
                  {"kind": "gpu_fit", "text": "blower-style cards (or water cooling) and a case with 8 slots for "
                                              f"{n} GPUs" if open_air else f"a case with room for {slots} slots"})


CHECKS: dict[str, Callable[[dict, Machine], Check]] = {
    "ram_min": check_ram_min, "nvidia_gpu": check_nvidia_gpu, "cpu_class": check_cpu_class,
    "storage_min": check_storage_min, "storage_ssd": check_storage_ssd, "os_linux": check_os_linux,
    "cloud_path": check_cloud_path, "gpu_class": check_gpu_class, "cores_per_gpu": check_cores_per_gpu,
    "preprocess_feed": check_preprocess_feed, "ram_vs_gpu": check_ram_vs_gpu, "cooling": check_cooling,
    "price_band": check_price_band, "cheapest_provider": check_cheapest_provider,
    "os_packages": check_os_packages, "price_vs_ready_made": check_price_vs_ready_made,
    "mac_egpu": check_mac_egpu, "pcie_lanes": check_pcie_lanes, "psu": check_psu, "gpu_fit": check_gpu_fit,
}


# ------------------------------------------------------------------------------------------------------------ verdicts


@dataclass
class ProfileVerdict:
    profile: str
    title: str
    verdict: str                    # fail, warn, unknown, pass
    checks: list[Check]
    not_checkable: list[dict]
    inherited: set[str] = field(default_factory=set)

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for c in self.checks if c.status == s) for s in STATUSES}

    def to_dict(self) -> dict:
        return {
            "profile": self.profile, "title": self.title, "verdict": self.verdict, "counts": self.counts(),
            "checks": [c.to_dict() for c in self.checks],
            "not_checkable": [{"id": r["id"], "guideline": r["guideline"], "why": r["why"], "checkable": False}
                              for r in self.not_checkable],
        }


def verdict_of(checks: list[Check]) -> str:
    """The worst status (fail > warn > unknown > pass); optional rules without their input and rules that do not
    apply (n/a) do not count; a profile none of whose rules apply is n/a."""
    counted = [c.status for c in checks if not (c.optional and c.status == "unknown") and c.status != "n/a"]
    for s in STATUSES:
        if s in counted:
            return s
    return "n/a" if checks and all(c.status == "n/a" for c in checks) else "pass"


def _apply_cloud_path(checks: list[Check], prof: Profile) -> list[Check]:
    """On the cloud path (a laptop without an NVIDIA GPU) the rules for training on the laptop do not apply: they
    become n/a, keeping what they would have said so a person can still read it."""
    if not any(c.path == "cloud" for c in checks):
        return checks
    local = {r["id"] for r in prof.rules if r.get("local_training")}
    out = []
    for c in checks:
        if c.id in local and c.status != "n/a":
            before = c.status
            c = Check(**{**asdict(c), "status": "n/a", "change": None, "path": "cloud",
                         "why": f"on the cloud path training runs on rented GPUs; to train on this laptop: "
                                f"{before}, {c.why}"})
        out.append(c)
    return out


def evaluate(profile_id: str, machine: Machine) -> ProfileVerdict:
    """Judge ``machine`` by every rule of one profile."""
    prof = load_profile(profile_id)
    checks = []
    for rule in prof.rules:
        fn = CHECKS.get(rule["check"])
        if fn is None:  # a data error in profiles/, not user input
            raise ValueError(f"profiles/{profile_id}.toml rule {rule['id']}: unknown check {rule['check']!r}")
        checks.append(fn(rule, machine))
    checks = _apply_cloud_path(checks, prof)
    return ProfileVerdict(profile_id, prof.title, verdict_of(checks), checks, prof.not_checkable, prof.inherited)


def profile_ids(choice: str, machine: Machine | None = None) -> list[str]:
    """The profiles to judge: ``auto`` (those that apply to the machine's kind), ``all`` or one by name."""
    if choice == "auto":
        if machine is None:
            return list(PROFILES)
        return machine_kind(machine).profiles
    if choice == "all":
        return list(PROFILES)
    if choice not in PROFILES:
        raise UserError(f"unknown profile {choice!r}: valid profiles are {', '.join(PROFILES)}, auto or all")
    return [choice]


# ---------------------------------------------------------------------------------------------------- what to change


def _parts_prices() -> dict:
    return load_profile("desktop").extra.get("parts_prices", {})


def gpu_options(budget_usd: float | None = None, limit: int = 5) -> tuple[list[dict], str | None]:
    """Catalog cards that reach the desktop GPU bar by the model, within ``budget_usd`` (launch price): the best
    throughput per dollar first, ``limit`` of them, plus the cheapest card that clears the bar if it is not among them
    (it is picked from every card that clears the bar, not from the best-value few)."""
    rows, note = _gpus_over_the_bar(budget_usd)
    if not rows:
        return [], note
    rows.sort(key=lambda r: (-r["throughput_per_kusd"], r["launch_price_usd"]))
    shown = rows[:limit]
    cheapest = cheapest_gpu_option(rows)
    if cheapest not in shown:
        shown.append(cheapest)
    return shown, None


def cheapest_gpu_option(rows: list[dict]) -> dict:
    """The cheapest card by launch price; at a tie, the faster one."""
    return min(rows, key=lambda r: (r["launch_price_usd"], -r["throughput"]))


def _gpus_over_the_bar(budget_usd: float | None) -> tuple[list[dict], str | None]:
    """Every catalog card with a launch price whose predicted throughput reaches the desktop rule's pass reference."""
    rule = next(r for r in load_profile("desktop").rules if r["check"] == "gpu_class")
    bar = gpu_throughput(rule["pass_reference"], rule["workload"])
    rows = []
    for g in catalog.load_catalog():
        if not g.launch_price_usd:
            continue
        value, unit, prec = gpu_throughput(g.id, rule["workload"])
        if value < bar[0] or (budget_usd is not None and g.launch_price_usd > budget_usd):
            continue
        rows.append({"id": g.id, "name": g.name, "launch_price_usd": g.launch_price_usd, "memory_gb": g.memory_gb,
                     "throughput": round(value, 1), "unit": unit, "precision": prec,
                     "throughput_per_kusd": round(value / g.launch_price_usd * 1000, 1)})
    note = None if rows else (f"no catalog card reaching {rule['pass_reference']} fits a budget of ${budget_usd:,.0f}"
                              if budget_usd is not None else "no catalog card has a launch price")
    return rows, note


def fit_change(kind: str, mk: MachineKind) -> str:
    """The change a machine of this kind can take instead of one it cannot: a cloud VM or a container is not told to
    buy a GPU (it rents one), a Mac takes no NVIDIA card (the cloud), a laptop's CPU and GPU are soldered."""
    if kind == "gpu" and (not mk.takes_nvidia_gpu or mk.kind in ("cloud-vm", "instance", "local-vm", "laptop")):
        return "cloud"
    if mk.kind in ("cloud-vm", "instance") and kind in ("ram", "cores", "cpu"):
        return "bigger_instance"
    if mk.kind in ("cloud-vm", "instance") and kind in ("storage", "ssd"):
        return "volume"
    if mk.kind == "local-vm" and kind in ("ram", "cores", "cpu", "storage", "ssd"):
        return "vm_share"
    if mk.kind == "laptop" and kind == "cpu":
        return "other_laptop"
    if mk.memory_on_package and kind == "ram":
        return "mac_memory"
    return kind


def suggestions(verdicts: list[ProfileVerdict], m: Machine, budget_usd: float | None = None,
                kind: MachineKind | None = None) -> list[dict]:
    """What to change, cheapest first (changes with an unknown cost last), merged across profiles, each one a change
    this kind of machine can take (:func:`fit_change`)."""
    mk = kind or machine_kind(m)
    merged: dict[str, dict] = {}
    for v in verdicts:
        for c in v.checks:
            if c.status not in ("fail", "warn") or not c.change:
                continue
            k = fit_change(c.change["kind"], mk)
            entry = merged.setdefault(k, {"kind": k, "rules": [], "change": dict(c.change)})
            entry["rules"].append(c.id)
            for num in ("gib", "tb", "cores", "class", "watts"):
                if num in c.change:
                    entry["change"][num] = max(entry["change"].get(num, 0), c.change[num])
    prices = _parts_prices()
    out = []
    for k, e in merged.items():
        ch = e["change"]
        s = {"kind": k, "rules": sorted(set(e["rules"])), "cost_usd": None, "cost_source": None}
        if k == "ram":
            add = max(8, -(-(ch["gib"] - ch["have_gib"]) // 8) * 8)
            s["change"] = f"add {add:.0f} GB of RAM (to at least {ch['gib']:.0f} GB; the cheapest RAM will do)"
            if mk.kind == "laptop":
                s["change"] += ", if the laptop has a free memory slot (many have it soldered)"
            s["cost_usd"] = round(add * prices["ram_usd_per_gib"], 2)
            s["cost_source"] = prices["ram_source"]
        elif k == "storage":
            tb = max(1, -(-ch["tb"] // 1))
            s["change"] = f"add a {tb:.0f} TB solid-state drive"
            s["cost_usd"] = round(tb * prices["ssd_usd_per_tb"], 2)
            s["cost_source"] = prices["ssd_source"]
        elif k == "ssd":
            total, _ = _disk_total(m)
            tb = max(1, -(-(total or TB) // TB))
            s["change"] = f"move the datasets to a {tb:.0f} TB SSD"
            s["cost_usd"] = round(tb * prices["ssd_usd_per_tb"], 2)
            s["cost_source"] = prices["ssd_source"]
        elif k == "linux":
            s["change"] = "install Linux (Ubuntu), or run it in a VM / WSL meanwhile"
            s["cost_usd"], s["cost_source"] = float(prices["linux_usd"]), prices["linux_source"]
        elif k == "cloud":
            has_gpu = bool(m.gpus) and mk.kind in ("cloud-vm", "instance")
            s["change"] = ("rent an instance whose GPU reaches the RTX 2070 bar" if has_gpu else "train on rented GPUs") \
                + ": `rigbench cost --rent all --hours-per-month 40` ranks the instances"
            s["cost_usd"], s["cost_source"] = 0.0, "no upfront cost; pay per GPU-hour"
            s.update(_cheapest_gpu_hour())
        elif k == "instance":
            s["change"] = f"rent the same GPU cheaper: {ch['to']}"
            s["cost_usd"], s["cost_source"] = 0.0, "saves money per hour"
        elif k == "gpu":
            opts, note = gpu_options(budget_usd)
            s["options"] = opts
            if opts:
                cheapest = cheapest_gpu_option(opts)
                s["change"] = (f"a GPU at least as fast as the RTX 2070; best throughput per dollar: {opts[0]['name']} "
                               f"(${opts[0]['launch_price_usd']:,.0f}); cheapest: {cheapest['name']} "
                               f"(${cheapest['launch_price_usd']:,.0f})")
                s["cost_usd"] = float(cheapest["launch_price_usd"])
                s["cost_source"] = "launch prices from the GPU catalog (profiles/gpus.csv), not today's street prices"
            else:
                s["change"] = f"a GPU at least as fast as the RTX 2070 ({note})"
        elif k == "cpu":
            s["change"] = f"a CPU of {class_name(ch.get('class'))} or above (usually a new board too)"
        elif k == "cores":
            s["change"] = (f"more CPU cores: {ch['cores']} for these GPUs" if "cores" in ch
                           else "more CPU cores for preprocessing (or fewer GPUs per machine)")
        elif k == "cooling":
            s["change"] = ("keep it on a hard surface, raised for airflow, on mains power, then `rigbench bench` again"
                           if mk.kind == "laptop" else
                           "improve cooling (case airflow, fan curve, a blower card in multi-GPU builds), then "
                           "`rigbench bench` again")
        elif k == "bigger_instance":
            s["change"] = "a VM size with more vCPUs and RAM (parts cannot be added to a rented machine)"
        elif k == "volume":
            s["change"] = "attach a larger SSD volume for the datasets (a rented machine takes no disks)"
        elif k == "vm_share":
            s["change"] = "give the VM more of its host's cores, RAM or disk (or judge the host itself)"
        elif k == "mac_memory":
            s["change"] = (f"a Mac with at least {ch['gib']:.0f} GB of memory (Apple Silicon's memory is in the chip's "
                           "package: none can be added), or the cloud path")
        elif k == "other_laptop":
            s["change"] = (f"a laptop with a CPU of {class_name(ch.get('class'))} or above (a laptop's CPU is "
                           "soldered), or the cloud path")
        elif k == "psu":
            s["change"] = f"a power supply of at least {ch['watts']:,.0f} W"
        elif k == "lanes":
            s["change"] = ch["text"]
        elif k == "gpu_fit":
            s["change"] = ch["text"]
        else:  # pragma: no cover - every change kind above
            s["change"] = k
        if mk.container and k in ("gpu", "ram", "storage", "ssd", "cpu", "cores", "psu", "lanes", "gpu_fit"):
            s["change"] += f" (for the host: a {mk.container} container takes no parts itself)"
        out.append(s)
    out.sort(key=lambda s: (s["cost_usd"] is None, s["cost_usd"] or 0.0))
    return out


def _cheapest_gpu_hour() -> dict:
    """The cheapest instance of the price list by the hour, and the cheapest whose GPU reaches the desktop GPU bar."""
    rows, date = _price_rows()
    priced = [r for r in rows if _per_gpu_hour(r) is not None]
    if not priced:
        return {}
    best = min(priced, key=lambda r: float(r["usd_per_hour"]))
    out = {"cheapest_instance": f"{best['provider']}:{best['instance']}", "cheapest_usd_per_hour": float(best["usd_per_hour"]),
           "cheapest_gpu": best["gpu_id"], "price_date": date or best.get("price_date")}
    rule = next(r for r in load_profile("desktop").rules if r["check"] == "gpu_class")
    bar = gpu_throughput(rule["pass_reference"], rule["workload"])[0]
    over = [r for r in priced if r["gpu_id"] and _known_gpu(r["gpu_id"]) and gpu_throughput(r["gpu_id"], rule["workload"])[0] >= bar]
    if over:
        top = min(over, key=lambda r: float(r["usd_per_hour"]))
        out.update({"bar_instance": f"{top['provider']}:{top['instance']}", "bar_gpu": top["gpu_id"],
                    "bar_usd_per_hour": float(top["usd_per_hour"])})
    return out


def _known_gpu(gpu_id: str) -> bool:
    try:
        _catalog_gpu(gpu_id)
    except UserError:
        return False
    return True


# ---------------------------------------------------------------------------------------------------- provider notes


def provider_notes() -> dict:
    """What the text says each cloud is for, checked against the current price list where it can be."""
    claims = load_profile("cloud").extra.get("providers", [])
    rows, date = _price_rows()
    out = []
    for c in claims:
        note = dict(c)
        if c["check"] == "cheapest_per_gpu_hour":
            note.update(_cheapest_claim(c, rows))
        else:
            note["measured"] = c.get("why") or "not in the price list (TPUs are not GPUs)"
            note["verdict"] = "unknown"
        out.append(note)
    return {"price_list_date": date, "price_list_source": _price_source(), "claims": out}


def _per_gpu_prices(rows: list[dict], providers: set[str] | None, spot: bool) -> dict[str, dict[str, float]]:
    """{gpu_id: {provider: lowest USD per GPU-hour}} over the providers named (all when None)."""
    by_gpu: dict[str, dict[str, float]] = {}
    for r in rows:
        if providers is not None and r["provider"] not in providers:
            continue
        p = _per_gpu_hour(r, spot)
        if p is None:
            continue
        cur = by_gpu.setdefault(r["gpu_id"], {})
        cur[r["provider"]] = min(cur.get(r["provider"], p), p)
    return by_gpu


def _cheapest_claim(claim: dict, rows: list[dict]) -> dict:
    """"X is usually the cheapest": among the providers the text compares, on demand and on spot, for each GPU type
    X shares with another of them. A price at the lowest to the cent is a win (ties count for every provider in them)."""
    who = claim["provider"]
    among = set(claim.get("compare_with") or []) or None

    def cheapest(prov: dict[str, float]) -> list[str]:
        low = round(min(prov.values()), 2)
        return sorted(p for p, v in prov.items() if round(v, 2) == low)

    result: dict[str, Any] = {"among": sorted(among) if among else "all providers in the price list"}
    tallies = []
    for label, spot in (("on_demand", False), ("spot", True)):
        by_gpu = _per_gpu_prices(rows, among, spot)
        shared = {g: prov for g, prov in by_gpu.items() if who in prov and len(prov) > 1}
        wins = sorted(g for g, prov in shared.items() if who in cheapest(prov))
        result[label] = {"wins": wins, "shared": len(shared),
                         "by_gpu": {g: {"cheapest": ", ".join(cheapest(prov)), "usd_per_gpu_hour": round(min(prov.values()), 4),
                                        who: round(prov[who], 4)} for g, prov in sorted(shared.items())}}
        if shared:
            tallies.append((label, len(wins), len(shared)))
    result["wins"], result["by_gpu"] = result["on_demand"]["wins"], result["on_demand"]["by_gpu"]
    result["measured"] = ("cheapest for " + ", ".join(f"{w}/{n} shared GPUs {label.replace('_', ' ')}"
                                                      for label, w, n in tallies)
                          + (f" (among {', '.join(sorted(among))})" if among else ""))
    if not tallies:
        result["measured"], result["verdict"] = "no GPU type it shares with another provider in the price list", "unknown"
    else:
        result["verdict"] = "agrees" if all(w * 2 > n for _, w, n in tallies) else "disagrees"
    return result


# ------------------------------------------------------------------------------------------------------- the document


def is_override_only(values: dict[str, str]) -> bool:
    """A spec with no hardware key (only ``price``) adds to the probe or results file instead of describing a machine."""
    return not (set(values) & HARDWARE_KEYS)


def recommend(machine: Machine, profile_choice: str = "auto", budget_usd: float | None = None) -> dict:
    """The ``rigbench.recommend/2`` document for one machine: the profiles that apply to its kind (``auto``), or
    those chosen.

    Schema history: ``/1`` judged every profile by default, statuses pass/warn/fail/unknown. ``/2`` adds ``kind`` (what
    the machine is, which profiles apply and why, ``chosen_by``), the status ``n/a`` (a rule that does not apply, with
    why), and per-side (on demand, spot) results in the providers' cheapest-cloud claim.
    """
    mk = machine_kind(machine)
    chosen = profile_ids(profile_choice, machine)
    verdicts = [evaluate(p, machine) for p in chosen]
    doc = {
        "schema": "rigbench.recommend/2",
        "machine": machine.describe(),
        "kind": dict(mk.to_dict(), chosen_by="the machine's kind" if profile_choice == "auto" else f"--profile {profile_choice}"),
        "results_file": machine.results_path,
        "profiles": [v.to_dict() for v in verdicts],
        "suggestions": suggestions(verdicts, machine, budget_usd, mk),
        "budget_usd": budget_usd,
    }
    if "cloud" in chosen:
        doc["providers"] = provider_notes()
    for v, d in zip(verdicts, doc["profiles"]):
        d["inherited"] = sorted(v.inherited)
    return doc


def verdict_summary(machine: Machine) -> dict:
    """The short answer for a probe screen: the machine's kind, and per profile that applies its verdict and the
    rules it misses (fail) and warns on."""
    mk = machine_kind(machine)
    out = []
    for p in mk.profiles:
        v = evaluate(p, machine)
        out.append({"profile": p, "verdict": v.verdict,
                    "fails": [c.id.split(".", 1)[1] for c in v.checks if c.status == "fail"],
                    "warns": [c.id.split(".", 1)[1] for c in v.checks if c.status == "warn"]})
    return {"kind": mk.kind, "why": mk.why, "profiles": out}


def _newest_results(results_dir: str | None) -> str | None:
    found = results.newest(results_dir)
    return None if found is None else str(found)


def _document_kind(path: str) -> str | None:
    """"probe" or "results" from a rigbench JSON file's schema; None when it cannot be read (the reader says why)."""
    try:
        doc = json.loads(read_text(path))
    except (UserError, ValueError):
        return None
    parsed = parse_schema(doc.get("schema")) if isinstance(doc, dict) else None
    return parsed[0] if parsed else None


def _load_results(path: str) -> dict:
    return results.load_document(path)


def _host_of(probe_doc: dict) -> str | None:
    host = probe_doc.get("host")
    if isinstance(host, dict):
        return host.get("hostname") or host.get("name")
    return host if isinstance(host, str) else None


def load_machine(results_path: str | None = None, spec: str | None = None, instance: str | None = None,
                 results_dir: str | None = None) -> tuple[Machine, list[str]]:
    """The machine the inputs name, and notes saying where it came from (for the person reading)."""
    notes: list[str] = []
    values = parse_spec(spec) if spec else {}
    hardware = not is_override_only(values) if values else False
    if instance and hardware:
        raise UserError("give --instance or a --spec describing hardware, not both (--spec price=... may go with it)")
    if results_path and (hardware or instance):
        raise UserError("a results file describes a measured machine; --spec hardware keys and --instance describe "
                        "another: give one (--spec price=USD may go with a results file)")
    if instance:
        m = Machine.from_instance(instance)
        notes.append(f"judging {m.label} from the price list")
    elif hardware:
        m = Machine.from_spec(spec)
        values = {}
        notes.append("judging a planned machine; keys not in --spec are unknown")
    elif results_path and _document_kind(results_path) == "probe":
        m = Machine.from_probe(read_json(results_path, "probe", 1), label=f"probe file {results_path}")
        notes.append(f"judging the machine probed in {results_path} (no measurements)")
    elif results_path:
        m = Machine.from_results(_load_results(results_path), results_path)
        notes.append(f"judging the machine measured in {results_path}")
    else:
        doc = probe_this_machine()
        m = Machine.from_probe(doc)
        newest = _newest_results(results_dir)
        if newest:
            rdoc = _load_results(newest)
            here, there = _host_of(doc), _host_of(rdoc.get("probe") or {})
            if here and there and here != there:
                notes.append(f"probed this machine; ignored {newest} (measured on {there}, not {here})")
            else:
                m = Machine.from_results(rdoc, newest)
                m.label = f"this machine{f' ({here})' if here else ''}"
                notes.append(f"probed this machine; measurements from the newest results file {newest}")
        else:
            where = " or ".join(f"{d}/" for d in results.search_dirs(results_dir))
            notes.append(f"probed this machine; no results file in {where} (run `rigbench bench` for the "
                         "cooling and preprocessing checks)")
    if values:
        apply_spec(m, values)
    if m.source in ("probe", "results"):
        attach_instance(m)
    return m, notes


def attach_instance(m: Machine) -> Machine:
    """A probed cloud VM whose DMI product name is an instance type of the price list (AWS writes it there, e.g.
    "g4dn.xlarge") gets that row, so the cloud's price rule can judge it."""
    if m.cloud_provider and m.dmi_product and m.instance is None:
        try:
            m.instance = _resolve_instance(f"{m.cloud_provider}:{m.dmi_product.strip()}")
        except UserError:
            pass                    # not in the price list: the hardware rules still judge the VM
    return m
