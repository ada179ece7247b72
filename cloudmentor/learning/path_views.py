"""Learning paths (LX-4): the list, a path's page with the member's progress, the record of a
completed path and its public verification page, and the group owner's assignments."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cloudmentor.accounts.http import AuthenticatedHttpRequest

from . import selectors, services
from .exceptions import PathAssignmentRefused, PathNotCompleted
from .forms_paths import PathAssignForm
from .models import LearningPath, PathCompletion
from .services import paths as path_services


def _refusal(reason: str) -> str:
    """The owner's language's sentence for a refused assignment."""
    return {
        path_services.NOT_OWNER: _("Seul le propriétaire du groupe assigne des parcours."),
        path_services.NOT_MEMBER: _("Cette personne n'est pas membre de votre groupe."),
        path_services.NOT_PUBLISHED: _("Ce parcours n'est pas publié."),
        path_services.DUE_IN_PAST: _("La date limite est passée : choisissez aujourd'hui ou une date à venir."),
        path_services.DUE_TOO_FAR: _("La date limite est à plus de trois ans : vérifiez l'année."),
    }.get(reason, _("Ce parcours n'a pas pu être assigné."))


@never_cache
def path_list(request: HttpRequest) -> HttpResponse:
    """The published paths; for a member, the paths their group assigned them, with the due dates."""
    user = request.user
    assignments = list(selectors.path_assignment_list(user=user)) if user.is_authenticated else []
    return render(request, "learning/paths.html", {"paths": selectors.path_list(), "assignments": assignments})


@never_cache
def path_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A path: its courses in order, the member's progress along it, « Reprendre », its certificate."""
    try:
        path = selectors.path_get(slug=slug)
    except LearningPath.DoesNotExist:
        raise Http404 from None
    progress = selectors.path_progress(user=request.user, path=path)
    return render(request, "learning/path.html", {"path": path, "progress": progress})


@login_required
@require_POST
def path_complete(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Record the completed path (every course certified) and show its verification page."""
    try:
        path = selectors.path_get(slug=slug)
    except LearningPath.DoesNotExist:
        raise Http404 from None
    try:
        completion = services.path_complete(user=request.user, path=path)
    except PathNotCompleted:
        messages.error(request, _("Chaque cours du parcours doit d'abord avoir son certificat."))
        return redirect("learning:path", slug=slug)
    return redirect("learning:path_certificate", code=completion.code)


def path_certificate(request: HttpRequest, code: str) -> HttpResponse:
    """Public verification of a completed path: who, which path and role, when (LX-4)."""
    try:
        completion = selectors.path_completion_get_by_code(code=code)
    except PathCompletion.DoesNotExist:
        return render(request, "learning/certificate_unknown.html", {"code": code[:40]}, status=404)
    return render(request, "learning/path_certificate.html", {"completion": completion})


def _owner_page(
    request: AuthenticatedHttpRequest, group: object, form: PathAssignForm | None, status: int
) -> HttpResponse:
    paths = selectors.group_paths(group=group)  # type: ignore[arg-type]  # the owner's Group
    form = form or PathAssignForm(members=paths.members, paths=paths.paths)
    return render(
        request, "learning/group_paths.html", {"group": group, "paths": paths, "assign_form": form}, status=status
    )


@login_required
@never_cache
def group_paths_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The group owner's paths: each assignment with the member's progress and lateness, the form (LX-4)."""
    try:
        group = selectors.access_group_progress(viewer=request.user)
    except PermissionDenied:
        return render(request, "learning/group_progress_refused.html", status=403)
    return _owner_page(request, group, None, 200)


@login_required
@require_POST
def group_path_assign(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The group owner assigns a path to a member with a due date (LX-4, TM-2)."""
    try:
        group = selectors.access_group_progress(viewer=request.user)
    except PermissionDenied:
        return render(request, "learning/group_progress_refused.html", status=403)
    paths = selectors.group_paths(group=group)
    form = PathAssignForm(request.POST, members=paths.members, paths=paths.paths)
    if form.is_valid():
        try:
            assignment = services.path_assign(
                owner=request.user,
                group=group,
                member=form.cleaned_data["member"],
                path=form.cleaned_data["path"],
                due_on=form.cleaned_data["due_on"],
            )
        except PathAssignmentRefused as refusal:
            form.add_error("due_on" if refusal.reason.startswith("due") else None, _refusal(refusal.reason))
        else:
            messages.success(
                request,
                _("Parcours « %(path)s » assigné à %(member)s.")
                % {"path": assignment.path.display_title, "member": assignment.member.get_username()},
            )
            return redirect(reverse("learning:group_paths") + "#paths")
    return _owner_page(request, group, form, 400)


@login_required
@require_POST
def group_path_unassign(request: AuthenticatedHttpRequest, assignment_id: int) -> HttpResponse:
    """The group owner withdraws an assignment."""
    try:
        group = selectors.access_group_progress(viewer=request.user)
    except PermissionDenied:
        return render(request, "learning/group_progress_refused.html", status=403)
    if services.path_unassign(owner=request.user, group=group, assignment_id=assignment_id):
        messages.success(request, _("Parcours retiré."))
    return redirect(reverse("learning:group_paths") + "#paths")
