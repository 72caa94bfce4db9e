"""The ``rigbench.recommend/2`` document: the machine the inputs name (:func:`load_machine`), judged by the profiles
that apply to its kind, with what to change and the providers' notes (:func:`recommend`); and the probe screen's
short verdict (:func:`verdict_summary`)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from rigbench import results
from rigbench.errors import UserError
from rigbench.files import json_files, not_a_folder, parse_schema, read_json, read_text
from rigbench.guidelines.advice import suggestions
from rigbench.guidelines.kind import is_mac, machine_kind
from rigbench.guidelines.machine import Machine, apply_spec, attach_instance
from rigbench.guidelines.profiles import cpu_class
from rigbench.guidelines.providers import provider_notes
from rigbench.guidelines.rentals import price_list_warning
from rigbench.guidelines.spec import PURCHASE_KEYS, is_override_only, parse_spec
from rigbench.guidelines.verdicts import evaluate, profile_ids
from rigbench.probe import probe as probe_this_machine
from rigbench.units import one_line, parse_usd



def recommend(machine: Machine, profile_choice: str = "auto", budget_usd: float | None = None) -> dict:
    """The ``rigbench.recommend/2`` document for one machine: the profiles that apply to its kind (``auto``), or
    those chosen.

    Schema history: ``/1`` judged every profile by default, statuses pass/warn/fail/unknown. ``/2`` adds ``kind`` (what
    the machine is, which profiles apply and why, ``chosen_by``), the status ``n/a`` (a rule that does not apply, with
    why), and per-side (on demand, spot) results in the providers' cheapest-cloud claim.
    """
    mk = machine_kind(machine)
    chosen = profile_ids(profile_choice, machine)
    verdicts = [evaluate(p, machine) for p in chosen]
    doc = {
        "schema": "rigbench.recommend/2",
        "machine": machine.describe(),
        "kind": dict(mk.to_dict(), chosen_by="the machine's kind" if profile_choice == "auto" else f"--profile {profile_choice}"),
        "results_file": machine.results_path,
        # complete, interrupted or failed: a run that stopped early leaves the rules needing what it did not reach
        # unknown, and says so
        "results_status": machine.view.status if machine.view is not None else None,
        "profiles": [v.to_dict() for v in verdicts],
        "suggestions": suggestions(verdicts, machine, budget_usd, mk),
        "budget_usd": budget_usd,
    }
    if "cloud" in chosen:
        doc["providers"] = provider_notes()
    for v, d in zip(verdicts, doc["profiles"]):
        d["inherited"] = sorted(v.inherited)
    # a price of the list shown (the clouds' claims, a rental advised, the instance judged): its age, as cost says it
    shows_prices = ("providers" in doc or machine.instance is not None
                    or any("cheapest_instance" in s for s in doc["suggestions"]))
    stale = price_list_warning() if shows_prices else None
    doc["warnings"] = [stale] if stale else []
    return doc


def recommendation(results: str | None = None, spec: str | None = None, instance: str | None = None,
                   profile: str = "auto", budget: float | str | None = None,
                   results_dir: str | None = None) -> dict:
    """What ``rigbench recommend --json`` prints, from the same inputs: a results or probe file (``results``), a
    planned machine (``spec``, the ``--spec`` text), a price-list instance (``instance``), else this machine (probed,
    with the newest results file of ``results_dir``); ``profile`` is ``auto``, ``all`` or one profile; ``budget`` caps
    the GPU options in USD (a number or ``"$1,500"``). Bad input raises :class:`rigbench.errors.UserError`."""
    budget_usd = parse_usd(budget, what="--budget") if budget is not None else None
    machine, notes = load_machine(results, spec, instance, results_dir)
    doc = recommend(machine, profile, budget_usd)
    doc["notes"] = notes
    return doc


def verdict_summary(machine: Machine) -> dict:
    """The short answer for a probe screen: the machine's kind, and per profile that applies its verdict and the
    rules it misses (fail) and warns on."""
    mk = machine_kind(machine)
    out = []
    for p in mk.profiles:
        v = evaluate(p, machine)
        out.append({"profile": p, "verdict": v.verdict,
                    "fails": [c.id.split(".", 1)[1] for c in v.checks if c.status == "fail"],
                    "warns": [c.id.split(".", 1)[1] for c in v.checks if c.status == "warn"]})
    return {"kind": mk.kind, "why": mk.why, "profiles": out}


def _newest_results(results_dir: str | None, passed_over: list[Path], machine: dict,
                    other_machines: list[Path], ahead: list[Path],
                    refused: list[tuple[Path, str]] | None = None) -> str | None:
    """The newest run of ``machine`` that holds a measurement (as ``latest`` means it); the newer ones without go to
    ``passed_over``, the newer ones of other machines to ``other_machines``, those dated in the future to ``ahead``,
    the files that are no usable results file to ``refused`` (with why)."""
    found = results.newest(results_dir, measured=True, passed_over=passed_over, machine=machine,
                           other_machines=other_machines, ahead=ahead, refused=refused)
    return None if found is None else str(found)


def _other_machines_note(paths: list[Path]) -> str:
    """'passed over N runs of other machines: F (host, CPU), ...' (the first three named)."""
    shown = []
    for p in paths[:3]:
        try:
            shown.append(f"{p} ({results.machine_shown(results.machine_of(results.load_document(p)))})")
        except UserError:
            shown.append(str(p))
    n = len(paths)
    head = f"passed over {n} runs of other machines: " if n > 1 else "passed over 1 run of another machine: "
    return (head + ", ".join(shown) + (f" and {n - 3} more" if n > 3 else "")
            + "; give the file as RESULTS to judge its machine")


def _refused_notes(refused: list[tuple[Path, str]]) -> list[str]:
    """'passed over F: why' for each file that is no usable results file, as `rigbench results list` says it (the
    first three; the count of the rest): the run meant may be one of them."""
    out = [f"passed over {path}: {why}" for path, why in refused[:3]]
    if len(refused) > 3:
        out.append(f"passed over {len(refused) - 3} more unusable files: `rigbench results list` says why")
    return out


def _document_kind(path: str) -> str | None:
    """"probe" or "results" from a rigbench JSON file's schema; None when it cannot be read (the reader says why)."""
    try:
        doc = json.loads(read_text(path))
    except (UserError, ValueError, RecursionError):
        return None
    parsed = parse_schema(doc.get("schema")) if isinstance(doc, dict) else None
    return parsed[0] if parsed else None


def _refused_results(results_dir: str | None) -> str:
    """When no results file was usable: how many ``*.json`` files were passed over, and why the first was."""
    regular: list[Path] = []
    odd: list[tuple[Path, str]] = []        # links leading nowhere, folders, FIFOs named *.json
    for folder in results.search_dirs(results_dir):
        regular += [p for p, _ in json_files(folder, odd)]
    n = len(regular) + len(odd)
    if not n:
        return ""
    if odd:
        why = odd[0][1]
    else:
        try:
            _load_results(str(regular[0]))
            why = f"{regular[0]} is not usable"
        except UserError as exc:
            why = str(exc)
    return f"; passed over {n} file{'s' if n > 1 else ''} there that {'are' if n > 1 else 'is'} not usable, e.g. {why}"


def _load_results(path: str) -> dict:
    return results.load_document(path)


def load_machine(results_path: str | None = None, spec: str | None = None, instance: str | None = None,
                 results_dir: str | None = None) -> tuple[Machine, list[str]]:
    """The machine the inputs name, and notes saying where it came from (for the person reading)."""
    notes: list[str] = []
    probe_doc: dict = {}
    values = parse_spec(spec) if spec else {}
    hardware = not is_override_only(values) if values else False
    if instance and hardware:
        raise UserError("give --instance or a --spec describing hardware, not both: the instance's hardware is the "
                        "price list's")
    if results_path and (hardware or instance):
        raise UserError("a results file describes a measured machine; --spec hardware keys and --instance describe "
                        "another: give one (--spec price=USD may go with a results file)")
    bought = sorted(k for k in values if k in PURCHASE_KEYS)
    if bought and (instance or "instance" in values):
        keys = ", ".join(k + "=..." for k in bought)
        raise UserError(f"--spec {keys} and {'--instance' if instance else 'instance=...'} do not go together: a "
                        f"rented instance is priced by the hour from the price list, not bought; leave out {keys}")
    if results_dir is not None and (results_path or hardware or instance):
        given = "RESULTS" if results_path else "--instance" if instance else "a --spec describing hardware"
        raise UserError(f"--results-dir and {given} do not go together: --results-dir is where this machine's newest "
                        f"run is looked for when no machine is named, and {given} names one; leave out --results-dir")
    if results_dir is not None and (what := not_a_folder(results_dir)) is not None:
        # a folder typed wrong, a file, /dev/null or a FIFO would each read as a folder without runs ("no results
        # file in /dev/null/"): each is said
        if what == "nothing":
            raise UserError(f"--results-dir {one_line(results_dir)}: no such folder")
        raise UserError(f"--results-dir {one_line(results_dir)} is {what}, not a folder")
    if instance:
        m = Machine.from_instance(instance)
        notes.append(f"judging {m.label} from the price list")
    elif hardware:
        m = Machine.from_spec(spec)
        if m.gpus and is_mac(m):
            # the guide's own words (laptop.mac_egpu): NVIDIA's macOS drivers end at 10.13 and CUDA's last macOS
            # release was 10.2, so a planned Mac with an NVIDIA GPU would be judged on a card it cannot use
            raise UserError("--spec: a Mac (os=macos or an Apple M CPU) with an NVIDIA GPU is no machine to plan: "
                            "NVIDIA's macOS drivers stop at macOS 10.13 and CUDA 10.2 was its last macOS release; "
                            "give gpu=none, or another os")
        values = {}
        notes.append("judging a planned machine; keys not in --spec are unknown")
        cc = cpu_class(m.cpu_brand, m.cpu_tier, m.usable_cores)
        if m.cpu_brand and cc.value is None and cc.family is None:
            # a CPU no tier matches is judged unknown by every CPU rule: said, not left to a '?' that reads as
            # "not given"
            notes.append(f"cpu={one_line(m.cpu_brand)}: no CPU rigbench can class (profiles/cpu_tiers.toml: Intel Core "
                         "i3-i9, Ryzen, Xeon, EPYC, Apple M ...); the CPU rules judge it unknown")
    elif results_path and _document_kind(results_path) == "probe":
        probe_doc = results.validate_probe(read_json(results_path, "probe", 1), results_path)
        m = Machine.from_probe(probe_doc, label=f"probe file {results_path}")
        notes.append(f"judging the machine probed in {results_path} (no measurements)")
    elif results_path:
        m = Machine.from_results(_load_results(results_path), results_path)
        notes.append(f"judging the machine measured in {results_path}")
    else:
        doc = probe_this_machine()
        m = Machine.from_probe(doc)
        # runs killed before their first measurement are passed over: nothing to judge by, and their probe may be
        # missing (the machine would be judged as "no battery, no virtualisation")
        empty: list[Path] = []
        # only a run of this machine (the host and CPU just probed, as a run's baseline matches its earlier runs):
        # another machine's clocks and figures say nothing of this one's cooling or preprocessing
        here = results.probe_machine(doc)
        here["host"] = here["host"] or socket.gethostname() or None
        others: list[Path] = []
        ahead: list[Path] = []
        refused: list[tuple[Path, str]] = []
        newest = _newest_results(results_dir, empty, here, others, ahead, refused)
        if newest:
            rdoc = _load_results(newest)
            m = Machine.from_results(rdoc, newest)
            m.label = "this machine" + (f" ({here['host']})" if here["host"] else "")
            notes.append(f"probed this machine; measurements from the newest results file {newest}")
            if empty:
                notes.append(f"passed over {results.no_measurement_note(empty)}")
            if others:
                notes.append(_other_machines_note(others))
            if ahead:
                notes.append(f"passed over {results.ahead_note(ahead)}")
            notes += _refused_notes(refused)
        elif empty or others or ahead:
            notes.append("probed this machine; " + "; ".join(
                ([f"ignored {results.no_measurement_note(empty)}"] if empty else [])
                + ([_other_machines_note(others)] if others else [])
                + ([f"passed over {results.ahead_note(ahead)}"] if ahead else [])) + "; run `rigbench bench`")
            notes += _refused_notes(refused)
        elif results_dir is None and (blocked := results.data_folder_blocked()):
            # "run `rigbench bench`" would not help: it cannot write its runs there either
            notes.append(f"probed this machine; no results file: {blocked}")
        else:
            where = " or ".join(f"{d}/" for d in results.search_dirs(results_dir))
            notes.append(f"probed this machine; no results file in {where} (run `rigbench bench` for the "
                         "cooling and preprocessing checks)" + _refused_results(results_dir))
    if m.results is not None or m.source == "probe":
        # what the loader read otherwise than written (a GPU id this catalog does not know), said beside the verdict
        notes += (m.results if m.results is not None else probe_doc).get(results.NOTES) or []
    if m.results is not None:
        stopped = m.view.status_note()
        if stopped:
            notes.append(stopped)
    if values:
        apply_spec(m, values)
    if m.source in ("probe", "results"):
        attach_instance(m)
    return m, notes
