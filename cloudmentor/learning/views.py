"""Pages of the catalog, courses, lessons, progress, quizzes, certificates and error reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cloudmentor.accounts.models import User
from cloudmentor.billing import selectors as billing
from cloudmentor.billing.models import AccessLevel, Plan
from cloudmentor.core.pagecache import anonymous_page_cache

from . import lessonpage, rendering, selectors, services
from .exceptions import LearningError, LessonLocked, NotPublished
from .forms import CatalogFilterForm, ErrorReportForm, QuizForm
from .models import Certificate, Course, Lesson, LessonKind, QuizAttempt, Resource

CATALOG_QUERY = frozenset({"q", "topic", "level", "plan", "page"})


def _member(request: HttpRequest) -> User | None:
    user: Any = request.user
    return user if user.is_authenticated else None


def _can_preview(request: HttpRequest) -> bool:
    """Creators and staff see drafts on the site, to check them before publishing (LM-6)."""
    user: Any = request.user
    return bool(user.is_authenticated and user.is_staff and user.has_perm("learning.view_lesson"))


def plans_url() -> str | None:
    """Return the page listing the plans, once billing serves one."""
    try:
        return reverse("billing:plans")
    except NoReverseMatch:
        return None


def _subscribe_url(plan: Plan) -> str | None:
    try:
        return reverse("billing:subscribe", kwargs={"slug": plan.slug})
    except NoReverseMatch:
        return None


@dataclass
class PlanColumn:
    """One plan of the "what each plan opens" table (TM-3)."""

    name: str
    url: str | None
    material: selectors.PlanMaterial


def _plan_context() -> dict[str, Any]:
    """What each plan on sale opens, as table columns and rows (TM-3).

    Without plans on sale (a fresh installation), the columns are the access levels.
    """
    summary = {entry.level: entry for entry in selectors.material_summary()}
    on_sale = list(billing.plan_list_for_members())
    if on_sale:
        columns = [PlanColumn(plan.display_name, _subscribe_url(plan), summary[plan.access_level]) for plan in on_sale]
    else:
        columns = [PlanColumn(entry.label, None, entry) for entry in summary.values()]
    material = [column.material for column in columns]
    rows = [
        (_("Cours complets, avec certificat"), [entry.courses for entry in material]),
        (_("Leçons"), [entry.lessons for entry in material]),
        *(
            (label, [entry.by_kind.get(kind, 0) for entry in material])
            for kind, label in ((LessonKind.ARTICLE, _("… dont articles")), (LessonKind.VIDEO, _("… dont vidéos")),
                                (LessonKind.LAB, _("… dont travaux pratiques")), (LessonKind.QUIZ, _("… dont quiz et examens blancs")))
        ),
        (_("Heures de contenu"), [entry.hours for entry in material]),
        (_("Fichiers téléchargeables"), [entry.resources for entry in material]),
        (_("Leçons en aperçu gratuit des autres cours"), [entry.free_previews for entry in material]),
    ]  # fmt: skip
    return {"plan_columns": columns, "plan_rows": rows, "plans_url": plans_url()}


def _locked_context(course: Course) -> dict[str, Any]:
    """Say which plan opens a locked lesson: its level, and the plans on sale that open it (LM-3)."""
    opening = [plan for plan in billing.plan_list_for_members() if plan.access_level >= course.access_level]
    return {
        "required_level": AccessLevel(course.access_level).label,
        "opening_plans": [(plan.display_name, _subscribe_url(plan)) for plan in opening],
        "plans_url": plans_url(),
    }


@anonymous_page_cache()
def home(request: HttpRequest) -> HttpResponse:
    """The home page of core, with the featured courses and what each plan opens (TM-3)."""
    context = {
        "featured_courses": list(selectors.course_list_featured()),
        "topics": list(selectors.topic_list_with_counts()),
        **_plan_context(),
    }
    return render(request, "learning/home.html", context)


@anonymous_page_cache(query=CATALOG_QUERY)
def catalog(request: HttpRequest) -> HttpResponse:
    """The catalog: topics, filters, full-text search, the plan needed by each course (LM-1, TM-3)."""
    topics = list(selectors.topic_list_with_counts())
    form = CatalogFilterForm(request.GET or None)
    filters = form.filters()
    page = Paginator(selectors.catalog_list(**filters), selectors.CATALOG_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "topics": topics,
        "filters": filters,
        "is_filtered": any(value not in ("", None) for value in filters.values()),
        "page": page,
        "query_string": query.urlencode(),
        **_plan_context(),
    }
    return render(request, "learning/catalog.html", context)


@anonymous_page_cache()
def course_detail(request: HttpRequest, course_slug: str) -> HttpResponse:
    """A course: what it teaches and needs, its syllabus, and the member's progress (LM-2, LM-4)."""
    preview = _can_preview(request)
    try:
        course = selectors.course_get_for_page(slug=course_slug, include_drafts=preview)
    except Course.DoesNotExist:
        raise Http404 from None
    syllabus = selectors.course_syllabus(course=course, include_drafts=preview)
    lessons = [lesson for entry in syllabus for lesson in entry.lessons]
    lessonpage.link(reverse("learning:course", kwargs={"course_slug": course.slug}), lessons)
    member = _member(request)
    progress = selectors.course_progress(
        user=request.user,  # type: ignore[arg-type]
        course=course,
        lesson_ids={lesson.pk for lesson in lessons},
    )
    syllabus_html = lessonpage.syllabus_with_progress(
        lessonpage.syllabus_html(syllabus, None), progress.completed_ids, lessonpage.done_mark()
    )
    access_level = billing.user_access_level(user=member)
    context = {
        "course": course,
        "syllabus": syllabus_html,
        "lessons": lessons,
        "progress": progress,
        "has_access": access_level >= course.access_level,
        "free_previews": [lesson for lesson in lessons if lesson.is_free_preview],
        "first_lesson": lessons[0] if lessons else None,
        "description": mark_safe(rendering.render_text(course.description).html),  # noqa: S308 - nh3
        "plans_url": plans_url(),
        "is_preview": preview and not course.is_published,
    }
    return render(request, "learning/course.html", context)


def _lesson_or_404(request: HttpRequest, course_slug: str, lesson_slug: str, *, preview: bool = False) -> Lesson:
    try:
        return selectors.lesson_get_for_page(course_slug=course_slug, lesson_slug=lesson_slug, include_drafts=preview)
    except Lesson.DoesNotExist:
        raise Http404 from None


@anonymous_page_cache()
def lesson_detail(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    """A lesson, checked against the reader's plan on every visit (LM-2, LM-3, LM-4).

    Built from the cached reader-independent parts (`lessonpage`); creators and staff
    get them fresh, drafts included. A member reading an open lesson gets the page's
    shell filled with their parts, without rendering the template.
    """
    preview = _can_preview(request)
    try:
        if preview:
            page = lessonpage.lesson_page_build(
                course_slug=course_slug, lesson_slug=lesson_slug, include_drafts=True, draft="draft" in request.GET
            )
        else:
            page = lessonpage.lesson_page_get(course_slug=course_slug, lesson_slug=lesson_slug)
    except Lesson.DoesNotExist:
        raise Http404 from None
    lesson, course = page.lesson, page.lesson.course
    member = _member(request)
    is_open = selectors.lesson_is_open(lesson=lesson, access_level=billing.user_access_level(user=member))
    progress = selectors.course_progress(
        user=request.user,  # type: ignore[arg-type]
        course=course,
        lesson_ids=page.lesson_ids,
        with_certificate=False,
        with_last_lesson=False,
    )
    is_completed = lesson.pk in progress.completed_ids
    reader = lessonpage.reader_parts(
        page,
        completed=progress.completed_ids,
        total=progress.total,
        is_member=member is not None,
        is_completed=is_completed,
    )
    context: dict[str, Any] = {"page": page, "lesson": lesson, "course": course, "is_open": is_open}
    token = ""
    if not is_open:
        context.update(_locked_context(course))
    elif member is None:
        reader.update(
            actions=mark_safe(page.actions["visitor"]),  # noqa: S308 - rendered by templates
            report=mark_safe(page.report["visitor"]),  # noqa: S308
            quiz=mark_safe(page.quiz.get("visitor", "")),  # noqa: S308
        )
    else:
        token = get_token(request)
        reader["actions"] = lessonpage.with_token(page.actions["done" if is_completed else "todo"], token)
        reader["report"] = lessonpage.with_token(page.report["member"], token)
        if page.quiz_id is not None:
            reader["quiz"] = lessonpage.with_token(page.quiz["member"], token)
            attempts = list(selectors.attempt_list(user=member, quiz=page.quiz_id))
            reader["attempts"] = mark_safe(  # noqa: S308 - rendered by a template
                render_to_string("learning/includes/attempts.html", {"attempts": attempts})
            )
        if lesson.is_published and course.is_published:
            services.lesson_visit(user=member, lesson=lesson, enrollment=progress.enrollment)
    if token and not preview and not request.GET and not _has_messages(request):
        response = HttpResponse(lessonpage.shell_fill(request, page, context, reader, token))
    else:
        response = render(
            request, "learning/lesson.html", {**context, "reader": reader}, status=200 if is_open else 403
        )
    if is_open and page.frame_origins:
        # Frames stay forbidden on every other page; this one may load its videos' players
        # (after the reader's click, PV-11).
        response._csp_replace = {"frame-src": page.frame_origins}  # type: ignore[attr-defined]
    if is_open and page.image_origins:
        response._csp_update = {"img-src": page.image_origins}  # type: ignore[attr-defined]
    return response


def _has_messages(request: HttpRequest) -> bool:
    """Whether a message waits to be shown (the page is then rendered as usual, which shows it)."""
    return bool(getattr(request, "_messages", None))


@login_required
@require_POST
def lesson_complete(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    """Mark a lesson done (or not done again), then go on to the next one (LM-4)."""
    lesson = _lesson_or_404(request, course_slug, lesson_slug)
    member: User = request.user  # type: ignore[assignment]
    if request.POST.get("undo"):
        services.lesson_uncomplete(user=member, lesson=lesson)
        return redirect("learning:lesson", course_slug=course_slug, lesson_slug=lesson_slug)
    try:
        certificate = services.lesson_complete(user=member, lesson=lesson)
    except LessonLocked:
        messages.error(request, _("Votre offre n'ouvre pas cette leçon."))
        return redirect("learning:lesson", course_slug=course_slug, lesson_slug=lesson_slug)
    except NotPublished:
        raise Http404 from None
    if certificate is not None:
        messages.success(request, _("Bravo, vous avez terminé ce cours ! Votre certificat est prêt."))
        return redirect("learning:dashboard")
    messages.success(request, _("Leçon terminée."))
    following = request.POST.get("next_lesson", "")
    if following:
        return redirect("learning:lesson", course_slug=course_slug, lesson_slug=following)
    return redirect("learning:course", course_slug=course_slug)


@login_required
@require_POST
def quiz_submit(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    """Score an attempt and show its review (LM-5)."""
    lesson = _lesson_or_404(request, course_slug, lesson_slug)
    quiz = selectors.quiz_get(lesson=lesson)
    if quiz is None:
        raise Http404
    form = QuizForm(request.POST, quiz=quiz)
    form.is_valid()  # an invalid pick is dropped and counts as wrong
    try:
        attempt = services.quiz_attempt_submit(user=request.user, quiz=quiz, answers=form.answers())  # type: ignore[arg-type]
    except LessonLocked:
        messages.error(request, _("Votre offre n'ouvre pas ce quiz."))
        return redirect("learning:lesson", course_slug=course_slug, lesson_slug=lesson_slug)
    except NotPublished:
        raise Http404 from None
    return redirect("learning:attempt", attempt_id=attempt.pk)


@login_required
@never_cache
def attempt_detail(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Review an attempt: each answer given, the right ones, and why (LM-5)."""
    try:
        attempt = selectors.attempt_get_for_review(user=request.user, attempt_id=attempt_id)  # type: ignore[arg-type]
    except QuizAttempt.DoesNotExist:
        raise Http404 from None
    quiz = selectors.quiz_get(lesson=attempt.quiz.lesson)
    assert quiz is not None
    review = []
    for number, question in enumerate(quiz.questions.all(), start=1):
        picked = set(attempt.answers.get(str(question.pk), []))
        choices = [{"choice": choice, "picked": choice.pk in picked} for choice in question.choices.all()]
        right = {choice.pk for choice in question.choices.all() if choice.is_correct}
        review.append(
            {
                "number": number,
                "question": question,
                "text": mark_safe(rendering.render_text(question.text).html),  # noqa: S308 - nh3
                "explanation": mark_safe(rendering.render_text(question.explanation).html),  # noqa: S308 - nh3
                "choices": choices,
                "is_right": picked == right,
            }
        )
    lesson = attempt.quiz.lesson
    context = {
        "attempt": attempt,
        "lesson": lesson,
        "course": lesson.course,
        "review": review,
        "attempts": list(selectors.attempt_list(user=request.user, quiz=quiz)),  # type: ignore[arg-type]
        "certificate": Certificate.objects.filter(user=attempt.user_id, course=lesson.course).defer("pdf").first(),
    }
    return render(request, "learning/attempt.html", context)


def resource_download(request: HttpRequest, course_slug: str, lesson_slug: str, resource_id: int) -> HttpResponseBase:
    """Send a lesson's file to a reader whose plan opens the lesson; never a public URL (LM-3)."""
    lesson = _lesson_or_404(request, course_slug, lesson_slug, preview=_can_preview(request))
    if not selectors.lesson_is_open(lesson=lesson, access_level=billing.user_access_level(user=_member(request))):
        context = {"course": lesson.course, "lesson": lesson, **_locked_context(lesson.course)}
        return render(request, "learning/locked.html", context, status=403)
    try:
        resource = selectors.resource_get(lesson=lesson, resource_id=resource_id)
    except Resource.DoesNotExist:
        raise Http404 from None
    try:
        handle = resource.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=resource.filename)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@never_cache
def dashboard(request: HttpRequest) -> HttpResponse:
    """The member's learning: courses in progress, where to resume, certificates (LM-4, LM-5)."""
    data = selectors.dashboard_get(user=request.user)  # type: ignore[arg-type]
    return render(request, "learning/dashboard.html", {"dashboard": data})


@login_required
@never_cache
def group_progress(request: HttpRequest) -> HttpResponse:
    """The group owner's view of each member's progress (LM-7); nobody else's."""
    try:
        group = selectors.access_group_progress(viewer=request.user)  # type: ignore[arg-type]
    except PermissionDenied:
        return render(request, "learning/group_progress_refused.html", status=403)
    return render(request, "learning/group_progress.html", {"progress": selectors.group_progress(group=group)})


@anonymous_page_cache()
def certificate_verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public verification of a certificate: who, which course, when (LM-5)."""
    try:
        certificate = selectors.certificate_get_by_code(code=code)
    except Certificate.DoesNotExist:
        return render(request, "learning/certificate_unknown.html", {"code": code[:40]}, status=404)
    return render(request, "learning/certificate_verify.html", {"certificate": certificate})


@login_required
def certificate_download(request: HttpRequest, code: str) -> HttpResponse:
    """The certificate's PDF, for its holder (and staff)."""
    try:
        certificate = selectors.certificate_get_for_download(user=request.user, code=code)  # type: ignore[arg-type]
    except Certificate.DoesNotExist:
        raise Http404 from None
    response = HttpResponse(bytes(certificate.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="cloudmentor-certificat-{certificate.code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def report_error(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    """Report an error in a lesson (TM-11)."""
    lesson = _lesson_or_404(request, course_slug, lesson_slug)
    form = ErrorReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.error_report_create(user=request.user, lesson=lesson, message=form.cleaned_data["message"])  # type: ignore[arg-type]
        except LearningError:
            messages.error(
                request, _("Vous ne pouvez pas signaler d'erreur dans une leçon que votre offre n'ouvre pas.")
            )
            return redirect("learning:lesson", course_slug=course_slug, lesson_slug=lesson_slug)
        messages.success(
            request,
            _(
                "Merci ! Votre signalement a été transmis à l'équipe. Vous suivrez sa réponse dans « Mes signalements »."
            ),
        )
        return redirect("learning:lesson", course_slug=course_slug, lesson_slug=lesson_slug)
    return render(request, "learning/report_error.html", {"form": form, "lesson": lesson, "course": lesson.course})


@login_required
@never_cache
def report_list(request: HttpRequest) -> HttpResponse:
    """The member's error reports and what staff did with them (TM-11)."""
    reports = selectors.error_report_list(user=request.user)  # type: ignore[arg-type]
    return render(request, "learning/reports.html", {"reports": reports})
