"""What happens to accounts, told to the apps above (they connect in their `ready()`).

Sent by the audit writers of `events.py`, inside the transaction of the change, so a
receiver's writes commit or roll back with it. Every path that registers an account or
changes its email (member services, staff site) goes through those writers.
"""

from __future__ import annotations

from django.dispatch import Signal

# A member account was created: kwargs ``user`` (its ``newsletter_opt_in`` and
# ``language`` are the registration form's choices).
member_registered = Signal()
# A member's email address changed: kwargs ``user`` (new address set) and ``old_email``.
member_email_changed = Signal()
# A password was found right for an active account, before its session opens: kwargs ``user``.
# A receiver refuses the login by raising PasswordLoginRefused (single sign-on required, ID-1).
password_login_checked = Signal()


class PasswordLoginRefused(Exception):
    """A receiver of `password_login_checked` refuses this password login; `message` says why and what to do."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message
