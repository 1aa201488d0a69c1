"""What a snooze of back-merge reminders names: one hot-fix, or one release branch nobody follows."""

from __future__ import annotations

import re
from dataclasses import dataclass

from slackbot.domain.tickets import DEFAULT_TICKET_PATTERN, ref_name_problem, ticket_problem

_HOTFIX = "hotfix"
_BRANCH = "branch"
# GitHub's rules: an owner is up to 39 letters, digits and single inner hyphens; a name up to 100
# letters, digits, `.`, `_` and `-`.
_REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}/[A-Za-z0-9._-]{1,100}")
MAX_KEY_LENGTH = 320  # "branch:", a repository (140) and a ref (200) fit with room to spare


@dataclass(frozen=True)
class SnoozeSubject:
    """Spelled ``hotfix:TICKET`` or ``branch:REPOSITORY:BRANCH`` (a button's value, a stored key)."""

    ticket: str | None = None
    repository: str | None = None
    branch: str | None = None

    @classmethod
    def of_hotfix(cls, ticket: str) -> SnoozeSubject:
        return cls(ticket=ticket)

    @classmethod
    def of_branch(cls, repository: str, branch: str) -> SnoozeSubject:
        return cls(repository=repository, branch=branch)

    @classmethod
    def parse(cls, value: str, ticket_pattern: str = DEFAULT_TICKET_PATTERN) -> SnoozeSubject:
        """The subject a :attr:`key` names, as the bot issues them: ``hotfix:TICKET`` with a valid
        ticket or ``branch:OWNER/NAME:REF`` with a valid repository and branch; ValueError (saying
        why, without repeating the value) for anything else."""
        if len(value) > MAX_KEY_LENGTH:
            raise ValueError(f"a snooze subject of {len(value)} characters (at most {MAX_KEY_LENGTH})")
        kind, _, rest = value.partition(":")
        if kind == _HOTFIX:
            problem = ticket_problem(rest, ticket_pattern)
            if problem is not None:
                raise ValueError(f"a snooze subject whose ticket {problem}")
            return cls.of_hotfix(rest)
        repository, _, branch = rest.partition(":")
        if kind == _BRANCH:
            if _REPOSITORY.fullmatch(repository) is None:
                raise ValueError("a snooze subject whose repository is not OWNER/NAME")
            problem = ref_name_problem(branch)
            if problem is not None:
                raise ValueError(f"a snooze subject whose branch {problem}")
            return cls.of_branch(repository, branch)
        raise ValueError("not a snooze subject: it names neither `hotfix:` nor `branch:`")

    @property
    def key(self) -> str:
        if self.ticket is not None:
            return f"{_HOTFIX}:{self.ticket}"
        return f"{_BRANCH}:{self.repository}:{self.branch}"

    @property
    def name(self) -> str:
        """How a person calls it: the ticket, or ``repository:branch``."""
        return self.ticket if self.ticket is not None else f"{self.repository}:{self.branch}"
