"""Log lines for a terminal (text, the default) or for a log pipeline (``json``: one object a line).

A JSON line has the time, level, logger and message, and — while a command is being handled —
the command, its ticket and a request id, so every line of one request can be found together.
Nothing from a request body is ever added here, and neither is any token.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# What is being handled in this thread (or task) right now, for JSON lines.
_COMMAND: ContextVar[str | None] = ContextVar("slackbot_command", default=None)
_TICKET: ContextVar[str | None] = ContextVar("slackbot_ticket", default=None)
_REQUEST_ID: ContextVar[str | None] = ContextVar("slackbot_request_id", default=None)


@contextmanager
def handling(command: str) -> Iterator[str]:
    """Every line logged inside names ``command`` and one request id (returned)."""
    request_id = uuid.uuid4().hex[:12]
    tokens = (_COMMAND.set(command), _REQUEST_ID.set(request_id), _TICKET.set(None))
    try:
        yield request_id
    finally:
        _TICKET.reset(tokens[2])
        _REQUEST_ID.reset(tokens[1])
        _COMMAND.reset(tokens[0])


def about_ticket(ticket: str | None) -> None:
    """The command being handled is about this ticket (once it is known)."""
    if ticket:
        _TICKET.set(ticket)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, var in (("command", _COMMAND), ("ticket", _TICKET), ("request_id", _REQUEST_ID)):
            value = var.get()
            if value is not None:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(log_format: str = "text", level: int = logging.INFO) -> None:
    """Send the process's log lines to stderr in ``log_format`` (``text`` or ``json``)."""
    if log_format not in FORMATS:
        raise ValueError(f"unknown log format {log_format!r}; use text or json")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
