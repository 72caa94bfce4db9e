"""The bench table: one row per measurement of a results document, numbered notes with every reason, the peak
caption. ``rigbench bench`` prints it after a run and ``rigbench results show`` prints it again from the file; both
call :func:`renderables` and print what it returns (library code never prints).
"""

from __future__ import annotations

import textwrap

from rich.text import Text

from rigbench import report, results, validity
from rigbench.bench import baseline
from rigbench.units import fmt_num


def _size(params: dict) -> str:
    """The case of a record that has no ``label`` (written before labels existed): its first params."""
    skip = {"itemsize", "llc_bytes", "llc_known"}
    parts = []
    for k, v in params.items():
        if k in skip or v is None:
            continue
        if k == "n" and isinstance(v, int) and v >= 2 ** 20:
            parts.append(f"n={v / 2 ** 20:.0f}Mi")
        else:
            parts.append(f"{k}={v}")
    return " ".join(parts[:3]) + (" …" if len(parts) > 3 else "")


def label_of(m: dict) -> str:
    """The case as a person reads it: the record's ``label``, else the kernel's, else the raw params."""
    return results.case_label(m) or _size(m.get("params") or {})


def case(m: dict) -> str:
    """The case column: the label, plus what a distributed record adds (latency of small all-reduces; a DDP run's
    scaling efficiency and its 1-worker throughput)."""
    label = label_of(m)
    if m.get("status") != "ok":
        return label
    size = (m.get("params") or {}).get("size_bytes")
    if m.get("kernel") == "allreduce" and m.get("latency_us") is not None and size is not None \
            and size <= LATENCY_MAX_BYTES:
        return f"{label}; latency {fmt_num(m['latency_us'])} µs"
    if m.get("kernel") == "ddp_train" and m.get("scaling_efficiency") is not None:
        one = m.get("throughput_1")
        base = f" of {(m.get('params') or {}).get('workers')} x {fmt_num(one)}" if one is not None else ""
        return f"{label}; efficiency {m['scaling_efficiency']:.0%}{base}"
    return label


LATENCY_MAX_BYTES = 64 * 1024   # all-reduce messages up to this size show their latency (the time is the figure)
# Figures flagged only for their own timings that earn a sentence above the table on an otherwise quiet machine:
# one or two are the kernels' own (each keeps its note); three or more while this machine's load and steal stay
# calm point at something the guest cannot see, such as other guests on the host.
UNSTEADY_SENTENCE = 3


def rows(doc: dict) -> tuple[list[tuple], list[tuple], list[str]]:
    """Table rows with the short reason in the status cell, the same rows with only a note number there
    (for narrow terminals), and the numbered notes with every full reason."""
    view = results.Results.of(doc)
    several_devices = len(view.devices()) > 1
    full, compact = [], []
    notes: list[list] = []              # [figures named, text after them]: rendered numbered at the end
    shared: dict[tuple, int] = {}       # (status, reason) -> index of the note that already says it
    for f in view.all():
        m = f.raw
        label = case(m)
        who = " ".join(x for x in (m["kernel"], m["device"] if several_devices else "", m["dtype"], label) if x)
        head = (m["kernel"], m["device"], m["dtype"], label or "-")
        if m.get("status") != "ok":
            status, why = m.get("status") or "failed", m.get("reason") or "no reason recorded"
            # one note for every figure that stopped for the same reason (bfloat16 on a CPU without it, ...)
            at = shared.get((status, why))
            if at is None:
                notes.append([[who], f"{status}: {why}"])
                at = shared[(status, why)] = len(notes) - 1
            else:
                notes[at][0].append(who)
            cell = f"{'skipped' if status == 'skipped' else status.upper()} [{at + 1}]"
            full.append((*head, "-", "-", "-", "-", cell))
            compact.append(full[-1])
            continue
        spread = m["iqr_s"] / m["median_s"] if m.get("median_s") and m.get("iqr_s") is not None else None
        frac = m.get("fraction_of_peak")
        shown = f"{fmt_num(m.get('value'))} {m.get('unit') or ''}".strip()
        body = (shown, _ci(f), f"{spread:.1%}" if spread is not None else "-",
                f"{frac:.0%}" if frac is not None else "-")
        if f.valid:
            full.append((*head, *body, "valid"))
            compact.append(full[-1])
            continue
        reasons = f.reasons or [validity.reason("recorded", "not judged valid (no reason recorded)")]
        # the machine's reasons are said once, above the table (machine_sentence); a note carries the figure's own
        own = [r for r in reasons if r.get("code") not in validity.MACHINE_CODES]
        if not own:
            full.append((*head, *body, f"INVALID: {validity.brief(reasons[0])}"))
            compact.append((*head, *body, "INVALID (above)"))
            continue
        also = " (and the machine, above)" if len(own) < len(reasons) else ""
        notes.append([[who], f"invalid: {'; '.join(validity.texts(own))}{also}"])
        more = f" +{len(reasons) - 1}" if len(reasons) > 1 else ""
        full.append((*head, *body, f"INVALID: {validity.brief(own[0])}{more} [{len(notes)}]"))
        compact.append((*head, *body, f"INVALID [{len(notes)}]"))
    return full, compact, [f"[{i}] {'; '.join(whos)} {text}" for i, (whos, text) in enumerate(notes, 1)]


def _ci(f) -> str:
    """The figure's 95% confidence interval as the larger of its two sides, relative: '±2.1%'; both sides
    ('-52.8%/+1022.6%') when the larger passes 100%, since '±' of that would reach below zero."""
    ci, v = f.ci, f.value
    if ci is None or not v:
        return "-"
    low, high = (v - ci[0]) / v, (ci[1] - v) / v
    if max(low, high) > 1:
        return f"-{low:.1%}/+{high:.1%}"
    return f"±{max(low, high):.1%}"


def machine_sentence(doc: dict) -> str | None:
    """One sentence above the table when the machine was busy or moving, with its numbers and what to do (as pyperf
    warns when a benchmark looks unstable); None when it was quiet."""
    view = results.Results.of(doc)
    v = view.machine_verdict()
    # a GPU figure timed on the GPU alone is not judged on the host's movement (runner: Kernel.host_timed)
    inside = _inside_sentence(v, any(f.device.startswith("cuda") for f in view.all()))
    if not v["unlike"]:
        return inside
    if v["flagged"]:     # the machine was busy or moving inside this run: the sentence above already says why
        return (f"{inside} {v['unlike']} of {v['measured']} figures are also more than {validity.MAX_EARLIER:.0%} "
                "from this machine's earlier runs of them.")
    across = (f"{v['unlike']} of {v['measured']} figures are more than {validity.MAX_EARLIER:.0%} from this "
              "machine's earlier runs of them: it does not repeat its own numbers from run to run, so trust a figure "
              "only once it repeats (rigbench results diff compares runs).")
    return f"{inside} {across}" if inside else across


def _inside_sentence(v: dict, gpu: bool = False) -> str | None:
    """What the machine did inside this run (``v``: :meth:`rigbench.results.Results.machine_verdict`; ``gpu``: the
    run has GPU figures)."""
    more = (v["rounds"] or 1) + 2
    if v["quiet"]:
        if v["unsteady"] < UNSTEADY_SENTENCE:
            return None
        why = (f": other guests on this virtual machine's host ({v['virtualization']}) can slow it without "
               "showing as steal" if v["virtualization"] else "")
        return (f"{v['unsteady']} of {v['measured']} figures are flagged for their own timings (samples or rounds "
                f"more than {validity.MAX_SPREAD:.0%} apart) while other programs and the hypervisor's steal stayed "
                f"within their limits{why}. Run again with more rounds (rigbench bench --rounds {more}), at a "
                "quieter time, or on a dedicated machine.")
    busy = any(r["code"] in ("busy", "steal") for r in v["reasons"]) or (v["others"] or 0) > validity.MAX_OTHERS
    said = []
    if v["others"] is not None:
        said.append(f"other programs used {validity.over(v['others'], validity.MAX_OTHERS)} of the usable CPUs")
    if v["steal"] is not None:
        said.append(f"the hypervisor took {validity.over(v['steal'], validity.MAX_STEAL)} (steal)")
    if v["drift"] is not None:
        said.append(f"the reference workload moved {validity.over(v['drift'], validity.MAX_DRIFT)} between rounds")
    if (v["slower"] or 0) > validity.MAX_SLOWER:
        said.append(f"and took {v['slower']:.0%} more CPU cycles than in this machine's best earlier run (its cores "
                    "shared with someone else the whole time)")
    load = ""
    if v["loadavg_start"] is not None and v["loadavg_end"] is not None:
        load = f" (load average {v['loadavg_start']:.1f} -> {v['loadavg_end']:.1f})"
    limits = f"limits {validity.MAX_OTHERS:.0%}, {validity.MAX_STEAL:.0%} and {validity.MAX_DRIFT:.0%}"
    flagged = (f"{v['flagged']} of {v['measured']} figures are flagged for it" if v["flagged"]
               else "no figure was flagged for it"
               + (" (a GPU figure timed on the GPU alone is not judged on the host's movement: docs/bench.md)"
                  if gpu else ""))
    if v["unsteady"]:
        flagged += f", {v['unsteady']} more for their own timings"
    slower = (v["slower"] or 0) > validity.MAX_SLOWER
    state = "busy" if busy else "slower than usual" if slower else "moving"
    return (f"The machine was {state} while measuring: {', '.join(said) or 'not measured'}"
            f"{load}; {limits}; {flagged}. Close other programs, run again with more rounds (rigbench bench "
            f"--rounds {more}), or measure on a dedicated machine.")


def peak_caption(doc: dict) -> str:
    cpu = (doc.get("peaks") or {}).get("cpu") or {}
    clock = cpu.get("clock") or {}
    bits = []
    if clock.get("used_mhz"):
        bits.append(f"CPU clock measured: {clock.get('scalar_mhz') or '-'} MHz scalar, "
                    f"{clock.get('after_vector_load_mhz') or '-'} MHz after vector load; peak uses {clock['used_mhz']} MHz")
    f32 = cpu.get("flops:float32") or {}
    if f32.get("value"):
        bits.append(f"CPU fp32 peak {f32['value'] * 1000:.0f} GFLOP/s = {f32.get('cores')} cores x {f32.get('mhz')} "
                    f"MHz (measured) x {f32.get('flop_per_cycle')} FLOP/cycle ({cpu.get('cpu_class')}; sources in "
                    "the results file)")
    return "\n".join(bits)


_COLUMNS = ["kernel", "device", "dtype", "case", "value", "95% CI", "spread", "of peak", "status"]
_JUSTIFY = ["left", "left", "left", "left", "right", "right", "right", "right", "left"]


def make_table(title: str, rows: list[tuple], *, narrow: bool = False, ci: bool = True, wrap_case: bool = False):
    """The bench table: two spaces between columns, no margins; only the case column may wrap. ``narrow`` puts
    the "of peak" header on two lines (its cells are at most 4 wide); ``ci`` False leaves the 95% interval out
    (it stays in the file and --json)."""
    keep = [i for i, c in enumerate(_COLUMNS) if ci or c != "95% CI"]
    columns = [("of\npeak" if narrow and _COLUMNS[i] == "of peak" else _COLUMNS[i]) for i in keep]
    rows = [tuple(r[i] for i in keep) for r in rows]
    t = report.table(title, columns, rows, justify=[_JUSTIFY[i] for i in keep])
    t.show_edge, t.pad_edge, t.collapse_padding = False, False, True
    for col in t.columns:
        col.no_wrap = col.header != "case"
        if wrap_case and col.header == "case":
            col.max_width = CASE_WRAP   # room for the interval: a long case wraps onto a second line
    return t


CASE_WRAP = 22   # the case column's width when it wraps to make room for the 95% interval


def wrapped(text: str, width: int) -> str:
    """A note or footer line wrapped to the console, continuation lines indented under its text.

    Wrapped here only, at the console's own width (a column spare): rich wraps a line longer than the console
    again, and a note wrapped at a wider floor came out re-broken mid-line, ragged, on a narrow terminal."""
    indent = " " * (text.index("] ") + 2) if text.startswith("[") and "] " in text else "  "
    return textwrap.fill(text, width=max(width - 1, 1), subsequent_indent=indent, break_long_words=True,
                         break_on_hyphens=False)


def renderables(doc: dict, title: str, out) -> list:
    """The machine's sentence when it was busy or moving, the table (the first form that fits ``out``, a rich
    Console: with the 95% interval, short reasons or note numbers in the status cell, the case on one line or
    wrapped; then without the interval; then "of peak" on two lines), then the notes, the peak caption and a
    distributed run's status, each wrapped to the console."""
    full, compact, notes = rows(doc)
    table = make_table(title, full)
    wide = out.options.update_width(10_000)
    has_ci = any(r[5] != "-" for r in full)               # a column of dashes is not worth its width
    long_cases = sum(len(r[3]) > CASE_WRAP for r in full)   # wrapping is worth it for one long case, not many
    forms = [f for f in ((full, False, True, False), (compact, False, True, False), (full, False, True, True),
                         (compact, False, True, True), (full, False, False, False), (compact, False, False, False),
                         (compact, True, False, False))
             if (has_ci or not f[2]) and (long_cases <= 1 or not f[3])]
    for body, narrow, ci, wrap_case in forms:
        table = make_table(title, body, narrow=narrow, ci=ci, wrap_case=wrap_case)
        if out.measure(table, options=wide).maximum <= out.width:
            break
    sentence = machine_sentence(doc)
    lines = [*notes, *rounds_note(doc), *history_note(doc), *peak_caption(doc).splitlines(), *run_lines(doc)]
    # literal before Text(), and before wrapping so an escape counts its width: rich's Text drops BEL and CR as it
    # is made, before the console could show their escapes
    return [*([Text(wrapped(report.literal(sentence), out.width))] if sentence else []), table,
            *(Text(wrapped(report.literal(line), out.width)) for line in lines)]


def rounds_label(doc: dict) -> str:
    """", 3 rounds" for the title; "" where the file does not say (a distributed run, an older file)."""
    n = (doc.get("machine") or {}).get("rounds")
    return f", {n} round{'' if n == 1 else 's'}" if isinstance(n, int) and not isinstance(n, bool) else ""


def rounds_note(doc: dict) -> list[str]:
    """With one round nothing shows a figure moving between rounds: the line that says so, or none."""
    if (doc.get("machine") or {}).get("rounds") != 1 or not any(m.get("median_s") for m in results.records(doc)):
        return []
    return [f"1 round: no figure's movement between rounds was checked (--rounds 3 or more checks it, against "
            f"{validity.MAX_ROUND_MOVE:.0%})."]


def history_note(doc: dict) -> list[str]:
    """Which of this machine's earlier runs the run was held against (the `slower` and `earlier` checks), or why
    none: the line that says so; none in a file that records no baseline (a distributed run, an older file)."""
    base = (doc.get("machine") or {}).get("baseline")
    if not isinstance(base, dict):
        return []
    runs, window = base.get("runs"), base.get("window_s")
    span = f" from the {baseline.window_words(window)} before it" if isinstance(window, (int, float)) else ""
    if isinstance(runs, int) and runs > 0 and base.get("file"):
        return [f"Held against {runs} earlier run{'' if runs == 1 else 's'} of this machine{span} (the quietest: "
                f"{base['file']})."]
    if base.get("reason"):
        return [f"Not held against earlier runs: {base['reason']}."]
    return []


def run_lines(doc: dict) -> list[str]:
    """A distributed run's status and every reason it gives (a failed run may have no measurement to show)."""
    d = doc.get("distributed")
    if not d:
        return []
    world = d.get("world_size")
    ranks = f"{world} rank{'' if world == 1 else 's'}"
    head = f"run status: {doc.get('status')} ({ranks}, {d.get('backend') or 'no backend'}"
    head += f", {d['elapsed_s']:g} s)" if d.get("elapsed_s") is not None else ")"
    return [head, *(f"  {r}" for r in d.get("reasons") or [])]


