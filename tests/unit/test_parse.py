from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dbwarden.errors import (
    EmptySectionError,
    EncodingError,
    InvalidNameError,
    MarkerError,
    SQLSyntaxError,
)
from dbwarden.model import Kind
from dbwarden.parse import decode, parse_name, parse_text

GOOD = """-- create the users table
-- dbwarden: no-transaction
-- upgrade
CREATE TABLE users (id integer PRIMARY KEY);
CREATE INDEX users_id ON users (id);

-- rollback
DROP TABLE users;
"""


def test_parse_good_file() -> None:
    f = parse_text(GOOD, "0001_create_users.sql", "postgresql")
    assert f.kind is Kind.VERSIONED
    assert f.version == "1"
    assert f.slug == "create_users"
    assert f.name == "0001_create_users"
    assert f.no_transaction
    assert not f.irreversible
    assert [s.text for s in f.upgrade.statements] == [
        "CREATE TABLE users (id integer PRIMARY KEY)",
        "CREATE INDEX users_id ON users (id)",
    ]
    assert [s.line for s in f.upgrade.statements] == [4, 5]
    assert f.rollback is not None
    assert [s.line for s in f.rollback.statements] == [8]
    assert f.checksum.startswith("sha256:")
    assert f.rollback_checksum != f.checksum


@pytest.mark.parametrize(
    ("name", "kind", "version", "slug"),
    [
        ("0001_init.sql", Kind.VERSIONED, "1", "init"),
        ("2_second.sql", Kind.VERSIONED, "2", "second"),
        ("20261122021800_ts.sql", Kind.VERSIONED, "20261122021800", "ts"),
        ("primary__0003_x.sql", Kind.VERSIONED, "3", "x"),
        ("RA__refresh_views.sql", Kind.RUNS_ALWAYS, None, "refresh_views"),
        ("ROC__audit.sql", Kind.RUNS_ON_CHANGE, None, "audit"),
        ("R__audit.sql", Kind.RUNS_ON_CHANGE, None, "audit"),
    ],
)
def test_names(name: str, kind: Kind, version: str | None, slug: str) -> None:
    parsed = parse_name(name, database="primary")
    assert (parsed.kind, parsed.version, parsed.slug) == (kind, version, slug)


@pytest.mark.parametrize(
    "name",
    [
        "create_users.sql",
        "0001.sql",
        "0001-create.sql",
        "V1__x.sql",
        "0001_bad-slug.sql",
        "ra__x.sql",
    ],
)
def test_bad_names(name: str) -> None:
    with pytest.raises(InvalidNameError) as info:
        parse_name(name)
    assert "<version>_<slug>.sql" in str(info.value)


def test_name_for_another_database() -> None:
    with pytest.raises(InvalidNameError, match="database 'other'"):
        parse_name("other__0001_x.sql", database="primary")


def test_markers_are_case_insensitive_whole_lines() -> None:
    f = parse_text("--UPGRADE\nSELECT 1;\n  --   Rollback  \nSELECT 2;\n", "1_a.sql", "sqlite")
    assert f.upgrade.statements[0].text == "SELECT 1"
    assert f.rollback is not None and f.rollback.statements[0].text == "SELECT 2"


def test_marker_inside_a_line_is_not_a_marker() -> None:
    with pytest.raises(MarkerError):
        parse_text("SELECT 1; -- upgrade\n", "1_a.sql", "sqlite")


def _error(text: str, name: str = "0001_a.sql", dialect: str = "postgresql") -> Exception:
    with pytest.raises(Exception) as info:
        parse_text(text, name, dialect)  # type: ignore[arg-type]
    return info.value


@pytest.mark.parametrize(
    ("text", "error", "line", "words"),
    [
        ("CREATE TABLE a (id int);\n", MarkerError, 1, "SQL before the `-- upgrade`"),
        ("-- only a comment\n", MarkerError, 1, "no `-- upgrade` marker"),
        ("-- upgrade\nSELECT 1;\n", MarkerError, 1, "no `-- rollback` section"),
        ("-- upgrade\n\n-- just words\n-- rollback\nSELECT 1;\n", EmptySectionError, 1, "no SQL"),
        ("-- upgrade\nSELECT 1;\n-- upgrade\n-- rollback\n", MarkerError, 3, "second `-- upgrade`"),
        ("-- rollback\nSELECT 1;\n-- upgrade\nSELECT 1;\n", MarkerError, 1, "before `-- upgrade`"),
        (
            "-- dbwarden: sometimes\n-- upgrade\nSELECT 1;\n-- rollback\n",
            MarkerError,
            1,
            "unknown directive",
        ),
        (
            "-- upgrade\n-- dbwarden: irreversible\nSELECT 1;\n",
            MarkerError,
            2,
            "belong in the header",
        ),
        (
            "-- dbwarden: irreversible\n-- upgrade\nSELECT 1;\n-- rollback\nSELECT 2;\n",
            MarkerError,
            4,
            "irreversible",
        ),
        ("-- upgrade\nSELECT 'abc;\n-- rollback\nSELECT 1;\n", SQLSyntaxError, 2, "unterminated"),
        ('-- upgrade\nSELECT 1;\n-- rollback\nSELECT "abc;\n', SQLSyntaxError, 4, "unterminated"),
        (
            "-- upgrade\nSELECT 1;\n/* open\n-- rollback\nSELECT 1;\n",
            SQLSyntaxError,
            3,
            "unterminated",
        ),
        ("-- upgrade\nDO $body$ BEGIN END;\n-- rollback\nSELECT 1;\n", SQLSyntaxError, 2, "$body$"),
        (
            "-- dbwarden: env=moon\n-- upgrade\nSELECT 1;\n-- rollback\n",
            MarkerError,
            1,
            "unknown environment",
        ),
    ],
)
def test_malformed_files_name_file_and_line(
    text: str, error: type[Exception], line: int, words: str
) -> None:
    exc = _error(text)
    assert isinstance(exc, error), exc
    assert exc.line == line  # type: ignore[attr-defined]
    assert str(exc).startswith("0001_a.sql:"), str(exc)
    assert words in str(exc)


def test_irreversible_without_rollback_is_fine() -> None:
    f = parse_text("-- dbwarden: irreversible\n-- upgrade\nDROP TABLE old;\n", "2_b.sql", "sqlite")
    assert f.irreversible and f.rollback is None


def test_repeatable_needs_no_rollback() -> None:
    f = parse_text("-- upgrade\nSELECT 1;\n", "RA__x.sql", "sqlite")
    assert f.kind is Kind.RUNS_ALWAYS and f.rollback is None


def test_empty_rollback_section_is_an_explicit_no_op() -> None:
    f = parse_text("-- upgrade\nUPDATE t SET a = 1;\n-- rollback\n", "3_c.sql", "sqlite")
    assert f.rollback is not None and f.rollback.statements == ()


def test_directives_combined() -> None:
    f = parse_text(
        "-- dbwarden: no-transaction, postgres-only\n-- dbwarden: env=development,test\n"
        "-- upgrade\nSELECT 1;\n-- rollback\n",
        "4_d.sql",
        "postgresql",
    )
    assert f.directives == ("no-transaction", "postgres-only", "env=development,test")


def test_decode_rejects_non_utf8_with_line() -> None:
    with pytest.raises(EncodingError) as info:
        decode(b"-- upgrade\nSELECT 'caf\xe9';\n", "5_e.sql")
    assert info.value.line == 2
    assert "UTF-8" in str(info.value)


def test_decode_strips_bom_and_crlf() -> None:
    assert decode(b"\xef\xbb\xbf-- upgrade\r\nSELECT 1;\r\n", "x.sql") == "-- upgrade\nSELECT 1;\n"


def test_crlf_file_has_same_checksum_and_lines() -> None:
    unix = "-- upgrade\nSELECT 1;\n-- rollback\nSELECT 2;\n"
    a = parse_text(unix, "1_a.sql", "sqlite")
    b = parse_text(decode(unix.replace("\n", "\r\n").encode(), "1_a.sql"), "1_a.sql", "sqlite")
    assert a.checksum == b.checksum
    assert a.upgrade.statements[0].line == b.upgrade.statements[0].line == 2


# --- sections cut out by offsets agree with a line-by-line reading -------------------------

LINES = st.sampled_from(
    [
        "-- upgrade",
        "  --  UPGRADE  ",
        "-- rollback",
        "\t-- Rollback",
        "-- dbwarden: irreversible",
        "-- a comment",
        "",
        "   ",
        "SELECT 1;",
        "SELECT 'x -- upgrade';",
        "x -- rollback",
        "CREATE TABLE t (a int); -- upgrade",
    ]
)


def _reference(lines: list[str]) -> tuple[str, int, str | None, int | None] | int:
    """The sections of a file read line by line (text and first line), or the line of the
    first marker error: what parse_text must find by its offsets."""
    marker = re.compile(r"^[ \t]*--[ \t]*(upgrade|rollback)[ \t]*$", re.IGNORECASE)
    up = down = None
    for i, line in enumerate(lines):
        m = marker.match(line)
        directive = line.startswith("-- dbwarden:")
        if m and m[1].lower() == "upgrade":
            if up is not None:
                return i + 1
            up = i
        elif m:
            if up is None or down is not None:
                return i + 1
            down = i
        elif (directive and up is not None) or (
            up is None and line.strip() and not line.strip().startswith("--")
        ):
            return i + 1
    if up is None:
        return -1
    end = down if down is not None else len(lines)
    rollback = "\n".join(lines[down + 1 :]) if down is not None else None
    return (
        "\n".join(lines[up + 1 : end]),
        up + 2,
        rollback,
        (down + 2 if down is not None else None),
    )


@settings(max_examples=600, deadline=None)
@given(st.lists(LINES, max_size=12), st.booleans())
def test_property_sections_match_a_line_by_line_reading(lines: list[str], newline: bool) -> None:
    text = "\n".join(lines) + ("\n" if newline else "")
    expected = _reference(text.split("\n"))
    try:
        f = parse_text(text, "0001_a.sql", "sqlite")
    except (MarkerError, EmptySectionError) as exc:
        failure: Exception | None = exc
    else:
        failure = None
    if failure is not None:
        if isinstance(expected, int):
            assert expected == -1 or getattr(failure, "line", None) == expected
        else:  # markers fine: an empty section, or the rollback rules
            assert (
                isinstance(failure, EmptySectionError)
                or expected[2] is None
                or ("irreversible" in text)
            )
        return
    assert not isinstance(expected, int), expected
    up_text, up_line, down_text, down_line = expected
    assert (f.upgrade.text, f.upgrade.first_line) == (up_text, up_line)
    if f.rollback is not None:
        assert (f.rollback.text, f.rollback.first_line) == (down_text, down_line)
    else:
        assert down_text is None


def test_statements_are_split_on_first_use() -> None:
    f = parse_text(GOOD, "0001_create_users.sql", "sqlite")
    assert f.upgrade.presplit is None  # proved well formed, not split yet
    statements = f.upgrade.statements
    assert statements is f.upgrade.statements  # split once, then kept
    assert [s.line for s in statements] == [4, 5]
    assert f.upgrade == parse_text(GOOD, "0001_create_users.sql", "sqlite").upgrade
