"""`graphpost ca`, and the TLS context `serve --tls` serves with: the local CA's certificate for
a set of names, or the operator's own certificate and key."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Annotated

import typer

from graphpost import tls
from graphpost.cli.apps import app
from graphpost.cli.common import StoreFlags, fail, store_flags
from graphpost.config import Settings

# Addresses that mean "every interface": no certificate can name them.
_WILDCARD_HOSTS = {"0.0.0.0", "::", ""}


@dataclass(frozen=True)
class Serving:
    context: ssl.SSLContext
    note: str   # one line for the operator: which certificate, and what clients must trust


@app.command()
@store_flags
def ca(
    pem: Annotated[bool, typer.Option("--pem", help="Print the certificate itself (PEM), not its path.")] = False,
    *, store: StoreFlags,
) -> None:
    """Print the path of the local CA's certificate, making the CA on first use: point clients'
    SSL_CERT_FILE or REQUESTS_CA_BUNDLE at it to trust `graphpost serve --tls`."""
    authority = local_ca(store.settings())
    typer.echo(authority.pem if pem else str(authority.cert_path.resolve()), nl=not pem)


def local_ca(settings: Settings) -> tls.LocalCA:
    try:
        return tls.local_ca(settings.data_dir)
    except tls.TLSError as exc:
        fail(str(exc))


def local_names(host: str) -> list[str]:
    """The names of the local certificate: this machine's, and the address serve listens on when
    it is one a certificate can name (not 0.0.0.0 or ::, which mean every interface)."""
    names = tls.default_names()
    if host not in _WILDCARD_HOSTS:
        try:
            names += tls.normalized_names([host])
        except tls.TLSError:
            pass   # a name the resolver takes but no certificate can carry: clients must use another
    return names


def https_context(settings: Settings) -> Serving | None:
    """What `serve` needs for HTTPS under these settings, None for plain HTTP; a bad file or CA is
    one line and exit 2."""
    if settings.tls_key is not None and settings.tls_cert is None:
        fail("tls_key (--tls-key) needs tls_cert (--tls-cert): the certificate it is the key of")
    if not settings.serves_https:
        return None
    try:
        if settings.tls_cert is not None:
            context = tls.server_context(settings.tls_cert, settings.tls_key)
            return Serving(context, f"TLS certificate {settings.tls_cert} (given with tls_cert)")
        authority = tls.local_ca(settings.data_dir)
        certificate = tls.server_certificate(authority, local_names(settings.host))
        context = tls.server_context(certificate.path)
    except tls.TLSError as exc:
        fail(str(exc))
    ca_file = authority.cert_path.resolve()
    return Serving(context, f"TLS certificate for {', '.join(certificate.names)} from the local CA {ca_file} "
                            f"(clients trust it with SSL_CERT_FILE={ca_file}; graphpost ca prints the path)")
