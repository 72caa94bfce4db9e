"""The machine the rules look at (:class:`Machine`), built from a probe, a results file, a ``--spec`` or a cloud
instance of the price list. A field nobody reported is ``None``; ``Machine.unknown`` says why where it can."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from rigbench import catalog, results
from rigbench.prices.cloud import Instance, resolve_instance
from rigbench.errors import UserError
from rigbench.guidelines.rentals import instance_row
from rigbench.guidelines.spec import HARDWARE_KEYS, KINDS, OS_NAMES, parse_spec, typed_size
from rigbench.units import MAX_CORES, parse_count, parse_number, parse_usd, shown

GIB = 1024**3
# The parts of a machine the rules read that a probe or a spec tells, as the keys of ``Machine.unknown``.
PARTS = ("cpu", "cores", "ram", "gpu", "disk", "disk_kind", "os")
MAX_SPEC_GPUS = 64      # the most GPUs a --spec machine takes, in all


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
    instance: Instance | None = None       # the price list's row of a rented instance
    price_usd: float | None = None
    ready_made_usd: float | None = None           # the same machine bought ready-made (DIY price rule)
    psu_w: float | None = None                    # the power supply's rating (multi-GPU build rules)
    gpu_cooling: str | None = None                # "blower", "open-air" or "water" (spec), None = not known
    container: str | None = None                  # docker, podman, kubernetes ... (probe)
    on_battery: bool | None = None                # None: no battery or mains adapter reported (desktop, server, VM)
    dmi_product: str | None = None                # the machine model (a laptop's name, an EC2 instance type)
    chassis: dict | None = None                   # the probe's SMBIOS chassis: {type, name, class, reason}
    kind_hint: str | None = None                  # --spec kind=laptop|desktop|diy|cloud
    ram_typed_decimal: bool = False               # RAM typed in decimal units (16000MB): judged in those units
    disk_rounding_bytes: int = 0                  # half the last typed digit of disk= (931GiB means 930.5-931.5)
    results: dict | None = None
    results_path: str | None = None
    unknown: dict[str, str] = field(default_factory=dict)
    unprobed: str | None = None                   # why nothing a probe reports is known (a results file without one)

    @property
    def view(self) -> results.Results | None:
        """The results file's view (rigbench.results, the one reader of measurements), or None without a results
        file. Built on each call, from the document as it is then."""
        return None if self.results is None else results.Results.of(self.results, self.results_path)

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
        # the host as recommend matches runs on it (host.hostname or host.name, or a bare string): the label names
        # the machine whose runs are read
        host = results.probe_machine(doc)["host"]
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
            on_battery=power.get("on_battery"), dmi_product=osd.get("dmi_product_name"), chassis=osd.get("chassis"),
        )

    @classmethod
    def from_results(cls, doc: dict, path: str) -> "Machine":
        """From a ``rigbench.results/1`` document: its probe, plus the measurements. Without a probe, everything
        the probe reports is unknown (``unprobed`` says why), never read as a machine without a GPU or a battery."""
        label = f"results file {path}"
        m = cls(source="results", label=label, results=doc, results_path=str(path))
        view = m.view
        if view.probed:
            m = cls.from_probe(view.probe, label=label)
            m.source, m.results, m.results_path = "results", doc, str(path)
        else:
            m.unprobed, m.unknown = results.NO_PROBE, {key: results.NO_PROBE for key in PARTS}
        return m

    @classmethod
    def from_spec(cls, text: str) -> "Machine":
        """A machine described by ``key=value,...`` (see :data:`SPEC_KEYS`); keys not given are not known."""
        values = parse_spec(text)
        if "instance" in values:
            others = sorted(set(values) & HARDWARE_KEYS - {"instance"})
            if others:
                # the instance fixes its hardware: a second description would be judged as if it were the instance
                raise UserError(f"--spec instance=... names a cloud instance, whose hardware is the price list's: give "
                                f"it or {', '.join(k + '=...' for k in others)}, not both")
            m = cls.from_instance(values.pop("instance"))
        else:
            m = cls(source="spec", label=f"spec: {text}")
            for key in PARTS:
                m.unknown.setdefault(key, f"not in the spec (add {key}=...)")
        apply_spec(m, values)
        return m

    @classmethod
    def from_instance(cls, name: str) -> "Machine":
        """A cloud instance of the price list (``aws:p3.2xlarge``)."""
        inst = resolve_instance(name)
        gpu = catalog.resolve(inst.gpu_id) if inst.gpu_id else None
        gpus = [GpuUnit(gpu.name if gpu else inst.gpu_id, inst.gpu_id, gpu.memory_bytes if gpu else None)
                for _ in range(inst.gpu_count)]
        return cls(
            source="instance", label=f"cloud instance {inst.key}",
            usable_cores=inst.vcpus or None, ram_bytes=int(inst.ram_gb * GIB) if inst.ram_gb else None, gpus=gpus,
            os_system="Linux", os_detail="the price list's Linux images", cloud_provider=inst.provider,
            instance=inst,
            unknown={"cpu": "the price list does not name the instance's CPU model",
                     "disk": "instance storage is bought separately (EBS, persistent disk)"},
        )

    def describe(self) -> dict:
        """The machine as the JSON document shows it."""
        d = asdict(self)
        d.pop("results")
        d["instance"] = None if self.instance is None else instance_row(self.instance)
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

def apply_spec(m: Machine, values: dict[str, str]) -> Machine:
    """Set the fields a spec gives on ``m`` (a spec machine, or a probe/results machine given a price)."""
    for key, value in values.items():
        m.unknown.pop(key, None)
        if key == "ram":
            # RAM is sold in binary units (a "16 GB" kit is 16 GiB), so GB means GiB; MB and kB as typed are decimal:
            # 16000MB is what a person writes for 16 GB, and is judged against the rule in the same decimal units.
            m.ram_bytes, _, m.ram_typed_decimal = typed_size(value, binary=True, what="--spec ram")
            if m.ram_typed_decimal:
                m.ram_bytes = typed_size(value, binary=False, what="--spec ram")[0]
            m.ram_reported = False
            if m.ram_bytes <= 0:
                raise UserError(f"--spec ram={shown(value)}: give the RAM as a size above zero, like ram=32GB")
        elif key == "cores":
            m.usable_cores = parse_count(value, what="--spec cores", lo=1, hi=MAX_CORES, example="cores=8")
        elif key == "cpu":
            m.cpu_brand, m.cpu_tier = value, None
        elif key == "gpu":
            m.gpus, m.gpu_error = _parse_gpus(value), None
        elif key == "disk":
            sizes = [typed_size(p, binary=False, default_unit="T", what="--spec disk") for p in value.split("+")]
            total = sum(x[0] for x in sizes)
            m.disk_rounding_bytes = sum(x[1] for x in sizes)
            if total <= 0:
                raise UserError(f"--spec disk={shown(value)}: give the storage as a size above zero, like disk=4TB")
            kind = m.disks[0].kind if m.disks else None
            m.disks, m.disks_reported = [DiskUnit("(spec)", total_bytes=total, kind=kind)], False
        elif key == "disk_kind":
            kind = value.lower()
            if kind not in ("nvme", "ssd", "hdd"):
                raise UserError(f"--spec disk_kind={shown(value)}: valid kinds are nvme, ssd, hdd")
            if m.disks is None or m.disks_reported:
                m.disks, m.disks_reported = [DiskUnit("(spec)", kind=kind)], False
            for d in m.disks:
                d.kind = kind
        elif key == "os":
            name = OS_NAMES.get(value.lower())
            if name is None:
                raise UserError(f"--spec os={shown(value)}: valid values are {', '.join(sorted(OS_NAMES))}")
            m.os_system, m.os_detail = name, ("WSL" if value.lower() == "wsl" else value)
        elif key == "price":
            m.price_usd = parse_usd(value, what="--spec price")
        elif key == "ready_made":
            m.ready_made_usd = parse_usd(value, what="--spec ready_made")
        elif key == "psu":
            m.psu_w = float(parse_number(re.sub(r"\s*w(atts?)?$", "", value.strip(), flags=re.I).replace(",", ""),
                                         what="--spec psu", lo=0, lo_open=True, hi=100_000, example="psu=1200W"))
        elif key == "gpu_cooling":
            if value.lower() not in ("blower", "open-air", "water"):
                raise UserError(f"--spec gpu_cooling={shown(value)}: valid values are blower, open-air, water")
            m.gpu_cooling = value.lower()
        elif key == "kind":
            if value.lower() not in KINDS:
                raise UserError(f"--spec kind={shown(value)}: valid kinds are {', '.join(KINDS)}")
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
        if not part:
            raise UserError(f"--spec gpu={shown(value)}: a '+' with no card beside it; write it like "
                            "gpu=rtx-3090+rtx-3060")
        m = re.match(rf"^(\d+)\s*[{catalog.COUNT_SIGNS}]\s*(.+)$", part, re.I)
        # the bounded parser: int() of thousands of digits raises ValueError, not a one-line error
        count, name = (parse_count(m.group(1), what="--spec gpu count", hi=MAX_SPEC_GPUS,
                                   example="gpu=2x rtx-2080-ti"), m.group(2)) if m else (1, part)
        twice = catalog.count_given_twice(count, name) if m else None
        if twice:
            raise UserError(f"--spec gpu={shown(part)}: {twice}")
        gpu = catalog.resolve(name)   # unknown name -> UserError with the closest matches
        gpus += [GpuUnit(gpu.name, gpu.id, gpu.memory_bytes) for _ in range(count)]
        # counted in all, so that rtx-3090+rtx-3090+... cannot pass the bound each "Nx" is held to
        if len(gpus) > MAX_SPEC_GPUS:
            raise UserError(f"--spec gpu={shown(value)}: more than {MAX_SPEC_GPUS} GPUs in all; one machine takes "
                            f"1 to {MAX_SPEC_GPUS}")
    return gpus


def attach_instance(m: Machine) -> Machine:
    """A probed cloud VM whose DMI product name is an instance type of the price list (AWS writes it there, e.g.
    "g4dn.xlarge") gets that row, so the cloud's price rule can judge it."""
    if m.cloud_provider and m.dmi_product and m.instance is None:
        try:
            m.instance = resolve_instance(f"{m.cloud_provider}:{m.dmi_product.strip()}")
        except UserError:
            pass                    # not in the price list: the hardware rules still judge the VM
    return m
