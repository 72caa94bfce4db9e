"""The cloud price list: one reader for the shipped list and a user's own, which one applies, and picking instances.

``load_prices()`` answers with the user's own list (written by ``rigbench prices refresh`` into the per-user data
folder) when there is one, else the list shipped in ``profiles/cloud_prices.csv``; ``PriceList.origin`` says which,
so every command can name it on screen. ``select_instances()`` turns what a user types after ``--rent`` (an instance,
a provider, ``gpu=A100`` or ``all``) into instances.

Every row carries the date of its price and how that date is known (``date_basis``): ``published`` when the source
states it (a dated page, a commit date), ``fetched`` when only the day the data was read is known (SkyPilot's catalog
files carry no date of their own), so the prices may be older than the row says.
"""

from __future__ import annotations

import csv
import datetime as _dt
import difflib
import io
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from rigbench import catalog, data
from rigbench.errors import UserError
from rigbench.files import (DATA_DIR_ENV, check_replaceable, not_a_folder, read_text, refuse_replacing_other_than,
                            taken_by, user_data_dir, write_text_atomic)
from rigbench.units import MAX_USD, refuse_repeats, shown

# The first GPU instance rented by the hour: Amazon EC2 Cluster GPU (cg1.4xlarge), announced 2010-11-15 (AWS News
# Blog, "Announcing Cluster GPU Instances for Amazon EC2"). A price dated before it is a typo (0001-01-01).
FIRST_GPU_INSTANCE = _dt.date(2010, 11, 15)
# The most GPUs one cloud instance has: 16 (Amazon EC2 P2, p2.16xlarge: 16 NVIDIA K80 GPUs, AWS's P2 instance
# table). A row with more is a typo, and would be costed as one machine.
MAX_GPUS_PER_INSTANCE = 16
BEFORE_ANY_GPU = f"before any GPU could be rented ({FIRST_GPU_INSTANCE.isoformat()}, AWS cg1.4xlarge)"
PRICE_COLUMNS = ("provider", "instance", "gpu_id", "gpu_count", "vcpus", "ram_gb", "on_demand_usd_per_hour",
                 "spot_usd_per_hour", "region", "price_date", "source")
OPTIONAL_COLUMNS = ("date_basis",)
DATE_BASES = ("published", "fetched")
SHIPPED_NAME = "profiles/cloud_prices.csv"
USER_FILE_NAME = "cloud_prices.csv"


@dataclass(frozen=True)
class Instance:
    """One rentable GPU instance and its hourly prices (USD)."""

    provider: str
    name: str
    gpu_id: str
    gpu_count: int
    vcpus: int
    ram_gb: float
    on_demand_usd_per_hour: float
    spot_usd_per_hour: float | None
    region: str
    price_date: _dt.date
    source: str
    date_basis: str = "published"

    @property
    def key(self) -> str:
        """``aws:p3.2xlarge``: how the command line names it."""
        return f"{self.provider}:{self.name}"

    def usd_per_hour(self, spot: bool = False) -> float | None:
        """The hourly price; with ``spot``, the spot price or None where none is published."""
        return self.spot_usd_per_hour if spot else self.on_demand_usd_per_hour

    def dated(self) -> str:
        """Its price's own date as it is shown: '2026-11-24', with ' (fetched: may be older)' where the row is dated
        by the day its catalog file was read. A list holds rows of several dates, and a price is as old as its row."""
        return self.price_date.isoformat() + (f" ({FETCHED})" if self.date_basis == "fetched" else "")


# said beside a price dated by the day its catalog file was read, not by a date its source states
FETCHED = "fetched: may be older"


@dataclass
class PriceList:
    """The instances of one price file. ``date`` is its oldest row's price date (what staleness is judged by).

    ``origin``: ``shipped`` (profiles/cloud_prices.csv), ``user`` (the list ``rigbench prices refresh`` wrote) or
    ``file`` (``--prices FILE``).
    """

    instances: list[Instance]
    date: _dt.date
    source: str
    origin: str = "file"

    @property
    def providers(self) -> list[str]:
        return sorted({i.provider for i in self.instances})

    @property
    def fetched_dated(self) -> list[Instance]:
        """Rows dated by the day their data was read, not by a date the source states."""
        return [i for i in self.instances if i.date_basis == "fetched"]

    def age_days(self, today: _dt.date | None = None) -> int:
        return ((today or _dt.date.today()) - self.date).days

    def is_stale(self, max_age_days: int, today: _dt.date | None = None) -> bool:
        return self.age_days(today) > max_age_days

    @property
    def origin_label(self) -> str:
        """A short name of where the list comes from: 'shipped', 'your own', '--prices'."""
        return {"shipped": "shipped", "user": "your own", "file": "--prices"}.get(self.origin, self.origin)

    def describe(self) -> str:
        """One phrase naming the list, for the screen."""
        what = {"shipped": "the list shipped with rigbench", "user": "your own list (rigbench prices refresh)",
                "file": "the list you gave"}.get(self.origin, "the list")
        return f"{what}, {self.source}"


# --------------------------------------------------------------------------------------------------------------------
# Where the lists live


def user_prices_path() -> Path:
    """Where ``rigbench prices refresh`` writes the user's own price list."""
    return user_data_dir() / USER_FILE_NAME


# --------------------------------------------------------------------------------------------------------------------
# Reading


def parse_prices(text: str, source: str, origin: str = "file") -> PriceList:
    """Parse price-list CSV text (through :func:`rigbench.data.parse_csv`: lines starting with '#' are comments).
    Every error names the line and column."""
    instances: list[Instance] = []
    seen: dict[str, str] = {}
    for row in data.parse_csv(text, source, required=PRICE_COLUMNS, exact_width=True):
        where = row.where
        for col in ("provider", "instance", "gpu_id", "region", "source"):
            if not row[col]:
                raise UserError(f"{where}: column '{col}' is empty")
        try:
            card = catalog.lookup(row["gpu_id"])
        except UserError:
            # found here, the error names the file and line; found when a command costs the instance, it named
            # only the card ("unknown GPU"), as if the user had typed it
            raise UserError(f"{where}: column 'gpu_id' is {shown(row['gpu_id'])}, not a card of the catalog "
                            "('rigbench gpus' lists them)") from None
        if card.variants:
            # a row prices one card: a family name ('a100') was priced as whichever card the alias took first, where
            # compare and size at least say which they took
            raise UserError(f"{where}: column 'gpu_id' is {shown(row['gpu_id'])}, which names "
                            f"{len(card.variants) + 1} cards ({', '.join((card.gpu.id, *card.variants))}); a price "
                            "list names one card: write its id")
        gpu_count = row.number("gpu_count", integer=True)
        if gpu_count < 1:
            raise UserError(f"{where}: column 'gpu_count' is {gpu_count}; a GPU instance has at least 1 GPU")
        if gpu_count > MAX_GPUS_PER_INSTANCE:
            raise UserError(f"{where}: column 'gpu_count' is {gpu_count}; one cloud instance has at most "
                            f"{MAX_GPUS_PER_INSTANCE} GPUs (AWS p2.16xlarge): list "
                            "the GPUs of one instance")
        # zero is no price: a free instance would win every comparison and break-even would divide by it; the bound
        # of every amount typed keeps 1e308 from printing as hundreds of digits and totalling to inf
        on_demand = row.number("on_demand_usd_per_hour", positive="an hourly price is above zero", at_most=MAX_USD)
        spot = row.number("spot_usd_per_hour", optional=True, positive="an hourly price is above zero",
                          at_most=MAX_USD)
        if spot is not None and spot > on_demand:
            raise UserError(f"{where}: column 'spot_usd_per_hour' ({spot}) is above on-demand ({on_demand})")
        try:
            price_date = _dt.date.fromisoformat(row["price_date"])
        except ValueError:
            raise UserError(f"{where}: column 'price_date' is {row['price_date']!r}; write it as YYYY-MM-DD") from None
        if price_date > _dt.date.today() + _dt.timedelta(days=1):  # a day of slack for time zones
            raise UserError(f"{where}: column 'price_date' is {price_date.isoformat()}, in the future; give the date "
                            "the price was read")
        if price_date < FIRST_GPU_INSTANCE:
            raise UserError(f"{where}: column 'price_date' is {price_date.isoformat()}, {BEFORE_ANY_GPU}; give the date "
                            "the price was read")
        basis = row.get("date_basis") or "published"
        if basis not in DATE_BASES:
            raise UserError(f"{where}: column 'date_basis' is {basis!r}; write one of {', '.join(DATE_BASES)}")
        inst = Instance(
            provider=row["provider"].lower(), name=row["instance"], gpu_id=row["gpu_id"], gpu_count=gpu_count,
            vcpus=row.number("vcpus", integer=True), ram_gb=row.number("ram_gb"),
            on_demand_usd_per_hour=on_demand, spot_usd_per_hour=spot, region=row["region"], price_date=price_date,
            source=row["source"], date_basis=basis,
        )
        if inst.key.lower() in seen:
            raise UserError(f"{where}: instance {inst.key} is listed twice (first at {seen[inst.key.lower()]})")
        seen[inst.key.lower()] = where
        instances.append(inst)
    if not instances:
        raise UserError(f"{source}: the header is there but no instances follow")
    return PriceList(instances=instances, date=min(i.price_date for i in instances), source=source, origin=origin)


def load_shipped_prices() -> PriceList:
    """The list shipped with rigbench (``profiles/cloud_prices.csv``)."""
    return parse_prices(data.shipped_text("cloud_prices.csv"), SHIPPED_NAME, "shipped")


# The way out of an unreadable own list for the commands that take --prices (cost, size)
WITH_PRICES_OPTION = "pass --prices FILE to use another list"


def stale_advice(prices: PriceList) -> str:
    """What to do about a price list past its age, for the commands that take --prices (cost, size): a list given
    with --prices is the user's to update; otherwise refresh the own list, or give one."""
    if prices.origin == "file":
        return (f"update {prices.source} with current prices, or leave out --prices after 'rigbench prices "
                "refresh'")
    return "run 'rigbench prices refresh' or pass --prices FILE"


def stale_warning(prices: PriceList, max_age_days: int, takes_prices: bool = True) -> str | None:
    """'prices are 317 days old (list dated 2026-01-21): run ...' for a list past ``max_age_days`` (the ownership
    profile's ``stale_after_days``), else None: every command that shows a price of the list says it alike.
    ``takes_prices``: the command has --prices FILE to offer (recommend has not)."""
    if not prices.is_stale(max_age_days):
        return None
    advice = stale_advice(prices) if takes_prices else "run 'rigbench prices refresh'"
    return f"prices are {prices.age_days()} days old (list dated {prices.date}): {advice}"


def load_prices(path: str | Path | None = None, *, instead: str | None = None) -> PriceList:
    """``--prices FILE`` when given; else the user's own list (``rigbench prices refresh``) when there is one; else
    the shipped list.

    An own list that cannot be read stops the command with why and the ways out; ``instead`` adds the caller's own
    (:data:`WITH_PRICES_OPTION`), where it has one."""
    if path is not None:
        return parse_prices(read_text(path, "price file"), str(path), "file")
    own = user_prices_path()
    if own.is_file():
        try:
            return _load_own(own)
        except UserError as exc:
            # rigbench found and read this file without being asked: a user who never opened the data folder would
            # not know where the file came from, nor that the command it names is the one that rebuilds it
            if own.is_symlink():
                # a refresh writes no file through a link (rigbench.files): pointing to it would be advice refused
                ways = [f"move the symbolic link {one_line(str(own))} away (then 'rigbench prices refresh' writes "
                        "a new list, or the shipped one is used)", *([instead] if instead else [])]
            else:
                ways = ["run that again to rebuild it", "delete the file to go back to the shipped list",
                        *([instead] if instead else [])]
            raise UserError(f"{exc}; it is your own price list, written by 'rigbench prices refresh': "
                            + (ways[0] if len(ways) == 1 else
                               f"{', '.join(ways[:-1])}{',' if len(ways) > 2 else ''} or {ways[-1]}")) from None
    return load_shipped_prices()


def load_prices_to_refresh() -> tuple[PriceList, str | None]:
    """The list whose rows a refresh keeps for the clouds its source has no file for: the user's own when there is
    one, else the shipped list; and why the own list was set aside, or None.

    A refresh builds a new list, so an own list that cannot be read (cut short, edited by hand) must not stop it:
    rebuilding it is the way out the other commands point to. Its rows are not trusted then; the shipped ones are."""
    own = user_prices_path()
    if own.is_file():
        try:
            return _load_own(own), None
        except UserError as exc:
            return load_shipped_prices(), str(exc)
    return load_shipped_prices(), None


def _load_own(own: Path) -> PriceList:
    return parse_prices(read_text(own, "price file"), str(own), "user")


# --------------------------------------------------------------------------------------------------------------------
# Picking instances


def resolve_instance(name: str, prices: PriceList | None = None, *, selectors: bool = False) -> Instance:
    """``aws:p3.2xlarge`` (or a bare ``p3.2xlarge`` when only one provider has it), case-insensitive.

    ``selectors``: the caller also takes a provider, ``gpu=NAME`` or ``all`` (``--rent``), and the error says so;
    ``recommend --instance`` takes one instance only, and was told those forms it then refused."""
    prices = prices or load_prices()
    wanted = name.strip().lower()
    by_key = {i.key.lower(): i for i in prices.instances}
    if wanted in by_key:
        return by_key[wanted]
    bare = [i for i in prices.instances if i.name.lower() == wanted]
    if len(bare) == 1:
        return bare[0]
    if len(bare) > 1:
        raise UserError(f"instance {shown(name)} is offered by several providers: {', '.join(i.key for i in bare)}; "
                        f"name one")
    close = difflib.get_close_matches(wanted, list(by_key) + [i.name.lower() for i in prices.instances], n=3, cutoff=0.5)
    keys = []
    for c in close:
        inst = by_key.get(c) or next(i for i in prices.instances if i.name.lower() == c)
        if inst.key not in keys:
            keys.append(inst.key)
    hint = f"did you mean {', '.join(keys)}?" if keys else "see the list with 'rigbench prices list'"
    forms = f", a provider ({', '.join(prices.providers)}), gpu=NAME or all" if selectors else ", e.g. aws:p3.2xlarge"
    raise UserError(f"unknown instance {shown(name)} in {prices.source}: {hint} (write it as provider:instance{forms})")


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[^a-z0-9]+", text.lower()) if t]


def gpu_matches(query: str, gpu_id: str) -> bool:
    """``gpu=V100`` matches every V100 (``tesla-v100-sxm2-16gb``, ``tesla-v100-pcie-16gb``): each word of the query is
    a word of the catalog id, so ``A10`` is not ``A100`` or ``A10G``, and ``A100-80GB`` is only the 80 GB A100; a word
    of letters alone also matches its numbered forms (``A100 SXM``: sxm4)."""
    want = _tokens(query)
    have = set(_tokens(gpu_id))
    # a word of letters alone also names its numbered forms: 'SXM' is sxm2 and sxm4 (a form factor said without
    # its generation); a word with a digit ('A10') names itself only
    return bool(want) and all(t in have or (t.isalpha() and any(h.startswith(t) and h[len(t):].isdigit()
                                                                   for h in have)) for t in want)


def select_instances(specs: Sequence[str], prices: PriceList) -> tuple[list[Instance], list[str]]:
    """The instances ``--rent`` names, in the order given, without repeats, and which specs were selectors.

    A spec is ``all``, a provider (``aws``), ``gpu=NAME`` (every instance with that GPU), or one instance
    (``aws:p3.2xlarge`` or a bare name one provider has). Returns (instances, the selector specs).
    """
    out: list[Instance] = []
    selectors: list[str] = []
    seen: set[str] = set()
    named: list[tuple[str, str]] = []   # (spec, key) of each instance named itself, as --buy's cards are checked
    chosen: list[tuple[str, str]] = []  # (spec, what it selects) of each selector: overlapping ones are fine, one
                                        # selector given twice ("aws" and "AWS") is the same slip as an instance twice

    def add(items: Iterable[Instance]) -> None:
        for inst in items:
            if inst.key not in seen:
                seen.add(inst.key)
                out.append(inst)

    providers = set(prices.providers)
    for raw in specs:
        spec = raw.strip()
        low = spec.lower()
        if low == "all":
            chosen.append((raw, "every instance"))
            refuse_repeats(chosen, "--rent", "selection")
            selectors.append(spec)
            add(prices.instances)
        elif low in providers:
            chosen.append((raw, f"provider {low}"))
            refuse_repeats(chosen, "--rent", "selection")
            selectors.append(spec)
            add(i for i in prices.instances if i.provider == low)
        elif low.startswith("gpu="):
            query = spec[4:].strip()
            if not query:
                raise UserError(f"--rent {shown(raw)}: gpu= needs a GPU name, e.g. gpu=v100")
            if "," in query or "=" in query:
                # one selector names one GPU: 'gpu=v100,gpu=a100' was read as a GPU called 'v100,gpu=a100'
                raise UserError(f"--rent {shown(spec)}: gpu= names one GPU (gpu=v100); give one --rent per selector "
                                "(--rent gpu=v100 --rent gpu=a100)")
            hits = [i for i in prices.instances if gpu_matches(query, i.gpu_id)]
            if not hits:
                gpus = sorted({i.gpu_id for i in prices.instances})
                raise UserError(f"--rent {shown(spec)}: no instance in {prices.source} has a GPU matching {shown(query)}; "
                                f"the list has {', '.join(gpus)}")
            chosen.append((raw, "gpu=" + ",".join(sorted({i.gpu_id for i in hits}))))
            refuse_repeats(chosen, "--rent", "selection")
            selectors.append(spec)
            add(hits)
        else:
            inst = resolve_instance(spec, prices, selectors=True)
            # an instance named twice is a slip, as a card bought twice is (selectors may overlap: aws, gpu=V100)
            named.append((raw, inst.key))
            refuse_repeats(named, "--rent", "instance")
            add([inst])
    return out, selectors


# --------------------------------------------------------------------------------------------------------------------
# Writing


def control_character(text: str) -> str | None:
    """The first control character of ``text`` (a line break, a tab, an escape) or line separator, or None. A price
    list is read line by line, and ``str.splitlines`` ends a line at any of these, quoted or not: one inside a value
    splits its row in two."""
    return next((ch for ch in text if unicodedata.category(ch) in ("Cc", "Zl", "Zp")), None)


def one_line(text: str) -> str:
    """``text`` with each control character written as its escape (a line break as ``\\n``): how a path, which may
    hold one, is named inside a price list."""
    return "".join(ch.encode("unicode_escape").decode("ascii") if control_character(ch) else ch for ch in text)


def format_row(inst: Instance) -> list[str]:
    """One CSV row of ``inst`` in the list's column order (PRICE_COLUMNS + date_basis)."""
    return [inst.provider, inst.name, inst.gpu_id, str(inst.gpu_count), str(inst.vcpus), f"{inst.ram_gb:g}",
            _num(inst.on_demand_usd_per_hour), "" if inst.spot_usd_per_hour is None else _num(inst.spot_usd_per_hour),
            inst.region, inst.price_date.isoformat(), inst.source, inst.date_basis]


def _num(x: float) -> str:
    """A price as short as it is exact: 0.54, 29.38708 (sums of catalog rows rounded to 6 decimals)."""
    return f"{round(x, 6):.12g}"


def prices_csv(instances: Sequence[Instance], comments: Sequence[str] = ()) -> str:
    buf = io.StringIO()
    for line in comments:
        buf.write(f"# {one_line(line)}\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(list(PRICE_COLUMNS) + list(OPTIONAL_COLUMNS))
    for inst in instances:
        w.writerow(format_row(inst))
    return buf.getvalue()


def write_prices(path: str | Path | None, instances: Sequence[Instance], comments: Sequence[str] = (), *,
                 dry_run: bool = False) -> Path | None:
    """Write a price list atomically (temp file + rename): a reader never sees half a list, a failure keeps the old.

    ``path`` None (or naming it): the user's own list (:func:`user_prices_path`), which a refresh rebuilds whatever
    it holds. Any other existing file is replaced only if it is a price list: ``--out`` naming a results file or
    notes by mistake must not turn them into a CSV.

    ``dry_run``: every check of a real write (the list reads back, the path may be written to), then nothing is
    written and None is returned: a dry run that passes a list the real run then refuses tells the user nothing."""
    own = path is None or is_user_prices_path(path)
    target = user_prices_path() if path is None else path
    text = prices_csv(instances, comments)
    try:
        parse_prices(text, "the new list")   # what we write must read back
    except UserError as exc:
        # named as the file, the error blamed a file that was never written
        raise UserError(f"nothing written to {target}: the new price list would not read back ({exc})") from None
    if own:
        _check_own_list_path(Path(target))
    else:
        check_replaceable(target, "the price list")
        if os.path.lexists(target):
            refuse_replacing_other_than(target, _load_for_replacing, "price list")
    if dry_run:
        return None
    what, option = _OWN if own else ("the price list", "--out")
    return write_text_atomic(target, text, what=what, option=option)


def _load_for_replacing(path: Path) -> PriceList:
    return parse_prices(read_text(path, "price file"), str(path))


# the ways out of a per-user list that cannot be written, in the words the per-user results folder uses
_OWN_WAYS_OUT = f"move it away (or set {DATA_DIR_ENV} to another folder), or pass --out FILE"
# what and option in the write policy's messages for the own list: "... choose another --out FILE"
_OWN = ("your own price list", "--out FILE")


def _check_own_list_path(path: Path) -> None:
    """Refuse, in the words of the per-user data folder, what stops the user's own list being written at ``path``:
    no ``--out`` was given, so a message about "--out" would name an option the user never typed."""
    taken = taken_by(path)
    if taken is not None:
        raise UserError(f"cannot write your own price list {one_line(str(path))}: {taken} stands there; "
                        f"{_OWN_WAYS_OUT}")
    for parent in path.parents:
        blocked = not_a_folder(parent)
        if blocked == "nothing":
            continue
        if blocked is not None:
            raise UserError(f"cannot write your own price list {one_line(str(path))}: {one_line(str(parent))} is "
                            f"{blocked}, not a folder; {_OWN_WAYS_OUT}")
        break
    check_replaceable(path, *_OWN)


def is_user_prices_path(path: str | Path) -> bool:
    """Whether ``path`` is the user's own list (:func:`user_prices_path`), the one cost and recommend read unasked."""
    own = user_prices_path()
    try:
        return Path(path).resolve() == own.resolve() or (own.exists() and os.path.samefile(path, own))
    except OSError:
        return False


def format_instances(prices: PriceList) -> Iterable[tuple]:
    """Rows for listing a price list."""
    for i in sorted(prices.instances, key=lambda i: (i.provider, i.on_demand_usd_per_hour)):
        yield (i.key, i.gpu_id, i.gpu_count, i.vcpus, f"{i.ram_gb:g}", f"{i.on_demand_usd_per_hour:.4g}",
               "-" if i.spot_usd_per_hour is None else f"{i.spot_usd_per_hour:.4g}", i.region,
               i.price_date.isoformat() + ("" if i.date_basis == "published" else "*"))
