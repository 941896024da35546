"""InMemoryKeySink: the test and local-experiment sink honours the KeySink contract."""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.sinks import InMemoryKeySink, KeySink, StoredKey

VALUE = "sk-svcacct-memory-sink-test-value-0123456789"


def test_memory_sink_is_a_key_sink() -> None:
    assert isinstance(InMemoryKeySink(), KeySink)


def test_store_then_load_returns_the_value_and_a_copy_of_the_metadata() -> None:
    sink = InMemoryKeySink()
    metadata = {"service_account_id": "svc_acct_1", "generation": "g1"}
    sink.store("openai_team_api_key", VALUE, metadata)
    metadata["generation"] = "changed afterwards"
    stored = sink.load("openai_team_api_key")
    assert stored == StoredKey(value=VALUE, metadata={"service_account_id": "svc_acct_1", "generation": "g1"})
    assert sink.names() == ["openai_team_api_key"]


def test_a_second_store_replaces_the_entry() -> None:
    sink = InMemoryKeySink()
    sink.store("entry_api_key", VALUE, {"generation": "g1"})
    sink.store("entry_api_key", VALUE + "x", {"generation": "g2"})
    stored = sink.load("entry_api_key")
    assert stored is not None
    assert (stored.value, stored.metadata) == (VALUE + "x", {"generation": "g2"})


def test_missing_entry_loads_as_none_and_deleting_it_is_fine() -> None:
    sink = InMemoryKeySink()
    assert sink.load("nothing_api_key") is None
    sink.delete("nothing_api_key")
    sink.store("entry_api_key", VALUE, {})
    sink.delete("entry_api_key")
    sink.delete("entry_api_key")
    assert sink.load("entry_api_key") is None
    assert sink.names() == []


def test_fail_next_store_raises_once_and_keeps_the_previous_entry() -> None:
    sink = InMemoryKeySink()
    sink.store("entry_api_key", VALUE, {"generation": "g1"})
    sink.fail_next_store = True
    with pytest.raises(OSError, match="could not store 'entry_api_key'") as failure:
        sink.store("entry_api_key", VALUE + "new", {"generation": "g2"})
    assert VALUE not in str(failure.value)
    stored = sink.load("entry_api_key")
    assert stored is not None
    assert stored.metadata == {"generation": "g1"}
    sink.store("entry_api_key", VALUE + "new", {"generation": "g2"})
    assert sink.load("entry_api_key") == StoredKey(VALUE + "new", {"generation": "g2"})


def test_reprs_never_show_a_value() -> None:
    sink = InMemoryKeySink()
    sink.store("entry_api_key", VALUE, {"generation": "g1"})
    assert VALUE not in repr(sink)
    assert VALUE not in repr(sink.load("entry_api_key"))
    assert "entry_api_key" in repr(sink)
