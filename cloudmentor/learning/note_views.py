"""A member's private note on a lesson (LX-6): saved or deleted with a POST from the lesson page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cloudmentor.accounts.http import AuthenticatedHttpRequest

from . import selectors, services
from .exceptions import LessonLocked, NoteTooLong, NotPublished
from .forms import LessonNoteForm
from .models import NOTE_MAX_LENGTH, Lesson


@login_required
@require_POST
def lesson_note(request: AuthenticatedHttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    """Save the member's note on the lesson, or delete it ("delete" posted, or an empty note)."""
    try:
        lesson = selectors.lesson_get_for_page(course_slug=course_slug, lesson_slug=lesson_slug)
    except Lesson.DoesNotExist:
        raise Http404 from None
    back = reverse("learning:lesson", kwargs={"course_slug": course_slug, "lesson_slug": lesson_slug}) + "#note"
    if request.POST.get("delete"):
        if services.lesson_note_delete(user=request.user, lesson=lesson):
            messages.success(request, _("Note supprimée."))
        return redirect(back)
    form = LessonNoteForm(request.POST)
    if not form.is_valid():
        return _refused(request, form, lesson)
    try:
        note = services.lesson_note_save(user=request.user, lesson=lesson, body=form.cleaned_data["body"])
    except NoteTooLong:
        limit = formats.number_format(NOTE_MAX_LENGTH, force_grouping=True)
        form.add_error("body", _("Une note compte au plus %(limit)s caractères.") % {"limit": limit})
        return _refused(request, form, lesson)
    except (LessonLocked, NotPublished):
        messages.error(request, _("Votre offre n'ouvre pas cette leçon : la note n'a pas été enregistrée."))
        return redirect(back)
    messages.success(request, _("Note enregistrée.") if note is not None else _("Note supprimée."))
    return redirect(back)


def _refused(request: AuthenticatedHttpRequest, form: LessonNoteForm, lesson: Lesson) -> HttpResponse:
    """Show the note refused with its reason and the text typed, nothing saved."""
    context = {"form": form, "lesson": lesson, "course": lesson.course}
    return render(request, "learning/note_refused.html", context, status=400)
