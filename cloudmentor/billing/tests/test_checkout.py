"""The checkout (BZ-2): the order summary, the consent to immediate access, the confirmation; the group owner's page."""

from __future__ import annotations

import base64
import html
import re
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client

from cloudmentor.accounts.models import User
from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.billing import services
from cloudmentor.billing.models import CheckoutConsent, Invoice, Plan, Subscription
from cloudmentor.billing.orders import CONSENT_VERSION, consent_sha256, consent_text

from .conftest import csrf_post, form_token, log_in
from .factories import PlanFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def pro() -> Plan:
    return PlanFactory(
        slug="pro-3", name="Pro 3 mois", name_en="Pro 3 months", price=Decimal("49.00"), duration_months=3
    )


@pytest.fixture
def alice(pro: Plan) -> User:
    """A member whose current period runs until 1 June 2027."""
    member = UserFactory(username="alice", email="alice@example.org")
    with time_machine.travel(T0, tick=False):
        services.subscription_purchase(holder=member, plan=pro, actor=member)
    return member


def _summary(client: Client, url: str = "/plans/pro-3/subscribe/") -> tuple[str, str]:
    """Open the summary page; return its text and its order key."""
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    key = re.search(r'name="order_key" value="([0-9a-f-]{36})"', text)
    assert key is not None, text[:2000]
    return text, key.group(1)


def _order(client: Client, key: str, *, consent: bool = True, url: str = "/plans/extend/") -> Any:
    data = {"plan": "pro-3", "order_key": key}
    if consent:
        data["consent"] = "on"
    return client.post(url, data)


def test_bz2_tm8_the_summary_tells_plan_level_stacked_period_price_vat_invoice_and_payment_methods(
    client: Client, alice: User, settings: Any
) -> None:
    """Everything before the button: the extension starts when the current period ends (TM-8)."""
    settings.BILLING_IBAN = "FR76 0000 0000 0000 DEMO 0000 000"
    settings.BILLING_PAYMENT_PROVIDER = "demo"
    with time_machine.travel(T0 + timedelta(days=10), tick=False):
        log_in(client, "alice")
        text, _key = _summary(client)

    summary = text[text.index('id="order-summary"') : text.index("</section>", text.index('id="order-summary"'))]
    assert "Pro 3 mois" in summary and "Pro" in summary
    assert "du 1 juin 2027 au 1 septembre 2027" in summary  # stacked after the current period
    assert "à la suite de votre période en cours" in summary
    assert "49,00 EUR" in summary and "TVA non applicable, art. 293 B du CGI" in summary
    assert "émise vers le 14 mars 2027" in summary and "avant le 28 mars 2027" in summary
    assert "prestataire de démonstration" in summary and "virement bancaire" in summary
    assert "aucun remboursement" in summary
    assert html.escape(consent_text("fr")) in text
    consent_box = re.search(r'<input type="checkbox" name="consent"[^>]*>', text)
    assert consent_box is not None and "checked" not in consent_box.group(0)  # never pre-ticked
    assert "Commander avec obligation de paiement" in text


def test_bz2_the_summary_splits_vat_when_the_seller_charges_it(client: Client, alice: User, settings: Any) -> None:
    settings.BILLING_VAT_RATE = "0.20"
    log_in(client, "alice")

    text, _key = _summary(client)

    assert "dont TVA 8,17 EUR (HT 40,83 EUR)" in text
    assert "293 B" not in text[text.index('id="order-summary"') :]


def test_bz2_without_the_consent_box_the_order_is_refused_and_nothing_is_written(
    client: Client, alice: User, django_capture_on_commit_callbacks: Any
) -> None:
    log_in(client, "alice")
    _text, key = _summary(client)
    periods = Subscription.objects.count()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = _order(client, key, consent=False)

    assert response.status_code == 400
    assert "Pour commander, cochez la case" in response.content.decode()
    assert 'id="order-summary"' in response.content.decode()  # the summary comes back with the reason
    assert Subscription.objects.count() == periods
    assert not CheckoutConsent.objects.exists()
    assert mail.outbox == []


def test_bz2_tm8_the_order_records_the_consent_and_the_confirmation_email_says_what_was_bought(
    client: Client, alice: User, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(T0 + timedelta(days=10), tick=False):
        log_in(client, "alice")
        _text, key = _summary(client)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = _order(client, key)
        page = client.get(response["Location"])

    assert response.status_code == 302 and response["Location"] == f"/account/billing/orders/{key}/"
    consent = CheckoutConsent.objects.get()
    extension = consent.subscription
    assert (consent.order_key, consent.text_version, consent.text_sha256, consent.language) == (
        uuid.UUID(key),
        CONSENT_VERSION,
        consent_sha256("fr"),
        "fr",
    )
    assert consent.consented_at == T0 + timedelta(days=10)
    first = Subscription.objects.exclude(pk=extension.pk).get()
    assert extension.starts_at == first.ends_at  # TM-8: stacked after the current period
    assert extension.price == Decimal("49.00")  # TM-7: the price is the one shown
    text = page.content.decode()
    assert (
        page.status_code == 200
        and html.escape(consent_text("fr")) in text
        and "du 1 juin 2027 au 1 septembre 2027" in text
    )
    (email,) = mail.outbox
    assert email.to == ["alice@example.org"]
    assert email.subject == "Votre commande : Pro 3 mois"
    assert "du 1 juin 2027 au 1 septembre 2027" in email.body
    assert "49.00 EUR (TVA non applicable, art. 293 B du CGI)" in email.body or "49,00 EUR" in email.body
    assert consent_text("fr") in email.body
    assert f"/account/billing/orders/{key}/" in email.body


def test_bz2_an_english_member_gets_the_summary_and_the_confirmation_in_english(
    client: Client, alice: User, django_capture_on_commit_callbacks: Any
) -> None:
    User.objects.filter(pk=alice.pk).update(language="en")
    log_in(client, "alice")
    text, key = _summary(client, "/en/plans/pro-3/subscribe/")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = _order(client, key, url="/en/plans/extend/")

    assert (
        "Order summary" in text
        and html.escape(consent_text("en")) in text
        and "Place order with obligation to pay" in text
    )
    assert response["Location"] == f"/en/account/billing/orders/{key}/"
    assert CheckoutConsent.objects.get().text_sha256 == consent_sha256("en")
    (email,) = mail.outbox
    assert email.subject == "Your order: Pro 3 months"
    assert consent_text("en") in email.body


def test_bz2_the_same_summary_sent_twice_places_one_order_and_shows_it(
    client: Client, alice: User, django_capture_on_commit_callbacks: Any
) -> None:
    """A double click or a reload of the POST: one period, one invoice, one email, the same order page."""
    log_in(client, "alice")
    _text, key = _summary(client)
    periods = Subscription.objects.count()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        first = _order(client, key)
        second = _order(client, key)

    assert first["Location"] == second["Location"] == f"/account/billing/orders/{key}/"
    assert Subscription.objects.count() == periods + 1
    assert Invoice.objects.filter(subscription__consent__order_key=key).count() == 1
    assert len(mail.outbox) == 1
    assert client.get(second["Location"]).status_code == 200


def test_bz2_an_order_page_is_its_buyers_only(client: Client, alice: User) -> None:
    log_in(client, "alice")
    _text, key = _summary(client)
    _order(client, key)
    UserFactory(username="bob")

    other = Client()
    log_in(other, "bob")

    assert other.get(f"/account/billing/orders/{key}/").status_code == 404
    assert client.get(f"/account/billing/orders/{uuid.uuid4()}/").status_code == 404


def _pdf_text(data: bytes) -> str:
    """Return the text a reportlab PDF draws (its page streams hold literal strings)."""
    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            chunks.append(zlib.decompress(base64.a85decode(stream.strip().removesuffix(b"~>"))))
        except (ValueError, zlib.error):
            chunks.append(stream)
    raw = b"".join(chunks).decode("latin-1")
    return " ".join(re.findall(r"\((.*?)(?<!\\)\)", raw, re.S))


def test_bz2_the_consent_is_printed_on_the_invoice(
    client: Client, alice: User, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(T0 + timedelta(days=10), tick=False):
        log_in(client, "alice")
        _text, key = _summary(client)
        _order(client, key)
    with time_machine.travel(T0 + timedelta(days=14), tick=False), django_capture_on_commit_callbacks(execute=True):
        services.billing_run()
    invoice = Invoice.objects.get(subscription__consent__order_key=key)

    document = services.invoice_pdf_render(invoice_id=invoice.pk)

    assert document is not None
    text = _pdf_text(bytes(document.pdf))
    consent = CheckoutConsent.objects.get()
    assert consent.text_sha256[:16] in text and CONSENT_VERSION in text
    earlier = Invoice.objects.exclude(pk=invoice.pk).get()  # bought before the checkout existed: no consent line
    assert consent.text_sha256[:16] not in _pdf_text(bytes(services.invoice_pdf_render(invoice_id=earlier.pk).pdf))  # type: ignore[union-attr]  # issued by the run above


def test_bz2_a_visitor_registering_with_a_plan_must_consent_and_gets_the_confirmation(
    client: Client, pro: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    data = {
        "plan": "pro-3",
        "username": "carol",
        "email": "carol@example.org",
        "password": "une phrase de passe assez longue",
        "accept_terms": "on",
    }
    page = client.get("/plans/pro-3/subscribe/")
    assert 'id="order-summary"' in page.content.decode() and html.escape(consent_text("fr")) in page.content.decode()
    refused = client.post("/plans/pro-3/subscribe/", {"form_token": form_token(page), **data})
    assert refused.status_code == 200 and "Pour commander, cochez la case" in refused.content.decode()
    assert not User.objects.filter(username="carol").exists()

    page = client.get("/plans/pro-3/subscribe/")
    with django_capture_on_commit_callbacks(execute=True):
        accepted = client.post("/plans/pro-3/subscribe/", {"form_token": form_token(page), **data, "consent": "on"})

    assert accepted.status_code == 302
    consent = CheckoutConsent.objects.get()
    assert consent.subscription.customer.user == User.objects.get(username="carol")
    assert "Votre commande : Pro 3 mois" in [email.subject for email in mail.outbox]


def test_bz2_tm2_the_group_owner_orders_a_group_plan_with_consent(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    PlanFactory(slug="team-5", name="Équipe 12 mois", kind=Plan.Kind.GROUP, seats=5, duration_months=12)
    UserFactory(username="olga", email="olga@example.org")
    log_in(client, "olga")
    page = client.get("/plans/team-5/group/").content.decode()
    key = re.search(r'name="order_key" value="([0-9a-f-]{36})"', page)
    assert key is not None and 'id="order-summary"' in page

    refused = csrf_post(client, "/plans/team-5/group/", {"order_key": key.group(1)}, page="/account/")
    with django_capture_on_commit_callbacks(execute=True):
        placed = csrf_post(
            client, "/plans/team-5/group/", {"order_key": key.group(1), "consent": "on"}, page="/account/"
        )
        again = csrf_post(
            client, "/plans/team-5/group/", {"order_key": key.group(1), "consent": "on"}, page="/account/"
        )

    assert refused.status_code == 400 and "Pour commander, cochez la case" in refused.content.decode()
    assert placed.status_code == again.status_code == 302
    assert CheckoutConsent.objects.get().subscription.customer.group.owner.username == "olga"
    assert [email.subject for email in mail.outbox].count("Votre commande : Équipe 12 mois") == 1


def test_bz2_the_group_owners_billing_page_describes_the_group_subscription_it_lists(client: Client) -> None:
    """Not « Aucun abonnement pour l'instant » above the group's « Équipe 12 mois » period (issue 13, item 6)."""
    team = PlanFactory(slug="team-5", name="Équipe 12 mois", kind=Plan.Kind.GROUP, seats=5, duration_months=12)
    owner = UserFactory(username="olga")
    with time_machine.travel(T0, tick=False):
        services.group_subscription_buy(owner=owner, plan=team, group_name="Équipe Cloud")
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        log_in(client, "olga")
        page = client.get("/account/billing/").content.decode()

    assert "Aucun abonnement pour l'instant" not in page
    assert "L'offre de votre groupe « Équipe Cloud » est valable jusqu'au" in page
    assert "Vous en êtes l'abonné" in page
    assert "Équipe 12 mois" in page and "Groupe « Équipe Cloud »" in page
