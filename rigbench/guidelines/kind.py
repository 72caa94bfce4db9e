"""What a machine is (a laptop, a desktop, a cloud or local VM, WSL, a container, a Mac, a planned build or a rented
instance), which guideline profiles apply to it, and what can be added to it."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from rigbench.guidelines.machine import Machine
from rigbench.guidelines.profiles import PROFILES

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

    kind: str                  # laptop, desktop, cloud-vm, local-vm, wsl, instance, planned, unknown
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
    """Laptop or not, and what was seen: the DMI chassis type decides where it names a kind of machine (a mini PC
    with a laptop CPU is a desktop); then a battery, the model name, the CPU."""
    chassis = m.chassis or {}
    if chassis.get("class"):
        # a hand-edited file may give the class without the type it comes from: say what there is
        seen = (f"the DMI chassis type {chassis['type']} ({chassis.get('name') or 'unnamed'})"
                if chassis.get("type") is not None else f"the DMI chassis class {chassis['class']}")
        return chassis["class"] == "laptop", seen
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
    if m.unprobed:
        # nothing says laptop, desktop or cloud: every profile is judged, and each rule that needs the machine's
        # parts says they are not known
        return MachineKind("unknown", list(PROFILES), f"a machine of unknown kind ({m.unprobed})", False, False)
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
    seen = how if (m.chassis or {}).get("class") else "no battery, no virtualisation"
    return MachineKind("desktop", ["desktop"], (f"{where} on " if where else "") + f"a desktop or workstation: {seen}"
                       + (" (a Mac)" if mac else ""), not m.container and nvidia_ok,
                       nvidia_ok, m.container)

