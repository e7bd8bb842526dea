"""A PostgreSQL schema, read from the system catalogs in a fixed number of queries.

Everything is taken in the server's canonical spelling: ``format_type`` for types,
``pg_get_expr`` for defaults, ``pg_get_constraintdef`` and ``pg_get_indexdef`` for
constraints and indexes. Two databases that were given equivalent DDL therefore describe
themselves identically, whoever wrote the DDL, and the same text renders back into SQL that
re-creates the object exactly. Each query covers the whole schema, so reading 500 tables
costs the same eight round trips as reading one.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .snapshot import (
    TRACKING_TABLES,
    Column,
    Constraint,
    ConstraintKind,
    Index,
    Schema,
    Sequence,
    Table,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["identity_clause", "quote", "reflect"]

_NOT_EXTENSION = """NOT EXISTS (SELECT 1 FROM pg_depend x
    WHERE x.classid = '{catalog}'::regclass AND x.objid = {oid} AND x.deptype = 'e')"""

_TABLES = f"""
SELECT c.oid, c.relname, obj_description(c.oid, 'pg_class')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND {_NOT_EXTENSION.format(catalog="pg_class", oid="c.oid")}
"""

_COLUMNS = """
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(ad.adbin, ad.adrelid), col_description(a.attrelid, a.attnum),
       CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
            THEN co.collname::text END,
       a.attidentity::text, a.attgenerated::text,
       seq.relname::text, seq.seqstart, seq.seqincrement, seq.seqmin, seq.seqmax,
       seq.seqcache, seq.seqcycle
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
LEFT JOIN LATERAL (
    SELECT s.relname, ps.seqstart, ps.seqincrement, ps.seqmin, ps.seqmax, ps.seqcache,
           ps.seqcycle
    FROM pg_depend d
    JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
    JOIN pg_sequence ps ON ps.seqrelid = s.oid
    WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
      AND d.refobjid = a.attrelid AND d.refobjsubid = a.attnum AND d.deptype IN ('a', 'i')
    LIMIT 1
) seq ON true
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""

_CONSTRAINTS = """
SELECT con.conrelid, con.conname::text, con.contype::text, pg_get_constraintdef(con.oid),
       ARRAY(SELECT a.attname::text
             FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num
             ORDER BY k.ord),
       fc.relname::text
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
WHERE n.nspname = current_schema() AND con.contype IN ('p', 'u', 'c', 'f', 'x')
  AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY con.conrelid, con.conname
"""

_INDEXES = """
SELECT i.indrelid, ic.relname::text, i.indisunique, pg_get_indexdef(i.indexrelid),
       ARRAY(SELECT coalesce(a.attname::text, '')
             FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(num, ord)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.num
             ORDER BY k.ord)
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con
                  WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                    AND con.contype IN ('p', 'u', 'x'))
ORDER BY ic.relname
"""

_ENUMS = f"""
SELECT t.typname::text, array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
FROM pg_type t
JOIN pg_enum e ON e.enumtypid = t.oid
JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = current_schema() AND {_NOT_EXTENSION.format(catalog="pg_type", oid="t.oid")}
GROUP BY t.typname
"""

_SEQUENCES = f"""
SELECT c.relname::text, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin,
       s.seqmax, s.seqcache, s.seqcycle
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema()
  AND {_NOT_EXTENSION.format(catalog="pg_class", oid="c.oid")}
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid
                    AND d.deptype IN ('a', 'i'))
"""

_KINDS: dict[str, ConstraintKind] = {
    "p": "primary_key",
    "u": "unique",
    "c": "check",
    "f": "foreign_key",
    "x": "exclude",
}

_TYPE_MAX = {"smallint": 32767, "integer": 2147483647, "bigint": 9223372036854775807}


def quote(name: str) -> str:
    """``name`` as a PostgreSQL identifier, quoted when it has to be."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) and name.upper() not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def identity_clause(
    kind: str,
    type_: str,
    start: int,
    increment: int,
    minvalue: int,
    maxvalue: int,
    cache: int,
    cycle: bool,
) -> str:
    """``BY DEFAULT`` or ``ALWAYS``, with the sequence options that are not the defaults."""
    options: list[str] = []
    ascending = increment > 0
    default_min = 1 if ascending else -_TYPE_MAX.get(type_, 2147483647) - 1
    default_max = _TYPE_MAX.get(type_, 2147483647) if ascending else -1
    default_start = default_min if ascending else default_max
    if start != default_start:
        options.append(f"START WITH {start}")
    if increment != 1:
        options.append(f"INCREMENT BY {increment}")
    if minvalue != default_min:
        options.append(f"MINVALUE {minvalue}")
    if maxvalue != default_max:
        options.append(f"MAXVALUE {maxvalue}")
    if cache != 1:
        options.append(f"CACHE {cache}")
    if cycle:
        options.append("CYCLE")
    return kind + (f" ({' '.join(options)})" if options else "")


async def reflect(conn: AsyncConnection) -> Schema:
    """The current schema (``current_schema()``) of the database behind ``conn``, without
    dbwarden's tables and without objects that belong to extensions."""
    names: dict[int, str] = {}
    comments: dict[int, str | None] = {}
    for oid, name, comment in await _rows(conn, _TABLES):
        if name not in TRACKING_TABLES:
            names[oid] = name
            comments[oid] = comment

    columns: dict[int, list[Column]] = {oid: [] for oid in names}
    for row in await _rows(conn, _COLUMNS):
        if row[0] in names:
            columns[row[0]].append(_column(row))

    primary: dict[int, Constraint] = {}
    constraints: dict[int, list[Constraint]] = {oid: [] for oid in names}
    for relid, name, contype, definition, cols, referred in await _rows(conn, _CONSTRAINTS):
        if relid not in names:
            continue
        constraint = Constraint(
            kind=_KINDS[contype],
            name=name,
            columns=tuple(cols),
            definition=definition,
            key=definition,
            referred_table=referred,
        )
        if contype == "p":
            primary[relid] = constraint
        else:
            constraints[relid].append(constraint)

    indexes: dict[int, list[Index]] = {oid: [] for oid in names}
    for relid, name, unique, indexdef, cols in await _rows(conn, _INDEXES):
        if relid not in names:
            continue
        at = indexdef.find(" USING ")
        tail = indexdef[at:] if at >= 0 else indexdef
        head = "CREATE UNIQUE INDEX" if unique else "CREATE INDEX"
        indexes[relid].append(
            Index(
                name=name,
                table=names[relid],
                unique=bool(unique),
                columns=tuple(cols),
                key=("UNIQUE" if unique else "") + tail,
                sql=f"{head} {quote(name)} ON {quote(names[relid])}{tail}",
            )
        )

    tables = {
        names[oid]: Table(
            name=names[oid],
            columns=tuple(columns[oid]),
            primary_key=primary.get(oid),
            constraints=tuple(constraints[oid]),
            indexes=tuple(indexes[oid]),
            comment=comments[oid],
        )
        for oid in sorted(names, key=lambda o: names[o])
    }
    enums = {name: tuple(labels) for name, labels in await _rows(conn, _ENUMS)}
    sequences = {
        name: Sequence(name, type_, int(start), int(step), int(low), int(high), int(cache), cycle)
        for name, type_, start, step, low, high, cache, cycle in await _rows(conn, _SEQUENCES)
    }
    return Schema("postgresql", tables, enums=enums, sequences=sequences)


async def _rows(conn: AsyncConnection, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in (await conn.exec_driver_sql(sql)).all()]


def _column(row: tuple[Any, ...]) -> Column:
    (
        _relid,
        name,
        type_,
        notnull,
        default,
        comment,
        collation,
        identity,
        generated,
        sequence,
        *seq,
    ) = row
    type_text = str(type_)
    generated_expr: str | None = None
    if generated == "s":
        generated_expr, default = f"({default}) STORED", None
    identity_text: str | None = None
    serial: str | None = None
    if identity in ("a", "d") and sequence is not None:
        start, increment, minvalue, maxvalue, cache, cycle = seq
        identity_text = identity_clause(
            "ALWAYS" if identity == "a" else "BY DEFAULT",
            type_text,
            int(str(start)),
            int(str(increment)),
            int(str(minvalue)),
            int(str(maxvalue)),
            int(str(cache)),
            bool(cycle),
        )
    elif (
        sequence is not None
        and isinstance(default, str)
        and default.startswith("nextval(")
        and type_text in _SERIAL
    ):
        serial = str(sequence)
    return Column(
        name=str(name),
        type=type_text,
        nullable=not notnull,
        default=str(default) if default is not None else None,
        comment=str(comment) if comment is not None else None,
        collation=str(collation) if collation is not None else None,
        identity=identity_text,
        generated=generated_expr,
        serial=serial,
    )


_SERIAL = {"integer": "serial", "bigint": "bigserial", "smallint": "smallserial"}


def serial_type(type_: str) -> str:
    """``serial`` for ``integer``, ``bigserial`` for ``bigint``, ``smallserial`` for
    ``smallint``."""
    return _SERIAL[type_]


# PostgreSQL's reserved key words (and those that cannot be column or table names).
_RESERVED_WORDS = """ALL ANALYSE ANALYZE AND ANY ARRAY AS ASC ASYMMETRIC AUTHORIZATION BINARY BOTH CASE CAST
    CHECK COLLATE COLLATION COLUMN CONCURRENTLY CONSTRAINT CREATE CROSS CURRENT_CATALOG
    CURRENT_DATE CURRENT_ROLE CURRENT_SCHEMA CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER
    DEFAULT DEFERRABLE DESC DISTINCT DO ELSE END EXCEPT FALSE FETCH FOR FOREIGN FREEZE FROM
    FULL GRANT GROUP HAVING ILIKE IN INITIALLY INNER INTERSECT INTO IS ISNULL JOIN LATERAL
    LEADING LEFT LIKE LIMIT LOCALTIME LOCALTIMESTAMP NATURAL NOT NOTNULL NULL OFFSET ON ONLY OR
    ORDER OUTER OVERLAPS PLACING PRIMARY REFERENCES RETURNING RIGHT SELECT SESSION_USER
    SIMILAR SOME SYMMETRIC SYSTEM_USER TABLE TABLESAMPLE THEN TO TRAILING TRUE UNION UNIQUE
    USER USING VARIADIC VERBOSE WHEN WHERE WINDOW WITH"""
_RESERVED = frozenset(_RESERVED_WORDS.split())
