"""Alembic environment. graphpost runs migrations itself (store/migrate.py) and hands the
connection over in config.attributes; there is no alembic.ini to edit."""

from alembic import context

from graphpost.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds tables where needed. A rebuild drops the
    # old table, and with foreign keys on (they are) that runs the ON DELETE CASCADE of its child
    # tables: never rebuild a parent table (messages, blobs, submissions, users); prefer ADD
    # COLUMN and CREATE INDEX, as 0005 does (tests/store/test_migrations.py).
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
