"""`rigbench compare` and `rigbench gpus` as a user runs them."""

from __future__ import annotations

import itertools
import json
import re

import pytest

import rigbench
from conftest import FIXTURES, assert_user_error, run_cli
from rigbench import catalog, comparison, model
from rigbench.errors import UserError
from rigbench.size import plan as size_plan
from rigbench.files import dumps

# kernels/train.py CNN_CONFIGS[False] as a default-suite train_cnn measurement records it
FULL_CNN = {"image": 32, "channels": [64, 128, 256], "blocks": 1, "classes": 100, "model": "cnn", "batch_size": 256}


def test_compare_1080_ti_and_2080_ti_json_has_the_contract_fields(cli):
    r = cli("compare", "gtx-1080-ti", "rtx-2080-ti", "--json")
    assert r.code == 0, r.stderr
    doc = r.json()
    assert doc["schema"] == "rigbench.compare/1"
    assert [d["id"] for d in doc["devices"]] == ["gtx-1080-ti", "rtx-2080-ti"]
    assert doc["devices"][1]["fp16_tensor_tflops"] == 53.8
    rows = {(w["workload"], w["precision"]): w for w in doc["workloads"]}
    assert set(rows) == {("resnet50", "fp32"), ("resnet50", "amp"), ("bert-base", "fp32"), ("bert-base", "amp")}
    fp32 = rows[("resnet50", "fp32")]
    assert fp32["unit"] == "images/s" and fp32["source"] == {"gtx-1080-ti": "predicted", "rtx-2080-ti": "predicted"}
    assert fp32["ratio"]["gtx-1080-ti"] == 1.0
    # Lambda (2019): 2080 Ti = 1.41x a 1080 Ti on ResNet-50 FP32; much more with FP16
    assert 1.25 < fp32["ratio"]["rtx-2080-ti"] < 1.5
    assert rows[("resnet50", "amp")]["ratio"]["rtx-2080-ti"] > 1.5


def test_compare_plot_writes_a_png(cli, tmp_path):
    out = tmp_path / "cmp.png"
    r = cli("compare", "rtx-3090", "a100-sxm4-80gb", "--workload", "resnet50", "--precision", "amp", "--plot", str(out))
    assert r.code == 0, r.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_json_names_the_plot_it_wrote(cli, tmp_path):
    """As rigbench.cost/1 does: --plot with --json puts the chart's path in the document; without --plot no key."""
    out = tmp_path / "cmp.png"
    doc = cli("compare", "rtx-3090", "rtx-4090", "--workload", "resnet50", "--plot", str(out), "--json").json()
    assert doc["plot"] == str(out) and out.stat().st_size > 0
    assert "plot" not in cli("compare", "rtx-3090", "rtx-4090", "--workload", "resnet50", "--json").json()


def test_plot_has_a_per_dollar_panel_with_error_bars(cli, tmp_path):
    """An SVG is text: the per-dollar panel's title and the error-bar caption are in it."""
    out = tmp_path / "cmp.svg"
    r = cli("compare", "gtx-1080-ti", "rtx-2080-ti", "--workload", "resnet50", "--plot", str(out))
    assert r.code == 0, r.stderr
    svg = out.read_text()
    assert "images/s per $1000" in svg and "Error bars" in svg and "per dollar (launch price)" in svg


def test_the_plot_hatches_a_multi_node_figure_as_the_table_marks_it(tmp_path, monkeypatch):
    from rigbench import comparison, plots

    doc = comparison.build_comparison(["16x rtx-3090", "rtx-4090"], ["resnet50"], ["fp32"])
    assert doc["workloads"][0]["extrapolated"] == {"16x-rtx-3090": True, "rtx-4090": False}
    drawn = {}
    monkeypatch.setattr(plots, "save", lambda fig, path, **kw: drawn.setdefault("fig", fig) and path)
    plots.comparison_chart(doc, tmp_path / "c.png")
    speed = drawn["fig"].axes[0]
    hatches = [b.get_hatch() for b in speed.patches]
    assert hatches == ["//", None]              # the 16-card bar, then the RTX 4090's
    labels = [t.get_text() for t in speed.texts]
    assert labels[0].startswith("~") and not labels[1].startswith("~")


def _drawn_comparison(doc, tmp_path, monkeypatch):
    """The Figure comparison_chart builds for ``doc``, drawn but not saved."""
    from rigbench import plots

    drawn = {}
    monkeypatch.setattr(plots, "save", lambda fig, path, **kw: drawn.setdefault("fig", fig) and path)
    plots.comparison_chart(doc, tmp_path / "c.png")
    fig = drawn["fig"]
    fig.canvas.draw()
    return fig


def test_a_plot_where_no_device_fits_says_so_in_the_workloads_unit(tmp_path, monkeypatch):
    """Both cards have launch prices, but neither fits BERT-large: the per-dollar panel blames the fit, not prices;
    the speed panel has no reference to be relative to; the unit is the row's own, as in the table."""
    doc = comparison.build_comparison(["gtx-1060", "rtx-2060"], ["bert-large-squad"], ["fp32"])
    assert all(d["total_price_usd"] for d in doc["devices"]) and doc["workloads"][0]["reference"] is None
    speed, usd = _drawn_comparison(doc, tmp_path, monkeypatch).axes
    assert usd.get_title() == "per dollar: no device fits"
    assert speed.get_ylabel() == "training throughput: no device fits, no ratios"
    assert speed.get_title() == "training speed (labels: sequences/s)"
    assert not [l for l in speed.lines if l.get_linestyle() == "--"]   # no reference line: nothing to be relative to


def test_the_per_dollar_axis_is_in_the_workloads_unit(tmp_path, monkeypatch):
    doc = comparison.build_comparison(["rtx-3090", "rtx-4090"], ["bert-large-squad"], ["amp"])
    speed, usd = _drawn_comparison(doc, tmp_path, monkeypatch).axes
    assert usd.get_ylabel() == "sequences/s per $1000" and speed.get_title() == "training speed (labels: sequences/s)"


@pytest.mark.parametrize("devices", [["gtx-1060", "rtx-2060"], ["rtx-3090", "rtx-4090", "a100-sxm4-80gb"]])
def test_the_plot_caption_is_whole_inside_the_figure(devices, tmp_path, monkeypatch):
    """The footer caption wraps to the figure's width: no line runs past its right edge."""
    from rigbench import plots

    fig = _drawn_comparison(comparison.build_comparison(devices, ["resnet50", "bert-large-squad"], ["amp"]),
                            tmp_path, monkeypatch)
    caption = [t for t in fig.texts if t.get_text().startswith("Error bars")]
    assert len(caption) == 1
    assert " ".join(caption[0].get_text().split()) == " ".join(plots.COMPARE_CAPTION.split())
    box, frame = caption[0].get_window_extent(), fig.bbox
    assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
    for ax in fig.axes:                     # and the panels' tick labels stay above it
        assert ax.get_tightbbox().y0 >= box.y1 - 1


def _measured_2080_ti(tmp_path, catalog_id: str):
    """A results file of one RTX 2080 Ti train_cnn figure (650 samples/s), its probe naming ``catalog_id``."""
    doc = {"schema": "rigbench.results/1", "status": "complete", "created_utc": "2026-01-02T03:04:05Z", "host": "box",
           "probe": {"gpus": [{"index": 0, "name": "NVIDIA GeForce RTX 2080 Ti", "catalog_id": catalog_id}]},
           "measurements": [{"kernel": "train_cnn", "device": "cuda:0", "dtype": "float32", "value": 650.0,
                             "unit": "samples/s", "status": "ok", "valid": True, "params": FULL_CNN}]}
    path = tmp_path / "run.json"
    path.write_text(json.dumps(doc))
    return path


def test_compare_reads_a_results_file_as_measured(cli, tmp_path):
    path = _measured_2080_ti(tmp_path, "rtx-2080-ti")
    r = cli("compare", str(path), "gtx-1080-ti", "--workload", "train_cnn", "--precision", "fp32", "--json")
    assert r.code == 0, r.stderr
    row = r.json()["workloads"][0]
    first = r.json()["devices"][0]["id"]
    assert row["source"][first] == "measured" and row["throughput"][first] == 650.0


def test_a_results_file_naming_a_card_this_catalog_does_not_know_is_said_as_report_says_it(cli, tmp_path):
    # the file was read as not in the catalog, as `report` and `recommend` read it, but compare said nothing of it
    path = _measured_2080_ti(tmp_path, "rtx-2080-ti-next")
    note = (f"{path}: probe.gpus[0].catalog_id 'rtx-2080-ti-next' is not a card of this rigbench's catalog (written "
            "by a newer one?): NVIDIA GeForce RTX 2080 Ti is judged as not in the catalog")
    args = ("compare", str(path), "gtx-1080-ti", "--workload", "train_cnn", "--precision", "fp32")
    r = cli(*args, "--json")
    assert r.code == 0, r.stderr
    assert r.json()["notes_on_reading"] == [note]
    assert r.stderr.splitlines() == [f"rigbench: note: {note}"]
    r = cli(*args, env={"COLUMNS": "200"})
    assert r.code == 0 and r.stderr.splitlines() == [f"rigbench: note: {note}"], r.stderr
    assert cli("compare", "gtx-1080-ti", "rtx-2080-ti", "--json").json()["notes_on_reading"] == []


@pytest.mark.parametrize("args, fragment", [
    (("gtx-1080-ti", "rtx-9090"), "unknown GPU"),
    (("gtx-1080-ti", "rtx-2080-ti", "--workload", "vgg"), "unknown workload"),
    (("gtx-1080-ti", "rtx-2080-ti", "--precision", "int8"), "unknown precision"),
    (("gtx-1080-ti",), "at least two"),
])
def test_bad_input_is_one_line_and_exit_2(cli, args, fragment):
    assert_user_error(cli("compare", *args), fragment)


def test_a_file_that_is_not_a_results_file_or_is_newer_is_refused(cli, tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"schema": "rigbench.probe/1"}')
    assert_user_error(cli("compare", str(bad), "gtx-1080-ti"), "not a rigbench.results file")
    newer = tmp_path / "n.json"
    newer.write_text('{"schema": "rigbench.results/9", "measurements": []}')
    assert_user_error(cli("compare", str(newer), "gtx-1080-ti"), "upgrade rigbench")


def test_gpus_filters_by_architecture_memory_and_price(cli):
    r = cli("gpus", "--arch", "turing", "--min-memory", "11GB", "--max-price", "1500", "--json")
    assert r.code == 0, r.stderr
    assert [g["id"] for g in r.json()["gpus"]] == ["rtx-2080-ti"]
    assert_user_error(cli("gpus", "--arch", "maxwell"), "unknown architecture")
    assert [g["id"] for g in cli("gpus", "--arch", " Turing ", "--min-memory", "11GB", "--max-price", "1500",
                                 "--json").json()["gpus"]] == ["rtx-2080-ti"]


def test_compare_says_how_far_a_cards_gain_from_mixed_precision_holds(cli):
    """With fp32 and amp both compared, the gain of one over the other on a card carries its validation error
    (rigbench.model.precision_gain_summary), in --json and under the tables; with one precision there is no gain."""
    s = model.precision_gain_summary()
    doc = cli("compare", "gtx-1080-ti", "rtx-2080-ti", "--json").json()
    basis = doc["precision_gain_basis"]
    assert f"off by {s['harness']['mae']:.1%} on average over {s['harness']['pairs']} published cases" in basis
    assert f"over {s['others_families']['conv']['pairs']} cases" in basis
    screen = " ".join(cli("compare", "gtx-1080-ti", "rtx-2080-ti").stdout.split())
    assert " ".join(basis.split()) in screen
    assert cli("compare", "gtx-1080-ti", "rtx-2080-ti", "--precision", "fp32", "--json").json()[
        "precision_gain_basis"] is None


@pytest.mark.parametrize("devices", [("gtx-1080-ti", "rtx-2080-ti"),
                                     ("gtx-1080-ti", "rtx-2080-ti", "a100-sxm4-80gb", "rtx-4090", "h100-sxm")])
def test_compare_terminal_output_fits_100_columns(cli, devices):
    r = cli("compare", *devices, "--workload", "resnet50", "--workload", "train_transformer")
    assert r.code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert "…" not in r.stdout                        # nothing truncated
    # one table per workload, one row per device and precision, ratio to the first device
    assert "resnet50: training throughput in images/s; ratio to gtx-1080-ti" in r.stdout
    tables = lines[:next(i for i, line in enumerate(lines) if line.startswith("Verdict"))]
    rows = [line.split() for line in tables if line.strip().startswith(devices[-1])]
    assert [row[1] for row in rows] == ["fp32", "amp", "fp32", "amp"]


def test_verdict_states_the_ratios_with_their_band_and_ends_with_a_buying_answer(cli):
    doc = cli("compare", "gtx-1080-ti", "rtx-2080-ti", "--json").json()
    table = cli("compare", "gtx-1080-ti", "rtx-2080-ti")
    assert table.code == 0, table.stderr
    rows = {(w["workload"], w["precision"]): w for w in doc["workloads"]}
    fp32, amp = rows[("resnet50", "fp32")], rows[("resnet50", "amp")]
    r32, ramp = fp32["ratio"]["rtx-2080-ti"], amp["ratio"]["rtx-2080-ti"]
    b32, bamp = fp32["ratio_band"]["rtx-2080-ti"], amp["ratio_band"]["rtx-2080-ti"]
    expected = (f"On ResNet-50 (predicted), rtx-2080-ti is {r32:.2f}x (+-{b32:.0%}) as fast as gtx-1080-ti in fp32 "
                f"and {ramp:.2f}x (+-{bamp:.0%}) with mixed precision (amp).")
    assert doc["summary"].startswith(expected)
    flat = " ".join(table.stdout.split())
    assert "Verdict (from the tables above):" in flat and expected in flat
    assert flat.index("Verdict") > flat.index("bert-base: training throughput")   # under the per-workload tables
    # the output ENDS with the buying answer, for fp32 and mixed precision, per dollar and per watt
    last = flat[flat.rindex("Which to buy"):]
    assert last.startswith("Which to buy for BERT-base:") and "in fp32" in last and "mixed precision" in last
    buy = doc["verdict"]["sentences"][0]
    assert buy.startswith("Which to buy for ResNet-50: in fp32, ") and "per dollar" in buy and "per watt" in buy
    # the clause's numbers are the table's: per $1000 of launch price, per watt of TDP
    pick = doc["verdict"]["picks"]["resnet50"]["fp32"]["per_dollar"]
    per = fp32["per_1000_usd"]
    assert per["gtx-1080-ti"] == pytest.approx(fp32["throughput"]["gtx-1080-ti"] / 0.699)
    assert pick["best"] == max(per, key=per.get)
    assert pick["gap"] == pytest.approx(max(per.values()) / min(per.values()) - 1)


def test_a_difference_inside_the_band_is_called_a_tie(cli):
    doc = cli("compare", "gtx-1080-ti", "rtx-2080-ti", "--json").json()
    for row in doc["workloads"]:
        r, band = row["ratio"]["rtx-2080-ti"], row["ratio_band"]["rtx-2080-ti"]
        u = row["uncertainty"]
        # the band of the ratio itself: Pascal x Turing pairs published together (model.ratio_uncertainty)
        assert band == pytest.approx(model.ratio_uncertainty(catalog.resolve("gtx-1080-ti"),
                                                             catalog.resolve("rtx-2080-ti"), row["workload"])["fraction"])
        assert row["tie_with_first"]["rtx-2080-ti"] == (abs(r - 1) <= band)
        t, lo, hi = row["throughput"]["rtx-2080-ti"], row["throughput_low"]["rtx-2080-ti"], row["throughput_high"]["rtx-2080-ti"]
        assert lo == pytest.approx(t * (1 - u["rtx-2080-ti"])) and hi == pytest.approx(t * (1 + u["rtx-2080-ti"]))
    for sentence in doc["verdict"]["sentences"]:
        for pick in doc["verdict"]["picks"][next(iter(doc["verdict"]["picks"]))].values():
            for p in pick.values():
                if p and p["tie"]:
                    assert p["gap"] <= p["band"]
    # two cards of one chip (TITAN RTX, 280 W; Quadro RTX 6000, 260 W): a tie, and the sentence says so
    doc = cli("compare", "titan-rtx", "quadro-rtx-6000", "--workload", "resnet50", "--precision", "fp32",
              "--json").json()
    row = doc["workloads"][0]
    assert row["tie_with_first"]["quadro-rtx-6000"] and abs(row["ratio"]["quadro-rtx-6000"] - 1) < 0.05
    assert "a tie in fp32" in doc["summary"]


def test_your_price_replaces_the_launch_price_and_is_marked(cli):
    doc = cli("compare", "gtx-1080-ti", "rtx-2080-ti", "--price", "gtx-1080-ti=300", "--price", "rtx-2080-ti=$450",
              "--workload", "resnet50", "--json").json()
    dev = {d["id"]: d for d in doc["devices"]}
    assert (dev["gtx-1080-ti"]["price_usd"], dev["gtx-1080-ti"]["price_source"]) == (300, "your price")
    row = doc["workloads"][0]
    assert row["per_1000_usd"]["rtx-2080-ti"] == pytest.approx(row["throughput"]["rtx-2080-ti"] / 0.450)
    table = cli("compare", "gtx-1080-ti", "rtx-2080-ti", "--price", "gtx-1080-ti=300", "--workload", "resnet50")
    assert "300*" in table.stdout and "* your price (--price)" in table.stdout


def test_a_null_per_dollar_or_per_watt_figure_says_why(cli):
    """The A10G (an AWS part) has neither a launch price nor a published board power, the H100 SXM no launch price:
    their per-dollar and per-watt figures are null, and each device says which input is not published."""
    doc = cli("compare", "a10g", "h100", "--workload", "resnet50", "--json").json()
    dev = {d["id"]: d for d in doc["devices"]}
    assert doc["workloads"][0]["per_watt"]["a10g"] is None and doc["workloads"][0]["per_1000_usd"]["h100-sxm"] is None
    assert dev["a10g"]["missing"] == {"price_usd": "no launch price published (give --price CARD=USD)",
                                      "total_tdp_w": "no board power published for this card (profiles/gpus.csv)"}
    assert dev["h100-sxm"]["missing"] == {"price_usd": "no launch price published (give --price CARD=USD)"}
    assert cli("compare", "gtx-1080-ti", "rtx-2080-ti", "--json").json()["devices"][0]["missing"] == {}


def test_a_price_for_a_short_name_prices_the_one_card_of_it_compared(cli):
    """'a100' names four cards: a price for it goes to the one A100 compared, and with two A100s compared it is
    refused with the list (it would price one of them silently)."""
    doc = cli("compare", "a100-pcie-80gb", "h100", "--price", "a100=10000", "--workload", "resnet50",
              "--json").json()
    assert {d["id"]: d["price_usd"] for d in doc["devices"]}["a100-pcie-80gb"] == 10000
    r = cli("compare", "a100-pcie-80gb", "a100-sxm4-40gb", "--price", "a100=10000")
    assert_user_error(r, "--price 'a100=10000': 'a100' names 4 cards (a100-sxm4-40gb, a100-pcie-40gb, "
                         "a100-pcie-80gb, a100-sxm4-80gb) and 2 of them are compared: price one by its id, e.g. "
                         "--price a100-sxm4-40gb=10000")


@pytest.mark.parametrize("args, fragment", [
    (("--price", "gtx-1080-ti"), "write it as CARD=USD"),
    (("--price", "gtx-1080-ti=cheap"), "--price 'gtx-1080-ti=cheap': the price must be a positive amount"),
    (("--price", "gtx-1080-ti=0"), "must be a positive amount of US dollars per card"),
    (("--price", "rtx-4090=1500"), "not among the devices compared"),
    (("--network", "pigeon"), "unknown network 'pigeon'"),
])
def test_bad_price_or_network_is_one_line_and_exit_2(cli, args, fragment):
    assert_user_error(cli("compare", "gtx-1080-ti", "rtx-2080-ti", *args), fragment)


@pytest.mark.parametrize("devices", [("rtx-3090", "rtx-4090"), ("8x rtx-3090", "rtx-4090")])
def test_network_without_a_device_past_one_machine_is_refused(cli, devices):
    """The fabric joins machines: with every device inside one machine it changes nothing, so it is refused as
    every option that cannot apply is, not ignored."""
    assert_user_error(cli("compare", *devices, "--network", "ib-hdr-8x"),
                      "--network applies only to a device past one machine, e.g. '16x rtx-3090'")
    assert cli("compare", "9x rtx-3090", "rtx-4090", "--network", "ib-hdr-8x", "--workload", "resnet50").code == 0


def test_two_cards_count_twice_in_specs_price_and_watts(cli):
    doc = cli("compare", "2x gtx-1080-ti", "rtx-2080-ti", "--workload", "resnet50", "--json").json()
    dev = doc["devices"][0]
    assert (dev["count"], dev["total_price_usd"], dev["total_tdp_w"]) == (2, 1398, 500)
    row = doc["workloads"][0]
    assert row["per_watt"]["2x-gtx-1080-ti"] == pytest.approx(row["throughput"]["2x-gtx-1080-ti"] / 500)
    table = cli("compare", "2x gtx-1080-ti", "rtx-2080-ti", "--workload", "resnet50")
    flat = " ".join(table.stdout.split())
    # every spec row per card (as memory bandwidth only can be), the count and the totals labelled rows of their own
    assert flat.startswith("Specs per card (spec sheets: profiles/gpus.csv)")
    assert "cards 2 1 " in flat and "FP32 TFLOP/s 11.3 13.4" in flat and "bandwidth GB/s 484 616" in flat
    assert "TDP W 250 250" in flat and "price USD 699 999" in flat
    assert "total TDP W 500 250" in flat and "total price USD 1,398 999" in flat


def test_32_cards_are_predicted_over_the_network_between_machines(cli):
    doc = cli("compare", "32x a100-sxm4-80gb", "8x a100-sxm4-80gb", "--workload", "resnet50", "--precision", "amp",
              "--json").json()
    row = doc["workloads"][0]
    assert 3.0 < row["ratio"]["8x-a100-sxm4-80gb"] ** -1 <= 4.0         # 32 cards: at most 4x eight
    assert any("4 nodes of up to 8" in n and "InfiniBand HDR" in n and "not validated" in n for n in doc["notes"])
    slow = cli("compare", "16x rtx-3090", "rtx-3090", "--network", "ethernet-10g", "--workload", "bert-base",
               "--json").json()
    fast = cli("compare", "16x rtx-3090", "rtx-3090", "--network", "ethernet-100g", "--workload", "bert-base",
               "--json").json()
    assert slow["workloads"][0]["throughput"]["16x-rtx-3090"] < fast["workloads"][0]["throughput"]["16x-rtx-3090"]


def test_a_laptop_part_says_its_power_range_and_takes_a_power_limit(cli):
    doc = cli("compare", "rtx-4090-laptop", "rtx-4090-laptop@80W", "--workload", "resnet50", "--json").json()
    assert [d["id"] for d in doc["devices"]] == ["rtx-4090-laptop", "rtx-4090-laptop@80W"]
    assert doc["workloads"][0]["ratio"]["rtx-4090-laptop@80W"] < 1
    assert any("laptops ship at 80-150 W" in n for n in doc["notes"])
    # NVIDIA publishes no Ada laptop configurations: the spec column at 80 W is the 150 W card's, and says so; the
    # RTX 3080 Laptop's 80 W configuration is published and its column is that configuration's
    assert "rtx-4090-laptop@80W: its spec figures are the card's at 150 W (NVIDIA publishes no configuration at " \
           "80 W)" in " ".join(doc["notes"])
    other = cli("compare", "rtx-3080-laptop@80W", "rtx-3090", "--workload", "resnet50", "--json").json()
    assert not any("its spec figures" in n for n in other["notes"])


def _write(tmp_path, measurements, gpus):
    doc = {"schema": "rigbench.results/1", "status": "complete",
           "created_utc": "2026-01-02T03:04:05Z", "host": "box", "probe": {"gpus": gpus},
           "measurements": [{"status": "ok", "valid": True, "invalid_reasons": [], **m} for m in measurements]}
    path = tmp_path / "run.json"
    path.write_text(json.dumps(doc))
    return str(path)


CPU_CNN = {"kernel": "train_cnn", "device": "cpu", "dtype": "float32", "value": 1387.7, "unit": "samples/s",
           "params": {**FULL_CNN, "batch_size": 32}}


def test_a_cpu_only_results_file_is_one_clear_line_listing_its_devices(cli, tmp_path):
    path = _write(tmp_path, [CPU_CNN], [])
    r = cli("compare", path, "rtx-3090")
    assert_user_error(r, "has only CPU measurements (devices in it: cpu); compare predicts GPU training workloads")
    assert_user_error(cli("compare", path, "rtx-3090", "--device", "cpu"), "compare predicts GPU training workloads")


def test_compare_reads_the_first_gpu_of_a_results_file_or_the_one_device_names(cli, tmp_path):
    gpus = [{"index": 0, "name": "NVIDIA GeForce RTX 2080 Ti", "catalog_id": "rtx-2080-ti"},
            {"index": 1, "name": "NVIDIA GeForce RTX 3090", "catalog_id": "rtx-3090"}]
    ms = [CPU_CNN, {**CPU_CNN, "device": "cuda:1", "value": 900.0}, {**CPU_CNN, "device": "cuda:0", "value": 650.0}]
    path = _write(tmp_path, ms, gpus)
    args = ("compare", path, "gtx-1080-ti", "--workload", "train_cnn", "--precision", "fp32", "--json")
    doc = cli(*args).json()                                   # cuda:1 is the first GPU the file measured
    assert doc["devices"][0]["id"] == "rtx-3090@box" and doc["workloads"][0]["throughput"]["rtx-3090@box"] == 900.0
    doc = cli(*args, "--device", "cuda:0").json()
    assert doc["workloads"][0]["throughput"]["rtx-2080-ti@box"] == 650.0
    assert_user_error(cli(*args, "--device", "cuda:5"), "no measurements for it (devices in it: cpu, cuda:1, cuda:0)")


@pytest.mark.parametrize("device", ["banana", "cuda:x", "cuda:0", "cpu"])
def test_device_without_a_results_file_is_refused_in_costs_words(cli, device):
    """--device picks a device of a results file; with catalog cards alone it was set aside without a word (exit
    0), while cost refuses it. One check (results.refuse_device_without_file) says it for both."""
    assert_user_error(cli("compare", "gtx-1080-ti", "rtx-2080-ti", "--device", device),
                      f"--device '{device}' names a device of a results file: compare one among the devices")
    with pytest.raises(UserError, match=f"--device '{device}' names a device of a results file"):
        comparison.compare(["gtx-1080-ti", "2x rtx-2080-ti"], device=device)


def test_device_that_names_no_device_is_refused_beside_a_results_file(cli, tmp_path):
    gpus = [{"index": 0, "name": "NVIDIA GeForce RTX 2080 Ti", "catalog_id": "rtx-2080-ti"}]
    path = _write(tmp_path, [{**CPU_CNN, "device": "cuda:0", "value": 650.0}], gpus)
    args = ("compare", path, "gtx-1080-ti", "--workload", "train_cnn", "--precision", "fp32")
    assert_user_error(cli(*args, "--device", "banana"), "--device banana: compare predicts GPU training workloads")
    assert_user_error(cli(*args, "--device", "cuda:x"), "--device cuda:x", "no measurements for it (devices in it: "
                      "cuda:0)")
    assert_user_error(cli(*args, "--device", "cuda"), "--device cuda", "no measurements for it")
    assert cli(*args, "--device", "cuda:0", "--json").code == 0


@pytest.mark.parametrize("arg, either", [("2x 2x a100", "'2x a100'"), ("2x 4x a100", "'2x a100' or '4x a100'"),
                                         ("2x2x-a100", "'2x a100'"), ("2X 2x A100", "'2x A100'"),
                                         ("2x 2x", "'2x CARD'")])
def test_a_count_given_twice_is_refused_as_such(cli, arg, either):
    """'2x a100' is accepted: '2x 2x a100' was "unknown GPU '2x a100'", as if the count were part of the name."""
    r = cli("compare", arg, "rtx-4090")
    assert_user_error(r, f"'{arg}': the card count is given twice; give one 'Nx' per card: {either}")
    assert "unknown GPU" not in r.stderr
    with pytest.raises(UserError, match="--buy '2x 4x a100': the card count is given twice"):
        comparison.split_count("2x 4x a100", "--buy")
    assert_user_error(cli("compare", "2x a100", "rtx-4090", "--price", "2x 2x a100=500"),
                      "--price '2x 2x a100': the card count is given twice")


def test_1x_is_the_bare_card(cli):
    one = cli("compare", "1x rtx-3090", "gtx-1080-ti", "--json").json()
    bare = cli("compare", "rtx-3090", "gtx-1080-ti", "--json").json()
    assert one == bare


@pytest.mark.parametrize("arg, fragment", [
    ("0x rtx-3090", "number of cards must be 1 to 4096"),
    ("100000x rtx-3090", "number of cards must be 1 to 4096"),
])
def test_nx_out_of_range_is_refused(cli, arg, fragment):
    assert_user_error(cli("compare", arg, "gtx-1080-ti"), fragment)


@pytest.mark.parametrize("args", [("-1x rtx-3090", "rtx-4090"), ("rtx-4090", "-2 x h100"),
                                  ("--", "-1x rtx-3090", "rtx-4090")])
def test_a_negative_count_is_refused_as_0x_is(cli, args):
    """'-1x rtx-3090' begins with '-': click read it as the option '-1' ("No such option '-1'"), and after '--' it
    was looked up as a GPU of that name. It is a count below 1, and says so as '0x rtx-3090' does."""
    arg = next(a for a in args if a != "--" and a.lstrip().startswith("-"))
    assert_user_error(cli("compare", *args), f"{arg!r}: the number of cards must be 1 to 4096")


def test_an_unknown_short_option_is_still_one(cli):
    assert_user_error(cli("compare", "rtx-3090", "rtx-4090", "-x"), "No such option '-x'")


def test_nx_of_a_results_file_or_of_nothing_says_so(cli, tmp_path):
    """'2x ref.json' with ref.json there is not a missing file: Nx takes catalog cards only. '2x ' names no card."""
    ref = tmp_path / "ref.json"
    ref.write_text(json.dumps({"schema": "rigbench.results/1", "status": "complete",
                               "created_utc": "2026-01-02T03:04:05Z", "measurements": []}))
    assert_user_error(cli("compare", "2x ref.json", "rtx-3090", cwd=tmp_path),
                      "'2x ref.json': 2x takes a catalog card, not a results file; compare the file as 'ref.json'")
    assert_user_error(cli("compare", "2x ", "gtx-1080-ti"), "'2x ': the card name is missing after 2x")


def test_scaling_reason_and_interconnect_are_shown_under_the_tables(cli):
    r = cli("compare", "4x a100-sxm4-80gb", "rtx-3090", "--workload", "resnet50")
    assert r.code == 0, r.stderr
    flat = " ".join(r.stdout.split())
    assert ("4x-a100-sxm4-80gb: predicted over NVLink (600 GB/s total): 300.0 GB/s each way, all-reduce achieves "
            "43%; all-reduce efficiency for 4 cards in a node extrapolated from smaller published runs") in flat
    assert flat.index("Notes (names, multi-GPU scaling, power):") < flat.index("Verdict")
    doc = cli("compare", "4x a100-sxm4-80gb", "rtx-3090", "--workload", "resnet50", "--json").json()
    assert any("extrapolated" in n for n in doc["notes"])


def test_plot_with_an_unsupported_format_or_an_unwritable_path_is_one_line(cli, tmp_path):
    r = cli("compare", "rtx-3090", "gtx-1080-ti", "--plot", str(tmp_path / "x.txt"))
    assert_user_error(r, "unsupported file type .txt; end the name with one of ")
    assert ".png" in r.stderr
    assert_user_error(cli("compare", "rtx-3090", "gtx-1080-ti", "--plot", str(tmp_path / "no" / "x.png")),
                      "folder " + str(tmp_path / "no") + " does not exist")


def test_plot_naming_a_folder_is_refused_and_nothing_written(cli, tmp_path):
    # 'new.png/' was written as the file new.png, and said "wrote new.png/"
    r = cli("compare", "rtx-3090", "gtx-1080-ti", "--plot", "new.png/", cwd=tmp_path)
    assert_user_error(r, "--plot new.png/ names a folder", "give a file name")
    assert list(tmp_path.iterdir()) == []


def test_plot_replaces_an_earlier_plot_but_not_a_file_of_another_kind_under_its_name(cli, tmp_path):
    # `--plot notes.png` over a text file replaced it with a chart and said only "wrote notes.png"
    notes = tmp_path / "notes.png"
    notes.write_text("my notes\n")
    r = cli("compare", "rtx-3090", "gtx-1080-ti", "--plot", str(notes))
    assert_user_error(r, f"--plot {notes} exists and is not a .png image; it is left as it is")
    assert notes.read_text() == "my notes\n"
    for name in ("chart.png", "chart.svg", "chart.pdf"):
        path = tmp_path / name
        for _ in range(2):      # the second run replaces the first run's chart
            r = cli("compare", "rtx-3090", "gtx-1080-ti", "--plot", str(path))
            assert r.code == 0, r.stderr
    assert (tmp_path / "chart.png").read_bytes().startswith(b"\x89PNG")
    # a format with no header (raw pixels) cannot be told from another file: it is replaced as named
    (tmp_path / "pixels.raw").write_bytes(b"\x00" * 16)
    assert cli("compare", "rtx-3090", "gtx-1080-ti", "--plot", str(tmp_path / "pixels.raw")).code == 0


def test_the_specs_title_wraps_at_the_terminals_width_not_the_tables(cli):
    # at 200 columns it was folded at the 46-column table's width
    r = run_cli("compare", "rtx-3090", "gtx-1080-ti", env={"COLUMNS": "200"})
    assert r.code == 0, r.stderr
    assert r.stdout.splitlines()[0] == "Specs per card (spec sheets: profiles/gpus.csv)"
    assert r.stdout.splitlines()[1] == ""


def test_a_postscript_plot_prints_no_transparency_note(cli, tmp_path):
    # matplotlib's "The PostScript backend does not support transparency; partially transparent artists will be
    # rendered opaque." came on stderr before "wrote c.eps"
    r = cli("compare", "rtx-3090", "gtx-1080-ti", "--plot", str(tmp_path / "c.eps"))
    assert r.code == 0, r.stderr
    assert r.stderr.strip() == f"wrote {tmp_path / 'c.eps'}"
    assert (tmp_path / "c.eps").read_bytes().startswith(b"%!PS-Adobe")


def test_a_short_name_shared_by_variants_is_named_in_the_notes(cli):
    doc = cli("compare", "a100", "v100", "--workload", "resnet50", "--json").json()
    assert [d["id"] for d in doc["devices"]] == ["a100-sxm4-40gb", "tesla-v100-sxm2-16gb"]
    assert any(n.startswith("'a100' names 4 cards: took a100-sxm4-40gb; the others are a100-pcie-40gb") for n in doc["notes"])
    assert any("'v100' names 5 cards: took tesla-v100-sxm2-16gb" in n for n in doc["notes"])
    text = cli("compare", "a100", "k80", "--workload", "resnet50")
    assert text.code == 0, text.stderr
    assert "took a100-sxm4-40gb" in " ".join(text.stdout.split()) and "5080" not in text.stdout


def test_cost_calls_a_difference_inside_the_models_error_a_tie(cli):
    """At 60 h/month the GTX 1080 Ti and an AWS g4dn.xlarge cost within a few dollars over 24 months: less than the
    model's speed error can move the hour-priced costs, so cost says it is a tie; at 20 h/month renting wins
    clearly and no tie is named. The resale is fixed at the fitted curve's 24 months (exp(-0.0125728 x 24)): by
    the card's age today it would depend on the date the test runs."""
    resale = ("--resale", "0.7395249931790762")
    close = cli("cost", "--buy", "gtx-1080-ti", "--rent", "aws:g4dn.xlarge", "--hours-per-month", "60", "--json",
                *resale)
    assert close.code == 0, close.stderr
    rec = close.json()["recommendation"]
    assert rec.startswith("A tie between renting aws:g4dn.xlarge and buying gtx-1080-ti: renting is ")
    assert ", inside the +-4% error of the predicted speed ratio, which moves the hour-priced costs by up to " in rec
    far = cli("cost", "--buy", "gtx-1080-ti", "--rent", "aws:g4dn.xlarge", "--hours-per-month", "20", "--json",
              *resale)
    assert "a tie" not in far.json()["recommendation"]


def test_gpus_lists_laptop_parts_with_their_power_range(cli):
    r = cli("gpus", "--arch", "ada")
    assert r.code == 0, r.stderr
    line = next(l for l in r.stdout.splitlines() if l.strip().startswith("rtx-4090-laptop"))
    assert "80-150" in line


def test_a_power_limit_is_shown_as_one_number_and_named_in_the_per_watt_legend(cli):
    """rtx-3080-laptop (80-150 W) at 120 W: the TDP column shows 120, not 80-120, as at 80 W it shows 80; compare's
    legend says per W uses the limit given with @W, and only when one is given."""
    for watts in ("120", "80"):
        r = cli("gpus", f"rtx-3080-laptop@{watts}W")
        assert r.code == 0, r.stderr
        line = next(l for l in r.stdout.splitlines() if l.strip().startswith(f"rtx-3080-laptop@{watts}W"))
        assert line.split()[9] == watts and " 80-" not in line, line     # after "16 GB GDDR6" and GB/s
    limited = cli("compare", "rtx-3080-laptop@120W", "rtx-3090", "--precision", "fp32")
    assert limited.code == 0, limited.stderr
    assert "per W: TDP, or the power limit given with @W;" in " ".join(limited.stdout.split())
    doc = cli("compare", "rtx-3080-laptop@120W", "rtx-3090", "--json").json()
    assert [d["power_limit_w"] for d in doc["devices"]] == [120, None]
    assert doc["devices"][0]["tdp_min_w"] == doc["devices"][0]["tdp_w"] == 120
    plain = cli("compare", "rtx-3080-laptop", "rtx-3090", "--precision", "fp32")
    assert "per W: TDP; measured: from a results file. max batch: per card" in " ".join(plain.stdout.split()) and "@W" not in plain.stdout.split("Verdict")[0]
    doc = cli("gpus", "--arch", "ada", "--json").json()
    lap = next(g for g in doc["gpus"] if g["id"] == "rtx-4090-laptop")
    assert (lap["form_factor"], lap["tdp_min_w"], lap["tdp_w"]) == ("laptop", 80, 150)


def test_a_results_file_whose_figures_are_all_invalid_compares_as_predicted_saying_why(cli, tmp_path):
    """No valid figure of cuda:0 (a 2080 Ti): the card is compared as the catalog predicts it, never from the
    doubtful figure, and a note names the figure and its reason."""
    spread = {"code": "spread", "value": 0.31, "limit": 0.10, "text": "spread 31% of the median"}
    gpus = [{"index": 0, "name": "NVIDIA GeForce RTX 2080 Ti", "catalog_id": "rtx-2080-ti"}]
    doc = {"schema": "rigbench.results/2", "status": "complete",
           "created_utc": "2026-01-02T03:04:05Z", "host": "box", "probe": {"gpus": gpus},
           "measurements": [{**CPU_CNN, "device": "cuda:0", "value": 650.0, "status": "ok", "valid": False,
                             "invalid_reasons": [spread]}]}
    path = tmp_path / "run.json"
    path.write_text(json.dumps(doc))
    args = ("--workload", "train_cnn", "--precision", "fp32", "--json")
    got = cli("compare", str(path), "gtx-1080-ti", *args).json()
    predicted = cli("compare", "rtx-2080-ti", "gtx-1080-ti", *args).json()
    row, want = got["workloads"][0], predicted["workloads"][0]
    assert got["devices"][0]["id"] == "rtx-2080-ti" and got["devices"][0]["source"] == "catalog"
    assert row["throughput"]["rtx-2080-ti"] == want["throughput"]["rtx-2080-ti"] != 650.0
    assert any("present but INVALID (spread 31% of the median)" in n and "predicted from the catalog" in n
               for n in got["notes"])
def test_the_python_api_returns_the_json_document(cli):
    args = ("gtx-1080-ti", "rtx-2080-ti", "--workload", "resnet50", "--price", "gtx-1080-ti=350", "--precision", "amp")
    doc = rigbench.compare(["gtx-1080-ti", "rtx-2080-ti"], workload="resnet50", price={"gtx-1080-ti": 350},
                           precision="amp")
    assert json.loads(dumps(doc)) == cli("compare", *args, "--json").json()
    assert rigbench.compare(["gtx-1080-ti", "rtx-2080-ti"], workload=["resnet50"], price=["gtx-1080-ti=350"],
                            precision="amp") == doc


def test_gpus_named_cards_show_only_them_with_their_sources(cli):
    """A full name is that card alone; a short name is its family (every A100); CARD@W is the card at that limit."""
    doc = cli("gpus", "a100", "--json").json()
    assert [g["id"] for g in doc["gpus"]] == ["a100-pcie-40gb", "a100-sxm4-40gb", "a100-pcie-80gb", "a100-sxm4-80gb"]
    assert [g["id"] for g in cli("gpus", "rtx-4090", "--json").json()["gpus"]] == ["rtx-4090"]
    assert [g["id"] for g in cli("gpus", "4090", "rtx-4090", "--json").json()["gpus"]] == ["rtx-4090",
                                                                                          "rtx-4090-laptop"]
    r = cli("gpus", "GTX 1080 Ti")
    assert r.code == 0, r.stderr
    assert "gtx-1080-ti: NVIDIA GeForce GTX 1080 Ti product page" in r.stdout and "GPU catalog (1 card)" in r.stdout
    limited = cli("gpus", "rtx-3080-laptop@80W")
    line = next(l for l in limited.stdout.splitlines() if l.strip().startswith("rtx-3080-laptop@80W"))
    # NVIDIA's 80 W configuration: 384 GB/s (profiles/laptop_gpu_configs.csv), one power limit, not a range
    assert line.split()[-4:-1] == ["384", "80", "2021"]
    assert [g["id"] for g in cli("gpus", "a100", "--max-price", "100", "--json").json()["gpus"]] == []
    assert_user_error(cli("gpus", "rtx-9999"), "unknown GPU 'rtx-9999'")


def test_a_row_the_file_did_not_train_is_never_called_a_check_of_the_model(cli):
    """The H200 reference run trained only the suite's small nets, all four figures flagged for spread: beside its
    catalog card its ResNet-50 row is the model with the file's memcopy bandwidth, and the verdict says that, not
    'the measured h200-sxm@vm does 1.02x what the model predicts'. With --workload train_transformer the flagged
    figures are named in the notes with their values (9,301 and 6,668 samples/s) and reasons."""
    path = "results/reference/h200-sxm-2026-12-04-cuda.json"
    doc = cli("compare", path, "h200-sxm", "--workload", "resnet50", "--json").json()
    thr = {r["precision"]: r["throughput"] for r in doc["workloads"]}
    got = thr["fp32"]["h200-sxm@vm"] / thr["fp32"]["h200-sxm"]
    assert doc["workloads"][0]["source"]["h200-sxm@vm"] == "predicted"
    assert (f"On ResNet-50, h200-sxm@vm has no training run of its own: predicted from its kernels in place of the "
            f"spec sheet's, it comes out at {got:.2f}x the prediction for h200-sxm in fp32") in doc["summary"]
    assert "not a check of the model" in doc["summary"] and "the measured h200-sxm@vm" not in doc["summary"]
    doc = cli("compare", path, "a100-sxm4-80gb", "--workload", "train_transformer", "--json").json()
    (note,) = [n for n in doc["notes"] if n.startswith("h200-sxm@vm: in ")]
    assert "train_transformer fp32 measured 9,301 samples/s, present but INVALID (spread 36% of the median" in note
    assert "train_transformer amp measured 6,668 samples/s, present but INVALID (spread 17% of the median" in note
    assert note.endswith("(those rows are predicted from its kernels)")


def test_a_measured_card_beside_its_own_prediction_is_a_measurement_not_a_second_card(cli):
    """bench-cuda.json measured an H200 on host 'vm': beside h200-sxm the verdict is that measurement against the
    model's prediction (11,129 / 19,123 sequences/s = 0.58x in fp32), not 'h200-sxm is 1.72x as fast as
    h200-sxm@vm' and a card to buy; and --price takes the id the output shows for it."""
    path = str(FIXTURES / "gpu_check" / "bench-cuda.json")
    r = cli("compare", path, "h200-sxm", "--workload", "train_transformer", "--precision", "fp32", "--json")
    assert r.code == 0, r.stderr
    doc = r.json()
    thr = doc["workloads"][0]["throughput"]
    got = thr["h200-sxm@vm"] / thr["h200-sxm"]
    u = doc["workloads"][0]["uncertainty"]["h200-sxm"]
    assert f"the measured h200-sxm@vm does {got:.2f}x what the model predicts for h200-sxm in fp32 (outside the " \
           f"model's +-{u:.0%})" in doc["summary"]
    assert "as fast as" not in doc["summary"] and "most per" not in doc["summary"]
    assert "one card compared (h200-sxm@vm is a measurement of h200-sxm)" in doc["summary"]
    r = cli("compare", path, "h200-sxm", "--workload", "train_transformer", "--price", "h200-sxm@vm=30000", "--json")
    assert r.code == 0, r.stderr
    # the price names the measured device: the catalog card beside it keeps its own (h200-sxm has no launch price)
    assert [(d["price_usd"], d["price_source"]) for d in r.json()["devices"]] == [(30000, "your price"), (None, None)]


def test_a_results_file_without_figures_of_the_workload_says_its_rows_are_predicted(cli):
    """bench-cuda.json measured train_cnn and train_transformer only: compared on ResNet-50 and BERT every row of it
    is predicted, and a note says so and which --workload uses its measurements; compared on its own workloads,
    no such note."""
    path = str(FIXTURES / "gpu_check" / "bench-cuda.json")
    doc = cli("compare", path, "rtx-3090", "--json").json()
    assert {r["source"]["h200-sxm@vm"] for r in doc["workloads"]} == {"predicted"}
    (note,) = [n for n in doc["notes"] if n.startswith("h200-sxm@vm:")]
    assert note == (f"h200-sxm@vm: {path} has no measured figures for resnet50, bert-base (it measured train_cnn, "
                    "train_transformer): those rows are predicted; --workload train_cnn --workload train_transformer "
                    "compares its measurements")
    assert "has no measured figures for" in " ".join(cli("compare", path, "rtx-3090").stdout.split())
    own = cli("compare", path, "rtx-3090", "--workload", "train_cnn", "--json").json()
    assert {r["source"]["h200-sxm@vm"] for r in own["workloads"]} == {"measured"}
    assert not any("no measured figures" in n for n in own["notes"])


@pytest.mark.parametrize("amp", [None, "invalid"])
def test_a_results_file_missing_one_precision_of_a_workload_names_that_pair(cli, tmp_path, amp):
    """Measured figures are kept per workload and precision: a file with a train_cnn fp32 figure and no (valid) amp
    one has its amp row predicted, and the note names that pair (a flagged one with its value and reason), never "no measured figures for train_cnn (it
    measured train_cnn)"; its measured pair, compared on its own, gets no note."""
    path = _measured_2080_ti(tmp_path, "rtx-2080-ti")
    if amp:
        doc = json.loads(path.read_text())
        spread = {"code": "spread", "value": 0.31, "limit": 0.10, "text": "spread 31% of the median"}
        doc["measurements"].append({**doc["measurements"][0], "dtype": "float16", "value": 900.0, "valid": False,
                                    "invalid_reasons": [spread]})
        path.write_text(json.dumps(doc))
    doc = cli("compare", str(path), "gtx-1080-ti", "--workload", "train_cnn", "--json").json()
    assert {r["precision"]: r["source"]["rtx-2080-ti@box"] for r in doc["workloads"]} == \
        {"fp32": "measured", "amp": "predicted"}
    (note,) = [n for n in doc["notes"] if n.startswith("rtx-2080-ti@box:")]
    if amp:         # the flagged figure is named with its value and reason, not as missing
        assert note == (f"rtx-2080-ti@box: in {path}, train_cnn amp measured 900 samples/s, present but INVALID "
                        "(spread 31% of the median): not used (that row is predicted from its kernels)")
    else:
        assert note == (f"rtx-2080-ti@box: {path} has no amp figure for train_cnn (it measured train_cnn in fp32): "
                        "that row is predicted")
    doc = cli("compare", str(path), "gtx-1080-ti", "--workload", "resnet50", "--precision", "amp", "--json").json()
    (note,) = [n for n in doc["notes"] if n.startswith("rtx-2080-ti@box:")]
    assert note.endswith("has no measured figures for resnet50 (it measured train_cnn in fp32): that row is "
                         "predicted; --workload train_cnn --precision fp32 compares its measurement")
    own = cli("compare", str(path), "gtx-1080-ti", "--workload", "train_cnn", "--precision", "fp32", "--json").json()
    assert not any(n.startswith("rtx-2080-ti@box:") for n in own["notes"])


def test_n_cards_beside_a_results_file_get_no_note_on_its_measurements(cli, tmp_path):
    """'2x CARD' is predicted from one card by the scaling model, whatever was measured: no note calls its rows
    unmeasured, and N of a results file is refused (one measured machine is no basis for N of it)."""
    path = _measured_2080_ti(tmp_path, "rtx-2080-ti")
    doc = cli("compare", str(path), "2x rtx-2080-ti", "--workload", "train_cnn", "--precision", "fp32",
              "--json").json()
    assert doc["workloads"][0]["source"] == {"rtx-2080-ti@box": "measured", "2x-rtx-2080-ti": "predicted"}
    assert not any("figure" in n and "predicted" in n for n in doc["notes"]), doc["notes"]
    assert_user_error(cli("compare", f"2x {path}", "rtx-2080-ti"), "2x takes a catalog card, not a results file")


def test_a_ratio_carries_the_band_of_the_ratio_and_all_three_verdicts_use_it(cli):
    # Ada x Turing: no pair published together, so the two cards' bands combine in quadrature: 1.02x is inside
    doc = cli("compare", "rtx-2080-ti", "rtx-4070", "--workload", "resnet50", "--precision", "amp", "--json").json()
    row = doc["workloads"][0]
    u = row["uncertainty"]
    band = (u["rtx-2080-ti"] ** 2 + u["rtx-4070"] ** 2) ** 0.5
    assert row["ratio_band"]["rtx-4070"] == pytest.approx(band)
    assert 0 < 1 / row["ratio"]["rtx-4070"] - 1 < band and row["tie_with_first"]["rtx-4070"]
    assert "a tie" in doc["summary"]
    picks = doc["verdict"]["picks"]["resnet50"]["amp"]
    for p in picks.values():                 # speed, per dollar, per watt: one band for the one pair of cards
        assert p["band"] == pytest.approx(band)
    # Pascal x Turing: 7 published pairs of the two architectures give the band; the per-dollar win says it
    doc = cli("compare", "rtx-2080-ti", "gtx-1080-ti", "--workload", "resnet50", "--precision", "fp32", "--json").json()
    pick = doc["verdict"]["picks"]["resnet50"]["fp32"]["per_dollar"]
    direct = model.validation_summary()["cell_pairs"][("pascal", "turing", "conv")]
    assert direct["pairs"] >= model.MIN_CELL_PAIRS and pick["band"] == pytest.approx(direct["mae"])
    assert not pick["tie"] and f"outside the +-{direct['mae']:.0%} model error" in doc["summary"]


def test_a_multi_node_figure_is_extrapolated_and_never_a_win(cli):
    doc = cli("compare", "16x rtx-3090", "16x rtx-4090", "--network", "ethernet-10g", "--workload", "resnet50",
              "--precision", "amp", "--json").json()
    row = doc["workloads"][0]
    single = model.predict(model.capability_from_gpu(catalog.resolve("rtx-3090")), "resnet50", "amp").uncertainty
    assert row["uncertainty"]["16x-rtx-3090"] == pytest.approx(model.EXTRAPOLATION * single)
    assert row["extrapolated"] == {"16x-rtx-3090": True, "16x-rtx-4090": True}
    assert all(row["unvalidated"].values())
    watt = doc["verdict"]["picks"]["resnet50"]["amp"]["per_watt"]
    assert watt["gap"] > watt["band"] and watt["unvalidated"] and not watt["tie"]
    assert "gives the most" not in doc["summary"] and ", buy " not in doc["summary"]
    assert "not called" in doc["summary"]
    # the sentence names the side that is extrapolated, the first device too: a single card is not "past one machine"
    doc = cli("compare", "8x a100-sxm4-80gb", "32x a100-sxm4-80gb", "a100-sxm4-80gb", "--workload", "resnet50",
              "--precision", "amp", "--json").json()
    summary = " ".join(doc["summary"].split())
    assert re.search(r" a100-sxm4-80gb \d\.\d\dx \(\+-\d+%, 8x-a100-sxm4-80gb extrapolated past published runs: "
                     r"not called\)", summary), summary
    assert "32x-a100-sxm4-80gb and 8x-a100-sxm4-80gb extrapolated past published runs: not called" in summary
    table = cli("compare", "9x rtx-3090", "gtx-1080-ti", "--workload", "resnet50", "--precision", "amp")
    line = next(l for l in table.stdout.splitlines() if l.strip().startswith("9x-rtx-3090") and " amp " in l)
    assert "~" in line                                   # the band marked extrapolated
    assert "gives the most" not in " ".join(table.stdout.split())
    # one machine of published all-reduce runs keeps the card's validated band
    doc = cli("compare", "2x rtx-3090", "rtx-4090", "--workload", "resnet50", "--precision", "amp", "--json").json()
    assert doc["workloads"][0]["uncertainty"]["2x-rtx-3090"] == pytest.approx(single)
    assert not doc["workloads"][0]["unvalidated"]["2x-rtx-3090"]


def test_a_power_limited_card_keeps_the_unit_as_written_and_takes_its_cards_price(cli):
    doc = cli("compare", "rtx-3090@300W", "rtx-4090-laptop@80W", "--price", "rtx-3090=1000", "--workload",
              "resnet50", "--json").json()
    dev = {d["id"]: d for d in doc["devices"]}
    assert set(dev) == {"rtx-3090@300W", "rtx-4090-laptop@80W"}
    assert (dev["rtx-3090@300W"]["price_usd"], dev["rtx-3090@300W"]["price_source"]) == (1000, "your price")
    same = cli("compare", "rtx-3090@300W", "rtx-4090", "--price", "rtx-3090@300W=900", "--json").json()
    assert same["devices"][0]["price_usd"] == 900


def test_a_price_for_a_power_limited_card_is_for_that_one_alone(cli):
    """NAME@W priced prices that variant only; NAME priced prices NAME and, when it has no price of its own,
    NAME@W; both priced are two prices, not one card named twice."""
    def prices(*args):
        doc = cli("compare", "rtx-4090-laptop@80W", "rtx-4090-laptop", *args, "--workload", "resnet50", "--json")
        assert doc.code == 0, doc.stderr
        return [(d["price_usd"], d["price_source"]) for d in doc.json()["devices"]]
    assert prices("--price", "rtx-4090-laptop@80W=2500") == [(2500, "your price"), (None, None)]
    assert prices("--price", "rtx-4090-laptop@80W=2500", "--price", "rtx-4090-laptop=3000") == \
        [(2500, "your price"), (3000, "your price")]
    assert prices("--price", "rtx-4090-laptop=3000") == [(3000, "your price")] * 2
    assert_user_error(cli("compare", "rtx-4090-laptop", "rtx-4090", "--price", "rtx-4090-laptop@80W=2500"),
                      "--price for rtx-4090-laptop@80W: not among the devices compared")
    assert_user_error(cli("compare", "rtx-4090-laptop@80W", "rtx-4090", "--price", "rtx-4090-laptop@80W=2500",
                          "--price", "RTX 4090 laptop @ 80 W=2000"), "--price names rtx-4090-laptop@80W twice")


def test_a_price_for_a_measured_device_prices_that_device_only(cli, tmp_path):
    """CARD@HOST, as the output shows a results file's card, prices that measurement; the catalog card beside it
    keeps its launch price unless priced itself, and a price for the card prices both."""
    path = str(_measured_2080_ti(tmp_path, "rtx-2080-ti"))
    launch = catalog.resolve("rtx-2080-ti").launch_price_usd

    def prices(*args):
        r = cli("compare", path, "rtx-2080-ti", *args, "--workload", "resnet50", "--precision", "amp", "--json")
        assert r.code == 0, r.stderr
        return [(d["id"], d["price_usd"], d["price_source"]) for d in r.json()["devices"]]
    assert prices("--price", "rtx-2080-ti@box=400") == [("rtx-2080-ti@box", 400, "your price"),
                                                       ("rtx-2080-ti", launch, "launch price")]
    assert prices("--price", "RTX-2080-TI@BOX=400", "--price", "rtx-2080-ti=500") == \
        [("rtx-2080-ti@box", 400, "your price"), ("rtx-2080-ti", 500, "your price")]
    assert prices("--price", "rtx-2080-ti=500") == [("rtx-2080-ti@box", 500, "your price"),
                                                   ("rtx-2080-ti", 500, "your price")]
    table = cli("compare", path, "rtx-2080-ti", "--price", "rtx-2080-ti@box=400", "--workload", "resnet50").stdout
    (row,) = [ln for ln in table.splitlines() if "price USD" in ln]
    assert "400*" in row and f"{launch:,.0f}" in row and row.count("*") == 1


def test_a_price_naming_a_file_says_the_name_to_price_it_by(cli, tmp_path):
    """A results file compared is priced by the id the output shows for its device (CARD@HOST): named by its path,
    the price says that name instead of "unknown GPU"; another file is no card either."""
    path = str(_measured_2080_ti(tmp_path, "rtx-2080-ti"))
    r = cli("compare", path, "rtx-2080-ti", "--price", f"{path}=400")
    assert_user_error(r, "is a results file; price it as rtx-2080-ti@box, as the output shows it",
                      "--price rtx-2080-ti@box=400")
    other = tmp_path / "notes.txt"
    other.write_text("x")
    r = cli("compare", path, "rtx-2080-ti", "--price", f"{other}=400")
    assert_user_error(r, "is a file, not a card", "CARD@HOST")
    assert "unknown GPU" not in r.stderr


@pytest.mark.parametrize("price", ["2x rtx-3090=500", "2X RTX 3090=500", " 8 x rtx-3090=500", "2x-rtx-3090=500"])
def test_a_price_with_a_count_asks_for_the_card_name_alone(cli, price):
    """'2x rtx-3090' is two cards and --price is per card (the totals multiply it): the count is refused with the
    form to write, not looked up as a GPU called '2x rtx-3090'."""
    r = cli("compare", "rtx-3090", "rtx-4090", "--price", price)
    assert_user_error(r, "give the card's name without the count (the price is per card)", "=500")
    assert "unknown GPU" not in r.stderr


def test_the_count_hint_drops_the_dash_of_the_id_compare_shows():
    """'2x-a100-sxm4-40gb' is how the output shows two cards: the hint names the card, not '-a100-sxm4-40gb'."""
    r = run_cli("compare", "2x a100", "a100", "--price", "2x-a100-sxm4-40gb=20000")
    assert_user_error(r, "e.g. a100-sxm4-40gb=20000")
    assert "e.g. -a100" not in r.stderr
    assert comparison.split_count("2x-rtx-3090") == comparison.split_count("2x rtx-3090") == (2, "rtx-3090")
    assert comparison.split_count("rtx-3090") is None


@pytest.mark.parametrize("price", ["rtx-3090=0", "rtx-3090=1e-9", "rtx-3090=-5"])
def test_a_price_that_is_not_a_positive_amount_says_what_is_accepted(cli, price):
    assert_user_error(cli("compare", "rtx-3090", "gtx-1080-ti", "--price", price),
                      "the price must be a positive amount of US dollars per card")


def test_every_pair_of_cards_gets_a_buying_answer_priced_or_not():
    """A card without a launch price (Tesla T4, K80) beside a priced one has no per dollar figure: the verdict
    still answers for every pair of catalog cards, both precisions, and says which one has the figure."""
    ids = [g.id for g in catalog.load_catalog()]
    assert {"tesla-t4", "tesla-k80"} <= set(ids)
    for a, b in itertools.combinations(ids, 2):
        doc = comparison.compare([a, b], precision="both")
        assert len(doc["verdict"]["sentences"]) == 2, (a, b)
        for picks in doc["verdict"]["picks"].values():
            for metrics in picks.values():
                for pick in metrics.values():
                    # one shape, runner-up or not
                    assert pick is None or set(pick) == {"best", "second", "gap", "band", "tie", "unvalidated",
                                                         "unvalidated_devices", "extrapolated", "missing"}, (a, b, pick)


def test_a_tie_is_one_whichever_card_is_named_first(cli):
    # rtx-5090 first: 0.71x read as |0.71 - 1| = 29%, inside +-29%, "a tie"; rtx-4090 first: 1.41x, not one
    one = cli("compare", "rtx-5090", "rtx-4090", "--workload", "bert-base", "--precision", "fp32", "--json").json()
    two = cli("compare", "rtx-4090", "rtx-5090", "--workload", "bert-base", "--precision", "fp32", "--json").json()
    r1, r2 = one["workloads"][0], two["workloads"][0]
    assert r1["ratio"]["rtx-4090"] == pytest.approx(1 / r2["ratio"]["rtx-5090"])
    assert r1["tie_with_first"]["rtx-4090"] == r2["tie_with_first"]["rtx-5090"]
    fast, band = r2["ratio"]["rtx-5090"], r2["ratio_band"]["rtx-5090"]
    assert r2["tie_with_first"]["rtx-5090"] == (fast - 1 <= band)
    assert comparison.is_tie(1.41, 1.0, 0.29) is False and comparison.is_tie(0.71, 1.0, 0.29) is False
    assert comparison.is_tie(1.0, 1.28, 0.29) and comparison.is_tie(1.28, 1.0, 0.29)


def test_a_card_left_out_of_a_per_dollar_or_per_watt_pick_is_named_and_extrapolated_cards_are_said(cli):
    # three cards, one without a price: "rtx-4090 gives the most per dollar" said nothing of the A100
    doc = cli("compare", "a100", "rtx-3090", "rtx-4090", "--workload", "resnet50", "--json").json()
    pick = doc["verdict"]["picks"]["resnet50"]["fp32"]["per_dollar"]
    assert pick["best"] == "rtx-4090" and pick["missing"] == ["a100-sxm4-40gb"]
    assert "a100-sxm4-40gb has no price: give --price CARD=USD" in doc["summary"]
    # no board power published for the A10G: left out of per watt, with why
    doc = cli("compare", "a10g", "a10", "tesla-t4", "--workload", "resnet50", "--json").json()
    assert doc["verdict"]["picks"]["resnet50"]["fp32"]["per_watt"]["missing"] == ["a10g"]
    assert "a10g has no published board power" in doc["summary"]
    # and its prediction says what the missing board power means for it
    assert ("a10g: no board power published: predicted at its full boost clock (the model's power term cannot lower "
            "it) and with no per watt figure") in doc["notes"]
    # the picks' extrapolated list names the extrapolated cards (it held the multi-node ones)
    doc = cli("compare", "rtx-3090", "tesla-k80", "--workload", "resnet50", "--json").json()
    watt = doc["verdict"]["picks"]["resnet50"]["fp32"]["per_watt"]
    assert watt["extrapolated"] == ["tesla-k80"] and watt["unvalidated_devices"] == []
    assert "extrapolated: tesla-k80" in doc["summary"]


@pytest.mark.parametrize("pair", [("gtx-1080-ti", "k80"), ("rtx-3090", "tesla-t4"), ("rtx-4090", "tesla-k80")])
def test_a_priced_card_that_also_leads_per_watt_beside_an_unpriced_one_is_answered(cli, pair):
    r = cli("compare", *pair, "--json")
    assert r.code == 0, r.stderr
    assert (f"{catalog.resolve(pair[0]).id} is the only one with a price ({catalog.resolve(pair[1]).id} has no "
            "price: give --price CARD=USD)") in r.json()["summary"]
    table = cli("compare", *pair)
    assert table.code == 0 and "Traceback" not in table.stderr, table.stderr


def test_max_batch_is_explained_as_a_count_and_points_to_size_for_a_traced_step(cli):
    doc = cli("compare", "rtx-3090", "rtx-4090", "--workload", "resnet50", "--json").json()
    basis = doc["max_batch_basis"]
    assert "4 bytes each in fp32 and 2 bytes each in amp" in basis and "not a traced step" in basis
    assert "rigbench size WORKLOAD --gpus CARD" in basis and "(rigbench size resnet50 --gpus rtx-3090)" in basis
    # the count it describes: amp's max batch is fp32's at half the bytes per saved activation
    mb = {r["precision"]: r["max_batch"]["rtx-3090"] for r in doc["workloads"]}
    assert mb["amp"] in (2 * mb["fp32"], 2 * mb["fp32"] + 1)
    # each is rounded down on its own, so the legend says about twice, not exactly
    assert "(so amp's is about twice fp32's: each is rounded down)" in basis and "exactly" not in basis
    out = " ".join(cli("compare", "rtx-3090", "rtx-4090", "--workload", "resnet50").stdout.split())
    assert basis in out and "largest batch that fits in device memory" not in out
    one = cli("compare", "rtx-3090", "rtx-4090", "--workload", "bert-base-squad", "--precision", "amp", "--json").json()
    assert "at 2 bytes each in amp:" in one["max_batch_basis"] and "twice" not in one["max_batch_basis"]
    assert "(rigbench size bert-base --seq 384 --gpus rtx-3090)" in one["max_batch_basis"]


def test_a_card_that_cannot_hold_one_sample_is_shown_as_not_fitting_and_left_out_of_the_verdict(cli):
    r = cli("compare", "gtx-1060", "gtx-1070", "gtx-1080", "--workload", "bert-large-squad", "--precision", "fp32",
            "--json")
    assert r.code == 0, r.stderr
    doc = r.json()
    row = doc["workloads"][0]
    assert row["max_batch"]["gtx-1060"] == 0 and row["throughput"]["gtx-1060"] is None
    assert row["does_not_fit"]["gtx-1060"].startswith("does not fit: the weights, gradients and optimizer state")
    assert row["does_not_fit"]["gtx-1080"] is None
    for key in ("ratio", "per_1000_usd", "per_watt", "uncertainty", "throughput_low", "throughput_high"):
        assert row[key]["gtx-1060"] is None, key
    # the first device has no figure to be a ratio to: the ratios are to the first device that fits
    assert row["reference"] == "gtx-1070"
    assert row["reference_note"] == "ratios are to gtx-1070, the first device that fits: gtx-1060 does not fit"
    assert row["ratio"]["gtx-1070"] == 1.0
    assert row["ratio"]["gtx-1080"] == pytest.approx(row["throughput"]["gtx-1080"] / row["throughput"]["gtx-1070"])
    assert 1.15 < row["ratio"]["gtx-1080"] < 1.35                       # GP104 with 20 of 15 SMs enabled, GDDR5X
    assert row["ratio_band"]["gtx-1080"] == row["pair_band"]["gtx-1080"]["gtx-1070"] is not None
    assert row["tie_with_first"]["gtx-1080"] == (abs(row["ratio"]["gtx-1080"] - 1) <= row["ratio_band"]["gtx-1080"])
    assert not row["tie_with_first"]["gtx-1060"] and not row["tie_with_first"]["gtx-1070"]
    assert (f"relative to gtx-1070, the first device that fits (gtx-1060 does not): gtx-1080 "
            f"{row['ratio']['gtx-1080']:.2f}x (+-{row['ratio_band']['gtx-1080']:.0%}) in fp32.") in doc["summary"]
    picks = doc["verdict"]["picks"]["bert-large-squad"]["fp32"]
    for metric in ("per_dollar", "per_watt", "fastest"):
        assert "gtx-1060" not in (picks[metric]["best"], picks[metric]["second"]), metric
    assert "buy gtx-1060" not in doc["summary"]
    assert any(n.startswith("gtx-1060: does not fit:") for n in doc["notes"])
    screen = cli("compare", "gtx-1060", "gtx-1080", "--workload", "bert-large-squad", "--precision", "fp32")
    assert screen.code == 0 and "Traceback" not in screen.stderr, screen.stderr
    line = next(x for x in screen.stdout.splitlines() if x.split()[:2] == ["gtx-1060", "fp32"])
    assert "does not fit" in line and "3.78" not in line
    assert "gtx-1060 does not fit, so no ratios in fp32" not in screen.stdout     # two devices: one sentence
    assert "buy gtx-1060" not in " ".join(screen.stdout.split())


def test_a_card_that_does_not_fit_is_no_ratio_base_and_n_of_it_fit_no_better(cli):
    r = cli("compare", "gtx-1080", "2x gtx-1060", "gtx-1070", "--workload", "bert-large-squad", "--precision", "fp32",
            "--json")
    assert r.code == 0, r.stderr
    row = r.json()["workloads"][0]
    assert row["throughput"]["2x-gtx-1060"] is None and row["ratio"]["2x-gtx-1060"] is None
    assert row["ratio"]["gtx-1080"] == 1.0 and row["ratio"]["gtx-1070"] > 0
    assert "2x-gtx-1060 unable to fit the workload" in r.json()["summary"]


def test_ratios_are_to_the_first_device_that_fits_on_screen_and_in_the_verdict(cli):
    """With the first device unable to fit the workload, every ratio was None: 'rtx-3060 without a ratio'. They are
    to the first device that fits, and the table, the sentence and the JSON say which and why."""
    args = ("compare", "gtx-1060", "rtx-3090", "rtx-3060", "--workload", "bert-large-squad")
    doc = cli(*args, "--json").json()
    for row in doc["workloads"]:
        assert row["reference"] == "rtx-3090" and row["ratio"]["rtx-3090"] == 1.0
        assert row["ratio"]["gtx-1060"] is None
        assert row["ratio"]["rtx-3060"] == pytest.approx(row["throughput"]["rtx-3060"] / row["throughput"]["rtx-3090"])
    fp32 = doc["workloads"][0]["ratio"]["rtx-3060"]
    assert 0.2 < fp32 < 0.4                     # 12.7 of 35.6 FP32 TFLOP/s, 360 of 936 GB/s
    screen = cli(*args)
    assert screen.code == 0, screen.stderr
    out = " ".join(screen.stdout.split())
    assert "bert-large-squad: training throughput in sequences/s; ratio to rtx-3090 (gtx-1060 does not fit)" in out
    line = next(x for x in screen.stdout.splitlines() if x.split()[:2] == ["rtx-3060", "fp32"])
    assert f"{fp32:.2f}x" in line.split()
    assert ("On BERT-large (predicted), relative to rtx-3090, the first device that fits (gtx-1060 does not): "
            f"rtx-3060 {fp32:.2f}x (+-8%) in fp32;") in out
    assert "without a ratio" not in out and "no ratios" not in out and "buy gtx-1060" not in out


def test_with_two_devices_and_the_first_not_fitting_the_other_is_the_only_one_that_fits(cli):
    doc = cli("compare", "gtx-1060", "rtx-3090", "--workload", "bert-large-squad", "--json").json()
    assert [r["reference"] for r in doc["workloads"]] == ["rtx-3090", "rtx-3090"]
    assert doc["summary"] == ("On BERT-large (predicted), rtx-3090 is the only one that fits (gtx-1060 does not) in "
                              "fp32 and with mixed precision (amp). Which to buy for BERT-large: in fp32, rtx-3090 is "
                              "the only one that fits; with mixed precision (amp), rtx-3090 is the only one that fits.")
    # the example of a traced step names a card that fits
    assert doc["max_batch_basis"].endswith("--gpus rtx-3090).")


def test_when_no_device_fits_it_is_said_in_one_line_without_ratios_or_verdict(cli, tmp_path):
    plot = tmp_path / "none.png"
    args = ("compare", "gtx-1060", "rtx-2060", "--workload", "bert-large-squad")
    r = cli(*args, "--json", "--plot", str(plot))
    assert r.code == 0, r.stderr
    doc = r.json()
    for row in doc["workloads"]:
        assert row["reference"] is None and set(row["ratio"].values()) == {None}
        assert row["reference_note"] == "no device fits (gtx-1060 and rtx-2060 do not): no ratios and no verdict"
    assert doc["summary"] == ("On BERT-large (predicted), no device fits in fp32 or with mixed precision (amp) "
                              "(gtx-1060 and rtx-2060 do not): no ratios and no verdict.")
    assert doc["verdict"]["sentences"] == []
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    screen = cli(*args)
    assert screen.code == 0, screen.stderr
    out = " ".join(screen.stdout.split())
    assert "bert-large-squad: training throughput in sequences/s; no device fits: no ratios" in out
    assert "Which to buy" not in out and "give --price" not in out
    verdict = screen.stdout.split("Verdict (from the tables above):")[1]
    assert " ".join(verdict.split()) == doc["summary"]


def test_the_plot_is_relative_to_the_same_reference_as_the_table(tmp_path, monkeypatch):
    from rigbench import plots

    doc = comparison.build_comparison(["gtx-1060", "rtx-3090", "rtx-3060"], ["bert-large-squad"], ["amp"])
    drawn = {}
    monkeypatch.setattr(plots, "save", lambda fig, path, **kw: drawn.setdefault("fig", fig) and path)
    plots.comparison_chart(doc, tmp_path / "c.png")
    speed = drawn["fig"].axes[0]
    assert speed.get_ylabel() == "training throughput relative to rtx-3090 (x)"
    heights = [b.get_height() for b in speed.patches]
    assert heights[:2] == [0, 1.0] and heights[2] == pytest.approx(doc["workloads"][0]["ratio"]["rtx-3060"])


def test_a_reference_that_differs_by_precision_is_named_per_precision():
    """fp32 keeps more per sample than amp: a card can fit one precision and not the other, and then each row's
    ratios are to its own first device that fits."""
    ids = ["small", "big", "mid"]
    devices = [{"id": i, "source": "catalog", "catalog_id": i, "count": 1} for i in ids]

    def row(precision, thr, ref):
        return {"workload": "bert-large-squad", "precision": precision, "source": dict.fromkeys(ids, "predicted"),
                "throughput": thr, "reference": ref, "ratio": {k: v and v / thr[ref] for k, v in thr.items()},
                "ratio_band": {k: (None if k == ref or thr[k] is None else 0.1) for k in ids},
                "unvalidated": dict.fromkeys(ids, False), "tie_with_first": dict.fromkeys(ids, False)}

    rows = [row("fp32", {"small": None, "big": 20.0, "mid": 10.0}, "big"),
            row("amp", {"small": 5.0, "big": 40.0, "mid": 20.0}, "small")]
    assert comparison.ratio_caption(rows, ids) == "ratio to the first that fits: big in fp32, small in amp"
    assert comparison.summary_sentences(devices, rows) == [
        "On BERT-large (predicted), relative to big, the first that fits (small does not): mid 0.50x (+-10%) in "
        "fp32; relative to small: big 8.00x (+-10%), mid 4.00x (+-10%) with mixed precision (amp)."]


@pytest.mark.parametrize("arg", ["2× a100-sxm4-80gb", "2 × a100-sxm4-80gb", "2×a100-sxm4-80gb", "2×-a100-sxm4-80gb",
                                 "2X a100-sxm4-80gb", "2ｘ a100-sxm4-80gb", "2✕ a100-sxm4-80gb", "2* a100-sxm4-80gb"])
def test_the_multiplication_sign_and_its_look_alikes_are_a_card_count(cli, arg):
    """'2× a100' (U+00D7, as a phone or a spec sheet writes it) was refused as a name with an odd character, with
    no word of the count: it is 2x."""
    typed = cli("compare", arg, "h100-sxm", "--workload", "resnet50", "--json")
    assert typed.code == 0, typed.stderr
    assert typed.json() == cli("compare", "2x a100-sxm4-80gb", "h100-sxm", "--workload", "resnet50", "--json").json()


@pytest.mark.parametrize("args, message", [
    (("0× rtx-3090", "rtx-4090"), "'0× rtx-3090': the number of cards must be 1 to 4096"),
    (("-1× rtx-3090", "rtx-4090"), "'-1× rtx-3090': the number of cards must be 1 to 4096"),
    (("2× 4× a100", "rtx-4090"), "'2× 4× a100': the card count is given twice; give one 'Nx' per card: "
                                 "'2x a100' or '4x a100'"),
    (("２× rtx-3090", "rtx-4090"), "'２× rtx-3090': write the card count in ASCII digits and x, as '2x rtx-3090'"),
    (("rtx-3090", "rtx-4090", "--price", "2× rtx-3090=800"),
     "--price '2× rtx-3090=800': give the card's name without the count (the price is per card), e.g. rtx-3090=800"),
    # a fullwidth count: --price takes none in any digits, so not "write the count in ASCII digits"
    (("rtx-3090", "rtx-4090", "--price", "２×rtx-3090=1000"),
     "--price '２×rtx-3090=1000': give the card's name without the count (the price is per card), e.g. rtx-3090=1000"),
])
def test_a_count_with_the_multiplication_sign_is_held_to_the_rules_of_2x(cli, args, message):
    assert_user_error(cli("compare", *args), message)


def test_several_laptop_gpus_in_one_machine_are_refused_by_every_command(cli):
    # '2x RTX 3080 Laptop' was predicted as two cards over PCIe 4.0 x16
    assert_user_error(cli("compare", "2x RTX 3080 Laptop", "rtx-3090"),
                      "'2x RTX 3080 Laptop': a laptop holds one GPU, so 2 of rtx-3080-laptop are no machine")
    assert_user_error(cli("cost", "--buy", "rtx-3080-laptop", "--buy-count", "2", "--gpu-price", "900",
                          "--hours-per-month", "10"), "a laptop holds one GPU")
    with pytest.raises(UserError, match="a laptop holds one GPU, so 3 of rtx-4090-laptop are no machine"):
        size_plan.resolve_cards(["3x rtx-4090-laptop"])
    assert size_plan.resolve_cards(["rtx-4090-laptop"])[0][1] == 1


@pytest.mark.parametrize("arg, said", [("2x", "'2x': the card name is missing after 2x; write it like '2x rtx-3090'"),
                                       ("1.5x rtx-4090", "'1.5x rtx-4090': the number of cards is a whole number, 1 to "),
                                       ("0.5× a100", "the number of cards is a whole number")])
def test_a_count_with_no_card_or_not_whole_is_said_as_a_count(cli, arg, said):
    # they were "unknown GPU '2x': no close match" and "unknown GPU '1.5x rtx-4090': did you mean rtx-4090"
    assert_user_error(cli("compare", arg, "rtx-3090"), said)


def test_a_laptop_at_a_published_configuration_says_which_configuration(cli):
    # its spec column showed 1245 MHz and 384 GB/s with no word of where they came from (`gpus` said it)
    doc = cli("compare", "rtx-3080-laptop@80W", "rtx-3090", "--json").json()
    assert doc["notes"] == ["rtx-3080-laptop@80W: NVIDIA's published configuration at 80 W, 1245 MHz boost and 384 GB/s "
                            "(profiles/laptop_gpu_configs.csv); the power term applies on top"]
