"""What to change so a machine meets the guidelines: each failed or warned rule's change, made to fit what the
machine can take (:func:`fit_change`), merged across profiles, costed where a price is known, cheapest first."""

from __future__ import annotations

from rigbench import catalog
from rigbench.guidelines.cards import bar_card_name, gpu_throughput
from rigbench.guidelines.checks.base import TB
from rigbench.guidelines.checks.hardware import disk_total
from rigbench.guidelines.kind import MachineKind, machine_kind
from rigbench.guidelines.machine import Machine
from rigbench.guidelines.profiles import class_name, gpu_bar_rule, parts_prices
from rigbench.guidelines.rentals import cheapest_gpu_hour
from rigbench.guidelines.verdicts import ProfileVerdict


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
    rule = gpu_bar_rule()
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
    prices = parts_prices()
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
            total, _ = disk_total(m)
            tb = max(1, -(-(total or TB) // TB))
            s["change"] = f"move the datasets to a {tb:.0f} TB SSD"
            s["cost_usd"] = round(tb * prices["ssd_usd_per_tb"], 2)
            s["cost_source"] = prices["ssd_source"]
        elif k == "linux":
            s["change"] = "install Linux (Ubuntu), or run it in a VM / WSL meanwhile"
            s["cost_usd"], s["cost_source"] = float(prices["linux_usd"]), prices["linux_source"]
        elif k == "cloud":
            has_gpu = bool(m.gpus) and mk.kind in ("cloud-vm", "instance")
            s["change"] = (f"rent an instance whose GPU reaches the {bar_card_name()} bar" if has_gpu else "train on rented GPUs") \
                + ": `rigbench cost --rent all --hours-per-month 40` ranks the instances"
            s["cost_usd"], s["cost_source"] = 0.0, "no upfront cost; pay per GPU-hour"
            s.update(cheapest_gpu_hour())
        elif k == "instance":
            s["change"] = f"rent the same GPU cheaper: {ch['to']}"
            s["cost_usd"], s["cost_source"] = 0.0, "saves money per hour"
        elif k == "gpu":
            opts, note = gpu_options(budget_usd)
            s["options"] = opts
            if opts:
                cheapest = cheapest_gpu_option(opts)
                s["change"] = (f"a GPU at least as fast as the {bar_card_name()}; best throughput per dollar: {opts[0]['name']} "
                               f"(${opts[0]['launch_price_usd']:,.0f}); cheapest: {cheapest['name']} "
                               f"(${cheapest['launch_price_usd']:,.0f})")
                s["cost_usd"] = float(cheapest["launch_price_usd"])
                s["cost_source"] = "launch prices from the GPU catalog (profiles/gpus.csv), not today's street prices"
            else:
                s["change"] = f"a GPU at least as fast as the {bar_card_name()} ({note})"
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


