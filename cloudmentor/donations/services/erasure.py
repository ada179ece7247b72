"""Personal data (PV-10): a member's donations when their account is erased."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from cloudmentor.accounts.models import User

from ..models import Donation, DonationPayment
from ._common import _now


@dataclass(frozen=True)
class DonationsErasure:
    unpaid_deleted: int
    paid_kept: int
    details_cleared: int


@transaction.atomic
def donations_erase_for_user(*, user: User) -> DonationsErasure:
    """Delete the member's unpaid donations; keep the paid ones' accounting record, without name or email.

    Amount, currency, date and reference of a paid donation stay ten years (accounting
    records, like invoices); the name to thank and the receipt address are cleared and the
    row is detached from the account.
    """
    unpaid = Donation.objects.filter(user=user).exclude(status=Donation.Status.PAID)
    unpaid_ids = list(unpaid.values_list("pk", flat=True))
    # Their payment rows (refused sessions) go with them.
    DonationPayment.objects.filter(donation_id__in=unpaid_ids).delete()
    unpaid_deleted = Donation.objects.filter(pk__in=unpaid_ids).delete()[0]
    paid = Donation.objects.filter(user=user, status=Donation.Status.PAID)
    details_cleared = paid.exclude(name="", email="").count()
    paid_kept = paid.update(name="", email="", user=None, personal_data_erased_at=_now())
    return DonationsErasure(unpaid_deleted=unpaid_deleted, paid_kept=paid_kept, details_cleared=details_cleared)
