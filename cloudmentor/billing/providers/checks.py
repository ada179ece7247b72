"""System checks of the payment provider settings (BZ-1): the demo provider never starts in production."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error

from . import DEMO, STRIPE, payment_provider_name


def payment_provider_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Refuse an unknown provider anywhere, and the demo provider or demo bank details in production."""
    errors: list[Error] = []
    name = payment_provider_name()
    if name not in {"", STRIPE, DEMO}:
        errors.append(
            Error(
                f"BILLING_PAYMENT_PROVIDER={name!r} is not a payment provider.",
                hint='Use "stripe", "demo" (outside production) or leave it empty.',
                id="billing.E103",
            )
        )
    if not settings.PRODUCTION:
        return errors
    if name == DEMO:
        errors.append(
            Error(
                "The demo payment provider is refused in production (CLOUDMENTOR_ENV=production).",
                hint="Set BILLING_PAYMENT_PROVIDER=stripe with STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET "
                "(docs/billing.md, decision 0130).",
                id="billing.E101",
            )
        )
    if "DEMO" in str(settings.BILLING_IBAN).upper() or "DEMO" in str(settings.BILLING_BIC).upper():
        errors.append(
            Error(
                "BILLING_IBAN / BILLING_BIC hold the demo bank details in production.",
                hint="Set the real account's IBAN and BIC, or leave both empty (no bank transfer offered).",
                id="billing.E102",
            )
        )
    return errors
