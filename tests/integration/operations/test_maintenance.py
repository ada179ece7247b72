"""Maintenance windows (TM-5): announced by a banner, 503 for all but staff during the window."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cloudmentor.accounts.models import User
from cloudmentor.accounts.tests.factories import PASSWORD
from cloudmentor.core import pageparts
from cloudmentor.operations import services
from cloudmentor.operations.banner import day_text
from cloudmentor.operations.exceptions import MaintenanceWindowRefused
from cloudmentor.operations.models import MaintenanceWindow
from cloudmentor.operations.tests.conftest import END, SECOND, START, staff_in, totp_code, window_create
from conftest import form_token, log_in_client

pytestmark = pytest.mark.django_db

NOTICE = timedelta(hours=72)
BANNER_FR = "Maintenance prévue le jeudi 3 décembre 2026 de 22:00 à 23:30 (heure de Paris)."
BANNER_EN = "Maintenance scheduled on Thursday 3 December 2026 from 22:00 to 23:30 (Paris time)."
PAGE_FR = "Le site est en maintenance"
PAGE_EN = "The site is under maintenance"


def _text(response: Any) -> str:
    """The page's text with its white space collapsed (templates wrap long sentences)."""
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def _banner(response: Any) -> str:
    match = re.search(
        r'<div class="banner banner--maintenance[^"]*" role="status" id="maintenance-banner">(.*?)</div>\s*</div>',
        response.content.decode(),
        re.S,
    )
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(1))).strip() if match else ""


# Announcement ---------------------------------------------------------------------------


@pytest.mark.parametrize(("offset", "shown"), [(-SECOND, False), (SECOND, True), (NOTICE - SECOND, True)])
def test_tm5_the_banner_shows_from_72_hours_before_the_start(client: Client, offset: timedelta, shown: bool) -> None:
    """Every page announces the window from OPERATIONS_MAINTENANCE_NOTICE_HOURS (72) before it starts."""
    window_create()

    with time_machine.travel(START - NOTICE + offset, tick=False):
        home = client.get("/")
        catalog = client.get("/courses/")

    assert home.status_code == catalog.status_code == 200
    assert (_banner(home) != "") is shown
    assert (_banner(catalog) != "") is shown


def test_tm5_the_banner_gives_the_day_and_times_in_paris_time_in_french_and_english(client: Client) -> None:
    window_create(message_fr="Mise à jour de la base de données.", message_en="Database upgrade.")

    with time_machine.travel(START - timedelta(hours=5), tick=False):
        french = client.get("/")
        english = client.get("/en/")

    assert _banner(french).startswith(BANNER_FR)
    assert "Mise à jour de la base de données." in _banner(french)
    assert _banner(english).startswith(BANNER_EN)
    assert "Database upgrade." in _banner(english)
    assert 'role="status" id="maintenance-banner"' in french.content.decode()


def test_tm5_a_window_over_two_days_names_both_days() -> None:
    window_create(ends_at=START + timedelta(hours=28))  # until Saturday 5 December, 02:00

    with time_machine.travel(START - timedelta(hours=1), tick=False):
        french = Client().get("/")
        english = Client().get("/en/")

    assert _banner(french).startswith(
        "Maintenance prévue du jeudi 3 décembre 2026 à 22:00 au samedi 5 décembre 2026 à 02:00 (heure de Paris)."
    )
    assert _banner(english).startswith(
        "Maintenance scheduled from Thursday 3 December 2026 at 22:00 to Saturday 5 December 2026 at 02:00 (Paris time)."
    )


def test_tm5_the_first_of_the_month_is_written_1er_in_french() -> None:
    first = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    assert day_text(first, "fr") == "mardi 1er décembre 2026"
    assert day_text(first, "en") == "Tuesday 1 December 2026"


def test_tm5_a_summer_window_is_shown_in_paris_summer_time(client: Client) -> None:
    window_create(starts_at=datetime(2027, 7, 1, 20, 0, tzinfo=UTC), ends_at=datetime(2027, 7, 1, 21, 0, tzinfo=UTC))

    with time_machine.travel(datetime(2027, 7, 1, 8, 0, tzinfo=UTC), tick=False):
        response = client.get("/")

    assert _banner(response).startswith(
        "Maintenance prévue le jeudi 1er juillet 2027 de 22:00 à 23:00 (heure de Paris)."
    )


def test_tm5_saving_a_window_refreshes_the_visitors_cached_pages_at_once(client: Client) -> None:
    """Pages kept for visitors (up to LEARNING_PAGE_CACHE_SECONDS) show a new window at the next request."""
    with time_machine.travel(START - timedelta(hours=5), tick=False):
        before = client.get("/")
        window = window_create()
        announced = client.get("/")
        services.maintenance_window_cancel(window=window, cancelled_by=None)
        cancelled = client.get("/")

    assert _banner(before) == "" and _banner(cancelled) == ""
    assert _banner(announced).startswith(BANNER_FR)


# During the window ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "retry_after"),
    [(START - SECOND, None), (START, 5400), (END - SECOND, 1), (END, None)],
)
@pytest.mark.parametrize(("path", "page", "language"), [("/", PAGE_FR, "fr"), ("/en/", PAGE_EN, "en")])
def test_tm5_visitors_get_503_with_retry_after_and_the_maintenance_page_during_the_window(
    client: Client, moment: datetime, retry_after: int | None, path: str, page: str, language: str
) -> None:
    window_create()

    with time_machine.travel(moment, tick=False):
        response = client.get(path)
        other = client.get(f"{path}courses/")

    if retry_after is None:
        assert response.status_code == other.status_code == 200
        assert page not in _text(response)
        assert "Retry-After" not in response
        return
    assert response.status_code == other.status_code == 503
    assert response["Retry-After"] == other["Retry-After"] == str(retry_after)
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Language"] == language
    assert page in _text(response) and page in _text(other)
    assert f'<html lang="{language}">' in response.content.decode()
    assert not response.cookies


def test_tm5_the_maintenance_page_says_when_the_site_is_back_and_links_only_to_the_support_address(
    client: Client, settings: Any
) -> None:
    window_create(message_fr="Migration vers PostgreSQL 17.", message_en="Moving to PostgreSQL 17.")

    with time_machine.travel(START + timedelta(minutes=10), tick=False):
        french = _text(client.get("/"))
        english = _text(client.get("/en/"))

    assert "Retour prévu le jeudi 3 décembre 2026 à 23:30 (heure de Paris)." in french
    assert "Migration vers PostgreSQL 17." in french
    assert "Expected back on Thursday 3 December 2026 at 23:30 (Paris time)." in english
    assert "Moving to PostgreSQL 17." in english
    links = re.findall(r'href="([^"]+)"', french)
    assert [link for link in links if not link.startswith("/static/")] == [f"mailto:{settings.SUPPORT_EMAIL}"]


def test_tm5_the_maintenance_page_costs_no_query_and_carries_strict_headers(client: Client) -> None:
    window_create()

    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        client.get("/")  # the window list is cached
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/courses/")

    assert response.status_code == 503
    assert len(queries) == 0
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_tm5_members_get_the_maintenance_page_too(member: User) -> None:
    window_create()

    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        member_client = log_in_client(Client(), member)
        account = member_client.get("/account/")
        home = member_client.get("/en/")

    assert account.status_code == home.status_code == 503
    assert account["Retry-After"] == str(89 * 60)
    assert PAGE_FR in _text(account) and PAGE_EN in _text(home)


def test_tm5_a_page_cached_for_visitors_before_the_window_is_not_served_during_it(client: Client) -> None:
    window_create()

    with time_machine.travel(START - SECOND, tick=False) as traveller:
        assert client.get("/").status_code == 200  # kept for 60 s
        traveller.move_to(START + SECOND)
        response = client.get("/")

    assert response.status_code == 503


def test_tm5_the_stripe_webhook_gets_503_too_and_stripe_retries_later(client: Client) -> None:
    window_create()

    with time_machine.travel(START + timedelta(minutes=30), tick=False):
        response = client.post("/billing/webhooks/stripe/", b"{}", content_type="application/json")

    assert response.status_code == 503
    assert response["Retry-After"] == str(60 * 60)


def test_tm5_static_files_stay_served_during_the_window(client: Client) -> None:
    window_create()

    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        response = client.get("/static/core/css/app.css")

    assert response.status_code != 503


def test_tm5_overlapping_windows_are_one_maintenance_for_retry_after(client: Client) -> None:
    window_create()
    window_create(starts_at=END - timedelta(minutes=30), ends_at=END + timedelta(hours=1))

    with time_machine.travel(START, tick=False):
        response = client.get("/")

    assert response["Retry-After"] == str(int((END + timedelta(hours=1) - START).total_seconds()))
    assert "Retour prévu le jeudi 3 décembre 2026 à 00:30" not in _text(response)
    assert "Retour prévu le vendredi 4 décembre 2026 à 00:30 (heure de Paris)." in _text(response)


def test_tm5_a_cancelled_window_has_no_effect(client: Client) -> None:
    window_create(cancelled_at=START - timedelta(days=1))

    with time_machine.travel(START - timedelta(hours=1), tick=False) as traveller:
        before = client.get("/courses/")
        traveller.move_to(START + timedelta(minutes=1))
        during = client.get("/courses/")

    assert before.status_code == during.status_code == 200
    assert _banner(before) == "" and _banner(during) == ""


# Staff ---------------------------------------------------------------------------------------


def test_tm5_staff_still_use_the_site_and_the_staff_site_with_a_banner(staff: User) -> None:
    window_create()

    with time_machine.travel(START - timedelta(hours=1), tick=False) as traveller:
        staff_client = staff_in(staff)
        traveller.move_to(START + timedelta(minutes=1))
        home = staff_client.get("/")
        english = staff_client.get("/en/courses/")
        staff_site = staff_client.get("/staff/")
        windows = staff_client.get("/staff/operations/maintenancewindow/")

    assert home.status_code == english.status_code == staff_site.status_code == windows.status_code == 200
    assert _banner(home).startswith("Maintenance en cours jusqu'au jeudi 3 décembre 2026 à 23:30 (heure de Paris).")
    assert "les visiteurs et les membres voient la page de maintenance" in _banner(home).lower()
    assert _banner(english).startswith("Maintenance in progress until Thursday 3 December 2026 at 23:30 (Paris time).")
    assert "Maintenance en cours jusqu'au jeudi 3 décembre 2026 à 23:30" in _text(staff_site)
    assert "en cours" in _text(windows)


def test_tm5_staff_log_in_during_a_window_while_visitors_and_members_do_not_get_in(
    client: Client, staff: User, member: User
) -> None:
    window_create()
    device = None
    with time_machine.travel(START - timedelta(days=1), tick=False) as traveller:
        from cloudmentor.accounts import services as accounts_services

        device = accounts_services.staff_totp_device_create(user=staff)
        traveller.move_to(START + timedelta(minutes=5))

        login_page = client.get("/staff/", follow=True)
        login_url = login_page.redirect_chain[-1][0]
        logged_in = client.post(
            login_url, {"form_token": form_token(login_page), "identifier": "root", "password": PASSWORD}
        )
        verify = client.get(logged_in["Location"], follow=True)
        verified = client.post(
            "/accounts/staff/verify/", {"token": totp_code(device), "next": "/staff/operations/maintenancewindow/"}
        )
        windows = client.get(verified["Location"])

        plain_login = Client().get("/accounts/login/")
        member_client = Client()
        member_page = member_client.get("/accounts/login/?next=/staff/")
        member_login = member_client.post(
            "/accounts/login/?next=/staff/",
            {"form_token": form_token(member_page), "identifier": member.username, "password": PASSWORD},
        )
        member_home = member_client.get("/")

    assert login_url.startswith("/accounts/login/?next=/staff/")
    assert login_page.status_code == 200
    assert logged_in.status_code == 302
    assert verify.status_code == 200  # the TOTP step
    assert verified.status_code == 302
    assert windows.status_code == 200
    assert plain_login.status_code == 503  # the login page is only the staff's way in
    assert member_login.status_code == 302
    assert member_home.status_code == 503


def test_tm5_healthz_stays_200_and_reports_the_maintenance(client: Client) -> None:
    """A load balancer keeps the machines in service: they answer the maintenance page themselves."""
    window_create()

    with time_machine.travel(START - timedelta(hours=2), tick=False) as traveller:
        before = client.get("/healthz")
        traveller.move_to(START + timedelta(minutes=30))
        during = client.get("/healthz")

    assert before.status_code == during.status_code == 200
    assert before.json()["maintenance"] == {
        "active": False,
        "next": {"starts_at": START.isoformat(), "ends_at": END.isoformat()},
    }
    assert during.json()["maintenance"] == {"active": True, "ends_at": END.isoformat(), "retry_after_seconds": 3600}
    assert during.json()["status"] == "ok"


# The staff site -------------------------------------------------------------------------------


def _admin_times(starts_at: datetime, ends_at: datetime) -> dict[str, str]:
    """The split date/time fields of the staff site, in Paris time and French formats."""
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    start, end = starts_at.astimezone(paris), ends_at.astimezone(paris)
    return {
        "starts_at_0": start.strftime("%d/%m/%Y"),
        "starts_at_1": start.strftime("%H:%M:%S"),
        "ends_at_0": end.strftime("%d/%m/%Y"),
        "ends_at_1": end.strftime("%H:%M:%S"),
    }


def test_tm5_staff_schedule_a_window_in_the_staff_site(staff: User, client: Client) -> None:
    with time_machine.travel(START - timedelta(days=5), tick=False) as traveller:
        staff_client = staff_in(staff)
        response = staff_client.post(
            "/staff/operations/maintenancewindow/add/",
            {**_admin_times(START, END), "message_fr": "Mise à jour.", "message_en": "Upgrade."},
        )
        window = MaintenanceWindow.objects.get()
        not_yet = client.get("/")
        traveller.move_to(START - timedelta(hours=71))
        announced = client.get("/")

    assert response.status_code == 302
    assert (window.starts_at, window.ends_at, window.created_by) == (START, END, staff)
    assert not window.is_emergency
    assert _banner(not_yet) == ""
    assert _banner(announced).startswith(BANNER_FR)


def test_tm5_a_window_shorter_than_the_notice_is_accepted_with_a_warning(staff: User) -> None:
    with time_machine.travel(START - timedelta(hours=3), tick=False):
        staff_client = staff_in(staff)
        response = staff_client.post("/staff/operations/maintenancewindow/add/", _admin_times(START, END), follow=True)

    assert MaintenanceWindow.objects.count() == 1
    assert "annoncée que 3 h à l'avance (préavis habituel : 72 h)" in _text(response)


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "message"),
    [
        (START, START - timedelta(hours=1), "La fin doit être postérieure au début."),
        (START, START, "La fin doit être postérieure au début."),
        (START - timedelta(days=2), START + timedelta(hours=1), "Le début est déjà passé."),
        (START - timedelta(days=3), START - timedelta(days=2), "La fin est déjà passée."),
    ],
)
def test_tm5_bad_times_are_refused_with_a_message_and_store_nothing(
    staff: User, starts_at: datetime, ends_at: datetime, message: str
) -> None:
    with time_machine.travel(START - timedelta(days=1), tick=False):
        staff_client = staff_in(staff)
        response = staff_client.post("/staff/operations/maintenancewindow/add/", _admin_times(starts_at, ends_at))

    assert response.status_code == 200
    assert message in _text(response)
    assert MaintenanceWindow.objects.count() == 0


def test_tm5_a_started_window_keeps_its_start_and_an_ended_one_is_read_only(staff: User) -> None:
    window = window_create()
    with time_machine.travel(START + timedelta(minutes=10), tick=False):
        staff_client = staff_in(staff)
        page = _text(staff_client.get(f"/staff/operations/maintenancewindow/{window.pk}/change/"))
        longer = staff_client.post(
            f"/staff/operations/maintenancewindow/{window.pk}/change/",
            {
                "ends_at_0": "04/12/2026",
                "ends_at_1": "00:30:00",
                "message_fr": "Un peu plus longue.",
                "message_en": "A little longer.",
            },
        )
    with pytest.raises(MaintenanceWindowRefused), time_machine.travel(END + SECOND, tick=False):
        services.maintenance_window_change(window=window)

    window.refresh_from_db()
    assert "Terminer maintenant" in page and 'name="starts_at_0"' not in page
    assert longer.status_code == 302
    assert window.ends_at == END + timedelta(hours=1)
    assert window.starts_at == START


def test_tm5_staff_start_an_emergency_window_and_end_it(staff: User, client: Client) -> None:
    """An emergency window starts at once: visitors get the 503 at their next request."""
    moment = datetime(2027, 2, 10, 14, 0, tzinfo=UTC)
    with time_machine.travel(moment, tick=False) as traveller:
        staff_client = staff_in(staff)
        assert client.get("/").status_code == 200  # cached for visitors
        form = staff_client.get("/staff/operations/maintenancewindow/emergency/")
        started = staff_client.post(
            "/staff/operations/maintenancewindow/emergency/",
            {"duration_minutes": "45", "message_fr": "Incident en cours.", "message_en": "Ongoing incident."},
            follow=True,
        )
        window = MaintenanceWindow.objects.get()
        visitor = client.get("/")
        staff_home = staff_client.get("/")
        traveller.move_to(moment + timedelta(minutes=20))
        confirm = staff_client.get(f"/staff/operations/maintenancewindow/{window.pk}/end-now/")
        ended = staff_client.post(f"/staff/operations/maintenancewindow/{window.pk}/end-now/", follow=True)
        after = client.get("/")

    window.refresh_from_db()
    assert form.status_code == 200 and "Démarrer une maintenance d'urgence" in _text(form)
    assert "Maintenance d'urgence en cours jusqu'à 15:45 (heure de Paris)" in _text(started)
    assert window.is_emergency and window.created_by == staff
    assert (window.starts_at, window.ends_at) == (moment, moment + timedelta(minutes=20))
    assert visitor.status_code == 503 and visitor["Retry-After"] == str(45 * 60)
    assert "Incident en cours." in _text(visitor)
    assert staff_home.status_code == 200
    assert _banner(staff_home).startswith("Maintenance d'urgence en cours jusqu'au mercredi 10 février 2027 à 15:45")
    assert confirm.status_code == 200
    assert "La maintenance est terminée : le site est de nouveau accessible." in _text(ended)
    assert after.status_code == 200 and _banner(after) == ""


@pytest.mark.parametrize("minutes", ["0", "-5", "1441", "abc"])
def test_tm5_an_emergency_window_needs_a_sensible_duration(staff: User, minutes: str) -> None:
    staff_client = staff_in(staff)

    response = staff_client.post("/staff/operations/maintenancewindow/emergency/", {"duration_minutes": minutes})

    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert MaintenanceWindow.objects.count() == 0


def test_tm5_staff_cancel_an_upcoming_window_but_not_one_in_progress(staff: User) -> None:
    upcoming = window_create(starts_at=START + timedelta(days=1), ends_at=END + timedelta(days=1))
    running = window_create()
    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        staff_client = staff_in(staff)
        cancelled = staff_client.post(f"/staff/operations/maintenancewindow/{upcoming.pk}/cancel/", follow=True)
        refused = staff_client.post(f"/staff/operations/maintenancewindow/{running.pk}/cancel/")
        action = staff_client.post(
            "/staff/operations/maintenancewindow/",
            {"action": "end_selected_now", "_selected_action": [running.pk, upcoming.pk]},
            follow=True,
        )

    upcoming.refresh_from_db()
    running.refresh_from_db()
    assert "La maintenance est annulée." in _text(cancelled)
    assert upcoming.cancelled_at is not None and upcoming.cancelled_by == staff
    assert "utilisez « Terminer maintenant »" in _text(refused)
    assert running.ends_at == START + timedelta(minutes=1)
    assert "1 maintenance(s) terminée(s)." in _text(action)
    assert "Seule une maintenance en cours peut être terminée maintenant." in _text(action)


def test_tm5_windows_are_never_deleted(staff: User) -> None:
    window = window_create()
    staff_client = staff_in(staff)

    response = staff_client.get(f"/staff/operations/maintenancewindow/{window.pk}/delete/")

    assert response.status_code == 403
    assert MaintenanceWindow.objects.count() == 1


# Cost -----------------------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    client.get(url)  # warm: caches filled, ...
    client.get(url)  # ... and the session's last-seen mark written
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


@contextmanager
def _without_part(name: str) -> Iterator[None]:
    """Pages without the page part `name` (core.pageparts) for a while: the figure to compare with."""
    part = next(part for part in pageparts.parts() if part.name == name)
    pageparts.unregister(name)
    try:
        yield
    finally:
        pageparts.register(part)


def test_tm5_visitor_and_member_pages_cost_no_more_queries(member: User, settings: Any) -> None:
    """Without a window, and with one announced, pages cost what they cost without the feature."""
    with time_machine.travel(START - timedelta(days=10), tick=False) as traveller:
        member_client = log_in_client(Client(), member)
        visitor_client = Client()
        with_feature = {url: _queries(c, url) for c, url in ((visitor_client, "/"), (member_client, "/account/"))}
        window_create()
        traveller.move_to(START - timedelta(hours=1))
        announced = {url: _queries(c, url) for c, url in ((visitor_client, "/"), (member_client, "/account/"))}
        settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if ".operations." not in name]
        engine = settings.TEMPLATES[0]
        settings.TEMPLATES = [
            {
                **engine,
                "OPTIONS": {
                    **engine["OPTIONS"],
                    "context_processors": [
                        name for name in engine["OPTIONS"]["context_processors"] if ".operations." not in name
                    ],
                },
            }
        ]
        with _without_part("maintenance"):
            without = {url: _queries(c, url) for c, url in ((visitor_client, "/"), (member_client, "/account/"))}

    assert with_feature == without == announced
    assert with_feature["/"] == 0


def test_tm5_a_members_lesson_page_shows_the_banner_of_the_moment(member: User) -> None:
    """The lesson page's shell (rendered once per lesson) never keeps a banner: it follows the clock."""
    from cloudmentor.billing import services as billing_services
    from cloudmentor.billing.models import AccessLevel
    from cloudmentor.learning.tests.factories import CourseFactory, LessonFactory, ModuleFactory

    module = ModuleFactory(course=CourseFactory(slug="k8s", access_level=AccessLevel.PRO))
    LessonFactory(module=module, slug="pods")
    window_create()
    with time_machine.travel(START - NOTICE - timedelta(hours=1), tick=False) as traveller:
        billing_services.subscription_grant(
            holder=member,
            access_level=AccessLevel.PRO,
            starts_at=START - timedelta(days=20),
            ends_at=START + timedelta(days=20),
            actor=None,
            reason="test",
        )
        member_client = log_in_client(Client(), member)
        member_client.get("/courses/k8s/pods/")
        quiet = member_client.get("/courses/k8s/pods/")
        traveller.move_to(START - NOTICE + SECOND)
        announced = member_client.get("/courses/k8s/pods/")
        traveller.move_to(END + SECOND)
        after = member_client.get("/courses/k8s/pods/")

    assert quiet.status_code == announced.status_code == after.status_code == 200
    assert _banner(quiet) == "" and _banner(after) == ""
    assert _banner(announced).startswith(BANNER_FR)


def test_tm5_the_request_log_records_the_503(client: Client, settings: Any, tmp_path: Path) -> None:
    from cloudmentor.analytics import spool
    from cloudmentor.analytics.ingestion import spool_ingest
    from cloudmentor.analytics.models import RequestRecord

    settings.ANALYTICS_SPOOL_DIR = tmp_path / "spool"
    spool.writer.close()
    window_create()
    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        client.get("/courses/")
        spool.writer.close()
        spool_ingest()

    assert list(RequestRecord.objects.values_list("path", "status")) == [("/courses/", 503)]


def test_tm5_the_maintenance_page_is_served_while_the_database_is_down(client: Client) -> None:
    """The database may be what is under maintenance: the last list read keeps the 503 page up."""
    from django.core.cache import cache
    from django.db import OperationalError

    def database_down(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        raise OperationalError("the database is under maintenance")

    window_create()
    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        assert client.get("/").status_code == 503  # the list is read once
        cache.clear()  # its cached copy expires during the outage
        with connection.execute_wrapper(database_down):
            response = client.get("/courses/")

    assert response.status_code == 503
    assert response["Retry-After"] == str(89 * 60)


def test_tm5_the_favicon_still_answers_during_a_window(client: Client) -> None:
    """The maintenance page names the site with its icon: /favicon.ico is not behind the wall."""
    window_create()

    with time_machine.travel(START + timedelta(minutes=30), tick=False):
        icon = client.get("/favicon.ico")
        home = client.get("/")

    assert home.status_code == 503
    assert icon.status_code == 200
