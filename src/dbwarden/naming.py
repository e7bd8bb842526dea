"""How new migration files are named and what they start with (``dbwarden new``,
``make-migrations``). Pure: no I/O."""

from __future__ import annotations

import re
from datetime import UTC, datetime

__all__ = ["TIMESTAMP_DIGITS", "next_version", "slugify", "template"]

_FILE_VERSION = re.compile(r"^(?:[A-Za-z0-9_]*?__)?(?P<version>[0-9]+)_[A-Za-z0-9_]+\.sql$")
TIMESTAMP_DIGITS = 12


def slugify(message: str, limit: int = 60) -> str:
    """``"Add e-mail index!"`` → ``add_e_mail_index``: lowercase ASCII letters, digits and
    single underscores, at most ``limit`` characters."""
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")
    return slug[:limit].rstrip("_") or "migration"


def next_version(names: list[str], now: datetime) -> str:
    """The version of a new file: max + 1 at the width the existing files use (4 digits for
    the first), or the current UTC timestamp when the existing files use timestamps."""
    versions = [m["version"] for n in names if (m := _FILE_VERSION.match(n))]
    if not versions:
        return "0001"
    top = max(versions, key=int)
    if len(str(int(top))) >= TIMESTAMP_DIGITS:
        stamp = now.astimezone(UTC).strftime("%Y%m%d%H%M%S")
        return stamp if int(stamp) > int(top) else str(int(top) + 1)
    return str(int(top) + 1).zfill(len(top))


# A header line that reads as a marker or a directive would change the file's meaning.
_SPECIAL_LINE = re.compile(r"^(?:upgrade|rollback|dbwarden[ \t]*:.*)$", re.IGNORECASE)


def template(message: str) -> str:
    """A new migration file: the message as its header comment, then empty sections."""
    lines = [line.strip() for line in message.strip().splitlines()] or [""]
    header = "\n".join(
        f"-- {'migration: ' if _SPECIAL_LINE.match(line) else ''}{line}".rstrip() for line in lines
    )
    return f"{header}\n-- upgrade\n\n\n-- rollback\n\n"
