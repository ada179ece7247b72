"""A member's progress in a course, and their learning dashboard (LM-4)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, TextField, Value

from cloudmentor.accounts.models import User
from cloudmentor.accounts.selectors import user_stamp
from cloudmentor.core import stamps

from ..models import Certificate, Course, Enrollment, Lesson, LessonCompletion, LessonNote, Status


@dataclass
class CourseProgress:
    completed_ids: set[int] = field(default_factory=set)
    total: int = 0
    enrollment: Enrollment | None = None
    certificate: Certificate | None = None
    # The member's private notes in the course, lesson id → text (the lesson page's answer only, LX-6).
    notes: dict[int, str] = field(default_factory=dict)

    @property
    def done(self) -> int:
        return len(self.completed_ids)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def resume_lesson(self) -> Lesson | None:
        """The lesson last opened in a course not finished, while members can still open it (LX-6)."""
        if self.enrollment is None or self.enrollment.completed_at is not None:
            return None
        return _openable(self.enrollment.last_lesson)


def _openable(lesson: Lesson | None) -> Lesson | None:
    """`lesson` if members can open it: a lesson withdrawn since it was last opened is never offered."""
    return lesson if lesson is not None and lesson.is_published else None


# A member's progress in a course is cached at most this long (a safety net: the services
# that change it bump `progress_stamp`).
PROGRESS_CACHE_SECONDS = 300


def progress_stamp(user_id: object) -> str:
    """The change stamp of a member's progress: bumped by every completion, visit mark, erasure."""
    return f"learning:progress:{user_id}"


def course_progress(
    *,
    user: User | AnonymousUser,
    course: Course,
    lesson_ids: set[int],
    with_certificate: bool = True,
    with_last_lesson: bool = True,
) -> CourseProgress:
    """Return what the member did in the course (nothing for a visitor), counting only the given (visible) lessons.

    Two queries (three with the certificate), on the unique (user, lesson) and (user,
    course) indexes. The lesson page asks this on every visit, without the certificate
    and the last lesson: that answer comes from the cache until the member's progress or
    account changes (`progress_stamp`).
    """
    if not user.is_authenticated:
        return CourseProgress(total=len(lesson_ids))
    if not with_certificate and not with_last_lesson:
        completed, enrollment, notes = _progress_cached(user=user, course=course)
        return CourseProgress(
            completed_ids=completed & lesson_ids, total=len(lesson_ids), enrollment=enrollment, notes=notes
        )
    completed = set(
        LessonCompletion.objects.filter(user=user, lesson_id__in=lesson_ids).values_list("lesson_id", flat=True)
    )
    enrollments = Enrollment.objects.filter(user=user, course=course)
    if with_last_lesson:
        enrollments = enrollments.select_related("last_lesson").defer("last_lesson__body", "last_lesson__body_en")
    return CourseProgress(
        completed_ids=completed,
        total=len(lesson_ids),
        enrollment=next(iter(enrollments[:1]), None),
        certificate=Certificate.objects.filter(user=user, course=course).defer("pdf").first()
        if with_certificate
        else None,
    )


def _progress_cached(*, user: User, course: Course) -> tuple[set[int], Enrollment | None, dict[int, str]]:
    """The member's completed lessons in the course, their enrollment and their notes (two queries, then cached).

    The notes come in the completions' query (a UNION ALL): a note costs the lesson page no
    query of its own (LX-6). The note services bump the progress stamp.
    """
    key = f"learning:progress:2:{user.pk}:{course.pk}"
    found = stamps.lookup(key, user_stamp(user.pk), progress_stamp(user.pk))
    if found.value is not None:
        cached: tuple[set[int], Enrollment | None, dict[int, str]] = found.value
        return cached
    completions = (
        LessonCompletion.objects.filter(user=user, lesson__course_id=course.pk)
        .annotate(body=Value("", output_field=TextField()))
        .values_list("lesson_id", "body")
    )
    noted = LessonNote.objects.filter(user=user, lesson__course_id=course.pk).values_list("lesson_id", "body")
    completed: set[int] = set()
    notes: dict[int, str] = {}
    for lesson_id, body in completions.union(noted, all=True):
        if body:
            notes[lesson_id] = body
        else:
            completed.add(lesson_id)
    enrollment = next(iter(Enrollment.objects.filter(user=user, course=course)[:1]), None)
    stamps.store(key, (completed, enrollment, notes), found, PROGRESS_CACHE_SECONDS)
    return completed, enrollment, notes


@dataclass
class DashboardCourse:
    enrollment: Enrollment
    done: int

    @property
    def course(self) -> Course:
        return self.enrollment.course

    @property
    def resume_lesson(self) -> Lesson | None:
        """The exact lesson last opened in the course (LX-6), unless it was withdrawn since."""
        return _openable(self.enrollment.last_lesson)

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

    @property
    def has_waiting_certificate(self) -> bool:
        """A course finished without its certificate: it may wait for the legal name (LX-2)."""
        certified = {certificate.course_id for certificate in self.certificates}
        return any(entry.enrollment.course_id not in certified for entry in self.completed)


def dashboard_get(*, user: User) -> Dashboard:
    """Return the member's courses (most recent first), certificates and where to resume."""
    enrollments = list(
        Enrollment.objects.filter(user=user, course__status=Status.PUBLISHED)
        .select_related("course", "last_lesson")
        .defer(
            "course__description",
            "course__description_en",
            "course__prerequisites",
            "course__prerequisites_en",
            "course__search_document",
            "last_lesson__body",
            "last_lesson__body_en",
        )
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
        Certificate.objects.filter(user=user)
        .select_related("course")
        .defer("pdf", "badge", "course__description", "course__description_en", "course__search_document")
    )
    resume = next((entry for entry in in_progress if entry.resume_lesson is not None), None)
    return Dashboard(
        in_progress=in_progress,
        completed=[entry for entry in entries if entry.enrollment.completed_at is not None],
        certificates=certificates,
        resume=resume,
    )
