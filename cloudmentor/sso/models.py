"""A group's identity provider, the links between accounts and it, and sign-ins in progress (ID-1)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cloudmentor.accounts.models import Group
from cloudmentor.core.crypto import decrypt_text, encrypt_text

# Associated data of the client secret's encryption: a sealed secret cannot be moved to another use.
CLIENT_SECRET_PURPOSE = "sso.client_secret"


class IdentityProvider(models.Model):
    """The OpenID Provider a group's owner registered: who vouches for the group's email domains.

    The client secret is kept encrypted with the cookie keys (`core.crypto.encrypt_text`):
    a copy of the database alone does not give it away.
    """

    group = models.OneToOneField(
        Group, verbose_name=_("groupe"), on_delete=models.CASCADE, related_name="identity_provider"
    )
    issuer = models.URLField(_("émetteur (issuer)"), max_length=300)
    client_id = models.CharField(_("identifiant client"), max_length=255)
    client_secret_sealed = models.TextField(_("secret client (chiffré)"))
    require_sso = models.BooleanField(_("connexion par l'entreprise obligatoire"), default=False)
    # Published by the provider's discovery document, refreshed at each sign-in; "" when it has none.
    end_session_endpoint = models.URLField(_("adresse de déconnexion du fournisseur"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    updated_at = models.DateTimeField(_("modifié le"), default=timezone.now)

    class Meta:
        verbose_name = _("fournisseur d'identité")
        verbose_name_plural = _("fournisseurs d'identité")

    def __str__(self) -> str:
        return f"{self.issuer} ({self.group})"

    @property
    def client_secret(self) -> str:
        return decrypt_text(CLIENT_SECRET_PURPOSE, self.client_secret_sealed) or ""

    @client_secret.setter
    def client_secret(self, value: str) -> None:
        self.client_secret_sealed = encrypt_text(CLIENT_SECRET_PURPOSE, value)


class EmailDomain(models.Model):
    """An email domain a provider vouches for; a domain names one group only (it finds the group)."""

    provider = models.ForeignKey(
        IdentityProvider, verbose_name=_("fournisseur"), on_delete=models.CASCADE, related_name="domains"
    )
    domain = models.CharField(_("domaine"), max_length=253, unique=True)

    class Meta:
        verbose_name = _("domaine de messagerie")
        verbose_name_plural = _("domaines de messagerie")
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class SsoLink(models.Model):
    """An account and the person the provider knows (its `sub`): how a returning member is found.

    A person has one account here, and an account one link (one group at most, decision 0060).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("compte"), on_delete=models.CASCADE, related_name="sso_link"
    )
    provider = models.ForeignKey(
        IdentityProvider, verbose_name=_("fournisseur"), on_delete=models.CASCADE, related_name="links"
    )
    subject = models.CharField(_("identifiant chez le fournisseur (sub)"), max_length=255)
    created_at = models.DateTimeField(_("lié le"), default=timezone.now)
    last_login_at = models.DateTimeField(_("dernière connexion le"), null=True, blank=True)

    class Meta:
        verbose_name = _("lien d'authentification d'entreprise")
        verbose_name_plural = _("liens d'authentification d'entreprise")
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="sso_link_provider_subject_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.provider}"


class SignIn(models.Model):
    """One sign-in at a provider, from its start to its end: single use, short-lived.

    The browser holds only a random key (the `cm_sso` cookie, sealed); its SHA-256 finds the
    row. `state`, `nonce` and the PKCE `code_verifier` never leave the server but in the
    redirect to the provider. After the provider vouched for an address that already has an
    account, `link_user` and `subject` wait for the member's password (decision 0141).
    """

    key_hash = models.CharField(_("empreinte de la clé"), max_length=64, unique=True)
    provider = models.ForeignKey(IdentityProvider, verbose_name=_("fournisseur"), on_delete=models.CASCADE)
    state = models.CharField(max_length=64)
    nonce = models.CharField(max_length=64)
    code_verifier = models.CharField(max_length=128)
    next_url = models.CharField(max_length=500, blank=True)
    language = models.CharField(max_length=8, default="fr")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    link_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("connexion en cours")
        verbose_name_plural = _("connexions en cours")
        indexes = [models.Index(fields=["expires_at"], name="sso_signin_expires_idx")]

    def __str__(self) -> str:
        return f"{self.provider_id} {self.created_at:%Y-%m-%d %H:%M}"
