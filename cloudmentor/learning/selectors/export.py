"""A member's learning data, machine-readable (PV-9)."""

from __future__ import annotations

from typing import Any

from cloudmentor.accounts.models import User

from ..models import Certificate, Enrollment, ErrorReport, LessonCompletion, QuizAttempt
from .notes import lesson_note_list


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
        "notes": [
            {
                "course": n.lesson.course.slug,
                "lesson": n.lesson.slug,
                "lesson_title": n.lesson.title,
                "note": n.body,
                "created_at": n.created_at.isoformat(),
                "updated_at": n.updated_at.isoformat(),
            }
            for n in lesson_note_list(user=user)
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
