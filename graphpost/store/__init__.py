"""Storage: SQLAlchemy Core tables, engine set-up, repositories and Alembic migrations."""
