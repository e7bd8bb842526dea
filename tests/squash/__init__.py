"""`dbwarden squash` (a package, like the other test directories with a ``conftest``)."""
