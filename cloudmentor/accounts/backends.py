"""Authentication backend: log in with a username or an email (PV-2)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from .models import User
from .selectors import user_by_identifier


class UsernameOrEmailBackend(ModelBackend):
    """ModelBackend that also accepts an email; disabled accounts never authenticate."""

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
