"""mailbox_changes: the change log of messages and folders, written by triggers

Triggers rather than the mail domain's code: every write path (the domain, store/bulk.py's
statements, the SQLite writer process, ON DELETE CASCADE of a folder's messages) then records
its change, in the same transaction, and none can forget to.

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

from graphpost.store.types import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# (table, kind, the column naming where the item lives: a message's folder, a folder's parent,
# the column of its immutable id: a message's; a folder's id never changes).
_TRACKED = (("messages", "message", "folder_id", "immutable_id"), ("folders", "folder", "parent_id", None))

_INSERT = ("INSERT INTO mailbox_changes (user_id, kind, item_id, immutable_id, folder_id, change_type, txid, "
           "changed_at) VALUES ({row}.user_id, '{kind}', {row}.id, {immutable}, {row}.{where}, '{change}', {txid}, "
           "{now});")
# SQLite keeps UTCDateTime as fixed-width text (store/types.py): microseconds, six digits.
_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f000', 'now')"
_PG_TXID = "pg_current_xact_id()::text::bigint"


def _immutable(row: str, column: str | None) -> str:
    return f"{row}.{column}" if column else "NULL"


def _sqlite_triggers(table: str, kind: str, where: str, immutable: str | None) -> list[str]:
    def insert(row: str, change: str) -> str:
        return _INSERT.format(row=row, kind=kind, where=where, change=change, txid="NULL", now=_SQLITE_NOW,
                              immutable=_immutable(row, immutable))

    moved = f"NEW.id IS NOT OLD.id OR NEW.{where} IS NOT OLD.{where}"
    return [
        f"CREATE TRIGGER {table}_change_created AFTER INSERT ON {table} "
        f"BEGIN {insert('NEW', 'created')} END",
        f"CREATE TRIGGER {table}_change_moved AFTER UPDATE ON {table} WHEN {moved} "
        f"BEGIN {insert('OLD', 'deleted')} {insert('NEW', 'created')} END",
        f"CREATE TRIGGER {table}_change_updated AFTER UPDATE ON {table} WHEN NOT ({moved}) "
        f"BEGIN {insert('NEW', 'updated')} END",
        # A user's removal cascades to its mail: its log goes with it, nothing is written for it.
        f"CREATE TRIGGER {table}_change_deleted AFTER DELETE ON {table} "
        f"WHEN EXISTS (SELECT 1 FROM users WHERE users.id = OLD.user_id) "
        f"BEGIN {insert('OLD', 'deleted')} END",
    ]


def _pg_triggers(table: str, kind: str, where: str, immutable: str | None) -> list[str]:
    def insert(row: str, change: str) -> str:
        return _INSERT.format(row=row, kind=kind, where=where, change=change, txid="tx", now="clock_timestamp()",
                              immutable=_immutable(row, immutable))

    function = f"""
CREATE FUNCTION {table}_record_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tx bigint := {_PG_TXID};
BEGIN
    IF TG_OP = 'INSERT' THEN
        {insert('NEW', 'created')}
    ELSIF TG_OP = 'UPDATE' THEN
        IF NEW.id IS DISTINCT FROM OLD.id OR NEW.{where} IS DISTINCT FROM OLD.{where} THEN
            {insert('OLD', 'deleted')}
            {insert('NEW', 'created')}
        ELSE
            {insert('NEW', 'updated')}
        END IF;
    -- A user's removal cascades to its mail: its log goes with it, nothing is written for it.
    ELSIF EXISTS (SELECT 1 FROM users WHERE users.id = OLD.user_id) THEN
        {insert('OLD', 'deleted')}
    END IF;
    RETURN NULL;
END
$$"""
    return [function,
            f"CREATE TRIGGER {table}_record_change AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_record_change()"]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "mailbox_changes",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE",
                                                          name="fk_mailbox_changes_user_id_users"), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("item_id", sa.String(200), nullable=False),
        sa.Column("immutable_id", sa.String(200), nullable=True),
        sa.Column("folder_id", sa.String(120), nullable=False),
        sa.Column("change_type", sa.String(8), nullable=False),
        sa.Column("txid", sa.BigInteger, nullable=True),
        sa.Column("changed_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_mailbox_changes"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_mailbox_changes_user_id_folder_id_seq", "mailbox_changes", ["user_id", "folder_id", "seq"])
    op.create_index("ix_mailbox_changes_user_id_kind_seq", "mailbox_changes", ["user_id", "kind", "seq"])
    op.create_index("ix_mailbox_changes_user_id_txid", "mailbox_changes", ["user_id", "txid"])
    for table, kind, where, immutable in _TRACKED:
        for statement in (_sqlite_triggers if sqlite else _pg_triggers)(table, kind, where, immutable):
            op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, *_ in _TRACKED:
        if sqlite:
            for suffix in ("created", "moved", "updated", "deleted"):
                op.execute(f"DROP TRIGGER {table}_change_{suffix}")
        else:
            op.execute(f"DROP TRIGGER {table}_record_change ON {table}")
            op.execute(f"DROP FUNCTION {table}_record_change()")
    op.drop_table("mailbox_changes")
