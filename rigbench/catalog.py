"""The GPU catalog: NVIDIA cards from Kepler (Tesla K80) to Blackwell, read from ``profiles/gpus.csv``.

Every row is one card with its spec-sheet numbers and the source they came from. Tensor-core figures are dense (no
2:4 sparsity) FP16/BF16 with FP32 accumulate, the mode mixed-precision training uses: GeForce cards run it at half
their FP16-accumulate rate, data-centre and workstation cards at full rate. ``fp16_tflops`` is the non-tensor FP16
rate (1/64 of FP32 on consumer Pascal), used only for cards without tensor cores. ``nvlink_gbps`` is 0 for a card
without NVLink; an empty cell (``None``) means the figure is not published.

Names resolve leniently: ``1080ti``, ``GTX 1080 Ti``, ``gtx-1080-ti`` and the NVML name ``NVIDIA GeForce GTX 1080 Ti``
are one card (:func:`resolve`); the probe asks :func:`match_nvml_name`, which never raises. A short name that
several cards share (``a100``, ``v100``, ``h100``, ``4090``) resolves to the card whose alias it is, and
:func:`lookup` says which others it could have meant (``Resolution.variants``), so a caller can tell the user.

Laptop parts (``form_factor = "laptop"``) carry the top of NVIDIA's power range as ``tdp_w`` (with the boost
clock NVIDIA quotes for it) and the bottom as ``tdp_min_w``: the laptop maker picks the power limit.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rigbench import data
from rigbench.errors import UserError
from rigbench.files import read_text
from rigbench.units import shown

ARCHITECTURES = ("kepler", "pascal", "volta", "turing", "ampere", "ada", "hopper", "blackwell")
FORM_FACTORS = ("desktop", "workstation", "datacenter", "laptop")

# words a vendor puts in front of a model name; dropped before matching
_NOISE_WORDS = re.compile(r"\b(nvidia|geforce|tesla)\b")
_NON_ALNUM = re.compile(r"[^a-z0-9]")


@dataclass(frozen=True)
class Gpu:
    """One card of the catalog. Units are in the names; ``None`` means not published (see ``source``)."""

    id: str
    name: str
    aliases: tuple[str, ...]
    architecture: str
    compute_capability: str
    sm_count: int | None
    cuda_cores: int | None
    boost_clock_mhz: int | None
    fp32_tflops: float
    fp16_tflops: float | None          # non-tensor FP16 (CUDA cores)
    has_tensor_cores: bool
    fp16_tensor_tflops: float | None   # dense, FP32 accumulate
    bf16_tensor_tflops: float | None   # dense, FP32 accumulate; None before Ampere
    tf32_tflops: float | None          # dense; None before Ampere
    memory_gb: float
    memory_type: str
    memory_bandwidth_gbps: float
    tdp_w: float | None
    pcie_gen: int
    pcie_lanes: int
    nvlink_gbps: float                 # total bidirectional NVLink bandwidth; 0 = none
    launch_year: int
    launch_price_usd: float | None
    form_factor: str                   # desktop | workstation | datacenter | laptop
    tdp_min_w: float | None            # lowest power limit the maker may set (laptops, configurable parts)
    source: str

    @property
    def memory_bytes(self) -> int:
        """Device memory in bytes (GPU memory is sold in binary units: 24 GB = 24 GiB)."""
        return int(self.memory_gb * 1024**3)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["aliases"] = list(self.aliases)
        return d


# The marks a vendor's own spelling carries ("NVIDIA® GeForce RTX™ 4090"): dropped before folding, which would turn
# ™ into the letters "TM".
_MARKS = str.maketrans("", "", "®™")
# The characters a card name may hold besides ASCII letters and digits, once folded (:func:`fold`): those of the
# catalog's ids, names and aliases (space, '-', '(', ')'), the spellings people and tools write ('_', '.', '/'), the
# power limit's '@' (:func:`lookup`), and the vendor's marks above.
NAME_PUNCTUATION = " -_.()/@®™"


def fold(name: str) -> str:
    """``name`` as the catalog reads it: Unicode compatibility folding (NFKC, Unicode Standard Annex #15,
    https://unicode.org/reports/tr15/), so a fullwidth 'ａ１００' typed on a Japanese or Chinese keyboard, or a
    no-break space pasted from a web page, is the ASCII character it stands for."""
    return unicodedata.normalize("NFKC", str(name).translate(_MARKS))


def refuse_odd_characters(name: str) -> None:
    """A ``UserError`` for a name that still holds, folded, a character no card name has: a letter or digit outside
    ASCII ('é', a Cyrillic 'а' that looks like a Latin one, a superscript), or punctuation other than
    :data:`NAME_PUNCTUATION` ('!', '–'). Without it :func:`normalize` would drop the character and 'é a100' or
    'a100 !' would quietly be the A100."""
    for ch in fold(name):
        if ch.isascii() and (ch.isalnum() or ch.isspace()) or ch in NAME_PUNCTUATION:
            continue
        if ch.lower() in COUNT_SIGNS:
            # '2.5× a100', '×2 a100', a bare '2×': a count sign out of a count's place
            raise UserError(f"{shown(name)} is not a card name: {ch!r} (U+{ord(ch):04X}) stands only between a whole "
                            "number of cards and a card's name, as in '2× rtx-3090'")
        what = "a letter or digit outside ASCII" if ch.isalnum() else "a character no card name has"
        raise UserError(f"{shown(name)} is not a card name: {ch!r} (U+{ord(ch):04X}) is {what}; card names are "
                        "ASCII letters and digits with spaces and - _ . ( ) /, e.g. 'rtx-4090' or 'RTX 6000 Ada'")


def normalize(name: str) -> str:
    """'NVIDIA GeForce GTX 1080 Ti' -> 'gtx1080ti': folded (:func:`fold`), lowercase, vendor words and punctuation
    dropped."""
    return _NON_ALNUM.sub("", _NOISE_WORDS.sub(" ", fold(name).lower()))


# The signs a card count may stand before a card's name with: 'x' ('2x a100', as the output writes it), the
# multiplication sign U+00D7 and its look-alikes U+2715 and U+2A2F that a phone, a word processor or a spec sheet
# puts there ('2× a100'), '*', and the fullwidth ｘ and ＊ (each matched in either case). Every parser of a count
# reads them (comparison.NX, recommend --spec gpu=), so '2× a100' is '2x a100' to every command.
COUNT_SIGNS = "x\u00d7\u2715\u2a2f*\uff58\uff0a"
# A card count written before a card's name: '2x', '2×', '2*'; what follows may be empty.
_COUNT_PREFIX = re.compile(rf"^\s*([0-9]+)\s*[{COUNT_SIGNS}]\s*-?\s*(.*)$", re.IGNORECASE)


def count_given_twice(count: int, card: str) -> str | None:
    """Why ``card``, what follows a count of ``count`` cards, is no card to look up when it begins with a count of
    its own ('2x 2x a100', '2x 4x a100', '2x 2x'); None otherwise, and for a name that only looks so and is a card's.
    Which of the two counts was meant is not for rigbench to guess: the message offers both. Every parser of a card
    count (compare, cost --buy, size --gpus, recommend --spec gpu=) asks here, so all say it in the same words."""
    inner = _COUNT_PREFIX.match(card)
    if inner is None or find(card) is not None:
        return None
    rest = inner.group(2).strip()
    other = int(inner.group(1)) if rest else count        # a count alone ('2x 2x'): the card is missing too
    rest = rest or "CARD"
    either = f"'{count}x {rest}'" + (f" or '{other}x {rest}'" if other != count else "")
    return f"the card count is given twice; give one 'Nx' per card: {either}"


_INT_FIELDS = {"sm_count", "cuda_cores", "boost_clock_mhz", "pcie_gen", "pcie_lanes", "launch_year"}
_FLOAT_FIELDS = {"fp32_tflops", "fp16_tflops", "fp16_tensor_tflops", "bf16_tensor_tflops", "tf32_tflops",
                 "memory_gb", "memory_bandwidth_gbps", "tdp_w", "nvlink_gbps", "launch_price_usd", "tdp_min_w"}


def _parse_row(row: dict, where: str) -> Gpu:
    values: dict = {}
    for f in dataclasses.fields(Gpu):
        raw = (row.get(f.name) or "").strip()
        if f.name == "aliases":
            values[f.name] = tuple(a.strip() for a in raw.split(";") if a.strip())
        elif f.name == "has_tensor_cores":
            if raw not in ("true", "false"):
                raise ValueError(f"{where}: has_tensor_cores must be true or false, not {raw!r}")
            values[f.name] = raw == "true"
        elif f.name in _INT_FIELDS:
            values[f.name] = int(raw) if raw else None
        elif f.name in _FLOAT_FIELDS:
            values[f.name] = float(raw) if raw else None
        elif f.name == "form_factor":
            if raw not in FORM_FACTORS:
                raise ValueError(f"{where}: form_factor must be one of {', '.join(FORM_FACTORS)}, not {raw!r}")
            values[f.name] = raw
        else:
            values[f.name] = raw
    return Gpu(**values)


@lru_cache(maxsize=4)
def _load(path: str | None) -> tuple[Gpu, ...]:
    if path is None:
        rows = data.load_csv("gpus.csv")
    else:
        rows = data.parse_csv(read_text(path, "GPU catalog"), path)
    return tuple(_parse_row(row.values, row.where) for row in rows)


def load_catalog(path: str | Path | None = None) -> list[Gpu]:
    """All cards, in file order (by architecture, then by size)."""
    return list(_load(str(path) if path is not None else None))


def select(architecture: str | None = None, min_memory_bytes: int | None = None,
           max_launch_price_usd: float | None = None, cards: list[Gpu] | None = None) -> list[Gpu]:
    """The cards of one architecture, with at least this much memory, launched at up to this price (each filter
    only when given; a card without a published launch price never passes a price limit), from ``cards`` (the
    whole catalog by default). An unknown architecture is a ``UserError`` listing the valid ones."""
    cards = load_catalog() if cards is None else list(cards)
    if architecture is not None:
        arch = architecture.strip().lower()     # spaces around a value are trimmed, as around sizes and amounts
        if arch not in ARCHITECTURES:
            raise UserError(f"unknown architecture {shown(architecture)}; valid: {', '.join(ARCHITECTURES)}")
        cards = [g for g in cards if g.architecture == arch]
    if min_memory_bytes is not None:
        cards = [g for g in cards if g.memory_bytes >= min_memory_bytes]
    if max_launch_price_usd is not None:
        cards = [g for g in cards if g.launch_price_usd is not None and g.launch_price_usd <= max_launch_price_usd]
    return cards


def left_out(named: list[list[Gpu]] | None = None, architecture: str | None = None,
             min_memory_bytes: int | None = None, max_launch_price_usd: float | None = None) -> list[str]:
    """What :func:`select` with these filters leaves out that a person would miss, one line each. ``named``: the
    cards each name on the command line gives (:func:`named`), None for the whole catalog. For a name none of whose
    cards is left, each of them with the filter that removed it and why ("--arch ada left out rtx-3090: rtx-3090 is
    ampere, not ada"; a family a filter narrows, 'a100 --min-memory 80GB', is what was asked); and the cards
    --max-price leaves out for having no launch price, or "0 cards" reads as if none of them existed."""
    notes: list[str] = []
    arch = None if architecture is None else architecture.strip().lower()
    cards = None if named is None else list(dict.fromkeys(g for group in named for g in group))
    kept = set(select(architecture, min_memory_bytes, max_launch_price_usd, cards=cards))
    gone = [g for group in named or [] if not kept & set(group) for g in group]
    for g in dict.fromkeys(gone):
        if arch is not None and g.architecture != arch:
            notes.append(f"--arch {arch} left out {g.id}: {g.id} is {g.architecture}, not {arch}")
        if min_memory_bytes is not None and g.memory_bytes < min_memory_bytes:
            notes.append(f"--min-memory left out {g.id}: {g.id}'s {g.memory_gb:g} GB is below "
                         f"{min_memory_bytes / 1024**3:,.4g} GB")
        price = g.launch_price_usd
        if max_launch_price_usd is not None and price is not None and price > max_launch_price_usd:
            notes.append(f"--max-price left out {g.id}: {g.id}'s launch price {price:,.0f} USD is above "
                         f"{max_launch_price_usd:,.2f}".removesuffix(".00"))
    if named is None and not kept:
        notes.append(_nothing_passes(architecture, min_memory_bytes, max_launch_price_usd))
    if max_launch_price_usd is not None:
        unpriced = [g.id for g in select(architecture, min_memory_bytes, cards=cards) if g.launch_price_usd is None]
        if unpriced:
            notes.append(f"--max-price left out {len(unpriced)} card{'' if len(unpriced) == 1 else 's'} "
                         f"without a launch price ({', '.join(unpriced[:3])}{', ...' if len(unpriced) > 3 else ''}"
                         "): leave --max-price out to list them")
    return notes


def _nothing_passes(architecture: str | None, min_memory_bytes: int | None,
                    max_launch_price_usd: float | None) -> str:
    """Which filter left the whole catalog empty, with the nearest card it kept out: "0 cards" alone does not say
    whether the limit was a little or far off."""
    cards = select(architecture)
    which = f"{architecture.strip().lower()} card" if architecture is not None else "card in the catalog"
    if min_memory_bytes is not None and not select(min_memory_bytes=min_memory_bytes, cards=cards):
        most = max(cards, key=lambda g: g.memory_bytes)
        return (f"no {which} has {min_memory_bytes / 1024**3:,.4g} GB of memory or more (the most: {most.id}, "
                f"{most.memory_gb:g} GB)")
    if min_memory_bytes is not None:
        cards = select(min_memory_bytes=min_memory_bytes, cards=cards)
        which += f" with {min_memory_bytes / 1024**3:,.4g} GB or more"
    priced = [g for g in cards if g.launch_price_usd is not None]
    if not priced:
        return f"no {which} has a published launch price"
    cheapest = min(priced, key=lambda g: g.launch_price_usd)
    return (f"no {which} launched at {max_launch_price_usd:,.2f} USD or less".replace(".00 USD", " USD")
            + f" (the cheapest: {cheapest.id} at {cheapest.launch_price_usd:,.0f} USD)")


def match_keys(gpu: Gpu) -> set[str]:
    """The normalised names a card answers to: its id, name and aliases."""
    return {k for k in (normalize(x) for x in (gpu.id, gpu.name, *gpu.aliases)) if k}


@lru_cache(maxsize=4)
def _index(path: str | None) -> dict[str, Gpu]:
    index: dict[str, Gpu] = {}
    for gpu in _load(path):
        for key in match_keys(gpu):
            index.setdefault(key, gpu)
    return index


def find(name: str) -> Gpu | None:
    """The card called ``name`` (any spelling :func:`normalize` folds together), or None."""
    return _index(None).get(normalize(name))


def match_nvml_name(name: str | None) -> str | None:
    """The catalog id of the card NVML calls ``name`` ('NVIDIA GeForce RTX 2080 Ti' -> 'rtx-2080-ti'); None if unknown."""
    if not name:
        return None
    gpu = find(name)
    return gpu.id if gpu is not None else None


def closest(name: str, n: int = 3) -> list[str]:
    """Ids of the cards whose names are nearest to ``name`` (difflib ratio on normalised names)."""
    key = normalize(name)
    by_key = {k: g.id for k, g in _index(None).items()}
    hits = difflib.get_close_matches(key, list(by_key), n=n * 3, cutoff=0.5)
    ids: list[str] = []
    for k in hits:
        if by_key[k] not in ids:
            ids.append(by_key[k])
    return ids[:n]


_TOKEN = re.compile(r"[a-z0-9]+")
_SERIES_WORDS = ("rtx", "gtx")     # a GeForce card's series word, which people often leave out ('3090', '1080 ti')
_POWER_LIMIT = re.compile(r"^(.*?)\s*@\s*([0-9]+(?:\.[0-9]+)?)\s*w\s*$", re.IGNORECASE)


@lru_cache(maxsize=1)
def laptop_configs() -> dict[str, list[tuple[float, float, float, str]]]:
    """NVIDIA's published configurations of a laptop GPU (``profiles/laptop_gpu_configs.csv``): card id ->
    [(TGP W, boost MHz, memory bandwidth GB/s, source)], by TGP. A laptop maker picks one; below the top TGP the
    boost clock (and on the Max-Q steps the memory speed) is lower than the catalog row's."""
    out: dict[str, list[tuple[float, float, float, str]]] = {}
    for r in data.load_csv("laptop_gpu_configs.csv", required=("gpu", "tgp_w", "boost_clock_mhz",
                                                                "memory_bandwidth_gbps", "source")):
        out.setdefault(r["gpu"], []).append((float(r.number("tgp_w", positive="a TGP is positive")),
                                             float(r.number("boost_clock_mhz", positive="a clock is positive")),
                                             float(r.number("memory_bandwidth_gbps", positive="a bandwidth is positive")),
                                             r["source"]))
    return {k: sorted(v) for k, v in out.items()}


def _configured(gpu: Gpu, watts: float) -> tuple[float, float] | None:
    """(boost MHz, memory GB/s) of ``gpu`` at a TGP of ``watts`` from its published configurations (the catalog
    row itself is the top one): a listed TGP gives its own; between two listed ones the boost clock is interpolated
    linearly and the memory is the lower one's (a configuration's memory speed is fixed; the laptop maker can only
    have picked a step at or below its TGP). None where none are published."""
    steps = laptop_configs().get(gpu.id)
    if not steps or gpu.boost_clock_mhz is None or gpu.tdp_w is None:
        return None
    points = [(w, mhz, bw) for w, mhz, bw, _ in steps] + [(gpu.tdp_w, float(gpu.boost_clock_mhz),
                                                           gpu.memory_bandwidth_gbps)]
    points.sort()
    below = [p for p in points if p[0] <= watts]
    above = [p for p in points if p[0] >= watts]
    if not below:                        # under the lowest published step: its clocks, the power term does the rest
        return points[0][1], points[0][2]
    lo, hi = below[-1], above[0]
    mhz = lo[1] if hi[0] == lo[0] else lo[1] + (hi[1] - lo[1]) * (watts - lo[0]) / (hi[0] - lo[0])
    return mhz, lo[2]


def with_power_limit(gpu: Gpu, watts: float) -> Gpu:
    """The card run at a lower power limit (a laptop's TGP as its maker set it, or ``nvidia-smi -pl``): the same
    chip with ``tdp_w = tdp_min_w = watts``; the model's power term lowers its sustained clock. Where NVIDIA publishes the
    laptop configurations of the card (``profiles/laptop_gpu_configs.csv``), the card also takes the boost clock
    and memory bandwidth of the configuration at that TGP, and its peak rates scale with the boost clock.
    ``watts`` must lie in the card's range: ``tdp_min_w`` (or half the TDP where none is published) up to
    ``tdp_w``."""
    if gpu.tdp_w is None:
        raise UserError(f"{gpu.id}: no board power published, so no power limit can be applied")
    # Where NVIDIA publishes no range (desktop and data-centre cards: nvidia-smi -pl floors differ per board and are
    # not in the spec sheets), half the TDP: the lowest power the model's sustained-clock term is validated at is
    # the RTX 3080 Laptop at 80 of 150 W (docs/model.md, Laptops), 53 %.
    low = gpu.tdp_min_w if gpu.tdp_min_w is not None else gpu.tdp_w / 2
    if not low <= watts <= gpu.tdp_w:
        why = ("NVIDIA's published range" if gpu.tdp_min_w is not None else
               "half the TDP to the TDP: below half the power term runs past the lowest power it is validated at")
        raise UserError(f"{gpu.id}@{watts:g}W: power limit outside the card's range {low:g}-{gpu.tdp_w:g} W ({why})")
    if watts == gpu.tdp_w:
        return gpu
    # at a set limit the power is one number, no longer a range a maker may choose from
    limited = dataclasses.replace(gpu, id=f"{gpu.id}@{watts:g}W", name=f"{gpu.name} at {watts:g} W",
                                  tdp_w=float(watts), tdp_min_w=float(watts))
    config = _configured(gpu, watts)
    if config is None:
        return limited
    mhz, bandwidth = config
    k = mhz / gpu.boost_clock_mhz

    def scaled(v: float | None) -> float | None:
        return None if v is None else round(v * k, 3)

    return dataclasses.replace(
        limited, boost_clock_mhz=int(round(mhz)), fp32_tflops=scaled(gpu.fp32_tflops),
        fp16_tflops=scaled(gpu.fp16_tflops), fp16_tensor_tflops=scaled(gpu.fp16_tensor_tflops),
        bf16_tensor_tflops=scaled(gpu.bf16_tensor_tflops), tf32_tflops=scaled(gpu.tf32_tflops),
        memory_bandwidth_gbps=bandwidth,
        source=f"{gpu.source}; at {watts:g} W: the published {mhz:.0f} MHz boost / {bandwidth:g} GB/s configuration "
               "(profiles/laptop_gpu_configs.csv)")


def _token_prefixes(text: str) -> set[str]:
    """'Tesla V100-SXM2-16GB' -> {'v100', 'v100sxm2'}: the name's leading words joined, vendor words dropped,
    every proper prefix on a word boundary (so 'a10' is not a prefix of 'a100-sxm4-80gb')."""
    words = _TOKEN.findall(_NOISE_WORDS.sub(" ", str(text).lower()))
    out = {"".join(words[:k]) for k in range(1, len(words))}
    if words and words[0] in _SERIES_WORDS:
        # '4060' starts 'RTX 4060 Ti' as it starts '4060 laptop': a number said without its series word
        out |= {"".join(words[1:k]) for k in range(2, len(words))}
    return out


@dataclass(frozen=True)
class Resolution:
    """What a name resolved to: the card taken, and the other cards the same short name also names."""

    gpu: Gpu
    query: str
    variants: tuple[str, ...]          # ids of the other cards the name could mean ('a100' -> the other A100s)

    def note(self) -> str | None:
        """'a100 is one of 4 cards: took a100-sxm4-40gb; the others: ...' or None when the name was unambiguous."""
        if not self.variants:
            return None
        return (f"{self.query!r} names {len(self.variants) + 1} cards: took {self.gpu.id}; the others are "
                f"{', '.join(self.variants)} (name one of them to choose)")


def _variants(key: str, taken: Gpu | None) -> list[str]:
    """Ids of the cards whose id, name or an alias starts with the normalised ``key`` on a word boundary."""
    out = []
    for gpu in _load(None):
        if taken is not None and gpu.id == taken.id:
            continue
        if any(key in _token_prefixes(x) for x in (gpu.id, gpu.name, *gpu.aliases)):
            out.append(gpu.id)
    return out


def lookup(name: str) -> Resolution:
    """The card called ``name`` and the other cards a short name also matches (``Resolution.variants``).

    An exact spelling of a card's id or full name has no variants. A short alias shared by a family ('a100',
    'v100', 'h100', 'rtx 4090' for the desktop card and its laptop namesake) resolves to the card it is an alias
    of and lists the rest. A name that is no card's but starts several ('titan x') is a ``UserError`` listing
    them; one that starts exactly one card resolves to it. Unknown names: ``UserError`` with the closest ids.
    ``NAME@80W`` is the card at an 80 W power limit (:func:`with_power_limit`): a laptop's TGP, say.
    """
    text = fold(name)                   # '＠' is '@', a fullwidth digit a digit
    counted = _COUNT_PREFIX.match(text)
    if counted and text != str(name) and find(counted.group(2)) is not None and find(name) is None:
        # '２x a100': a count, folded; the parsers of 'Nx' read ASCII digits only, so it came here as a name (asked
        # before the odd characters: '２× a100' would be refused for its '×', which a count may have)
        raise UserError(f"{shown(name)}: write the card count in ASCII digits and x, as "
                        f"'{int(counted.group(1))}x {counted.group(2).strip()}'")
    refuse_odd_characters(name)
    limited = _POWER_LIMIT.match(text)
    if re.search(r"@\s*-", text):
        raise UserError(f"{shown(name)}: a power limit is a number of watts above zero, e.g. rtx-4090-laptop@80W")
    if "@" in text and not (limited and limited.group(1).strip() and "@" not in limited.group(1)):
        # no card has an @ in its name: without this, normalize() drops the @ and 'a100@' would quietly be the A100
        raise UserError(f"{shown(name)} is not a card name: a card at a power limit is written CARD@WATTS W, one card and "
                        f"a number of watts, e.g. rtx-4090-laptop@80W")
    if limited:
        base = lookup(limited.group(1))
        return Resolution(with_power_limit(base.gpu, float(limited.group(2))), str(name), base.variants)
    key = normalize(name)
    gpu = find(name)
    if gpu is not None:
        exact = key in {normalize(gpu.id), normalize(gpu.name)}
        return Resolution(gpu, str(name), () if exact else tuple(_variants(key, gpu)))
    starts = _variants(key, None) if key else []
    if len(starts) == 1:
        return Resolution(_index(None)[normalize(starts[0])], str(name), ())
    if starts:
        raise UserError(f"GPU name {shown(name)} matches {len(starts)} cards: {', '.join(starts)}; name one of them")
    near = closest(name)
    hint = f"did you mean {', '.join(near)}?" if near else "no close match"
    raise UserError(f"unknown GPU {shown(name)}: {hint} ('rigbench gpus' lists all {len(_load(None))} cards)")


def named(name: str) -> list[Gpu]:
    """Every card ``name`` names, for a listing: the card alone for its id or full name, the whole family for a short
    one ('a100' -> the four A100s, 'titan x' -> the TITAN X cards), in catalog order. ``NAME@W`` is that one card at
    that power limit. Unknown names: ``UserError`` with the closest ids, as :func:`lookup`."""
    refuse_odd_characters(name)
    if "@" in fold(name):
        return [lookup(name).gpu]
    key = normalize(name)
    gpu = find(name)
    if gpu is not None and key in {normalize(gpu.id), normalize(gpu.name)}:
        return [gpu]
    ids = set(_variants(key, None)) if key else set()
    if gpu is not None:
        ids.add(gpu.id)
    if not ids:
        lookup(name)  # raises, naming the closest cards
    return [g for g in _load(None) if g.id in ids]


def resolve(name: str) -> Gpu:
    """The card called ``name``; an unknown name is a ``UserError`` naming the closest matches (see :func:`lookup`
    for the variants a short name also matches)."""
    return lookup(name).gpu
