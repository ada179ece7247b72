"""The policies a member accepted travel in their data export (PV-9) and outlive erasure anonymised (PV-10)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import User
from cloudmentor.core import personal_data
from cloudmentor.legal.models import PolicyAcceptance, PolicyDocument, PolicyNotice
from cloudmentor.legal.services import acceptance_record_registration

pytestmark = pytest.mark.django_db


def test_pv9_the_export_lists_the_accepted_versions_and_the_notices_received(
    member: User, publish: Callable[..., PolicyDocument]
) -> None:
    member.terms_version = 1
    acceptance_record_registration(user=member)
    document = publish()

    sections = personal_data.export_document(subject=personal_data.Subject.of(member), generated_at=timezone.now())[
        "sections"
    ]

    legal = sections["legal"]
    assert [row["document"] for row in legal["policy_acceptances"]] == ["terms"]
    assert isinstance(legal["policy_acceptances"][0]["accepted_at"], datetime)
    assert legal["policy_notices"] == [
        {"document": "terms", "version": document.version, "sent_at": PolicyNotice.objects.get().created_at}
    ]


def test_pv10_erasure_deletes_the_notices_and_keeps_the_acceptances_with_their_reason(
    member: User, publish: Callable[..., PolicyDocument], django_capture_on_commit_callbacks: Any
) -> None:
    member.terms_version = 1
    acceptance_record_registration(user=member)
    publish()
    assert PolicyNotice.objects.filter(user=member).count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        outcomes = accounts_services.account_erase(user=member, actor=None)

    legal = next(entry.outcome for entry in outcomes if entry.section.key == "legal")
    assert [item.key for item in legal.erased] == ["policy_notices"]
    assert [(item.key, item.count) for item in legal.kept] == [("policy_acceptances", 1)]
    assert "conditions" in str(legal.kept[0].why)
    assert not PolicyNotice.objects.filter(user=member).exists()
    assert PolicyAcceptance.objects.get(user=member).user.username.startswith("deleted-")
