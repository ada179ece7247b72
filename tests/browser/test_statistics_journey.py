"""Staff read the traffic statistics; a member reads their own activity (PV-5, PV-6, PV-7).

1. Staff log in (password, then TOTP code), open the statistics, change the range with the
   date fields and a preset, export a table as CSV, and open a member's recent requests.
2. A member opens "My activity" and sees what was recorded about their own requests.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cloudmentor.accounts.services import staff_totp_device_create
from cloudmentor.accounts.tests.factories import PASSWORD, StaffFactory, UserFactory
from cloudmentor.analytics.ingestion import spool_ingest
from cloudmentor.analytics.models import Device
from cloudmentor.analytics.rollups import rollup_fill
from cloudmentor.analytics.tests.factories import RequestRecordFactory
from tests.browser.conftest import shot, staff_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BROWSERS = [
    ("Chrome", "Windows", Device.DESKTOP),
    ("Firefox", "Ubuntu", Device.DESKTOP),
    ("Mobile Safari", "iOS", Device.MOBILE),
]
PAGES = ["/", "/en/", "/catalog/", "/contact/", "/legal/privacy/"]


@pytest.fixture
def traffic(settings, tmp_path: Path) -> dict[str, object]:
    """Thirty days of requests, more on weekdays, a member among the visitors."""
    settings.ANALYTICS_SPOOL_DIR = tmp_path / "spool"
    member = UserFactory(username="ada", email="ada@example.org")
    now = timezone.now()
    for day in range(30):
        volume = 12 + (day * 7) % 11 + (0 if (now - timedelta(days=day)).weekday() >= 5 else 10)
        for number in range(volume):
            browser, system, device = BROWSERS[number % len(BROWSERS)]
            RequestRecordFactory(
                requested_at=now - timedelta(days=day, minutes=37 * number + 5),
                path=PAGES[(number + day) % len(PAGES)],
                ip_address=f"198.51.100.{(number * 3 + day) % 40}",
                browser=browser,
                operating_system=system,
                device=device,
                status=404 if number % 13 == 0 else 200,
                user=member if number % 4 == 0 else None,
                duration_microseconds=2000 + (number * 977) % 40_000,
            )
    rollup_fill()
    return {"member": member}


def _refresh_statistics() -> None:
    """What the scheduler does every few seconds and minutes."""
    spool_ingest()
    rollup_fill()


def test_pv5_pv6_staff_read_the_statistics_change_the_range_export_csv_and_open_a_members_requests(
    page: Page, live_server, traffic: dict[str, object]
) -> None:
    staff = StaffFactory(username="root", email="root@cloudmentor.example")
    device = staff_totp_device_create(user=staff)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    staff_log_in(page, live_server.url + "/staff/statistics/", device)

    expect(page).to_have_url(re.compile(r"/staff/statistics/$"))
    _refresh_statistics()  # the journey's own requests are in the log too
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistiques de fréquentation")
    expect(page.locator("svg.chart__svg")).to_have_count(2)
    expect(page.locator("rect.chart__bar")).to_have_count(30)
    expect(page.locator("#table-pages + table")).to_contain_text("/catalog/")
    expect(page.locator("#table-browsers + table")).to_contain_text("Mobile Safari")
    shot(page, "statistics-01-dashboard")

    # A week, typed in the date fields.
    today = timezone.localdate()
    page.get_by_label("Du").fill((today - timedelta(days=6)).isoformat())
    page.get_by_label("Au").fill(today.isoformat())
    page.get_by_role("button", name="Afficher").click()
    expect(page).to_have_url(re.compile(r"from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}"))
    expect(page.locator("rect.chart__bar")).to_have_count(7)
    shot(page, "statistics-02-one-week")

    # The last day, hour by hour, through a preset then the fields.
    page.get_by_role("link", name="90 jours").click()
    expect(page.locator("rect.chart__bar")).to_have_count(90)
    page.get_by_label("Du").fill(today.isoformat())
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator(".statistics__period")).to_contain_text("heure par heure")
    expect(page.locator("rect.chart__bar")).to_have_count(24)

    # CSV export of the pages table, for the range on screen.
    with page.expect_download() as download_info:
        page.locator("#table-pages ~ .export a").click()
    download = download_info.value
    assert download.suggested_filename == f"statistics-pages-{today}-{today}.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text())))
    assert rows[0] == ["page", "requests", "share"]
    assert len(rows) > 1

    # Support: a member's recent requests.
    page.get_by_label("Requêtes récentes d'un membre (nom d'utilisateur ou e-mail)").fill("ada@example.org")
    page.get_by_role("button", name="Voir", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Requêtes récentes de ada")
    expect(page.locator("table.records tbody tr").first).to_be_visible()
    shot(page, "statistics-03-member-requests")

    assert all(url.startswith(live_server.url) for url in requested), [
        u for u in requested if not u.startswith(live_server.url)
    ]


def test_pv7_a_member_reads_what_was_recorded_about_their_requests(
    page: Page, live_server, traffic: dict[str, object]
) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Nom d'utilisateur ou adresse e-mail").fill("ada")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(live_server.url + "/contact/?from=journey")
    _refresh_statistics()

    page.goto(live_server.url + "/account/activity/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Mon activité")
    rows = page.locator("table.records tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator("table.records")).to_contain_text("/contact/?from=journey")
    expect(page.locator("table.records")).to_contain_text("HeadlessChrome")
    page.get_by_role("link", name="Requêtes plus anciennes →").click()
    expect(page.locator("table.records tbody tr").first).to_be_visible()
    shot(page, "statistics-04-member-activity")

    page.goto(live_server.url + "/en/account/activity/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My activity")
