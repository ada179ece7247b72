"""Maintenance windows in a browser (TM-5).

Staff schedule a window in /staff/ (a wrong end is refused first); a visitor sees the banner
on every page; an emergency window starts at once (instead of moving the browser's clock into
the scheduled one): the visitor gets the maintenance page in French and English, while staff
keep using the site and /staff/; staff end it and the site is back.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from cloudmentor.accounts.services import staff_totp_device_create
from cloudmentor.accounts.tests.factories import StaffFactory
from cloudmentor.operations.banner import day_text
from cloudmentor.operations.models import MaintenanceWindow
from tests.browser.conftest import shot, staff_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PARIS = ZoneInfo("Europe/Paris")


def test_tm5_staff_schedule_a_window_visitors_see_the_banner_then_the_maintenance_page_staff_still_get_in(
    page: Page, browser: Browser, live_server
) -> None:
    staff = StaffFactory(username="root", email="root@cloudmentor.example")
    device = staff_totp_device_create(user=staff)
    tomorrow = timezone.localdate() + timedelta(days=1)
    starts_at = datetime.combine(tomorrow, time(22, 0), tzinfo=PARIS)

    # Staff log in (password, then TOTP code) on their way to a new window.
    staff_log_in(page, live_server.url + "/staff/operations/maintenancewindow/add/", device)
    expect(page).to_have_url(re.compile(r"/staff/operations/maintenancewindow/add/$"))

    # An end before the start is refused with a message; nothing is stored.
    date = tomorrow.strftime("%d/%m/%Y")
    page.locator("#id_starts_at_0").fill(date)
    page.locator("#id_starts_at_1").fill("22:00:00")
    page.locator("#id_ends_at_0").fill(date)
    page.locator("#id_ends_at_1").fill("21:00:00")
    page.locator("#id_message_fr").fill("Mise à jour de la base de données.")
    page.locator("#id_message_en").fill("Database upgrade.")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator(".errorlist")).to_contain_text("La fin doit être postérieure au début.")
    shot(page, "maintenance-01-end-before-start-refused")
    assert MaintenanceWindow.objects.count() == 0

    page.locator("#id_ends_at_1").fill("23:30:00")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page).to_have_url(re.compile(r"/staff/operations/maintenancewindow/$"))
    expect(page.locator("#result_list")).to_contain_text("annoncée")
    shot(page, "maintenance-02-staff-window-scheduled")

    # A visitor (no cookie) sees the banner on every page, in French and in English.
    visitor_context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    visitor = visitor_context.new_page()
    visitor.goto(live_server.url + "/")
    banner = visitor.locator("#maintenance-banner")
    expect(banner).to_have_attribute("role", "status")
    expect(banner).to_contain_text(
        f"Maintenance prévue le {day_text(starts_at, 'fr')} de 22:00 à 23:30 (heure de Paris)."
    )
    expect(banner).to_contain_text("Mise à jour de la base de données.")
    shot(visitor, "maintenance-03-visitor-banner-fr")
    visitor.goto(live_server.url + "/en/courses/")
    expect(visitor.locator("#maintenance-banner")).to_contain_text(
        f"Maintenance scheduled on {day_text(starts_at, 'en')} from 22:00 to 23:30 (Paris time)."
    )
    shot(visitor, "maintenance-04-visitor-banner-en")

    # Something breaks: staff start an emergency window, which takes the site down at once.
    page.get_by_role("link", name="Démarrer une maintenance d'urgence").click()
    page.get_by_label("Durée (minutes)").fill("45")
    page.get_by_label("Message (français)").fill("Incident sur la base de données.")
    page.get_by_label("Message (anglais)").fill("Database incident.")
    shot(page, "maintenance-05-staff-emergency-form")
    page.get_by_role("button", name="Démarrer une maintenance d'urgence").click()
    expect(page.locator(".messagelist:not(#maintenance-banner)")).to_contain_text(
        "Maintenance d'urgence en cours jusqu'à"
    )
    expect(page.locator("#maintenance-banner")).to_contain_text("Maintenance d'urgence en cours jusqu'au")
    shot(page, "maintenance-06-staff-site-during-emergency")

    # The visitor now gets the maintenance page (503), in French at / and in English under /en/.
    response = visitor.goto(live_server.url + "/")
    assert response is not None and response.status == 503
    assert 2690 <= int(response.headers["retry-after"]) <= 2700
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Le site est en maintenance")
    expect(visitor.locator("main")).to_contain_text("Incident sur la base de données.")
    shot(visitor, "maintenance-07-visitor-maintenance-page-fr")
    response = visitor.goto(live_server.url + "/en/courses/")
    assert response is not None and response.status == 503
    expect(visitor.get_by_role("heading", level=1)).to_have_text("The site is under maintenance")
    expect(visitor.locator("main")).to_contain_text("Database incident.")
    shot(visitor, "maintenance-08-visitor-maintenance-page-en")

    # Staff still use the site, with a banner saying what visitors see.
    response = page.goto(live_server.url + "/courses/")
    assert response is not None and response.status == 200
    expect(page.locator("#maintenance-banner")).to_contain_text(
        "Les visiteurs et les membres voient la page de maintenance"
    )
    shot(page, "maintenance-09-staff-site-pages-during-emergency")

    # Staff end the emergency: the site is back for the visitor, with tomorrow's announcement.
    emergency = MaintenanceWindow.objects.get(is_emergency=True)
    page.goto(live_server.url + f"/staff/operations/maintenancewindow/{emergency.pk}/change/")
    page.get_by_role("link", name="Terminer maintenant").click()
    page.get_by_role("button", name="Terminer la maintenance maintenant").click()
    expect(page.locator(".messagelist:not(#maintenance-banner)")).to_contain_text("La maintenance est terminée")
    shot(page, "maintenance-10-staff-emergency-ended")
    response = visitor.goto(live_server.url + "/")
    assert response is not None and response.status == 200
    expect(visitor.locator("#maintenance-banner")).to_contain_text("Maintenance prévue le")
    shot(visitor, "maintenance-11-visitor-site-back")
    visitor_context.close()
