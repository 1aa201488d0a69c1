"""What one run of a scheduled job did, for `slackbot jobs run` and the logs."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Report:
    checked: int = 0
    announced: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)
    retold: int = 0  # news a stopped bot had claimed and not posted, posted now

    def __str__(self) -> str:
        parts = [f"checked {self.checked}", f"announced {len(self.announced)}"]
        if self.retold:
            parts.append(f"retold {self.retold}")
        if self.unreachable:
            parts.append(f"unreachable: {', '.join(sorted(set(self.unreachable)))}")
        return ", ".join(parts)
