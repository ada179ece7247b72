"""Reads of SCIM provisioning: a group's resources (with whether each holds a seat now), tokens, history."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from cloudmentor.accounts.models import Group, GroupMembership, User

from .models import ScimEvent, ScimToken, ScimUser

HISTORY_SHOWN = 50


def scim_users_for_group(*, group: Group) -> QuerySet[ScimUser]:
    """The group's resources, each annotated `is_active`: the person holds a seat in the group now."""
    seat = GroupMembership.objects.filter(group=OuterRef("group_id"), user=OuterRef("user_id"))
    return ScimUser.objects.filter(group=group).annotate(is_active=Exists(seat)).order_by("created_at", "pk")


def scim_user_get(*, group: Group, scim_id: str) -> ScimUser | None:
    """The group's resource with this id (annotated like the list), or None (another group's, or no such id)."""
    try:
        key = uuid.UUID(str(scim_id))
    except ValueError:
        return None
    return scim_users_for_group(group=group).filter(scim_id=key).first()


def scim_tokens_for_group(*, group: Group) -> QuerySet[ScimToken]:
    return ScimToken.objects.filter(group=group).select_related("created_by")


def scim_history_for_group(*, group: Group, limit: int = HISTORY_SHOWN) -> list[ScimEvent]:
    return list(ScimEvent.objects.filter(group=group).select_related("token")[:limit])


def scim_data_export_for_user(*, user: User) -> dict[str, Any]:
    """What the group directories sent about `user`, and the history lines naming them (PV-9)."""
    return {
        "provisioned_records": [
            {
                "group": record.group.name,
                "scim_id": str(record.scim_id),
                "user_name": record.user_name,
                "external_id": record.external_id,
                "email": record.email,
                "attributes": record.attributes,
                "created_at": record.created_at.isoformat(),
                "modified_at": record.modified_at.isoformat(),
            }
            for record in ScimUser.objects.filter(user=user).select_related("group")
        ],
        "history": [
            {
                "group": event.group.name,
                "event": str(event.get_kind_display()),
                "user_name": event.user_name,
                "detail": event.detail,
                "at": event.created_at.isoformat(),
            }
            for event in ScimEvent.objects.filter(user=user).select_related("group").order_by("created_at", "pk")
        ],
        "tokens_created": [
            {
                "group": token.group.name,
                "name": token.name,
                "created_at": token.created_at.isoformat(),
                "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
            }
            for token in ScimToken.objects.filter(created_by=user).select_related("group")
        ],
    }
