"""What every rule returns (:class:`Check`) and the helpers the rules share."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from rigbench.guidelines.machine import GIB, Machine

TB = 1000**4


@dataclass
class Check:
    """One rule judged on one machine."""

    id: str
    status: str                      # pass, warn, fail, unknown
    measured: str                    # for a person
    required: str
    why: str                         # the reasoning behind the status, one sentence
    guideline: str                   # the quoted sentence
    short: str                       # the guideline shortened for a table
    severity: str
    measured_value: float | None = None
    required_value: float | None = None
    unit: str | None = None
    optional: bool = False
    change: dict | None = None       # what would make it pass: {kind, amount, unit}
    implied: str | None = None       # how the rule follows from a quote that does not say it outright
    path: str | None = None          # the laptop's path: "local" (trains on itself) or "cloud" (n/a on the cloud path)
    # unknown because the results file's run stopped before what the rule reads: that run's status ("interrupted",
    # "failed"; rigbench.results.Results.stopped), so a screen can say so without reading it back from ``why``
    stopped: str | None = None
    # unknown, and what would make it judgeable, for code to read (never parsed back from ``why``): {"code": "gpu"} a
    # GPU in the machine; {"code": "bench", "command": ...} a (new) run of ``command``, for a measurement not taken
    # or one that cannot be judged; {"code": "rerun", "command": ...} a figure taken but INVALID, which ``command``
    # on a quiet machine replaces. None: only ``why`` says it (a spec to complete, a catalog without the part ...).
    remedy: dict | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def judged(rule: dict, status: str, measured: str, required: str, why: str, mv=None, rv=None, unit=None,
           change: dict | None = None, stopped: str | None = None, remedy: dict | None = None) -> Check:
    return Check(rule["id"], status, measured, required, why, rule["guideline"], rule.get("short", rule["guideline"]),
                 rule.get("severity", "fail"), mv, rv, unit, bool(rule.get("optional")), change, rule.get("implied"),
                 stopped=stopped, remedy=remedy)


NEEDS_GPU = "gpu"
NEEDS_BENCH = "bench"
NEEDS_RERUN = "rerun"


def needs_gpu() -> dict:
    """The remedy of a rule that judges a GPU the machine does not have."""
    return {"code": NEEDS_GPU}


def needs_bench(command: str = "rigbench bench") -> dict:
    """The remedy of a rule that needs a measurement (again): ``command`` takes it."""
    return {"code": NEEDS_BENCH, "command": command}


def needs_rerun(command: str) -> dict:
    """The remedy of a rule whose measurement ran but is INVALID: ``command`` again, on a quiet machine."""
    return {"code": NEEDS_RERUN, "command": command}


def below(rule: dict) -> str:
    """The status when a machine misses the rule's threshold."""
    return rule.get("severity", "fail")


def ram_need_bytes(m: Machine, gib: float) -> float:
    """The bytes a rule's "N GB" of RAM means for this machine: N GiB (RAM is sold in binary units), or N * 10**9 when
    the RAM was typed in decimal units (``ram=16000MB`` is a person's 16 GB)."""
    return gib * 1000**3 if m.ram_typed_decimal else gib * GIB


