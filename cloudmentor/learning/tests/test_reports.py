"""Members report errors; staff correct, withdraw or reject with a reply; the reporter sees the outcome (TM-11)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from cloudmentor.accounts.models import User
from cloudmentor.billing.models import AccessLevel
from cloudmentor.learning import services
from cloudmentor.learning.exceptions import ReportAlreadySettled
from cloudmentor.learning.models import ErrorReport, Lesson, ReportStatus, Status

from .conftest import csrf_token
from .factories import CourseFactory, LessonFactory, ModuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson() -> Lesson:
    module = ModuleFactory(course=CourseFactory(slug="aws", title="AWS", access_level=AccessLevel.FREE))
    LessonFactory(module=module, slug="iam", title="IAM", position=1)
    return LessonFactory(module=module, slug="vpc", title="Votre premier VPC", position=2)


def _report(member_client: Client, message: str = "La commande create-subnet oublie --vpc-id.") -> ErrorReport:
    page = member_client.get("/courses/aws/vpc/")
    response = member_client.post(
        "/courses/aws/vpc/report/", {"message": message, "csrfmiddlewaretoken": csrf_token(page)}
    )
    assert response.status_code == 302 and response["Location"] == "/courses/aws/vpc/"
    return ErrorReport.objects.get()


def _settle(staff_client: Client, report: ErrorReport, outcome: str, reply: str, capture) -> object:
    page = staff_client.get(f"/staff/learning/errorreport/{report.pk}/change/")
    assert page.status_code == 200
    with capture(execute=True):
        return staff_client.post(
            f"/staff/learning/errorreport/{report.pk}/change/",
            {"outcome": outcome, "staff_reply": reply, "csrfmiddlewaretoken": csrf_token(page)},
        )


def test_tm11_every_lesson_offers_to_report_an_error(
    member_client: Client, member: User, lesson: Lesson, client: Client
) -> None:
    member_page = member_client.get("/courses/aws/vpc/").content.decode()
    visitor_page = client.get("/courses/aws/vpc/").content.decode()

    assert "Signaler une erreur dans cette leçon" in member_page and 'action="/courses/aws/vpc/report/"' in member_page
    assert "Signaler une erreur dans cette leçon" in visitor_page and "csrfmiddlewaretoken" not in visitor_page
    assert 'href="/accounts/login/?next=/courses/aws/vpc/"' in visitor_page


def test_tm11_a_member_reports_an_error_and_follows_it(member_client: Client, member: User, lesson: Lesson) -> None:
    report = _report(member_client)

    assert (report.reporter, report.lesson, report.status, report.revision_number) == (
        member,
        lesson,
        ReportStatus.OPEN,
        1,
    )
    page = member_client.get("/account/reports/").content.decode()
    assert "La commande create-subnet oublie --vpc-id." in page and "En cours d&#x27;examen" in page


def test_tm11_staff_correct_the_lesson_and_the_reporter_is_told(
    member_client: Client, member: User, lesson: Lesson, staff_client: Client, django_capture_on_commit_callbacks
) -> None:
    report = _report(member_client)
    lesson.body = "Commande corrigée : `aws ec2 create-subnet --vpc-id ...`"
    lesson.save()
    services.lesson_publish(lesson=lesson, by=None, note="Correction du signalement")

    response = _settle(
        staff_client, report, "corrected", "Merci, la commande est corrigée.", django_capture_on_commit_callbacks
    )

    report.refresh_from_db()
    assert response.status_code == 302
    assert report.status == ReportStatus.CORRECTED and report.settled_at is not None
    assert [m.to for m in mail.outbox] == [[member.email]]
    assert "Votre signalement sur « Votre premier VPC » a été traité" in mail.outbox[0].subject
    assert (
        "la leçon a été corrigée" in mail.outbox[0].body and "Merci, la commande est corrigée." in mail.outbox[0].body
    )
    page = member_client.get("/account/reports/").content.decode()
    assert "Corrigé" in page and "Merci, la commande est corrigée." in page


def test_tm11_withdrawn_material_disappears_from_the_catalog(
    member_client: Client,
    member: User,
    lesson: Lesson,
    staff_client: Client,
    client: Client,
    django_capture_on_commit_callbacks,
) -> None:
    report = _report(member_client)

    _settle(staff_client, report, "withdrawn", "Cette leçon était obsolète.", django_capture_on_commit_callbacks)

    lesson.refresh_from_db()
    assert lesson.status == Status.WITHDRAWN
    assert client.get("/courses/aws/vpc/").status_code == 404
    assert "Votre premier VPC" not in client.get("/courses/aws/").content.decode()
    assert "la leçon a été retirée du catalogue" in mail.outbox[0].body
    assert "Contenu retiré" in member_client.get("/account/reports/").content.decode()


def test_tm11_a_rejection_needs_a_reply(
    member_client: Client, member: User, lesson: Lesson, staff_client: Client, django_capture_on_commit_callbacks
) -> None:
    report = _report(member_client)

    refused = _settle(staff_client, report, "rejected", "", django_capture_on_commit_callbacks)
    report.refresh_from_db()
    assert refused.status_code == 200 and report.status == ReportStatus.OPEN

    _settle(
        staff_client,
        report,
        "rejected",
        "La commande est correcte : --vpc-id est donné plus haut.",
        django_capture_on_commit_callbacks,
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.REJECTED
    assert "l&#x27;équipe n&#x27;a pas modifié la leçon" not in member_client.get("/account/reports/").content.decode()
    assert "La commande est correcte" in member_client.get("/account/reports/").content.decode()
    assert "n'a pas modifié la leçon" in mail.outbox[0].body


def test_tm11_a_settled_report_cannot_be_settled_again(member: User, lesson: Lesson, staff: User) -> None:
    report = services.error_report_create(user=member, lesson=lesson, message="Une faute de frappe ici.")
    services.error_report_settle(report=report, outcome=ReportStatus.REJECTED, reply="Non.", by=staff)

    with pytest.raises(ReportAlreadySettled):
        services.error_report_settle(report=report, outcome=ReportStatus.WITHDRAWN, reply="", by=staff)


def test_tm11_staff_list_open_reports_in_the_staff_site(member: User, lesson: Lesson, staff_client: Client) -> None:
    services.error_report_create(user=member, lesson=lesson, message="Une faute de frappe ici.")

    page = staff_client.get("/staff/learning/errorreport/?status__exact=open").content.decode()

    assert "Votre premier VPC" in page and "alice" in page


def test_tm11_an_empty_report_is_refused_with_a_reason(member_client: Client, member: User, lesson: Lesson) -> None:
    page = member_client.get("/courses/aws/vpc/")
    response = member_client.post(
        "/courses/aws/vpc/report/", {"message": "court", "csrfmiddlewaretoken": csrf_token(page)}
    )

    assert response.status_code == 200 and "field__error" in response.content.decode()
    assert not ErrorReport.objects.exists()
