"""Check the database at startup; or migrate it from a lifespan of your own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dbwarden.fastapi import dbwarden_lifespan, migration_context
from fastapi import FastAPI

from app import database  # noqa: F401  # the configuration: it registers the databases

# Refuses to start while a migration is pending or an applied file was edited; a database
# *ahead* of this code (a rolling deploy) is fine. Disposes the engines at shutdown.
app = FastAPI(lifespan=dbwarden_lifespan("check"))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Apply pending migrations under the migration lock, then serve.
    async with migration_context("migrate"):
        app.state.cache = {}  # the rest of your startup
        yield
    # migration_context has disposed every cached engine by now


migrating_app = FastAPI(lifespan=lifespan)
