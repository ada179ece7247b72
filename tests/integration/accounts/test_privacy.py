"""A member downloads all their personal data (PV-9) and has it erased (PV-10)."""

from __future__ import annotations

import base64
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.header import decode_header, make_header
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp.oath import totp

from cloudmentor.accounts import services
from cloudmentor.accounts.exceptions import AlreadyErased
from cloudmentor.accounts.models import AccountEvent, AccountSession, User
from cloudmentor.accounts.tests.conftest import csrf_post, log_in
from cloudmentor.accounts.tests.factories import PASSWORD, StaffFactory
from cloudmentor.analytics.models import RequestRecord
from cloudmentor.analytics.tests.factories import RequestRecordFactory
from cloudmentor.billing import services as billing_services
from cloudmentor.billing.models import Customer, Invoice, Payment, Subscription
from cloudmentor.billing.tests.factories import PlanFactory
from cloudmentor.core import personal_data
from cloudmentor.learning import services as learning_services
from cloudmentor.learning.models import Certificate, Enrollment, ErrorReport, LessonCompletion, QuizAttempt
from cloudmentor.learning.tests.factories import CourseFactory, ModuleFactory, QuizFactory, question_with_choices
from cloudmentor.mailing.models import OutboxEmail
from cloudmentor.operations.models import ContactMessage
from cloudmentor.operations.services import contact_message_create
from conftest import body_text, log_in_client

pytestmark = pytest.mark.django_db

DATA_URL = "/account/data/"
ERASE_URL = "/account/delete/"


@dataclass
class Used:
    """A member who used every part of the platform, and what they left."""

    user: User
    invoice: Invoice
    unpaid: Invoice
    request_ip: str


def fully_used(username: str, email: str, *, ip: str, requests: int = 2) -> Used:
    """Register, subscribe (one paid invoice, one unpaid), learn, report, write to support, browse."""
    user = services.user_register(
        username=username,
        email=email,
        password=PASSWORD,
        terms_version=1,
        newsletter_opt_in=False,
        language="fr",
        ip=ip,
        user_agent="Mozilla/5.0 Firefox/125.0",
    )
    user.first_name, user.last_name = username.capitalize(), "Martin"
    user.save(update_fields=["first_name", "last_name"])
    services.user_legal_name_set(user=user, legal_name=f"{username.capitalize()} Martin")  # certificates carry it
    # Billing: a paid period, its invoice paid; an extension, its invoice open.
    plan = PlanFactory(price=Decimal("49.00"))
    customer = billing_services.customer_for_user(user=user)
    billing_services.customer_details_update(
        customer=customer, billing_name=f"{username} SARL", billing_address="1 rue de la Paix, Paris"
    )
    first = billing_services.subscription_purchase(holder=user, plan=plan, actor=user)
    invoice = billing_services.subscription_invoice_issue_now(subscription=first, notify=False)
    assert invoice is not None
    billing_services.invoice_record_payment(
        invoice=invoice, amount=invoice.amount_total, currency="EUR", reference=f"VIR-{username}", actor=None
    )
    second = billing_services.subscription_extend(holder=user, plan=plan, actor=user)
    unpaid = billing_services.subscription_invoice_issue_now(subscription=second, notify=False)
    assert unpaid is not None
    # Learning: a passed quiz completes the course (certificate), and an error report.
    course = CourseFactory(access_level=0)
    quiz = QuizFactory(lesson__module=ModuleFactory(course=course))
    question = question_with_choices(quiz, "Combien ?", [("Deux", True), ("Trois", False)])
    learning_services.quiz_attempt_submit(user=user, quiz=quiz, answers={question.pk: [question.choices.first().pk]})
    learning_services.error_report_create(user=user, lesson=quiz.lesson, message=f"Faute vue par {username}.")
    # Support, and the request log.
    contact_message_create(
        name=username, email=email.upper(), subject="Question", message=f"Bonjour, ici {username}.", language="fr"
    )
    for index in range(requests):
        RequestRecordFactory(
            user=user, ip_address=ip, path=f"/{username}/{index}/", requested_at=datetime(2026, 11, 1, tzinfo=UTC)
        )
    user.refresh_from_db()
    return Used(user=user, invoice=invoice, unpaid=unpaid, request_ip=ip)


@pytest.fixture
def alice() -> Used:
    return fully_used("alice", "alice@example.org", ip="203.0.113.10")


@pytest.fixture
def bob() -> Used:
    return fully_used("bob", "bob@example.net", ip="198.51.100.20")


@pytest.fixture
def alice_client(client: Client, alice: Used) -> Client:
    response = log_in(client, "alice")
    assert response.status_code == 302
    return client


def download(client: Client, password: str = PASSWORD) -> Any:
    return csrf_post(client, DATA_URL, {"password": password}, page=DATA_URL)


def exported(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content[:300] if hasattr(response, "content") else response
    return dict(json.loads(b"".join(response.streaming_content)))


# PV-9: the download -------------------------------------------------------------------


def test_pv9_the_profile_page_links_to_the_data_and_erasure_pages(alice_client: Client) -> None:
    page = alice_client.get("/account/").content.decode()

    assert 'href="/account/data/"' in page and 'href="/account/delete/"' in page
    assert "Ce que nous conservons" in alice_client.get(DATA_URL).content.decode()
    assert "What we keep" in alice_client.get("/en" + DATA_URL).content.decode()


def test_pv9_the_file_holds_every_item_of_a_fully_used_account_and_nothing_of_another(
    alice_client: Client, alice: Used, bob: Used
) -> None:
    """Profile, sessions, events, subscriptions, invoices, payments, progress, attempts, certificate,
    error report, request log, contact message and emails: all the member's, none of another's."""
    response = download(alice_client)

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="cloudmentor-personal-data-')
    data = exported(response)
    sections = data["sections"]
    assert data["format"] == "cloudmentor-personal-data" and data["format_version"] == 1
    assert datetime.fromisoformat(data["generated_at"])
    assert sections["accounts"]["profile"]["email"] == "alice@example.org"
    assert sections["accounts"]["profile"]["last_name"] == "Martin"
    assert sections["accounts"]["sessions"][0]["ip_address"] == "127.0.0.1"
    kinds = [event["kind"] for event in sections["accounts"]["events"]]
    assert kinds[0] == "registered" and "login" in kinds and kinds[-1] == "data_exported"
    billing = sections["billing"]
    assert billing["customer"]["billing_name"] == "alice SARL"
    assert len(billing["subscriptions"]) == 2
    assert [i["number"] for i in billing["invoices"]] == [alice.invoice.number, alice.unpaid.number]
    assert billing["invoices"][0]["buyer"]["email"] == "alice@example.org"
    assert billing["payments"][0]["reference"] == "VIR-alice" and billing["payments"][0]["amount"] == "49.00"
    assert {"purchased", "invoice_issued", "invoice_paid", "extended"} <= {row["kind"] for row in billing["history"]}
    learning = sections["learning"]
    assert len(learning["enrollments"]) == 1 and len(learning["completed_lessons"]) == 1
    assert learning["quiz_attempts"][0]["passed"] is True
    assert learning["certificates"][0]["holder_name"] == "Alice Martin"
    assert learning["error_reports"][0]["message"] == "Faute vue par alice."
    assert [r["url"] for r in sections["analytics"]["requests"]] == ["/alice/0/", "/alice/1/"]
    assert sections["operations"]["contact_messages"][0]["message"] == "Bonjour, ici alice."
    subjects = [e["subject"] for e in sections["mailing"]["emails"]]
    # Welcome, payment received, and « Était-ce vous ? » (registered from Firefox, logged in from another device: TR-4).
    assert subjects[0] == "Bienvenue sur CloudMentor@Scale" and len(subjects) == 3
    (notice,) = sections["accounts"]["security_emails"]
    assert notice["kind"] == "new_device" and notice["sent_to"] == "alice@example.org"
    text = json.dumps(data)
    for trace in ("bob", bob.request_ip, bob.invoice.number, "198.51.100"):
        assert trace not in text


def test_pv9_dates_are_iso_8601(alice_client: Client) -> None:
    data = exported(download(alice_client))

    joined = data["sections"]["accounts"]["profile"]["date_joined"]
    assert datetime.fromisoformat(joined).tzinfo is not None
    assert datetime.fromisoformat(data["sections"]["billing"]["invoices"][0]["issued_at"])


def test_pv9_the_export_costs_the_same_queries_whatever_the_number_of_rows(client: Client) -> None:
    """Each section is a fixed number of queries: ten or a thousand rows cost the same."""
    few = fully_used("few", "few@example.org", ip="192.0.2.1", requests=2)
    many = fully_used("many", "many@example.org", ip="192.0.2.2", requests=60)
    counts = []
    for used in (few, many):
        member_client = log_in_client(Client(), used.user)
        page = member_client.get(DATA_URL)
        token = page.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        with CaptureQueriesContext(connection) as queries:
            response = member_client.post(DATA_URL, {"csrfmiddlewaretoken": token, "password": PASSWORD})
            rows = exported(response)["sections"]["analytics"]["requests"]
        counts.append(len(queries))
        assert len(rows) == (2 if used is few else 60)

    assert counts[0] == counts[1]
    # One query per table a section reads (about 30), plus SSO's link, SCIM's three tables, the
    # staff accesses (TR-2), learning's assigned and completed paths (LX-4) and notes (LX-6): the
    # budget grows with the sections, never with the rows.
    assert counts[0] <= 38


def test_pv9_pv3_the_download_is_recorded_in_the_account_history(alice_client: Client, alice: Used) -> None:
    exported(download(alice_client))

    event = AccountEvent.objects.filter(user=alice.user, kind=AccountEvent.Kind.DATA_EXPORTED).get()
    assert event.ip == "127.0.0.1"
    assert "Données personnelles téléchargées" in alice_client.get("/account/").content.decode()


def test_pv9_a_wrong_password_gives_a_clear_message_and_no_file(alice_client: Client, alice: Used) -> None:
    response = download(alice_client, password="not my password")

    assert response.status_code == 200
    assert "Le mot de passe est incorrect." in response.content.decode()
    assert not AccountEvent.objects.filter(kind=AccountEvent.Kind.DATA_EXPORTED).exists()


def test_pv9_the_page_needs_a_login_and_a_post(client: Client, alice: Used) -> None:
    assert client.get(DATA_URL)["Location"].startswith("/accounts/login/")
    assert client.post(DATA_URL, {"password": PASSWORD}).status_code in (302, 403)


def test_pv9_tm9_downloads_are_throttled(alice_client: Client, settings: Any) -> None:
    settings.ACCOUNTS_DATA_EXPORT_MAX_PER_WINDOW = 2
    exported(download(alice_client))
    exported(download(alice_client))

    response = download(alice_client)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


# PV-10: erasure -----------------------------------------------------------------------


def erase(client: Client, *, password: str = PASSWORD, word: str = "EFFACER", language: str = "") -> Any:
    url = f"{language}{ERASE_URL}"
    return csrf_post(client, url, {"password": password, "confirmation": word}, page=url)


def test_pv10_the_page_says_what_is_erased_and_what_is_kept_and_why(alice_client: Client) -> None:
    page = alice_client.get(ERASE_URL).content.decode()

    assert "Ce qui sera effacé" in page and "Ce qui sera conservé, et pourquoi" in page
    assert "L123-22" in page and "L102 B" in page and "10 ans" in page
    assert "365 jours" in page  # the request log's retention, from the setting
    # TM-7: the running subscription ends without refund; the unpaid invoice stays due.
    assert "sans remboursement" in page and "n&#x27;est pas payée" in page
    english = alice_client.get("/en" + ERASE_URL).content.decode()
    assert "What will be kept, and why" in english and "without refund" in english


def test_pv10_erasure_removes_each_item_or_keeps_it_with_its_reason(
    alice_client: Client, alice: Used, bob: Used, django_capture_on_commit_callbacks: Any
) -> None:
    user = alice.user
    with django_capture_on_commit_callbacks(execute=True):
        response = erase(alice_client)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Vos données sont effacées" in page
    assert "Factures émises, avec les coordonnées qui y figurent : 2" in page and "L123-22" in page
    assert "Requêtes du journal, détachées de votre compte : 2" in page
    user.refresh_from_db()
    # The account: anonymised, disabled, no session, no history but the erasure record.
    assert user.username == f"deleted-{user.pk}" and "@" not in user.email
    assert not user.has_usable_password() and not user.is_active and user.erased_at is not None
    assert (user.first_name, user.last_name, user.legal_name) == ("", "", "")
    assert not AccountSession.objects.filter(user=user).exists()
    record = AccountEvent.objects.get(user=user)
    assert record.kind == AccountEvent.Kind.ERASED and record.ip is None and record.browser == ""
    assert "alice" not in record.reason and "billing.invoices=2" in record.reason
    # Learning: progress gone, the report kept without a name.
    for model in (Enrollment, LessonCompletion, QuizAttempt, Certificate):
        assert not model.objects.filter(user=user).exists()
    assert ErrorReport.objects.get(reporter=user).reporter.username == f"deleted-{user.pk}"
    # Billing: invoices, periods and payments kept; the profile's buyer details cleared.
    customer = Customer.objects.get(user=user)
    assert (customer.billing_name, customer.billing_address) == ("", "")
    assert Invoice.objects.filter(customer=customer).count() == 2
    assert Invoice.objects.get(pk=alice.unpaid.pk).status == Invoice.Status.OPEN
    assert Subscription.objects.filter(customer=customer).count() == 2
    assert Payment.objects.filter(invoice__customer=customer).count() == 1
    # Request log: detached, addresses kept for the retention period.
    assert not RequestRecord.objects.filter(user=user).exists()
    assert RequestRecord.objects.filter(ip_address=alice.request_ip, user=None).count() == 2
    # Contact messages gone; the only email left about the address is the final one, scrubbed once sent.
    assert not ContactMessage.objects.filter(email__iexact="alice@example.org").exists()
    assert not OutboxEmail.objects.filter(to__iexact="alice@example.org").exists()
    final = OutboxEmail.objects.get(template="accounts/emails/erased")
    assert final.status == OutboxEmail.Status.SENT and final.to == "[erased]" and final.body_text == ""
    (message,) = [m for m in mail.outbox if m.to == ["alice@example.org"]]
    assert "Ce qui a été conservé, et pourquoi" in message.body and "L123-22" in message.body
    # Bob's data is untouched.
    assert RequestRecord.objects.filter(user=bob.user).count() == 2
    assert ContactMessage.objects.filter(email__iexact="bob@example.net").count() == 1
    assert Customer.objects.get(user=bob.user).billing_name == "bob SARL"


def test_pv10_the_member_is_logged_out_and_the_old_credentials_fail(
    alice_client: Client, alice: Used, client: Client
) -> None:
    erase(alice_client)

    assert alice_client.get("/account/")["Location"].startswith("/accounts/login/")
    for identifier in ("alice", "alice@example.org", f"deleted-{alice.user.pk}"):
        response = log_in(Client(enforce_csrf_checks=True), identifier)
        assert response.status_code == 200
        assert "incorrect" in response.content.decode()


def test_pv10_the_old_address_can_register_again(alice_client: Client, alice: Used) -> None:
    erase(alice_client)

    again = services.user_register(
        username="alice2",
        email="Alice@example.org",
        password=PASSWORD,
        terms_version=1,
        newsletter_opt_in=False,
        language="fr",
    )
    assert again.pk != alice.user.pk


def test_pv10_staff_still_download_the_invoices_with_the_buyer_details(
    alice_client: Client, alice: Used, staff_client: Client
) -> None:
    erase(alice_client)

    pdf = staff_client.get(f"/account/billing/invoices/{alice.unpaid.pk}/pdf/")

    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "alice SARL" in text and "alice@example.org" in text


def pdf_text(content: bytes) -> str:
    """Return the text drawn in a PDF's content streams (reportlab compresses them with zlib)."""
    parts = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", content, re.DOTALL):
        raw = stream.strip()
        if raw.endswith(b"~>"):
            raw = base64.a85decode(raw.removesuffix(b"~>"))
        try:
            parts.append(zlib.decompress(raw).decode("latin-1"))
        except zlib.error:
            parts.append(raw.decode("latin-1"))
    return "".join(parts)


def test_pv10_the_final_email_goes_through_a_real_smtp_server(
    alice_client: Client, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        erase(alice_client)

    (message,) = [m for m in smtp_server.messages if "alice@example.org" in m["X-Envelope-To"]]
    assert "effacées" in str(make_header(decode_header(message["Subject"])))
    text = body_text(message)
    assert "Ce qui a été effacé" in text and "Factures émises" in text and "&#x27;" not in text


def test_pv10_the_final_email_is_in_the_members_language(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    used = fully_used("emma", "emma@example.org", ip="192.0.2.9")
    User.objects.filter(pk=used.user.pk).update(language="en")
    member_client = log_in_client(Client(), used.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = erase(member_client, word="DELETE", language="/en")

    assert "Your data is erased" in response.content.decode()
    (message,) = [m for m in mail.outbox if m.to == ["emma@example.org"]]
    assert "What was kept, and why" in message.body


def test_pv10_a_wrong_password_or_a_missing_word_changes_nothing(alice_client: Client, alice: Used) -> None:
    wrong_password = erase(alice_client, password="nope")
    no_word = erase(alice_client, word="")
    wrong_word = erase(alice_client, word="effacer mon compte")

    assert "Le mot de passe est incorrect." in wrong_password.content.decode()
    assert "Tapez EFFACER pour confirmer" in no_word.content.decode()
    assert "Tapez exactement EFFACER" in wrong_word.content.decode()
    user = User.objects.get(pk=alice.user.pk)
    assert user.username == "alice" and user.erased_at is None and user.is_active
    assert Enrollment.objects.filter(user=user).exists()
    assert alice_client.get("/account/").status_code == 200


def test_pv10_rollback_when_one_app_fails(alice: Used) -> None:
    """A failing eraser undoes every other app's erasure: all or nothing."""

    def fail(subject: personal_data.Subject) -> personal_data.Outcome:
        raise RuntimeError("disk full")

    personal_data.register(
        personal_data.Section(key="zz-failing", title="x", order=60, export=lambda s: {}, erase=fail)
    )
    try:
        with pytest.raises(RuntimeError):
            services.account_erase(user=alice.user, actor=alice.user)
    finally:
        personal_data.unregister("zz-failing")

    user = User.objects.get(pk=alice.user.pk)
    assert user.username == "alice" and user.erased_at is None
    assert RequestRecord.objects.filter(user=user).count() == 2
    assert Enrollment.objects.filter(user=user).exists()
    assert Customer.objects.get(user=user).billing_name == "alice SARL"
    assert not OutboxEmail.objects.filter(template="accounts/emails/erased").exists()


def test_pv10_erasure_is_idempotent(alice: Used) -> None:
    services.account_erase(user=alice.user, actor=alice.user)
    before = list(AccountEvent.objects.values_list("pk", "kind"))

    with pytest.raises(AlreadyErased):
        services.account_erase(user=alice.user, actor=alice.user)

    assert list(AccountEvent.objects.values_list("pk", "kind")) == before
    assert OutboxEmail.objects.filter(template="accounts/emails/erased").count() == 1


def test_pv10_a_member_with_an_unpaid_invoice_can_erase(alice_client: Client, alice: Used) -> None:
    assert Invoice.objects.get(pk=alice.unpaid.pk).status == Invoice.Status.OPEN

    assert "Vos données sont effacées" in erase(alice_client).content.decode()
    assert Invoice.objects.get(pk=alice.unpaid.pk).buyer["name"] == "alice SARL"


def test_pv10_a_staff_account_cannot_erase_itself(client: Client) -> None:
    staff = StaffFactory(username="root", email="root@cloudmentor.example")
    staff_member = log_in_client(Client(enforce_csrf_checks=True), staff)

    page = staff_member.get(ERASE_URL).content.decode()
    response = erase(staff_member)

    assert "ne peut pas être effacé ainsi" in page
    assert "ne peut pas être effacé ainsi" in response.content.decode()
    assert User.objects.get(pk=staff.pk).erased_at is None


def test_pv10_registration_refuses_the_usernames_of_erased_accounts(client: Client) -> None:
    from cloudmentor.accounts.forms import RegistrationForm

    form = RegistrationForm(
        data={"username": "Deleted-42", "email": "x@example.org", "password": PASSWORD, "accept_terms": True}
    )
    assert not form.is_valid() and "username" in form.errors


# PV-10 at staff's hands (a disabled account asks by email, TM-6) ----------------------


@pytest.fixture
def staff_client(db: None) -> Iterator[Client]:
    staff = StaffFactory(username="root", email="root@cloudmentor.example")
    device = services.staff_totp_device_create(user=staff)
    staff_client = log_in_client(Client(), staff)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
    assert staff_client.post("/accounts/staff/verify/", {"token": code, "next": "/staff/"}).status_code == 302
    yield staff_client


def test_pv10_tm6_staff_erase_a_disabled_members_data_with_a_reason(
    staff_client: Client, alice: Used, django_capture_on_commit_callbacks: Any
) -> None:
    services.user_disable(user=alice.user, actor=None, reason="Facture impayée")
    url = f"/staff/accounts/user/{alice.user.pk}/erase/"
    change_page = staff_client.get(f"/staff/accounts/user/{alice.user.pk}/change/").content.decode()
    assert f'href="{url}"' in change_page and "L123-22" in staff_client.get(url).content.decode()

    missing_word = staff_client.post(url, {"reason": "Demande reçue par e-mail"})
    assert "Tapez EFFACER pour confirmer" in missing_word.content.decode()
    assert User.objects.get(pk=alice.user.pk).erased_at is None
    with django_capture_on_commit_callbacks(execute=True):
        done = staff_client.post(url, {"reason": "Demande reçue par e-mail", "confirmation": "EFFACER"})

    assert "Effacement effectué" in done.content.decode()
    assert User.objects.get(pk=alice.user.pk).erased_at is not None
    record = AccountEvent.objects.get(user=alice.user)
    assert record.actor is not None and record.actor.username == "root"
    assert record.reason.startswith("staff: Demande reçue par e-mail")
    assert [m.to for m in mail.outbox if "effacées" in m.subject] == [["alice@example.org"]]
    assert "ont été effacées le" in staff_client.get(url).content.decode()
    erased_page = staff_client.get(f"/staff/accounts/user/{alice.user.pk}/change/")
    assert erased_page.status_code == 200 and 'name="email"' not in erased_page.content.decode()


def test_pv10_staff_cannot_erase_a_staff_account_without_removing_its_rights(staff_client: Client) -> None:
    other = StaffFactory(username="ops", email="ops@cloudmentor.example")

    response = staff_client.post(
        f"/staff/accounts/user/{other.pk}/erase/", {"reason": "test", "confirmation": "EFFACER"}
    )

    assert "Retirez d&#x27;abord les droits" in response.content.decode()
    assert User.objects.get(pk=other.pk).erased_at is None


def test_pv10_billing_drafts_not_issued_yet_are_deleted(db: None) -> None:
    user = services.user_register(
        username="carol",
        email="carol@example.org",
        password=PASSWORD,
        terms_version=1,
        newsletter_opt_in=False,
        language="fr",
    )
    billing_services.subscription_purchase(holder=user, plan=PlanFactory(), actor=user)
    assert Invoice.objects.filter(customer__user=user, status=Invoice.Status.DRAFT).count() == 1

    outcomes = services.account_erase(user=user, actor=user)

    assert not Invoice.objects.filter(customer__user=user).exists()
    billing = next(o.outcome for o in outcomes if o.section.key == "billing")
    assert [item.key for item in billing.erased] == ["drafts"]
    assert billing_services.invoice_issue_due(now=datetime.now(UTC) + timedelta(days=30)) == 0
