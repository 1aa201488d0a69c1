"""What a snooze of back-merge reminders names: one hot-fix, or one release branch nobody follows."""

from __future__ import annotations

from dataclasses import dataclass

_HOTFIX = "hotfix"
_BRANCH = "branch"


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
    def parse(cls, value: str) -> SnoozeSubject:
        """The subject a :attr:`key` names; ValueError for anything else."""
        kind, _, rest = value.partition(":")
        if kind == _HOTFIX and rest:
            return cls.of_hotfix(rest)
        repository, _, branch = rest.partition(":")
        if kind == _BRANCH and repository and branch:
            return cls.of_branch(repository, branch)
        raise ValueError(f"not a snooze subject: {value!r}")

    @property
    def key(self) -> str:
        if self.ticket is not None:
            return f"{_HOTFIX}:{self.ticket}"
        return f"{_BRANCH}:{self.repository}:{self.branch}"

    @property
    def name(self) -> str:
        """How a person calls it: the ticket, or ``repository:branch``."""
        return self.ticket if self.ticket is not None else f"{self.repository}:{self.branch}"
