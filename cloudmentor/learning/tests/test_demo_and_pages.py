"""The learning pages' header, and a member's learning data exported then erased (LM-1, PV-9, PV-10)."""

from __future__ import annotations

import pytest
from django.test import Client

from cloudmentor.accounts.models import User
from cloudmentor.learning import selectors, services

from .factories import CourseFactory, LessonFactory, ModuleFactory

pytestmark = pytest.mark.django_db


def test_lm1_the_header_links_to_the_catalog_and_to_my_learning(
    client: Client, member_client: Client, member: User
) -> None:
    visitor = client.get("/").content.decode()
    logged_in = member_client.get("/").content.decode()

    assert '<a href="/courses/">Catalogue</a>' in visitor and "/learn/" not in visitor
    assert '<a href="/learn/">Mon apprentissage</a>' in logged_in


def test_pv9_pv10_a_members_learning_data_is_exported_then_erased(member: User) -> None:
    lesson = LessonFactory(module=ModuleFactory(course=CourseFactory(access_level=0)))
    services.lesson_complete(user=member, lesson=lesson)
    services.certificate_issue(user=member, course=lesson.course)  # a course without an exam certifies nobody
    services.error_report_create(user=member, lesson=lesson, message="Une faute de frappe ici.")

    exported = selectors.learning_export_for_user(user=member)
    counts = services.learning_erase_for_user(user=member)

    assert exported["completed_lessons"][0]["lesson"] == lesson.slug
    assert exported["certificates"][0]["holder_name"] == "Alice Martin"
    assert exported["error_reports"][0]["message"] == "Une faute de frappe ici."
    assert counts == {
        "enrollments": 1,
        "completions": 1,
        "quiz_attempts": 0,
        "certificates": 1,
        "notes": 0,
        "error_reports_kept": 1,
    }
    assert selectors.learning_export_for_user(user=member)["error_reports"] != []  # kept, anonymised with the account
    assert selectors.learning_export_for_user(user=member)["enrollments"] == []
