"""The one loader of profiles/ data: rows know their line, errors name the file and line."""

from __future__ import annotations

import pytest

from rigbench import data
from rigbench.prices import skypilot
from rigbench.errors import UserError


def test_csv_rows_carry_the_line_an_editor_shows():
    text = "# a comment line\nid,price\n\nrtx-2080-ti,999\n# another\ngtx-1080-ti,699\n"
    rows = data.parse_csv(text, "prices.csv", required=("id", "price"))
    assert [r["id"] for r in rows] == ["rtx-2080-ti", "gtx-1080-ti"]
    assert [r.where for r in rows] == ["prices.csv line 4", "prices.csv line 6"]


def test_csv_short_rows_are_padded_and_long_rows_refused():
    rows = data.parse_csv("a,b,c\n1,2\n", "x.csv")
    assert rows[0].values == {"a": "1", "b": "2", "c": ""}
    with pytest.raises(UserError, match=r"x\.csv line 3: 3 values for 2 columns"):
        data.parse_csv("a,b\n1,2\n1,2,3\n", "x.csv")


def test_csv_short_rows_are_refused_when_the_width_must_match():
    with pytest.raises(UserError, match=r"x\.csv line 2: 2 values for 3 columns"):
        data.parse_csv("a,b,c\n1,2\n", "x.csv", exact_width=True)


def test_a_column_given_twice_is_refused_not_read_as_the_last():
    # a price list with two "price" columns was read with the second one's values, the first lost in silence
    with pytest.raises(UserError, match=r"x\.csv line 2: column\(s\) price given twice in the header"):
        data.parse_csv("# list\nid,price, price\nrtx-3090,1,2\n", "x.csv")
    assert data.repeated_columns(["a", "b", " a", "c", "b"]) == ["a", "b"]


def test_a_skypilot_vms_csv_with_a_column_given_twice_is_refused():
    header = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,Region,Price\n"
    with pytest.raises(UserError, match=r"aws/vms\.csv: column\(s\) Price given twice"):
        skypilot.parse_vms(header + "p3.2xlarge,V100,1,8,61,3.06,us-east-1,9.99\n", "aws/vms.csv")


@pytest.mark.parametrize("cell, kwargs, expected", [
    ("2.5", {}, 2.5), ("0", {}, 0.0), ("7", {"integer": True}, 7), ("", {"optional": True}, None),
])
def test_row_number_reads_a_cell(cell, kwargs, expected):
    row = data.parse_csv(f"n\n{cell}\n" if cell else "n,m\n,1\n", "t.csv")[0]
    got = row.number("n", **kwargs)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("cell, kwargs, fragment", [
    ("", {}, "t.csv line 2: column 'n' is empty; a number is required"),
    ("one", {}, "t.csv line 2: column 'n' is 'one', not a number"),
    ("1.5", {"integer": True}, "column 'n' is '1.5', not a whole number"),
    ("-1", {}, "column 'n' is -1; it must be zero or more"),
    ("nan", {}, "column 'n' is nan, not a finite number"),
    ("1e309", {"positive": "a price is positive"}, "column 'n' is 1e309, not a finite number"),
    ("-inf", {}, "column 'n' is -inf, not a finite number"),
    ("0", {"positive": "a price is positive"}, "column 'n' is 0; a price is positive"),
])
def test_row_number_names_file_line_and_column(cell, kwargs, fragment):
    row = data.parse_csv(f"n,m\n{cell},1\n", "t.csv")[0]
    with pytest.raises(UserError) as exc:
        row.number("n", **kwargs)
    assert fragment in str(exc.value)


def test_csv_missing_column_is_named():
    with pytest.raises(UserError, match="missing column.*price"):
        data.parse_csv("id,name\n", "p.csv", required=("id", "price"))


def test_toml_error_names_file_and_line():
    with pytest.raises(UserError, match=r"laptop\.toml: not valid TOML .*line 2"):
        data.parse_toml('a = 1\nb = = 2\n', "laptop.toml")


def test_every_shipped_profile_loads():
    from importlib import resources

    names = [p.name for p in resources.files(data.PACKAGE).iterdir()]
    assert "gpus.csv" in names and "laptop.toml" in names
    for name in names:
        if name.endswith(".toml"):
            assert isinstance(data.load_toml(name), dict)
        elif name.endswith(".csv"):
            assert len(data.load_csv(name)) > 0


def test_a_missing_profile_is_a_user_error():
    with pytest.raises(UserError, match="missing from this rigbench installation"):
        data.shipped_text("no-such-profile.toml")
