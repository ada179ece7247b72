from __future__ import annotations

import base64
import os

from django.contrib.auth import get_user_model
from django.db import transaction

from cloudmentor.accounts.selectors import terms_version_current
from cloudmentor.accounts.services import staff_totp_device_create, staff_user_create, user_register
from cloudmentor.learning.services import learning_demo_load
from cloudmentor.legal.services import policy_seed

DEMO_STAFF = {"username": "staff", "email": "staff@cloudmentor.example", "password": "demo-staff-password"}
# The staff area asks for a TOTP code: the demo staff account's authenticator key (hex of
# "12345678901234567890", the RFC 6238 test key), base32 for authenticator apps.
DEMO_STAFF_TOTP_KEY = "3132333435363738393031323334353637383930"
DEMO_STAFF_TOTP_SECRET = base64.b32encode(bytes.fromhex(DEMO_STAFF_TOTP_KEY)).decode()
DEMO_MEMBER = {"username": "demo", "email": "demo@cloudmentor.example", "password": "demo-member-password"}


@transaction.atomic
def demo_load() -> list[str]:
    """Load the demo content into an empty database; return the demo logins created."""
    policy_seed()
    learning_demo_load()
    logins: list[str] = []
    if not get_user_model().objects.exists():
        password = os.environ.get("DEMO_STAFF_PASSWORD", DEMO_STAFF["password"])
        staff = staff_user_create(username=DEMO_STAFF["username"], email=DEMO_STAFF["email"], password=password)
        staff_totp_device_create(user=staff, key_hex=DEMO_STAFF_TOTP_KEY, name="demo")
        logins.append(
            f"staff: {DEMO_STAFF['username']} / {password} + TOTP code, authenticator secret {DEMO_STAFF_TOTP_SECRET}"
            f" (oathtool --totp -b {DEMO_STAFF_TOTP_SECRET})"
        )
        user_register(
            username=DEMO_MEMBER["username"],
            email=DEMO_MEMBER["email"],
            password=DEMO_MEMBER["password"],
            terms_version=terms_version_current(),
            newsletter_opt_in=False,
            language="fr",
            welcome_email=False,
        )
        logins.append(f"member: {DEMO_MEMBER['username']} / {DEMO_MEMBER['password']}")
    return logins
