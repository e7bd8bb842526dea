"""A SQLite schema, read from ``sqlite_master`` and the ``PRAGMA`` functions.

SQLite keeps each table's ``CREATE TABLE`` text, and that text is the only place some facts
live (constraint names, check expressions, ``DEFERRABLE``, ``AUTOINCREMENT``). The
``PRAGMA`` functions are authoritative for the rest (declared types, ``NOT NULL``, defaults,
foreign-key actions, index columns), so both are read: the pragmas for structure, a small
tokenizer over the stored text for what only it holds. The stored text is also what a
table rebuild re-creates, so rolling a rebuild back restores the table exactly as the
migration wrote it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .snapshot import TRACKING_TABLES, Column, Constraint, Index, Schema, Table, View

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = [
    "canon",
    "parse_create_table",
    "quote",
    "reflect",
    "rename_table_sql",
    "tokens",
    "type_affinity",
]

_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
    | (?P<string>[xX]?'(?:[^']|'')*')
    | (?P<ident>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
    | (?P<number>(?:0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?))
    | (?P<word>[^\W\d]\w*|[$@:?]\w*)
    | (?P<op><>|<=|>=|!=|==|\|\||<<|>>|->>|->)
    | (?P<punct>.)
    """,
    re.S | re.X,
)

_WORDY = frozenset({"string", "ident", "number", "word"})


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str
    start: int
    end: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else self.text

    @property
    def name(self) -> str:
        """The identifier this token spells, unquoted."""
        if self.kind == "ident":
            body = self.text[1:-1]
            return body if self.text[0] == "[" else body.replace(self.text[0] * 2, self.text[0])
        if self.kind == "string":
            return self.text[1:-1].replace("''", "'")
        return self.text


def tokens(sql: str) -> list[Token]:
    """The significant tokens of ``sql`` (no whitespace, no comments)."""
    found: list[Token] = []
    for m in _TOKEN.finditer(sql):
        kind = m.lastgroup
        assert kind is not None
        if kind in ("ws", "comment"):
            continue
        found.append(Token(kind, m.group(), m.start(), m.end()))
    return found


def canon(sql: str, *, strip_parens: bool = False) -> str:
    """A canonical spelling for comparison: words upper-cased, quotes around identifiers
    removed, whitespace only between words; ``strip_parens`` removes enclosing parentheses
    (``DEFAULT (0)`` and ``DEFAULT 0`` are one default)."""
    toks = tokens(sql)
    if strip_parens:
        while len(toks) >= 2 and toks[0].text == "(" and _matching(toks, 0) == len(toks) - 1:
            toks = toks[1:-1]
    out: list[str] = []
    previous_wordy = False
    for t in toks:
        if t.kind == "string":
            piece = t.text
        elif t.kind in ("word", "ident"):
            piece = t.name.upper()
        else:
            piece = t.text.upper()
        wordy = t.kind in _WORDY
        if out and wordy and previous_wordy:
            out.append(" ")
        out.append(piece)
        previous_wordy = wordy
    return "".join(out)


def quote(name: str) -> str:
    """``name`` as a SQLite identifier, quoted when it has to be."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and name.upper() not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def _matching(toks: Sequence[Token], open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(toks)):
        if toks[i].text == "(":
            depth += 1
        elif toks[i].text == ")":
            depth -= 1
            if depth == 0:
                return i
    return len(toks) - 1


def _split_items(toks: Sequence[Token]) -> Iterator[list[Token]]:
    depth = 0
    item: list[Token] = []
    for t in toks:
        if t.text == "(":
            depth += 1
        elif t.text == ")":
            depth -= 1
        if t.text == "," and depth == 0:
            yield item
            item = []
        else:
            item.append(t)
    if item:
        yield item


# --- CREATE TABLE ------------------------------------------------------------------------

_COLUMN_CONSTRAINT = frozenset(
    {
        "CONSTRAINT",
        "PRIMARY",
        "NOT",
        "NULL",
        "UNIQUE",
        "CHECK",
        "DEFAULT",
        "COLLATE",
        "REFERENCES",
        "GENERATED",
        "AS",
    }
)
_TABLE_CONSTRAINT = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"})


@dataclass(slots=True)
class ParsedForeignKey:
    name: str | None
    columns: tuple[str, ...]
    table: str
    deferrable: str = ""  # "DEFERRABLE INITIALLY DEFERRED", as written (canonical)


@dataclass(slots=True)
class ParsedColumn:
    name: str
    definition: str
    collation: str | None = None
    generated: str | None = None
    autoincrement: bool = False


@dataclass(slots=True)
class ParsedTable:
    """What only a ``CREATE TABLE`` text tells."""

    columns: dict[str, ParsedColumn] = field(default_factory=dict)  # by lower-cased name
    uniques: list[tuple[str | None, tuple[str, ...]]] = field(default_factory=list)
    checks: list[tuple[str | None, str]] = field(default_factory=list)
    foreign_keys: list[ParsedForeignKey] = field(default_factory=list)
    autoincrement: bool = False


def _column_list(sql: str, toks: Sequence[Token], open_at: int) -> tuple[tuple[str, ...], int]:
    """The column names in the parenthesised list at ``open_at`` and the index after it."""
    close = _matching(toks, open_at)
    names: list[str] = []
    for item in _split_items(toks[open_at + 1 : close]):
        if item:
            names.append(item[0].name if item[0].kind in ("word", "ident", "string") else "")
    return tuple(names), close + 1


def _fk_tail(toks: Sequence[Token], at: int) -> tuple[str, int]:
    """Skip ``ON DELETE ...``, ``MATCH ...``; return the canonical DEFERRABLE clause."""
    deferrable: list[str] = []
    i = at
    while i < len(toks):
        word = toks[i].upper
        if word == "ON" and i + 1 < len(toks):
            i += 2  # ON DELETE / ON UPDATE
            if i < len(toks) and toks[i].upper in ("SET", "NO"):
                i += 2
            else:
                i += 1
        elif word == "MATCH":
            i += 2
        elif word in ("NOT", "DEFERRABLE", "INITIALLY", "DEFERRED", "IMMEDIATE"):
            deferrable.append(word)
            i += 1
        else:
            break
    return " ".join(deferrable), i


def parse_create_table(sql: str) -> ParsedTable:
    """Column definitions and named constraints of a SQLite ``CREATE TABLE`` text."""
    parsed = ParsedTable()
    toks = tokens(sql)
    try:
        open_at = next(i for i, t in enumerate(toks) if t.text == "(")
    except StopIteration:  # CREATE TABLE ... AS SELECT
        return parsed
    close = _matching(toks, open_at)
    for item in _split_items(toks[open_at + 1 : close]):
        if not item:
            continue
        if item[0].upper in _TABLE_CONSTRAINT and item[0].kind == "word":
            _table_constraint(sql, item, parsed)
        else:
            _column(sql, item, parsed)
    return parsed


def _table_constraint(sql: str, item: list[Token], parsed: ParsedTable) -> None:
    name: str | None = None
    i = 0
    if item[0].upper == "CONSTRAINT" and len(item) > 1:
        name = item[1].name
        i = 2
    if i >= len(item):
        return
    word = item[i].upper
    if word == "UNIQUE" and i + 1 < len(item) and item[i + 1].text == "(":
        cols, _ = _column_list(sql, item, i + 1)
        parsed.uniques.append((name, cols))
    elif word == "CHECK" and i + 1 < len(item) and item[i + 1].text == "(":
        close = _matching(item, i + 1)
        parsed.checks.append((name, sql[item[i + 1].end : item[close].start].strip()))
    elif word == "FOREIGN" and i + 2 < len(item) and item[i + 2].text == "(":
        cols, j = _column_list(sql, item, i + 2)
        if j + 1 < len(item) and item[j].upper == "REFERENCES":
            table = item[j + 1].name
            j += 2
            if j < len(item) and item[j].text == "(":
                _, j = _column_list(sql, item, j)
            deferrable, _ = _fk_tail(item, j)
            parsed.foreign_keys.append(ParsedForeignKey(name, cols, table, deferrable))


def _column(sql: str, item: list[Token], parsed: ParsedTable) -> None:
    column = ParsedColumn(name=item[0].name, definition=sql[item[0].start : item[-1].end].strip())
    parsed.columns[column.name.lower()] = column
    i = 1
    while i < len(item) and not (item[i].kind == "word" and item[i].upper in _COLUMN_CONSTRAINT):
        i = _matching(item, i) + 1 if item[i].text == "(" else i + 1
    name: str | None = None
    while i < len(item):
        word = item[i].upper if item[i].kind == "word" else ""
        if word == "CONSTRAINT" and i + 1 < len(item):
            name = item[i + 1].name
            i += 2
            continue
        if word == "PRIMARY":
            i += 2
            while i < len(item) and item[i].upper in ("ASC", "DESC"):
                i += 1
            if i < len(item) and item[i].upper == "ON":  # ON CONFLICT ...
                i += 3
            if i < len(item) and item[i].upper == "AUTOINCREMENT":
                column.autoincrement = parsed.autoincrement = True
                i += 1
        elif word == "UNIQUE":
            parsed.uniques.append((name, (column.name,)))
            i += 1
        elif word == "CHECK" and i + 1 < len(item) and item[i + 1].text == "(":
            close = _matching(item, i + 1)
            parsed.checks.append((name, sql[item[i + 1].end : item[close].start].strip()))
            i = close + 1
        elif word == "COLLATE" and i + 1 < len(item):
            column.collation = item[i + 1].name.upper()
            i += 2
        elif word == "REFERENCES" and i + 1 < len(item):
            table = item[i + 1].name
            i += 2
            if i < len(item) and item[i].text == "(":
                _, i = _column_list(sql, item, i)
            deferrable, i = _fk_tail(item, i)
            parsed.foreign_keys.append(ParsedForeignKey(name, (column.name,), table, deferrable))
        elif word in ("GENERATED", "AS"):
            while i < len(item) and item[i].text != "(":
                i += 1
            if i < len(item):
                close = _matching(item, i)
                expr = canon(sql[item[i].start : item[close].end])
                kind = "VIRTUAL"
                if close + 1 < len(item) and item[close + 1].upper in ("STORED", "VIRTUAL"):
                    kind = item[close + 1].upper
                column.generated = f"{expr} {kind}"
                i = close + 1
            continue
        elif item[i].text == "(":
            i = _matching(item, i) + 1
        else:
            i += 1
        if word not in ("CONSTRAINT",):
            name = None


_TABLE_HEAD = re.compile(
    r"""^(\s*CREATE\s+(?:TEMP(?:ORARY)?\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?)
        (?:"(?:[^"]|"")+"|`(?:[^`]|``)+`|\[[^\]]+\]|'(?:[^']|'')+'|[^\s(]+)""",
    re.I | re.X,
)


def type_affinity(declared: str) -> str | None:
    """What SQLAlchemy reads a declared SQLite type as, with its parameters: ``String(50)``
    for ``VARCHAR(50)``, ``DateTime`` for ``TIMESTAMP`` and ``DATETIME``; ``None`` for a
    type name SQLAlchemy does not know (compared as written)."""
    name, _, params = declared.partition("(")
    label = _affinity(name.strip().upper())
    if label is None:
        return None
    return label + (f"({params.replace(' ', '')}" if params else "")


@functools.cache
def _affinity(name: str) -> str | None:
    from sqlalchemy.dialects.sqlite.base import ischema_names

    type_class: Any = ischema_names.get(name)
    if type_class is None:
        return None
    generic: type = type_class()._type_affinity  # String, Integer, DateTime, ...
    return generic.__name__


def rename_table_sql(sql: str, name: str) -> str:
    """A stored ``CREATE TABLE`` text creating a table called ``name`` instead."""
    m = _TABLE_HEAD.match(sql)
    if m is None:  # pragma: no cover - sqlite_master always starts so
        raise ValueError(f"not a CREATE TABLE statement: {sql[:60]!r}")
    return m.group(1) + quote(name) + sql[m.end() :]


# --- reflection --------------------------------------------------------------------------


async def reflect(conn: AsyncConnection) -> Schema:
    """The main schema of the SQLite database behind ``conn`` (dbwarden's tables left out)."""
    master = await _rows(
        conn,
        "SELECT type, name, tbl_name, sql FROM sqlite_master "
        "WHERE name NOT LIKE 'sqlite_%' ORDER BY rowid",
    )
    tables: dict[str, Table] = {}
    views: list[View] = []
    triggers: list[View] = []
    index_sql: dict[str, list[tuple[str, str]]] = {}
    table_rows: list[tuple[str, str]] = []
    # Virtual tables (FTS, R*Tree) and the shadow tables that store them are not models.
    shadow = await _shadow_tables(conn)
    for kind, name, tbl_name, sql in master:
        if kind == "table" and sql and name not in TRACKING_TABLES and name not in shadow:
            if not re.match(r"\s*CREATE\s+VIRTUAL\b", sql, re.I):
                table_rows.append((name, sql))
        elif kind == "view" and sql:
            views.append(View(name, sql))
        elif kind == "trigger" and sql and tbl_name not in TRACKING_TABLES:
            triggers.append(View(name, sql, table=tbl_name))
        elif kind == "index" and sql and tbl_name not in TRACKING_TABLES:
            index_sql.setdefault(tbl_name, []).append((name, sql))

    # Three queries over the table-valued pragma functions read every table at once.
    columns_of: dict[str, list[tuple[Any, ...]]] = {}
    for row in await _rows(
        conn,
        'SELECT m.name, p.cid, p.name, p.type, p."notnull", p.dflt_value, p.pk, p.hidden '
        "FROM sqlite_master m, pragma_table_xinfo(m.name) p "
        "WHERE m.type = 'table' ORDER BY m.name, p.cid",
    ):
        columns_of.setdefault(row[0], []).append(row[1:])
    fks_of: dict[str, list[tuple[Any, ...]]] = {}
    for row in await _rows(
        conn,
        'SELECT m.name, p.id, p.seq, p."table", p."from", p."to", p.on_update, p.on_delete '
        "FROM sqlite_master m, pragma_foreign_key_list(m.name) p WHERE m.type = 'table'",
    ):
        fks_of.setdefault(row[0], []).append(row[1:])
    index_columns: dict[str, list[tuple[int, str]]] = {}
    for index_name, seqno, column in await _rows(
        conn,
        "SELECT m.name, p.seqno, p.name FROM sqlite_master m, pragma_index_info(m.name) p "
        "WHERE m.type = 'index'",
    ):
        index_columns.setdefault(index_name, []).append((int(seqno), str(column or "")))

    primary_keys: dict[str, tuple[str, ...]] = {}
    for name, _ in table_rows:
        pk = sorted((int(r[5]), str(r[1])) for r in columns_of.get(name, []) if r[5])
        primary_keys[name.lower()] = tuple(n for _, n in pk)

    for name, sql in table_rows:
        indexes = [
            _index(
                name,
                index_name,
                text,
                tuple(c for _, c in sorted(index_columns.get(index_name, []))),
            )
            for index_name, text in index_sql.get(name, [])
        ]
        tables[name] = _table(
            name,
            sql,
            parse_create_table(sql),
            columns_of.get(name, []),
            fks_of.get(name, []),
            indexes,
            primary_keys,
        )
    return Schema("sqlite", tables, views=tuple(views), triggers=tuple(triggers))


async def _shadow_tables(conn: AsyncConnection) -> set[str]:
    from sqlalchemy.exc import OperationalError

    try:
        rows = await _rows(conn, "SELECT name FROM pragma_table_list WHERE type = 'shadow'")
    except OperationalError:  # SQLite before 3.37 has no table_list pragma
        return set()
    return {str(r[0]) for r in rows}


async def _rows(conn: AsyncConnection, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in (await conn.exec_driver_sql(sql)).all()]


def _index(table: str, name: str, sql: str, columns: tuple[str, ...]) -> Index:
    toks = tokens(sql)
    unique = len(toks) > 1 and toks[1].upper == "UNIQUE"
    try:
        on = next(i for i, t in enumerate(toks) if t.upper == "ON" and t.kind == "word")
    except StopIteration:  # pragma: no cover
        on = 0
    key = ("UNIQUE " if unique else "") + canon(sql[toks[on].start :])
    return Index(name=name, table=table, unique=unique, columns=columns, key=key, sql=sql)


def _fk_action(value: object) -> str:
    text = str(value or "NO ACTION").upper()
    return "" if text == "NO ACTION" else text


def _table(
    name: str,
    sql: str,
    parsed: ParsedTable,
    rows: list[tuple[Any, ...]],
    fk_rows: list[tuple[Any, ...]],
    indexes: list[Index],
    primary_keys: dict[str, tuple[str, ...]],
) -> Table:
    pk_columns = primary_keys.get(name.lower(), ())
    columns: list[Column] = []
    for _cid, col_name, col_type, notnull, default, pk, hidden in rows:
        if hidden == 1:  # a hidden column of a virtual table
            continue
        info = parsed.columns.get(str(col_name).lower())
        declared = canon(str(col_type or ""))
        columns.append(
            Column(
                name=str(col_name),
                type=declared,
                affinity=type_affinity(declared),
                nullable=not notnull and not pk,
                default=canon(str(default), strip_parens=True) if default is not None else None,
                collation=info.collation if info else None,
                generated=info.generated if info else None,
                definition=info.definition if info else None,
            )
        )
    primary_key = None
    if pk_columns:
        cols = ", ".join(quote(c) for c in pk_columns)
        primary_key = Constraint(
            "primary_key", None, pk_columns, f"PRIMARY KEY ({cols})", canon(f"PRIMARY KEY ({cols})")
        )

    constraints: list[Constraint] = []
    for uq_name, unique_cols in parsed.uniques:
        definition = f"UNIQUE ({', '.join(quote(c) for c in unique_cols)})"
        constraints.append(
            Constraint("unique", uq_name, unique_cols, definition, canon(definition))
        )
    for ck_name, expr in parsed.checks:
        constraints.append(
            Constraint("check", ck_name, (), f"CHECK ({expr})", f"CHECK ({canon(expr)})")
        )

    by_id: dict[int, list[tuple[Any, ...]]] = {}
    for row in fk_rows:
        by_id.setdefault(int(str(row[0])), []).append(row)
    named = {
        (tuple(c.lower() for c in fk.columns), fk.table.lower()): fk for fk in parsed.foreign_keys
    }
    for fk_id in sorted(by_id):
        group = sorted(by_id[fk_id], key=lambda r: int(str(r[1])))
        referred = str(group[0][2])
        local = tuple(str(r[3]) for r in group)
        remote = tuple(str(r[4]) for r in group if r[4] is not None)
        if not remote:
            remote = primary_keys.get(referred.lower(), ())
        found = named.get((tuple(c.lower() for c in local), referred.lower()))
        definition = (
            f"FOREIGN KEY ({', '.join(quote(c) for c in local)}) REFERENCES {quote(referred)} "
            f"({', '.join(quote(c) for c in remote)})"
        )
        on_delete, on_update = _fk_action(group[0][6]), _fk_action(group[0][5])
        if on_delete:
            definition += f" ON DELETE {on_delete}"
        if on_update:
            definition += f" ON UPDATE {on_update}"
        if found is not None and found.deferrable:
            definition += f" {found.deferrable}"
        constraints.append(
            Constraint(
                "foreign_key",
                found.name if found else None,
                local,
                definition,
                canon(definition),
                referred_table=referred,
            )
        )
    return Table(
        name=name,
        columns=tuple(columns),
        primary_key=primary_key,
        constraints=tuple(constraints),
        indexes=tuple(sorted(indexes, key=lambda i: i.name)),
        sql=sql,
        autoincrement=parsed.autoincrement,
    )


# SQLite keywords that cannot be bare identifiers everywhere (a conservative list).
_RESERVED_WORDS = """ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND AS ASC ATTACH AUTOINCREMENT BEFORE
    BEGIN BETWEEN BY CASCADE CASE CAST CHECK COLLATE COLUMN COMMIT CONFLICT CONSTRAINT CREATE
    CROSS CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP DATABASE DEFAULT DEFERRABLE
    DEFERRED DELETE DESC DETACH DISTINCT DO DROP EACH ELSE END ESCAPE EXCEPT EXCLUDE EXCLUSIVE
    EXISTS EXPLAIN FAIL FILTER FIRST FOLLOWING FOR FOREIGN FROM FULL GENERATED GLOB GROUP
    GROUPS HAVING IF IGNORE IMMEDIATE IN INDEX INDEXED INITIALLY INNER INSERT INSTEAD
    INTERSECT INTO IS ISNULL JOIN KEY LAST LEFT LIKE LIMIT MATCH MATERIALIZED NATURAL NO NOT
    NOTHING NOTNULL NULL NULLS OF OFFSET ON OR ORDER OTHERS OUTER OVER PARTITION PLAN PRAGMA
    PRECEDING PRIMARY QUERY RAISE RANGE RECURSIVE REFERENCES REGEXP REINDEX RELEASE RENAME
    REPLACE RESTRICT RETURNING RIGHT ROLLBACK ROW ROWS SAVEPOINT SELECT SET TABLE TEMP
    TEMPORARY THEN TIES TO TRANSACTION TRIGGER UNBOUNDED UNION UNIQUE UPDATE USING VACUUM
    VALUES VIEW VIRTUAL WHEN WHERE WINDOW WITH WITHOUT"""
_RESERVED = frozenset(_RESERVED_WORDS.split())
