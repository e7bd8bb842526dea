"""The normalised SHA-256 checksum of a section.

Normalising first means a Windows checkout (CRLF), a BOM or an editor that trims trailing
spaces changes nothing, while any change to the SQL itself changes the checksum.
"""

from __future__ import annotations

import hashlib

__all__ = ["checksum", "normalise"]

PREFIX = "sha256:"


def normalise(text: str) -> str:
    """BOM removed, CRLF/CR → LF, trailing whitespace stripped per line, leading and
    trailing blank lines dropped."""
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    start, end = 0, len(lines)
    while start < end and not lines[start]:
        start += 1
    while end > start and not lines[end - 1]:
        end -= 1
    return "\n".join(lines[start:end])


def checksum(text: str) -> str:
    """``sha256:<hex>`` of the normalised text."""
    return PREFIX + hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()
