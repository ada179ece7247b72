"""Error reports: a member's report and staff's outcome, told by email (TM-11)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from cloudmentor.accounts.models import User
from cloudmentor.mailing.services import email_queue

from ..exceptions import ReportAlreadySettled
from ..models import ErrorReport, Lesson, ReportStatus, Status
from ._common import _absolute, _now, _require_open
from .material import lesson_withdraw


@transaction.atomic
def error_report_create(*, user: User, lesson: Lesson, message: str) -> ErrorReport:
    """Record a member's report of an error in a lesson they can read."""
    _require_open(user=user, lesson=lesson)
    return ErrorReport.objects.create(
        lesson=lesson,
        revision_number=lesson.revision.number if lesson.revision else None,
        reporter=user,
        message=message.strip(),
        created_at=_now(),
    )


@transaction.atomic
def error_report_settle(*, report: ErrorReport, outcome: str, reply: str, by: User) -> ErrorReport:
    """Give a report its outcome and tell the reporter by email (TM-11).

    WITHDRAWN takes the lesson out of its course; CORRECTED means a corrected revision
    was (or is being) published; REJECTED explains why nothing changes.
    """
    report = ErrorReport.objects.select_for_update().select_related("lesson__course", "reporter").get(pk=report.pk)
    if report.is_settled:
        raise ReportAlreadySettled
    if outcome not in {ReportStatus.CORRECTED, ReportStatus.WITHDRAWN, ReportStatus.REJECTED}:
        raise ValueError(f"not an outcome: {outcome}")
    report.status = outcome
    report.staff_reply = reply.strip()
    report.settled_at = _now()
    report.settled_by = by
    report.save(update_fields=["status", "staff_reply", "settled_at", "settled_by"])
    if outcome == ReportStatus.WITHDRAWN and report.lesson.status != Status.WITHDRAWN:
        lesson_withdraw(lesson=report.lesson)
    reporter = report.reporter
    if reporter.erased_at is not None:
        return report  # the reporter's data was erased (PV-10): no address to tell
    language = reporter.language or settings.LANGUAGE_CODE
    with translation.override(language):
        reports_url = _absolute(reverse("learning:reports"))
    email_queue(
        to=reporter.email,
        template="learning/emails/error_report_settled",
        context={
            "username": reporter.get_username(),
            "lesson_title": report.lesson.title,
            "course_title": report.lesson.course.title,
            "status": outcome,
            "reply": report.staff_reply,
            "reports_url": reports_url,
        },
        language=language,
    )
    return report
