"""Staff view of single sign-on at /staff/: a group's provider set up for its owner (ID-1), links read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cloudmentor.core.admin import ReadOnlyAdminMixin

from .models import EmailDomain, IdentityProvider, SsoLink


class IdentityProviderForm(forms.ModelForm[IdentityProvider]):
    issuer = forms.URLField(label=_("Émetteur (issuer URL)"), max_length=300, assume_scheme="https")
    # Write-only: the stored secret is sealed and never shown; empty keeps it.
    new_client_secret = forms.CharField(
        label=_("Nouveau secret client"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Laissez vide pour garder le secret enregistré (chiffré)."),
    )

    class Meta:
        model = IdentityProvider
        fields = ("group", "issuer", "client_id", "require_sso")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.instance.client_secret_sealed and not cleaned.get("new_client_secret"):
            self.add_error("new_client_secret", _("Entrez le secret client que votre fournisseur vous a donné."))
        return cleaned

    def save(self, commit: bool = True) -> IdentityProvider:
        provider = super().save(commit=False)
        provider.issuer = provider.issuer.strip().rstrip("/")
        if self.cleaned_data.get("new_client_secret"):
            provider.client_secret = self.cleaned_data["new_client_secret"]
        if commit:
            provider.save()
        return provider


class EmailDomainInline(admin.TabularInline[EmailDomain, IdentityProvider]):
    model = EmailDomain
    extra = 1


class SsoLinkInline(ReadOnlyAdminMixin, admin.TabularInline[SsoLink, IdentityProvider]):
    model = SsoLink
    extra = 0
    fields = ("user", "subject", "created_at", "last_login_at")
    readonly_fields = fields


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin[IdentityProvider]):
    form = IdentityProviderForm
    list_display = ("group", "issuer", "client_id", "require_sso", "updated_at")
    search_fields = ("group__name", "group__owner__username", "issuer", "domains__domain")
    list_select_related = ("group",)
    readonly_fields = ("end_session_endpoint", "created_at", "updated_at")
    fields = ("group", "issuer", "client_id", "new_client_secret", "require_sso", *readonly_fields)
    inlines = (EmailDomainInline, SsoLinkInline)
