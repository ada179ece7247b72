from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cloudmentor.accounts.tests.factories import StaffFactory, UserFactory
from cloudmentor.billing.models import Invoice
from cloudmentor.billing.tests.factories import InvoiceFactory, PlanFactory, SubscriptionFactory
from cloudmentor.operations.models import ContactMessage

from .conftest import log_in, staff_client_for

pytestmark = pytest.mark.django_db

_HREF = re.compile(r'href="(/[^"#]*)"')


def _content_main(html: str) -> str:
    return html.split('id="content-main"', 1)[1].split('id="footer"', 1)[0]


def _overdue_invoice(number: str, amount: str = "49.00") -> Invoice:
    subscription = SubscriptionFactory(price=Decimal(amount), starts_at=timezone.now() - timedelta(days=40))
    return InvoiceFactory(
        subscription=subscription,
        status=Invoice.Status.OPEN,
        number=number,
        year=2026,
        sequence=int(number[-3:]),
        issued_at=timezone.now() - timedelta(days=20),
        due_at=timezone.now() - timedelta(days=6),
    )


def _populate(scale: int, start: int = 0) -> None:
    plan = PlanFactory()
    for index in range(start, start + scale):
        SubscriptionFactory(plan=plan)
        _overdue_invoice(f"CM-2026-{index:03d}")
        ContactMessage.objects.create(name="A", email="a@example.org", subject="RGPD", message="?", language="fr")


def test_bz5_the_staff_home_is_the_first_page_after_the_second_factor(staff: Any) -> None:
    """/staff/ (the staff site's index, where the login leads) is the staff home, with the site's lists below."""
    _populate(1)
    client = Client()
    log_in(client, staff.username)

    response = _verify_and_follow(client, staff)

    assert response.templates[0].name == "backoffice/home.html"
    html = response.content.decode()
    assert "Factures en retard" in html
    assert "49,00 €" in html
    assert "Demandes sur les données personnelles" in html
    assert '<svg viewBox="0 0 640 220" role="img"' in html
    # Coordinates are SVG numbers, never localised (« 12,5 » would be dropped by the browser).
    assert re.search(r'<rect class="series-new" x="[0-9.]+" y="[0-9.]+" width="[0-9.]+" height="[0-9.]+"', html)
    assert not re.search(r'(x|y|width|height|cx|cy)="[0-9]+,[0-9]', html)
    assert 'href="/staff/billing/invoice/"' in html  # the staff site's lists follow


def _verify_and_follow(client: Client, staff: Any) -> Any:
    from .conftest import verify

    response = verify(client, staff)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index") == "/staff/"
    return client.get(response["Location"])


def test_bz5_the_staff_home_speaks_english_under_en(staff_client: Client) -> None:
    """The same page at /en/staff/, every label in English."""
    _populate(1)

    response = staff_client.get("/en/staff/")

    assert response.status_code == 200
    html = response.content.decode()
    for label in ("Overdue invoices", "Open error reports", "Personal data requests", "Monthly recurring revenue"):
        assert label in html
    assert "Factures en retard" not in html
    assert "€49.00" in html or "49.00 €" in html


def test_bz5_the_staff_password_alone_gets_no_figure(staff: Any) -> None:
    """Without the second factor the staff home sends to the code page; a member is sent to the login."""
    client = Client()
    log_in(client, staff.username)
    response = client.get("/staff/")
    assert response.status_code == 302
    assert "Factures" not in response.content.decode()

    member = Client()
    log_in(member, UserFactory().username)
    response = member.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith((reverse("admin:login"), reverse("accounts:login")))
    assert "Factures" not in response.content.decode()


def test_bz5_a_role_sees_only_the_figures_of_the_lists_it_may_open() -> None:
    """A billing-only staff member sees invoices, not contact messages (least privilege, TR-1)."""
    _populate(1)
    billing = StaffFactory(is_superuser=False)
    billing.user_permissions.add(Permission.objects.get(codename="view_invoice", content_type__app_label="billing"))
    client = staff_client_for(billing)

    html = client.get("/staff/").content.decode()

    assert "Factures en retard" in html
    assert "Messages de contact sans réponse" not in html
    assert "Comptes actifs" not in html
    assert "Revenu récurrent mensuel" not in html


def test_bz5_every_figure_links_to_a_list_that_answers(staff_client: Client) -> None:
    """Each link of the figures opens its (filtered) list in the staff site: no dead link."""
    _populate(2)

    html = _content_main(staff_client.get("/staff/").content.decode())
    links = sorted({href.replace("&amp;", "&") for href in _HREF.findall(html.split('class="app-list"', 1)[0])})

    assert any("follow=overdue" in link for link in links)
    assert any("is_handled__exact=0" in link for link in links)
    for link in links:
        assert staff_client.get(link).status_code == 200, link


def test_bz5_the_staff_home_costs_the_same_queries_whatever_the_data_size(staff_client: Client, settings: Any) -> None:
    """Ten times the rows, the same number of queries (no per-row loop anywhere on the page)."""
    settings.BACKOFFICE_FIGURES_MAX_AGE_SECONDS = 0  # computed on every page
    _populate(1)
    staff_client.get("/staff/")
    with CaptureQueriesContext(connection) as small:
        assert staff_client.get("/staff/").status_code == 200
    _populate(10, start=1)
    with CaptureQueriesContext(connection) as large:
        assert staff_client.get("/staff/").status_code == 200

    assert len(large) == len(small)
    assert len(small) <= 20  # the figures' 7 plus the session, account, device and permission checks


def test_favicon_ico_answers_on_every_site_and_pages_link_the_icon(staff_client: Client) -> None:
    """/favicon.ico is our own icon; the site's and the staff site's pages link one."""
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO header

    for client, path in [
        (Client(), "/"),
        (Client(), "/en/"),
        (staff_client, "/staff/"),
        (staff_client, "/en/staff/billing/invoice/"),
    ]:
        html = client.get(path).content.decode()
        assert 'rel="icon"' in html, path


def test_bz5_staff_recompute_the_figures_at_once(staff_client: Client, settings: Any) -> None:
    """A purchase made a moment ago shows after « Recalculer maintenant », without waiting for the scheduler."""
    settings.BACKOFFICE_FIGURES_MAX_AGE_SECONDS = 3600
    assert "Abonnés (période en cours)" in staff_client.get("/staff/").content.decode()
    SubscriptionFactory(plan=PlanFactory(name="Expert 12 mois"))
    assert "Expert 12 mois" not in staff_client.get("/staff/").content.decode()  # the kept figures

    response = staff_client.post(reverse("backoffice:refresh"))

    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    assert "Expert 12 mois" in staff_client.get("/staff/").content.decode()
    assert staff_client.get(reverse("backoffice:refresh")).status_code == 405
