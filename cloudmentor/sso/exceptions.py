"""Refusals of a sign-in through a company's identity provider (ID-1), each with its words for the person."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class SsoError(Exception):
    """A refused sign-in: `message` is shown on a page of its own, `code` names the case in the logs."""

    message: Any = _("La connexion par l'authentification de votre entreprise n'a pas abouti.")
    code = "refused"
    status = 400

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.code)
        self.detail = detail


class ProviderUnknown(SsoError):
    message = _(
        "Aucune entreprise n'a configuré l'authentification unique pour cette adresse e-mail. "
        "Connectez-vous avec votre mot de passe, ou demandez au propriétaire de votre groupe."
    )
    code = "provider_unknown"


class SignInInvalid(SsoError):
    message = _(
        "Cette connexion n'est plus valable : elle a expiré, a déjà servi, ou ne vient pas de ce navigateur. "
        "Recommencez depuis la page de connexion."
    )
    code = "sign_in_invalid"


class CookiesRequired(SignInInvalid):
    """The browser came back from the provider without any cookie: cookies are off (CK-8)."""

    message = _(
        "Votre navigateur n'a renvoyé aucun cookie : la connexion par votre entreprise a besoin d'un cookie "
        "temporaire, sans donnée personnelle, pour relier votre retour à ce navigateur. Autorisez les cookies "
        "pour ce site, puis recommencez."
    )
    code = "cookies_required"


class ProviderUnreachable(SsoError):
    message = _(
        "Le service d'authentification de votre entreprise ne répond pas correctement. "
        "Réessayez dans quelques minutes ; si cela dure, prévenez le propriétaire de votre groupe."
    )
    code = "provider_unreachable"
    status = 502


class ProviderDenied(SsoError):
    message = _("Le service d'authentification de votre entreprise n'a pas autorisé la connexion.")
    code = "provider_denied"
    status = 403


class TokenInvalid(SsoError):
    """The ID token failed a check: signature, issuer, audience, expiry, issue time or nonce."""

    message = _(
        "La réponse du service d'authentification de votre entreprise n'a pas pu être vérifiée "
        "(signature, destinataire, validité ou jeton à usage unique) : par sécurité, personne n'a été connecté."
    )
    code = "token_invalid"
    status = 403


class EmailOutsideDomains(SsoError):
    message = _(
        "Votre adresse e-mail n'appartient à aucun des domaines que votre entreprise a déclarés pour ce groupe : "
        "la connexion est refusée."
    )
    code = "email_outside_domains"
    status = 403


class EmailUnverified(SsoError):
    message = _(
        "Le service d'authentification de votre entreprise n'a pas confirmé votre adresse e-mail : "
        "la connexion est refusée. Faites vérifier votre adresse auprès de votre entreprise."
    )
    code = "email_unverified"
    status = 403


class StaffRefused(SsoError):
    message = _(
        "Les comptes de l'équipe CloudMentor ne se connectent jamais par l'authentification d'une entreprise : "
        "utilisez votre mot de passe et votre second facteur."
    )
    code = "staff"
    status = 403


class SeatsFull(SsoError):
    message = _(
        "Toutes les places du groupe de votre entreprise sont prises : aucun compte n'a été créé. "
        "Demandez au propriétaire du groupe de libérer une place ou d'en ajouter."
    )
    code = "seats_full"
    status = 403


class InAnotherGroup(SsoError):
    message = _(
        "Votre compte fait déjà partie d'un autre groupe : quittez-le d'abord pour rejoindre celui de votre entreprise."
    )
    code = "in_another_group"
    status = 403


class AccountDisabled(SsoError):
    message = _(
        "Votre compte est désactivé. Écrivez au support par e-mail pour le réactiver ; vous ne pouvez rien faire d'autre "
        "d'ici là."
    )
    code = "disabled"
    status = 403


class WrongPassword(SsoError):
    message = _("Mot de passe incorrect.")
    code = "wrong_password"


class SettingsInvalid(SsoError):
    """The owner's settings cannot be saved (a domain another group declared)."""

    message = _("Ces réglages ne peuvent pas être enregistrés.")
    code = "settings_invalid"


class DomainTaken(SettingsInvalid):
    message = _("Le domaine %(domain)s est déjà déclaré par un autre groupe : un domaine ne désigne qu'un groupe.")
    code = "domain_taken"
