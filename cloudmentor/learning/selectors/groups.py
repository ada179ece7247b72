"""Group owners see their members' progress (LM-7); nobody else does."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count

from cloudmentor.accounts.models import Group, User
from cloudmentor.accounts.selectors import group_member_list, group_membership_of

from ..models import Certificate, Course, Enrollment, LessonCompletion, Status


@dataclass
class MemberCourse:
    course: Course
    done: int
    last_visited_at: Any
    completed_at: Any

    @property
    def percent(self) -> int:
        total = self.course.lesson_count
        return min(100, round(100 * self.done / total)) if total else 0


@dataclass
class MemberProgress:
    member: User
    joined_at: Any
    courses: list[MemberCourse]
    certificates: list[Certificate]

    @property
    def last_activity_at(self) -> Any:
        return max((entry.last_visited_at for entry in self.courses), default=None)


@dataclass
class GroupProgress:
    group: Group
    members: list[MemberProgress]


def access_group_progress(*, viewer: User) -> Group:
    """Return the group whose members' progress `viewer` may see: the one they own (LM-7).

    Raises PermissionDenied for anyone else (a member sees nothing of the others).
    """
    membership = group_membership_of(user=viewer)
    if membership is None or membership.group.owner_id != viewer.pk:
        raise PermissionDenied
    return membership.group


def group_progress(*, group: Group) -> GroupProgress:
    """Return each member's (owner excepted) courses, percentage, last activity and certificates.

    Four queries whatever the number of members and courses.
    """
    memberships = [row for row in group_member_list(group=group) if row.user_id != group.owner_id]
    member_ids = [row.user_id for row in memberships]
    enrollments = list(
        Enrollment.objects.filter(user_id__in=member_ids, course__status=Status.PUBLISHED)
        .select_related("course")
        .only(
            "user_id",
            "last_visited_at",
            "completed_at",
            "course__slug",
            "course__title",
            "course__title_en",
            "course__lesson_count",
        )
        .order_by("-last_visited_at", "-pk")
    )
    done: dict[tuple[int, int], int] = {
        (row["user_id"], row["lesson__course"]): row["count"]
        for row in LessonCompletion.objects.filter(
            user_id__in=member_ids, lesson__status=Status.PUBLISHED, lesson__revision__isnull=False
        )
        .values("user_id", "lesson__course")
        .annotate(count=Count("pk"))
    }
    certificates: dict[int, list[Certificate]] = defaultdict(list)
    for certificate in Certificate.objects.filter(user_id__in=member_ids).defer("pdf").order_by("-issued_at", "-pk"):
        certificates[certificate.user_id].append(certificate)
    courses: dict[int, list[MemberCourse]] = defaultdict(list)
    for enrollment in enrollments:
        courses[enrollment.user_id].append(
            MemberCourse(
                course=enrollment.course,
                done=done.get((enrollment.user_id, enrollment.course_id), 0),
                last_visited_at=enrollment.last_visited_at,
                completed_at=enrollment.completed_at,
            )
        )
    return GroupProgress(
        group=group,
        members=[
            MemberProgress(
                member=row.user,
                joined_at=row.joined_at,
                courses=courses.get(row.user_id, []),
                certificates=certificates.get(row.user_id, []),
            )
            for row in memberships
        ],
    )
