"""PV-5: the recorded address is the client's; X-Forwarded-For is believed only from trusted proxies."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from .conftest import records

pytestmark = pytest.mark.django_db


def test_pv5_forwarded_for_from_an_untrusted_peer_is_ignored(client: Client, settings: Any) -> None:
    """A client cannot choose the address recorded by sending the header itself."""
    settings.TRUSTED_PROXIES = ["10.0.0.1"]

    client.get("/", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="1.2.3.4")

    assert records()[0].ip_address == "198.51.100.9"


def test_pv5_behind_a_trusted_proxy_the_client_address_is_recorded(client: Client, settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.1"]

    client.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.50")

    assert records()[0].ip_address == "203.0.113.50"


def test_pv5_a_forged_first_hop_is_ignored_behind_proxies(client: Client, settings: Any) -> None:
    """The right-most address no trusted proxy added is the client; what it claims before is ignored."""
    settings.TRUSTED_PROXIES = ["10.0.0.1", "10.0.0.2"]

    client.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.50, 10.0.0.2")

    assert records()[0].ip_address == "203.0.113.50"


def test_pv5_garbage_in_forwarded_for_falls_back_to_the_proxy(client: Client, settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.1"]

    client.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="not-an-address, <script>")

    assert records()[0].ip_address == "10.0.0.1"


def test_pv5_ipv6_clients_are_recorded(client: Client) -> None:
    client.get("/", REMOTE_ADDR="2001:db8::1")

    assert records()[0].ip_address == "2001:db8::1"
