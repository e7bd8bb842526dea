"""Routes with a session per request, from the same configuration as the migrations."""

from __future__ import annotations

from typing import Annotated

from dbwarden.fastapi import get_session
from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.database import primary
from app.models import Post, User

app = FastAPI()


class NewUser(BaseModel):
    id: int
    email: str
    display_name: str


@app.post("/users", status_code=201)
async def add_user(body: NewUser, session: primary.async_session) -> dict[str, int]:
    session.add(User(id=body.id, email=body.email, display_name=body.display_name))
    await session.commit()
    return {"id": body.id}


@app.post("/users/{user_id}/posts")
async def add_post(user_id: int, title: str, session: primary.async_session) -> None:
    session.add(Post(id=user_id * 1000, author_id=user_id, title=title))
    await session.flush()
    # Raising after a flush: the session is rolled back, the post is not saved.
    raise HTTPException(403, "posting is closed today")


# By name, where the handle is not at hand (one session per request per database).
PrimarySession = Annotated[AsyncSession, Depends(get_session("primary"))]


@app.get("/users/{user_id}/titles")
async def titles(user_id: int, session: PrimarySession) -> list[str]:
    rows = await session.scalars(select(Post.title).where(Post.author_id == user_id))
    return list(rows)
