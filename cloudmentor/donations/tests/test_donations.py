"""Donations (TM-10): visitors, free users and subscribers give through Stripe Checkout; receipts; PV-7, PV-9, PV-10."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.header import decode_header, make_header
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client

from cloudmentor.accounts.models import User
from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.billing.models import Invoice, Payment
from cloudmentor.core import personal_data
from cloudmentor.donations import services
from cloudmentor.donations.models import Donation, DonationPayment, DonationSequence
from conftest import body_text, csrf_post, form_token, log_in_client

from .fake_stripe import DonationFakeStripe

pytestmark = pytest.mark.django_db

WEBHOOK = "/billing/webhooks/stripe/"
T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def _give(client: Client, data: dict[str, Any], url: str = "/donate/") -> Any:
    """Show the donation form as a visitor, then send it with its form cookie."""
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, {"form_token": form_token(page), **data})


def _session_id(response: Any, fake: DonationFakeStripe) -> str:
    assert response.status_code == 303, response.content[:400]
    assert response["Location"].startswith(f"{fake.base}/pay/cs_test_")
    return str(response["Location"].rsplit("/", 1)[1])


def _deliver(fake: DonationFakeStripe, session_id: str, capture: Any) -> Any:
    payload, header = fake.signed_event(session_id)
    with capture(execute=True):
        return Client().post(WEBHOOK, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


def _thanks_path(fake: DonationFakeStripe, session_id: str) -> str:
    success = fake.sessions[session_id]["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
    return str(re.sub(r"^https?://[^/]+", "", success))


def test_tm10_a_visitor_donates_through_the_fake_stripe_checkout_end_to_end(
    client: Client, fake_stripe: DonationFakeStripe, django_capture_on_commit_callbacks: Any
) -> None:
    """The visitor chooses 10 €, pays on Stripe's page, the webhook pays the donation, the thank-you page shows the receipt."""
    with time_machine.travel(T0, tick=False):
        page = client.get("/donate/")
        assert "cm_form_donate" in page.cookies
        assert "cm_account" not in page.cookies  # no session for a visitor (no {% csrf_token %})
        assert f"form-action 'self' {fake_stripe.base}" in page["Content-Security-Policy"]
        assert "aucun remboursement" in page.content.decode()
        response = client.post("/donate/", {"form_token": form_token(page), "preset": "10", "email": "ana@example.org"})
    session_id = _session_id(response, fake_stripe)
    session = fake_stripe.sessions[session_id]
    donation = Donation.objects.get()
    assert (session["mode"], session["amount_total"], session["currency"]) == ("payment", 1000, "eur")
    assert session["metadata"] == {"donation_id": str(donation.pk)}
    assert session["customer_email"] == "ana@example.org"
    assert (donation.status, donation.amount, donation.currency, donation.user) == (
        "pending",
        Decimal("10.00"),
        "EUR",
        None,
    )
    assert response.cookies["cm_form_donate"].value == ""  # used: deleted

    fake_stripe.pay(session_id)
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        delivered = _deliver(fake_stripe, session_id, django_capture_on_commit_callbacks)
    thanks = client.get(_thanks_path(fake_stripe, session_id))

    assert delivered.status_code == 200
    donation.refresh_from_db()
    assert (donation.status, donation.reference, donation.paid_at) == (
        "paid",
        "DON-2027-000001",
        T0 + timedelta(minutes=2),
    )
    text = thanks.content.decode()
    assert "Merci pour votre don" in text and "DON-2027-000001" in text and "10,00 EUR" in text
    assert not thanks.cookies
    (email,) = mail.outbox
    assert email.to == ["ana@example.org"]
    assert email.subject == "Merci pour votre don — reçu DON-2027-000001"
    assert "Montant : 10,00 EUR" in email.body
    assert "Date : 1 mars 2027" in email.body
    assert "Bénéficiaire : CloudMentor@Scale" in email.body
    assert "n'est pas un reçu fiscal" in email.body
    assert "aucun remboursement" in email.body
    # Billing's invoice path was not touched.
    assert not Payment.objects.exists() and not Invoice.objects.exists()


def test_tm10_the_success_redirect_alone_pays_when_the_webhook_is_late(
    client: Client, fake_stripe: DonationFakeStripe, django_capture_on_commit_callbacks: Any
) -> None:
    session_id = _session_id(_give(client, {"preset": "25", "email": "ana@example.org"}), fake_stripe)
    fake_stripe.pay(session_id)

    with django_capture_on_commit_callbacks(execute=True):
        thanks = client.get(_thanks_path(fake_stripe, session_id))
    late = [_deliver(fake_stripe, session_id, django_capture_on_commit_callbacks).status_code for _n in range(2)]

    assert "DON-" in thanks.content.decode()
    assert late == [200, 200]
    assert DonationPayment.objects.count() == 1
    assert Donation.objects.get().status == Donation.Status.PAID
    assert len(mail.outbox) == 1


def test_tm10_a_thank_you_page_before_payment_says_the_payment_is_being_confirmed(
    client: Client, fake_stripe: DonationFakeStripe
) -> None:
    session_id = _session_id(_give(client, {"preset": "5"}), fake_stripe)

    page = client.get(_thanks_path(fake_stripe, session_id))

    assert "en cours de confirmation" in page.content.decode()
    assert Donation.objects.get().status == Donation.Status.PENDING


def test_tm10_a_webhook_delivered_five_times_pays_once_and_sends_one_email(
    client: Client, fake_stripe: DonationFakeStripe, django_capture_on_commit_callbacks: Any
) -> None:
    session_id = _session_id(_give(client, {"preset": "50", "email": "ana@example.org"}), fake_stripe)
    fake_stripe.pay(session_id)

    statuses = [_deliver(fake_stripe, session_id, django_capture_on_commit_callbacks).status_code for _n in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        client.get(_thanks_path(fake_stripe, session_id))

    assert statuses == [200] * 5
    assert DonationPayment.objects.count() == 1
    assert DonationSequence.objects.get().last_number == 1
    assert len(mail.outbox) == 1


def test_tm10_a_member_donates_with_the_session_csrf_and_sees_it_on_their_account(
    client: Client, fake_stripe: DonationFakeStripe, django_capture_on_commit_callbacks: Any
) -> None:
    """Free users and subscribers give like visitors; the form is prefilled and protected by the session CSRF."""
    member: User = UserFactory(username="lea", email="lea@example.org", language="fr")
    log_in_client(client, member)
    page = client.get("/donate/")
    text = page.content.decode()
    assert 'value="lea@example.org"' in text and 'name="csrfmiddlewaretoken"' in text
    assert 'name="form_token"' not in text and "cm_form_donate" not in page.cookies

    strict = log_in_client(Client(enforce_csrf_checks=True), member)
    assert strict.post("/donate/", {"preset": "10"}).status_code == 403  # no CSRF token
    assert not Donation.objects.exists()
    response = csrf_post(
        client,
        "/donate/",
        {"preset": "", "other_amount": "12,50", "name": "Léa", "email": "lea@example.org"},
        page="/donate/",
    )
    session_id = _session_id(response, fake_stripe)
    fake_stripe.pay(session_id)
    _deliver(fake_stripe, session_id, django_capture_on_commit_callbacks)

    donation = Donation.objects.get()
    assert (donation.user, donation.amount, donation.name, donation.status) == (member, Decimal("12.50"), "Léa", "paid")
    assert 'id="donations-link"' in client.get("/account/").content.decode()
    mine = client.get("/account/donations/").content.decode()
    assert donation.reference in mine and "12,50 EUR" in mine
    assert "Bonjour Léa," in mail.outbox[0].body
    assert "/account/donations/" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("data", "amount"),
    [
        ({"preset": "5"}, Decimal("5.00")),
        ({"preset": "10"}, Decimal("10.00")),
        ({"preset": "25"}, Decimal("25.00")),
        ({"preset": "50"}, Decimal("50.00")),
        ({"other_amount": "7"}, Decimal("7.00")),
        ({"other_amount": "15,50"}, Decimal("15.50")),
        ({"other_amount": "1000.00 €"}, Decimal("1000.00")),
        ({"other_amount": "2"}, Decimal("2.00")),
        ({"preset": "50", "other_amount": "30"}, Decimal("30.00")),  # the free amount wins
    ],
)
def test_tm10_presets_and_a_free_amount_open_a_checkout_for_that_amount(
    client: Client, fake_stripe: DonationFakeStripe, data: dict[str, str], amount: Decimal
) -> None:
    session_id = _session_id(_give(client, data), fake_stripe)

    assert Donation.objects.get().amount == amount
    assert fake_stripe.sessions[session_id]["amount_total"] == int(amount * 100)


@pytest.mark.parametrize(
    ("other", "message"),
    [
        ("0", "Le montant doit être positif."),
        ("-5", "Le montant doit être positif."),
        ("1,99", "Le don minimum est de 2 €."),
        ("1000.01", "Le don maximum en ligne est de 1000 €."),
        ("5000", "Le don maximum en ligne est de 1000 €."),
        ("abc", "Saisissez un montant en chiffres"),
        ("10 euros", "Saisissez un montant en chiffres"),
        ("1e3", "Saisissez un montant en chiffres"),
        ("10.123", "Au plus deux chiffres après la virgule"),
        ("10,5,0", "Saisissez un montant en chiffres"),
    ],
)
def test_tm10_a_bad_amount_gets_a_clear_message_and_stores_nothing(
    client: Client, fake_stripe: DonationFakeStripe, other: str, message: str
) -> None:
    response = _give(client, {"other_amount": other, "email": "ana@example.org"})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Donation.objects.exists()
    assert ("POST", "/v1/checkout/sessions") not in fake_stripe.requests


def test_tm10_no_amount_chosen_and_a_forged_preset_are_refused(client: Client, fake_stripe: DonationFakeStripe) -> None:
    nothing = _give(client, {"email": "ana@example.org"})
    forged = _give(client, {"preset": "0.01"})

    assert "Choisissez un montant" in nothing.content.decode()
    assert forged.status_code == 200 and not Donation.objects.exists()


def test_tm10_a_visitor_post_without_the_form_cookie_changes_nothing(
    client: Client, fake_stripe: DonationFakeStripe
) -> None:
    response = client.post("/donate/", {"preset": "10"})

    assert response.status_code == 400
    assert not Donation.objects.exists()


def test_tm10_donation_forms_are_throttled_per_address(
    client: Client, fake_stripe: DonationFakeStripe, settings: Any
) -> None:
    settings.DONATIONS_MAX_PER_IP = 2
    statuses = [_give(client, {"other_amount": "abc"}).status_code for _n in range(3)]

    assert statuses == [200, 200, 429]


def test_tm10_an_amount_or_currency_mismatch_pays_nothing_and_alerts_staff_once(
    client: Client, fake_stripe: DonationFakeStripe, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.STAFF_ALERT_EMAILS = ["staff@cloudmentor.example"]
    session_id = _session_id(_give(client, {"preset": "10", "email": "ana@example.org"}), fake_stripe)
    fake_stripe.amount_override = 100
    fake_stripe.pay(session_id)

    statuses = [_deliver(fake_stripe, session_id, django_capture_on_commit_callbacks).status_code for _n in range(3)]
    page = client.get(_thanks_path(fake_stripe, session_id))

    assert statuses == [200] * 3
    donation = Donation.objects.get()
    assert (donation.status, donation.reference) == ("pending", "")
    payment = DonationPayment.objects.get()
    assert (payment.status, payment.amount) == ("rejected", Decimal("1.00"))
    assert [email.to for email in mail.outbox] == [["staff@cloudmentor.example"]]
    assert "Attendu : 10.00 EUR" in mail.outbox[0].body and "Reçu : 1.00 EUR" in mail.outbox[0].body
    assert not DonationSequence.objects.exists()  # no receipt number used up
    assert "en cours de confirmation" in page.content.decode() or "pas pu être accepté" in page.content.decode()


def test_tm10_a_currency_mismatch_pays_nothing(
    client: Client, fake_stripe: DonationFakeStripe, django_capture_on_commit_callbacks: Any
) -> None:
    session_id = _session_id(_give(client, {"preset": "10"}), fake_stripe)
    fake_stripe.currency_override = "usd"
    fake_stripe.pay(session_id)

    _deliver(fake_stripe, session_id, django_capture_on_commit_callbacks)

    assert Donation.objects.get().status == Donation.Status.PENDING
    assert DonationPayment.objects.get().status == DonationPayment.Status.REJECTED


def test_tm10_a_cancelled_checkout_stays_pending_then_is_abandoned_after_a_day_once(
    client: Client, fake_stripe: DonationFakeStripe
) -> None:
    with time_machine.travel(T0, tick=False):
        session_id = _session_id(_give(client, {"preset": "10"}), fake_stripe)
    cancel = fake_stripe.sessions[session_id]["cancel_url"]
    page = client.get(re.sub(r"^https?://[^/]+", "", cancel))
    assert "rien n'a été débité" in page.content.decode()
    with time_machine.travel(T0 + timedelta(hours=20), tick=False):
        newer = services.donation_create(amount=Decimal("5"), name="", email="", user=None, language="fr")

    with time_machine.travel(T0 + timedelta(hours=23, minutes=59), tick=False):
        assert services.donations_abandon_stale() == 0
    with time_machine.travel(T0 + timedelta(hours=24, minutes=1), tick=False):
        call_command("donations_abandon", stdout=None)
        assert services.donations_abandon_stale() == 0  # idempotent

    statuses = dict(Donation.objects.values_list("pk", "status"))
    assert statuses[newer.pk] == "pending"
    assert sorted(statuses.values()) == ["abandoned", "pending"]


def test_tm10_a_late_payment_of_an_abandoned_donation_is_still_recorded(
    client: Client, fake_stripe: DonationFakeStripe, django_capture_on_commit_callbacks: Any
) -> None:
    """The money was taken: the donation is paid even if it had been marked abandoned."""
    session_id = _session_id(_give(client, {"preset": "10"}), fake_stripe)
    Donation.objects.update(status=Donation.Status.ABANDONED, abandoned_at=T0)
    fake_stripe.pay(session_id)

    _deliver(fake_stripe, session_id, django_capture_on_commit_callbacks)

    assert Donation.objects.get().status == Donation.Status.PAID


def test_tm10_receipt_numbers_are_gapless_per_year(django_capture_on_commit_callbacks: Any) -> None:
    def paid_at(moment: datetime) -> Donation:
        with time_machine.travel(moment, tick=False):
            donation = services.donation_create(amount=Decimal("10"), name="", email="", user=None, language="fr")
            services.donation_record_payment(
                donation_id=donation.pk, session_id=f"cs_{donation.pk}", amount=Decimal("10.00"), currency="eur"
            )
        donation.refresh_from_db()
        return donation

    references = [
        paid_at(datetime(2027, 12, 31, 10, tzinfo=UTC)).reference,
        paid_at(datetime(2027, 12, 31, 22, 59, tzinfo=UTC)).reference,
        paid_at(datetime(2027, 12, 31, 23, 1, tzinfo=UTC)).reference,  # 1 January in Paris
        paid_at(datetime(2028, 1, 2, tzinfo=UTC)).reference,
    ]

    assert references == ["DON-2027-000001", "DON-2027-000002", "DON-2028-000001", "DON-2028-000002"]


def test_tm10_the_thank_you_email_goes_out_through_smtp_in_the_donors_language(
    client: Client,
    fake_stripe: DonationFakeStripe,
    smtp_server: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.BILLING_SELLER_ADDRESS = "1 rue de la Paix, 75002 Paris"
    page = client.get("/en/donate/")
    assert "Make a donation" in page.content.decode()
    response = client.post("/en/donate/", {"form_token": form_token(page), "preset": "10", "email": "sam@example.org"})
    session_id = _session_id(response, fake_stripe)
    fake_stripe.pay(session_id)

    _deliver(fake_stripe, session_id, django_capture_on_commit_callbacks)

    (message,) = smtp_server.messages
    assert message["X-Envelope-To"] == "sam@example.org"
    subject = str(make_header(decode_header(message["Subject"])))
    reference = Donation.objects.get().reference
    assert subject == f"Thank you for your donation — receipt {reference}"
    text = body_text(message)
    assert "Amount: 10.00 EUR" in text
    assert "1 rue de la Paix, 75002 Paris" in text
    assert "not a tax receipt" in text
    assert "/en/donate/thanks/" in fake_stripe.sessions[session_id]["success_url"]


def test_tm10_the_receipt_carries_the_tax_mention_when_the_seller_is_eligible(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DONATIONS_TAX_RECEIPT_MENTION = "Reçu au titre des dons (art. 200 du CGI)"
    donation = services.donation_create(
        amount=Decimal("20"), name="", email="ana@example.org", user=None, language="fr"
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.donation_record_payment(
            donation_id=donation.pk, session_id="cs_1", amount=Decimal("20.00"), currency="EUR"
        )

    assert "Reçu au titre des dons (art. 200 du CGI)" in mail.outbox[0].body
    assert "n'est pas un reçu fiscal" not in mail.outbox[0].body


def test_tm10_no_receipt_address_no_email(django_capture_on_commit_callbacks: Any) -> None:
    donation = services.donation_create(amount=Decimal("20"), name="", email="", user=None, language="fr")

    with django_capture_on_commit_callbacks(execute=True):
        services.donation_record_payment(
            donation_id=donation.pk, session_id="cs_1", amount=Decimal("20.00"), currency="EUR"
        )

    assert Donation.objects.get().status == Donation.Status.PAID
    assert mail.outbox == []


def test_tm10_the_donation_form_cookie_is_on_the_cookie_policy(client: Client) -> None:
    page = client.get("/legal/cookies/").content.decode()

    assert "cm_form_donate" in page
    assert "Suivre la validité du formulaire de don." in page


def test_tm10_home_plans_and_footer_mention_donating(client: Client) -> None:
    for path in ("/", "/plans/", "/en/", "/en/plans/"):
        text = client.get(path).content.decode()
        assert 'id="donate-line"' in text, path
        assert "/donate/" in text, path
    assert "make a donation" in client.get("/en/plans/").content.decode()


def test_tm10_without_stripe_the_page_says_donations_are_unavailable(client: Client, settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = ""

    page = client.get("/donate/")

    assert "momentanément indisponibles" in page.content.decode()


def test_pv7_pv9_pv10_donations_are_exported_and_erasure_keeps_only_the_accounting_record(
    django_capture_on_commit_callbacks: Any,
) -> None:
    member: User = UserFactory(username="lea", email="lea@example.org")
    paid = services.donation_create(
        amount=Decimal("10"), name="Léa", email="lea@example.org", user=member, language="fr"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.donation_record_payment(
            donation_id=paid.pk, session_id="cs_1", amount=Decimal("10.00"), currency="EUR"
        )
    pending = services.donation_create(
        amount=Decimal("5"), name="Léa", email="lea@example.org", user=member, language="fr"
    )
    other = services.donation_create(amount=Decimal("7"), name="Max", email="max@example.org", user=None, language="fr")
    section = next(section for section in personal_data.sections() if section.key == "donations")

    exported = section.export(personal_data.Subject.of(member))
    outcome = section.erase(personal_data.Subject.of(member))

    assert [(row["amount"], row["status"], row["email"]) for row in exported["donations"]] == [
        ("10.00", "paid", "lea@example.org"),
        ("5.00", "pending", "lea@example.org"),
    ]
    assert not Donation.objects.filter(pk=pending.pk).exists()
    paid.refresh_from_db()
    assert (paid.reference, paid.amount, paid.name, paid.email, paid.user) == (
        "DON-" + paid.reference[4:],
        Decimal("10.00"),
        "",
        "",
        None,
    )
    assert paid.personal_data_erased_at is not None
    assert {item.key for item in outcome.erased} == {"unpaid_donations", "donor_details"}
    assert [(item.key, item.count) for item in outcome.kept] == [("donations", 1)]
    assert Donation.objects.get(pk=other.pk).email == "max@example.org"
