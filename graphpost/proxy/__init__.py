"""The HTTP proxy that answers for Graph's and Entra's real host names: `CONNECT` to one of
them opens a tunnel whose TLS graphpost terminates with a certificate from its local CA, and the
requests inside are served by graphpost's own app. An application configured as in production
(https://graph.microsoft.com, login.microsoftonline.com) reaches graphpost through
`HTTPS_PROXY` alone. Every other host is refused: nothing is ever forwarded to the internet."""
