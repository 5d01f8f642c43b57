"""Recipient checks at submission time, with Graph's messages."""

from __future__ import annotations

import re
from typing import Any

from graphpost.errors import InvalidRecipients

# An address Exchange can resolve: one mailbox, no list separators, no display-name syntax.
_ADDRESS = re.compile(
    r"[^\s@<>()\[\],;:\"\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")


def is_address(text: str) -> bool:
    return len(text) <= 320 and _ADDRESS.fullmatch(text) is not None


def addresses(recipients: list[dict[str, Any]]) -> list[str]:
    return [item["emailAddress"]["address"] for item in recipients]


def check_submittable(data: dict[str, Any]) -> list[str]:
    """All to/cc/bcc addresses, once each (first spelling kept); Graph's 400 if there are none or
    one cannot be resolved."""
    found: dict[str, str] = {}
    for key in ("toRecipients", "ccRecipients", "bccRecipients"):
        for address in addresses(data.get(key) or []):
            if not is_address(address):
                raise InvalidRecipients(
                    f"At least one recipient isn't valid., Recipient '{address}' isn't resolved. All recipients "
                    "must be resolved before a message can be submitted.")
            found.setdefault(address.lower(), address)
    if not found:
        raise InvalidRecipients("At least one recipient isn't valid., A message can't be sent because it "
                                "contains no recipients.")
    for key in ("replyTo",):
        for address in addresses(data.get(key) or []):
            if not is_address(address):
                raise InvalidRecipients(f"At least one recipient isn't valid., Recipient '{address}' isn't resolved.")
    return list(found.values())
