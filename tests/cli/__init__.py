"""CLI tests (a package, so that its helper module has a unique, importable name)."""
