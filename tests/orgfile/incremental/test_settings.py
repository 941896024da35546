"""``settings.full_read_every``: how often a read cache gives way to a full read."""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.orgfile.errors import OrgFileError
from airflow_provider_openai_projects.orgfile.incremental.planner import DEFAULT_FULL_READ_EVERY, full_read_every
from airflow_provider_openai_projects.orgfile.loader import load_document


@pytest.mark.parametrize(("value", "seconds"), [("12h", 43200), ("90m", 5400), ("2d", 172800), (600, 600)])
def test_full_read_every_takes_a_duration_or_seconds(value: object, seconds: int) -> None:
    spec = load_document({"version": 1, "settings": {"full_read_every": value}}, "org.yaml")
    assert full_read_every(spec) == seconds


def test_full_read_every_is_a_day_by_default() -> None:
    assert full_read_every(load_document({"version": 1}, "org.yaml")) == DEFAULT_FULL_READ_EVERY == 86400


@pytest.mark.parametrize("value", ["12x", "0h", 30, "soon"])
def test_a_bad_full_read_every_is_one_error_naming_the_setting(value: object) -> None:
    with pytest.raises(OrgFileError, match="full_read_every"):
        load_document({"version": 1, "settings": {"full_read_every": value}}, "org.yaml")
