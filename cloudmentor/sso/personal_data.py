"""Single sign-on's part of the export (PV-9) and of erasure (PV-10): the link to the company's provider."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cloudmentor.core.personal_data import Item, Outcome, Section, Subject

from .models import SignIn, SsoLink

ORDER = 80  # before groups (90) and the account itself (100)


def sso_export(subject: Subject) -> dict[str, Any]:
    """Return the account's link to its company's identity provider, if any. One query."""
    link = SsoLink.objects.select_related("provider__group").filter(user=subject.user).first()
    if link is None:
        return {"link": None}
    return {
        "link": {
            "group": link.provider.group.name,
            "issuer": link.provider.issuer,
            "subject": link.subject,
            "linked_at": link.created_at,
            "last_login_at": link.last_login_at,
        }
    }


def sso_erase(subject: Subject) -> Outcome:
    """Delete the link and any sign-in waiting for this account's password."""
    links = SsoLink.objects.filter(user=subject.user).delete()[0]
    SignIn.objects.filter(link_user=subject.user).delete()
    return Outcome(
        erased=[Item(key="sso_link", what=_("Lien avec le fournisseur d'identité de votre entreprise"), count=links)]
    )


SECTION = Section(
    key="sso",
    title=_("Authentification d'entreprise"),
    order=ORDER,
    export=sso_export,
    erase=sso_erase,
    holds=(
        (
            "link",
            _(
                "Le lien entre votre compte et le fournisseur d'identité de votre entreprise : "
                "son adresse, votre identifiant chez lui, les dates de liaison et de dernière connexion."
            ),
        ),
    ),
    erases=(_("Le lien avec le fournisseur d'identité de votre entreprise."),),
)
