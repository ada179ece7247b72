"""Links sent by email: password reset (CK-6), email change confirmation (PV-7), « Ce n'était pas moi » (TR-4)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from .models import User


class PasswordResetTokens(PasswordResetTokenGenerator):
    """Django's generator: a token dies when the password, the last login or the email
    changes, and after ``PASSWORD_RESET_TIMEOUT`` seconds (1 hour here)."""

    key_salt = "cloudmentor.accounts.password-reset"


password_reset_tokens = PasswordResetTokens()


def password_reset_link_token(user: User) -> str:
    """Return the single URL segment of a reset link: ``<user id b64>.<token>``."""
    return f"{urlsafe_base64_encode(force_bytes(user.pk))}.{password_reset_tokens.make_token(user)}"


def password_reset_user(link_token: str) -> User | None:
    """Return the user a reset link is valid for, or None."""
    uid, _sep, token = link_token.partition(".")
    try:
        user_id = int(force_str(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError, OverflowError):
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None or not password_reset_tokens.check_token(user, token):
        return None
    return user


EMAIL_CHANGE_SALT = "cloudmentor.accounts.email-change"


def email_change_token(*, user: User, new_email: str) -> str:
    """Sign (user, current email, new email): it dies once the email has changed."""
    return signing.dumps({"u": user.pk, "old": user.email, "new": new_email}, salt=EMAIL_CHANGE_SALT, compress=True)


def email_change_payload(token: str) -> dict[str, Any] | None:
    try:
        payload = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=int(settings.ACCOUNTS_EMAIL_CHANGE_SECONDS))
    except signing.BadSignature:
        return None
    return payload if isinstance(payload, dict) else None


SECURITY_LINK_SALT = "cloudmentor.accounts.not-me"


def security_link_token() -> tuple[str, str]:
    """Return a new « Ce n'était pas moi » token and the SHA-256 to store (never the token).

    A random value signed with a timestamp: a forged or expired link is refused before any
    database read, and the stored hash makes it single use. Hexadecimal, so that the request
    log and the outbox recognise the segment as a token (one long run of letters and digits).
    """
    token = signing.TimestampSigner(salt=SECURITY_LINK_SALT).sign(secrets.token_hex(24))
    return token, security_link_hash(token)


def security_link_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SecurityLinkExpired(Exception):
    """The link was genuine but is older than ``ACCOUNTS_SECURITY_LINK_DAYS``."""


def security_link_check(token: str) -> str | None:
    """Return the hash to look up when `token` is genuine, None when forged; raise SecurityLinkExpired."""
    max_age = int(settings.ACCOUNTS_SECURITY_LINK_DAYS) * 86400
    try:
        signing.TimestampSigner(salt=SECURITY_LINK_SALT).unsign(token, max_age=max_age)
    except signing.SignatureExpired as error:
        raise SecurityLinkExpired from error
    except signing.BadSignature:
        return None
    return security_link_hash(token)
