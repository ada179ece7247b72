"""The content creators' role in the staff site (LM-6)."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from cloudmentor.accounts.models import User
from cloudmentor.accounts.selectors import user_is_verified_staff

CREATOR_GROUP = "Créateurs de contenu"
# What the content-creator role may do in the staff site: write and publish material,
# read error reports. Deleting courses and lessons stays with staff (withdraw instead).
CREATOR_PERMISSIONS = [
    *(f"{action}_{model}" for model in ("topic", "author", "course", "module", "lesson") for action in ("view", "add", "change")),
    *(f"{action}_{model}" for model in ("resource", "quiz", "question", "choice") for action in ("view", "add", "change", "delete")),
    "view_lessonrevision",
    "view_errorreport",
]  # fmt: skip


def creator_group_ensure(*, using: str = "default") -> Group:
    """Create or update the content-creator group and its permissions (idempotent)."""
    group, _created = Group.objects.using(using).get_or_create(name=CREATOR_GROUP)
    permissions = Permission.objects.using(using).filter(
        content_type__app_label="learning", codename__in=CREATOR_PERMISSIONS
    )
    group.permissions.set(permissions)
    return group


def user_is_creator(user: User) -> bool:
    return user_is_verified_staff(user) and user.has_perm("learning.change_lesson")
