"""Every write of SCIM provisioning (ID-2): tokens, and the User resources a group's directory manages.

A token is 256 random bits shown once; only its SHA-256 is stored (a guess cannot be checked
offline faster than against the API), found by that digest and compared in constant time.
Seats and sessions are accounts' (`accounts.services.provisioning`): a User created takes a
seat, `active: false` and DELETE free it and end every session of the person at once.
Every change is a line of the group's history (`events`, PV-3). Decision 0142.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cloudmentor.accounts.exceptions import EmailTaken, NoSeatLeft, NotGroupOwner, OwnerCannotLeave
from cloudmentor.accounts.models import Group, User
from cloudmentor.accounts.services.provisioning import (
    group_member_deprovision,
    group_member_is_in,
    group_member_provision,
    group_member_restore,
)

from . import events
from .exceptions import ScimError, TokenInvalid
from .models import ScimEvent, ScimToken, ScimUser
from .resources import apply_patch, clean_user, work_email

TOKEN_PREFIX = "cmscim_"
# A token's last use is written at most this often (one UPDATE per minute, not per request).
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _check_owner(group: Group, actor: User) -> None:
    if group.owner_id != actor.pk:
        raise NotGroupOwner


@transaction.atomic
def token_create(*, group: Group, actor: User, name: str) -> tuple[ScimToken, str]:
    """Create a token for the group's directory (owner only); return it and its value, never shown again."""
    _check_owner(group, actor)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ScimToken.objects.create(
        group=group,
        name=(name.strip() or _("Annuaire de l'entreprise"))[:100],
        token_hash=token_hash(raw),
        hint=raw[: len(TOKEN_PREFIX) + 4],
        created_by=actor,
    )
    events.token_created(token=token, actor=actor)
    return token, raw


@transaction.atomic
def token_revoke(*, group: Group, actor: User, token_id: int) -> ScimToken:
    """Revoke one of the group's tokens (owner only): the next request that presents it gets 401."""
    _check_owner(group, actor)
    token = ScimToken.objects.select_for_update().filter(pk=token_id, group=group, revoked_at__isnull=True).first()
    if token is None:
        raise TokenInvalid
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    events.token_revoked(token=token, actor=actor)
    return token


def token_authenticate(*, raw: str) -> ScimToken:
    """Return the active token whose value is `raw` (with its group), and note its use; TokenInvalid otherwise."""
    digest = token_hash(raw)
    token = ScimToken.objects.select_related("group").filter(token_hash=digest, revoked_at__isnull=True).first()
    # The digest found by the index is compared again in constant time: no early exit on a prefix.
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        raise TokenInvalid
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


# --- User resources -----------------------------------------------------------------------------------------


def user_state(scim_user: ScimUser, *, active: bool) -> dict[str, Any]:
    """Return the resource's attributes as the directory last set them, with `active` as it is now."""
    state: dict[str, Any] = {"userName": scim_user.user_name, **scim_user.attributes, "active": active}
    if scim_user.external_id:
        state["externalId"] = scim_user.external_id
    return state


def _store(scim_user: ScimUser, clean: dict[str, Any]) -> list[str]:
    """Copy a checked document onto the row; return the names of the attributes that changed."""
    before = user_state(scim_user, active=True)
    scim_user.user_name = clean["userName"].strip()
    scim_user.external_id = clean.get("externalId", "")
    scim_user.attributes = {k: clean[k] for k in ("name", "displayName", "emails") if k in clean}
    after = user_state(scim_user, active=True)
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def _user_name_taken(group: Group, user_name: str, *, but: int | None = None) -> bool:
    same = ScimUser.objects.filter(group=group, user_name__iexact=user_name.strip())
    return (same.exclude(pk=but) if but is not None else same).exists()


def _uniqueness(user_name: str) -> ScimError:
    return ScimError(
        409,
        _("Le userName « %(user_name)s » existe déjà dans ce groupe.") % {"user_name": user_name[:100]},
        "uniqueness",
    )


def _seats_full() -> ScimError:
    return ScimError(409, str(NoSeatLeft.message))


def _refuse(group: Group, token: ScimToken, user_name: str, error: ScimError) -> ScimError:
    """Record a refusal in the history (after the failed change was rolled back) and return it to raise."""
    events.refused(group=group, token=token, user_name=user_name[:255], detail=str(error.detail))
    return error


def scim_user_create(*, token: ScimToken, data: Any, language: str) -> tuple[ScimUser, bool]:
    """Provision a person: a new account (or the member already in the group) takes a seat.

    Returns the resource and whether it is active. 409 uniqueness when the userName exists in
    the group or the address belongs to an account outside it; 409 when the seats are full.
    """
    clean = clean_user(data)
    email = work_email(clean)
    group = token.group
    try:
        with transaction.atomic():
            if _user_name_taken(group, clean["userName"]):
                raise _uniqueness(clean["userName"])
            try:
                user, created = group_member_provision(
                    group=group, email=email, user_name=clean["userName"], language=language
                )
            except EmailTaken as error:
                raise ScimError(
                    409,
                    _(
                        "Un compte existe déjà avec l'adresse %(email)s hors de ce groupe : le propriétaire du groupe "
                        "l'invite depuis la page du groupe, et la personne accepte l'invitation."
                    )
                    % {"email": email},
                    "uniqueness",
                ) from error
            except NoSeatLeft as error:
                raise _seats_full() from error
            if user.pk == group.owner_id:
                raise ScimError(
                    409, _("Le propriétaire du groupe n'est pas géré par l'annuaire : il garde sa place."), "uniqueness"
                )
            if ScimUser.objects.filter(group=group, user=user).exists():
                raise _uniqueness(clean["userName"])
            scim_user = ScimUser(group=group, user=user, email=email)
            _store(scim_user, clean)
            try:
                with transaction.atomic():
                    scim_user.save()
            except IntegrityError as error:  # the same userName at the same moment
                raise _uniqueness(clean["userName"]) from error
            events.user_created(
                scim_user=scim_user,
                token=token,
                detail=_("compte créé") if created else _("membre déjà dans le groupe, rattaché"),
            )
            active = True
            if not clean["active"]:
                _deactivate(scim_user, token)
                active = False
    except ScimError as error:
        raise _refuse(group, token, clean["userName"], error) from error
    return scim_user, active


def _deactivate(scim_user: ScimUser, token: ScimToken, *, deleted: bool = False) -> None:
    reason = _("Désactivé par l'annuaire de l'entreprise (SCIM)")
    try:
        ended = group_member_deprovision(group=scim_user.group, user=scim_user.user, reason=str(reason))
    except OwnerCannotLeave as error:
        raise ScimError(400, _("Le propriétaire du groupe ne peut pas être désactivé."), "mutability") from error
    detail = _("%(count)s session(s) fermée(s)") % {"count": ended}
    if deleted:
        events.user_deleted(scim_user=scim_user, token=token, detail=detail)
    else:
        events.user_deactivated(scim_user=scim_user, token=token, detail=detail)


def _apply(*, token: ScimToken, scim_user: ScimUser, clean: dict[str, Any]) -> bool:
    """Write a new state of the resource (PUT, PATCH); return whether it is active afterwards."""
    group = token.group
    if _user_name_taken(group, clean["userName"], but=scim_user.pk):
        raise _uniqueness(clean["userName"])
    was_active = group_member_is_in(group=group, user=scim_user.user)
    changed = [name for name in _store(scim_user, clean) if name != "active"]
    if changed:
        scim_user.modified_at = timezone.now()
        try:
            with transaction.atomic():
                scim_user.save()
        except IntegrityError as error:
            raise _uniqueness(clean["userName"]) from error
        events.user_updated(scim_user=scim_user, token=token, detail=", ".join(changed))
    if was_active and not clean["active"]:
        _deactivate(scim_user, token)
    elif clean["active"] and not was_active:
        try:
            group_member_restore(group=group, user=scim_user.user)
        except NoSeatLeft as error:
            raise _seats_full() from error
        except EmailTaken as error:
            raise ScimError(409, _("Cette personne a rejoint un autre groupe entre-temps.")) from error
        events.user_reactivated(scim_user=scim_user, token=token)
    if (was_active != clean["active"]) and not changed:
        ScimUser.objects.filter(pk=scim_user.pk).update(modified_at=timezone.now())
    return bool(clean["active"])


def scim_user_replace(*, token: ScimToken, scim_user: ScimUser, data: Any) -> bool:
    """Replace the resource with `data` (PUT); return whether it is active."""
    clean = clean_user(data)
    try:
        with transaction.atomic():
            return _apply(token=token, scim_user=scim_user, clean=clean)
    except ScimError as error:
        raise _refuse(token.group, token, scim_user.user_name, error) from error


def scim_user_patch(*, token: ScimToken, scim_user: ScimUser, body: Any) -> bool:
    """Apply a PatchOp to the resource (PATCH); return whether it is active."""
    current = user_state(scim_user, active=group_member_is_in(group=token.group, user=scim_user.user))
    clean = clean_user(apply_patch(current, body))
    try:
        with transaction.atomic():
            return _apply(token=token, scim_user=scim_user, clean=clean)
    except ScimError as error:
        raise _refuse(token.group, token, scim_user.user_name, error) from error


@transaction.atomic
def scim_user_delete(*, token: ScimToken, scim_user: ScimUser) -> None:
    """Remove the person from the group (their seat is free, their sessions end); the account stays.

    A person already deactivated is not in the group any more: their sessions since then are
    their own account's (their own subscription), and are left alone.
    """
    if group_member_is_in(group=token.group, user=scim_user.user):
        _deactivate(scim_user, token, deleted=True)
    else:
        events.user_deleted(scim_user=scim_user, token=token, detail=_("déjà désactivé"))
    scim_user.delete()


# --- personal data (PV-9, PV-10) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Erased:
    records: int
    events: int
    tokens: int


@transaction.atomic
def scim_data_erase_for_user(*, user: User) -> Erased:
    """Delete what the directories sent about `user` and the history lines naming them; an owner's tokens too."""
    records, _detail = ScimUser.objects.filter(user=user).delete()
    lines, _detail = ScimEvent.objects.filter(Q(user=user) | Q(actor=user)).delete()
    tokens, _detail = ScimToken.objects.filter(Q(group__owner=user) | Q(created_by=user)).delete()
    return Erased(records=records, events=lines, tokens=tokens)
