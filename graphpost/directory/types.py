"""What the directory hands upwards: users and app registrations, without what only the store and
the directory need (an app's secret hash stays in its row). directory/service.py makes them from
the store's rows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class User:
    """A user of a tenant; it is also the owner of a mailbox (mail/types.MailboxOwner)."""
    id: str
    tenant_id: str
    user_principal_name: str
    mail: str
    display_name: str
    account_enabled: bool = True


@dataclass(frozen=True, slots=True)
class App:
    """An app registration, as a token check needs it."""
    client_id: str
    tenant_id: str
    display_name: str
    permissions: tuple[str, ...]
