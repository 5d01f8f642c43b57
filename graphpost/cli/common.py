"""What the commands share: the store flags, settings, opening the store, and one-line errors."""

from __future__ import annotations

import asyncio
import functools
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Awaitable, Callable, Coroutine, NoReturn, Optional, TypeVar

import typer

from graphpost.config import ConfigError, Settings, load_settings


T = TypeVar("T")

# The flags every command that opens the store takes, declared once (`store_flags` adds them).
_FLAG_TYPES: dict[str, Any] = {
    "config": Annotated[Optional[Path], typer.Option("--config", help="TOML file of settings.", envvar=None)],
    "data_dir": Annotated[Optional[Path], typer.Option(
        "--data-dir",
        help="Where the SQLite file and signing key live [env GRAPHPOST_DATA_DIR; default ./.graphpost].")],
    "database_url": Annotated[Optional[str], typer.Option(
        "--database-url", help="sqlite:///file or postgresql://user@host/db [env GRAPHPOST_DATABASE_URL].")],
}
_STORE_FLAGS = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
                for name, annotation in _FLAG_TYPES.items()]


@dataclass(frozen=True)
class StoreFlags:
    """What --config, --data-dir and --database-url said, for a command decorated with `store_flags`."""
    config: Path | None = None
    data_dir: Path | None = None
    database_url: str | None = None

    def settings(self, **more: Any) -> Settings:
        return settings_of(self.config, self.data_dir, self.database_url, **more)

    def read(self, query: Callable[[Any], Awaitable[T]]) -> T:
        """`query(connection)` in a read transaction of the existing store."""
        async def work(db: Any) -> T:
            async with db.read() as conn:
                return await query(conn)
        return run(self.settings(), work, existing=True)

    def write(self, change: Callable[[Any], Awaitable[T]]) -> T:
        """`change(connection)` in a write transaction of the existing store."""
        async def work(db: Any) -> T:
            async with db.write() as conn:
                return await change(conn)
        return run(self.settings(), work, existing=True)


def store_flags(command: Callable[..., T]) -> Callable[..., T]:
    """Give a typer command the store flags (after its own): it takes them as one `store: StoreFlags`
    parameter. Shared as datasette shares its options, by a decorator; typer reads the signature."""
    own = [parameter for name, parameter in inspect.signature(command, eval_str=True).parameters.items()
           if name != "store"]

    @functools.wraps(command)
    def with_flags(*args: Any, config: Path | None = None, data_dir: Path | None = None,
                   database_url: str | None = None, **kwargs: Any) -> T:
        return command(*args, store=StoreFlags(config, data_dir, database_url), **kwargs)

    signature = inspect.Signature([*own, *_STORE_FLAGS], return_annotation=None)
    with_flags.__signature__ = signature  # type: ignore[attr-defined]
    with_flags.__annotations__ = {parameter.name: parameter.annotation for parameter in signature.parameters.values()}
    return with_flags


def fail(message: str) -> NoReturn:
    typer.echo(f"graphpost: {message}", err=True)
    raise typer.Exit(2)


# Settings whose flag is not --setting-name, so that an error names the flag that was typed.
FLAG_NAMES = {"token_lifetime": "--lifetime"}


def settings_of(config: Path | None, data_dir: Path | None, database_url: str | None, **more: Any) -> Settings:
    try:
        return load_settings(config, {"data_dir": data_dir, "database_url": database_url, **more},
                             flags=FLAG_NAMES)
    except ConfigError as exc:
        fail(str(exc))


def run(settings: Settings, work: Callable[[Any], Awaitable[T]], *, existing: bool = False) -> T:
    """Open the store (migrated and seeded), run `work(db)`, close the store. With `existing`, the
    store must be there already: a command that only reads, run on a mistyped --data-dir, says so
    instead of making and seeding a new store there."""
    from graphpost.startup import prepare_store

    async def go() -> T:
        if existing:
            await require_schema(settings)
        db = await prepare_store(settings)
        try:
            return await work(db)
        finally:
            await db.dispose()

    if existing:
        require_sqlite_file(settings)
    return run_with_errors(settings, go)


def require_sqlite_file(settings: Settings) -> None:
    from graphpost.store.location import sqlite_file
    path = sqlite_file(settings.sqlalchemy_url)
    if path is not None and not path.is_file():
        fail(f"no graphpost store at {path} (is --data-dir right? graphpost serve or graphpost user add makes one)")


async def require_schema(settings: Settings) -> None:
    from graphpost.store import migrate
    from graphpost.store.database import Database
    if settings.sqlalchemy_url.startswith("sqlite"):
        return   # its file is there (require_sqlite_file)
    db = Database(settings.sqlalchemy_url)
    try:
        revision = await migrate.current_revision(db)
    finally:
        await db.dispose()
    if revision is None:
        fail(f"no graphpost store in the database {redacted(settings.sqlalchemy_url)} (is --database-url right? "
             "graphpost serve or graphpost db upgrade makes one)")


def signing_key(settings: Settings) -> Any:
    from graphpost.auth import keys
    try:
        return keys.load_or_create(settings.data_dir)
    except keys.SigningKeyError as exc:
        fail(str(exc))


def run_with_errors(settings: Settings, go: Callable[[], Coroutine[Any, Any, T]]) -> T:
    from graphpost.directory.service import DirectoryError
    from graphpost.store.location import StoreLocationError, check_openable
    try:
        check_openable(settings.sqlalchemy_url)
        return asyncio.run(go())
    except (DirectoryError, StoreLocationError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot open the database {redacted(settings.sqlalchemy_url)}: {exc}")
    except Exception as exc:
        if type(exc).__module__.startswith(("sqlalchemy", "asyncpg")):
            fail(f"database error: {str(exc).splitlines()[0]}")
        raise


async def return_store(db: Any) -> Any:
    return db


def redacted(url: str) -> str:
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


def echo_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Columns aligned under a header line (the last one unpadded): read by people, and still
    split by whitespace in scripts, after the header."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]
    for line in (header, *rows):
        typer.echo("  ".join([*(cell.ljust(width) for cell, width in zip(line[:-1], widths)), line[-1]]))
