"""SCIM conformance (ID-2): scim2-tester checks /scim/v2/ against RFC 7643/7644 over HTTP, on a real server.

The server is pytest-django's live server (Django's threaded WSGI server on 127.0.0.1, the full
middleware stack); the checker is scim2-tester with its httpx2 client, as a directory would
call us. Every check must succeed: an ERROR, CRITICAL or DEVIATION fails the test with its
reason. Decision 0142 says why this suite and what it does not cover.
"""

from __future__ import annotations

from typing import Any

import pytest
from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from cloudmentor.scim.tests.factories import group_with_seats, token_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PASSING = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE, Status.SKIPPED}


def test_id2_scim2_tester_passes_against_the_live_endpoint(live_server: Any, settings: Any) -> None:
    """Discovery, create, read, list with attributes, search, replace, delete and PATCH add/remove/replace all pass."""
    settings.SITE_URL = live_server.url
    settings.SCIM_MAX_REQUESTS_PER_TOKEN = 10_000
    _token, raw = token_for(group_with_seats(1000))
    http = Client(base_url=f"{live_server.url}/scim/v2", headers={"Authorization": f"Bearer {raw}"}, timeout=15)
    client = SyncSCIMClient(http)

    results = check_server(client)

    failed = [f"{r.title}: {r.status.name}: {r.reason}" for r in results if r.status not in PASSING]
    assert not failed, "\n".join(failed)
    ran = {r.title for r in results if r.status is not Status.SKIPPED}
    # Each family of checks ran (none was skipped as unsupported).
    for title in ("object_creation", "object_replacement", "object_deletion", "search_with_attributes"):
        assert title in ran, sorted(ran)
    assert {"check_add_attribute", "check_remove_attribute", "check_replace_attribute"} <= ran, sorted(ran)
    http.close()
