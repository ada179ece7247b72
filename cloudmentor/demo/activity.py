"""What members did in the demo (LX-8): progress, a passed exam, a certificate, a note, a team at work.

Everything goes through the apps' services, as a member's clicks would: visits, completed
lessons, an exam drawn then passed, a legal name then the certificate, a private note; the
demo group's colleagues provisioned as a directory would. Each step is done once: running
`demo_load` again changes nothing.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.exceptions import AccountsError
from cloudmentor.accounts.models import Group, User
from cloudmentor.accounts.selectors import user_by_identifier
from cloudmentor.accounts.services.provisioning import group_member_provision
from cloudmentor.donations import services as donations_services
from cloudmentor.donations.models import Donation
from cloudmentor.learning import selectors as learning_selectors
from cloudmentor.learning import services as learning_services
from cloudmentor.learning.exceptions import LearningError
from cloudmentor.learning.models import Certificate, Choice, Course, Enrollment, Lesson, Quiz
from cloudmentor.newsletter import services as newsletter_services

# The demo member's legal name, printed on their certificate.
DEMO_LEGAL_NAME = "Sacha Durand"
DEMO_NOTE = (
    "À retenir pour la prod :\n\n"
    "- `kubectl rollout undo deployment/web` revient à la version précédente\n"
    "- toujours des *requests* **et** des *limits* sur chaque conteneur\n"
)


@dataclass(frozen=True)
class Progress:
    """Where one person is in one course: lessons done (from the start), the lesson open last, an exam passed."""

    course: str
    done: int
    opened: int | None = None  # index of the lesson open last; None: the last one done
    exam_passed: bool = False


# The demo member: a course finished with its exam and certificate, two under way.
MEMBER_PROGRESS = (
    Progress("aws-fondamentaux", done=4, exam_passed=True),
    Progress("kubernetes-en-production", done=2, opened=3),
    Progress("terraform-de-a-a-z", done=1, opened=1),
)
NOTE_COURSE, NOTE_LESSON_INDEX = "kubernetes-en-production", 1
# The demo group's colleagues (the owner's team) and their progress.
TEAM = (
    ("camille.martin@acme.example", "camille.martin", (Progress("kubernetes-en-production", done=4, opened=4),)),
    (
        "lea.petit@acme.example",
        "lea.petit",
        (Progress("terraform-de-a-a-z", done=2, opened=2), Progress("ci-cd-github-actions", done=1)),
    ),
    ("hugo.moreau@acme.example", "hugo.moreau", (Progress("kubernetes-en-production", done=1, opened=2),)),
)


def _lessons(course: Course) -> list[Lesson]:
    return [lesson for module in learning_selectors.course_syllabus(course=course) for lesson in module.lessons]


def _exam_pass(user: User, quiz: Quiz) -> None:
    """Draw the member's questions and answer each with exactly its right choices."""
    if learning_selectors.exam_state(user=user, quiz=quiz, now=timezone.now()).has_passed:
        return
    draw = learning_services.quiz_draw_start(user=user, quiz=quiz)
    asked = draw.question_ids
    right: dict[int, list[int]] = {question_id: [] for question_id in asked}
    for question_id, choice_id in Choice.objects.filter(question_id__in=asked, is_correct=True).values_list(
        "question_id", "pk"
    ):
        right[question_id].append(choice_id)
    learning_services.quiz_attempt_submit(user=user, quiz=quiz, answers=right, draw_id=draw.pk)


def progress_make(*, user: User, progress: Progress) -> None:
    """Bring `user` to `progress` in its course (published lessons in syllabus order), through learning's services.

    A course missing, or closed to the member's plan, is skipped: the demo never stops `make run`.
    """
    course = Course.objects.filter(slug=progress.course).first()
    if course is None:
        return
    try:
        _progress_make(user=user, course=course, progress=progress)
    except LearningError:
        return


def _progress_make(*, user: User, course: Course, progress: Progress) -> None:
    lessons = _lessons(course)
    readings = [lesson for lesson in lessons if lesson.kind != "quiz"]
    for lesson in readings[: progress.done]:
        learning_services.lesson_complete(user=user, lesson=lesson)
    if progress.exam_passed:
        for lesson in lessons:
            quiz = learning_selectors.quiz_get(lesson=lesson) if lesson.kind == "quiz" else None
            if quiz is not None:
                _exam_pass(user, quiz)
    if progress.opened is not None and progress.opened < len(lessons):
        learning_services.lesson_visit(user=user, lesson=lessons[progress.opened], enrollment=None)


def demo_member_activity(*, username: str) -> Certificate | None:
    """Give the demo member their progress, a legal name, a passed exam with its certificate and a note, once.

    Done when the member has followed no course yet: on a later run (their demo plan may have
    ended since, closing the lessons) nothing is touched.
    """
    member = user_by_identifier(username)
    if member is None or Enrollment.objects.filter(user=member).exists():
        return None
    if not member.legal_name:
        accounts_services.user_legal_name_set(user=member, legal_name=DEMO_LEGAL_NAME)
    for progress in MEMBER_PROGRESS:
        progress_make(user=member, progress=progress)
    course = Course.objects.filter(slug=NOTE_COURSE).first()
    if course is not None:
        with contextlib.suppress(LearningError, IndexError):
            lesson = _lessons(course)[NOTE_LESSON_INDEX]
            learning_services.lesson_note_save(user=member, lesson=lesson, body=DEMO_NOTE)
    newsletter_services.subscriber_subscribe_member(user=member, language="fr")
    return Certificate.objects.filter(user=member).first()


def demo_team_activity(*, owner_username: str) -> int:
    """Give the demo group three colleagues at work (provisioned, as its directory would); return how many."""
    owner = user_by_identifier(owner_username)
    group = Group.objects.filter(owner=owner).first() if owner is not None else None
    if group is None:
        return 0
    added = 0
    for email, user_name, courses in TEAM:
        known = user_by_identifier(email)
        if known is not None and Enrollment.objects.filter(user=known).exists():
            continue  # at work since an earlier run: left as it is
        try:  # a colleague the directory provisioned already is returned as they are
            colleague, _created = group_member_provision(group=group, email=email, user_name=user_name, language="fr")
        except AccountsError:  # no seat left, or an account outside the group: not theirs to take
            continue
        for progress in courses:
            progress_make(user=colleague, progress=progress)
        added += 1
    return added


DEMO_DONATION: dict[str, Any] = {
    "name": "Marie Lefèvre",
    "email": "marie.lefevre@example.org",
    "amount": Decimal("25.00"),
}
DEMO_DONATION_SESSION = "cs_demo_donation_1"


def demo_donation() -> Donation | None:
    """Record one paid donation (a visitor's, paid by card), once: its receipt number and thank-you follow."""
    if Donation.objects.filter(email=DEMO_DONATION["email"]).exists():
        return None
    donation = donations_services.donation_create(
        amount=DEMO_DONATION["amount"],
        name=str(DEMO_DONATION["name"]),
        email=str(DEMO_DONATION["email"]),
        user=None,
        language="fr",
    )
    donations_services.donation_record_payment(
        donation_id=donation.pk, session_id=DEMO_DONATION_SESSION, amount=donation.amount, currency=donation.currency
    )
    return donation
