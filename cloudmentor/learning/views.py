"""Pages of the catalog, courses, lessons, progress, quizzes, certificates and error reports."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cloudmentor.accounts import roles
from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.exceptions import LegalNameLocked
from cloudmentor.accounts.http import AuthenticatedHttpRequest
from cloudmentor.accounts.models import StaffAccess, User
from cloudmentor.billing import selectors as billing
from cloudmentor.core.http import client_ip
from cloudmentor.core.pagecache import anonymous_page_cache
from cloudmentor.core.throttle import Limit, throttle_request

from . import badges, lessonpage, offers, rendering, search, selectors, services
from .exceptions import (
    LearningError,
    LessonLocked,
    NotPublished,
    QuizAlreadyPassed,
    QuizAttemptsExhausted,
    QuizCooldown,
    QuizDrawClosed,
)
from .forms import CatalogFilterForm, ErrorReportForm, LegalNameForm
from .models import Certificate, Course, Lesson, QuizAttempt, Resource

logger = logging.getLogger(__name__)
CATALOG_QUERY = frozenset({"q", "topic", "level", "plan", "page"})


def _search_limits(request: HttpRequest) -> tuple[Limit]:
    """Full-text searches from one address (SC-2): each one is a query the page cache cannot answer."""
    return (
        Limit(
            "search-ip",
            client_ip(request),
            int(settings.LEARNING_SEARCH_MAX_PER_IP),
            int(settings.LEARNING_SEARCH_WINDOW_SECONDS),
        ),
    )


def _error_report_limits(user: User) -> tuple[Limit]:
    """Error reports sent by one member (TM-11, SC-2): each one lands in the staff's queue."""
    return (
        Limit(
            "error-report",
            str(user.pk),
            int(settings.LEARNING_ERROR_REPORT_MAX_PER_MEMBER),
            int(settings.LEARNING_ERROR_REPORT_WINDOW_SECONDS),
        ),
    )


def _member(request: HttpRequest) -> User | None:
    user: Any = request.user
    return user if user.is_authenticated else None


def _can_preview(request: HttpRequest) -> bool:
    """Creators and staff see drafts on the site, to check them before publishing (LM-6)."""
    user: Any = request.user
    return roles.user_has_staff_capability(user, roles.DRAFTS)


@anonymous_page_cache()
def home(request: HttpRequest) -> HttpResponse:
    """The home page of core, with the featured courses and what each plan opens (TM-3)."""
    context = {
        "featured_courses": list(selectors.course_list_featured()),
        "topics": list(selectors.topic_list_with_counts()),
        **offers.plan_context(),
    }
    return render(request, "learning/home.html", context)


@anonymous_page_cache(query=CATALOG_QUERY)
def catalog(request: HttpRequest) -> HttpResponse:
    """The catalog: topics, filters, full-text search, the plan needed by each course (LM-1, TM-3)."""
    if request.GET.get("q", "").strip() and (refused := throttle_request(request, *_search_limits(request))):
        return refused
    topics = list(selectors.topic_list_with_counts())
    form = CatalogFilterForm(request.GET or None)
    filters = form.filters()
    page = Paginator(selectors.catalog_list(**filters), selectors.CATALOG_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    # The lessons whose text matches, beside the courses; a locked one without its text (LX-3).
    lesson_hits = (
        search.lesson_search(filters["query"], access_level=billing.user_access_level(user=_member(request)))
        if filters["query"].strip()
        else []
    )
    context = {
        "form": form,
        "topics": topics,
        "filters": filters,
        "is_filtered": any(value not in ("", None) for value in filters.values()),
        "page": page,
        "query_string": query.urlencode(),
        "lesson_hits": lesson_hits,
        "path_hits": search.path_search(filters["query"]) if filters["query"].strip() else [],
        "plans_url": offers.plans_url(),
        **offers.plan_context(),
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
        user=request.user,
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
        "description": mark_safe(rendering.render_text(course.display_description).html),  # noqa: S308 - nh3
        "plans_url": offers.plans_url(),
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

    The page comes from `lessonpage` (creators and staff get it fresh, drafts included);
    reading an open, published lesson then marks the member's place in the course.
    """
    try:
        page = lessonpage.lesson_page_respond(
            request,
            course_slug=course_slug,
            lesson_slug=lesson_slug,
            preview=_can_preview(request),
            has_messages=_has_messages(request),
        )
    except Lesson.DoesNotExist:
        raise Http404 from None
    if page.visit is not None:
        services.lesson_visit(user=page.visit.user, lesson=page.visit.lesson, enrollment=page.visit.enrollment)
    return page.response()


def _has_messages(request: HttpRequest) -> bool:
    """Whether a message waits to be shown (the page is then rendered as usual, which shows it)."""
    return bool(getattr(request, "_messages", None))


@login_required
@require_POST
def lesson_complete(request: AuthenticatedHttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    """Mark a lesson done (or not done again), then go on to the next one (LM-4)."""
    lesson = _lesson_or_404(request, course_slug, lesson_slug)
    member = request.user
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
    if selectors.certificate_pending_courses(user=member).filter(pk=lesson.course_id).exists():
        messages.success(
            request, _("Bravo, vous avez terminé ce cours ! Indiquez le nom à inscrire sur votre certificat.")
        )
        return redirect("learning:legal_name")
    messages.success(request, _("Leçon terminée."))
    following = request.POST.get("next_lesson", "")
    if following:
        return redirect("learning:lesson", course_slug=course_slug, lesson_slug=following)
    return redirect("learning:course", course_slug=course_slug)


def _exam_refusal(request: HttpRequest, error: LearningError) -> None:
    """Tell the member why no attempt can start or be sent now (LX-1)."""
    if isinstance(error, QuizAlreadyPassed):
        messages.info(request, _("Vous avez déjà réussi cet examen."))
    elif isinstance(error, QuizAttemptsExhausted):
        messages.error(
            request,
            _("Vous avez utilisé toutes vos tentatives. Pour en obtenir une autre, écrivez au support."),
        )
    elif isinstance(error, QuizCooldown):
        when = formats.date_format(timezone.localtime(error.available_at), "DATETIME_FORMAT")  # type: ignore[arg-type]  # a datetime, typed loosely by the exception
        messages.error(request, _("Prochaine tentative possible à partir du %(date)s.") % {"date": when})
    elif isinstance(error, LessonLocked):
        messages.error(request, _("Votre offre n'ouvre pas ce quiz."))
    else:
        raise Http404


@login_required
@require_POST
def quiz_start(request: AuthenticatedHttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    """Draw the questions of the member's next attempt, then show them on the lesson page (LX-1)."""
    lesson = _lesson_or_404(request, course_slug, lesson_slug)
    quiz = selectors.quiz_get(lesson=lesson)
    if quiz is None:
        raise Http404
    try:
        services.quiz_draw_start(user=request.user, quiz=quiz)
    except NotPublished:
        raise Http404 from None
    except LearningError as error:
        _exam_refusal(request, error)
    return redirect(
        reverse("learning:lesson", kwargs={"course_slug": course_slug, "lesson_slug": lesson_slug}) + "#quiz"
    )


def _posted_answers(request: HttpRequest) -> dict[int, list[int]]:
    """Return question id → picked choice ids from the form (anything else is ignored and counts as wrong)."""
    answers: dict[int, list[int]] = {}
    for name in request.POST:
        if name.startswith("q") and name[1:].isdigit() and len(name) < 12:
            answers[int(name[1:])] = [int(v) for v in request.POST.getlist(name)[:20] if v.isdigit() and len(v) < 12]
    return answers


@login_required
@require_POST
def quiz_submit(request: AuthenticatedHttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    """Score the member's answers to their draw and show the result (LM-5, LX-1)."""
    lesson = _lesson_or_404(request, course_slug, lesson_slug)
    quiz = selectors.quiz_get(lesson=lesson)
    if quiz is None:
        raise Http404
    lesson_url = reverse("learning:lesson", kwargs={"course_slug": course_slug, "lesson_slug": lesson_slug})
    draw = request.POST.get("draw", "")
    if not (draw.isdigit() and len(draw) < 12):
        messages.error(request, _("Commencez l'examen pour recevoir vos questions."))
        return redirect(lesson_url + "#quiz")
    try:
        attempt = services.quiz_attempt_submit(
            user=request.user, quiz=quiz, answers=_posted_answers(request), draw_id=int(draw)
        )
    except NotPublished:
        raise Http404 from None
    except QuizDrawClosed as closed:
        messages.info(request, _("Ces réponses ont déjà été envoyées : votre résultat n'a pas changé."))
        if closed.attempt_id is not None:
            return redirect("learning:attempt", attempt_id=closed.attempt_id)
        return redirect(lesson_url + "#quiz")
    except LearningError as error:
        _exam_refusal(request, error)
        return redirect(lesson_url + "#quiz")
    return redirect("learning:attempt", attempt_id=attempt.pk)


@login_required
@never_cache
def attempt_detail(request: AuthenticatedHttpRequest, attempt_id: int) -> HttpResponse:
    """An attempt's result: after a pass (or the last attempt), each answer and why; else the score per topic."""
    try:
        attempt = selectors.attempt_get_for_review(user=request.user, attempt_id=attempt_id)
    except QuizAttempt.DoesNotExist:
        raise Http404 from None
    quiz = selectors.quiz_get(lesson=attempt.quiz.lesson)
    assert quiz is not None
    state = selectors.exam_state(user=request.user, quiz=quiz, now=timezone.now())
    review = []
    if state.reveals_answers:
        by_id = {question.pk: question for question in quiz.questions.all()}
        if attempt.draw_id is not None and attempt.draw is not None:
            order = [int(entry[0]) for entry in attempt.draw.questions]
        else:
            order = [int(pk) for pk in attempt.answers]
        for number, question in enumerate((by_id[pk] for pk in order if pk in by_id), start=1):
            picked = set(attempt.answers.get(str(question.pk), []))
            choices = [{"choice": choice, "picked": choice.pk in picked} for choice in question.choices.all()]
            right = {choice.pk for choice in question.choices.all() if choice.is_correct}
            review.append(
                {
                    "number": number,
                    "question": question,
                    "text": mark_safe(rendering.render_text(question.display_text).html),  # noqa: S308 - nh3
                    "explanation": mark_safe(rendering.render_text(question.display_explanation).html),  # noqa: S308 - nh3
                    "choices": choices,
                    "is_right": picked == right,
                }
            )
    lesson = attempt.quiz.lesson
    certificate = Certificate.objects.filter(user=attempt.user_id, course=lesson.course).defer("pdf").first()
    context = {
        "attempt": attempt,
        "lesson": lesson,
        "course": lesson.course,
        "state": state,
        "reveals": state.reveals_answers,
        "review": review,
        "attempts": list(selectors.attempt_list(user=request.user, quiz=quiz)),
        "certificate": certificate,
        "certificate_waits": certificate is None
        and attempt.is_passed
        and selectors.certificate_pending_courses(user=request.user).filter(pk=lesson.course_id).exists(),
    }
    return render(request, "learning/attempt.html", context)


def resource_download(request: HttpRequest, course_slug: str, lesson_slug: str, resource_id: int) -> HttpResponseBase:
    """Send a lesson's file to a reader whose plan opens the lesson; never a public URL (LM-3)."""
    lesson = _lesson_or_404(request, course_slug, lesson_slug, preview=_can_preview(request))
    if not selectors.lesson_is_open(lesson=lesson, access_level=billing.user_access_level(user=_member(request))):
        context = {"course": lesson.course, "lesson": lesson, **offers.locked_context(lesson.course)}
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
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The member's learning: courses in progress, where to resume, certificates (LM-4, LM-5)."""
    data = selectors.dashboard_get(user=request.user)
    return render(request, "learning/dashboard.html", {"dashboard": data})


@login_required
@never_cache
def group_progress(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The group owner's view of each member's progress (LM-7); nobody else's."""
    try:
        group = selectors.access_group_progress(viewer=request.user)
    except PermissionDenied:
        return render(request, "learning/group_progress_refused.html", status=403)
    return render(request, "learning/group_progress.html", {"progress": selectors.group_progress(group=group)})


@anonymous_page_cache()
def certificate_verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public verification of a certificate: who (legal name), which course, when; revoked or not (LM-5, LX-2)."""
    try:
        certificate = selectors.certificate_get_by_code(code=code)
    except Certificate.DoesNotExist:
        return render(request, "learning/certificate_unknown.html", {"code": code[:40]}, status=404)
    return render(request, "learning/certificate_verify.html", {"certificate": certificate})


@login_required
def certificate_download(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The certificate's PDF, for its holder (and staff)."""
    try:
        certificate = selectors.certificate_get_for_download(user=request.user, code=code)
    except Certificate.DoesNotExist:
        raise Http404 from None
    if certificate.user_id != request.user.pk:
        # A staff member downloading someone's certificate: the member will see it (TR-2).
        accounts_services.record_staff_access(
            staff=request.user,
            member=certificate.user_id,
            kind=StaffAccess.Kind.CERTIFICATE,
            reference=certificate.code,
        )
    response = HttpResponse(bytes(certificate.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="cloudmentor-certificat-{certificate.code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def certificate_badge(request: HttpRequest, code: str) -> HttpResponse:
    """The certificate's Open Badges 3.0 credential, a signed JWT anyone may check (LX-2)."""
    try:
        certificate = selectors.certificate_get_by_code(code=code)
    except Certificate.DoesNotExist:
        raise Http404 from None
    try:
        token = services.certificate_badge(certificate=certificate)
    except ImproperlyConfigured:  # production without LEARNING_BADGE_SIGNING_KEY: say so, never a 500
        logger.error("LEARNING_BADGE_SIGNING_KEY is not set: certificate badges cannot be signed")
        return _badges_unavailable(request)
    response = HttpResponse(token, content_type=badges.MEDIA_TYPE)
    response["Content-Disposition"] = f'attachment; filename="cloudmentor-badge-{certificate.code}.jwt"'
    return response


def certificate_status(request: HttpRequest, code: str) -> JsonResponse:
    """The badge's status (its ``credentialStatus``): a 1EdTech revocation list naming it once revoked (LX-2)."""
    try:
        certificate = selectors.certificate_get_by_code(code=code)
    except Certificate.DoesNotExist:
        raise Http404 from None
    with translation.override(settings.LANGUAGE_CODE):
        credential_id = settings.SITE_URL + reverse("learning:certificate_verify", kwargs={"code": certificate.code})
        status_id = settings.SITE_URL + reverse("learning:certificate_status", kwargs={"code": certificate.code})
    revoked = []
    if certificate.revoked_at is not None:
        revoked.append(
            {
                "id": credential_id,
                "revocationReason": certificate.revoked_reason,
                "revokedAt": certificate.revoked_at.isoformat(),
            }
        )
    body = {"id": status_id, "issuer": settings.SITE_URL + "/", "revokedCredentials": revoked}
    response = JsonResponse(body)
    response["Cache-Control"] = "no-cache"
    return response


def _badges_unavailable(request: HttpRequest) -> HttpResponse:
    message = _(
        "Les badges numériques sont momentanément indisponibles. Le certificat reste vérifiable sur cette page."
    )
    return HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")


def jwks(request: HttpRequest) -> HttpResponse:
    """The public key that signs the badges, as a JSON Web Key Set (LX-2)."""
    try:
        keys = badges.public_jwks()
    except ImproperlyConfigured:
        logger.error("LEARNING_BADGE_SIGNING_KEY is not set: no badge key to publish")
        return _badges_unavailable(request)
    response = JsonResponse(keys)
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@login_required
@never_cache
def legal_name(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Ask the legal name certificates carry, then issue those that waited for it (LX-2)."""
    member = request.user
    if member.legal_name_locked_at is not None:
        return render(request, "learning/legal_name.html", {"locked": True, "member": member})
    form = LegalNameForm(request.POST or None, initial={"legal_name": member.legal_name or member.get_full_name()})
    if request.method == "POST" and form.is_valid():
        try:
            accounts_services.user_legal_name_set(user=member, legal_name=form.cleaned_data["legal_name"])
        except LegalNameLocked:
            return render(request, "learning/legal_name.html", {"locked": True, "member": member})
        issued = services.certificates_issue_pending(user=member)
        if issued:
            messages.success(request, _("Votre certificat est prêt."))
        else:
            messages.success(request, _("Votre nom légal est enregistré : il figurera sur vos certificats."))
        return redirect("learning:dashboard")
    pending = list(selectors.certificate_pending_courses(user=member))
    return render(request, "learning/legal_name.html", {"form": form, "pending": pending, "member": member})


@login_required
def report_error(request: AuthenticatedHttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    """Report an error in a lesson (TM-11)."""
    lesson = _lesson_or_404(request, course_slug, lesson_slug)
    form = ErrorReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if refused := throttle_request(request, *_error_report_limits(request.user)):
            return refused
        try:
            services.error_report_create(user=request.user, lesson=lesson, message=form.cleaned_data["message"])
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
def report_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The member's error reports and what staff did with them (TM-11)."""
    reports = selectors.error_report_list(user=request.user)
    return render(request, "learning/reports.html", {"reports": reports})
