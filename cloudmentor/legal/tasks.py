from __future__ import annotations

from django_tasks import task

from .services import policy_notify_members


@task()
def policy_notify_members_task(document_id: int) -> int:
    """Email every member about a newly published version (safe to run twice)."""
    return policy_notify_members(document_id=document_id)
