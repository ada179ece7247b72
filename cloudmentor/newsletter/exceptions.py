"""Domain errors of the newsletter; views turn them into messages in the reader's language."""

from __future__ import annotations


class NewsletterError(Exception):
    """Base class of every refusal the newsletter services can answer with."""


class InvalidToken(NewsletterError):
    """An unsubscribe or confirmation link that is forged, damaged or expired."""


class ConfirmationSuperseded(NewsletterError):
    """The address was unsubscribed after this confirmation link was sent: it needs a new one."""


class IssueNotDraft(NewsletterError):
    """The issue is already being sent (or sent): it cannot be sent again or changed."""


class IssueIncomplete(NewsletterError):
    """The issue lacks a subject or a body in one of the languages."""
