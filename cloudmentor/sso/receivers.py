"""What single sign-on does when accounts tells it something (connected in `SsoConfig.ready()`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from cloudmentor.accounts.signals import PasswordLoginRefused

from .services import password_login_refused


def password_login_checked(sender: Any, *, user: Any, **kwargs: Any) -> None:
    """Refuse a password login to a member whose group's owner requires the company's sign-on."""
    if password_login_refused(user=user):
        raise PasswordLoginRefused(
            _(
                "Votre groupe exige la connexion par l'authentification de votre entreprise : "
                "utilisez « Se connecter avec l'authentification de mon entreprise »."
            )
        )
