"""The content creators' role in the staff site (LM-6): a role of accounts.roles (TR-1)."""

from __future__ import annotations

from django.contrib.auth.models import Group

from cloudmentor.accounts import roles
from cloudmentor.accounts.models import User

CREATOR_GROUP = roles.CREATOR
# What the content-creator role may do in the staff site: write and publish material,
# read error reports. Deleting courses and lessons stays with administrators (withdraw instead).
CREATOR_PERMISSIONS = [code.split(".", 1)[1] for code in roles.CREATOR_PERMISSIONS]


def creator_group_ensure(*, using: str = "default") -> Group:
    """Create or update the content-creator role's group and its permissions (idempotent)."""
    return roles.role_group_ensure(roles.CREATOR, using=using)


def user_is_creator(user: User) -> bool:
    return roles.user_has_staff_capability(user, "learning.change_lesson")
