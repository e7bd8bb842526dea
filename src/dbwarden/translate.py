"""Dev mode: migrations written for PostgreSQL, run on SQLite.

In dev mode (``--dev``, ``ENVIRONMENT=development``) with a PostgreSQL ``database_url`` and a
SQLite ``dev_database_url``, files are parsed as PostgreSQL and each statement is translated
on its own with sqlglot (this is the only module that imports it) into zero, one or more
SQLite statements. A statement has one of three outcomes:

- **translated**: tables, indexes, views, the ``ALTER TABLE`` actions SQLite has, inserts,
  updates, deletes and queries. Types map to SQLite ones (``_type``), PostgreSQL syntax is
  rewritten (``::`` casts, ``ARRAY[...]``, ``gen_random_uuid()``, ``now()``, ``ILIKE``,
  ``CONCURRENTLY``, ``USING gin``, ``public.`` prefixes, identity and serial keys), and an
  ``ADD CONSTRAINT ... UNIQUE`` becomes a unique index.
- **dropped with a warning**, always: statements that only matter to PostgreSQL and leave
  every table's columns as they are (``_DROPPED``): extensions, comments, settings,
  privileges, ownership, maintenance, enum and domain types (columns of those types are
  TEXT on SQLite), sequence positioning, and the ``ALTER TABLE`` actions SQLite cannot do in
  place that only add or relax enforcement (``ADD CONSTRAINT`` FOREIGN KEY or CHECK,
  ``ALTER COLUMN`` SET/DROP NOT NULL, SET/DROP DEFAULT, TYPE without a data-changing USING).
- **untranslatable**: everything else, e.g. functions, procedures, ``DO`` blocks, triggers,
  rules, policies, sequences, materialized views, schemas, and functions or operators SQLite
  does not have. Skipped with a warning when the file is marked ``-- dbwarden:
  postgres-only``; otherwise a ``TranslationError`` naming the file and line, raised when the
  files are loaded, before the database is touched.

A translated file keeps the checksums of the file as written, and each statement the line
of the statement it came from. Translations are cached per section checksum in memory and,
unless ``DBWARDEN_CACHE_DIR`` is set to an empty value, on disk (``cache_dir``), so a
repeated ``dbwarden migrate --dev`` neither imports sqlglot nor translates again.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ._version import __version__
from .errors import ConfigError, TranslationError
from .model import MigrationFile, Section
from .sql import Dialect, Statement

if TYPE_CHECKING:
    from sqlglot import exp

__all__ = [
    "Translation",
    "cache_dir",
    "translate_files",
    "translate_statement",
    "translates",
]

#: Bump when a rule changes, so that no disk cache serves an older translation.
RULES_REVISION: Final = 1
INSTALL_HINT: Final = 'pip install "dbwarden[dev-sqlite]"'
_PAIRS: Final = frozenset({("postgresql", "sqlite")})
_SQLGLOT: Final[Mapping[str, str]] = {"postgresql": "postgres", "sqlite": "sqlite"}


def translates(source: Dialect, target: Dialect) -> bool:
    """Whether files written for ``source`` are translated to run on ``target``."""
    return (source, target) in _PAIRS


@dataclass(frozen=True, slots=True)
class Translation:
    """What one statement becomes: the SQLite statements to run (``sql``), what was left out
    and why (``dropped``), or why it cannot run on SQLite at all (``untranslatable``)."""

    sql: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    untranslatable: str | None = None


# --- files ---------------------------------------------------------------------------------


def translate_files(
    files: Sequence[MigrationFile],
    source: Dialect,
    target: Dialect,
    *,
    cache_dir: Path | None = None,
) -> tuple[MigrationFile, ...]:
    """``files`` (parsed as ``source``) with every section translated to ``target``."""
    cache = _DiskCache(cache_dir, source, target) if cache_dir is not None else None
    return tuple(_translate_file(f, source, target, cache) for f in files)


def _translate_file(
    f: MigrationFile, source: Dialect, target: Dialect, cache: _DiskCache | None
) -> MigrationFile:
    postgres_only = "postgres-only" in f.directives
    upgrade = _translate_section(f, f.upgrade, source, target, cache, postgres_only)
    rollback = (
        _translate_section(f, f.rollback, source, target, cache, postgres_only)
        if f.rollback is not None
        else None
    )
    return replace(f, upgrade=upgrade, rollback=rollback)


def _translate_section(
    f: MigrationFile,
    section: Section,
    source: Dialect,
    target: Dialect,
    cache: _DiskCache | None,
    postgres_only: bool,
) -> Section:
    if not section.statements:
        return section
    results = _section_translations(section, source, target, cache)
    texts: list[tuple[str, int]] = []  # (SQLite text, line of the original statement)
    warnings: list[str] = []
    for statement, result in zip(section.statements, results, strict=True):
        where = f"{f.path.name}:{statement.line}"
        if result.untranslatable is not None:
            if not postgres_only:
                raise TranslationError(
                    f"dev mode cannot run `{statement.first_line}` on SQLite: "
                    f"{result.untranslatable}. Mark the file `-- dbwarden: postgres-only` in "
                    "its header to skip such statements in dev mode (what translates still "
                    "runs), or write the statement so that it translates",
                    path=f.path,
                    line=statement.line,
                )
            warnings.append(
                f"{where}: skipped in dev mode (postgres-only; {result.untranslatable}): "
                f"{statement.first_line}"
            )
            continue
        for reason in result.dropped:
            warnings.append(f"{where}: left out in dev mode ({reason}): {statement.first_line}")
        texts.extend((text, statement.line) for text in result.sql)

    statements: list[Statement] = []
    offset = 0
    for text, line in texts:
        statements.append(Statement(text=text, start=offset, line=line))
        offset += len(text) + 2
    return Section(
        text=";\n".join(text for text, _ in texts),
        first_line=section.first_line,
        digest=section.checksum,  # always the checksum of the file as written
        dialect=target,
        path=section.path,
        presplit=tuple(statements),
        warnings=tuple(warnings),
    )


# --- caches --------------------------------------------------------------------------------

_memory: dict[tuple[str, Dialect, Dialect], tuple[Translation, ...]] = {}
_MEMORY_MAX = 8192


def _section_translations(
    section: Section, source: Dialect, target: Dialect, cache: _DiskCache | None
) -> tuple[Translation, ...]:
    # Keyed by the section's checksum: equal checksums mean equal SQL up to whitespace at
    # line ends, so the statements and their translations are the same.
    key = (section.checksum, source, target)
    found = _memory.get(key)
    if found is None or len(found) != len(section.statements):
        found = cache.get(section.checksum) if cache is not None else None
        if found is None or len(found) != len(section.statements):
            found = tuple(translate_statement(s.text, source, target) for s in section.statements)
            if cache is not None:
                cache.put(section.checksum, found)
        if len(_memory) >= _MEMORY_MAX:
            _memory.clear()
        _memory[key] = found
    return found


def cache_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """Where translations are kept between runs: ``$DBWARDEN_CACHE_DIR`` (empty: no disk
    cache), else ``$XDG_CACHE_HOME/dbwarden``, else ``~/.cache/dbwarden``."""
    env = os.environ if environ is None else environ
    if "DBWARDEN_CACHE_DIR" in env:
        value = env["DBWARDEN_CACHE_DIR"].strip()
        return Path(value) if value else None
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "dbwarden"


class _DiskCache:
    """One small JSON file per translated section under ``<dir>/translate/``. Any problem
    reading or writing it only means translating again."""

    def __init__(self, directory: Path, source: Dialect, target: Dialect) -> None:
        self.directory = directory / "translate"
        self.salt = f"{source}>{target}|{_fingerprint()}"

    def _path(self, checksum: str) -> Path:
        digest = hashlib.sha256(f"{self.salt}|{checksum}".encode()).hexdigest()
        return self.directory / f"{digest[:40]}.json"

    def get(self, checksum: str) -> tuple[Translation, ...] | None:
        try:
            data = json.loads(self._path(checksum).read_text(encoding="utf-8"))
            return tuple(
                Translation(tuple(d["sql"]), tuple(d["dropped"]), d["untranslatable"]) for d in data
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, checksum: str, translations: tuple[Translation, ...]) -> None:
        data = [
            {"sql": list(t.sql), "dropped": list(t.dropped), "untranslatable": t.untranslatable}
            for t in translations
        ]
        path = self._path(checksum)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()


@functools.cache
def _fingerprint() -> str:
    """What a cached translation depends on: the rules (this file) and sqlglot's version,
    read from its metadata so that a cache hit never imports sqlglot."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        sqlglot_version = version("sqlglot")
    except PackageNotFoundError:
        sqlglot_version = "missing"
    rules = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    return f"{RULES_REVISION}:{rules}:{__version__}:{sqlglot_version}"


# --- one statement ---------------------------------------------------------------------------

_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_TYPES_NOTE = "SQLite has no user-defined types; columns of such types are TEXT in dev mode"
_RLS_NOTE = "SQLite has no row-level security; the dev database does not enforce it"
# Leading words → why the statement is left out (it changes no column a dev app reads).
_DROPPED: Final[Mapping[tuple[str, ...], str]] = {
    ("CREATE", "EXTENSION"): "SQLite has no extensions",
    ("ALTER", "EXTENSION"): "SQLite has no extensions",
    ("DROP", "EXTENSION"): "SQLite has no extensions",
    ("COMMENT", "ON"): "SQLite keeps no comments on objects",
    ("SET",): "a PostgreSQL setting",
    ("RESET",): "a PostgreSQL setting",
    ("GRANT",): "SQLite has no privileges",
    ("REVOKE",): "SQLite has no privileges",
    ("ALTER", "DEFAULT", "PRIVILEGES"): "SQLite has no privileges",
    ("ANALYZE",): "maintenance",
    ("VACUUM",): "maintenance",
    ("REINDEX",): "maintenance",
    ("CLUSTER",): "maintenance",
    ("CHECKPOINT",): "maintenance",
    ("CREATE", "TYPE"): _TYPES_NOTE,
    ("ALTER", "TYPE"): _TYPES_NOTE,
    ("DROP", "TYPE"): _TYPES_NOTE,
    ("CREATE", "DOMAIN"): _TYPES_NOTE,
    ("ALTER", "DOMAIN"): _TYPES_NOTE,
    ("DROP", "DOMAIN"): _TYPES_NOTE,
    ("CREATE", "POLICY"): _RLS_NOTE,
    ("ALTER", "POLICY"): _RLS_NOTE,
    ("DROP", "POLICY"): _RLS_NOTE,
}
# Leading words → why the statement cannot run on SQLite (skipped only when postgres-only).
_UNTRANSLATABLE: Final[Mapping[tuple[str, ...], str]] = {
    ("CREATE", "FUNCTION"): "a PostgreSQL function",
    ("CREATE", "OR", "REPLACE", "FUNCTION"): "a PostgreSQL function",
    ("CREATE", "PROCEDURE"): "a PostgreSQL procedure",
    ("CREATE", "OR", "REPLACE", "PROCEDURE"): "a PostgreSQL procedure",
    ("DROP", "FUNCTION"): "SQLite has no functions",
    ("DROP", "PROCEDURE"): "SQLite has no procedures",
    ("DO",): "a PL/pgSQL block",
    ("CALL",): "SQLite has no procedures",
    ("CREATE", "TRIGGER"): "a PostgreSQL trigger (SQLite triggers are written differently)",
    ("CREATE", "OR", "REPLACE", "TRIGGER"): "a PostgreSQL trigger",
    ("CREATE", "CONSTRAINT", "TRIGGER"): "a PostgreSQL trigger",
    ("DROP", "TRIGGER"): "a PostgreSQL trigger",
    ("CREATE", "RULE"): "a PostgreSQL rule",
    ("CREATE", "OR", "REPLACE", "RULE"): "a PostgreSQL rule",
    ("CREATE", "SEQUENCE"): "SQLite has no sequences",
    ("ALTER", "SEQUENCE"): "SQLite has no sequences",
    ("DROP", "SEQUENCE"): "SQLite has no sequences",
    ("CREATE", "MATERIALIZED", "VIEW"): "SQLite has no materialized views",
    ("REFRESH", "MATERIALIZED", "VIEW"): "SQLite has no materialized views",
    ("DROP", "MATERIALIZED", "VIEW"): "SQLite has no materialized views",
    ("CREATE", "SCHEMA"): "SQLite has no schemas",
    ("DROP", "SCHEMA"): "SQLite has no schemas",
    ("LISTEN",): "SQLite has no notifications",
    ("NOTIFY",): "SQLite has no notifications",
    ("LOCK",): "SQLite has no table locks",
    ("COPY",): "COPY is a PostgreSQL command",
}
_OVERRIDING = re.compile(r"(?i)\bOVERRIDING\s+(?:SYSTEM|USER)\s+VALUE\b")
_OWNER_TO = re.compile(r"(?is)^ALTER\b.*\bOWNER\s+TO\b")
_ALTER_TABLE_RLS = re.compile(r"(?is)^ALTER\s+TABLE\b.*\bROW\s+LEVEL\s+SECURITY\b")
_ALTER_TABLE_DROPPED = re.compile(
    r"(?is)^ALTER\s+TABLE\b.*\b(?:VALIDATE\s+CONSTRAINT|SET\s+STATISTICS|CLUSTER\s+ON"
    r"|REPLICA\s+IDENTITY)\b"
)

# SQLite's built-in functions (core, date and time, aggregate, window, math, JSON).
_FUNCTION_NAMES: Final = """
    abs changes char coalesce concat concat_ws format glob hex ifnull iif instr
    last_insert_rowid length like likelihood likely lower ltrim max min nullif octet_length
    printf quote random randomblob replace round rtrim sign soundex sqlite_version substr
    substring total_changes trim typeof unhex unicode unlikely upper zeroblob cast exists
    date time datetime julianday unixepoch strftime timediff current_date current_time
    current_timestamp avg count group_concat string_agg sum total row_number rank dense_rank
    percent_rank cume_dist ntile lag lead first_value last_value nth_value acos acosh asin
    asinh atan atan2 atanh ceil ceiling cos cosh degrees exp floor ln log log10 log2 mod pi
    pow power radians sin sinh sqrt tan tanh trunc json json_array json_array_length
    json_error_position json_extract json_insert json_object json_patch json_remove
    json_replace json_set json_type json_valid json_quote json_group_array json_group_object
    json_each json_tree jsonb jsonb_array jsonb_extract jsonb_object
"""
_SQLITE_FUNCTIONS: Final = frozenset(_FUNCTION_NAMES.split())
_CONTAINMENT = "SQLite has no array or jsonb operators (@>, <@, &&, ?)"
_CALL = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\(")
# gen_random_uuid() on SQLite: a random version-4 UUID as text.
_UUID_SQL: Final = (
    "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || "
    "substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || "
    "substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))"
)


class _Untranslatable(Exception):
    """Raised inside a translation: why the statement cannot run on SQLite."""


def translate_statement(
    text: str, source: Dialect = "postgresql", target: Dialect = "sqlite"
) -> Translation:
    """Translate one statement (its text as split by ``dbwarden.sql``)."""
    if not translates(source, target):
        raise ValueError(f"no translation from {source} to {target}")
    words = tuple(w.upper() for w in _WORD.findall(_COMMENTS.sub(" ", text[:400]))[:4])
    for n in (4, 3, 2, 1):
        if words[:n] in _DROPPED:
            return Translation(dropped=(_DROPPED[words[:n]],))
        if words[:n] in _UNTRANSLATABLE:
            return Translation(untranslatable=_UNTRANSLATABLE[words[:n]])
    if _OWNER_TO.match(text):
        return Translation(dropped=("SQLite has no object owners",))
    if _ALTER_TABLE_RLS.match(text):
        return Translation(dropped=(_RLS_NOTE,))
    if _ALTER_TABLE_DROPPED.match(text):
        return Translation(dropped=("PostgreSQL storage and validation settings",))
    if words[:2] == ("SELECT", "SETVAL") or words[:3] == ("SELECT", "PG_CATALOG", "SETVAL"):
        return Translation(dropped=("SQLite has no sequences; it numbers rows by itself",))
    if words[:1] == ("INSERT",):
        # Explicit values for identity columns: SQLite takes them without being asked.
        text = _OVERRIDING.sub(" ", text, count=1)
    try:
        with _quiet():
            return _Translator(source, target).statement(text)
    except _Untranslatable as exc:
        return Translation(untranslatable=str(exc))


@functools.cache
def _sqlglot() -> None:
    try:
        import sqlglot  # noqa: F401
    except ImportError:
        raise ConfigError(
            "dev mode runs PostgreSQL migrations on SQLite by translating them with sqlglot, "
            f"which is not installed; {INSTALL_HINT}"
        ) from None


class _QuietFilter(logging.Filter):
    # sqlglot logs "contains unsupported syntax. Falling back to parsing as a 'Command'" for
    # every statement it does not know; dbwarden reports those itself, once, with file:line.
    active = 0

    def filter(self, record: logging.LogRecord) -> bool:
        return self.active == 0


_filter = _QuietFilter()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    _sqlglot()
    logger = logging.getLogger("sqlglot")
    if _filter not in logger.filters:
        logger.addFilter(_filter)
    _filter.active += 1
    try:
        yield
    finally:
        _filter.active -= 1


class _Translator:
    """PostgreSQL → SQLite for one statement, on sqlglot's syntax tree."""

    def __init__(self, source: Dialect, target: Dialect) -> None:
        self.read = _SQLGLOT[source]
        self.write = _SQLGLOT[target]
        self.dropped: list[str] = []

    def statement(self, text: str) -> Translation:
        import sqlglot
        from sqlglot import exp
        from sqlglot.errors import SqlglotError

        try:
            trees = [t for t in sqlglot.parse(text, read=self.read) if t is not None]
        except SqlglotError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise _Untranslatable(f"sqlglot cannot read it ({reason})") from None
        if len(trees) != 1:
            raise _Untranslatable("sqlglot reads it as more than one statement")
        tree = trees[0]
        if isinstance(tree, exp.Command):
            raise _Untranslatable(f"dev mode does not translate {_head(text)} statements")

        sql: list[str]
        if isinstance(tree, exp.Create):
            sql = self.create(tree)
        elif isinstance(tree, exp.Drop):
            sql = self.drop(tree)
        elif isinstance(tree, exp.Alter):
            sql = self.alter(tree)
        elif isinstance(tree, exp.TruncateTable):
            sql = [self.generate(exp.Delete(this=self.table(t))) for t in tree.expressions]
        elif isinstance(tree, exp.Insert | exp.Update | exp.Delete | exp.Query):
            sql = [self.generate(self.rewrite(tree))]
        else:
            raise _Untranslatable(f"dev mode does not translate {_head(text)} statements")
        return Translation(sql=tuple(sql), dropped=tuple(self.dropped))

    # --- statements ----------------------------------------------------------------------

    def create(self, tree: exp.Create) -> list[str]:
        from sqlglot import exp

        kind = str(tree.args.get("kind") or "").upper()
        if kind not in ("TABLE", "INDEX", "VIEW"):
            raise _Untranslatable(f"SQLite has no CREATE {kind or 'such object'}")
        if kind == "INDEX":
            tree.set("concurrently", False)
            params = tree.find(exp.IndexParameters)
            if params is not None:
                params.set("using", None)  # gin, gist, brin: SQLite has B-trees only
                params.set("include", None)  # covering columns only speed reads up
                for opclass in list(params.find_all(exp.Opclass)):
                    opclass.replace(opclass.this)
        if kind == "TABLE":
            self.identity_keys(tree)
            self.checks(tree)
        replace_view: list[str] = []
        if kind == "VIEW" and tree.args.get("replace"):
            # SQLite has no CREATE OR REPLACE VIEW: drop the old view, then create it.
            tree.set("replace", False)
            drop = exp.Drop(tables=[self.table(tree.this.copy())], kind="VIEW", exists=True)
            replace_view.append(self.generate(drop))
        return [*replace_view, self.generate(self.rewrite(tree))]

    def drop(self, tree: exp.Drop) -> list[str]:
        from sqlglot import exp

        kind = str(tree.args.get("kind") or "").upper()
        if kind not in ("TABLE", "INDEX", "VIEW"):
            raise _Untranslatable(f"SQLite has no DROP {kind or 'such object'}")
        if tree.args.get("materialized"):
            raise _Untranslatable("SQLite has no materialized views")
        tree.set("concurrently", False)
        tree.set("cascade", False)  # SQLite drops dependants of its own accord, or never
        tree.set("restrict", False)
        targets = tree.args.get("tables") or [tree.this]
        out = []
        for target in targets:  # SQLite drops one object per statement
            one = tree.copy()
            one.set("tables", [self.table(target.copy())] if isinstance(target, exp.Table) else [])
            if not isinstance(target, exp.Table):
                one.set("this", target.copy())
            out.append(self.generate(one))
        return out

    def alter(self, tree: exp.Alter) -> list[str]:
        from sqlglot import exp

        if str(tree.args.get("kind") or "").upper() != "TABLE":
            raise _Untranslatable(
                f"SQLite cannot ALTER {str(tree.args.get('kind') or 'this').upper()}"
            )
        table = self.table(tree.this)
        out: list[str] = []
        for action in tree.args.get("actions") or []:
            one = exp.Alter(
                this=table.copy(), kind="TABLE", exists=tree.args.get("exists"), actions=[]
            )
            if isinstance(action, exp.ColumnDef):
                action.set("exists", False)  # SQLite has no ADD COLUMN IF NOT EXISTS
                one.set("actions", [self.rewrite(self.column(action))])
            elif (
                isinstance(action, exp.Drop) and str(action.args.get("kind")).upper() == "COLUMN"
            ) or isinstance(action, exp.RenameColumn | exp.AlterRename):
                one.set("actions", [action])
            elif isinstance(action, exp.AddConstraint):
                out.extend(self.add_constraint(table, action))
                continue
            elif isinstance(action, exp.Drop) and str(action.args.get("kind")).upper() == (
                "CONSTRAINT"
            ):
                # Only a UNIQUE constraint added later exists on SQLite, as a unique index
                # of the same name (see add_constraint); others were never there.
                for name in action.args.get("tables") or []:
                    out.append(
                        f"DROP INDEX IF EXISTS {self.generate(exp.to_identifier(name.name))}"
                    )
                self.dropped.append(
                    "SQLite cannot drop a constraint; only a unique index of that name, left by "
                    "ADD CONSTRAINT ... UNIQUE, is dropped"
                )
                continue
            elif isinstance(action, exp.AlterColumn):
                self.alter_column(action)
                continue
            else:
                raise _Untranslatable(f"SQLite cannot ALTER TABLE ... {action.sql(self.read)}")
            out.append(self.generate(one))
        return out

    def add_constraint(self, table: exp.Table, action: exp.AddConstraint) -> list[str]:
        from sqlglot import exp

        out: list[str] = []
        for constraint in action.expressions:
            name = constraint.this.name if isinstance(constraint, exp.Constraint) else ""
            kinds = constraint.expressions if isinstance(constraint, exp.Constraint) else []
            for kind in kinds:
                if isinstance(kind, exp.UniqueColumnConstraint) and name:
                    columns = kind.this.expressions if isinstance(kind.this, exp.Schema) else []
                    index = exp.Create(
                        kind="INDEX",
                        unique=True,
                        this=exp.Index(
                            this=exp.to_identifier(name),
                            table=table.copy(),
                            params=exp.IndexParameters(columns=[c.copy() for c in columns]),
                        ),
                    )
                    out.append(self.generate(index))
                elif isinstance(kind, exp.ForeignKey | exp.CheckColumnConstraint):
                    what = "FOREIGN KEY" if isinstance(kind, exp.ForeignKey) else "CHECK"
                    self.dropped.append(
                        f"SQLite cannot add a {what} constraint to an existing table; "
                        "the dev database does not enforce it"
                    )
                else:
                    raise _Untranslatable(
                        f"SQLite cannot add this constraint to an existing table "
                        f"({kind.sql(self.read)})"
                    )
        return out

    def alter_column(self, action: exp.AlterColumn) -> None:
        from sqlglot import exp

        column = action.this.name
        dtype = action.args.get("dtype")
        using = action.args.get("using")
        if dtype is not None and using:
            trivial = (
                isinstance(using, exp.Cast)
                and isinstance(using.this, exp.Column)
                and using.this.name == column
            )
            if not trivial:
                raise _Untranslatable(
                    "SQLite cannot change a column's type, and this USING clause changes its data"
                )
        if dtype is not None:
            what = "change a column's type (SQLite stores any value in any column)"
        elif "allow_null" in action.args:
            what = "change whether a column accepts NULL"
        elif action.args.get("drop") or "default" in action.args:
            what = "change a column's default"
        else:
            raise _Untranslatable(f"SQLite cannot ALTER COLUMN {action.sql(self.read)}")
        self.dropped.append(f"SQLite cannot {what}; column {column} keeps its old definition")

    # --- rewriting -----------------------------------------------------------------------

    def identity_keys(self, tree: exp.Create) -> None:
        """Identity and serial keys: on SQLite, an INTEGER PRIMARY KEY numbers rows."""
        from sqlglot import exp

        schema = tree.this if isinstance(tree.this, exp.Schema) else None
        if schema is None:
            return
        table_pk: set[str] = set()
        for item in schema.expressions:
            pk = item.find(exp.PrimaryKey) if not isinstance(item, exp.ColumnDef) else None
            if pk is not None:
                cols = [e.name for e in pk.expressions]
                if len(cols) == 1:
                    table_pk.add(cols[0])
        for col in schema.expressions:
            if not isinstance(col, exp.ColumnDef):
                continue
            identity = [
                c
                for c in col.constraints
                if isinstance(c.kind, exp.GeneratedAsIdentityColumnConstraint)
            ]
            serial = col.kind is not None and col.kind.this in (
                exp.DataType.Type.SERIAL,
                exp.DataType.Type.BIGSERIAL,
                exp.DataType.Type.SMALLSERIAL,
            )
            if not identity and not serial:
                continue
            for c in identity:
                c.pop()
            is_pk = col.name in table_pk or any(
                isinstance(c.kind, exp.PrimaryKeyColumnConstraint) for c in col.constraints
            )
            if is_pk:
                col.set("kind", exp.DataType.build("INTEGER"))
            else:
                self.dropped.append(
                    f"SQLite numbers only an INTEGER PRIMARY KEY; column {col.name} gets no "
                    "automatic values in dev mode"
                )

    def checks(self, tree: exp.Create) -> None:
        """CHECK constraints SQLite cannot evaluate (regular expressions, array functions)
        are left out: they only refuse rows, and the table is what the app needs."""
        from sqlglot import exp

        for check in list(tree.find_all(exp.CheckColumnConstraint)):
            try:
                self.rewrite(check.copy())
            except _Untranslatable as exc:
                holder = check.parent
                if (
                    isinstance(holder, exp.Constraint) and len(holder.expressions) == 1
                ) or isinstance(holder, exp.ColumnConstraint):
                    holder.pop()
                else:
                    check.pop()
                self.dropped.append(f"a CHECK constraint SQLite cannot evaluate ({exc})")

    def column(self, col: exp.ColumnDef) -> exp.ColumnDef:
        from sqlglot import exp

        for c in col.constraints:
            if isinstance(c.kind, exp.GeneratedAsIdentityColumnConstraint):
                raise _Untranslatable("SQLite cannot add an identity column to a table")
        return col

    def table(self, table: exp.Expr) -> exp.Table:
        from sqlglot import exp

        if not isinstance(table, exp.Table):
            raise _Untranslatable(f"unexpected table {table.sql(self.read)}")
        self.unqualify(table)
        return table

    def unqualify(self, table: exp.Table) -> None:
        if table.args.get("catalog") is not None:
            raise _Untranslatable("SQLite has no catalogs")
        db = table.args.get("db")
        if db is None:
            return
        if db.name.lower() in ("public", "pg_temp"):
            table.set("db", None)  # PostgreSQL's default schema is SQLite's only one
        else:
            raise _Untranslatable(f"SQLite has no schemas (schema {db.name})")

    def rewrite(self, tree: exp.Expr) -> exp.Expr:
        """Everything below a statement: names, types, literals, functions, operators."""
        from sqlglot import exp

        for table in list(tree.find_all(exp.Table)):
            if isinstance(table.parent, exp.Opclass):
                continue
            self.unqualify(table)
        for dtype in list(tree.find_all(exp.DataType)):
            if dtype.find_ancestor(exp.DataType) is None:
                dtype.replace(_type(dtype))
        self.array_lists(tree)
        for uuid in list(tree.find_all(exp.Uuid)):
            uuid.replace(exp.Paren(this=_parse_sqlite(_UUID_SQL)))
        for array in list(tree.find_all(exp.Array)):
            array.replace(exp.Anonymous(this="json_array", expressions=list(array.expressions)))
        for string in list(tree.find_all(exp.ByteString)):  # PostgreSQL's E'...' strings
            string.replace(exp.Literal.string(string.this))
        for ordered in tree.find_all(exp.Ordered):
            if not isinstance(ordered.parent, exp.Order):
                # Index columns, ON CONFLICT targets: NULLS FIRST/LAST is an ORDER BY clause
                # on SQLite. Set it to SQLite's default so that nothing is written.
                ordered.set("nulls_first", not ordered.args.get("desc"))
        plain = (  # what SQLite takes after DEFAULT without parentheses
            exp.Literal,
            exp.Null,
            exp.Boolean,
            exp.Paren,
            exp.Neg,
            exp.CurrentTimestamp,
            exp.CurrentDate,
            exp.CurrentTime,
        )
        for constraint in list(tree.find_all(exp.DefaultColumnConstraint)):
            if not isinstance(constraint.this, plain):
                constraint.set("this", exp.Paren(this=constraint.this))  # SQLite: DEFAULT (x)
        self.check_functions(tree)
        return tree

    def array_lists(self, tree: exp.Expr) -> None:
        """``x = ANY (ARRAY[a, b])`` → ``x IN (a, b)``, ``x <> ALL (ARRAY[...])`` → ``NOT IN``:
        PostgreSQL writes every ``IN`` list of a view or CHECK constraint that way."""
        from sqlglot import exp

        def array_of(node: exp.Expr | None) -> exp.Array | None:
            while isinstance(node, exp.Paren | exp.Cast):
                node = node.this
            return node if isinstance(node, exp.Array) else None

        for node in list(tree.find_all(exp.Any, exp.Anonymous)):
            if isinstance(node, exp.Anonymous) and node.name.upper() != "ALL":
                continue
            parent = node.parent
            inner = node.this if isinstance(node, exp.Any) else (node.expressions or [None])[0]
            array = array_of(inner)
            if array is None or parent is None or parent.args.get("expression") is not node:
                continue
            items = [e.copy() for e in array.expressions]
            if isinstance(node, exp.Any) and isinstance(parent, exp.EQ):
                parent.replace(exp.In(this=parent.this.copy(), expressions=items))
            elif isinstance(node, exp.Anonymous) and isinstance(parent, exp.NEQ):
                parent.replace(exp.Not(this=exp.In(this=parent.this.copy(), expressions=items)))

    def check_functions(self, tree: exp.Expr) -> None:
        from sqlglot import exp

        unsupported: dict[type[exp.Expr], str] = {
            exp.Bracket: "SQLite has no arrays",
            exp.ArraySlice: "SQLite has no arrays",
            exp.ArrayContains: _CONTAINMENT,
            exp.ArrayContainedBy: _CONTAINMENT,
            exp.ArrayContainsAll: _CONTAINMENT,
            exp.ArrayOverlaps: _CONTAINMENT,
            exp.Any: "SQLite has no arrays (= ANY)",
            exp.All: "SQLite has no arrays (ALL)",
            exp.JSONBContains: _CONTAINMENT,
            exp.JSONBContainsAllTopKeys: "SQLite has no jsonb operators",
            exp.JSONBContainsAnyTopKeys: "SQLite has no jsonb operators",
            exp.JSONBContainsTopKey: "SQLite has no jsonb operators",
            exp.JSONBDeleteAtPath: "SQLite has no jsonb operators",
            exp.RegexpLike: "SQLite has no regular expressions",
            exp.RegexpILike: "SQLite has no regular expressions",
            exp.SimilarTo: "SQLite has no SIMILAR TO",
            exp.Interval: "SQLite has no intervals",
            exp.Lock: "SQLite has no row locks",
        }
        for node in tree.walk():
            reason = unsupported.get(type(node))
            if reason is not None:
                raise _Untranslatable(f"{reason}: {node.sql(self.read)}")
            if isinstance(node, exp.Func):
                m = _CALL.match(node.sql(self.write))
                if m and m[1].lower() not in _SQLITE_FUNCTIONS:
                    name = node.name if isinstance(node, exp.Anonymous) else m[1].lower()
                    raise _Untranslatable(f"SQLite has no function {name}()")

    def generate(self, tree: exp.Expr) -> str:
        from sqlglot.errors import ErrorLevel, UnsupportedError

        try:
            return tree.sql(dialect=self.write, unsupported_level=ErrorLevel.RAISE)
        except UnsupportedError as exc:
            reason = str(exc).strip().splitlines()[0]
            raise _Untranslatable(f"SQLite has no equivalent ({reason})") from None


def _head(text: str) -> str:
    words = [w.upper() for w in _WORD.findall(_COMMENTS.sub(" ", text[:200]))[:2]]
    return " ".join(words if words[:1] in (["CREATE"], ["ALTER"], ["DROP"]) else words[:1])


def _parse_sqlite(sql: str) -> exp.Expr:
    import sqlglot

    return sqlglot.parse_one(sql, read="sqlite")


def _type(dtype: exp.DataType) -> exp.DataType:
    """The SQLite column type for a PostgreSQL one: names SQLite and SQLAlchemy both read,
    with the affinity that keeps values as the app wrote them (JSON, UUIDs, arrays, enums
    and other types SQLite lacks are TEXT)."""
    from sqlglot import exp

    t = exp.DataType.Type
    params = [p.sql() for p in dtype.expressions]
    args = f"({', '.join(params)})" if params else ""
    name: str
    if dtype.this in (
        t.INT,
        t.BIGINT,
        t.SMALLINT,
        t.TINYINT,
        t.MEDIUMINT,
        t.SERIAL,
        t.BIGSERIAL,
        t.SMALLSERIAL,
        t.UINT,
        t.UBIGINT,
        t.USMALLINT,
        t.UTINYINT,
    ):
        name = "INTEGER"
    elif dtype.this is t.BOOLEAN:
        name = "BOOLEAN"
    elif dtype.this in (t.VARCHAR, t.NVARCHAR):
        name = f"VARCHAR{args}"
    elif dtype.this in (t.CHAR, t.NCHAR):
        name = f"CHAR{args}"
    elif dtype.this in (t.DECIMAL, t.BIGDECIMAL, t.MONEY, t.SMALLMONEY):
        name = f"NUMERIC{args}"
    elif dtype.this in (t.FLOAT, t.DOUBLE):
        name = "REAL"
    elif dtype.this is t.DATE:
        name = "DATE"
    elif dtype.this in (t.TIME, t.TIMETZ):
        name = "TIME"
    elif dtype.this in (
        t.TIMESTAMP,
        t.TIMESTAMPTZ,
        t.TIMESTAMPLTZ,
        t.TIMESTAMPNTZ,
        t.DATETIME,
    ):
        name = "TIMESTAMP"
    elif dtype.this in (t.VARBINARY, t.BINARY, t.BLOB):
        name = "BLOB"
    elif dtype.this is t.UUID:
        name = "CHAR(36)"
    else:  # TEXT, JSON(B), arrays, enums, domains, intervals, network types, ...
        name = "TEXT"
    return exp.DataType(this=exp.DataType.Type.USERDEFINED, kind=name)
