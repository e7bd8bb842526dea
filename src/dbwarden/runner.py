"""``Runner``: lock → read history → plan → execute → record, emitting events.

Async end to end (anyio). The runner returns data and emits events; it never prints.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, NamedTuple

from .config import DatabaseHandle, ResolvedURL, databases
from .discover import load_directory
from .drivers import Connection, StatementError, connect
from .errors import DBWardenError, MigrationFailedError, PlanError
from .events import EventSink, PlanMade, RunFinished, emit
from .history import Bookkeeping, History, SQLExpression
from .locks import Lock
from .model import (
    AppliedRow,
    Kind,
    MigrationFile,
    Plan,
    RunResult,
    Section,
    Status,
    Step,
    StepResult,
)
from .plan import (
    analyse,
    check_history,
    plan_baseline,
    plan_rollback,
    plan_seed,
    plan_upgrade,
)
from .shield import shielded
from .sql import Dialect

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["Runner", "upgrade_all"]

_PlanMaker = Callable[[Sequence[AppliedRow]], Plan]

MIGRATIONS_TABLE = "dbwarden_migrations"
# The history row's duration when the server runs section and bookkeeping in one query.
_SERVER_DURATION = SQLExpression(
    "CAST(EXTRACT(EPOCH FROM clock_timestamp() - statement_timestamp()) * 1000 AS integer)"
)
SEEDS_TABLE = "dbwarden_seeds"


class _Context(NamedTuple):
    url: ResolvedURL
    files: tuple[MigrationFile, ...]
    table: str = MIGRATIONS_TABLE


class Runner:
    """Runs one database's migrations.

    ``events``: callables that receive every event. ``connection``: run on a SQLAlchemy
    ``AsyncConnection`` the caller owns (any dialect, or inside an app's own engine); the
    lock still uses its own connection. ``dev``: use ``dev_database_url``. ``redis_url``:
    take a Redis lock as well (default: the handle's ``redis_url``, then the
    ``DBWARDEN_REDIS_URL`` environment variable). ``lock_timeout``: override the handle's.
    """

    def __init__(
        self,
        handle: DatabaseHandle,
        *,
        events: Iterable[EventSink] = (),
        connection: AsyncConnection | None = None,
        dev: bool | None = None,
        redis_url: str | None = None,
        lock_timeout: float | None = None,
    ) -> None:
        self.handle = handle
        self.sinks: list[EventSink] = list(events)
        self.connection = connection
        self.dev = dev
        self.redis_url = redis_url
        self.lock_timeout = lock_timeout

    # --- public API ----------------------------------------------------------------------

    def subscribe(self, sink: EventSink) -> None:
        """Add an event sink (the CLI renderer, metrics)."""
        if sink not in self.sinks:
            self.sinks.append(sink)

    def unsubscribe(self, sink: EventSink) -> None:
        if sink in self.sinks:
            self.sinks.remove(sink)

    @property
    def name(self) -> str:
        return self.handle.name

    def load_files(self) -> tuple[MigrationFile, ...]:
        """Parse the migration files; raises ``MigrationFileError`` before any connection.
        In dev mode on SQLite, PostgreSQL files are translated (``dbwarden.translate``)."""
        source, target = self._dialects()
        files = load_directory(
            self.handle.migrations_dir,
            dialect=source,
            database=self.handle.name,
        )
        return self._translated(files, source, target)

    async def upgrade(
        self,
        target: str | int | None = None,
        *,
        dry_run: bool = False,
        allow_out_of_order: bool | None = None,
    ) -> RunResult:
        """Apply pending migrations (up to ``target``). ``dry_run``: take no lock, write
        nothing, and return the exact SQL that would run."""
        ctx = self._context()
        out_of_order = (
            self.handle.allow_out_of_order if allow_out_of_order is None else allow_out_of_order
        )

        def make(applied: Sequence[AppliedRow]) -> Plan:
            return plan_upgrade(
                ctx.files,
                applied,
                dialect=ctx.url.dialect,
                target=target,
                allow_out_of_order=out_of_order,
            )

        if dry_run:
            return await self._dry_run(ctx, make)
        return await self._run(ctx, make, "upgrade")

    async def rollback(
        self,
        steps: int | None = None,
        *,
        to: str | int | None = None,
        dry_run: bool = False,
    ) -> RunResult:
        """Roll back the last ``steps`` versions (default 1), or every version above ``to``."""
        ctx = self._context()

        def make(applied: Sequence[AppliedRow]) -> Plan:
            return plan_rollback(ctx.files, applied, steps=steps if to is None else None, to=to)

        if dry_run:
            return await self._dry_run(ctx, make)
        return await self._run(ctx, make, "rollback")

    async def status(self) -> Status:
        """Applied, pending, checksum mismatches, missing files and the lock holder."""
        return await self._status(self._context())

    async def _status(self, ctx: _Context) -> Status:
        seeds = self.load_seeds()
        seed_rows: tuple[AppliedRow, ...] = ()
        async with self._connection(ctx, read_only=True) as conn:
            if conn is None:
                applied: tuple[AppliedRow, ...] = ()
                holder = None
            else:
                applied = await self._history(conn).read()
                from .locks.database import read_holder

                holder = await read_holder(conn, database=self.name, schema=self.handle.schema)
                if seeds or await self._history(conn, SEEDS_TABLE).exists():
                    seed_rows = await self._history(conn, SEEDS_TABLE).read()
        analysis = analyse(ctx.files, applied)
        seed_analysis = analyse(seeds, seed_rows)
        errors = tuple(
            [f"{m.path.name}: checksum changed since it was applied" for m in analysis.mismatches]
            + [
                f"version {r.version} ({r.name}): applied but the file is missing"
                for r in analysis.missing
            ]
        )
        return Status(
            database=self.name,
            url=ctx.url.redacted,
            state="error" if errors else analysis.state,
            current_version=analysis.current_version,
            applied=applied,
            pending=analysis.pending + analysis.changed,
            mismatches=analysis.mismatches,
            missing=analysis.missing,
            ahead=analysis.ahead,
            lock_holder=holder,
            errors=errors,
            seed_version=seed_analysis.current_version,
            seeds_applied=len(seed_rows),
            seeds_pending=seed_analysis.pending + seed_analysis.changed,
            seeds_changed=seed_analysis.mismatches,
        )

    def load_seeds(self) -> tuple[MigrationFile, ...]:
        """Parse the seed files (none when the seeds directory does not exist)."""
        source, target = self._dialects()
        seeds = load_directory(
            self.handle.seeds_dir,
            dialect=source,
            database=self.handle.name,
            must_exist=False,
        )
        return self._translated(seeds, source, target)

    async def seed(
        self,
        *,
        rerun_changed: bool = False,
        dry_run: bool = False,
        environment: str | None = None,
    ) -> RunResult:
        """Apply pending seeds after the migrations, each in one transaction with its row in
        ``dbwarden_seeds``. A seed edited since it ran is re-applied only with
        ``rerun_changed`` (its rollback first). ``environment`` (default: the
        ``ENVIRONMENT`` variable) decides which ``-- dbwarden: env=...`` seeds run."""
        url = self.handle.resolve(dev=self.dev)
        seeds = self.load_seeds()
        migrations = await self.status()
        if migrations.state not in ("up_to_date", "ahead"):
            raise PlanError(
                f"database {self.name!r}: migrations are not up to date "
                f"({migrations.state}); run `dbwarden migrate` before seeding"
            )
        env = environment if environment is not None else self.handle.environment()
        ctx = _Context(url=url, files=seeds, table=SEEDS_TABLE)

        def make(applied: Sequence[AppliedRow]) -> Plan:
            return plan_seed(
                seeds, applied, dialect=url.dialect, environment=env, rerun_changed=rerun_changed
            )

        if dry_run:
            return await self._dry_run(ctx, make)
        return await self._run(ctx, make, "seed")

    async def baseline(self, version: str | int) -> RunResult:
        """Record every migration up to ``version`` as applied without running it, for a
        database that already has that schema. Refused when history has rows."""
        ctx = self._context()
        async with (
            self._locks(ctx, dry_run=False),
            self._connection(ctx, migrating=True) as conn,
        ):
            assert conn is not None
            history = self._history(conn)
            await history.ensure()
            plan = plan_baseline(ctx.files, await history.read(), version)
            emit(self.sinks, PlanMade(self.name, plan, False))
            async with conn.transaction():
                for step in plan.steps:
                    await history.run(history.baseline(step.file))
        results = tuple(
            StepResult(s.version, s.name, s.file.kind, "baseline", 0, 0) for s in plan.steps
        )
        return RunResult(self.name, plan, applied=results)

    async def history(self) -> tuple[AppliedRow, ...]:
        """The rows of the tracking table, oldest first (reads no migration file)."""
        ctx = _Context(url=self.handle.resolve(dev=self.dev), files=())
        async with self._connection(ctx, read_only=True) as conn:
            return () if conn is None else await self._history(conn).read()

    async def verify(self) -> Status:
        """Check that every applied file is unchanged and present; raise the first problem
        (``ChecksumMismatchError``, ``MissingFileError``), else return the status."""
        ctx = self._context()
        status = await self._status(ctx)
        check_history(analyse(ctx.files, status.applied))
        return status

    async def repair(self, *, dry_run: bool = False) -> RunResult:
        """Re-record the checksums of applied files that were edited on purpose."""
        ctx = self._context()
        async with self._connection(ctx, read_only=dry_run) as conn:
            if conn is None:
                return RunResult(self.name, _empty_plan("repair"), dry_run=dry_run)
            async with self._locks(ctx, dry_run):
                history = self._history(conn)
                applied = await history.read()
                analysis = analyse(ctx.files, applied)
                by_key = {f.key: f for f in ctx.files}
                statements: list[Bookkeeping] = []
                names: list[str] = []
                for m in analysis.mismatches:
                    f = by_key[m.version] if m.version is not None else by_key[m.name]
                    statements.append(history.repair(m.version, m.name, f))
                    names.append(f.name)
                if not dry_run and statements:
                    async with conn.transaction():
                        for statement in statements:
                            await history.run(statement)
                return RunResult(
                    self.name,
                    _empty_plan("repair", analysis.current_version),
                    dry_run=dry_run,
                    sql=tuple(s.rendered for s in statements),
                    repaired=tuple(names),
                )

    # --- internals -----------------------------------------------------------------------

    def _context(self) -> _Context:
        url = self.handle.resolve(dev=self.dev)
        return _Context(url=url, files=self.load_files())

    def _dialects(self) -> tuple[Dialect, Dialect]:
        """(the dialect the files are written in, the dialect they run on). They differ in
        dev mode when production is PostgreSQL and the dev database SQLite."""
        target = self.handle.dialect(dev=self.dev)
        if not self.handle.is_dev(self.dev):
            return target, target
        from .translate import translates

        source = self.handle.dialect(dev=False)
        return (source, target) if translates(source, target) else (target, target)

    def _translated(
        self, files: tuple[MigrationFile, ...], source: Dialect, target: Dialect
    ) -> tuple[MigrationFile, ...]:
        if source == target or not files:
            return files
        from .translate import cache_dir, translate_files

        return translate_files(files, source, target, cache_dir=cache_dir(self.handle.environ))

    def _history(self, conn: Connection, table: str = MIGRATIONS_TABLE) -> History:
        return History(conn, table=table, schema=self.handle.schema)

    @asynccontextmanager
    async def _connection(
        self, ctx: _Context, *, read_only: bool = False, migrating: bool = False
    ) -> AsyncIterator[Connection | None]:
        """The migration connection. ``read_only``: for dry runs and status; a SQLite file
        that does not exist yet yields ``None`` (empty history) instead of being created."""
        if self.connection is not None:
            from .drivers.sqlalchemy import SQLAlchemyConnection

            yield SQLAlchemyConnection(self.connection, owned=False)
            return
        if (
            read_only
            and ctx.url.driver == "aiosqlite"
            and ctx.url.dsn != ":memory:"
            and not os.path.exists(ctx.url.dsn)  # noqa: ASYNC240 - one stat, no I/O wait
        ):
            yield None  # nothing applied yet, and reading must not create the file
            return
        name = "dbwarden"
        if migrating:
            from .locks.database import migration_application_name

            name = migration_application_name(self.name)
        conn = await connect(
            ctx.url, timeout=self.handle.connect_timeout, read_only=read_only, application_name=name
        )
        try:
            yield conn
        finally:
            with shielded():
                await conn.aclose()

    @asynccontextmanager
    async def _locks(self, ctx: _Context, dry_run: bool) -> AsyncIterator[tuple[Lock, ...]]:
        if dry_run:
            yield ()
            return
        held: list[Lock] = []
        async with AsyncExitStack() as stack:
            for lock in self.locks(ctx.url):
                held.append(await stack.enter_async_context(lock))
            yield tuple(held)

    def locks(self, url: ResolvedURL | None = None) -> tuple[Lock, ...]:
        """The locks a run takes, in order: the Redis lock when configured, then the
        database lock (always)."""
        # Imported here: a run with nothing to do takes no lock and need not load them.
        from .locks.database import database_lock

        url = url or self.handle.resolve(dev=self.dev)
        timeout = self.lock_timeout if self.lock_timeout is not None else self.handle.lock_timeout
        found: list[Lock] = []
        redis_url = self.handle.resolve_redis_url(self.redis_url)
        if redis_url:
            from .locks.redis import RedisLock

            found.append(
                RedisLock(
                    redis_url,
                    database=self.name,
                    key=self.handle.redis_key,
                    ttl=self.handle.redis_ttl,
                    timeout=timeout,
                    sinks=tuple(self.sinks),
                )
            )
        found.append(
            database_lock(
                url,
                database=self.name,
                schema=self.handle.schema,
                timeout=timeout,
                ttl=self.handle.lock_ttl,
                connect_timeout=self.handle.connect_timeout,
                sinks=tuple(self.sinks),
            )
        )
        return tuple(found)

    async def _dry_run(self, ctx: _Context, make: _PlanMaker) -> RunResult:
        async with self._connection(ctx, read_only=True) as conn:
            if conn is None:
                applied: tuple[AppliedRow, ...] = ()
                exists = False
                history: History | None = None
            else:
                history = self._history(conn, ctx.table)
                exists = await history.exists()
                applied = await history.read() if exists else ()
            plan = make(applied)
            emit(self.sinks, PlanMade(self.name, plan, True))
            if history is None:
                history = _OfflineHistory(ctx.url, self.handle.schema, ctx.table)
            sql: list[str] = []
            if not exists and plan.steps:
                sql.extend(s + ";" for s in history.ddl())
            replace = {r.key: r.name for r in applied if r.kind is not Kind.VERSIONED}
            for step in plan.steps:
                sql.append(f"-- {step.action} {step.file.path.name}")
                sections = _sections(step)
                bookkeeping = self._bookkeeping(history, step, replace, 0)
                transactional = not step.file.no_transaction
                if transactional:
                    sql.append("BEGIN;")
                for section in sections:
                    sql.extend(s.text + ";" for s in section.statements)
                sql.append(bookkeeping.rendered + ";")
                if transactional:
                    sql.append("COMMIT;")
        return RunResult(self.name, plan, dry_run=True, sql=tuple(sql))

    @staticmethod
    def _bookkeeping(
        history: History,
        step: Step,
        replace: dict[str, str],
        duration_ms: int | SQLExpression,
    ) -> Bookkeeping:
        """The statement recording (or, for a rollback, removing) a step's history row."""
        f = step.file
        if step.action == "rollback":
            return history.remove(f)
        if step.action == "reseed":
            return history.rerecord(f, duration_ms)
        return history.record(f, duration_ms, replace_name=replace.get(f.key))

    async def _run(self, ctx: _Context, make: _PlanMaker, direction: str) -> RunResult:
        started = time.monotonic()
        results: list[StepResult] = []
        applied_rows: Sequence[AppliedRow] = ()
        failed = False
        plan: Plan | None = None
        try:
            async with self._connection(ctx) as conn:
                assert conn is not None
                history = self._history(conn, ctx.table)
                # Plan before locking: when nothing is pending there is nothing to lock for
                # (history only grows under the lock), and a no-op run, the common case at
                # every deploy, takes no lock at all.
                if await history.exists():
                    applied_rows = await history.read()
                    plan = make(applied_rows)
                    if not plan.steps:
                        emit(self.sinks, PlanMade(self.name, plan, False))
                        return RunResult(self.name, plan)
                from .events import StepApplied, StepFailed, StepStarted

                async with self._locks(ctx, dry_run=False) as locks:
                    try:
                        await self._mark_migrating(conn)
                        # Created just now, under the lock: empty, nothing to read.
                        created = await history.ensure()
                        applied = applied_rows = () if created else await history.read()
                        plan = make(applied)
                        emit(self.sinks, PlanMade(self.name, plan, False))
                        replace = {r.key: r.name for r in applied if r.kind is not Kind.VERSIONED}
                        total = len(plan.steps)
                        for index, step in enumerate(plan.steps, start=1):
                            emit(self.sinks, StepStarted(self.name, step, index, total))
                            t0 = time.monotonic()
                            try:
                                result = await self._execute(conn, history, locks, step, replace)
                            except DBWardenError as exc:
                                emit(self.sinks, StepFailed(self.name, step, exc, _since(t0)))
                                raise
                            results.append(result)
                            emit(self.sinks, StepApplied(self.name, step, index, total, _since(t0)))
                    finally:
                        # Closed before the lock is released: while a run holds the lock, any
                        # other migrating session on this database belongs to a dead run
                        # (see AdvisoryLock._reap_orphans).
                        if self.connection is None:
                            with shielded():
                                await conn.aclose()
            return RunResult(self.name, plan, applied=tuple(results))
        except BaseException:
            failed = True
            raise
        finally:
            current = plan.current_version if plan is not None else None
            if results and plan is not None:
                versions = {r.version for r in applied_rows if r.version is not None}
                done = {r.version for r in results if r.version is not None}
                versions = versions | done if direction == "upgrade" else versions - done
                current = max(versions, key=int) if versions else None
            emit(
                self.sinks,
                RunFinished(self.name, direction, len(results), failed, _since(started), current),
            )

    async def _mark_migrating(self, conn: Connection) -> None:
        """Name the connection as a migrating session (PostgreSQL), now that the lock is ours."""
        from .locks.database import migration_application_name

        rename = getattr(conn, "set_application_name", None)
        if rename is not None and self.connection is None:
            await rename(migration_application_name(self.name))

    async def _execute(
        self,
        conn: Connection,
        history: History,
        locks: Sequence[Lock],
        step: Step,
        replace: dict[str, str],
    ) -> StepResult:
        f = step.file
        sections = _sections(step)
        section = sections[0]
        transactional = not f.no_transaction
        t0 = time.monotonic()
        fast = getattr(conn, "run_migration", None)
        try:
            if transactional and fast is not None and len(sections) == 1:
                for lock in locks:
                    await lock.guard(conn)
                # PostgreSQL: the section and its history row in one round trip; the server
                # measures the duration (from the start of the query) and the time.
                bookkeeping = self._bookkeeping(history, step, replace, _SERVER_DURATION)
                await fast(section.text, section.statements, bookkeeping.rendered)
                duration_ms = int((time.monotonic() - t0) * 1000)
            elif transactional:
                async with conn.transaction():
                    for lock in locks:
                        await lock.guard(conn)
                    for section in sections:
                        await conn.run_statements(
                            section.text, section.statements, transactional=True
                        )
                    duration_ms = int((time.monotonic() - t0) * 1000)
                    bookkeeping = self._bookkeeping(history, step, replace, duration_ms)
                    await history.run(bookkeeping)
            else:
                for lock in locks:
                    await lock.guard(conn)
                for section in sections:
                    await conn.run_statements(section.text, section.statements, transactional=False)
                duration_ms = int((time.monotonic() - t0) * 1000)
                bookkeeping = self._bookkeeping(history, step, replace, duration_ms)
                async with conn.transaction():
                    await history.run(bookkeeping)
        except StatementError as exc:
            raise _failure(f, section, exc, transactional) from None
        except DBWardenError:
            raise
        except Exception as exc:  # the connection died, the disk is full, ...
            error = StatementError(str(exc) or type(exc).__name__)
            raise _failure(f, section, error, transactional) from exc
        return StepResult(
            version=f.version,
            name=f.name,
            kind=f.kind,
            action=step.action,
            duration_ms=max(duration_ms, int((time.monotonic() - t0) * 1000)),
            statements=sum(len(s.statements) for s in sections),
        )


class _OfflineHistory(History):
    """History rendering for a dry run against a SQLite file that does not exist yet."""

    def __init__(self, url: ResolvedURL, schema: str | None, table: str) -> None:
        class _Params:
            dialect = url.dialect

            @staticmethod
            def param(index: int) -> str:
                return "?" if url.dialect == "sqlite" else f"${index}"

        super().__init__(_Params(), table=table, schema=schema)  # type: ignore[arg-type]


def _sections(step: Step) -> tuple[Section, ...]:
    """The sections a step runs, in order."""
    f = step.file
    if step.action == "rollback":
        assert f.rollback is not None
        return (f.rollback,)
    if step.action == "reseed":
        # A changed seed: undo the old version with its rollback, then apply the new one.
        undo = (f.rollback,) if f.rollback is not None else ()
        return (*undo, f.upgrade)
    return (f.upgrade,)


def _since(t0: float) -> float:
    return time.monotonic() - t0


def _empty_plan(direction: str, current: str | None = None) -> Plan:
    return Plan(direction=direction, steps=(), state="up_to_date", current_version=current)


def _failure(
    f: MigrationFile, section: Section, exc: StatementError, transactional: bool
) -> MigrationFailedError:
    statement = exc.statement
    return MigrationFailedError(
        path=f.path,
        line=statement.line if statement is not None else section.first_line,
        version=f.version,
        statement=statement.first_line if statement is not None else None,
        db_message=exc.db_message,
        applied_statements=exc.ran,
        transactional=transactional,
    )


async def upgrade_all(
    handles: Iterable[DatabaseHandle] | None = None,
    *,
    concurrency: int = 4,
    target: str | int | None = None,
    dry_run: bool = False,
    events: Iterable[EventSink] = (),
    redis_url: str | None = None,
    dev: bool | None = None,
) -> dict[str, RunResult | DBWardenError]:
    """Upgrade every configured database (or ``handles``) at once, at most ``concurrency`` at
    a time. One database failing stops neither the others nor rolls them back: each name
    maps to its ``RunResult`` or the ``DBWardenError`` it raised."""
    chosen = tuple(handles) if handles is not None else databases()
    if concurrency < 1:
        from .errors import ConfigError

        raise ConfigError("concurrency must be at least 1")
    import anyio  # here: a single run need not load it

    limiter = anyio.CapacityLimiter(concurrency)
    results: dict[str, RunResult | DBWardenError] = {}
    sinks = tuple(events)

    async def one(handle: DatabaseHandle) -> None:
        async with limiter:
            runner = Runner(
                handle, events=(*handle.runner.sinks, *sinks), redis_url=redis_url, dev=dev
            )
            try:
                results[handle.name] = await runner.upgrade(target, dry_run=dry_run)
            except DBWardenError as exc:
                results[handle.name] = exc

    async with anyio.create_task_group() as tg:
        for handle in chosen:
            tg.start_soon(one, handle)
    return {h.name: results[h.name] for h in chosen}
