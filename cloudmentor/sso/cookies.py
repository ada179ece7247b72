"""The cookie of a sign-in in progress (CK-1, CK-2, CK-9)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from cloudmentor.core.cookies import CookieSpec

FLOW_COOKIE_NAME = "cm_sso"


def flow_seconds() -> int:
    return int(settings.SSO_SIGN_IN_SECONDS)


# SameSite=Lax, not Strict: the provider sends the browser back with a top-level GET from its
# own site, and a Strict cookie would not come with it.
FLOW_COOKIE = CookieSpec(
    name=FLOW_COOKIE_NAME,
    purpose=_("Suivre une connexion par l'authentification de votre entreprise, le temps d'aller et revenir."),
    content=_("Un identifiant aléatoire, chiffré. Aucune donnée personnelle."),
    max_age=flow_seconds,
    same_site="Lax",
)
