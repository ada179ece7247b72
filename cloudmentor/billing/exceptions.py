"""Domain errors of the billing app; views turn them into messages in the user's language."""

from __future__ import annotations


class BillingError(Exception):
    """Base class of every refusal the billing services can answer with."""


class PlanNotAvailable(BillingError):
    """The plan is not for sale, or not for this kind of account (group plans need a group)."""


class AccountDisabled(BillingError):
    """A disabled account cannot buy or extend anything: it must contact support (TM-6)."""


class InvoiceNotPayable(BillingError):
    """The invoice is not open (draft, already paid or void)."""


class ChangeNotAllowed(BillingError):
    """A staff change must move a subscription to a longer plan of the same kind (TM-8)."""


class PaymentProviderError(BillingError):
    """The payment processor could not be reached or refused the request."""


class DemoProviderRefused(PaymentProviderError):
    """The demo payment provider was asked for in production, where it never runs (BZ-1)."""


class CheckoutConsentMissing(BillingError):
    """A purchase without the buyer's express request for immediate access (BZ-2)."""


class WebhookRejected(BillingError):
    """A webhook whose signature, age or content is not acceptable."""


class NotTheGroupOwner(BillingError):
    """Only a group's owner buys or extends its plan (TM-2); a member of another group cannot."""


class GroupTooLargeForPlan(BillingError):
    """The group has more members (owner included) than the group plan has seats."""


class IssuedDocumentChanged(BillingError):
    """An issued invoice or a credit note is never changed nor deleted (BZ-3): issue a credit note instead."""
