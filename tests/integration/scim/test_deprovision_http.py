"""ID-2 through real HTTP: the directory deactivates a colleague and their next request, on any worker, is logged out.

The production server (gunicorn, 3 workers: tests/multiprocess/conftest.py) on a fresh
database; the directory's calls and the colleague's pages all go through HTTP, so each may be
served by any worker, each with its own cached copies of sessions.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.multiprocess.conftest import PASSWORD, Server

pytestmark = pytest.mark.slow

SCIM = "application/scim+json"


def _directory(server: Server, owner: str, seats: int) -> dict[str, str]:
    """Create `owner`'s group with `seats` and a token; return the directory's headers."""
    raw = server.shell(
        "from cloudmentor.accounts.models import User\n"
        "from cloudmentor.accounts.services import group_create, group_set_seats\n"
        "from cloudmentor.scim.services import token_create\n"
        f"owner = User.objects.get(username={owner!r})\n"
        "group = group_create(owner=owner)\n"
        f"group_set_seats(group=group, seats={seats})\n"
        "print(token_create(group=group, actor=owner, name='Okta')[1])"
    ).split()[-1]  # the shell's own notice comes first
    return {"Authorization": f"Bearer {raw}", "Content-Type": SCIM, "Accept": SCIM}


def _scim(server: Server, method: str, path: str, headers: dict[str, str], body: Any = None) -> requests.Response:
    data = json.dumps(body) if body is not None else None
    return requests.request(method, server.url(f"/scim/v2/{path}"), headers=headers, data=data, timeout=15)


def _user(user_name: str) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "emails": [{"value": user_name, "type": "work", "primary": True}],
        "active": True,
    }


def test_id2_scim_active_false_logs_the_colleague_out_on_every_worker_and_frees_the_seat(server: Server) -> None:
    """Provisioned, logged in on two devices and warm on every worker; active:false → both logged out, seat free."""
    server.member("owner-id2")
    directory = _directory(server, "owner-id2", seats=2)  # the owner and one colleague
    created = _scim(server, "POST", "Users", directory, _user("colleague@corp.example"))
    assert created.status_code == 201, created.text
    colleague_id = created.json()["id"]
    # The colleague sets a password (« Mot de passe oublié » or the company's sign-on in real life).
    server.shell(
        "from cloudmentor.accounts.models import User\n"
        "user = User.objects.get(email='colleague@corp.example')\n"
        f"user.set_password({PASSWORD!r}); user.save()"
    )
    laptop, phone = server.browser(), server.browser()
    server.log_in(laptop, "colleague@corp.example")
    server.log_in(phone, "colleague@corp.example")
    # Several requests each: every worker caches the sessions.
    assert {laptop.get("/account/group/").status_code for _ in range(6)} == {200}
    assert {phone.get("/account/").status_code for _ in range(6)} == {200}
    full = _scim(server, "POST", "Users", directory, _user("third@corp.example"))
    assert full.status_code == 409, full.text

    patched = _scim(
        server,
        "PATCH",
        f"Users/{colleague_id}",
        directory,
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        },
    )

    assert patched.status_code == 200, patched.text
    assert patched.json()["active"] is False
    mark = server.access_mark()
    for browser in (laptop, phone):
        answers = [browser.get("/account/") for _ in range(6)]
        assert [a.status_code for a in answers] == [302] * 6
        assert all("/accounts/login/" in a.headers["Location"] for a in answers)
    assert len(server.workers_since(mark)) >= 2
    assert _scim(server, "GET", f"Users/{colleague_id}", directory).json()["active"] is False
    assert _scim(server, "POST", "Users", directory, _user("third@corp.example")).status_code == 201
