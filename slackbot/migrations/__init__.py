"""The database schema's history, as Alembic migrations shipped inside the package.

No ``alembic.ini``: :func:`alembic_config` builds the configuration in code, and
:meth:`slackbot.adapters.store.Store.migrate` runs ``upgrade head`` with it at every start.

For developers, the usual Alembic commands against any database::

    SLACKBOT_DATABASE_URL=sqlite:///dev.db python -m slackbot.migrations upgrade head
    SLACKBOT_DATABASE_URL=sqlite:///dev.db python -m slackbot.migrations revision --autogenerate \\
        --rev-id 0002 -m "what changed"
    python -m slackbot.migrations check        # do the models and the migrations agree?
"""

from __future__ import annotations

from argparse import Namespace
from pathlib import Path
from typing import Final

from alembic.config import Config
from sqlalchemy import Connection

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent


def alembic_config(
    *, connection: Connection | None = None, url: str | None = None, cmd_opts: Namespace | None = None
) -> Config:
    """An Alembic configuration for this folder: run on ``connection`` (already in a transaction,
    which the caller commits), or else on a fresh connection to ``url``."""
    config = Config(cmd_opts=cmd_opts)
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config
