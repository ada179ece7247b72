"""The demo content for `make run`: plans on sale, a paid member and a paid Team group, loaded once (PV-1)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from cloudmentor.accounts.models import User
from cloudmentor.billing.models import Invoice, Payment, Plan, Subscription
from cloudmentor.demo.services import demo_load

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
