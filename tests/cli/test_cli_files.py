"""Every bad input of the files layer, through the CLI: exit 2, the file named, and the
database not touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from .cli_helpers import Invoke, Project, data, flat, make_project, tables

OK = "-- fine\n-- upgrade\nCREATE TABLE fine (id integer);\n-- rollback\nDROP TABLE fine;\n"

CASES: dict[str, tuple[dict[str, str | bytes], str, int | None]] = {
    # case: ({file name: content}, the file the error names, its line or None)
    "not a migration name": ({"create_users.sql": OK}, "create_users.sql", None),
    "dashed slug": ({"0002_add-index.sql": OK}, "0002_add-index.sql", None),
    "two files, one version": (
        {"0002_a.sql": OK, "002_b.sql": OK.replace("fine", "fine2")},
        "002_b.sql",
        None,
    ),
    "missing upgrade marker": (
        {"0002_x.sql": "-- header\nCREATE TABLE x (id integer);\n"},
        "0002_x.sql",
        2,
    ),
    "missing rollback": (
        {"0002_x.sql": "-- header\n-- upgrade\nCREATE TABLE x (id integer);\n"},
        "0002_x.sql",
        2,
    ),
    "empty upgrade section": (
        {"0002_x.sql": "-- header\n-- upgrade\n-- nothing here\n\n-- rollback\nSELECT 1;\n"},
        "0002_x.sql",
        2,
    ),
    "not UTF-8": (
        {"0002_x.sql": b"-- upgrade\nINSERT INTO t VALUES ('caf\xe9');\n-- rollback\nSELECT 1;\n"},
        "0002_x.sql",
        2,
    ),
    "unterminated string": (
        {"0002_x.sql": "-- upgrade\nSELECT 1;\nSELECT 'abc;\n-- rollback\nSELECT 1;\n"},
        "0002_x.sql",
        3,
    ),
    "unterminated quoted identifier": (
        {"0002_x.sql": '-- upgrade\nSELECT 1;\n\nCREATE TABLE "users (id integer);\n'},
        "0002_x.sql",
        4,
    ),
    "unterminated block comment": (
        {"0002_x.sql": "-- upgrade\n/* a comment\nthat never ends\nSELECT 1;\n"},
        "0002_x.sql",
        2,
    ),
    "unknown directive": (
        {"0002_x.sql": "-- dbwarden: no-transactions\n-- upgrade\nSELECT 1;\n"},
        "0002_x.sql",
        1,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_exits_2_naming_it(cli: Invoke, sqlite_project: Project, case: str) -> None:
    files, named, line = CASES[case]
    sqlite_project.raw("0001_fine.sql", OK)
    for name, content in files.items():
        sqlite_project.raw(name, content)

    for command in (("migrate",), ("migrate", "--dry-run"), ("status",), ("verify",)):
        result = cli(*command)
        assert result.exit_code == 2, (command, result.output)
        err = flat(result.stderr)
        for name in files:  # the duplicate's message names both files
            assert name in err, (command, err)
        if line is not None:
            assert f"{named}:{line}" in err, (command, err)
        assert "Traceback" not in result.output
    assert sqlite_project.sqlite_file is not None
    assert not sqlite_project.sqlite_file.exists()  # raised before the database was opened

    result = cli("migrate", "--json")
    assert result.exit_code == 2
    doc = data(result)
    assert doc["ok"] is False
    assert doc["error"]["exit_code"] == 2
    assert doc["error"]["path"].endswith(named)
    assert doc["error"]["line"] == line


@pytest.mark.postgres
def test_unterminated_dollar_quote_on_postgres(
    cli: Invoke, tmp_path: Path, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(tmp_path / "proj", pg_database)
    monkeypatch.chdir(project.root)
    project.raw("0001_fine.sql", OK)
    project.raw(
        "0002_fn.sql",
        "-- upgrade\nCREATE FUNCTION f() RETURNS integer AS $body$\n"
        "BEGIN RETURN 1; END;\n$$ LANGUAGE plpgsql;\n-- rollback\nDROP FUNCTION f();\n",
    )
    result = cli("migrate")
    assert result.exit_code == 2, result.output
    err = flat(result.stderr)
    assert "0002_fn.sql:2" in err
    assert "$body$" in err
    assert tables(project) == set()

    project.raw(
        "0002_fn.sql",
        "-- upgrade\nCREATE FUNCTION f() RETURNS integer AS $body$\n"
        "BEGIN RETURN 1; END;\n$body$ LANGUAGE plpgsql;\n-- rollback\nDROP FUNCTION f();\n",
    )
    assert cli("migrate").exit_code == 0


def test_non_transactional_statement_without_directive(
    cli: Invoke, sqlite_project: Project
) -> None:
    sqlite_project.raw("0001_vacuum.sql", "-- upgrade\nVACUUM;\n-- rollback\nSELECT 1;\n")
    result = cli("migrate")
    assert result.exit_code == 2
    err = flat(result.stderr)
    assert "0001_vacuum.sql:2" in err
    assert "no-transaction" in err
    assert "fine" not in tables(sqlite_project)
