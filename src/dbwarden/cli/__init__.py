"""The ``dbwarden`` command line (typer + rich). Entry point: ``dbwarden.cli.entry:main``.

Nothing is imported here, so ``import dbwarden.cli.app`` costs typer and no more.
"""
