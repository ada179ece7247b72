"""The throttle limits of the accounts pages (TM-9), from settings (docs/accounts.md).

The counters themselves are `core.throttle`'s.
"""

from __future__ import annotations

from django.conf import settings

from cloudmentor.core.throttle import Limit


def login_limits(*, ip: str, identifier: str) -> tuple[Limit, Limit]:
    """Failed logins per address, and per account from one address (never per account alone:
    a stranger's failures must not lock the owner out)."""
    window = int(settings.ACCOUNTS_LOGIN_WINDOW_SECONDS)
    return (
        Limit("login-ip", ip, int(settings.ACCOUNTS_LOGIN_MAX_PER_IP), window),
        Limit(
            "login-account-ip",
            f"{identifier.strip().lower()}|{ip}",
            int(settings.ACCOUNTS_LOGIN_MAX_PER_ACCOUNT_IP),
            window,
        ),
    )


def register_limits(*, ip: str) -> tuple[Limit]:
    return (
        Limit(
            "register-ip",
            ip,
            int(settings.ACCOUNTS_REGISTER_MAX_PER_IP),
            int(settings.ACCOUNTS_REGISTER_WINDOW_SECONDS),
        ),
    )


def recovery_ip_limits(*, ip: str) -> tuple[Limit]:
    window = int(settings.ACCOUNTS_RECOVERY_WINDOW_SECONDS)
    return (Limit("recovery-ip", ip, int(settings.ACCOUNTS_RECOVERY_MAX_PER_IP), window),)


def recovery_account_limits(*, email: str) -> tuple[Limit]:
    """Recovery emails sent to one address (a mailbox cannot be flooded)."""
    window = int(settings.ACCOUNTS_RECOVERY_WINDOW_SECONDS)
    return (Limit("recovery-account", email.strip().lower(), int(settings.ACCOUNTS_RECOVERY_MAX_PER_ACCOUNT), window),)


def data_export_limits(*, user_id: object) -> tuple[Limit]:
    """Downloads of one member's data file (each one reads a year of requests, TM-9)."""
    return (
        Limit(
            "data-export",
            str(user_id),
            int(settings.ACCOUNTS_DATA_EXPORT_MAX_PER_WINDOW),
            int(settings.ACCOUNTS_DATA_EXPORT_WINDOW_SECONDS),
        ),
    )


def password_confirm_limits(*, user_id: object) -> tuple[Limit]:
    """Wrong passwords typed on the export and erasure pages of one account (like logins)."""
    return (
        Limit(
            "password-confirm",
            str(user_id),
            int(settings.ACCOUNTS_LOGIN_MAX_PER_ACCOUNT_IP),
            int(settings.ACCOUNTS_LOGIN_WINDOW_SECONDS),
        ),
    )
