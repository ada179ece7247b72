"""SCIM 2.0 provisioning per group (ID-2): the directory's tokens, the people it provisioned, its history."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cloudmentor.accounts.models import Group


class ScimToken(models.Model):
    """A bearer token a group's directory presents; only its SHA-256 is stored, the token is shown once."""

    group = models.ForeignKey(Group, verbose_name=_("groupe"), on_delete=models.CASCADE, related_name="scim_tokens")
    name = models.CharField(_("nom"), max_length=100)
    token_hash = models.CharField(_("empreinte du jeton"), max_length=64, unique=True)
    # The first characters of the token, so that the owner can tell tokens apart (not enough to use one).
    hint = models.CharField(_("début du jeton"), max_length=16)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("créé par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)

    class Meta:
        verbose_name = _("jeton SCIM")
        verbose_name_plural = _("jetons SCIM")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ScimUser(models.Model):
    """A person the group's directory provisioned: the SCIM User resource, tied to a member account.

    Whether they are active is whether they hold a seat in the group now (accounts' membership),
    so that a member removed on the group page is reported inactive too.
    """

    scim_id = models.UUIDField(_("identifiant SCIM"), default=uuid.uuid4, unique=True, editable=False)
    group = models.ForeignKey(Group, verbose_name=_("groupe"), on_delete=models.CASCADE, related_name="scim_users")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("compte"), on_delete=models.CASCADE, related_name="scim_users"
    )
    user_name = models.CharField(_("userName"), max_length=255)
    external_id = models.CharField(_("externalId"), max_length=255, blank=True)
    # The work address the account was created with (emails[type eq "work"], the primary one, or the userName).
    email = models.EmailField(_("adresse e-mail professionnelle"), blank=True)
    # Every other attribute the directory sent that the schema knows (name, displayName, emails).
    attributes = models.JSONField(_("attributs"), default=dict, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    modified_at = models.DateTimeField(_("modifié le"), default=timezone.now)

    class Meta:
        verbose_name = _("personne provisionnée")
        verbose_name_plural = _("personnes provisionnées")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(Lower("user_name"), "group", name="scim_user_name_unique_in_group"),
            models.UniqueConstraint(fields=["group", "user"], name="scim_user_once_per_group"),
        ]

    def __str__(self) -> str:
        return self.user_name


class ScimEvent(models.Model):
    """One line of the group's provisioning history (PV-3), shown to the owner and to staff."""

    class Kind(models.TextChoices):
        TOKEN_CREATED = "token_created", _("Jeton créé")
        TOKEN_REVOKED = "token_revoked", _("Jeton révoqué")
        USER_CREATED = "user_created", _("Membre provisionné")
        USER_UPDATED = "user_updated", _("Membre modifié")
        USER_DEACTIVATED = "user_deactivated", _("Membre désactivé : place libérée, sessions fermées")
        USER_REACTIVATED = "user_reactivated", _("Membre réactivé")
        USER_DELETED = "user_deleted", _("Membre retiré du groupe")
        REFUSED = "refused", _("Demande refusée")

    group = models.ForeignKey(Group, verbose_name=_("groupe"), on_delete=models.CASCADE, related_name="scim_events")
    kind = models.CharField(_("événement"), max_length=30, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("membre"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="scim_events",
    )
    user_name = models.CharField(_("userName"), max_length=255, blank=True)
    token = models.ForeignKey(
        ScimToken, verbose_name=_("jeton"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    detail = models.TextField(_("détail"), blank=True)
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("événement SCIM")
        verbose_name_plural = _("historique SCIM")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.user_name}".strip()
