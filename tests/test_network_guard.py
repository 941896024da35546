"""No test reaches any host but loopback: sockets to anything else are refused."""

from __future__ import annotations

import socket

import pytest
from pytest_socket import SocketConnectBlockedError

from airflow_provider_openai_projects.client import APIConnectionError, OpenAIAdminClient

pytestmark = pytest.mark.filterwarnings("ignore:A test tried to use socket")


@pytest.mark.parametrize("address", [("10.255.255.1", 443), ("203.0.113.7", 80), ("2001:db8::1", 443)])
def test_a_socket_to_a_non_loopback_address_is_blocked(address: tuple[str, int]) -> None:
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock, pytest.raises(SocketConnectBlockedError):
        sock.connect(address)


def test_the_client_cannot_reach_the_real_api_from_a_test() -> None:
    client = OpenAIAdminClient("sk-admin-not-a-real-key-000000", max_retries=0)
    assert client.base_url == "https://api.openai.com/v1"
    with pytest.raises((APIConnectionError, SocketConnectBlockedError)):
        client.list_projects()
