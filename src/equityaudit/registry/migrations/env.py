"""Alembic environment of the registry: runs on the connection the server hands it.

:func:`equityaudit.registry.storage.upgrade` builds the Alembic ``Config`` in code and passes an
open connection in ``config.attributes["connection"]``; there is no alembic.ini.
"""

from __future__ import annotations

from typing import Any

from alembic import context

from equityaudit.registry.models import Base


def run(config: Any) -> None:
    """Run the pending migrations on the connection in ``config.attributes``."""
    context.configure(connection=config.attributes["connection"], target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()


_config: Any
try:
    _config = context.config
except (NameError, AttributeError):  # imported outside a migration run (e.g. by pytest's doctest collection)
    _config = None
if _config is not None:
    run(_config)
