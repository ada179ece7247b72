"""The billing pages: plans, registration with a plan, extension, billing page, invoice, history (TM-3, TM-6, TM-8, PV-3, CK-4, CK-5)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import AccountEvent, User
from cloudmentor.accounts.tests.factories import PASSWORD, StaffFactory, UserFactory
from cloudmentor.billing import services
from cloudmentor.billing.models import AccessLevel, Customer, Invoice, Plan, Subscription
from cloudmentor.billing.periods import add_months
from cloudmentor.billing.tests.conftest import log_in, submit
from cloudmentor.billing.tests.factories import PlanFactory
from cloudmentor.core import crypto
from cloudmentor.legal.services import policy_seed

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def pro() -> Plan:
    return PlanFactory(
        slug="pro-3", name="Pro 3 mois", name_en="Pro 3 months", price=Decimal("49.00"), duration_months=3
    )


def _queries(client: Client, url: str) -> tuple[int, Any]:
    """Return how many queries a page costs, and the page.

    Two first requests absorb the session's one-off writes (new expiry, last-seen touch).
    """
    client.get(url)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return len(queries), response


def _issued_invoice(member: User, plan: Plan, capture: Any) -> Invoice:
    with time_machine.travel(T0, tick=False):
        services.subscription_purchase(holder=member, plan=plan, actor=member)
    with time_machine.travel(T0 + timedelta(days=3), tick=False), capture(execute=True):
        services.billing_run()
    return Invoice.objects.get(customer__user=member)


# /plans/ (TM-3) ------------------------------------------------------------------------------------


def test_tm3_the_plans_page_says_what_each_plan_costs_lasts_and_includes(client: Client, pro: Plan) -> None:
    PlanFactory(
        slug="yearly",
        name="Expert 12 mois",
        price=Decimal("199.00"),
        duration_months=12,
        access_level=AccessLevel.EXPERT,
    )
    PlanFactory(slug="team", name="Équipe", kind=Plan.Kind.GROUP, seats=10, price=Decimal("990.00"), duration_months=12)
    PlanFactory(slug="old", name="Ancienne offre", is_purchasable=False)

    response = client.get("/plans/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "49.00 EUR" in page or "49,00 EUR" in page
    assert "pour 3 mois" in page and "pour 12 mois" in page
    assert "Niveau Pro" in page and "Niveau Expert" in page
    assert "Tous les cours Pro" in page
    assert "10 places" in page
    assert "Ancienne offre" not in page
    assert 'href="/plans/pro-3/subscribe/"' in page
    assert not response.cookies  # a public page sets no cookie


def test_tm3_the_plans_page_costs_a_fixed_number_of_queries(client: Client) -> None:
    PlanFactory()
    client.get("/plans/")  # what each plan opens is computed once, then cached (learning)
    few, _page = _queries(client, "/plans/")
    for _n in range(10):
        PlanFactory()
    many, _page = _queries(client, "/plans/")

    assert many == few == 1


def test_tm3_the_plans_page_in_english(client: Client, pro: Plan) -> None:
    page = client.get("/en/plans/").content.decode()

    assert "Plans and pricing" in page
    assert "Pro 3 months" in page
    assert "for 3 months" in page
    assert 'href="/en/plans/pro-3/subscribe/"' in page


# Registration with a plan (TM-6, CK-4, CK-5) ------------------------------------------------------------

NEW = {
    "plan": "pro-3",
    "username": "bob",
    "email": "bob@example.org",
    "password": "correct horse battery",
    "accept_terms": "on",
    "consent": "on",  # BZ-2: immediate access, withdrawal right given up
}


def test_tm6_registration_with_a_plan_creates_a_usable_account_at_once(
    client: Client, pro: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    policy_seed()
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        response = submit(client, "/plans/pro-3/subscribe/", NEW, REMOTE_ADDR="198.51.100.7")

    bob = User.objects.get(username="bob")
    subscription = Subscription.objects.get(customer__user=bob)
    assert response.status_code == 302
    assert response["Location"] == "/account/billing/"
    assert (subscription.plan, subscription.starts_at, subscription.price) == (pro, T0, Decimal("49.00"))
    assert bob.access_ends_at == add_months(T0, 3)
    assert bob.terms_version == 1
    assert AccountEvent.objects.filter(user=bob, kind=AccountEvent.Kind.REGISTERED).exists()
    assert Invoice.objects.get().status == Invoice.Status.DRAFT  # the invoice comes later
    assert response.cookies["cm_form_register"].value == ""  # CK-5: the form cookie is deleted
    # The welcome and the order confirmation (BZ-2); no invoice email yet.
    assert [email.subject for email in mail.outbox] == [
        "Bienvenue sur CloudMentor@Scale",
        "Votre commande : Pro 3 mois",
    ]


def test_ck4_the_account_cookie_lives_until_the_end_of_the_paid_up_period(client: Client, pro: Plan) -> None:
    with time_machine.travel(T0, tick=False):
        response = submit(client, "/plans/pro-3/subscribe/", NEW)

    cookie = response.cookies["cm_account"]
    end = add_months(T0, 3)
    assert int(cookie["max-age"]) == int((end - T0).total_seconds())
    envelope = json.loads(crypto.unseal("cm_account", cookie.value) or "{}")
    assert (envelope["u"], envelope["e"]) == ("bob", "bob@example.org")


def test_ck4_after_an_extension_the_account_cookie_follows_the_new_end(client: Client, pro: Plan) -> None:
    with time_machine.travel(T0, tick=False):
        submit(client, "/plans/pro-3/subscribe/", NEW)
        response = client.post("/plans/extend/", {"plan": "pro-3", "consent": "on"})
        assert response["Location"].startswith("/account/billing/orders/")
        page = client.get("/account/billing/")

    assert int(page.cookies["cm_account"]["max-age"]) == int((add_months(T0, 6) - T0).total_seconds())


def test_tm6_the_registration_page_with_a_plan_is_a_form_with_the_registration_cookie(
    client: Client, pro: Plan
) -> None:
    response = client.get("/plans/pro-3/subscribe/")

    page = response.content.decode()
    assert response.status_code == 200
    assert set(response.cookies) == {"cm_form_register"}
    assert int(response.cookies["cm_form_register"]["max-age"]) == 3600
    assert '<input type="hidden" name="plan" value="pro-3">' in page  # the plan of the order summary (BZ-2)
    assert "csrfmiddlewaretoken" not in page  # no session for a visitor


def test_tm6_an_unknown_or_withdrawn_plan_has_no_registration_page(client: Client) -> None:
    PlanFactory(slug="old", is_purchasable=False)

    assert client.get("/plans/old/subscribe/").status_code == 404
    assert client.get("/plans/nope/subscribe/").status_code == 404


def test_tm6_a_group_plan_cannot_be_bought_by_a_member(client: Client, pro: Plan) -> None:
    PlanFactory(slug="team", kind=Plan.Kind.GROUP, seats=5)

    response = submit(client, "/plans/pro-3/subscribe/", {**NEW, "plan": "team"})

    assert response.status_code == 200
    assert not User.objects.exists()


# Extension from the registration page (TM-8) ------------------------------------------------------------


def test_tm8_an_existing_email_and_its_password_extend_that_account(
    client: Client, pro: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    alice = UserFactory(username="alice", email="alice@example.org")
    with time_machine.travel(T0, tick=False):
        first = services.subscription_purchase(holder=alice, plan=pro, actor=alice)
    yearly = PlanFactory(slug="year", duration_months=12, price=Decimal("99.00"))

    with time_machine.travel(T0 + timedelta(days=10), tick=False):
        response = submit(
            client,
            "/plans/year/subscribe/",
            {"plan": "year", "email": "Alice@Example.org", "password": PASSWORD, "accept_terms": "on", "consent": "on"},
        )

    assert response["Location"] == "/account/billing/"
    extension = Subscription.objects.get(plan=yearly)
    assert (extension.customer.user, extension.starts_at) == (alice, first.ends_at)
    assert extension.source == Subscription.Source.EXTENSION
    assert User.objects.count() == 1
    assert "cm_account" in response.cookies  # ownership proven: logged in


def test_tm8_a_wrong_password_extends_nothing(client: Client, pro: Plan) -> None:
    UserFactory(username="alice", email="alice@example.org")

    response = submit(
        client,
        "/plans/pro-3/subscribe/",
        {
            "plan": "pro-3",
            "email": "alice@example.org",
            "password": "not the password",
            "accept_terms": "on",
            "consent": "on",
        },
    )

    assert response.status_code == 200
    assert "Pour prolonger un compte existant, saisissez son mot de passe" in response.content.decode()
    assert "appartient à un compte" not in response.content.decode()  # TR-7: the same answer as for a new address
    assert not Subscription.objects.exists()
    assert "cm_account" not in response.cookies


def test_tm8_password_guessing_through_the_registration_page_is_throttled(
    client: Client, pro: Plan, settings: Any
) -> None:
    UserFactory(username="alice", email="alice@example.org")
    settings.ACCOUNTS_LOGIN_MAX_PER_ACCOUNT_IP = 2
    data = {"plan": "pro-3", "email": "alice@example.org", "password": "guess", "accept_terms": "on", "consent": "on"}

    statuses = [submit(client, "/plans/pro-3/subscribe/", data).status_code for _n in range(3)]

    assert statuses == [200, 200, 429]


def test_tm8_a_disabled_account_cannot_extend_and_gets_the_contact_message(client: Client, pro: Plan) -> None:
    alice = UserFactory(username="alice", email="alice@example.org")
    accounts_services.user_disable(user=alice, actor=None, reason="impayé")

    response = submit(
        client,
        "/plans/pro-3/subscribe/",
        {"plan": "pro-3", "email": "alice@example.org", "password": PASSWORD, "accept_terms": "on", "consent": "on"},
    )

    assert response.status_code == 403
    assert "Votre compte est désactivé" in response.content.decode()
    assert not Subscription.objects.exists()
    assert "cm_account" not in response.cookies


def test_tm8_a_logged_in_member_extends_their_own_account(client: Client, pro: Plan) -> None:
    alice = UserFactory(username="alice")
    with time_machine.travel(T0, tick=False):
        services.subscription_purchase(holder=alice, plan=pro, actor=alice)
        log_in(client, "alice")
        page = client.get("/plans/pro-3/subscribe/")
        assert "Prolonger mon compte" in page.content.decode()
        assert "cm_form_register" not in page.cookies

        response = client.post("/plans/extend/", {"plan": "pro-3", "consent": "on"})

    assert response["Location"].startswith("/account/billing/orders/")  # the order page (BZ-2)
    assert [sub.starts_at for sub in Subscription.objects.order_by("starts_at")] == [T0, add_months(T0, 3)]


def test_tm8_a_visitor_cannot_use_the_logged_in_extension(client: Client, pro: Plan) -> None:
    response = client.post("/plans/extend/", {"plan": "pro-3"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Subscription.objects.exists()


# /account/billing/ and invoices (TM-6) -------------------------------------------------------------------


def test_tm6_the_billing_page_lists_periods_and_invoices_in_a_fixed_number_of_queries(
    client: Client, pro: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    alice = UserFactory(username="alice")
    _issued_invoice(alice, pro, django_capture_on_commit_callbacks)
    with time_machine.travel(T0 + timedelta(days=4), tick=False):
        log_in(client, "alice")
        one, page = _queries(client, "/account/billing/")
        for _n in range(5):
            services.subscription_extend(holder=alice, plan=pro, actor=alice)
    with time_machine.travel(T0 + timedelta(days=8), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            services.billing_run()
        six, more = _queries(client, "/account/billing/")

    assert "CM-2027-000001" in page.content.decode()
    assert more.content.decode().count("/pdf/") == 6
    assert six == one


def test_tm6_draft_invoices_are_not_shown_to_members(client: Client, pro: Plan) -> None:
    alice = UserFactory(username="alice")
    services.subscription_purchase(holder=alice, plan=pro, actor=alice)
    draft = Invoice.objects.get()
    log_in(client, "alice")

    assert "Aucune facture" in client.get("/account/billing/").content.decode()
    assert client.get(f"/account/billing/invoices/{draft.pk}/").status_code == 404


def test_tm6_an_invoice_and_its_pdf_are_only_for_their_member_and_staff(
    client: Client, pro: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    alice = UserFactory(username="alice")
    UserFactory(username="mallory")
    invoice = _issued_invoice(alice, pro, django_capture_on_commit_callbacks)
    urls = [f"/account/billing/invoices/{invoice.pk}/", f"/account/billing/invoices/{invoice.pk}/pdf/"]

    assert [Client().get(url).status_code for url in urls] == [302, 302]  # visitors: log in first
    mallory = Client()
    log_in(mallory, "mallory")
    assert [mallory.get(url).status_code for url in urls] == [403, 403]
    log_in(client, "alice")
    pdf = client.get(urls[1])
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == 'attachment; filename="CM-2027-000001.pdf"'
    assert pdf.content.startswith(b"%PDF")
    assert pdf.content == bytes(invoice.document.pdf)


def test_tr1_staff_open_a_members_invoice_only_once_their_second_factor_is_verified(
    pro: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    """The staff password alone is not a staff right: 403 until the TOTP code is given, then 200."""
    from django_otp.oath import totp

    invoice = _issued_invoice(UserFactory(username="alice"), pro, django_capture_on_commit_callbacks)
    urls = [f"/account/billing/invoices/{invoice.pk}/", f"/account/billing/invoices/{invoice.pk}/pdf/"]
    staff = StaffFactory(username="root")
    device = accounts_services.staff_totp_device_create(user=staff)
    client = Client()
    log_in(client, "root")

    half = [client.get(url).status_code for url in urls]
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    client.post("/accounts/staff/verify/", {"token": code, "next": "/staff/"})
    whole = [client.get(url).status_code for url in urls]

    assert (half, whole) == ([403, 403], [200, 200])


def test_tm6_bank_transfer_details_are_shown_on_the_invoice_page_only(
    client: Client, pro: Plan, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.BILLING_IBAN = "FR76 3000 6000 0112 3456 7890 189"
    settings.BILLING_BIC = "AGRIFRPP"
    alice = UserFactory(username="alice")
    invoice = _issued_invoice(alice, pro, django_capture_on_commit_callbacks)
    log_in(client, "alice")

    page = client.get(f"/account/billing/invoices/{invoice.pk}/").content.decode()

    assert "FR76 3000 6000 0112 3456 7890 189" in page
    assert "Référence à indiquer : <strong>CM-2027-000001</strong>" in page
    assert "Payer par carte" not in page  # no Stripe key configured
    assert all("FR76" not in email.body for email in mail.outbox)


def test_tm6_members_update_the_buyer_details_of_future_invoices(client: Client) -> None:
    UserFactory(username="alice")
    log_in(client, "alice")

    response = client.post("/account/billing/", {"billing_name": "ACME SAS", "billing_address": "1 rue X"})

    assert response.status_code == 302
    customer = Customer.objects.get(user__username="alice")
    assert (customer.billing_name, customer.billing_address) == ("ACME SAS", "1 rue X")


# /account/history/ (PV-3) ---------------------------------------------------------------------------------


def test_pv3_the_member_sees_their_registration_history_in_a_fixed_number_of_queries(
    client: Client, pro: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    alice = UserFactory(username="alice")
    _issued_invoice(alice, pro, django_capture_on_commit_callbacks)
    log_in(client, "alice")
    few, response = _queries(client, "/account/history/")
    page = response.content.decode()
    for _n in range(5):
        services.subscription_extend(holder=alice, plan=pro, actor=alice)
    services.subscription_grant(
        holder=alice,
        access_level=AccessLevel.EXPERT,
        starts_at=T0,
        ends_at=T0 + timedelta(days=3),
        actor=StaffFactory(),
        reason="x",
    )
    many, response = _queries(client, "/account/history/")
    more = response.content.decode()

    assert "Abonnement souscrit" in page and "Facture émise" in page and "CM-2027-000001" in page
    assert more.count("Abonnement prolongé") == 5
    assert "Accès offert par l&#x27;équipe" in more
    assert many == few


def test_pv3_staff_see_the_same_history(client: Client, pro: Plan, django_capture_on_commit_callbacks: Any) -> None:
    from django_otp.oath import totp

    alice = UserFactory(username="alice")
    _issued_invoice(alice, pro, django_capture_on_commit_callbacks)
    staff = StaffFactory(username="root")
    device = accounts_services.staff_totp_device_create(user=staff)
    log_in(client, "root")
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    client.post("/accounts/staff/verify/", {"token": code, "next": "/staff/"})
    customer = Customer.objects.get(user=alice)

    page = client.get(f"/staff/billing/customer/{customer.pk}/history/")

    assert page.status_code == 200
    assert "Facture émise" in page.content.decode() and "CM-2027-000001" in page.content.decode()


def test_tm6_the_account_page_leads_to_billing_and_history(client: Client) -> None:
    UserFactory(username="alice")
    log_in(client, "alice")

    page = client.get("/account/").content.decode()

    assert 'href="/account/billing/"' in page and 'href="/account/history/"' in page
