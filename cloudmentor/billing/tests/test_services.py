"""The "Abonnements et Paiements" terms, sentence by sentence, at the service level (TM-4, TM-6..8, PV-3, PV-8, CK-4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import AccountEvent, AccountSession, User
from cloudmentor.accounts.tests.factories import StaffFactory, UserFactory
from cloudmentor.billing import selectors, services
from cloudmentor.billing.exceptions import AccountDisabled, ChangeNotAllowed, InvoiceNotPayable, PlanNotAvailable
from cloudmentor.billing.models import AccessLevel, BillingEvent, Invoice, Payment, Plan, Subscription
from cloudmentor.billing.periods import add_months

from .factories import PlanFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.fixture
def member() -> User:
    return UserFactory(username="alice", email="alice@example.org")


@pytest.fixture
def pro_3_months() -> Plan:
    return PlanFactory(slug="pro-3", name="Pro 3 mois", price=Decimal("49.00"), duration_months=3)


def buy(member: User, plan: Plan, at: datetime = T0, capture: Any = None) -> Subscription:
    with time_machine.travel(at, tick=False):
        return services.subscription_purchase(holder=member, plan=plan, actor=member)


def run(at: datetime, capture: Any) -> services.BillingRunReport:
    with time_machine.travel(at, tick=False), capture(execute=True):
        return services.billing_run()


# "Une fois votre compte créé …" — the account is usable at once (TM-6) ------------------------


def test_tm6_a_paid_plan_opens_its_level_at_once_and_schedules_an_invoice(member: User, pro_3_months: Plan) -> None:
    """Nothing is to pay before using the account: the level is open now, the invoice comes later."""
    subscription = buy(member, pro_3_months)

    with time_machine.travel(T0 + SECOND, tick=False):
        assert selectors.user_access_level(user=member) == AccessLevel.PRO
    invoice = Invoice.objects.get()
    assert invoice.status == Invoice.Status.DRAFT
    assert invoice.scheduled_at == T0 + timedelta(days=3)
    assert (subscription.starts_at, subscription.ends_at) == (T0, add_months(T0, 3))
    assert mail.outbox == []


def test_tm6_a_free_plan_needs_no_invoice(member: User) -> None:
    free = PlanFactory(price=Decimal("0.00"), access_level=AccessLevel.FREE, duration_months=12)

    buy(member, free)

    assert Subscription.objects.get().price == Decimal("0.00")
    assert not Invoice.objects.exists()


def test_ck4_the_validity_end_is_the_end_of_the_paid_up_periods(member: User, pro_3_months: Plan) -> None:
    """The account's end (cookie lifetime, entitlements) follows every period added."""
    first = buy(member, pro_3_months)
    member.refresh_from_db()
    assert member.access_ends_at == first.ends_at

    second = buy(member, PlanFactory(duration_months=12), at=T0 + timedelta(days=10))

    member.refresh_from_db()
    assert member.access_ends_at == second.ends_at == add_months(first.ends_at, 12)
    assert accounts_services.session_expiry_for(user=member) == second.ends_at


# "… vous recevrez plus tard (avant l'expiration de votre compte) un email …" -----------------


def test_tm6_the_invoice_is_issued_invoice_delay_days_after_purchase_not_a_second_before(
    member: User, pro_3_months: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    buy(member, pro_3_months)
    issue_at = T0 + timedelta(days=3)

    before = run(issue_at - SECOND, django_capture_on_commit_callbacks)
    assert (before.issued, Invoice.objects.get().status, len(mail.outbox)) == (0, Invoice.Status.DRAFT, 0)

    after = run(issue_at + SECOND, django_capture_on_commit_callbacks)

    invoice = Invoice.objects.get()
    assert after.issued == 1
    assert invoice.status == Invoice.Status.OPEN
    assert invoice.number == "CM-2027-000001"
    assert invoice.issued_at == issue_at + SECOND
    assert invoice.issued_at < add_months(T0, 3)  # before the account expires
    assert BillingEvent.objects.filter(kind=BillingEvent.Kind.INVOICE_ISSUED, invoice=invoice).count() == 1


def test_tm6_the_email_only_announces_the_invoice_and_asks_to_log_in_to_pay(
    member: User, pro_3_months: Plan, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """ "L'e-mail vous alertera simplement de la disponibilité de votre facture": no payment form or link."""
    settings.BILLING_IBAN = "FR76 3000 6000 0112 3456 7890 189"
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    buy(member, pro_3_months)

    run(T0 + timedelta(days=3, seconds=1), django_capture_on_commit_callbacks)

    (email,) = mail.outbox
    body = email.body + "".join(str(part[0]) for part in getattr(email, "alternatives", []))
    assert email.to == ["alice@example.org"]
    assert "CM-2027-000001" in email.subject
    assert "Connectez-vous" in body
    assert "http://127.0.0.1:8000/accounts/login/?next=%2Faccount%2Fbilling%2F" in body
    for forbidden in ("checkout", "stripe", "FR76", "IBAN", "<form", "/account/billing/invoices/", "carte"):
        assert forbidden.lower() not in body.lower(), forbidden


def test_tm6_the_email_follows_the_member_language(pro_3_months: Plan, django_capture_on_commit_callbacks: Any) -> None:
    english = UserFactory(language="en")
    buy(english, pro_3_months)

    run(T0 + timedelta(days=4), django_capture_on_commit_callbacks)

    assert mail.outbox[0].subject == "Your invoice CM-2027-000001 is available"
    assert "/en/accounts/login/" in mail.outbox[0].body


def test_tm6_delays_are_settings_read_at_call_time(
    member: User, pro_3_months: Plan, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.BILLING_INVOICE_DELAY_DAYS = 5
    settings.BILLING_PAYMENT_TERMS_DAYS = 10
    buy(member, pro_3_months)

    run(T0 + timedelta(days=5), django_capture_on_commit_callbacks)

    invoice = Invoice.objects.get()
    assert invoice.issued_at == T0 + timedelta(days=5)
    assert invoice.due_at == T0 + timedelta(days=15)


# "Vous aurez une date limite pour effectuer le paiement." -------------------------------------


def test_tm6_the_due_date_is_payment_terms_after_issue_and_never_after_the_validity_end(
    member: User, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    monthly = PlanFactory(duration_months=1, price=Decimal("19.00"))
    buy(member, monthly)
    run(T0 + timedelta(days=3), django_capture_on_commit_callbacks)
    assert Invoice.objects.get().due_at == T0 + timedelta(days=3 + 14)

    settings.BILLING_PAYMENT_TERMS_DAYS = 60
    other = UserFactory()
    buy(other, monthly)
    run(T0 + timedelta(days=3), django_capture_on_commit_callbacks)

    assert Invoice.objects.get(customer__user=other).due_at == add_months(T0, 1)


def test_tm6_invoice_details_seller_buyer_line_vat_total_dates(
    member: User, pro_3_months: Plan, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.BILLING_SELLER_NAME = "CloudMentor SAS"
    settings.BILLING_SELLER_ADDRESS = "1 rue du Cloud, 75001 Paris"
    settings.BILLING_SELLER_SIRET = "123 456 789 00012"
    member.first_name, member.last_name = "Alice", "Martin"
    member.save()
    services.customer_details_update(
        customer=services.customer_for_user(user=member), billing_name="", billing_address="2 avenue Data\nLyon"
    )
    buy(member, pro_3_months)

    run(T0 + timedelta(days=3), django_capture_on_commit_callbacks)

    invoice = Invoice.objects.get()
    assert invoice.seller["name"] == "CloudMentor SAS"
    assert invoice.seller["siret"] == "123 456 789 00012"
    assert invoice.buyer == {
        "name": "Alice Martin",
        "username": "alice",
        "email": "alice@example.org",
        "address": "2 avenue Data\nLyon",
        "language": "fr",
    }
    assert invoice.line_description == "Abonnement Pro 3 mois, du 01/03/2027 au 01/06/2027"
    assert (invoice.amount_net, invoice.vat_amount, invoice.amount_total) == (
        Decimal("49.00"),
        Decimal("0.00"),
        Decimal("49.00"),
    )
    assert invoice.vat_mention == "TVA non applicable, art. 293 B du CGI"
    assert invoice.currency == "EUR"


def test_tm6_with_a_vat_rate_the_total_is_split_into_net_and_vat(
    member: User, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.BILLING_VAT_RATE = "0.20"
    buy(member, PlanFactory(price=Decimal("119.00")))

    run(T0 + timedelta(days=3), django_capture_on_commit_callbacks)

    invoice = Invoice.objects.get()
    assert (invoice.amount_net, invoice.vat_amount, invoice.amount_total) == (
        Decimal("99.17"),
        Decimal("19.83"),
        Decimal("119.00"),
    )
    assert invoice.vat_rate == Decimal("0.2000")
    assert invoice.vat_mention == ""


def test_tm6_the_pdf_is_rendered_once_and_never_changes(
    member: User, pro_3_months: Plan, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    buy(member, pro_3_months)
    run(T0 + timedelta(days=3), django_capture_on_commit_callbacks)
    invoice = Invoice.objects.get()
    first = invoice.document  # rendered by the task queued at issue

    settings.BILLING_SELLER_NAME = "Someone else"
    pro_3_months.name = "Renamed"
    pro_3_months.save()
    again = services.invoice_pdf_render(invoice_id=invoice.pk)

    assert again is not None
    assert bytes(first.pdf).startswith(b"%PDF")
    assert bytes(again.pdf) == bytes(first.pdf)
    assert again.sha256 == first.sha256


def test_tm6_invoice_numbers_are_gapless_per_year_and_restart_in_january(
    pro_3_months: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    december = datetime(2027, 12, 20, 12, 0, tzinfo=UTC)
    for _n in range(3):
        buy(UserFactory(), pro_3_months, at=december)
    run(december + timedelta(days=3), django_capture_on_commit_callbacks)
    for _n in range(2):
        buy(UserFactory(), pro_3_months, at=december + timedelta(days=10))
    run(december + timedelta(days=13), django_capture_on_commit_callbacks)

    numbers = sorted(Invoice.objects.values_list("number", flat=True))

    assert numbers == ["CM-2027-000001", "CM-2027-000002", "CM-2027-000003", "CM-2028-000001", "CM-2028-000002"]


# "Si ce n'est pas fait avant la date limite, votre compte sera désactivé sans aucune notification" --


def _issued(member: User, plan: Plan, capture: Any) -> Invoice:
    buy(member, plan)
    run(T0 + timedelta(days=3), capture)
    mail.outbox.clear()
    return Invoice.objects.get(customer__user=member)


def test_tm6_past_the_due_date_an_unpaid_account_is_disabled_without_email_and_its_sessions_end(
    member: User, pro_3_months: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    invoice = _issued(member, pro_3_months, django_capture_on_commit_callbacks)
    AccountSession.objects.create(session_key="k" * 32, user=member, expire_date=T0 + timedelta(days=60))
    assert invoice.due_at is not None

    before = run(invoice.due_at - SECOND, django_capture_on_commit_callbacks)
    member.refresh_from_db()
    assert (before.disabled, member.is_active) == (0, True)

    after = run(invoice.due_at + SECOND, django_capture_on_commit_callbacks)

    member.refresh_from_db()
    assert (after.disabled, member.is_active) == (1, False)
    assert not AccountSession.objects.filter(user=member).exists()
    event = AccountEvent.objects.get(user=member, kind=AccountEvent.Kind.DISABLED)
    assert event.reason == "Facture CM-2027-000001 impayée à l'échéance"
    assert event.actor is None
    assert mail.outbox == []  # "sans aucune notification"


def test_tm6_a_paid_invoice_never_disables_the_account(
    member: User, pro_3_months: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    invoice = _issued(member, pro_3_months, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.invoice_record_payment(
            invoice=invoice, amount=Decimal("49.00"), currency="EUR", reference="VIR-1", actor=StaffFactory()
        )
    assert invoice.due_at is not None

    report = run(invoice.due_at + timedelta(days=1), django_capture_on_commit_callbacks)

    member.refresh_from_db()
    assert (report.disabled, member.is_active) == (0, True)


def test_tm6_a_disabled_member_cannot_log_in_and_is_told_to_contact_support(
    member: User, pro_3_months: Plan, django_capture_on_commit_callbacks: Any, client: Any
) -> None:
    invoice = _issued(member, pro_3_months, django_capture_on_commit_callbacks)
    assert invoice.due_at is not None
    run(invoice.due_at + SECOND, django_capture_on_commit_callbacks)

    from .conftest import submit

    response = submit(client, "/accounts/login/", {"identifier": "alice", "password": "a long enough passphrase"})

    assert response.status_code == 403
    assert "contactez l'assistance par e-mail" in response.content.decode()
    assert "cm_account" not in response.cookies or response.cookies["cm_account"].value == ""


def test_tm6_staff_record_a_late_payment_and_re_enable_the_account(
    member: User, pro_3_months: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    invoice = _issued(member, pro_3_months, django_capture_on_commit_callbacks)
    assert invoice.due_at is not None
    run(invoice.due_at + SECOND, django_capture_on_commit_callbacks)
    staff = StaffFactory()

    with (
        time_machine.travel(invoice.due_at + timedelta(days=2), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        payment = services.invoice_record_payment(
            invoice=invoice,
            amount=Decimal("49.00"),
            currency="EUR",
            reference="VIR-2027-77",
            actor=staff,
            reenable=True,
            reason="virement reçu en retard",
        )

    member.refresh_from_db()
    invoice.refresh_from_db()
    assert member.is_active
    assert invoice.status == Invoice.Status.PAID
    assert (payment.provider, payment.status, payment.recorded_by) == ("manual", "succeeded", staff)
    assert AccountEvent.objects.get(user=member, kind=AccountEvent.Kind.ENABLED).reason == "virement reçu en retard"
    # One email says both: the payment arrived and the account is open again (BZ-4).
    assert [email.subject for email in mail.outbox] == ["Paiement reçu : votre compte CloudMentor@Scale est réactivé"]


def test_tm6_a_staff_re_enable_is_not_undone_by_the_next_billing_run(
    member: User, pro_3_months: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    invoice = _issued(member, pro_3_months, django_capture_on_commit_callbacks)
    assert invoice.due_at is not None
    run(invoice.due_at + SECOND, django_capture_on_commit_callbacks)
    accounts_services.user_enable(user=member, actor=StaffFactory(), reason="paiement promis")

    report = run(invoice.due_at + timedelta(hours=2), django_capture_on_commit_callbacks)

    member.refresh_from_db()
    assert (report.disabled, member.is_active) == (0, True)


def test_tm6_the_billing_run_is_idempotent(
    member: User, pro_3_months: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    buy(member, pro_3_months)
    at = T0 + timedelta(days=3)

    first = run(at, django_capture_on_commit_callbacks)
    second = run(at + timedelta(hours=1), django_capture_on_commit_callbacks)

    assert (first.issued, second.issued) == (1, 0)
    assert Invoice.objects.filter(status=Invoice.Status.OPEN).count() == 1
    assert len(mail.outbox) == 1
    assert BillingEvent.objects.filter(kind=BillingEvent.Kind.INVOICE_ISSUED).count() == 1


def test_tm6_a_disabled_member_gets_no_invoice_email(
    member: User, pro_3_months: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    """A disabled member is only ever told to contact support: the invoice is issued silently."""
    buy(member, pro_3_months)
    accounts_services.user_disable(user=member, actor=None, reason="test")

    run(T0 + timedelta(days=3), django_capture_on_commit_callbacks)

    assert Invoice.objects.get().status == Invoice.Status.OPEN
    assert mail.outbox == []


# "Nous n'offrons pas de remboursement … Le coût de l'abonnement est fixe pour la durée du service." (TM-7)


def test_tm7_a_plan_price_change_never_alters_an_existing_subscription_or_invoice(
    member: User, pro_3_months: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    subscription = buy(member, pro_3_months)
    pro_3_months.price = Decimal("79.00")
    pro_3_months.access_level = AccessLevel.EXPERT
    pro_3_months.save()

    run(T0 + timedelta(days=3), django_capture_on_commit_callbacks)

    subscription.refresh_from_db()
    invoice = Invoice.objects.get()
    assert (subscription.price, subscription.access_level) == (Decimal("49.00"), AccessLevel.PRO)
    assert invoice.amount_total == Decimal("49.00")


def test_tm7_the_price_may_change_at_renewal(member: User, pro_3_months: Plan) -> None:
    """ "Le coût d'un abonnement peut changer lors du renouvellement.\""""
    buy(member, pro_3_months)
    pro_3_months.price = Decimal("59.00")
    pro_3_months.save()

    renewal = buy(member, pro_3_months, at=T0 + timedelta(days=30))

    assert renewal.price == Decimal("59.00")
    assert Invoice.objects.get(subscription=renewal).amount_total == Decimal("59.00")


def test_tm7_nothing_refunds_a_paid_invoice(
    member: User, pro_3_months: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    from cloudmentor.billing.providers import stripe_checkout

    invoice = _issued(member, pro_3_months, django_capture_on_commit_callbacks)
    staff = StaffFactory()
    services.invoice_record_payment(invoice=invoice, amount=Decimal("49.00"), currency="EUR", reference="", actor=staff)

    with pytest.raises(InvoiceNotPayable):
        services.invoice_void(invoice=invoice, actor=staff, reason="geste commercial")

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert "refund" not in " ".join(dir(services)).lower()
    assert "refund" not in " ".join(dir(stripe_checkout)).lower()
    assert "refund" not in " ".join(value for value, _label in Payment.Status.choices)
    assert "refund" not in " ".join(value for value, _label in Invoice.Status.choices)


def test_tm6_staff_cancel_an_invoice_not_issued_yet_it_takes_no_number_and_is_never_sent(
    member: User, pro_3_months: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    buy(member, pro_3_months)
    draft = Invoice.objects.get()
    staff = StaffFactory()

    services.invoice_void(invoice=draft, actor=staff, reason="offert par le commercial")
    report = run(T0 + timedelta(days=3), django_capture_on_commit_callbacks)

    draft.refresh_from_db()
    assert draft.status == Invoice.Status.VOID and draft.number is None and draft.issued_at is None
    assert not mail.outbox
    assert report.issued == 0
    assert list(selectors.invoice_list(user=member)) == []
    assert BillingEvent.objects.filter(
        kind=BillingEvent.Kind.INVOICE_VOIDED, detail="offert par le commercial"
    ).exists()


# "Vous pouvez prolonger votre période d'abonnement … sur la page d'inscription" (TM-8) -----------


def test_tm8_an_extension_starts_at_the_current_validity_end(member: User, pro_3_months: Plan) -> None:
    current = buy(member, pro_3_months)
    yearly = PlanFactory(duration_months=12, price=Decimal("99.00"), access_level=AccessLevel.ESSENTIAL)

    with time_machine.travel(T0 + timedelta(days=20), tick=False):
        extension = services.subscription_extend(holder=member, plan=yearly, actor=member)

    assert extension.starts_at == current.ends_at
    assert extension.ends_at == add_months(current.ends_at, 12)
    assert (extension.source, extension.price) == (Subscription.Source.EXTENSION, Decimal("99.00"))
    assert Invoice.objects.filter(subscription=extension).count() == 1
    # the running plan is untouched: "une fois abonné à un plan, vous ne pouvez pas le modifier"
    current.refresh_from_db()
    assert (current.plan, current.ends_at, current.access_level) == (pro_3_months, add_months(T0, 3), AccessLevel.PRO)


def test_tm8_an_expired_account_extends_from_now(member: User, pro_3_months: Plan) -> None:
    buy(member, pro_3_months)
    later = add_months(T0, 5)

    with time_machine.travel(later, tick=False):
        extension = services.subscription_extend(holder=member, plan=pro_3_months, actor=member)

    assert extension.starts_at == later


def test_tm8_a_disabled_account_cannot_extend(member: User, pro_3_months: Plan) -> None:
    accounts_services.user_disable(user=member, actor=None, reason="impayé")

    with pytest.raises(AccountDisabled):
        services.subscription_extend(holder=member, plan=pro_3_months, actor=member)

    assert not Subscription.objects.exists()


def test_tm8_only_plans_on_sale_and_of_the_account_kind_can_be_bought(member: User) -> None:
    with pytest.raises(PlanNotAvailable):
        services.subscription_extend(holder=member, plan=PlanFactory(is_purchasable=False), actor=member)
    with pytest.raises(PlanNotAvailable):
        services.subscription_extend(holder=member, plan=PlanFactory(kind=Plan.Kind.GROUP, seats=10), actor=member)


def test_tm8_staff_move_a_running_subscription_to_a_longer_duration(
    member: User, pro_3_months: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    current = buy(member, pro_3_months)
    pro_12 = PlanFactory(slug="pro-12", name="Pro 12 mois", duration_months=12, price=Decimal("149.00"))
    staff = StaffFactory()

    with time_machine.travel(T0 + timedelta(days=10), tick=False), django_capture_on_commit_callbacks(execute=True):
        added = services.subscription_change_duration(
            subscription=current, plan=pro_12, actor=staff, reason="demande du 10 mars", invoice_difference=False
        )

    member.refresh_from_db()
    current.refresh_from_db()
    assert (added.source, added.changed_from, added.price) == (Subscription.Source.STAFF_CHANGE, current, Decimal("0"))
    assert (added.starts_at, added.ends_at) == (current.ends_at, add_months(current.ends_at, 9))
    assert member.access_ends_at == added.ends_at
    assert current.price == Decimal("49.00")  # the bought period is not rewritten
    event = BillingEvent.objects.get(kind=BillingEvent.Kind.STAFF_CHANGED)
    assert (event.actor, event.subscription) == (staff, added)
    assert "demande du 10 mars" in event.detail
    assert not Invoice.objects.filter(subscription=added).exists()


def test_tm8_staff_may_invoice_the_difference_at_once(
    member: User, pro_3_months: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    current = buy(member, pro_3_months)
    pro_12 = PlanFactory(duration_months=12, price=Decimal("149.00"))

    with time_machine.travel(T0 + timedelta(days=10), tick=False), django_capture_on_commit_callbacks(execute=True):
        added = services.subscription_change_duration(
            subscription=current, plan=pro_12, actor=StaffFactory(), reason="", invoice_difference=True
        )

    invoice = Invoice.objects.get(subscription=added)
    assert (invoice.status, invoice.amount_total, invoice.number) == (
        Invoice.Status.OPEN,
        Decimal("100.00"),
        "CM-2027-000001",
    )
    assert "changement de durée" in invoice.line_description
    assert len(mail.outbox) == 1


def test_tm8_staff_cannot_shorten_or_change_an_ended_subscription(member: User, pro_3_months: Plan) -> None:
    current = buy(member, pro_3_months)
    monthly = PlanFactory(duration_months=1)
    with pytest.raises(ChangeNotAllowed):
        services.subscription_change_duration(
            subscription=current, plan=monthly, actor=None, reason="", invoice_difference=False
        )
    with time_machine.travel(add_months(T0, 4), tick=False), pytest.raises(ChangeNotAllowed):
        services.subscription_change_duration(
            subscription=current, plan=PlanFactory(duration_months=12), actor=None, reason="", invoice_difference=False
        )


# "Nous pouvons décider d'offrir un accès gratuit individuel à n'importe quel niveau" (TM-4) -------


def test_tm4_staff_grant_free_access_at_any_level_for_a_period(member: User) -> None:
    staff = StaffFactory()
    ends = T0 + timedelta(days=30)

    with time_machine.travel(T0, tick=False):
        grant = services.subscription_grant(
            holder=member, access_level=AccessLevel.EXPERT, starts_at=T0, ends_at=ends, actor=staff, reason="mentor"
        )

    member.refresh_from_db()
    assert (grant.price, grant.source, grant.plan, grant.created_by) == (Decimal("0"), "grant", None, staff)
    assert not Invoice.objects.exists()
    assert member.access_ends_at == ends
    with time_machine.travel(ends - SECOND, tick=False):
        assert selectors.user_access_level(user=member) == AccessLevel.EXPERT
    with time_machine.travel(ends + SECOND, tick=False):
        assert selectors.user_access_level(user=member) == AccessLevel.FREE
    event = BillingEvent.objects.get(kind=BillingEvent.Kind.GRANTED)
    assert (event.actor, event.detail) == (staff, "mentor")


def test_tm4_the_highest_current_level_wins(member: User, pro_3_months: Plan) -> None:
    buy(member, pro_3_months)
    services.subscription_grant(
        holder=member,
        access_level=AccessLevel.ESSENTIAL,
        starts_at=T0,
        ends_at=T0 + timedelta(days=300),
        actor=None,
        reason="",
    )

    with time_machine.travel(T0 + timedelta(days=10), tick=False):
        assert selectors.user_access_level(user=member) == AccessLevel.PRO
    with time_machine.travel(add_months(T0, 3) + SECOND, tick=False):
        assert selectors.user_access_level(user=member) == AccessLevel.ESSENTIAL


def test_access_level_for_visitors_staff_and_members_without_periods(member: User) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert selectors.user_access_level(user=None) == AccessLevel.FREE
    assert selectors.user_access_level(user=AnonymousUser()) == AccessLevel.FREE
    assert selectors.user_access_level(user=member) == AccessLevel.FREE
    staff = StaffFactory()
    assert selectors.user_access_level(user=staff) == AccessLevel.FREE  # the password alone grants nothing (TR-1)
    staff.is_verified = lambda: True  # what django-otp's middleware sets once the TOTP code is given
    assert selectors.user_access_level(user=staff) == AccessLevel.EXPERT


# Registration history (PV-3) and nothing deleted at expiry (PV-8) ------------------------------


def test_pv3_every_subscription_event_is_a_history_row(
    pro_3_months: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    """Registration, purchase, extension, grant, staff change, invoice issued and paid, disabled,
    re-enabled and period ended: one row each, for the member and for staff."""
    with time_machine.travel(T0, tick=False):
        member = accounts_services.user_register(
            username="carol",
            email="carol@example.org",
            password="a long enough passphrase",
            terms_version=1,
            newsletter_opt_in=False,
            language="fr",
        )
    staff = StaffFactory()
    first = buy(member, pro_3_months)
    run(T0 + timedelta(days=3), django_capture_on_commit_callbacks)
    invoice = Invoice.objects.get()
    assert invoice.due_at is not None
    run(invoice.due_at + SECOND, django_capture_on_commit_callbacks)  # disabled
    with time_machine.travel(invoice.due_at + timedelta(days=1), tick=False):
        services.invoice_record_payment(
            invoice=invoice, amount=Decimal("49.00"), currency="EUR", reference="V1", actor=staff, reenable=True
        )
        services.subscription_extend(holder=member, plan=PlanFactory(price=Decimal("0.00")), actor=member)
        services.subscription_grant(
            holder=member,
            access_level=AccessLevel.EXPERT,
            starts_at=timezone.now(),
            ends_at=timezone.now() + timedelta(days=7),
            actor=staff,
            reason="événement",
        )
        services.subscription_change_duration(
            subscription=first,
            plan=PlanFactory(duration_months=6),
            actor=staff,
            reason="demande",
            invoice_difference=False,
        )
    run(add_months(T0, 3) + SECOND, django_capture_on_commit_callbacks)  # the first period ended

    labels = [row.label for row in selectors.history_for_user(user=member)]

    for expected in (
        "Inscription",
        "Abonnement souscrit",
        "Facture émise",
        "Compte désactivé",
        "Facture payée",
        "Compte réactivé",
        "Abonnement prolongé",
        "Accès offert par l'équipe",
        "Durée modifiée par l'équipe",
        "Période terminée",
    ):
        assert expected in labels, (expected, labels)
    assert "Connexion" not in labels  # logins are the account's activity, not its registration history


def test_pv8_nothing_is_deleted_when_an_account_expires(
    member: User, pro_3_months: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    subscription = buy(member, pro_3_months)
    password = member.password
    end = subscription.ends_at

    first = run(end + SECOND, django_capture_on_commit_callbacks)
    second = run(end + timedelta(days=400), django_capture_on_commit_callbacks)

    member.refresh_from_db()
    assert (member.username, member.email, member.password) == ("alice", "alice@example.org", password)
    assert (first.ended, second.ended) == (1, 0)
    assert Subscription.objects.filter(pk=subscription.pk).exists()
    assert BillingEvent.objects.filter(kind=BillingEvent.Kind.PERIOD_ENDED, subscription=subscription).count() == 1
    assert BillingEvent.objects.filter(customer__user=member).count() == 3  # purchased, issued, ended
    with time_machine.travel(end + SECOND, tick=False):
        assert selectors.user_access_level(user=member) == AccessLevel.FREE


def test_pv8_a_period_end_is_recorded_at_its_end_not_a_second_before(
    member: User, pro_3_months: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    subscription = buy(member, pro_3_months)

    assert run(subscription.ends_at - SECOND, django_capture_on_commit_callbacks).ended == 0
    with time_machine.travel(subscription.ends_at - SECOND, tick=False):
        assert selectors.user_access_level(user=member) == AccessLevel.PRO

    assert run(subscription.ends_at, django_capture_on_commit_callbacks).ended == 1
    event = BillingEvent.objects.get(kind=BillingEvent.Kind.PERIOD_ENDED)
    assert event.created_at == subscription.ends_at
