"""Domain errors of donations; views turn them into messages in the visitor's language."""

from __future__ import annotations


class DonationError(Exception):
    """Base of the errors a donation use case raises."""


class DonationNotPayable(DonationError):
    """The donation is no longer waiting for a payment (paid or abandoned)."""


class DonationNotAbandonable(DonationError):
    """Only a pending donation can be marked abandoned."""
