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


def _normalise_by_lines(text: str) -> str:
    """The rule as DESIGN.md states it, line by line: the reference ``normalise`` must match."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


_SPACES = "".join(chr(c) for c in range(128) if chr(c).isspace()) + "\x85\xa0\u2028\u3000"


@given(st.text(alphabet=st.sampled_from([*_SPACES, "a", ";", "-", "\n", "é"]), max_size=60))
def test_normalise_agrees_with_the_line_by_line_rule(text: str) -> None:
    assert normalise(text) == _normalise_by_lines(text)


@given(st.text())
def test_normalise_agrees_with_the_line_by_line_rule_on_any_text(text: str) -> None:
    assert normalise(text) == _normalise_by_lines(text)
