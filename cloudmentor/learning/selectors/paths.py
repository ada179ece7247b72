"""Learning paths (LX-4): the published paths, a member's progress along one, a group's
assignments with each member's progress and lateness. Every read costs a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from cloudmentor.accounts.models import Group, User
from cloudmentor.accounts.selectors import group_member_list

from ..models import (
    Certificate,
    Course,
    Enrollment,
    LearningPath,
    LessonCompletion,
    PathAssignment,
    PathCompletion,
    PathCourse,
    Status,
)


def _steps() -> Prefetch[Any]:
    """The path's published courses, in their order, with what the pages show of them."""
    return Prefetch(
        "steps",
        queryset=PathCourse.objects.filter(course__status=Status.PUBLISHED)
        .select_related("course")
        .order_by("position", "pk"),
    )


def path_list() -> list[LearningPath]:
    """Return the published paths with their courses: two queries."""
    return list(LearningPath.objects.filter(status=Status.PUBLISHED).prefetch_related(_steps()))


def path_get(*, slug: str) -> LearningPath:
    """Return the published path `slug` with its courses (raises LearningPath.DoesNotExist): two queries."""
    return LearningPath.objects.prefetch_related(_steps()).get(slug=slug, status=Status.PUBLISHED)


def _courses(path: LearningPath) -> list[Course]:
    return [step.course for step in path.steps.all()]


@dataclass
class PathStep:
    course: Course
    done: int
    certificate: Certificate | None
    resume_lesson_slug: str | None = None

    @property
    def total(self) -> int:
        return self.course.lesson_count

    @property
    def percent(self) -> int:
        if self.certificate is not None:
            return 100
        return min(100, round(100 * self.done / self.total)) if self.total else 0


@dataclass
class PathProgress:
    path: LearningPath
    steps: list[PathStep] = field(default_factory=list)
    assignment: PathAssignment | None = None
    completion: PathCompletion | None = None

    @property
    def done(self) -> int:
        return sum(min(step.done, step.total) if step.certificate is None else step.total for step in self.steps)

    @property
    def total(self) -> int:
        return sum(step.total for step in self.steps)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.total)) if self.total else 0

    @property
    def is_complete(self) -> bool:
        """Every course of the path has a valid certificate (a path with no course is never complete)."""
        return bool(self.steps) and all(step.certificate is not None for step in self.steps)

    @property
    def resume(self) -> PathStep | None:
        """The first course of the path not certified yet: where « Reprendre » leads."""
        return next((step for step in self.steps if step.certificate is None), None)

    @property
    def is_late(self) -> bool:
        return self.assignment is not None and not self.is_complete and self.assignment.due_on < timezone.localdate()


def _done_by(user_ids: Iterable[int], course_ids: Iterable[int]) -> dict[tuple[int, int], int]:
    """Published lessons completed, per (member, course): one query."""
    return {
        (row["user_id"], row["lesson__course"]): row["count"]
        for row in LessonCompletion.objects.filter(
            user_id__in=list(user_ids),
            lesson__course_id__in=list(course_ids),
            lesson__status=Status.PUBLISHED,
            lesson__revision__isnull=False,
        )
        .values("user_id", "lesson__course")
        .annotate(count=Count("pk"))
    }


def _certified(user_ids: Iterable[int], course_ids: Iterable[int]) -> dict[tuple[int, int], Certificate]:
    """Valid (not revoked) certificates, per (member, course): one query."""
    return {
        (certificate.user_id, certificate.course_id): certificate
        for certificate in Certificate.objects.filter(
            user_id__in=list(user_ids), course_id__in=list(course_ids), revoked_at__isnull=True
        ).only("code", "user_id", "course_id", "issued_at", "course_title")
    }


def path_progress(*, user: User | AnonymousUser, path: LearningPath) -> PathProgress:
    """Return the member's progress along `path` (nothing for a visitor): four queries for a member."""
    courses = _courses(path)
    if not user.is_authenticated:
        return PathProgress(path=path, steps=[PathStep(course=course, done=0, certificate=None) for course in courses])
    course_ids = [course.pk for course in courses]
    done = _done_by([user.pk], course_ids)
    certified = _certified([user.pk], course_ids)
    last_lessons = dict(
        Enrollment.objects.filter(user_id=user.pk, course_id__in=course_ids, last_lesson__isnull=False).values_list(
            "course_id", "last_lesson__slug"
        )
    )
    assignment = PathAssignment.objects.filter(member_id=user.pk, path=path).first()
    completion = PathCompletion.objects.filter(user_id=user.pk, path=path).first()
    return PathProgress(
        path=path,
        steps=[
            PathStep(
                course=course,
                done=done.get((user.pk, course.pk), 0),
                certificate=certified.get((user.pk, course.pk)),
                resume_lesson_slug=last_lessons.get(course.pk),
            )
            for course in courses
        ],
        assignment=assignment,
        completion=completion,
    )


def path_assignment_list(*, user: User) -> QuerySet[PathAssignment]:
    """Return the paths assigned to the member, soonest due first, with their path."""
    return (
        PathAssignment.objects.filter(member=user, path__status=Status.PUBLISHED)
        .select_related("path", "group")
        .order_by("due_on", "pk")
    )


def path_completion_get_by_code(*, code: str) -> PathCompletion:
    """Return the record of a completed path for its public page (raises PathCompletion.DoesNotExist)."""
    return PathCompletion.objects.get(code=code.strip().upper())


@dataclass
class GroupPathRow:
    """One member's progress along a path their group owner assigned them."""

    assignment: PathAssignment
    member: User
    progress: PathProgress

    @property
    def is_late(self) -> bool:
        return self.progress.is_late


@dataclass
class GroupPaths:
    rows: list[GroupPathRow]
    paths: list[LearningPath]
    members: list[User]
    today: date


def group_paths(*, group: Group) -> GroupPaths:
    """Return the group's assignments (members still in the group only), the paths it may assign
    and its members (owner excepted), for the owner's progress page: seven queries whatever their number."""
    members = [row.user for row in group_member_list(group=group) if row.user_id != group.owner_id]
    by_id = {member.pk: member for member in members}
    assignments = list(
        PathAssignment.objects.filter(group=group, member_id__in=list(by_id)).order_by("due_on", "member_id", "pk")
    )
    paths = path_list()
    path_by_id = {path.pk: path for path in paths}
    assigned_paths = {assignment.path_id for assignment in assignments} - set(path_by_id)
    if assigned_paths:  # a path withdrawn since: still shown to the owner
        path_by_id.update(
            {path.pk: path for path in LearningPath.objects.filter(pk__in=assigned_paths).prefetch_related(_steps())}
        )
    course_ids = {step.course_id for path in path_by_id.values() for step in path.steps.all()}
    member_ids = {assignment.member_id for assignment in assignments}
    done = _done_by(member_ids, course_ids)
    certified = _certified(member_ids, course_ids)
    rows: list[GroupPathRow] = []
    for assignment in assignments:
        path = path_by_id[assignment.path_id]
        assignment.path = path
        member_id = assignment.member_id
        progress = PathProgress(
            path=path,
            assignment=assignment,
            steps=[
                PathStep(
                    course=course,
                    done=done.get((member_id, course.pk), 0),
                    certificate=certified.get((member_id, course.pk)),
                )
                for course in _courses(path)
            ],
        )
        rows.append(GroupPathRow(assignment=assignment, member=by_id[member_id], progress=progress))
    return GroupPaths(rows=rows, paths=paths, members=members, today=timezone.localdate())


def path_export_for_user(*, user: User) -> dict[str, Any]:
    """The member's assigned paths and completed paths, for their data export (PV-9)."""
    return {
        "path_assignments": [
            {
                "path": row.path.title,
                "group": row.group.name,
                "due_on": row.due_on.isoformat(),
                "assigned_at": row.assigned_at.isoformat(),
            }
            for row in PathAssignment.objects.filter(member=user).select_related("path", "group").order_by("pk")
        ],
        "path_completions": [
            {
                "code": row.code,
                "path": row.path_title,
                "name": row.holder_name,
                "completed_at": row.completed_at.isoformat(),
            }
            for row in PathCompletion.objects.filter(user=user).order_by("pk")
        ],
    }
