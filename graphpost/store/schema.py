"""The tables, in SQLAlchemy Core. One schema for SQLite and PostgreSQL; Alembic migrations in
store/migrations reproduce it."""

from __future__ import annotations

import sqlalchemy as sa

from graphpost.store.types import UTCDateTime

# Deterministic constraint names, so that migrations can refer to them on both backends.
metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

GUID = sa.String(36)

tenants = sa.Table(
    "tenants", metadata,
    sa.Column("id", GUID, primary_key=True),
    sa.Column("display_name", sa.String(256), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# Accepted domains: mail for these domains is local to the tenant.
domains = sa.Table(
    "domains", metadata,
    sa.Column("name", sa.String(255), primary_key=True),  # always lower case
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True),
)

users = sa.Table(
    "users", metadata,
    sa.Column("id", GUID, primary_key=True),
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("user_principal_name", sa.String(320), nullable=False),
    # Lower-cased copies: Graph matches UPNs and addresses case-insensitively.
    sa.Column("upn_key", sa.String(320), nullable=False, unique=True),
    sa.Column("mail", sa.String(320), nullable=False),
    sa.Column("mail_key", sa.String(320), nullable=False, unique=True),
    sa.Column("display_name", sa.String(256), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Graph's accountEnabled: a disabled user cannot sign in (its tokens are refused).
    sa.Column("account_enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    # scrypt of the password set by `graphpost user passwd`; a user without one cannot sign in.
    sa.Column("password_hash", sa.String(256), nullable=True),
)

apps = sa.Table(
    "apps", metadata,
    sa.Column("client_id", GUID, primary_key=True),
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("display_name", sa.String(256), nullable=False),
    sa.Column("secret_hash", sa.String(256), nullable=False),
    sa.Column("permissions", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# Certificates an app proves itself with (a client assertion signed by the certificate's key),
# found by the thumbprints an assertion's header names: x5t#S256 (SHA-256) or x5t (SHA-1), hex.
app_certificates = sa.Table(
    "app_certificates", metadata,
    sa.Column("client_id", GUID, sa.ForeignKey("apps.client_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("sha1", sa.String(40), nullable=False),
    sa.Column("pem", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# Sign-in grants of the identity endpoint (graphpost/identity), in SQL so that any node redeems
# what another issued. Secrets (codes, refresh tokens, device codes) are stored as SHA-256 hex
# digests only; a row is deleted when it is redeemed, so each is good once.
authorization_codes = sa.Table(
    "authorization_codes", metadata,
    sa.Column("code_hash", sa.String(64), primary_key=True),
    sa.Column("client_id", GUID, sa.ForeignKey("apps.client_id", ondelete="CASCADE"), nullable=False),
    sa.Column("user_id", GUID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("redirect_uri", sa.String(2048), nullable=False),
    sa.Column("code_challenge", sa.String(128), nullable=True),
    sa.Column("challenge_method", sa.String(8), nullable=True),
    sa.Column("scope", sa.String(2048), nullable=False),
    sa.Column("nonce", sa.String(512), nullable=True),
    sa.Column("expires_at", UTCDateTime, nullable=False, index=True),
)

refresh_tokens = sa.Table(
    "refresh_tokens", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("client_id", GUID, sa.ForeignKey("apps.client_id", ondelete="CASCADE"), nullable=False),
    sa.Column("user_id", GUID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("scope", sa.String(2048), nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False, index=True),
)

device_codes = sa.Table(
    "device_codes", metadata,
    sa.Column("device_code_hash", sa.String(64), primary_key=True),
    sa.Column("user_code", sa.String(16), nullable=False, unique=True),
    sa.Column("client_id", GUID, sa.ForeignKey("apps.client_id", ondelete="CASCADE"), nullable=False),
    sa.Column("scope", sa.String(2048), nullable=False),
    # pending, approved or declined; user_id is who approved.
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("user_id", GUID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    sa.Column("last_polled_at", UTCDateTime, nullable=True),
    sa.Column("expires_at", UTCDateTime, nullable=False, index=True),
)

# Mail folders. Well-known folders carry their Graph name in `well_known`; `parent_id` may name the
# mailbox root, which has no row of its own.
folders = sa.Table(
    "folders", metadata,
    sa.Column("id", sa.String(120), primary_key=True),
    sa.Column("user_id", GUID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("parent_id", sa.String(120), nullable=False),
    sa.Column("well_known", sa.String(40), nullable=True),
    sa.Column("display_name", sa.String(256), nullable=False),
    sa.Column("is_hidden", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("user_id", "well_known"),
    sa.Index("ix_folders_user_id_parent_id", "user_id", "parent_id"),
)

# Messages. What $filter/$orderby and the send path need are columns; the rest of the Graph
# resource (body, recipients, flag, headers, ...) is the JSON `data`.
messages = sa.Table(
    "messages", metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("user_id", GUID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("folder_id", sa.String(120), sa.ForeignKey("folders.id", ondelete="CASCADE"), nullable=False),
    sa.Column("change_key", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("modified_at", UTCDateTime, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime, nullable=True),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("is_read", sa.Boolean, nullable=False),
    sa.Column("is_draft", sa.Boolean, nullable=False),
    sa.Column("importance", sa.String(8), nullable=False),
    sa.Column("has_attachments", sa.Boolean, nullable=False),
    sa.Column("internet_message_id", sa.String(998), nullable=False),
    sa.Column("conversation_id", sa.String(120), nullable=False),
    sa.Column("from_address", sa.String(320), nullable=True),
    sa.Column("data", sa.JSON, nullable=False),
    # `id` changes when the message moves (as Graph's default ids do); this one never does.
    sa.Column("immutable_id", sa.String(200), nullable=False),
    # Pages of a folder or of the mailbox, newest first, and unread ones (isRead eq false): the
    # index gives the rows in order, so a page reads its rows and stops (migration 0006).
    sa.Index("ix_messages_folder_id_received_at_id", "folder_id", "received_at", "id"),
    sa.Index("ix_messages_folder_id_is_read_received_at_id", "folder_id", "is_read", "received_at", "id"),
    sa.Index("uq_messages_immutable_id", "immutable_id", unique=True),
    sa.Index("ix_messages_user_id_received_at_id", "user_id", "received_at", "id"),
    sa.Index("ix_messages_user_id_is_read_received_at_id", "user_id", "is_read", "received_at", "id"),
)

# A submission is what was sent, kept for relaying whatever happens to the sender's copies; the
# outbox holds one entry per external recipient.
submissions = sa.Table(
    "submissions", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("user_id", GUID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("internet_message_id", sa.String(998), nullable=False),
    sa.Column("message", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

outbox = sa.Table(
    "outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("submission_id", sa.String(36), sa.ForeignKey("submissions.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("recipient", sa.String(320), nullable=False),
    sa.Column("domain", sa.String(255), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # Delivery: how often it was tried, when next, the last answer, and the claim of a worker
    # (an entry whose lease has run out is claimable again: at-least-once towards the relay).
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("lease_until", UTCDateTime, nullable=True),
    # Which worker holds the lease (store/leases.py): only it settles or extends the entry.
    sa.Column("lease_owner", sa.String(64), nullable=True),
    sa.Index("ix_outbox_state_created_at", "state", "created_at"),
    sa.Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),
)

# Attachment content lives outside the message rows, in chunks, so that it is written and read
# piece by piece. One blob may serve many attachment rows (the sender's copy and every
# recipient's) and outbox submissions.
blobs = sa.Table(
    "blobs", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

blob_chunks = sa.Table(
    "blob_chunks", metadata,
    sa.Column("blob_id", sa.String(36), sa.ForeignKey("blobs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("offset", sa.BigInteger, primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

attachments = sa.Table(
    "attachments", metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    # Message ids change when a message moves (send, delete): the attachments follow.
    sa.Column("message_id", sa.String(200),
              sa.ForeignKey("messages.id", ondelete="CASCADE", onupdate="CASCADE"), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # file, item or reference
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("content_type", sa.String(255), nullable=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("is_inline", sa.Boolean, nullable=False),
    sa.Column("content_id", sa.String(998), nullable=True),
    sa.Column("modified_at", UTCDateTime, nullable=False),
    sa.Column("blob_id", sa.String(36), sa.ForeignKey("blobs.id"), nullable=True, index=True),
    sa.Column("data", sa.JSON, nullable=False),
)

submission_attachments = sa.Table(
    "submission_attachments", metadata,
    sa.Column("submission_id", sa.String(36), sa.ForeignKey("submissions.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("content_type", sa.String(255), nullable=True),
    sa.Column("is_inline", sa.Boolean, nullable=False),
    sa.Column("content_id", sa.String(998), nullable=True),
    sa.Column("blob_id", sa.String(36), sa.ForeignKey("blobs.id"), nullable=True, index=True),
    sa.Column("data", sa.JSON, nullable=False),
)

upload_sessions = sa.Table(
    "upload_sessions", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False),
    sa.Column("user_id", GUID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("message_id", sa.String(200),
              sa.ForeignKey("messages.id", ondelete="CASCADE", onupdate="CASCADE"), nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("content_type", sa.String(255), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("is_inline", sa.Boolean, nullable=False),
    sa.Column("content_id", sa.String(998), nullable=True),
    sa.Column("received", sa.BigInteger, nullable=False),
    sa.Column("blob_id", sa.String(36), sa.ForeignKey("blobs.id"), nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    # Set when the last range arrived: a client repeating that range gets the same answer.
    sa.Column("attachment_id", sa.String(200), nullable=True),
)

# Every change to a mailbox's messages and folders, in commit-independent order (`seq`), written
# by SQL triggers on `messages` and `folders` (migration 0012) so that every write path records
# its change in its own transaction: the mail domain, store/bulk.py's statements, the SQLite
# writer process and foreign-key cascades alike. Delta queries read it (store/changes.py).
# A message that moves gets a new id: its move is 'deleted' (old id, old folder) then 'created'
# (new id, new folder); a folder that moves is the same pair under its old and new parent.
mailbox_changes = sa.Table(
    "mailbox_changes", metadata,
    # AUTOINCREMENT on SQLite: a seq is never handed out twice, even after the newest row is pruned.
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("user_id", GUID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),  # message or folder
    # The item's id after the change (its last id for 'deleted').
    sa.Column("item_id", sa.String(200), nullable=False),
    # A message's immutable id (Prefer: IdType="ImmutableId" rounds follow it across moves); NULL
    # for a folder, whose id never changes.
    sa.Column("immutable_id", sa.String(200), nullable=True),
    # A message's folder (the one it left, for 'deleted'); a folder's parent.
    sa.Column("folder_id", sa.String(120), nullable=False),
    sa.Column("change_type", sa.String(8), nullable=False),  # created, updated or deleted
    # PostgreSQL: the writing transaction's id, so that a reader can tell which changes may still
    # have earlier seqs in flight (store/changes.py). NULL on SQLite, whose writers take turns.
    sa.Column("txid", sa.BigInteger, nullable=True),
    sa.Column("changed_at", UTCDateTime, nullable=False),
    sa.Index("ix_mailbox_changes_user_id_folder_id_seq", "user_id", "folder_id", "seq"),
    sa.Index("ix_mailbox_changes_user_id_kind_seq", "user_id", "kind", "seq"),
    sa.Index("ix_mailbox_changes_user_id_txid", "user_id", "txid"),
    sqlite_autoincrement=True,
)

# Change notification subscriptions (POST /subscriptions). A subscription watches one mailbox:
# all its messages, one folder's messages, or its folders (`scope`). The change types it asked
# for are three flags, so that the trigger filling notification_queue (migration 0013) matches a
# change with plain comparisons. A removed subscription (`removed_at`) matches nothing and is
# kept only until its lifecycle notification has been sent.
subscriptions = sa.Table(
    "subscriptions", metadata,
    sa.Column("id", GUID, primary_key=True),
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("user_id", GUID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("application_id", GUID, nullable=False),
    sa.Column("creator_id", GUID, nullable=False, index=True),   # the signed-in user, or the app
    sa.Column("resource", sa.String(1024), nullable=False),      # as the client wrote it
    sa.Column("scope", sa.String(16), nullable=False),           # messages, folder_messages or folders
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
    sa.Column("expires_at", UTCDateTime, nullable=False, index=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # When reauthorizationRequired was queued for the current expiry (a renewal clears it).
    sa.Column("reauthorize_sent_at", UTCDateTime, nullable=True),
    sa.Column("removed_at", UTCDateTime, nullable=True),
)

# Notifications waiting to be POSTed: a change (`change_type`, of `item_kind` `item_id`) or a
# lifecycle event (`lifecycle_event`). Change rows are written by the trigger on mailbox_changes,
# in the transaction of the change; a row leaves the queue when its endpoint took it, or when
# its retries ran out. Leased like the outbox (store/leases.py).
notification_queue = sa.Table(
    "notification_queue", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("subscription_id", GUID, sa.ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False,
              index=True),
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
    sa.Index("ix_notification_queue_next_attempt_at", "next_attempt_at"),
    # A notification's id is made from its row's (notifications/payloads.py): SQLite must never
    # hand out the id of a row that was delivered and deleted, as it does without AUTOINCREMENT.
    sqlite_autoincrement=True,
)
