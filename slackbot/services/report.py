"""What one run of a scheduled job did, for `slackbot jobs run` and the logs."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Report:
    checked: int = 0
    announced: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [f"checked {self.checked}", f"announced {len(self.announced)}"]
        if self.unreachable:
            parts.append(f"unreachable: {', '.join(sorted(set(self.unreachable)))}")
        return ", ".join(parts)
