"""The request of a view that only members reach, for the type checker."""

from __future__ import annotations

from django.http import HttpRequest

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request behind `login_required` (or a staff check): its user is a member, never anonymous.

    Annotate such a view's `request` with it; nothing changes at run time.
    """

    user: User
