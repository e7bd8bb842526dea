"""The ``dbwarden`` command line (typer + rich). Entry point: ``dbwarden.cli.app:main``.

Nothing is imported here, so ``import dbwarden.cli.app`` costs typer and no more.
"""
