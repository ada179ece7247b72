"""Certificates that carry the person: legal name, Open Badges 3.0 credential, revocation, LinkedIn (LX-2, LM-5)."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.exceptions import LegalNameLocked
from cloudmentor.accounts.models import User
from cloudmentor.billing.models import AccessLevel
from cloudmentor.learning import badges, services
from cloudmentor.learning.models import Certificate, CertificateReissue, Lesson, Quiz

from .factories import CourseFactory, LessonFactory, ModuleFactory, QuizFactory, question_with_choices
from .test_quizzes import _pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def course() -> tuple[Lesson, Quiz]:
    module = ModuleFactory(
        course=CourseFactory(
            slug="k8s", title="Kubernetes en production", summary="Déployer et opérer.", access_level=AccessLevel.PRO
        )
    )
    lesson = LessonFactory(module=module, slug="pods", position=1)
    quiz = QuizFactory(lesson=LessonFactory(module=module, slug="examen", kind="quiz", body="Examen.", position=2))
    question_with_choices(quiz, "Qui place les pods ?", [("kube-scheduler", True), ("kubelet", False)])
    return lesson, quiz


def _finish(user: User, course: tuple[Lesson, Quiz]) -> Certificate | None:
    lesson, quiz = course
    services.lesson_complete(user=user, lesson=lesson)
    answers = {q.pk: [c.pk for c in q.choices.all() if c.is_correct] for q in quiz.questions.all()}
    services.quiz_attempt_submit(user=user, quiz=quiz, answers=answers)
    return Certificate.objects.filter(user=user).first()


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_lx2_the_legal_name_is_asked_before_the_first_certificate_then_locked(
    member_client: Client, subscriber: User, course: tuple[Lesson, Quiz]
) -> None:
    assert _finish(subscriber, course) is None  # it waits for the name
    dashboard = member_client.get("/learn/").content.decode()
    form = member_client.get("/learn/certificates/name/").content.decode()

    response = member_client.post("/learn/certificates/name/", {"legal_name": "  Alice   Marie Martin "}, follow=True)

    certificate = Certificate.objects.get(user=subscriber)
    subscriber.refresh_from_db()
    assert "Un certificat vous attend" in dashboard and 'href="/learn/certificates/name/"' in dashboard
    assert "Kubernetes en production" in form
    assert "Votre certificat est prêt." in response.content.decode()
    assert certificate.holder_name == subscriber.legal_name == "Alice Marie Martin"
    assert subscriber.legal_name_locked_at is not None
    locked = member_client.post("/learn/certificates/name/", {"legal_name": "Quelqu'un d'autre"})
    assert "ne peut plus être modifié ici" in locked.content.decode()
    with pytest.raises(LegalNameLocked):
        accounts_services.user_legal_name_set(user=subscriber, legal_name="Autre")
    subscriber.refresh_from_db()
    assert subscriber.legal_name == "Alice Marie Martin"


@pytest.mark.parametrize("value", ["", " ", "1234", "<script>", "x" * 201])
def test_lx2_an_unusable_legal_name_is_a_clear_message(member_client: Client, subscriber: User, value: str) -> None:
    response = member_client.post("/learn/certificates/name/", {"legal_name": value})

    assert response.status_code == 200
    assert 'class="field__error' in response.content.decode() or "errorlist" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.legal_name == ""


def test_lx2_lm5_the_pdf_and_the_public_page_show_the_legal_name(
    member_client: Client, client: Client, subscriber: User, course: tuple[Lesson, Quiz]
) -> None:
    accounts_services.user_legal_name_set(user=subscriber, legal_name="Alice Marie Martin")
    certificate = _finish(subscriber, course)
    assert certificate is not None

    pdf = member_client.get(f"/learn/certificates/{certificate.code}.pdf").content
    page = client.get(f"/certificates/{certificate.code}/").content.decode()

    assert "Alice Marie Martin" in _pdf_text(pdf)
    assert (
        "Alice Marie Martin" in page
        and "Certificat authentique" in page
        and "alice" not in page.lower().split("alice marie martin")[0][-20:]
    )
    assert f'href="/certificates/{certificate.code}/badge.jwt"' in page


def test_lx2_the_badge_is_an_open_badges_3_credential_signed_with_the_published_key(
    client: Client, subscriber: User, course: tuple[Lesson, Quiz], settings: Any
) -> None:
    accounts_services.user_legal_name_set(user=subscriber, legal_name="Alice Martin")
    certificate = _finish(subscriber, course)
    assert certificate is not None

    download = client.get(f"/certificates/{certificate.code}/badge.jwt")
    jwks = client.get("/.well-known/jwks.json").json()

    token = download.content.decode()
    credential = badges.verify(token, jwks)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert download["Content-Type"] == "application/vc+jwt" and "attachment" in download["Content-Disposition"]
    assert header["alg"] == "ES256" and header["typ"] == "vc+jwt" and header["kid"] == jwks["keys"][0]["kid"]
    assert "d" not in jwks["keys"][0]  # the public half only
    assert credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["id"] == f"{settings.SITE_URL}/certificates/{certificate.code}/"
    assert credential["issuer"]["id"] == f"{settings.SITE_URL}/"
    subject = credential["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["identifier"][0]["identityHash"] == "Alice Martin"
    assert subject["achievement"]["name"] == "Kubernetes en production"
    assert subject["achievement"]["type"] == ["Achievement"]
    assert credential["credentialStatus"]["id"].endswith(f"/certificates/{certificate.code}/status.json")
    assert client.get(f"/certificates/{certificate.code}/badge.jwt").content.decode() == token  # signed once


def test_lx2_a_tampered_or_foreign_badge_fails_verification(
    client: Client, subscriber: User, course: tuple[Lesson, Quiz]
) -> None:
    certificate = services.certificate_issue(user=subscriber, course=course[0].course)
    token = client.get(f"/certificates/{certificate.code}/badge.jwt").content.decode()
    jwks = client.get("/.well-known/jwks.json").json()
    header, _payload, signature = token.split(".")
    claims = _claims(token)
    claims["credentialSubject"]["identifier"][0]["identityHash"] = "Mallory"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    from joserfc.jwk import ECKey

    other = ECKey.generate_key("P-256")
    other_jwks = {"keys": [{**other.as_dict(private=False), "kid": jwks["keys"][0]["kid"]}]}

    with pytest.raises(badges.BadgeInvalid):
        badges.verify(f"{header}.{forged_payload}.{signature}", jwks)
    with pytest.raises(badges.BadgeInvalid):
        badges.verify(token, other_jwks)
    with pytest.raises(badges.BadgeInvalid):
        badges.verify("not-a-jwt", jwks)
    assert badges.verify(token, jwks)["credentialSubject"]["identifier"][0]["identityHash"] != "Mallory"


def test_lx2_a_revoked_certificate_keeps_its_address_and_says_when_and_why(
    client: Client,
    subscriber: User,
    course: tuple[Lesson, Quiz],
    staff: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    certificate = services.certificate_issue(user=subscriber, course=course[0].course)
    url = f"/certificates/{certificate.code}/"
    before = client.get(url).content.decode()  # cached for visitors
    status_before = client.get(f"{url}status.json").json()

    with django_capture_on_commit_callbacks(execute=True):  # the cached page is made stale after commit
        services.certificate_revoke(certificate=certificate, reason="Examen passé par un tiers.", by=staff)
    after = client.get(url)
    english = client.get(f"/en{url}")
    status_after = client.get(f"{url}status.json").json()

    assert "Certificat authentique" in before and status_before["revokedCredentials"] == []
    html = after.content.decode()
    assert after.status_code == 200 and "Certificat révoqué" in html and "Certificat authentique" not in html
    assert "Examen passé par un tiers." in html
    assert "revoked" in english.content.decode().lower()
    assert status_after["revokedCredentials"][0]["revocationReason"] == "Examen passé par un tiers."
    assert status_after["revokedCredentials"][0]["id"].endswith(url)


def test_lx2_support_corrects_the_legal_name_and_the_certificates_are_reissued_with_a_record(
    client: Client, subscriber: User, course: tuple[Lesson, Quiz], staff: User
) -> None:
    accounts_services.user_legal_name_set(user=subscriber, legal_name="Alice Martn")
    certificate = _finish(subscriber, course)
    assert certificate is not None
    old_badge = client.get(f"/certificates/{certificate.code}/badge.jwt").content.decode()

    services.certificate_legal_name_correct(
        user=subscriber, legal_name="Alice Martin", reason="Faute de frappe, pièce d'identité vue.", by=staff
    )

    certificate.refresh_from_db()
    record = CertificateReissue.objects.get(certificate=certificate)
    assert (record.previous_name, record.new_name, record.reissued_by) == ("Alice Martn", "Alice Martin", staff)
    assert certificate.holder_name == "Alice Martin" and "Alice Martin" in _pdf_text(bytes(certificate.pdf))
    assert "Alice Martin" in client.get(f"/certificates/{certificate.code}/").content.decode()
    new_badge = client.get(f"/certificates/{certificate.code}/badge.jwt").content.decode()
    assert new_badge != old_badge
    assert _claims(new_badge)["credentialSubject"]["identifier"][0]["identityHash"] == "Alice Martin"


def test_lx2_the_dashboard_offers_a_plain_linkedin_link_and_the_badge(
    member_client: Client, subscriber: User, course: tuple[Lesson, Quiz], settings: Any
) -> None:
    accounts_services.user_legal_name_set(user=subscriber, legal_name="Alice Martin")
    certificate = _finish(subscriber, course)
    assert certificate is not None

    html = member_client.get("/learn/").content.decode()

    start = html.index('href="https://www.linkedin.com/profile/add?')
    link = html[start + 6 : html.index('"', start + 6)].replace("&amp;", "&")
    query = parse_qs(urlsplit(link).query)
    assert query["startTask"] == ["CERTIFICATION_NAME"]
    assert query["name"] == ["Kubernetes en production"] and query["organizationName"] == ["CloudMentor@Scale"]
    assert query["certId"] == [certificate.code]
    assert query["certUrl"] == [f"{settings.SITE_URL}/certificates/{certificate.code}/"]
    assert query["issueYear"] == [str(certificate.issued_at.year)]
    assert "Ajouter à LinkedIn" in html and "linkedin.com/" not in html.replace(link.replace("&", "&amp;"), "")
    assert f'href="/certificates/{certificate.code}/badge.jwt"' in html


def test_lx2_unknown_codes_are_a_clear_404(client: Client) -> None:
    for url in ("/certificates/AAAA-BBBB-CCCC-DDDD/badge.jwt", "/certificates/x/status.json", "/certificates/é/"):
        assert client.get(url).status_code == 404


def test_lx2_the_signing_key_is_made_once_per_machine_outside_production(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path
    settings.LEARNING_BADGE_SIGNING_KEY = ""

    first = badges.public_jwks()
    again = badges.public_jwks()

    assert first == again and (tmp_path / "badge-signing-key.pem").stat().st_mode & 0o777 == 0o600


def test_lx2_staff_revoke_a_certificate_with_a_reason_in_the_staff_site(
    staff_client: Client, client: Client, subscriber: User, course: tuple[Lesson, Quiz], staff: User
) -> None:
    certificate = services.certificate_issue(user=subscriber, course=course[0].course)
    page = staff_client.get(f"/staff/learning/certificate/{certificate.pk}/change/").content.decode()
    empty = staff_client.post(f"/staff/learning/certificate/{certificate.pk}/revoke/", {"reason": " "})

    staff_client.post(f"/staff/learning/certificate/{certificate.pk}/revoke/", {"reason": "Fraude constatée."})

    certificate.refresh_from_db()
    assert f"/staff/learning/certificate/{certificate.pk}/revoke/" in page
    assert empty.status_code == 200 and "errorlist" in empty.content.decode()
    assert certificate.revoked_reason == "Fraude constatée." and certificate.revoked_by == staff
    assert "Certificat révoqué" in client.get(f"/certificates/{certificate.code}/").content.decode()


def test_lx2_staff_correct_the_legal_name_in_the_staff_site(
    staff_client: Client, subscriber: User, course: tuple[Lesson, Quiz]
) -> None:
    accounts_services.user_legal_name_set(user=subscriber, legal_name="Alise Martin")
    certificate = services.certificate_issue(user=subscriber, course=course[0].course)

    staff_client.post(
        f"/staff/learning/certificate/{certificate.pk}/correct-name/",
        {"legal_name": "Alice Martin", "reason": "Demande du membre, pièce vue."},
    )
    page = staff_client.get(f"/staff/learning/certificate/{certificate.pk}/change/").content.decode()

    certificate.refresh_from_db()
    assert certificate.holder_name == "Alice Martin"
    assert "Alise Martin" in page and "Demande du membre, pièce vue." in page


def test_lx2_without_a_signing_key_in_production_badges_are_a_clear_503(
    client: Client, subscriber: User, course: tuple[Lesson, Quiz], settings: Any
) -> None:
    certificate = services.certificate_issue(user=subscriber, course=course[0].course)
    settings.PRODUCTION = True
    settings.LEARNING_BADGE_SIGNING_KEY = ""

    badge = client.get(f"/certificates/{certificate.code}/badge.jwt")
    keys = client.get("/.well-known/jwks.json")
    page = client.get(f"/certificates/{certificate.code}/")

    assert badge.status_code == keys.status_code == 503
    assert "momentanément indisponibles" in badge.content.decode()
    assert page.status_code == 200 and "Certificat authentique" in page.content.decode()


def test_lx2_the_legal_name_page_the_public_page_and_the_dashboard_in_english(
    member_client: Client, client: Client, subscriber: User, course: tuple[Lesson, Quiz], staff: User
) -> None:
    form = member_client.get("/en/learn/certificates/name/").content.decode()
    accounts_services.user_legal_name_set(user=subscriber, legal_name="Alice Martin")
    certificate = services.certificate_issue(user=subscriber, course=course[0].course)
    page = client.get(f"/en/certificates/{certificate.code}/").content.decode()
    services.certificate_revoke(certificate=certificate, reason="Fraud.", by=staff)
    dashboard = member_client.get("/en/learn/").content.decode()

    assert "Legal name (first and last name)" in form and "Save this name" in form
    assert "Open Badges 3.0 digital badge" in page and "Download the badge (signed JWT)" in page
    assert "Revoked" in dashboard and "Add to LinkedIn" not in dashboard


def test_lx2_finishing_the_last_lesson_after_the_exam_asks_for_the_legal_name(
    member_client: Client, subscriber: User, course: tuple[Lesson, Quiz]
) -> None:
    _lesson, quiz = course
    answers = {q.pk: [c.pk for c in q.choices.all() if c.is_correct] for q in quiz.questions.all()}
    services.quiz_attempt_submit(user=subscriber, quiz=quiz, answers=answers)

    response = member_client.post("/courses/k8s/pods/complete/", follow=True)

    assert response.redirect_chain[-1][0] == "/learn/certificates/name/"
    assert "Indiquez le nom à inscrire sur votre certificat." in response.content.decode()
    assert not Certificate.objects.exists()


def test_lx2_badges_signed_before_a_key_rotation_still_verify(
    client: Client, subscriber: User, course: tuple[Lesson, Quiz], settings: Any
) -> None:
    """The retired key's public half stays in the JWKS (never its private part)."""
    from joserfc.jwk import ECKey

    old = ECKey.generate_key("P-256")
    settings.LEARNING_BADGE_SIGNING_KEY = old.as_pem(private=True).decode()
    certificate = services.certificate_issue(user=subscriber, course=course[0].course)
    token = client.get(f"/certificates/{certificate.code}/badge.jwt").content.decode()

    settings.LEARNING_BADGE_SIGNING_KEY = ECKey.generate_key("P-256").as_pem(private=True).decode()
    settings.LEARNING_BADGE_RETIRED_KEYS = [old.as_dict(private=True)]
    jwks = client.get("/.well-known/jwks.json").json()

    assert len(jwks["keys"]) == 2 and all("d" not in key for key in jwks["keys"])
    assert badges.verify(token, jwks)["id"].endswith(f"/certificates/{certificate.code}/")
