"""A user's mailbox: creating its folders, and finding a folder by id or well-known name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.errors import ItemNotFound
from graphpost.mail import folders as well_known
from graphpost.store import mailbox as store
from graphpost.store.database import Database
from graphpost.store.mailbox import FolderRow


async def provision(conn: AsyncConnection, user_id: str, now: datetime) -> None:
    await store.insert_folders(conn, [
        {"id": folder.id, "user_id": user_id, "parent_id": folder.parent_id, "well_known": folder.well_known,
         "display_name": folder.display_name, "is_hidden": folder.hidden, "created_at": now}
        for folder in well_known.mailbox_folders()])


async def find_folder(conn: AsyncConnection, user_id: str, ref: str, *, counted: bool = True) -> FolderRow:
    """A folder of this mailbox by id or well-known name (any case); Graph's 400/404 otherwise.
    Only a folder shown to the client needs `counted` (its item counts cost a count of its messages)."""
    name = well_known.well_known_name(ref)
    if name is not None:
        found = await store.folder(conn, user_id, well_known=name, counted=counted)
    else:
        well_known.check_id(ref)
        found = await store.folder(conn, user_id, folder_id=ref, counted=counted)
    if found is None:
        raise ItemNotFound()
    return found


async def top_folders(db: Database, user_id: str, *, include_hidden: bool, top: int, skip: int) -> list[FolderRow]:
    """`/mailFolders`: the folders right under the top of the mailbox (msgfolderroot)."""
    async with db.read() as conn:
        root = await find_folder(conn, user_id, well_known.ROOT, counted=False)
        return await store.child_folders(conn, user_id, root.id, include_hidden=include_hidden, top=top, skip=skip)


async def get_folder(db: Database, user_id: str, ref: str) -> FolderRow:
    async with db.read() as conn:
        return await find_folder(conn, user_id, ref)
