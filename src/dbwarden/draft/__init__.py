"""Model diffing: draft a migration from SQLAlchemy models, or check that none is missing.

The schema the existing migrations produce is built in a throwaway database (an in-memory
SQLite database, or a temporary PostgreSQL database on the configured server), the models
are created in another, both are read back from the catalog and compared. The draft is a
plain dbwarden file with an ``-- upgrade`` and a matching ``-- rollback`` section; nothing is
ever run against the configured database.

    from dbwarden.draft import make_migration
    result = await make_migration(primary, "add users.email")
    print(result.path)
"""

from __future__ import annotations

from .diff import Change as Change
from .drafter import CheckResult as CheckResult
from .drafter import DraftResult as DraftResult
from .drafter import check_live as check_live
from .drafter import check_models as check_models
from .drafter import make_migration as make_migration

__all__ = ["Change", "CheckResult", "DraftResult", "check_live", "check_models", "make_migration"]
