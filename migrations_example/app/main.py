"""The example blog as a FastAPI app: sessions, startup migration, status, health, metrics.

Start it from this directory, on the embedded SQLite file (``example.db``)::

    cd migrations_example && uvicorn app.main:app

The lifespan applies pending migrations at startup (under the migration lock, so several
instances starting together take turns), then:

    curl localhost:8000/users                 # routes reading through primary.async_session
    curl -X POST localhost:8000/users -H 'content-type: application/json' \\
         -d '{"email": "ada@example.com", "display_name": "Ada"}'
    curl localhost:8000/health                # 200 when every database is ready
    curl localhost:8000/health/liveness       # never touches a database
    curl localhost:8000/db/status             # applied, pending, lock holder, seeds
    curl localhost:8000/metrics               # Prometheus text format

``POST /db/migrate`` is mounted only when ``DBWARDEN_API_KEY`` is set, and then requires it
in the ``X-API-Key`` header. ``DATABASE_URL=postgresql://...`` runs the same app on
PostgreSQL. In production, run ``dbwarden migrate`` as a deploy step and start with
``dbwarden_lifespan("check")``: ``"migrate"`` refuses to run with ENVIRONMENT=production
unless ``allow_in_production=True``.
"""

from __future__ import annotations

import os

from dbwarden.fastapi import (
    DBWardenHealthRouter,
    DBWardenRouter,
    MetricsMiddleware,
    MetricsRouter,
    dbwarden_lifespan,
)
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.database import primary
from app.models import Post, User

app = FastAPI(title="dbwarden example blog", lifespan=dbwarden_lifespan("migrate"))
app.add_middleware(MetricsMiddleware)

api_key = os.environ.get("DBWARDEN_API_KEY")
app.include_router(
    DBWardenRouter(api_key=api_key, allow_migrate=api_key is not None),
    prefix="/db",
    tags=["dbwarden"],
)
app.include_router(DBWardenHealthRouter(), prefix="/health", tags=["health"])
app.include_router(MetricsRouter(), prefix="/metrics", tags=["metrics"])


class UserIn(BaseModel):
    email: str
    display_name: str


class UserOut(BaseModel):
    id: int
    email: str
    display_name: str


class PostOut(BaseModel):
    id: int
    title: str
    slug: str | None


@app.get("/users")
async def list_users(session: primary.async_session) -> list[UserOut]:
    users = await session.scalars(select(User).order_by(User.id))
    return [UserOut(id=u.id, email=u.email, display_name=u.display_name) for u in users]


@app.post("/users", status_code=201)
async def create_user(body: UserIn, session: primary.async_session) -> UserOut:
    next_id = (await session.scalar(select(func.coalesce(func.max(User.id), 0)))) + 1
    user = User(id=next_id, email=body.email, display_name=body.display_name)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        # The session dependency rolls back whatever the route left when it raises.
        raise HTTPException(409, f"{body.email} is already registered") from None
    return UserOut(id=user.id, email=user.email, display_name=user.display_name)


@app.get("/users/{user_id}/posts")
async def user_posts(user_id: int, session: primary.async_session) -> list[PostOut]:
    if await session.get(User, user_id) is None:
        raise HTTPException(404, f"no user {user_id}")
    posts = await session.scalars(
        select(Post).where(Post.author_id == user_id).order_by(Post.id)
    )
    return [PostOut(id=p.id, title=p.title, slug=p.slug) for p in posts]
