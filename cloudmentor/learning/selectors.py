"""Every non-trivial read of the learning app; a page costs a fixed number of queries
whatever the size of the catalog."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from cloudmentor.accounts.models import Group, User
from cloudmentor.accounts.selectors import group_member_list, group_membership_of, user_stamp
from cloudmentor.billing.models import AccessLevel
from cloudmentor.core import stamps
from cloudmentor.core.pagecache import PAGES_STAMP

from .models import (
    Certificate,
    Course,
    Enrollment,
    ErrorReport,
    Lesson,
    LessonCompletion,
    LessonKind,
    Module,
    Quiz,
    QuizAttempt,
    Resource,
    Status,
    Topic,
)
from .search import course_search

CATALOG_PAGE_SIZE = 24


# Catalog (LM-1) -------------------------------------------------------------------------


def courses_published() -> QuerySet[Course]:
    return Course.objects.filter(status=Status.PUBLISHED)


def lessons_published(*, course: Course | None = None) -> QuerySet[Lesson]:
    """Lessons members may see: published, with a published revision, in a published course."""
    lessons = Lesson.objects.filter(status=Status.PUBLISHED, revision__isnull=False, course__status=Status.PUBLISHED)
    return lessons.filter(course=course) if course is not None else lessons


def catalog_list(
    *, query: str = "", topic: str = "", level: str = "", access_level: int | None = None
) -> QuerySet[Course]:
    """Return the published courses matching the filters, best matches (or featured) first.

    `access_level` keeps the courses a plan of that level opens entirely.
    """
    courses = courses_published()
    if topic:
        courses = courses.filter(topics__slug=topic)
    if level:
        courses = courses.filter(level=level)
    if access_level is not None:
        courses = courses.filter(access_level__lte=access_level)
    courses = courses.prefetch_related(Prefetch("topics", queryset=Topic.objects.order_by("position", "name")))
    courses = courses.defer("description", "prerequisites", "search_document")
    if query.strip():
        return course_search(courses, query)
    return courses.order_by("-is_featured", "title")


def topic_list_with_counts() -> QuerySet[Topic]:
    """Return the topics that have published courses, with how many."""
    return (
        Topic.objects.annotate(course_count=Count("courses", filter=Q(courses__status=Status.PUBLISHED)))
        .filter(course_count__gt=0)
        .order_by("position", "name")
    )


def course_list_featured(*, limit: int = 6) -> QuerySet[Course]:
    return catalog_list().order_by("-is_featured", "-published_at", "title")[:limit]


# A course and its syllabus (LM-2) -------------------------------------------------------


def course_get_for_page(*, slug: str, include_drafts: bool = False) -> Course:
    """Return the course with its topics and authors; raise Course.DoesNotExist."""
    courses = Course.objects.prefetch_related(
        Prefetch("topics", queryset=Topic.objects.order_by("position", "name")), "authors"
    )
    if not include_drafts:
        courses = courses.filter(status=Status.PUBLISHED)
    return courses.get(slug=slug)


@dataclass
class SyllabusModule:
    module: Module
    lessons: list[Lesson]


def course_syllabus(*, course: Course, include_drafts: bool = False) -> list[SyllabusModule]:
    """Return the course's modules and their visible lessons, in order (one query)."""
    lessons = Lesson.objects.filter(course=course)
    if not include_drafts:
        lessons = lessons.filter(status=Status.PUBLISHED, revision__isnull=False)
    lessons = lessons.select_related("module").defer("body").order_by("module__position", "module_id", "position", "pk")
    modules: dict[int, SyllabusModule] = {}
    for lesson in lessons:
        lesson.course = course
        entry = modules.get(lesson.module_id)
        if entry is None:
            entry = modules[lesson.module_id] = SyllabusModule(module=lesson.module, lessons=[])
        entry.lessons.append(lesson)
    return list(modules.values())


def lesson_get_for_page(*, course_slug: str, lesson_slug: str, include_drafts: bool = False) -> Lesson:
    """Return the lesson with its course, module and revision; raise Lesson.DoesNotExist."""
    lessons = Lesson.objects.select_related("course", "module", "revision")
    if not include_drafts:
        lessons = lessons.filter(status=Status.PUBLISHED, revision__isnull=False, course__status=Status.PUBLISHED)
    return lessons.get(course__slug=course_slug, slug=lesson_slug)


def lesson_is_open(*, lesson: Lesson, access_level: int) -> bool:
    """Return True when a reader at `access_level` may read the lesson: a free preview, or
    a plan at least at the course's level (LM-3)."""
    return bool(lesson.is_free_preview or access_level >= lesson.course.access_level)


def resource_list(*, lesson: Lesson) -> QuerySet[Resource]:
    return Resource.objects.filter(lesson=lesson).order_by("position", "pk")


def resource_get(*, lesson: Lesson, resource_id: int) -> Resource:
    return Resource.objects.get(lesson=lesson, pk=resource_id)


def quiz_get(*, lesson: Lesson) -> Quiz | None:
    """Return the lesson's quiz with its questions and choices (three queries), or None."""
    return Quiz.objects.filter(lesson=lesson).prefetch_related("questions__choices").first()


# Progress (LM-4) ------------------------------------------------------------------------


@dataclass
class CourseProgress:
    completed_ids: set[int] = field(default_factory=set)
    total: int = 0
    enrollment: Enrollment | None = None
    certificate: Certificate | None = None

    @property
    def done(self) -> int:
        return len(self.completed_ids)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


# A member's progress in a course is cached at most this long (a safety net: the services
# that change it bump `progress_stamp`).
PROGRESS_CACHE_SECONDS = 300


def progress_stamp(user_id: object) -> str:
    """The change stamp of a member's progress: bumped by every completion, visit mark, erasure."""
    return f"learning:progress:{user_id}"


def course_progress(
    *, user: User, course: Course, lesson_ids: set[int], with_certificate: bool = True, with_last_lesson: bool = True
) -> CourseProgress:
    """Return what the member did in the course, counting only the given (visible) lessons.

    Two queries (three with the certificate), on the unique (user, lesson) and (user,
    course) indexes. The lesson page asks this on every visit, without the certificate
    and the last lesson: that answer comes from the cache until the member's progress or
    account changes (`progress_stamp`).
    """
    if not user.is_authenticated:
        return CourseProgress(total=len(lesson_ids))
    if not with_certificate and not with_last_lesson:
        completed, enrollment = _progress_cached(user=user, course=course)
        return CourseProgress(completed_ids=completed & lesson_ids, total=len(lesson_ids), enrollment=enrollment)
    completed = set(
        LessonCompletion.objects.filter(user=user, lesson_id__in=lesson_ids).values_list("lesson_id", flat=True)
    )
    enrollments = Enrollment.objects.filter(user=user, course=course)
    if with_last_lesson:
        enrollments = enrollments.select_related("last_lesson").defer("last_lesson__body")
    return CourseProgress(
        completed_ids=completed,
        total=len(lesson_ids),
        enrollment=next(iter(enrollments[:1]), None),
        certificate=Certificate.objects.filter(user=user, course=course).defer("pdf").first()
        if with_certificate
        else None,
    )


def _progress_cached(*, user: User, course: Course) -> tuple[set[int], Enrollment | None]:
    """The member's completed lessons in the course and their enrollment (two queries, then cached)."""
    key = f"learning:progress:{user.pk}:{course.pk}"
    found = stamps.lookup(key, user_stamp(user.pk), progress_stamp(user.pk))
    if found.value is not None:
        cached: tuple[set[int], Enrollment | None] = found.value
        return cached
    completed = set(
        LessonCompletion.objects.filter(user=user, lesson__course_id=course.pk).values_list("lesson_id", flat=True)
    )
    enrollment = next(iter(Enrollment.objects.filter(user=user, course=course)[:1]), None)
    stamps.store(key, (completed, enrollment), found, PROGRESS_CACHE_SECONDS)
    return completed, enrollment


@dataclass
class DashboardCourse:
    enrollment: Enrollment
    done: int

    @property
    def course(self) -> Course:
        return self.enrollment.course

    @property
    def percent(self) -> int:
        total = self.enrollment.course.lesson_count
        return min(100, round(100 * self.done / total)) if total else 0


@dataclass
class Dashboard:
    in_progress: list[DashboardCourse]
    completed: list[DashboardCourse]
    certificates: list[Certificate]
    resume: DashboardCourse | None


def dashboard_get(*, user: User) -> Dashboard:
    """Return the member's courses (most recent first), certificates and where to resume."""
    enrollments = list(
        Enrollment.objects.filter(user=user, course__status=Status.PUBLISHED)
        .select_related("course", "last_lesson")
        .defer("course__description", "course__prerequisites", "course__search_document", "last_lesson__body")
        .order_by("-last_visited_at", "-pk")
    )
    done = dict(
        LessonCompletion.objects.filter(user=user, lesson__status=Status.PUBLISHED, lesson__revision__isnull=False)
        .values("lesson__course")
        .annotate(count=Count("pk"))
        .values_list("lesson__course", "count")
    )
    entries = [
        DashboardCourse(enrollment=enrollment, done=done.get(enrollment.course_id, 0)) for enrollment in enrollments
    ]
    in_progress = [entry for entry in entries if entry.enrollment.completed_at is None]
    certificates = list(
        Certificate.objects.filter(user=user).select_related("course").defer("pdf", "course__description")
    )
    resume = next((entry for entry in in_progress if entry.enrollment.last_lesson_id is not None), None)
    return Dashboard(
        in_progress=in_progress,
        completed=[entry for entry in entries if entry.enrollment.completed_at is not None],
        certificates=certificates,
        resume=resume,
    )


# Quizzes and certificates (LM-5) --------------------------------------------------------


def attempt_list(*, user: User, quiz: Quiz | int, limit: int = 10) -> QuerySet[QuizAttempt]:
    return QuizAttempt.objects.filter(user=user, quiz=quiz).order_by("-submitted_at", "-pk")[:limit]


def attempt_get_for_review(*, user: User, attempt_id: int) -> QuizAttempt:
    """Return the member's attempt with its quiz, lesson and course; raise QuizAttempt.DoesNotExist."""
    return QuizAttempt.objects.select_related("quiz__lesson__course", "quiz__lesson__module").get(
        pk=attempt_id, user=user
    )


def certificate_get_by_code(*, code: str) -> Certificate:
    """Return the certificate with this verification code (any case); raise Certificate.DoesNotExist."""
    return Certificate.objects.select_related("course").defer("pdf").get(code=code.strip().upper())


def certificate_get_for_download(*, user: User, code: str) -> Certificate:
    certificates = Certificate.objects.all() if user.is_staff else Certificate.objects.filter(user=user)
    return certificates.get(code=code.strip().upper())


# Error reports (TM-11) ------------------------------------------------------------------


def error_report_list(*, user: User) -> QuerySet[ErrorReport]:
    return (
        ErrorReport.objects.filter(reporter=user)
        .select_related("lesson__course")
        .defer("lesson__body", "lesson__course__description", "lesson__course__search_document")
    )


# What each plan opens (TM-3) ------------------------------------------------------------


@dataclass
class PlanMaterial:
    """What a plan of one access level opens: whole courses, and lessons by type."""

    level: int
    label: str
    courses: int = 0
    lessons: int = 0
    minutes: int = 0
    resources: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    free_previews: int = 0

    @property
    def hours(self) -> int:
        return round(self.minutes / 60)

    @property
    def kinds(self) -> list[tuple[str, str, int]]:
        return [(kind.value, str(kind.label), self.by_kind.get(kind.value, 0)) for kind in LessonKind]


def _material_summary_compute() -> list[dict[str, Any]]:
    courses = dict(courses_published().values("access_level").annotate(n=Count("pk")).values_list("access_level", "n"))
    lessons = (
        lessons_published()
        .values("course__access_level", "kind", "is_free_preview")
        .annotate(n=Count("pk"), minutes=Sum("duration_minutes"))
    )
    resources = (
        Resource.objects.filter(lesson__in=lessons_published())
        .values("lesson__course__access_level", "lesson__is_free_preview")
        .annotate(n=Count("pk"))
    )
    summary = []
    for level in AccessLevel:
        entry: dict[str, Any] = {"level": int(level), "label": str(level.label), "courses": 0, "lessons": 0}
        entry.update(minutes=0, resources=0, free_previews=0, by_kind=defaultdict(int))
        entry["courses"] = sum(n for course_level, n in courses.items() if course_level <= level)
        for row in lessons:
            opened = row["course__access_level"] <= level
            if opened or row["is_free_preview"]:
                entry["lessons"] += row["n"]
                entry["minutes"] += row["minutes"] or 0
                entry["by_kind"][row["kind"]] += row["n"]
                if not opened:
                    entry["free_previews"] += row["n"]
        entry["resources"] = sum(
            row["n"]
            for row in resources
            if row["lesson__course__access_level"] <= level or row["lesson__is_free_preview"]
        )
        entry["by_kind"] = dict(entry["by_kind"])
        summary.append(entry)
    return summary


def material_summary() -> list[PlanMaterial]:
    """Return, for each access level a plan can have, the material it opens (TM-3).

    A plan opens every course up to its level plus every free preview. Computed from the
    published material and cached until the material changes.
    """
    found = stamps.lookup("learning:material-summary", PAGES_STAMP)
    rows = found.value
    if rows is None:
        rows = _material_summary_compute()
        stamps.store("learning:material-summary", rows, found, 3600)
    return [PlanMaterial(**row) for row in rows]


# Personal data (PV-9) -------------------------------------------------------------------


def learning_export_for_user(*, user: User) -> dict[str, Any]:
    """Return the member's learning data, machine-readable."""
    return {
        "enrollments": [
            {
                "course": e.course.slug,
                "started_at": e.started_at.isoformat(),
                "last_visited_at": e.last_visited_at.isoformat(),
                "completed_at": e.completed_at.isoformat() if e.completed_at else None,
            }
            for e in Enrollment.objects.filter(user=user).select_related("course")
        ],
        "completed_lessons": [
            {"course": c.lesson.course.slug, "lesson": c.lesson.slug, "completed_at": c.completed_at.isoformat()}
            for c in LessonCompletion.objects.filter(user=user).select_related("lesson__course")
        ],
        "quiz_attempts": [
            {
                "course": a.quiz.lesson.course.slug,
                "quiz": a.quiz.lesson.slug,
                "score_percent": a.score_percent,
                "passed": a.is_passed,
                "answers": a.answers,
                "submitted_at": a.submitted_at.isoformat(),
            }
            for a in QuizAttempt.objects.filter(user=user).select_related("quiz__lesson__course")
        ],
        "certificates": [
            {
                "code": c.code,
                "course": c.course_title,
                "holder_name": c.holder_name,
                "issued_at": c.issued_at.isoformat(),
            }
            for c in Certificate.objects.filter(user=user).defer("pdf")
        ],
        "error_reports": [
            {
                "lesson": r.lesson.title,
                "message": r.message,
                "status": r.status,
                "staff_reply": r.staff_reply,
                "created_at": r.created_at.isoformat(),
            }
            for r in ErrorReport.objects.filter(reporter=user).select_related("lesson")
        ],
    }


# Group owners see their members' progress (LM-7) ------------------------------------------


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
