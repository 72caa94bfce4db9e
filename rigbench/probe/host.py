"""The operating system, virtualisation, container and power source.

Reads (under ``root``, default "/"):
- ``/etc/os-release`` (or ``/usr/lib/os-release``): the distribution's PRETTY_NAME, ID and VERSION_ID.
- ``/proc/sys/kernel/{ostype,osrelease,hostname}``: system, kernel release, host name.
- ``/sys/class/dmi/id/chassis_type``: the SMBIOS enclosure type (a laptop, a desktop, a server).
- ``/sys/class/dmi/id/{sys_vendor,product_name,board_vendor,bios_vendor}`` and the ``hypervisor`` flag of
  ``/proc/cpuinfo`` (parsed once, by :mod:`rigbench.probe.cpu`), then the paravirtual clock sources in
  ``/sys/devices/system/clocksource/clocksource0/available_clocksource``: virtualisation, like systemd-detect-virt.
- ``/.dockerenv``, ``/run/.containerenv``, ``/proc/1/cgroup``, ``/proc/self/cgroup`` and ``KUBERNETES_SERVICE_HOST``:
  containers.
- ``/sys/class/power_supply/*/{type,online,status}``: on battery or on mains.
"""

from __future__ import annotations

import os

from rigbench.probe._files import list_dir, read_line, read_text, under

CLOCKSOURCES = "/sys/devices/system/clocksource/clocksource0/available_clocksource"

# DMI vendor/product strings -> virtualisation name (as systemd-detect-virt names them).
DMI_VIRT = (
    ("amazon ec2", "amazon"), ("kvm", "kvm"), ("qemu", "qemu"), ("vmware", "vmware"), ("virtualbox", "oracle"),
    ("innotek", "oracle"), ("xen", "xen"), ("bochs", "bochs"), ("parallels", "parallels"), ("bhyve", "bhyve"),
    ("google compute engine", "google"), ("openstack", "openstack"), ("microsoft corporation", "microsoft"),
    ("alibaba cloud", "alibaba"),
)


def parse_os_release(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            out[key] = value.strip().strip("'\"")
    return out


def _virtualization(root, cpu_flags: set[str]) -> tuple[str | None, str | None]:
    """(name or "none", how it was found); None when it cannot be told."""
    dmi = [read_line(root, f"/sys/class/dmi/id/{f}") or "" for f in ("sys_vendor", "product_name", "board_vendor",
                                                                     "bios_vendor")]
    text = " ".join(dmi).lower()
    if "microsoft corporation" in text and "virtual machine" not in text:
        text = text.replace("microsoft corporation", "")  # Surface laptops are Microsoft hardware, not Hyper-V
    for needle, name in DMI_VIRT:
        if needle in text:
            return name, "/sys/class/dmi/id"
    if "hypervisor" in cpu_flags:
        # No DMI (micro-VMs such as Firecracker have none): the paravirtual clock a hypervisor offers names it.
        clocks = (read_line(root, CLOCKSOURCES) or "").split()
        for clock, name in (("kvm-clock", "kvm"), ("xen", "xen"), ("hyperv_clocksource_tsc_page", "microsoft")):
            if clock in clocks:
                return name, f"the '{clock}' clock source in {CLOCKSOURCES} (no DMI vendor)"
        return "unknown-vm", "the 'hypervisor' CPU flag in /proc/cpuinfo (the hypervisor hides its name)"
    if any(dmi) or cpu_flags:
        return "none", "no hypervisor flag in /proc/cpuinfo and no virtual-machine vendor in DMI"
    return None, "neither /sys/class/dmi/id nor CPU flags are readable"


def _container(root, environ) -> tuple[str | None, str | None]:
    if environ.get("KUBERNETES_SERVICE_HOST"):
        return "kubernetes", "KUBERNETES_SERVICE_HOST is set"
    if os.path.exists(under(root, "/run/.containerenv")):
        return "podman", "/run/.containerenv"
    if os.path.exists(under(root, "/.dockerenv")):
        return "docker", "/.dockerenv"
    cgroups = (read_text(root, "/proc/1/cgroup") or "") + (read_text(root, "/proc/self/cgroup") or "")
    for needle, name in (("kubepods", "kubernetes"), ("docker", "docker"), ("libpod", "podman"), ("lxc", "lxc"),
                         ("containerd", "containerd")):
        if needle in cgroups:
            return name, f"'{needle}' in /proc/1/cgroup or /proc/self/cgroup"
    env_container = read_text(root, "/proc/1/environ")
    if env_container and "container=" in env_container:
        value = env_container.split("container=", 1)[1].split("\0", 1)[0]
        return value or "unknown", "container= in the environment of PID 1"
    return None, "no container marker found"


# SMBIOS System Enclosure or Chassis Types (DMTF DSP0134, SMBIOS Reference Specification 3.x, section 7.4.1), as the
# kernel writes them (a decimal number) to /sys/class/dmi/id/chassis_type; the class is what the guidelines ask.
CHASSIS_TYPES = {
    1: "Other", 2: "Unknown", 3: "Desktop", 4: "Low Profile Desktop", 5: "Pizza Box", 6: "Mini Tower", 7: "Tower",
    8: "Portable", 9: "Laptop", 10: "Notebook", 11: "Hand Held", 12: "Docking Station", 13: "All in One",
    14: "Sub Notebook", 15: "Space-saving", 16: "Lunch Box", 17: "Main Server Chassis", 18: "Expansion Chassis",
    19: "SubChassis", 20: "Bus Expansion Chassis", 21: "Peripheral Chassis", 22: "RAID Chassis",
    23: "Rack Mount Chassis", 24: "Sealed-case PC", 25: "Multi-system chassis", 26: "Compact PCI",
    27: "Advanced TCA", 28: "Blade", 29: "Blade Enclosure", 30: "Tablet", 31: "Convertible", 32: "Detachable",
    33: "IoT Gateway", 34: "Embedded PC", 35: "Mini PC", 36: "Stick PC",
}
CHASSIS_CLASSES = {
    "laptop": {8, 9, 10, 14, 31, 32},            # portable, laptop, notebook, sub notebook, convertible, detachable
    "desktop": {3, 4, 5, 6, 7, 13, 15, 16, 24, 35, 36},
    "server": {17, 23, 25, 28, 29},              # main server, rack mount, multi-system, blade
}


def chassis(root: str | os.PathLike = "/") -> dict:
    """``{"type": 10, "name": "Notebook", "class": "laptop" | "desktop" | "server" | None, "reason": ...}`` from
    /sys/class/dmi/id/chassis_type; type null with the reason where the file is absent or unreadable (no DMI: ARM
    boards, some VMs and containers), class null for a type that names no kind of machine (Other, Unknown ...)."""
    text = read_line(root, "/sys/class/dmi/id/chassis_type")
    if text is None:
        return {"type": None, "name": None, "class": None,
                "reason": "/sys/class/dmi/id/chassis_type is absent (no DMI tables, or hidden from this container)"}
    try:
        value = int(text)
    except ValueError:
        return {"type": None, "name": None, "class": None,
                "reason": f"/sys/class/dmi/id/chassis_type reads {text!r}, not a number"}
    name = CHASSIS_TYPES.get(value)
    cls = next((c for c, types in CHASSIS_CLASSES.items() if value in types), None)
    reason = None if cls else (f"SMBIOS chassis type {value} ({name or 'not in the SMBIOS 3.x list'}) names no kind "
                               "of machine")
    return {"type": value, "name": name, "class": cls, "reason": reason}


def power(root: str | os.PathLike = "/") -> dict:
    """``{"on_battery": True | False | None, "reason": ...}`` from /sys/class/power_supply."""
    supplies = list_dir(root, "/sys/class/power_supply")
    mains_online = None
    battery_discharging = None
    for s in supplies:
        base = f"/sys/class/power_supply/{s}"
        kind = read_line(root, f"{base}/type")
        if kind == "Mains":
            online = read_line(root, f"{base}/online")
            if online in ("0", "1"):
                mains_online = (mains_online or False) or online == "1"
        elif kind == "Battery":
            status = read_line(root, f"{base}/status")
            if status:
                battery_discharging = (battery_discharging or False) or status == "Discharging"
    if mains_online is not None:
        return {"on_battery": not mains_online, "reason": None}
    if battery_discharging is not None:
        return {"on_battery": battery_discharging, "reason": None}
    return {"on_battery": None, "reason": "no mains adapter or battery in /sys/class/power_supply (a desktop, server "
                                          "or virtual machine)"}


def probe_os(root: str | os.PathLike = "/", cpu_flags: set[str] | None = None, environ=None) -> dict:
    """system, release, distribution, virtualization, container (each with how it was found)."""
    environ = os.environ if environ is None else environ
    rel = parse_os_release(read_text(root, "/etc/os-release") or read_text(root, "/usr/lib/os-release") or "")
    virt, virt_how = _virtualization(root, cpu_flags or set())
    container, container_how = _container(root, environ)
    return {
        "system": read_line(root, "/proc/sys/kernel/ostype") or os.uname().sysname,
        "release": read_line(root, "/proc/sys/kernel/osrelease") or (os.uname().release if os.fspath(root) == "/"
                                                                     else None),
        "distribution": rel.get("PRETTY_NAME") or rel.get("NAME"),
        "distribution_id": rel.get("ID"),
        "distribution_version": rel.get("VERSION_ID"),
        "virtualization": virt,
        "virtualization_source": virt_how,
        "container": container,
        "container_source": container_how,
        # The machine model: a laptop's name, or the instance type on AWS ("p3.2xlarge"); null where DMI is hidden.
        "dmi_product_name": read_line(root, "/sys/class/dmi/id/product_name"),
        # The enclosure: a laptop, a desktop or a server by its SMBIOS chassis type; null with a reason without DMI.
        "chassis": chassis(root),
    }


def probe_host(root: str | os.PathLike = "/") -> dict:
    """Host name and power source."""
    return {"hostname": read_line(root, "/proc/sys/kernel/hostname"), "power": power(root)}
