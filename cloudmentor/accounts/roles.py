"""Staff roles with least privilege (TR-1, TM-2, PV-7): the one place staff rights are decided.

A role is a Django group holding model permissions. Four exist (created by the migration
``0006_staff_roles``, their permissions set after every ``migrate`` by `roles_ensure`,
because Django creates the permissions of the apps above this one only then):

| role | sees and does |
|---|---|
| Administrateur | everything (a superuser is one) |
| Support | members, sessions, account history, request log, contact messages, error reports, outbox; no billing |
| Facturation | plans, customers, subscriptions, invoices, payments, donations; no request log, no contact |
| Créateur de contenu | their own courses and lessons, error reports on them (without the reporter); no personal data |

Every staff right, in the staff site or on the member pages, needs a verified second factor
*and* the permission: `user_has_staff_capability(user, permission)`. The staff password alone
grants nothing (`accounts.selectors.user_is_verified_staff`). Table and reasons:
docs/operations.md "Staff roles", docs/decisions/0103-staff-roles.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .selectors import user_is_verified_staff

ADMINISTRATOR = "Administrateur"
SUPPORT = "Support"
BILLING = "Facturation"
CREATOR = "Créateur de contenu"
# The group of content creators before roles existed (decision 0012): its members become creators.
FORMER_CREATOR_GROUP = "Créateurs de contenu"


def _crud(app: str, models: Iterable[str], actions: Iterable[str]) -> tuple[str, ...]:
    actions = tuple(actions)
    return tuple(f"{app}.{action}_{model}" for model in models for action in actions)


@dataclass(frozen=True)
class Role:
    """A role: its group's name, its label, what it sees (in words) and its permissions.

    ``permissions`` are ``"app_label.codename"``; ``"app_label.*"`` is every permission of an
    app (so a model added later to billing is billing's too); ``"*"`` is every permission.
    ``all_material``: sees every course in the staff site (a creator sees only their own).
    """

    name: str
    label: str | Promise
    sees: str | Promise
    permissions: tuple[str, ...]
    all_material: bool = True


# The content creators' rights on the material (decision 0012): write and publish, read the
# error reports on their lessons. Deleting courses and lessons stays with administrators.
CREATOR_PERMISSIONS: tuple[str, ...] = (
    *_crud("learning", ("topic", "author", "course", "module", "lesson"), ("view", "add", "change")),
    *_crud("learning", ("resource", "quiz", "question", "choice"), ("view", "add", "change", "delete")),
    "learning.view_lessonrevision",
    "learning.view_errorreport",
)

ROLES: tuple[Role, ...] = (
    Role(
        name=ADMINISTRATOR,
        label=_("Administrateur"),
        sees=_("Tout, y compris le journal des consultations par l'équipe et les droits de l'équipe."),
        permissions=("*",),
    ),
    Role(
        name=SUPPORT,
        label=_("Support"),
        sees=_(
            "Les comptes des membres, leurs sessions, leur historique et leurs requêtes récentes, les messages "
            "de contact, les signalements d'erreur, les e-mails envoyés et les statistiques ; aucune facture ni "
            "aucun paiement."
        ),
        permissions=(
            *_crud("accounts", ("user",), ("view", "change")),
            *_crud("accounts", ("accountsession", "accountevent", "securitynotice"), ("view",)),
            *_crud("accounts", ("group", "groupmembership", "groupinvitation"), ("view",)),
            "analytics.view_requestrecord",
            "analytics.view_fillstate",
            *_crud("operations", ("contactmessage",), ("view", "change")),
            *_crud("learning", ("errorreport",), ("view", "change")),
            *_crud("learning", ("course", "lesson", "certificate"), ("view",)),
            *_crud("mailing", ("outboxemail",), ("view", "change")),
        ),
    ),
    Role(
        name=BILLING,
        label=_("Facturation"),
        sees=_(
            "Les offres, les clients, les abonnements, les factures et avoirs, les paiements et les dons ; "
            "ni le journal des requêtes, ni les messages de contact."
        ),
        permissions=("billing.*", "donations.*"),
    ),
    Role(
        name=CREATOR,
        label=_("Créateur de contenu"),
        sees=_(
            "Ses propres cours et leçons, et les signalements d'erreur qui les concernent (sans leur auteur) ; "
            "aucune donnée personnelle des membres."
        ),
        permissions=CREATOR_PERMISSIONS,
        all_material=False,
    ),
)
ROLE_NAMES = tuple(role.name for role in ROLES)

# What the pages outside the staff site's model pages ask for (a Django permission each).
STATISTICS = "analytics.view_fillstate"  # the statistics dashboard and its CSV files (aggregates)
MEMBER_REQUESTS = "analytics.view_requestrecord"  # a member's request log (IP addresses)
INVOICES = "billing.view_invoice"  # any member's invoice and its PDF
CERTIFICATES = "learning.view_certificate"  # any member's certificate PDF
DRAFTS = "learning.view_lesson"  # drafts and unpublished material on the site
ALL_MATERIAL = "learning.view_course"  # every course at every access level, to review it
STAFF_ACCESS_LOG = "accounts.view_staffaccess"  # who of the staff opened whose data (TR-2)


def role_get(name: str) -> Role:
    return next(role for role in ROLES if role.name == name)


def _permission_filter(codes: Iterable[str]) -> Q:
    query = Q(pk__in=[])
    for code in codes:
        if code == "*":
            return Q()
        app_label, codename = code.split(".", 1)
        if codename == "*":
            query |= Q(content_type__app_label=app_label)
        else:
            query |= Q(content_type__app_label=app_label, codename=codename)
    return query


def role_group_ensure(name: str, *, using: str = "default") -> Group:
    """Create or update one role's group with exactly its permissions (idempotent)."""
    role = role_get(name)
    group, _created = Group.objects.using(using).get_or_create(name=role.name)
    group.permissions.set(Permission.objects.using(using).filter(_permission_filter(role.permissions)))
    return group


def roles_ensure(*, using: str = "default") -> None:
    """Give each role's group exactly its permissions (after every ``migrate``)."""
    for role in ROLES:
        role_group_ensure(role.name, using=using)


def user_has_staff_capability(user: Any, permission: str) -> bool:
    """Return whether `user` may use this staff right now: verified second factor and the permission."""
    return user_is_verified_staff(user) and bool(user.has_perm(permission))


def user_is_administrator(user: Any) -> bool:
    """Return whether `user` holds the administrator role (a superuser is one), second factor verified."""
    if not user_is_verified_staff(user):
        return False
    return bool(user.is_superuser or _group_names(user) & {ADMINISTRATOR})


def user_roles(user: Any) -> list[str]:
    """Return the names of the roles `user` holds (Administrateur for a superuser), in the table's order."""
    if not getattr(user, "is_staff", False) or not getattr(user, "is_active", False):
        return []
    names = _group_names(user)
    if getattr(user, "is_superuser", False):
        names.add(ADMINISTRATOR)
    return [name for name in ROLE_NAMES if name in names]


def user_role_label(user: Any) -> str:
    """Return the user's roles in words (what a member is shown of who opened their data)."""
    labels = [str(role_get(name).label) for name in user_roles(user)]
    return ", ".join(labels) or str(_("Équipe"))


def user_sees_all_material(user: Any) -> bool:
    """Return whether the staff site shows `user` every course, or only their own (content creators)."""
    return any(role_get(name).all_material for name in user_roles(user))


def _group_names(user: Any) -> set[str]:
    cached: set[str] | None = getattr(user, "_role_group_names", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True)) if user.pk else set()
        user._role_group_names = cached
    return set(cached)


class StaffAccessAuditMixin:
    """Record, in a staff-site page of members' data, what each staff member opened (TR-2).

    Put it first in the bases of a ModelAdmin. A change view shown is one access to the
    member the object belongs to (`audit_member_id`); a list is recorded only when staff
    searched it (``?q=``), one access per member it shows: a list browsed without a search
    is the staff's queue, not a look at someone.
    """

    audit_kind: str = ""
    audit_search_kind: str = ""
    audit_searches: bool = True  # False when finding each row's member costs a query

    def audit_member_id(self, obj: Any) -> int | None:
        return getattr(obj, "user_id", None)

    def audit_reference(self, obj: Any) -> str:
        return ""

    def change_view(self, request: Any, object_id: str, form_url: str = "", extra_context: Any = None) -> Any:
        response = super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]  # a mixin of ModelAdmin
        obj = (getattr(response, "context_data", None) or {}).get("original")
        if response.status_code == 200 and obj is not None and self.audit_kind:
            member_id = self.audit_member_id(obj)
            if member_id is not None:
                from .services import record_staff_access

                record_staff_access(
                    staff=request.user, member=member_id, kind=self.audit_kind, reference=self.audit_reference(obj)
                )
        return response

    def changelist_view(self, request: Any, extra_context: Any = None) -> Any:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]  # a mixin of ModelAdmin
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        kind = self.audit_search_kind or self.audit_kind
        if response.status_code == 200 and self.audit_searches and changelist is not None and changelist.query and kind:
            from .services import record_staff_access_many

            member_ids = [self.audit_member_id(obj) for obj in changelist.result_list]
            record_staff_access_many(
                staff=request.user, member_ids=[pk for pk in member_ids if pk is not None], kind=kind
            )
        return response
