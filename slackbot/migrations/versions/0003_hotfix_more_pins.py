"""A pin hot-fix may change several pins of one component ("make prod like stg"): the first stays in
the pin_* columns, as before, and the others go in pin_more, a JSON list (NULL: none).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("hotfixes", sa.Column("pin_more", sa.Text(), nullable=True))


def downgrade() -> None:
    # Rows keep their first pin; a downgraded bot would show only that one.
    op.drop_column("hotfixes", "pin_more")  # SQLite 3.35+ drops columns natively
