from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dbwarden.checksum import checksum, normalise


def test_format_is_prefixed_sha256_hex() -> None:
    value = checksum("SELECT 1;")
    assert value.startswith("sha256:")
    assert len(value) == len("sha256:") + 64
    int(value.removeprefix("sha256:"), 16)


def test_known_value() -> None:
    # sha256(b"SELECT 1;"), computed once with another tool and pinned here.
    assert checksum("SELECT 1;") == (
        "sha256:17db4fd369edb9244b9f91d9aeed145c3d04ad8ba6e95d06247f07a63527d11a"
    )


def test_crlf_bom_trailing_space_and_blank_edges_change_nothing() -> None:
    base = "CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);"
    variants = [
        base.replace("\n", "\r\n"),
        base.replace("\n", "\r"),
        "\ufeff" + base,
        "CREATE TABLE a (id int);   \nINSERT INTO a VALUES (1);\t",
        "\n\n  \n" + base + "\n\n\n",
    ]
    for variant in variants:
        assert checksum(variant) == checksum(base), repr(variant)


def test_any_sql_change_changes_the_checksum() -> None:
    base = "CREATE TABLE a (id int);"
    for changed in (
        "CREATE TABLE a (id bigint);",
        "CREATE TABLE  a (id int);",
        " CREATE TABLE a (id int);",  # leading indentation is part of the SQL
        "CREATE TABLE a (id int);\n-- note",
        "create table a (id int);",
    ):
        assert checksum(changed) != checksum(base), changed


def test_inner_blank_lines_are_kept() -> None:
    assert checksum("a;\n\nb;") != checksum("a;\nb;")


@given(st.text())
def test_normalise_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert checksum(once) == checksum(text)
