from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cloudmentor.billing.models import Invoice
from cloudmentor.billing.tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


def test_bz5_an_invoice_shows_its_seller_and_buyer_as_address_blocks(staff_client: Client) -> None:
    """The parties recorded on the invoice read as on the PDF, one line each, never as raw JSON."""
    invoice = InvoiceFactory(
        status=Invoice.Status.OPEN,
        number="CM-2026-001",
        year=2026,
        sequence=1,
        issued_at=timezone.now(),
        due_at=timezone.now() + timedelta(days=14),
        seller={
            "name": "CloudMentor SAS",
            "address": "1 rue de la Paix\n75002 Paris",
            "siret": "123 456 789 00012",
            "vat_number": "",
            "email": "factures@example.org",
            "iban": "FR76 0000",
            "bic": "",
        },
        buyer={
            "name": "Alice <Martin>",
            "username": "alice",
            "email": "alice@example.org",
            "address": "",
            "language": "fr",
        },
    )

    for prefix in ("", "/en"):
        html = staff_client.get(prefix + reverse("admin:billing_invoice_change", args=[invoice.pk])).content.decode()

        assert "CloudMentor SAS<br>1 rue de la Paix<br>75002 Paris<br>SIRET 123 456 789 00012" in html
        assert "factures@example.org" in html
        assert "Alice &lt;Martin&gt;<br>alice@example.org" in html  # escaped
        assert '"siret"' not in html
        assert "&quot;siret&quot;" not in html


def test_bz5_a_draft_invoice_says_its_parties_are_fixed_when_it_is_issued(staff_client: Client) -> None:
    """Before the billing run issues it, the invoice has no parties yet: said in words."""
    invoice = InvoiceFactory()

    html = staff_client.get(reverse("admin:billing_invoice_change", args=[invoice.pk])).content.decode()

    assert "Fixé à l&#x27;émission de la facture" in html


def test_bz5_a_credit_note_shows_its_seller_and_buyer_as_address_blocks(staff_client: Client) -> None:
    """The avoir copies the parties of its invoice: shown the same way, never as raw JSON."""
    from cloudmentor.billing.models import CreditNote

    invoice = InvoiceFactory(
        status=Invoice.Status.VOID,
        number="CM-2026-002",
        year=2026,
        sequence=2,
        issued_at=timezone.now(),
        due_at=timezone.now() + timedelta(days=14),
        voided_at=timezone.now(),
    )
    note = CreditNote.objects.create(
        invoice=invoice,
        customer=invoice.customer,
        number="CM-AV-2026-000001",
        year=2026,
        sequence=1,
        issued_at=timezone.now(),
        amount_total=invoice.amount_total,
        currency="EUR",
        amount_net=invoice.amount_total,
        vat_rate=0,
        vat_amount=0,
        line_description="Avoir",
        seller={"name": "CloudMentor SAS", "siret": "123 456 789 00012"},
        buyer={"name": "Alice Martin", "email": "alice@example.org"},
    )

    html = staff_client.get(reverse("admin:billing_creditnote_change", args=[note.pk])).content.decode()

    assert "CloudMentor SAS<br>SIRET 123 456 789 00012" in html
    assert "Alice Martin<br>alice@example.org" in html
    assert "&quot;siret&quot;" not in html
