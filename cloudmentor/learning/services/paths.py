"""Learning paths (LX-4): a group owner assigns a path with a due date, a member completes a
path once every course of it is certified, reminders go out before the due date.

Reminders: ``LEARNING_PATH_REMINDER_DAYS`` (default 7 and 1) days before the due date, the
member gets one email per day count (the nearest one only, if the scheduler was stopped),
while the path is not complete and the member is still in the group that assigned it. Run
hourly by the scheduler (``learning_path_reminders``); safe to run twice, even at once: each
email is claimed by a conditional UPDATE of ``reminded_days`` in the transaction that queues it.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation

from cloudmentor.accounts.models import Group, GroupMembership, User
from cloudmentor.mailing.services import email_queue

from ..exceptions import PathAssignmentRefused, PathNotCompleted
from ..models import LearningPath, PathAssignment, PathCompletion, Status
from ..selectors.paths import path_progress
from .certificates import _holder_name

# Reasons a path assignment is refused (the view says each one in the owner's language).
NOT_OWNER = "not_owner"
NOT_MEMBER = "not_member"
NOT_PUBLISHED = "not_published"
DUE_IN_PAST = "due_in_past"
DUE_TOO_FAR = "due_too_far"
# A due date further away than this is a typo (year 2205), not a plan.
MAX_DUE_DAYS = 3 * 366


@transaction.atomic
def path_assign(*, owner: User, group: Group, member: User, path: LearningPath, due_on: date) -> PathAssignment:
    """Assign `path` to `member` of `group`, to finish by `due_on`; assigning again moves the date.

    Only the group's owner may (TM-2); the member must be in the group now (not the owner),
    the path published, the date between today and three years from now.
    """
    if group.owner_id != owner.pk:
        raise PathAssignmentRefused(NOT_OWNER)
    if member.pk == group.owner_id or not GroupMembership.objects.filter(group=group, user=member).exists():
        raise PathAssignmentRefused(NOT_MEMBER)
    if path.status != Status.PUBLISHED:
        raise PathAssignmentRefused(NOT_PUBLISHED)
    today = timezone.localdate()
    if due_on < today:
        raise PathAssignmentRefused(DUE_IN_PAST)
    if due_on > today + timedelta(days=MAX_DUE_DAYS):
        raise PathAssignmentRefused(DUE_TOO_FAR)
    assignment, _created = PathAssignment.objects.update_or_create(
        member=member,
        path=path,
        defaults={
            "group": group,
            "due_on": due_on,
            "assigned_by": owner,
            "assigned_at": timezone.now(),
            "reminded_days": None,
        },
    )
    return assignment


@transaction.atomic
def path_unassign(*, owner: User, group: Group, assignment_id: int) -> bool:
    """Withdraw one of the group's assignments; False when there was none (already withdrawn)."""
    if group.owner_id != owner.pk:
        raise PathAssignmentRefused(NOT_OWNER)
    deleted, _rows = PathAssignment.objects.filter(pk=assignment_id, group=group).delete()
    return bool(deleted)


@transaction.atomic
def path_complete(*, user: User, path: LearningPath) -> PathCompletion:
    """Record that the member completed `path` (every course certified), once; return the record.

    Raises PathNotCompleted while a course of the path has no valid certificate.
    """
    existing = PathCompletion.objects.filter(user=user, path=path).first()
    if existing is not None:
        return existing
    if not path_progress(user=user, path=path).is_complete:
        raise PathNotCompleted
    completion, _created = PathCompletion.objects.get_or_create(
        user=user,
        path=path,
        defaults={"holder_name": _holder_name(user), "path_title": path.title, "target_role": path.target_role},
    )
    return completion


def path_erase_for_user(*, user: User) -> dict[str, int]:
    """Erase the member's assigned and completed paths (PV-10); return the counts."""
    return {
        "path_assignments": PathAssignment.objects.filter(member=user).delete()[0],
        "path_completions": PathCompletion.objects.filter(user=user).delete()[0],
    }


def _reminder_days() -> list[int]:
    """The day counts of ``LEARNING_PATH_REMINDER_DAYS``, smallest first (read at call time)."""
    return sorted({int(days) for days in settings.LEARNING_PATH_REMINDER_DAYS if int(days) > 0})


def path_reminders_send(*, today: date | None = None) -> int:
    """Send every path reminder due today; return how many were sent.

    With 5 days left and days (7, 1), J-7 is due; with 1 day left, J-1. Reminders already sent
    for this due date (``reminded_days`` at or below the count) are not sent again.
    """
    today = today or timezone.localdate()
    days = _reminder_days()
    if not days:
        return 0
    candidates = (
        PathAssignment.objects.filter(
            due_on__gte=today,
            due_on__lte=today + timedelta(days=days[-1]),
            path__status=Status.PUBLISHED,
            member__is_active=True,
        )
        .filter(group__memberships__user=F("member"))  # still in the group
        .select_related("member", "path")
        .order_by("due_on", "pk")
    )
    sent = 0
    for assignment in candidates:
        left = (assignment.due_on - today).days
        due = next((count for count in days if left <= count), None)
        if due is None or (assignment.reminded_days is not None and assignment.reminded_days <= due):
            continue
        if _reminder_send(assignment=assignment, days_before=due, left=left):
            sent += 1
    return sent


def _reminder_send(*, assignment: PathAssignment, days_before: int, left: int) -> bool:
    """Claim the reminder and queue its email together; False when another run claimed it first."""
    with transaction.atomic():
        claimed = (
            PathAssignment.objects.filter(pk=assignment.pk, due_on=assignment.due_on)
            .filter(Q(reminded_days__isnull=True) | Q(reminded_days__gt=days_before))
            .update(reminded_days=days_before)
        )
        if not claimed:
            return False
        member = assignment.member
        if path_progress(user=member, path=assignment.path).is_complete:
            return False  # nothing to remind: recorded all the same
        language = member.language or settings.LANGUAGE_CODE
        with translation.override(language):
            path_url = f"{settings.SITE_URL}{reverse('learning:path', kwargs={'slug': assignment.path.slug})}"
            title = assignment.path.display_title
        email_queue(
            to=member.email,
            template="learning/emails/path_reminder",
            context={
                "username": member.username,
                "path_title": title,
                "due_on": assignment.due_on,
                "days_left": left,
                "path_url": path_url,
            },
            language=language,
        )
    return True
