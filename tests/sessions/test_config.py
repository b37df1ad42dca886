"""The `sessions` config section: a URL without secrets, retention bounds."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from perpbot.sessions.config import SessionsConfig


def test_defaults_store_every_run_and_keep_everything() -> None:
    config = SessionsConfig()
    assert config.save and config.db_url is None and config.keep_last is None
    assert config.prune_older_than_days is None


def test_a_password_in_the_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValidationError, match="must not hold a password") as info:
        SessionsConfig(db_url="postgresql+psycopg://bot:s3cret@db.internal/perpbot")
    assert "s3cret" not in str(info.value).split("input_value")[0]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("db_url", "not a url", "is not a database URL"),
    ("keep_last", 0, "greater than or equal to 1"),
    ("prune_older_than_days", 0, "greater than 0"),
])
def test_bad_values_are_named(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SessionsConfig(**{field: value})


def test_a_url_without_password_is_kept() -> None:
    url = "postgresql+psycopg://bot@db.internal:5432/perpbot"
    assert SessionsConfig(db_url=url).db_url == url
