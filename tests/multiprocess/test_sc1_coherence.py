"""SC-1, CK-7: a write served by one worker is seen by the next request, whichever worker serves it.

The real production server (gunicorn, 3 workers, see conftest.py) on a fresh database; every
request goes through HTTP and may reach any worker.
"""

from __future__ import annotations

from html import escape

import pytest

from .conftest import Server

pytestmark = pytest.mark.slow

VERIFY_PATH = "/accounts/staff/verify/"


def test_sc1_after_the_staff_code_forty_staff_pages_never_ask_for_it_again(server: Server) -> None:
    """Password, then the TOTP code: /staff/ opens on every worker, and its translations (date pickers) too."""
    staff = server.staff("root-sc1")
    browser = server.browser()
    server.staff_log_in(browser, staff)
    mark = server.access_mark()

    statuses = [browser.get("/staff/") for _ in range(40)]
    translations = browser.get("/staff/jsi18n/")

    sent_back = [r.headers["Location"] for r in statuses if r.status_code == 302]
    assert not [location for location in sent_back if location.startswith(VERIFY_PATH)], sent_back
    assert [r.status_code for r in statuses] == [200] * 40
    assert translations.status_code == 200
    assert len(server.workers_since(mark)) >= 2  # the loads did reach several workers


def test_sc1_a_flash_message_is_shown_exactly_once_across_workers(server: Server) -> None:
    """A confirmation stored in the session by one worker shows once, on the next page, whoever serves it."""
    server.member("flash-sc1")
    browser = server.browser()
    server.log_in(browser, "flash-sc1")
    for _ in range(6):
        assert browser.get("/account/").status_code == 200  # every worker keeps a copy of the session
    mark = server.access_mark()

    saved = browser.submit("/account/", {"username": "flash-sc1-renamed", "email": "flash-sc1@example.org"})
    pages = [browser.get(saved.headers["Location"])] + [browser.get("/account/") for _ in range(19)]

    message = escape("Votre nom d'utilisateur est modifié.")
    assert saved.status_code == 302
    assert [page.status_code for page in pages] == [200] * 20
    assert [page.text.count(message) for page in pages] == [1] + [0] * 19
    assert len(server.workers_since(mark)) >= 2


def test_sc1_an_account_change_is_seen_by_the_next_request_on_every_worker(server: Server) -> None:
    """A new username written by one worker shows on every page after it, whichever worker serves it."""
    server.member("rename-sc1")
    browser = server.browser()
    server.log_in(browser, "rename-sc1")
    for _ in range(6):
        assert "rename-sc1" in browser.get("/account/").text  # every worker keeps the account and session
    mark = server.access_mark()

    saved = browser.submit("/account/", {"username": "renamed-sc1", "email": "rename-sc1@example.org"})
    pages = [browser.get("/account/") for _ in range(20)]

    assert saved.status_code == 302
    assert all('value="renamed-sc1"' in page.text for page in pages)
    assert not any('value="rename-sc1"' in page.text for page in pages)
    assert len(server.workers_since(mark)) >= 2


def test_sc1_an_account_disabled_by_another_process_is_logged_out_on_every_worker(server: Server) -> None:
    """Staff disable the account from a management process: no worker serves the member's pages after it."""
    server.member("disabled-sc1")
    browser = server.browser()
    server.log_in(browser, "disabled-sc1")
    for _ in range(6):
        assert browser.get("/account/").status_code == 200

    server.shell(
        "from cloudmentor.accounts.models import User\n"
        "from cloudmentor.accounts.services import user_disable\n"
        "user_disable(user=User.objects.get(username='disabled-sc1'), actor=None, reason='test')"
    )
    pages = [browser.get("/account/") for _ in range(20)]

    assert [page.status_code for page in pages] == [302] * 20
    assert all(page.headers["Location"].startswith("/accounts/login/") for page in pages)


def test_ck7_a_logout_on_one_worker_is_honoured_by_every_other_at_once(server: Server) -> None:
    """The cookie of a logged-out device opens nothing, on any worker, from the very next request."""
    server.member("logout-ck7")
    browser = server.browser()
    server.log_in(browser, "logout-ck7")
    for _ in range(6):
        assert browser.get("/account/").status_code == 200
    old_cookie = server.browser()
    old_cookie.cookies.update(browser.cookies)
    mark = server.access_mark()

    logged_out = browser.submit("/accounts/logout/", {}, page="/account/")
    pages = [old_cookie.get("/account/") for _ in range(20)]

    assert logged_out.status_code == 302
    assert [page.status_code for page in pages] == [302] * 20
    assert all(page.headers["Location"].startswith("/accounts/login/") for page in pages)
    assert len(server.workers_since(mark)) >= 2
