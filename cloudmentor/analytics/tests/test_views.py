"""PV-5 staff statistics and support view, PV-7 member activity, PV-6 self-hosted charts."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlparse

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.analytics.rollups import rollup_fill

from .factories import RequestRecordFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_now() -> Any:
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def traffic() -> None:
    """Ten days of requests: more every day, a few errors and a few browsers."""
    for day in range(10):
        for number in range(day + 1):
            RequestRecordFactory(
                requested_at=NOW - timedelta(days=day, hours=1, minutes=number),
                path="/" if number % 2 else "/courses/",
                status=404 if number == 3 else 200,
                browser="Firefox" if number % 3 == 0 else "Chrome",
                ip_address=f"203.0.113.{number}",
                duration_microseconds=1000 * (number + 1),
            )
    RequestRecordFactory(requested_at=NOW - timedelta(hours=2), path="/=HYPERLINK(1)/", browser="=cmd|' /C calc'!A0")
    rollup_fill(now=NOW)


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []
        self.inline_scripts = 0
        self.inline_styles = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "style" in values:
            self.inline_styles += 1
        if tag == "script" and not values.get("src"):
            self.inline_scripts += 1
        for name in ("src", "href"):
            if values.get(name) and tag in {"script", "img", "link", "iframe", "image", "use"}:
                self.assets.append(values[name] or "")


def test_pv5_statistics_are_for_verified_staff_only(client: Client, member_client: Client) -> None:
    visitor = client.get("/staff/statistics/")
    member = member_client.get("/staff/statistics/")

    assert visitor.status_code == 302 and "login" in visitor["Location"]
    assert member.status_code == 302
    assert client.get("/staff/statistics/export/pages.csv").status_code == 302
    assert member_client.get("/staff/statistics/members/1/requests/").status_code == 302


def test_pv5_the_dashboard_draws_its_charts_and_tables_from_the_rollups(staff_client: Client, traffic: None) -> None:
    response = staff_client.get("/staff/statistics/", {"from": "2026-03-11", "to": "2026-03-20"})

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('<rect class="chart__bar') == 10  # one bar per day
    assert html.count('<polyline class="chart__line') == 4  # visitors, members, median, p95
    assert "/courses/" in html and "Firefox" in html and "404" in html
    assert "<dd>56</dd>" in html  # 1 + 2 + ... + 10 requests, and one more on the 20th
    assert 'href="/staff/statistics/export/pages.csv?from=2026-03-11&amp;to=2026-03-20"' in html


def test_pv5_changing_the_range_changes_the_figures(staff_client: Client, traffic: None) -> None:
    last_day = staff_client.get("/staff/statistics/", {"from": "2026-03-20", "to": "2026-03-20"})
    last_three = staff_client.get("/staff/statistics/", {"from": "2026-03-18", "to": "2026-03-20"})

    assert "<dd>2</dd>" in last_day.content.decode()  # one request of the day, plus one two hours ago
    assert last_day.content.decode().count('<rect class="chart__bar') == 24  # two days or fewer: by the hour
    assert "<dd>7</dd>" in last_three.content.decode()  # 2 + 2 + 3
    assert last_three.content.decode().count('<rect class="chart__bar') == 3


def test_pv5_a_wrong_range_is_explained_and_the_default_shown(staff_client: Client, traffic: None) -> None:
    response = staff_client.get("/staff/statistics/", {"from": "2026-03-20", "to": "2026-03-01"})

    assert response.status_code == 200
    assert "La date de début doit précéder la date de fin." in response.content.decode()


def test_pv5_every_table_exports_as_csv_and_formulas_are_neutralized(staff_client: Client, traffic: None) -> None:
    tables = {}
    for table in ["series", "pages", "statuses", "browsers", "systems", "devices"]:
        response = staff_client.get(f"/staff/statistics/export/{table}.csv", {"from": "2026-03-11", "to": "2026-03-20"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        tables[table] = list(csv.reader(io.StringIO(response.content.decode())))

    assert tables["series"][0] == ["start", "requests", "unique_visitors", "members", "median_ms", "p95_ms"]
    assert len(tables["series"]) == 11
    assert sum(int(row[1]) for row in tables["series"][1:]) == 56
    assert tables["statuses"] == [["status", "requests", "share"], ["200", "49", "0.8750"], ["404", "7", "0.1250"]]
    assert ["'=cmd|' /C calc'!A0", "1", "0.0179"] in tables["browsers"]
    assert tables["pages"][1][0] in {"/", "/courses/"}
    assert staff_client.get("/staff/statistics/export/secrets.csv").status_code == 404


def test_pv5_the_dashboard_costs_the_same_queries_for_a_week_or_a_year(staff_client: Client, traffic: None) -> None:
    def queries(start: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get("/staff/statistics/", {"from": start, "to": "2026-03-20"}).status_code == 200
        return len(captured)

    assert queries("2026-03-14") == queries("2025-03-21")


def test_pv6_the_dashboard_loads_nothing_from_another_site_and_runs_no_inline_code(
    staff_client: Client, traffic: None
) -> None:
    html = staff_client.get("/staff/statistics/").content.decode()
    parser = _Assets()
    parser.feed(html)

    assert "<svg" in html
    assert parser.inline_scripts == 0 and parser.inline_styles == 0
    for asset in parser.assets:
        assert not urlparse(asset).netloc, asset


def test_pv5_the_staff_home_links_to_the_statistics(staff_client: Client) -> None:
    html = staff_client.get("/staff/").content.decode()

    assert 'href="/staff/statistics/"' in html


def test_pv5_support_sees_a_members_recent_requests(staff_client: Client) -> None:
    member = UserFactory(username="bob", email="bob@example.org")
    other = UserFactory()
    for number in range(3):
        RequestRecordFactory(user=member, path=f"/courses/{number}/", requested_at=NOW - timedelta(minutes=number))
    RequestRecordFactory(user=other, path="/not-bob/")

    response = staff_client.get(f"/staff/statistics/members/{member.pk}/requests/")
    found = staff_client.get("/staff/statistics/members/", {"q": "BOB@example.org"})

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("/courses/0/") < html.index("/courses/1/") < html.index("/courses/2/")
    assert "/not-bob/" not in html
    assert found.status_code == 302 and found["Location"].endswith(f"/members/{member.pk}/requests/")
    assert staff_client.get("/staff/statistics/members/", {"q": "nobody"}).status_code == 404
    assert staff_client.get("/staff/statistics/members/999999/requests/").status_code == 404


def test_pv7_a_member_sees_what_was_recorded_about_their_own_requests(member_client: Client, member: Any) -> None:
    RequestRecordFactory(
        user=member, path="/courses/aws/", query="page=2", ip_address="198.51.100.4", browser="Firefox",
        browser_version="125.0", operating_system="Ubuntu", requested_at=datetime(2026, 3, 19, 8, 5, 9, tzinfo=UTC),
    )  # fmt: skip
    RequestRecordFactory(user=UserFactory(), path="/someone-else/", ip_address="192.0.2.99")

    response = member_client.get("/account/activity/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "/courses/aws/?page=2" in html
    assert "198.51.100.4" in html and "Firefox 125.0" in html and "Ubuntu" in html
    assert "2026-03-19 09:05:09" in html  # local time (Paris)
    assert "/someone-else/" not in html and "192.0.2.99" not in html


def test_pv7_the_activity_page_needs_a_login(client: Client) -> None:
    response = client.get("/account/activity/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_pv7_the_activity_page_costs_the_same_queries_for_one_or_sixty_requests(
    member_client: Client, member: Any
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert member_client.get("/account/activity/").status_code == 200
        return len(captured)

    RequestRecordFactory(user=member)
    queries()  # the first request of a session records its last activity
    one = queries()
    for number in range(60):
        RequestRecordFactory(user=member, requested_at=NOW - timedelta(minutes=number))

    assert queries() == one


def test_pv7_the_activity_page_pages_through_older_requests(member_client: Client, member: Any) -> None:
    for number in range(120):
        RequestRecordFactory(user=member, path=f"/p/{number}/", requested_at=NOW - timedelta(minutes=number))

    pages = []
    url = "/account/activity/"
    while url:
        html = member_client.get(url).content.decode()
        pages.append(re.findall(r"/p/(\d+)/", html))
        older = re.search(r'href="(\?before=[^"]+)"', html)
        url = "/account/activity/" + older.group(1).replace("&amp;", "&") if older else ""

    assert [len(page) for page in pages] == [50, 50, 20]
    assert [int(number) for page in pages for number in page] == list(range(120))


def test_pv7_the_activity_page_is_in_english_under_en(member_client: Client, member: Any) -> None:
    RequestRecordFactory(user=member)

    html = member_client.get("/en/account/activity/").content.decode()

    assert "My activity" in html and "Browser" in html and "IP address" in html


def test_pv7_staff_see_the_request_log_in_the_staff_site_read_only(staff_client: Client) -> None:
    record = RequestRecordFactory(ip_address="203.0.113.77", path="/courses/")

    listing = staff_client.get("/staff/analytics/requestrecord/", {"q": "203.0.113.77"})
    detail = staff_client.get(f"/staff/analytics/requestrecord/{record.pk}/change/")

    assert listing.status_code == 200 and "/courses/" in listing.content.decode()
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert staff_client.get("/staff/analytics/requestrecord/add/").status_code == 403
    assert staff_client.get("/staff/analytics/fillstate/").status_code == 200
    assert staff_client.get("/staff/analytics/spoolfile/").status_code == 200


def test_pv5_a_members_page_in_the_staff_site_links_to_their_recent_requests(staff_client: Client) -> None:
    member = UserFactory()

    html = staff_client.get(f"/staff/accounts/user/{member.pk}/change/").content.decode()

    assert f'href="/staff/statistics/members/{member.pk}/requests/"' in html
    assert "Historique" in html or "History" in html  # the staff site's own tools are still there
