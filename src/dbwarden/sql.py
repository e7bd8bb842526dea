"""Dialect-aware splitting of SQL text into statements, and facts about those statements.

The splitter is a lexer, not a parser: it knows exactly enough of each dialect's lexical
rules to tell a statement-ending ``;`` from one inside a string, a quoted identifier, a
comment, a PostgreSQL dollar quote or a compound body:

- ``'...'`` strings with ``''`` escapes (a backslash is an ordinary character, as with
  PostgreSQL's ``standard_conforming_strings = on`` and in SQLite);
- PostgreSQL ``E'...'`` strings, where a backslash escapes the next character;
- ``"..."`` identifiers with ``""`` escapes; on SQLite and ``generic`` also ```...```
  and ``[...]`` identifiers;
- ``--`` line comments and ``/* */`` block comments, which nest on PostgreSQL only;
- PostgreSQL dollar quotes ``$$...$$`` and ``$tag$...$tag$`` (``$1`` is a parameter);
- on PostgreSQL, like psql: a ``;`` inside parentheses does not split (multi-action
  ``CREATE RULE ... DO ( ...; ... )``), nor one inside the ``BEGIN ATOMIC ... END`` body of a
  ``CREATE [OR REPLACE] FUNCTION|PROCEDURE``;
- on SQLite and ``generic``: a ``;`` inside the ``BEGIN ... END`` body of a
  ``CREATE [TEMP|TEMPORARY] TRIGGER`` does not split; ``CASE ... END`` nests inside it.
  ``begin`` and ``end`` are also legal column names in SQLite, so inside a body a second
  ``BEGIN`` is a column, and an ``END`` closes the body only when no ``CASE`` is open and a
  ``;`` (or the end of the text) follows it; ``new.end`` is always a column.

Scanning is one compiled regular expression per dialect and mode, matched token by token;
ordinary text between tokens is consumed inside the regex engine, never by a Python loop.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from dbwarden.errors import SQLSyntaxError

__all__ = [
    "NON_TRANSACTIONAL",
    "Dialect",
    "Statement",
    "line_of",
    "locate",
    "non_transactional",
    "split",
]

Dialect = Literal["postgresql", "sqlite", "generic"]

_FIRST_LINE_WIDTH: Final = 120
# SQL whitespace is ASCII whitespace: PostgreSQL and SQLite both read a no-break space or
# any other non-ASCII character as part of an identifier.
_WS: Final = " \t\n\r\f\v"


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of a script.

    ``text`` is exactly as in the source: from the statement's first significant character
    to its last one, so comments before and after it, the terminating ``;`` and surrounding
    whitespace are not part of it, while comments inside it are kept. ``start`` is its
    offset in the text that was split (``source[start:start + len(text)] == text``) and
    ``line`` the 1-based line of ``start`` in the file.
    """

    text: str
    start: int
    line: int

    @property
    def first_line(self) -> str:
        """The first non-empty line of the statement, stripped and cut to 120 characters."""
        for raw in self.text.split("\n"):
            line = raw.strip()
            if line:
                if len(line) > _FIRST_LINE_WIDTH:
                    return line[: _FIRST_LINE_WIDTH - 1] + "…"
                return line
        return ""


# ---------------------------------------------------------------------------------------
# The lexer
# ---------------------------------------------------------------------------------------

# Identifier characters, as both PostgreSQL and SQLite define them: ASCII letters, digits,
# "_", "$" (not first) and every non-ASCII character.
_ID_START: Final = "A-Za-z_\u0080-\U0010ffff"
_ID_CONT: Final = "A-Za-z0-9_$\u0080-\U0010ffff"
# A dollar-quote tag: identifier characters without "$", not starting with a digit.
_TAG: Final = "[A-Za-z_\u0080-\U0010ffff][A-Za-z0-9_\u0080-\U0010ffff]*+"

_SQ: Final = r"'[^']*+(?:''[^']*+)*+'"
_DQ: Final = r'"[^"]*+(?:""[^"]*+)*+"'
_BQ: Final = r"`[^`]*+(?:``[^`]*+)*+`"
_BR: Final = r"\[[^\]]*+\]"
_E_BODY: Final = r"'[^'\\]*+(?:(?:\\.|'')[^'\\]*+)*+'"
# PostgreSQL glues string literals separated by whitespace that holds a newline; the
# continuation of an E'' string is an E'' string too.
_E_CONT: Final = r"[ \t\f]*+[\n\r](?:[ \t\n\r\f\v]++|--[^\n\r]*+[\n\r])*+"
_E_STRING: Final = rf"[eE]{_E_BODY}(?:{_E_CONT}{_E_BODY})*+"
# A block comment with no nested opener; the general nested case is scanned in Python.
_PG_FLAT_COMMENT: Final = r"/\*(?:[^*/]++|\*(?!/)|/(?!\*))*+\*/"
_C_COMMENT: Final = r"/\*[^*]*+\*++(?:[^/*][^*]*+\*++)*+/"
_KEYWORD: Final = r"(?i:begin|case|end)(?![" + _ID_CONT + "])"

# Statements whose body may hold semicolons (checked at the statement's first character).
_SEP: Final = r"(?:[ \t\n\r\f\v]|--[^\n]*+|/\*(?:[^*]|\*(?!/))*+\*/)++"
# What may follow the END that closes a trigger body.
_AFTER_END: Final = re.compile(r"(?:[ \t\n\r\f\v]++|--[^\n]*+|/\*(?:[^*]|\*(?!/))*+\*/)*+(?:;|\Z)")
_NON_SPACE: Final = re.compile(r"[^ \t\n\r\f\v]")
_PG_COMMENT_MARK: Final = re.compile(r"/\*|\*/")


# Patterns holding the non-ASCII identifier range are compiled on first use: the range
# costs the regex compiler ~20 ms, and a run that applies nothing never splits anything.
@functools.cache
def _compound_start(dialect: Dialect) -> re.Pattern[str]:
    """A statement whose body may hold semicolons: a PostgreSQL routine (``BEGIN ATOMIC``),
    a SQLite trigger."""
    if dialect == "postgresql":
        head = rf"create{_SEP}(?:or{_SEP}replace{_SEP})?(?:function|procedure)"
    else:
        head = rf"create{_SEP}(?:(?:temp|temporary){_SEP})?trigger"
    return re.compile(rf"(?i:{head})(?![{_ID_CONT}])")


@functools.cache
def _id_chars() -> re.Pattern[str]:
    return re.compile(rf"[{_ID_CONT}]")


@functools.cache
def _e_string_at() -> re.Pattern[str]:
    return re.compile(_E_STRING, re.DOTALL)


def _lexer(dialect: Dialect, *, block: bool) -> re.Pattern[str]:
    """The master pattern: a run of ordinary text (group ``plain``), then one token.

    ``plain`` is possessive and stops only where a token starts, so the token alternation
    always matches unless the input has ended; the ``bad`` alternative catches openers
    whose full form failed to match, which are exactly the unterminated ones.
    In ``block`` mode whole words are consumed, so that ``begin``/``case``/``end`` can be
    told apart from identifiers that merely contain them.

    An ``E'...'`` string is found from its quote: ``split`` looks at the character before
    every ``'`` (stopping the plain run at every ``e`` instead more than doubles regex time).
    """
    pg = dialect == "postgresql"
    stops = ";'\"\\-/" + ("$" if pg else "`\\[")
    if block:
        plain = [
            rf"[^{stops}{_ID_START}]++",
            rf"[AaDdF-Zf-z_\u0080-\U0010ffff][{_ID_CONT}]*+",  # cannot start a keyword
            rf"(?!{_KEYWORD})[BbCcEe][{_ID_CONT}]*+",
        ]
    else:
        plain = [rf"[^{stops}]++"]
    plain += [r"-(?!-)", r"/(?!\*)"]
    if pg:
        plain.append(rf"\$(?!(?:{_TAG})?\$)")
    tokens = [r"(?P<semi>;)", rf"(?P<sq>{_SQ})", r"(?P<lc>--[^\n\r]*+)", rf"(?P<dq>{_DQ})"]
    if pg:
        tokens += [
            rf"(?P<dol>\$(?:{_TAG})?\$)",
            rf"(?P<flat>{_PG_FLAT_COMMENT})",
            r"(?P<nest>/\*)",
        ]
    else:
        tokens += [rf"(?P<flat>{_C_COMMENT})", rf"(?P<bq>{_BQ})", rf"(?P<br>{_BR})"]
    if block:
        tokens.append(rf"(?P<kw>{_KEYWORD})")
    tokens.append(r"(?P<bad>['\"]|/\*)" if pg else r"(?P<bad>['\"`\[]|/\*)")
    return re.compile(rf"(?P<plain>(?:{'|'.join(plain)})*+)(?:{'|'.join(tokens)})?", re.DOTALL)


# Patterns are compiled on first use: compiling all of them up front costs a CLI start-up
# a tenth of a second, and a run needs only its own dialect's.
_lexer_for = functools.cache(_lexer)


def _unterminated(source: str, at: int, dialect: Dialect) -> str:
    """The message for an unterminated token that opens at ``source[at]``."""
    opener = source[at : at + 2]
    if opener == "/*":
        nested = " (block comments nest in PostgreSQL: each /* needs its own */)"
        return "unterminated block comment /* opened here; close it with */" + (
            nested if dialect == "postgresql" else ""
        )
    char = source[at]
    if char in "eE":
        return (
            "unterminated escape string E'...' opened here; close it with ' "
            "(in an E'' string a backslash escapes the next character, so \\' does not close it)"
        )
    if char == "'":
        return (
            "unterminated string literal opened here; close it with ' "
            "(write '' for a quote inside the string)"
        )
    if char == '"':
        return (
            'unterminated quoted identifier " opened here; close it with " '
            '(write "" for a quote inside the name)'
        )
    if char == "`":
        return (
            "unterminated quoted identifier ` opened here; close it with ` "
            "(write `` for a backtick inside the name)"
        )
    return "unterminated quoted identifier [ opened here; close it with ]"


def split(
    source: str,
    dialect: Dialect,
    *,
    path: str | Path | None = None,
    first_line: int = 1,
) -> tuple[Statement, ...]:
    """Split ``source`` into its statements.

    A statement ends at a top-level ``;`` or at the end of the text; stretches holding only
    whitespace and comments are not statements. ``first_line`` is the file line on which
    ``source`` starts (for a section cut out of a file); ``path`` only labels errors.

    Raises ``SQLSyntaxError`` (with the line where the token starts) for an unterminated
    string, quoted identifier, block comment, dollar quote or SQLite trigger body.
    """
    pg = dialect == "postgresql"
    fast = _lexer_for(dialect, block=False)
    lexer = fast
    statements: list[Statement] = []
    # Incremental line counting: ``line_at`` is the line of offset ``line_pos``.
    line_pos, line_at = 0, first_line

    def fail(at: int, message: str) -> SQLSyntaxError:
        return SQLSyntaxError(message, path=path, line=line_of(source, at, first_line))

    pos = 0
    start = -1  # offset of the current statement's first significant character
    tail = -1  # offset where a run of comments after its last significant token starts
    parens = 0  # PostgreSQL: parenthesis depth
    block = False  # inside a compound statement (lexer is the block one)
    depth = 0  # PostgreSQL routine: BEGIN/CASE depth; SQLite trigger: CASE depth
    body = -1  # SQLite trigger: offset of the BEGIN that opened the body
    while True:
        m = lexer.match(source, pos)
        assert m is not None  # "plain" matches the empty string
        p0, p1 = m.span("plain")
        kind = m.lastgroup
        if p1 > p0 and (start < 0 or tail >= 0):
            first = _NON_SPACE.search(source, p0, p1)
            if first is not None:
                tail = -1
                if start < 0:
                    start = first.start()
                    if not block and _compound_start(dialect).match(source, start):
                        # Rescan this statement with the word-aware lexer.
                        block, lexer, pos = True, _lexer_for(dialect, block=True), start
                        continue
        if pg and p1 > p0:
            parens += source.count("(", p0, p1) - source.count(")", p0, p1)
            if parens < 0:
                parens = 0
        if kind == "plain" or kind is None:  # end of input
            assert p1 == len(source)  # every stop character starts some token
            if body >= 0:
                raise fail(
                    body,
                    "unterminated trigger body: BEGIN opened here has no matching END; "
                    "close the trigger with END;",
                )
            if start >= 0:
                text = source[start : tail if tail >= 0 else len(source)].rstrip(_WS)
                line_at += source.count("\n", line_pos, start)
                statements.append(Statement(text, start, line_at))
            return tuple(statements)
        t0, t1 = m.span(kind)
        if kind == "semi":
            if parens == 0 and body < 0 and (depth == 0 or not pg):
                if start >= 0:
                    text = source[start : tail if tail >= 0 else t0].rstrip(_WS)
                    line_at += source.count("\n", line_pos, start)
                    line_pos = start
                    statements.append(Statement(text, start, line_at))
                start, tail, block, lexer, depth = -1, -1, False, fast, 0
            else:
                tail = -1
            pos = t1
            continue
        if kind == "lc" or kind == "flat":
            if start >= 0 and tail < 0:
                tail = t0
            pos = t1
            continue
        if kind == "nest":  # PostgreSQL block comment holding a nested opener
            level, scan = 1, t1
            while level:
                mark = _PG_COMMENT_MARK.search(source, scan)
                if mark is None:
                    raise fail(t0, _unterminated(source, t0, dialect))
                level += 1 if mark.group() == "/*" else -1
                scan = mark.end()
            if start >= 0 and tail < 0:
                tail = t0
            pos = scan
            continue
        if (
            pg
            and (kind == "sq" or kind == "bad")
            and t0
            and source[t0 - 1] in "eE"
            and (t0 == 1 or not _id_chars().match(source, t0 - 2))
        ):
            # An E'' string: backslash escapes apply. (After an identifier ending in "e",
            # as in date'2024-01-01', the quote opens an ordinary string.)
            e_string = _e_string_at().match(source, t0 - 1)
            if e_string is None:
                raise fail(t0 - 1, _unterminated(source, t0 - 1, dialect))
            kind, t1 = "es", e_string.end()
        if kind == "bad":
            raise fail(t0, _unterminated(source, t0, dialect))
        # A significant token: string, quoted identifier, dollar quote or keyword.
        tail = -1
        if start < 0:
            start = t0
        pos = t1
        if kind == "dol":
            if t0 and _id_chars().match(source, t0 - 1):
                # "$" inside an identifier such as a$b$: not a quote; rescan after it.
                pos = t0 + 1
                continue
            delim = source[t0:t1]
            close = source.find(delim, t1)
            if close < 0:
                raise fail(
                    t0, f"unterminated dollar quote {delim} opened here; close it with {delim}"
                )
            pos = close + len(delim)
        elif kind == "kw":
            word = source[t0:t1].lower()
            if pg:  # psql's rule for BEGIN ATOMIC bodies
                if parens == 0:
                    if word == "begin" or (word == "case" and depth > 0):
                        depth += 1
                    elif word == "end" and depth > 0:
                        depth -= 1
            elif t0 and source[t0 - 1] == ".":
                pass  # new.end, old.begin: a column, not a keyword
            elif word == "case":
                depth += 1
            elif word == "end":
                if depth > 0:
                    depth -= 1
                elif body >= 0 and _AFTER_END.match(source, t1):
                    body = -1
                # else: a column named "end"
            elif body < 0 and depth == 0:
                body = t0  # BEGIN opens the body; later BEGINs are column names


@functools.cache
def _any_trigger() -> re.Pattern[str]:
    return re.compile(r"(?i:trigger)")


@functools.cache
def _checker(dialect: Dialect) -> re.Pattern[str]:
    """A pattern whose ``fullmatch`` proves a text lexically complete (every string, quoted
    identifier and comment closed): the tokens of the master lexer, less the ones ``check``
    leaves to ``split``. Group ``sql`` matches (empty) where the first statement starts,
    after whitespace, comments and ``;``; it does not match in a text without statements."""
    comment = _PG_FLAT_COMMENT if dialect == "postgresql" else _C_COMMENT
    blank = rf"(?:[ \t\n\r\f\v;]++|--[^\n\r]*+|{comment})*+"
    quotes = [_SQ, _DQ] if dialect == "postgresql" else [_SQ, _DQ, _BQ, _BR]
    stops = "'\"\\-/" if dialect == "postgresql" else "'\"\\-/`\\["
    parts = [rf"[^{stops}]++", *quotes, r"--[^\n\r]*+", comment, r"-(?!-)", r"/(?!\*)"]
    start = r"(?P<sql>(?=[^ \t\n\r\f\v;])(?!--|/\*))"
    return re.compile(rf"{blank}(?:{start}(?:{'|'.join(parts)})*+)?", re.DOTALL)


def check(
    source: str,
    dialect: Dialect,
    *,
    path: str | Path | None = None,
    first_line: int = 1,
) -> tuple[bool, tuple[Statement, ...] | None]:
    """Validate ``source`` as ``split`` would, without building its statements when a
    single regular-expression match can prove it well formed.

    Returns ``(has_statements, statements)``: ``statements`` is ``None`` when the fast
    proof sufficed (split later, on first use) and the result of ``split`` otherwise.
    Raises exactly what ``split`` raises. Texts with constructs a regular expression cannot
    follow exactly (PostgreSQL dollar quotes, ``E''`` escapes and nested comments, SQLite
    trigger bodies) always go through ``split``.
    """
    pg = dialect == "postgresql"
    if pg:
        simple = "$" not in source and "\\" not in source
    elif source.isascii():
        simple = "trigger" not in source.lower()
    else:  # the regex engine's case-insensitive "trigger" also matches "trıgger"
        simple = _any_trigger().search(source) is None
    if simple:
        proof = _checker(dialect).fullmatch(source)
        if proof is not None:
            return proof.start("sql") >= 0, None
    statements = split(source, dialect, path=path, first_line=first_line)
    return bool(statements), statements


def line_of(source: str, offset: int, first_line: int = 1) -> int:
    """The 1-based file line of a 0-based character offset into ``source``.

    ``first_line`` is the file line on which ``source`` starts; an offset past either end
    is clamped to it.
    """
    offset = min(max(offset, 0), len(source))
    return first_line + source.count("\n", 0, offset)


def locate(statements: Sequence[Statement], source_offset: int) -> Statement | None:
    """The statement a 0-based offset into the split text belongs to.

    An offset belongs to the last statement starting at or before it, so a position in the
    whitespace, comments or ``;`` after a statement's text (PostgreSQL reports "at end of
    input" errors there) maps to that statement. ``None`` before the first statement.
    ``statements`` must be in source order, as ``split`` returns them.
    """
    from bisect import bisect_right

    index = bisect_right(statements, source_offset, key=lambda s: s.start) - 1
    return statements[index] if index >= 0 else None


# ---------------------------------------------------------------------------------------
# Statements that cannot run inside a transaction
# ---------------------------------------------------------------------------------------

_TX_CONTROL: Final = (
    "transaction control statements are not allowed in a transactional migration: "
    "dbwarden runs each migration in its own transaction"
)


def _pg(what: str) -> str:
    return f"{what} cannot run inside a transaction block"


# Rules per dialect and first word: (regular expression, reason). An expression is matched
# at the start of the statement's *normalised* text: its tokens separated by single spaces,
# comments dropped, words upper-cased, every string literal written '?', every quoted
# identifier "?" and every dollar-quoted string $?$. So keywords inside strings, quoted
# names and comments never match, and neither do layout or case. The first word picks the
# candidate rules, so most statements (INSERT, SELECT, ...) are never normalised.
NON_TRANSACTIONAL: Final[Mapping[Dialect, Mapping[str, tuple[tuple[str, str], ...]]]] = {
    "postgresql": {
        "CREATE": (
            (r"CREATE (UNIQUE )?INDEX CONCURRENTLY\b", _pg("CREATE INDEX CONCURRENTLY")),
            (r"CREATE DATABASE\b", _pg("CREATE DATABASE")),
            (r"CREATE TABLESPACE\b", _pg("CREATE TABLESPACE")),
            (
                r"CREATE SUBSCRIPTION\b(?!.*\b(CREATE_SLOT|CONNECT) = (FALSE|OFF|0)\b)",
                _pg("CREATE SUBSCRIPTION that creates a replication slot"),
            ),
        ),
        "DROP": (
            (r"DROP INDEX CONCURRENTLY\b", _pg("DROP INDEX CONCURRENTLY")),
            (r"DROP DATABASE\b", _pg("DROP DATABASE")),
            (r"DROP TABLESPACE\b", _pg("DROP TABLESPACE")),
            (
                r"DROP SUBSCRIPTION\b",
                _pg("DROP SUBSCRIPTION of a subscription with a replication slot"),
            ),
        ),
        "REINDEX": (
            (
                r"REINDEX (\( [^)]*\) )?(INDEX|TABLE|SCHEMA|DATABASE|SYSTEM) CONCURRENTLY\b"
                r"|REINDEX \( ([^)]* )?CONCURRENTLY (?!(FALSE|OFF|0) )[^)]*\)",
                _pg("REINDEX CONCURRENTLY"),
            ),
            (
                r"REINDEX (\( [^)]*\) )?(SCHEMA|DATABASE|SYSTEM)\b",
                _pg("REINDEX SCHEMA, DATABASE and SYSTEM"),
            ),
        ),
        "VACUUM": ((r"VACUUM\b", _pg("VACUUM")),),
        "ALTER": (
            (r"ALTER DATABASE \S+ SET TABLESPACE\b", _pg("ALTER DATABASE ... SET TABLESPACE")),
            (r"ALTER SYSTEM\b", _pg("ALTER SYSTEM")),
            (
                r"ALTER TABLE .*\bDETACH PARTITION (\S+ \. )?\S+ CONCURRENTLY\b",
                _pg("DETACH PARTITION ... CONCURRENTLY"),
            ),
            (
                r"ALTER SUBSCRIPTION \S+ (REFRESH PUBLICATION\b|(SET|ADD|DROP) PUBLICATION\b"
                r"(?!.*\bREFRESH = (FALSE|OFF|0)\b))",
                _pg("ALTER SUBSCRIPTION ... that refreshes the publication"),
            ),
        ),
        "CLUSTER": ((r"CLUSTER( VERBOSE| \( [^)]*\))?$", _pg("CLUSTER without a table name")),),
        "DISCARD": ((r"DISCARD ALL\b", _pg("DISCARD ALL")),),
        "BEGIN": ((r"BEGIN\b", _TX_CONTROL),),
        "START": ((r"START TRANSACTION\b", _TX_CONTROL),),
        "COMMIT": ((r"COMMIT\b", _TX_CONTROL),),
        "END": ((r"END\b", _TX_CONTROL),),
        "ABORT": ((r"ABORT\b", _TX_CONTROL),),
        "ROLLBACK": ((r"ROLLBACK\b(?! ((WORK|TRANSACTION) )?TO\b)", _TX_CONTROL),),
        "PREPARE": ((r"PREPARE TRANSACTION\b", _TX_CONTROL),),
    },
    "sqlite": {
        "VACUUM": ((r"VACUUM\b", "VACUUM cannot run inside a transaction"),),
        "PRAGMA": (
            (
                r"PRAGMA (\S+ \. )?JOURNAL_MODE (=|\()",
                "PRAGMA journal_mode cannot be changed inside a transaction",
            ),
            (
                r"PRAGMA (\S+ \. )?SYNCHRONOUS (=|\()",
                "PRAGMA synchronous cannot be changed inside a transaction",
            ),
            (
                r"PRAGMA (\S+ \. )?FOREIGN_KEYS (=|\()",
                "PRAGMA foreign_keys is silently ignored inside a transaction",
            ),
        ),
        "BEGIN": ((r"BEGIN\b", _TX_CONTROL),),
        "COMMIT": ((r"COMMIT\b", _TX_CONTROL),),
        "END": ((r"END\b", _TX_CONTROL),),
        "ROLLBACK": ((r"ROLLBACK\b(?! (TRANSACTION )?TO\b)", _TX_CONTROL),),
    },
    "generic": {
        "VACUUM": ((r"VACUUM\b", "VACUUM cannot run inside a transaction"),),
        "CREATE": ((r"CREATE DATABASE\b", "CREATE DATABASE cannot run inside a transaction"),),
        "DROP": ((r"DROP DATABASE\b", "DROP DATABASE cannot run inside a transaction"),),
        "BEGIN": (
            (r"BEGIN( (TRANSACTION|TRAN|WORK|DEFERRED|IMMEDIATE|EXCLUSIVE)\b|$)", _TX_CONTROL),
        ),
        "START": ((r"START TRANSACTION\b", _TX_CONTROL),),
        "COMMIT": ((r"COMMIT\b", _TX_CONTROL),),
        "END": ((r"END( TRANSACTION)?$", _TX_CONTROL),),
        "ROLLBACK": ((r"ROLLBACK\b(?! ((WORK|TRANSACTION|TRAN) )?TO\b)", _TX_CONTROL),),
    },
}


@functools.cache
def _rules(dialect: Dialect) -> Mapping[str, tuple[tuple[re.Pattern[str], str], ...]]:
    return {
        word: tuple((re.compile(rx), reason) for rx, reason in rules)
        for word, rules in NON_TRANSACTIONAL[dialect].items()
    }


# Enough tokens for every rule; a huge CREATE TABLE is never read to its end.
_NORMALISE_TOKENS: Final = 40


def _normaliser(dialect: Dialect) -> re.Pattern[str]:
    pg = dialect == "postgresql"
    parts = [r"(?P<ws>[ \t\n\r\f\v]++|--[^\n\r]*+)"]
    if pg:
        parts += [rf"(?P<s>{_E_STRING}|{_SQ})", r"(?P<nest>/\*)", rf"(?P<dol>\$(?:{_TAG})?\$)"]
        parts.append(rf"(?P<q>{_DQ})")
    else:
        parts += [rf"(?P<ws2>{_C_COMMENT})", rf"(?P<s>{_SQ})", rf"(?P<q>{_DQ}|{_BQ}|{_BR})"]
    parts += [
        rf"(?P<w>[{_ID_START}][{_ID_CONT}]*+)",
        r"(?P<n>[0-9][0-9A-Za-z_.]*+)",
        r"(?P<o>.)",
    ]
    return re.compile("|".join(parts), re.DOTALL)


_normaliser_for = functools.cache(_normaliser)


def _normalise(text: str, dialect: Dialect, limit: int) -> str:
    """The statement's first ``limit`` tokens in the form ``NON_TRANSACTIONAL`` reads."""
    pattern = _normaliser_for(dialect)
    out: list[str] = []
    pos, end = 0, len(text)
    while pos < end and len(out) < limit:
        m = pattern.match(text, pos)
        assert m is not None  # the last alternative matches any character
        kind, pos = m.lastgroup, m.end()
        if kind == "w":
            out.append(m.group().upper())
        elif kind == "s":
            out.append("'?'")
        elif kind == "q":
            out.append('"?"')
        elif kind == "dol":
            close = text.find(m.group(), pos)
            pos = end if close < 0 else close + len(m.group())
            out.append("$?$")
        elif kind == "nest":
            level = 1
            while level:
                mark = _PG_COMMENT_MARK.search(text, pos)
                if mark is None:
                    pos = end
                    break
                level += 1 if mark.group() == "/*" else -1
                pos = mark.end()
        elif kind == "n" or kind == "o":
            out.append(m.group())
        # ws, ws2: whitespace and comments are dropped
    return " ".join(out)


# Words one of which every CREATE/DROP/ALTER rule above needs; a statement without any of
# them cannot match, which spares the tokenizer for nearly every statement of a migration.
_NEEDLES: Final[Mapping[str, re.Pattern[str]]] = {
    "CREATE": re.compile(r"(?i)concurrently|database|tablespace|subscription"),
    "DROP": re.compile(r"(?i)concurrently|database|tablespace|subscription"),
    "ALTER": re.compile(r"(?i)concurrently|tablespace|system|subscription|publication"),
}


def non_transactional(statement: Statement, dialect: Dialect) -> str | None:
    """Why ``statement`` cannot run inside a transaction, or ``None`` when it can.

    Transaction control (``BEGIN``, ``COMMIT``, ``ROLLBACK``...) is reported too: it would
    end the transaction dbwarden runs the migration in. The rules are ``NON_TRANSACTIONAL``.
    """
    word = _normalise(statement.text, dialect, 1)
    rules = _rules(dialect).get(word)
    if rules is None:
        return None
    needle = _NEEDLES.get(word)
    if needle is not None and needle.search(statement.text) is None:
        return None  # the common CREATE/DROP/ALTER: no rule can match, skip the tokenizer
    normalised = _normalise(statement.text, dialect, _NORMALISE_TOKENS)
    for pattern, reason in rules:
        if pattern.match(normalised):
            return reason
    return None
