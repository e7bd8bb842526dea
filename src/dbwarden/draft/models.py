"""Importing a database's ``model_paths`` and collecting their SQLAlchemy ``MetaData``."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..errors import DraftError, ModelImportError
from .snapshot import TRACKING_TABLES

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from ..config import DatabaseHandle

__all__ = ["check_models", "load_metadata"]


def load_metadata(handle: DatabaseHandle) -> tuple[MetaData, ...]:
    """Import each of ``handle.model_paths`` (``"app.models"``, or ``"app.models:Base"`` to
    name the object) with the project root on ``sys.path``, and return every ``MetaData``
    found: module-level ``MetaData`` objects and the ``metadata`` of declarative bases."""
    from sqlalchemy import MetaData

    if not handle.model_paths:
        raise DraftError(
            f"database {handle.name!r} has no model_paths; add "
            "model_paths=['app.models'] (the modules that define your SQLAlchemy models) "
            "to its database_config"
        )
    root = str(handle.base_dir)
    if root not in sys.path:
        sys.path.insert(0, root)
    found: dict[int, MetaData] = {}
    for path in handle.model_paths:
        module_name, _, attribute = path.partition(":")
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            raise ModelImportError(
                f"cannot import model module {module_name!r} (model_paths of database "
                f"{handle.name!r}, imported from {root}): {type(exc).__name__}: {exc}",
                module=module_name,
                original=exc,
            ) from exc
        if attribute:
            obj: object = module
            for part in attribute.split("."):
                obj = getattr(obj, part, None)
                if obj is None:
                    raise ModelImportError(
                        f"model path {path!r}: module {module_name!r} has no {attribute!r}",
                        module=module_name,
                    )
            candidates: Iterable[object] = (obj,)
        else:
            candidates = vars(module).values()
        for value in candidates:
            metadata = value if isinstance(value, MetaData) else getattr(value, "metadata", None)
            if isinstance(metadata, MetaData):
                found.setdefault(id(metadata), metadata)
    metadatas = tuple(found.values())
    check_models(metadatas, where=", ".join(handle.model_paths))
    return metadatas


def check_models(metadatas: tuple[MetaData, ...], *, where: str = "the models") -> None:
    """Refuse models with no tables, tables outside the default schema, and a table name
    defined twice: each a ``DraftError`` saying what to change."""
    names: dict[str, int] = {}
    for metadata in metadatas:
        for table in metadata.tables.values():
            if table.schema is not None:
                raise DraftError(
                    f"table {table.schema}.{table.name} ({where}) is outside the default "
                    "schema; drafting covers the default schema only: write migrations for "
                    "other schemas by hand and keep those tables out of model_paths"
                )
            if table.name in TRACKING_TABLES:
                continue
            if names.setdefault(table.name, id(metadata)) != id(metadata):
                raise DraftError(f"table {table.name} is defined by two MetaData objects ({where})")
    if not names:
        raise DraftError(
            f"{where} define no tables: import the modules that declare your models from "
            "the model path, or point model_paths at them"
        )
