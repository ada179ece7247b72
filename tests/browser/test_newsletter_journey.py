"""A member subscribes from the account page, staff send an issue, the member unsubscribes from the email (PV-4).

1. The member logs in, opens "Mon compte", follows "gérer ma newsletter" and subscribes.
2. Staff log in to the staff site (password, TOTP), write an issue in French and English,
   preview it and send it.
3. The member's email arrives through a real SMTP server (aiosmtpd), in French, with the
   RFC 8058 headers; the member opens its unsubscribe link, confirms with the button and
   sees the confirmation. An English reader does the same from the English email.
"""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from email.message import Message

import pytest
from playwright.sync_api import Browser, Page, expect

from cloudmentor.accounts.services import staff_totp_device_create
from cloudmentor.accounts.tests.factories import PASSWORD, StaffFactory, UserFactory
from cloudmentor.newsletter.models import Subscriber
from cloudmentor.newsletter.tests.factories import SubscriberFactory
from conftest import body_text
from tests.browser.conftest import shot, staff_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://\S+/newsletter/unsubscribe/[^/\s]+/")


def _subject(message: Message) -> str:
    return str(make_header(decode_header(str(message["Subject"]))))


def test_pv4_subscribe_from_the_account_staff_send_unsubscribe_from_the_email(
    page: Page, browser: Browser, live_server, smtp_server, settings
) -> None:
    settings.SITE_URL = live_server.url
    member = UserFactory(username="ada", email="ada@example.org")
    SubscriberFactory(email="reader@example.org", language="en")

    # 1. The member subscribes from the account page.
    page.goto(live_server.url + "/accounts/login/?next=/account/")
    page.get_by_label("Nom d'utilisateur ou adresse e-mail").fill("ada")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#newsletter-profile-status")).to_have_text("non abonné")
    page.get_by_role("link", name="gérer ma newsletter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ma newsletter")
    page.get_by_role("button", name="M'abonner à la newsletter").click()
    expect(page.locator(".message--success")).to_contain_text("Vous êtes abonné à la newsletter.")
    expect(page.locator("#newsletter-status")).to_contain_text("ada@example.org")
    shot(page, "newsletter-01-account-subscribed-fr")
    page.goto(live_server.url + "/en/account/newsletter/")
    expect(page.locator("#newsletter-status .badge")).to_have_text("Subscribed")
    shot(page, "newsletter-02-account-subscribed-en")
    page.goto(live_server.url + "/account/")
    expect(page.locator("#newsletter-profile-status")).to_contain_text("abonné depuis le")

    # 2. Staff write, preview and send an issue.
    staff = StaffFactory(username="root", email="root@cloudmentor.example")
    device = staff_totp_device_create(user=staff)
    staff_context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    desk = staff_context.new_page()
    staff_log_in(desk, live_server.url + "/staff/newsletter/issue/add/", device)
    expect(desk).to_have_url(re.compile(r"/staff/newsletter/issue/add/$"))
    desk.get_by_label("Objet (français)").fill("Nouveautés de décembre")
    desk.get_by_label("Texte (français, Markdown)").fill(
        "## Deux nouveaux cours\n\nDécouvrez **Terraform** en pratique."
    )
    desk.get_by_label("Objet (anglais)").fill("What's new in December")
    desk.get_by_label("Texte (anglais, Markdown)").fill("## Two new courses\n\nLearn **Terraform** hands-on.")
    desk.get_by_role("button", name="Enregistrer et continuer les modifications").click()
    desk.get_by_role("button", name="M'envoyer un test (français et anglais)").click()
    expect(desk.locator(".messagelist")).to_contain_text("Test envoyé à root@cloudmentor.example")
    shot(desk, "newsletter-03-staff-issue")
    test_subjects = {_subject(smtp_server.wait_for(to="root@cloudmentor.example"))}
    assert test_subjects <= {"[Test] Nouveautés de décembre", "[Test] What's new in December"}
    desk.get_by_role("link", name="Aperçu").click()
    expect(desk.locator(".newsletter-preview strong").first).to_have_text("Terraform")
    shot(desk, "newsletter-04-staff-preview")
    desk.go_back()
    desk.get_by_role("link", name="Envoyer aux abonnés").click()
    expect(desk.locator("#content")).to_contain_text("2 adresses abonnées")
    shot(desk, "newsletter-05-staff-send")
    desk.get_by_role("button", name="Envoyer maintenant").click()
    expect(desk.locator(".messagelist")).to_contain_text("Envoi commencé")
    staff_context.close()

    # 3. The member opens the email, clicks the link, confirms.
    message = smtp_server.wait_for(to="ada@example.org")
    assert _subject(message) == "Nouveautés de décembre"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = LINK.search(body_text(message))
    assert link and message["List-Unsubscribe"].strip() == f"<{link.group(0)}>"
    page.goto(link.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("Se désabonner de la newsletter")
    shot(page, "newsletter-06-unsubscribe-page-fr")
    page.get_by_role("button", name="Me désabonner").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vous êtes désabonné")
    expect(page.get_by_role("status")).to_contain_text("ada@example.org")
    shot(page, "newsletter-07-unsubscribed-fr")
    assert Subscriber.objects.get(user=member).status == "unsubscribed"

    # The English reader, from the English email, in a browser without any cookie.
    reader_page = browser.new_page(locale="en-GB")
    message = smtp_server.wait_for(to="reader@example.org")
    assert _subject(message) == "What's new in December"
    link = LINK.search(body_text(message))
    assert link and "/en/newsletter/unsubscribe/" in link.group(0)
    reader_page.goto(link.group(0))
    expect(reader_page.get_by_role("heading", level=1)).to_have_text("Unsubscribe from the newsletter")
    shot(reader_page, "newsletter-08-unsubscribe-page-en")
    reader_page.get_by_role("button", name="Unsubscribe me").click()
    expect(reader_page.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    shot(reader_page, "newsletter-09-unsubscribed-en")
    assert reader_page.context.cookies() == []
    reader_page.close()

    # The member's account page shows the change.
    page.goto(live_server.url + "/account/newsletter/")
    expect(page.locator("#newsletter-status .badge")).to_have_text("Désabonné")
    expect(page.locator("#consent-history")).to_contain_text("lien de désinscription d'un e-mail")
    shot(page, "newsletter-10-account-unsubscribed-fr")


def test_pv4_a_visitor_subscribes_from_the_public_form_and_confirms_from_the_email(
    page: Page, live_server, smtp_server, settings
) -> None:
    """Double opt-in: nothing is stored until the owner of the address clicks the emailed link."""
    settings.SITE_URL = live_server.url
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="La newsletter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("La newsletter")
    assert {cookie["name"] for cookie in page.context.cookies()} == {"cm_form_newsletter"}
    page.get_by_label("Votre adresse e-mail").fill("visiteur@example.org")
    shot(page, "newsletter-11-public-form-fr")
    page.get_by_role("button", name="M'abonner").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre boîte e-mail")
    assert page.context.cookies() == []
    assert not Subscriber.objects.exists()

    message = smtp_server.wait_for(to="visiteur@example.org")
    link = re.search(r"https?://\S+/newsletter/confirm/[^/\s]+/", body_text(message))
    assert link
    page.goto(link.group(0))
    page.get_by_role("button", name="Confirmer mon abonnement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Abonnement confirmé")
    shot(page, "newsletter-12-confirmed-fr")
    assert Subscriber.objects.get().email == "visiteur@example.org"
