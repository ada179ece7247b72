from __future__ import annotations

from django.db import transaction

from .models import User


@transaction.atomic
def staff_user_create(*, username: str, email: str, password: str) -> User:
    """Create a staff superuser (demo content, operators' first account)."""
    return User.objects.create_superuser(username=username, email=email, password=password)
