"""Dev mode: PostgreSQL migrations translated to run on SQLite (a package, so that its
``conftest`` does not replace the root one for ``from conftest import ...``)."""
