"""Microsoft's national clouds: for each, the host names of its Graph API and of its Entra ID
sign-in service, and the audience of the tokens it issues for Graph. graphpost answers for all
of them (the proxy terminates TLS for these hosts) and keeps a token to the cloud it was asked
for.

Sources: Microsoft Graph's "National cloud deployments" page, msgraph-core's `NationalClouds`
(the Graph roots) and azure-identity's `AzureAuthorityHosts` (the sign-in hosts). China has two
sign-in hosts: `login.chinacloudapi.cn` (azure-identity's AZURE_CHINA, Graph's documentation) and
`login.partner.microsoftonline.cn` (Entra's documentation; MSAL's current name for it). Microsoft
Cloud Germany closed in 2021 and is left out."""

from __future__ import annotations

from dataclasses import dataclass

# Graph's own application id; Entra puts it in `aud` for some token versions. Every cloud's Graph
# has this id, so it cannot say which cloud a token is for: graphpost accepts it in the global
# cloud only, where tokens that carry it come from.
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"


@dataclass(frozen=True)
class Cloud:
    name: str                      # what `graphpost token --cloud` takes
    title: str                     # for people
    graph_hosts: tuple[str, ...]   # the first is the one a client is told to use
    login_hosts: tuple[str, ...]
    audience: str                  # `aud` of its tokens for Graph, and the `.default` scope's prefix

    @property
    def graph_url(self) -> str:
        return f"https://{self.graph_hosts[0]}"

    @property
    def accepted_audiences(self) -> frozenset[str]:
        """The `aud` values a token must carry (one of) to be used on this cloud's Graph."""
        forms = {self.audience, self.audience + "/"}
        return frozenset(forms | {GRAPH_APP_ID}) if self is GLOBAL else frozenset(forms)

    @property
    def hosts(self) -> tuple[str, ...]:
        return self.graph_hosts + self.login_hosts


GLOBAL = Cloud("global", "Microsoft Graph global service", ("graph.microsoft.com",),
               ("login.microsoftonline.com",), "https://graph.microsoft.com")
US_GOV = Cloud("usgov", "Microsoft Graph for US Government L4", ("graph.microsoft.us",),
               ("login.microsoftonline.us",), "https://graph.microsoft.us")
US_GOV_DOD = Cloud("usgov-dod", "Microsoft Graph for US Government L5 (DOD)", ("dod-graph.microsoft.us",),
                   ("login.microsoftonline.us",), "https://dod-graph.microsoft.us")
CHINA = Cloud("china", "Microsoft Graph China operated by 21Vianet", ("microsoftgraph.chinacloudapi.cn",),
              ("login.chinacloudapi.cn", "login.partner.microsoftonline.cn"),
              "https://microsoftgraph.chinacloudapi.cn")

CLOUDS = (GLOBAL, US_GOV, US_GOV_DOD, CHINA)
BY_NAME = {cloud.name: cloud for cloud in CLOUDS}
_BY_GRAPH_HOST = {host: cloud for cloud in CLOUDS for host in cloud.graph_hosts}
# US Government L4 and L5 share one sign-in host, so a login host names no single cloud.
LOGIN_HOSTS = frozenset(host for cloud in CLOUDS for host in cloud.login_hosts)
GRAPH_HOSTS = frozenset(_BY_GRAPH_HOST)


_BY_AUDIENCE = {cloud.audience: cloud for cloud in CLOUDS}


def cloud_of_audience(resource: str) -> Cloud | None:
    """The cloud whose Graph a resource names (`https://graph.microsoft.us`, as in a scope's
    `https://graph.microsoft.us/.default` or a token's `aud`), None for any other resource: what
    a token endpoint asks to learn which cloud's audience a token gets."""
    return _BY_AUDIENCE.get(resource.rstrip("/").lower())


def proxied_hosts() -> tuple[str, ...]:
    """Every Graph and sign-in host of every cloud, sorted: what the proxy answers for."""
    return tuple(sorted(GRAPH_HOSTS | LOGIN_HOSTS))


def host_name(authority: str) -> str:
    """The host of a Host header or CONNECT target, lower-cased, without port or final dot."""
    host = authority.strip().lower()
    if host.startswith("["):                     # an IPv6 literal: no cloud's host, keep it whole
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0].rstrip(".") if ":" in host else host.rstrip(".")


def cloud_of_graph_host(authority: str) -> Cloud | None:
    """The cloud whose Graph API has this host name, None for any other host."""
    return _BY_GRAPH_HOST.get(host_name(authority))


def cloud_for_request(authority: str) -> Cloud:
    """The cloud a request is for, by its Host: a cloud's Graph host names that cloud; any other
    host (127.0.0.1, localhost, this machine's name: graphpost reached directly) is the global
    cloud, whose tokens `graphpost token` mints by default."""
    return cloud_of_graph_host(authority) or GLOBAL
