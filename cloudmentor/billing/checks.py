"""System checks of billing: an invoice issued in production carries the seller's legal details (BZ-3).

French invoicing rules (Code de commerce, art. L441-9; CGI, art. 242 nonies A) require the
seller's name, address and SIREN/SIRET on every invoice and credit note. Issued documents
never change, so a missing detail cannot be fixed later: production refuses to start
without them (``manage.py check``, ``migrate`` and ``runserver`` stop on these errors).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error

# La Poste's establishments share this SIREN; their SIRETs follow another key (sum of digits % 5).
_LA_POSTE_SIREN = "356000000"

_REQUIRED = (
    ("BILLING_SELLER_NAME", "billing.E001", "the seller's name (or company name)"),
    ("BILLING_SELLER_ADDRESS", "billing.E002", "the seller's postal address"),
    ("BILLING_SELLER_SIRET", "billing.E003", "the seller's SIRET number (14 digits)"),
)


def siret_is_valid(value: str) -> bool:
    """Tell whether `value` is a well-formed SIRET: 14 digits (spaces allowed) with a valid key."""
    digits = value.replace(" ", "")
    if len(digits) != 14 or not digits.isdigit():
        return False
    if digits.startswith(_LA_POSTE_SIREN):
        return sum(int(digit) for digit in digits) % 5 == 0
    total = 0
    for position, digit in enumerate(reversed(digits)):
        number = int(digit) * (2 if position % 2 else 1)
        total += number - 9 if number > 9 else number
    return total % 10 == 0


def seller_details_check(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """In production, report each missing seller detail and a malformed SIRET as an error."""
    if getattr(settings, "ENVIRONMENT", "") != "production":
        return []
    errors: list[CheckMessage] = []
    for name, error_id, what in _REQUIRED:
        if not str(getattr(settings, name, "") or "").strip():
            errors.append(
                Error(
                    f"{name} is empty: invoices and credit notes must carry {what}.",
                    hint=f"Set {name} in the environment (README, configuration; docs/billing.md).",
                    id=error_id,
                )
            )
    siret = str(getattr(settings, "BILLING_SELLER_SIRET", "") or "").strip()
    if siret and not siret_is_valid(siret):
        errors.append(
            Error(
                f"BILLING_SELLER_SIRET {siret!r} is not a valid SIRET (14 digits with a valid check key).",
                hint="Copy the SIRET of the establishment from its Kbis or the INSEE register.",
                id="billing.E004",
            )
        )
    return errors
