"""URL rules: sync URLs get an async driver, passwords are masked, dev mode picks the dev URL."""

from __future__ import annotations

from dbwarden import database_config, redact_url, to_async_url

print(to_async_url("postgresql://shop:s3cret@db.internal:5432/shop"))
# postgresql+asyncpg://shop:s3cret@db.internal:5432/shop
print(to_async_url("sqlite:///shop.db"))
# sqlite+aiosqlite:///shop.db
print(to_async_url("postgresql+psycopg://shop@db.internal/shop"))  # an explicit driver is kept
# postgresql+psycopg://shop@db.internal/shop
print(redact_url("postgresql://shop:s3cret@db.internal:5432/shop"))
# postgresql://shop:***@db.internal:5432/shop

shop = database_config(
    database_name="shop",
    database_url="postgresql://shop:s3cret@db.internal:5432/shop",
    dev_database_url="sqlite:///shop-dev.db",
)
print(shop)  # the repr masks the password too
# <DatabaseHandle 'shop' postgresql://shop:***@db.internal:5432/shop>
print(shop.async_url(dev=False))
# postgresql+asyncpg://shop:s3cret@db.internal:5432/shop
print(shop.async_url(dev=True).startswith("sqlite+aiosqlite:///"))  # dev_database_url
# True
