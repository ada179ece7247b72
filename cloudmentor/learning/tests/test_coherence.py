"""SC-1: every write of what a cached page or a lesson shell shows makes it stale, however it is made.

The publishing services and the staff site's material pages bump the pages' stamp themselves;
these tests write the rows the other ways (a queryset delete or update, a save through the
model, a cascade, the staff site's certificate page) and expect the next visitor to see it.
"""

from __future__ import annotations

import pytest
from django.test import Client

from cloudmentor.accounts.models import User
from cloudmentor.billing.models import AccessLevel
from cloudmentor.learning import services
from cloudmentor.learning.models import Certificate, Lesson
from cloudmentor.learning.tests.factories import CourseFactory, LessonFactory, ModuleFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson() -> Lesson:
    return LessonFactory(
        module=ModuleFactory(course=CourseFactory(slug="aws", title="AWS", access_level=AccessLevel.FREE)),
        slug="iam",
        title="Les rôles IAM",
    )


def test_sc1_a_certificate_deleted_by_staff_leaves_the_visitors_verification_page(
    subscriber: User, lesson: Lesson, staff_client: Client
) -> None:
    """The staff site deletes certificates (no service): the cached verification page must not confirm it."""
    certificate = services.certificate_issue(user=subscriber, course=lesson.course)
    url = f"/certificates/{certificate.code}/"
    assert Client().get(url).status_code == 200  # cached for visitors

    response = staff_client.post(f"/staff/learning/certificate/{certificate.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Certificate.objects.filter(pk=certificate.pk).exists()
    assert Client().get(url).status_code == 404


def test_sc1_a_certificate_removed_with_its_holder_leaves_the_verification_page(lesson: Lesson) -> None:
    """A cascade (the account deleted outside the erasure service) is a write too."""
    holder = UserFactory(username="bob", first_name="Bob", last_name="Martin")
    certificate = services.certificate_issue(user=holder, course=lesson.course)
    url = f"/certificates/{certificate.code}/"
    assert Client().get(url).status_code == 200

    User.objects.filter(pk=holder.pk).delete()

    assert Client().get(url).status_code == 404


def test_sc1_a_lesson_changed_through_the_model_shows_at_the_next_visit(lesson: Lesson) -> None:
    """A save of the row itself (a script, a data migration, a future service) makes the cached lesson stale."""
    url = "/courses/aws/iam/"
    assert "Les rôles IAM" in Client().get(url).content.decode()  # cached page and shell

    lesson.title = "Les politiques IAM"
    lesson.save()

    assert "Les politiques IAM" in Client().get(url).content.decode()
