"""`rigbench recommend`: check a machine, a results file, a planned build or a cloud instance against the guidelines."""

from __future__ import annotations

import textwrap

import click
from rich.text import Text

from rigbench import guidelines, report
from rigbench import results as results_mod
from rigbench.errors import CheckFailed

_WORD = {"pass": "pass", "warn": "warn", "fail": "FAIL", "unknown": "?", "n/a": "n/a"}
_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red", "unknown": "dim", "n/a": "dim"}
_ORDER = {"fail": 0, "warn": 1, "unknown": 2, "pass": 3, "n/a": 4}
_MAX_WIDTH = 100          # one screen: lines wrap at 100 columns even on a wider terminal


@click.command(name="recommend")
@click.argument("results", required=False, type=click.Path(dir_okay=False))
@click.option("--spec", metavar="KEY=VALUE,...", help="A machine not yet bought, or price=USD for this one (see below).")
@click.option("--instance", metavar="PROVIDER:NAME", help="A cloud instance of the price list, e.g. aws:p3.2xlarge.")
@click.option("--profile", "profile_choice", default="auto", show_default=True,
              type=click.Choice(["auto", "laptop", "desktop", "diy", "cloud", "all"]),
              help="Which guidelines to check: auto picks those that apply to the machine's kind (laptop, desktop, "
                   "cloud VM, container, Mac, planned build) and says why.")
@click.option("--budget", metavar="USD", help="Suggest only GPUs whose launch price fits, e.g. 1500.")
@click.option("--results-dir", default=None,
              help="Where to look for the newest results file when no RESULTS is given (default: the per-user "
                   "data folder `rigbench bench` writes to, then ./results).")
@click.option("-v", "--verbose", is_flag=True, help="Every rule with its quoted guideline and why, and the guidelines "
              "software cannot check.")
@click.option("--strict", is_flag=True, help="Exit 1 if any rule fails.")
@click.option("--json", "as_json", is_flag=True, help="One rigbench.recommend/2 JSON document on stdout.")
def command(results, spec, instance, profile_choice, budget, results_dir, verbose, strict, as_json):
    """Check a machine against the laptop, desktop, DIY and cloud guidelines of
    "Lessons from becoming a ML Engineer in 12 months" (Part 4, hackernoon 2019).

    It first says what the machine is (a laptop, a desktop, a cloud or local
    VM, a container, a Mac, a planned build, a rented instance) and judges it
    by the guidelines that apply to that kind; --profile overrides. One
    screen: a verdict per profile, each failing or warning rule with measured
    vs required and why, passes, unknowns and rules that do not apply (n/a)
    collapsed, then what to change, cheapest first, only changes this kind of
    machine can take (a cloud VM rents a GPU, it is not told to buy one).
    --verbose lists every rule with the guideline it quotes.

    \b
    With no argument it probes this machine and uses the newest results file
    of `rigbench bench` (from any folder you run it in) for the cooling and
    preprocessing checks. With RESULTS.json it judges the machine measured there
    (a `rigbench probe --json` file works too: the machine without measurements).

    \b
    Examples:
      rigbench recommend
      rigbench recommend -v                 (every rule, quoting the guideline)
      rigbench recommend results/myhost-20250101T120000Z.json --profile desktop
      rigbench recommend --spec 'ram=32GB,gpu=2x rtx-2080-ti,cpu="Intel Core i7-9700K",cores=8,disk=4TB,disk_kind=ssd,os=linux'
      rigbench recommend --spec price=2500 --profile desktop    (this machine, at that price)
      rigbench recommend --spec 'cpu="Celeron N4020",ram=4GB,disk=64GB,gpu=none,os=chromeos,price=249'
      rigbench recommend --spec 'gpu=4x rtx-2080-ti,cpu=i7-9700K,cores=8,ram=64GB,disk=4TB,psu=1200W'
      rigbench recommend --profile all      (every profile, whatever the machine is)
      rigbench recommend --instance aws:p3.2xlarge --profile cloud
      rigbench recommend --budget 1500 --strict --json

    \b
    --spec keys: ram (32GB; 16000MB is decimal), gpu (rtx-2080-ti,
    2x rtx-2080-ti, a+b, none), cpu (i7-9700K, "Intel Core i7-9700K"),
    cores (logical CPUs), disk (4TB, 931GiB, 1TB+2TB), disk_kind
    (nvme|ssd|hdd), os (linux|windows|macos|chromeos|wsl), price ($2,500),
    ready_made (USD, the same machine bought ready-made), psu (1200W),
    gpu_cooling (blower|open-air|water), kind (laptop|desktop|diy|cloud),
    instance (aws:p3.2xlarge). A spec with only price= applies to this
    machine (or RESULTS) instead of describing another.
    """
    doc = guidelines.recommendation(results, spec, instance, profile_choice, budget, results_dir)
    if as_json:
        report.emit_json(doc)
    else:
        _render(doc, verbose)
    failed = [c["id"] for p in doc["profiles"] for c in p["checks"] if c["status"] == "fail"]
    if strict and failed:
        raise CheckFailed(f"{len(failed)} rule(s) failed: {', '.join(failed)}")



# ------------------------------------------------------------------------------------------------------------ rendering
# Plain lines wrapped here rather than rich tables: nothing is cut with "…", and no line is wider than the screen.


class _Lines:
    """Text lines no wider than ``width``; continuation lines indented; a styled head (the status word)."""

    def __init__(self, width: int):
        self.width, self.items = width, []

    def add(self, body: str, *, head: str = "", indent: int | None = None, style: str = "",
            head_style: tuple[int, int, str] | None = None) -> None:
        indent = len(head) if indent is None else indent
        lines = textwrap.wrap(body, self.width, initial_indent=head, subsequent_indent=" " * indent,
                              break_long_words=False, break_on_hyphens=False) or [head.rstrip()]
        for n, line in enumerate(lines):
            t = Text(line, style=style)
            if n == 0 and head_style:
                t.stylize(head_style[2], head_style[0], head_style[1])
            self.items.append(t)

    def status(self, status: str, label: str, body: str, label_width: int = 0) -> None:
        head = f"  {_WORD[status]:<4} " + (f"{label:<{label_width}}  " if label else "")
        self.add(body, head=head, indent=7, head_style=(2, 2 + len(_WORD[status]), _STYLE[status]))

    def title(self, text: str, status: str | None = None, rest: str = "") -> None:
        """A bold title, then (optionally) a coloured verdict word and plain text after it."""
        body = text + (f" {_WORD[status]}" if status else "") + rest
        before = len(self.items)
        self.add(body, indent=2)
        first: Text = self.items[before]
        first.stylize("bold", 0, min(len(text), len(first)))
        if status and len(first) >= len(text) + 1 + len(_WORD[status]):
            first.stylize(_STYLE[status], len(text) + 1, len(text) + 1 + len(_WORD[status]))

    def blank(self) -> None:
        self.items.append(Text(""))


def _short(rule_id: str) -> str:
    return rule_id.split(".", 1)[1]


def _bare(measured: str) -> str:
    """A measured value without its trailing parenthesis: 'Linux (Debian GNU/Linux 12 ...)' -> 'Linux'."""
    text = str(measured)
    if text.endswith(")") and " (" in text:
        return text[:text.index(" (")]
    return text


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items() if n)


def _unknown_action(check: dict) -> str:
    """The one thing to do about an unknown rule, so that unknowns with the same remedy share a line: read from the
    check's ``stopped`` and ``remedy`` fields; its ``why`` is shown as it is where it has neither."""
    if check.get("stopped"):     # the results file's run stopped before what the rule reads
        return f"the run {results_mod.stopped_verb(check['stopped'])} before measuring it: run `rigbench bench` again"
    remedy = check.get("remedy") or {}
    code = remedy.get("code")
    if code == guidelines.NEEDS_GPU:
        return "need a GPU to judge"
    if code == guidelines.NEEDS_RERUN:   # measured, but the figure may not be used: another run, not a first, helps
        return f"measured but INVALID: rerun `{remedy['command']}` on a quiet machine"
    if code == guidelines.NEEDS_BENCH:
        return "need measurements: run `rigbench bench`"
    return check["why"]


def _visible(p: dict, desktop_shown: bool) -> tuple[list[dict], int]:
    """The checks a profile shows itself (DIY hides the rules it inherits when desktop is shown) and how many hid."""
    checks = sorted(p["checks"], key=lambda c: _ORDER[c["status"]])
    if not desktop_shown or not p["inherited"]:
        return checks, 0
    own = [c for c in checks if c["id"] not in p["inherited"]]
    return own, len(checks) - len(own)


def _render(doc: dict, verbose: bool = False) -> None:
    width = min(report.console().width, _MAX_WIDTH)
    report.show(*render_lines(doc, verbose, width))


def render_lines(doc: dict, verbose: bool = False, width: int = _MAX_WIDTH) -> list:
    """The terminal output as rich Text lines, none wider than ``width``."""
    out = _Lines(width)
    m = doc["machine"]
    notes = "; ".join(doc["notes"])
    if m["label"].split()[-1] in notes:      # "results file X" and "judging the machine measured in X": X once
        out.add(notes[:1].upper() + notes[1:], indent=2)
    else:
        out.title(f"{m['label']}:", rest=" " + notes)
    kind = doc.get("kind")
    if kind:
        chosen = ", ".join(p["profile"] for p in doc["profiles"])
        how = (kind["chosen_by"] if kind["chosen_by"] != "the machine's kind" else
               "every profile" if kind["kind"] == "unknown" else "--profile all for every one")
        out.add(f"{kind['why']}: {chosen} ({how})", head="Judged as: ", indent=2, head_style=(0, 10, "bold"))
    profiles = doc["profiles"]
    desktop_shown = any(p["profile"] == "desktop" for p in profiles)
    _summary(out, profiles, desktop_shown)
    seen_why: dict[str, str] = {}
    if len(profiles) > 1:
        out.blank()
    for p in profiles:
        if verbose and p is not profiles[0]:
            out.blank()
        (_profile_verbose if verbose else _profile_compact)(out, p, desktop_shown, seen_why)
    if not verbose:
        _left_out(out, profiles)
    _suggestions(out, doc, verbose)
    _providers(out, doc.get("providers"), verbose)
    for w in doc.get("warnings") or []:
        out.add(w, head="WARNING: ", indent=2)
    return out.items


def _summary(out: _Lines, profiles: list[dict], desktop_shown: bool) -> None:
    """One line per profile: its verdict, the rules it misses, warns on and meets."""
    if len(profiles) < 2:
        return
    w = max(len(p["profile"]) for p in profiles)
    for p in profiles:
        checks, hidden = _visible(p, desktop_shown)
        parts = []
        for status, word in (("fail", "misses"), ("warn", "warns"), ("pass", "meets")):
            names = [_short(c["id"]) for c in checks if c["status"] == status]
            if names:
                parts.append(f"{word} {', '.join(names)}")
        counts = guidelines.counts_of(checks)     # the same counts as the profile's heading (its own rules for DIY)
        if counts["unknown"]:
            parts.append(f"{counts['unknown']} unknown")
        if counts["not_judged"]:
            parts.append(f"{counts['not_judged']} not judged")
        if hidden:
            parts.insert(0, "as desktop")
        head = f"  {p['profile']:<{w}}  {_WORD[p['verdict']]:<4}  "
        out.add("; ".join(parts) or "no rules", head=head, indent=len(head),
                head_style=(w + 4, w + 4 + len(_WORD[p["verdict"]]), _STYLE[p["verdict"]]))


def _profile_compact(out: _Lines, p: dict, desktop_shown: bool, seen_why: dict[str, str]) -> None:
    checks, hidden = _visible(p, desktop_shown)
    shown = [c for c in checks if guidelines.category(c) != "not_judged"]
    if hidden and not shown:
        return                    # the summary line says "as desktop"; its optional rules go under "Not judged"
    rest = f": {hidden} rules and results as desktop" if hidden else f" ({_counts(p['counts'])})"
    out.title(f"{p['profile']}: {p['title']} —", p["verdict"], rest)
    bad = [c for c in checks if c["status"] in ("fail", "warn")]
    width = max((len(c["id"]) for c in bad), default=0)
    for c in bad:
        body = f"{c['measured']}, needs {c['required']}"
        if c["why"] in seen_why:
            body += f" (as {seen_why[c['why']]})"
        else:
            body += f" — {c['why']}"
            seen_why[c["why"]] = c["id"]
        out.status(c["status"], c["id"], body, width)
    groups: dict[str, list[str]] = {}
    for c in checks:
        if guidelines.category(c) == "unknown":
            groups.setdefault(_unknown_action(c), []).append(_short(c["id"]))
    for action, names in groups.items():
        out.status("unknown", "", f"{', '.join(names)}: {action}")
    passed = [f"{_short(c['id'])} {_bare(c['measured'])}" for c in checks if c["status"] == "pass"]
    if passed:
        out.status("pass", "", ", ".join(passed))
    na: dict[str, list[str]] = {}
    for c in checks:
        if c["status"] == "n/a" and c.get("path") == "cloud":   # other n/a rules: --verbose
            na.setdefault(_na_reason(c["why"]), []).append(_short(c["id"]))
    for reason, names in na.items():
        out.status("n/a", "", f"{', '.join(names)}: {reason}")


def _na_reason(why: str) -> str:
    """The shared part of an n/a reason (before what the rule would have said)."""
    return why.split("; to train on", 1)[0] if why.startswith("on the cloud path") else why


def _left_out(out: _Lines, profiles: list[dict]) -> None:
    """One line for the optional rules nobody gave input for, one for the guidelines software cannot check."""
    by_why: dict[str, list[str]] = {}
    for p in profiles:
        for c in p["checks"]:
            if guidelines.category(c) == "not_judged":
                by_why.setdefault(c["why"], []).append(c["id"])
    if by_why:
        out.add("; ".join(f"{', '.join(ids)} ({why})" for why, ids in by_why.items()), head="Not judged: ",
                indent=2, head_style=(0, 11, "bold"))
    nc = [f"{p['profile']} {len(p['not_checkable'])}" for p in profiles if p["not_checkable"]]
    if nc:
        out.add(f"{', '.join(nc)} guidelines, quoted by --verbose",
                head="Not checkable by software: ", indent=2, head_style=(0, 26, "bold"))


def _profile_verbose(out: _Lines, p: dict, desktop_shown: bool, seen_why: dict[str, str]) -> None:
    checks, hidden = _visible(p, desktop_shown)
    rest = f" ({_counts(p['counts'])})" + (f"; + {hidden} rules as for desktop, same guideline and result "
                                 f"(--json lists them as {p['profile']}.*)" if hidden else "")
    out.title(f"{p['profile']}: {p['title']} —", p["verdict"], rest)
    for c in checks:
        label = c["id"] + (" (optional)" if c["optional"] else "")
        out.status(c["status"], "", f"{label}: {c['measured']}; required {c['required']}")
        out.add(f"“{c['guideline']}”", head=" " * 7)
        if c.get("implied"):
            out.add(f"the text implies: {c['implied']}", head=" " * 7, indent=9)
        out.add(f"why: {c['why']}", head=" " * 7, indent=12, style="dim")
    nc = p["not_checkable"]
    if hidden:                    # DIY repeats the desktop's uncheckable guidelines: quoted once, under desktop
        inherited_nc = [r for r in nc if r["id"] in _desktop_nc_ids(p)]
        nc = [r for r in nc if r not in inherited_nc]
        if inherited_nc:
            out.add(f"{', '.join(_short(r['id']) for r in inherited_nc)}: as for desktop", head="  n/a  ",
                    head_style=(2, 5, "dim"))
    for r in nc:
        head = "  n/a  "
        out.add(f"{r['id']} (not checkable by software)", head=head, head_style=(2, 5, "dim"))
        out.add(f"“{r['guideline']}”", head=" " * 7)
        out.add(f"why: {r['why']}", head=" " * 7, indent=12, style="dim")


def _desktop_nc_ids(p: dict) -> set[str]:
    """DIY ids of the uncheckable guidelines DIY takes from the desktop profile."""
    return {p["profile"] + "." + _short(r["id"]) for r in guidelines.load_profile("desktop").not_checkable}


def _suggestions(out: _Lines, doc: dict, verbose: bool) -> None:
    if not doc["suggestions"]:
        return
    out.blank()
    out.title("What to change, cheapest first", rest=" (prices: profiles/desktop.toml, profiles/gpus.csv; "
                                                      "? = none cited)")
    budget = f" within ${doc['budget_usd']:,.0f}" if doc.get("budget_usd") is not None else ""
    for s in doc["suggestions"]:
        cost = "?" if s["cost_usd"] is None else f"${s['cost_usd']:,.0f}"
        change = s["change"]
        if s.get("cheapest_instance"):
            change += f" (cheapest: {s['cheapest_instance']}, {s['cheapest_gpu']}, ${s['cheapest_usd_per_hour']:.3f}/h"
            if s.get("bar_instance") and s["bar_instance"] != s["cheapest_instance"]:
                change += f"; reaching the RTX 2070: {s['bar_instance']}, {s['bar_gpu']}, ${s['bar_usd_per_hour']:.3f}/h"
            change += ")"
        change += f" [{', '.join(sorted({_short(r) for r in s['rules']}))}]"
        out.add(change, head=f"  {cost:>6}  ", indent=10)
        if verbose and s.get("cost_source"):
            out.add(f"cost: {s['cost_source']}", head=" " * 10, style="dim")
        if s["kind"] == "gpu" and s.get("options"):
            opts = s["options"][:3]
            cheapest = min(s["options"], key=lambda o: (o["launch_price_usd"], -o["throughput"]))
            if cheapest not in opts:
                opts = opts[:2] + [cheapest]
            nw = max(len(o["name"]) for o in opts)
            for n, o in enumerate(opts):
                price = f"${o['launch_price_usd']:,.0f}"
                what = f"ResNet-50 {o['unit']}" if n == 0 else o["unit"]
                out.add(f"{o['name']:<{nw}} {price:>6} {o['memory_gb']:>3g} GB  {o['throughput_per_kusd']:>5,.0f} "
                        f"per $1k{budget}: {o['throughput']:,.0f} {what} ({o['precision']}, predicted)",
                        head=" " * 10)


def _providers(out: _Lines, prov: dict | None, verbose: bool) -> None:
    """The text's claims about the clouds, checked against the price list: one line each."""
    if not prov or not prov.get("claims"):
        return
    if verbose:
        out.blank()
    date = prov.get("price_list_date") or "(not available)"
    src = f" ({prov['price_list_source']})" if prov.get("price_list_source") else ""
    out.title("Clouds:", rest=f" the text's claims vs the price list of {date}{src}")
    for c in prov["claims"]:
        claim = c["for"] if verbose else c["for"].split(",")[0]
        measured = c.get("measured", "-")
        verdict = "not judged" if c.get("check") == "not_judged" else c["verdict"]
        if not verbose and c.get("check") == "not_judged":
            measured = "the price list is a subset of its GPUs (-v: why)"
        out.add(f"{verdict}: {measured}", head=f"  {c['provider']} ({claim}): ", indent=4)
