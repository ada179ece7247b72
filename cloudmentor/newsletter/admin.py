"""Staff pages: subscribers (read, unsubscribe) and issues (write, preview, test, send)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cloudmentor.accounts.http import AuthenticatedHttpRequest
from cloudmentor.accounts.models import User
from cloudmentor.core.admin import ReadOnlyAdminMixin
from cloudmentor.core.markdown import render_markdown

from . import selectors, services
from .exceptions import IssueIncomplete, IssueNotDraft
from .models import ConsentEvent, Issue, Source, Subscriber


class ConsentEventInline(ReadOnlyAdminMixin, admin.TabularInline[ConsentEvent, Subscriber]):
    model = ConsentEvent
    extra = 0
    fields = ("created_at", "action", "source")
    readonly_fields = fields


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin[Subscriber]):
    list_display = ["email", "status", "language", "source", "user", "subscribed_at", "unsubscribed_at"]
    list_filter = ["status", "language", "source"]
    search_fields = ["email", "user__username"]
    list_select_related = ["user"]
    readonly_fields = ["email", "user", "status", "source", "subscribed_at", "unsubscribed_at", "created_at"]
    fields = ["email", "user", "language", "status", "source", "subscribed_at", "unsubscribed_at", "created_at"]
    inlines = [ConsentEventInline]
    actions = ["unsubscribe_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # an address is subscribed only by its owner's opt-in

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an unsubscribed address is kept, flagged (PV-4)

    @admin.action(description=gettext_lazy("Désabonner les adresses sélectionnées"))
    def unsubscribe_selected(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        count = sum(services.subscriber_unsubscribe(subscriber=item, source=Source.STAFF) for item in queryset)
        messages.success(request, _("%(count)d adresse(s) désabonnée(s).") % {"count": count})


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin[Issue]):
    list_display = ["subject_fr", "status", "created_at", "send_started_at", "sent_at"]
    list_filter = ["status"]
    fields = ["subject_fr", "body_fr", "subject_en", "body_en"]
    change_form_template = "admin/newsletter/issue/change_form.html"

    def has_change_permission(self, request: HttpRequest, obj: Issue | None = None) -> bool:
        if obj is not None and obj.status != Issue.Status.DRAFT:
            return False  # what was sent is the record of what was sent
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Issue | None = None) -> bool:
        if obj is not None and obj.status != Issue.Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Issue, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = cast(User, request.user)  # the staff site lets only staff members in
        super().save_model(request, obj, form, change)

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        obj = context.get("original")
        if obj is not None:
            context["counts"] = selectors.issue_counts(issue=obj)
        return super().render_change_form(request, context, *args, **kwargs)

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        extra = [
            path("<int:issue_id>/preview/", view(self.preview_view), name="newsletter_issue_preview"),
            path(
                "<int:issue_id>/send-test/", view(require_POST(self.send_test_view)), name="newsletter_issue_send_test"
            ),
            path("<int:issue_id>/send/", view(self.send_view), name="newsletter_issue_send"),
        ]
        return extra + super().get_urls()

    def _page(self, request: HttpRequest, template: str, issue: Issue, **context: Any) -> HttpResponse:
        return TemplateResponse(
            request,
            template,
            {**self.admin_site.each_context(request), "opts": self.model._meta, "issue": issue, **context},
        )

    def _require(self, request: HttpRequest, action: str) -> None:
        """The custom pages need the role's permission, as the model pages do (TR-1)."""
        if not request.user.has_perm(f"newsletter.{action}_issue"):
            raise PermissionDenied

    def preview_view(self, request: HttpRequest, issue_id: int) -> HttpResponse:
        self._require(request, "view")
        issue = get_object_or_404(Issue, pk=issue_id)
        versions = [
            {"language": name, "subject": issue.subject(code), "html": render_markdown(issue.body(code))}
            for code, name in (("fr", _("Français")), ("en", _("Anglais")))
        ]
        return self._page(request, "admin/newsletter/issue/preview.html", issue, title=_("Aperçu"), versions=versions)

    def send_test_view(self, request: AuthenticatedHttpRequest, issue_id: int) -> HttpResponse:
        self._require(request, "change")
        issue = get_object_or_404(Issue, pk=issue_id)
        address = request.user.email
        if not address:
            messages.error(request, _("Votre compte n'a pas d'adresse e-mail : le test ne peut pas partir."))
            return HttpResponseRedirect(reverse("admin:newsletter_issue_change", args=[issue.pk]))
        try:
            services.issue_send_test(issue=issue, to=address)
        except IssueIncomplete:
            messages.error(request, _("Écrivez l'objet et le texte dans les deux langues avant l'envoi."))
        else:
            messages.success(request, _("Test envoyé à %(email)s, en français et en anglais.") % {"email": address})
        return HttpResponseRedirect(reverse("admin:newsletter_issue_change", args=[issue.pk]))

    def send_view(self, request: HttpRequest, issue_id: int) -> HttpResponse:
        self._require(request, "change")
        issue = get_object_or_404(Issue, pk=issue_id)
        if request.method == "POST":
            try:
                services.issue_send_start(issue=issue)
            except IssueNotDraft:
                messages.error(request, _("Ce numéro est déjà envoyé ou en cours d'envoi."))
            except IssueIncomplete:
                messages.error(request, _("Écrivez l'objet et le texte dans les deux langues avant l'envoi."))
            else:
                messages.success(request, _("Envoi commencé : les e-mails partent par lots."))
            return HttpResponseRedirect(reverse("admin:newsletter_issue_change", args=[issue.pk]))
        return self._page(
            request,
            "admin/newsletter/issue/send.html",
            issue,
            title=_("Envoyer le numéro"),
            recipients=selectors.subscribed_count(),
        )
