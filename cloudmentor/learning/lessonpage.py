"""The lesson page, assembled from fragments rendered once per lesson and language.

A subscriber's lesson page is the hottest page a member sees. What is the same for every
reader of a lesson — the lesson and its course, the rendered Markdown, its files, the
neighbouring lessons, the syllabus, the empty forms — is rendered into HTML once and
cached with the catalog's change stamp (`pages_invalidate` makes it stale). Each request
then only adds what is the reader's own: access, progress marks in the syllabus, the
completion button, and the CSRF token of the forms.

The syllabus carries markers (``<!--⁅d<id>⁆-->`` in a lesson's class list, ``<!--⁅m<id>⁆-->``
after its meta line) that `syllabus_with_progress` replaces by the reader's "done" marks; forms
carry ``CSRF_MARK`` where the token goes. Every marker is an HTML comment, which no text typed
by an author can become (it reaches the page escaped): a lesson that quotes a marker shows it.

A member's page is then the whole template, layout included, rendered once per lesson and
language in each process with a marker in place of each of the reader's parts (`Shell`):
a request fills the markers with its reader's parts (`reader_parts`), their account menu,
a CSRF token and the page parts of the moment (`core.pageparts`: the maintenance banner,
the notice of new terms). The page a request gets is the same as the template rendered
for it (tests compare them); a request the shell does not fit (a visitor, a locked
lesson, a preview, a query string, a message to show) gets the template rendered as usual.

`lesson_page_respond` does all this for one request and returns the page ready to send,
with the member's visit to mark: it writes nothing itself (the view marks the visit).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from cloudmentor.accounts.models import User
from cloudmentor.billing import selectors as billing
from cloudmentor.core import pageparts, stamps
from cloudmentor.core.pagecache import PAGES_STAMP

from . import offers, rendering, selectors
from .forms import ErrorReportForm
from .models import NOTE_MAX_LENGTH, Enrollment, Lesson, LessonKind, Quiz
from .rendering import inline_code

# The marks where a reader's own values go are HTML comments: text an author types (a
# title, a lesson, a question) reaches the page escaped, so it can never contain one.
CSRF_MARK = mark_safe("<!--⁅csrf⁆-->")
CACHE_SECONDS = 3600
# Bump when `LessonPage` or its fragments change: entries of the previous release are ignored.
PAGE_FORMAT = 6
_MARK = re.compile(r"<!--⁅([dm])(\d+)⁆-->")
# The reader's parts of lesson.html (`reader.<name>`), plus the account menu and CSRF token of the layout.
READER_PARTS = ("done", "quiz", "attempts", "actions", "report", "note", "progress", "syllabus")
_SLOT = re.compile(r"<!--⁅r:(\w+)⁆-->")
_PROGRESS_MARKS = {name: mark_safe(f"<!--⁅p:{name}⁆-->") for name in ("done", "total", "percent")}  # noqa: S308 - constant marks
# Lesson pages (and their shells) kept in each process's memory, checked against the stamp.
LOCAL_PAGES = 200  # about 50 KB each in memory
_local: dict[str, tuple[tuple[int, ...], LessonPage, Shell | None, float]] = {}


@dataclass
class LessonPage:
    """Everything about a lesson page that does not depend on who reads it."""

    lesson: Lesson  # with its course and module
    course_url: str
    lesson_ids: set[int]
    head: SafeString
    syllabus: str  # with progress markers
    done_mark: str
    nav: SafeString
    files: SafeString = field(default_factory=SafeString)
    body: SafeString = field(default_factory=SafeString)
    body_language: str = ""  # "fr" when the page's language has no version of the lesson (LX-5)
    frame_origins: list[str] = field(default_factory=list)
    image_origins: list[str] = field(default_factory=list)
    actions: dict[str, str] = field(default_factory=dict)  # visitor / todo / done
    report: dict[str, str] = field(default_factory=dict)  # visitor / member
    quiz: dict[str, str] = field(default_factory=dict)  # visitor
    quiz_id: int | None = None
    # The exam's rules (the quiz row, without its questions) and each question of its pool,
    # rendered once: a member's draw picks and orders them (`exam_html`, LX-1).
    quiz_rules: Quiz | None = None
    quiz_questions: dict[int, ExamQuestion] = field(default_factory=dict)
    is_draft: bool = False
    done_badge: str = ""
    progress_block: str = ""  # with _PROGRESS_MARKS
    cache_key: str = ""  # set when it comes from `lesson_page_get`

    def syllabus_for(self, completed: set[int]) -> SafeString:
        return syllabus_with_progress(self.syllabus, completed, self.done_mark)


@dataclass
class ExamQuestion:
    """A question of an exam's pool as shown: its text, each choice's label, whether several are right."""

    text: str
    choices: dict[int, str]
    several: bool
    language: str = ""  # "fr" on an English page when the question has no English version (LX-5)


@dataclass
class Shell:
    """lesson.html rendered for no one: literal parts and the names of the reader's parts, alternately."""

    parts: list[str]

    def fill(self, values: dict[str, str]) -> str:
        filled = self.parts.copy()
        for index in range(1, len(filled), 2):
            filled[index] = values[filled[index]]
        return "".join(filled)


class _NoOne:
    """The user a shell is rendered for: a member, but nobody in particular."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    is_active = True
    pk = id = None
    username = email = first_name = last_name = ""

    def get_username(self) -> str:
        return ""

    def has_perm(self, *args: Any) -> bool:
        return False


def reader_parts(
    page: LessonPage, *, completed: set[int], total: int, is_member: bool, is_completed: bool
) -> dict[str, SafeString]:
    """The reader's parts of the page that do not depend on the lesson's state (open, member forms)."""
    progress = ""
    if is_member and total:
        done = len(completed)
        marks = {"done": done, "total": total, "percent": round(100 * done / total)}
        progress = page.progress_block
        for name, mark in _PROGRESS_MARKS.items():
            progress = progress.replace(mark, str(marks[name]))
    empty = mark_safe("")
    return {
        "done": mark_safe(page.done_badge if is_completed else ""),  # noqa: S308 - rendered by a template
        "progress": mark_safe(progress),  # noqa: S308 - rendered by a template
        "syllabus": page.syllabus_for(completed),
        "quiz": empty,
        "attempts": empty,
        "actions": empty,
        "report": empty,
        "note": empty,
    }


def shell_fill(
    request: HttpRequest, page: LessonPage, context: dict[str, Any], reader: dict[str, SafeString], token: str
) -> str:
    """Return the member's page: the lesson's shell (rendered once) filled with this request's parts.

    `token` is the request's CSRF token (`get_token`), for every form of the page.
    """
    shell = _shell_get(request, page, context)
    account = render_to_string(
        "core/includes/account_menu.html", {"request": request, "user": request.user, "csrf_token": token}
    )
    # The page parts follow the clock and the reader (TM-5, TM-1): never part of the shell.
    parts = {f"part_{name}": html for name, html in pageparts.parts_for(request).items()}
    return shell.fill({**reader, "account": account, "csrf": token, **parts})


def _shell_get(request: HttpRequest, page: LessonPage, context: dict[str, Any]) -> Shell:
    local = _local.get(page.cache_key)
    if local is not None and local[1] is page and local[2] is not None:
        return local[2]
    marks = {name: mark_safe(f"<!--⁅r:{name}⁆-->") for name in (*READER_PARTS, "account")}  # noqa: S308
    shell_context = {
        **context,
        "reader": marks,
        "page_parts": {part.name: mark_safe(f"<!--⁅r:part_{part.name}⁆-->") for part in pageparts.parts()},  # noqa: S308
        "shell": True,
        "user": _NoOne(),
        # Any {% csrf_token %} of the layout gets the reader's token, never the first reader's.
        "csrf_token": mark_safe("<!--⁅r:csrf⁆-->"),
        "messages": (),
        "perms": None,
        "request": None,  # the layout is the same for every reader of the lesson's address
    }
    shell = Shell(_SLOT.split(render_to_string("learning/lesson.html", shell_context, request=request)))
    if local is not None and local[1] is page:
        _local[page.cache_key] = (local[0], page, shell, local[3])
    return shell


def with_token(fragment: str, token: str) -> SafeString:
    """Put the request's CSRF token (letters and digits) into a cached form."""
    return mark_safe(fragment.replace(CSRF_MARK, token))  # noqa: S308 - fragments come from templates


def syllabus_with_progress(html: str, completed: set[int], done_mark: str) -> SafeString:
    def mark(match: re.Match[str]) -> str:
        done = int(match.group(2)) in completed
        if match.group(1) == "d":
            return " is-done" if done else ""
        return done_mark if done else ""

    return mark_safe(_MARK.sub(mark, html))  # noqa: S308 - rendered by templates


def syllabus_html(syllabus: list[selectors.SyllabusModule], current_id: int | None) -> str:
    """Render a syllabus with progress markers (lessons must carry their `href`)."""
    return render_to_string("learning/includes/syllabus.html", {"syllabus": syllabus, "current_id": current_id})


def done_mark() -> str:
    return render_to_string("learning/includes/syllabus_done.html")


def link(course_url: str, lessons: list[Lesson]) -> None:
    """Give each lesson its URL (cheaper than a `{% url %}` per lesson in long syllabi)."""
    for lesson in lessons:
        lesson.href = f"{course_url}{lesson.slug}/"  # type: ignore[attr-defined]  # not a field: the templates' link


def lesson_page_build(
    *, course_slug: str, lesson_slug: str, include_drafts: bool = False, draft: bool = False
) -> LessonPage:
    """Render the reader-independent parts of a lesson page; raise Lesson.DoesNotExist.

    `include_drafts` (creators, staff) shows unpublished material; `draft` shows the
    lesson's draft instead of its published revision.
    """
    lesson = selectors.lesson_get_for_page(
        course_slug=course_slug, lesson_slug=lesson_slug, include_drafts=include_drafts
    )
    course = lesson.course
    syllabus = selectors.course_syllabus(course=course, include_drafts=include_drafts)
    lessons = [item for entry in syllabus for item in entry.lessons]
    course_url = reverse("learning:course", kwargs={"course_slug": course.slug})
    link(course_url, lessons)
    lesson_url = f"{course_url}{lesson.slug}/"
    ids = [item.pk for item in lessons]
    index = ids.index(lesson.pk) if lesson.pk in ids else None
    previous = lessons[index - 1] if index else None
    following = lessons[index + 1] if index is not None and index + 1 < len(lessons) else None
    show_draft = include_drafts and (draft or not lesson.is_published or not course.is_published)
    common = {"course": course, "lesson": lesson, "lesson_url": lesson_url, "course_url": course_url, "next": following}
    page = LessonPage(
        lesson=lesson,
        course_url=course_url,
        lesson_ids=set(ids),
        head=mark_safe(render_to_string("learning/fragments/lesson_head.html", common)),  # noqa: S308
        syllabus=syllabus_html(syllabus, lesson.pk),
        done_mark=done_mark(),
        nav=mark_safe(render_to_string("learning/fragments/lesson_nav.html", {**common, "previous": previous})),  # noqa: S308
        is_draft=show_draft,
        done_badge=render_to_string("learning/includes/lesson_done.html"),
        progress_block=render_to_string(
            "learning/includes/progress.html", {"course": course, "progress": _PROGRESS_MARKS}
        ),
    )
    # The English version under /en/, else the French text marked as such (LX-5); the page is
    # cached per language, the rendering per revision and language.
    if show_draft or lesson.revision is None:
        text, page.body_language = rendering.text_for_language(lesson.body, lesson.body_en)
        rendered = rendering.render_text(text)
    else:
        text, page.body_language = rendering.text_for_language(lesson.revision.body, lesson.revision.body_en)
        rendered = rendering.render_revision(revision_id=lesson.revision.pk, body=text)
    page.body = mark_safe(rendered.html)  # noqa: S308 - sanitized by nh3
    page.frame_origins, page.image_origins = rendered.frame_origins, rendered.image_origins
    resources = list(selectors.resource_list(lesson=lesson))
    page.files = mark_safe(render_to_string("learning/fragments/lesson_files.html", {**common, "resources": resources}))  # noqa: S308
    for state in ("visitor", "todo", "done"):
        page.actions[state] = render_to_string(
            "learning/fragments/lesson_actions.html", {**common, "state": state, "csrf": CSRF_MARK}
        )
    page.report = {
        "visitor": render_to_string("learning/fragments/report.html", common),
        "member": render_to_string(
            "learning/fragments/report.html", {**common, "form": ErrorReportForm(), "csrf": CSRF_MARK}
        ),
    }
    if lesson.kind == LessonKind.QUIZ:
        quiz = selectors.quiz_get(lesson=lesson)
        if quiz is not None:
            page.quiz_id = quiz.pk
            questions = list(quiz.questions.all())
            texts = {q.pk: mark_safe(rendering.render_text(q.display_text).html) for q in questions}  # noqa: S308
            page.quiz_questions = {
                question.pk: ExamQuestion(
                    text=texts[question.pk],
                    choices={choice.pk: inline_code(choice.display_text) for choice in question.choices.all()},
                    several=sum(1 for choice in question.choices.all() if choice.is_correct) > 1,
                    language=rendering.text_for_language(question.text, question.text_en)[1],
                )
                for question in questions
            }
            page.quiz_rules = Quiz(
                pk=quiz.pk,
                lesson_id=quiz.lesson_id,
                pass_mark_percent=quiz.pass_mark_percent,
                draw_count=quiz.draw_count,
                max_attempts=quiz.max_attempts,
                cooldown_minutes=quiz.cooldown_minutes,
                reveal_after_last_attempt=quiz.reveal_after_last_attempt,
            )
            # Visitors see the rules, never the pool's questions (LX-1).
            context = {**common, "quiz": quiz, "asked": _asked(quiz, len(questions))}
            page.quiz = {"visitor": render_to_string("learning/fragments/quiz.html", context)}
    return page


def _asked(quiz: Quiz, pool: int) -> int:
    return min(quiz.draw_count, pool) if quiz.draw_count else pool


def exam_html(request: HttpRequest, page: LessonPage, member: User, token: str) -> SafeString:
    """The member's exam part: their open draw as a form, or how to start, wait, or that it is over (LX-1)."""
    quiz = page.quiz_rules
    assert quiz is not None
    state = selectors.exam_state(user=member, quiz=quiz, now=timezone.now())
    questions = []
    if state.open_draw is not None:
        for number, (question_id, choice_ids) in enumerate(state.open_draw.questions, start=1):
            shown = page.quiz_questions.get(int(question_id))
            if shown is None:
                continue
            choices = [(pk, shown.choices[pk]) for pk in map(int, choice_ids) if pk in shown.choices]
            questions.append({"id": question_id, "number": number, "shown": shown, "choices": choices})
    context = {
        "state": state,
        "quiz": quiz,
        "asked": _asked(quiz, len(page.quiz_questions)),
        "questions": questions,
        "lesson_url": f"{page.course_url}{page.lesson.slug}/",
        "csrf": token,
    }
    return mark_safe(render_to_string("learning/fragments/exam.html", context, request=request))  # noqa: S308


def note_html(page: LessonPage, member: User, token: str, *, body: str) -> SafeString:
    """Render the member's private note on the lesson (`body`) and its form (LX-6): per reader, never in a shell."""
    context = {
        "note": selectors.note_shown(user=member, lesson_id=page.lesson.pk, body=body),
        "lesson_url": f"{page.course_url}{page.lesson.slug}/",
        "csrf": token,
        "max_length": NOTE_MAX_LENGTH,
    }
    return mark_safe(render_to_string("learning/fragments/note.html", context))  # noqa: S308 - rendered by a template


def local_pages_forget() -> None:
    """Empty this process's copies (tests that clear the cache; any write of the material bumps their stamp)."""
    _local.clear()


def lesson_page_get(*, course_slug: str, lesson_slug: str) -> LessonPage:
    """Return the published lesson's page parts, from the cache while the catalog is unchanged.

    Kept in this process's memory too (no unpickling), with the shell of its members' page;
    the returned page is shared by the requests of this process: read it, never change it.
    """
    key = f"learning:lesson-page:{PAGE_FORMAT}:{get_language()}:{course_slug}:{lesson_slug}"
    local = _local.get(key)
    if local is not None and local[0] == stamps.current(PAGES_STAMP) and time.monotonic() < local[3]:
        return local[1]
    found = stamps.lookup(key, PAGES_STAMP)
    page: LessonPage | None = found.value
    if page is None:
        page = lesson_page_build(course_slug=course_slug, lesson_slug=lesson_slug)
        stamps.store(key, page, found, CACHE_SECONDS)
    page.cache_key = key
    if len(_local) >= LOCAL_PAGES:
        del _local[next(iter(_local))]  # the oldest
    _local[key] = (found.stamps, page, None, time.monotonic() + CACHE_SECONDS)
    return page


@dataclass(frozen=True)
class LessonVisit:
    """The member's visit to mark (`services.lesson_visit`): an open, published lesson."""

    user: User
    lesson: Lesson
    enrollment: Enrollment | None


@dataclass
class LessonResponse:
    """A lesson page for one request, ready to send, and the visit its reader made (if any)."""

    html: str
    status: int
    reader: dict[str, SafeString]
    frame_origins: list[str] = field(default_factory=list)  # frames the page may load after a click
    image_origins: list[str] = field(default_factory=list)  # images likewise
    visit: LessonVisit | None = None

    def response(self) -> HttpResponse:
        response = HttpResponse(self.html, status=self.status)
        # Per-response changes of the policy, which django-csp reads where its csp_replace and
        # csp_update decorators put them (here they depend on the lesson). Frames stay forbidden
        # on every other page; this one may load its videos' players (after the click, PV-11).
        if self.frame_origins:
            response._csp_replace = {"frame-src": self.frame_origins}  # type: ignore[attr-defined]  # django-csp's per-response attribute
        if self.image_origins:
            response._csp_update = {"img-src": self.image_origins}  # type: ignore[attr-defined]  # django-csp's per-response attribute
        return response


def lesson_page_respond(
    request: HttpRequest, *, course_slug: str, lesson_slug: str, preview: bool, has_messages: bool
) -> LessonResponse:
    """Return the lesson's page for this request, the lesson checked against the reader's plan (LM-2, LM-3, LM-4).

    Raise Lesson.DoesNotExist. `preview` (creators, staff) builds the parts fresh, drafts
    included (``?draft`` shows the lesson's draft). A member reading an open lesson gets
    the page's shell filled with their parts, unless the page must show what the shell
    cannot: a preview, a query string, a message (`has_messages`). Marks nothing: the
    visit to mark is returned (`LessonResponse.visit`).
    """
    if preview:
        page = lesson_page_build(
            course_slug=course_slug, lesson_slug=lesson_slug, include_drafts=True, draft="draft" in request.GET
        )
    else:
        page = lesson_page_get(course_slug=course_slug, lesson_slug=lesson_slug)
    lesson, course = page.lesson, page.lesson.course
    user: Any = request.user
    member: User | None = user if user.is_authenticated else None
    is_open = selectors.lesson_is_open(lesson=lesson, access_level=billing.user_access_level(user=member))
    progress = selectors.course_progress(
        user=user, course=course, lesson_ids=page.lesson_ids, with_certificate=False, with_last_lesson=False
    )
    is_completed = lesson.pk in progress.completed_ids
    reader = reader_parts(
        page,
        completed=progress.completed_ids,
        total=progress.total,
        is_member=member is not None,
        is_completed=is_completed,
    )
    context: dict[str, Any] = {"page": page, "lesson": lesson, "course": course, "is_open": is_open}
    token = ""
    if not is_open:
        context.update(offers.locked_context(course))
    elif member is None:
        reader.update(
            actions=mark_safe(page.actions["visitor"]),  # noqa: S308 - rendered by templates
            report=mark_safe(page.report["visitor"]),  # noqa: S308
            quiz=mark_safe(page.quiz.get("visitor", "")),  # noqa: S308
        )
    else:
        token = get_token(request)
        reader["actions"] = with_token(page.actions["done" if is_completed else "todo"], token)
        reader["report"] = with_token(page.report["member"], token)
        reader["note"] = note_html(page, member, token, body=progress.notes.get(lesson.pk, ""))
        if page.quiz_id is not None:
            reader["quiz"] = exam_html(request, page, member, token)
            attempts = list(selectors.attempt_list(user=member, quiz=page.quiz_id))
            reader["attempts"] = mark_safe(  # noqa: S308 - rendered by a template
                render_to_string("learning/includes/attempts.html", {"attempts": attempts})
            )
    if token and not preview and not request.GET and not has_messages:
        html = shell_fill(request, page, context, reader, token)
    else:
        html = render_to_string("learning/lesson.html", {**context, "reader": reader}, request=request)
    visit = None
    if member is not None and is_open and lesson.is_published and course.is_published:
        visit = LessonVisit(user=member, lesson=lesson, enrollment=progress.enrollment)
    return LessonResponse(
        html=html,
        status=200 if is_open else 403,
        reader=reader,
        frame_origins=page.frame_origins if is_open else [],
        image_origins=page.image_origins if is_open else [],
        visit=visit,
    )
