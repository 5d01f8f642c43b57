"""`If-Match` with a message's `@odata.etag`: the write happens only if the message has not
changed since; a stale etag is Graph's 412 ErrorIrresolvableConflict and changes nothing."""

from __future__ import annotations

import pytest

from tests.api.assertions import assert_graph_error
from tests.api.mail_helpers import Mailbox


async def test_patch_with_the_current_etag_succeeds_and_changes_it(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="v1")
    response = await alice.patch(f"messages/{draft['id']}", json={"subject": "v2"},
                                 headers={"If-Match": draft["@odata.etag"]})
    assert response.status_code == 200, response.text
    assert response.json()["subject"] == "v2"
    assert response.json()["@odata.etag"] != draft["@odata.etag"]


async def test_patch_with_a_stale_etag_is_refused_and_changes_nothing(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="v1")
    first = await alice.patch(f"messages/{draft['id']}", json={"subject": "v2"},
                              headers={"If-Match": draft["@odata.etag"]})
    assert first.status_code == 200
    stale = await alice.patch(f"messages/{draft['id']}", json={"subject": "v3"},
                              headers={"If-Match": draft["@odata.etag"]})
    assert_graph_error(stale, 412, "ErrorIrresolvableConflict")
    current = await alice.message(draft["id"])
    assert current["subject"] == "v2" and current["@odata.etag"] == first.json()["@odata.etag"]


@pytest.mark.parametrize("header", ["*", None])
async def test_patch_without_a_precondition_or_with_a_star_always_applies(alice: Mailbox, header: str | None) -> None:
    draft = await alice.create_draft(subject="v1")
    await alice.patch(f"messages/{draft['id']}", json={"subject": "v2"})
    response = await alice.patch(f"messages/{draft['id']}", json={"subject": "v3"},
                                 headers={"If-Match": header} if header else None)
    assert response.status_code == 200 and response.json()["subject"] == "v3"


async def test_if_match_takes_the_bare_change_key_and_lists_of_etags(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="v1")
    bare = await alice.patch(f"messages/{draft['id']}", json={"isRead": False},
                             headers={"If-Match": f'"{draft["changeKey"]}"'})
    assert bare.status_code == 200, bare.text
    listed = await alice.patch(f"messages/{draft['id']}", json={"isRead": True},
                               headers={"If-Match": f'W/"stale", {bare.json()["@odata.etag"]}'})
    assert listed.status_code == 200, listed.text


async def test_delete_with_a_stale_etag_keeps_the_message(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Keep me")
    await alice.patch(f"messages/{draft['id']}", json={"subject": "Kept"})
    response = await alice.request("DELETE", f"messages/{draft['id']}", headers={"If-Match": draft["@odata.etag"]})
    assert_graph_error(response, 412, "ErrorIrresolvableConflict")
    assert (await alice.message(draft["id"]))["subject"] == "Kept"
    assert await alice.counts("drafts") == (1, 0)
    current = (await alice.message(draft["id"]))["@odata.etag"]
    assert (await alice.request("DELETE", f"messages/{draft['id']}", headers={"If-Match": current})).status_code == 204
    assert await alice.counts("drafts") == (0, 0)
