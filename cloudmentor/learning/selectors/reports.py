"""A member's error reports (TM-11)."""

from __future__ import annotations

from django.db.models import QuerySet

from cloudmentor.accounts.models import User

from ..models import ErrorReport


def error_report_list(*, user: User) -> QuerySet[ErrorReport]:
    return (
        ErrorReport.objects.filter(reporter=user)
        .select_related("lesson__course")
        .defer("lesson__body", "lesson__course__description", "lesson__course__search_document")
    )
