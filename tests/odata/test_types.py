"""Graph's types as the query options see them: properties and enumeration values found in any case
and given back in Graph's spelling."""

from __future__ import annotations

import pytest

from graphpost.odata.entities import EMAIL_ADDRESS, FLAG_STATUS, MAIL_FOLDER, MESSAGE, RECIPIENT
from graphpost.odata.types import BOOLEAN, STRING, EdmType, Kind, collection


@pytest.mark.parametrize(("owner", "name", "found"), [
    (EMAIL_ADDRESS, "address", ("address", STRING)),
    (EMAIL_ADDRESS, "ADDRESS", ("address", STRING)),
    (RECIPIENT, "emailaddress", ("emailAddress", EMAIL_ADDRESS)),
    (MESSAGE.type, "IsRead", ("isRead", BOOLEAN)),
    (MESSAGE.type, "From", ("from", RECIPIENT)),
    (EMAIL_ADDRESS, "phone", None),
    (STRING, "length", None),
])
def test_a_property_is_found_in_any_case_with_its_declared_name(owner: EdmType, name: str,
                                                                found: tuple[str, EdmType] | None) -> None:
    assert owner.property(name) == found


@pytest.mark.parametrize(("value", "member"), [("flagged", "flagged"), ("NOTFLAGGED", "notFlagged"),
                                               ("Complete", "complete"), ("done", None), ("", None)])
def test_an_enumeration_value_is_found_in_any_case(value: str, member: str | None) -> None:
    assert FLAG_STATUS.member(value) == member


def test_a_collection_is_named_after_its_elements() -> None:
    recipients = collection(RECIPIENT)
    assert (recipients.name, recipients.kind, recipients.element) == (
        "Collection(microsoft.graph.recipient)", Kind.COLLECTION, RECIPIENT)


def test_entity_types_are_named_as_in_graphs_metadata() -> None:
    assert (MESSAGE.name, MAIL_FOLDER.name) == ("microsoft.graph.message", "microsoft.graph.mailFolder")


def test_every_filterable_and_sortable_path_leads_to_a_property() -> None:
    for entity in (MESSAGE, MAIL_FOLDER):
        for path in entity.filterable | entity.sortable:
            current: EdmType | None = entity.type
            for segment in path.split("/"):
                assert current is not None
                found = current.property(segment)
                assert found is not None and found[0] == segment, (entity.name, path)
                current = found[1]
