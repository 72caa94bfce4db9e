"""Whether a measured figure can be trusted: one place, shared by the suite runner and the distributed worker.

A figure is judged on two things: its own timings (the spread of its samples, how far its rounds moved apart, how
long a timed sample lasted) and the machine around it (how far the fixed reference workload moved while the figure
was measured, how much CPU time the hypervisor stole, how much other programs used). Add what else can bend a number
(a throttled GPU, a size cut after out of memory, battery power, a page cache not kept out, a rate above the
device's peak) and every reason is a structured record::

    {"code": "spread", "value": 0.16, "limit": 0.10, "text": "spread 16% of the median (limit 10%)"}

Code reads ``code``/``value``/``limit``; people read ``text``. Nothing parses ``text`` back.

The limits. A buyer compares figures that differ by 10-20% (one card generation, one CPU tier), so a figure is kept
only when it is good to 10%: the sample spread (IQR over median) is held to 10%, the threshold at which pyperf warns
that a benchmark looks unstable (std dev over 10% of the mean; pyperf documentation, "Analyze benchmark results").
Movement between rounds and of the reference workload is held to the same 10%: a figure cannot be better than the
machine it was measured on. CPU time lost to the hypervisor (steal) or taken by other programs comes straight out of
a kernel that uses every usable core, so each is held to 5%: half the 10% budget, leaving the other half for the
timing noise itself.

Everything above is seen inside one run. A virtual machine can also move between runs with nothing inside a run
to show it (a neighbour on the host for minutes, a vCPU moved to a busier core), so a figure whose rounds agreed can
still be far from the same machine's other runs (docs/bench.md has the measurements). A figure is therefore held
also against the same machine's earlier runs of it (:mod:`rigbench.bench.baseline`): more than 10% from the median of
its newest five earlier values, the machine did not repeat its own number, and the figure is flagged with how far.
Earlier runs are those of the hour before it (one sitting): a host that has settled into a slower stretch for hours
gives that machine's figures then. A first run of a sitting has no history and is judged on the rest alone.
"""

from __future__ import annotations

import math
from typing import Iterable

MAX_SPREAD = 0.10          # IQR over median of the samples
MAX_ROUND_MOVE = 0.10      # (slowest - fastest round median) over the median
MAX_DRIFT = 0.10           # (slowest - fastest reference round) over the reference median
MAX_SLOWER = 0.10          # median reference cycles over this machine's quietest earlier run's median, less one
MAX_STEAL = 0.05           # CPU time stolen by the hypervisor, share of the usable CPUs' time
MAX_OTHERS = 0.05          # CPU time used by other programs, share of the usable CPUs' time
MAX_EARLIER = 0.10         # |value over the median of this machine's earlier runs of the figure, less one|
MIN_SAMPLE_S = 0.001       # a timed sample shorter than this is dominated by clock and call overhead

# Every code a reason may carry, with the few words the bench table shows for it.
CODES = {
    "spread": "spread",
    "rounds": "rounds moved",
    "drift": "machine moved",
    "slower": "machine slower",
    "steal": "CPU stolen",
    "busy": "machine busy",
    "earlier": "unlike earlier runs",
    "short_sample": "sample < 1 ms",
    "throttled": "throttled",
    "shrunk": "size reduced",
    "battery": "on battery",
    "cache": "page cache",
    "above_peak": "above peak",
    "wrong_result": "wrong result",
    "baseline": "baseline invalid",
    "unchecked": "not checked",
    "recorded": "see notes",
}

# Codes that say the machine, not the figure, was the problem: the screen says it once, above the table.
MACHINE_CODES = ("drift", "slower", "steal", "busy")
# Codes that say the figure's own timings disagreed: its samples, or its rounds, too far apart.
TIMING_CODES = ("spread", "rounds")
# Codes that hold a figure against other runs: a comparison of runs (results diff) sets them aside, since it makes
# that comparison itself, and a slowdown it is there to catch must not hide behind them.
ACROSS_RUNS_CODES = ("earlier",)


def reason(code: str, text: str, value=None, limit=None) -> dict:
    """One structured reason; ``code`` must be one of :data:`CODES`."""
    if code not in CODES:
        raise ValueError(f"unknown validity code {code!r}")
    return {"code": code, "value": value, "limit": limit, "text": text}


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def over(value: float, limit: float, sign: bool = False) -> str:
    """``value`` as a percentage with as few decimals as show it beyond ``limit`` (10.4% against 10%, not 10%: a
    reason must not read as a value at its own limit)."""
    fmt = "+." if sign else "."
    for digits in (0, 1, 2):
        shown = f"{value:{fmt}{digits}%}"
        if abs(float(shown.rstrip("%"))) != abs(float(f"{limit:.{digits}%}".rstrip("%"))):
            return shown
    return f"{value:{fmt}3%}"


def timing_reasons(spread: float | None, sample_s: float | None, round_move: float | None = None) -> list[dict]:
    """Reasons from the figure's own timings: sample spread, movement between rounds, sample length."""
    out = []
    if spread is None or not _finite(spread) or spread > MAX_SPREAD:
        shown = over(spread, MAX_SPREAD) if _finite(spread) else "unknown"
        out.append(reason("spread", f"spread {shown} of the median (IQR over median above {MAX_SPREAD:.0%})",
                          round(spread, 4) if _finite(spread) else None, MAX_SPREAD))
    if _finite(round_move) and round_move > MAX_ROUND_MOVE:
        out.append(reason("rounds", f"its rounds moved {over(round_move, MAX_ROUND_MOVE)} apart (slowest vs fastest "
                                    f"round, limit {MAX_ROUND_MOVE:.0%})", round(round_move, 4), MAX_ROUND_MOVE))
    if _finite(sample_s) and sample_s < MIN_SAMPLE_S:
        out.append(reason("short_sample", f"timed sample {sample_s * 1e3:.2f} ms is under {MIN_SAMPLE_S * 1e3:.0f} ms",
                          sample_s, MIN_SAMPLE_S))
    return out


def machine_reasons(machine: dict | None) -> list[dict]:
    """Reasons from the machine during the figure: ``{"drift", "slower", "steal", "others"}`` as fractions (None:
    unknown), and ``earlier`` (the figure against this machine's earlier runs of it, ``{"median", "runs",
    "off"}``)."""
    machine = machine or {}
    out = []
    drift, steal, others = machine.get("drift"), machine.get("steal"), machine.get("others")
    if _finite(drift) and drift > MAX_DRIFT:
        out.append(reason("drift", f"the machine itself moved {over(drift, MAX_DRIFT)} (reference workload, slowest "
                                   f"vs fastest round, limit {MAX_DRIFT:.0%})", round(drift, 4), MAX_DRIFT))
    slower = machine.get("slower")
    if _finite(slower) and slower > MAX_SLOWER:
        out.append(reason("slower", f"the reference workload took {over(slower, MAX_SLOWER)} more CPU cycles than "
                                    f"on this machine's best earlier run: its cores were shared for the whole "
                                    f"stretch (limit {MAX_SLOWER:.0%})", round(slower, 4), MAX_SLOWER))
    if _finite(steal) and steal > MAX_STEAL:
        out.append(reason("steal", f"the hypervisor took {over(steal, MAX_STEAL)} of the CPU time (steal, limit "
                                   f"{MAX_STEAL:.0%})", round(steal, 4), MAX_STEAL))
    if _finite(others) and others > MAX_OTHERS:
        out.append(reason("busy", f"other programs used {over(others, MAX_OTHERS)} of the usable CPUs (limit "
                                  f"{MAX_OTHERS:.0%})", round(others, 4), MAX_OTHERS))
    earlier = machine.get("earlier") if isinstance(machine.get("earlier"), dict) else {}
    off, runs = earlier.get("off"), earlier.get("runs")
    if _finite(off) and abs(off) > MAX_EARLIER:
        of = f"{runs} earlier run{'' if runs == 1 else 's'}" if isinstance(runs, int) else "earlier runs"
        out.append(reason("earlier", f"{over(off, MAX_EARLIER, sign=True)} against this machine's earlier runs of it "
                                     f"(median of {of}, limit ±{MAX_EARLIER:.0%}): the machine did not repeat its own "
                                     "figure",
                          round(off, 4), MAX_EARLIER))
    return out


def shrink_text(original: dict, params: dict) -> str:
    """'n 251,658,240 -> 125,829,120': the case's parameters that a shrink changed, as a person reads them."""
    changed = [k for k in params if original.get(k) != params[k]] or list(params)

    def num(v):
        return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v)

    return "; ".join(f"{k} {num(original.get(k))} -> {num(params[k])}" for k in changed)


def judge(*, spread: float | None, sample_s: float | None, round_move: float | None = None,
          machine: dict | None = None, throttle: Iterable[str] = (), shrunk: tuple | None = None,
          on_battery: bool | None = None, info: dict | None = None,
          fraction_of_peak: float | None = None) -> list[dict]:
    """Every reason a figure is not to be trusted; empty means valid."""
    out = timing_reasons(spread, sample_s, round_move)
    out += machine_reasons(machine)
    throttle = list(throttle)
    if throttle:
        out.append(reason("throttled", f"GPU throttled during the run: {', '.join(throttle)}", ", ".join(throttle)))
    if shrunk:
        out.append(reason("shrunk", f"size reduced after out of memory ({shrink_text(*shrunk)})"))
    if on_battery:
        out.append(reason("battery", "on battery power"))
    info = info or {}
    if info.get("cache_bypass_verified") is False:
        out.append(reason("cache", f"the page cache was not kept out: {info.get('cache_bypass_reason')}"))
    above = above_peak(fraction_of_peak, info.get("above_peak_note"))
    if above is not None:
        out.append(above)
    return out


def above_peak(fraction_of_peak: float | None, why: str | None = None) -> dict | None:
    """The reason a figure above its device's peak is not to be trusted (None at or under the peak): nothing runs
    faster than its hardware can, so the peak or the timing is wrong, or (``why``, from the kernel) the work done
    was less than the work counted."""
    if not _finite(fraction_of_peak) or fraction_of_peak <= 1.0:
        return None
    return reason("above_peak", f"{fraction_of_peak:.0%} of the peak: {why or 'the peak or the timing is wrong'}",
                  round(fraction_of_peak, 4), 1.0)


def brief(r: dict) -> str:
    """A reason in a few words, for a table cell (the full ``text`` goes to the notes)."""
    code = r.get("code")
    words = CODES.get(code, "see notes")
    value = r.get("value")
    limit = r.get("limit")
    if code in ("spread", "rounds", "drift", "slower", "steal", "busy") and _finite(value):
        return f"{words} {over(value, limit) if _finite(limit) else f'{value:.0%}'}"
    if code == "earlier" and _finite(value):
        return f"{words} {over(value, limit, sign=True) if _finite(limit) else f'{value:+.0%}'}"
    return words


def texts(reasons: Iterable[dict | str]) -> list[str]:
    """The reasons' texts (a reason still held as prose, in a document not read through rigbench.results, as is).
    A file written before values were shown past their limit may say "moved 10% apart (... limit 10%)" for 0.1038:
    its number is shown again from the stored value, as :func:`over` shows it now."""
    return [_text(r) if isinstance(r, dict) else str(r) for r in reasons]


def _text(r: dict) -> str:
    text = str(r.get("text") or r.get("code"))
    value, limit = r.get("value"), r.get("limit")
    if r.get("code") in _SHOWN_PAST_LIMIT and _finite(value) and _finite(limit):
        sign = r.get("code") == "earlier"
        old, now = f"{value:{'+' if sign else ''}.0%}", over(value, limit, sign=sign)
        # shown as the limit itself, by a file written before values were shown past it: show it past it. A text
        # that already shows it so is left alone: its first whole "10%" is then the limit
        if old.lstrip("+-") == f"{limit:.0%}" and now not in text:
            text = text.replace(old, now, 1)
    return text


# the codes whose text shows their value as a whole percent beside the limit (timing_reasons, machine_reasons)
_SHOWN_PAST_LIMIT = ("spread", "rounds", "drift", "slower", "steal", "busy", "earlier")


def recorded(text: str) -> dict:
    """A reason an older file wrote as prose: kept as written, under a code that claims nothing about it."""
    return reason("recorded", str(text))
