"""The group's provisioning history (PV-3): one writer per thing that happens."""

from __future__ import annotations

from cloudmentor.accounts.models import Group, User

from .models import ScimEvent, ScimToken, ScimUser


def _record(
    *,
    group: Group,
    kind: str,
    scim_user: ScimUser | None = None,
    token: ScimToken | None = None,
    actor: User | None = None,
    detail: str = "",
    user_name: str = "",
) -> ScimEvent:
    return ScimEvent.objects.create(
        group=group,
        kind=kind,
        user=scim_user.user if scim_user is not None else None,
        user_name=scim_user.user_name if scim_user is not None else user_name,
        token=token,
        actor=actor,
        detail=detail,
    )


def token_created(*, token: ScimToken, actor: User) -> ScimEvent:
    return _record(group=token.group, kind=ScimEvent.Kind.TOKEN_CREATED, token=token, actor=actor, detail=token.name)


def token_revoked(*, token: ScimToken, actor: User) -> ScimEvent:
    return _record(group=token.group, kind=ScimEvent.Kind.TOKEN_REVOKED, token=token, actor=actor, detail=token.name)


def user_created(*, scim_user: ScimUser, token: ScimToken, detail: str) -> ScimEvent:
    return _record(
        group=scim_user.group, kind=ScimEvent.Kind.USER_CREATED, scim_user=scim_user, token=token, detail=detail
    )


def user_updated(*, scim_user: ScimUser, token: ScimToken, detail: str) -> ScimEvent:
    return _record(
        group=scim_user.group, kind=ScimEvent.Kind.USER_UPDATED, scim_user=scim_user, token=token, detail=detail
    )


def user_deactivated(*, scim_user: ScimUser, token: ScimToken, detail: str) -> ScimEvent:
    return _record(
        group=scim_user.group, kind=ScimEvent.Kind.USER_DEACTIVATED, scim_user=scim_user, token=token, detail=detail
    )


def user_reactivated(*, scim_user: ScimUser, token: ScimToken) -> ScimEvent:
    return _record(group=scim_user.group, kind=ScimEvent.Kind.USER_REACTIVATED, scim_user=scim_user, token=token)


def user_deleted(*, scim_user: ScimUser, token: ScimToken, detail: str) -> ScimEvent:
    return _record(
        group=scim_user.group, kind=ScimEvent.Kind.USER_DELETED, scim_user=scim_user, token=token, detail=detail
    )


def refused(*, group: Group, token: ScimToken, user_name: str, detail: str) -> ScimEvent:
    return _record(group=group, kind=ScimEvent.Kind.REFUSED, token=token, user_name=user_name, detail=detail)
