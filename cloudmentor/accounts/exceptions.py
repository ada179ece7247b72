"""Domain errors of the accounts app; views turn them into messages in the user's language."""

from __future__ import annotations


class AccountsError(Exception):
    """Base class of every refusal the accounts services can answer with."""


class InvalidCredentials(AccountsError):
    """Unknown username/email or wrong password (never says which)."""


class AccountDisabled(AccountsError):
    """The password is right but the account is disabled (TM-6)."""


class EmailTaken(AccountsError):
    """Another account already uses this email (compared case-insensitively)."""


class UsernameTaken(AccountsError):
    """Another account already uses this username (compared case-insensitively)."""


class InvalidToken(AccountsError):
    """A link that is unknown, used, expired or no longer valid."""


class ErasureRefused(AccountsError):
    """The account cannot be erased this way (PV-10)."""


class StaffAccountErasure(ErasureRefused):
    """A staff account: another staff member first removes its staff rights."""


class AlreadyErased(ErasureRefused):
    """The account's data was erased already (erasure is idempotent)."""
