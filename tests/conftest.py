"""Shared fixtures: real SQLite files, a real PostgreSQL database per test, Redis.

A service that is not reachable skips its tests with the reason, except when the ``CI``
environment variable is set: then it is a failure, never a skip.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dbwarden.config import clear_registry

PG_HOST = os.environ.get("DBWARDEN_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("DBWARDEN_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("DBWARDEN_TEST_PG_USER", "postgres")
REDIS_URL = os.environ.get("DBWARDEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (or, under CI, fail) when a service is not reachable."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} and CI is set: services must be up in CI")
    pytest.skip(message)


def require_redis_server() -> str:
    """The ``redis-server`` binary, for tests that run (and stop) a Redis of their own: a
    part of the Redis service, so missing it skips, or fails when CI is set."""
    import shutil

    binary = shutil.which("redis-server")
    if binary is not None:
        return binary
    message = "the redis-server binary is not installed"
    if os.environ.get("CI"):
        pytest.fail(f"{message} and CI is set: services must be installed in CI")
    pytest.skip(message)


def pg_admin_dsn() -> str:
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres"


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(pg_admin_dsn())
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_pg_database() -> str:
    """Create a uniquely named database; return its name."""
    require_service("PostgreSQL", PG_HOST, PG_PORT)
    name = f"dbwarden_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    return name


def drop_pg_database(name: str) -> None:
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def pg_url(name: str) -> str:
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


@pytest.fixture
def pg_database() -> Iterator[str]:
    """The URL of a fresh PostgreSQL database, dropped after the test."""
    name = create_pg_database()
    try:
        yield pg_url(name)
    finally:
        drop_pg_database(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using this runs once on a SQLite file and once on a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    name = create_pg_database()
    try:
        yield pg_url(name)
    finally:
        drop_pg_database(name)


@pytest.fixture
def redis_url() -> str:
    require_service("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    clear_registry()
    yield
    clear_registry()


@pytest.fixture
def anyio_backend() -> str:
    # asyncpg and aiosqlite (and SQLAlchemy over them) are asyncio-only.
    return "asyncio"
