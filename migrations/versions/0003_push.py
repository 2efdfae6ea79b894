"""push: the push log (push_notifications) and memberships.last_digest_on

Revision ID: 0003_push
Revises: 0002
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.models.base

revision = '0003_push'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('push_notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=True),
    sa.Column('dedup_key', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.String(length=400), nullable=False),
    sa.Column('url', sa.String(length=200), nullable=False),
    sa.Column('tag', sa.String(length=80), nullable=True),
    sa.Column('ttl_seconds', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_push_notifications_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscription_id'], ['push_subscriptions.id'], name=op.f('fk_push_notifications_subscription_id_push_subscriptions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_push_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_notifications')),
    sa.UniqueConstraint('subscription_id', 'dedup_key', name=op.f('uq_push_notifications_subscription_id_dedup_key'))
    )
    with op.batch_alter_table('push_notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_notifications_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_push_notifications_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_digest_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('last_digest_on')

    with op.batch_alter_table('push_notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_notifications_user_id'))
        batch_op.drop_index(batch_op.f('ix_push_notifications_organization_id'))

    op.drop_table('push_notifications')
