"""Domain errors of the accounts app; views turn them into messages in the user's language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class AccountsError(Exception):
    """Base class of every refusal the accounts services can answer with."""


class InvalidCredentials(AccountsError):
    """Unknown username/email or wrong password (never says which)."""


class AccountDisabled(AccountsError):
    """The password is right but the account is disabled (TM-6)."""


class AccountLocked(AccountDisabled):
    """The password is right but unauthorized use was reported: a password reset re-opens it (PV-14).

    A kind of AccountDisabled, so that a caller that knows only that one still refuses the login.
    """


class SecurityLinkInvalid(AccountsError):
    """A « Ce n'était pas moi » link that was never sent (forged or mistyped)."""


class SecurityLinkExpired(AccountsError):
    """A genuine « Ce n'était pas moi » link past its validity."""


class SecurityLinkUsed(AccountsError):
    """A « Ce n'était pas moi » link that has already served."""

    def __init__(self, *, used_at: Any) -> None:
        super().__init__("used")
        self.used_at = used_at


class EmailTaken(AccountsError):
    """Another account already uses this email (compared case-insensitively)."""


class UsernameTaken(AccountsError):
    """Another account already uses this username (compared case-insensitively)."""


class InvalidToken(AccountsError):
    """A link that is unknown, used, expired or no longer valid."""


class ErasureRefused(AccountsError):
    """The account cannot be erased this way (PV-10)."""


class StaffAccountErasure(ErasureRefused):
    """A staff account: another staff member first removes its staff rights."""


class AlreadyErased(ErasureRefused):
    """The account's data was erased already (erasure is idempotent)."""


class GroupError(AccountsError):
    """A refusal about a group (PV-1); `message` is shown to the person, in their language."""

    message: Any = _("Cette action sur le groupe n'est pas possible.")


class NotGroupOwner(GroupError):
    message = _("Seul le propriétaire du groupe peut faire cela.")


class AlreadyInGroup(GroupError):
    message = _("Cette personne fait déjà partie d'un groupe.")


class YouAreInAGroup(GroupError):
    message = _("Vous faites déjà partie d'un groupe : quittez-le d'abord.")


class InvitationPending(GroupError):
    message = _("Une invitation est déjà en attente pour cette adresse.")


class NoSeatLeft(GroupError):
    message = _(
        "Le groupe a atteint le nombre de places de son offre (propriétaire compris). "
        "Retirez un membre, annulez une invitation, ou choisissez une offre de groupe avec plus de places."
    )


class InvitationInvalid(GroupError):
    message = _("Ce lien d'invitation n'est pas valable : il a expiré, a déjà servi, a été annulé ou est inconnu.")


class InvitationForAnotherEmail(GroupError):
    message = _(
        "Cette invitation a été envoyée à une autre adresse e-mail que celle de votre compte. "
        "Demandez au propriétaire du groupe d'inviter votre adresse."
    )


class OwnerCannotLeave(GroupError):
    message = _("Le propriétaire ne peut pas quitter son groupe : retirez d'abord les membres.")


class GroupHasMembers(ErasureRefused):
    """An owner whose group still has members: they remove them first (PV-10, PV-1)."""


class LegalNameLocked(AccountsError):
    """A certificate carries the legal name: only support changes it now, re-issuing them (LX-2)."""
