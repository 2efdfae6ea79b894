"""requests: rota_rules (per-organization scheduling rules), rota_requests (time off, swaps, give-aways, volunteering), rota_preferences

Revision ID: 0005_requests
Revises: 0003_push
Create Date: 2026-11-21 10:45:11.472316
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.models.base


revision = '0005_requests'
down_revision = '0003_push'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rota_rules',
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_rota_rules_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_rota_rules_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('organization_id', name=op.f('pk_rota_rules'))
    )
    op.create_table('rota_preferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('date', sa.Date(), nullable=True),
    sa.Column('shift_type_id', sa.Integer(), nullable=True),
    sa.Column('strength', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_rota_preferences_membership_id_memberships'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_rota_preferences_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shift_type_id'], ['shift_types.id'], name=op.f('fk_rota_preferences_shift_type_id_shift_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rota_preferences'))
    )
    with op.batch_alter_table('rota_preferences', schema=None) as batch_op:
        batch_op.create_index('ix_rota_preferences_org_member', ['organization_id', 'membership_id'], unique=False)

    op.create_table('rota_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('urgency', sa.String(length=16), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=True),
    sa.Column('counter_assignment_id', sa.Integer(), nullable=True),
    sa.Column('target_membership_id', sa.Integer(), nullable=True),
    sa.Column('shift_type_id', sa.Integer(), nullable=True),
    sa.Column('shift_date', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('responded_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('response_comment', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_comment', sa.Text(), nullable=False),
    sa.Column('auto_reason', sa.Text(), nullable=True),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_rota_requests_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['counter_assignment_id'], ['assignments.id'], name=op.f('fk_rota_requests_counter_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_rota_requests_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_rota_requests_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_rota_requests_membership_id_memberships'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_rota_requests_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shift_type_id'], ['shift_types.id'], name=op.f('fk_rota_requests_shift_type_id_shift_types'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_membership_id'], ['memberships.id'], name=op.f('fk_rota_requests_target_membership_id_memberships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rota_requests'))
    )
    with op.batch_alter_table('rota_requests', schema=None) as batch_op:
        batch_op.create_index('ix_rota_requests_member', ['membership_id', 'created_at'], unique=False)
        batch_op.create_index('ix_rota_requests_org_status', ['organization_id', 'status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('rota_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_rota_requests_org_status')
        batch_op.drop_index('ix_rota_requests_member')

    op.drop_table('rota_requests')
    with op.batch_alter_table('rota_preferences', schema=None) as batch_op:
        batch_op.drop_index('ix_rota_preferences_org_member')

    op.drop_table('rota_preferences')
    op.drop_table('rota_rules')
