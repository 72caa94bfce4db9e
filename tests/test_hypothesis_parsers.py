"""Property-based tests (hypothesis) of every parser a person or a file feeds: whatever the input, the command exits 0,
or exits 2 with exactly one line on stderr; never a traceback, never another exit code.

The commands run in this process (``rigbench.cli.main``), so a few hundred inputs per parser take seconds.
"""

from __future__ import annotations

import json
import signal
import string

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from rigbench import signals, units
from rigbench.cli import main
from rigbench.errors import UserError
from rigbench.guidelines import SPEC_KEYS

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def invoke(capsys, monkeypatch, tmp_path):
    """Run ``rigbench ARGS`` in-process: (exit code, stdout, stderr). Signal handlers are restored after."""
    monkeypatch.chdir(tmp_path)     # a run never sees the developer's ./results or per-user results
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))

    def run(*args: str) -> tuple[int, str, str]:
        saved = {s: signal.getsignal(s) for s in signals.STOP_SIGNALS}
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            for s, h in saved.items():
                signal.signal(s, h)
            signals.reset()
        out, err = capsys.readouterr()
        return code, out, err

    return run


def assert_clean(result: tuple[int, str, str]) -> None:
    code, out, err = result
    assert code in (0, 2), (code, err)
    assert "Traceback" not in err
    if code == 2:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("rigbench: error: "), err


# ------------------------------------------------------------------------------------------------ strategies

NUMBERS = st.one_of(
    st.integers(min_value=-10 ** 400, max_value=10 ** 400).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet="0123456789.,eE+-_ $", max_size=40),
    st.sampled_from(["1e308", "-1e308", "1.500,00", "1,5", "nan", "inf", "0x10", "١٢", "½", "9" * 300]),
)
UNITS = st.sampled_from(["", "B", "GB", "GiB", "gb", "TB", "T", "k", "MiB", "PB", "XB", " GB"])
SIZES = st.one_of(st.tuples(NUMBERS, UNITS).map("".join), st.text(max_size=30))
NAMES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["rtx-2080-ti", "RTX 2080 Ti", "2080ti", "a100", "v100", "gtx-1080-ti", "[bold]x", "x[/]",
                     ":smile:", "1080", "0", "-1", "rtx 4090 laptop"]),
    st.integers().map(str),
)
SPEC_VALUES = st.one_of(SIZES, NAMES, NUMBERS, st.sampled_from(["none", "2x rtx-2080-ti", "ssd", "linux", "wsl",
                                                                   "rtx-3090+rtx-3090", "64x a100", "65x a100"]))
SPEC_PARTS = st.tuples(st.one_of(st.sampled_from(sorted(SPEC_KEYS)), st.text(max_size=8)),
                       st.sampled_from(["=", "", "=="]), SPEC_VALUES).map(lambda t: f"{t[0]}{t[1]}{t[2]}")
SPECS = st.one_of(st.lists(SPEC_PARTS, min_size=1, max_size=5).map(",".join), st.text(max_size=60))

JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10 ** 30, max_value=10 ** 30),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=20)


# ------------------------------------------------------------------------------------------------ parsers

@SETTINGS
@given(text=NUMBERS)
def test_parse_number_returns_a_bounded_finite_value_or_one_user_error(text):
    try:
        v = units.parse_number(text, what="--x", lo=0, hi=1e6)
    except UserError as exc:
        assert "\n" not in str(exc)
        return
    assert 0 <= v <= 1e6


@SETTINGS
@given(text=SIZES)
def test_parse_size_is_bounded(text):
    try:
        v = units.parse_size(text, binary=True)
    except UserError as exc:
        assert "\n" not in str(exc)
        return
    assert 0 <= v <= units.MAX_SIZE_BYTES


@SETTINGS
@given(text=NUMBERS)
def test_parse_usd_is_bounded_and_never_misreads_a_decimal_comma(text):
    try:
        v = units.parse_usd(text)
    except UserError:
        return
    assert 0 <= v <= units.MAX_USD
    assert not (text.count(",") == 1 and text.rsplit(",", 1)[1].isdigit() and len(text.rsplit(",", 1)[1]) != 3)


@SETTINGS
@given(size=SIZES)
def test_gpus_min_memory(invoke, size):
    assert_clean(invoke("gpus", "--min-memory", size, "--json"))


@SETTINGS
@given(price=NUMBERS)
def test_gpus_max_price(invoke, price):
    assert_clean(invoke("gpus", "--max-price", price, "--json"))


@SETTINGS
@given(spec=SPECS)
def test_recommend_spec(invoke, spec):
    # a hardware key keeps the probe out: a price-only spec judges this machine (a probe per example)
    assert_clean(invoke("recommend", "--spec", f"os=linux,{spec}", "--profile", "desktop", "--json"))


@SETTINGS
@given(names=st.lists(NAMES, min_size=1, max_size=3))
def test_compare_gpu_names(invoke, names):
    assert_clean(invoke("compare", *names, "--workload", "resnet50", "--json"))


@SETTINGS
@given(hours=NUMBERS, months=NUMBERS, count=NUMBERS)
def test_cost_numbers(invoke, hours, months, count):
    assert_clean(invoke("cost", "--buy", "rtx-2080-ti", "--rent", "aws:p3.2xlarge", "--hours-per-month", hours,
                        "--months", months, "--buy-count", count, "--json"))


PRICE_HEADER = ("provider,instance,gpu_id,gpu_count,vcpus,ram_gb,on_demand_usd_per_hour,spot_usd_per_hour,region,"
                "price_date,source")
CSV_CELLS = st.one_of(NUMBERS, NAMES, st.sampled_from(["2020-01-01", "2099-12-31", "2020-02-30", "", '"a,b"']))


@SETTINGS
@given(rows=st.lists(st.lists(CSV_CELLS, min_size=9, max_size=12), max_size=4), header=st.booleans())
def test_price_csv(invoke, tmp_path, rows, header):
    lines = ([PRICE_HEADER] if header else []) + [",".join(r) for r in rows]
    path = tmp_path / "prices.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    assert_clean(invoke("cost", "--list", "--prices", str(path), "--json"))


@SETTINGS
@given(doc=JSON_VALUES, measurements=st.lists(JSON_VALUES, max_size=3), probe=JSON_VALUES)
def test_results_json(invoke, tmp_path, doc, measurements, probe):
    body = {"schema": "rigbench.results/1", "status": "complete",
            "created_utc": "2026-01-02T03:04:05Z", "probe": probe, "measurements": measurements}
    if isinstance(doc, dict):
        body.update(doc)
    path = tmp_path / "r.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    assert_clean(invoke("recommend", str(path), "--profile", "desktop", "--json"))


@SETTINGS
@given(text=st.text(alphabet=string.printable, max_size=200))
def test_results_file_of_any_text(invoke, tmp_path, text):
    path = tmp_path / "r.json"
    path.write_text(text, encoding="utf-8")
    assert_clean(invoke("recommend", str(path), "--profile", "desktop", "--json"))
