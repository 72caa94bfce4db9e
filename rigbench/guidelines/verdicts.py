"""A profile's verdict on a machine: every rule judged, the laptop's cloud path applied, the worst status counted."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from rigbench.errors import UserError
from rigbench.guidelines.checks import CHECKS
from rigbench.guidelines.checks.base import Check
from rigbench.guidelines.kind import machine_kind
from rigbench.guidelines.machine import Machine
from rigbench.guidelines.profiles import PROFILES, Profile, load_profile

STATUSES = ("fail", "warn", "unknown", "pass", "n/a")   # worst first; n/a never counts
# What a profile's counts are kept under: the statuses, and "not_judged" for an optional rule without its input (a
# price, a PSU rating only a person can give). Such a rule stays out of the verdict and is listed apart ("Not judged"),
# so counting it as unknown too would say one thing in two ways.
COUNTED = STATUSES + ("not_judged",)


def category(check: Check | dict) -> str:
    """Where a rule is counted: its status, or ``not_judged`` for an optional rule left unknown for want of input."""
    status, optional = ((check["status"], check["optional"]) if isinstance(check, dict)
                        else (check.status, check.optional))
    return "not_judged" if optional and status == "unknown" else status


def counts_of(checks: list[Check] | list[dict]) -> dict[str, int]:
    """How many rules fall in each of :data:`COUNTED` (a profile's ``counts``; the recommend screen's summary line and
    headings both read this, as Check objects or their dicts)."""
    cats = [category(c) for c in checks]
    return {s: cats.count(s) for s in COUNTED}


@dataclass
class ProfileVerdict:
    profile: str
    title: str
    verdict: str                    # fail, warn, unknown, pass
    checks: list[Check]
    not_checkable: list[dict]
    inherited: set[str] = field(default_factory=set)

    def counts(self) -> dict[str, int]:
        return counts_of(self.checks)

    def to_dict(self) -> dict:
        return {
            "profile": self.profile, "title": self.title, "verdict": self.verdict, "counts": self.counts(),
            "checks": [c.to_dict() for c in self.checks],
            "not_checkable": [{"id": r["id"], "guideline": r["guideline"], "why": r["why"], "checkable": False}
                              for r in self.not_checkable],
        }


def verdict_of(checks: list[Check]) -> str:
    """The worst status (fail > warn > unknown > pass); optional rules without their input and rules that do not
    apply (n/a) do not count; a profile none of whose rules apply is n/a."""
    counted = [s for s in map(category, checks) if s not in ("not_judged", "n/a")]
    for s in STATUSES:
        if s in counted:
            return s
    return "n/a" if checks and all(c.status == "n/a" for c in checks) else "pass"


def _apply_cloud_path(checks: list[Check], prof: Profile) -> list[Check]:
    """On the cloud path (a laptop without an NVIDIA GPU) the rules for training on the laptop do not apply: they
    become n/a, keeping what they would have said so a person can still read it."""
    if not any(c.path == "cloud" for c in checks):
        return checks
    local = {r["id"] for r in prof.rules if r.get("local_training")}
    out = []
    for c in checks:
        if c.id in local and c.status != "n/a":
            before = c.status
            c = Check(**{**asdict(c), "status": "n/a", "change": None, "path": "cloud",
                         "why": f"on the cloud path training runs on rented GPUs; to train on this laptop: "
                                f"{before}, {c.why}"})
        out.append(c)
    return out


def evaluate(profile_id: str, machine: Machine) -> ProfileVerdict:
    """Judge ``machine`` by every rule of one profile."""
    prof = load_profile(profile_id)
    checks = []
    for rule in prof.rules:
        fn = CHECKS.get(rule["check"])
        if fn is None:  # a data error in profiles/, not user input
            raise ValueError(f"profiles/{profile_id}.toml rule {rule['id']}: unknown check {rule['check']!r}")
        checks.append(fn(rule, machine))
    checks = _apply_cloud_path(checks, prof)
    return ProfileVerdict(profile_id, prof.title, verdict_of(checks), checks, prof.not_checkable, prof.inherited)


def profile_ids(choice: str, machine: Machine | None = None) -> list[str]:
    """The profiles to judge: ``auto`` (those that apply to the machine's kind), ``all`` or one by name."""
    if choice == "auto":
        if machine is None:
            return list(PROFILES)
        return machine_kind(machine).profiles
    if choice == "all":
        return list(PROFILES)
    if choice not in PROFILES:
        raise UserError(f"unknown profile {choice!r}: valid profiles are {', '.join(PROFILES)}, auto or all")
    return [choice]


