from datetime import timedelta
from pathlib import Path

import pytest

from graphpost.config import ConfigError, load_settings, parse_duration


def test_defaults_need_no_configuration() -> None:
    settings = load_settings(environ={})
    assert settings.data_dir == Path(".graphpost")
    assert settings.port == 8000 and settings.host == "127.0.0.1"
    assert settings.sqlalchemy_url == f"sqlite+aiosqlite:///{Path('.graphpost/graphpost.db').resolve()}"


def test_environment_overrides_file_and_flags_override_environment(tmp_path: Path) -> None:
    config = tmp_path / "graphpost.toml"
    config.write_text('port = 9000\nhost = "0.0.0.0"\nlog_level = "debug"\n')
    settings = load_settings(config, {"port": None}, environ={"GRAPHPOST_PORT": "9100"})
    assert (settings.port, settings.host, settings.log_level) == (9100, "0.0.0.0", "debug")
    settings = load_settings(config, {"port": 9200}, environ={"GRAPHPOST_PORT": "9100"})
    assert settings.port == 9200


def test_config_file_can_come_from_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "g.toml"
    config.write_text("create_default_tenant = false\n")
    assert load_settings(environ={"GRAPHPOST_CONFIG": str(config)}).create_default_tenant is False


def test_log_format_and_metrics_from_the_environment_and_flags() -> None:
    settings = load_settings(environ={"GRAPHPOST_LOG_FORMAT": "JSON", "GRAPHPOST_METRICS": "false"})
    assert (settings.log_format, settings.metrics) == ("json", False)
    assert load_settings(None, {"log_format": "text"}, environ={"GRAPHPOST_LOG_FORMAT": "json"}).log_format == "text"
    assert (load_settings(environ={}).log_format, load_settings(environ={}).metrics) == ("text", True)


def test_postgresql_url_gets_the_async_driver() -> None:
    settings = load_settings(environ={"GRAPHPOST_DATABASE_URL": "postgresql://u@db:5432/mail"})
    assert settings.sqlalchemy_url == "postgresql+asyncpg://u@db:5432/mail"


@pytest.mark.parametrize(("environ", "named"), [
    ({"GRAPHPOST_PORT": "eighty"}, "'port' = 'eighty' (from GRAPHPOST_PORT)"),
    ({"GRAPHPOST_PORT": "70000"}, "'port'"),
    ({"GRAPHPOST_DATABASE_URL": "mysql://x"}, "'database_url'"),
    ({"GRAPHPOST_LOG_LEVEL": "loud"}, "'log_level'"),
    ({"GRAPHPOST_LOG_FORMAT": "xml"}, "'log_format' = 'xml' (from GRAPHPOST_LOG_FORMAT)"),
    ({"GRAPHPOST_METRICS": "perhaps"}, "'metrics'"),
    ({"GRAPHPOST_TOKEN_LIFETIME": "soon"}, "'token_lifetime'"),
])
def test_a_bad_value_names_the_setting_and_its_source(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ=environ)
    message = str(caught.value)
    assert named in message and "\n" not in message


def test_unknown_key_in_the_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "g.toml"
    config.write_text("prot = 1\n")
    with pytest.raises(ConfigError, match="unknown setting 'prot'"):
        load_settings(config, environ={})


def test_unreadable_toml_is_one_clear_line(tmp_path: Path) -> None:
    config = tmp_path / "g.toml"
    config.write_text("port = = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(config, environ={})


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("15m", 900), ("1h", 3600), ("2d", 172800), ("30", 30)])
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "h", "-1h", "0"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_tls_is_off_by_default_and_on_from_a_file_the_environment_or_a_flag(tmp_path: Path) -> None:
    assert not load_settings(environ={}).serves_https
    config = tmp_path / "graphpost.toml"
    config.write_text("tls = true\n")
    assert load_settings(config, environ={}).serves_https
    assert not load_settings(config, environ={"GRAPHPOST_TLS": "false"}).serves_https
    assert load_settings(config, {"tls": True}, environ={"GRAPHPOST_TLS": "false"}).serves_https


def test_a_certificate_of_ones_own_means_https(tmp_path: Path) -> None:
    settings = load_settings(environ={"GRAPHPOST_TLS_CERT": str(tmp_path / "cert.pem"),
                                      "GRAPHPOST_TLS_KEY": str(tmp_path / "key.pem")})
    assert settings.serves_https and not settings.tls
    assert (settings.tls_cert, settings.tls_key) == (tmp_path / "cert.pem", tmp_path / "key.pem")


def test_throttling_and_faults_are_off_by_default_and_read_from_the_environment() -> None:
    defaults = load_settings(environ={})
    assert (defaults.throttling, defaults.faults, defaults.fault_seed) == (False, 0.0, None)
    assert (defaults.throttle_requests, defaults.throttle_requests_window) == (10_000, timedelta(minutes=10))
    assert (defaults.throttle_concurrency, defaults.throttle_messages) == (4, 30)
    assert defaults.throttle_upload_bytes == 150 * 1024 * 1024
    settings = load_settings(environ={"GRAPHPOST_THROTTLING": "true", "GRAPHPOST_FAULTS": "0.25",
                                      "GRAPHPOST_FAULT_STATUSES": "429, 503", "GRAPHPOST_FAULT_SEED": "9",
                                      "GRAPHPOST_THROTTLE_MESSAGES_WINDOW": "10s"})
    assert (settings.throttling, settings.faults, settings.fault_seed) == (True, 0.25, 9)
    assert settings.fault_statuses == [429, 503]
    assert settings.throttle_messages_window == timedelta(seconds=10)


@pytest.mark.parametrize(("name", "value", "says"), [("FAULT_STATUSES", "404", "must be some of 429, 500"),
                                                     ("FAULTS", "1.5", "less than or equal to 1")])
def test_a_bad_fault_setting_is_one_clear_line(name: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError, match=f"GRAPHPOST_{name}") as caught:
        load_settings(environ={f"GRAPHPOST_{name}": value})
    assert says in str(caught.value)
