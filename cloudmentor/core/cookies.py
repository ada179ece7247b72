"""The closed registry of every cookie the platform may set (CK-1, CK-2, CK-9).

The encryption middleware refuses to send any cookie not declared here, and the cookie
policy page renders its table from this registry, so page and behaviour cannot drift.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


@dataclass(frozen=True)
class CookieSpec:
    """One cookie: what it is for, what it holds and how long it lives."""

    name: str
    purpose: str | Promise
    content: str | Promise
    # Seconds the cookie lives, read at call time from settings; None for "see lifetime_text".
    max_age: Callable[[], int | None]
    lifetime_text: Callable[[], str] | None = None
    same_site: str = "Lax"

    def lifetime_display(self) -> str:
        if self.lifetime_text is not None:
            return self.lifetime_text()
        seconds = self.max_age()
        return duration_text(seconds) if seconds else ""


def duration_text(seconds: int) -> str:
    """Return a lifetime in words ("1 heure", "1 jour", "30 jours")."""
    if seconds % 86400 == 0:
        days = seconds // 86400
        return ngettext("%(count)d jour", "%(count)d jours", days) % {"count": days}
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return ngettext("%(count)d heure", "%(count)d heures", hours) % {"count": hours}
    minutes = max(1, seconds // 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def _form_lifetime(form_id: str) -> Callable[[], int]:
    return lambda: int(settings.FORM_COOKIE_LIFETIMES[form_id])


def form_cookie_name(form_id: str) -> str:
    return f"cm_form_{form_id}"


def _account_cap_seconds() -> int:
    # The same setting accounts.services.session_expiry_for reads (CK-4, CK-9).
    return int(settings.ACCOUNTS_SESSION_CAP_DAYS) * 86400


def _account_lifetime_text() -> str:
    cap = duration_text(_account_cap_seconds())
    return str(
        _(
            "Jusqu'à la fin de validité de votre compte (date jusqu'à laquelle il est payé) ; "
            "%(cap)s au plus pour un compte sans date de fin."
        )
        % {"cap": cap}
    )


_FORM_CONTENT = _("Un identifiant aléatoire et sa date d'émission, chiffrés. Aucune donnée personnelle.")


def _form_cookie(form_id: str, purpose: str | Promise) -> CookieSpec:
    """A form cookie (CK-2): random id + issue time, SameSite=Strict, the form's lifetime."""
    return CookieSpec(
        name=form_cookie_name(form_id),
        purpose=purpose,
        content=_FORM_CONTENT,
        max_age=_form_lifetime(form_id),
        same_site="Strict",
    )


REGISTRY: dict[str, CookieSpec] = {
    spec.name: spec
    for spec in [
        CookieSpec(
            name=settings.SESSION_COOKIE_NAME,
            purpose=_("Vous identifier en tant que membre connecté sur cet appareil."),
            content=_(
                "Identifiant de session, nom d'utilisateur et adresse e-mail, chiffrés. "
                "Supprimé à la déconnexion de cet appareil."
            ),
            max_age=_account_cap_seconds,
            lifetime_text=_account_lifetime_text,
        ),
        *(
            _form_cookie(form_id, purpose)
            for form_id, purpose in [
                ("login", _("Suivre la validité du formulaire de connexion.")),
                ("register", _("Suivre la validité du formulaire d'inscription.")),
                ("recover", _("Suivre la validité du formulaire de récupération du mot de passe (étape 1 : e-mail).")),
                ("reset", _("Suivre la validité du formulaire de nouveau mot de passe (étape 2).")),
                ("contact", _("Suivre la validité du formulaire de contact.")),
                ("newsletter", _("Suivre la validité du formulaire d'abonnement à la newsletter.")),
                ("donate", _("Suivre la validité du formulaire de don.")),
            ]
        ),
    ]
}


def cookie_list() -> list[CookieSpec]:
    """Return every cookie the platform may set, in policy order."""
    return list(REGISTRY.values())
