"""Authentication backend: log in with a username or an email (PV-2).

The account of a logged-in request comes from the cache while its change stamp is
unchanged (`accounts.caching`): saving the account, or disabling it, shows at the next
request.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from cloudmentor.core import stamps

from .caching import USER_CACHE_SECONDS, user_stamp
from .models import User
from .selectors import user_by_identifier


class UsernameOrEmailBackend(ModelBackend):
    """ModelBackend that also accepts an email; disabled and blocked accounts never authenticate."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        if username is None or password is None:
            return None
        user = user_by_identifier(username)
        if user is None:
            User().set_password(password)  # same cost as a wrong password
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def user_can_authenticate(self, user: Any) -> bool:
        """Active, and not blocked after a report of unauthorized use (PV-14)."""
        return super().user_can_authenticate(user) and getattr(user, "locked_at", None) is None

    def get_user(self, user_id: Any) -> User | None:
        key = f"accounts:user-row:{user_id}"
        found = stamps.lookup(key, user_stamp(user_id))
        if found.value is not None:
            user: User = found.value
            return user if self.user_can_authenticate(user) else None
        # With its group membership and group: the account cookie follows the group's paid-up
        # date (CK-4) without a query per request.
        loaded = User.objects.select_related("group_membership__group").filter(pk=user_id).first()
        if loaded is not None and not self.user_can_authenticate(loaded):
            loaded = None
        if loaded is not None:
            stamps.store(key, loaded, found, USER_CACHE_SECONDS)
        return loaded
