"""The guidelines engine: every rule on both sides of its threshold, the CPU equivalence, the text's own examples."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tomllib
from importlib import resources

import pytest
from conftest import FIXTURES, REPO
from fixtures.probe.fake_nvml import FakeNvml
from fixtures.probe.trees import materialize

from rigbench import catalog, comparison, model
from rigbench import guidelines as g
from rigbench.errors import UserError
from rigbench.prices.cloud import load_prices, resolve_instance
from rigbench.probe import disks, probe
from rigbench.probe.cpu import TIERS

FX = FIXTURES / "guidelines"
WHOLE_TEXT = REPO.parent / "shared" / "sources" / "hardware-guidelines-2019.md"
GIB, TB = 1024**3, 1000**4


def spec(text: str) -> g.Machine:
    return g.Machine.from_spec(text)


def check(profile: str, rule_id: str, machine: g.Machine) -> g.Check:
    return next(c for c in g.evaluate(profile, machine).checks if c.id == rule_id)


def status(profile: str, rule_id: str, text: str) -> str:
    return check(profile, rule_id, spec(text)).status


def probe_machine(name: str) -> g.Machine:
    return g.Machine.from_probe(json.loads((FX / name).read_text()))


def results_machine(name: str) -> g.Machine:
    path = FX / name
    return g.Machine.from_results(json.loads(path.read_text()), str(path))


# ------------------------------------------------------------------------------------------------ the profiles as data


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


QUOTES = FX / "guidelines-2019-quotes.md"     # shipped: the sentences quoted, and the digest of the whole text


def _shipped_quotes() -> tuple[list[str], str]:
    text = QUOTES.read_text(encoding="utf-8")
    quotes = [_norm(line[2:]) for line in text.splitlines() if line.startswith("> ")]
    digest = re.search(r"sha256 of the text[^`]*`([0-9a-f]{64})`", text).group(1)
    return quotes, digest


@pytest.mark.parametrize("profile", g.PROFILES)
def test_every_rule_quotes_the_guidelines_word_for_word(profile):
    """Every quote is one of the sentences shipped in the repo (checked against the whole text where it is beside the
    checkout): no quote is a paraphrase, and the test runs everywhere."""
    quotes, _ = _shipped_quotes()
    shipped = "\n".join(quotes)
    prof = g.load_profile(profile)
    for rule in prof.rules + prof.not_checkable + prof.extra.get("providers", []):
        assert _norm(rule["guideline"]) in shipped, rule.get("id", rule.get("provider"))


def test_the_shipped_quotes_are_the_texts_own_words():
    quotes, digest = _shipped_quotes()
    assert len(quotes) >= 30
    if not WHOLE_TEXT.exists():   # the whole text is not part of the repo; the shipped quotes were checked against it
        pytest.skip(f"the whole guidelines text is not beside this checkout ({WHOLE_TEXT}); the quotes test above ran on "
                    f"the {len(quotes)} sentences shipped in {QUOTES.name}")
    text = _norm(WHOLE_TEXT.read_text(encoding="utf-8"))
    assert hashlib.sha256(text.encode()).hexdigest() == digest, "the guidelines text changed: re-check the quotes"
    for q in quotes:
        assert q in text, q


@pytest.mark.parametrize("profile", g.PROFILES)
def test_every_rule_names_a_check_and_every_uncheckable_one_says_why(profile):
    prof = g.load_profile(profile)
    assert prof.rules and prof.not_checkable
    for rule in prof.rules:
        assert rule["check"] in g.CHECKS, rule["id"]
        assert rule["id"].startswith(profile + "."), rule["id"]
        assert rule.get("severity") in ("fail", "warn"), rule["id"]
    for rule in prof.not_checkable:
        assert len(rule["why"]) > 20, rule["id"]
    ids = [r["id"] for r in prof.rules + prof.not_checkable]
    assert len(ids) == len(set(ids))


def test_the_minimum_rules_exist():
    ids = {r["id"] for p in g.PROFILES for r in g.load_profile(p).rules}
    for rid in ("laptop.ram", "laptop.gpu", "laptop.cpu", "laptop.storage", "laptop.os", "laptop.cloud_path",
                "desktop.gpu", "desktop.cores_per_gpu", "desktop.preprocess_feed", "desktop.ram_vs_gpu",
                "desktop.storage", "desktop.ssd", "desktop.cooling", "desktop.price", "diy.price",
                "cloud.gpu", "cloud.gpu_class", "cloud.vcpus_per_gpu", "cloud.ram_vs_gpu", "cloud.cheapest_provider"):
        assert rid in ids, rid
    nc = {r["id"] for p in g.PROFILES for r in g.load_profile(p).not_checkable}
    assert {"desktop.monitors", "cloud.floydhub", "cloud.tpu"} <= nc


def test_diy_inherits_the_desktop_rules_but_its_own_price_rule():
    diy, desktop = g.load_profile("diy"), g.load_profile("desktop")
    ids = {r["id"] for r in diy.rules}
    assert {"diy." + r["id"].split(".", 1)[1] for r in desktop.rules if r["id"] != "desktop.price"} <= ids
    assert "diy.price" in ids and "desktop.price" not in ids


def test_every_probe_tier_has_a_class():
    mapped = {t for e in tomllib.loads(resources.files("rigbench.profiles").joinpath("cpu_tiers.toml")
                                       .read_text())["tiers"] for t in e.get("tiers", [])}
    assert set(TIERS) <= mapped, set(TIERS) - mapped


# ---------------------------------------------------------------------------------------- the CPU equivalence


@pytest.mark.parametrize("brand, cores, expected", [
    ("Intel(R) Core(TM) i7-8750H CPU @ 2.20GHz", 12, 7),
    ("Intel(R) Core(TM) i7-9700K CPU @ 3.60GHz", 8, 7),
    ("Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz", 8, 5),
    ("Intel(R) Core(TM) i3-8130U CPU @ 2.20GHz", 4, 3),
    ("Intel(R) Core(TM) i9-13900K", 32, 9),
    ("Intel(R) Core(TM) Ultra 7 155H", 22, 7),
    ("Intel(R) Core(TM) Ultra 5 125U", 14, 5),
    ("Intel(R) Core(TM) 7 150U", 12, 7),
    ("Intel(R) Celeron(R) N4020 CPU @ 1.10GHz", 2, 1),
    ("Intel(R) Pentium(R) Silver N5000 CPU @ 1.10GHz", 4, 1),
    ("Intel(R) Core(TM)2 Duo CPU     E8400  @ 3.00GHz", 2, 1),
    ("AMD Ryzen 7 5800X 8-Core Processor", 16, 7),
    ("AMD Ryzen 5 3600 6-Core Processor", 12, 5),
    ("AMD Ryzen 3 3200G with Radeon Vega Graphics", 4, 3),
    ("AMD Ryzen 9 7950X 16-Core Processor", 32, 9),
    ("AMD Ryzen AI 9 HX 370 w/ Radeon 890M", 24, 9),
    ("AMD Ryzen Threadripper 3970X 32-Core Processor", 64, 9),
    ("AMD Athlon Silver 3050U with Radeon Graphics", 2, 1),
    ("Apple M1", 8, 7),
    ("Apple M2 Pro", 12, 9),
    ("Snapdragon(R) X Elite - X1E78100 - Qualcomm(R) Oryon(TM) CPU", 12, 7),
    # server families: the class is the slice you get
    ("AMD EPYC", 2, 3),                       # this test machine's brand string, 2 vCPUs
    ("AMD EPYC 7R13 Processor", 4, 5),        # AWS g5.xlarge's CPU, 4 vCPUs
    ("Intel(R) Xeon(R) CPU @ 2.20GHz", 8, 7),  # a GCP n1 VM, 8 vCPUs
    ("Intel(R) Xeon(R) Platinum 8175M CPU @ 2.50GHz", 96, 7),
])
def test_cpu_class_of_real_brand_strings(brand, cores, expected):
    assert g.cpu_class(brand, None, cores).value == expected


@pytest.mark.parametrize("typed, expected", [
    ("i7-9700K", 7), ("i7-8750H", 7), ("Core i7-8750H", 7), ("i5-8250U", 5), ("i9-9900K", 9), ("i3-8130U", 3),
    ("Intel N100", 1), ("N100", 1), ("Intel(R) N200", 1), ("Celeron N4020", 1), ("Intel Celeron N4020", 1),
    ("MediaTek MT8183", 1), ("MediaTek Kompanio 520", 1), ("Qualcomm Snapdragon 7c Gen 2", 1),
    ("Qualcomm Technologies, Inc SC7180", 1),
])
def test_cpu_names_as_people_type_them(typed, expected):
    cc = g.cpu_class(typed, None, 8)
    assert cc.value == expected, cc


@pytest.mark.parametrize("brand, generation, expected", [
    ("Intel(R) Core(TM) i7-2600 CPU @ 3.40GHz", 2, 3),    # 2011: below a 2019 i5 laptop chip
    ("i7-4790K", 4, 3),
    ("Intel(R) Core(TM) i7-920 CPU @ 2.67GHz", 1, 3),
    ("Intel(R) Core(TM) i5-2500K CPU @ 3.30GHz", 2, 1),
    ("Intel(R) Core(TM) i7-6700K CPU @ 4.00GHz", 6, 5),   # Skylake: one class down
    ("i7-7700HQ", 7, 5),
    ("i7-8550U", 8, 7),
    ("i7-1165G7", 11, 7),
    ("i7-10750H", 10, 7),
    ("13th Gen Intel(R) Core(TM) i7-13700H", 13, 7),
])
def test_cpu_generation_decides_what_an_i7_name_is_worth(brand, generation, expected):
    assert g.intel_core_generation(brand) == generation
    cc = g.cpu_class(brand, None, 8)
    assert cc.value == expected, cc
    if generation < 8:
        assert "generation" in cc.why and "hardlimit" in cc.why or "Intel ARK" in cc.why


def test_server_cpu_without_a_core_count_is_unknown():
    cc = g.cpu_class("Intel(R) Xeon(R) CPU @ 2.20GHz", None, None)
    assert cc.value is None and "cores" in cc.why


def test_unknown_cpu_is_unknown_not_a_guess():
    assert g.cpu_class("Frobnicator 9000", None, 8).value is None


# --------------------------------------------------------------------------------------------- rules, both sides


def test_laptop_ram_both_sides_of_16_gb():
    assert status("laptop", "laptop.ram", "ram=16GB") == "pass"
    assert status("laptop", "laptop.ram", "ram=15GB") == "fail"
    c = check("laptop", "laptop.ram", spec("ram=8GB"))
    assert c.measured_value == 8 and c.required_value == 16 and "8.0 GiB short" in c.why


def test_laptop_ram_as_the_os_reports_it():
    m = g.Machine(source="probe", label="t", ram_bytes=int(15.5 * GIB), ram_reported=True)  # a 16 GB laptop's MemTotal
    assert check("laptop", "laptop.ram", m).status == "pass"
    m.ram_bytes = int(14.5 * GIB)  # more than 5% below: a 15 GB or smaller machine
    assert check("laptop", "laptop.ram", m).status == "fail"


def test_laptop_gpu_nvidia_or_not():
    assert status("laptop", "laptop.gpu", "gpu=gtx-1080-ti") == "pass"
    assert status("laptop", "laptop.gpu", "ram=16GB") == "unknown"   # not given, not guessed
    # without an NVIDIA GPU a laptop is on the cloud path: the rule for training on it does not apply, and says so
    c = check("laptop", "laptop.gpu", spec("gpu=none"))
    assert c.status == "n/a" and "cloud path" in c.why and "fail, no NVIDIA GPU" in c.why
    # the cloud's own GPU rule still fails a CPU-only machine
    assert status("cloud", "cloud.gpu", "gpu=none") == "fail"


def test_laptop_cpu_i7_target_i5_floor():
    assert status("laptop", "laptop.cpu", 'cpu="Intel Core i7-8750H"') == "pass"
    assert status("laptop", "laptop.cpu", "cpu=Intel Core i5-8250U") == "warn"
    assert status("laptop", "laptop.cpu", "cpu=Intel Core i3-8130U") == "fail"
    assert status("laptop", "laptop.cpu", "cpu=AMD Ryzen 7 4800H") == "pass"


def test_storage_1_tb_laptop_3_tb_desktop():
    assert status("laptop", "laptop.storage", "disk=1TB") == "pass"
    assert status("laptop", "laptop.storage", "disk=900GB") == "fail"
    assert status("desktop", "desktop.storage", "disk=1TB+2TB") == "pass"
    assert status("desktop", "desktop.storage", "disk=2TB") == "fail"


def test_storage_counts_each_real_disk_once():
    m = probe_machine("probe_desktop_2x2080ti.json")   # / and /home on one NVMe, a 4 TB disk, a tmpfs
    c = check("desktop", "desktop.storage", m)
    assert c.measured_value == pytest.approx((983349346304 + 3936818806784) / TB, abs=1e-3)
    assert c.status == "pass"


def test_formatted_disk_counts_as_its_size_but_not_much_less():
    m = g.Machine(source="probe", label="t", disks=[g.DiskUnit("/", "/dev/nvme0n1p2", "ext4", 983_349_346_304, "nvme")],
                  disks_reported=True)   # a 1 TB NVMe formatted ext4 (statvfs total)
    assert check("laptop", "laptop.storage", m).status == "pass"
    m.disks[0].total_bytes = 900 * 1000**3
    assert check("laptop", "laptop.storage", m).status == "fail"


def test_ssd_label_and_measured_iops():
    assert status("desktop", "desktop.ssd", "disk=4TB,disk_kind=ssd") == "pass"
    assert status("desktop", "desktop.ssd", "disk=4TB,disk_kind=hdd") == "warn"
    m = results_machine("results_cool_fed.json")   # 11,536 random-read IOPS measured: solid-state, whatever sysfs says
    c = check("desktop", "desktop.ssd", m)
    assert c.status == "pass" and c.measured_value == pytest.approx(11536.29, rel=1e-4)
    slow = g.Machine(source="results", label="t", results={"measurements": [
        {"kernel": "disk_iops", "device": "cpu", "status": "ok", "value": 95.0, "unit": "IOPS", "valid": True}]})
    assert check("desktop", "desktop.ssd", slow).status == "warn"


def test_ssd_is_never_judged_from_an_invalid_disk_iops_figure():
    """A run that marked its disk_iops INVALID (the page cache was not kept out: 41,000 'IOPS' from RAM) must not
    pass the SSD rule on it: the answer is unknown, naming the figure and why it is not used."""
    cached = {"code": "cache", "value": None, "limit": None,
              "text": "the page cache was not kept out: repeated reads as fast as RAM"}
    m = g.Machine(source="results", label="t", results_path="run.json", results={"measurements": [
        {"kernel": "disk_iops", "device": "cpu", "status": "ok", "value": 41000.0, "unit": "IOPS", "valid": False,
         "invalid_reasons": [cached]}]})
    c = check("desktop", "desktop.ssd", m)
    assert c.status == "unknown" and c.measured_value is None
    assert "41,000" in c.why and "INVALID" in c.why and "page cache was not kept out" in c.why


def test_an_unknown_rule_says_what_would_judge_it_in_a_field_not_its_why():
    """What would make an unknown rule judgeable is the check's ``remedy`` (read by code, never parsed from ``why``):
    a GPU, a measurement with the command that takes it, or a rerun of an INVALID figure on a quiet machine."""
    no_gpu = spec("cores=8,ram=16GB,gpu=none")
    for rule in ("desktop.cores_per_gpu", "desktop.preprocess_feed", "desktop.ram_vs_gpu"):
        c = check("desktop", rule, no_gpu)
        assert (c.status, c.remedy, c.to_dict()["remedy"]) == ("unknown", {"code": g.NEEDS_GPU}, {"code": "gpu"}), rule
    bad = {"code": "cache", "value": None, "limit": None, "text": "the page cache was not kept out"}
    invalid = g.Machine(source="results", label="t", results_path="run.json", results={"measurements": [
        {"kernel": "disk_iops", "device": "cpu", "status": "ok", "value": 41000.0, "unit": "IOPS", "valid": False,
         "invalid_reasons": [bad]}]})
    assert check("desktop", "desktop.ssd", invalid).remedy == {"code": "rerun",
                                                                "command": "rigbench bench --only disk_iops"}
    take = {"code": "bench", "command": "rigbench bench --only preprocess"}
    assert check("desktop", "desktop.preprocess_feed", spec("gpu=rtx-2070,cores=8")).remedy == take   # no results
    no_preprocess = g.Machine(source="results", label="t", results_path="run.json", gpus=spec("gpu=rtx-2070").gpus,
                              results={"measurements": [{"kernel": "disk_iops", "device": "cpu", "status": "ok",
                                                         "value": 9000.0, "unit": "IOPS", "valid": True}]})
    assert check("desktop", "desktop.preprocess_feed", no_preprocess).remedy == take
    # an unknown only a person can settle (a spec without the GPU) has none: its why says what to type
    assert check("desktop", "desktop.ram_vs_gpu", spec("ram=16GB")).remedy is None
    assert check("desktop", "desktop.ssd", spec("disk=4TB")).remedy is None
    # and a judged rule has none
    assert check("desktop", "desktop.ssd", spec("disk=4TB,disk_kind=ssd")).remedy is None


def test_ssd_on_a_virtual_disk_is_unknown_not_hdd():
    c = check("desktop", "desktop.ssd", probe_machine("probe_vm_2cpu_nogpu.json"))   # an older probe: "hdd" + note
    assert c.status == "unknown" and "disk_iops" in c.why
    doc = json.loads((FX / "probe_vm_2cpu_nogpu.json").read_text())
    assert doc["disks"][0]["mount"] == "/" and "unreliable" in doc["disks"][0]["kind_note"]
    doc["disks"][0]["kind"] = "unknown"                  # what the probe says of a virtio disk now
    now = check("desktop", "desktop.ssd", g.Machine.from_probe(doc))
    assert now.status == "unknown" and now.measured == "unknown (/)" and "virtual disk" in now.why
    assert "disk_iops" in now.why


def test_ssd_on_a_virtual_disk_names_the_kernel_the_check_reads():
    # the why read "rigbench bench's disk_read measures the real speed: run `rigbench bench --only disk_iops`"
    old = check("desktop", "desktop.ssd", probe_machine("probe_vm_2cpu_nogpu.json"))   # a probe's older note
    doc = json.loads((FX / "probe_vm_2cpu_nogpu.json").read_text())
    doc["disks"][0].update(kind="unknown", kind_note=disks.NOTE_VIRTUAL)                 # today's probe
    now = check("desktop", "desktop.ssd", g.Machine.from_probe(doc))
    for c in (old, now):
        assert c.status == "unknown" and "disk_read" not in c.why
        assert c.why.startswith("a virtual disk (virtio") and c.why.endswith(
            "its sysfs label is unreliable here: run `rigbench bench --only disk_iops` (random 4 KiB reads), the "
            "measurement this check reads")


def test_os_linux():
    assert status("laptop", "laptop.os", "os=linux") == "pass"
    assert status("laptop", "laptop.os", "os=wsl") == "pass"
    assert status("laptop", "laptop.os", "os=windows") == "warn"
    mac = check("laptop", "laptop.os", spec("os=macos"))       # "Sorry Mac and Windows cultists" ...
    assert mac.status == "warn" and "used to using a Mac" in mac.why   # ... and "a Mac you should be fine"


def test_desktop_os_choice_is_free_and_only_windows_costs_packages():
    """"Regardless of which operating system you choose" leaves the OS free: no desktop rule holds a machine to Linux.
    What the text says an OS choice costs is XGBoost-like packages on Windows."""
    desktop = g.load_profile("desktop")
    assert "desktop.os" in {r["id"] for r in desktop.not_checkable}
    assert all(r["check"] != "os_linux" for r in desktop.rules)
    for os_name, expected in (("linux", "pass"), ("macos", "pass"), ("wsl", "pass"), ("chromeos", "pass"),
                              ("windows", "warn")):
        assert status("desktop", "desktop.os_packages", f"os={os_name}") == expected, os_name
    win = check("desktop", "desktop.os_packages", spec("os=windows"))
    assert "XGBoost" in win.why and "Visual C++" in win.why
    assert status("laptop", "laptop.os_packages", "os=windows") == "warn"
    nc = {r["id"] for r in g.load_profile("laptop").not_checkable}
    assert {"laptop.mac", "laptop.anaconda"} <= nc


def test_desktop_gpu_by_the_model():
    assert status("desktop", "desktop.gpu", "gpu=rtx-2070") == "pass"
    assert status("desktop", "desktop.gpu", "gpu=rtx-2080-ti") == "pass"
    assert status("desktop", "desktop.gpu", "gpu=gtx-1080-ti") == "warn"
    assert status("desktop", "desktop.gpu", "gpu=gtx-1070") == "warn"
    assert status("desktop", "desktop.gpu", "gpu=rtx-4090") == "pass"        # newer and faster: passes
    assert status("desktop", "desktop.gpu", "gpu=none") == "fail"
    # the weakest card decides, and the numbers are the model's
    c = check("desktop", "desktop.gpu", spec("gpu=rtx-4090+gtx-1070"))
    assert c.status == "warn"
    ref = model.predict(model.capability_from_gpu(catalog.resolve("rtx-2070")), "resnet50", "amp").throughput
    assert c.required_value == pytest.approx(max(ref, model.predict(model.capability_from_gpu(
        catalog.resolve("rtx-2070")), "resnet50", "fp32").throughput))


def _amp(card: str) -> model.Prediction:
    return model.predict(model.capability_from_gpu(catalog.resolve(card)), "resnet50", "amp")


def test_gpu_a_tie_with_the_bar_inside_the_models_band_passes_and_says_it_is_a_tie():
    """The RTX 3060 is predicted just under the RTX 2070 on ResNet-50, both at their better precision (amp): 333.2
    against 337.0 images/s, so the 2070 is 1.0116x as fast. Their ratio's band is rigbench.model.pair_uncertainty's,
    the one compare calls a tie by: only 2 published pairs of ampere-8.6 x turing on conv (under MIN_CELL_PAIRS),
    so the two cards' own bands in quadrature, sqrt(6.42%^2 + 4.37%^2) = 7.77%. 1.16% < 7.77%: compare says "a tie",
    and the rule, which warned, passes it while saying it is a tie, not clearly at or above the bar."""
    a, b = _amp("rtx-3060"), _amp("rtx-2070")
    assert (round(a.throughput, 1), round(b.throughput, 1)) == (333.2, 337.0)
    assert b.throughput / a.throughput == pytest.approx(1.0116, abs=1e-4)
    facts = [{"gpu": catalog.resolve(c), "count": 1, "uncertainty": p.uncertainty, "unvalidated": False}
             for c, p in (("rtx-3060", a), ("rtx-2070", b))]
    band = model.pair_uncertainty(facts[0], facts[1], "resnet50")["fraction"]
    assert (round(a.uncertainty, 4), round(b.uncertainty, 4)) == (0.0642, 0.0437)
    assert band == pytest.approx((a.uncertainty ** 2 + b.uncertainty ** 2) ** 0.5) and round(band, 4) == 0.0777
    assert b.throughput / a.throughput - 1 <= band
    # compare, on the same two cards, calls it a tie with that band
    row = comparison.compare(["rtx-3060", "rtx-2070"], workload="resnet50", precision="amp")["workloads"][0]
    assert row["tie_with_first"]["rtx-2070"] and row["pair_band"]["rtx-2070"]["rtx-3060"] == pytest.approx(band)
    for profile, rule in (("desktop", "desktop.gpu"), ("cloud", "cloud.gpu_class")):
        c = check(profile, rule, spec("gpu=rtx-3060,kind=" + profile))
        assert c.status == "pass", rule
        assert c.measured == ("GeForce RTX 3060 333 images/s predicted +-6% (amp), a tie with rtx-2070 inside the "
                              "model's +-8%")
        assert c.required == ">= rtx-2070 (337 images/s predicted +-4%, amp)"
        assert c.why == ("GeForce RTX 3060: 333 images/s predicted +-6% (amp) vs rtx-2070 337 predicted +-4% (amp), "
                         "gtx-1070 133 predicted +-5% (amp); rtx-2070 is 1.01x as fast: a tie with rtx-2070 inside "
                         "the model's +-8% on that ratio, so not clearly at or above it")
        assert c.measured_value == pytest.approx(a.throughput) and c.required_value == pytest.approx(b.throughput)


def test_gpu_clearly_below_the_bar_still_warns_and_gives_the_band_it_is_outside():
    """The Tesla T4 (Turing, as the RTX 2070): 274.3 against 337.0 images/s (amp), the 2070 1.2285x as fast. Two
    cards of one cell with enough published pairs of turing x turing on conv: their ratio's band is those pairs' MAE,
    3.3%, far under the 22.9% gap. Clearly below the bar, above the GTX 1070 (132.7): warn, as before."""
    a, b = _amp("tesla-t4"), _amp("rtx-2070")
    assert b.throughput / a.throughput == pytest.approx(1.2285, abs=1e-4)
    u = model.ratio_uncertainty(catalog.resolve("tesla-t4"), catalog.resolve("rtx-2070"), "resnet50")
    assert not u["extrapolated"] and round(u["fraction"], 3) == 0.033
    c = check("desktop", "desktop.gpu", spec("gpu=tesla-t4"))
    assert c.status == "warn" and c.change == {"kind": "gpu"}
    assert c.measured == "Tesla T4 274 images/s predicted +-4% (amp)"
    assert c.why.endswith("; rtx-2070 is 1.23x as fast, outside the model's +-3% on that ratio")
    assert "tie" not in c.why


def test_gpu_below_the_warn_reference_fails():
    """No catalog card is slower than a GTX 1070, so the fail side is shown with the bar raised: same engine, real model."""
    rule = dict(next(r for r in g.load_profile("desktop").rules if r["id"] == "desktop.gpu"),
                pass_reference="rtx-4090", warn_reference="rtx-3090", listed_pass=[], listed_warn=[])
    slow = g.CHECKS["gpu_class"](rule, spec("gpu=gtx-1070"))
    assert slow.status == "fail"
    # 1,301 / 132.7 and 905 / 132.7 images/s (amp): clearly below both bars, each outside its ratio's band
    assert slow.why.endswith("; rtx-4090 is 9.80x as fast, outside the model's +-6% on that ratio; rtx-3090 is "
                             "6.82x as fast, outside the model's +-8% on that ratio")
    assert g.CHECKS["gpu_class"](rule, spec("gpu=rtx-3090")).status == "warn"
    assert g.CHECKS["gpu_class"](rule, spec("gpu=rtx-4090")).status == "pass"
    # the budget bar takes a tie too: the RTX 3060 just under an RTX 2070 there warns, and says why
    budget = dict(rule, warn_reference="rtx-2070")
    tie = g.CHECKS["gpu_class"](budget, spec("gpu=rtx-3060"))
    assert tie.status == "warn" and tie.measured.endswith("(amp), a tie with rtx-2070 inside the model's +-8%")


def test_no_gpu_fails_the_gpu_class_and_says_the_guideline_asks_for_one():
    # "For the GPU, go with an RTX 2070 or RTX 2080 Ti": a machine without a GPU misses it, and says so, rather than
    # failing while claiming there is nothing to judge
    for profile, rule in (("desktop", "desktop.gpu"), ("cloud", "cloud.gpu_class")):
        c = check(profile, rule, spec("gpu=none,kind=" + profile))
        assert c.status == "fail" and c.measured == "no GPU" and c.required == ">= rtx-2070"
        assert c.why == "no GPU; the guideline asks for one at least as fast as rtx-2070 (gtx-1070 on a budget)"


def test_cores_per_gpu_one_to_two_inclusive():
    """"1–2 GPU cores per GPU": 1 and 1.5 are inside the range and pass; below 1 fails."""
    assert status("desktop", "desktop.cores_per_gpu", "cores=2,gpu=4x gtx-1080-ti") == "fail"   # 0.5 per GPU
    assert status("desktop", "desktop.cores_per_gpu", "cores=3,gpu=4x gtx-1080-ti") == "fail"   # 0.75
    assert status("desktop", "desktop.cores_per_gpu", "cores=4,gpu=4x gtx-1080-ti") == "pass"   # 1 per GPU
    assert status("desktop", "desktop.cores_per_gpu", "cores=6,gpu=4x gtx-1080-ti") == "pass"   # 1.5
    assert status("desktop", "desktop.cores_per_gpu", "cores=8,gpu=4x gtx-1080-ti") == "pass"   # 2 per GPU
    assert status("cloud", "cloud.vcpus_per_gpu", "cores=4,gpu=4x gtx-1080-ti") == "pass"
    c = check("desktop", "desktop.cores_per_gpu", spec("cores=2,gpu=4x gtx-1080-ti"))
    assert c.measured_value == 0.5 and c.required_value == 1


def test_ram_vs_largest_gpu():
    # the text's example: a GTX 1080 Ti (11 GB) with 8 GB of RAM fails
    c = check("desktop", "desktop.ram_vs_gpu", spec("ram=8GB,gpu=gtx-1080-ti"))
    assert c.status == "fail" and c.required_value == 11 and "3.0 GiB short" in c.why
    assert status("desktop", "desktop.ram_vs_gpu", "ram=16GB,gpu=gtx-1080-ti") == "pass"
    assert status("desktop", "desktop.ram_vs_gpu", "ram=16GB,gpu=gtx-1080-ti+rtx-3090") == "fail"   # 24 GB card


def test_preprocess_can_feed_the_gpus():
    fed = check("desktop", "desktop.preprocess_feed", results_machine("results_cool_fed.json"))
    starved = check("desktop", "desktop.preprocess_feed", results_machine("results_thermal_starved.json"))
    two_2080ti = 2 * g.gpu_throughput("rtx-2080-ti", "resnet50", "amp")[0]
    four_4090 = 4 * g.gpu_throughput("rtx-4090", "resnet50", "amp")[0]
    # the fixture's best VALID preprocess rate (2 threads of this VM); its 1-thread figure (3,384.6 images/s) is
    # higher but INVALID (spread 41%), and a verdict never rests on an invalid figure
    best = 2010.590660635974
    assert fed.measured_value == pytest.approx(best / two_2080ti, rel=1e-3)
    assert starved.measured_value == pytest.approx(best / four_4090, rel=1e-3)
    assert (fed.status, starved.status) == (("pass" if best >= two_2080ti else "warn"),
                                            ("pass" if best >= four_4090 else "warn"))
    assert fed.status != starved.status or best < two_2080ti
    assert check("desktop", "desktop.preprocess_feed", spec("gpu=rtx-2070,cores=8")).status == "unknown"


def test_cooling_from_throttle_reasons():
    assert check("desktop", "desktop.cooling", results_machine("results_cool_fed.json")).status == "pass"
    hot = check("desktop", "desktop.cooling", results_machine("results_thermal_starved.json"))
    assert hot.status == "fail" and "hw_thermal_slowdown" in hot.why
    capped = check("desktop", "desktop.cooling", results_machine("results_power_capped.json"))
    assert capped.status == "warn" and "sw_power_cap" in capped.why
    no_run = check("desktop", "desktop.cooling", probe_machine("probe_desktop_2x2080ti.json"))
    assert no_run.status == "unknown" and "rigbench bench" in no_run.why


def test_desktop_price_bands():
    assert status("desktop", "desktop.price", "price=2500") == "pass"
    assert status("desktop", "desktop.price", "price=9000") == "pass"
    assert status("desktop", "desktop.price", "price=5000") == "pass"      # between the bands
    assert status("desktop", "desktop.price", "price=1500") == "warn"
    assert status("desktop", "desktop.price", "price=30000") == "warn"
    c = check("desktop", "desktop.price", spec("ram=16GB"))
    assert c.status == "unknown" and c.optional


def test_diy_price_is_judged_against_the_same_machine_ready_made():
    """"you'll also save money on a desktop machine learning rig": against the same machine from a vendor, not a cap."""
    rig = "gpu=rtx-2080-ti,cpu=i7-9700K,cores=8,ram=32GB,disk=4TB,disk_kind=ssd,os=linux"
    c = check("diy", "diy.price", spec(rig + ",price=3500"))
    assert c.status == "unknown" and c.optional and "ready_made" in c.why   # no ready-made price: not judged, not warned
    saved = check("diy", "diy.price", spec(rig + ",price=3500,ready_made=4200"))
    assert saved.status == "pass" and "$700 saved" in saved.why
    dearer = check("diy", "diy.price", spec(rig + ",price=3500,ready_made=3400"))
    assert dearer.status == "warn" and "$100 more" in dearer.why
    assert g.evaluate("diy", spec(rig + ",price=3500")).verdict != "warn" or any(
        c.status == "warn" and c.id != "diy.price" for c in g.evaluate("diy", spec(rig + ",price=3500")).checks)


CHROMEBOOK = 'cpu="Intel Celeron N4020",cores=2,ram=4GB,disk=64GB,disk_kind=ssd,gpu=none,os=chromeos,price=249'


def test_the_249_chromebook_plus_cloud_path_the_text_endorses_passes():
    """"go with one of the cheapest laptops out there (e.g., a $249 Chromebook), and then use all the money you saved
    for cloud computing time": no FAIL, and no advice to add RAM, an SSD, a GPU or a CPU."""
    m = spec(CHROMEBOOK)
    v = g.evaluate("laptop", m)
    assert v.verdict == "pass", [(c.id, c.status, c.why) for c in v.checks]
    by = {c.id: c for c in v.checks}
    assert by["laptop.cloud_path"].status == "pass" and "rigbench cost" in by["laptop.cloud_path"].why
    for rid in ("laptop.ram", "laptop.gpu", "laptop.cpu", "laptop.storage"):
        assert by[rid].status == "n/a", rid
    assert "fail" in by["laptop.ram"].why                       # what it would say for training on it, kept
    assert g.suggestions([v], m) == []
    # a dearer GPU-less laptop is on the same path; the why counts what the Chromebook would have left for the cloud
    dear = check("laptop", "laptop.cloud_path", spec("gpu=none,price=1249"))
    assert dear.status == "pass" and "$1,000 more for cloud time" in dear.why
    assert status("laptop", "laptop.cloud_path", "gpu=rtx-2070") == "pass"


def test_cloud_instance_from_the_price_list():
    m = g.Machine.from_instance("aws:p3.2xlarge")
    inst = resolve_instance("aws:p3.2xlarge")
    assert m.usable_cores == inst.vcpus and len(m.gpus) == inst.gpu_count
    v = g.evaluate("cloud", m)
    by = {c.id: c for c in v.checks}
    assert by["cloud.gpu"].status == "pass"
    assert by["cloud.vcpus_per_gpu"].measured_value == inst.vcpus / inst.gpu_count
    assert by["cloud.ram_vs_gpu"].status == "pass"                      # 61 GB for a 16 GB V100
    same_gpu = [i for i in load_prices().instances if i.gpu_id == inst.gpu_id and i.gpu_count == inst.gpu_count]
    cheapest = min(i.on_demand_usd_per_hour / i.gpu_count for i in same_gpu)
    assert by["cloud.cheapest_provider"].required_value == pytest.approx(cheapest, abs=1e-4)
    expected = "pass" if inst.on_demand_usd_per_hour / inst.gpu_count <= cheapest + 1e-9 else "warn"
    assert by["cloud.cheapest_provider"].status == expected
    # each price dated by its own row, not by the list's oldest date (the list mixes providers' dates)
    best = min(same_gpu, key=lambda i: i.on_demand_usd_per_hour / i.gpu_count)
    why = by["cloud.cheapest_provider"].why
    assert f"{best.key} at ${cheapest:.3f}/GPU-hour (priced {best.price_date.isoformat()}" in why
    assert f"aws:p3.2xlarge priced {inst.price_date.isoformat()})" in why


def test_azure_is_judged_among_the_three_clouds_the_text_compares():
    """"Microsoft Azure is usually the cheapest": among AWS, Azure and GCP (Lambda is not in the comparison), on
    demand and on spot, each recomputed here from the price list; it agrees when Azure wins most shared GPU types
    on both."""
    notes = g.provider_notes()
    azure = next(c for c in notes["claims"] if c["provider"] == "azure")
    big3 = {"aws", "azure", "gcp"}
    assert azure["among"] == sorted(big3)
    rows = [i for i in load_prices().instances if i.provider in big3]
    majority = []
    for spot in (False, True):
        def price(i):
            p = i.spot_usd_per_hour if spot else i.on_demand_usd_per_hour
            return None if p is None else p / i.gpu_count
        priced = [i for i in rows if price(i) is not None]
        shared = {i.gpu_id for i in priced if i.provider == "azure"} & {i.gpu_id for i in priced if i.provider != "azure"}
        side = azure["spot" if spot else "on_demand"]
        assert side["shared"] == len(shared)
        wins = set()
        for gpu_id in shared:
            low = round(min(price(i) for i in priced if i.gpu_id == gpu_id), 2)
            azure_low = round(min(price(i) for i in priced if i.gpu_id == gpu_id and i.provider == "azure"), 2)
            if azure_low == low:      # a win is a price at the lowest to the cent: ties count
                wins.add(gpu_id)
        assert set(side["wins"]) == wins, spot
        if shared:
            majority.append(2 * len(wins) > len(shared))
    assert azure["verdict"] == ("unknown" if not majority else "agrees" if all(majority) else "disagrees")


def test_aws_most_options_is_not_judged_from_the_price_lists_rows():
    aws = next(c for c in g.provider_notes()["claims"] if c["provider"] == "aws")
    assert aws["verdict"] == "unknown" and "subset" in aws["measured"] and "Kinesis" in aws["measured"]


# ------------------------------------------------------------------------------------------- the text's examples


def test_the_texts_laptop_passes():
    m = spec('ram=16GB,cpu="Intel Core i7-8750H",gpu=gtx-1070,disk=1TB,os=linux')
    v = g.evaluate("laptop", m)
    assert v.verdict == "pass", [(c.id, c.status, c.why) for c in v.checks]


def test_verdict_order_and_unknown_never_passes_silently():
    C = g.Check
    mk = lambda s, opt=False: C("x", s, "", "", "", "", "", "fail", optional=opt)  # noqa: E731
    assert g.verdict_of([mk("pass"), mk("warn"), mk("fail")]) == "fail"
    assert g.verdict_of([mk("pass"), mk("unknown"), mk("warn")]) == "warn"
    assert g.verdict_of([mk("pass"), mk("unknown")]) == "unknown"
    assert g.verdict_of([mk("pass"), mk("unknown", opt=True)]) == "pass"


# ------------------------------------------------------------------------------------------------ machines and --spec


TWO_GPU_SPEC = 'ram=32GB,gpu=2x rtx-2080-ti,cpu="Intel Core i7-9700K",cores=8,disk=4TB,disk_kind=ssd,os=linux'


def test_a_two_gpu_desktop_spec():
    m = spec(TWO_GPU_SPEC)
    assert m.ram_bytes == 32 * GIB and m.usable_cores == 8 and m.os_system == "Linux"
    assert [x.catalog_id for x in m.gpus] == ["rtx-2080-ti", "rtx-2080-ti"]
    assert m.cpu_brand == "Intel Core i7-9700K" and m.disks[0].total_bytes == 4 * TB and m.disks[0].kind == "ssd"
    v = g.evaluate("desktop", m)
    by = {c.id: c for c in v.checks}
    # every hardware rule passes; cooling and preprocessing need a bench run; two GPUs ask for the PSU's rating
    assert by["desktop.psu"].status == "warn" and by["desktop.psu"].required_value == round((2 * 250 + 95) * 1.21)
    assert {c.status for c in v.checks if not c.optional} == {"pass", "unknown"}
    assert g.evaluate("desktop", spec(TWO_GPU_SPEC + ",psu=850W")).verdict == "unknown"


def test_spec_quotes_protect_commas():
    assert g.parse_spec('cpu="AMD Ryzen 7 5800X, 8-Core",ram=16GB') == {"cpu": "AMD Ryzen 7 5800X, 8-Core", "ram": "16GB"}
    assert spec('price="$2,500"').price_usd == 2500


@pytest.mark.parametrize("text, fragment", [
    ("ramm=16GB", "unknown key"),
    ("ram=lots", "cannot read size"),
    ("gpu=gtx-9999", "gtx-9999"),
    ("cores=zero", "cores"),
    ("disk_kind=floppy", "nvme, ssd, hdd"),
    ("os=beos", "linux"),
    ("ram", "key=value"),
    ('cpu="Intel', "quote"),
    ("price=-5", "has a minus sign"),
    ("ram=0GB", "above zero"),
    ("disk=0TB", "above zero"),
    # an instance's hardware is the price list's; a GPU beside it would be judged as if the instance had it
    ("instance=aws:p3.2xlarge,gpu=rtx-3090", "give it or gpu=..., not both"),
    ("instance=aws:p3.2xlarge,ram=1TB,cores=4", "give it or cores=..., ram=..., not both"),
])
def test_bad_spec_is_a_user_error(text, fragment):
    with pytest.raises(UserError, match=re.escape(fragment) if fragment != "unknown key" else "unknown key"):
        spec(text)


@pytest.mark.parametrize("part, either", [("2x 2x rtx-2080-ti", "'2x rtx-2080-ti'"),
                                          ("2× 4*rtx-2080-ti", "'2x rtx-2080-ti' or '4x rtx-2080-ti'"),
                                          ("2x 2x", "'2x CARD'")])
def test_a_card_count_given_twice_in_a_spec_is_refused_as_compare_refuses_it(part, either):
    # 'gpu=2x 2x rtx-2080-ti' was "unknown GPU '2x rtx-2080-ti'", as if the count were part of the name
    with pytest.raises(UserError) as exc:
        spec(f"gpu={part}+rtx-3090")
    assert str(exc.value) == (f"--spec gpu={part!r}: the card count is given twice; give one 'Nx' per card: "
                              f"{either}")
    assert [u.catalog_id for u in spec("gpu=2x rtx-2080-ti").gpus] == ["rtx-2080-ti"] * 2


@pytest.mark.parametrize("gpu", ["2× rtx-2080-ti", "2 × rtx-2080-ti", "2✕ rtx-2080-ti", "2ｘ rtx-2080-ti",
                                 "2* rtx-2080-ti"])
def test_a_spec_reads_every_count_sign_compare_reads(gpu):
    # one set of signs (catalog.COUNT_SIGNS) for every parser of a count: compare, cost, size and this one
    assert [u.catalog_id for u in spec(f"gpu={gpu}").gpus] == ["rtx-2080-ti"] * 2


def test_probe_of_this_kind_of_vm():
    m = probe_machine("probe_vm_2cpu_nogpu.json")
    doc = json.loads((FX / "probe_vm_2cpu_nogpu.json").read_text())
    assert m.usable_cores == doc["cpu"]["usable_cores"] and m.gpus == [] and m.gpu_error
    cloud = {c.id: c.status for c in g.evaluate("cloud", m).checks}
    assert cloud["cloud.gpu"] == "fail"
    laptop = {c.id: c for c in g.evaluate("laptop", m).checks}
    assert laptop["laptop.cloud_path"].status == "pass" and laptop["laptop.gpu"].status == "n/a"
    assert "fail" in laptop["laptop.cpu"].why   # 2 vCPUs of an EPYC: below a 2019 i5 laptop, said under n/a


def test_desktop_probe_with_two_2080ti():
    v = g.evaluate("desktop", probe_machine("probe_desktop_2x2080ti.json"))
    by = {c.id: c.status for c in v.checks}
    assert by["desktop.gpu"] == "pass" and by["desktop.cores_per_gpu"] == "pass"
    assert by["desktop.ram_vs_gpu"] == "pass" and by["desktop.storage"] == "pass"


def test_suggestions_cheapest_first_and_within_budget():
    m = spec("ram=8GB,gpu=gtx-1070,disk=500GB,os=windows,cpu=Intel Core i3-8130U,cores=4")
    verdicts = [g.evaluate(p, m) for p in ("laptop", "desktop")]
    s = g.suggestions(verdicts, m, budget_usd=800)
    costs = [x["cost_usd"] for x in s]
    known = [c for c in costs if c is not None]
    assert known == sorted(known) and costs[len(known):] == [None] * (len(costs) - len(known))
    assert s[0]["kind"] == "linux" or s[0]["cost_usd"] == 0
    gpu = next(x for x in s if x["kind"] == "gpu")
    assert gpu["options"] and all(o["launch_price_usd"] <= 800 for o in gpu["options"])
    per = [o["throughput_per_kusd"] for o in gpu["options"][:5]]
    assert per == sorted(per, reverse=True)
    ram = next(x for x in s if x["kind"] == "ram")
    assert ram["cost_usd"] == pytest.approx(8 * 11.72)   # 8 GB more to reach 16 GB, at the cited price per GiB


def _cpu_only_run(start_mhz, ends_mhz, machine=None):
    """A CPU-only results file whose bench measured the scalar clock before its suite and after each round of load
    (``ends_mhz`` a list), or once at the end as older files did (``ends_mhz`` a number; None: no reading)."""
    doc = json.loads((FX / "results_cool_fed.json").read_text())
    doc["measurements"] = [x for x in doc["measurements"] if not str(x.get("device", "")).startswith("cuda")]
    doc.setdefault("peaks", {}).setdefault("cpu", {})["clock"] = {"scalar_mhz": start_mhz}
    if isinstance(ends_mhz, list):
        doc.setdefault("conditions", {})["cpu_clock_rounds"] = [
            {"scalar_mhz": e, "machine": machine or {"drift": None, "steal": 0.0, "others": 0.01}} for e in ends_mhz]
    else:
        doc.setdefault("conditions", {})["cpu_clock_end"] = {"scalar_mhz": ends_mhz} if ends_mhz else None
    return g.Machine.from_results(doc, "cpu-run.json")


def test_cooling_on_a_cpu_only_run_judges_a_repeatable_clock_drop():
    # 3600 -> 3100 MHz is a 13.9% drop (over the 10% threshold); 3600 -> 3450 MHz is 4.2%.
    hot = check("desktop", "desktop.cooling", _cpu_only_run(3600, [3150, 3100, 3120]))
    assert hot.status == "fail" and hot.measured_value == pytest.approx(0.139, abs=1e-3)
    assert "3,600 -> 3,150, 3,100, 3,120 MHz" in hot.measured and "all 3 readings" in hot.why
    assert check("desktop", "desktop.cooling", _cpu_only_run(3600, [3450, 3500])).status == "pass"
    # the clock at the threshold's edge: 3600 * 0.9 = 3240 MHz is a drop of exactly 10%, not over it
    assert check("desktop", "desktop.cooling", _cpu_only_run(3600, [3240, 3240])).status == "pass"
    old_file = check("desktop", "desktop.cooling", _cpu_only_run(3600, None))
    assert old_file.status == "unknown" and "CPU clock" in old_file.why


def test_cooling_without_the_machine_s_load_during_the_clock_readings_is_unknown():
    # 3600 -> 3100 MHz in all three readings is a 13.9% drop, but with "machine": null (or only one of steal and
    # others measured) nobody knows whether a neighbour slowed the clock chain
    for machine in (None, {"steal": 0.0}, {"others": 0.01}):
        doc_machine = _cpu_only_run(3600, [3150, 3100, 3120])
        for r in doc_machine.results["conditions"]["cpu_clock_rounds"]:
            r["machine"] = machine
        c = check("desktop", "desktop.cooling", doc_machine)
        assert c.status == "unknown" and c.change is None, machine
        assert "steal and other programs' load during 3 of the 3 readings after load were not recorded" in c.why
        assert c.measured_value == pytest.approx(0.139, abs=1e-3)


def _gpu_run(states):
    """The cool-fed results file with every GPU figure's NVML readings replaced by ``states`` (a function of the
    record's index among the GPU figures, giving its conditions)."""
    doc = json.loads((FX / "results_cool_fed.json").read_text())
    gpu = [x for x in doc["measurements"] if str(x.get("device", "")).startswith("cuda") and x.get("status") == "ok"]
    for i, x in enumerate(gpu):
        x["conditions"] = states(i)
    return g.Machine.from_results(doc, "gpu-run.json"), len(gpu)


def test_cooling_is_unknown_when_no_gpu_throttle_reason_was_read():
    nvml_gone = {"nvml": None, "reason": "NVML not available: libnvidia-ml.so.1 not found"}
    m, n = _gpu_run(lambda i: {"gpu_before": nvml_gone, "gpu_after": nvml_gone})
    for profile, rule in (("desktop", "desktop.cooling"), ("laptop", "laptop.heat")):
        c = check(profile, rule, m)
        assert c.status == "unknown", (rule, c.status, c.why)
        assert c.measured == f"throttle reasons not recorded for {n} of {n} GPU measurements"
        assert "libnvidia-ml.so.1 not found" in c.why and "not known" in c.why
    bare, n = _gpu_run(lambda i: {})            # no gpu_before/gpu_after/gpu_rounds at all
    assert check("desktop", "desktop.cooling", bare).status == "unknown"
    # one figure unread among readings that show no throttling: still not a pass
    read = {"clock_event_reasons": [], "power_w": 200.0}
    some, n = _gpu_run(lambda i: {} if i == 0 else {"gpu_before": read, "gpu_after": read})
    c = check("desktop", "desktop.cooling", some)
    assert c.status == "unknown" and c.measured == f"throttle reasons not recorded for 1 of {n} GPU measurements"
    # heat seen in a figure that was read is the evidence, whatever the others lack
    hot = {"clock_event_reasons": ["hw_thermal_slowdown"]}
    c = check("desktop", "desktop.cooling", _gpu_run(lambda i: {"gpu_after": hot} if i == 1 else {})[0])
    assert c.status == "fail" and c.measured.startswith("thermal throttling in 1 of")
    all_read, n = _gpu_run(lambda i: {"gpu_before": read, "gpu_after": read})
    assert check("desktop", "desktop.cooling", all_read).status == "pass"


def test_the_cheapest_gpu_is_picked_from_every_card_that_clears_the_bar():
    """The i7-9700K / GTX 1070 build: by rigbench's own model the RTX 3060 ($329) reaches the RTX 2070 bar (1.01x
    below it, inside the model's band on that ratio: a tie, which the GPU rule passes); the cheapest pick must come
    from every card that reaches the bar, not from the five best-value ones."""
    m = spec('ram=32GB,gpu=gtx-1070,cpu="Intel Core i7-9700K",cores=8,disk=4TB,disk_kind=ssd,os=linux')
    s = g.suggestions([g.evaluate("desktop", m)], m)
    gpu = next(x for x in s if x["kind"] == "gpu")
    ref = catalog.resolve("rtx-2070")

    def best(c):        # the card's faster precision, as the rule takes it
        return max((model.predict(model.capability_from_gpu(c), "resnet50", p) for p in model.PRECISIONS),
                   key=lambda r: r.throughput or 0)

    bar = best(ref)

    def reaches(c):
        mine = best(c)
        if mine.throughput is None:
            return False
        if mine.throughput >= bar.throughput:
            return True
        band = model.pair_uncertainty({"gpu": c, "count": 1, "uncertainty": mine.uncertainty, "unvalidated": False},
                                      {"gpu": ref, "count": 1, "uncertainty": bar.uncertainty, "unvalidated": False},
                                      "resnet50")["fraction"]
        return bar.throughput / mine.throughput - 1 <= band

    over = [c for c in catalog.load_catalog() if c.launch_price_usd and reaches(c)]
    cheapest = min(over, key=lambda c: c.launch_price_usd)
    assert gpu["cost_usd"] == cheapest.launch_price_usd
    assert cheapest.name in gpu["change"] and f"${cheapest.launch_price_usd:,.0f}" in gpu["change"]
    assert cheapest.id in {o["id"] for o in gpu["options"]}
    if cheapest.id == "rtx-3060":               # the catalog and model as they stand: $329
        assert gpu["cost_usd"] == 329


# ---------------------------------------------------------------------------------------------- names and units typed


@pytest.mark.parametrize("text, field, expected", [
    ("ram=16000MB", "ram_bytes", 16_000_000_000),          # MB typed is decimal, not MiB
    ("ram=16GB", "ram_bytes", 16 * GIB),                    # GB of RAM is binary, as RAM is sold
    ("ram=16GiB", "ram_bytes", 16 * GIB),
    ("ram=16,000MB", "ram_bytes", 16_000_000_000),
    ("disk=931GiB", "disks", 931 * GIB),
    ("price=$2,500", "price_usd", 2500.0),                  # unquoted: the comma is a thousands separator
    ("price=$2,500,ram=8GB", "price_usd", 2500.0),
    ('price="$2,500"', "price_usd", 2500.0),
])
def test_units_as_people_type_them(text, field, expected):
    m = spec(text)
    value = m.disks[0].total_bytes if field == "disks" else getattr(m, field)
    assert value == expected


def test_16000mb_of_ram_is_16_gb_and_931gib_of_disk_is_1_tb():
    ram = check("laptop", "laptop.ram", spec("ram=16000MB,gpu=rtx-2070"))
    assert ram.status == "pass" and "decimal" in ram.why
    assert "(typed as 16.0 GB in decimal units" in ram.why
    # printed by the byte formatter, not :g ('1e-06 GB', '16.3845 GB')
    assert "(typed as 1.0 kB in decimal units" in check("laptop", "laptop.ram", spec("ram=1kB,gpu=rtx-2070")).why
    assert "(typed as 16.4 GB in decimal units" in check("laptop", "laptop.ram", spec("ram=16384.5MB,gpu=rtx-2070")).why
    # 1 MB short of 16 GB: the figure and the gap in the units it is judged in ("16.0 GB ... 1.1 GiB short" before)
    short = check("laptop", "laptop.ram", spec("ram=15999MB,gpu=rtx-2070"))
    assert short.status == "fail"
    assert short.why == "14.9 GiB (typed as 15,999 MB in decimal units: judged in those units), 1.0 MB short"
    assert "(typed as 1.0 TB in decimal units" in check("laptop", "laptop.ram", spec("ram=999999MB,gpu=rtx-2070")).why
    assert status("laptop", "laptop.ram", "ram=15000MB,gpu=rtx-2070") == "fail"
    disk = check("laptop", "laptop.storage", spec("disk=931GiB,gpu=rtx-2070"))
    assert disk.status == "pass" and "nearest" in disk.why          # 931.5 GiB reaches 10**12 bytes
    short = check("laptop", "laptop.storage", spec("disk=900GiB,gpu=rtx-2070"))
    assert short.status == "fail" and "33.6 GB short" in short.why   # 10**12 - 900 * 2**30 = 33.6e9 bytes
    # the RAM-vs-GPU rule reads typed RAM the same way: 8000MB is a person's 8 GB for an 8 GB card
    assert status("desktop", "desktop.ram_vs_gpu", "ram=8000MB,gpu=gtx-1070") == "pass"


# ------------------------------------------------------------------------------------------ multi-GPU build feasibility

RIG = "cpu=i7-9700K,cores=8,ram=64GB,disk=4TB,disk_kind=ssd,os=linux"


def test_four_2080ti_on_an_i7_9700k_fail_on_lanes_and_psu():
    """16 CPU lanes split at most x8+x4+x4 (Intel ARK): a fourth card gets none. 4 x 250 W + 95 W = 1,095 W,
    +10% +10% (Dettmers) = 1,324.95 W: a 1,000 W supply is short; two-slot open-air cards side by side need blowers."""
    m = spec(f"gpu=4x rtx-2080-ti,{RIG},psu=1000W")
    by = {c.id: c for c in g.evaluate("diy", m).checks}
    assert by["diy.pcie_lanes"].status == "fail" and "3 ways" in by["diy.pcie_lanes"].why
    assert by["diy.psu"].status == "fail" and by["diy.psu"].required_value == 1325
    assert "325 W short" in by["diy.psu"].why
    assert by["diy.gpu_fit"].status == "warn" and "8 slots" in by["diy.gpu_fit"].why and "blower" in by["diy.gpu_fit"].why
    assert by["diy.cores_per_gpu"].status == "pass"          # 8 CPUs for 4 GPUs: 2 each
    kinds = {s["kind"] for s in g.suggestions([g.evaluate("diy", m)], m)}
    assert {"lanes", "psu", "gpu_fit"} <= kinds
    # without a PSU rating four GPUs still warn, naming the watts
    assert check("diy", "diy.psu", spec(f"gpu=4x rtx-2080-ti,{RIG}")).status == "warn"
    assert status("diy", "diy.psu", f"gpu=4x rtx-2080-ti,{RIG},psu=1350W") == "pass"


def test_psu_without_the_cpu_fails_on_the_gpus_alone_and_stays_unknown_when_they_fit():
    """8 x RTX 3090 (350 W each, NVIDIA's board power) = 2,800 W, x 1.1 x 1.1 = 3,388 W before any CPU: a 500 W
    supply fails whatever the CPU draws; 1,600 W for one card covers the GPU's 424 W, so the unknown CPU decides."""
    rig = "cores=2,ram=8GB,disk=1TB"
    for profile in ("desktop", "diy"):
        c = check(profile, f"{profile}.psu", spec(f"gpu=8x rtx-3090,{rig},psu=500W"))
        assert c.status == "fail" and c.required_value == 3388 and c.measured_value == 500
        assert "2,888 W short" in c.why and "not counted" in c.why and "larger" in c.why
        assert c.change == {"kind": "psu", "watts": pytest.approx(3388)}
    fits = check("desktop", "desktop.psu", spec(f"gpu=rtx-3090,{rig},psu=1600W"))
    assert fits.status == "unknown" and fits.required_value == 424 and "CPU" in fits.why
    assert check("desktop", "desktop.psu", spec(f"gpu=rtx-3090,{rig},psu=400W")).status == "fail"
    assert check("desktop", "desktop.psu", spec(f"gpu=8x rtx-3090,{rig}")).status == "unknown"  # no psu= given


def test_two_cards_fit_and_blowers_or_a_lane_rich_cpu_make_four_work():
    two = {c.id: c.status for c in g.evaluate("desktop", spec(f"gpu=2x rtx-2080-ti,{RIG},psu=850W")).checks}
    assert two["desktop.pcie_lanes"] == "pass" and two["desktop.psu"] == "pass" and two["desktop.gpu_fit"] == "pass"
    four = {c.id: c.status for c in g.evaluate("desktop", spec(
        "gpu=4x rtx-2080-ti,cpu=AMD Ryzen Threadripper 2950X,cores=32,ram=64GB,psu=1600W,gpu_cooling=blower")).checks}
    assert four["desktop.pcie_lanes"] == "pass"             # 64 lanes: x16 each
    assert four["desktop.psu"] == "pass"                    # (1000 + 180) * 1.21 = 1,428 W
    assert four["desktop.gpu_fit"] == "warn"                # 8 slots: a case with 8 expansion slots
    three_3090 = check("desktop", "desktop.gpu_fit", spec(f"gpu=3x rtx-3090,{RIG}"))
    assert three_3090.status == "fail" and "9 slots" in three_3090.why
    one = {c.id: c.status for c in g.evaluate("desktop", spec(f"gpu=rtx-2080-ti,{RIG}")).checks}
    assert one["desktop.pcie_lanes"] == "n/a" and one["desktop.gpu_fit"] == "n/a"


@pytest.mark.parametrize("text, shown", [
    ('cpu="Intel Xeon w9-3495X",cores=112,gpu=rtx-3090', "112 CPUs/GPU"),    # Intel ARK: 56 cores, 112 threads
    ("cores=8,gpu=3x rtx-2080-ti", "2.7 CPUs/GPU"),
    ("cores=2,gpu=8x rtx-3090", "0.25 CPUs/GPU"),
    ("cores=3,gpu=2x rtx-3090", "1.5 CPUs/GPU"),
])
def test_cores_per_gpu_is_written_as_a_plain_number(text, shown):
    assert check("desktop", "desktop.cores_per_gpu", spec(text)).measured == shown


def test_the_gpu_fit_change_follows_the_slots_the_cards_take():
    """RTX 3090 reference boards take 3 slots (NVIDIA's spec sheet): eight take 24, no case holds them."""
    eight = check("desktop", "desktop.gpu_fit", spec(f"gpu=8x rtx-3090,{RIG}"))
    assert eight.status == "fail" and eight.measured_value == 24
    assert eight.change["text"] == ("blower-style cards (or water cooling) for 8 GPUs side by side; risers or an open "
                                    "frame for 8 GPUs (24 slots of these cards; a case holds 8)")
    four = check("desktop", "desktop.gpu_fit", spec(f"gpu=4x rtx-2080-ti,{RIG},gpu_cooling=blower"))
    assert four.change["text"] == "a case with 8 expansion slots for 4 GPUs"
    three = check("desktop", "desktop.gpu_fit", spec(f"gpu=3x rtx-2080-ti,{RIG}"))   # 6 slots fit; the heat does not
    assert three.change["text"] == "blower-style cards (or water cooling) for 3 GPUs side by side"


def test_multi_gpu_rules_on_a_machine_without_a_gpu_say_no_gpu():
    for rule in ("desktop.gpu_fit", "desktop.pcie_lanes"):
        c = check("desktop", rule, spec(f"gpu=none,{RIG}"))
        assert (c.status, c.measured, c.why) == ("n/a", "no GPU", "no GPU")
    one = check("desktop", "desktop.gpu_fit", spec(f"gpu=rtx-2080-ti,{RIG}"))
    assert one.measured == "1 GPU" and one.why == "one GPU: nothing side by side"


def test_lanes_of_a_running_machine_come_from_nvml():
    m = probe_machine("probe_desktop_2x2080ti.json")       # two RTX 2080 Ti at PCIe 3 x16 as NVML reports them
    c = check("desktop", "desktop.pcie_lanes", m)
    assert c.status == "pass" and "NVML" in c.measured
    assert check("desktop", "desktop.psu", m).status == "unknown"   # software cannot read a PSU; not guessed


# ------------------------------------------------------------------------------------------------------ Macs, laptops


MACBOOK = 'cpu="Apple M2",cores=8,ram=16GB,disk=512GB,disk_kind=ssd,gpu=none,os=macos'


def test_a_macbook_is_on_the_cloud_path_and_is_never_told_to_buy_an_nvidia_card():
    m = spec(MACBOOK)
    kind = g.machine_kind(m)
    assert kind.profiles == ["laptop"] and not kind.takes_nvidia_gpu
    v = g.evaluate("laptop", m)
    by = {c.id: c for c in v.checks}
    assert by["laptop.mac_egpu"].status == "warn" and "Apple Silicon" in by["laptop.mac_egpu"].why
    assert by["laptop.cloud_path"].status == "pass" and by["laptop.gpu"].status == "n/a"
    assert v.verdict == "warn"                               # the text's Linux preference: an Ubuntu VM meanwhile
    # judged as a desktop on request, its GPU rule still advises the cloud, never a card
    verdicts = [g.evaluate(p, m) for p in ("laptop", "desktop")]
    kinds = {s["kind"] for s in g.suggestions(verdicts, m, kind=kind)}
    assert "gpu" not in kinds and "cloud" in kinds
    # a Mac mini with 8 GB judged as a desktop: more memory means another Mac, never "add RAM"
    mini = spec('cpu="Apple M2",ram=8GB,gpu=none,os=macos,kind=desktop')
    mini_kind = g.machine_kind(mini)
    assert mini_kind.profiles == ["desktop", "diy"] and mini_kind.memory_on_package and not mini_kind.takes_nvidia_gpu
    kinds = {s["kind"] for s in g.suggestions([g.evaluate("desktop", mini)], mini, kind=mini_kind)}
    assert "gpu" not in kinds and "cloud" in kinds
    ram_short = g.Check("desktop.ram_vs_gpu", "fail", "8 GiB", ">= 16 GiB", "", "", "", "fail",
                        change={"kind": "ram", "gib": 16, "have_gib": 8})
    verdict = g.ProfileVerdict("desktop", "t", "fail", [ram_short], [])
    (ram,) = g.suggestions([verdict], mini, kind=mini_kind)
    assert ram["kind"] == "mac_memory" and "a Mac with at least 16 GB" in ram["change"]
    intel_mac = check("laptop", "laptop.mac_egpu", spec('cpu="Intel Core i7-8850H",os=macos,gpu=none'))
    assert intel_mac.status == "warn" and "10.13" in intel_mac.why
    assert status("laptop", "laptop.mac_egpu", "cpu=i7-8750H,os=linux") == "n/a"


def test_laptop_throttling_under_sustained_load_from_the_bench_clock():
    hot = _cpu_only_run(3600, [3100, 3120])
    hot.gpus, hot.on_battery = [g.GpuUnit("GeForce GTX 1070", "gtx-1070", 8 * GIB)], False
    c = check("laptop", "laptop.heat", hot)
    assert c.status == "warn" and c.measured_value == pytest.approx(0.139, abs=1e-3)
    cool = _cpu_only_run(3600, [3450, 3460])
    cool.gpus = hot.gpus
    assert check("laptop", "laptop.heat", cool).status == "pass"
    planned = check("laptop", "laptop.heat", spec("gpu=gtx-1070"))
    assert planned.status == "unknown" and planned.optional          # needs a run; stays out of the verdict


# --------------------------------------------------------------------------------------------- the machine's kind


def _tree_machine(tmp_path, tree, cards=(), affinity=None, environ=None):
    """A machine from the probe run on a recorded /proc and /sys tree (tests/fixtures/probe/trees)."""
    nvml = FakeNvml(list(cards)) if cards else FakeNvml(init_error="LIBRARY_NOT_FOUND")
    doc = probe(root=materialize(tree, tmp_path / tree), nvml_lib=nvml, environ=environ or {}, affinity=affinity)
    return g.attach_instance(g.Machine.from_probe(doc))


def _chassis_machine(tmp_path, chassis_type: int | None, battery: bool) -> "g.Machine":
    """The recorded XPS 15 tree with an SMBIOS chassis type written, and its battery and adapter kept or removed."""
    root = materialize("laptop-i7-8750h", tmp_path / f"t{chassis_type}{battery}")
    if chassis_type is not None:
        (root / "sys/class/dmi/id/chassis_type").write_text(f"{chassis_type}\n")
    if not battery:
        shutil.rmtree(root / "sys/class/power_supply")
    doc = probe(root=root, nvml_lib=FakeNvml(init_error="LIBRARY_NOT_FOUND"), environ={}, affinity=12)
    return g.Machine.from_probe(doc)


def test_the_dmi_chassis_type_decides_before_the_model_name_and_the_cpu(tmp_path):
    # a notebook chassis without a battery reported: a laptop by its chassis
    k = g.machine_kind(_chassis_machine(tmp_path, 10, battery=False))
    assert k.kind == "laptop" and "chassis type 10 (Notebook)" in k.why
    # a Mini PC chassis with the same laptop CPU and model name: a desktop (its CPU alone would say laptop)
    k = g.machine_kind(_chassis_machine(tmp_path, 35, battery=False))
    assert (k.kind, k.profiles) == ("desktop", ["desktop"]) and "chassis type 35 (Mini PC)" in k.why
    # a chassis type naming no kind of machine (1, Other) leaves the decision to the battery, the name, the CPU
    k = g.machine_kind(_chassis_machine(tmp_path, 1, battery=False))
    assert k.kind == "laptop" and "XPS 15 9570" in k.why
    assert g.machine_kind(_chassis_machine(tmp_path, None, battery=True)).kind == "laptop"


def test_a_chassis_class_without_its_type_still_says_what_was_seen():
    # a file edited to {"class": "laptop"} alone ended `recommend` in KeyError: 'type'
    m = g.Machine(source="results", label="t", chassis={"class": "laptop"})
    k = g.machine_kind(m)
    assert k.kind == "laptop" and "the DMI chassis class laptop" in k.why
    m = g.Machine(source="results", label="t", chassis={"type": 3, "class": "desktop"})
    assert "the DMI chassis type 3 (unnamed)" in g.machine_kind(m).why


def test_kind_of_recorded_machines(tmp_path):
    laptop = _tree_machine(tmp_path, "laptop-i7-8750h", affinity=12)          # XPS 15 9570, on battery
    k = g.machine_kind(laptop)
    assert (k.kind, k.profiles) == ("laptop", ["laptop"]) and "battery" in k.why
    ec2 = _tree_machine(tmp_path, "aws-graviton2-c6g", affinity=2)           # DMI: Amazon EC2, c6g.large
    k = g.machine_kind(ec2)
    assert (k.kind, k.profiles) == ("cloud-vm", ["cloud"]) and "amazon" in k.why and not k.takes_parts
    gke = _tree_machine(tmp_path, "k8s-xeon-8481c-cgroup2", environ={"KUBERNETES_SERVICE_HOST": "10.96.0.1"})
    k = g.machine_kind(gke)
    assert k.profiles == ["cloud"] and k.container == "kubernetes" and "google" in k.why
    docker = _tree_machine(tmp_path, "docker-v1-ryzen-5800x")                # a container on a Ryzen desktop
    k = g.machine_kind(docker)
    assert k.profiles == ["desktop"] and k.container == "docker" and not k.takes_parts
    vm = probe_machine("probe_vm_2cpu_nogpu.json")                          # docker on an unnamed hypervisor
    k = g.machine_kind(vm)
    assert k.profiles == ["cloud"] and "docker" in k.why


def test_a_cloud_vm_or_container_is_never_told_to_buy_a_gpu_or_disk(tmp_path):
    for m in (probe_machine("probe_vm_2cpu_nogpu.json"), _tree_machine(tmp_path, "aws-graviton2-c6g", affinity=2)):
        kind = g.machine_kind(m)
        verdicts = [g.evaluate(p, m) for p in g.PROFILES]        # even judged by every profile
        kinds = {s["kind"] for s in g.suggestions(verdicts, m, kind=kind)}
        assert "cloud" in kinds and not kinds & {"gpu", "storage", "ssd", "ram", "cpu"}, kinds


def test_wsl2_is_the_users_own_pc_not_a_cloud_vm():
    """WSL2's hypervisor is Hyper-V ("microsoft", like Azure), but its kernel release names WSL: a person's PC."""
    m = g.Machine(source="probe", label="t", virtualization="microsoft", os_system="Linux",
                  os_detail="Ubuntu 22.04.4 LTS 5.15.153.1-microsoft-standard-WSL2", gpus=[])
    k = g.machine_kind(m)
    assert k.kind == "wsl" and k.profiles == ["laptop", "desktop"] and k.takes_nvidia_gpu
    assert check("laptop", "laptop.os", m).status == "pass"      # WSL counts as Linux


def test_a_container_on_a_desktop_is_told_parts_are_for_its_host(tmp_path):
    docker = _tree_machine(tmp_path, "docker-v1-ryzen-5800x")
    kind = g.machine_kind(docker)
    out = g.suggestions([g.evaluate("desktop", docker)], docker, kind=kind)
    parts = [s for s in out if s["kind"] in ("gpu", "ram", "storage", "ssd")]
    assert parts and all("for the host: a docker container takes no parts itself" in s["change"] for s in parts)


def test_an_aws_gpu_vm_is_matched_to_its_price_list_row():
    """AWS writes the instance type into DMI product_name; the probe reports it, the price list has the row."""
    m = g.Machine(source="probe", label="t", virtualization="amazon", cloud_provider="aws", dmi_product="g4dn.xlarge",
                  gpus=[g.GpuUnit("Tesla T4", "tesla-t4", 15 * GIB)], usable_cores=4, ram_bytes=15 * GIB,
                  ram_reported=True, os_system="Linux")
    g.attach_instance(m)
    assert m.instance and m.instance.key == "aws:g4dn.xlarge"
    assert g.machine_kind(m).profiles == ["cloud"]
    assert check("cloud", "cloud.cheapest_provider", m).status in ("pass", "warn")


@pytest.mark.parametrize("text, profiles", [
    (CHROMEBOOK, ["laptop"]),
    (MACBOOK, ["laptop"]),
    ("cpu=i7-8750H,gpu=gtx-1070-max-q,ram=16GB", ["laptop"]),
    (TWO_GPU_SPEC, ["desktop", "diy"]),
    ("gpu=rtx-4090,kind=diy", ["diy"]),
    ("ram=16GB", ["laptop", "desktop", "diy"]),
    ("instance=aws:g4dn.xlarge", ["cloud"]),
])
def test_kind_of_planned_machines(text, profiles):
    assert g.machine_kind(spec(text)).profiles == profiles


def test_planned_machines_the_text_endorses_never_fail():
    """The text's own examples, as --spec: none fails, whatever applies to them."""
    endorsed = [
        CHROMEBOOK,                                                                     # the $249 Chromebook + cloud
        'cpu=i7-8750H,cores=12,ram=16GB,gpu=gtx-1070,disk=1TB,disk_kind=nvme,os=linux',  # an i7 laptop, GTX, 1 TB
        'cpu=i5-8250U,cores=8,ram=16GB,gpu=none,disk=256GB,os=windows',                  # whatever laptop + cloud
        TWO_GPU_SPEC + ",psu=850W,price=2800",                                           # an RTX 2080 Ti desktop
        'gpu=gtx-1070,cpu=i7-9700K,cores=8,ram=16GB,disk=3TB,disk_kind=ssd,os=linux',    # the budget GTX option
        'gpu=rtx-2070,cpu=i7-9700K,cores=8,ram=16GB,disk=3TB,disk_kind=ssd,os=windows,price=2900,ready_made=3400',
        "instance=aws:g4dn.xlarge",                                                     # a rented GPU
    ]
    for text in endorsed:
        m = spec(text)
        for p in g.machine_kind(m).profiles:
            v = g.evaluate(p, m)
            assert v.verdict != "fail", (text, p, [(c.id, c.status, c.why) for c in v.checks if c.status == "fail"])


def test_cooling_is_not_failed_on_a_drop_a_neighbour_explains():
    """The shared-VM case: 3,494 -> 1,898 MHz once, then back. A drop seen once (or in one file's single end
    reading), or seen while the hypervisor stole time or other programs were busy, is unknown, never a fail with
    advice about airflow."""
    once = check("desktop", "desktop.cooling", _cpu_only_run(3494, [1898, 3480, 3470]))
    assert once.status == "unknown" and "1 of 3 readings" in once.why and "not repeatable" in once.why
    single = check("desktop", "desktop.cooling", _cpu_only_run(3494, 1898))
    assert single.status == "unknown" and "one reading" in single.why
    stolen = check("desktop", "desktop.cooling", _cpu_only_run(3494, [1898, 1900, 1910],
                                                               machine={"steal": 0.31, "others": 0.0}))
    assert stolen.status == "unknown" and "steal" in stolen.why and stolen.change is None
    busy = check("desktop", "desktop.cooling", _cpu_only_run(3494, [1898, 1900], machine={"others": 0.45}))
    assert busy.status == "unknown" and "other programs used 45%" in busy.why
    # a start reading slowed by a neighbour (381 MHz, then 2,680-3,250 after load) is no baseline: not a pass
    slowed = check("desktop", "desktop.cooling", _cpu_only_run(381, [2680, 3250, 3100]))
    assert slowed.status == "unknown" and "first reading was slowed" in slowed.why
