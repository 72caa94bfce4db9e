"""`rigbench probe`: what this machine has. Parses, calls :func:`rigbench.probe.probe`, renders."""

from __future__ import annotations

import click
from rich.text import Text

from rigbench import guidelines
from rigbench.probe import probe
from rigbench.report import emit_json, one_line, show, table


def _gib(n) -> str | None:
    return None if n is None else f"{n / 1024 ** 3:.1f} GiB"


def _yes(flag) -> str:
    return "yes" if flag else "no"


def _render(doc: dict) -> None:
    cpu, mem = doc["cpu"], doc["memory"]
    tier = cpu["tier"] or f"unknown ({cpu['tier_reason']})"
    isa = ", ".join(name for name, present in cpu["flags"].items() if present) or "none of the listed"
    clocks = ", ".join([
        f"base {cpu['base_mhz']} MHz" if cpu["base_mhz"] else "base not reported",
        f"max {cpu['max_mhz']} MHz" if cpu["max_mhz"] else "max not reported",
    ] + ([f"now {cpu['current_mhz']} MHz"] if cpu.get("current_mhz") else
         ["now not reported (in a VM /proc/cpuinfo gives the virtual TSC rate, not the core clock)"]
         if "TSC" in (cpu.get("current_mhz_reason") or "") else []))
    quota = f", cgroup quota {cpu['cpu_quota_cores']:g} cores" if cpu.get("cpu_quota_cores") else ""
    rows = [
        ("CPU", cpu["brand"] or "unknown"),
        ("class (tier)", tier),
        ("cores", f"{cpu['usable_cores']} usable / {cpu['physical_cores']} physical / {cpu['logical_cores']} logical"
                  f"{quota}"),
        ("clocks", clocks),
        ("last-level cache", _gib(cpu["llc_bytes"]) if cpu["llc_bytes"] and cpu["llc_bytes"] >= 1024 ** 3 else
         (f"{cpu['llc_bytes'] / 1024 ** 2:.0f} MiB (L{cpu['llc_level']})" if cpu["llc_bytes"] else None)),
        ("ISA for training", isa),
        ("memory", f"{_gib(mem['total_bytes'])} total, {_gib(mem['available_bytes'])} available, "
                   + (f"swap {_gib(mem['swap_bytes'])}" if mem["swap_bytes"] else "no swap")),
        ("memory limit (cgroup)", _gib(mem["limit_bytes"]) or "none"),
    ]
    osd, sw = doc["os"], doc["software"]
    where = [osd.get("virtualization") not in (None, "none") and f"VM: {osd['virtualization']}",
             osd.get("container") and f"container: {osd['container']}"]
    rows.append(("OS", f"{osd['distribution'] or osd['system']} (kernel {osd['release']})"
                       + (f", {', '.join(w for w in where if w)}" if any(where) else "")))
    power = doc["host"]["power"]["on_battery"]
    if power is not None:
        rows.append(("power", "on battery (benchmarks will be slower)" if power else "on mains"))
    cuda = (sw["torch_cuda_runtime"] or "none: CPU build") if sw["torch"] else None
    rows.append(("software", f"python {sw['python']}, torch {sw['torch'] or '-'} (CUDA {cuda or '-'}), "
                             f"numba {sw['numba'] or '-'}, numpy {sw['numpy'] or '-'}, "
                             f"nvidia-ml-py {sw['nvidia_ml_py'] or '-'}"))
    summary = table("This machine", ["", ""], rows, justify=["left", "left"])
    summary.show_header = False
    out = [summary]

    disk_rows = [(d["mount"], d["device"], d["fstype"], d["kind"], _gib(d["free_bytes"]), _gib(d["total_bytes"]))
                 for d in doc["disks"]]
    notes = sorted({f"{d['mount']}: {d['kind_note']}" for d in doc["disks"] if d.get("kind_note")})
    out.append(table("Disks", ["mount", "device", "fs", "kind", "free", "total"], disk_rows,
                     caption="\n".join(notes) or None, justify=["left", "left", "left", "left", "right", "right"]))
    dd = doc.get("data_dir")
    if dd:
        out.append(table("Data directory", ["path", "mount", "device", "kind", "free"],
                         [(one_line(dd["path"]), one_line(dd["mount"]), dd["device"], dd["kind"],
                           _gib(dd["free_bytes"]))]))
    if doc["gpus"]:
        gpu_rows = []
        for g in doc["gpus"]:
            pcie = f"gen{g.get('pcie_generation')} x{g.get('pcie_width')}" if g.get("pcie_generation") else None
            gpu_rows.append((g["index"], g["name"], _gib(g.get("memory_total_bytes")), g.get("compute_capability"),
                             g.get("power_limit_w") and f"{g['power_limit_w']:.0f} W", pcie,
                             g.get("temperature_c") and f"{g['temperature_c']} C",
                             "on" if g.get("mig_enabled") else "off" if g.get("mig_enabled") is False else None,
                             g.get("error") or ""))
            for m in g.get("mig_devices") or []:
                gpu_rows.append((f"  {g['index']}.{m['mig_index']}", m["name"], _gib(m["memory_total_bytes"]),
                                 None, None, None, None, "instance", ""))
        first = doc["gpus"][0]
        out.append(table("NVIDIA GPUs", ["#", "name", "memory", "CC", "power limit", "PCIe", "temp", "MIG", "error"],
                         gpu_rows, justify=["left", "left"] + ["right"] * 7,
                         caption=f"driver {first.get('driver_version')}, "
                                 f"CUDA (driver) {first.get('cuda_driver_version')}"))
    else:
        out.append(Text.assemble(("NVIDIA GPUs:", "bold"), f" none. {doc['gpu_error']}"))
    if doc.get("gpu_binding_warning"):
        out.append(Text.assemble(("warning:", "yellow"), f" {doc['gpu_binding_warning']}"))
    out.append(_closing_line(guidelines.verdict_summary(guidelines.Machine.from_probe(doc))))
    show(*out)


_WORD = {"fail": ("FAIL", "bold red"), "warn": ("warn", "yellow"), "pass": ("pass", "green"),
         "unknown": ("?", None), "n/a": ("n/a", None)}


def _closing_line(summary: dict):
    """One line: the verdict per guideline profile that applies to this kind of machine, and where to read more.
    A rich Text: the words are styled, never read as markup."""
    parts: list = [("Guidelines", "bold"), f" for {summary['why'].split(':')[0]}: "]
    for i, p in enumerate(summary["profiles"]):
        misses = ", ".join(p["fails"] or p["warns"])
        parts += [("; " if i else "") + f"{p['profile']} ", _WORD[p["verdict"]], f" ({misses})" if misses else ""]
    parts.append(". `rigbench recommend` says why and what to change.")
    return Text.assemble(*parts)


@click.command(name="probe")
@click.option("--json", "as_json", is_flag=True, help="Print the rigbench.probe/1 JSON document on stdout.")
@click.option("--data-dir", type=str, default=None, metavar="PATH",
              help="Also report which filesystem and disk hold PATH (where your datasets live).")
def command(as_json: bool, data_dir: str | None) -> None:
    """What this machine really has: CPU (with its class), cores this process may use, memory and its cgroup
    limit, disks, NVIDIA GPUs, OS and software versions.

    \b
    Examples:
      rigbench probe                        a readable summary
      rigbench probe --data-dir ~/datasets  which disk holds your datasets, and its free space
      rigbench probe --json > probe.json    the full document (schema rigbench.probe/1)

    \b
    "usable" cores are the fewest of: the CPUs, the affinity mask and the
    container's CPU quota. A disk's kind (nvme/ssd/hdd) is sysfs's label;
    a virtual disk that claims to spin is "unknown": 'rigbench bench'
    measures the truth.
    """
    doc = probe(data_dir=data_dir)
    if as_json:
        emit_json(doc)
    else:
        _render(doc)
