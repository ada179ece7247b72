"""Every non-trivial read of the learning app; a page costs a fixed number of queries
whatever the size of the catalog.

One module per flow; every name callers use is exported here (``selectors.catalog_list``;
`BILLING_PLAN_MATERIAL_LOOKUP` names ``cloudmentor.learning.selectors.material_summary``).
"""

from __future__ import annotations

from .catalog import (
    CATALOG_PAGE_SIZE,
    catalog_list,
    course_list_featured,
    courses_published,
    lessons_published,
    topic_list_with_counts,
)
from .certificates import (
    certificate_get_by_code,
    certificate_get_for_download,
    certificate_pending_courses,
    course_has_final_exam,
)
from .courses import (
    SyllabusModule,
    course_get_for_page,
    course_syllabus,
    lesson_get_for_page,
    lesson_is_open,
    resource_get,
    resource_list,
)
from .export import learning_export_for_user
from .groups import GroupProgress, MemberCourse, MemberProgress, access_group_progress, group_progress
from .notes import NOTE_CACHE_SECONDS, NoteShown, lesson_note_list, note_shown, notes_stamp
from .paths import (
    GroupPathRow,
    GroupPaths,
    PathProgress,
    PathStep,
    group_paths,
    path_assignment_list,
    path_completion_get_by_code,
    path_export_for_user,
    path_get,
    path_list,
    path_progress,
)
from .plans import PlanMaterial, material_summary
from .progress import (
    PROGRESS_CACHE_SECONDS,
    CourseProgress,
    Dashboard,
    DashboardCourse,
    course_progress,
    dashboard_get,
    progress_stamp,
)
from .quizzes import (
    ExamState,
    QuestionStatistics,
    QuizStatistics,
    attempt_get_for_review,
    attempt_list,
    exam_state,
    quiz_get,
    quiz_statistics,
)
from .reports import error_report_list

__all__ = [
    "CATALOG_PAGE_SIZE",
    "NOTE_CACHE_SECONDS",
    "PROGRESS_CACHE_SECONDS",
    "CourseProgress",
    "Dashboard",
    "DashboardCourse",
    "ExamState",
    "GroupPathRow",
    "GroupPaths",
    "GroupProgress",
    "MemberCourse",
    "MemberProgress",
    "NoteShown",
    "PathProgress",
    "PathStep",
    "PlanMaterial",
    "QuestionStatistics",
    "QuizStatistics",
    "SyllabusModule",
    "access_group_progress",
    "attempt_get_for_review",
    "attempt_list",
    "catalog_list",
    "certificate_get_by_code",
    "certificate_get_for_download",
    "certificate_pending_courses",
    "course_get_for_page",
    "course_has_final_exam",
    "course_list_featured",
    "course_progress",
    "course_syllabus",
    "courses_published",
    "dashboard_get",
    "error_report_list",
    "exam_state",
    "group_paths",
    "group_progress",
    "learning_export_for_user",
    "lesson_get_for_page",
    "lesson_is_open",
    "lesson_note_list",
    "lessons_published",
    "material_summary",
    "note_shown",
    "notes_stamp",
    "path_assignment_list",
    "path_completion_get_by_code",
    "path_export_for_user",
    "path_get",
    "path_list",
    "path_progress",
    "progress_stamp",
    "quiz_get",
    "quiz_statistics",
    "resource_get",
    "resource_list",
    "topic_list_with_counts",
]
