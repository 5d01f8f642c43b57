"""GET /{version}/$metadata: the CSDL of what graphpost serves; every @odata.context of a set of
real answers, on both versions and backends, resolves in it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from tests.api.mail_helpers import ALICE, Mailbox, as_application, delegated, file_attachment, recipients
from tests.notifications.receiver import WebhookReceiver
from tests.tokens import TokenMint

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"


@dataclass
class Csdl:
    """The parts of a CSDL document a context path walks through."""
    types: dict[str, ET.Element]            # entity, complex and enum types by name
    roots: dict[str, tuple[str, bool]]      # entity sets and singletons: name → (type, is a collection)

    @classmethod
    def parse(cls, text: str) -> Csdl:
        schema = ET.fromstring(text).find(f"./*/{EDM}Schema")
        assert schema is not None and schema.get("Namespace") == "microsoft.graph"
        types = {element.get("Name", ""): element for element in schema
                 if element.tag in (f"{EDM}EntityType", f"{EDM}ComplexType", f"{EDM}EnumType")}
        container = schema.find(f"{EDM}EntityContainer")
        assert container is not None
        roots = {member.get("Name", ""): (short(member.get("EntityType") or member.get("Type") or ""),
                                          member.tag == f"{EDM}EntitySet") for member in container}
        return cls(types, roots)

    def members(self, type_name: str) -> dict[str, str]:
        """A type's properties and navigation properties with their types, its base types' too."""
        found: dict[str, str] = {}
        element: ET.Element | None = self.types[type_name]
        while element is not None:
            for prop in element:
                found.setdefault(prop.get("Name", ""), prop.get("Type", ""))
            base = element.get("BaseType")
            element = self.types[short(base)] if base else None
        return found

    def resolve(self, fragment: str) -> str:
        """The type an @odata.context fragment names; an AssertionError says where it stops."""
        if fragment.startswith("Collection("):
            name = short(fragment)
            assert name in self.types, fragment
            return name
        if fragment.startswith("microsoft.graph."):
            assert short(fragment) in self.types, fragment
            return short(fragment)
        segments = fragment.split("/")
        if segments[-1] == "$entity":
            segments.pop()
        first, argument = split(segments[0])
        assert first in self.roots, f"{first} is no entity set or singleton ({fragment})"
        current, _ = self.roots[first]
        self.check_argument(current, argument, fragment)
        for segment in segments[1:]:
            name, argument = split(segment)
            members = self.members(current)
            assert name in members, f"{current} has no {name} ({fragment})"
            current = short(members[name])
            assert current in self.types, f"{members[name]} is not in the document ({fragment})"
            self.check_argument(current, argument, fragment)
        return current

    def check_argument(self, type_name: str, argument: str | None, fragment: str) -> None:
        if argument is None or argument.startswith("'"):
            return  # a key
        for selected in argument.split(","):
            assert selected in self.members(type_name), f"{type_name} has no {selected} ({fragment})"


def short(type_name: str) -> str:
    inner = type_name.removeprefix("Collection(").removesuffix(")")
    return inner.rsplit(".", 1)[-1]


def split(segment: str) -> tuple[str, str | None]:
    found = re.fullmatch(r"([^(]+)(?:\((.*)\))?", segment)
    assert found is not None, segment
    return found.group(1), found.group(2)


def contexts_in(body: Any) -> list[str]:
    found: list[str] = []
    if isinstance(body, dict):
        found += [value for key, value in body.items() if key == "@odata.context"]
        for value in body.values():
            found += contexts_in(value)
    elif isinstance(body, list):
        for value in body:
            found += contexts_in(value)
    return found


async def test_metadata_is_the_csdl_of_each_version(client: httpx.AsyncClient) -> None:
    for version in ("v1.0", "beta"):
        response = await client.get(f"/{version}/$metadata")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/xml"
        assert "github.com/microsoftgraph/msgraph-metadata@" in response.text.split("-->", 1)[0]
        csdl = Csdl.parse(response.text)
        assert {"message", "mailFolder", "fileAttachment", "itemAttachment", "referenceAttachment", "recipient",
                "itemBody", "subscription", "user", "uploadSession"} <= set(csdl.types)
        assert csdl.roots == {"users": ("user", True), "me": ("user", False), "subscriptions": ("subscription", True)}
        # Cut to what graphpost serves: no navigation to a type that is not in it.
        assert "calendar" not in csdl.types and "events" not in csdl.members("user")
        assert {"messages", "mailFolders"} <= set(csdl.members("user"))


async def answers(mailbox: Mailbox, client: httpx.AsyncClient, webhook: WebhookReceiver) -> list[httpx.Response]:
    """Graph answers with a body, one of each kind graphpost gives."""
    draft = await mailbox.create_draft(subject="context", toRecipients=recipients("bob@contoso.test"))
    attached = await mailbox.post(f"messages/{draft['id']}/attachments", json=file_attachment("a.txt", b"hello"))
    inbox = await mailbox.folder("inbox")
    child = await mailbox.post(f"mailFolders/{inbox['id']}/childFolders", json={"displayName": "sub"})
    expiry = (datetime.now(timezone.utc) + timedelta(minutes=60)).isoformat().replace("+00:00", "Z")
    version = mailbox.path.split("/")[1]
    subscription = await client.post(f"/{version}/subscriptions", headers=mailbox.headers, json={
        "changeType": "created", "notificationUrl": webhook.url("notify"), "expirationDateTime": expiry,
        "resource": f"{mailbox.path.split('/', 2)[2]}/messages"})
    found = [
        attached, child, subscription,
        await mailbox.get("messages"),
        await mailbox.get("messages?$select=subject,from"),
        await mailbox.get(f"messages/{draft['id']}"),
        await mailbox.get(f"messages/{draft['id']}?$select=subject,toRecipients"),
        await mailbox.get(f"messages/{draft['id']}/attachments"),
        await mailbox.get(f"messages/{draft['id']}/attachments/{attached.json()['id']}"),
        await mailbox.post(f"messages/{draft['id']}/attachments/createUploadSession", json={"AttachmentItem": {
            "attachmentType": "file", "name": "big.bin", "size": 5_000_000}}),
        await mailbox.post(f"messages/{draft['id']}/createReply"),
        await mailbox.get("mailFolders"),
        await mailbox.get("mailFolders?$select=displayName"),
        await mailbox.get(f"mailFolders/{inbox['id']}"),
        await mailbox.get("mailFolders/inbox/messages"),
        await mailbox.get(f"mailFolders/{inbox['id']}/childFolders"),
        await mailbox.get(f"mailFolders/{inbox['id']}/childFolders/{child.json()['id']}"),
        await mailbox.get("mailFolders/inbox/messages/delta"),
        await mailbox.get("mailFolders/delta"),
        await client.get(f"/{version}/subscriptions", headers=mailbox.headers),
        await client.get(f"/{version}/subscriptions/{subscription.json()['id']}", headers=mailbox.headers),
    ]
    if mailbox.path.endswith("/me"):
        found.append(await client.get(f"/{version}/me", headers=mailbox.headers))
    found.append(await client.get(f"/{version}/users/{ALICE}", headers=mailbox.headers))
    return found


@pytest.mark.parametrize("via", ["v1.0/me", "beta/users"])
async def test_every_context_resolves_in_the_served_metadata(client: httpx.AsyncClient, tokens: TokenMint,
                                                             webhook: WebhookReceiver, via: str) -> None:
    version, kind = via.split("/")
    mailbox = await (delegated(client, tokens, ALICE, version) if kind == "me"
                     else as_application(client, tokens, ALICE, version,
                                         ("Mail.ReadWrite", "Mail.Send", "User.Read.All")))
    csdl = Csdl.parse((await client.get(f"/{version}/$metadata")).text)
    contexts: list[str] = []
    for response in await answers(mailbox, client, webhook):
        assert response.status_code < 300, (response.request.url, response.text)
        contexts += contexts_in(response.json())
    assert len(contexts) >= 20
    resolved = set()
    for context in contexts:
        root, fragment = context.split("#", 1)
        assert root == f"http://graph.test/{version}/$metadata"
        resolved.add(csdl.resolve(fragment))
    assert resolved == {"message", "mailFolder", "attachment", "subscription", "user", "uploadSession"}
