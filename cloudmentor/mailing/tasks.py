from __future__ import annotations

from django_tasks import task

from .services import email_send


@task()
def email_send_task(email_id: int) -> bool:
    """Send one outbox email; a failure leaves it queued for ``mailing_retry``."""
    return email_send(email_id=email_id)
