"""``python -m slackbot.migrations COMMAND``: Alembic's command line, without an ``alembic.ini``.

The database is ``SLACKBOT_DATABASE_URL`` (default ``sqlite:///slackbot.db``).
"""

from __future__ import annotations

import os
import sys

from alembic.config import CommandLine

from slackbot.migrations import alembic_config


def main(argv: list[str] | None = None) -> None:
    cli = CommandLine(prog="python -m slackbot.migrations")
    options = cli.parser.parse_args(sys.argv[1:] if argv is None else argv)
    if not hasattr(options, "cmd"):
        cli.parser.error("too few arguments")
    url = os.environ.get("SLACKBOT_DATABASE_URL", "sqlite:///slackbot.db")
    cli.run_cmd(alembic_config(url=url, cmd_opts=options), options)


if __name__ == "__main__":
    main()
