"""Tests for dbwarden.sql: statement splitting, error locations, non-transactional rules.

The fixtures under ``sql_fixtures/`` are also executed against real databases: SQLite
(always) and PostgreSQL on 127.0.0.1:5432 as user ``postgres`` (skipped when unreachable,
a failure when ``CI`` is set). PostgreSQL runs each piece through the extended protocol
(a prepared statement), which refuses a string holding two commands, so a passing run
proves every piece is exactly one statement.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sqlite3
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dbwarden.errors import SQLSyntaxError
from dbwarden.sql import (
    NON_TRANSACTIONAL,
    Dialect,
    Statement,
    check,
    line_of,
    locate,
    non_transactional,
    split,
)

FIXTURES = Path(__file__).resolve().parents[2] / "sql_fixtures"
DIALECTS: tuple[Dialect, ...] = ("postgresql", "sqlite", "generic")
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def texts(source: str, dialect: Dialect) -> list[str]:
    return [s.text for s in split(source, dialect)]


def read(path: Path) -> str:
    """A fixture's text, byte for byte (CRLF kept)."""
    return path.read_bytes().decode("utf-8")


def fixture_dialects(name: str) -> tuple[Dialect, ...]:
    """pg_* files are PostgreSQL, sqlite_* files SQLite, the rest run everywhere."""
    if name.startswith("pg_"):
        return ("postgresql",)
    if name.startswith("sqlite_"):
        return ("sqlite", "generic")
    return DIALECTS


def check_spans(source: str, statements: tuple[Statement, ...], first_line: int = 1) -> None:
    for s in statements:
        assert s.text
        assert source[s.start : s.start + len(s.text)] == s.text
        assert s.line == first_line + source.count("\n", 0, s.start)
        assert s.text == s.text.strip(" \t\n\r\f\v")


# ---------------------------------------------------------------------------------------
# Splitting rules, table-driven
# ---------------------------------------------------------------------------------------

ALL = DIALECTS
PG_ONLY: tuple[Dialect, ...] = ("postgresql",)
LITE: tuple[Dialect, ...] = ("sqlite", "generic")

SPLIT_CASES: list[tuple[str, tuple[Dialect, ...], str, list[str]]] = [
    # basics
    ("two", ALL, "SELECT 1; SELECT 2;", ["SELECT 1", "SELECT 2"]),
    ("no-final-semicolon", ALL, "SELECT 1;\nSELECT 2", ["SELECT 1", "SELECT 2"]),
    ("empty", ALL, "", []),
    ("blank", ALL, "  \n\t\r\n\f\v ", []),
    ("only-semicolons", ALL, ";;\n; ;", []),
    ("only-comments", ALL, "-- a;\n/* b; */\n-- c", []),
    ("comment-after-last", ALL, "SELECT 1;\n-- done; really\n", ["SELECT 1"]),
    ("leading-comments-dropped", ALL, "-- about;\n/* it */ SELECT 1", ["SELECT 1"]),
    (
        "inner-comments-kept",
        ALL,
        "SELECT /* a; */ 1 -- b;\n + 2;",
        ["SELECT /* a; */ 1 -- b;\n + 2"],
    ),
    (
        "trailing-comment-before-semicolon",
        ALL,
        "SELECT 1 -- why;\n;SELECT 2",
        ["SELECT 1", "SELECT 2"],
    ),
    (
        "trailing-block-comment",
        ALL,
        "SELECT 1 /* x */ ; SELECT 2 /* y */",
        ["SELECT 1", "SELECT 2"],
    ),
    ("trailing-line-comment-at-eof", ALL, "SELECT 1 -- no newline", ["SELECT 1"]),
    ("crlf", ALL, "SELECT 1;\r\nSELECT\r\n2\r\n", ["SELECT 1", "SELECT\r\n2"]),
    ("unicode", ALL, "SELECT 'é;ü' AS ñ; SELECT '；'", ["SELECT 'é;ü' AS ñ", "SELECT '；'"]),
    ("operators-not-comments", ALL, "SELECT 4/2, 5 - -3, 1-1;", ["SELECT 4/2, 5 - -3, 1-1"]),
    ("comment-glued-to-token", ALL, "SELECT 1--x\n;SELECT 2/**/;", ["SELECT 1", "SELECT 2"]),
    # standard strings
    ("string", ALL, "SELECT 'a;b'; SELECT 2", ["SELECT 'a;b'", "SELECT 2"]),
    ("doubled-quote", ALL, "SELECT 'it''s;'; SELECT ''''", ["SELECT 'it''s;'", "SELECT ''''"]),
    ("empty-string", ALL, "SELECT '';SELECT 2", ["SELECT ''", "SELECT 2"]),
    ("adjacent-strings", ALL, "SELECT 'a''b' 'c;'; SELECT 2", ["SELECT 'a''b' 'c;'", "SELECT 2"]),
    ("backslash-is-plain", ALL, "SELECT 'C:\\'; SELECT 2", ["SELECT 'C:\\'", "SELECT 2"]),
    ("newline-in-string", ALL, "SELECT 'a;\n;b'; SELECT 2", ["SELECT 'a;\n;b'", "SELECT 2"]),
    (
        "comment-markers-in-string",
        ALL,
        "SELECT '--;', '/*;'; SELECT 2",
        ["SELECT '--;', '/*;'", "SELECT 2"],
    ),
    # E'' strings (PostgreSQL)
    ("e-string", PG_ONLY, "SELECT E'it\\'s;'; SELECT 2", ["SELECT E'it\\'s;'", "SELECT 2"]),
    ("e-string-lower", PG_ONLY, "select e'a\\\\'; select 2", ["select e'a\\\\'", "select 2"]),
    (
        "e-string-doubled",
        PG_ONLY,
        "SELECT E'a''b\\';'; SELECT 2",
        ["SELECT E'a''b\\';'", "SELECT 2"],
    ),
    ("e-string-first", PG_ONLY, "E'\\';' ; SELECT 2", ["E'\\';'", "SELECT 2"]),
    (
        "e-string-continued",
        PG_ONLY,
        "SELECT E'a'\n  'b\\';c'; SELECT 2",
        ["SELECT E'a'\n  'b\\';c'", "SELECT 2"],
    ),
    (
        "e-string-continued-after-comment",
        PG_ONLY,
        "SELECT E'a'\n-- x\n'\\';'; SELECT 2",
        ["SELECT E'a'\n-- x\n'\\';'", "SELECT 2"],
    ),
    (
        "e-string-not-continued-same-line",
        PG_ONLY,
        "SELECT E'a' 'b\\'; SELECT 2",
        ["SELECT E'a' 'b\\'", "SELECT 2"],
    ),
    (
        "typed-literal-ending-in-e",
        PG_ONLY,
        "SELECT date'2024-01-01', name'C:\\'; SELECT 2",
        ["SELECT date'2024-01-01', name'C:\\'", "SELECT 2"],
    ),
    (
        "unicode-escape-string",
        PG_ONLY,
        "SELECT U&'d\\0061t\\+000061'; SELECT 2",
        ["SELECT U&'d\\0061t\\+000061'", "SELECT 2"],
    ),
    ("e-is-identifier-elsewhere", LITE, "SELECT E'x;'; SELECT 2", ["SELECT E'x;'", "SELECT 2"]),
    (
        "e-backslash-plain-elsewhere",
        LITE,
        "SELECT E'C:\\'; SELECT 2",
        ["SELECT E'C:\\'", "SELECT 2"],
    ),
    # quoted identifiers
    (
        "double-quoted",
        ALL,
        'SELECT "a;b", "x""y;"; SELECT 2',
        ['SELECT "a;b", "x""y;"', "SELECT 2"],
    ),
    ("quote-in-identifier", ALL, 'SELECT "it\'s"; SELECT 2', ['SELECT "it\'s"', "SELECT 2"]),
    (
        "backtick-bracket",
        LITE,
        "SELECT `a;b`, `c``;`, [d;e]; SELECT 2",
        ["SELECT `a;b`, `c``;`, [d;e]", "SELECT 2"],
    ),
    (
        "backtick-bracket-on-pg",
        PG_ONLY,
        "SELECT `a;b`, [c;d]; SELECT 2",
        ["SELECT `a", "b`, [c", "d]", "SELECT 2"],
    ),
    (
        "pg-array-subscript",
        PG_ONLY,
        "SELECT a[1], ARRAY['x;'][1]; SELECT 2",
        ["SELECT a[1], ARRAY['x;'][1]", "SELECT 2"],
    ),
    # comments
    ("quote-in-line-comment", ALL, "SELECT 1; -- it's \"x\n SELECT 2", ["SELECT 1", "SELECT 2"]),
    (
        "quote-in-block-comment",
        ALL,
        "SELECT 1 /* it's; */ + 1; SELECT 2",
        ["SELECT 1 /* it's; */ + 1", "SELECT 2"],
    ),
    (
        "block-comment-stars",
        ALL,
        "SELECT /*** a; **/ 1; /**/ SELECT 2",
        ["SELECT /*** a; **/ 1", "SELECT 2"],
    ),
    (
        "nested-comment-pg",
        PG_ONLY,
        "/* a /* b; */ c; */ SELECT 1; SELECT 2",
        ["SELECT 1", "SELECT 2"],
    ),
    (
        "nested-comment-elsewhere",
        LITE,
        "/* a /* b; */ c; */ SELECT 1; SELECT 2",
        ["c", "*/ SELECT 1", "SELECT 2"],
    ),
    (
        "deeply-nested-comment",
        PG_ONLY,
        "SELECT 1 /* /* /* ; */ ; */ ; */ + 1; SELECT 2",
        ["SELECT 1 /* /* /* ; */ ; */ ; */ + 1", "SELECT 2"],
    ),
    (
        "line-comment-hides-opener",
        ALL,
        "SELECT 1; -- /* not opened\nSELECT 2",
        ["SELECT 1", "SELECT 2"],
    ),
    # dollar quotes
    ("dollar", PG_ONLY, "SELECT $$a;b$$; SELECT 2", ["SELECT $$a;b$$", "SELECT 2"]),
    (
        "dollar-tag",
        PG_ONLY,
        "SELECT $fn$ a; $$;$$ 'x $fn$; SELECT 2",
        ["SELECT $fn$ a; $$;$$ 'x $fn$", "SELECT 2"],
    ),
    (
        "dollar-nested-tags",
        PG_ONLY,
        "SELECT $a$ $b$;$b$ $a$; SELECT 2",
        ["SELECT $a$ $b$;$b$ $a$", "SELECT 2"],
    ),
    (
        "dollar-tag-case-sensitive",
        PG_ONLY,
        "SELECT $t$ ;$T$; $t$; SELECT 2",
        ["SELECT $t$ ;$T$; $t$", "SELECT 2"],
    ),
    (
        "dollar-tag-underscore-unicode",
        PG_ONLY,
        "SELECT $_x1$;$_x1$, $é$;$é$; SELECT 2",
        ["SELECT $_x1$;$_x1$, $é$;$é$", "SELECT 2"],
    ),
    (
        "dollar-tag-prefix-not-close",
        PG_ONLY,
        "SELECT $ab$ $abc$; $ab$; SELECT 2",
        ["SELECT $ab$ $abc$; $ab$", "SELECT 2"],
    ),
    (
        "dollar-comment-markers-inside",
        PG_ONLY,
        "SELECT $$ -- ; /* ' \" $$; SELECT 2",
        ["SELECT $$ -- ; /* ' \" $$", "SELECT 2"],
    ),
    ("parameters", PG_ONLY, "SELECT $1; SELECT $2 + $10", ["SELECT $1", "SELECT $2 + $10"]),
    (
        "parameter-then-dollar",
        PG_ONLY,
        "SELECT $1, $$;$$; SELECT 2",
        ["SELECT $1, $$;$$", "SELECT 2"],
    ),
    (
        "dollar-in-identifier",
        PG_ONLY,
        "SELECT a$b$c, x$$ FROM t; SELECT 2",
        ["SELECT a$b$c, x$$ FROM t", "SELECT 2"],
    ),
    (
        "dollar-means-nothing-elsewhere",
        LITE,
        "SELECT $$a; SELECT 2$$",
        ["SELECT $$a", "SELECT 2$$"],
    ),
    (
        "named-parameters-elsewhere",
        LITE,
        "SELECT $name, :x, @y, ?1; SELECT 2",
        ["SELECT $name, :x, @y, ?1", "SELECT 2"],
    ),
    # PostgreSQL parentheses and BEGIN ATOMIC (psql's rules)
    (
        "pg-rule-parens",
        PG_ONLY,
        "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); NOTIFY b); SELECT 1",
        [
            "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); NOTIFY b)",
            "SELECT 1",
        ],
    ),
    ("parens-elsewhere", LITE, "SELECT (1; 2); SELECT 3", ["SELECT (1", "2)", "SELECT 3"]),
    (
        "pg-stray-close-paren",
        PG_ONLY,
        "SELECT 1); SELECT (2); SELECT 3",
        ["SELECT 1)", "SELECT (2)", "SELECT 3"],
    ),
    ("pg-paren-in-string", PG_ONLY, "SELECT '('; SELECT 2", ["SELECT '('", "SELECT 2"]),
    (
        "pg-begin-atomic",
        PG_ONLY,
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT 3",
        [
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END",
            "SELECT 3",
        ],
    ),
    (
        "pg-begin-atomic-case",
        PG_ONLY,
        "create or replace procedure p() language sql\nbegin atomic\n"
        "  select case when true then 1 else 2 end;\n  select (case 1 when 1 then 2 end);\nend;select 3",
        [
            "create or replace procedure p() language sql\nbegin atomic\n"
            "  select case when true then 1 else 2 end;\n  select (case 1 when 1 then 2 end);\nend",
            "select 3",
        ],
    ),
    (
        "pg-create-comment-or-replace",
        PG_ONLY,
        "CREATE /* c */ OR\n-- x\nREPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END; SELECT 2",
        [
            "CREATE /* c */ OR\n-- x\nREPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END",
            "SELECT 2",
        ],
    ),
    (
        "pg-function-dollar-body",
        PG_ONLY,
        "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; END $$; SELECT 1",
        [
            "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; END $$",
            "SELECT 1",
        ],
    ),
    (
        "pg-function-words-containing-keywords",
        PG_ONLY,
        "CREATE FUNCTION f(beginning int, \"end\" int) RETURNS int LANGUAGE sql RETURN beginning + ending_x; SELECT e'\\';'",
        [
            'CREATE FUNCTION f(beginning int, "end" int) RETURNS int LANGUAGE sql RETURN beginning + ending_x',
            "SELECT e'\\';'",
        ],
    ),
    (
        "pg-transaction-statements",
        PG_ONLY,
        "BEGIN; SELECT 1; END; COMMIT",
        ["BEGIN", "SELECT 1", "END", "COMMIT"],
    ),
    (
        "pg-trigger-is-plain",
        PG_ONLY,
        "CREATE TRIGGER t BEFORE UPDATE ON x FOR EACH ROW EXECUTE FUNCTION f(); SELECT 1",
        ["CREATE TRIGGER t BEFORE UPDATE ON x FOR EACH ROW EXECUTE FUNCTION f()", "SELECT 1"],
    ),
    # SQLite triggers
    (
        "trigger",
        LITE,
        "CREATE TRIGGER t AFTER INSERT ON x BEGIN INSERT INTO y VALUES (1); DELETE FROM z; END; SELECT 1",
        [
            "CREATE TRIGGER t AFTER INSERT ON x BEGIN INSERT INTO y VALUES (1); DELETE FROM z; END",
            "SELECT 1",
        ],
    ),
    (
        "temp-trigger-lowercase",
        LITE,
        "create temp trigger t after insert on x begin select 1; end;\ncreate temporary trigger u after insert on x begin select 2; end",
        [
            "create temp trigger t after insert on x begin select 1; end",
            "create temporary trigger u after insert on x begin select 2; end",
        ],
    ),
    (
        "trigger-case",
        LITE,
        "CREATE TRIGGER t AFTER INSERT ON x WHEN CASE WHEN 1 THEN 1 END BEGIN "
        "UPDATE y SET a = CASE WHEN new.a THEN 1 ELSE CASE 2 WHEN 2 THEN 3 END END; "
        "SELECT CASE 1 WHEN 1 THEN 'END;' END; END; SELECT 9",
        [
            "CREATE TRIGGER t AFTER INSERT ON x WHEN CASE WHEN 1 THEN 1 END BEGIN "
            "UPDATE y SET a = CASE WHEN new.a THEN 1 ELSE CASE 2 WHEN 2 THEN 3 END END; "
            "SELECT CASE 1 WHEN 1 THEN 'END;' END; END",
            "SELECT 9",
        ],
    ),
    (
        "trigger-columns-named-begin-end",
        LITE,
        "CREATE TRIGGER t AFTER INSERT ON x BEGIN UPDATE x SET end = begin WHERE end < begin; "
        "INSERT INTO y (begin, end) VALUES (new.begin, new.end); END; SELECT 1",
        [
            "CREATE TRIGGER t AFTER INSERT ON x BEGIN UPDATE x SET end = begin WHERE end < begin; "
            "INSERT INTO y (begin, end) VALUES (new.begin, new.end); END",
            "SELECT 1",
        ],
    ),
    (
        "trigger-end-comment-semicolon",
        LITE,
        "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END -- done;\n/* x */ ; SELECT 2",
        ["CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END", "SELECT 2"],
    ),
    (
        "trigger-last-without-semicolon",
        LITE,
        "SELECT 0; CREATE TRIGGER IF NOT EXISTS t AFTER INSERT ON x BEGIN SELECT 1; END",
        ["SELECT 0", "CREATE TRIGGER IF NOT EXISTS t AFTER INSERT ON x BEGIN SELECT 1; END"],
    ),
    (
        "trigger-keywords-in-strings-and-comments",
        LITE,
        "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 'end;' /* end; */; -- END;\n SELECT \"end\"; END; SELECT 2",
        [
            "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 'end;' /* end; */; -- END;\n SELECT \"end\"; END",
            "SELECT 2",
        ],
    ),
    (
        "trigger-comment-between-keywords",
        LITE,
        "CREATE /* x */ TEMP\n-- y\nTRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END; SELECT 2",
        ["CREATE /* x */ TEMP\n-- y\nTRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END", "SELECT 2"],
    ),
    (
        "transaction-statements",
        LITE,
        "BEGIN; SELECT 1; END;\nBEGIN TRANSACTION; COMMIT",
        ["BEGIN", "SELECT 1", "END", "BEGIN TRANSACTION", "COMMIT"],
    ),
    (
        "keywords-are-whole-words",
        LITE,
        "CREATE TABLE triggers (begin_at, end_at); CREATE VIEW v AS SELECT 'CREATE TRIGGER x BEGIN'; SELECT 1",
        [
            "CREATE TABLE triggers (begin_at, end_at)",
            "CREATE VIEW v AS SELECT 'CREATE TRIGGER x BEGIN'",
            "SELECT 1",
        ],
    ),
    (
        "trigger-semicolon-before-body",
        LITE,
        "CREATE TRIGGER t AFTER INSERT ON x; SELECT 1",
        ["CREATE TRIGGER t AFTER INSERT ON x", "SELECT 1"],
    ),
]


@pytest.mark.parametrize(
    ("dialect", "source", "expected"),
    [
        pytest.param(d, source, expected, id=f"{name}-{d}")
        for name, dialects, source, expected in SPLIT_CASES
        for d in dialects
    ],
)
def test_split_cases(dialect: Dialect, source: str, expected: list[str]) -> None:
    statements = split(source, dialect)
    assert [s.text for s in statements] == expected
    check_spans(source, statements)


def test_statement_offsets_and_lines() -> None:
    source = "-- header\n\nSELECT 1;  SELECT\n2;\n\n  /* c */ SELECT 3"
    statements = split(source, "sqlite", first_line=10)
    assert statements == (
        Statement("SELECT 1", 11, 12),
        Statement("SELECT\n2", 22, 12),
        Statement("SELECT 3", 43, 15),
    )


def test_first_line_default_is_one() -> None:
    assert [s.line for s in split("\n\nSELECT 1;\nSELECT 2", "generic")] == [3, 4]


def test_statement_first_line() -> None:
    assert Statement("SELECT a,\n  b\nFROM t", 0, 1).first_line == "SELECT a,"
    assert Statement("  \n\n  INSERT INTO t  \n", 0, 1).first_line == "INSERT INTO t"
    long = "SELECT " + "x" * 200
    cut = Statement(long, 0, 1).first_line
    assert len(cut) == 120
    assert cut == long[:119] + "…"
    exact = "S" * 120
    assert Statement(exact, 0, 1).first_line == exact
    assert Statement("", 0, 1).first_line == ""


def test_statement_is_frozen() -> None:
    statement = Statement("SELECT 1", 0, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        statement.text = "x"  # type: ignore[misc, unused-ignore]


# ---------------------------------------------------------------------------------------
# Unterminated tokens
# ---------------------------------------------------------------------------------------

ERROR_CASES: list[tuple[str, tuple[Dialect, ...], str, int, str]] = [
    ("string", ALL, "SELECT 1;\nSELECT 'abc;\nSELECT 2;\n", 2, "unterminated string literal"),
    ("string-escaped-quote-at-end", ALL, "SELECT 'it''", 1, "unterminated string literal"),
    ("identifier", ALL, 'SELECT 1;\n\nSELECT "abc;', 3, 'unterminated quoted identifier "'),
    ("block-comment", ALL, "SELECT 1;\n/* never\nclosed", 2, "unterminated block comment /*"),
    (
        "block-comment-nested",
        PG_ONLY,
        "SELECT 1;\n/* a\n/* b */ c",
        2,
        "comments nest in PostgreSQL",
    ),
    (
        "dollar",
        PG_ONLY,
        "SELECT 1;\nSELECT $body$ x;\n$Body$;",
        2,
        "unterminated dollar quote $body$ opened here; close it with $body$",
    ),
    (
        "dollar-empty-tag",
        PG_ONLY,
        "\n\nDO $$ BEGIN END",
        3,
        "unterminated dollar quote $$ opened here; close it with $$",
    ),
    (
        "e-string",
        PG_ONLY,
        "SELECT 'C:\\';\nSELECT E'C:\\';",
        2,
        "unterminated escape string E'...'",
    ),
    ("e-string-lower", PG_ONLY, "select e'\\'", 1, "a backslash escapes the next character"),
    ("backtick", LITE, "SELECT 1;\nSELECT `a;", 2, "unterminated quoted identifier `"),
    (
        "bracket",
        LITE,
        "SELECT 1;\nSELECT\n[a;",
        3,
        "unterminated quoted identifier [ opened here; close it with ]",
    ),
    (
        "trigger-body",
        LITE,
        "CREATE TRIGGER t AFTER INSERT ON x\nBEGIN\n SELECT 1;",
        2,
        "unterminated trigger body",
    ),
    (
        "trigger-body-open-case",
        LITE,
        "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT CASE 1 WHEN 1 THEN 2; END;",
        1,
        "unterminated trigger body",
    ),
    (
        "string-inside-trigger",
        LITE,
        "CREATE TRIGGER t AFTER INSERT ON x BEGIN\nSELECT 'a; END;",
        2,
        "unterminated string literal",
    ),
    (
        "string-inside-pg-routine",
        PG_ONLY,
        "CREATE FUNCTION f() BEGIN ATOMIC\n\nSELECT 'x",
        3,
        "unterminated string literal",
    ),
]


@pytest.mark.parametrize(
    ("dialect", "source", "line", "fragment"),
    [
        pytest.param(d, source, line, fragment, id=f"{name}-{d}")
        for name, dialects, source, line, fragment in ERROR_CASES
        for d in dialects
    ],
)
def test_unterminated(dialect: Dialect, source: str, line: int, fragment: str) -> None:
    with pytest.raises(SQLSyntaxError) as caught:
        split(source, dialect)
    assert caught.value.line == line
    assert fragment in caught.value.message
    assert "close" in caught.value.message  # every message states the fix


def test_error_carries_path_and_file_line() -> None:
    with pytest.raises(SQLSyntaxError) as caught:
        split(
            "SELECT 1;\n\nSELECT 'x\n\n", "postgresql", path="migrations/0001_x.sql", first_line=7
        )
    error = caught.value
    assert error.line == 9
    assert error.path == Path("migrations/0001_x.sql")
    assert str(error).startswith("migrations/0001_x.sql:9: unterminated string literal")


def test_error_without_path() -> None:
    with pytest.raises(SQLSyntaxError, match=r"^line 1: unterminated quoted identifier"):
        split('"x', "sqlite")


@pytest.mark.parametrize(
    ("source", "dialect"),
    [
        ("SELECT a$b$c;", "postgresql"),  # not a dollar quote
        ("SELECT date'x\\';", "postgresql"),  # not an E'' string: ident then string
        ("/* a /* b */ c", "sqlite"),  # comments do not nest outside PostgreSQL
        ("SELECT E'C:\\';", "sqlite"),
        ("SELECT $$a", "generic"),
        ("CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END", "postgresql"),
    ],
)
def test_not_unterminated(source: str, dialect: Dialect) -> None:
    split(source, dialect)


# ---------------------------------------------------------------------------------------
# line_of and locate
# ---------------------------------------------------------------------------------------


def test_line_of() -> None:
    source = "a\nb\r\nc\n"
    assert [line_of(source, i) for i in range(len(source) + 1)] == [1, 1, 2, 2, 2, 3, 3, 4]
    assert line_of(source, 3, first_line=10) == 11
    assert line_of(source, -5) == 1
    assert line_of(source, 1000) == 4
    assert line_of("", 0) == 1


def test_locate() -> None:
    source = "-- c\nSELECT 1;\nSELECT nope;  \n/* x */ SELECT 3"
    statements = split(source, "postgresql")
    first, second, third = statements
    assert locate(statements, 0) is None  # in the leading comment
    assert locate(statements, first.start) is first
    assert locate(statements, first.start + len(first.text)) is first  # the ';'
    nope = source.index("nope")
    assert locate(statements, nope) is second
    assert locate(statements, source.index("/* x")) is second  # after its text
    assert locate(statements, third.start) is third
    assert locate(statements, len(source)) is third  # "at end of input"
    assert locate(statements, 10**9) is third
    assert locate((), 3) is None


def test_locate_maps_a_postgres_position() -> None:
    # PostgreSQL reports a 1-based character position in the whole script.
    source = "-- ü\nCREATE TABLE t (a int);\nINSERT INTO t VALUES (1, 'ö');\nSELECT bogus FROM t;"
    statements = split(source, "postgresql", first_line=3)
    position = source.index("bogus") + 1
    found = locate(statements, position - 1)
    assert found is not None
    assert found.text == "SELECT bogus FROM t"
    assert found.line == 6
    assert line_of(source, position - 1, first_line=3) == 6


# ---------------------------------------------------------------------------------------
# non_transactional
# ---------------------------------------------------------------------------------------

TX = "transaction control statements are not allowed"

NON_TX_CASES: list[tuple[Dialect, str, str | None]] = [
    ("postgresql", "CREATE INDEX CONCURRENTLY i ON t (a)", "CREATE INDEX CONCURRENTLY cannot run"),
    (
        "postgresql",
        "create unique index concurrently if not exists i on t (a)",
        "CREATE INDEX CONCURRENTLY",
    ),
    (
        "postgresql",
        "CREATE /* x; */ INDEX\n-- y\nCONCURRENTLY i ON t (a)",
        "CREATE INDEX CONCURRENTLY",
    ),
    ("postgresql", 'CREATE INDEX "concurrently" ON t (a)', None),
    ("postgresql", "CREATE INDEX i ON t (a)", None),
    ("postgresql", "DROP INDEX CONCURRENTLY IF EXISTS i", "DROP INDEX CONCURRENTLY"),
    ("postgresql", "DROP INDEX i", None),
    ("postgresql", "REINDEX INDEX CONCURRENTLY i", "REINDEX CONCURRENTLY"),
    ("postgresql", "REINDEX (VERBOSE) TABLE CONCURRENTLY t", "REINDEX CONCURRENTLY"),
    ("postgresql", "REINDEX (CONCURRENTLY) TABLE t", "REINDEX CONCURRENTLY"),
    ("postgresql", "REINDEX (VERBOSE, CONCURRENTLY true) TABLE t", "REINDEX CONCURRENTLY"),
    ("postgresql", "REINDEX (CONCURRENTLY false) TABLE t", None),
    ("postgresql", "REINDEX TABLE t", None),
    ("postgresql", "REINDEX SCHEMA public", "REINDEX SCHEMA, DATABASE and SYSTEM"),
    ("postgresql", "REINDEX DATABASE app", "REINDEX SCHEMA, DATABASE and SYSTEM"),
    ("postgresql", "VACUUM", "VACUUM cannot run"),
    ("postgresql", "vacuum (analyze, verbose) t", "VACUUM cannot run"),
    ("postgresql", "ANALYZE t", None),
    ("postgresql", "CREATE DATABASE app", "CREATE DATABASE"),
    ("postgresql", "DROP DATABASE IF EXISTS app", "DROP DATABASE"),
    ("postgresql", "ALTER DATABASE app SET TABLESPACE fast", "SET TABLESPACE"),
    ("postgresql", "ALTER DATABASE \"app\" SET work_mem = '8MB'", None),
    ("postgresql", "CREATE TABLESPACE fast LOCATION '/ssd'", "CREATE TABLESPACE"),
    ("postgresql", "DROP TABLESPACE fast", "DROP TABLESPACE"),
    ("postgresql", "ALTER TABLESPACE fast RENAME TO faster", None),
    ("postgresql", "ALTER SYSTEM SET work_mem = '4MB'", "ALTER SYSTEM"),
    ("postgresql", "CLUSTER", "CLUSTER without a table name"),
    ("postgresql", "CLUSTER VERBOSE", "CLUSTER without a table name"),
    ("postgresql", "CLUSTER t USING i", None),
    ("postgresql", "DISCARD ALL", "DISCARD ALL"),
    ("postgresql", "DISCARD TEMP", None),
    ("postgresql", "ALTER TABLE p DETACH PARTITION s.p1 CONCURRENTLY", "DETACH PARTITION"),
    ("postgresql", "ALTER TABLE p DETACH PARTITION p1", None),
    ("postgresql", "ALTER TABLE p DETACH PARTITION p1 FINALIZE", None),
    ("postgresql", "CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p", "CREATE SUBSCRIPTION"),
    (
        "postgresql",
        "CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p WITH (connect = false)",
        None,
    ),
    (
        "postgresql",
        "CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p WITH (create_slot = off)",
        None,
    ),
    ("postgresql", "DROP SUBSCRIPTION s", "DROP SUBSCRIPTION"),
    ("postgresql", "ALTER SUBSCRIPTION s REFRESH PUBLICATION", "ALTER SUBSCRIPTION"),
    ("postgresql", "ALTER SUBSCRIPTION s SET PUBLICATION p", "ALTER SUBSCRIPTION"),
    ("postgresql", "ALTER SUBSCRIPTION s SET PUBLICATION p WITH (refresh = false)", None),
    ("postgresql", "ALTER SUBSCRIPTION s DISABLE", None),
    ("postgresql", "ALTER TYPE mood ADD VALUE 'meh'", None),
    ("postgresql", "REFRESH MATERIALIZED VIEW CONCURRENTLY mv", None),
    ("postgresql", "BEGIN", TX),
    ("postgresql", "begin transaction isolation level serializable", TX),
    ("postgresql", "START TRANSACTION", TX),
    ("postgresql", "COMMIT", TX),
    ("postgresql", "COMMIT PREPARED 'x'", TX),
    ("postgresql", "END", TX),
    ("postgresql", "ROLLBACK", TX),
    ("postgresql", "ABORT", TX),
    ("postgresql", "PREPARE TRANSACTION 'x'", TX),
    ("postgresql", "ROLLBACK TO SAVEPOINT a", None),
    ("postgresql", "ROLLBACK WORK TO a", None),
    ("postgresql", "SAVEPOINT a", None),
    ("postgresql", "RELEASE SAVEPOINT a", None),
    ("postgresql", "DO $$ BEGIN COMMIT; END $$", None),
    ("postgresql", "INSERT INTO t VALUES ('VACUUM'), ($$COMMIT$$)", None),
    ("postgresql", '"vacuum"', None),
    ("postgresql", "/* VACUUM */ SELECT 1", None),
    ("postgresql", "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END", None),
    ("postgresql", "PREPARE q AS SELECT 1", None),
    ("sqlite", "VACUUM", "VACUUM cannot run inside a transaction"),
    ("sqlite", "vacuum main", "VACUUM"),
    ("sqlite", "BEGIN", TX),
    ("sqlite", "BEGIN IMMEDIATE TRANSACTION", TX),
    ("sqlite", "COMMIT", TX),
    ("sqlite", "END TRANSACTION", TX),
    ("sqlite", "ROLLBACK", TX),
    ("sqlite", "ROLLBACK TO SAVEPOINT a", None),
    ("sqlite", "ROLLBACK TRANSACTION TO a", None),
    ("sqlite", "SAVEPOINT a", None),
    ("sqlite", "RELEASE a", None),
    ("sqlite", "PRAGMA journal_mode = WAL", "journal_mode"),
    ("sqlite", "pragma main.journal_mode('wal')", "journal_mode"),
    ("sqlite", "PRAGMA journal_mode", None),
    ("sqlite", "PRAGMA foreign_keys = OFF", "foreign_keys is silently ignored"),
    ("sqlite", "PRAGMA foreign_keys", None),
    ("sqlite", "PRAGMA synchronous = NORMAL", "synchronous"),
    ("sqlite", "PRAGMA user_version = 3", None),
    ("sqlite", "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END", None),
    ("sqlite", "INSERT INTO t VALUES ('VACUUM')", None),
    ("sqlite", "[vacuum]", None),
    ("sqlite", "CREATE INDEX CONCURRENTLY ON t (a)", None),
    ("generic", "BEGIN", TX),
    ("generic", "BEGIN TRANSACTION", TX),
    ("generic", "START TRANSACTION", TX),
    ("generic", "COMMIT", TX),
    ("generic", "ROLLBACK", TX),
    ("generic", "ROLLBACK TO SAVEPOINT a", None),
    ("generic", "BEGIN TRY SELECT 1 END TRY", None),
    ("generic", "VACUUM", "VACUUM"),
    ("generic", "CREATE DATABASE x", "DATABASE"),
    ("generic", "CREATE TABLE t (a int)", None),
]


@pytest.mark.parametrize(("dialect", "text", "expected"), NON_TX_CASES)
def test_non_transactional(dialect: Dialect, text: str, expected: str | None) -> None:
    (statement,) = split(text, dialect)
    reason = non_transactional(statement, dialect)
    if expected is None:
        assert reason is None
    else:
        assert reason is not None
        assert expected in reason


def test_non_transactional_rules_are_data() -> None:
    assert set(NON_TRANSACTIONAL) == set(DIALECTS)
    for by_word in NON_TRANSACTIONAL.values():
        for word, rules in by_word.items():
            assert word == word.upper()
            assert rules
            for pattern, reason in rules:
                assert pattern.startswith(word)  # each rule is keyed by its first word
                assert reason
                assert not reason.endswith(".")


def test_non_transactional_reads_only_the_head_of_huge_statements() -> None:
    columns = ", ".join(f"c{i} text DEFAULT 'VACUUM; COMMIT'" for i in range(20_000))
    (statement,) = split(f"CREATE TABLE t ({columns})", "postgresql")
    assert non_transactional(statement, "postgresql") is None
    late = f"ALTER TABLE t {', '.join(['ADD COLUMN x int'] * 50)} DETACH PARTITION p CONCURRENTLY"
    (statement,) = split(late, "postgresql")
    assert non_transactional(statement, "postgresql") is None  # past the tokens it reads


# ---------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------

# file -> (statement count, statement lines), the same in every dialect the file is for
EXPECTED: dict[str, tuple[int, list[int]]] = {
    "comments_everywhere.sql": (4, [5, 9, 10, 16]),
    "crlf_line_endings.sql": (3, [2, 3, 7]),
    "no_trailing_semicolon.sql": (3, [1, 2, 4]),
    "pg_begin_atomic.sql": (5, [2, 4, 10, 17, 18]),
    "pg_concurrently.sql": (6, [3, 4, 5, 6, 7, 8]),
    "pg_do_block.sql": (3, [1, 9, 19]),
    "pg_dollar_function.sql": (4, [2, 14, 19, 21]),
    "pg_e_strings.sql": (7, [2, 3, 4, 5, 8, 9, 10]),
    "pg_enum_and_check.sql": (6, [1, 2, 3, 4, 12, 14]),
    "pg_nested_comments.sql": (3, [4, 8, 9]),
    "pg_nested_tags.sql": (5, [3, 14, 16, 19, 21]),
    "pg_operators_and_params.sql": (7, [2, 3, 4, 5, 6, 7, 8]),
    "pg_rules_parens.sql": (5, [1, 2, 4, 9, 10]),
    "pg_trigger_function.sql": (5, [1, 7, 15, 21, 22]),
    "quoted_identifiers.sql": (5, [1, 2, 3, 4, 5]),
    "sqlite_identifiers.sql": (5, [2, 3, 4, 5, 6]),
    "sqlite_pragmas_and_json.sql": (4, [1, 2, 3, 5]),
    "sqlite_trigger.sql": (9, [1, 2, 4, 11, 15, 23, 24, 25, 26]),
    "sqlite_trigger_case.sql": (5, [2, 3, 5, 22, 23]),
    "strings_with_semicolons.sql": (6, [1, 2, 3, 4, 7, 8]),
    "unicode.sql": (3, [2, 3, 4]),
}

# What the last statement of a fixture returns, on every engine it runs on.
LAST_ROWS: dict[str, list[tuple[object, ...]]] = {
    "comments_everywhere.sql": [(2,)],
    "crlf_line_endings.sql": [("line one\r\nline two; still the string",)],
    "no_trailing_semicolon.sql": [(1,)],
    "quoted_identifiers.sql": [(1, "a")],
    "strings_with_semicolons.sql": [(8,)],
    "unicode.sql": [("crème brûlée; délicieux", "✓; ok")],
    "sqlite_trigger_case.sql": [(1, "long; overtime", 10), (2, "night", 2), (3, "short", -1)],
    "sqlite_pragmas_and_json.sql": [("a;b", "c")],
    "pg_begin_atomic.sql": [(Decimal("3.0"), 1)],
    "pg_dollar_function.sql": [("hello-world", Decimal("12.00"))],
    "pg_e_strings.sql": [
        (
            [
                "it's; fine",
                "tab\there; newline\nend\\",
                "continued; on the next line's",
                "C:\\path\\",
                "it's; also fine",
            ],
        )
    ],
    "pg_nested_comments.sql": [(3,)],
    "pg_nested_tags.sql": [('it\'s; "quoted"$;',)],
    "pg_rules_parens.sql": [(2,)],
}

GOOD = sorted(p.name for p in FIXTURES.glob("*.sql"))
FIXTURE_RUNS = [
    pytest.param(name, d, id=f"{name}-{d}") for name in GOOD for d in fixture_dialects(name)
]


def test_every_fixture_is_pinned() -> None:
    assert len(GOOD) >= 15
    assert set(GOOD) == set(EXPECTED)
    assert set(LAST_ROWS) <= set(GOOD)


def test_crlf_fixture_really_has_crlf() -> None:
    raw = (FIXTURES / "crlf_line_endings.sql").read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n") > 5


@pytest.mark.parametrize(("name", "dialect"), FIXTURE_RUNS)
def test_fixture_splits(name: str, dialect: Dialect) -> None:
    source = read(FIXTURES / name)
    statements = split(source, dialect, path=FIXTURES / name)
    count, lines = EXPECTED[name]
    assert len(statements) == count
    assert [s.line for s in statements] == lines
    check_spans(source, statements)
    # Re-joined, the statements split the same way again.
    again = split(";\n".join(s.text for s in statements), dialect)
    assert [s.text for s in again] == [s.text for s in statements]


def test_fixture_comments_everywhere_texts() -> None:
    source = read(FIXTURES / "comments_everywhere.sql")
    for dialect in DIALECTS:
        assert texts(source, dialect) == [
            "CREATE TABLE tags ( -- trailing comment; after a parenthesis\n"
            "    id integer PRIMARY KEY, /* inline; comment */\n"
            "    name text NOT NULL -- last column; no comma\n)",
            "INSERT INTO tags VALUES (1, 'a')",
            "INSERT INTO tags /* mid; statement */ VALUES (2, 'b')",
            "SELECT /* one */ count(*) -- total;\nFROM tags",
        ]


def test_fixture_sqlite_trigger_texts() -> None:
    statements = split(read(FIXTURES / "sqlite_trigger.sql"), "sqlite")
    assert statements[3].text == (
        "create temp trigger accounts_log after insert on accounts begin\n"
        "    insert into audit values (new.id, 'created; ok');\nend"
    )
    assert statements[4].text == (
        "CREATE TEMPORARY TRIGGER IF NOT EXISTS accounts_cleanup\n"
        "BEFORE DELETE ON accounts\nBEGIN\n"
        "    DELETE FROM audit WHERE account_id = old.id; -- all of its history; gone\nEND"
    )
    assert [s.text for s in statements[5:]] == [
        "BEGIN TRANSACTION",
        "INSERT INTO accounts (id, balance) VALUES (1, 10)",
        "UPDATE accounts SET balance = -5 WHERE id = 1",
        "END",
    ]
    assert [non_transactional(s, "sqlite") is not None for s in statements] == [
        False,
        False,
        False,
        False,
        False,
        True,
        False,
        False,
        True,
    ]


def test_fixture_crlf_texts() -> None:
    statements = split(read(FIXTURES / "crlf_line_endings.sql"), "postgresql")
    assert [s.text for s in statements] == [
        "CREATE TABLE crlf (id integer PRIMARY KEY, note text)",
        "INSERT INTO crlf VALUES (1, 'line one\r\nline two; still the string')",
        "SELECT note\r\nFROM crlf",
    ]
    assert statements[2].first_line == "SELECT note"


def test_fixture_no_trailing_semicolon_texts() -> None:
    source = read(FIXTURES / "no_trailing_semicolon.sql")
    assert not source.endswith((";", "\n"))
    assert texts(source, "sqlite")[-1] == "SELECT id\nFROM t"


def test_fixture_pg_texts() -> None:
    nested = split(read(FIXTURES / "pg_nested_comments.sql"), "postgresql")
    assert nested[1].text == "CREATE UNIQUE INDEX accounts_email_key ON accounts (lower(email))"
    atomic = split(read(FIXTURES / "pg_begin_atomic.sql"), "postgresql")
    assert atomic[1].text.startswith("CREATE FUNCTION order_total")
    assert atomic[1].text.endswith("ELSE qty * price END;\nEND")
    rules = split(read(FIXTURES / "pg_rules_parens.sql"), "postgresql")
    assert rules[2].first_line == "CREATE RULE items_log_insert AS ON INSERT TO items"
    assert rules[2].text.endswith("'insert; again')\n    )")


def test_fixture_pg_concurrently_is_non_transactional() -> None:
    statements = split(read(FIXTURES / "pg_concurrently.sql"), "postgresql")
    reasons = [non_transactional(s, "postgresql") for s in statements]
    assert reasons == [
        None,
        "CREATE INDEX CONCURRENTLY cannot run inside a transaction block",
        "CREATE INDEX CONCURRENTLY cannot run inside a transaction block",
        "REINDEX CONCURRENTLY cannot run inside a transaction block",
        "VACUUM cannot run inside a transaction block",
        "DROP INDEX CONCURRENTLY cannot run inside a transaction block",
    ]


def test_only_the_concurrently_fixture_is_non_transactional_on_pg() -> None:
    for name in GOOD:
        if "postgresql" in fixture_dialects(name) and name != "pg_concurrently.sql":
            for s in split(read(FIXTURES / name), "postgresql"):
                assert non_transactional(s, "postgresql") is None, (name, s.text)


BAD: list[tuple[str, Dialect, int | None, str]] = [
    ("unterminated_string.sql", "postgresql", 4, "unterminated string literal"),
    ("unterminated_string.sql", "sqlite", 4, "unterminated string literal"),
    ("unterminated_identifier.sql", "postgresql", 3, 'unterminated quoted identifier "'),
    ("unterminated_identifier.sql", "generic", 3, 'unterminated quoted identifier "'),
    ("unterminated_block_comment.sql", "postgresql", 2, "unterminated block comment"),
    ("unterminated_block_comment.sql", "sqlite", 2, "unterminated block comment"),
    ("pg_unterminated_dollar.sql", "postgresql", 3, "close it with $body$"),
    ("pg_unterminated_dollar.sql", "sqlite", None, ""),
    ("pg_unterminated_e_string.sql", "postgresql", 3, "unterminated escape string"),
    ("pg_unterminated_e_string.sql", "sqlite", None, ""),
    ("pg_unterminated_nested_comment.sql", "postgresql", 2, "comments nest"),
    ("pg_unterminated_nested_comment.sql", "sqlite", None, ""),
    ("sqlite_unterminated_trigger.sql", "sqlite", 3, "unterminated trigger body"),
    ("sqlite_unterminated_trigger.sql", "postgresql", None, ""),
    ("sqlite_unterminated_backtick.sql", "sqlite", 2, "unterminated quoted identifier `"),
    ("sqlite_unterminated_bracket.sql", "generic", 3, "unterminated quoted identifier ["),
]


@pytest.mark.parametrize(("name", "dialect", "line", "fragment"), BAD)
def test_bad_fixture(name: str, dialect: Dialect, line: int | None, fragment: str) -> None:
    path = FIXTURES / "bad" / name
    source = read(path)
    if line is None:  # fine in this dialect: the token means something else here
        split(source, dialect, path=path)
        return
    with pytest.raises(SQLSyntaxError) as caught:
        split(source, dialect, path=path)
    assert caught.value.line == line
    assert caught.value.path == path
    assert fragment in caught.value.message


def test_every_bad_fixture_is_pinned() -> None:
    assert {p.name for p in (FIXTURES / "bad").glob("*.sql")} == {b[0] for b in BAD}


# -- executing the fixtures ---------------------------------------------------------------

SQLITE_RUNS = [pytest.param(name, id=name) for name in GOOD if "sqlite" in fixture_dialects(name)]
PG_RUNS = [pytest.param(name, id=name) for name in GOOD if "postgresql" in fixture_dialects(name)]


@pytest.mark.parametrize("name", SQLITE_RUNS)
def test_fixture_runs_on_sqlite(name: str) -> None:
    statements = split(read(FIXTURES / name), "sqlite")
    # Autocommit mode, so the fixtures' own BEGIN/END run as written. sqlite3 refuses a
    # string holding two statements, so each piece is exactly one.
    db = sqlite3.connect(":memory:", isolation_level=None)
    try:
        rows: list[Any] = []
        for s in statements:
            rows = db.execute(s.text).fetchall()
    finally:
        db.close()
    if name in LAST_ROWS:
        assert rows == LAST_ROWS[name]


def test_sqlite_non_transactional_matches_sqlite(tmp_path: Path) -> None:
    """What non_transactional flags on SQLite fails or is ignored inside a transaction."""
    db = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    try:
        for text in ("VACUUM", "PRAGMA journal_mode = WAL", "PRAGMA synchronous = OFF"):
            (statement,) = split(text, "sqlite")
            assert non_transactional(statement, "sqlite") is not None
            db.execute("BEGIN")
            with pytest.raises(sqlite3.OperationalError):
                db.execute(text)
            db.execute("ROLLBACK")
        db.execute("BEGIN")
        db.execute("PRAGMA foreign_keys = ON")
        assert db.execute("PRAGMA foreign_keys").fetchone() == (0,)  # silently ignored
        db.execute("ROLLBACK")
    finally:
        db.close()


async def _pg_connect(database: str) -> Any:
    return await asyncpg.connect(**PG, database=database, timeout=5)


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    """A fresh, uniquely named database; dropped afterwards."""
    name = f"dbwarden_sql_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        conn = await _pg_connect("postgres")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        reason = f"PostgreSQL is not reachable at {PG['host']}:{PG['port']}: {exc!r}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield name
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}"'))


@pytest.mark.postgres
@pytest.mark.parametrize("name", PG_RUNS)
def test_fixture_runs_on_postgres(pg_database: str, name: str) -> None:
    statements = split(read(FIXTURES / name), "postgresql")
    schema = "fx_" + name.removesuffix(".sql")

    async def run() -> list[tuple[object, ...]]:
        conn = await _pg_connect(pg_database)
        try:
            await conn.execute(f'CREATE SCHEMA "{schema}"; SET search_path TO "{schema}"')
            rows: list[tuple[object, ...]] = []
            for s in statements:
                # fetch() prepares the text: PostgreSQL rejects two commands in one.
                rows = [tuple(r) for r in await conn.fetch(s.text)]
            return rows
        finally:
            await conn.close()

    rows = asyncio.run(run())
    if name in LAST_ROWS:
        assert rows == LAST_ROWS[name]


PG_LIVE_POSITIVE = [
    "VACUUM",
    "VACUUM (ANALYZE) t",
    "CREATE INDEX CONCURRENTLY i2 ON t (a)",
    "create unique index concurrently if not exists i3 on t (a)",
    "DROP INDEX CONCURRENTLY IF EXISTS i",
    "REINDEX TABLE CONCURRENTLY t",
    "REINDEX (CONCURRENTLY) INDEX i",
    "REINDEX SCHEMA public",
    "CREATE DATABASE never_created",
    "DROP DATABASE IF EXISTS never_created",
    "CREATE TABLESPACE never_created LOCATION '/nonexistent'",
    "DROP TABLESPACE IF EXISTS never_created",
    "ALTER SYSTEM SET work_mem = '4MB'",
    "CLUSTER",
    "DISCARD ALL",
    "ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY",
    "CREATE SUBSCRIPTION s CONNECTION 'dbname=none' PUBLICATION pub",
]
PG_LIVE_NEGATIVE = [
    "ALTER TYPE mood ADD VALUE 'meh'",
    "CREATE INDEX i4 ON t (a)",
    "REINDEX TABLE t",
    "REINDEX (CONCURRENTLY false) TABLE t",
    "CLUSTER t USING i",
    "DISCARD TEMP",
    "ALTER TABLE p DETACH PARTITION p1",
    "CREATE SUBSCRIPTION s CONNECTION 'dbname=none' PUBLICATION pub WITH (connect = false)",
    "REFRESH MATERIALIZED VIEW CONCURRENTLY mv",
]


@pytest.mark.postgres
def test_non_transactional_matches_postgres(pg_database: str) -> None:
    """Each flagged statement really fails in a transaction block; the others run."""

    async def run() -> None:
        conn = await _pg_connect(pg_database)
        try:
            await conn.execute(
                "CREATE SCHEMA ntx; SET search_path TO ntx;"
                "CREATE TABLE t (a int); CREATE INDEX i ON t (a);"
                "CREATE TYPE mood AS ENUM ('ok');"
                "CREATE TABLE p (a int) PARTITION BY RANGE (a);"
                "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);"
                "CREATE MATERIALIZED VIEW mv AS SELECT 1 AS x; CREATE UNIQUE INDEX ON mv (x);"
                "CREATE PUBLICATION pub"
            )
            for text, flagged in [(t, True) for t in PG_LIVE_POSITIVE] + [
                (t, False) for t in PG_LIVE_NEGATIVE
            ]:
                (statement,) = split(text, "postgresql")
                assert (non_transactional(statement, "postgresql") is not None) is flagged, text
                transaction = conn.transaction()
                await transaction.start()
                try:
                    if flagged:
                        with pytest.raises(asyncpg.ActiveSQLTransactionError):
                            await conn.execute(text)
                    else:
                        await conn.execute(text)
                finally:
                    await transaction.rollback()
            await conn.execute("DROP PUBLICATION pub")
        finally:
            await conn.close()

    asyncio.run(run())


# ---------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------

KEYWORDS = ["SELECT", "INSERT", "update", "Delete", "VALUES", "WITH", "ALTER", "drop"]
SPACE = st.sampled_from([" ", "\n", "\t", "  ", "\r\n", " \n "])


def _quoted(open_: str, close: str, parts: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(parts), max_size=6).map(lambda p: open_ + "".join(p) + close)


STRING = _quoted(
    "'", "'", ["a", " ", ";", '"', "''", "\n", "\\", "--", "/*", "*/", "$$", "é", "`", "[", "]"]
)
E_STRING = _quoted("E'", "'", ["a", ";", "\\'", "\\\\", "''", "\n", '"', "$$", "--", "/*", "\\n"])
DQ = _quoted('"', '"', ["a", ";", "'", '""', "\n", "--", "/*", "$$", "\\", " "])
BACKTICK = _quoted("`", "`", ["a", ";", "``", "'", '"', "\n", "--"])
BRACKET = _quoted("[", "]", ["a", ";", "'", '"', "`", "\n", "--", "/*", "["])
IDENT = st.sampled_from(["a", "e", "x1", "_t", "begin", "end", "case", "trigger", "név", "a$b"])
NUMBER = st.integers(0, 10**6).map(str)
OTHER = st.sampled_from(["(1, 2)", "f(x)", "=", "+", "-", "/", "*", ",", "::int", "a.b", "x[1]"])


@st.composite
def dollar_quote(draw: st.DrawFn) -> str:
    tag = draw(st.sampled_from(["", "a", "tag", "x_1", "é"]))
    delim = f"${tag}$"
    parts = ["a", ";", "'", '"', "$", "$$", "$a$", "$b$", "\n", "--", "/*", "E'\\'", "tag"]
    body = "".join(draw(st.lists(st.sampled_from(parts), max_size=6)))
    if (body + delim).find(delim) != len(body):
        body = body.replace("$", "")
    return delim + body + delim


def comment(dialect: Dialect, kinds: tuple[int, ...] = (0, 1, 2)) -> st.SearchStrategy[str]:
    """A line comment (0, with its newline), a block comment (1) or, on PostgreSQL, a nested
    block comment (2); all may hold ; quotes and dollars."""
    parts = ["a", " ", ";", "'", '"', "$$", "`", "[", "*", "/", "--", "/*", "*/"]
    body = st.lists(st.sampled_from(parts), max_size=5).map("".join)

    def build(kind: int, text: str) -> str:
        if kind == 0:
            return "--" + text + "\n"
        flat = text
        while "*/" in flat or "/*" in flat:  # one removal can create another opener/closer
            flat = flat.replace("*/", "").replace("/*", "")
        flat = flat.strip("*/")
        if kind == 1 or dialect != "postgresql":
            return f"/*{flat}*/"
        return f"/* {flat} /*{flat};*/ ; */"

    return st.builds(build, st.sampled_from(kinds), body)


def fragment(dialect: Dialect) -> st.SearchStrategy[str]:
    common = [IDENT, NUMBER, STRING, DQ, OTHER]
    if dialect == "postgresql":
        return st.one_of(*common, E_STRING, dollar_quote())
    return st.one_of(*common, BACKTICK, BRACKET)


def script(dialect: Dialect) -> st.SearchStrategy[tuple[str, list[str]]]:
    """A script and the statement texts it must split into."""
    sep = st.one_of(SPACE, st.builds(lambda a, c, b: a + c + b, SPACE, comment(dialect), SPACE))
    # After an E'' string no newline: PostgreSQL would glue a following string onto it.
    after_e = st.one_of(st.just(" "), comment(dialect, (1, 2)).map(lambda c: f" {c} "))
    frag = fragment(dialect)
    gap = st.one_of(st.just(""), sep)  # between a statement's last token and its ';'
    junk = st.lists(st.one_of(sep, st.just(";")), max_size=3).map("".join)

    @st.composite
    def statement(draw: st.DrawFn) -> str:
        out = draw(st.sampled_from(KEYWORDS))
        previous = ""
        for piece in draw(st.lists(frag, max_size=6)):
            out += draw(after_e if previous.startswith("E'") else sep) + piece
            previous = piece
        return out

    @st.composite
    def build(draw: st.DrawFn) -> tuple[str, list[str]]:
        statements = draw(st.lists(statement(), min_size=1, max_size=5))
        source = draw(sep)
        for i, text in enumerate(statements):
            source += text + draw(gap)
            last = i == len(statements) - 1
            if not last or draw(st.booleans()):
                source += ";" + draw(junk)
            if not last:
                source += draw(sep)
        return source, statements

    return build()


SCRIPTS = {dialect: script(dialect) for dialect in DIALECTS}


def _check_script(dialect: Dialect, generated: tuple[str, list[str]], first_line: int) -> None:
    source, expected = generated
    statements = split(source, dialect, first_line=first_line)
    assert [s.text for s in statements] == expected
    check_spans(source, statements, first_line)
    for s in statements:
        assert locate(statements, s.start) is s
        assert locate(statements, s.start + len(s.text) - 1) is s
    rejoined = ";\n".join(expected)
    assert [s.text for s in split(rejoined, dialect)] == expected


PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


@PROPERTY_SETTINGS
@given(SCRIPTS["postgresql"], st.integers(1, 1000))
def test_property_postgresql(generated: tuple[str, list[str]], first_line: int) -> None:
    _check_script("postgresql", generated, first_line)


@PROPERTY_SETTINGS
@given(SCRIPTS["sqlite"], st.integers(1, 1000))
def test_property_sqlite(generated: tuple[str, list[str]], first_line: int) -> None:
    _check_script("sqlite", generated, first_line)


@PROPERTY_SETTINGS
@given(SCRIPTS["generic"], st.integers(1, 1000))
def test_property_generic(generated: tuple[str, list[str]], first_line: int) -> None:
    _check_script("generic", generated, first_line)


NOISE = st.lists(
    st.sampled_from(
        [*"ab ;'\"`[]$eE\\-/*().\n\ré", "begin", "END", "case", "$$", "$a$", "--", "/*", "*/"]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(
    NOISE,
    st.sampled_from(["", "CREATE TRIGGER t BEGIN ", "CREATE FUNCTION f() BEGIN "]),
    st.sampled_from(DIALECTS),
)
def test_property_any_text_splits_or_fails_cleanly(
    text: str, prefix: str, dialect: Dialect
) -> None:
    source = prefix + text
    line: int | None = 0
    try:
        check_spans(source, split(source, dialect))
    except SQLSyntaxError as error:
        line = error.line
    if line != 0:  # it raised: at a line of the source
        assert line is not None
        assert 1 <= line <= source.count("\n") + 1


# ---------------------------------------------------------------------------------------
# check: the fast validity proof agrees with split
# ---------------------------------------------------------------------------------------


def _agrees(source: str, dialect: Dialect) -> bool:
    """``check`` raises what ``split`` raises, and otherwise tells whether there is a
    statement; returns whether it got there without splitting."""
    try:
        expected = split(source, dialect, path="f.sql", first_line=3)
    except SQLSyntaxError as error:
        raised = (error.line, error.message)
    else:
        raised = None
    if raised is not None:
        with pytest.raises(SQLSyntaxError) as caught:
            check(source, dialect, path="f.sql", first_line=3)
        assert (caught.value.line, caught.value.message) == raised
        return False
    has_statements, statements = check(source, dialect, path="f.sql", first_line=3)
    assert has_statements == bool(expected)
    assert statements is None or statements == expected
    return statements is None


@settings(max_examples=1500, deadline=None)
@given(NOISE, st.sampled_from(DIALECTS))
def test_property_check_agrees_with_split_on_any_text(text: str, dialect: Dialect) -> None:
    _agrees(text, dialect)


@PROPERTY_SETTINGS
@given(st.data(), st.sampled_from(DIALECTS))
def test_property_check_agrees_with_split_on_scripts(data: st.DataObject, dialect: Dialect) -> None:
    source, _ = data.draw(SCRIPTS[dialect])
    _agrees(source, dialect)
    _agrees(source[: data.draw(st.integers(0, len(source)))], dialect)  # cut anywhere


@pytest.mark.parametrize(
    ("dialect", "source"),
    [
        pytest.param(d, source, id=f"{name}-{d}")
        for name, dialects, source, _, _ in ERROR_CASES
        for d in dialects
    ],
)
def test_check_raises_like_split(dialect: Dialect, source: str) -> None:
    assert _agrees(source, dialect) is False


@pytest.mark.parametrize(
    "name", sorted(str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*.sql"))
)
def test_check_agrees_on_fixtures(name: str) -> None:
    for dialect in DIALECTS:
        _agrees(read(FIXTURES / name), dialect)


@pytest.mark.parametrize(
    ("source", "dialect", "has_sql"),
    [
        ("CREATE TABLE t (a text DEFAULT 'x;y');\n-- done\n", "sqlite", True),
        ("-- nothing\n/* at all; */\n;\n", "sqlite", False),
        ("", "postgresql", False),
        ('SELECT "a""b", `c`, [d] FROM t -- x\n', "sqlite", True),
    ],
)
def test_check_proves_ordinary_sql_without_splitting(
    source: str, dialect: Dialect, has_sql: bool
) -> None:
    assert check(source, dialect) == (has_sql, None)


# ---------------------------------------------------------------------------------------
# Timing, by hand: python tests/unit/test_sql.py  (not a test: timings flake on CI)
# ---------------------------------------------------------------------------------------

_TIMING_CHUNK = """-- add the orders table
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'paid', 'shipped')),
    note text, -- free text; may hold ';'
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer_idx ON orders (customer_id, created_at DESC);
INSERT INTO orders (id, customer_id, status, note) VALUES (1, 42, 'paid', 'rush; gift'), (2, 43, 'new', NULL);
UPDATE orders SET status = 'shipped' WHERE id = 1 AND note <> 'it''s late';
/* bulk cleanup */ DELETE FROM orders WHERE created_at < now() - interval '30 days';
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now(); -- keep it fresh
    RETURN NEW;
END;
$$;
"""


def _time_split(megabytes: float = 1.0, repeat: int = 5) -> None:
    """Split ~1 MB of ordinary SQL in each dialect. (The chunk is PostgreSQL: elsewhere its
    $$ body splits into pieces, which changes the count but not what is measured.)"""
    import time

    source = _TIMING_CHUNK * int(megabytes * 1_000_000 / len(_TIMING_CHUNK) + 1)
    for dialect in DIALECTS:
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            statements = split(source, dialect)
            best = min(best, time.perf_counter() - started)
        print(
            f"{dialect:10} {len(source) / 1e6:.2f} MB, {len(statements)} statements: "
            f"split {best * 1000:.1f} ms (best of {repeat})"
        )


if __name__ == "__main__":
    _time_split()
