"""Settings come from defaults, then the environment, then flags; bad values are clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.config import Settings
from server.errors import RkgError


def test_safe_defaults():
    settings = Settings.load(environ={})
    assert (settings.host, settings.port, settings.sources) == ("127.0.0.1", 8000, None)


def test_environment_then_flags():
    settings = Settings.load(environ={"RKG_PORT": "9000", "RKG_SOURCES": "/seeds"}, port=9100)
    assert settings.port == 9100 and settings.sources == Path("/seeds")


def test_a_bad_value_names_the_setting():
    with pytest.raises(RkgError, match="RKG_PORT"):
        Settings.load(environ={"RKG_PORT": "eighty"})


def test_serve_flags_reach_the_settings():
    from server.cli import SERVE_FLAGS, _parser

    args = _parser().parse_args(["serve", "--timeout", "2", "--cors-origin", "http://a", "--cors-origin", "http://b"])
    settings = Settings.load(environ={}, **{name: getattr(args, name) for name in SERVE_FLAGS})
    assert settings.query_timeout == 2.0 and settings.cors_origins == ("http://a", "http://b")
    assert settings.workers == 3


def test_non_positive_limits_are_refused():
    with pytest.raises(RkgError, match="query_timeout"):
        Settings.load(environ={"RKG_QUERY_TIMEOUT": "0"})
