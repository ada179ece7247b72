from __future__ import annotations

from django.conf import settings
from django.db import transaction

from cloudmentor.mailing.services import email_queue

from .models import ContactMessage


@transaction.atomic
def contact_message_create(*, name: str, email: str, subject: str, message: str, language: str) -> ContactMessage:
    """Store a contact message and alert staff by email (reply goes to the sender)."""
    contact = ContactMessage.objects.create(name=name, email=email, subject=subject, message=message, language=language)
    for address in settings.STAFF_ALERT_EMAILS:
        email_queue(
            to=address,
            template="operations/emails/contact_received",
            context={"contact": contact},
            language=settings.LANGUAGE_CODE,
            headers={"Reply-To": email},
        )
    return contact


def contact_messages_erase_for_email(*, email: str) -> int:
    """Delete every contact message sent from `email` (PV-10); return how many."""
    if not email.strip():
        return 0
    return ContactMessage.objects.filter(email__iexact=email.strip()).delete()[0]
