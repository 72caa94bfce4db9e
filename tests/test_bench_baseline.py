"""The machine against its own past: reference cycles against the quietest earlier run of the same machine."""

import itertools
import json
from pathlib import Path

import pytest

from rigbench import results, validity
from rigbench.bench import baseline

WORKLOAD = "float32 matrix product 512x512x512 on the usable cores (torch)"


_STARTED = itertools.count()     # each crafted run starts a second after the one before: runs, not copies of one


def _run(host="vm", readings=((0.00190, 3200),), torch="2.13.0+cpu", cores=2, created_utc=None):
    n = next(_STARTED)
    created_utc = created_utc or f"2026-12-02T{16 + n // 3600 % 8:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z"
    return {"schema": "rigbench.results/2", "host": host, "created_utc": created_utc, "status": "complete",
            "probe": {"cpu": {"brand": "AMD EPYC", "usable_cores": cores}, "software": {"torch": torch}},
            "conditions": {"start": {"torch_threads": 2}}, "measurements": [],
            "machine": {"reference": {"workload": WORKLOAD,
                                      "readings": [{"median_s": t, "clock_mhz": mhz} for t, mhz in readings]}}}


def _write(folder, name, doc):
    (folder / name).write_text(json.dumps(doc), encoding="utf-8")


def test_cycles_are_time_times_clock():
    assert baseline.reading_mcycles({"median_s": 0.002, "clock_mhz": 3000}) == pytest.approx(6.0)
    assert baseline.reading_mcycles({"median_s": 0.002, "clock_mhz": None}) is None
    for bad in (True, float("nan"), -1.0, "3000"):
        assert baseline.reading_mcycles({"median_s": 0.002, "clock_mhz": bad}) is None
    assert baseline.median_of({"machine": {"reference": {"readings": {"not": "a list"}}}}) is None
    assert baseline.median_of({"machine": "not an object"}) is None
    # 6.0, 5.7 and 5.88 Mcycles: the median
    assert baseline.median_of(_run(readings=((0.0020, 3000), (0.0019, 3000), (0.0021, 2800)))) == pytest.approx(5.88)


def test_the_baseline_is_the_quietest_earlier_run_of_the_same_machine(tmp_path):
    _write(tmp_path, "a.json", _run(readings=((0.00200, 3200),)))           # 6.40 Mcycles
    _write(tmp_path, "b.json", _run(readings=((0.00190, 3200),)))           # 6.08: the best
    _write(tmp_path, "c.json", _run(readings=((0.00100, 3200),), host="other"))       # another machine
    _write(tmp_path, "d.json", _run(readings=((0.00100, 3200),), torch="2.14.0"))     # another torch
    _write(tmp_path, "e.json", _run(readings=((0.00100, 3200),), cores=4))            # other cores
    _write(tmp_path, "broken.json", {"not": "a results file"})
    base = baseline.find(baseline.signature(_run()), [tmp_path])
    assert base["mcycles"] == pytest.approx(6.08) and base["file"].endswith("b.json") and base["runs"] == 2


def test_one_lucky_reading_does_not_set_the_baseline(tmp_path):
    # readings of an idle 2-vCPU VM (Mcycles at 3000 MHz): one run with a single quick reading (5.34) among slow ones
    # (median 6.68), one steady run (median 5.78). The baseline is a run's level, not the luckiest reading, so a
    # later idle run at 6.05 is 4.7 % over it, inside the 10 % limit (against 5.34 it read 13 % "slower").
    ms = lambda mcycles: (mcycles / 3000, 3000)   # noqa: E731 - a reading of that many Mcycles at 3000 MHz
    _write(tmp_path, "a.json", _run(readings=(ms(5.34), ms(6.06), ms(7.60), ms(7.30))))
    _write(tmp_path, "b.json", _run(readings=(ms(6.06), ms(5.84), ms(5.68), ms(5.71))))
    base = baseline.find(baseline.signature(_run()), [tmp_path])
    assert base["mcycles"] == pytest.approx(5.775) and base["file"].endswith("b.json")
    later = [{"median_s": t, "clock_mhz": mhz} for t, mhz in (ms(5.95), ms(6.37), ms(6.09), ms(6.00))]
    assert baseline.slower(later, base) == pytest.approx(6.045 / 5.775 - 1, abs=1e-4)
    assert validity.machine_reasons({"slower": baseline.slower(later, base)}) == []


def test_a_run_slower_for_all_its_length_is_flagged_and_a_lower_clock_is_not(tmp_path):
    base = {"mcycles": 6.08}
    # the same work took 35% more time at the same clock: 35% more cycles, another tenant on the cores
    shared = baseline.slower([{"median_s": 0.00190 * 1.35, "clock_mhz": 3200}] * 4, base)
    assert shared == pytest.approx(0.35, abs=1e-3)
    (r,) = validity.machine_reasons({"slower": shared})
    assert (r["code"], r["limit"]) == ("slower", validity.MAX_SLOWER)
    # 20% slower because the clock fell 20% (heat, a power limit): the same cycles, not a shared machine
    hot = baseline.slower([{"median_s": 0.00190 / 0.8, "clock_mhz": 3200 * 0.8}] * 4, base)
    assert hot == pytest.approx(0.0, abs=1e-3) and validity.machine_reasons({"slower": hot}) == []


def test_a_first_run_has_no_baseline_and_says_why(tmp_path):
    base = baseline.find(baseline.signature(_run()), [tmp_path, tmp_path / "missing"])
    assert base["mcycles"] is None and "no earlier run of this machine" in base["reason"]
    assert baseline.slower([{"median_s": 0.002, "clock_mhz": 3000}], base) is None


def test_a_diff_says_how_far_the_machine_itself_moved_between_two_runs(tmp_path):
    from rigbench import diff, runs

    # medians of the readings: 6.0 and 6.6 Mcycles (2.0 and 2.2 ms at 3000 MHz): 10% more in B
    _write(tmp_path, "a.json", _run(readings=((0.0019, 3000), (0.0020, 3000), (0.0021, 3000))))
    _write(tmp_path, "b.json", _run(readings=((0.0022, 3000), (0.0022, 3000), (0.0030, 3000))))
    _write(tmp_path, "c.json", _run(readings=((0.0022, 3000),), host="another"))
    a, b, c = (runs.load_run(tmp_path / n) for n in ("a.json", "b.json", "c.json"))
    assert diff.machine_moved(a, b) == pytest.approx(0.10)
    assert diff.machine_moved(b, a) == pytest.approx(6.0 / 6.6 - 1, abs=1e-4)
    assert diff.machine_moved(a, c) is None          # another machine: its cycles say nothing of this one


def _figure(value, codes=(), kernel="gemm", label="1024³"):
    return {"kernel": kernel, "device": "cpu", "dtype": "float32", "label": label, "status": "ok", "value": value,
            "valid": not codes, "invalid_reasons": [{"code": c, "text": c} for c in codes]}


def test_a_figure_is_held_against_its_own_earlier_values_not_those_of_a_moving_or_shared_machine():
    runs = [(None, {**_run(), "measurements": [_figure(v), _figure(9.0, kernel="memcopy", label="128 MiB")]})
            for v in (0.150, 0.170, 0.160)]
    # measured while other programs used the CPUs, or while the reference moved: that, not the machine's level
    runs.append((None, {**_run(), "measurements": [_figure(0.080, codes=("busy", "spread"))]}))
    runs.append((None, {**_run(), "measurements": [_figure(0.090, codes=("drift",))]}))
    # a figure flagged for its own timings alone is still this machine's level (its median)
    runs.append((None, {**_run(), "measurements": [_figure(0.180, codes=("spread", "rounds"))]}))
    history = baseline.figure_history(runs)
    assert history[("gemm", "cpu", "float32", "1024³", "{}")] == [0.150, 0.170, 0.160, 0.180]
    assert history[("memcopy", "cpu", "float32", "128 MiB", "{}")] == [9.0, 9.0, 9.0]
    # median of 0.150, 0.160, 0.170, 0.180 is 0.165; 0.140 is 15.2% below it: flagged, with the sign
    earlier = baseline.against(0.140, history[("gemm", "cpu", "float32", "1024³", "{}")])
    assert earlier == {"median": pytest.approx(0.165), "runs": 4, "off": pytest.approx(0.140 / 0.165 - 1, abs=1e-4)}
    (r,) = validity.machine_reasons({"earlier": earlier})
    assert (r["code"], r["limit"], r["value"]) == ("earlier", validity.MAX_EARLIER, pytest.approx(-0.1515, abs=1e-4))
    assert "4 earlier runs" in r["text"] and validity.brief(r) == "unlike earlier runs -15%"
    # 0.155 is 6.1% below: the machine repeated its figure
    assert validity.machine_reasons({"earlier": baseline.against(0.155, [0.150, 0.170, 0.160, 0.180])}) == []
    # a first run has nothing to be held against, nor has a figure whose earlier values are (edited) next to zero
    assert baseline.against(0.140, None) is None and baseline.against(0.140, []) is None
    assert baseline.against(1.0, [5e-324]) is None


def test_only_the_newest_earlier_values_of_a_figure_count():
    runs = [(None, {**_run(), "measurements": [_figure(float(v))]}) for v in range(1, 9)]
    assert baseline.figure_history(runs)[("gemm", "cpu", "float32", "1024³", "{}")] == [4.0, 5.0, 6.0, 7.0, 8.0]
    assert baseline.FIGURE_HISTORY == 5


def test_copies_of_one_run_are_one_earlier_run(tmp_path):
    # ten copies of one reference run (cp a.json b.json ...) counted as ten earlier runs: "runs": 10 in the
    # baseline, and the same figure ten times in the history a new figure is held against
    one = _run(readings=((0.00190, 3200),))                                   # 6.08 Mcycles
    one["measurements"] = [{"kernel": "gemm", "device": "cpu", "dtype": "float32", "label": "2048³", "status": "ok",
                            "value": 0.132, "unit": "TFLOP/s", "valid": True, "invalid_reasons": []}]
    for n in range(10):
        _write(tmp_path, f"copy-{n}.json", one)
    other = dict(_run(readings=((0.00200, 3200),)), measurements=[dict(one["measurements"][0], value=0.120)])
    _write(tmp_path, "other.json", other)                                     # 6.40 Mcycles, another run
    runs = baseline.earlier(baseline.signature(one), [tmp_path])
    assert len(runs) == 2
    base = baseline.find(baseline.signature(one), [tmp_path], runs=runs)
    assert base["runs"] == 2 and base["mcycles"] == pytest.approx(6.08) and "copy-" in base["file"]
    history = baseline.figure_history(runs)
    assert sorted(history[("gemm", "cpu", "float32", "2048³", "{}")]) == [0.120, 0.132]



def test_only_runs_of_the_same_sitting_are_held_against_a_run(tmp_path):
    # the same VM at 10:19 (0.64 ms a product) and from 14:30 on (0.83 ms) at the same clock: a slower stretch of the
    # host that lasts hours. The morning's run is outside the hour before a 15:30 run; the 15:00 run is inside it.
    fast = _run(readings=((0.00064, 3588),), created_utc="2026-12-04T10:19:00Z")      # 2.296 Mcycles
    slow = _run(readings=((0.00083, 3588),), created_utc="2026-12-04T15:00:00Z")      # 2.978 Mcycles
    fast["measurements"] = [{**_figure(0.424), "unit": "TFLOP/s"}]
    slow["measurements"] = [{**_figure(0.327), "unit": "TFLOP/s"}]
    _write(tmp_path, "fast.json", fast)
    _write(tmp_path, "slow.json", slow)
    sig = baseline.signature(_run())
    started = results.created_at({"created_utc": "2026-12-04T15:30:00Z"})
    runs = baseline.earlier(sig, [tmp_path], started=started)
    assert [p.name for p, _ in runs] == ["slow.json"]
    base = baseline.find(sig, [tmp_path], runs=runs, started=started)
    assert base["mcycles"] == pytest.approx(2.978, abs=1e-3) and base["runs"] == 1
    assert baseline.slower([{"median_s": 0.00082, "clock_mhz": 3588}], base) == pytest.approx(0.82 / 0.83 - 1, abs=1e-4)
    assert baseline.figure_history(runs) == {("gemm", "cpu", "float32", "1024³", "{}"): [0.327]}
    # without a start every stored run counts: the morning's is the quietest, and the afternoon reads 28 % slower
    everything = baseline.find(sig, [tmp_path])
    assert everything["mcycles"] == pytest.approx(2.296, abs=1e-3) and everything["runs"] == 2
    # a run that says it started after this one, or says no time at all, is not an earlier run of this sitting
    _write(tmp_path, "later.json", _run(readings=((0.0005, 3588),), created_utc="2026-12-04T15:31:00Z"))
    _write(tmp_path, "undated.json", {k: v for k, v in _run(readings=((0.0005, 3588),)).items() if k != "created_utc"})
    assert [p.name for p, _ in baseline.earlier(sig, [tmp_path], started=started)] == ["slow.json"]
    # none inside the hour: no baseline, and the reason says where it looked and over what span
    alone = baseline.find(sig, [tmp_path], started=results.created_at({"created_utc": "2026-12-04T18:00:00Z"}))
    assert alone["mcycles"] is None and "started in the hour before this one" in alone["reason"]


def test_the_screen_says_which_earlier_runs_a_run_was_held_against(tmp_path):
    from rigbench.bench import table

    started = results.created_at({"created_utc": "2026-12-04T15:30:00Z"})
    sig = baseline.signature(_run())
    alone = baseline.find(sig, [tmp_path, tmp_path], started=started)     # a run written to the data folder
    assert alone["window_s"] == 3600
    (line,) = table.history_note({"machine": {"baseline": alone}})
    assert line == (f"Not held against earlier runs: no earlier run of this machine with the same reference started "
                    f"in the hour before this one in {tmp_path}.")
    _write(tmp_path, "a.json", _run(readings=((0.00083, 3588),), created_utc="2026-12-04T15:00:00Z"))
    _write(tmp_path, "b.json", _run(readings=((0.00084, 3588),), created_utc="2026-12-04T15:10:00Z"))
    held = baseline.find(sig, [tmp_path], started=started)
    assert table.history_note({"machine": {"baseline": held}}) == [
        f"Held against 2 earlier runs of this machine from the hour before it (the quietest: {tmp_path / 'a.json'})."]
    # a file from before the window (no window_s) still says which run; one with no baseline says nothing
    older = {k: v for k, v in held.items() if k != "window_s"}
    assert table.history_note({"machine": {"baseline": older}})[0].startswith("Held against 2 earlier runs of this "
                                                                              "machine (the quietest: ")
    assert table.history_note({"machine": {}}) == [] and table.history_note({}) == []


def test_one_label_with_other_params_is_another_figure():
    """'batch 32' labels the quick suite's small net (16-32-64 channels, 10 classes) and the default suite's
    (64-128-256, 100 classes, 15x the FLOPs): a quick run after a default one is not held against its figure, and
    a diff of the two lists each as only in its run. Bookkeeping (the cache size a buffer was sized against) does
    not make another case."""
    quick = {"image": 32, "channels": [16, 32, 64], "blocks": 1, "classes": 10, "model": "cnn", "batch_size": 32}
    full = {**quick, "channels": [64, 128, 256], "classes": 100}
    runs = [(None, {**_run(), "measurements": [{**_figure(146.0, kernel="train_cnn", label="batch 32"),
                                                 "params": full}]}),
            (None, {**_run(), "measurements": [{**_figure(649.0, kernel="train_cnn", label="batch 32"),
                                                 "params": quick}]})]
    history = baseline.figure_history(runs)
    assert sorted(history.values()) == [[146.0], [649.0]]
    keys = {results.Figure(doc["measurements"][0]).key for _, doc in runs}
    assert len(keys) == 2 and {k[:4] for k in keys} == {("train_cnn", "cpu", "float32", "batch 32")}
    a = {"kernel": "memcopy", "device": "cpu", "dtype": "float32", "label": "128 MiB",
         "params": {"n": 33554432, "itemsize": 4, "llc_bytes": 16777216}}
    b = {**a, "params": {**a["params"], "llc_bytes": 33554432}}
    assert results.Figure(a).key == results.Figure(b).key


def test_a_reason_never_shows_its_value_at_its_own_limit():
    """A stored 0.1038 against a 10% limit reads '10.4%', not '10% ... limit 10%' (which reads as no reason at
    all); values clearly over stay whole percents, as before."""
    assert validity.over(0.1038, 0.10) == "10.4%" and validity.over(0.16, 0.10) == "16%"
    assert validity.over(0.1001, 0.10) == "10.01%" and validity.over(-0.104, 0.10, sign=True) == "-10.4%"
    (spread, rounds) = validity.timing_reasons(0.1049, 0.02, 0.1038)
    assert spread["text"] == "spread 10.5% of the median (IQR over median above 10%)"
    assert rounds["text"].startswith("its rounds moved 10.4% apart") and validity.brief(rounds) == \
        f"{validity.CODES['rounds']} 10.4%"
    (steal,) = validity.machine_reasons({"steal": 0.0503})
    assert steal["text"] == "the hypervisor took 5.03% of the CPU time (steal, limit 5%)"


def test_one_cpu_brand_with_another_cache_or_instruction_sets_is_another_machine():
    """Some VMs report their CPU as plain "AMD EPYC" for several generations: one with a 16 MiB L3 and no AVX-512 and
    one with 32 MiB and AVX-512 are two machines (no earlier run of one is held against the other), as a diff says."""
    def probed(llc, avx512):
        doc = _run()
        cpu = doc.setdefault("probe", {}).setdefault("cpu", {})
        cpu.update(llc_bytes=llc, flags={"avx2": True, "avx512f": avx512})
        return doc

    old, new = probed(16 * 2**20, False), probed(32 * 2**20, True)
    assert baseline.signature(old) != baseline.signature(new)
    assert baseline.signature(old) == baseline.signature(probed(16 * 2**20, False))
    assert {k: v for k, v in baseline.signature(new).items() if k.startswith("cpu_")} == {
        "cpu_cache": 32 * 2**20, "cpu_isa": "avx2 avx512f"}


def test_a_reason_stored_at_its_limit_by_an_older_rigbench_reads_past_it():
    """The H200 reference run stores stream_triad's 'its rounds moved 10% apart (... limit 10%)' for 0.1038: read
    back, the number is shown as it is shown now (10.4%); a text whose number is clearly past its limit is as stored."""
    old = {"code": "rounds", "value": 0.1038, "limit": 0.10,
           "text": "its rounds moved 10% apart (slowest vs fastest round, limit 10%)"}
    clear = {"code": "spread", "value": 0.31, "limit": 0.10, "text": "spread 31% of the median"}
    assert validity.texts([old, clear, "prose"]) == [
        "its rounds moved 10.4% apart (slowest vs fastest round, limit 10%)", "spread 31% of the median", "prose"]
    # a text written as now (the value past its limit) is as stored: its whole "10%" is the limit, not the value
    for code, text in (("rounds", "its rounds moved 10.3% apart (slowest vs fastest round, limit 10%)"),
                       ("spread", "spread 10.3% of the median (IQR over median above 10%)")):
        assert validity.texts([{"code": code, "value": 0.1026, "limit": 0.10, "text": text}]) == [text]
    fresh = validity.timing_reasons(0.1026, 0.01, 0.1026)
    assert validity.texts(fresh) == [r["text"] for r in fresh]
    assert all("10.3%" in t and "limit 10%" in t or "above 10%" in t for t in validity.texts(fresh))
    doc = json.loads((Path(__file__).resolve().parents[1] / "results" / "reference"
                      / "h200-sxm-2026-12-04-cuda.json").read_text(encoding="utf-8"))
    triad = next(m for m in doc["measurements"] if m["kernel"] == "stream_triad")
    assert any("moved 10.4% apart" in t for t in validity.texts(triad["invalid_reasons"]))
