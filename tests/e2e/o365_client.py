"""An O365 client pointed at a `graphpost serve` process: the library as an application would use
it, with its requests sent to the server and authorised by a `graphpost token`."""

from __future__ import annotations

from O365 import Account
from O365.connection import MSGraphProtocol
from O365.utils.token import MemoryTokenBackend

from tests.e2e.server import ServerProcess


def o365_account(server: ServerProcess, upn: str, request_retries: int = 0) -> Account:
    """An O365 `Account` whose every request goes to the server with a `graphpost token` (and,
    with `request_retries`, O365's retries of 429 and 5xx answers)."""
    protocol = MSGraphProtocol()
    protocol.service_url = server.base_url + "/v1.0/"
    account = Account(("graphpost-client-id", "unused-secret"), protocol=protocol,
                      token_backend=MemoryTokenBackend(), requests_delay=0, request_retries=request_retries, timeout=60)
    account.con.session = account.con.get_session()
    account.con.update_session_auth_header(access_token=server.token(upn))
    return account
