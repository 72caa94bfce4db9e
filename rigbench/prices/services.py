"""The cloud services the guide names, and whether the price list has them (``profiles/cloud_services.toml``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from rigbench import data
from rigbench.errors import UserError

STATUSES = ("in the list", "not in the list", "closed")


@dataclass(frozen=True)
class Service:
    name: str
    status: str
    why: str
    source: str

    def to_doc(self) -> dict:
        return asdict(self)


def load_services(text: str | None = None, source: str = "profiles/cloud_services.toml") -> list[Service]:
    """Every service with its status and why; a malformed file names the entry."""
    doc = data.load_toml("cloud_services.toml") if text is None else data.parse_toml(text, source)
    out = []
    for n, entry in enumerate(doc.get("service", []), start=1):
        try:
            svc = Service(str(entry["name"]), str(entry["status"]), " ".join(str(entry["why"]).split()),
                          str(entry["source"]))
        except KeyError as exc:
            raise UserError(f"{source}: service {n} lacks {exc}") from None
        if svc.status not in STATUSES:
            raise UserError(f"{source}: service {svc.name!r} has status {svc.status!r}; use one of {', '.join(STATUSES)}")
        out.append(svc)
    return out
