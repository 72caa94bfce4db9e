"""`rigbench compare`: GPUs side by side (catalog names, results files, or Nx NAME), predicted or measured."""

from __future__ import annotations

import re

import click

from rigbench import results

_NX = re.compile(r"^\s*(\d+)\s*x\s*(.+)$", re.IGNORECASE)


def gpu_devices(doc: dict) -> list[str]:
    """The devices a results file has measurements for, in first-seen order."""
    return results.Results.of(doc).devices()


def _results_device(doc: dict, path: str, device: str | None) -> str:
    """``device`` if given, else the first GPU (cuda:N) the file measured; a CPU-only file is a UserError."""
    from rigbench.errors import UserError

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


def max_cards() -> int:
    """The most cards of one kind one machine holds, as scaling predicts them (an 8-card board)."""
    from rigbench import scaling

    return int(scaling.load_interconnects()["nvlink"]["board_max_cards"])


def _device(arg: str, device: str | None = None):
    """(label, capability, gpu or None, n, note) for one argument; note says which card a short name shared by
    several variants was taken as ('a100' -> a100-sxm4-40gb, and the others), else None."""
    from pathlib import Path

    from rigbench import catalog, model
    from rigbench.errors import UserError

    if arg.endswith(".json") or Path(arg).is_file():
        doc = results.load_document(arg)
        cap = model.capability_from_results(doc, _results_device(doc, arg, device))
        return cap.id, cap, cap.gpu, 1, None
    m = _NX.match(arg)
    if m:
        n, top = int(m.group(1)), max_cards()
        if n < 1:
            raise UserError(f"{arg!r}: the number of cards must be 1 to {top}")
        if n > top:
            raise UserError(f"{arg!r}: one machine holds at most {top} cards; more than one machine (multi-node) is "
                            "measured, not predicted: rigbench bench --distributed")
        found = catalog.lookup(m.group(2))
        if n > 1:
            return None, None, found.gpu, n, found.note()
        arg = m.group(2)
    found = catalog.lookup(arg)
    return found.gpu.id, model.capability_from_gpu(found.gpu), found.gpu, 1, found.note()


def build_comparison(args, workloads, precisions, device: str | None = None) -> dict:
    """The rigbench.compare/1 document: devices in order, then throughput per workload and precision.

    ``device``: which device of a results file to read (default: its first GPU). ``notes``: what scaling says about
    an 'Nx NAME' prediction (extrapolation, the interconnect it assumes)."""
    from rigbench import model, scaling
    from rigbench.errors import UserError

    devices, rows, notes = [], [], []
    entries = []
    for arg in args:
        label, cap, gpu, n, picked = _device(arg, device)
        if picked and picked not in notes:
            notes.append(picked)
        if n > 1:
            label = f"{n}x-{gpu.id}"
        entries.append((label, cap, gpu, n))
        spec = gpu.to_dict() if gpu is not None else {}
        spec.pop("aliases", None)
        spec["spec_source"] = spec.pop("source", None)
        devices.append({"id": label, "count": n, **{k: v for k, v in spec.items() if k != "id"},
                        "catalog_id": gpu.id if gpu else None,
                        "source": "measured" if cap is not None and cap.source == "measured" else "catalog"})
    for w in workloads:
        for p in precisions:
            thr, src, mb, bound = {}, {}, {}, {}
            unit = model.demand(w).unit
            for label, cap, gpu, n in entries:
                if n > 1:
                    r = scaling.predict_data_parallel(gpu, n, w, p)
                    if r["throughput"] is None:
                        raise UserError(f"cannot predict {n}x {gpu.id}: {r['reason']}")
                    note = f"{label}: predicted over {r['interconnect']}" + (f"; {r['reason']}" if r.get("reason") else "")
                    if note not in notes:
                        notes.append(note)
                    thr[label], src[label] = float(r["throughput"]), "predicted"
                    mb[label], bound[label] = model.predict(model.capability_from_gpu(gpu), w, p).max_batch, None
                else:
                    pr = model.predict(cap, w, p)
                    thr[label], src[label], mb[label], bound[label] = pr.throughput, pr.source, pr.max_batch, pr.bound
            first = thr[entries[0][0]]
            price = {d["id"]: (d.get("launch_price_usd") or 0) * d["count"] for d in devices}
            watts = {d["id"]: (d.get("tdp_w") or 0) * d["count"] for d in devices}
            rows.append({"workload": w, "precision": p, "unit": unit, "throughput": thr,
                         "ratio": {k: v / first for k, v in thr.items()}, "source": src, "max_batch": mb, "bound": bound,
                         "per_1000_usd": {k: (v / price[k] * 1000 if price[k] else None) for k, v in thr.items()},
                         "per_watt": {k: (v / watts[k] if watts[k] else None) for k, v in thr.items()}})
    return {"schema": "rigbench.compare/1", "devices": devices, "workloads": rows, "summary": summarize(devices, rows),
            "notes": notes,
            "model": "rigbench.model: roofline sum of tensor-work time and memory time, per-architecture efficiency "
                     "factors fitted to published ResNet-50 results (profiles/efficiency.toml, docs/model.md)"}


def _workload_label(workload: str) -> str:
    """'ResNet-50' for resnet50 (the first word of the workload's name), the id for rigbench's own workloads."""
    from rigbench import model

    first = model.demand(workload).name.split(" ")[0]
    return workload if first == "rigbench" else first


def summarize(devices: list[dict], rows: list[dict]) -> str:
    """A buyer's verdict in plain words, from the numbers of the tables (ratios and throughput per $1000), no others."""
    return " ".join(summary_sentences(devices, rows))


def summary_sentences(devices: list[dict], rows: list[dict]) -> list[str]:
    """One sentence per workload: the ratio of each device to the first per precision, then throughput per $1000."""
    from rigbench.units import fmt_num

    ids = [d["id"] for d in devices]
    first, others = ids[0], ids[1:]
    prec_words = {"fp32": "in fp32", "amp": "with mixed precision (amp)"}
    by_workload: dict[str, list[dict]] = {}
    for r in rows:
        by_workload.setdefault(r["workload"], []).append(r)
    sentences = []
    for w, rs in by_workload.items():
        sources = " and ".join(sorted({s for r in rs for s in r["source"].values()}))
        if len(others) == 1:
            speed = " and ".join(f"{r['ratio'][others[0]]:.2f}x" + (f" as fast as {first}" if n == 0 else "")
                                 + f" {prec_words.get(r['precision'], r['precision'])}" for n, r in enumerate(rs))
            text = f"On {_workload_label(w)} ({sources}), {others[0]} is {speed}"
        else:
            speed = "; ".join(", ".join(f"{i} {r['ratio'][i]:.2f}x" for i in others) + " "
                              + prec_words.get(r["precision"], r["precision"]) for r in rs)
            text = f"On {_workload_label(w)} ({sources}), relative to {first}: {speed}"
        priced = [i for i in ids if any(r["per_1000_usd"][i] is not None for r in rs)]
        if priced:
            per = ", ".join(f"{i} " + " / ".join("-" if r["per_1000_usd"][i] is None
                                                 else fmt_num(r["per_1000_usd"][i]) for r in rs) for i in priced)
            text += (f"; per $1000 of launch price ({' / '.join(r['precision'] for r in rs)}): {per} "
                     f"{rs[0]['unit']}")
        unpriced = [i for i in ids if i not in priced]
        if unpriced:
            text += f" ({', '.join(unpriced)}: no launch price)"
        sentences.append(text + ".")
    return sentences


def check_plot_path(path: str) -> None:
    """UserError unless matplotlib can write ``path``'s format (checked before anything is computed)."""
    from pathlib import Path

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from rigbench.errors import UserError

    formats = FigureCanvasAgg.get_supported_filetypes()
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in formats:
        raise UserError(f"--plot {path}: unsupported image format {('.' + suffix) if suffix else '(no extension)'}; "
                        f"valid: {', '.join('.' + f for f in sorted(formats))}")


def _plot(doc: dict, path: str) -> None:
    import matplotlib

    from rigbench.errors import UserError

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ids = [d["id"] for d in doc["devices"]]
    groups = [f"{r['workload']}\n{r['precision']}" for r in doc["workloads"]]
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(groups) + 2), 4.8))
    width = 0.8 / len(ids)
    for i, dev in enumerate(ids):
        vals = [r["ratio"][dev] for r in doc["workloads"]]
        bars = ax.bar([g + i * width for g in range(len(groups))], vals, width, label=dev)
        for b, r in zip(bars, doc["workloads"]):
            ax.annotate(f"{r['throughput'][dev]:,.0f}", (b.get_x() + b.get_width() / 2, b.get_height()),
                        ha="center", va="bottom", fontsize=7)
    ax.set_xticks([g + 0.4 - width / 2 for g in range(len(groups))], groups)
    ax.set_ylabel(f"training throughput relative to {ids[0]} (x)")
    ax.axhline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_title(" vs ".join(ids) + ": training speed")
    ax.legend()
    fig.text(0.01, 0.01, "Labels: samples/s (images/s or sequences/s). Predicted by rigbench.model from spec sheets "
             "and published benchmarks; measured where a results file was given.", fontsize=7)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    try:
        fig.savefig(path, dpi=120)
    except OSError as e:
        raise UserError(f"--plot {path}: cannot write it ({e.strerror or e}); give a path in a writable folder") from None
    finally:
        plt.close(fig)


@click.command(name="compare")
@click.argument("devices", nargs=-1, required=True)
@click.option("--workload", "workloads", multiple=True, help="Workload id (repeatable): resnet50, bert-base, train_cnn, train_transformer.")
@click.option("--precision", default="both", help="fp32, amp or both (default).")
@click.option("--json", "as_json", is_flag=True, help="Print one rigbench.compare/1 JSON document.")
@click.option("--plot", "plot", default=None, metavar="FILE.png", help="Also write a grouped bar chart (.png, .svg, .pdf ...).")
@click.option("--device", "device", default=None, metavar="cuda:N",
              help="Which device of a results file to read (default: its first GPU).")
def command(devices, workloads, precision, as_json, plot, device):
    """Compare GPUs on training workloads: catalog names, results files, or 'Nx NAME'.

    \b
    Examples:
      rigbench compare gtx-1080-ti rtx-2080-ti
      rigbench compare rtx-3090 a100-sxm4-80gb --workload bert-base --precision amp
      rigbench compare results/my-run.json rtx-4090 --plot cmp.png
      rigbench compare "2x gtx-1080-ti" rtx-2080-ti
      rigbench compare results/two-gpus.json rtx-3090 --device cuda:1

    \b
    'Nx NAME' predicts N cards of one kind in one machine (1 to 8) from their interconnect
    (rigbench.scaling); several machines are measured, not predicted: rigbench bench --distributed.
    """
    from rigbench import model, report
    from rigbench.errors import UserError

    if len(devices) < 2:
        raise UserError("compare needs at least two devices, e.g. 'rigbench compare gtx-1080-ti rtx-2080-ti'")
    valid = model.workload_ids()
    for w in workloads:
        if w not in valid:
            raise UserError(f"unknown workload {w!r}; valid: {', '.join(valid)}")
    if precision not in ("fp32", "amp", "both"):
        raise UserError(f"unknown precision {precision!r}; valid: fp32, amp, both")
    precs = model.PRECISIONS if precision == "both" else (precision,)
    if plot:
        check_plot_path(plot)
    doc = build_comparison(devices, list(workloads) or ["resnet50", "bert-base"], precs, device)
    if plot:
        _plot(doc, plot)
    if as_json:
        report.emit_json(doc)
        return
    report.show(*render_tables(doc))
    if plot:
        click.echo(f"wrote {plot}", err=True)


_SPEC_ROWS = (("architecture", "architecture"), ("FP32 TFLOP/s", "fp32_tflops"),
              ("FP16 tensor TFLOP/s", "fp16_tensor_tflops"), ("TF32 TFLOP/s", "tf32_tflops"), ("memory GB", "memory_gb"),
              ("bandwidth GB/s", "memory_bandwidth_gbps"), ("TDP W", "tdp_w"), ("launch price USD", "launch_price_usd"),
              ("launch year", "launch_year"))


def render_tables(doc: dict) -> list:
    """Terminal tables that fit 100 columns: the specs (one column per device), then one table per workload with
    one row per device and precision."""
    from rigbench import report
    from rigbench.units import fmt_num

    devs = doc["devices"]
    ids = [d["id"] for d in devs]
    first = ids[0]

    def num(v):
        return None if v is None else (v if isinstance(v, str) else fmt_num(v))

    spec_rows = [(label, *[d.get(key) for d in devs]) for label, key in _SPEC_ROWS]   # as the spec sheet says
    out = [report.table("Specs (spec sheets: profiles/gpus.csv)", ["", *ids], spec_rows)]
    by_workload: dict[str, list[dict]] = {}
    for r in doc["workloads"]:
        by_workload.setdefault(r["workload"], []).append(r)
    for w, rs in by_workload.items():
        rows = []
        for r in rs:
            for i in ids:
                rows.append((i, r["precision"], fmt_num(r["throughput"][i]), f"{r['ratio'][i]:.2f}x",
                             num(r["per_1000_usd"][i]), num(r["per_watt"][i]), r["max_batch"][i], r["source"][i]))
        out.append(report.table(f"{w}: training throughput in {rs[0]['unit']}; ratio to {first}",
                                ["device", "prec.", "per s", "ratio", "per $1000", "per W", "max batch", "source"],
                                rows))
    out.append("predicted: rigbench.model (docs/model.md); measured: from a results file. per $1000: launch price;\n"
               "per W: TDP; max batch: largest batch that fits in device memory.")
    if doc.get("notes"):
        import textwrap

        width = min(report.console().width, 100)
        lines = ["Notes (names, multi-GPU scaling):"]
        for note in doc["notes"]:
            lines += textwrap.wrap(note, width, initial_indent="  ", subsequent_indent="    ",
                                   break_long_words=False, break_on_hyphens=False)
        out.append("\n".join(lines))
    if doc.get("summary"):
        import textwrap

        from rich.text import Text

        width = min(report.console().width, 100)
        lines = ["Verdict (from the tables above):"]
        for sentence in summary_sentences(doc["devices"], doc["workloads"]):
            lines += textwrap.wrap(sentence, width, initial_indent="  ", subsequent_indent="    ",
                                   break_long_words=False, break_on_hyphens=False)
        text = Text("\n".join(lines))
        text.stylize("bold", 0, len(lines[0]))
        out.append(text)
    return out
