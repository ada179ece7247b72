"""PV-5 recording: every request that reaches the application leaves one record."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib import auth
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from cloudmentor.analytics import spool
from cloudmentor.analytics.models import Device, RequestRecord
from cloudmentor.analytics.user_agents import agent_parse

from .conftest import records
from .factories import CHROME_WINDOWS, FIREFOX_LINUX, SAFARI_IPHONE

pytestmark = pytest.mark.django_db


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a view that fails")


urlpatterns = [path("boom/", boom)]


def test_pv5_a_visitor_request_is_recorded_with_ip_url_browser_os_time_status_and_duration(client: Client) -> None:
    """The record holds what the privacy policy lists, plus status and duration."""
    with time_machine.travel(datetime(2026, 5, 4, 8, 15, 30, tzinfo=UTC), tick=False):
        response = client.get("/?page=2", HTTP_USER_AGENT=CHROME_WINDOWS, REMOTE_ADDR="198.51.100.20")

    [record] = records()
    assert response.status_code == 200
    assert record.requested_at == datetime(2026, 5, 4, 8, 15, 30, tzinfo=UTC)
    assert record.ip_address == "198.51.100.20"
    assert (record.method, record.path, record.query) == ("GET", "/", "page=2")
    assert (record.browser, record.browser_version) == ("Chrome", "124.0")
    assert record.operating_system == "Windows"
    assert record.device == Device.DESKTOP
    assert record.user is None
    assert record.status == 200
    assert record.duration_microseconds >= 0


def test_pv5_redirects_not_found_posts_and_english_pages_are_recorded_with_their_status(client: Client) -> None:
    """Whatever the answer, the request is in the log with the status the client got."""
    client.get("/en/")
    client.get("/no-such-page/")
    client.get("/staff/")
    client.post("/contact/", {"name": "x"})

    assert [(r.method, r.path, r.status) for r in records()] == [
        ("GET", "/en/", 200),
        ("GET", "/no-such-page/", 404),
        ("GET", "/staff/", 302),
        ("POST", "/contact/", 400),
    ]


@pytest.mark.urls("cloudmentor.analytics.tests.test_recording")
def test_pv5_a_request_whose_view_fails_is_recorded_with_status_500() -> None:
    """The middleware stands outside Django's error handling: it sees the 500 sent."""
    client = Client(raise_request_exception=False)

    assert client.get("/boom/").status_code == 500
    assert [(r.path, r.status) for r in records()] == [("/boom/", 500)]


def test_pv5_static_assets_are_left_out_as_the_privacy_policy_says(client: Client) -> None:
    client.get("/static/core/css/app.css")
    client.get("/")

    assert [r.path for r in records()] == ["/"]


def test_pv5_a_logged_in_member_is_recorded_with_their_account(member_client: Client, member: Any) -> None:
    member_client.get("/", HTTP_USER_AGENT=SAFARI_IPHONE)

    record = records()[-1]
    assert record.user == member
    assert (record.browser, record.operating_system, record.device) == ("Mobile Safari", "iOS", Device.MOBILE)


def test_pv5_a_member_is_recorded_even_on_a_page_that_never_looks_at_the_user(
    member_client: Client, member: Any
) -> None:
    """/healthz does not read the session; the record still names the member."""
    member_client.get("/healthz")

    assert records()[-1].user == member


def test_pv5_a_visitors_session_is_never_loaded_to_find_a_user(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the account cookie the request is anonymous: no session read, no cookie set."""
    loads = []
    original = auth.get_user
    monkeypatch.setattr(auth, "get_user", lambda request: loads.append(1) or original(request))

    response = client.get("/healthz")

    assert loads == []
    assert response.cookies == {} or not response.cookies
    assert records()[0].user is None


def test_pv5_the_line_is_on_disk_when_the_response_leaves(client: Client, spool_dir: Path) -> None:
    """The spool line is written before the response is handed back to the server."""
    client.get("/contact/")

    [path] = spool_dir.glob("*.spool")
    [line] = path.read_bytes().rstrip(b"\0").splitlines()  # a mapped file is zero past its end
    fields = spool.decode(line)
    assert fields is not None and fields[4] == "/contact/" and fields[8] == 200


def test_pv5_a_failing_spool_never_breaks_a_page(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(line: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(spool.writer, "append", full_disk)

    assert client.get("/").status_code == 200


def test_pv5_switched_off_the_log_records_nothing(settings: Any, spool_dir: Path) -> None:
    """ANALYTICS_ENABLED=False removes the middleware (the benchmark's baseline)."""
    settings.ANALYTICS_ENABLED = False

    Client().get("/")

    assert not list(spool_dir.glob("*.spool"))


def test_pv5_user_agents_are_parsed_once_per_distinct_string(client: Client) -> None:
    agent_parse.cache_clear()
    for agent in [CHROME_WINDOWS, FIREFOX_LINUX, CHROME_WINDOWS, CHROME_WINDOWS, FIREFOX_LINUX]:
        client.get("/healthz", HTTP_USER_AGENT=agent)

    stored = records()

    info = agent_parse.cache_info()
    assert (info.misses, info.hits) == (2, 3)
    assert [r.browser for r in stored] == ["Chrome", "Firefox", "Chrome", "Chrome", "Firefox"]
    assert stored[1].operating_system == "Linux"


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        (CHROME_WINDOWS, Device.DESKTOP),
        (SAFARI_IPHONE, Device.MOBILE),
        ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Safari/604.1", Device.TABLET),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", Device.BOT),
        ("curl/8.5.0", Device.BOT),
        ("", Device.OTHER),
    ],
)
def test_pv5_device_kind_is_told_from_the_user_agent(agent: str, device: str) -> None:
    assert agent_parse(agent).device == device


def test_pv5_each_request_is_one_record_with_no_duplicate(client: Client) -> None:
    for number in range(25):
        client.get(f"/?n={number}")

    stored = records()
    assert sorted(int(r.query.removeprefix("n=")) for r in stored) == list(range(25))
    assert RequestRecord.objects.count() == 25
