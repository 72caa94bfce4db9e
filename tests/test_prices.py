"""The price list: refreshing it from SkyPilot's catalog format, the user's own list, picking instances with --rent.

The fixture (tests/fixtures/prices/skypilot/<cloud>/vms.csv) holds catalog rows in SkyPilot's layout; see its README
for where each row comes from. No test touches the network: a URL source is read through a stand-in opener.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import urllib.error
from pathlib import Path

import pytest

from conftest import REPO, assert_user_error, run_cli
from rigbench import catalog
from rigbench.prices import cloud as prices, services, skypilot as sk
from rigbench.errors import RunFailed, UserError
from rigbench.files import DATA_DIR_ENV

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "prices" / "skypilot"
READ_DAY = dt.date(2026, 11, 24)        # the day the stored catalog snapshots were read (profiles/cloud_prices.md)
AWS_DATE = dt.date(2026, 1, 21)         # the AWS data's own date (commit date of its snapshot)


@pytest.fixture(autouse=True)
def own_data_dir(tmp_path, monkeypatch):
    """Every test gets an empty per-user data folder, so a real user's list never leaks in."""
    folder = tmp_path / "data"
    monkeypatch.setenv(DATA_DIR_ENV, str(folder))
    return folder


def _fields(i: prices.Instance) -> tuple:
    return (i.key, i.gpu_id, i.gpu_count, i.vcpus, i.ram_gb, i.on_demand_usd_per_hour, i.spot_usd_per_hour, i.region)


# ---------------------------------------------------------------------------------------------- refresh (library)


@pytest.mark.parametrize("cloud, date", [("aws", AWS_DATE), ("gcp", None), ("azure", None), ("lambda", None)])
def test_refresh_on_the_fixture_reproduces_the_shipped_rows(cloud, date):
    shipped = prices.load_shipped_prices()
    result = sk.refresh(str(FIXTURE / cloud / "vms.csv"), shipped, price_date=date, today=READ_DAY)
    want = [i for i in shipped.instances if i.provider == cloud]
    assert [_fields(i) for i in result.refreshed] == [_fields(i) for i in want]
    assert all(i.price_date == (date or READ_DAY) for i in result.refreshed)
    assert {i.date_basis for i in result.refreshed} == {"published" if date else "fetched"}
    assert {i.date_basis for i in want} == {"published" if date else "fetched"}
    # The other clouds are kept as they were.
    assert [i.key for i in result.carried] == [i.key for i in shipped.instances if i.provider != cloud]
    assert not result.missing


def test_cheapest_region_wins_and_ties_go_to_a_us_region():
    result = sk.refresh(str(FIXTURE / "aws" / "vms.csv"), prices.load_shipped_prices(), price_date=AWS_DATE)
    by = {i.name: i for i in result.refreshed}
    # p4d.24xlarge: us-east-2 and us-west-2 list 21.95764, us-east-1 21.957642 (fixture rows).
    assert by["p4d.24xlarge"].region == "us-east-2" and by["p4d.24xlarge"].on_demand_usd_per_hour == 21.95764
    # p5.48xlarge: 55.04 in us-east-1, us-east-1-atl-1, us-east-2, us-west-2: alphabetical among US regions.
    assert by["p5.48xlarge"].region == "us-east-1" and by["p5.48xlarge"].on_demand_usd_per_hour == 55.04


def test_google_cloud_instance_is_host_row_plus_gpu_row():
    """n1-standard-4 (0.19, spot 0.04815) + one T4 (0.35, spot 0.14) = 0.54, spot 0.18815."""
    result = sk.refresh(str(FIXTURE / "gcp" / "vms.csv"), prices.load_shipped_prices())
    t4 = next(i for i in result.refreshed if i.name == "n1-standard-4+t4")
    assert t4.on_demand_usd_per_hour == pytest.approx(0.54) and t4.spot_usd_per_hour == pytest.approx(0.18815)
    assert (t4.vcpus, t4.ram_gb, t4.region) == (4, 15, "us-central1")


def test_whole_folder_refreshes_every_cloud_and_counts_a_missing_instance(tmp_path):
    folder = tmp_path / "v7"
    for cloud in ("aws", "lambda"):
        (folder / cloud).mkdir(parents=True)
        text = (FIXTURE / cloud / "vms.csv").read_text()
        if cloud == "lambda":   # drop one tracked instance from the source
            text = "\n".join(ln for ln in text.splitlines() if not ln.startswith("gpu_8x_a100"))
        (folder / cloud / "vms.csv").write_text(text)
    result = sk.refresh(str(folder), prices.load_shipped_prices(), today=READ_DAY)
    assert {i.provider for i in result.refreshed} == {"aws", "lambda"}
    assert result.missing == ["lambda:gpu_8x_a100"]
    assert {i.provider for i in result.carried} == {"gcp", "azure"}
    assert all(i.date_basis == "fetched" and i.price_date == READ_DAY for i in result.refreshed)


def test_url_source_is_read_through_the_opener_without_network():
    calls = []

    def opener(url):
        calls.append(url)
        cloud = url.rsplit("/", 2)[-2]
        path = FIXTURE / cloud / "vms.csv"
        if not path.is_file():
            raise urllib.error.HTTPError(url, 404, "Not Found", None, None)
        return path.read_bytes()

    result = sk.refresh("https://example.invalid/catalogs/v7", prices.load_shipped_prices(), opener=opener,
                        today=READ_DAY)
    assert calls == [f"https://example.invalid/catalogs/v7/{c}/vms.csv" for c in sk.PROVIDERS]
    assert len(result.refreshed) == len(prices.load_shipped_prices().instances)


def test_network_failure_is_one_clear_error_and_not_bad_input():
    """No network is no fault of the input: one line, exit code 1 (RunFailed, a run that failed on the way), and 2
    stays for bad input."""
    def opener(url):
        raise urllib.error.URLError("no route to host")

    with pytest.raises(RunFailed, match="cannot fetch .*no route to host") as exc:
        sk.refresh("https://example.invalid/v7", prices.load_shipped_prices(), opener=opener)
    assert exc.value.exit_code == 1


def test_a_file_that_is_not_a_catalog_is_refused(tmp_path):
    bad = tmp_path / "aws" / "vms.csv"
    bad.parent.mkdir()
    bad.write_text("name,price\nx,1\n")
    with pytest.raises(UserError, match="not a SkyPilot vms.csv"):
        sk.refresh(str(bad), prices.load_shipped_prices())


# ---------------------------------------------------------------------------------------------- the user's own list


def test_written_list_reads_back_and_is_preferred(own_data_dir):
    assert prices.load_prices().origin == "shipped"
    result = sk.refresh(str(FIXTURE / "aws" / "vms.csv"), prices.load_shipped_prices(), price_date=AWS_DATE)
    prices.write_prices(prices.user_prices_path(), result.instances, ["test"])
    mine = prices.load_prices()
    assert mine.origin == "user" and mine.source == str(own_data_dir / "cloud_prices.csv")
    assert [_fields(i) for i in mine.instances] == [_fields(i) for i in result.instances]
    assert prices.load_shipped_prices().origin == "shipped"


def test_bad_date_basis_is_refused():
    text = prices.prices_csv(prices.load_shipped_prices().instances[:1]).replace(",published", ",guessed")
    with pytest.raises(UserError, match=" line 2: column 'date_basis' is 'guessed'"):
        prices.parse_prices(text, "x.csv")


@pytest.mark.parametrize("gpu_id, refused", [("a100", True), ("v100", True), ("A100-SXM4-40GB", False),
                                             ("NVIDIA A100-SXM4-40GB", False)])
def test_a_family_name_as_gpu_id_is_refused_with_its_line_and_its_cards(gpu_id, refused):
    # 'a100' was priced as a100-sxm4-40gb without a word, where compare and size say which card they took
    header = ",".join(prices.PRICE_COLUMNS)
    text = f"{header}\nt,x1,{gpu_id},1,8,61,3.00,,test-1,2024-01-15,hand-made test row\n"
    if not refused:
        assert prices.parse_prices(text, "x.csv").instances[0].gpu_id == gpu_id
        return
    with pytest.raises(UserError, match=rf"x.csv line 2: column 'gpu_id' is '{gpu_id}', which names \d+ cards \(") as e:
        prices.parse_prices(text, "x.csv")
    assert "a price list names one card" in str(e.value)
    assert all(g.id in str(e.value) for g in catalog.named(gpu_id))


def test_an_instance_of_more_gpus_than_any_cloud_rents_is_refused():
    """gpu_count 100 was priced as one machine; the most one instance has is 16 (AWS p2.16xlarge, 16 K80s). 16 is
    taken, 17 is not, and the shipped list (at most 8 per instance) still loads."""
    header = ",".join(prices.PRICE_COLUMNS)
    row = "t,big,tesla-v100-sxm2-16gb,{n},8,61,3.00,,test-1,2024-01-15,hand-made test row"
    assert prices.parse_prices(f"{header}\n{row.format(n=16)}\n", "x.csv").instances[0].gpu_count == 16
    for n in (17, 100):
        with pytest.raises(UserError, match=f"x.csv line 2: column 'gpu_count' is {n}; one cloud instance has at "
                                            "most 16 GPUs"):
            prices.parse_prices(f"{header}\n{row.format(n=n)}\n", "x.csv")
    shipped = prices.load_shipped_prices().instances
    assert len(shipped) == 26 and max(i.gpu_count for i in shipped) == 8


# ---------------------------------------------------------------------------------------------- --rent selectors


def test_rent_provider_selects_all_its_instances():
    shipped = prices.load_shipped_prices()
    got, selectors = prices.select_instances(["aws"], shipped)
    assert selectors == ["aws"]
    assert [i.key for i in got] == [i.key for i in shipped.instances if i.provider == "aws"]
    assert len(got) == 9


def test_rent_gpu_matches_whole_words_of_the_gpu_id():
    shipped = prices.load_shipped_prices()
    v100, _ = prices.select_instances(["gpu=V100"], shipped)
    assert {i.gpu_id for i in v100} == {"tesla-v100-sxm2-16gb", "tesla-v100-pcie-16gb"}
    assert {i.provider for i in v100} == {"aws", "gcp", "azure", "lambda"}
    a10, _ = prices.select_instances(["gpu=A10"], shipped)
    assert [i.key for i in a10] == ["lambda:gpu_1x_a10"]          # not A100, not A10G
    a100_80, _ = prices.select_instances(["gpu=A100-80GB"], shipped)
    assert [i.key for i in a100_80] == ["azure:NC24ads_A100_v4"]
    with pytest.raises(UserError, match="no instance .* matching 'MI300X'"):
        prices.select_instances(["gpu=MI300X"], shipped)
    # a form factor said without its generation: 'SXM' names sxm2 and sxm4 as 'h100 sxm' names h100-sxm
    sxm, _ = prices.select_instances(["gpu=V100 SXM"], shipped)
    assert {i.gpu_id for i in sxm} == {"tesla-v100-sxm2-16gb"}
    a100_sxm, _ = prices.select_instances(["gpu=A100 SXM"], shipped)
    assert a100_sxm and all("sxm4" in i.gpu_id for i in a100_sxm)
    assert not prices.gpu_matches("a10", "a100-sxm4-40gb") and not prices.gpu_matches("pci", "tesla-v100-pcie-16gb")


def test_selectors_and_names_combine_without_repeats():
    shipped = prices.load_shipped_prices()
    got, _ = prices.select_instances(["aws:p3.2xlarge", "gpu=V100", "aws"], shipped)
    keys = [i.key for i in got]
    assert keys[0] == "aws:p3.2xlarge" and len(keys) == len(set(keys))


@pytest.mark.parametrize("specs, what", [
    (["aws", "AWS"], r"provider aws"),
    (["all", " all"], r"every instance"),
    (["gpu=V100", "gpu=v100"], r"gpu=tesla-v100"),
])
def test_one_selector_given_twice_is_refused(specs, what):
    # overlapping selectors are fine (above); the same one twice is the slip an instance named twice is
    with pytest.raises(UserError, match=rf"^--rent .* are the same selection \({what}"):
        prices.select_instances(specs, prices.load_shipped_prices())


# ---------------------------------------------------------------------------------------------- the shipped list


def test_shipped_list_dates_are_real():
    shipped = prices.load_shipped_prices()
    for i in shipped.instances:
        assert i.date_basis in prices.DATE_BASES
        assert i.price_date <= dt.date.today()
    aws = [i for i in shipped.instances if i.provider == "aws"]
    assert {i.price_date for i in aws} == {AWS_DATE} and {i.date_basis for i in aws} == {"published"}
    # After AWS's June 2025 P4/P5 on-demand cut: 55.04 (was 98.32) and 21.96 (was 32.77) USD/h.
    p5 = prices.resolve_instance("aws:p5.48xlarge", shipped)
    p4d = prices.resolve_instance("aws:p4d.24xlarge", shipped)
    assert p5.on_demand_usd_per_hour == 55.04 and p4d.on_demand_usd_per_hour == 21.95764


def test_services_of_the_guide_are_listed_with_why():
    svc = {s.name: s for s in services.load_services()}
    assert svc["FloydHub"].status == "closed" and "2021" in svc["FloydHub"].why
    tpu = svc["Google Cloud TPUs"]
    assert tpu.status == "not in the list" and "not a GPU" in tpu.why
    assert {"Kaggle Notebooks (kernels)", "Google Colab"} <= set(svc)
    assert all(s.source for s in svc.values())


# ---------------------------------------------------------------------------------------------- the CLI


def _env(folder: Path) -> dict:
    return {DATA_DIR_ENV: str(folder)}


def test_cli_refresh_writes_the_user_list_and_cost_names_it(own_data_dir):
    r = run_cli("prices", "refresh", "--from", str(FIXTURE), "--date", "2026-01-21", env=_env(own_data_dir))
    assert r.code == 0, r.stderr
    assert "Wrote" in r.stdout and (own_data_dir / "cloud_prices.csv").is_file()
    r = run_cli("prices", "list", "--json", env=_env(own_data_dir))
    doc = json.loads(r.stdout)
    assert doc["origin"] == "user" and len(doc["instances"]) == 26
    assert {i["date_basis"] for i in doc["instances"]} == {"published"}
    r = run_cli("cost", "--list", env=_env(own_data_dir))
    assert "your own list" in r.stdout


def test_cli_dry_run_writes_nothing(own_data_dir):
    r = run_cli("prices", "refresh", "--from", str(FIXTURE / "lambda"), "--dry-run", "--json",
                env=_env(own_data_dir))
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["dry_run"] and doc["written"] is None and doc["date_basis"] == "fetched"
    assert not (own_data_dir / "cloud_prices.csv").exists()


def test_cli_bad_inputs_are_one_line_and_keep_the_old_list(own_data_dir, tmp_path):
    own_data_dir.mkdir(parents=True)
    old = own_data_dir / "cloud_prices.csv"
    old.write_text(prices.prices_csv(prices.load_shipped_prices().instances))
    before = old.read_text()
    assert_user_error(run_cli("prices", "refresh", "--from", str(tmp_path / "nope"), env=_env(own_data_dir)),
                      "no such file or folder")
    # a device or a FIFO is there: "no such file" would mislead
    os.mkfifo(tmp_path / "ff")
    for there in ("/dev/zero", str(tmp_path / "ff")):
        assert_user_error(run_cli("prices", "refresh", "--from", there, env=_env(own_data_dir), timeout=60),
                          "is not a regular file or folder")
    assert_user_error(run_cli("prices", "refresh", "--from", str(FIXTURE), "--date", "21/01/2026",
                              env=_env(own_data_dir)), "--date")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_user_error(run_cli("prices", "refresh", "--from", str(empty), env=_env(own_data_dir)),
                      "no cloud's vms.csv there", "nothing written")
    assert old.read_text() == before



def test_a_from_path_that_cannot_be_looked_at_says_so(tmp_path, monkeypatch):
    # "--from X is not a regular file or folder but not readable (Permission denied)": it may be either; EACCES
    # from stat (a folder on the way without search permission; the tests run as root, so os.stat raises it here)
    real = os.stat
    denied = str(tmp_path / "catalogs")

    def stat(path, *args, **kwargs):
        if os.fspath(path) == denied:
            raise PermissionError(13, "Permission denied", denied)
        return real(path, *args, **kwargs)
    monkeypatch.setattr(os, "stat", stat)
    with pytest.raises(UserError) as exc:
        sk.read_source(denied, "aws")
    assert str(exc.value) == f"cannot read {denied}: Permission denied"

def test_cli_refresh_out_says_how_to_use_the_file_and_leaves_the_list_in_use(own_data_dir, tmp_path):
    # with --out it said "`rigbench cost` and `rigbench recommend` now use it" while they kept the shipped list
    out = tmp_path / "lab.csv"
    r = run_cli("prices", "refresh", "--from", str(FIXTURE), "--out", str(out), env=_env(own_data_dir))
    assert r.code == 0, r.stderr
    said = " ".join(r.stdout.split())
    assert f"Wrote {out}: to use it, pass `--prices {out}` to `rigbench cost`" in said and "now use it" not in said
    assert out.is_file() and not (own_data_dir / "cloud_prices.csv").exists()
    assert json.loads(run_cli("prices", "list", "--json", env=_env(own_data_dir)).stdout)["origin"] == "shipped"
    # --out naming the per-user list itself is the default, and says so
    r = run_cli("prices", "refresh", "--from", str(FIXTURE), "--out", str(own_data_dir / "cloud_prices.csv"),
                env=_env(own_data_dir))
    assert "`rigbench cost` and `rigbench recommend` now use it" in " ".join(r.stdout.split())
    assert json.loads(run_cli("prices", "list", "--json", env=_env(own_data_dir)).stdout)["origin"] == "user"


@pytest.mark.parametrize("dry_run", [False, True])
@pytest.mark.parametrize("kept", ["run", "notes", "empty"])
def test_cli_refresh_out_refuses_a_file_that_is_no_price_list_and_leaves_it(own_data_dir, tmp_path, kept, dry_run):
    # `--out run.json` turned a saved benchmark run into a CSV price list, and exited 0
    out = tmp_path / "victim.json"
    run = next((REPO / "results" / "reference").glob("*.json"))
    out.write_bytes({"run": run.read_bytes(), "notes": b"name,value\nimportant,1\n", "empty": b""}[kept])
    before = out.read_bytes()
    r = run_cli("prices", "refresh", "--from", str(FIXTURE / "lambda"), "--out", str(out),
                *(["--dry-run"] if dry_run else []), env=_env(own_data_dir))
    assert_user_error(r, f"--out {out} exists and is not a rigbench price list (", "it is left as it is")
    assert out.read_bytes() == before and [p.name for p in tmp_path.iterdir() if p.name != "data"] == ["victim.json"]


def test_cli_refresh_out_replaces_an_earlier_price_list(own_data_dir, tmp_path):
    out = tmp_path / "lab.csv"
    out.write_text(prices.prices_csv(prices.load_shipped_prices().instances))
    r = run_cli("prices", "refresh", "--from", str(FIXTURE / "lambda"), "--out", str(out), env=_env(own_data_dir))
    assert r.code == 0, r.stderr
    assert out.read_text().startswith("# written by rigbench prices refresh")


@pytest.mark.parametrize("blocker", ["folder at the list", "file at the data folder"])
def test_cli_refresh_names_the_own_list_it_cannot_write_not_an_option_never_given(own_data_dir, blocker):
    # without --out, a folder at the list's name was reported as "--out .../cloud_prices.csv is a directory"
    if blocker == "folder at the list":
        (own_data_dir / "cloud_prices.csv").mkdir(parents=True)
        why = "a directory (a folder) stands there"
    else:
        own_data_dir.parent.mkdir(parents=True, exist_ok=True)
        own_data_dir.write_text("")
        why = f"{own_data_dir} is a file, not a folder"
    for dry_run in ([], ["--dry-run"]):
        r = run_cli("prices", "refresh", "--from", str(FIXTURE / "lambda"), *dry_run, env=_env(own_data_dir))
        assert_user_error(r, f"cannot write your own price list {own_data_dir / 'cloud_prices.csv'}: {why}; move it "
                             f"away (or set {DATA_DIR_ENV} to another folder), or pass --out FILE")
        assert "--out " + str(own_data_dir) not in r.stderr


def test_an_own_list_the_user_may_not_write_is_refused_in_its_own_words(own_data_dir, monkeypatch):
    # the tests run as root, whom access(2) lets write any file: "not writable" is answered at that one call
    own = prices.user_prices_path()
    own.parent.mkdir(parents=True)
    own.write_text("x")
    real = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, *a, **kw: False if os.fspath(path) == str(own) and
                        mode & os.W_OK else real(path, mode, *a, **kw))
    instances = prices.load_shipped_prices().instances
    for dry_run in (True, False):
        with pytest.raises(UserError, match=r"^cannot write your own price list to .*cloud_prices\.csv: Permission "
                                            r"denied .*; choose another --out FILE$"):
            prices.write_prices(None, instances, dry_run=dry_run)
    assert own.read_text() == "x"


def _huge_price_source(tmp_path) -> Path:
    """A catalog folder whose one AWS row prices p3.2xlarge at 9,999,999,999,999 USD/h."""
    header = (FIXTURE / "aws" / "vms.csv").read_text().splitlines()[0]
    (tmp_path / "s_huge" / "aws").mkdir(parents=True)
    (tmp_path / "s_huge" / "aws" / "vms.csv").write_text(
        f"{header}\np3.2xlarge,V100,1.0,8.0,61.0,,9999999999999,,us-east-1,\n")
    return tmp_path / "s_huge"


@pytest.mark.parametrize("dry_run", [True, False])
def test_cli_dry_run_refuses_what_the_real_run_refuses(own_data_dir, tmp_path, dry_run):
    # the dry run showed USD/h 1e+13 and exited 0; the real run refused the list it would write
    out = tmp_path / "x.csv"
    r = run_cli("prices", "refresh", "--from", str(_huge_price_source(tmp_path)), "--out", str(out),
                *(["--dry-run"] if dry_run else []), env=_env(own_data_dir))
    assert_user_error(r, f"nothing written to {out}", "'on_demand_usd_per_hour' is 1e+13",
                      "must be at most 1,000,000,000")
    assert not out.exists()


def test_cli_dry_run_checks_the_path_the_real_run_would_write(own_data_dir, tmp_path):
    assert_user_error(run_cli("prices", "refresh", "--from", str(FIXTURE / "lambda"), "--out", str(tmp_path),
                              "--dry-run", env=_env(own_data_dir)), "is a directory", "regular files only")


def test_cli_refresh_out_naming_a_folder_is_refused(own_data_dir, tmp_path):
    # 'lab2/' was written as the file lab2
    r = run_cli("prices", "refresh", "--from", str(FIXTURE / "lambda"), "--out", "lab2/", cwd=tmp_path,
                env=_env(own_data_dir))
    assert_user_error(r, "--out lab2/ names a folder", "give a file name")
    assert not (tmp_path / "lab2").exists()


def _aws_source(tmp_path, *rows: str) -> Path:
    header = (FIXTURE / "aws" / "vms.csv").read_text().splitlines()[0]
    (tmp_path / "src" / "aws").mkdir(parents=True)
    (tmp_path / "src" / "aws" / "vms.csv").write_text("\n".join([header, *rows]) + "\n")
    return tmp_path / "src"


def test_a_source_with_no_usable_row_says_what_it_found_and_dropped(tmp_path):
    # it said "no tracked instance found in any cloud's vms.csv there (expected aws/vms.csv, ...)" of a folder
    # holding aws/vms.csv
    src = _aws_source(tmp_path, *(f"p3.2xlarge,V100,1.0,8.0,61.0,,{p},,us-east-{n},"
                                  for n, p in enumerate(["-3", "nan", "inf", "0"], 1)),
                      "p3.2xlarge,V100,2.0,8.0,61.0,,3.06,,eu-west-1,",   # p3.2xlarge has 1 GPU, not 2
                      "x9.large,,,8.0,61.0,,3.06,,eu-west-1,")
    with pytest.raises(UserError) as got:
        sk.refresh(str(src), prices.load_shipped_prices())
    assert str(got.value) == (
        f"--from {src}: no tracked instance could be priced; {src}/aws/vms.csv: 6 rows, none usable: 4 without a "
        "positive price, 1 whose GPU count (AcceleratorCount) disagrees with profiles/price_instances.csv, 1 of no "
        "instance profiles/price_instances.csv tracks; nothing written")


def test_a_header_without_rows_and_a_folder_without_files_are_named_as_such(tmp_path):
    with pytest.raises(UserError, match=r"aws/vms.csv: a header and no rows; nothing written"):
        sk.refresh(str(_aws_source(tmp_path)), prices.load_shipped_prices())
    (tmp_path / "none").mkdir()
    with pytest.raises(UserError, match=r"none: no cloud's vms.csv there \(expected aws/vms.csv, gcp/vms.csv"):
        sk.refresh(str(tmp_path / "none"), prices.load_shipped_prices())


def test_google_cloud_rows_that_pair_in_no_zone_are_named(tmp_path):
    # the n1-standard-4 host priced in us-central1-a, its T4 in us-central1-b: no instance of either
    head = (FIXTURE / "gcp" / "vms.csv").read_text().splitlines()[0]
    (tmp_path / "gcp").mkdir()
    (tmp_path / "gcp" / "vms.csv").write_text(
        f"{head}\nn1-standard-4,4.0,15.0,,,,us-central1,us-central1-a,0.19,0.04815\n"
        ",,,T4,1.0,,us-central1,us-central1-b,0.35,0.14\n,,,T4,2.0,,us-central1,us-central1-a,0.70,0.28\n")
    with pytest.raises(UserError, match=r"gcp/vms.csv: 3 rows, none usable: 1 whose GPU count .* 2 of a machine "
                                        r"type or a GPU with no partner row in its zone; nothing written"):
        sk.refresh(str(tmp_path), prices.load_shipped_prices())


@pytest.mark.parametrize("content", ["", "provider,instance\n"])
def test_cli_a_file_outside_a_clouds_folder_is_refused_as_such(own_data_dir, tmp_path, content):
    # an empty file was "no tracked instance found in any cloud's vms.csv there (expected aws/vms.csv, ...)"
    f = tmp_path / "empty.csv"
    f.write_text(content)
    assert_user_error(run_cli("prices", "refresh", "--from", str(f), env=_env(own_data_dir)),
                      "is a file outside a cloud's folder", "give a file there, or the folder holding <cloud>/vms.csv")


def test_cli_refresh_date_before_any_gpu_instance_names_the_option(own_data_dir):
    # it blamed "the new list line 4: column 'price_date'" for the date typed
    r = run_cli("prices", "refresh", "--from", str(FIXTURE / "lambda"), "--date", "2010-01-01", env=_env(own_data_dir))
    assert_user_error(r, "--date 2010-01-01 is before any GPU could be rented (2010-11-15, AWS cg1.4xlarge)")
    assert "line" not in r.stderr
    r = run_cli("prices", "refresh", "--from", str(FIXTURE / "lambda"), "--date", "2010-11-15", "--dry-run",
                env=_env(own_data_dir))
    assert r.code == 0, r.stderr


@pytest.mark.parametrize("out", [False, True])
def test_cli_refresh_rebuilds_an_own_list_it_cannot_read(own_data_dir, out):
    # refresh read the list in use first, for the rows of clouds its source lacks: a corrupt own list stopped the one
    # command that rebuilds it, even with --out naming that same file
    own_data_dir.mkdir(parents=True)
    own = own_data_dir / "cloud_prices.csv"
    own.write_text("garbage\n")
    r = run_cli("prices", "refresh", "--from", str(FIXTURE / "lambda"), *(["--out", str(own)] if out else []),
                env=_env(own_data_dir))
    assert r.code == 0, r.stderr
    assert "Your own list could not be read, so it was not used" in " ".join(r.stdout.split())
    doc = json.loads(run_cli("prices", "list", "--json", env=_env(own_data_dir)).stdout)
    assert doc["origin"] == "user" and len(doc["instances"]) == len(prices.load_shipped_prices().instances)


def test_refresh_keeps_the_shipped_rows_when_the_own_list_cannot_be_read(own_data_dir):
    own_data_dir.mkdir(parents=True)
    (own_data_dir / "cloud_prices.csv").write_text("garbage\n")
    previous, why = prices.load_prices_to_refresh()
    assert previous.origin == "shipped" and "cloud_prices.csv line 1: missing column(s) provider" in why
    (own_data_dir / "cloud_prices.csv").write_text(prices.prices_csv(prices.load_shipped_prices().instances))
    previous, why = prices.load_prices_to_refresh()
    assert previous.origin == "user" and why is None


@pytest.mark.parametrize("args, way_out", [
    (("prices", "list"), "pass --shipped"),
    (("prices",), "'rigbench prices list --shipped'"),
    (("cost", "--buy", "rtx-3090", "--rent", "aws:p3.2xlarge", "--hours-per-month", "10"), "pass --prices FILE"),
    (("recommend", "--instance", "aws:p3.2xlarge"), "delete the file"),
    (("size", "resnet50", "--gpus", "rtx-3090"), "pass --prices FILE")])
def test_an_own_list_that_cannot_be_read_says_whose_it_is_and_the_ways_out(own_data_dir, args, way_out):
    # the error named only the file and its line: not that rigbench wrote it, nor how to get going again
    own_data_dir.mkdir(parents=True)
    own = own_data_dir / "cloud_prices.csv"
    own.write_text("garbage\n")
    assert_user_error(run_cli(*args, env=_env(own_data_dir)), "cloud_prices.csv line 1: missing column(s) provider",
                      "it is your own price list, written by 'rigbench prices refresh': run that again to rebuild it",
                      "delete the file to go back to the shipped list", way_out)
    assert own.read_text() == "garbage\n"


def test_an_own_list_that_is_a_link_to_no_list_points_to_the_link_not_to_a_refresh(own_data_dir, tmp_path):
    # "run that again to rebuild it": the refresh then refused to write through the link
    own_data_dir.mkdir(parents=True)
    target = tmp_path / "notes.txt"
    target.write_text("garbage\n")
    (own_data_dir / "cloud_prices.csv").symlink_to(target)
    r = run_cli("prices", "list", env=_env(own_data_dir))
    assert_user_error(r, "it is your own price list, written by 'rigbench prices refresh': move the symbolic link ",
                      "cloud_prices.csv away (then 'rigbench prices refresh' writes a new list, or the shipped one is "
                      "used) or pass --shipped")
    assert "run that again" not in r.stderr and target.read_text() == "garbage\n"


@pytest.mark.parametrize("label", ["x\n# y", "a\tb", "a\rb", "a\u2028b"])
@pytest.mark.parametrize("dry_run", [False, True])
def test_cli_refresh_refuses_a_label_with_a_control_character_up_front(own_data_dir, tmp_path, label, dry_run):
    # the label is every row's source column: a line break split each row in two, and the error came from reading
    # the finished list back, as "rt.csv line 4: 11 values for 12 columns", naming a file never written
    out = tmp_path / "rt.csv"
    r = run_cli("prices", "refresh", "--from", str(FIXTURE), "--out", str(out), "--label", label,
                *(["--dry-run"] if dry_run else []), env=_env(own_data_dir))
    assert_user_error(r, "--label", "holds a control character", "one line of text")
    assert "rt.csv" not in r.stderr and not out.exists()


def test_a_source_path_with_a_line_break_is_named_escaped_and_the_list_reads_back(tmp_path):
    folder = tmp_path / "cat\nx"
    (folder / "lambda").mkdir(parents=True)
    (folder / "lambda" / "vms.csv").write_bytes((FIXTURE / "lambda" / "vms.csv").read_bytes())
    result = sk.refresh(str(folder), prices.load_shipped_prices())
    out = prices.write_prices(tmp_path / "p.csv", result.instances, [f"written from {folder}"])
    assert "cat\\nx" in out.read_text().splitlines()[0]
    back = prices.load_prices(out)
    assert {i.source for i in back.instances if i.provider == "lambda"} == {
        f"SkyPilot catalog {tmp_path}/cat\\nx/lambda/vms.csv"}


def test_a_list_that_would_not_read_back_is_not_written_nor_named_as_the_file(tmp_path):
    import dataclasses

    # a quoted value may span lines, but one of its lines that starts with '#' is read as a comment
    inst = dataclasses.replace(prices.load_shipped_prices().instances[0], region="us\n# east")
    with pytest.raises(UserError, match=r"nothing written to .*p\.csv: the new price list would not read back "
                                        r"\(the new list line "):
        prices.write_prices(tmp_path / "p.csv", [inst])
    assert not (tmp_path / "p.csv").exists()


def test_cli_prices_help_teaches():
    r = run_cli("prices", "refresh", "--help")
    assert r.code == 0 and "rigbench prices refresh --from" in r.stdout and "--date" in r.stdout


def test_recommend_names_the_users_list(own_data_dir):
    r = run_cli("prices", "refresh", "--from", str(FIXTURE / "lambda"), env=_env(own_data_dir))
    assert r.code == 0, r.stderr
    r = run_cli("recommend", "--instance", "aws:p3.2xlarge", "--profile", "cloud", "--json", env=_env(own_data_dir))
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["providers"]["price_list_source"] == "your own"


def test_git_checkout_dates_each_cloud_by_its_commit(tmp_path):
    """A clone of the catalog dates each file by its last commit (published), without --date."""
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed: the commit date cannot be read")
    repo = tmp_path / "catalog"
    (repo / "catalogs" / "v7" / "lambda").mkdir(parents=True)
    (repo / "catalogs" / "v7" / "lambda" / "vms.csv").write_text((FIXTURE / "lambda" / "vms.csv").read_text())
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "GIT_AUTHOR_DATE": "2026-03-04T12:00:00Z", "GIT_COMMITTER_DATE": "2026-03-04T12:00:00Z", "HOME": str(tmp_path)}
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-qm", "catalog"]):
        subprocess.run(["git", "-C", str(repo), *cmd], check=True, env=env)
    result = sk.refresh(str(repo / "catalogs" / "v7"), prices.load_shipped_prices(), today=READ_DAY)
    assert result.dates == {"lambda": (dt.date(2026, 3, 4), "published")}
    assert all(i.price_date == dt.date(2026, 3, 4) and i.date_basis == "published" for i in result.refreshed)
    assert "commit date 2026-03-04" in result.refreshed[0].source


def test_prices_without_a_subcommand_lists(own_data_dir):
    r = run_cli("prices", env=_env(own_data_dir))
    assert r.code == 0, r.stderr
    assert "aws:p5.48xlarge" in r.stdout and "FloydHub" in r.stdout and "the list shipped with rigbench" in r.stdout


def test_a_run_is_billed_in_whole_increments_and_never_under_the_minimum():
    from rigbench.prices.extras import load_extras

    facts = load_extras()
    aws, lam = facts["aws"], facts["lambda"]
    assert (aws.increment_s, aws.minimum_s, lam.increment_s, lam.minimum_s) == (1, 60, 60, 60)
    assert aws.billed_hours(0.013 / 3600) * 3600 == pytest.approx(60)        # AWS: 60 s at least
    assert aws.billed_hours(100.2 / 3600) * 3600 == pytest.approx(101)       # then whole seconds
    assert lam.billed_hours(61 / 3600) * 3600 == pytest.approx(120)          # Lambda: whole minutes
    assert lam.billed_hours(2.0) == pytest.approx(2.0)                       # an exact number of them stays


def test_every_command_that_shows_a_price_says_when_the_list_is_old():
    """cost and size warned of a list past the ownership profile's 180 days; prices list and recommend showed the same
    prices in silence. The shipped list is dated 2026-01-21: past that limit from 2026-07-21 on."""
    shipped = prices.load_shipped_prices()
    age = (dt.date.today() - shipped.date).days
    assert age > 180, "the shipped list is past the limit from 2026-07-21 on"
    said = f"prices are {age} days old (list dated {shipped.date}): "
    listed = run_cli("prices", "list", "--shipped", "--json")
    assert listed.json()["warnings"] == [said + "run 'rigbench prices refresh' or pass --prices FILE"]
    assert f"WARNING: {said}" in " ".join(run_cli("prices", "list", "--shipped").stdout.split())
    rec = run_cli("recommend", "--instance", "aws:g4dn.xlarge", "--json").json()
    assert rec["warnings"] == [said + "run 'rigbench prices refresh'"]        # recommend takes no --prices
    assert prices.stale_warning(shipped, age) is None and prices.stale_warning(shipped, age - 1) is not None


def test_a_missing_spot_price_says_why():
    """The dated AWS source has no spot prices (profiles/cloud_prices.md): a null spot price carries why."""
    doc = run_cli("prices", "list", "--shipped", "--json").json()
    aws = [i for i in doc["instances"] if i["name"].startswith("aws:")]
    assert aws and all(i["spot_usd_per_hour"] is None for i in aws)
    assert all(i["spot_missing"] == "the source published no spot price for it" for i in aws)
    assert all("spot_missing" not in i for i in doc["instances"] if i["spot_usd_per_hour"] is not None)
