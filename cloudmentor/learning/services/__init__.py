"""Every write of the learning app: publishing material, progress, quizzes, certificates,
error reports (LM-2..6, TM-11).

One module per flow; every name callers use is exported here (``services.lesson_publish``).
"""

from __future__ import annotations

from .certificates import (
    certificate_badge,
    certificate_issue,
    certificate_legal_name_correct,
    certificate_revoke,
    certificates_issue_pending,
)
from .creators import CREATOR_GROUP, CREATOR_PERMISSIONS, creator_group_ensure, user_is_creator
from .erasure import learning_erase_for_user
from .material import course_publish, course_search_document_update, course_withdraw, lesson_publish, lesson_withdraw
from .notes import lesson_note_delete, lesson_note_save
from .paths import path_assign, path_complete, path_erase_for_user, path_reminders_send, path_unassign
from .progress import VISIT_TOUCH, course_completion_check, lesson_complete, lesson_uncomplete, lesson_visit
from .quizzes import quiz_allowance_grant, quiz_attempt_submit, quiz_draw_start
from .reports import error_report_create, error_report_settle

__all__ = [
    "CREATOR_GROUP",
    "CREATOR_PERMISSIONS",
    "VISIT_TOUCH",
    "certificate_badge",
    "certificate_issue",
    "certificate_legal_name_correct",
    "certificate_revoke",
    "certificates_issue_pending",
    "course_completion_check",
    "course_publish",
    "course_search_document_update",
    "course_withdraw",
    "creator_group_ensure",
    "error_report_create",
    "error_report_settle",
    "learning_erase_for_user",
    "lesson_complete",
    "lesson_note_delete",
    "lesson_note_save",
    "lesson_publish",
    "lesson_uncomplete",
    "lesson_visit",
    "lesson_withdraw",
    "path_assign",
    "path_complete",
    "path_erase_for_user",
    "path_reminders_send",
    "path_unassign",
    "quiz_allowance_grant",
    "quiz_attempt_submit",
    "quiz_draw_start",
    "user_is_creator",
]
