"""Initial schema: hot-fixes, the audit log, key-value state and leases.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One active hot-fix per (ticket, repository); done and cancelled ones don't count.
ACTIVE = "stage NOT IN ('done', 'cancelled')"


def upgrade() -> None:
    _create_hotfixes()
    _create_audit_log()
    _create_bot_state()
    _create_leases()


def _create_hotfixes() -> None:
    op.create_table(
        "hotfixes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket", sa.String(), nullable=False),
        sa.Column("ticket_key", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("environment", sa.String(), nullable=False),
        sa.Column("component", sa.String(), nullable=False),
        sa.Column("repository", sa.String(), nullable=False),
        sa.Column("base_branch", sa.String(), nullable=False),
        sa.Column("branch", sa.String(), nullable=False),
        sa.Column("started_by", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("base_sha", sa.String(), nullable=True),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("thread_ts", sa.String(), nullable=True),
        sa.Column("pull_number", sa.Integer(), nullable=True),
        sa.Column("pull_url", sa.String(), nullable=True),
        sa.Column("merge_sha", sa.String(), nullable=True),
        sa.Column("backmerge_number", sa.Integer(), nullable=True),
        sa.Column("backmerge_url", sa.String(), nullable=True),
        sa.Column("rollout_environments", sa.Text(), nullable=False),
        sa.Column("pin_field", sa.String(), nullable=True),
        sa.Column("pin_path", sa.String(), nullable=True),
        sa.Column("pin_old", sa.Text(), nullable=True),
        sa.Column("pin_new", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_hotfixes"),
    )
    op.create_index("ix_hotfixes_stage", "hotfixes", ["stage"])
    op.create_index("ix_hotfixes_ticket_key", "hotfixes", ["ticket_key"])
    op.create_index(
        "uq_hotfixes_active_ticket",
        "hotfixes",
        ["ticket_key", "repository"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )


def _create_audit_log() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("ticket", sa.String(), nullable=False),
        sa.Column("hotfix_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hotfix_id"], ["hotfixes.id"], name="fk_audit_log_hotfix_id_hotfixes", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_ticket", "audit_log", ["ticket"])


def _create_bot_state() -> None:
    op.create_table(
        "bot_state",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_bot_state"),
    )


def _create_leases() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_leases"),
    )


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_table("bot_state")
    op.drop_index("ix_audit_log_ticket", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("uq_hotfixes_active_ticket", table_name="hotfixes")
    op.drop_index("ix_hotfixes_ticket_key", table_name="hotfixes")
    op.drop_index("ix_hotfixes_stage", table_name="hotfixes")
    op.drop_table("hotfixes")
