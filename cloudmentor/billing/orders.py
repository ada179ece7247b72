"""What a buyer reads and agrees to before an order (BZ-2): the order summary and the consent text.

EU and French consumer law (Code de la consommation, art. L221-18 and L221-28 13°) give 14
days to withdraw from an online contract, unless the buyer expressly asks for the digital
content at once and acknowledges losing that right. The checkout shows the summary below,
asks for that consent with an unticked box, and records it with the order: the date, the
text's version and the SHA-256 of the exact words shown (decision 0131).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import AccessLevel, Plan
from .periods import add_months
from .providers import DEMO, payment_provider

# Change the version whenever the words change: each recorded consent names the one it agreed to.
CONSENT_VERSION = "2026-12"


def consent_text(language: str | None = None) -> str:
    """The words of the consent box, in `language` (the current one by default)."""
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        return _(
            "Je demande l'accès immédiat au contenu de l'offre, dès la validation de ma commande, et je reconnais "
            "perdre ainsi mon droit de rétractation de 14 jours (art. L221-28 13° du Code de la consommation)."
        )


def consent_sha256(language: str) -> str:
    """The SHA-256 of the consent's words as shown in `language`, with its version."""
    return hashlib.sha256(f"{CONSENT_VERSION}\n{consent_text(language)}".encode()).hexdigest()


@dataclass(frozen=True)
class OrderSummary:
    """Everything the buyer is told before confirming an order."""

    plan: Plan
    access_level: str
    is_extension: bool
    starts_at: datetime
    ends_at: datetime
    price: Decimal
    currency: str
    amount_net: Decimal
    vat_amount: Decimal
    vat_rate: Decimal
    vat_mention: str
    invoice_at: datetime | None
    due_at: datetime | None
    payment_methods: list[str]


def order_summary(*, plan: Plan, validity_end: datetime | None, now: datetime | None = None) -> OrderSummary:
    """Summarise an order of `plan` for a holder whose periods end at `validity_end` (None: none yet).

    The period is stacked after the current one (TM-8); the invoice date and deadline are
    computed as the billing run will (``BILLING_INVOICE_DELAY_DAYS``, then
    ``BILLING_PAYMENT_TERMS_DAYS``, neither after the new validity end).
    """
    now = now or timezone.now()
    is_extension = validity_end is not None and validity_end > now
    starts_at = validity_end if validity_end is not None and is_extension else now
    ends_at = add_months(starts_at, plan.duration_months)
    rate = Decimal(str(settings.BILLING_VAT_RATE or "0"))
    if rate:
        net = (plan.price / (1 + rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)  # as invoices split it
        vat = plan.price - net
    else:
        net, vat = plan.price, Decimal("0.00")
    invoice_at = due_at = None
    if plan.price > 0:
        invoice_at = min(
            now + timedelta(days=int(settings.BILLING_INVOICE_DELAY_DAYS)), max(now, ends_at - timedelta(days=1))
        )
        due_at = max(invoice_at, min(invoice_at + timedelta(days=int(settings.BILLING_PAYMENT_TERMS_DAYS)), ends_at))
    return OrderSummary(
        plan=plan,
        access_level=str(AccessLevel(plan.access_level).label),
        is_extension=is_extension,
        starts_at=starts_at,
        ends_at=ends_at,
        price=plan.price,
        currency=plan.currency,
        amount_net=net,
        vat_amount=vat,
        vat_rate=rate,
        vat_mention="" if rate else str(settings.BILLING_VAT_EXEMPTION_MENTION),
        invoice_at=invoice_at,
        due_at=due_at,
        payment_methods=payment_methods(),
    )


def payment_methods() -> list[str]:
    """How an invoice can be paid here, in words."""
    methods = []
    provider = payment_provider()
    if provider is not None and provider.NAME == DEMO:
        methods.append(_("carte, avec le prestataire de démonstration (aucun débit)"))
    elif provider is not None:
        methods.append(_("carte bancaire, sur la page sécurisée de Stripe"))
    if settings.BILLING_IBAN:
        methods.append(_("virement bancaire (IBAN et référence sur la facture)"))
    if not methods:
        methods.append(_("en écrivant au support, qui vous indique comment régler"))
    return methods
