"""The cookie policy, sentence by sentence (CK-3 to CK-8).

Each lifetime is checked at its edges: the clock moved to 1 second before the end (still
valid) and 1 second after (treated as absent), as well as the Max-Age the browser gets.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client

from cloudmentor.accounts.models import AccountSession, User
from cloudmentor.accounts.sessions import SessionStore
from cloudmentor.accounts.tests.conftest import LOGIN_URL, cookie_value, envelope, form_token, log_in, submit
from cloudmentor.accounts.tests.factories import PASSWORD, UserFactory
from cloudmentor.core import crypto
from cloudmentor.core.account_cookie import envelope_pack

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
DAY = 24 * 3600
HOUR = 3600
NEW_PASSWORD = "another quite long passphrase"


def _post_login(client: Client, token: str, identifier: str = "alice", password: str = PASSWORD) -> object:
    return client.post(LOGIN_URL, {"form_token": token, "identifier": identifier, "password": password})


# CK-3 — login form cookie ---------------------------------------------------------------


def test_ck3_showing_the_login_form_sets_a_one_day_form_cookie(client: Client) -> None:
    """The login form sets cm_form_login for 1 day, holding only an id and its issue time."""
    response = client.get(LOGIN_URL)

    morsel = response.cookies["cm_form_login"]
    assert response.status_code == 200
    assert int(morsel["max-age"]) == DAY
    assert morsel["samesite"] == "Strict" and morsel["httponly"]
    payload = cookie_value(response, "cm_form_login")
    assert set(__import__("json").loads(payload)) == {"id", "form", "iat"}
    assert "cm_account" not in response.cookies


@pytest.mark.parametrize(("offset", "logged_in"), [(DAY - 1, True), (DAY + 1, False)])
def test_ck3_login_form_cookie_lives_exactly_one_day(
    client: Client, member: User, offset: int, logged_in: bool
) -> None:
    """Submitted 1 s before its day ends the form works; 1 s after, it is "expired" and logs nobody in."""
    with time_machine.travel(T0, tick=False) as clock:
        token = form_token(client.get(LOGIN_URL))
        clock.move_to(T0 + timedelta(seconds=offset))
        response = _post_login(client, token)

    if logged_in:
        assert response.status_code == 302
        assert "cm_account" in response.cookies
    else:
        assert response.status_code == 400
        assert "expiré" in response.content.decode()
        assert "cm_account" not in response.cookies
        assert not AccountSession.objects.exists()


def test_ck3_login_without_the_form_cookie_is_refused_as_expired(client: Client, member: User) -> None:
    """A missing form cookie re-shows the form with the "expired" message and a new cookie."""
    token = form_token(client.get(LOGIN_URL))
    del client.cookies["cm_form_login"]
    client.cookies["cm_form_other"] = "x"  # the browser does send cookies: only this one is missing

    response = _post_login(client, token)

    assert response.status_code == 400
    assert "Ce formulaire a expiré" in response.content.decode()
    assert int(response.cookies["cm_form_login"]["max-age"]) == DAY
    assert not AccountSession.objects.exists()


def test_ck3_successful_login_deletes_the_login_form_cookie(client: Client, member: User) -> None:
    """A successful login deletes cm_form_login (empty value, Max-Age 0)."""
    response = log_in(client, "alice")

    assert response.status_code == 302
    assert response.cookies["cm_form_login"].value == ""
    assert str(response.cookies["cm_form_login"]["max-age"]) == "0"


def test_ck3_a_failed_login_keeps_the_form_cookie_and_logs_nobody_in(client: Client, member: User) -> None:
    response = log_in(client, "alice", "wrong password entirely")

    assert response.status_code == 200
    assert "incorrect" in response.content.decode()
    assert "cm_form_login" not in response.cookies  # still the same, still valid
    assert "cm_account" not in response.cookies


# CK-4 — account cookie --------------------------------------------------------------------


def test_ck4_login_sets_the_account_cookie_until_the_account_validity_end(client: Client) -> None:
    """A member paid up for 10 more days gets an account cookie of exactly 10 days."""
    with time_machine.travel(T0, tick=False):
        UserFactory(username="alice", email="Alice@Example.org", access_ends_at=T0 + timedelta(days=10))
        response = log_in(client, "alice")

    morsel = response.cookies["cm_account"]
    assert int(morsel["max-age"]) == 10 * DAY
    assert morsel["httponly"] and morsel["samesite"] == "Lax"
    session = AccountSession.objects.get()
    assert session.expire_date == T0 + timedelta(days=10)


def test_ck4_account_cookie_carries_session_id_username_and_email_encrypted(client: Client, member: User) -> None:
    """The cookie is an envelope (session key, username, email), unreadable without the key."""
    response = log_in(client, "alice")

    raw = response.cookies["cm_account"].value
    assert "alice" not in raw and "example" not in raw
    assert envelope(response) == {
        "k": AccountSession.objects.get().session_key,
        "u": "alice",
        "e": "alice@example.org",
    }


def test_ck4_account_without_end_date_gets_the_documented_cap(client: Client, member: User, settings: object) -> None:
    """No validity end: the cookie lives ACCOUNTS_SESSION_CAP_DAYS (30 days by default)."""
    with time_machine.travel(T0, tick=False):
        response = log_in(client, "alice")

    assert int(response.cookies["cm_account"]["max-age"]) == 30 * DAY


def test_ck4_account_with_a_past_end_date_still_logs_in_for_the_cap(client: Client) -> None:
    """An expired account can still log in (to pay, or read its data): capped cookie."""
    with time_machine.travel(T0, tick=False):
        UserFactory(username="alice", access_ends_at=T0 - timedelta(days=1))
        response = log_in(client, "alice")

    assert int(response.cookies["cm_account"]["max-age"]) == 30 * DAY


@pytest.mark.parametrize(("offset", "logged_in"), [(-1, True), (1, False)])
def test_ck4_account_cookie_ends_with_the_account_validity(client: Client, offset: int, logged_in: bool) -> None:
    """1 s before the validity end the member is in; 1 s after, the cookie counts for nothing."""
    ends_at = T0 + timedelta(days=3)
    with time_machine.travel(T0, tick=False) as clock:
        UserFactory(username="alice", access_ends_at=ends_at)
        log_in(client, "alice")
        clock.move_to(ends_at + timedelta(seconds=offset))
        response = client.get("/account/")

    if logged_in:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_ck4_login_always_starts_a_new_session_key(client: Client, member: User) -> None:
    """A session key planted before login (fixation) is replaced by a new one at login."""
    planted = SessionStore()
    planted["planted"] = True
    planted.save()
    client.cookies["cm_account"] = crypto.seal(
        "cm_account", envelope_pack(session_key=planted.session_key or ""), expires_at=None
    )

    response = log_in(client, "alice")

    new_key = envelope(response)["k"]
    assert new_key != planted.session_key
    assert not AccountSession.objects.filter(session_key=planted.session_key).exists()
    assert AccountSession.objects.get(session_key=new_key).user == member


def test_ck4_a_revoked_session_makes_the_cookie_worthless(member_client: Client, member: User) -> None:
    """Deleting the session server-side logs the device out at its next request."""
    AccountSession.objects.filter(user=member).delete()

    response = member_client.get("/account/")

    assert response.status_code == 302
    assert member_client.cookies["cm_account"].value == ""


def test_ck4_a_new_validity_end_moves_the_cookie_expiry(client: Client) -> None:
    """When billing extends the account, the next response re-sets the cookie to the new end."""
    with time_machine.travel(T0, tick=False):
        alice = UserFactory(username="alice", access_ends_at=T0 + timedelta(days=5))
        log_in(client, "alice")
        User.objects.filter(pk=alice.pk).update(access_ends_at=T0 + timedelta(days=40))
        response = client.get("/account/")

    assert int(response.cookies["cm_account"]["max-age"]) == 40 * DAY
    assert AccountSession.objects.get().expire_date == T0 + timedelta(days=40)


def test_ck4_a_changed_email_is_resent_in_the_cookie(member_client: Client, member: User) -> None:
    User.objects.filter(pk=member.pk).update(email="alice@new.example.org")

    response = member_client.get("/account/")

    assert envelope(response)["e"] == "alice@new.example.org"


# CK-5 — registration form cookie -------------------------------------------------------

REGISTRATION = {
    "username": "bob",
    "email": "bob@example.org",
    "password": "correct horse battery",
    "accept_terms": "on",
}


def test_ck5_showing_the_registration_form_sets_a_one_hour_form_cookie(client: Client) -> None:
    response = client.get("/accounts/register/")

    assert int(response.cookies["cm_form_register"]["max-age"]) == HOUR
    assert "cm_account" not in response.cookies


@pytest.mark.parametrize(("offset", "created"), [(HOUR - 1, True), (HOUR + 1, False)])
def test_ck5_registration_form_cookie_lives_exactly_one_hour(client: Client, offset: int, created: bool) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        token = form_token(client.get("/accounts/register/"))
        clock.move_to(T0 + timedelta(seconds=offset))
        response = client.post("/accounts/register/", {"form_token": token, **REGISTRATION})

    assert User.objects.filter(username="bob").exists() is created
    assert response.status_code == (302 if created else 400)


def test_ck5_registration_logs_in_at_once_and_deletes_the_form_cookie(
    client: Client, django_capture_on_commit_callbacks: object
) -> None:
    """Success: form cookie deleted, account cookie set (CK-4), welcome email sent."""
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, "/accounts/register/", REGISTRATION)

    assert response.status_code == 302
    assert response.cookies["cm_form_register"].value == ""
    assert envelope(response)["u"] == "bob"
    assert client.get("/account/").status_code == 200
    assert [message.to for message in mail.outbox] == [["bob@example.org"]]


# CK-6 — password recovery --------------------------------------------------------------


def _reset_link() -> str:
    body = mail.outbox[-1].body
    return next(line for line in body.splitlines() if "/accounts/password/reset/" in line).split("testserver")[-1]


def _request_link(client: Client, email: str, capture: object) -> object:
    with capture(execute=True):
        return submit(client, "/accounts/password/forgot/", {"email": email})


def test_ck6_the_login_form_links_to_the_recovery_form(client: Client) -> None:
    assert 'href="/accounts/password/forgot/"' in client.get(LOGIN_URL).content.decode()


def test_ck6_step_one_sets_a_one_hour_cookie_deleted_on_success(
    client: Client, member: User, django_capture_on_commit_callbacks: object
) -> None:
    assert int(client.get("/accounts/password/forgot/").cookies["cm_form_recover"]["max-age"]) == HOUR

    response = _request_link(client, "ALICE@example.org", django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response.cookies["cm_form_recover"].value == ""
    assert mail.outbox[0].to == ["alice@example.org"]


def test_ck6_step_one_answers_the_same_for_an_unknown_email(
    client: Client, member: User, django_capture_on_commit_callbacks: object
) -> None:
    """Known or unknown, the answer is the same redirect to the same page; only a real account gets mail."""
    known = _request_link(client, "alice@example.org", django_capture_on_commit_callbacks)
    unknown = _request_link(client, "nobody@example.org", django_capture_on_commit_callbacks)

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert client.get(known["Location"]).content == client.get(unknown["Location"]).content
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(("offset", "accepted"), [(HOUR - 1, True), (HOUR + 1, False)])
def test_ck6_the_email_form_cookie_lives_exactly_one_hour(
    client: Client, member: User, django_capture_on_commit_callbacks: object, offset: int, accepted: bool
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        token = form_token(client.get("/accounts/password/forgot/"))
        clock.move_to(T0 + timedelta(seconds=offset))
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/accounts/password/forgot/", {"form_token": token, "email": "alice@example.org"})

    assert response.status_code == (302 if accepted else 400)
    assert len(mail.outbox) == (1 if accepted else 0)


@pytest.mark.parametrize(("offset", "accepted"), [(HOUR - 1, True), (HOUR + 1, False)])
def test_ck6_the_new_password_form_cookie_lives_exactly_one_hour(
    client: Client, member: User, django_capture_on_commit_callbacks: object, offset: int, accepted: bool
) -> None:
    """The form-2 cookie is checked on its own: the link posted to is always a fresh one."""
    with time_machine.travel(T0, tick=False) as clock:
        _request_link(client, "alice@example.org", django_capture_on_commit_callbacks)
        page = client.get(_reset_link())
        assert int(page.cookies["cm_form_reset"]["max-age"]) == HOUR
        clock.move_to(T0 + timedelta(seconds=offset))
        _request_link(Client(), "alice@example.org", django_capture_on_commit_callbacks)
        response = client.post(_reset_link(), {"form_token": form_token(page), "password": NEW_PASSWORD})

    assert response.status_code == (302 if accepted else 400)
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD) is accepted


def test_ck6_step_two_sets_the_password_logs_in_and_deletes_its_cookie(
    client: Client, member: User, django_capture_on_commit_callbacks: object
) -> None:
    """The emailed link leads to form 2; success deletes its cookie and ends the other sessions."""
    other_device = Client()
    log_in(other_device, "alice")
    _request_link(client, "alice@example.org", django_capture_on_commit_callbacks)

    response = submit(client, _reset_link(), {"password": NEW_PASSWORD})

    assert response.status_code == 302
    assert response.cookies["cm_form_reset"].value == ""
    assert "cm_account" in response.cookies
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    assert other_device.get("/account/").status_code == 302
    assert AccountSession.objects.filter(user=member).count() == 1


def test_ck6_the_link_works_only_once(client: Client, member: User, django_capture_on_commit_callbacks: object) -> None:
    _request_link(client, "alice@example.org", django_capture_on_commit_callbacks)
    link = _reset_link()
    submit(client, link, {"password": NEW_PASSWORD})

    again = Client().get(link)

    assert again.status_code == 400
    assert "Lien invalide ou expiré" in again.content.decode()


@pytest.mark.parametrize(("offset", "valid"), [(HOUR - 1, True), (HOUR + 1, False)])
def test_ck6_the_link_lives_one_hour(
    client: Client, member: User, django_capture_on_commit_callbacks: object, offset: int, valid: bool
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        _request_link(client, "alice@example.org", django_capture_on_commit_callbacks)
        clock.move_to(T0 + timedelta(seconds=offset))
        response = Client().get(_reset_link())

    assert response.status_code == (200 if valid else 400)


def test_ck6_the_link_dies_after_a_login(
    client: Client, member: User, django_capture_on_commit_callbacks: object
) -> None:
    _request_link(client, "alice@example.org", django_capture_on_commit_callbacks)
    link = _reset_link()

    with time_machine.travel(datetime.now(tz=UTC) + timedelta(seconds=2)):
        log_in(Client(), "alice")
        response = Client().get(link)

    assert response.status_code == 400


def test_ck6_the_link_dies_after_an_email_change(
    client: Client, member: User, django_capture_on_commit_callbacks: object
) -> None:
    _request_link(client, "alice@example.org", django_capture_on_commit_callbacks)
    link = _reset_link()
    User.objects.filter(pk=member.pk).update(email="alice@elsewhere.example.org")

    assert Client().get(link).status_code == 400


# CK-7 — logout -------------------------------------------------------------------------


def test_ck7_logout_deletes_the_cookie_and_ends_this_session_only(member: User) -> None:
    laptop, phone = Client(), Client()
    log_in(laptop, "alice")
    log_in(phone, "alice")
    laptop_key = envelope(laptop)["k"]

    response = laptop.post("/accounts/logout/")

    assert response.status_code == 302
    assert response.cookies["cm_account"].value == ""
    assert str(response.cookies["cm_account"]["max-age"]) == "0"
    assert not AccountSession.objects.filter(session_key=laptop_key).exists()
    assert laptop.get("/account/").status_code == 302
    assert phone.get("/account/").status_code == 200


# CK-8 — cookies disabled -----------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/en/", "/legal/cookies/", "/legal/privacy/"])
def test_ck8_public_pages_work_without_cookies_and_set_none(client: Client, url: str) -> None:
    response = client.get(url)

    assert response.status_code == 200
    assert not response.cookies


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (LOGIN_URL, {"identifier": "alice", "password": PASSWORD}),
        ("/accounts/register/", REGISTRATION),
        ("/accounts/password/forgot/", {"email": "alice@example.org"}),
    ],
)
def test_ck8_a_form_explains_that_cookies_are_required(client: Client, member: User, url: str, data: dict) -> None:
    """A browser that sends no cookie at all is told why, with a link to the cookie policy."""
    token = form_token(client.get(url))
    client.cookies.clear()

    response = client.post(url, {"form_token": token, **data})

    body = response.content.decode()
    assert response.status_code == 400
    assert "envoyé aucun cookie" in body
    assert 'href="/legal/cookies/"' in body
    assert "cm_account" not in response.cookies


def test_ck8_the_explanation_is_in_english_under_en(client: Client, member: User) -> None:
    token = form_token(client.get("/en/accounts/login/"))
    client.cookies.clear()

    response = client.post("/en/accounts/login/", {"form_token": token, "identifier": "alice", "password": PASSWORD})

    assert 'href="/en/legal/cookies/"' in response.content.decode()


def test_ck4_the_cookie_policy_states_the_cap_the_code_uses(client: Client, settings: object) -> None:
    """The policy page's account-cookie lifetime follows ACCOUNTS_SESSION_CAP_DAYS (CK-9)."""
    from cloudmentor.legal.services import policy_seed

    policy_seed()
    settings.ACCOUNTS_SESSION_CAP_DAYS = 7
    UserFactory(username="alice")

    page = client.get("/legal/cookies/").content.decode()
    with time_machine.travel(T0, tick=False):
        response = log_in(Client(), "alice")

    row = page.split('data-cookie="cm_account"')[1].split("</tr>")[0]
    assert "7 jours" in row and "fin de validité" in row
    assert int(response.cookies["cm_account"]["max-age"]) == 7 * DAY
