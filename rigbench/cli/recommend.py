"""`rigbench recommend`: check a machine, a results file, a planned build or a cloud instance against the guidelines."""

from __future__ import annotations

import click

from rigbench.errors import CheckFailed

_MARK = {"pass": "[green]pass[/]", "warn": "[yellow]warn[/]", "fail": "[red]FAIL[/]", "unknown": "[dim]?[/]"}
_ORDER = {"fail": 0, "warn": 1, "unknown": 2, "pass": 3}


@click.command(name="recommend")
@click.argument("results", required=False, type=click.Path(dir_okay=False))
@click.option("--spec", metavar="KEY=VALUE,...", help="A machine not yet bought, or price=USD for this one (see below).")
@click.option("--instance", metavar="PROVIDER:NAME", help="A cloud instance of the price list, e.g. aws:p3.2xlarge.")
@click.option("--profile", "profile_choice", default="all", show_default=True,
              type=click.Choice(["laptop", "desktop", "diy", "cloud", "all"]), help="Which guidelines to check.")
@click.option("--budget", metavar="USD", help="Suggest only GPUs whose launch price fits, e.g. 1500.")
@click.option("--results-dir", default="results", show_default=True, type=click.Path(file_okay=False),
              help="Where to look for the newest results file when no RESULTS is given.")
@click.option("--strict", is_flag=True, help="Exit 1 if any rule fails.")
@click.option("--json", "as_json", is_flag=True, help="One rigbench.recommend/1 JSON document on stdout.")
def command(results, spec, instance, profile_choice, budget, results_dir, strict, as_json):
    """Check a machine against the brief's laptop, desktop, DIY and cloud guidelines.

    Each rule quotes its guideline and says pass, warn, FAIL or ? (cannot be
    checked here, with why); then what to change, cheapest first.

    \b
    With no argument it probes this machine and uses the newest results file
    in ./results/ (from `rigbench bench`) for the cooling and preprocessing
    checks. With RESULTS.json it judges the machine measured there.

    \b
    Examples:
      rigbench recommend
      rigbench recommend results/myhost-20250101T120000Z.json --profile desktop
      rigbench recommend --spec 'ram=32GB,gpu=2x rtx-2080-ti,cpu="Intel Core i7-9700K",cores=8,disk=4TB,disk_kind=ssd,os=linux'
      rigbench recommend --spec price=2500 --profile desktop    (this machine, at that price)
      rigbench recommend --instance aws:p3.2xlarge --profile cloud
      rigbench recommend --budget 1500 --strict --json

    \b
    --spec keys: ram (32GB), gpu (rtx-2080-ti, 2x rtx-2080-ti, a+b, none),
    cpu ("Intel Core i7-9700K"), cores (logical CPUs), disk (4TB, 1TB+2TB),
    disk_kind (nvme|ssd|hdd), os (linux|windows|macos|chromeos|wsl),
    price (USD), instance (aws:p3.2xlarge). A spec with only price= applies
    to this machine (or RESULTS) instead of describing another.
    """
    from rigbench import guidelines, report
    from rigbench.units import parse_usd

    budget_usd = parse_usd(budget) if budget is not None else None
    machine, notes = guidelines.load_machine(results, spec, instance, results_dir)
    doc = guidelines.recommend(machine, profile_choice, budget_usd)
    doc["notes"] = notes
    if as_json:
        report.emit_json(doc)
    else:
        _render(doc)
    failed = [c["id"] for p in doc["profiles"] for c in p["checks"] if c["status"] == "fail"]
    if strict and failed:
        raise CheckFailed(f"{len(failed)} rule(s) failed: {', '.join(failed)}")


def _render(doc: dict) -> None:
    from rich.text import Text

    from rigbench import report

    out = []
    m = doc["machine"]
    out.append(Text.from_markup(f"[bold]{m['label']}[/] — " + "; ".join(doc["notes"])))
    desktop = next((p for p in doc["profiles"] if p["profile"] == "desktop"), None)
    for p in doc["profiles"]:
        checks = sorted(p["checks"], key=lambda c: _ORDER[c["status"]])
        counts = ", ".join(f"{n} {s}" for s, n in p["counts"].items() if n)
        title = f"[bold]{p['profile']}[/]: {p['title']} — verdict {_MARK[p['verdict']]} ({counts})"
        own = [c for c in checks if c["id"] not in p["inherited"]]
        hidden = len(checks) - len(own) if desktop is not None else 0
        if hidden:
            checks = own
        skipped = [c for c in checks if c["optional"] and c["status"] == "unknown"]
        no_gpu = [c for c in checks if c["status"] == "unknown" and c["why"].startswith("no GPU")]
        checks = [c for c in checks if c not in skipped and c not in no_gpu]
        notes = []
        if hidden:
            notes.append(f"+ {hidden} rules as for desktop (--json lists them as {p['profile']}.*)")
        if skipped:
            notes.append("not judged: " + "; ".join(f"{c['id']} ({c['why']})" for c in skipped))
        if p["not_checkable"]:
            notes.append(f"not checkable by software: {', '.join(r['id'].split('.', 1)[1] for r in p['not_checkable'])}"
                         " (why: --json)")
        if not checks and not no_gpu:
            out.append(Text.from_markup(title + "\n  " + _esc("; ".join(notes))))
            continue
        rows = []
        for c in checks:
            text = f"“{_esc(c['short'])}”"
            if c["status"] != "pass":
                text += f"\n[dim]  {_esc(c['why'])}[/]"
            rows.append((_MARK[c["status"]], c["id"], text, _esc(c["measured"]), _esc(c["required"])))
        if no_gpu:
            names = ", ".join(c["id"].split(".", 1)[1] for c in no_gpu)
            rows.append((_MARK["unknown"], f"{len(no_gpu)} rules", f"need a GPU to judge: {names}", "", ""))
        t = report.table(title, ["", "rule", "guideline (and why, when not pass)", "measured", "required"], rows,
                         caption="\n".join(_esc(n) for n in notes) or None,
                         justify=["left", "left", "left", "right", "right"])
        for col, width in zip(t.columns, (4, 25, 41, 20, 20)):
            col.no_wrap, col.overflow, col.max_width = True, "ellipsis", width
        t.columns[0].min_width = 4
        t.show_edge, t.padding = False, (0, 1)
        out.append(t)
    if doc["suggestions"]:
        rows = []
        for s in doc["suggestions"]:
            cost = "?" if s["cost_usd"] is None else f"${s['cost_usd']:,.0f}"
            change = s["change"]
            if s.get("cheapest_instance"):
                change += f" (cheapest: {s['cheapest_instance']}, {s['cheapest_gpu']}, ${s['cheapest_usd_per_hour']:.3f}/h)"
            rows.append((cost, _esc(change), ", ".join(sorted({r.split('.', 1)[1] for r in s["rules"]}))))
        t = report.table("What to change, cheapest first", ["cost", "change", "rules"], rows,
                         justify=["right", "left", "left"],
                         caption="sources of the costs: profiles/desktop.toml \\[parts_prices], GPU launch prices in "
                                 "profiles/gpus.csv; ? = no cited price")
        for col, width in zip(t.columns, (7, 90, 22)):
            col.no_wrap, col.overflow, col.max_width = True, "ellipsis", width
        t.show_edge, t.padding = False, (0, 1)
        out.append(t)
        gpu = next((s for s in doc["suggestions"] if s["kind"] == "gpu" and s.get("options")), None)
        if gpu:
            budget = f" within ${doc['budget_usd']:,.0f}" if doc.get("budget_usd") is not None else ""
            rows = [(o["name"], f"${o['launch_price_usd']:,.0f}", f"{o['memory_gb']:g} GB",
                     f"{o['throughput']:,.0f} {o['unit']} ({o['precision']})", f"{o['throughput_per_kusd']:,.0f}")
                    for o in gpu["options"][:3]]
            t = report.table(f"GPUs at least as fast as the RTX 2070{budget}, most ResNet-50 images/s per launch dollar",
                             ["card", "launch price", "memory", "predicted", "per $1k"], rows)
            t.show_edge, t.padding = False, (0, 1)
            out.append(t)
    prov = doc.get("providers")
    if prov and prov.get("claims"):
        lines = [f"[bold]Clouds[/] (price list {prov.get('price_list_date') or 'not available'}):"]
        for c in prov["claims"]:
            lines.append(f"  {c['provider']}: the brief says {c['for']} — {c.get('measured', '-')} → {c['verdict']}")
        out.append(Text.from_markup("\n".join(lines)))
    report.show(*out)


def _esc(text) -> str:
    from rich.markup import escape

    return escape(str(text))
