"""What to change so a machine meets the guidelines: each failed or warned rule's change, made to fit what the
machine can take (:func:`fit_change`), merged across profiles, costed where a price is known, cheapest first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from rigbench import catalog
from rigbench.guidelines.cards import bar_card_name, gpu_throughput, reaches_bar
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
    """Every catalog card with a launch price whose predicted throughput reaches the desktop rule's pass reference
    (a tie inside the model's band counts, as the rule counts it)."""
    rule = gpu_bar_rule()
    rows = []
    for g in catalog.load_catalog():
        if not g.launch_price_usd:
            continue
        value, unit, prec = gpu_throughput(g.id, rule["workload"])
        if not reaches_bar(g.id) or (budget_usd is not None and g.launch_price_usd > budget_usd):
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
    if kind == "cpu" and (mk.kind == "laptop" or (mk.kind == "planned" and mk.profiles == ["laptop"])):
        # a planned laptop too: its CPU is chosen with the laptop, not put on a new board
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
        s = {"kind": k, "rules": sorted(set(e["rules"])), "cost_usd": None, "cost_source": None}
        s.update(_CHANGES[k](_Ask(e["change"], m, mk, budget_usd, prices)))
        if mk.container and k in ("gpu", "ram", "storage", "ssd", "cpu", "cores", "psu", "lanes", "gpu_fit"):
            s["change"] += f" (for the host: a {mk.container} container takes no parts itself)"
        out.append(s)
    out.sort(key=lambda s: (s["cost_usd"] is None, s["cost_usd"] or 0.0))
    return out


# ------------------------------------------------------------------------------------------- one change, for a person


@dataclass
class _Ask:
    """What a change is written from: the merged change, the machine, its kind, the budget and the parts' prices."""

    change: dict
    machine: Machine
    kind: MachineKind
    budget_usd: float | None
    prices: dict


def _ram(a: _Ask) -> dict:
    add = max(8, -(-(a.change["gib"] - a.change["have_gib"]) // 8) * 8)
    text = f"add {add:.0f} GB of RAM (to at least {a.change['gib']:.0f} GB; the cheapest RAM will do)"
    if a.kind.kind == "laptop":
        text += ", if the laptop has a free memory slot (many have it soldered)"
    return {"change": text, "cost_usd": round(add * a.prices["ram_usd_per_gib"], 2),
            "cost_source": a.prices["ram_source"]}


def _storage(a: _Ask) -> dict:
    tb = max(1, -(-a.change["tb"] // 1))
    return {"change": f"add a {tb:.0f} TB solid-state drive", "cost_usd": round(tb * a.prices["ssd_usd_per_tb"], 2),
            "cost_source": a.prices["ssd_source"]}


def _ssd(a: _Ask) -> dict:
    total, _ = disk_total(a.machine)
    tb = max(1, -(-(total or TB) // TB))
    return {"change": f"move the datasets to a {tb:.0f} TB SSD", "cost_usd": round(tb * a.prices["ssd_usd_per_tb"], 2),
            "cost_source": a.prices["ssd_source"]}


def _linux(a: _Ask) -> dict:
    return {"change": "install Linux (Ubuntu), or run it in a VM / WSL meanwhile",
            "cost_usd": float(a.prices["linux_usd"]), "cost_source": a.prices["linux_source"]}


def _cloud(a: _Ask) -> dict:
    has_gpu = bool(a.machine.gpus) and a.kind.kind in ("cloud-vm", "instance")
    text = (f"rent an instance whose GPU reaches the {bar_card_name()} bar" if has_gpu else "train on rented GPUs") \
        + ": `rigbench cost --rent all --hours-per-month 40` ranks the instances"
    return {"change": text, "cost_usd": 0.0, "cost_source": "no upfront cost; pay per GPU-hour", **cheapest_gpu_hour()}


def _instance(a: _Ask) -> dict:
    return {"change": f"rent the same GPU cheaper: {a.change['to']}", "cost_usd": 0.0,
            "cost_source": "saves money per hour"}


def _gpu(a: _Ask) -> dict:
    opts, note = gpu_options(a.budget_usd)
    if not opts:
        return {"options": opts, "change": f"a GPU at least as fast as the {bar_card_name()}, or inside the model's "
                                           f"error of it ({note})"}
    cheapest = cheapest_gpu_option(opts)
    return {"options": opts,
            "change": (f"a GPU at least as fast as the {bar_card_name()}, or inside the model's error of it; best "
                       f"throughput per dollar: {opts[0]['name']} "
                       f"(${opts[0]['launch_price_usd']:,.0f}); cheapest: {cheapest['name']} "
                       f"(${cheapest['launch_price_usd']:,.0f})"),
            "cost_usd": float(cheapest["launch_price_usd"]),
            "cost_source": "launch prices from the GPU catalog (profiles/gpus.csv), not today's street prices"}


def _cooling(a: _Ask) -> dict:
    if a.kind.kind == "laptop":
        return {"change": "keep it on a hard surface, raised for airflow, on mains power, then `rigbench bench` again"}
    return {"change": "improve cooling (case airflow, fan curve, a blower card in multi-GPU builds), then "
                      "`rigbench bench` again"}


def _text(make) -> Callable[[_Ask], dict]:
    """A change with no cost to estimate: only its sentence."""
    return lambda a: {"change": make(a.change)}


# Each change kind a rule or fit_change can give, and how it is written.
_CHANGES: dict[str, Callable[[_Ask], dict]] = {
    "ram": _ram, "storage": _storage, "ssd": _ssd, "linux": _linux, "cloud": _cloud, "instance": _instance,
    "gpu": _gpu, "cooling": _cooling,
    "cpu": _text(lambda ch: f"a CPU of {class_name(ch.get('class'))} or above (usually a new board too)"),
    "cores": _text(lambda ch: f"more CPU cores: {ch['cores']} for these GPUs" if "cores" in ch
                   else "more CPU cores for preprocessing (or fewer GPUs per machine)"),
    "bigger_instance": _text(lambda ch: "a VM size with more vCPUs and RAM (parts cannot be added to a rented machine)"),
    "volume": _text(lambda ch: "attach a larger SSD volume for the datasets (a rented machine takes no disks)"),
    "vm_share": _text(lambda ch: "give the VM more of its host's cores, RAM or disk (or judge the host itself)"),
    "mac_memory": _text(lambda ch: f"a Mac with at least {ch['gib']:.0f} GB of memory (Apple Silicon's memory is in the "
                        "chip's package: none can be added), or the cloud path"),
    "other_laptop": _text(lambda ch: f"a laptop with a CPU of {class_name(ch.get('class'))} or above (a laptop's CPU "
                          "is soldered), or the cloud path"),
    "psu": _text(lambda ch: f"a power supply of at least {ch['watts']:,.0f} W"),
    "lanes": _text(lambda ch: ch["text"]),
    "gpu_fit": _text(lambda ch: ch["text"]),
}
