"""subscriptions, notification_queue, and the trigger that queues a notification for every change
of mailbox_changes (0012) that a subscription watches, in the transaction of the change

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

from graphpost.store.types import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# Which subscriptions a change concerns: the same mailbox, not removed, not expired, its change
# type asked for, and its scope: every message, one folder's messages, or the folders.
_MATCH = """
    s.user_id = NEW.user_id AND s.removed_at IS NULL AND s.expires_at > {now}
    AND (CASE NEW.change_type WHEN 'created' THEN s.on_created WHEN 'updated' THEN s.on_updated
                              WHEN 'deleted' THEN s.on_deleted ELSE {false} END)
    AND ((s.scope = 'messages' AND NEW.kind = 'message')
         OR (s.scope = 'folder_messages' AND NEW.kind = 'message' AND s.folder_id = NEW.folder_id)
         OR (s.scope = 'folders' AND NEW.kind = 'folder'))"""
_INSERT = """
    INSERT INTO notification_queue (subscription_id, change_type, item_kind, item_id, created_at, attempts)
    SELECT s.id, NEW.change_type, NEW.kind, NEW.item_id, {now_text}, 0 FROM subscriptions s WHERE """ + _MATCH

# SQLite keeps UTC timestamps as fixed-width text (store/types.py): microseconds, six digits.
_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
SQLITE_TRIGGER = ("CREATE TRIGGER mailbox_changes_notify AFTER INSERT ON mailbox_changes FOR EACH ROW BEGIN"
                  + _INSERT.format(now=_SQLITE_NOW, now_text=_SQLITE_NOW + " || '000'", false="0") + "; END")
POSTGRES_FUNCTION = ("CREATE FUNCTION graphpost_queue_notifications() RETURNS trigger AS $$ BEGIN"
                     + _INSERT.format(now="now()", now_text="now()", false="false")
                     + "; RETURN NULL; END $$ LANGUAGE plpgsql")
POSTGRES_TRIGGER = ("CREATE TRIGGER mailbox_changes_notify AFTER INSERT ON mailbox_changes FOR EACH ROW "
                    "EXECUTE FUNCTION graphpost_queue_notifications()")


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id", ondelete="CASCADE",
                                                            name="fk_subscriptions_tenant_id_tenants"), nullable=False),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE",
                                                          name="fk_subscriptions_user_id_users"), nullable=False),
        sa.Column("application_id", sa.String(36), nullable=False),
        sa.Column("creator_id", sa.String(36), nullable=False),
        sa.Column("resource", sa.String(1024), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("folder_id", sa.String(120), nullable=True),
        sa.Column("on_created", sa.Boolean, nullable=False),
        sa.Column("on_updated", sa.Boolean, nullable=False),
        sa.Column("on_deleted", sa.Boolean, nullable=False),
        sa.Column("notification_url", sa.String(2048), nullable=False),
        sa.Column("lifecycle_url", sa.String(2048), nullable=True),
        sa.Column("client_state", sa.String(128), nullable=True),
        sa.Column("include_resource_data", sa.Boolean, nullable=False),
        sa.Column("encryption_certificate", sa.Text, nullable=True),
        sa.Column("encryption_certificate_id", sa.String(128), nullable=True),
        sa.Column("latest_tls", sa.String(8), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("reauthorize_sent_at", UTCDateTime, nullable=True),
        sa.Column("removed_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_subscriptions"),
    )
    op.create_index("ix_subscriptions_user_id", "subscriptions", ["user_id"])
    op.create_index("ix_subscriptions_creator_id", "subscriptions", ["creator_id"])
    op.create_index("ix_subscriptions_expires_at", "subscriptions", ["expires_at"])
    op.create_table(
        "notification_queue",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.String(36),
                  sa.ForeignKey("subscriptions.id", ondelete="CASCADE",
                                name="fk_notification_queue_subscription_id_subscriptions"), nullable=False),
        sa.Column("change_type", sa.String(16), nullable=True),
        sa.Column("lifecycle_event", sa.String(32), nullable=True),
        sa.Column("item_kind", sa.String(16), nullable=True),
        sa.Column("item_id", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", UTCDateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("lease_until", UTCDateTime, nullable=True),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notification_queue"),
        # Ids are never reused (a notification's id is made from its row's; store/schema.py).
        sqlite_autoincrement=True,
    )
    op.create_index("ix_notification_queue_subscription_id", "notification_queue", ["subscription_id"])
    op.create_index("ix_notification_queue_next_attempt_at", "notification_queue", ["next_attempt_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS mailbox_changes_notify" +
               (" ON mailbox_changes" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS graphpost_queue_notifications()")
    op.drop_table("notification_queue")
    op.drop_table("subscriptions")
