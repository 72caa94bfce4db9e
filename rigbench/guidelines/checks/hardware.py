"""The rules on the parts of a machine: RAM, the GPU and its class, the CPU class, cores per GPU and the measured
preprocessing feed, storage, the operating system, a laptop's cloud path and a Mac's external GPU."""

from __future__ import annotations

import re

from rigbench.guidelines.cards import CardSpeed, gpu_speed, gpu_throughput, versus
from rigbench.guidelines.checks.base import (GIB, TB, Check, below, judged, needs_bench, needs_gpu, needs_rerun,
                                             ram_need_bytes)
from rigbench.guidelines.kind import is_mac
from rigbench.guidelines.machine import GpuUnit, Machine
from rigbench.guidelines.profiles import class_name, cpu_class
from rigbench.guidelines.rentals import cheapest_gpu_hour
from rigbench.units import fmt_bytes, fmt_num

_IOPS_BENCH = "rigbench bench --only disk_iops"       # the random-read measurement check_storage_ssd reads
_PREPROCESS_BENCH = "rigbench bench --only preprocess"  # the CPU feed check_preprocess_feed reads


def check_ram_min(rule: dict, m: Machine) -> Check:
    need = ram_need_bytes(m, rule["min_gib"])
    req = f">= {rule['min_gib']} GB"
    if m.ram_bytes is None:
        return judged(rule, "unknown", "-", req, m.unknown.get("ram", "RAM not reported"), rv=rule["min_gib"], unit="GiB")
    tol = rule.get("os_reported_tolerance", 0.0) if m.ram_reported else 0.0
    have = m.ram_bytes / GIB
    ok = m.ram_bytes >= need * (1 - tol)
    # typed in decimal units it is judged in them, and said in them, with the digits that tell 15,999 MB from 16 GB
    # where the byte formatter would round one to the other
    typed = fmt_bytes(m.ram_bytes, binary=False)
    if m.ram_bytes != need and typed == fmt_bytes(need, binary=False):
        typed = f"{m.ram_bytes / 1000**2:,.6g} MB"
    how = " as the OS reports it" if m.ram_reported else (
        f" (typed as {typed} in decimal units: judged in those units)" if m.ram_typed_decimal else "")
    why = (f"{have:.1f} GiB{how}" + (f" (counts as {rule['min_gib']} GB installed: the OS keeps up to {tol:.0%})"
                                     if ok and m.ram_bytes < need else ""))
    short = (f"{fmt_bytes(need - m.ram_bytes, binary=False)} short" if m.ram_typed_decimal
             else f"{rule['min_gib'] - have:.1f} GiB short")
    return judged(rule, "pass" if ok else below(rule), fmt_bytes(m.ram_bytes), req,
                  why if ok else f"{have:.1f} GiB{how}, {short}",
                  round(have, 2), rule["min_gib"], "GiB",
                  None if ok else {"kind": "ram", "gib": rule["min_gib"], "have_gib": have})


def check_nvidia_gpu(rule: dict, m: Machine) -> Check:
    if m.gpus is None:
        return judged(rule, "unknown", "-", ">= 1 NVIDIA GPU", m.unknown.get("gpu", "GPUs not reported"), rv=1, unit="GPUs")
    if m.gpus:
        names = _gpu_summary(m.gpus)
        return judged(rule, "pass", names, ">= 1 NVIDIA GPU", "CUDA-capable: the ML libraries run on it",
                      len(m.gpus), 1, "GPUs")
    if rule.get("change") == "cloud":          # a rented machine: the driver's words are not the point
        why = "a CPU-only machine: training runs on the CPU, hours become weeks; rent one with a GPU"
    else:
        why = "no NVIDIA GPU" + (f": {m.gpu_error}" if m.gpu_error else "") + "; training runs on the CPU, hours become weeks"
    return judged(rule, below(rule), "none", ">= 1 NVIDIA GPU", why, 0, 1, "GPUs", {"kind": rule.get("change", "gpu")})


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
        return judged(rule, "unknown", shown, req, m.unknown.get("cpu", cc.why), rv=target, unit="class")
    measured = f"{shown} = {class_name(cc.value)}"
    if cc.value >= target:
        status = "pass"
    elif cc.value >= floor:
        status = "warn"
    else:
        status = below(rule)
    return judged(rule, status, measured, req, cc.why, cc.value, target, "class",
                  None if status == "pass" else {"kind": "cpu", "class": target})


def disk_total(m: Machine) -> tuple[int | None, str]:
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
    total, how = disk_total(m)
    if total is None:
        return judged(rule, "unknown", "-", req, how, rv=rule["min_tb"], unit="TB")
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
    return judged(rule, "pass" if ok else below(rule), fmt_bytes(total, binary=False), req,
                  why if ok else f"{how}: {have:.4g} TB, {fmt_bytes(need - total, binary=False)} short",
                  round(have, 3), rule["min_tb"], "TB",
                  None if ok else {"kind": "storage", "tb": rule["min_tb"] - have})


def check_storage_ssd(rule: dict, m: Machine) -> Check:
    req = "solid-state (nvme/ssd)"
    iops, not_used = _measured_random_iops(m)
    if not_used:
        return judged(rule, "unknown", "disk_iops INVALID", req, not_used, remedy=needs_rerun(_IOPS_BENCH))
    if iops is not None:
        ok = iops >= rule["solid_state_min_iops"]
        return judged(rule, "pass" if ok else below(rule), f"{fmt_num(iops)} random-read IOPS (measured)",
                      f">= {rule['solid_state_min_iops']:,} IOPS",
                      ("behaves like a solid-state drive" if ok else "random reads as slow as a spinning disk"),
                      iops, rule["solid_state_min_iops"], "IOPS", None if ok else {"kind": "ssd"})
    stopped, run_stopped = _not_reached(m, "disk_iops")
    if not m.disks:
        return judged(rule, "unknown", "-", req, m.unknown.get("disk_kind", "disks not reported") + stopped,
                      stopped=run_stopped)
    disk = next((d for d in m.disks if m.data_disk_mount and d.mount == m.data_disk_mount), None)
    if disk is None:
        disk = max(m.disks, key=lambda d: d.total_bytes or 0)
    kind = (disk.kind or "unknown").lower()
    where = "" if disk.mount == "(spec)" else f" ({disk.mount})"
    if kind in ("nvme", "ssd"):
        return judged(rule, "pass", kind + where, req, "solid-state by its sysfs label" if m.disks_reported else "as specified")
    if kind in ("hdd", "unknown") and disk.note and "unreliable" in disk.note:   # a virtual disk's label
        # the probe's note says what the disk is, then (in probes before rigbench named both disk kernels) that
        # disk_read measures it; this check reads disk_iops, so the why keeps the description and names that one
        return judged(rule, "unknown", ("hdd?" if kind == "hdd" else kind) + where, req,
                      f"{disk.note.split(';')[0]}; its sysfs label is unreliable here: run `{_IOPS_BENCH}` (random "
                      "4 KiB reads), the measurement this check reads" + stopped,
                      stopped=run_stopped, remedy=needs_bench(_IOPS_BENCH))
    if kind == "hdd":
        return judged(rule, below(rule), "hdd" + where, req,
                      "rotational by sysfs (virtual and USB disks often claim this falsely: `rigbench bench --only disk_iops` measures it)"
                      if m.disks_reported else "a spinning disk", change={"kind": "ssd"})
    if "disk_kind" in m.unknown:    # e.g. a spec without disk_kind=: typing it in judges the rule as well
        return judged(rule, "unknown", kind + where, req, m.unknown["disk_kind"] + stopped, stopped=run_stopped)
    return judged(rule, "unknown", kind + where, req, f"the disk's kind is not known; `{_IOPS_BENCH}` measures it"
                  + stopped, stopped=run_stopped, remedy=needs_bench(_IOPS_BENCH))


def _not_reached(m: Machine, kernel: str) -> tuple[str, str | None]:
    """(' (the run was interrupted before KERNEL; ...)', the run's status) where the results file has no record of
    ``kernel`` because its run stopped early; ("", None) otherwise (no results file, a record of it, a complete
    run)."""
    view = m.view
    if view is None or view.all(kernel):
        return "", None
    stopped = view.stopped_before(kernel)
    return (f" ({stopped})", view.stopped) if stopped else ("", None)


def _measured_random_iops(m: Machine) -> tuple[float | None, str | None]:
    """(the best valid random-read IOPS, None), or (None, why a disk_iops figure that ran may not be used)."""
    view = m.view
    if view is None:
        return None, None
    vals = [f.value for f in view.ok("disk_iops")]
    if vals:
        return max(vals), None
    bad = view.invalid("disk_iops")
    if not bad:
        return None, None
    return None, (f"disk_iops measured {fmt_num(max(f.value for f in bad))} IOPS in {m.results_path}, "
                  f"{view.invalid_note(bad)}: not judged from it; rerun `{_IOPS_BENCH}` on a quiet machine")


def _os_shown(m: Machine) -> str:
    name = {"Darwin": "macOS"}.get(m.os_system or "", m.os_system or "-")
    detail = m.os_detail if m.os_detail and m.os_detail.lower() not in (name.lower(), "macos", "windows", "linux",
                                                                       "chromeos") else None
    return name + (f" ({detail})" if detail else "")


def check_os_linux(rule: dict, m: Machine) -> Check:
    req = "Linux"
    if m.os_system is None:
        return judged(rule, "unknown", "-", req, m.unknown.get("os", "operating system not reported"))
    shown = _os_shown(m)
    detail = (m.os_detail or "").lower()
    if m.os_system == "Linux":
        why = "Linux under Windows (WSL): fine for training, deploy targets are Linux too" if "wsl" in detail or "microsoft" in detail \
            else "what servers and the ML stack run on"
        return judged(rule, "pass", shown, req, why)
    if m.os_system == "ChromeOS":
        # ChromeOS runs a Linux kernel and its Linux development environment is a Debian VM: the text's substitute
        # (a Linux VM) built in, and on the text's Chromebook path the training runs on the cloud VMs' Linux.
        return judged(rule, "pass", shown, req, "ChromeOS runs Linux in its built-in Linux development environment "
                                                "(a Debian VM): the text's VM substitute, and the cloud VMs are Linux")
    why = "the text's stopgap: an Ubuntu virtual machine (or WSL on Windows) until Linux is the main OS"
    if m.os_system == "Darwin":
        why += " (its general advice, 'if you're already used to using a Mac you should be fine', holds: a VM covers Linux)"
    return judged(rule, below(rule), shown, req, why, change={"kind": "linux"})


def check_os_packages(rule: dict, m: Machine) -> Check:
    """Less common packages (XGBoost) are trickier to install on Windows; Linux, WSL, macOS and ChromeOS's Linux are not."""
    req = "an OS where the less common packages install (Linux, macOS; WSL on Windows)"
    if m.os_system is None:
        return judged(rule, "unknown", "-", req, m.unknown.get("os", "operating system not reported"))
    shown = _os_shown(m)
    if m.os_system == "Windows":
        return judged(rule, below(rule), shown, req, rule["now"], change={"kind": "linux"})
    why = {"Linux": "Linux builds of every package", "Darwin": "macOS builds of most packages, as the text says",
           "ChromeOS": "ChromeOS runs Linux packages in its Linux development environment"}.get(m.os_system, "")
    return judged(rule, "pass", shown, req, why or f"{m.os_system}: not Windows")


CLOUD_PATH = "cloud path"


def check_cloud_path(rule: dict, m: Machine) -> Check:
    """A laptop with an NVIDIA GPU trains on itself; one without is on the text's cloud path (a terminal to rented
    GPUs), which the text endorses for any laptop: "a $249 Chromebook" and "whatever laptop you have"."""
    req = "an NVIDIA GPU, or cloud time"
    if m.gpus is None:
        return judged(rule, "unknown", "-", req, m.unknown.get("gpu", "GPUs not reported"))
    if m.gpus:
        c = judged(rule, "pass", "trains locally", req, "this laptop has an NVIDIA GPU; the cloud for big jobs")
        c.path = "local"
        return c
    why = ("no NVIDIA GPU: the text's cheap-laptop path, training on rented GPUs (`rigbench cost --rent all "
           "--hours-per-month 40`); the laptop rules for training on it do not apply")
    if m.price_usd is not None and m.price_usd > rule["chromebook_usd"]:
        saved = m.price_usd - rule["chromebook_usd"]
        hour = cheapest_gpu_hour()
        hours = f" = {saved / hour['cheapest_usd_per_hour']:,.0f} hours of {hour['cheapest_instance']}" if hour else ""
        why += (f"; the text's ${rule['chromebook_usd']} Chromebook would leave ${saved:,.0f} more for cloud "
                f"time{hours}")
    c = judged(rule, "pass", f"no GPU: the {CLOUD_PATH}", req, why, m.price_usd, rule["chromebook_usd"], "USD")
    c.path = "cloud"
    return c


def check_gpu_class(rule: dict, m: Machine) -> Check:
    wl = rule["workload"]
    if m.gpus is None:
        return judged(rule, "unknown", "-", f">= {rule['pass_reference']}", m.unknown.get("gpu", "GPUs not reported"))
    if not m.gpus:
        # the guideline asks for a card of this class ("go with an RTX 2070 or RTX 2080 Ti"): none misses it
        return judged(rule, below(rule), "no GPU", f">= {rule['pass_reference']}",
                      f"no GPU; the guideline asks for one at least as fast as {rule['pass_reference']} "
                      f"({rule['warn_reference']} on a budget)", change={"kind": rule.get("change", "gpu")})
    refs = {k: (rule[k], gpu_speed(rule[k], wl)) for k in ("pass_reference", "warn_reference")}
    ref_pass = refs["pass_reference"][1]
    req = (f">= {rule['pass_reference']} ({fmt_num(ref_pass.value)} {ref_pass.unit} {ref_pass.label()}, "
           f"{ref_pass.precision})")
    worst = None   # (rank, value, gpu, why, what the machine has, as shown)
    for g in m.gpus:
        if g.catalog_id is None:
            cand = (0, None, g, f"{g.name} is not in the catalog: the model cannot judge it", g.name)
        else:
            speed = gpu_speed(g.catalog_id, wl)
            rank, against, tie = _gpu_rank(g.catalog_id, speed, refs, wl)
            listed = 3 if g.catalog_id in rule.get("listed_pass", []) else 2 if g.catalog_id in rule.get("listed_warn", []) else 0
            why = (f"{g.name}: {fmt_num(speed.value)} {speed.unit} {speed.label()} ({speed.precision}) vs "
                   + ", ".join(f"{rid} {fmt_num(s.value)} {s.label()} ({s.precision})" for rid, s in refs.values())
                   + "".join(f"; {x}" for x in against))
            if listed > rank:
                why += "; a card the text names" + (" as its budget option" if listed == 2 else "")
            # the figure, what it is (predicted, its band), its precision and a tie: the passing rules' one-line
            # list shows this alone, less a closing parenthesis (rigbench.cli.recommend._bare), so the label and
            # band come before the precision's and the tie after it
            shown = g.name if not speed.value else (
                f"{g.name} {fmt_num(speed.value)} {speed.unit} {speed.label()} ({speed.precision})"
                + (f", {tie}" if tie and listed <= rank else ""))
            cand = (max(rank, listed), speed.value, g, why, shown)
        if worst is None or cand[0] < worst[0] or (cand[0] == worst[0] and (cand[1] or 0) < (worst[1] or 0)):
            worst = cand
    rank, value, g, why, shown = worst
    status = {3: "pass", 2: "warn", 1: below(rule), 0: "unknown"}[rank]
    return judged(rule, status, shown, req, why, value, ref_pass.value, ref_pass.unit,
                  None if status == "pass" else {"kind": rule.get("change", "gpu")})


def _gpu_rank(gpu_id: str, speed: CardSpeed, refs: dict, workload: str) -> tuple[int, list[str], str | None]:
    """(3 at the pass reference, 2 at the warn reference, 1 below both; the clauses that decided it, for ``why``;
    'a tie with REF inside the model's +-X%' where a tie did, else None).

    A card predicted below a reference card counts as at it when the gap is inside the model's band on the ratio of
    the two: ``rigbench compare`` calls such a pair a tie (the faster over the slower, minus 1, within
    :func:`rigbench.guidelines.cards.versus`, on :func:`rigbench.model.pair_uncertainty`), and a
    rule that called it a miss would contradict it. The why then says it is a tie, not clearly at or above the
    bar. A card clearly below (outside the band) keeps the lower rank, and the why gives the band it is outside."""
    said = []
    for rank, key in ((3, "pass_reference"), (2, "warn_reference")):
        rid, _ref = refs[key]
        v = versus(gpu_id, rid, workload)
        if v["at_or_above"]:
            return rank, said, None
        if v["band"] is None:
            continue
        if v["tie"]:
            tie = f"a tie with {rid} inside the model's +-{v['band']:.0%}"
            said.append(f"{rid} is {v['times']:.2f}x as fast: {tie} on that ratio, so not clearly at or above it")
            return rank, said, tie
        said.append(f"{rid} is {v['times']:.2f}x as fast, outside the model's +-{v['band']:.0%} on that ratio")
    return 1, said, None


def check_cores_per_gpu(rule: dict, m: Machine) -> Check:
    lo, hi = rule["fail_below"], rule["pass_at"]
    req = f">= {hi:g} per GPU" if lo == hi else f">= {hi:g} per GPU (floor {lo:g})"
    if m.gpus is None or m.usable_cores is None:
        why = m.unknown.get("cores") if m.usable_cores is None else m.unknown.get("gpu", "GPUs not reported")
        return judged(rule, "unknown", "-", req, why or "cores or GPUs not known", rv=hi, unit="CPUs/GPU")
    if not m.gpus:
        return judged(rule, "unknown", f"{m.usable_cores} CPUs, no GPU", req, "no GPU to feed: judged once there is one",
                      rv=hi, unit="CPUs/GPU", remedy=needs_gpu())
    ratio = m.usable_cores / len(m.gpus)
    status = "pass" if ratio >= hi else "warn" if ratio >= lo else below(rule)
    why = f"{m.usable_cores} usable CPUs for {len(m.gpus)} GPU(s)"
    if status != "pass":
        why += f": {hi:g} per GPU needs {int(hi * len(m.gpus))}"
    elif ratio < 2:
        why += " (inside the text's 1–2; heavy preprocessing wants more: preprocess_feed measures it)"
    shown = f"{ratio:,.0f}" if ratio == int(ratio) else fmt_num(ratio, 2)   # 112, 2, 1.5, 0.25; never 1.1e+02
    return judged(rule, status, f"{shown} CPUs/GPU", req, why, round(ratio, 3), hi, "CPUs/GPU",
                  None if status == "pass" else {"kind": "cores", "cores": int(hi * len(m.gpus))})


def _preprocess_rate(m: Machine) -> tuple[float | None, str, str | None, dict | None]:
    """(images/s of the preprocess benchmark on the most threads it ran with (all usable cores), how it was
    measured, None, None); without one (None, why, the run's status where it stopped before preprocess, the
    remedy)."""
    view = m.view
    if view is None:
        return None, f"needs a results file: run `{_PREPROCESS_BENCH}`", None, needs_bench(_PREPROCESS_BENCH)
    rows = view.ok("preprocess", device="cpu")
    if not rows:
        bad = view.invalid("preprocess", device="cpu")
        if bad:
            return None, (f"preprocess in {m.results_path} is {view.invalid_note(bad)}: not judged from it; rerun "
                          f"`{_PREPROCESS_BENCH}` on a quiet machine"), None, needs_rerun(_PREPROCESS_BENCH)
        stopped = view.stopped_before("preprocess")
        return (None, "no preprocess measurement in " + m.results_path + (f" ({stopped})" if stopped else ""),
                view.stopped if stopped else None, needs_bench(_PREPROCESS_BENCH))
    # the best rate over the thread counts measured: the usable cores can do at least what any subset of them did
    best = max(rows, key=lambda f: f.value)
    threads = best.params.get("threads")
    return best.value, f"preprocess on {threads or '?'} CPU thread(s)", None, None


def check_preprocess_feed(rule: dict, m: Machine) -> Check:
    req = f">= {rule['min_ratio']:g}x what the GPUs consume"
    if not m.gpus:
        if m.gpus == []:
            return judged(rule, "unknown", "-", req, "no GPU to feed", remedy=needs_gpu())
        return judged(rule, "unknown", "-", req, m.unknown.get("gpu", "GPUs not reported"))
    rate, how, stopped, remedy = _preprocess_rate(m)
    if rate is None:
        return judged(rule, "unknown", "-", req, how, stopped=stopped, remedy=remedy)
    per_gpu = [gpu_throughput(g.catalog_id, rule["workload"], rule["precision"]) if g.catalog_id else None
               for g in m.gpus]
    if any(p is None for p in per_gpu):
        return judged(rule, "unknown", f"{fmt_num(rate)} images/s", req, "a GPU is not in the catalog: its appetite is unknown")
    demand = sum(p[0] for p in per_gpu)
    ratio = rate / demand
    status = "pass" if ratio >= rule["min_ratio"] else below(rule)
    why = (f"{how}: {fmt_num(rate)} images/s; {len(m.gpus)} GPU(s) train {fmt_num(demand)} images/s "
           f"({rule['workload']}, {rule['precision']}, predicted)")
    return judged(rule, status, f"{fmt_num(rate)} images/s ({ratio:.2f}x)", req, why, round(ratio, 3), rule["min_ratio"],
                  "x", None if status == "pass" else {"kind": "cores"})


def check_ram_vs_gpu(rule: dict, m: Machine) -> Check:
    if m.gpus is None:
        return judged(rule, "unknown", "-", ">= largest GPU memory", m.unknown.get("gpu", "GPUs not reported"))
    if not m.gpus:
        return judged(rule, "unknown", fmt_bytes(m.ram_bytes), ">= largest GPU memory", "no GPU: nothing to match",
                      remedy=needs_gpu())
    mems = [g.memory_bytes for g in m.gpus if g.memory_bytes]
    if not mems:
        return judged(rule, "unknown", fmt_bytes(m.ram_bytes), ">= largest GPU memory", "GPU memory not known")
    need = max(mems)
    req = f">= {fmt_bytes(need)} (largest GPU)"
    if m.ram_bytes is None:
        return judged(rule, "unknown", "-", req, m.unknown.get("ram", "RAM not reported"), rv=need / GIB, unit="GiB")
    tol = rule.get("os_reported_tolerance", 0.0) if m.ram_reported else 0.0
    ok = m.ram_bytes >= ram_need_bytes(m, need / GIB) * (1 - tol)
    why = f"{m.ram_bytes / GIB:.1f} GiB RAM vs {need / GIB:.1f} GiB on the largest GPU"
    return judged(rule, "pass" if ok else below(rule), fmt_bytes(m.ram_bytes), req,
                  why if ok else why + f": {(need - m.ram_bytes) / GIB:.1f} GiB short",
                  round(m.ram_bytes / GIB, 2), round(need / GIB, 2), "GiB",
                  None if ok else {"kind": "ram", "gib": need / GIB, "have_gib": m.ram_bytes / GIB})


def check_mac_egpu(rule: dict, m: Machine) -> Check:
    """"if you insist on using a Mac, ... an external GPU": where that route still works."""
    req = "an external NVIDIA GPU the Mac can drive, or the cloud"
    if m.unprobed:
        return judged(rule, "unknown", "-", req, m.unprobed)
    if not is_mac(m):
        return judged(rule, "n/a", "not a Mac", req, "applies to a Mac only")
    apple = bool(m.cpu_brand and re.match(r"\s*apple", m.cpu_brand, re.I)) or (m.cpu_brand is None and m.os_system == "Darwin")
    why = rule["apple_silicon"] if apple else rule["intel_mac"]
    return judged(rule, below(rule), "Apple Silicon Mac" if apple else "Intel Mac", req, why, change={"kind": "cloud"})


