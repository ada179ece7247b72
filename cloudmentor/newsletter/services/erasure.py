"""Personal data: what erasure removes and what it keeps (PV-9, PV-10)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from cloudmentor.accounts.models import User

from ..caching import member_changed
from ..models import Delivery, Source
from ._common import _by_email, _by_user
from .unsubscribing import subscriber_unsubscribe


def newsletter_erase_for_user(user: User) -> dict[str, list[str]]:
    """Erase the member's newsletter data, keeping only the flagged address (never mail it again).

    The address stays, unsubscribed and no longer linked to the account, as the record that
    it must not be mailed (the privacy policy says an unsubscribed address stays); the
    history of issues sent to it is deleted. Returns what was erased and what was kept.
    """
    subscriber = _by_user(user) or _by_email(user.email)
    if subscriber is None:
        return {"erased": [], "kept": []}
    subscriber_unsubscribe(subscriber=subscriber, source=Source.ERASURE)
    subscriber.refresh_from_db()
    Delivery.objects.filter(subscriber=subscriber).delete()
    old_user_id = subscriber.user_id
    subscriber.user = None
    subscriber.save(update_fields=["user"])
    member_changed(old_user_id)
    return {
        "erased": [_("Newsletter : le lien avec votre compte et l'historique des numéros envoyés.")],
        "kept": [
            _(
                "Newsletter : votre adresse e-mail, marquée désabonnée, et l'historique de vos consentements, "
                "pour qu'elle ne reçoive plus jamais la newsletter et pour prouver le consentement donné puis retiré."
            )
        ],
    }
