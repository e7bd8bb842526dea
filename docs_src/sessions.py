"""The app's own queries: an async SQLAlchemy session from the same configuration."""

from __future__ import annotations

import anyio
from dbwarden import dispose_engines
from dbwarden.engine import get_sessionmaker
from sqlalchemy import select, text

from app.database import primary
from app.models import Post, User


async def main() -> None:
    await primary.runner.upgrade()
    Session = get_sessionmaker(primary.async_url())  # one engine per URL, cached
    try:
        async with Session() as session, session.begin():
            ada = User(id=1, email="ada@example.com", display_name="Ada")
            session.add_all([ada, Post(id=1, author=ada, title="Hello", slug="hello-1")])

        async with Session() as session:
            titles = await session.scalars(select(Post.title).where(Post.author_id == 1))
            print("Ada wrote:", list(titles))
            counts = await session.execute(text("SELECT email, post_count FROM user_post_counts"))
            for email, post_count in counts:
                print(email, post_count)
    finally:
        await dispose_engines()  # at shutdown: close every cached engine's connections


if __name__ == "__main__":
    anyio.run(main)
