"""Tokens, users, apps and tenants."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from graphpost.cli.apps import app, app_app, tenant_app, user_app
from graphpost.cli.common import StoreFlags, echo_table, fail, run, signing_key, store_flags


@app.command()
@store_flags
def token(
    user: Annotated[Optional[str], typer.Option(help="Delegated token for this userPrincipalName.")] = None,
    app_id: Annotated[Optional[str], typer.Option("--app", help="Application token for this client id.")] = None,
    scope: Annotated[Optional[list[str]], typer.Option(
        help="Delegated permission (repeatable) [default Mail.ReadWrite Mail.Send].")] = None,
    lifetime: Annotated[Optional[str], typer.Option(help="Like 90s, 15m, 1h, 2d [default 1h].")] = None,
    cloud: Annotated[Optional[str], typer.Option(
        help="The national cloud whose Graph the token is for: global, usgov, usgov-dod or china; it is "
             "accepted on that cloud's Graph host only (graphpost's own address is global) [default global].")] = None,
    *, store: StoreFlags,
) -> None:
    """Print an access token for a user (delegated) or an app (application)."""
    from graphpost.auth import clouds, tokens
    from graphpost.auth.permissions import DEFAULT_DELEGATED_SCOPES, unknown_permissions
    from graphpost.store import directory as rows

    if (user is None) == (app_id is None):
        fail("give exactly one of --user UPN or --app CLIENT_ID")
    if app_id is not None and scope:
        fail("--scope is for delegated tokens; an app's token carries the permissions granted to it")
    if cloud is not None and cloud not in clouds.BY_NAME:
        fail(f"unknown cloud '{cloud}' (clouds: {', '.join(clouds.BY_NAME)})")
    audience = clouds.BY_NAME[cloud or clouds.GLOBAL.name].audience
    settings = store.settings(token_lifetime=lifetime)
    scopes = list(dict.fromkeys(scope or DEFAULT_DELEGATED_SCOPES))
    if unknown_permissions(scopes):
        fail(f"unknown permission '{unknown_permissions(scopes)[0]}'")
    key = signing_key(settings)

    async def mint(db: Any) -> str:
        async with db.read() as conn:
            if user is not None:
                found = await rows.user_by_upn(conn, user)
                if found is None:
                    fail(f"no user {user} (see: graphpost user list)")
                if not found.account_enabled:
                    # Entra refuses to issue one too (AADSTS50057, "The user account is disabled.").
                    fail(f"the user {found.user_principal_name} is disabled (graphpost user enable "
                         f"{found.user_principal_name})")
                subject = tokens.DelegatedSubject(found.tenant_id, found.id, found.user_principal_name,
                                                  found.display_name)
                return tokens.issue_delegated(key, subject, scopes, settings.token_lifetime, audience=audience)
            registered = await rows.app_by_client_id(conn, app_id or "")
            if registered is None:
                fail(f"no app with client id {app_id} (see: graphpost app list)")
            return tokens.issue_application(key, registered.tenant_id, registered.client_id,
                                            list(registered.permissions), settings.token_lifetime, audience=audience)

    typer.echo(run(settings, mint))


@user_app.command("add")
@store_flags
def user_add(
    upn: Annotated[str, typer.Argument(help="userPrincipalName, e.g. carol@contoso.test.")],
    name: Annotated[Optional[str], typer.Option(help="Display name.")] = None,
    *, store: StoreFlags,
) -> None:
    """Add a user (with a mailbox) to the tenant that accepts its domain; its id is the last word."""
    from graphpost.directory import service as directory
    settings = store.settings()
    created = run(settings, lambda db: directory.add_user(db, upn, name))
    typer.echo(f"added user {created.user_principal_name} ({created.display_name}) with a mailbox, id {created.id}")


@user_app.command("list")
@store_flags
def user_list(store: StoreFlags) -> None:
    """List users: id, userPrincipalName, displayName, accountEnabled."""
    from graphpost.store import directory as rows
    found = store.read(rows.list_users)
    echo_table(("id", "userPrincipalName", "displayName", "accountEnabled"),
               [(row.id, row.user_principal_name, row.display_name, str(row.account_enabled).lower())
                 for row in found])


@user_app.command("remove")
@store_flags
def user_remove(
    upn: Annotated[str, typer.Argument(help="userPrincipalName of the user.")],
    *, store: StoreFlags,
) -> None:
    """Delete a user and its mailbox (folders, messages, mail still queued from it), for good."""
    from graphpost.directory import service as directory
    removed = run(store.settings(), lambda db: directory.remove_user(db, upn), existing=True)
    typer.echo(f"removed user {removed.user_principal_name} and its mailbox")


@user_app.command("passwd")
@store_flags
def user_passwd(
    upn: Annotated[str, typer.Argument(help="userPrincipalName of the user.")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input instead of asking.")
    ] = False,
    *, store: StoreFlags,
) -> None:
    """Set the password the user signs in with at the identity endpoint (8 to 256 characters)."""
    import sys

    from graphpost.directory import service as directory
    if password_stdin:
        password = sys.stdin.readline(directory.MAX_PASSWORD + 2).rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    changed = run(store.settings(), lambda db: directory.set_password(db, upn, password), existing=True)
    typer.echo(f"set the password of {changed.user_principal_name}")


def _set_enabled(upn: str, enabled: bool, store: StoreFlags) -> None:
    from graphpost.directory import service as directory
    changed = run(store.settings(), lambda db: directory.set_user_enabled(db, upn, enabled), existing=True)
    typer.echo(f"{'enabled' if enabled else 'disabled'} user {changed.user_principal_name}")


@user_app.command("disable")
@store_flags
def user_disable(
    upn: Annotated[str, typer.Argument(help="userPrincipalName of the user.")],
    *, store: StoreFlags,
) -> None:
    """Block the user's sign-in, as accountEnabled=false does: its tokens are refused (within seconds
    by a running server); its mailbox keeps its mail and still receives more."""
    _set_enabled(upn, False, store)


@user_app.command("enable")
@store_flags
def user_enable(
    upn: Annotated[str, typer.Argument(help="userPrincipalName of the user.")],
    *, store: StoreFlags,
) -> None:
    """Let a disabled user sign in again."""
    _set_enabled(upn, True, store)


@app_app.command("add")
@store_flags
def app_add(
    name: Annotated[str, typer.Argument(help="Display name of the app.")],
    permission: Annotated[list[str], typer.Option(help="Application permission to grant (repeatable).")],
    tenant: Annotated[Optional[str], typer.Option(help="Domain of the tenant, when there are several.")] = None,
    client_id: Annotated[Optional[str], typer.Option(
        help="Client id (a GUID) to register the app under, e.g. the one an application is configured with "
             "[default: a new one].")] = None,
    certificate: Annotated[Optional[Path], typer.Option(
        help="PEM file with the app's certificate: client assertions signed by its key are accepted "
             "(the file may hold the key too; only the certificate is kept).")] = None,
    *, store: StoreFlags,
) -> None:
    """Register an app with application permissions; prints its client id and secret, which get
    tokens at /{tenant}/oauth2/v2.0/token."""
    from graphpost.auth.certificates import CertificateError, MAX_PEM_BYTES, load_certificate
    from graphpost.directory import service as directory
    registered = None
    if certificate is not None:
        try:
            with certificate.open("rb") as pem:
                registered = load_certificate(pem.read(MAX_PEM_BYTES + 1))
        except OSError as exc:
            fail(f"cannot read the certificate {certificate}: {exc.strerror}")
        except CertificateError as exc:
            fail(f"{certificate}: {exc}")
    created = run(store.settings(), lambda db: directory.add_app(db, name, permission, tenant, client_id, registered))
    typer.echo(f"tenant_id: {created.app.tenant_id}")
    typer.echo(f"client_id: {created.app.client_id}")
    typer.echo(f"client_secret: {created.secret}")
    if registered is not None:
        typer.echo(f"certificate_thumbprint: {registered.sha1.upper()}")


@app_app.command("list")
@store_flags
def app_list(store: StoreFlags) -> None:
    """List app registrations: client id, name, granted permissions."""
    from graphpost.store import directory as rows
    found = store.read(rows.list_apps)
    echo_table(("clientId", "displayName", "permissions"),
               [(row.client_id, row.display_name, " ".join(row.permissions)) for row in found])


@app_app.command("remove")
@store_flags
def app_remove(
    client_id: Annotated[str, typer.Argument(help="Client id of the app (see: graphpost app list).")],
    *, store: StoreFlags,
) -> None:
    """Delete an app registration: its tokens are refused (within seconds by a running server)."""
    from graphpost.directory import service as directory
    removed = run(store.settings(), lambda db: directory.remove_app(db, client_id), existing=True)
    typer.echo(f"removed app {removed.client_id} ({removed.display_name})")


@tenant_app.command("add")
@store_flags
def tenant_add(
    domain: Annotated[str, typer.Argument(help="Accepted domain of the new tenant.")],
    name: Annotated[Optional[str], typer.Option(help="Display name.")] = None,
    tenant_id: Annotated[Optional[str], typer.Option(
        "--id", help="Tenant id (a GUID), e.g. the one an application is configured with [default: a new one].")
    ] = None,
    *, store: StoreFlags,
) -> None:
    """Add a tenant with one accepted domain; its id is the last word printed."""
    from graphpost.directory import service as directory
    tenant_id = run(store.settings(), lambda db: directory.add_tenant(db, domain, name, tenant_id))
    typer.echo(f"added tenant {name or domain.strip().lower()} accepting {domain.strip().lower()}, id {tenant_id}")


@tenant_app.command("list")
@store_flags
def tenant_list(store: StoreFlags) -> None:
    """List tenants: id, name, accepted domains."""
    from graphpost.store import directory as rows
    found = store.read(rows.list_tenants)
    echo_table(("id", "displayName", "domains"), [(row.id, row.display_name, " ".join(row.domains)) for row in found])
