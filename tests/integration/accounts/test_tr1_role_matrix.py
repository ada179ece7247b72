"""Every staff page and action of members' data, for every role: each role gets exactly what the
role table says (docs/operations.md "Staff roles"), the staff password alone gets nothing (TR-1, TM-2, PV-7).

One test per person: it walks every page of the table and lists what differs, so a failure names
each (role, page) at once. A refused page must also leak nothing of the member: neither her
address, nor her request log, nor her invoice number.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from cloudmentor.accounts.models import StaffAccess
from cloudmentor.billing.models import Invoice
from cloudmentor.learning.models import ErrorReport
from cloudmentor.newsletter.models import Issue
from cloudmentor.newsletter.tests.factories import IssueFactory

from .staff_world import ALICE_EMAIL, ALICE_PATH, World, client_of

pytestmark = pytest.mark.django_db

ADMINS = frozenset({"administrator", "superuser"})
SUPPORT = ADMINS | {"support"}
BILLING = ADMINS | {"billing"}
MATERIAL = SUPPORT | {"creator"}


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    allowed: frozenset[str]


def _pages(world: World) -> list[Page]:
    alice, invoice = world.alice.pk, world.invoice.pk
    return [
        # accounts: members, sessions, history (support)
        Page("members searched", "/staff/accounts/user/?q=alice", SUPPORT),
        Page("member page", f"/staff/accounts/user/{alice}/change/", SUPPORT),
        Page("disable a member", f"/staff/accounts/user/{alice}/disable/", SUPPORT),
        Page("end a member's sessions", f"/staff/accounts/user/{alice}/end-sessions/", SUPPORT),
        Page("erase a member", f"/staff/accounts/user/{alice}/erase/", SUPPORT),
        Page("set a member's password", f"/staff/accounts/user/{alice}/password/", ADMINS),
        Page("sessions", "/staff/accounts/accountsession/?q=alice", SUPPORT),
        Page("account history", "/staff/accounts/accountevent/", SUPPORT),
        Page("groups", "/staff/accounts/group/", SUPPORT),
        Page("staff accesses", "/staff/accounts/staffaccess/", ADMINS),
        # request log and statistics (support; never billing)
        Page("request log", "/staff/analytics/requestrecord/?q=alice", SUPPORT),
        Page("member's requests", f"/staff/statistics/members/{alice}/requests/", SUPPORT),
        Page("statistics", "/staff/statistics/", SUPPORT),
        Page("statistics CSV", "/staff/statistics/export/pages.csv", SUPPORT),
        # contact and outbox (support; never billing)
        Page("contact messages", "/staff/operations/contactmessage/", SUPPORT),
        Page("contact message", f"/staff/operations/contactmessage/{world.contact_id}/change/", SUPPORT),
        Page("outbox", "/staff/mailing/outboxemail/", SUPPORT),
        # billing (billing; never support)
        Page("customer", f"/staff/billing/customer/{world.customer_id}/change/", BILLING),
        Page("registration history", f"/staff/billing/customer/{world.customer_id}/history/", BILLING),
        Page("subscriptions", "/staff/billing/subscription/", BILLING),
        Page("grant free access", "/staff/billing/subscription/grant/", BILLING),
        Page(
            "change a duration",
            f"/staff/billing/subscription/{world.subscription_id}/change-duration/",
            BILLING,
        ),
        Page("invoices", "/staff/billing/invoice/", BILLING),
        Page("invoice (staff site)", f"/staff/billing/invoice/{invoice}/change/", BILLING),
        Page("record a payment", f"/staff/billing/invoice/{invoice}/record-payment/", BILLING),
        Page("void an invoice", f"/staff/billing/invoice/{invoice}/void/", BILLING),
        Page("payments", "/staff/billing/payment/", BILLING),
        Page("donations", "/staff/donations/donation/", BILLING),
        Page("invoice (member pages)", f"/account/billing/invoices/{invoice}/", BILLING),
        Page("invoice PDF", f"/account/billing/invoices/{invoice}/pdf/", BILLING),
        # learning: members' certificates (support), material and reports (creators too)
        Page("certificates", "/staff/learning/certificate/", SUPPORT),
        Page("error reports", "/staff/learning/errorreport/", MATERIAL),
        Page("lessons", "/staff/learning/lesson/", MATERIAL),
        Page("courses", "/staff/learning/course/", MATERIAL),
        # administrators only
        Page("newsletter subscribers", "/staff/newsletter/subscriber/", ADMINS),
        Page("maintenance windows", "/staff/operations/maintenancewindow/", ADMINS),
        Page("policies", "/staff/legal/policydocument/", ADMINS),
    ]


def _leaks(body: str, world: World) -> list[str]:
    markers = (ALICE_EMAIL, ALICE_PATH, "198.51.100.23", str(world.invoice.number))
    return [marker for marker in markers if marker in body]


PEOPLE = ["administrator", "superuser", "support", "billing", "creator", "password only", "member"]


@pytest.mark.parametrize("person", PEOPLE)
def test_tr1_each_role_opens_exactly_the_pages_of_its_role(person: str, world: World) -> None:
    client = client_of(person)
    wrong = []
    for page in _pages(world):
        response = client.get(page.url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode(errors="replace")
        if person in page.allowed:
            if response.status_code != 200:
                wrong.append(f"{page.name}: refused ({response.status_code}) but the role allows it")
        elif response.status_code not in (302, 403, 404):
            wrong.append(f"{page.name}: opened ({response.status_code}) but the role does not allow it")
        elif leaked := _leaks(text, world):
            wrong.append(f"{page.name}: refused but shows {leaked}")

    assert wrong == []


@pytest.mark.parametrize("person", ["creator", "password only", "member"])
def test_pv7_staff_without_a_role_over_personal_data_leave_no_access_record(person: str, world: World) -> None:
    """Refused pages are not accesses: nothing is recorded for the member."""
    client = client_of(person)
    for page in _pages(world):
        client.get(page.url)

    assert not StaffAccess.objects.filter(member=world.alice).exists()


def test_tm2_a_creator_sees_only_the_reports_on_their_own_courses_and_never_who_sent_them(world: World) -> None:
    client = client_of("creator")
    own = ErrorReport.objects.get(lesson__course__slug="claire-course")
    other = ErrorReport.objects.get(lesson__course__slug="other-course")

    listing = client.get("/staff/learning/errorreport/").content.decode()
    detail = client.get(f"/staff/learning/errorreport/{own.pk}/change/").content.decode()
    others = client.get(f"/staff/learning/errorreport/{other.pk}/change/")
    lessons = client.get("/staff/learning/lesson/").content.decode()

    assert "Le cours de Claire" in listing and "Le cours d&#x27;un autre" not in listing
    assert "Coquille dans claire-course" in detail
    assert "alice" not in listing and "alice" not in detail
    assert others.status_code == 302  # Django's admin: "does not exist", back to the list
    assert "Leçon de claire-course" in lessons and "Leçon de other-course" not in lessons


def test_tm2_a_creator_cannot_attach_a_lesson_to_someone_else_s_course(world: World) -> None:
    client = client_of("creator")
    other_module = ErrorReport.objects.get(lesson__course__slug="other-course").lesson.module

    page = client.get("/staff/learning/lesson/add/").content.decode()

    assert f'value="{other_module.pk}"' not in page
    assert "Le cours de Claire" in page


@pytest.mark.parametrize("person", ["support", "creator", "password only"])
def test_tr1_no_role_but_billing_acts_on_an_invoice(person: str, world: World) -> None:
    """Posting the custom actions directly (their pages had no permission check) changes nothing."""
    client = client_of(person)
    client.handler.enforce_csrf_checks = False  # the permission is what is tested, not the CSRF token
    invoice = world.invoice

    void = client.post(f"/staff/billing/invoice/{invoice.pk}/void/", {"reason": "test"})
    paid = client.post(
        f"/staff/billing/invoice/{invoice.pk}/record-payment/",
        {"amount": "49.00", "currency": "EUR", "reference": "X", "reason": "test"},
    )

    assert void.status_code in (302, 403) and paid.status_code in (302, 403)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN and not invoice.payments.exists()


@pytest.mark.parametrize("person", ["support", "billing", "creator"])
def test_tr1_only_an_administrator_sends_the_newsletter(person: str, world: World) -> None:
    """The newsletter's preview, test and send pages had no permission check: any verified staff could send it."""
    issue = IssueFactory()
    client = client_of(person)
    client.handler.enforce_csrf_checks = False  # the permission is what is tested, not the CSRF token

    pages = [
        client.get(f"/staff/newsletter/issue/{issue.pk}/preview/"),
        client.get(f"/staff/newsletter/issue/{issue.pk}/send/"),
        client.post(f"/staff/newsletter/issue/{issue.pk}/send/"),
        client.post(f"/staff/newsletter/issue/{issue.pk}/send-test/"),
    ]

    assert [response.status_code for response in pages] == [403, 403, 403, 403]
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT


def test_tr1_an_administrator_still_previews_and_sends_the_newsletter(world: World) -> None:
    issue = IssueFactory()
    client = client_of("administrator")

    assert client.get(f"/staff/newsletter/issue/{issue.pk}/preview/").status_code == 200
    assert client.get(f"/staff/newsletter/issue/{issue.pk}/send/").status_code == 200
