"""Receivers of accounts' signals (connected in `apps.NewsletterConfig.ready`)."""

from __future__ import annotations

from typing import Any

from cloudmentor.accounts.models import User

from .services import subscriber_email_follow, subscriber_register_member


def on_member_registered(sender: Any, *, user: User, **kwargs: Any) -> None:
    """The registration form's box, ticked: the member's address is subscribed (PV-4)."""
    subscriber_register_member(user=user)


def on_member_email_changed(sender: Any, *, user: User, old_email: str, **kwargs: Any) -> None:
    subscriber_email_follow(user=user, old_email=old_email)
