"""Credit notes (avoirs) and issued documents that never change (BZ-3, TM-6, TM-7, PV-3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test import Client

from cloudmentor.accounts.models import User
from cloudmentor.accounts.tests.factories import StaffFactory, UserFactory
from cloudmentor.billing import selectors, services
from cloudmentor.billing.exceptions import InvoiceNotPayable, IssuedDocumentChanged
from cloudmentor.billing.models import BillingEvent, CreditNote, CreditNoteDocument, Invoice, Plan
from conftest import race

from .factories import PlanFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def member() -> User:
    return UserFactory(username="alice", email="alice@example.org")


@pytest.fixture
def plan() -> Plan:
    return PlanFactory(slug="pro-3", name="Pro 3 mois", price=Decimal("49.00"), duration_months=3)


def _issued(member: User, plan: Plan, capture: Any, at: datetime = T0) -> Invoice:
    with time_machine.travel(at, tick=False):
        services.subscription_purchase(holder=member, plan=plan, actor=member)
    with time_machine.travel(at + timedelta(days=3), tick=False), capture(execute=True):
        services.billing_run()
    mail.outbox.clear()
    return Invoice.objects.filter(customer__user=member).latest("pk")


def _void(invoice: Invoice, capture: Any, reason: str = "erreur de facturation") -> Invoice:
    with time_machine.travel(T0 + timedelta(days=5), tick=False), capture(execute=True):
        return services.invoice_void(invoice=invoice, actor=StaffFactory(), reason=reason)


def test_bz3_voiding_an_issued_invoice_issues_its_credit_note_with_pdf_and_email(
    member: User, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    """The avoir has its own number, cancels the whole invoice, is rendered once and sent to the buyer."""
    invoice = _issued(member, plan, django_capture_on_commit_callbacks)

    voided = _void(invoice, django_capture_on_commit_callbacks)

    note = CreditNote.objects.get()
    assert voided.status == Invoice.Status.VOID
    assert (note.invoice, note.number, note.year, note.sequence) == (invoice, "CM-AV-2027-000001", 2027, 1)
    assert (note.amount_total, note.amount_net, note.vat_amount, note.currency) == (
        Decimal("49.00"),
        Decimal("49.00"),
        Decimal("0.00"),
        "EUR",
    )
    assert note.buyer == invoice.buyer and note.seller["name"] == invoice.seller["name"]
    assert note.vat_mention == "TVA non applicable, art. 293 B du CGI"
    assert "CM-2027-000001" in note.line_description
    assert note.reason == "erreur de facturation"
    assert note.issued_at == T0 + timedelta(days=5)
    document = CreditNoteDocument.objects.get(credit_note=note)
    assert bytes(document.pdf).startswith(b"%PDF")
    assert [email.subject for email in mail.outbox] == [
        "Avoir CM-AV-2027-000001 : la facture CM-2027-000001 est annulée"
    ]
    body = mail.outbox[0].body
    assert mail.outbox[0].to == ["alice@example.org"]
    assert "49,00 EUR" in body
    assert f"/account/billing/credit-notes/{note.pk}/pdf/" in body
    assert BillingEvent.objects.filter(kind=BillingEvent.Kind.CREDIT_NOTE_ISSUED, invoice=invoice).count() == 1


def test_bz3_the_credit_note_pdf_is_drawn_from_what_was_recorded_in_the_buyer_language(
    plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    member = UserFactory(username="bob", email="bob@example.org", language="en")
    invoice = _issued(member, plan, django_capture_on_commit_callbacks)
    _void(invoice, django_capture_on_commit_callbacks)

    document = services.credit_note_pdf_render(credit_note_id=CreditNote.objects.get().pk)
    again = services.credit_note_pdf_render(credit_note_id=CreditNote.objects.get().pk)

    assert document is not None and again is not None and document.sha256 == again.sha256
    assert mail.outbox[0].subject == "Credit note CM-AV-2027-000001: invoice CM-2027-000001 is cancelled"


def test_bz3_voiding_twice_gives_one_credit_note_and_one_email(
    member: User, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    """A double click or a retried request changes nothing the second time (idempotent)."""
    invoice = _issued(member, plan, django_capture_on_commit_callbacks)

    first = _void(invoice, django_capture_on_commit_callbacks)
    second = _void(invoice, django_capture_on_commit_callbacks, reason="encore")

    assert first.pk == second.pk and second.status == Invoice.Status.VOID
    assert CreditNote.objects.count() == 1
    assert len(mail.outbox) == 1
    assert BillingEvent.objects.filter(kind=BillingEvent.Kind.INVOICE_VOIDED).count() == 1


def test_bz3_credit_notes_have_their_own_gapless_series_per_year(
    plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    """Avoirs never take invoice numbers; a void that fails leaves no hole in either series."""
    invoices = [_issued(UserFactory(), plan, django_capture_on_commit_callbacks) for _n in range(3)]

    _void(invoices[0], django_capture_on_commit_callbacks)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.invoice_void(invoice=invoices[1], actor=StaffFactory(), reason="x")
        raise RuntimeError  # the caller's transaction fails after the number was taken
    _void(invoices[2], django_capture_on_commit_callbacks)
    with time_machine.travel(datetime(2028, 1, 2, tzinfo=UTC), tick=False):
        next_year = services.invoice_void(invoice=invoices[1], actor=StaffFactory(), reason="x")

    numbers = list(CreditNote.objects.order_by("pk").values_list("number", flat=True))
    assert numbers == ["CM-AV-2027-000001", "CM-AV-2027-000002", "CM-AV-2028-000001"]
    assert next_year.credit_note.number == "CM-AV-2028-000001"
    assert sorted(Invoice.objects.values_list("sequence", flat=True)) == [1, 2, 3]


def test_bz3_voiding_a_draft_issues_no_credit_note(member: User, plan: Plan) -> None:
    """A draft never had a number: cancelling it needs no avoir."""
    with time_machine.travel(T0, tick=False):
        services.subscription_purchase(holder=member, plan=plan, actor=member)

    services.invoice_void(invoice=Invoice.objects.get(), actor=StaffFactory(), reason="offert")

    assert not CreditNote.objects.exists()
    assert mail.outbox == []


def test_tm7_a_paid_invoice_is_never_voided_nor_credited(
    member: User, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    invoice = _issued(member, plan, django_capture_on_commit_callbacks)
    services.invoice_record_payment(invoice=invoice, amount=Decimal("49.00"), currency="EUR", reference="V", actor=None)

    with pytest.raises(InvoiceNotPayable):
        services.invoice_void(invoice=invoice, actor=StaffFactory(), reason="geste")

    assert not CreditNote.objects.exists()


def test_bz3_an_issued_invoice_refuses_a_change_of_its_recorded_details(
    member: User, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    """The model refuses, and so does the database for writes that bypass the model."""
    invoice = _issued(member, plan, django_capture_on_commit_callbacks)

    invoice.amount_total = Decimal("1.00")
    with pytest.raises(IssuedDocumentChanged):
        invoice.save()
    invoice.refresh_from_db()
    invoice.buyer = {**invoice.buyer, "name": "Quelqu'un d'autre"}
    with pytest.raises(IssuedDocumentChanged):
        invoice.save(update_fields=["buyer"])
    for change in ({"amount_total": Decimal("1.00")}, {"number": "CM-2027-999999"}, {"due_at": T0}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Invoice.objects.filter(pk=invoice.pk).update(**change)

    invoice.refresh_from_db()
    assert (invoice.amount_total, invoice.number) == (Decimal("49.00"), "CM-2027-000001")


def test_bz3_an_issued_invoice_still_moves_from_open_to_paid_and_a_paid_one_never_back(
    member: User, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    invoice = _issued(member, plan, django_capture_on_commit_callbacks)
    services.invoice_record_payment(invoice=invoice, amount=Decimal("49.00"), currency="EUR", reference="V", actor=None)

    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.OPEN, paid_at=None)

    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID


def test_bz3_a_draft_can_still_be_changed_and_deleted(member: User, plan: Plan) -> None:
    """Only issued documents are frozen: a draft is not a document yet (erasure deletes drafts, PV-10)."""
    with time_machine.travel(T0, tick=False):
        services.subscription_purchase(holder=member, plan=plan, actor=member)
    draft = Invoice.objects.get()

    Invoice.objects.filter(pk=draft.pk).update(scheduled_at=T0 + timedelta(days=1))
    draft.delete()

    assert not Invoice.objects.exists()


def test_bz3_a_credit_note_never_changes_and_issued_documents_are_never_deleted(
    member: User, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    invoice = _issued(member, plan, django_capture_on_commit_callbacks)
    _void(invoice, django_capture_on_commit_callbacks)
    note = CreditNote.objects.get()

    note.reason = "autre motif"
    with pytest.raises(IssuedDocumentChanged):
        note.save()
    with pytest.raises(IssuedDocumentChanged):
        note.delete()
    with pytest.raises(IssuedDocumentChanged):
        Invoice.objects.get(pk=invoice.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditNote.objects.filter(pk=note.pk).update(amount_total=Decimal("1.00"))
    if connection.vendor == "postgresql":  # SQLite's test flush deletes rows: its guard is on updates only
        with pytest.raises(IntegrityError), transaction.atomic():
            CreditNote.objects.filter(pk=note.pk).delete()
        with pytest.raises(IntegrityError), transaction.atomic():
            Invoice.objects.filter(pk=invoice.pk).delete()

    assert CreditNote.objects.get().reason == "erreur de facturation"


def test_pv3_the_credit_note_is_in_the_member_history(
    member: User, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    invoice = _issued(member, plan, django_capture_on_commit_callbacks)
    _void(invoice, django_capture_on_commit_callbacks)

    labels = [row.label for row in selectors.history_for_user(user=member)]

    assert labels[:2] == ["Avoir émis", "Facture annulée"] or labels[:2] == ["Facture annulée", "Avoir émis"]


def test_bz3_the_member_downloads_the_credit_note_pdf_and_no_one_else_can(
    member: User, plan: Plan, django_capture_on_commit_callbacks: Any, client: Any
) -> None:
    from .conftest import log_in

    invoice = _issued(member, plan, django_capture_on_commit_callbacks)
    _void(invoice, django_capture_on_commit_callbacks)
    note = CreditNote.objects.get()
    url = f"/account/billing/credit-notes/{note.pk}/pdf/"
    UserFactory(username="mallory")

    log_in(client, "mallory")
    assert client.get(url).status_code == 403  # as for invoices (access_invoice)
    owner = Client()
    log_in(owner, "alice")
    response = owner.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="CM-AV-2027-000001.pdf"'
    assert response.content.startswith(b"%PDF")
    page = owner.get(f"/account/billing/invoices/{invoice.pk}/").content.decode()
    assert "par l'avoir CM-AV-2027-000001 : rien à payer" in page
    assert url in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_bz3_voids_racing_each_other_give_one_credit_note_per_invoice_and_gapless_numbers(plan: Plan) -> None:
    """Ten staff members voiding five invoices at once (each twice): five avoirs, numbered 1 to 5."""
    invoices = []
    for _n in range(5):
        user = UserFactory()
        services.subscription_purchase(holder=user, plan=plan, actor=user)
    services.invoice_issue_due(now=datetime.now(tz=UTC) + timedelta(days=4))
    invoices = list(Invoice.objects.order_by("pk"))
    staff = StaffFactory()

    results = race(10, lambda n: services.invoice_void(invoice=invoices[n % 5], actor=staff, reason="x"))

    assert all(isinstance(result, Invoice) for result in results), results
    assert sorted(CreditNote.objects.values_list("sequence", flat=True)) == [1, 2, 3, 4, 5]
    assert CreditNote.objects.values("invoice").distinct().count() == 5


@pytest.fixture
def staff_client(client: Client) -> Client:
    from django_otp.oath import totp

    from cloudmentor.accounts import services as accounts_services

    from .conftest import log_in

    staff = StaffFactory(username="root", email="root@cloudmentor.example")
    device = accounts_services.staff_totp_device_create(user=staff)
    log_in(client, "root")
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
    client.post("/accounts/staff/verify/", {"token": code, "next": "/staff/"})
    return client


def test_bz3_staff_void_an_issued_invoice_in_the_staff_site_and_read_its_credit_note_only(
    member: User, plan: Plan, staff_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """The void page issues the avoir; the avoir is read-only (no add, change nor delete), its PDF one click away."""
    invoice = _issued(member, plan, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            f"/staff/billing/invoice/{invoice.pk}/void/", {"reason": "erreur de prix"}, follow=True
        )

    note = CreditNote.objects.get()
    page = response.content.decode()
    assert "La facture est annulée par l&#x27;avoir CM-AV-" in page or "par l'avoir CM-AV-" in page
    assert f"/account/billing/credit-notes/{note.pk}/pdf/" in page
    listing = staff_client.get("/staff/billing/creditnote/")
    detail = staff_client.get(f"/staff/billing/creditnote/{note.pk}/change/")
    assert listing.status_code == detail.status_code == 200
    assert note.number in listing.content.decode()
    assert 'name="reason"' not in detail.content.decode() and "deletelink" not in detail.content.decode()
    assert staff_client.get("/staff/billing/creditnote/add/").status_code == 403
    assert staff_client.post(f"/staff/billing/creditnote/{note.pk}/delete/").status_code == 403
    assert staff_client.get(f"/account/billing/credit-notes/{note.pk}/pdf/").status_code == 200
    invoice_page = staff_client.get(f"/staff/billing/invoice/{invoice.pk}/change/").content.decode()
    assert 'name="amount_total"' not in invoice_page  # issued invoices are read-only in the staff site too


def test_pv9_the_member_data_file_holds_the_credit_notes(
    member: User, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    """Credit notes are in the billing part of the file; the reminders, like every email, in the emails' part."""
    invoice = _issued(member, plan, django_capture_on_commit_callbacks)
    _void(invoice, django_capture_on_commit_callbacks)
    subscription = invoice.subscription
    with time_machine.travel(subscription.ends_at - timedelta(days=3), tick=False):
        services.expiry_reminders_send()

    data = selectors.billing_export_for_user(user=member)

    assert [note["number"] for note in data["credit_notes"]] == ["CM-AV-2027-000001"]
    assert data["credit_notes"][0]["invoice"] == "CM-2027-000001"
    assert data["credit_notes"][0]["buyer"]["email"] == "alice@example.org"
    assert "reminders" not in data  # mailing exports the reminder emails themselves
