from __future__ import annotations

import secrets
import unicodedata
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def email_key(email: str) -> str:
    """Return the form of an address that decides which account owns it: NFKC, then case-folded (TR-7).

    Full-width or ligature look-alikes and any case of an address are one address: one
    account, one login (decision 0106).
    """
    return unicodedata.normalize("NFKC", email.strip()).casefold()


class User(AbstractUser):
    """A person with an account: member, group owner, content creator or staff.

    ``is_active`` False means disabled (TM-6): the reason and author are in AccountEvent.
    """

    email = models.EmailField(_("adresse e-mail"))
    # `email_key(email)`, kept by save(): the unique form of the address (TR-7). None only for a
    # row written around save() (bulk_create) or a look-alike found by migration 0008.
    email_key = models.CharField(
        _("forme normalisée de l'adresse"), max_length=320, unique=True, null=True, editable=False
    )
    # End of the paid-up period, maintained by billing; None: no end date (free access,
    # staff). The account cookie lives until this moment (CK-4).
    access_ends_at = models.DateTimeField(_("fin de validité du compte"), null=True, blank=True)
    # Language of the emails sent to the member: the one they registered in.
    language = models.CharField(_("langue"), max_length=8, default="fr")
    terms_version = models.PositiveIntegerField(_("version des conditions acceptée"), null=True, blank=True)
    terms_accepted_at = models.DateTimeField(_("conditions acceptées le"), null=True, blank=True)
    newsletter_opt_in = models.BooleanField(_("inscription à la newsletter demandée"), default=False)
    newsletter_opt_in_at = models.DateTimeField(_("newsletter demandée le"), null=True, blank=True)
    # Set when the account was seen on more devices or networks in a day than allowed (TM-9).
    sharing_flagged_at = models.DateTimeField(_("partage de compte suspecté le"), null=True, blank=True)
    # Set when the member's personal data was erased (PV-10): the row stays, anonymised,
    # because kept invoices and the erasure record point at it.
    erased_at = models.DateTimeField(_("données effacées le"), null=True, blank=True)
    # Set when unauthorized use was reported (PV-14, TR-4): no login until a password reset
    # through the emailed link, which clears it.
    locked_at = models.DateTimeField(_("bloqué jusqu'à un nouveau mot de passe depuis le"), null=True, blank=True)
    # The name certificates carry (LX-2): asked before the first one, locked once one is issued
    # (a change then goes through support, which re-issues them: learning's CertificateReissue).
    legal_name = models.CharField(_("nom légal"), max_length=200, blank=True)
    legal_name_locked_at = models.DateTimeField(_("nom légal verrouillé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Store the address NFKC-normalised (its case kept) and its key beside it (TR-7)."""
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "email" in update_fields:
            self.email = unicodedata.normalize("NFKC", self.email or "").strip()
            self.email_key = email_key(self.email) or None
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "email_key"}
        super().save(*args, **kwargs)

    @classmethod
    def normalize_email_key(cls, email: str) -> str:
        """Return `email_key(email)`: the form of an address that decides which account owns it."""
        return email_key(email)


def _device_id() -> str:
    return secrets.token_urlsafe(12)


class AccountSession(AbstractBaseSession):
    """A server-side session, with the device it was opened from (CK-4, CK-7, TM-9).

    The session key never leaves the server in a page: pages name a session by its
    ``device_id``.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("utilisateur"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="account_sessions",
    )
    device_id = models.CharField(_("identifiant public"), max_length=32, unique=True, default=_device_id)
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(_("agent utilisateur"), max_length=512, blank=True)
    browser = models.CharField(_("navigateur"), max_length=100, blank=True)
    os = models.CharField(_("système d'exploitation"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("ouverte le"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("vue pour la dernière fois le"), default=timezone.now)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        indexes = [models.Index(fields=["user", "created_at"], name="accounts_session_user_idx")]

    @classmethod
    def get_session_store_class(cls) -> type:
        from .sessions import SessionStore

        return SessionStore


class AccountEvent(models.Model):
    """One thing that happened to an account, with who did it, when and why (audit trail)."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("Inscription")
        LOGIN = "login", _("Connexion")
        LOGIN_REFUSED_DISABLED = "login_refused_disabled", _("Connexion refusée : compte désactivé")
        LOGIN_REFUSED_LOCKED = "login_refused_locked", _("Connexion refusée : compte bloqué après un signalement")
        PASSWORD_CHANGED = "password_changed", _("Mot de passe modifié")
        PASSWORD_RESET = "password_reset", _("Mot de passe réinitialisé")
        EMAIL_CHANGED = "email_changed", _("Adresse e-mail modifiée")
        USERNAME_CHANGED = "username_changed", _("Nom d'utilisateur modifié")
        SESSIONS_REVOKED = "sessions_revoked", _("Sessions fermées")
        UNAUTHORIZED_USE_REPORTED = "unauthorized_use_reported", _("Utilisation non autorisée signalée")
        SECOND_FACTOR_CHANGED = "second_factor_changed", _("Second facteur modifié")
        SHARING_FLAGGED = "sharing_flagged", _("Partage de compte suspecté")
        DISABLED = "disabled", _("Compte désactivé")
        ENABLED = "enabled", _("Compte réactivé")
        DATA_EXPORTED = "data_exported", _("Données personnelles téléchargées")
        ERASED = "erased", _("Données personnelles effacées")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("compte"), on_delete=models.CASCADE, related_name="account_events"
    )
    kind = models.CharField(_("événement"), max_length=40, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(_("motif ou détail"), blank=True)
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    browser = models.CharField(_("navigateur"), max_length=100, blank=True)
    os = models.CharField(_("système d'exploitation"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("événement du compte")
        verbose_name_plural = _("événements du compte")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "kind", "created_at"], name="accounts_event_user_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"


class SecurityNotice(models.Model):
    """An « Était-ce vous ? » email (TR-4): what it told, to which address, and its link's fate.

    The link carries a signed random token; only its SHA-256 is kept, so a copy of this
    table opens nothing. The link serves once (``used_at``) until ``expires_at``.
    """

    class Kind(models.TextChoices):
        PASSWORD_CHANGED = "password_changed", _("Mot de passe modifié")
        PASSWORD_RESET = "password_reset", _("Mot de passe réinitialisé")
        EMAIL_CHANGED_OLD = "email_changed_old", _("Adresse e-mail modifiée (ancienne adresse)")
        EMAIL_CHANGED_NEW = "email_changed_new", _("Adresse e-mail modifiée (nouvelle adresse)")
        NEW_DEVICE = "new_device", _("Connexion depuis un nouvel appareil")
        SECOND_FACTOR_CHANGED = "second_factor_changed", _("Second facteur modifié")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("compte"), on_delete=models.CASCADE, related_name="security_notices"
    )
    kind = models.CharField(_("événement"), max_length=40, choices=Kind.choices)
    # The address the email went to: the link gives the account back to it (PV-14).
    sent_to = models.EmailField(_("envoyé à"))
    token_hash = models.CharField(_("empreinte du jeton"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("envoyé le"), default=timezone.now)
    expires_at = models.DateTimeField(_("lien valable jusqu'au"))
    used_at = models.DateTimeField(_("lien utilisé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("e-mail « Était-ce vous ? »")
        verbose_name_plural = _("e-mails « Était-ce vous ? »")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"


class Group(models.Model):
    """The second kind of account (PV-1): an owner and the members they invited.

    For a group, "the subscriber" is its owner (TM-2): the owner buys its plan, receives
    its invoices and is the one disabled when one is unpaid. The owner is a member of
    their own group (a membership row), so seats count the owner too
    (docs/decisions/0060-groups.md).
    """

    name = models.CharField(_("nom du groupe"), max_length=100)
    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("propriétaire"), on_delete=models.PROTECT, related_name="owned_group"
    )
    # Members allowed, owner included: set by billing from the group plan bought (1: the owner alone).
    seats = models.PositiveIntegerField(_("places"), default=1)
    # End of the group's paid-up period, maintained by billing (None: never bought, or its owner's
    # data erased). The owner's and members' account cookie lives until then (CK-4, decision 0107).
    access_ends_at = models.DateTimeField(_("fin de validité du groupe"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)

    class Meta:
        verbose_name = _("groupe")
        verbose_name_plural = _("groupes")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class GroupMembership(models.Model):
    """A person in a group; a person belongs to at most one group (the `user` is unique)."""

    group = models.ForeignKey(Group, verbose_name=_("groupe"), on_delete=models.CASCADE, related_name="memberships")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("membre"), on_delete=models.CASCADE, related_name="group_membership"
    )
    joined_at = models.DateTimeField(_("membre depuis le"), default=timezone.now)

    class Meta:
        verbose_name = _("membre du groupe")
        verbose_name_plural = _("membres du groupe")
        ordering = ["joined_at", "pk"]

    def __str__(self) -> str:
        return f"{self.user} → {self.group}"


class GroupInvitation(models.Model):
    """An email invitation to join a group: the link carries a token, only its SHA-256 is kept."""

    group = models.ForeignKey(Group, verbose_name=_("groupe"), on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("adresse e-mail invitée"))
    token_hash = models.CharField(_("empreinte du jeton"), max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invité par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("envoyée le"), default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))
    accepted_at = models.DateTimeField(_("acceptée le"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acceptée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("annulée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation à un groupe")
        verbose_name_plural = _("invitations à un groupe")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One pending invitation per address and group: inviting again is refused.
            models.UniqueConstraint(
                "group",
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="accounts_invitation_pending_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.group}"

    def is_pending(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now


class StaffAccess(models.Model):
    """A staff member opened a member's personal data (TR-2): who, whose, what, when.

    Written by `record_staff_access` at each place staff read a member's data; administrators
    read these rows in the staff site, the member on their account page and in their export.
    Kept ``ACCOUNTS_STAFF_ACCESS_RETENTION_DAYS`` days (decision 0104).
    """

    class Kind(models.TextChoices):
        PROFILE = "profile", _("Fiche de votre compte")
        MEMBER_SEARCH = "member_search", _("Votre compte dans une recherche")
        SESSIONS = "sessions", _("Vos sessions et appareils")
        REQUEST_LOG = "request_log", _("Votre journal des requêtes")
        BILLING = "billing", _("Vos données de facturation")
        INVOICE = "invoice", _("Une facture")
        INVOICE_PDF = "invoice_pdf", _("Le PDF d'une facture")
        CONTACT_MESSAGE = "contact_message", _("Un message de contact")
        CERTIFICATE = "certificate", _("Un certificat")
        EMAILS = "emails", _("Un e-mail qui vous a été envoyé")
        DATA_EXPORT = "data_export", _("L'export de vos données")

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("membre de l'équipe"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    # Kept as they were at the time, even if the staff account changes or goes.
    staff_username = models.CharField(_("identifiant du membre de l'équipe"), max_length=150)
    roles = models.CharField(_("rôles"), max_length=200, blank=True)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("membre"), on_delete=models.CASCADE, related_name="staff_accesses"
    )
    kind = models.CharField(_("données consultées"), max_length=40, choices=Kind.choices)
    reference = models.CharField(_("référence"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("consultées le"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("consultation par l'équipe")
        verbose_name_plural = _("consultations par l'équipe")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["member", "-created_at"], name="accounts_access_member_idx")]

    def __str__(self) -> str:
        return f"{self.staff_username} → {self.member_id}: {self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def roles_display(self) -> str:
        """The staff member's roles in the reader's language: what a member is shown of who it was."""
        from .roles import ROLE_NAMES, role_get

        labels = [str(role_get(name).label) for name in self.roles.split(",") if name in ROLE_NAMES]
        return ", ".join(labels) or str(_("Équipe"))
