from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cloudmentor.accounts.http import AuthenticatedHttpRequest
from cloudmentor.accounts.models import StaffAccess
from cloudmentor.accounts.roles import StaffAccessAuditMixin
from cloudmentor.accounts.selectors import user_by_email

from . import services
from .banner import time_text
from .exceptions import MaintenanceWindowRefused
from .forms import ConfirmForm, EmergencyWindowForm, MaintenanceWindowForm
from .models import ContactMessage, JobRun, MaintenanceWindow
from .selectors import notice_period


@admin.register(ContactMessage)
class ContactMessageAdmin(StaffAccessAuditMixin, admin.ModelAdmin[ContactMessage]):
    list_display = ["created_at", "name", "email", "subject", "is_handled"]
    list_filter = ["is_handled", "language"]
    search_fields = ["name", "email", "subject", "message"]
    readonly_fields = ["name", "email", "subject", "message", "language", "created_at"]
    # A message from a member's address, opened, is recorded for that member (TR-2).
    audit_kind = StaffAccess.Kind.CONTACT_MESSAGE
    audit_searches = False  # each row's member is a query: the messages opened are recorded

    def audit_member_id(self, obj: ContactMessage) -> int | None:
        member = user_by_email(obj.email)
        return member.pk if member is not None else None

    def audit_reference(self, obj: ContactMessage) -> str:
        return f"#{obj.pk}"


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin[JobRun]):
    list_display = ["name", "last_started_at", "last_finished_at"]
    readonly_fields = ["name", "last_started_at", "last_finished_at", "last_error"]


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin[MaintenanceWindow]):
    """Schedule, change, cancel and end maintenance windows; start an emergency one (TM-5).

    Rows are never deleted: a cancelled window stays as the record of what was announced.
    """

    form = MaintenanceWindowForm
    list_display = ["starts_at", "ends_at", "status", "is_emergency", "created_by", "cancelled_at"]
    list_filter = ["is_emergency"]
    list_select_related = ["created_by"]
    date_hierarchy = "starts_at"
    actions = ["cancel_selected", "end_selected_now"]
    change_list_template = "admin/operations/maintenancewindow/change_list.html"
    change_form_template = "admin/operations/maintenancewindow/change_form.html"
    bookkeeping = ["is_emergency", "created_by", "created_at", "cancelled_at", "cancelled_by"]

    def get_fields(self, request: HttpRequest, obj: MaintenanceWindow | None = None) -> tuple[str, ...]:
        return ("starts_at", "ends_at", "message_fr", "message_en", *(self.bookkeeping if obj else []))

    def get_readonly_fields(self, request: HttpRequest, obj: MaintenanceWindow | None = None) -> list[str]:
        if obj is None:
            return []
        state = obj.state(timezone.now())
        if state in ("cancelled", "ended"):
            return ["starts_at", "ends_at", "message_fr", "message_en", *self.bookkeeping]
        if state == "in_progress":
            return ["starts_at", *self.bookkeeping]
        return list(self.bookkeeping)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: MaintenanceWindow | None = None,
    ) -> HttpResponse:
        context["window_state"] = obj.state(timezone.now()) if obj is not None else ""
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    @admin.display(description=_("état"))
    def status(self, obj: MaintenanceWindow) -> str:
        now = timezone.now()
        state = obj.state(now)
        if state == "scheduled" and obj.starts_at - notice_period() <= now:
            return str(_("annoncée"))
        return str(STATE_LABELS[state])

    def save_model(self, request: HttpRequest, obj: MaintenanceWindow, form: Any, change: bool) -> None:
        if change:
            services.maintenance_window_change(window=obj)
            return
        services.maintenance_window_schedule(window=obj, created_by=request.user)  # type: ignore[arg-type]  # a staff member; the override keeps ModelAdmin's HttpRequest
        lead = obj.starts_at - timezone.now()
        if lead < notice_period():
            messages.warning(
                request,
                _(
                    "Cette maintenance n'est annoncée que %(hours)s h à l'avance (préavis habituel : %(notice)s h) : "
                    "le bandeau est affiché dès maintenant."
                )
                % {"hours": max(0, int(lead.total_seconds() // 3600)), "notice": _hours(notice_period())},
            )

    @admin.action(description=_("Annuler les fenêtres sélectionnées (à venir)"))
    def cancel_selected(self, request: AuthenticatedHttpRequest, queryset: QuerySet[MaintenanceWindow]) -> None:
        self._apply(request, queryset, self._cancel, _("%(count)s fenêtre(s) annulée(s)."))

    @admin.action(description=_("Terminer maintenant les maintenances sélectionnées (en cours)"))
    def end_selected_now(self, request: AuthenticatedHttpRequest, queryset: QuerySet[MaintenanceWindow]) -> None:
        self._apply(request, queryset, self._end_now, _("%(count)s maintenance(s) terminée(s)."))

    def _apply(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[MaintenanceWindow], act: Any, done: Any
    ) -> None:
        count = 0
        for window in queryset:
            try:
                act(request, window)
            except MaintenanceWindowRefused as refusal:
                messages.error(request, f"{window} : {refusal.message}")
            else:
                count += 1
        if count:
            messages.success(request, done % {"count": count})

    def _cancel(self, request: AuthenticatedHttpRequest, window: MaintenanceWindow) -> None:
        window = services.maintenance_window_cancel(window=window, cancelled_by=request.user)
        self.log_change(request, window, str(_("Annulée.")))

    def _end_now(self, request: AuthenticatedHttpRequest, window: MaintenanceWindow) -> None:
        window = services.maintenance_window_end_now(window=window)
        self.log_change(request, window, str(_("Terminée maintenant.")))

    # The emergency window, ending now and cancelling are pages of their own (a reason to type).
    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "emergency/", self.admin_site.admin_view(self.emergency_view), name="operations_maintenance_emergency"
            ),
            path(
                "<int:window_id>/end-now/",
                self.admin_site.admin_view(self.end_now_view),
                name="operations_maintenance_end_now",
            ),
            path(
                "<int:window_id>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="operations_maintenance_cancel",
            ),
        ]
        return extra + super().get_urls()

    def _page(self, request: HttpRequest, *, title: Any, form: Any, intro: Any, subject: Any = None) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "form": form,
            "intro": intro,
            "subject": subject,
            "opts": self.model._meta,
        }
        return render(request, "admin/operations/maintenancewindow/action_form.html", context)

    def emergency_view(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        """Start a window now, for a chosen duration: visitors get the maintenance page at once."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = EmergencyWindowForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            window = services.maintenance_window_start_emergency(
                duration=timedelta(minutes=data["duration_minutes"]),
                created_by=request.user,
                message_fr=data["message_fr"],
                message_en=data["message_en"],
            )
            self.log_addition(request, window, str(_("Maintenance d'urgence démarrée.")))
            messages.success(
                request,
                _(
                    "Maintenance d'urgence en cours jusqu'à %(end)s (heure de Paris) : les visiteurs voient la page de maintenance."
                )
                % {"end": time_text(window.ends_at)},
            )
            return HttpResponseRedirect(reverse("admin:operations_maintenancewindow_changelist"))
        intro = _(
            "La maintenance commence dès la validation : visiteurs et membres reçoivent la page de maintenance "
            "(HTTP 503) ; le personnel garde l'accès au site et à /staff/."
        )
        return self._page(request, title=_("Démarrer une maintenance d'urgence"), form=form, intro=intro)

    def end_now_view(self, request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
        return self._confirm(
            request,
            window_id,
            act=self._end_now,
            title=_("Terminer la maintenance maintenant"),
            intro=_("Le site redevient accessible à tous dès la validation."),
            done=_("La maintenance est terminée : le site est de nouveau accessible."),
        )

    def cancel_view(self, request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
        return self._confirm(
            request,
            window_id,
            act=self._cancel,
            title=_("Annuler cette maintenance"),
            intro=_("Le bandeau d'annonce disparaît et le site restera ouvert pendant cette période."),
            done=_("La maintenance est annulée."),
        )

    def _confirm(
        self, request: AuthenticatedHttpRequest, window_id: int, *, act: Any, title: Any, intro: Any, done: Any
    ) -> HttpResponse:
        window = get_object_or_404(MaintenanceWindow, pk=window_id)
        if not self.has_change_permission(request, window):
            raise PermissionDenied
        form = ConfirmForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                act(request, window)
            except MaintenanceWindowRefused as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(request, done)
                return HttpResponseRedirect(reverse("admin:operations_maintenancewindow_changelist"))
        return self._page(request, title=title, form=form, intro=intro, subject=window)


STATE_LABELS = {
    "cancelled": _("annulée"),
    "scheduled": _("à venir"),
    "in_progress": _("en cours"),
    "ended": _("terminée"),
}


def _hours(period: timedelta) -> str:
    hours = period.total_seconds() / 3600
    return str(int(hours)) if hours == int(hours) else f"{hours:.1f}"
