"""Model diffing tests (a package, so that its helper modules have unique, importable names)."""
