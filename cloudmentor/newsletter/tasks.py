from __future__ import annotations

from django_tasks import task

from .services import issue_send_batch


@task()
def issue_send_batch_task(issue_id: int) -> int:
    """Queue one batch of an issue and enqueue the next; safe to run twice."""
    return issue_send_batch(issue_id=issue_id)
