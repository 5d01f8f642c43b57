"""A user's mailbox: creating its folders, finding a folder by id or well-known name, and the
folder tree's changes (create, rename, move, copy, delete)."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.errors import (DeleteDistinguishedFolder, FolderExists, ItemNotFound, MoveCopyFailed,
                              MoveDistinguishedFolder, RenameDistinguishedFolder)
from graphpost.mail import folders as well_known
from graphpost.mail import ids
from graphpost.mail import lookup, mapping
from graphpost.mail.types import Folder, FolderPage
from graphpost.odata.query import CollectionQuery
from graphpost.store import attachments as attachment_store
from graphpost.store import mailbox as store
from graphpost.store.database import Database
from graphpost.store.mailbox import FolderRow, MessageRow


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


async def child_folders(db: Database, user_id: str, parent_ref: str, *, include_hidden: bool,
                        query: CollectionQuery) -> FolderPage:
    """`…/mailFolders/{ref}/childFolders`; `/mailFolders` itself is the children of msgfolderroot.
    The page, and its count when asked, come from one snapshot."""
    async with db.read() as conn:
        parent = await find_folder(conn, user_id, parent_ref, counted=False)
        page = await store.child_folders(conn, user_id, parent.id, include_hidden=include_hidden, query=query)
    return mapping.folder_page(page)


async def get_folder(db: Database, user_id: str, ref: str, parent_ref: str | None = None) -> Folder:
    """A folder; with `parent_ref` (`…/mailFolders/{parent}/childFolders/{ref}`) it must be a
    child of that folder."""
    async with db.read() as conn:
        return mapping.folder(await _target(conn, user_id, ref, parent_ref, counted=True))


async def _target(conn: AsyncConnection, user_id: str, ref: str, parent_ref: str | None, *,
                  counted: bool = False) -> FolderRow:
    parent = await find_folder(conn, user_id, parent_ref, counted=False) if parent_ref is not None else None
    folder = await find_folder(conn, user_id, ref, counted=counted)
    if parent is not None and folder.parent_id != parent.id:
        raise ItemNotFound()
    return folder


async def _check_free(conn: AsyncConnection, user_id: str, parent_id: str, name: str,
                      excluding: str | None = None) -> None:
    siblings = await store.child_names(conn, user_id, parent_id)
    if any(well_known.same_name(name, other) for folder_id, other in siblings.items() if folder_id != excluding):
        raise FolderExists()


async def _counted(conn: AsyncConnection, user_id: str, folder_id: str) -> Folder:
    found = await store.folder(conn, user_id, folder_id=folder_id)
    assert found is not None  # written in this very transaction
    return mapping.folder(found)


async def create_folder(db: Database, user_id: str, parent_ref: str, payload: dict[str, Any]) -> Folder:
    """`POST …/mailFolders` (parent msgfolderroot) and `POST …/mailFolders/{ref}/childFolders`."""
    given = well_known.parse_folder(payload)
    name = well_known.checked_name(given.display_name)
    async with db.write() as conn:
        await store.lock_hierarchy(conn, user_id)
        parent = await find_folder(conn, user_id, parent_ref, counted=False)
        await _check_free(conn, user_id, parent.id, name)
        folder_id = ids.new_folder_id()
        await store.insert_folders(conn, [{"id": folder_id, "user_id": user_id, "parent_id": parent.id,
                                           "well_known": None, "display_name": name,
                                           "is_hidden": given.is_hidden, "created_at": lookup.now()}])
        return await _counted(conn, user_id, folder_id)


async def update_folder(db: Database, user_id: str, ref: str, payload: dict[str, Any],
                        parent_ref: str | None = None) -> Folder:
    """`PATCH`: only displayName can change (isHidden is fixed at creation; the rest is computed)."""
    given = well_known.parse_folder(payload)
    name = well_known.checked_name(given.display_name) if "display_name" in given.model_fields_set else None
    async with db.write() as conn:
        await store.lock_hierarchy(conn, user_id)
        folder = await _target(conn, user_id, ref, parent_ref)
        if name is not None and name != folder.display_name:
            if folder.well_known:
                raise RenameDistinguishedFolder()
            await _check_free(conn, user_id, folder.parent_id, name, excluding=folder.id)
            await store.rename_folder(conn, folder.id, name)
        return await _counted(conn, user_id, folder.id)


async def delete_folder(db: Database, user_id: str, ref: str, parent_ref: str | None = None) -> None:
    """`DELETE`. As Outlook and Exchange Online do, the folder, with its messages and subfolders,
    moves into Deleted Items (renamed "name (2)"… if one there has its name). A folder already
    in Deleted Items (at any depth) goes for good: it and its subfolders leave the tree, and their
    messages are soft-deleted into Recoverable Items under new ids, as DELETE of each message would
    (Exchange's own REST layer deletes a folder with DisposalType.SoftDelete)."""
    async with db.write() as conn:
        await store.lock_hierarchy(conn, user_id)
        folder = await _target(conn, user_id, ref, parent_ref)
        if folder.well_known:
            raise DeleteDistinguishedFolder()
        deleted_items = await find_folder(conn, user_id, "deleteditems", counted=False)
        if deleted_items.id in await store.ancestor_ids(conn, user_id, folder.id):
            await _purge(conn, user_id, folder)
        else:
            name = well_known.free_name(folder.display_name,
                                        (await store.child_names(conn, user_id, deleted_items.id)).values())
            await store.move_folder(conn, folder.id, deleted_items.id, name)


async def _purge(conn: AsyncConnection, user_id: str, folder: FolderRow) -> None:
    tree = [below.id for below in await store.subtree(conn, user_id, folder.id)]
    deletions = await find_folder(conn, user_id, "recoverableitemsdeletions", counted=False)
    renames = [(message_id, ids.new_message_id(), ids.new_change_key())
               for message_id in await store.message_ids_in(conn, tree)]
    await store.soft_delete_messages(conn, renames, deletions.id, lookup.now())
    await store.delete_folders(conn, tree)


async def move_folder(db: Database, user_id: str, ref: str, destination_ref: str) -> Folder:
    """`POST …/mailFolders/{ref}/move`: the folder, with everything in it, under `destination_ref`.
    Its id and its messages' ids stay (only its parent changes)."""
    async with db.write() as conn:
        await store.lock_hierarchy(conn, user_id)
        folder = await find_folder(conn, user_id, ref, counted=False)
        if folder.well_known:
            raise MoveDistinguishedFolder()
        destination = await _destination_outside(conn, user_id, folder, destination_ref)
        if destination.id != folder.parent_id:
            await _check_free(conn, user_id, destination.id, folder.display_name)
            await store.move_folder(conn, folder.id, destination.id, folder.display_name)
        return await _counted(conn, user_id, folder.id)


async def _destination_outside(conn: AsyncConnection, user_id: str, folder: FolderRow,
                               destination_ref: str) -> FolderRow:
    """The destination folder of a move or copy, which must not be `folder` or below it."""
    destination = await find_folder(conn, user_id, destination_ref, counted=False)
    if destination.id == folder.id or folder.id in await store.ancestor_ids(conn, user_id, destination.id):
        raise MoveCopyFailed("A folder cannot be moved or copied into itself or into one of its subfolders.")
    return destination


async def copy_folder(db: Database, user_id: str, ref: str, destination_ref: str) -> Folder:
    """`POST …/mailFolders/{ref}/copy`: a new folder under `destination_ref` holding copies of
    everything in this one: its subfolders, its messages (new ids, as a message copy has) and
    their attachments (new rows sharing the content). A well-known folder may be copied (the copy
    is an ordinary folder); the top of the mailbox may not."""
    async with db.write() as conn:
        await store.lock_hierarchy(conn, user_id)
        folder = await find_folder(conn, user_id, ref, counted=False)
        if folder.well_known == well_known.ROOT:
            raise MoveCopyFailed("The top of the mailbox cannot be copied.")
        destination = await _destination_outside(conn, user_id, folder, destination_ref)
        await _check_free(conn, user_id, destination.id, folder.display_name)
        return await _counted(conn, user_id, await _copy_tree(conn, user_id, folder.id, destination.id))


async def _copy_tree(conn: AsyncConnection, user_id: str, folder_id: str, destination_id: str) -> str:
    tree = await store.subtree(conn, user_id, folder_id)
    new_ids = {below.id: ids.new_folder_id() for below in tree}
    at = lookup.now()
    await store.insert_folders(conn, [
        {"id": new_ids[below.id], "user_id": user_id, "well_known": None, "display_name": below.display_name,
         "parent_id": destination_id if below.id == folder_id else new_ids[below.parent_id],
         "is_hidden": below.is_hidden, "created_at": at}
        for below in tree])
    originals = await store.messages_in(conn, list(new_ids))
    copies = [_message_copy(original, new_ids[original.folder_id], at) for original in originals]
    await store.insert_messages(conn, copies)
    for original, copied in zip(originals, copies):
        files = await attachment_store.attachments_of(conn, original.id)
        await attachment_store.insert_attachments(
            conn, attachment_store.copies_for(files, copied.id, [ids.new_attachment_id() for _ in files]))
    return new_ids[folder_id]


def _message_copy(original: MessageRow, folder_id: str, at: datetime) -> MessageRow:
    # A copy is a new item: ids and change key of its own, created now; the content is the same.
    return replace(original, id=ids.new_message_id(), immutable_id=ids.new_immutable_id(), folder_id=folder_id,
                   change_key=ids.new_change_key(), created_at=at, modified_at=at,
                   data=copy.deepcopy(original.data))
