"""TLS for graphpost: a local certificate authority in the data directory, server certificates
it signs for any host names, and the SSLContext that serves them (graphpost's own HTTPS, and the
proxy that answers for Graph's and Entra's host names). Below every other layer but config and
errors: it knows files, keys and certificates, nothing of mail or HTTP."""

from graphpost.tls.authority import CA_CERT_FILE, CA_DIR, LocalCA, local_ca
from graphpost.tls.context import check_certificate_and_key, server_context
from graphpost.tls.files import TLSError
from graphpost.tls.leaf import ServerCertificate, default_names, issue, normalized_names, server_certificate

__all__ = ["CA_CERT_FILE", "CA_DIR", "LocalCA", "ServerCertificate", "TLSError", "check_certificate_and_key",
           "default_names", "issue", "local_ca", "normalized_names", "server_certificate", "server_context"]
