"""The staff area at /staff/: the site's login, then a TOTP code; members managed there (PV-7, TM-6)."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from cloudmentor.accounts import services
from cloudmentor.accounts.models import AccountEvent, AccountSession, User

from .conftest import csrf_post, log_in
from .factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


@pytest.fixture
def staff() -> User:
    return StaffFactory(username="root", email="root@cloudmentor.example")


@pytest.fixture
def device(staff: User) -> TOTPDevice:
    return services.staff_totp_device_create(user=staff)


@pytest.fixture
def staff_client(client: Client, staff: User, device: TOTPDevice) -> Client:
    log_in(client, "root")
    response = csrf_post(client, "/accounts/staff/verify/", {"token": _code(device), "next": "/staff/"})
    assert response["Location"] == "/staff/"
    return client


def test_pv7_a_visitor_is_sent_from_staff_to_the_site_login(client: Client) -> None:
    response = client.get("/staff/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    assert not response.cookies.get("cm_account")


def test_pv7_staff_password_alone_does_not_open_the_staff_area(client: Client, staff: User, device: TOTPDevice) -> None:
    log_in(client, "root")

    response = client.get("/staff/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/accounts/staff/verify/")
    assert "application d&#x27;authentification" in response.content.decode()


def test_pv7_a_wrong_totp_code_is_refused(client: Client, staff: User, device: TOTPDevice) -> None:
    log_in(client, "root")

    response = csrf_post(client, "/accounts/staff/verify/", {"token": "000000"})

    assert response.status_code == 200
    assert client.get("/staff/").status_code == 302


def test_pv7_password_and_totp_code_open_the_staff_area(staff_client: Client) -> None:
    assert staff_client.get("/staff/").status_code == 200


def test_pv7_staff_without_a_device_enrol_one_first(client: Client, staff: User) -> None:
    log_in(client, "root")

    page = client.get("/accounts/staff/verify/", follow=True)
    assert page.redirect_chain[-1][0].startswith("/accounts/staff/enroll/")
    assert "data:image/svg+xml;base64," in page.content.decode()
    device = TOTPDevice.objects.get(user=staff, confirmed=False)

    response = csrf_post(client, "/accounts/staff/enroll/", {"token": _code(device), "next": "/staff/"})

    assert response["Location"] == "/staff/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/staff/").status_code == 200


def test_pv7_a_member_cannot_reach_the_staff_pages(member_client: Client) -> None:
    assert member_client.get("/accounts/staff/verify/").status_code == 403
    assert member_client.get("/staff/").status_code == 302


def test_pv7_staff_search_view_and_edit_a_member(staff_client: Client, staff: User) -> None:
    alice = UserFactory(username="alice", email="alice@example.org")
    UserFactory(username="bob")

    listing = staff_client.get("/staff/accounts/user/", {"q": "alice@"}).content.decode()
    assert "alice@example.org" in listing and "bob" not in listing
    page = staff_client.get(f"/staff/accounts/user/{alice.pk}/change/")
    assert page.status_code == 200

    response = csrf_post(
        staff_client,
        f"/staff/accounts/user/{alice.pk}/change/",
        {
            "username": "alice",
            "email": "alice@corrected.example.org",
            "first_name": "",
            "last_name": "",
            "account_events-TOTAL_FORMS": "0",
            "account_events-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    alice.refresh_from_db()
    assert alice.email == "alice@corrected.example.org"
    event = AccountEvent.objects.get(user=alice, kind=AccountEvent.Kind.EMAIL_CHANGED)
    assert event.actor == staff


def test_tm6_staff_disable_and_re_enable_a_member_with_who_when_why(staff_client: Client, staff: User) -> None:
    alice = UserFactory(username="alice")
    alice_device = Client()
    log_in(alice_device, "alice")

    form = staff_client.get(f"/staff/accounts/user/{alice.pk}/disable/")
    assert form.status_code == 200
    csrf_post(staff_client, f"/staff/accounts/user/{alice.pk}/disable/", {"reason": "Invoice 2027-0042 unpaid"})

    alice.refresh_from_db()
    assert not alice.is_active
    assert not AccountSession.objects.filter(user=alice).exists()
    assert alice_device.get("/account/").status_code == 302
    disabled = AccountEvent.objects.get(user=alice, kind=AccountEvent.Kind.DISABLED)
    assert (disabled.actor, disabled.reason) == (staff, "Invoice 2027-0042 unpaid")
    assert disabled.created_at is not None

    csrf_post(staff_client, f"/staff/accounts/user/{alice.pk}/enable/", {"reason": "Paid by bank transfer"})

    alice.refresh_from_db()
    assert alice.is_active
    enabled = AccountEvent.objects.get(user=alice, kind=AccountEvent.Kind.ENABLED)
    assert (enabled.actor, enabled.reason) == (staff, "Paid by bank transfer")
    assert log_in(Client(), "alice").status_code == 302


def test_tm6_a_reason_is_required_to_disable(staff_client: Client) -> None:
    alice = UserFactory(username="alice")

    response = csrf_post(staff_client, f"/staff/accounts/user/{alice.pk}/disable/", {"reason": ""})

    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.is_active


def test_tm9_staff_see_flagged_accounts(staff_client: Client) -> None:
    from django.utils import timezone

    UserFactory(username="sharer", sharing_flagged_at=timezone.now())
    UserFactory(username="honest")

    listing = staff_client.get("/staff/accounts/user/", {"sharing": "yes"}).content.decode()

    assert "sharer" in listing and "honest" not in listing


def test_tm9_staff_see_a_member_s_sessions_without_their_keys(staff_client: Client) -> None:
    alice = UserFactory(username="alice")
    log_in(Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"), "alice")
    key = AccountSession.objects.get(user=alice).session_key

    pages = [
        staff_client.get(f"/staff/accounts/user/{alice.pk}/change/").content.decode(),
        staff_client.get("/staff/accounts/accountsession/").content.decode(),
    ]

    assert "Firefox · Linux" in pages[0]
    assert "Firefox" in pages[1]
    assert all(key not in page for page in pages)


def test_tm9_staff_end_every_session_of_a_shared_account(staff_client: Client, staff: User) -> None:
    alice = UserFactory(username="alice")
    devices = [Client(), Client()]
    for device in devices:
        log_in(device, "alice")

    csrf_post(staff_client, f"/staff/accounts/user/{alice.pk}/end-sessions/", {"reason": "Shared with a colleague"})

    assert all(device.get("/account/").status_code == 302 for device in devices)
    event = AccountEvent.objects.get(user=alice, kind=AccountEvent.Kind.SESSIONS_REVOKED, actor=staff)
    assert "Shared with a colleague" in event.reason
