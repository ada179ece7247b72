"""Every write of single sign-on (ID-1): the owner's settings, a sign-in from start to finish, linking.

A sign-in is single use: its row is marked used before the provider is asked anything, so
a replayed callback finds nothing. Accounts are created, seated and logged in through
accounts' services only (decision 0141).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.exceptions import EmailTaken, NoSeatLeft
from cloudmentor.accounts.models import Group, User
from cloudmentor.accounts.selectors import terms_version_current, user_by_email
from cloudmentor.accounts.services.provisioning import group_member_provision, group_member_restore

from . import oidc
from .cookies import flow_seconds
from .exceptions import (
    AccountDisabled,
    DomainTaken,
    EmailOutsideDomains,
    EmailUnverified,
    InAnotherGroup,
    ProviderDenied,
    SeatsFull,
    SignInInvalid,
    StaffRefused,
    WrongPassword,
)
from .models import EmailDomain, IdentityProvider, SignIn, SsoLink


def _now() -> Any:
    return timezone.now()


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def domain_of(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower() if "@" in email else ""


@transaction.atomic
def identity_provider_save(
    *,
    group: Group,
    issuer: str,
    client_id: str,
    client_secret: str,
    domains: list[str],
    require_sso: bool,
) -> IdentityProvider:
    """Create or change the group's identity provider; an empty `client_secret` keeps the one stored.

    Raises DomainTaken when another group declared one of the domains (nothing is changed).
    The caller has checked that the person is the group's owner.
    """
    provider = IdentityProvider.objects.select_for_update().filter(group=group).first()
    if provider is None:
        provider = IdentityProvider(group=group)
    provider.issuer = oidc.issuer_normalized(issuer)
    provider.client_id = client_id.strip()
    if client_secret or not provider.client_secret_sealed:
        provider.client_secret = client_secret
    provider.require_sso = require_sso
    provider.updated_at = _now()
    provider.save()
    wanted = sorted({domain.strip().lower() for domain in domains if domain.strip()})
    taken = EmailDomain.objects.filter(domain__in=wanted).exclude(provider=provider).values_list("domain", flat=True)
    for domain in taken:
        raise DomainTaken(domain)
    EmailDomain.objects.filter(provider=provider).exclude(domain__in=wanted).delete()
    try:
        with transaction.atomic():
            for domain in wanted:
                EmailDomain.objects.get_or_create(provider=provider, domain=domain)
    except IntegrityError as error:  # declared by another group at the same moment
        raise DomainTaken(", ".join(wanted)) from error
    return provider


@transaction.atomic
def identity_provider_delete(*, group: Group) -> None:
    """Remove the group's provider: its links go with it; members keep their accounts (passwords by recovery)."""
    IdentityProvider.objects.filter(group=group).delete()


@dataclass(frozen=True)
class SignInStart:
    key: str  # goes into the browser's cm_sso cookie
    url: str  # the provider's authorization endpoint


def sign_in_start(
    *, provider: IdentityProvider, redirect_uri: str, next_url: str, language: str, login_hint: str = ""
) -> SignInStart:
    """Open a sign-in at `provider` (state, nonce and PKCE verifier kept here) and return where to send the person."""
    metadata = oidc.discover(provider.issuer)
    now = _now()
    if metadata.end_session_endpoint != provider.end_session_endpoint:
        IdentityProvider.objects.filter(pk=provider.pk).update(end_session_endpoint=metadata.end_session_endpoint)
    # Finished or abandoned sign-ins are kept a day for support, then go.
    SignIn.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    key = secrets.token_urlsafe(32)
    sign_in = SignIn.objects.create(
        key_hash=key_hash(key),
        provider=provider,
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=secrets.token_urlsafe(64),
        next_url=next_url[:500],
        language=language[:8],
        created_at=now,
        expires_at=now + timedelta(seconds=flow_seconds()),
    )
    url = oidc.authorization_url(
        metadata,
        client_id=provider.client_id,
        redirect_uri=redirect_uri,
        state=sign_in.state,
        nonce=sign_in.nonce,
        code_verifier=sign_in.code_verifier,
        login_hint=login_hint,
    )
    return SignInStart(key=key, url=url)


@dataclass(frozen=True)
class SignInResult:
    """Who to log in (`user`), or the sign-in waiting for the member's password (`pending`)."""

    sign_in: SignIn
    user: User | None = None
    created: bool = False

    @property
    def pending(self) -> bool:
        return self.user is None


def _sign_in_claim(key: str, state: str) -> SignIn:
    """Mark the sign-in used, in its own transaction: whatever happens next, it never serves again."""
    with transaction.atomic():
        sign_in = (
            SignIn.objects.select_for_update(of=("self",))
            .select_related("provider__group")
            .filter(key_hash=key_hash(key))
            .first()
        )
        if (
            sign_in is None
            or sign_in.used_at is not None
            or sign_in.expires_at <= _now()
            or not hmac.compare_digest(sign_in.state.encode(), state.encode())
        ):
            raise SignInInvalid("unknown, used, expired or another state")
        sign_in.used_at = _now()
        sign_in.save(update_fields=["used_at"])
    return sign_in


def sign_in_finish(*, key: str, state: str, code: str, error: str, redirect_uri: str) -> SignInResult:
    """Finish a sign-in when the provider sends the person back: check, exchange, verify, then resolve.

    Raises an SsoError for every refusal; no account is created or changed then.
    """
    sign_in = _sign_in_claim(key, state)
    if error or not code:
        raise ProviderDenied(error or "no code")
    provider = sign_in.provider
    metadata = oidc.discover(provider.issuer)
    id_token = oidc.code_exchange(
        metadata,
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        redirect_uri=redirect_uri,
        code=code,
        code_verifier=sign_in.code_verifier,
    )
    claims = oidc.id_token_claims(metadata, id_token=id_token, client_id=provider.client_id, nonce=sign_in.nonce)
    return sign_in_resolve(sign_in, claims)


def _check_can_sign_in(user: User) -> None:
    if user.is_staff or user.is_superuser:
        raise StaffRefused
    if not user.is_active or user.locked_at is not None:
        raise AccountDisabled


def _seat(group: Group, user: User) -> None:
    """Give `user` a seat in `group` unless they hold one (the provider vouches for them)."""
    try:
        group_member_restore(group=group, user=user)
    except NoSeatLeft as error:
        raise SeatsFull from error
    except EmailTaken as error:
        raise InAnotherGroup from error


def email_verified(claims: dict[str, Any]) -> bool:
    """Tell whether the provider vouches for the address: `email_verified`, or Entra ID's `xms_edov`.

    Microsoft Entra ID sends no `email_verified`; its optional claim `xms_edov` (the email
    domain's owner is verified) says the same for a tenant's own addresses.
    """
    return claims.get("email_verified") in (True, "true") or claims.get("xms_edov") in (True, "true", 1, "1")


def _username_hint(claims: dict[str, Any], email: str) -> str:
    preferred = claims.get("preferred_username")
    return preferred if isinstance(preferred, str) and preferred.strip() else email


@transaction.atomic
def sign_in_resolve(sign_in: SignIn, claims: dict[str, Any]) -> SignInResult:
    """Decide what the provider's verified claims open: a linked account, a link to prove, or a new seated account.

    Raises EmailUnverified, EmailOutsideDomains, StaffRefused, AccountDisabled, SeatsFull,
    InAnotherGroup; nothing is written then.
    """
    provider = sign_in.provider
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise EmailUnverified("no email claim")
    if not email_verified(claims):
        raise EmailUnverified(email)
    if not provider.domains.filter(domain=domain_of(email)).exists():
        raise EmailOutsideDomains(domain_of(email))
    subject = str(claims["sub"])
    now = _now()
    link = SsoLink.objects.select_related("user").filter(provider=provider, subject=subject).first()
    if link is not None:
        _check_can_sign_in(link.user)
        _seat(provider.group, link.user)
        SsoLink.objects.filter(pk=link.pk).update(last_login_at=now)
        return SignInResult(sign_in=sign_in, user=link.user)
    existing = user_by_email(email)
    if existing is not None:
        # The provider vouches for the address, but the account was opened here by its owner:
        # it is linked only once they prove its password (decision 0141).
        _check_can_sign_in(existing)
        sign_in.link_user = existing
        sign_in.subject = subject
        sign_in.save(update_fields=["link_user", "subject"])
        return SignInResult(sign_in=sign_in)
    try:
        user, _created = group_member_provision(
            group=provider.group, email=email, user_name=_username_hint(claims, email), language=sign_in.language
        )
    except NoSeatLeft as error:
        raise SeatsFull from error
    except EmailTaken as error:  # the same address registered at the same moment
        raise SignInInvalid("email taken meanwhile") from error
    version = terms_version_current()
    if version is not None:
        accounts_services.user_terms_accept(user=user, version=version, accepted_at=now)
    SsoLink.objects.create(user=user, provider=provider, subject=subject, created_at=now, last_login_at=now)
    return SignInResult(sign_in=sign_in, user=user, created=True)


def sign_in_pending(key: str) -> SignIn | None:
    """Return the sign-in waiting for its member's password, if this browser's key names a live one."""
    return (
        SignIn.objects.select_related("provider__group", "link_user")
        .filter(key_hash=key_hash(key), link_user__isnull=False, expires_at__gt=_now())
        .first()
    )


@transaction.atomic
def sign_in_link(*, key: str, password: str) -> SignInResult:
    """Link the account waiting in this sign-in once its password is proved; seat it; the sign-in is spent.

    Raises SignInInvalid (nothing waiting), WrongPassword (nothing changed), or the refusals of a sign-in.
    """
    sign_in = SignIn.objects.select_for_update().filter(key_hash=key_hash(key), expires_at__gt=_now()).first()
    if sign_in is None or sign_in.link_user_id is None:
        raise SignInInvalid("nothing waits for a password")
    user = User.objects.get(pk=sign_in.link_user_id)
    if not user.check_password(password):
        raise WrongPassword
    _check_can_sign_in(user)
    provider = IdentityProvider.objects.select_related("group").get(pk=sign_in.provider_id)
    _seat(provider.group, user)
    now = _now()
    SsoLink.objects.filter(user=user).delete()  # a link to a former company's provider gives way
    SsoLink.objects.create(user=user, provider=provider, subject=sign_in.subject, created_at=now, last_login_at=now)
    sign_in.link_user = None
    sign_in.save(update_fields=["link_user"])
    return SignInResult(sign_in=sign_in, user=user)


def password_login_refused(*, user: User) -> bool:
    """Tell whether `user`'s group requires its members to sign in through the company.

    Never for its owner, nor for staff (who never sign in by SSO: they would be locked out).
    """
    if user.is_staff or user.is_superuser:
        return False
    return (
        IdentityProvider.objects.filter(require_sso=True, group__memberships__user=user)
        .exclude(group__owner=user)
        .exists()
    )
