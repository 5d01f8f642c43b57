"""One Settings object, read from a TOML file, then `GRAPHPOST_*` environment, then CLI flags
(each later source wins). A bad value stops start-up with one line naming the setting."""

from __future__ import annotations

import os
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ENV_PREFIX = "GRAPHPOST_"
# The one default for how long a delivery worker holds what it claims: the setting's and the worker's.
DEFAULT_DELIVERY_LEASE = timedelta(minutes=5)
DEFAULT_SIMULATOR_SLOW_DELAY = timedelta(seconds=3)
# The statuses Dev Proxy's GraphRandomErrorPlugin fails Graph requests with.
FAULT_STATUSES = (429, 500, 502, 503, 504, 507)


class ConfigError(Exception):
    """A setting that cannot be used; the message is one line naming it and where it came from."""


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: Path = Field(Path(".graphpost"), description="Where the SQLite file, signing keys and the local CA live.")
    database_url: str | None = Field(
        None, description="sqlite:///path or postgresql://user@host/db; default: graphpost.db in data_dir.")
    host: str = Field("127.0.0.1", description="Address `serve` listens on.")
    port: int = Field(8000, ge=0, le=65535, description="Port `serve` listens on (0 picks a free one).")
    tls: bool = Field(False, description="Serve HTTPS, with a certificate from the local CA in data_dir/ca "
                                         "(or tls_cert).")
    tls_cert: Path | None = Field(None, description="PEM certificate (chain) to serve HTTPS with instead; "
                                                    "implies tls.")
    tls_key: Path | None = Field(None, description="PEM private key of tls_cert (default: read from tls_cert).")
    create_default_tenant: bool = Field(
        True, description="On first start with an empty store, create contoso.test with alice and bob.")
    default_domain: str = Field("contoso.test", description="Accepted domain of the default tenant.")
    token_lifetime: timedelta = Field(timedelta(hours=1), description="Default lifetime of minted tokens.")
    log_level: str = Field("info", description="debug, info, warning or error.")
    log_format: Literal["text", "json"] = Field(
        "text", description="text (one line a record) or json (one JSON object a line, with the request id).")
    metrics: bool = Field(True, description="Answer GET /metrics (Prometheus text format, no authentication) "
                                            "on the API port.")
    # Outbound relay (smart host). Without relay_host, external mail is captured, never sent.
    relay_host: str | None = Field(None, description="Smart host that external mail is relayed to.")
    relay_port: int = Field(25, ge=1, le=65535, description="Its port (25, 587 with STARTTLS, 465 with TLS).")
    relay_tls: Literal["none", "starttls", "tls"] = Field("starttls", description="none, starttls or tls (implicit).")
    relay_verify: bool = Field(True, description="Verify the relay's certificate.")
    relay_ca_file: Path | None = Field(None, description="CA bundle to verify the relay's certificate with.")
    relay_username: str | None = Field(None, description="AUTH user name at the relay.")
    relay_password: str | None = Field(None, description="AUTH password at the relay.")
    relay_timeout: timedelta = Field(timedelta(seconds=30), description="Connect and command timeout.")
    relay_max_connections: int = Field(4, ge=1, le=100, description="Connections to the relay at the same time.")
    retry_first: timedelta = Field(timedelta(minutes=5), description="Wait before the first retry (doubles).")
    retry_max: timedelta = Field(timedelta(seconds=4000), description="Longest wait between retries.")
    delivery_lease: timedelta = Field(DEFAULT_DELIVERY_LEASE,
                                      description="How long a worker holds entries it is sending; after a crash, "
                                                  "they are retried when this runs out.")
    smtp_port: int | None = Field(None, ge=0, le=65535,
                                  description="Inbound SMTP port for mail to local users (off when unset).")
    smtp_max_size: int = Field(36 * 1024 * 1024, ge=1024, description="Largest inbound message, in bytes (552).")
    queue_lifetime: timedelta = Field(timedelta(days=5), description="After this, undelivered mail bounces.")
    simulator_slow_delay: timedelta = Field(DEFAULT_SIMULATOR_SLOW_DELAY,
                                            description="How long the simulator takes to accept mail for "
                                                        "slow@simulator.graphpost.test (README: Simulator addresses).")
    proxy_port: int | None = Field(None, ge=0, le=65535,
                                   description="HTTP proxy port answering CONNECT for Graph's and Entra's host names "
                                               "(0 picks a free one; off when unset).")
    proxy_head_timeout: timedelta = Field(timedelta(seconds=10),
                                          description="How long the proxy waits for a CONNECT request, again for "
                                                      "its TLS handshake, and for the first request in the tunnel.")
    proxy_max_connections: int = Field(1024, ge=1, le=65535, description="Proxy connections open at once.")
    # Change notifications (graphpost/notifications/). Graph retries a notification for 4 hours.
    notification_retry_first: timedelta = Field(timedelta(minutes=1),
                                                description="Wait before a notification's first retry (doubles).")
    notification_retry_max: timedelta = Field(timedelta(minutes=15),
                                              description="Longest wait between a notification's retries.")
    notification_lifetime: timedelta = Field(timedelta(hours=4),
                                             description="After this, an undelivered notification is dropped "
                                                         "(lifecycle 'missed').")
    notification_timeout: timedelta = Field(timedelta(seconds=3),
                                            description="How long a webhook has to answer a notification POST.")
    notification_validation_timeout: timedelta = Field(
        timedelta(seconds=10), description="How long a webhook has to answer the validation of a new subscription.")
    notification_allow_http: bool = Field(
        False, description="Accept http:// notification URLs for any host (loopback hosts always may use http).")
    change_retention: timedelta = Field(timedelta(days=7), description="How long the change log keeps a change; "
                                                                       "older delta tokens answer 410.")
    # Graph's throttling and injected faults (api/throttling.py, api/faults.py): off by default.
    throttling: bool = Field(False, description="Answer as Graph does past Outlook's limits per app per mailbox "
                                                "and Exchange's sending rate: 429 with Retry-After.")
    throttle_requests: int = Field(10_000, ge=1, description="Requests per app per mailbox in throttle_requests_window.")
    throttle_requests_window: timedelta = Field(timedelta(minutes=10), description="The window of throttle_requests.")
    throttle_concurrency: int = Field(4, ge=1, description="Requests per app per mailbox in progress at once.")
    throttle_upload_bytes: int = Field(150 * 1024 * 1024, ge=1,
                                       description="Bytes uploaded (POST, PUT, PATCH bodies) per mailbox in "
                                                   "throttle_upload_window.")
    throttle_upload_window: timedelta = Field(timedelta(minutes=5), description="The window of throttle_upload_bytes.")
    throttle_messages: int = Field(30, ge=1, description="Messages a mailbox sends in throttle_messages_window.")
    throttle_messages_window: timedelta = Field(timedelta(minutes=1), description="The window of throttle_messages.")
    throttle_max_keys: int = Field(100_000, ge=1, description="Apps and mailboxes counted at once; the idle longest "
                                                              "are forgotten past it.")
    faults: float = Field(0.0, ge=0.0, le=1.0, description="Share of Graph requests (0 to 1) failed on purpose with "
                                                           "429, 500, 502, 503, 504 or 507, before they run.")
    fault_statuses: list[int] = Field(list(FAULT_STATUSES),
                                      description="The statuses a fault is drawn from (a list, or comma-separated).")
    fault_seed: int | None = Field(None, description="Seed of the fault draws: the same seed fails the same requests "
                                                     "of the same sequence (default: random).")
    fault_retry_after: int = Field(5, ge=1, le=3600, description="Retry-After seconds of a fault's 429 and 503.")

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.lower() not in {"debug", "info", "warning", "error"}:
            raise ValueError("must be one of debug, info, warning, error")
        return value.lower()

    @field_validator("log_format", mode="before")
    @classmethod
    def _known_format(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is not None and not value.split(":", 1)[0].split("+", 1)[0] in {"sqlite", "postgresql", "postgres"}:
            raise ValueError("must start with sqlite:// or postgresql://")
        return value

    @field_validator("token_lifetime", "relay_timeout", "retry_first", "retry_max", "queue_lifetime", "delivery_lease",
                     "simulator_slow_delay",
                     "proxy_head_timeout", "change_retention", "notification_retry_first", "notification_retry_max",
                     "notification_lifetime", "notification_timeout", "notification_validation_timeout",
                     "throttle_requests_window", "throttle_upload_window", "throttle_messages_window",
                     mode="before")
    @classmethod
    def _parse_lifetime(cls, value: Any) -> Any:
        return parse_duration(value) if isinstance(value, str) else value

    @field_validator("fault_statuses", mode="before")
    @classmethod
    def _parse_statuses(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("fault_statuses")
    @classmethod
    def _known_statuses(cls, value: list[int]) -> list[int]:
        unknown = sorted(set(value) - set(FAULT_STATUSES))
        if unknown or not value:
            raise ValueError(f"must be some of {', '.join(map(str, FAULT_STATUSES))}")
        return value

    @property
    def serves_https(self) -> bool:
        """A certificate of one's own means HTTPS, without also saying `tls`."""
        return self.tls or self.tls_cert is not None

    @property
    def sqlalchemy_url(self) -> str:
        """The URL with the async driver SQLAlchemy needs for it."""
        url = self.database_url or f"sqlite:///{(self.data_dir / 'graphpost.db').resolve()}"
        scheme, rest = url.split(":", 1)
        base = scheme.split("+", 1)[0]
        if base == "sqlite":
            return "sqlite+aiosqlite:" + rest
        return "postgresql+asyncpg:" + rest


def parse_duration(text: str) -> timedelta:
    """'90s', '15m', '1h', '2d' or a bare number of seconds."""
    text = text.strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        if text and text[-1] in units:
            seconds = float(text[:-1]) * units[text[-1]]
        else:
            seconds = float(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a duration like 90s, 15m, 1h or 2d") from None
    if seconds <= 0:
        raise ValueError("must be positive")
    return timedelta(seconds=seconds)


def _from_environment(environ: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    found = {}
    for name in Settings.model_fields:
        key = ENV_PREFIX + name.upper()
        if key in environ and environ[key] != "":
            found[name] = (environ[key], key)
    return found


def _from_file(path: Path) -> dict[str, tuple[Any, str]]:
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(Settings.model_fields))
    if unknown:
        raise ConfigError(f"unknown setting '{unknown[0]}' in {path}")
    return {name: (value, f"{path}") for name, value in data.items()}


def load_settings(config_file: Path | None = None, overrides: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None, flags: Mapping[str, str] | None = None) -> Settings:
    """Merge file < environment < overrides (CLI flags; None means not given) into Settings.
    `flags` names the flag of a setting whose flag is not `--setting-name` (for messages)."""
    environ = os.environ if environ is None else environ
    if config_file is None and environ.get(ENV_PREFIX + "CONFIG"):
        config_file = Path(environ[ENV_PREFIX + "CONFIG"])
    merged: dict[str, tuple[Any, str]] = {}
    if config_file is not None:
        merged.update(_from_file(config_file))
    merged.update(_from_environment(environ))
    for name, value in (overrides or {}).items():
        if value is not None:
            merged[name] = (value, (flags or {}).get(name) or "--" + name.replace("_", "-"))
    try:
        return Settings(**{name: value for name, (value, _) in merged.items()})
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else "?"
        value, source = merged.get(name, (None, "default"))
        # A validator's ValueError comes back as "Value error, <its message>": the operator needs only the message.
        message = error["msg"].removeprefix("Value error, ")
        raise ConfigError(f"bad setting '{name}' = {value!r} (from {source}): {message}") from None
