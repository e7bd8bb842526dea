"""Migration file names and text → ``MigrationFile``. Takes text, never touches the disk.

A file is a header (comments and ``-- dbwarden:`` directives), an ``-- upgrade`` section and,
unless the file is irreversible, a ``-- rollback`` section. Every problem is a
``MigrationFileError`` naming the file and line.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple

from .errors import (
    EmptySectionError,
    EncodingError,
    InvalidNameError,
    MarkerError,
    MigrationFileError,
)
from .model import Kind, MigrationFile, Section
from .sql import Dialect, check

__all__ = ["FileName", "decode", "parse_name", "parse_text"]

_SLUG = r"[A-Za-z0-9_]+"
_REPEATABLE = re.compile(rf"^(?P<prefix>RA|ROC|R)__(?P<slug>{_SLUG})\.sql$")
_VERSIONED = re.compile(rf"^(?:(?P<db>{_SLUG}?)__)?(?P<version>[0-9]+)_(?P<slug>{_SLUG})\.sql$")
_PLAIN_VERSIONED = re.compile(rf"^(?P<version>[0-9]+)_(?P<slug>{_SLUG})\.sql$")
_MARKER = re.compile(r"^[ \t]*--[ \t]*(?P<which>upgrade|rollback)[ \t]*$", re.IGNORECASE)
_DIRECTIVE = re.compile(r"^[ \t]*--[ \t]*dbwarden[ \t]*:(?P<body>.*)$", re.IGNORECASE)
# A marker (``which``) or directive (``body``) from its ``--`` to the end of its line. The
# literal start lets the regex engine jump between ``--`` occurrences; ``_markers`` checks
# that only blanks precede one on its line.
_MARKER_TAIL = re.compile(
    r"--[ \t]*(?:(?P<which>upgrade|rollback)[ \t]*|dbwarden[ \t]*:(?P<body>.*))$",
    re.IGNORECASE | re.MULTILINE,
)
# A header without directives: blank lines and comments, each line ending in a newline.
_COMMENT_LINES = re.compile(r"(?:[ \t]*(?:--[^\n]*)?\n)*")

KNOWN_DIRECTIVES = (
    "no-transaction",
    "irreversible",
    "postgres-only",
    "env=<names>",
    "squashes=<versions>",
)
# A squash file lists the versions it replaces; a range a-b stands for every version from a
# to b, so that ranges stay small enough to expand.
_SQUASH_ITEM = re.compile(r"^(?P<low>[0-9]+)(?:-(?P<high>[0-9]+))?$")
MAX_SQUASHED = 100_000
KNOWN_ENVIRONMENTS = frozenset({"development", "dev", "test", "testing", "staging", "production"})


class FileName(NamedTuple):
    """What a file name says: its kind, version (``None`` for repeatables) and slug."""

    kind: Kind
    version: str | None
    slug: str


def parse_name(filename: str, *, database: str | None = None) -> FileName:
    """Classify a ``.sql`` file name, or raise ``InvalidNameError`` saying what is accepted."""
    if "__" not in filename:  # the common case, without the <database>__ alternative
        m = _PLAIN_VERSIONED.match(filename)
        if m:
            return FileName(Kind.VERSIONED, str(int(m["version"])), m["slug"])
    m = _REPEATABLE.match(filename)
    if m:
        kind = Kind.RUNS_ALWAYS if m["prefix"] == "RA" else Kind.RUNS_ON_CHANGE
        return FileName(kind, None, m["slug"])
    m = _VERSIONED.match(filename)
    if m:
        db = m["db"]
        if db is not None and database is not None and db != database:
            raise InvalidNameError(
                f"file is prefixed for database {db!r} but lives in the directory of "
                f"database {database!r}; move it or rename it to {filename[len(db) + 2 :]}",
                path=filename,
            )
        return FileName(Kind.VERSIONED, str(int(m["version"])), m["slug"])
    raise InvalidNameError(
        "not a migration file name; use <version>_<slug>.sql (e.g. 0001_create_users.sql), "
        "<database>__<version>_<slug>.sql, RA__<slug>.sql (runs always) or "
        "ROC__<slug>.sql / R__<slug>.sql (runs on change); the slug is letters, digits and _",
        path=filename,
    )


def decode(data: bytes, path: Path | str) -> str:
    """UTF-8 bytes → text with any BOM removed and newlines normalised to LF."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise EncodingError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            path=path,
            line=line,
        ) from None
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def parse_text(
    text: str,
    path: Path | str,
    dialect: Dialect,
    *,
    database: str | None = None,
) -> MigrationFile:
    """Parse a file's text (already decoded) into a ``MigrationFile``."""
    if not isinstance(path, Path):
        path = Path(path)
    filename = path.name
    try:
        name = parse_name(filename, database=database)
    except MigrationFileError as exc:
        raise exc.with_path(path) from None
    if "\r" in text or text.startswith("\ufeff"):
        text = decode(text.encode("utf-8"), path)

    # Only a few lines matter: the header (before `-- upgrade`) is read line by line, the
    # rest only at its marker and directive lines, found by one scan of the whole text.
    directives: list[str] = []
    rollback_at: int | None = None  # 0-based line index of the marker
    rollback_offset = len(text) + 1  # where the rollback marker's line starts
    found = _markers(text)
    header_end = len(text)
    body: list[tuple[int, re.Match[str]]] = []
    for n, (line_start, m) in enumerate(found):
        if m["which"] is not None and m["which"].lower() == "upgrade":
            header_end = line_start
            body = found[n:]
            break

    if body and len(body) == len(found) and _COMMENT_LINES.fullmatch(text, 0, header_end):
        # The usual header: nothing but comments and blank lines (a directive or marker
        # line would have been found before the upgrade marker).
        upgrade_at = text.count("\n", 0, header_end)  # 0-based line index of the marker
    else:
        directives, upgrade_at = _header(text, header_end, bool(body), path, name)

    if not body:
        lines = text.count("\n") + 1
        raise MarkerError(
            "no `-- upgrade` marker; put a line `-- upgrade` before the SQL "
            "(and `-- rollback` before the SQL that undoes it)",
            path=path,
            line=lines if not text.endswith("\n") else max(lines - 1, 1),
        )

    upgrade_offset = body[0][1].end() + 1  # the first character after the marker's line
    for line_start, m in body[1:]:
        i = upgrade_at + text.count("\n", upgrade_offset - 1, line_start)
        which = m["which"]
        if which is None:
            raise MarkerError(
                "`-- dbwarden:` directives belong in the header, before `-- upgrade`; "
                "move this line up",
                path=path,
                line=i + 1,
            )
        if which.lower() == "upgrade":
            raise MarkerError(
                f"second `-- upgrade` marker (the first is on line {upgrade_at + 1}); "
                "a file has one upgrade section",
                path=path,
                line=i + 1,
            )
        if rollback_at is not None:
            raise MarkerError(
                f"second `-- rollback` marker (the first is on line {rollback_at + 1}); "
                "a file has one rollback section",
                path=path,
                line=i + 1,
            )
        rollback_at, rollback_offset = i, line_start

    irreversible = "irreversible" in directives
    no_transaction = "no-transaction" in directives
    if no_transaction and any(d.startswith("squashes=") for d in directives):
        raise MarkerError(
            "a squash file runs in one transaction; remove `no-transaction` "
            "(or the `squashes=` directive)",
            path=path,
            line=upgrade_at + 1,
        )
    upgrade, has_sql = _section(
        text[upgrade_offset : rollback_offset - 1], upgrade_at + 2, path, dialect
    )
    if not has_sql:
        raise EmptySectionError(
            "the `-- upgrade` section has no SQL; write the migration's statements under it",
            path=path,
            line=upgrade_at + 1,
        )

    rollback: Section | None = None
    if rollback_at is not None:
        rollback, has_sql = _section(
            text[text.find("\n", rollback_offset) + 1 or len(text) :],
            rollback_at + 2,
            path,
            dialect,
        )
        if irreversible and has_sql:
            raise MarkerError(
                "the file is marked `-- dbwarden: irreversible` but has rollback SQL; "
                "remove the directive or the rollback section",
                path=path,
                line=rollback_at + 1,
            )
    elif not irreversible and name.kind is Kind.VERSIONED:
        raise MarkerError(
            "no `-- rollback` section; add `-- rollback` followed by the SQL that undoes the "
            "upgrade, or mark the file `-- dbwarden: irreversible` in its header",
            path=path,
            line=upgrade_at + 1,
        )

    return MigrationFile(
        path=path,
        name=filename.removesuffix(".sql"),
        kind=name.kind,
        version=name.version,
        slug=name.slug,
        upgrade=upgrade,
        rollback=rollback,
        no_transaction=no_transaction,
        irreversible=irreversible,
        directives=tuple(directives),
    )


def _header(
    text: str, header_end: int, has_body: bool, path: Path, name: FileName
) -> tuple[list[str], int]:
    """The directives of the header (the text before the upgrade marker's line) and the
    0-based line index of the marker; raises on anything but comments and directives."""
    directives: list[str] = []
    header = text[:header_end].split("\n")
    if has_body:
        header.pop()  # what precedes the marker on its line: nothing
    for i, line in enumerate(header):
        comment = line.lstrip(" \t")
        if not comment:
            continue
        if not comment.startswith("--"):
            raise MarkerError(
                "SQL before the `-- upgrade` marker; start the file's SQL with a line "
                "`-- upgrade` (only comments and `-- dbwarden:` directives may come before it)",
                path=path,
                line=i + 1,
            )
        if _MARKER.match(line):  # a rollback marker: an upgrade marker would have ended the header
            raise MarkerError(
                "`-- rollback` comes before `-- upgrade`; put the upgrade section first",
                path=path,
                line=i + 1,
            )
        directive = _DIRECTIVE.match(line)
        if directive:
            found_here = _parse_directive(directive["body"], path, i + 1, version=name.version)
            if any(d.startswith("squashes=") for d in found_here) and any(
                d.startswith("squashes=") for d in directives
            ):
                raise MarkerError(
                    "a second `squashes=` directive; list every squashed version in one",
                    path=path,
                    line=i + 1,
                )
            directives.extend(found_here)
    return directives, len(header)


def _markers(text: str) -> list[tuple[int, re.Match[str]]]:
    """Every marker and directive line of ``text`` in order, with the offset of its line."""
    found = []
    for m in _MARKER_TAIL.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        if line_start == m.start() or not text[line_start : m.start()].strip(" \t"):
            found.append((line_start, m))
    return found


def _section(text: str, first_line: int, path: Path, dialect: Dialect) -> tuple[Section, bool]:
    """The section and whether it holds any statement. Its statements are split on first use
    unless checking had to split them anyway."""
    has_sql, statements = check(text, dialect, path=path, first_line=first_line)
    section = Section(text, first_line, dialect, path, presplit=statements)
    return section, has_sql


def _parse_directive(body: str, path: Path, line: int, *, version: str | None = None) -> list[str]:
    found: list[str] = []
    for raw in body.split():
        word = raw.strip().rstrip(",").lower()
        if not word:
            continue
        if word in ("no-transaction", "irreversible", "postgres-only"):
            found.append(word)
        elif word.startswith("env="):
            names = [n for n in word[4:].split(",") if n]
            unknown = [n for n in names if n not in KNOWN_ENVIRONMENTS]
            if not names or unknown:
                raise MarkerError(
                    f"unknown environment {', '.join(unknown) or '(none)'!s} in `env=`; "
                    f"use names from: {', '.join(sorted(KNOWN_ENVIRONMENTS))}",
                    path=path,
                    line=line,
                )
            found.append("env=" + ",".join(names))
        elif word.startswith("squashes="):
            found.append("squashes=" + _squashes(word[9:], version, path, line))
        else:
            raise MarkerError(
                f"unknown directive {raw.strip()!r}; known directives: "
                + ", ".join(KNOWN_DIRECTIVES),
                path=path,
                line=line,
            )
    if not found:
        raise MarkerError(
            "empty `-- dbwarden:` directive; known directives: " + ", ".join(KNOWN_DIRECTIVES),
            path=path,
            line=line,
        )
    return found


def _squashes(spec: str, version: str | None, path: Path, line: int) -> str:
    """Check a ``squashes=`` list (``1-12`` or ``1-3,7,12``) and normalise it: ranges in
    order, without leading zeros. The file's own version must be the highest one."""

    def fail(message: str) -> MarkerError:
        return MarkerError(
            f"`squashes={spec}`: {message}; write the versions the file replaces, e.g. "
            "`squashes=1-12` or `squashes=1-3,7,12`",
            path=path,
            line=line,
        )

    if version is None:
        raise fail("only a versioned migration can squash others")
    ranges: list[tuple[int, int]] = []
    for item in spec.split(","):
        m = _SQUASH_ITEM.match(item)
        if m is None:
            raise fail(f"{item!r} is not a version or a range a-b")
        low = int(m["low"])
        high = int(m["high"]) if m["high"] is not None else low
        if high < low:
            raise fail(f"the range {item} goes backwards")
        ranges.append((low, high))
    ranges.sort()
    for (_, high), (low, _) in pairwise(ranges):
        if low <= high:
            raise fail("the ranges overlap")
    if sum(high - low + 1 for low, high in ranges) > MAX_SQUASHED:
        raise fail(f"more than {MAX_SQUASHED} versions; list them (1,5,20261122) instead")
    if ranges[-1][1] != int(version):
        raise fail(
            f"the file's own version ({version}) must be the highest version it squashes "
            f"({ranges[-1][1]}); rename the file or fix the list"
        )
    return ",".join(str(low) if low == high else f"{low}-{high}" for low, high in ranges)
