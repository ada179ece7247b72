"""Each time staff open a member's personal data, a record says who, whose, what and when (TR-2);
administrators read it in the staff site, the member on the account page and in the export (PV-9)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from cloudmentor.accounts.models import StaffAccess
from cloudmentor.accounts.tests.conftest import csrf_post, log_in
from cloudmentor.accounts.tests.factories import PASSWORD
from cloudmentor.learning.models import Certificate, Course
from cloudmentor.operations.models import ContactMessage

from .staff_world import World, client_of

pytestmark = pytest.mark.django_db


def _records(world: World) -> list[tuple[str, str, str, str]]:
    return [
        (access.staff_username, access.roles, access.kind, access.reference)
        for access in StaffAccess.objects.filter(member=world.alice).order_by("pk")
    ]


def test_tr2_support_opening_a_member_s_account_requests_and_messages_is_recorded(world: World) -> None:
    assert log_in(Client(), "alice").status_code == 302  # a session of hers to find
    support = client_of("support")
    visitor = ContactMessage.objects.create(
        name="Victor", email="victor@example.net", subject="Question", message="Bonjour", language="fr"
    )

    support.get("/staff/accounts/user/")  # the list, not searched: the staff's queue, nobody looked at
    support.get("/staff/accounts/user/?q=alice")
    support.get(f"/staff/accounts/user/{world.alice.pk}/change/")
    support.get(f"/staff/accounts/user/{world.alice.pk}/change/")  # a reload: the same consultation
    support.get(f"/staff/statistics/members/{world.alice.pk}/requests/")
    support.get("/staff/accounts/accountsession/?q=alice")
    support.get(f"/staff/operations/contactmessage/{world.contact_id}/change/")
    support.get(f"/staff/operations/contactmessage/{visitor.pk}/change/")  # not a member: no one to tell

    assert _records(world) == [
        ("sue", "Support", "member_search", ""),
        ("sue", "Support", "profile", ""),
        ("sue", "Support", "request_log", ""),
        ("sue", "Support", "sessions", ""),
        ("sue", "Support", "contact_message", f"#{world.contact_id}"),
    ]
    assert StaffAccess.objects.count() == 5


def test_tr2_billing_opening_invoices_and_their_pdf_is_recorded(world: World) -> None:
    billing = client_of("billing")
    number = str(world.invoice.number)

    billing.get(f"/staff/billing/invoice/{world.invoice.pk}/change/")
    billing.get(f"/account/billing/invoices/{world.invoice.pk}/")
    pdf = billing.get(f"/account/billing/invoices/{world.invoice.pk}/pdf/")
    billing.get(f"/staff/billing/customer/{world.customer_id}/change/")
    billing.get(f"/staff/billing/customer/{world.customer_id}/history/")

    assert pdf.status_code == 200
    assert _records(world) == [
        ("bob", "Facturation", "invoice", number),
        ("bob", "Facturation", "invoice_pdf", number),
        ("bob", "Facturation", "billing", ""),
        ("bob", "Facturation", "billing", "history"),
    ]


def test_tr2_the_member_reading_her_own_data_is_not_a_staff_access(world: World, client: Client) -> None:
    assert log_in(client, "alice").status_code == 302

    client.get(f"/account/billing/invoices/{world.invoice.pk}/")
    client.get(f"/account/billing/invoices/{world.invoice.pk}/pdf/")

    assert _records(world) == []


def test_tr2_the_member_sees_who_consulted_her_data_on_the_account_page_and_in_the_export(
    world: World, client: Client
) -> None:
    support = client_of("support")
    support.get(f"/staff/statistics/members/{world.alice.pk}/requests/")
    billing = client_of("billing")
    billing.get(f"/account/billing/invoices/{world.invoice.pk}/pdf/")
    assert log_in(client, "alice").status_code == 302

    french = client.get("/account/").content.decode()
    english = client.get("/en/account/").content.decode()
    export = csrf_post(client, "/account/data/", {"password": PASSWORD})
    document = json.loads(b"".join(export.streaming_content))

    assert "Qui a consulté mes données" in french
    assert "Votre journal des requêtes" in french and "Le PDF d&#x27;une facture" in french
    assert "Support" in french and "Facturation" in french
    assert "sue" not in french and "bob" not in french  # a role, never a name
    assert "Who has looked at my data" in english and "Your request log" in english and "Billing" in english
    rows = document["sections"]["accounts"]["staff_accesses"]
    assert [(row["what"], row["by_role"]) for row in rows] == [
        ("request_log", "Support"),
        ("invoice_pdf", "Facturation"),
    ]


def test_tr2_administrators_read_the_record_in_the_staff_site(world: World) -> None:
    client_of("support").get(f"/staff/accounts/user/{world.alice.pk}/change/")
    administrator = client_of("administrator")

    listing = administrator.get("/staff/accounts/staffaccess/?q=alice")

    assert listing.status_code == 200
    body = listing.content.decode()
    assert "sue" in body and "Fiche de votre compte" in body


def test_tr2_support_opening_a_member_s_certificate_is_recorded(world: World) -> None:
    certificate = Certificate.objects.create(
        user=world.alice,
        course=Course.objects.get(slug="claire-course"),
        holder_name="Alice Martin",
        course_title="Le cours de Claire",
        pdf=b"%PDF-1.4",
    )
    support = client_of("support")

    page = support.get(f"/staff/learning/certificate/{certificate.pk}/change/")
    after_page = _records(world)
    download = support.get(f"/learn/certificates/{certificate.code}.pdf")

    assert page.status_code == 200 and download.status_code == 200
    assert after_page == [("sue", "Support", "certificate", certificate.code)]
    assert _records(world) == after_page  # the download within the same consultation is not counted twice
