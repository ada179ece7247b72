"""Staff rights on the site need the staff member's second factor, not only their password (TR-1)."""

from __future__ import annotations

import pytest
from django.test import Client

from cloudmentor.accounts.models import User
from cloudmentor.billing.models import AccessLevel
from cloudmentor.learning import services
from conftest import log_in_client

from .conftest import _verified
from .factories import CourseFactory, LessonFactory, ModuleFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRET = "Le contenu réservé aux abonnés Expert."


@pytest.fixture
def material(member: User) -> dict[str, str]:
    course = CourseFactory(slug="securite", title="Sécurité", access_level=AccessLevel.EXPERT)
    module = ModuleFactory(course=course)
    LessonFactory(module=module, slug="iam", title="IAM", body=SECRET, position=1)
    LessonFactory(module=module, slug="brouillon", title="Brouillon", status="draft", position=2)
    certificate = services.certificate_issue(user=member, course=course)
    return {
        "paid": "/courses/securite/iam/",
        "draft": "/courses/securite/brouillon/",
        "certificate": f"/learn/certificates/{certificate.code}.pdf",
    }


def test_tr1_a_staff_password_without_the_second_factor_opens_no_staff_right(material: dict[str, str]) -> None:
    """Logged in with the staff password only, staff get what a free member gets: locked, no draft, no one's certificate."""
    half = log_in_client(Client(), StaffFactory(username="root2"))
    other = log_in_client(Client(), UserFactory(username="stranger"))

    for url in material.values():
        response, as_member = half.get(url), other.get(url)
        assert response.status_code == as_member.status_code != 200, url
        assert SECRET not in response.content.decode() and "Aperçu du brouillon" not in response.content.decode()


def test_tr1_the_same_staff_member_verified_by_totp_has_them(material: dict[str, str]) -> None:
    whole = _verified(Client(), StaffFactory(username="root3"))

    assert SECRET in whole.get(material["paid"]).content.decode()
    assert whole.get(material["draft"]).status_code == 200
    assert whole.get(material["certificate"]).status_code == 200
