from __future__ import annotations

import os

from django.contrib.auth import get_user_model
from django.db import transaction

from cloudmentor.accounts.services import staff_user_create
from cloudmentor.legal.services import policy_seed

DEMO_STAFF = {"username": "staff", "email": "staff@cloudmentor.example", "password": "demo-staff-password"}


@transaction.atomic
def demo_load() -> list[str]:
    """Load the demo content into an empty database; return the demo logins created."""
    policy_seed()
    logins: list[str] = []
    if not get_user_model().objects.exists():
        password = os.environ.get("DEMO_STAFF_PASSWORD", DEMO_STAFF["password"])
        staff_user_create(username=DEMO_STAFF["username"], email=DEMO_STAFF["email"], password=password)
        logins.append(f"staff: {DEMO_STAFF['username']} / {password}")
    return logins
