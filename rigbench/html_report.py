"""``rigbench report``: one self-contained HTML page about a run, to read on a screen, a phone or paper.

The page holds, in order: the machine (its probe), every figure against its device's peak with its interval, this
run against the reference runs of ``results/reference/`` (and any other runs given), this machine against the
catalog's predictions for GPUs, the guideline verdicts, and buy-or-rent cost with its break-even point. The
numbers come from the library (:mod:`rigbench.diff`, :mod:`rigbench.model`, :mod:`rigbench.guidelines`,
:mod:`rigbench.cost`); the charts from :mod:`rigbench.plots`, embedded as base64 PNG. Nothing is fetched from a
network: no fonts, scripts or images from elsewhere. A part that cannot be computed for this run says why in its
section instead of stopping the page.
"""

from __future__ import annotations

import base64
import html
import os
import struct
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path

from rigbench import catalog, cost, guidelines, model, plots
from rigbench import diff as diff_mod
from rigbench.cost.plan import NoCardPrice
from rigbench.errors import UserError
from rigbench.files import check_replaceable, free_names, read_head, refuse_replacing_other_than, write_text_atomic
from rigbench.prices.cloud import load_prices, select_instances
from rigbench.report import literal
from rigbench.results import NO_PROBE, case_label
from rigbench.runs import Run, machine
from rigbench.units import fmt_bytes, fmt_num, shown

DEFAULT_GPUS = ("gtx-1080-ti", "rtx-2080-ti", "rtx-3090", "rtx-4090")
WORKLOADS = ("resnet50", "bert-base")


@dataclass
class Options:
    """What the page compares against: catalog cards, the card bought and the instance rented for the cost."""

    gpus: tuple[str, ...] = DEFAULT_GPUS
    buy: str | None = None               # default: this machine's GPU if the catalog knows it, else the last of gpus
    rent: str | None = None              # default: the cheapest instance that can do the work
    hours_per_month: float = 80.0
    months: float = 24.0
    workload: str = "resnet50"
    precision: str = "amp"


@dataclass
class Section:
    id: str
    title: str
    body: list[str] = field(default_factory=list)      # HTML fragments, already escaped

    def add(self, fragment: str) -> None:
        self.body.append(fragment)

    def note(self, text: str, cls: str = "note") -> None:
        self.body.append(f'<p class="{cls}">{esc(text)}</p>')


def esc(x) -> str:
    """Text for the page, HTML-escaped; control and bidirectional characters from files shown as their escapes
    (``report.literal``: ESC as \\x1b, RIGHT-TO-LEFT OVERRIDE as \\u202e), as the terminal shows them. HTML
    has no use for them, and a bidi override would reorder a name on the page as on a terminal."""
    return html.escape(literal("-" if x is None else x), quote=True)


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) of a PNG from its IHDR chunk."""
    return struct.unpack(">II", png[16:24])


def image(png: bytes, alt: str, caption: str) -> str:
    w, h = png_size(png)
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}" width="{w}" height="{h}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def table(columns: list[str], rows: list[list], numeric: set[int] = frozenset(), cls: str = "",
          prose: set[int] = frozenset()) -> str:
    """A table in its own horizontally scrolling box; ``numeric`` columns right-aligned, ``prose`` columns (long
    reasons) given room and a smaller font."""
    head = "".join(f'<th{" class=num" if i in numeric else ""}>{esc(c)}</th>' for i, c in enumerate(columns))
    thead = f"<thead><tr>{head}</tr></thead>" if any(columns) else ""
    body = []
    for row in rows:
        cells = []
        for i, v in enumerate(row):
            klass = [k for k in ("num" if i in numeric else "", "prose" if i in prose else "", _status_class(v)) if k]
            attr = f' class="{" ".join(klass)}"' if klass else ""
            cells.append(f"<td{attr}>{esc(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<div class="scroll"><table class="{cls}">{thead}<tbody>{"".join(body)}</tbody></table></div>'


def _status_class(v) -> str:
    s = str(v).split(" ")[0].split(",")[0].lower() if v is not None else ""
    return {"valid": "ok", "pass": "ok", "faster": "ok", "invalid": "bad", "fail": "bad", "slower": "bad",
            "warn": "warn", "unknown": "muted", "skipped": "muted", "failed": "bad"}.get(s, "")


# ------------------------------------------------------------------------------------------------ the machine

def machine_section(run: Run) -> Section:
    s = Section("machine", "The machine")
    doc = run.doc
    if run.view.probed:
        _probe_tables(s, run.view.probe)
    else:
        s.note(f"Not known: {NO_PROBE} (its CPU, memory, GPUs, disks and OS).")
    s.add(table(["run", ""], [
        ["file", str(run.path)], ["created", run.created_utc], ["host", run.view.host_shown],
        ["status", f"{doc.get('status')}{', quick' if doc.get('quick') else ''}"],
        ["rigbench", doc.get("rigbench_version")], ["command", " ".join(doc.get("argv") or [])],
    ], cls="kv"))
    for line in peak_lines(doc):
        s.note(line)
    return s


def _probe_tables(s: Section, probe: dict) -> None:
    """The probe's CPU, memory, OS, software, GPUs and disks; a value it does not report shows as "-"."""
    cpu, mem, osd = probe.get("cpu") or {}, probe.get("memory") or {}, probe.get("os") or {}
    soft = probe.get("software") or {}
    flags = cpu.get("flags")
    isa = ", ".join(k for k, v in flags.items() if v) if isinstance(flags, dict) else (flags or None)
    clocks = ", ".join(f"{k} {cpu[f'{k}_mhz']:.0f} MHz" for k in ("base", "max", "current")
                       if isinstance(cpu.get(f"{k}_mhz"), (int, float))) or "not reported"
    rows = [
        ["CPU", cpu.get("brand")],
        ["class (tier)", cpu.get("tier") or cpu.get("tier_reason")],
        ["cores", " / ".join(f"{'-' if cpu.get(f'{k}_cores') is None else cpu[f'{k}_cores']} {k}"
                             for k in ("usable", "physical", "logical"))],
        ["clocks (OS)", clocks],
        ["last-level cache", fmt_bytes(cpu.get("llc_bytes")) + (f" (L{cpu.get('llc_level')})"
                                                                 if cpu.get("llc_level") else "")],
        ["ISA for training", isa],
        ["memory", f"{fmt_bytes(mem.get('total_bytes'))} total, {fmt_bytes(mem.get('available_bytes'))} available"],
        ["OS", " ".join(str(x) for x in (osd.get("pretty_name") or osd.get("distribution") or osd.get("system"),
                                         f"(kernel {osd['kernel']})" if osd.get("kernel") else None,
                                         osd.get("virtualization")) if x) or None],
        ["software", ", ".join(f"{k} {v}" for k, v in soft.items()
                               if isinstance(v, (str, int, float)) and "reason" not in k and "implementation" not in k)
         if isinstance(soft, dict) else None],
    ]
    gpus = [g for g in probe.get("gpus") or [] if isinstance(g, dict)]
    for g in gpus:
        rows.append([f"GPU {g.get('index', '')}".strip(),
                     f"{g.get('name') or '-'}, {fmt_bytes(g.get('memory_total_bytes'))}, "
                     + (f"driver {g['driver_version']}" if g.get("driver_version") else "driver not reported")])
    if not gpus:
        rows.append(["NVIDIA GPUs", f"none: {probe.get('gpu_error') or 'none found'}"])
    s.add(table(["", ""], rows, cls="kv"))
    disks = [d for d in probe.get("disks") or [] if isinstance(d, dict)]
    if disks:
        s.add(table(["mount", "device", "fs", "kind", "free", "total"],
                    [[d.get("mount"), d.get("device"), d.get("fstype"), d.get("kind"),
                      fmt_bytes(d.get("free_bytes")), fmt_bytes(d.get("total_bytes"))] for d in disks], {4, 5}))


def peak_lines(doc: dict) -> list[str]:
    """How each device's peak was found, as the results file records it."""
    out = []
    for device, peaks in (doc.get("peaks") or {}).items():
        if not isinstance(peaks, dict):
            continue
        clock = peaks.get("clock") or {}
        if clock.get("used_mhz"):
            out.append(f"{device}: clock measured {clock.get('scalar_mhz')} MHz scalar, "
                       f"{clock.get('after_vector_load_mhz') or '-'} MHz after vector load; the peak uses "
                       f"{clock['used_mhz']} MHz")
        for key, p in peaks.items():
            if key.startswith("flops:") and isinstance(p, dict) and p.get("value"):
                src = p.get("source") or ""
                out.append(f"{device} {key.split(':')[1]} peak {fmt_num(p['value'])} TFLOP/s"
                           + (f": {src}" if src else ""))
    return out


# ------------------------------------------------------------------------------------------------ the figures

def figures_section(run: Run) -> Section:
    s = Section("figures", "Each figure against its peak")
    figs = run.view.all()
    several = len(run.view.devices()) > 1
    bars, rows = [], []
    for f in figs:
        head = [f.kernel, f.device, f.dtype, case_label(f) or "-"]
        if not f.measured:
            rows.append([*head, "-", "-", "-", f.status, f.reason])
            continue
        ci = f.ci
        frac, peak = f.raw.get("fraction_of_peak"), f.raw.get("peak")
        rows.append([*head, f"{fmt_num(f.value)} {f.unit}", f"{fmt_num(ci[0])}–{fmt_num(ci[1])}" if ci else "-",
                     f"{frac:.0%}" if frac is not None else "-", "valid" if f.valid else "INVALID",
                     None if f.valid else f.why_not()])
        if frac is not None and peak:
            who = " ".join(x for x in (f.kernel, f.device if several else "", f.dtype, case_label(f)) if x)
            bars.append(plots.Bar(who, frac, ci[0] / peak if ci else None, ci[1] / peak if ci else None, f.valid))
    if bars:
        s.add(image(plots.fraction_of_peak(bars, f"{machine(run.doc)}: measured / peak"),
                    "each figure as a fraction of its device's peak",
                    "Bars: the median figure over the device's peak (on a CPU: usable cores x measured clock x "
                    "FLOP/cycle; on a GPU: the catalog's spec). Error bars: the 95% confidence interval of the "
                    "median. Grey: INVALID in this run. Figures without a peak (disk, training steps) are in the "
                    "table only."))
    else:
        s.note("No figure of this run has a peak to hold it against.")
    s.add(table(["kernel", "device", "dtype", "case", "value", "95% interval", "of peak", "status", "why"], rows,
                {4, 5, 6}, prose={8}))
    return s


# ------------------------------------------------------------------------------------------------ reference runs

# what another run is, said by its origin (rigbench.runs): a run of the user's own is not a reference
_ORIGIN_WORDS = {"reference": "a reference run (results/reference/)", "yours": "one of your runs"}


def _against(others: list[Run]) -> str:
    """"the reference runs", "your other runs", or both: what the runs this one is compared with are."""
    kinds = [w for origin, w in (("yours", "your other runs"), ("reference", "the reference runs"))
             if any(o.origin == origin for o in others)]
    return " and ".join(kinds) or "the reference runs"


def reference_section(run: Run, others: list[Run]) -> Section:
    s = Section("reference", f"This run against {_against(others)}")
    if not others:
        s.note("No reference runs to compare with: results/reference/ holds none here, and no other run was given.")
        return s
    bars = []
    for other in others:
        changes = diff_mod.diff([other, run])
        rows = []
        for c in changes:
            rows.append([" ".join(x for x in (c.kernel, c.device, c.dtype, c.case) if x), c.unit,
                         _fig(c.base), _fig(c.new), f"{c.change:+.1%}" if c.change is not None else "-", c.verdict])
            b, n = c.base, c.new
            if c.change is not None and None not in (b.low, b.high, n.low, n.high):
                bars.append(plots.Bar(" ".join(x for x in (c.kernel, c.dtype, c.case) if x), 1 + c.change,
                                       n.low / b.high, n.high / b.low, b.valid and n.valid,
                                       group=f"vs {other.path.stem} ({machine(other.doc)})"))
        counts = {}
        for c in changes:
            counts[c.verdict] = counts.get(c.verdict, 0) + 1
        s.add(f"<h3>against {esc(other.path.name)}</h3>")
        s.note(f"{machine(other.doc)}, {other.created_utc}; {_ORIGIN_WORDS.get(other.origin, other.origin + ' run')}. "
               + ", ".join(f"{n} {v}" for v, n in counts.items()) + ".")
        s.add(table(["figure", "unit", f"{'reference' if other.origin == 'reference' else 'run'} {other.path.stem}",
                     "this run", "change", "verdict"], rows, {2, 3, 4}))
    if bars:
        theirs = "reference" if all(o.origin == "reference" for o in others) else "other run"
        s.add(image(plots.ratios(bars, f"this run / {theirs}, per figure",
                                  f"this run / {theirs} (log scale; 1 = the same; right of 1 = this run is faster)"),
                    f"this run against each {theirs}",
                    f"Bars: this run's figure over the {theirs}'s. Error bars: the ratio's range from the two 95% "
                    f"intervals (this run's low over the {theirs}'s high, and the other way). Grey: INVALID in one "
                    "of the runs. Beyond the noise = the two intervals do not overlap."))
    return s


def _fig(f) -> str:
    if f is None:
        return "-"
    if f.value is None:
        return f.status
    iv = f" [{fmt_num(f.low)}–{fmt_num(f.high)}]" if f.low is not None else ""
    return f"{fmt_num(f.value)}{iv}" + ("" if f.valid else " INVALID")


# ------------------------------------------------------------------------------------------------ catalog

def predicted(cap, workload: str, precision: str):
    """The model's prediction and its band (low, high), from the prediction's own uncertainty (the validation error
    of its cell, rigbench.model); no band for a measured figure or one the model gives no uncertainty."""

    pred = model.predict(cap, workload, precision)
    u = pred.uncertainty if pred.source == "predicted" else None
    band = (pred.throughput * (1 - u), pred.throughput * (1 + u)) if u is not None and pred.throughput else (None, None)
    return pred, band


def predictions_section(run: Run, opts: Options) -> Section:
    s = Section("predictions", "This machine against the catalog's predictions")
    entries = []      # (label, capability, measured_here)
    for device in run.view.devices():
        try:
            cap = model.capability_from_results(run.view, device)
        except UserError as exc:
            s.note(f"this machine's {device}: no prediction: {exc}")
            continue
        entries.append((f"this machine ({device})", cap, True))
    for name in opts.gpus:
        try:
            gpu = catalog.resolve(name)
        except UserError as exc:
            s.note(f"{name}: {exc}")
            continue
        entries.append((gpu.id, model.capability_from_gpu(gpu), False))
    if not entries:
        s.note("Nothing to predict.")
        return s
    bars, rows = [], []
    for workload in WORKLOADS:
        for label, cap, here in entries:
            for p in ("fp32", "amp"):
                pred, (low, high) = predicted(cap, workload, p)
                rows.append([label, workload, p, pred.reason if pred.throughput is None else
                             f"{fmt_num(pred.throughput)} {pred.unit}",
                             f"{fmt_num(low)}–{fmt_num(high)}" if low is not None else "-", pred.source,
                             pred.uncertainty_basis or "-"])
                if workload == opts.workload and pred.throughput is not None:
                    bars.append(plots.Bar(label, pred.throughput, low, high, True, group=p))
    unit = model.demand(opts.workload).unit
    s.add(image(plots.throughput(bars, f"{opts.workload} training throughput ({unit}), predicted by rigbench.model",
                                  f"{unit} (error bars: each prediction's validation error)"),
                f"{opts.workload} throughput of this machine and catalog GPUs",
                f"Predicted {opts.workload} training throughput. Error bars: each prediction's uncertainty, the "
                "model's validation error against published speed-ups for that architecture and precision (the "
                "table names it; docs/model.md). This machine's devices are predicted from their measured gemm and "
                "memcopy; a device the catalog does not know (a CPU) borrows a GPU architecture's efficiency "
                "factor, so its bar is a rough stand-in, not a measurement."))
    s.add(table(["device", "workload", "precision", "throughput", "band", "source", "band from"], rows, {3, 4},
                prose={6}))
    return s


def _pct(x) -> str:
    return "-" if x is None else f"{x:.1%}"


# ------------------------------------------------------------------------------------------------ guidelines

def guidelines_section(run: Run) -> Section:
    s = Section("guidelines", "The guideline verdicts")
    m = guidelines.Machine.from_results(run.doc, str(run.path))
    doc = guidelines.recommend(m, "all")
    s.note('Rules from "Lessons from becoming a ML Engineer in 12 months", Part 4 (hackernoon, 2019), as '
           "profiles/*.toml quote them; measured values come from this run.")
    summary = [[p["profile"], p["verdict"].upper(),
                ", ".join(f"{n} {k}" for k, n in p["counts"].items() if n)] for p in doc["profiles"]]
    s.add(table(["profile", "verdict", "rules"], summary))
    for p in doc["profiles"]:
        s.add(f"<h3>{esc(p['title'])}: {esc(p['verdict'].upper())}</h3>")
        s.add(table(["rule", "status", "measured", "required", "why"],
                    [[c["id"], c["status"], c["measured"], c["required"], c["why"]] for c in p["checks"]],
                    prose={2, 4}))
    return s


# ------------------------------------------------------------------------------------------------ cost

def _default_buy(run: Run, opts: Options) -> str:
    if opts.buy:
        return opts.buy
    for g in (run.doc.get("probe") or {}).get("gpus") or []:
        if isinstance(g, dict) and g.get("catalog_id"):
            return str(g["catalog_id"])
    return opts.gpus[-1] if opts.gpus else "rtx-4090"


def cost_section(run: Run, opts: Options) -> Section:
    s = Section("cost", "Buy or rent: cost and break-even")
    buy = _default_buy(run, opts)
    req = cost.CostRequest(buy=[buy], rent=[opts.rent] if opts.rent else ["all"], months=opts.months,
                           hours_per_month=opts.hours_per_month, workload=opts.workload, precision=opts.precision)
    try:
        rep = cost.compare(req)
    except NoCardPrice as exc:
        # the page takes no price of its own: its advice names rigbench cost, which does, or another --buy
        kinds = f" (or --price-kind {'|'.join(exc.kinds)})" if exc.kinds else ""
        s.note(f"no cost comparison: {exc.what}; for this card's cost give its price to `rigbench cost --buy {buy} "
               f"--gpu-price USD --hours-per-month {opts.hours_per_month:g} --months {opts.months:g}`{kinds}, or "
               "name a card with a price here with --buy CARD")
        return s
    except UserError as exc:
        s.note(f"no cost comparison: {exc}")
        return s
    b = rep.buys[0]
    r = rep.rents[0] if opts.rent else rep.cheapest("rent")
    if r is not None and len(rep.rents) > 1:
        # the table shows the bought card and this one instance: its warnings (how many multi-GPU options, whose
        # prices are dated by the day they were read) speak of those two, not of every instance looked through
        rep = cost.compare(replace(req, rent=[r.name]))
        b, r = rep.buys[0], rep.rents[0]
    if r is None or not b.feasible:
        # as rigbench cost says it: options one machine cannot run within a month take no part in the verdict and
        # have no break-even to draw; the notes say how many machines each would take
        s.note(rep.recommendation())
        for n in rep.notes():
            s.note(n)
        return s
    ref = rep.work.reference_throughput_per_s
    # The instance's hours for the same work scale with its predicted speed relative to the bought card: the band
    # of that ratio, by the one rule rigbench cost judges a tie with and rigbench compare gives a ratio
    # (rigbench.model.ratio_uncertainty; docs/model.md "Uncertainty"), is the band of its cost.
    speed_band = rep.speed_band(b, r)
    err = speed_band["fraction"] if speed_band else 0.0
    crossing = rep.break_even(b, r)
    top = max(opts.hours_per_month * 2, (crossing or 0) * 1.6, 10.0)
    hours = [top * i / 60 for i in range(61)]
    buy_rate, rent_rate = b.usd_per_ref_hour(ref) * opts.months, r.usd_per_ref_hour(ref) * opts.months
    buy_usd = [b.fixed_usd + buy_rate * h for h in hours]
    rent_usd = [rent_rate * h for h in hours]
    rent_low = [x / (1 + err) for x in rent_usd]
    rent_high = [x / (1 - err) for x in rent_usd]
    # the break-even at the band's two ends, as rigbench cost gives it (CostReport.break_even_range)
    within = rep.break_even_range(b, r)
    band = ((within["low_hours_per_month"], within["high_hours_per_month"]) if within
            else (crossing, crossing))
    where = rep.work.reference_name
    s.add(image(plots.break_even(hours, buy_usd, rent_usd, rent_low, rent_high, buy_label=b.name, rent_label=r.name,
                                  xlabel=f"hours of work per month on {where}",
                                  title=f"{rep.work.description}, over {opts.months:g} months",
                                  crossing=crossing, crossing_range=band, chosen=opts.hours_per_month),
                "total cost of buying against renting, by hours per month",
                f"Total cost over {opts.months:g} months against hours of work per month on {where}. Buying: "
                f"purchase minus resale, then electricity; renting: instance hours for the same work. "
                + (f"Band: the rented instance's speed relative to {b.name} is predicted; the error of that ratio "
                   f"({_pct(err)}, {speed_band['basis']}; the band rigbench compare and rigbench cost give it) moves "
                   f"its hours and so its cost. " if speed_band
                   else "No band: neither speed is predicted, or both are one prediction of the same card. ")
                + "Dot: the break-even point."))
    s.note(rep.recommendation())
    if crossing is not None:
        lo, hi = band
        s.note(f"Break-even: {crossing:,.0f} h/month on {where} (within the band: "
               f"{'-' if lo is None else f'{lo:,.0f}'} to {'never' if hi is None else f'{hi:,.0f}'} h/month).")
    rows = [[o.name, o.kind, f"{fmt_num(o.throughput_per_s)} {rep.work.unit}/s", o.throughput_source,
             fmt_num(o.hours_per_month), fmt_num(o.usd_per_hour), fmt_num(o.total_usd)] for o in (b, r)]
    # fmt_num's significant digits, as rigbench cost prints them: a short horizon's totals are cents apart, not 0 and 0
    s.add(table(["option", "kind", "throughput", "source", "h/month", "USD/h", "total USD"], rows, {2, 4, 5, 6}))
    # the list the rented price came from, as rigbench cost names it: your own list (prices refresh) is used before
    # the shipped one, and the page must not say it read the other
    # dated by the rented rows the answer used: the list's own date is its oldest row's, maybe another provider's
    s.note(f"Rented prices from {rep.prices.describe()}, dated {rep.prices_dated(ages=False)}.")
    for w in rep.warnings:
        s.note(w, "warn")
    return s


# ------------------------------------------------------------------------------------------------ the page

def check_options(opts: Options) -> None:
    """The cards and the instance the user named, resolved before any work: a misspelt one is a ``UserError``, not
    a page that quietly leaves it out (and replaces the page there was)."""
    for name in (*opts.gpus, *([opts.buy] if opts.buy else [])):
        catalog.resolve(name)
    if opts.rent:
        select_instances([opts.rent], load_prices())


def build(run: Run, others: list[Run], opts: Options | None = None) -> list[Section]:
    """Every section of the page for ``run``, compared with ``others`` (reference runs and runs given)."""
    opts = opts or Options()
    check_options(opts)
    return [machine_section(run), figures_section(run), reference_section(run, others),
            predictions_section(run, opts), guidelines_section(run), cost_section(run, opts)]


CSS = """
:root { --fg:#1a202c; --muted:#4a5568; --line:#e2e8f0; --ok:#276749; --bad:#c53030; --warn:#b7791f; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); }
header, main, footer { max-width: 980px; margin: 0 auto; padding: 0 16px; }
header { padding-top: 16px; }
h1 { font-size: 1.5rem; margin: .4rem 0; }
h2 { font-size: 1.2rem; border-bottom: 2px solid var(--line); padding-bottom: .2rem; margin-top: 2rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .3rem 1rem; }
nav a { color: #2b6cb0; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; margin: .5rem 0; }
table { border-collapse: collapse; font-size: .85rem; width: 100%; }
th, td { padding: .25rem .5rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: #f7fafc; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.kv td:first-child { font-weight: 600; white-space: nowrap; }
td.ok { color: var(--ok); } td.bad { color: var(--bad); font-weight: 600; } td.warn { color: var(--warn); }
td.muted { color: var(--muted); }
td.prose { min-width: 12em; font-size: .78rem; }
figure { margin: 1rem 0; }
img { max-width: 100%; height: auto; display: block; }
figcaption, .note { color: var(--muted); font-size: .85rem; }
p.warn { color: var(--warn); }
footer { color: var(--muted); font-size: .8rem; margin: 2rem auto; }
@media (max-width: 600px) {
  body { font-size: 14px; }
  table { font-size: .78rem; }
  th, td { padding: .2rem .3rem; }
}
@media print {
  nav { display: none; }
  body { font-size: 10pt; }
  header, main, footer { max-width: none; padding: 0; }
  section { break-before: page; }
  section:first-of-type { break-before: auto; }
  figure, tr { break-inside: avoid; }
  .scroll { overflow: visible; }
  a { color: inherit; text-decoration: none; }
}
"""


def render(run: Run, sections: list[Section], version: str) -> str:
    """The page as one HTML string: CSS inline, images as data: URIs, no script, nothing fetched."""
    when = run.created_utc.replace("T", " ").replace("Z", " UTC") if run.created_utc else "date unknown"
    title = f"{_TITLE_PREFIX}{machine(run.doc)}, {when}"
    nav = "".join(f'<li><a href="#{s.id}">{esc(s.title)}</a></li>' for s in sections)
    body = "".join(f'<section id="{s.id}" data-section="{s.id}"><h2>{esc(s.title)}</h2>{"".join(s.body)}</section>'
                   for s in sections)
    return ("<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="generator" content="rigbench {esc(version)}">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
            f"<header><h1>{esc(title)}</h1><p class=\"note\">{esc(run.path.name)} ({esc(run.doc.get('status'))}"
            f"{', quick' if run.doc.get('quick') else ''}). Every number is measured on the machine or read from a "
            "data file that names its source; intervals are 95%.</p>"
            f"<nav><ul>{nav}</ul></nav></header><main>{body}</main>"
            f"<footer>rigbench {esc(version)}. Intervals: 95% confidence interval of the median per-call time "
            "(order statistics of the timed samples). Predictions: rigbench.model (docs/model.md). Prices: the "
            "list the cost section names, with their dates.</footer></body></html>\n")


DEFAULT_OUT = "report.html"

# How a page says rigbench wrote it: HTML's own mark for the program that made a page, the "generator" meta name
# (https://html.spec.whatwg.org/multipage/semantics.html#meta-generator), read from the page's own <head> only: a
# page of another program that quotes the mark in its text (a blog post about rigbench) is not ours. Pages written
# before the mark was added are known by their title, which every page has begun with: "rigbench report: ".
_TITLE_PREFIX = "rigbench report: "
# The mark stands in the first few hundred bytes of the page (render: the doctype, three <meta> and the <title>, before
# the inline CSS); only this much is read, so an --out naming a large file of the user's (a video) is not read whole.
HEAD_BYTES = 4096


class _Head(HTMLParser):
    """The generator marks and the title of a page's <head>, up to its end or the first element of the body."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.generators: list[str] = []
        self.title: str | None = None
        self._in_title = False
        self.done = False

    def handle_starttag(self, tag, attrs):
        if self.done:
            return
        if tag == "meta":
            attrs = dict(attrs)
            if (attrs.get("name") or "").strip().lower() == "generator":
                self.generators.append((attrs.get("content") or "").strip())
        elif tag == "title" and self.title is None:
            self._in_title, self.title = True, ""
        elif tag == "body":
            self.done = True

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data):
        if self._in_title and not self.done:
            self.title += data


def _ours(head: str) -> bool:
    """Whether a page's first bytes say rigbench wrote it: the first generator mark of its <head> names rigbench, or,
    on a page with no generator mark (written before the mark), its title begins as every report's does."""
    if not head.lstrip("\ufeff \t\r\n").lower().startswith("<!doctype html>"):
        return False
    parsed = _Head()
    parsed.feed(head)
    if parsed.generators:
        first = parsed.generators[0]
        return first == "rigbench" or first.startswith("rigbench ")
    return (parsed.title or "").startswith(_TITLE_PREFIX)


def _load_page(path: Path) -> None:
    """Tell from its first :data:`HEAD_BYTES` bytes whether ``path`` is a page rigbench wrote; a ``UserError``
    beginning with the path when it is not one (a run, notes, another program's page, a video): the --out it names
    is someone's data, not an earlier report to replace."""
    # bytes decoded leniently: a multi-byte character cut at the end of the head, or a binary file, is no error
    if not _ours(read_head(path, "report page", HEAD_BYTES).decode("utf-8", "replace")):
        raise UserError(f"{path}: not an HTML page with rigbench's generator mark")


def refuse_replacing_other_than_a_report(path: str | Path) -> None:
    """``--out`` may name an earlier page to replace it (a report made again under one name); anything else there
    (a run, notes, another program's page) is refused, and left as it was, before any work."""
    if os.path.lexists(path):
        refuse_replacing_other_than(path, _load_page, "report", "--out")


_DEFAULT_HINT = "pass --out FILE.html to name the page"


def default_out() -> Path:
    """The page's name when no --out is given: the first of :data:`DEFAULT_OUT`, report-2.html, ... with nothing
    there, by the rule every default name follows (:func:`rigbench.files.free_names`): a regular file of that name
    is the user's and is moved past (never replaced); anything else (a folder, a link, even to a page) is refused
    in words that say no --out was given, rather than moved past in silence."""
    return next(free_names(DEFAULT_OUT, _DEFAULT_HINT))


def check_out(out: str | None) -> Path:
    """Refuse, before any work, a page path that cannot be written: a folder (existing, or written with a trailing
    ``/``), a missing folder (a mistyped path), a link or device, or a name that does not end in .html. ``None``: the
    default name (:func:`default_out`)."""
    if out is None:
        return default_out()
    out_path = Path(out)
    if out_path.is_dir():
        raise UserError(f"--out {out} is a folder: give a file name such as {out_path / 'report.html'}")
    out_path = check_replaceable(out, "the report", "--out")   # the string: Path() would drop a trailing /
    if not out_path.parent.is_dir() and str(out_path.parent):
        raise UserError(f"--out {out}: folder {out_path.parent} does not exist")
    if out_path.name.lower() in (".html", ".htm"):
        # '.html' is a hidden file's whole name to pathlib (no suffix): the name before the extension is missing
        raise UserError(f"--out {shown(out)}: no name before {out_path.name}; give a name such as "
                        f"{out_path.with_name('report' + out_path.name)}")
    if out_path.suffix.lower() not in (".html", ".htm"):
        # the page is HTML whatever the name says: report.png would be an HTML file no image viewer opens
        raise UserError(f"--out {shown(out)}: the report is an HTML page; give a name ending in .html")
    refuse_replacing_other_than_a_report(out_path)
    return out_path


def write(path: str | Path, text: str) -> Path:
    """Write the page to ``path`` (from --out) atomically (a temporary file, then rename): a failed run never
    leaves half a page, and an earlier page there is replaced, nothing else (checked again here: the name may
    have been taken while the page was made); returns ``path``."""
    check_replaceable(path, "the report", "--out")      # a path that cannot be written is said first, as check_out does
    refuse_replacing_other_than_a_report(path)
    return write_text_atomic(path, text, what="the report")


def write_default(text: str) -> Path:
    """Write the page under the default name (no --out), atomically; returns the path written. The name is
    created, never replaced: one taken meanwhile moves on by the rule of :func:`default_out` (past a file, not
    past a folder or link). Numbering starts from the first default name, as :func:`default_out`'s did: from a
    numbered one it would go on to report-2-2.html."""
    return write_text_atomic(DEFAULT_OUT, text, what="the report", create=True, unique=True, hint=_DEFAULT_HINT)
