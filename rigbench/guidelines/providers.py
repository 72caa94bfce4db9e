"""What the text says each cloud provider is for ("Azure is usually the cheapest" ...), checked against the price
list where a price list can check it."""

from __future__ import annotations

from typing import Any

from rigbench.prices.cloud import Instance
from rigbench.guidelines.profiles import load_profile
from rigbench.guidelines.rentals import per_gpu_hour, price_list, price_source


def provider_notes() -> dict:
    """What the text says each cloud is for, checked against the current price list where it can be."""
    claims = load_profile("cloud").extra.get("providers", [])
    rows, date = price_list()
    out = []
    for c in claims:
        note = dict(c)
        if c["check"] == "cheapest_per_gpu_hour":
            note.update(_cheapest_claim(c, rows))
        else:
            note["measured"] = c.get("why") or "not in the price list (TPUs are not GPUs)"
            note["verdict"] = "unknown"
        out.append(note)
    return {"price_list_date": date, "price_list_source": price_source(), "claims": out}


def _per_gpu_prices(rows: list[Instance], providers: set[str] | None, spot: bool) -> dict[str, dict[str, float]]:
    """{gpu_id: {provider: lowest USD per GPU-hour}} over the providers named (all when None)."""
    by_gpu: dict[str, dict[str, float]] = {}
    for r in rows:
        if providers is not None and r.provider not in providers:
            continue
        p = per_gpu_hour(r, spot)
        if p is None:
            continue
        cur = by_gpu.setdefault(r.gpu_id, {})
        cur[r.provider] = min(cur.get(r.provider, p), p)
    return by_gpu


def _cheapest_claim(claim: dict, rows: list[Instance]) -> dict:
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


