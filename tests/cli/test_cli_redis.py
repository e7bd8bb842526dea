"""`--redis-url` / DBWARDEN_REDIS_URL on the CLI, and `lock status` showing both locks."""

from __future__ import annotations

import json
import uuid

import pytest
import redis

from .cli_helpers import Invoke, Project

pytestmark = pytest.mark.redis


def test_migrate_with_redis_url_and_lock_status(
    cli: Invoke, sqlite_project: Project, redis_url: str
) -> None:
    key = f"dbwarden:test:{uuid.uuid4().hex[:8]}"
    sqlite_project.write_config(redis_key=key)
    sqlite_project.migration("0001_a.sql", "CREATE TABLE a (id integer);", "DROP TABLE a;")
    client = redis.from_url(redis_url)
    client.set(key, "deployer-9:777:abc", px=60_000)
    try:
        sqlite_project.write_config(redis_key=key, lock_timeout=0.5)
        held = cli("migrate", "--redis-url", redis_url)
        assert held.exit_code == 3, held.output
        assert "deployer-9" in held.output

        status = cli("lock", "status", "--json", env={"DBWARDEN_REDIS_URL": redis_url})
        doc = json.loads(status.stdout)
        assert doc["held"] is False
        assert doc["redis"]["key"] == key and doc["redis"]["held"] is True
        assert doc["redis"]["holder"]["pid"] == 777

        client.delete(key)
        ok = cli("migrate", env={"DBWARDEN_REDIS_URL": redis_url})
        assert ok.exit_code == 0, ok.output
        assert client.exists(key) == 0
        text = cli("lock", "status", "--redis-url", redis_url)
        assert "the Redis lock" in text.output and "is free" in text.output
    finally:
        client.delete(key)
