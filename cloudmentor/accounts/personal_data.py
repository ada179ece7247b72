"""The accounts app's part of the export (PV-9) and of erasure (PV-10): profile, sessions, history.

Registered last in the erasure order: every other app's eraser has run with the account
still intact when this one anonymises it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cloudmentor.core.personal_data import Item, Outcome, Section, Subject
from cloudmentor.mailing.services import mailing_erase_for_address, mailing_export_for_address

from .models import AccountEvent, AccountSession, SecurityNotice, StaffAccess, User

ORDER = 100
# Usernames with this prefix are reserved for erased accounts (registration refuses them).
ERASED_PREFIX = "deleted-"


WHY_SHELL = _(
    "Il relie les factures conservées au contrat accepté ; il ne contient plus ni nom, ni adresse e-mail, "
    "ni mot de passe, et ne peut plus se connecter."
)
WHY_RECORD = _(
    "Preuve que votre demande a été exécutée (RGPD, articles 5.2 et 17) ; elle ne contient aucune donnée personnelle."
)


def _by(event: AccountEvent, user: User) -> str:
    if event.actor_id is None:
        return "system"
    return "member" if event.actor_id == user.pk else "staff"


def accounts_export(subject: Subject) -> dict[str, Any]:
    """Return the profile, the sessions (devices), the account history, the security emails and the staff's
    accesses to the member's data (TR-2). Four queries."""
    user: User = subject.user
    return {
        "profile": {
            "id": user.pk,
            "username": user.username,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "legal_name": user.legal_name,
            "legal_name_locked_at": user.legal_name_locked_at,
            "language": user.language,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "is_active": user.is_active,
            "access_ends_at": user.access_ends_at,
            "terms_version": user.terms_version,
            "terms_accepted_at": user.terms_accepted_at,
            "newsletter_opt_in": user.newsletter_opt_in,
            "newsletter_opt_in_at": user.newsletter_opt_in_at,
            "sharing_flagged_at": user.sharing_flagged_at,
            "password": "hashed (Argon2), not readable, not exported",
        },
        "sessions": [
            {
                "ip_address": session.ip,
                "user_agent": session.user_agent,
                "browser": session.browser,
                "operating_system": session.os,
                "created_at": session.created_at,
                "last_seen_at": session.last_seen_at,
                "expires_at": session.expire_date,
            }
            for session in AccountSession.objects.filter(user=user).order_by("created_at", "pk")
        ],
        "events": [
            {
                "kind": event.kind,
                "label": str(event.get_kind_display()),
                "at": event.created_at,
                "by": _by(event, user),
                "reason": event.reason,
                "ip_address": event.ip,
                "browser": event.browser,
                "operating_system": event.os,
            }
            for event in AccountEvent.objects.filter(user=user).order_by("created_at", "pk")
        ],
        # The « Était-ce vous ? » emails (TR-4): never their link, which only its hash could rebuild.
        "security_emails": [
            {
                "kind": notice.kind,
                "sent_to": notice.sent_to,
                "sent_at": notice.created_at,
                "link_used_at": notice.used_at,
            }
            for notice in SecurityNotice.objects.filter(user=user).order_by("created_at", "pk")
        ],
        # Who of the staff opened the member's data (TR-2): their role, never their name.
        "staff_accesses": [
            {
                "at": access.created_at,
                "what": access.kind,
                "label": str(access.get_kind_display()),
                "reference": access.reference,
                "by_role": access.roles_display,
            }
            for access in StaffAccess.objects.filter(member=user).order_by("created_at", "pk")
        ],
    }


def erased_username(user: User) -> str:
    """Return ``deleted-<id>``, or a longer form if someone already took it before the prefix was reserved."""
    candidate = f"{ERASED_PREFIX}{user.pk}"
    suffix = 1
    while User.objects.filter(username__iexact=candidate).exclude(pk=user.pk).exists():
        suffix += 1
        candidate = f"{ERASED_PREFIX}{user.pk}-{suffix}"
    return candidate


def accounts_erase(subject: Subject) -> Outcome:
    """End every session, delete the history and anonymise the account (the row stays)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user: User = subject.user
    sessions = AccountSession.objects.filter(user=user).delete()[0]  # the delete signal logs each device out
    history = AccountEvent.objects.filter(user=user).delete()[0]
    history += SecurityNotice.objects.filter(user=user).delete()[0]
    accesses = StaffAccess.objects.filter(member=user).delete()[0]
    TOTPDevice.objects.filter(user=user).delete()
    user.username = erased_username(user)
    # Not an address (no "@"): nothing can be sent to it, no login by email can match it,
    # and it stays unique for the case-insensitive constraint.
    user.email = user.username
    user.set_unusable_password()
    user.first_name = user.last_name = ""
    user.legal_name, user.legal_name_locked_at = "", None
    user.is_active = user.is_staff = user.is_superuser = False
    user.last_login = None
    user.access_ends_at = None
    user.language = settings.LANGUAGE_CODE
    user.newsletter_opt_in = False
    user.newsletter_opt_in_at = None
    user.sharing_flagged_at = None
    user.locked_at = None
    user.erased_at = timezone.now()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    return Outcome(
        erased=[
            Item("profile", _("Nom d'utilisateur, adresse e-mail, mot de passe, nom et préférences")),
            Item("sessions", _("Sessions ouvertes (appareils, adresses IP)"), sessions),
            Item("events", _("Historique du compte (connexions, changements, adresses IP)"), history),
            Item("staff_accesses", _("Consultations de vos données par l'équipe"), accesses),
        ],
        kept=[
            Item(
                "account",
                _("Un compte anonyme (numéro, date d'inscription, version des conditions acceptée)"),
                1,
                WHY_SHELL,
            ),
            Item(
                "erasure_record",
                _("La trace de cet effacement (date, demandé par vous ou par l'équipe)"),
                1,
                WHY_RECORD,
            ),
        ],
    )


SECTION = Section(
    key="accounts",
    title=_("Compte"),
    order=ORDER,
    export=accounts_export,
    erase=accounts_erase,
    holds=(
        (
            "profile",
            _(
                "votre profil : nom d'utilisateur, adresse e-mail, nom légal de vos certificats, langue, dates, "
                "consentements"
            ),
        ),
        ("sessions", _("vos sessions ouvertes : appareil, navigateur, adresse IP, dates")),
        ("events", _("l'historique de votre compte : inscription, connexions, changements, avec adresse IP")),
        ("staff_accesses", _("qui, dans l'équipe, a consulté vos données : son rôle, quoi, quand")),
    ),
    erases=(
        _("votre nom d'utilisateur, votre adresse e-mail, votre mot de passe et vos préférences"),
        _("toutes vos sessions : vous êtes déconnecté de tous vos appareils"),
        _("l'historique de votre compte (connexions, adresses IP)"),
        _("la liste des consultations de vos données par l'équipe"),
    ),
    keeps=(
        (_("un compte anonyme « deleted-<numéro> » sans nom, adresse ni mot de passe"), WHY_SHELL),
        (_("la trace de l'effacement (date, auteur de la demande)"), WHY_RECORD),
    ),
)


# The outbox (mailing, layer 0) cannot import the registry (core, same layer): its section
# is registered from here.


def _mailing_export(subject: Subject) -> dict[str, Any]:
    return {"emails": mailing_export_for_address(email=subject.email)}


def _mailing_erase(subject: Subject) -> Outcome:
    count = mailing_erase_for_address(email=subject.email)
    return Outcome(erased=[Item("emails", _("Copies des e-mails qui vous ont été envoyés"), count)])


MAILING_SECTION = Section(
    key="mailing",
    title=_("E-mails"),
    order=50,
    export=_mailing_export,
    erase=_mailing_erase,
    holds=(("emails", _("les e-mails que nous vous avons envoyés : objet, texte, date, état de l'envoi")),),
    erases=(_("les copies des e-mails que nous vous avons envoyés"),),
)
