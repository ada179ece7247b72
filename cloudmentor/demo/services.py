from __future__ import annotations

import base64
import os
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from cloudmentor.accounts.roles import CREATOR
from cloudmentor.accounts.selectors import terms_version_current
from cloudmentor.accounts.services import (
    staff_member_create,
    staff_totp_device_create,
    staff_user_create,
    user_register,
)
from cloudmentor.learning.models import Author
from cloudmentor.legal.services import policy_seed

from .activity import demo_donation, demo_member_activity, demo_team_activity
from .billing import demo_group_paid, demo_subscription_paid, plans_seed
from .catalog.loader import catalog_load
from .paths import demo_paths_seed
from .scim import demo_scim_history
from .traffic import demo_traffic

DEMO_STAFF = {"username": "staff", "email": "staff@cloudmentor.example", "password": "demo-staff-password"}
# The staff area asks for a TOTP code: the demo staff account's authenticator key (hex of
# "12345678901234567890", the RFC 6238 test key), base32 for authenticator apps.
DEMO_STAFF_TOTP_KEY = "3132333435363738393031323334353637383930"
DEMO_STAFF_TOTP_SECRET = base64.b32encode(bytes.fromhex(DEMO_STAFF_TOTP_KEY)).decode()
# A content creator (TR-1): writes Claire Martin's courses and sees nothing of the members; same TOTP key.
DEMO_CREATOR = {"username": "auteur", "email": "auteur@cloudmentor.example", "password": "demo-creator-password"}
DEMO_CREATOR_AUTHOR = "Claire Martin"
DEMO_MEMBER = {"username": "demo", "email": "demo@cloudmentor.example", "password": "demo-member-password"}
# The owner of a demo group on the Team plan (PV-1): invites colleagues, follows their progress.
DEMO_OWNER = {"username": "equipe", "email": "equipe@cloudmentor.example", "password": "demo-owner-password"}
# Plans on sale in the demo (billing): prices include VAT; levels gate the catalog (LM-3).
DEMO_PLANS = [
    {
        "slug": "decouverte",
        "name": "Découverte",
        "name_en": "Discovery",
        "description": "Les leçons gratuites de tout le catalogue, sans carte bancaire.",
        "description_en": "The free lessons of the whole catalog, no card needed.",
        "duration_months": 12,
        "price": Decimal("0.00"),
        "access_level": 0,
        "position": 0,
    },
    {
        "slug": "essentiel-1-mois",
        "name": "Essentiel 1 mois",
        "name_en": "Essential 1 month",
        "description": "Les cours fondamentaux (niveau Essentiel) pendant un mois.",
        "description_en": "The fundamental courses (Essential level) for one month.",
        "duration_months": 1,
        "price": Decimal("19.00"),
        "access_level": 10,
        "position": 1,
    },
    {
        "slug": "pro-3-mois",
        "name": "Pro 3 mois",
        "name_en": "Pro 3 months",
        "description": "Tous les cours Essentiel et Pro, quiz et certificats, pendant trois mois.",
        "description_en": "Every Essential and Pro course, quizzes and certificates, for three months.",
        "duration_months": 3,
        "price": Decimal("49.00"),
        "access_level": 20,
        "position": 2,
    },
    {
        "slug": "expert-12-mois",
        "name": "Expert 12 mois",
        "name_en": "Expert 12 months",
        "description": "Tout le catalogue, y compris les examens blancs Expert, pendant un an.",
        "description_en": "The whole catalog, Expert practice exams included, for a year.",
        "duration_months": 12,
        "price": Decimal("179.00"),
        "access_level": 30,
        "position": 3,
    },
    {
        "slug": "equipe-12-mois",
        "name": "Équipe 12 mois",
        "name_en": "Team 12 months",
        "kind": "group",
        "seats": 10,
        "description": "Le niveau Pro pour 10 personnes, avec le suivi de progression du groupe.",
        "description_en": "Pro level for 10 people, with the group's progress overview.",
        "duration_months": 12,
        "price": Decimal("990.00"),
        "access_level": 20,
        "position": 4,
    },
]


class DemoRefused(Exception):
    """The demo content, with its published passwords and TOTP key, never goes on a production site (TR-6)."""


@transaction.atomic
def demo_load() -> list[str]:
    """Load the demo content into an empty database; return the demo logins created.

    Raises DemoRefused on a production site (`CLOUDMENTOR_ENV=production`).
    """
    if settings.PRODUCTION:
        raise DemoRefused
    policy_seed()
    catalog_load()
    logins: list[str] = []
    if not get_user_model().objects.exists():
        password = os.environ.get("DEMO_STAFF_PASSWORD", DEMO_STAFF["password"])
        staff = staff_user_create(username=DEMO_STAFF["username"], email=DEMO_STAFF["email"], password=password)
        staff_totp_device_create(user=staff, key_hex=DEMO_STAFF_TOTP_KEY, name="demo")
        logins.append(
            f"staff: {DEMO_STAFF['username']} / {password} + TOTP code, authenticator secret {DEMO_STAFF_TOTP_SECRET}"
            f" (oathtool --totp -b {DEMO_STAFF_TOTP_SECRET})"
        )
        creator = staff_member_create(
            username=DEMO_CREATOR["username"],
            email=DEMO_CREATOR["email"],
            password=DEMO_CREATOR["password"],
            role=CREATOR,
        )
        staff_totp_device_create(user=creator, key_hex=DEMO_STAFF_TOTP_KEY, name="demo")
        Author.objects.filter(name=DEMO_CREATOR_AUTHOR).update(user=creator)
        logins.append(
            f"content creator: {DEMO_CREATOR['username']} / {DEMO_CREATOR['password']} + the same TOTP code"
            f" ({DEMO_CREATOR_AUTHOR}'s courses only, no member data)"
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
        user_register(
            username=DEMO_OWNER["username"],
            email=DEMO_OWNER["email"],
            password=DEMO_OWNER["password"],
            terms_version=terms_version_current(),
            newsletter_opt_in=False,
            language="fr",
            welcome_email=False,
        )
        logins.append(f"group owner: {DEMO_OWNER['username']} / {DEMO_OWNER['password']} (/account/group/)")
    plans_seed(plans=DEMO_PLANS)
    demo_subscription_paid(username=DEMO_MEMBER["username"], plan_slug="pro-3-mois")
    demo_group_paid(owner_username=DEMO_OWNER["username"], plan_slug="equipe-12-mois", group_name="Équipe démo")
    demo_scim_history(owner_username=DEMO_OWNER["username"])
    # What the platform looks like in use (LX-8): progress, an exam, a certificate, a team, traffic, a donation.
    demo_member_activity(username=DEMO_MEMBER["username"])
    demo_team_activity(owner_username=DEMO_OWNER["username"])
    demo_traffic(member_username=DEMO_MEMBER["username"])
    demo_donation()
    demo_paths_seed(owner_username=DEMO_OWNER["username"])  # after the group has its members (LX-4)
    return logins
