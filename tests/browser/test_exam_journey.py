"""An exam with integrity, a certificate in the person's name, a badge anyone can verify (LX-1, LX-2, LM-5).

A member who has read every lesson of the Kubernetes course starts its exam (5 questions
drawn from a pool of 8), reloads (same questions, same order), fails: the result shows the
score per topic, no answer, and the next attempt waits a day. A day later (the failed
attempt is moved back in the database) a new draw is passed; the certificate asks for the
legal name first, then carries it on the PDF and the public page. The Open Badges 3.0
credential downloaded from that page verifies with the key published at
/.well-known/jwks.json; once staff revoke the certificate its page says so, in French and
in English.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cloudmentor.accounts.tests.factories import PASSWORD, StaffFactory, UserFactory
from cloudmentor.billing import services as billing_services
from cloudmentor.billing.models import AccessLevel
from cloudmentor.billing.tests.factories import PlanFactory
from cloudmentor.demo.catalog.loader import catalog_load
from cloudmentor.learning import badges, services
from cloudmentor.learning.models import Certificate, Choice, Lesson, LessonKind, QuizAttempt
from cloudmentor.legal.services import policy_seed
from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXAM = "/courses/kubernetes-en-production/examen-final/"


@pytest.fixture
def reader(settings: Any, live_server: Any, tmp_path: Path) -> Any:
    """A Pro member who has done every lesson of the Kubernetes course but its exam."""
    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path  # the badge key of this run
    settings.LEARNING_BADGE_SIGNING_KEY = ""
    policy_seed()
    catalog_load()
    PlanFactory(slug="pro-3-mois", name="Pro 3 mois", access_level=AccessLevel.PRO, price=Decimal("49.00"))
    member = UserFactory(username="grace", email="grace@example.org")
    now = timezone.now()
    billing_services.subscription_grant(
        holder=member,
        access_level=AccessLevel.PRO,
        starts_at=now,
        ends_at=now + timedelta(days=90),
        actor=None,
        reason="journey",
    )
    for lesson in Lesson.objects.filter(course__slug="kubernetes-en-production").exclude(kind=LessonKind.QUIZ):
        services.lesson_complete(user=member, lesson=lesson)
    return member


def _log_in(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_label("Nom d'utilisateur ou adresse e-mail").fill("grace")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def _shown(page: Page) -> list[tuple[int, int]]:
    """The (question id, choice id) pairs of the exam form, in the order shown."""
    pairs = []
    for name, value in page.locator("form.quiz__form input[name^=q]").evaluate_all(
        "inputs => inputs.map(input => [input.name, input.value])"
    ):
        pairs.append((int(name[1:]), int(value)))
    return pairs


def _answer(page: Page, *, right: bool) -> None:
    for question_id in dict.fromkeys(question for question, _choice in _shown(page)):
        for choice in Choice.objects.filter(question_id=question_id):
            if choice.is_correct == right:
                page.locator(f'input[name="q{question_id}"][value="{choice.pk}"]').check()
                if not right:
                    break


def test_lx1_lx2_lm5_exam_then_certificate_in_the_legal_name_then_badge_verification(
    page: Page, live_server: Any, reader: Any
) -> None:
    _log_in(page, live_server.url + "/accounts/login/?next=" + EXAM)
    expect(page.get_by_role("heading", level=1)).to_have_text("Examen blanc : Kubernetes (style CKAD)")
    expect(page.locator(".quiz__rules")).to_contain_text("5 questions tirées au hasard")
    expect(page.locator("#quiz-attempts-left")).to_contain_text("Tentatives utilisées : 0 sur 3")
    shot(page, "exam-01-rules")

    # The draw: 5 of the pool of 8, the same after a reload.
    page.get_by_role("button", name="Commencer l'examen").click()
    expect(page.locator("fieldset.quiz__question")).to_have_count(5)
    first = _shown(page)
    page.reload()
    assert _shown(page) == first
    shot(page, "exam-02-drawn-questions")

    # A failure: the score per topic, never the answers; the next attempt waits.
    _answer(page, right=False)
    page.get_by_role("button", name="Valider mes réponses").click()
    expect(page.locator("#attempt-score")).to_contain_text("0 bonne(s) réponse(s) sur 5")
    expect(page.locator("#topic-scores")).to_be_visible()
    expect(page.locator(".review__explanation")).to_have_count(0)
    expect(page.get_by_text("bonne réponse", exact=True)).to_have_count(0)
    expect(page.locator("#attempt-next")).to_contain_text("Prochaine tentative possible à partir du")
    shot(page, "exam-03-failed-score-per-topic")
    page.goto(live_server.url + EXAM)
    expect(page.locator("#quiz-state")).to_contain_text("Prochaine tentative possible")
    expect(page.locator("form.quiz__form")).to_have_count(0)

    # A day later, a new draw, passed.
    QuizAttempt.objects.filter(user=reader).update(submitted_at=timezone.now() - timedelta(days=1, minutes=1))
    page.reload()
    page.get_by_role("button", name="Commencer une nouvelle tentative").click()
    expect(page.locator("fieldset.quiz__question")).to_have_count(5)
    _answer(page, right=True)
    page.get_by_role("button", name="Valider mes réponses").click()
    expect(page.locator("#attempt-score")).to_contain_text("5 bonne(s) réponse(s) sur 5 : 100 %")
    expect(page.locator(".review__explanation").first).to_be_visible()
    shot(page, "exam-04-passed-asks-the-legal-name")

    # The certificate asks for the legal name first, then carries it.
    page.get_by_role("link", name="Indiquer mon nom légal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Le nom inscrit sur vos certificats")
    page.get_by_label("Nom légal (prénom et nom)").fill("Grace Brewster Hopper")
    shot(page, "exam-05-legal-name-form")
    page.get_by_role("button", name="Enregistrer ce nom").click()
    expect(page.get_by_role("status")).to_contain_text("Votre certificat est prêt.")
    certificate = Certificate.objects.get(user=reader)
    assert certificate.holder_name == "Grace Brewster Hopper"
    linkedin = page.get_by_role("link", name=re.compile("Ajouter à LinkedIn"))
    expect(linkedin).to_have_attribute("href", re.compile(r"^https://www\.linkedin\.com/profile/add\?"))
    shot(page, "exam-06-dashboard-certificate")
    page.goto(live_server.url + "/learn/certificates/name/")
    expect(page.locator("#legal-name-locked")).to_contain_text("Grace Brewster Hopper")

    # The public page shows the legal name; its badge verifies with the published key.
    page.goto(live_server.url + f"/certificates/{certificate.code}/")
    expect(page.locator("#certificate-holder")).to_have_text("Grace Brewster Hopper")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le badge (JWT signé)").click()
    token = Path(download_info.value.path()).read_text()
    jwks = page.request.get(live_server.url + "/.well-known/jwks.json").json()
    credential = badges.verify(token, jwks)
    assert credential["credentialSubject"]["identifier"][0]["identityHash"] == "Grace Brewster Hopper"
    assert "OpenBadgeCredential" in credential["type"]
    shot(page, "exam-07-public-verification")

    # Staff revoke it: the same address says so, in French and in English.
    services.certificate_revoke(certificate=certificate, reason="Examen passé par un tiers.", by=StaffFactory())
    page.reload()
    expect(page.locator("#certificate")).to_contain_text("Certificat révoqué")
    expect(page.locator("#certificate-revoked")).to_contain_text("Examen passé par un tiers.")
    shot(page, "exam-08-revoked-fr")
    page.goto(live_server.url + f"/en/certificates/{certificate.code}/")
    expect(page.locator("#certificate")).to_contain_text("Certificate revoked")
    shot(page, "exam-09-revoked-en")
    status = page.request.get(live_server.url + f"/certificates/{certificate.code}/status.json").json()
    assert status["revokedCredentials"][0]["revocationReason"] == "Examen passé par un tiers."


def test_lx1_the_exam_page_in_english(page: Page, live_server: Any, reader: Any) -> None:
    _log_in(page, live_server.url + "/accounts/login/")
    page.goto(live_server.url + "/en" + EXAM)
    expect(page.locator(".quiz__rules")).to_contain_text("5 questions drawn at random for each attempt")
    page.get_by_role("button", name="Start the exam").click()
    expect(page.locator("fieldset.quiz__question")).to_have_count(5)
    shot(page, "exam-10-english")
