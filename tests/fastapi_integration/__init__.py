"""FastAPI integration tests (a package, so that its conftest and helper module have unique
names: a bare ``conftest`` would replace the root one for ``from conftest import ...``)."""
