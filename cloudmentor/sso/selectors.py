"""Reads of single sign-on (ID-1)."""

from __future__ import annotations

from cloudmentor.accounts.models import Group, User

from .models import IdentityProvider, SignIn, SsoLink
from .services import domain_of, key_hash


def identity_provider_for_email(email: str) -> IdentityProvider | None:
    """Return the provider that vouches for the address's domain (one query), or None."""
    domain = domain_of(email)
    if not domain:
        return None
    return IdentityProvider.objects.select_related("group").filter(domains__domain=domain).first()


def identity_provider_of(*, group: Group) -> IdentityProvider | None:
    return IdentityProvider.objects.prefetch_related("domains").filter(group=group).first()


def identity_provider_get(provider_id: int) -> IdentityProvider | None:
    return IdentityProvider.objects.select_related("group").filter(pk=provider_id).first()


def sso_link_of(*, user: User) -> SsoLink | None:
    return SsoLink.objects.select_related("provider__group").filter(user=user).first()


def sign_in_language(key: str) -> str:
    """Return the language the sign-in began in ("" when the key names none): its pages speak it."""
    if not key:
        return ""
    return SignIn.objects.filter(key_hash=key_hash(key)).values_list("language", flat=True).first() or ""
