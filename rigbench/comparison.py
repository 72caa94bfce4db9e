"""GPUs side by side: predicted (or measured) training throughput, its uncertainty, per dollar and per watt, and a
buying answer that calls a difference inside the model's error a tie.

``build_comparison`` makes the ``rigbench.compare/1`` document the ``compare`` command renders. Devices are catalog
names (``gtx-1080-ti``, ``a100``: a short name shared by variants is answered with the variants and the one taken),
``Nx NAME`` (N cards of one kind: one machine up to ``[network] cards_per_node``, several machines past it, joined
by ``network``), ``NAME@80W`` (a power-limited card, a laptop's TGP) or results files (measured).

Uncertainty: a predicted throughput carries the validation error of its card's architecture x workload-family cell
(``rigbench.model.uncertainty``). A ratio between two devices carries the band of that ratio
(``rigbench.model.ratio_uncertainty``: the published pairs of those two cells where there are enough, else the two
bands in quadrature); speed, per dollar and per watt share it (a price or a TDP adds no model error), and a
difference within it is a tie. Past one machine the data-parallel scaling is not validated: the figure's band is
EXTRAPOLATION x the card's, marked extrapolated, and no difference involving it is called a win.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Mapping, Sequence

from rigbench import catalog, model, plots, results, scaling
from rigbench.errors import UserError
from rigbench.units import MAX_USD, fmt_num, parse_usd, shown

SCHEMA = "rigbench.compare/1"
# ASCII digits only: \d also matches other scripts' digits ("٢x rtx-3090"), which every other number refuses.
# '2x rtx-3090' as typed, or '2x-rtx-3090' as the output shows the device: the dash belongs to the count
# ('2× rtx-3090', the multiplication sign, is the same: catalog.COUNT_SIGNS)
NX = re.compile(rf"^\s*([0-9]+)\s*[{catalog.COUNT_SIGNS}]\s*-?\s*(.+)$", re.IGNORECASE)
# '-1x rtx-3090': a count below 1
NEGATIVE_NX = re.compile(rf"^\s*-\s*[0-9]+\s*[{catalog.COUNT_SIGNS}]\s*\S", re.IGNORECASE)
MAX_CARDS = 4096
PREC_WORDS = {"fp32": "in fp32", "amp": "with mixed precision (amp)"}
DEFAULT_WORKLOADS = ("resnet50", "bert-base")


def compare(gpus: Sequence[str], *, workload: str | Sequence[str] = DEFAULT_WORKLOADS, precision: str = "both",
            price: Mapping[str, float | str] | Sequence[str] = (), network: str | None = None,
            device: str | None = None, plot: str | Path | None = None) -> dict:
    """``rigbench compare`` as a function: the ``rigbench.compare/1`` document ``rigbench compare --json`` prints.

    ``gpus``: two or more catalog names, ``"Nx NAME"``, ``"NAME@80W"`` or results files. The keywords are the
    command's options: ``workload`` one id or a list; ``precision`` fp32, amp or both; ``price`` your price per
    card, ``{"gtx-1080-ti": 350}`` or ``["gtx-1080-ti=350"]``; ``network`` the fabric between machines;
    ``device`` which device of a results file; ``plot`` a chart file to write. Bad input raises
    :class:`~rigbench.errors.UserError`.
    """
    gpus = [gpus] if isinstance(gpus, str) else list(gpus)
    if len(gpus) < 2:
        raise UserError("compare needs at least two devices, e.g. 'rigbench compare gtx-1080-ti rtx-2080-ti'")
    workloads = [workload] if isinstance(workload, str) else list(workload) or list(DEFAULT_WORKLOADS)
    valid = model.workload_ids()
    for w in workloads:
        if w not in valid:
            raise UserError(f"unknown workload {shown(w)}; valid: {', '.join(valid)}")
    if precision not in ("fp32", "amp", "both"):
        raise UserError(f"unknown precision {shown(precision)}; valid: fp32, amp, both")
    if network is not None and network not in scaling.network_names():
        raise UserError(f"unknown network {shown(network)}; valid: {', '.join(scaling.network_names())}")
    precisions = model.PRECISIONS if precision == "both" else (precision,)
    items = [f"{k}={v}" for k, v in price.items()] if isinstance(price, Mapping) else list(price)
    if plot:
        plots.check_plot_path(plot)
    doc = build_comparison(gpus, workloads, precisions, device, items, network)
    if plot:
        plots.comparison_chart(doc, plot)
        doc["plot"] = str(plot)     # as rigbench.cost/1 says where its chart went
    return doc


def gpu_devices(doc: dict) -> list[str]:
    """The devices a results file has measurements for, in first-seen order."""
    return results.Results.of(doc).devices()


def results_device(doc: dict, path: str, device: str | None) -> str:
    """``device`` if given, else the first GPU (cuda:N) the file measured; a CPU-only file is a UserError."""
    devices = gpu_devices(doc)
    listed = ", ".join(devices) or "none"
    if device is not None:
        if not device.startswith("cuda"):
            raise UserError(f"--device {device}: compare predicts GPU training workloads; pick a GPU device of "
                            f"{path} (devices in it: {listed})")
        if device not in devices:
            raise UserError(f"--device {device}: {path} has no measurements for it (devices in it: {listed})")
        return device
    gpus = [d for d in devices if d.startswith("cuda")]
    if not gpus:
        raise UserError(f"{path} has only CPU measurements (devices in it: {listed}); compare predicts GPU "
                        "training workloads: run rigbench bench on a machine with an NVIDIA GPU")
    return gpus[0]


def cards_per_node() -> int:
    """The most cards of one kind one machine holds, as scaling predicts them (an 8-card board)."""
    return int(scaling.load_interconnects()["network"]["cards_per_node"])


def parse_prices(items: tuple[str, ...] | list[str], shown_ids: Mapping[str, str] | None = None,
                 files: Mapping[str, str] | None = None, compared: Sequence[str] = ()) -> dict[str, float]:
    """``("gtx-1080-ti=350", "rtx-2080-ti=$600")`` -> {price key: USD per card}; a bad item is a UserError.
    ``shown_ids``: the ids the output shows for devices that are not catalog names (a measured card,
    ``h200-sxm@vm``: CARD@HOST) -> their catalog id, so a price can name a device as the output shows it; such a
    price is keyed by that id and prices that measured device only (the catalog card beside it keeps its own price).
    ``files``: the results files compared, as typed -> the id the output shows for each, so a price naming the file
    is answered with the name to use. A price for ``NAME@W`` is keyed by that power-limited variant, a price for
    ``NAME`` by the card (:func:`price_of` says which applies to a device). A short name that several cards share
    (``a100``) prices the one of them among ``compared`` (the catalog ids of the devices); with several of them
    compared it is refused with the list, as a price-list row naming a family is."""
    shown_ids = {k.lower(): k for k in (shown_ids or {})}
    files = dict(files or {})
    by_path = {os.path.realpath(f): label for f, label in files.items() if os.path.isfile(f)}
    out: dict[str, float] = {}
    for item in items:
        name, sep, usd = str(item).partition("=")
        if not sep or not name.strip() or not usd.strip():
            raise UserError(f"--price {shown(item)}: write it as CARD=USD, e.g. --price gtx-1080-ti=350")
        accepted = (f"--price {shown(item)}: the price must be a positive amount of US dollars per card, at most "
                    f"{MAX_USD:,}, written like 350, 350.00 or $1,350")
        try:
            value = parse_usd(usd, what=f"--price {name.strip()}")
        except UserError:
            raise UserError(accepted) from None
        if value <= 0:
            raise UserError(accepted)
        name = name.strip()
        count = split_typed_count(name, "--price")
        if count and name.lower() not in shown_ids and catalog.find(name) is None:
            # 'Nx CARD' is N cards; a price is for one of them, and the comparison already multiplies it by N
            raise UserError(f"--price {shown(item)}: give the card's name without the count (the price is per card), "
                            f"e.g. {count[1]}={usd.strip()}")
        if name.lower() not in shown_ids and catalog.find(name) is None and (name in files or os.path.isfile(name)):
            # a results file is priced by the device the output shows for it; looked up as a card it was
            # "unknown GPU" with no hint of the name to use
            label = files.get(name) or by_path.get(os.path.realpath(name))
            if label is not None:
                raise UserError(f"--price {shown(item)}: {shown(name)} is a results file; price it as {label}, as "
                                f"the output shows it: --price {label}={usd.strip()}")
            raise UserError(f"--price {shown(item)}: {shown(name)} is a file, not a card; price a device as the "
                            "output shows it (a catalog card, or CARD@HOST for a results file's)")
        key = shown_ids.get(name.lower()) or _priced_card(name, item, usd, compared)
        if key in out:
            # one price would silently win ("RTX 3090=800" and "rtx-3090=1000" name one card)
            raise UserError(f"--price names {key} twice ({out[key]:,.2f} and {value:,.2f} USD): give one price "
                            "per card")
        out[key] = value
    return out


def price_key(gpu_id: str) -> str:
    """The card a power-limited variant is (``rtx-3090@175W`` -> ``rtx-3090``): the limit is a setting of it."""
    return gpu_id.split("@", 1)[0]


def _priced_card(name: str, item: str, usd: str, compared: Sequence[str]) -> str:
    """The catalog id a --price NAME is for: the card itself, or for a short name several cards share the one of
    them being compared; a price for a card the name only might mean would price it silently."""
    found = catalog.lookup(name)
    if not found.variants or "@" in found.gpu.id:
        return found.gpu.id
    family = [found.gpu.id, *found.variants]
    among = [g for g in family if g in compared]
    if len(among) <= 1:      # none compared: the card it names, which the caller refuses as not compared
        return among[0] if among else found.gpu.id
    raise UserError(f"--price {shown(item)}: {shown(name)} names {len(family)} cards ({', '.join(family)}) and "
                    f"{len(among)} of them are compared: price one by its id, e.g. --price {among[0]}={usd.strip()}")


def price_of(gpu_id: str, prices: Mapping[str, float], shown_id: str | None = None) -> float | None:
    """The price given for a device of catalog id ``gpu_id``, shown as ``shown_id``: a measured device's own
    (``rtx-2080-ti@rig2080=400`` prices that device only, never the catalog card), else its own by catalog id
    (``rtx-3090@175W=700`` prices that variant only), else its card's (``rtx-3090=800`` prices ``rtx-3090`` and,
    unless priced itself, ``rtx-3090@175W`` and a measured rtx-3090), else None. ``2x rtx-3090`` is N of the card
    and takes the card's price per card."""
    if shown_id is not None and shown_id != gpu_id and shown_id in prices:
        return prices[shown_id]
    return prices.get(gpu_id, prices.get(price_key(gpu_id)))


def split_count(arg: str, option: str = "", typed: str | None = None) -> tuple[int, str] | None:
    """``'2x rtx-3090'`` or ``'2x-rtx-3090'`` -> (2, 'rtx-3090'); None for a name without a count. The card name
    may be empty ('2x '): the caller says what is missing. A count given twice ('2x 2x a100', '2x 4x a100') is a
    UserError (``option``, e.g. ``--buy``, begins it): the rest, '2x a100', is no card to look up, and which of the
    two counts was meant is not for rigbench to guess; the error shows ``typed`` if given (the argument before folding).
    compare, cost --buy and size --gpus all split here."""
    m = NX.match(arg)
    if not m:
        return None
    n, card = int(m.group(1)), m.group(2).strip()
    twice = catalog.count_given_twice(n, card)
    if twice:
        raise UserError(f"{option + ' ' if option else ''}{shown(arg if typed is None else typed)}: {twice}")
    return n, card


def split_typed_count(arg: str, option: str = "") -> tuple[int, str] | None:
    """:func:`split_count` of ``arg`` as typed, else of ``arg`` folded (:func:`rigbench.catalog.fold`): a count in
    fullwidth digits ('２× rtx-3090') is a count too, so an option that takes no count says what it takes instead of
    the catalog's "write the count in ASCII digits", which would suggest a count the option still refuses."""
    count = split_count(arg, option)
    folded = catalog.fold(arg)
    if count is None and folded != arg:
        count = split_count(folded, option, typed=arg)
    return count


def refuse_laptop_count(gpu, n: int, said: str) -> None:
    """A laptop holds one GPU: N of a laptop part in one machine (``said``: the argument as typed) is refused, not
    predicted as N desktop cards over PCIe. Asked by every command that takes a count of cards (compare, size,
    cost --buy-count)."""
    if n > 1 and getattr(gpu, "form_factor", None) == "laptop":
        raise UserError(f"{shown(said)}: a laptop holds one GPU, so {n} of {gpu.id} are no machine; name one")


def count_error(arg: str) -> str | None:
    """The message for a device argument whose card count is out of range ('0x rtx-3090', '-1x rtx-3090',
    '5000x rtx-3090'), or None. A negative count is said as 0x is: the command line reads '-1x ...' as an option
    before any card is looked up, so it asks here (:func:`rigbench.cli.compare`)."""
    m = NX.match(arg)
    if NEGATIVE_NX.match(arg) or (m and not 1 <= int(m.group(1)) <= MAX_CARDS):
        return f"{arg!r}: the number of cards must be 1 to {MAX_CARDS}"
    # a count with no card ('2x') or not whole ('1.5x rtx-4090') is no card name either: said as a count
    bare = re.fullmatch(rf"\s*([0-9]+)\s*[{catalog.COUNT_SIGNS}]\s*", arg, re.IGNORECASE)
    if bare:
        n = int(bare.group(1))
        return f"{shown(arg)}: the card name is missing after {n}x; write it like '{n}x rtx-3090'"
    if re.match(rf"^\s*[0-9]*[.,][0-9]+\s*[{catalog.COUNT_SIGNS}]\s*\S", arg, re.IGNORECASE):
        return f"{shown(arg)}: the number of cards is a whole number, 1 to {MAX_CARDS}; write it like '2x rtx-3090'"
    return None


def _device(arg: str, device: str | None, reading: list[str]):
    """(label, capability, gpu or None, n, note) for one argument; what a results file's owner read otherwise than
    written (:attr:`rigbench.results.Results.notes`) is added to ``reading``."""
    # os.path.isfile, not Path.is_file: a card name longer than a file name may be (255 bytes) is "unknown GPU", not
    # an OSError (ENAMETOOLONG) from the check
    m = NX.match(arg)
    if m and not os.path.isfile(arg):
        split_count(arg)        # a count given twice is refused before either count is read
        rest = m.group(2).strip()      # none ('2x '): count_error says so below
        if rest and (rest.endswith(".json") or os.path.isfile(rest)):
            # a results file is one measured machine: N of it would be a prediction rigbench has no basis for
            raise UserError(f"{shown(arg)}: {m.group(1)}x takes a catalog card, not a results file; compare the file "
                            f"as {shown(rest)}, or its card from the catalog as '{m.group(1)}x CARD'")
    if arg.endswith(".json") or os.path.isfile(arg):
        view = results.load(arg)
        reading += [n for n in view.notes if n not in reading]
        dev = results_device(view.doc, arg, device)
        probed = view.device_measured(dev) or {}
        known = catalog.find(probed.get("catalog_id") or probed.get("name") or "") if probed else None
        if not view.ok(device=dev) and known is not None:
            # no valid figure of this card: compare it as the catalog predicts it, never from a doubtful figure
            return known.id, model.capability_from_gpu(known), known, 1, (
                f"{arg}: the figures of {dev} ({probed.get('name') or known.id}) are "
                f"{view.invalid_note(view.all(device=dev))}: {known.id} is predicted from the catalog, not measured")
        cap = model.capability_from_results(view, dev)
        return cap.id, cap, cap.gpu, 1, None
    error = count_error(arg)
    if error:
        raise UserError(error)
    if m:
        n = int(m.group(1))
        found = catalog.lookup(m.group(2))
        refuse_laptop_count(found.gpu, n, arg)
        if n > 1:
            return f"{n}x-{found.gpu.id}", None, found.gpu, n, found.note()
        arg = m.group(2)
    found = catalog.lookup(arg)
    return found.gpu.id, model.capability_from_gpu(found.gpu), found.gpu, 1, found.note()


def build_comparison(args, workloads, precisions, device: str | None = None, price_items: Sequence[str] = (),
                     network: str | None = None) -> dict:
    """The rigbench.compare/1 document: devices in order, throughput per workload and precision with its
    uncertainty, per $1000 (``price_items``: CARD=USD, the card by catalog name or by the id a measured device is
    shown with; else the launch price) and per watt, notes (names taken, multi-GPU scaling, laptop power), the
    notes on reading its results files (``notes_on_reading``: a GPU id this catalog does not know), and the verdict:
    ratio sentences and the buying answer."""
    reading: list[str] = []
    resolved = [(arg, _device(arg, device, reading)) for arg in args]
    # a results file is read as a file (_device): the arguments resolved, a file among them is one of them
    results.refuse_device_without_file(device, any(os.path.isfile(arg) for arg in args),
                                       "compare one among the devices (rigbench compare FILE.json CARD), or drop "
                                       "--device")
    per_node = cards_per_node()
    if network is not None and not any(n > per_node for _, (_, _, _, n, _) in resolved):
        # the fabric joins machines: with every device inside one, the figures would not depend on it at all
        card = next((gpu.id for _, (_, _, gpu, _, _) in resolved if gpu is not None), "CARD")
        raise UserError(f"--network applies only to a device past one machine, e.g. '{2 * per_node}x {card}' (one "
                        f"machine holds up to {per_node} cards)")
    prices = parse_prices(price_items, {label: gpu.id for _, (label, _, gpu, n, _) in resolved
                                        if gpu is not None and n == 1 and label != gpu.id},
                          {arg: label for arg, (label, *_) in resolved if os.path.isfile(arg)},
                          [gpu.id for _, (_, _, gpu, _, _) in resolved if gpu is not None])
    devices, entries, notes = [], [], []
    given: dict[str, str] = {}
    for arg, (label, cap, gpu, n, picked) in resolved:
        if label in given:
            # every table and figure is keyed by the device: a second one of the same name would overwrite the first
            raise UserError(f"{given[label]!r} and {arg!r} are the same device ({label}): name each device once"
                            + (" (two runs of one machine: rigbench results diff A B)" if cap is not None
                               and cap.source == "measured" else ""))
        given[label] = arg
        if picked and picked not in notes:
            notes.append(picked)
        entries.append((label, cap, gpu, n))
        spec = gpu.to_dict() if gpu is not None else {}
        spec.pop("aliases", None)
        spec["spec_source"] = spec.pop("source", None)
        price, price_src = None, None
        own = price_of(gpu.id, prices, label if n == 1 else None) if gpu is not None else None
        if own is not None:
            price, price_src = own, "your price"
        elif gpu is not None and gpu.launch_price_usd:
            price, price_src = gpu.launch_price_usd, "launch price"
        devices.append({"id": label, "count": n, **{k: v for k, v in spec.items() if k != "id"},
                        "catalog_id": gpu.id if gpu else None,
                        "source": "measured" if cap is not None and cap.source == "measured" else "catalog",
                        "price_usd": price, "price_source": price_src,
                        "total_price_usd": price * n if price else None,
                        "total_tdp_w": gpu.tdp_w * n if gpu is not None and gpu.tdp_w else None,
                        # NAME@W: the limit given, which per watt uses instead of the TDP
                        "power_limit_w": gpu.tdp_w if gpu is not None and "@" in gpu.id else None,
                        # why a per-dollar or per-watt figure is null: the input it divides by is not published
                        "missing": {k: why for k, why in (
                            ("price_usd", None if price else "no launch price published (give --price CARD=USD)"),
                            ("total_tdp_w", None if gpu is None or gpu.tdp_w else
                             "no board power published for this card (profiles/gpus.csv)")) if why}})
        notes += [n for n in power_notes(label, gpu) if n not in notes]
    unknown = set(prices) - {k for e in entries if e[2] is not None for k in (e[0], e[2].id, price_key(e[2].id))}
    if unknown:
        raise UserError(f"--price for {', '.join(sorted(unknown))}: not among the devices compared "
                        f"({', '.join(d['id'] for d in devices)})")
    rows = []
    for w in workloads:
        for p in precisions:
            thr, src, mb, bound, unc, extra, unval, no_fit = {}, {}, {}, {}, {}, {}, {}, {}
            unit = model.demand(w).unit
            for label, cap, gpu, n in entries:
                single = model.predict(model.capability_from_gpu(gpu), w, p) if n > 1 else model.predict(cap, w, p)
                if single.throughput is None:
                    # not one sample fits one card: no figure, and out of every ratio, tie and verdict
                    thr[label], src[label], mb[label], bound[label] = None, single.source, single.max_batch, None
                    unc[label], unval[label], extra[label], no_fit[label] = None, False, False, single.reason
                    note = f"{label}: {single.reason} ({w}, {p})"
                    if note not in notes:
                        notes.append(note)
                    continue
                no_fit[label] = None
                if n > 1:
                    r = scaling.predict_data_parallel(gpu, n, w, p, network=network)
                    if r["throughput"] is None:
                        raise UserError(f"cannot predict {n}x {gpu.id}: {r['reason']}")
                    note = f"{label}: predicted over {r['interconnect']}" + (f"; {r['reason']}" if r.get("reason") else "")
                    thr[label], src[label] = float(r["throughput"]), "predicted"
                    mb[label], bound[label], unc[label] = single.max_batch, None, single.uncertainty
                    extra[label] = bool(single.uncertainty_basis and single.uncertainty_basis.startswith("extrapolated"))
                    unval[label] = bool(r.get("extrapolated"))
                    if unval[label] and unc[label] is not None:
                        # the scaling past one machine (or past the published all-reduce runs) is predicted, never
                        # checked against a published training run: widened as every extrapolated band is
                        # (rigbench.model.uncertainty), and no verdict rests on it
                        unc[label], extra[label] = model.EXTRAPOLATION * unc[label], True
                        note += (f"; its band is {model.EXTRAPOLATION:g}x the single card's, marked extrapolated, and "
                                 "no difference involving it is called a win")
                    if note not in notes:
                        notes.append(note)
                else:
                    pr = single
                    thr[label], src[label], mb[label], bound[label] = pr.throughput, pr.source, pr.max_batch, pr.bound
                    unc[label], unval[label] = pr.uncertainty, False
                    extra[label] = bool(pr.uncertainty_basis and pr.uncertainty_basis.startswith("extrapolated"))
            # ratios are to the first device that fits: a first device without a figure would leave every other
            # device without a ratio; None where no device fits
            first = next((label for label, *_ in entries if thr[label] is not None), None)
            labels = [label for label, *_ in entries]
            skipped = labels[:labels.index(first)] if first else labels
            price = {d["id"]: d["total_price_usd"] for d in devices}
            watts = {d["id"]: d["total_tdp_w"] for d in devices}
            facts = {label: {"gpu": gpu, "count": n, "uncertainty": unc[label], "unvalidated": unval[label]}
                     for label, cap, gpu, n in entries}
            # the band of each ratio by the rule rigbench cost judges a tie by (rigbench.model.pair_uncertainty); none
            # with a device that has no figure
            pair = {a: {b: (model.pair_uncertainty(facts[a], facts[b], w)
                            if a != b and thr[a] is not None and thr[b] is not None else None) for b in thr}
                    for a in thr}
            pair_band = {a: {b: (u["fraction"] if u is not None else None) for b, u in row.items()}
                         for a, row in pair.items()}
            band = {k: (pair_band[k][first] if first else None) for k in thr}
            rows.append({
                "workload": w, "precision": p, "unit": unit, "throughput": thr,
                "uncertainty": unc,
                "throughput_low": {k: (v * (1 - unc[k]) if unc[k] is not None and v is not None else None)
                                   for k, v in thr.items()},
                "throughput_high": {k: (v * (1 + unc[k]) if unc[k] is not None and v is not None else None)
                                    for k, v in thr.items()},
                "reference": first, "reference_note": reference_note(first, skipped),
                "ratio": {k: (v / thr[first] if v is not None and first else None) for k, v in thr.items()},
                "ratio_band": band, "pair_band": pair_band, "extrapolated": extra, "unvalidated": unval,
                # a tie with the row's reference (the first device that fits), kept under the schema's key
                "tie_with_first": {k: (k != first and band[k] is not None and is_tie(thr[k], thr[first], band[k]))
                                   for k in thr},
                "source": src, "max_batch": mb, "bound": bound, "does_not_fit": no_fit,
                "per_1000_usd": {k: (v / price[k] * 1000 if price[k] and v is not None else None)
                                 for k, v in thr.items()},
                "per_watt": {k: (v / watts[k] if watts[k] and v is not None else None) for k, v in thr.items()}})
    for note in _unmeasured_notes(resolved, rows):
        if note not in notes:
            notes.append(note)
    verdict = buying_verdict(devices, rows)
    return {"schema": SCHEMA, "devices": devices, "workloads": rows,
            "summary": " ".join(summary_sentences(devices, rows) + verdict["sentences"]),
            "verdict": verdict, "notes": notes, results.NOTES: reading,
            "max_batch_basis": max_batch_basis(devices, rows),
            "precision_gain_basis": precision_gain_basis(entries, rows),
            "model": "rigbench.model: roofline sum of tensor-work time and memory time; efficiency factors per "
                     "architecture, precision and workload family fitted to named published results, a sustained-"
                     "clock term from board power per CUDA core and boost-clock MHz, the full-rate tensor gain of "
                     "workstation parts on transformers, uncertainty from the validation error of each card's cell "
                     "(profiles/efficiency.toml, profiles/validation.csv, docs/model.md)"}


def reference_note(reference: str | None, skipped: Sequence[str]) -> str | None:
    """Why a row's ratios are not to the first device named: the devices before ``reference`` do not fit (no
    figure to divide by), or none fits; None when the reference is the first device."""
    if reference is None:
        return f"no device fits ({_does(skipped)} not): no ratios and no verdict"
    if not skipped:
        return None
    return f"ratios are to {reference}, the first device that fits: {_does(skipped)} not fit"


def _unmeasured_notes(resolved, rows: list[dict]) -> list[str]:
    """A note for each results file whose measurements lack some of the (workload, precision) rows compared (a
    suite run measures train_cnn and train_transformer, not ResNet-50 or BERT; a run may have an fp32 figure of a
    workload and no valid amp one): without it a table of predicted rows reads as if the file's measurements had
    been used. It names what is missing by workload and precision, since measured figures are kept per pair, and
    which options compare what the file did measure. An 'Nx CARD' device is always predicted from one card by the
    scaling model, measured or not, so it gets no such note."""
    out = []
    for arg, (label, cap, _gpu, n, _note) in resolved:
        if n != 1 or cap is None or cap.source != "measured":
            continue
        missing = [(r["workload"], r["precision"]) for r in rows if r["source"].get(label) != "measured"]
        # a figure of the row's own workload that ran but is flagged: named with its value and reasons
        flagged = [pair for pair in missing if f"invalid_{pair[0]}_{pair[1]}" in cap.factors]
        if flagged:
            out.append(f"{label}: in {arg}, " + "; ".join(cap.factors[f"invalid_{w}_{p}"]["source"] for w, p in flagged)
                       + f" ({'that row is' if len(flagged) == 1 else 'those rows are'} predicted from its kernels)")
        missing = [pair for pair in missing if pair not in flagged]
        if not missing or not cap.measured:
            continue
        own = list(cap.measured)                                     # (workload, precision) pairs it measured
        own_workloads = list(dict.fromkeys(k for k, _ in own))
        whole, parts = [], []
        for w in dict.fromkeys(w for w, _ in missing):
            if w not in own_workloads:
                whole.append(w)
                continue
            for p in (p for mw, p in missing if mw == w):
                why = (" (its figure was measured with another model than the workload's)"
                       if f"ignored_{w}_{p}" in cap.factors else "")
                parts.append(f"no {p} figure for {w}{why}")
        if whole:
            parts.insert(0, f"no measured figures for {', '.join(whole)}")
        # what it measured, each workload with its precisions unless it has them all
        had = ", ".join(k if {p for kk, p in own if kk == k} >= set(model.PRECISIONS)
                        else f"{k} in {' and '.join(p for kk, p in own if kk == k)}" for k in own_workloads)
        text = (f"{label}: {arg} has {'; '.join(parts)} (it measured {had}): "
                f"{'that row is' if len(missing) == 1 else 'those rows are'} predicted")
        compared = {(r["workload"], r["precision"]) for r in rows}
        unshown = [pair for pair in own if pair not in compared]
        if unshown:
            ks = list(dict.fromkeys(k for k, _ in unshown))
            ps = list(dict.fromkeys(p for _, p in unshown))
            opts = [] if set(ks) == {w for w, _ in compared} else [f"--workload {k}" for k in ks]
            if not set(ps) <= {p for _, p in compared}:
                opts.append(f"--precision {ps[0] if len(ps) == 1 else 'both'}")
            text += f"; {' '.join(opts)} compares its measurement{'s' if len(unshown) > 1 else ''}"
        out.append(text)
    return out


def rows_by_workload(rows: list[dict]) -> dict[str, list[dict]]:
    """A document's rows grouped by workload (first-seen order), each group in its precision order."""
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r["workload"], []).append(r)
    return out


def workload_label(workload: str) -> str:
    """'ResNet-50' for resnet50 (the first word of the workload's name), the id for rigbench's own workloads."""
    first = model.demand(workload).name.split(" ")[0]
    return workload if first == "rigbench" else first


def _pm(u: float | None) -> str:
    return "" if u is None else f" (+-{u:.0%})"


def measured_twins(devices: list[dict]) -> dict[str, str]:
    """{measured device: the catalog device of the same card in the comparison}: a results file's card beside its
    own catalog prediction is the measurement against the model, not a second card to buy."""
    predicted = {d["catalog_id"]: d["id"] for d in devices if d["source"] == "catalog" and d["count"] == 1}
    return {d["id"]: predicted[d["catalog_id"]] for d in devices
            if d["source"] == "measured" and d["catalog_id"] in predicted}


def _measured_sentence(w: str, rs: list[dict], measured: str, card: str) -> str:
    """A results file's card against the model's prediction for it, per precision: a measured row with the model's
    error; a row the file did not train (the model again, with what the file's kernels measured in place of the
    spec sheet's: docs/model.md, Measured capability) said to be a prediction, so it never reads as a check of the
    model."""
    checked, from_kernels = [], []
    for r in rs:
        words = PREC_WORDS.get(r["precision"], r["precision"])
        if r["throughput"][measured] is None or r["throughput"][card] is None:
            checked.append(f"{'not fit' if r['throughput'][measured] is None else 'train'} where the model says "
                           f"{card} {'does not fit' if r['throughput'][card] is None else 'fits'} {words}")
            continue
        got = r["throughput"][measured] / r["throughput"][card]
        if r["source"].get(measured) != "measured":
            from_kernels.append(f"{got:.2f}x{'' if from_kernels else ' the prediction for ' + card} {words}")
            continue
        u = r["uncertainty"][card]
        what = f" what the model predicts for {card}" if not checked else ""
        inside = "" if u is None else f" ({'inside' if abs(got - 1) <= u else 'outside'} the model's +-{u:.0%})"
        checked.append(f"{got:.2f}x{what} {words}{inside}")
    out = []
    if checked:
        out.append(f"On {workload_label(w)}, the measured {measured} does " + " and ".join(checked) + ".")
    if from_kernels:
        lead = (f"On {workload_label(w)}, {measured} has no training run of its own: predicted from its kernels in "
                "place of the spec sheet's, it comes out at" if not checked else
                "Its other rows are predicted from its kernels in place of the spec sheet's:")
        out.append(f"{lead} {' and '.join(from_kernels)} (a prediction from other inputs, not a check of the model).")
    return " ".join(out)


def size_command(workload: str, card: str) -> str:
    """The ``rigbench size`` line that traces a real training step of a compare ``workload`` on ``card``: the built-in
    of that name, BERT-base at the workload's sequence length for its SQuAD fine-tuning, else your own MODEL."""
    if workload in model.WORKLOADS:
        name = workload
    else:
        spec = model.load_workloads_profile()["workloads"].get(workload, {})
        name = f"bert-base --seq {spec['seq']}" if workload.startswith("bert-base") and spec.get("seq") else "MODEL"
    return f"rigbench size {name} --gpus {card}"


def max_batch_basis(devices: list[dict], rows: list[dict]) -> str:
    """What compare's max batch is (``rigbench.model.max_batch``: a count, not a traced step), and where a batch to
    plan on comes from (``rigbench size``, which traces one)."""
    precisions = list(dict.fromkeys(r["precision"] for r in rows)) or ["fp32", "amp"]
    bytes_per = " and ".join(f"{model.BYTES_PER_ELEMENT[p]} bytes each in {p}" for p in precisions)
    # each precision's count is rounded down on its own, so amp's is 2x fp32's or one more
    twice = " (so amp's is about twice fp32's: each is rounded down)" if len(precisions) > 1 else ""
    # the example traces a card that fits: the first row's reference where it has a catalog card
    ref = rows[0].get("reference") if rows else None
    card = next((d["catalog_id"] for d in devices if d.get("catalog_id") and d["id"] == ref), None) or next(
        (d["catalog_id"] for d in devices if d.get("catalog_id")), None)
    example = f" ({size_command(rows[0]['workload'], card)})" if rows and card else ""
    return ("max batch: per card, the memory left after the CUDA context, the reserve and the weights, gradients and "
            f"optimizer state, over the activations rigbench.model counts each sample saving, at {bytes_per}{twice}: "
            "a count, not a traced step, so workspaces and temporaries are not in it. For a batch to plan on, "
            f"rigbench size WORKLOAD --gpus CARD traces a real step{example}.")


def precision_gain_basis(entries, rows: list[dict]) -> str | None:
    """How far to trust one card's gain from fp32 to mixed precision (its amp row over its fp32 row), from
    ``rigbench.model.precision_gain_summary``; None unless both precisions are compared for a predicted card."""
    precisions = {r["precision"] for r in rows}
    if not {"fp32", "amp"} <= precisions or all(cap is not None and cap.source == "measured"
                                                for _label, cap, _gpu, _n in entries):
        return None
    s = model.precision_gain_summary()
    harness, conv = s["harness"], s["others_families"]["conv"]
    return (f"amp over fp32 on one card: the predicted gain is off by {harness['mae']:.1%} on average over "
            f"{harness['pairs']} published cases (a card in one run) of the benchmark harness the model is fitted on "
            f"(Lambda's PyTorch runs); in the other stacks (NVIDIA's containers, TensorFlow, timm) the ResNet-50 "
            f"gain is {-conv['signed']:.0%} below the published one on average over {conv['pairs']} cases, off by up "
            f"to {conv['max']:.0%} (docs/model.md).")


def ratio_caption(rs: list[dict], ids: Sequence[str]) -> str:
    """What a workload's ratio column is to: 'ratio to FIRST', else the first device that fits and why the ones
    before it are not (per precision where that differs), or that no device fits."""
    refs = list(dict.fromkeys(r["reference"] for r in rs))
    if refs == [ids[0]]:
        return f"ratio to {ids[0]}"
    if refs == [None]:
        return "no device fits: no ratios"
    if len(refs) == 1:
        return f"ratio to {refs[0]} ({_does(ids[:ids.index(refs[0])])} not fit)"
    return "ratio to the first that fits: " + ", ".join(f"{r['reference'] or 'none'} in {r['precision']}" for r in rs)


def _does(names: Sequence[str]) -> str:
    """'a does', 'a and b do', 'a, b and c do'."""
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{listed} {'does' if len(names) == 1 else 'do'}"


def _joined(parts: list[tuple[str, str]], sep: str) -> str:
    """(what, precision words) pairs as one clause: said once for every precision where they all say the same."""
    if len(parts) > 1 and len({what for what, _ in parts}) == 1:
        return f"{parts[0][0]} " + " and ".join(words for _, words in parts)
    return sep.join(f"{what} {words}" for what, words in parts)


def summary_sentences(devices: list[dict], rows: list[dict]) -> list[str]:
    """One sentence per workload: each device's ratio to the reference per precision with its band, a tie named.
    The reference is the first device that fits (``row["reference"]``); a workload no device fits is one sentence
    saying so, with no ratios."""
    ids = [d["id"] for d in devices]
    first, others = ids[0], ids[1:]
    if not others:          # one device (a library caller; the command asks for two): no ratio to say
        return []
    twins = measured_twins(devices)
    by_workload = rows_by_workload(rows)
    sentences = []
    for w, rs in by_workload.items():
        sentences += [_measured_sentence(w, rs, m, c) for m, c in twins.items()]
        if len(ids) == 2 and twins:
            continue                   # the card and its own measurement: the sentence above is the comparison
        sources = " and ".join(sorted({s for r in rs for s in r["source"].values()}))
        if all(r["reference"] is None for r in rs):
            precs = " or ".join(PREC_WORDS.get(r["precision"], r["precision"]) for r in rs)
            sentences.append(f"On {workload_label(w)} ({sources}), no device fits {precs} ({_does(ids)} not): no "
                             "ratios and no verdict.")
            continue

        def one(r, i, lead=""):
            # a device that does not fit has no figure, so no ratio to or from it (the notes say why)
            ref = r["reference"]
            if r["throughput"][i] is None:
                return "unable to fit the workload"
            band = r["ratio_band"][i]
            if i != ref and band is not None and (r["unvalidated"][i] or r["unvalidated"][ref]):
                # the band and why no verdict rests on it, together, naming the side that is extrapolated (it may
                # be the reference, not this one): "0.10x (+-14%, 16x-rtx-3090 extrapolated past published
                # runs: not called) as fast as 16x-rtx-3090 in fp32"
                which = " and ".join(x for x in (i, ref) if r["unvalidated"][x])
                return (f"{r['ratio'][i]:.2f}x (+-{band:.0%}, {which} extrapolated past published runs: not called)"
                        f"{lead}")
            tie = ": a tie" if r["tie_with_first"][i] else ""
            return f"{r['ratio'][i]:.2f}x{_pm(band)}{lead}{tie}"

        def words(r):
            return PREC_WORDS.get(r["precision"], r["precision"])

        def skipped(r):
            return ids[:ids.index(r["reference"])] if r["reference"] else ids

        if len(others) == 1:
            o = others[0]
            # 'as fast as FIRST' once, on the first ratio there is
            lead_at = next((n for n, r in enumerate(rs) if r["reference"] == first and r["throughput"][o] is not None),
                           None)
            parts = []
            for n, r in enumerate(rs):
                if r["reference"] is None:
                    parts.append((f"unable to fit the workload (neither does {first})", words(r)))
                elif r["reference"] == o:
                    parts.append((f"the only one that fits ({first} does not)", words(r)))
                else:
                    parts.append((one(r, o, f" as fast as {first}" if n == lead_at else ""), words(r)))
            text = f"On {workload_label(w)} ({sources}), {o} is " + _joined(parts, " and ")
        else:
            refs = {r["reference"] for r in rs}
            common = refs.pop() if len(refs) == 1 else None      # one reference for every row: said once, up front

            def part(r):
                ref = r["reference"]
                if ref is None:
                    return "no device fits", words(r)
                after = ids[ids.index(ref) + 1:]
                if not after:
                    return f"only {ref} fits ({_does(skipped(r))} not)", words(r)
                ratios = ", ".join(f"{i} {one(r, i)}" for i in after)
                if common is not None:
                    return ratios, words(r)
                return (f"relative to {ref}: {ratios}" if ref == first else
                        f"relative to {ref}, the first that fits ({_does(skipped(r))} not): {ratios}"), words(r)

            said = _joined([part(r) for r in rs], "; ")
            if common is None or (common != first and not ids[ids.index(common) + 1:]):
                text = f"On {workload_label(w)} ({sources}), {said}"
            elif common == first:
                text = f"On {workload_label(w)} ({sources}), relative to {common}: {said}"
            else:
                text = (f"On {workload_label(w)} ({sources}), relative to {common}, the first device that fits "
                        f"({_does(skipped(rs[0]))} not): {said}")
        sentences.append(text + ".")
    return sentences


def power_notes(label: str, gpu) -> list[str]:
    """What a prediction of ``gpu`` (shown as ``label``) assumes of its power, one line each: at a limit NVIDIA
    publishes no configuration for, the spec figures are the full-TDP card's; a laptop part named without its limit
    is predicted at the top of its range. Said by every command that predicts a named card (compare, cost)."""
    notes = []
    gid = getattr(gpu, "id", "")
    if gpu is not None and "@" in gid:
        if "laptop_gpu_configs" in (getattr(gpu, "source", None) or ""):
            # the configuration the prediction takes, which the spec column shows without saying whence
            notes.append(f"{label}: NVIDIA's published configuration at {gpu.tdp_w:g} W, {gpu.boost_clock_mhz:g} MHz "
                         f"boost and {gpu.memory_bandwidth_gbps:g} GB/s (profiles/laptop_gpu_configs.csv); the power "
                         "term applies on top")
        else:
            # no published configuration at that limit: the spec column is the card's at its full TDP, while the
            # prediction below it is lowered by the power term
            full = catalog.find(gpu.id.partition("@")[0])
            notes.append(f"{label}: its spec figures are the card's at {full.tdp_w:g} W (NVIDIA publishes no "
                         f"configuration at {gpu.tdp_w:g} W); its predictions take the limit through the model's "
                         "power term (a lower sustained clock: docs/model.md)")
    if gpu is not None and hasattr(gpu, "tdp_w") and not gpu.tdp_w:
        # the power term needs a board power: without one the card is predicted at its boost clock, as its
        # architecture's fit card runs, and has no per watt figure
        notes.append(f"{label}: no board power published: predicted at its full boost clock (the model's power term "
                     "cannot lower it) and with no per watt figure")
    if getattr(gpu, "form_factor", None) == "laptop" and getattr(gpu, "tdp_min_w", None) and "@" not in gid:
        notes.append(f"{label}: a laptop part, predicted at the top of NVIDIA's power range ({gpu.tdp_w:g} W); "
                     f"laptops ship at {gpu.tdp_min_w:g}-{gpu.tdp_w:g} W: name your laptop's limit as "
                     f"'{gpu.id}@{gpu.tdp_min_w:g}W' to predict it")
    return notes


def is_tie(a: float, b: float, band: float) -> bool:
    """Whether two positive figures are a tie inside ``band``: the faster over the slower, less one, within it. One
    rule, whichever is named first (0.71x read as |0.71 - 1| = 29% was a tie where 1.41x, the same pair the other
    way round, was not)."""
    return max(a / b, b / a) - 1 <= band


def _best(r: dict, metric: str, skip=()) -> dict | None:
    """The device with the most of ``metric`` in row ``r`` (``skip`` left out), the runner-up, their gap and whether
    it is a tie. One shape whether or not there is a runner-up (a card without a price has no per dollar figure):
    with none, ``second``, ``gap`` and ``band`` are None and nothing is a tie or left uncalled."""
    vals = {k: v for k, v in r[metric].items() if v is not None and v > 0 and k not in skip}
    if not vals:
        return None
    order = sorted(vals, key=vals.get, reverse=True)
    top = order[0]
    # the devices that fit but have no figure of this metric (no price, no TDP): named beside the pick
    missing = [k for k, v in r["throughput"].items() if v is not None and k not in skip and k not in vals]
    if len(order) == 1:
        return {"best": top, "second": None, "gap": None, "band": None, "tie": False, "unvalidated": False,
                "unvalidated_devices": [], "extrapolated": [k for k in (top,) if r["extrapolated"].get(k)],
                "missing": missing}
    second = order[1]
    gap = vals[top] / vals[second] - 1
    # the band of the speed ratio of the two (a price or a TDP is exact): one rule for speed, per dollar and per watt
    band = r["pair_band"][top][second]
    tie = band is not None and is_tie(vals[top], vals[second], band)
    # a multi-node figure's scaling is not validated: a gap outside its (widened) band is still no win
    unvalidated = [k for k in (top, second) if r["unvalidated"][k]]
    return {"best": top, "second": second, "gap": gap, "band": band, "tie": tie,
            "unvalidated": bool(unvalidated) and not tie, "unvalidated_devices": unvalidated,
            "extrapolated": [k for k in (top, second) if r["extrapolated"].get(k)], "missing": missing}


def _without(missing: Sequence[str], what: str) -> str:
    """'tesla-t4 has no price: give --price CARD=USD' for the devices left out of a per-dollar or per-watt pick."""
    has = "has" if len(missing) == 1 else "have"
    if what == "per dollar":
        return f"{', '.join(missing)} {has} no price: give --price CARD=USD"
    return f"{', '.join(missing)} {has} no published board power"


def _clause(pick: dict | None, what: str) -> str:
    if pick is None:
        return f"no {what} figure (no price: give --price CARD=USD)" if what == "per dollar" else f"no {what} figure"
    missing = pick.get("missing") or []
    left = f"; {_without(missing, what)}" if missing else ""
    extra = pick.get("extrapolated") or []
    # a card whose factors are borrowed or whose cell has few published pairs: its band is the extrapolated one
    guess = f"; extrapolated: {', '.join(extra)}" if extra and not pick["unvalidated"] else ""
    if pick["second"] is None and missing:
        # the others have no figure of this kind: say which, and how to give one where there is a way
        return (f"{pick['best']} is the only one with {'a price' if what == 'per dollar' else f'a {what} figure'} "
                f"({_without(missing, what)}){guess}")
    if pick["second"] is None:
        return f"{pick['best']} is the only one with a {what} figure{guess}"
    if pick["tie"]:
        return (f"{pick['best']} and {pick['second']} tie {what} ({pick['gap']:.0%} apart, inside the "
                f"+-{pick['band']:.0%} model error{left}{guess})")
    if pick["unvalidated"]:
        off = pick["unvalidated_devices"]
        return (f"{pick['best']} is ahead {what} ({1 + pick['gap']:.2f}x {pick['second']}) but not called: "
                f"{' and '.join(off)} {'is' if len(off) == 1 else 'are'} extrapolated past published runs{left}")
    band = "" if pick["band"] is None else f", outside the +-{pick['band']:.0%} model error"
    return f"{pick['best']} gives the most {what} ({1 + pick['gap']:.2f}x {pick['second']}{band}{left}{guess})"


def buying_verdict(devices: list[dict], rows: list[dict]) -> dict:
    """Which to buy, for fp32 and for mixed precision, per dollar and per watt: one plain sentence per workload,
    naming a tie where the gap is inside the model's error. ``picks[workload][precision][metric]`` keeps the
    numbers (best, second, gap, band, tie) behind each clause."""
    picks: dict[str, dict] = {}
    sentences = []
    twins = measured_twins(devices)        # a measurement of a card compared beside it is no second card to buy
    for w, rs in rows_by_workload(rows).items():
        picks[w] = {}
        clauses = []
        if len(devices) - len(twins) < 2:
            cards = ", ".join(f"{m} is a measurement of {c}" for m, c in twins.items())
            sentences.append(f"Which to buy for {workload_label(w)}: one card compared ({cards}); name another card "
                             "to choose between.")
            continue
        for r in rs:
            per_dollar, per_watt = _best(r, "per_1000_usd", twins), _best(r, "per_watt", twins)
            fastest = _best(r, "throughput", twins)
            picks[w][r["precision"]] = {"per_dollar": per_dollar, "per_watt": per_watt, "fastest": fastest}
            fits = [k for k, v in r["throughput"].items() if v is not None and k not in twins]
            if len(fits) < 2:
                # nothing to choose between: no per dollar or per watt figure is missing for want of a price
                if fits:
                    clauses.append(f"{PREC_WORDS.get(r['precision'], r['precision'])}, {fits[0]} is the only one "
                                   "that fits")
                continue
            if per_dollar and per_watt and per_dollar["best"] == per_watt["best"] and not per_dollar["tie"] \
                    and not per_watt["tie"] and not per_dollar["unvalidated"] and not per_watt["unvalidated"] \
                    and per_dollar["second"] is not None and not per_dollar["missing"] and not per_watt["missing"]:
                band = ("" if per_dollar["band"] is None or per_dollar["second"] != per_watt["second"]
                        else f"; +-{per_dollar['band']:.0%} model error")
                extra = list(dict.fromkeys(per_dollar["extrapolated"] + per_watt["extrapolated"]))
                body = (f"buy {per_dollar['best']} (most per dollar, {1 + per_dollar['gap']:.2f}x "
                        f"{per_dollar['second']}, and per watt, {1 + per_watt['gap']:.2f}x {per_watt['second']}"
                        f"{band}{'; extrapolated: ' + ', '.join(extra) if extra else ''})")
            else:
                body = f"{_clause(per_dollar, 'per dollar')}; {_clause(per_watt, 'per watt')}"
            clauses.append(f"{PREC_WORDS.get(r['precision'], r['precision'])}, {body}")
        if clauses:                        # none: no device fits the workload, and the summary says so
            sentences.append(f"Which to buy for {workload_label(w)}: " + "; ".join(clauses) + ".")
    return {"sentences": sentences, "picks": picks}


def spec_cell(device: dict, key: str):
    """A specs-table value, per card for every row (an 'Nx NAME' device's memory bandwidth is one card's, so
    every other row is too); ``total_price`` and ``total_tdp`` are the N cards' totals, the figures per dollar and
    per watt divide by."""
    n = device.get("count", 1)
    if key == "cards":
        return str(n)
    if key in ("price", "total_price"):
        v, src = device.get("price_usd"), device.get("price_source")
        if v is None:
            return None
        return f"{fmt_num(v * (n if key == 'total_price' else 1))}{'*' if src == 'your price' else ''}"
    if key == "total_tdp":
        v = device.get("total_tdp_w")
        return None if v is None else fmt_num(v)
    v = device.get(key)
    if v is None or isinstance(v, str) or key == "launch_year":
        return v
    return fmt_num(v)
