"""Errors a person can cause or meet, each carrying the one sentence they will be shown."""

from __future__ import annotations


class BotError(Exception):
    """A failure to report to the person in Slack or the terminal, as one helpful sentence."""


class NotFound(BotError):
    """Something named does not exist (a repository, a branch, a component in an environment)."""


class Unavailable(BotError):
    """An outside system (GitHub, a cluster) did not answer usefully; trying again later may work."""


class Unanswered(Unavailable):
    """No usable answer came (a dropped connection, a timeout, a 5xx): a write may have been applied."""


class Unconfirmed(Unanswered):
    """A write's answer was lost and reading back what it did failed too: whether it happened is unknown."""


class UsageError(BotError):
    """The command was typed in a way the bot does not understand."""


class NotPermitted(BotError):
    """The person or the channel may not do this; nothing was changed."""


class Conflict(BotError):
    """The forge holds something in the way (a branch of the same name on another base, ...)."""


# What GitHub or Slack failing looks like once the adapters have translated it.
OUTSIDE_FAILURES: tuple[type[BotError], ...] = (Unavailable, NotFound, NotPermitted)


def unfinished(error: BotError, sentence: str) -> BotError:
    """The same kind of outside failure, saying also what was and was not done and how to finish."""
    kind = next(k for k in OUTSIDE_FAILURES if isinstance(error, k))
    return kind(f"{error} {sentence}")
