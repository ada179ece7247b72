"""Learning in a browser (LM-1..5, LM-3, PV-11, TM-11).

1. A visitor browses the catalog and a free preview — the embedded video loads nothing
   from YouTube until the click, then the privacy-enhanced player — subscribes to a plan,
   follows the course to the end, passes its quiz, downloads the certificate and opens its
   public verification address.
2. A member reports an error in a lesson; staff answer it in the staff area; the member
   reads the answer on their reports page (and got an email).

The YouTube player is answered by a local stub (Playwright route): no request leaves the
machine, but the browser still has to ask for it, which is what the network log checks.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, Page, Route, expect

from cloudmentor.accounts.services import staff_totp_device_create
from cloudmentor.accounts.tests.factories import PASSWORD, StaffFactory, UserFactory
from cloudmentor.billing.models import AccessLevel
from cloudmentor.billing.tests.factories import PlanFactory
from cloudmentor.demo.catalog.loader import catalog_load
from cloudmentor.learning.models import Certificate, ErrorReport, Question, QuizAttempt
from cloudmentor.legal.services import policy_seed
from tests.browser.conftest import shot, staff_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COURSE = "/courses/kubernetes-en-production/"
THIRD_PARTY = ("youtube", "youtu.be", "ytimg", "googlevideo", "vimeo", "doubleclick", "google")
NEW_PASSWORD = "a learning and long passphrase"


@pytest.fixture
def catalog(settings, live_server, tmp_path: Path) -> None:
    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    policy_seed()
    catalog_load()
    PlanFactory(
        slug="essentiel-1-mois",
        name="Essentiel 1 mois",
        access_level=AccessLevel.ESSENTIAL,
        price=Decimal("19.00"),
        position=1,
    )
    PlanFactory(slug="pro-3-mois", name="Pro 3 mois", access_level=AccessLevel.PRO, price=Decimal("49.00"), position=2)


def _stub_players(page: Page) -> list[str]:
    """Answer the video players locally and record what the page asked them for."""
    asked: list[str] = []

    def answer(route: Route) -> None:
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<!DOCTYPE html><title>player</title><p>Lecteur</p>")

    page.context.route(re.compile(r"https://(www\.youtube-nocookie\.com|player\.vimeo\.com)/.*"), answer)
    return asked


def test_lm1_lm3_lm4_lm5_pv11_visitor_previews_subscribes_completes_a_course_and_verifies_the_certificate(
    page: Page, live_server, catalog: None, tmp_path: Path
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    players = _stub_players(page)

    # The visitor browses the catalog and searches it.
    page.goto(live_server.url + "/")
    expect(page.locator("#plan-material")).to_contain_text("Pro 3 mois")
    page.get_by_role("link", name="Catalogue", exact=True).first.click()
    expect(page).to_have_url(live_server.url + "/courses/")
    expect(page.locator("#course-list > li")).to_have_count(8)
    shot(page, "learning-01-catalog")
    page.get_by_label("Rechercher").fill("kube")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("#course-list > li")).to_have_count(1)
    page.get_by_role("link", name="Kubernetes en production : pods, déploiements et services").click()
    expect(page).to_have_url(live_server.url + COURSE)
    expect(page.locator("#syllabus-title")).to_be_visible()
    shot(page, "learning-02-course")

    # A free preview: the video is a placeholder that names YouTube; nothing is asked from it.
    page.get_by_role("link", name="Essayer une leçon gratuite").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("L'architecture d'un cluster")
    placeholder = page.locator(".embed--video").first
    expect(placeholder).to_contain_text("Cette vidéo est hébergée par YouTube")
    expect(placeholder.get_by_role("link", name="Notre politique de confidentialité")).to_be_visible()
    expect(page.locator("iframe")).to_have_count(0)
    page.wait_for_load_state("networkidle")
    shot(page, "learning-03-free-preview-video-placeholder")
    assert [url for url in requested if not url.startswith(live_server.url)] == []
    assert players == []

    # The click loads the privacy-enhanced player, and only it.
    with page.expect_request(re.compile(r"https://www\.youtube-nocookie\.com/embed/")):
        placeholder.get_by_role("button", name="Charger la vidéo").click()
    expect(page.locator("iframe.embed__content")).to_have_attribute(
        "src", re.compile(r"^https://www\.youtube-nocookie\.com/embed/")
    )
    shot(page, "learning-04-video-loaded-after-click")
    outside = [url for url in requested if not url.startswith(live_server.url)]
    assert outside and all(url.startswith("https://www.youtube-nocookie.com/embed/") for url in outside), outside

    # The next lesson is locked: it says which plan opens it.
    page.get_by_role("link", name=re.compile("Pods, ReplicaSets et Deployments")).first.click()
    expect(page.locator("#locked")).to_contain_text("niveau Pro")
    shot(page, "learning-05-locked-lesson")
    page.locator("#locked").get_by_role("link", name="Pro 3 mois").click()

    # The visitor subscribes: registration with the plan, usable at once.
    expect(page).to_have_url(live_server.url + "/plans/pro-3-mois/subscribe/")
    page.get_by_label("Nom d'utilisateur").fill("grace")
    page.get_by_label("Adresse e-mail").fill("grace@example.org")
    page.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    page.get_by_label("J'accepte les conditions d'utilisation").check()
    page.locator("#id_consent").check()  # BZ-2: immediate access, withdrawal right given up
    page.get_by_role("button", name="Commander avec obligation de paiement").click()
    expect(page.get_by_role("status")).to_contain_text("Bienvenue grace")

    # The member follows the course from the start to the quiz.
    page.goto(live_server.url + COURSE)
    page.get_by_role("link", name="Commencer le cours").click()
    for _lesson in range(5):
        expect(page.locator(".lesson__body")).to_be_visible()
        page.get_by_role("button", name="Terminer et passer à la suite").click()
        expect(page.get_by_role("status")).to_contain_text("Leçon terminée.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Examen blanc : Kubernetes (style CKAD)")
    expect(page.locator(".lesson-aside")).to_contain_text("5 leçon(s) terminée(s) sur 6")
    shot(page, "learning-06-quiz")

    # A first attempt fails: the score per topic, not the answers (LX-1); a day later the
    # second one (a new draw) passes, and the certificate asks for the legal name (LX-2).
    def answer(*, right: bool) -> None:
        shown = page.locator("form.quiz__form input[name^=q]").evaluate_all("inputs => inputs.map(i => i.name)")
        for name in dict.fromkeys(shown):
            question = Question.objects.prefetch_related("choices").get(pk=int(name[1:]))
            for choice in question.choices.all():
                if choice.is_correct == right:
                    page.locator(f'input[name="{name}"][value="{choice.pk}"]').check()
                    if not right:
                        break

    page.get_by_role("button", name="Commencer l'examen").click()
    answer(right=False)
    page.get_by_role("button", name="Valider mes réponses").click()
    expect(page.locator("#attempt-score")).to_contain_text("0 bonne(s) réponse(s) sur 5")
    expect(page.locator("#topic-scores")).to_be_visible()
    expect(page.locator(".review__explanation")).to_have_count(0)
    shot(page, "learning-07-failed-attempt-score-per-topic")
    QuizAttempt.objects.filter(user__username="grace").update(submitted_at=timezone.now() - timedelta(days=2))
    page.goto(live_server.url + COURSE + "examen-final/")
    page.get_by_role("button", name="Commencer une nouvelle tentative").click()
    answer(right=True)
    page.get_by_role("button", name="Valider mes réponses").click()
    expect(page.locator("#attempt-score")).to_contain_text("5 bonne(s) réponse(s) sur 5 : 100 %")
    expect(page.locator(".review__explanation").first).to_be_visible()
    page.get_by_role("link", name="Indiquer mon nom légal").click()
    page.get_by_label("Nom légal (prénom et nom)").fill("Grace Hopper")
    page.get_by_role("button", name="Enregistrer ce nom").click()
    expect(page.get_by_role("status")).to_contain_text("Votre certificat est prêt.")
    page.goto(live_server.url + COURSE + "examen-final/")
    page.get_by_role("link", name="Voir la correction").first.click()
    expect(page.get_by_text("Vous avez terminé ce cours. Votre certificat est prêt.")).to_be_visible()
    shot(page, "learning-08-passed-with-certificate")

    # The certificate: a PDF, then its public verification address.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger mon certificat (PDF)").click()
    pdf = tmp_path / "certificat.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    certificate = Certificate.objects.get(user__username="grace")
    page.get_by_role("link", name="Adresse de vérification publique").click()
    expect(page).to_have_url(live_server.url + f"/certificates/{certificate.code}/")
    expect(page.locator("#certificate")).to_contain_text("Certificat authentique")
    expect(page.locator("#certificate")).to_contain_text("Grace Hopper")
    expect(page.locator("#certificate")).to_contain_text("Kubernetes en production")
    shot(page, "learning-09-certificate-verification")

    # The dashboard lists the certificate.
    page.goto(live_server.url + "/learn/")
    expect(page.locator("#certificates")).to_contain_text(certificate.code)
    shot(page, "learning-10-dashboard")


def _log_in(page: Page, live_server, username: str) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Nom d'utilisateur ou adresse e-mail").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_tm11_a_member_reports_an_error_and_reads_the_staffs_answer(
    page: Page, browser: Browser, live_server, catalog: None
) -> None:
    UserFactory(username="bob", email="bob@example.org")
    staff = StaffFactory(username="root", email="root@cloudmentor.example")
    device = staff_totp_device_create(user=staff)

    # The member reports an error at the bottom of a lesson.
    _log_in(page, live_server, "bob")
    page.goto(live_server.url + "/courses/linux-ligne-de-commande/fichiers-et-droits/")
    page.get_by_text("Signaler une erreur dans cette leçon").click()
    page.get_by_label("Quelle erreur avez-vous trouvée ?").fill(
        "Le tableau dit « 2 à 4 » pour le propriétaire : c'est bien 2 à 4 ?"
    )
    shot(page, "learning-11-report-an-error")
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.get_by_role("status")).to_contain_text("Votre signalement a été transmis")
    page.goto(live_server.url + "/account/reports/")
    expect(page.locator("#reports")).to_contain_text("En cours d'examen")

    # Staff answer it in the staff area (password, then TOTP).
    staff_context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    staff_page = staff_context.new_page()
    staff_log_in(staff_page, live_server.url + "/staff/learning/errorreport/?status__exact=open", device)
    expect(staff_page.locator("#result_list")).to_contain_text("Fichiers, utilisateurs et droits")
    staff_page.get_by_role("link", name=re.compile(r"\d{4}|Fichiers, utilisateurs et droits")).first.click()
    staff_page.locator("select[name=outcome]").select_option("rejected")
    staff_page.locator("textarea[name=staff_reply]").fill(
        "Oui : les caractères 2 à 4 de la chaîne sont ceux du propriétaire."
    )
    shot(staff_page, "learning-12-staff-triage")
    staff_page.locator('input[name="_save"]').click()
    expect(staff_page.locator(".messagelist")).to_be_visible()
    staff_context.close()
    assert ErrorReport.objects.get().status == "rejected"

    # The member reads the answer (and was told by email).
    page.goto(live_server.url + "/account/reports/")
    expect(page.locator("#reports")).to_contain_text("Rejeté")
    expect(page.locator("#reports")).to_contain_text("les caractères 2 à 4 de la chaîne sont ceux du propriétaire")
    shot(page, "learning-13-member-reads-the-answer")
    assert [message.to for message in mail.outbox] == [["bob@example.org"]]
