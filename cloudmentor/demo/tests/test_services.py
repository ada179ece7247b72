"""The demo content for `make run`: plans on sale, a paid member and a paid Team group, loaded once (PV-1)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from cloudmentor.accounts.models import User
from cloudmentor.billing.models import Invoice, Payment, Plan, Subscription
from cloudmentor.demo.services import demo_load
from cloudmentor.learning.models import Course

pytestmark = pytest.mark.django_db


def test_demo_content_loads_plans_and_a_paid_subscription_once() -> None:
    demo_load()
    demo_load()

    assert set(Plan.objects.values_list("slug", flat=True)) == {
        "decouverte",
        "essentiel-1-mois",
        "pro-3-mois",
        "expert-12-mois",
        "equipe-12-mois",
    }
    subscription = Subscription.objects.get(customer__user__username="demo")
    invoice = Invoice.objects.get(subscription=subscription)
    assert (subscription.plan.slug, invoice.status) == ("pro-3-mois", Invoice.Status.PAID)
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert Payment.objects.count() == 2  # and the demo Team group's period (PV-1), once
    assert User.objects.get(username="demo").access_ends_at == subscription.ends_at


def test_tr6_the_demo_content_and_its_known_passwords_are_refused_in_production(settings: object) -> None:
    """On a production site `demo_load` stops with a clear error and creates nothing (no staff/demo-staff-password)."""
    settings.PRODUCTION = True  # type: ignore[attr-defined]  # pytest-django's settings proxy

    with pytest.raises(CommandError, match="production"):
        call_command("demo_load")

    assert not User.objects.exists()
    assert not Plan.objects.exists()


def test_tm2_the_demo_staff_is_an_administrator_and_a_demo_creator_writes_two_courses() -> None:
    """Outside production the demo shows the roles (TR-1): `staff` administers, `auteur` writes Claire Martin's courses."""
    logins = demo_load()

    staff = User.objects.get(username="staff")
    creator = User.objects.get(username="auteur")
    assert staff.is_superuser and staff.groups.filter(name="Administrateur").exists()
    assert creator.is_staff and not creator.is_superuser
    assert list(creator.groups.values_list("name", flat=True)) == ["Créateur de contenu"]
    assert set(Course.objects.filter(authors__user=creator).values_list("slug", flat=True)) == set(
        Course.objects.filter(authors__name="Claire Martin").values_list("slug", flat=True)
    )
    assert Course.objects.filter(authors__user=creator).count() == 2
    assert any("auteur / demo-creator-password" in login for login in logins)
