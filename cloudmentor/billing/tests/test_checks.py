"""Seller details an auditor needs are enforced before production starts (BZ-3)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import Error, run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from cloudmentor.billing.checks import seller_details_check

VALID_SIRET = "73282932000074"  # 14 digits, Luhn-valid (a public example)


@pytest.fixture
def production(settings: Any) -> Any:
    settings.ENVIRONMENT = "production"
    settings.BILLING_SELLER_NAME = "CloudMentor SAS"
    settings.BILLING_SELLER_ADDRESS = "1 rue de la Paix, 75002 Paris"
    settings.BILLING_SELLER_SIRET = VALID_SIRET
    return settings


def _ids(errors: list[Any]) -> list[str]:
    return [error.id for error in errors]


def test_bz3_production_with_complete_seller_details_passes(production: Any) -> None:
    """Name, address and a valid SIRET: no error."""
    assert seller_details_check(None) == []


@pytest.mark.parametrize(
    ("setting", "error_id"),
    [
        ("BILLING_SELLER_NAME", "billing.E001"),
        ("BILLING_SELLER_ADDRESS", "billing.E002"),
        ("BILLING_SELLER_SIRET", "billing.E003"),
    ],
)
def test_bz3_production_refuses_a_missing_seller_detail(production: Any, setting: str, error_id: str) -> None:
    """Each missing detail is its own error, naming the setting to fill in."""
    setattr(production, setting, "   ")

    errors = seller_details_check(None)

    assert _ids(errors) == [error_id]
    assert isinstance(errors[0], Error)
    assert setting in errors[0].msg


def test_bz3_production_refuses_a_malformed_siret(production: Any) -> None:
    """A SIRET is 14 digits with a valid Luhn key; spaces are allowed."""
    production.BILLING_SELLER_SIRET = "732 829 320 00075"
    assert _ids(seller_details_check(None)) == ["billing.E004"]
    production.BILLING_SELLER_SIRET = "1234"
    assert _ids(seller_details_check(None)) == ["billing.E004"]
    production.BILLING_SELLER_SIRET = "732 829 320 00074"
    assert seller_details_check(None) == []


def test_bz3_the_check_runs_with_the_system_checks_and_stops_manage_py(production: Any) -> None:
    """`manage.py check` (and migrate, runserver) stop with the error in production."""
    production.BILLING_SELLER_SIRET = ""

    assert "billing.E003" in _ids(run_checks())
    with pytest.raises(SystemCheckError, match="BILLING_SELLER_SIRET"):
        call_command("check")


def test_bz3_outside_production_missing_details_are_not_an_error(settings: Any) -> None:
    """Development and tests run with the defaults (no address, no SIRET)."""
    settings.ENVIRONMENT = "development"
    settings.BILLING_SELLER_SIRET = ""
    settings.BILLING_SELLER_ADDRESS = ""

    assert seller_details_check(None) == []
