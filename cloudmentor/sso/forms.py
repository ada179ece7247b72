"""Forms of single sign-on: the work email that finds the company, the password that links, the owner's settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_domain_name
from django.utils.translation import gettext_lazy as _


class WorkEmailForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse e-mail professionnelle"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class LinkPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Mot de passe de votre compte CloudMentor"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


def _issuer_schemes() -> list[str]:
    return ["https", "http"] if settings.SSO_ALLOW_HTTP_ISSUERS else ["https"]


class IdentityProviderForm(forms.Form):
    issuer = forms.CharField(
        label=_("Émetteur (issuer URL)"),
        max_length=300,
        help_text=_("L'adresse de votre fournisseur, sans « /.well-known/openid-configuration »."),
        widget=forms.URLInput(attrs={"placeholder": "https://login.microsoftonline.com/<tenant>/v2.0"}),
    )
    client_id = forms.CharField(label=_("Identifiant client (client ID)"), max_length=255)
    client_secret = forms.CharField(
        label=_("Secret client (client secret)"),
        required=False,
        strip=False,
        max_length=1000,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False),
    )
    domains = forms.CharField(
        label=_("Domaines de messagerie de l'entreprise"),
        help_text=_("Séparés par des virgules ou des espaces, par exemple « exemple.fr, exemple.com »."),
        max_length=2000,
    )
    require_sso = forms.BooleanField(
        label=_("Exiger la connexion par l'entreprise pour les membres (le propriétaire garde son mot de passe)"),
        required=False,
    )

    def __init__(self, *args: Any, has_secret: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.has_secret = has_secret
        if has_secret:
            self.fields["client_secret"].help_text = _(
                "Un secret est enregistré (chiffré) : laissez vide pour le garder."
            )

    def clean_issuer(self) -> str:
        issuer = str(self.cleaned_data["issuer"]).strip().rstrip("/")
        try:
            URLValidator(schemes=_issuer_schemes())(issuer)
        except ValidationError as error:
            raise ValidationError(_("Entrez l'adresse https:// de votre fournisseur d'identité.")) from error
        return issuer

    def clean_client_secret(self) -> str:
        secret = str(self.cleaned_data.get("client_secret") or "")
        if not secret and not self.has_secret:
            raise ValidationError(_("Entrez le secret client que votre fournisseur vous a donné."))
        return secret

    def clean_domains(self) -> list[str]:
        raw = str(self.cleaned_data["domains"]).replace(",", " ").split()
        domains = sorted({domain.strip().lower().lstrip("@") for domain in raw if domain.strip()})
        if not domains:
            raise ValidationError(_("Entrez au moins un domaine."))
        for domain in domains:
            try:
                validate_domain_name(domain)
            except ValidationError as error:
                raise ValidationError(
                    _("« %(domain)s » n'est pas un nom de domaine."), params={"domain": domain}
                ) from error
            if "." not in domain:
                raise ValidationError(_("« %(domain)s » n'est pas un nom de domaine."), params={"domain": domain})
        return domains
