"""Uploaded CSV files: what is read, and a sentence for each way a file can be wrong."""

from __future__ import annotations

import pytest

from integrations.csvio import columns as cols
from integrations.csvio.imports import safe_cell
from integrations.csvio.parse import CSVError, column_keys, parse_csv


def test_it_reads_quoted_multiline_values_and_keeps_line_numbers():
    data = (
        "\ufeffFirst Name,E-mail,Pets\r\n"
        'Ann,ANN@x.com,"Rex, Fido"\r\n'
        "\r\n"
        'Bob,b@x.com,"two\nlines"\r\n'
        "Cy,c@x.com,Tom,,\r\n"  # trailing empty cells from a spreadsheet
    ).encode()
    parsed = parse_csv(data)
    assert [c.key for c in parsed.columns] == ["first_name", "e_mail", "pets"]
    assert [line for line, _ in parsed.rows] == [2, 4, 6]
    assert parsed.rows[0][1] == {"first_name": "Ann", "e_mail": "ANN@x.com", "pets": "Rex, Fido"}
    assert parsed.rows[1][1]["pets"] == "two\nlines"


def test_semicolons_and_utf16_are_read():
    assert parse_csv(b"a;b\n1;2\n").rows[0][1] == {"a": "1", "b": "2"}
    assert parse_csv("name,email\nZoë,z@x.com\n".encode("utf-16")).rows[0][1]["name"] == "Zoë"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "The file is empty."),
        (b"   \n\n", "The file is empty."),
        (b"PK\x03\x04\x00\x00binary", "not a CSV text file"),
        (b"name,city\n\xe9t\xe9,Paris\n", "not UTF-8 text (byte 0xE9 on line 2)"),
        (b"ann@x.com,Ann\nbob@x.com,Bob\n", "looks like data ('ann@x.com')"),
        (b"name,,city\nA,B,C\n", "Column 2 of the header row (line 1) has no name"),
        (b"name,Name\nA,B\n", "names the column 'Name' twice"),
        (b"a,b\n1,2\n1,2,3\n4\n", "Line 3 has 3 values but the header has 2 columns (and 1 more"),
        (b'a,b\n1,"2\n', "Line 2 cannot be read as CSV"),
        (b"a,b\n", "a header row but no rows"),
    ],
)
def test_a_malformed_file_gets_a_clear_sentence(data, words):
    with pytest.raises(CSVError) as info:
        parse_csv(data)
    assert words in str(info.value)


def test_size_and_row_limits():
    with pytest.raises(CSVError, match=r"the limit is 0 MB|limit is"):
        parse_csv(b"a\n" + b"1\n" * 600_000, limit_bytes=1_000_000)
    with pytest.raises(CSVError, match="more than 3 rows"):
        parse_csv(b"a\n1\n2\n3\n4\n", limit_rows=3)


def test_column_keys_are_unique_and_path_safe():
    keys = [c.key for c in column_keys(["Pet.Name", "Pet Name", "1st", "[x]"])]
    assert keys == ["pet_name", "pet_name_2", "c_1st", "x"]


def test_choices_make_mapping_rules_and_refuse_what_cannot_work():
    columns = column_keys(["Email", "Phone", "Pets", "Tags", "Mail 2"])
    choices = cols.suggest(columns, None)
    assert [(c.target, c.transform) for c in choices[:2]] == [("email", "lower"), ("phone", "e164")]
    picked = [
        cols.Choice("email", "email", "lower"),
        cols.Choice("phone", "phone", "e164"),
        cols.Choice("pets", "note"),
        cols.Choice("tags", "tags"),
        cols.Choice("mail_2", ""),
    ]
    built = cols.build(picked, columns)
    assert built["note_columns"] == ["pets"]
    rules = {r["target"]: r for r in built["rules"]}
    assert rules["email"]["transforms"] == [{"name": "trim"}, {"name": "lower"}]
    assert {"name": "split", "sep": ","} in rules["tags"]["transforms"]
    with pytest.raises(ValueError, match="both fill email"):
        cols.build([cols.Choice("email", "email"), cols.Choice("mail_2", "email")], columns)
    with pytest.raises(ValueError, match="email \\(or the phone\\)"):
        cols.build([cols.Choice("pets", "note")], columns)


def test_a_formula_is_neutralised_but_a_phone_is_not():
    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell("+1 555 0100") == "+1 555 0100"
    assert safe_cell("-3") == "-3"
    assert safe_cell("+cmd|x") == "'+cmd|x"
