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
