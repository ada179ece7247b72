"""Staff write policy versions here: a draft with its preview, then "publish" (TM-1).

A published version is read-only and cannot be deleted; a correction is a new draft.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from cloudmentor.accounts.models import User
from cloudmentor.core.admin import ReadOnlyAdminMixin
from cloudmentor.core.markdown import render_markdown

from . import services
from .exceptions import PolicyAlreadyPublished, PolicyIncomplete
from .models import PolicyAcceptance, PolicyDocument, PolicyNotice

PUBLISH = "_publish"
FIELD_NAMES = {
    "body_fr": _("texte en français"),
    "body_en": _("texte en anglais"),
    "summary_fr": _("ce qui change, en français"),
    "summary_en": _("ce qui change, en anglais"),
}


def _staff(request: HttpRequest) -> User:
    return cast(User, request.user)


class PolicyDocumentForm(forms.ModelForm[PolicyDocument]):
    class Meta:
        model = PolicyDocument
        fields = ("kind", "summary_fr", "summary_en", "body_fr", "body_en")
        widgets = {
            "body_fr": forms.Textarea(attrs={"rows": 24, "class": "markdown-editor", "spellcheck": "true"}),
            "body_en": forms.Textarea(attrs={"rows": 24, "class": "markdown-editor", "spellcheck": "true"}),
            "summary_fr": forms.Textarea(attrs={"rows": 3}),
            "summary_en": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "summary_fr": _("Une ou deux phrases : montrées dans la bannière de l'accueil et l'e-mail aux membres."),
            "body_fr": _("Markdown : ## titres, **gras**, [liens](https://…), listes. Le texte complet de la version."),
        }


@admin.register(PolicyDocument)
class PolicyDocumentAdmin(admin.ModelAdmin[PolicyDocument]):
    form = PolicyDocumentForm
    list_display = ("__str__", "kind", "version", "status", "created_by", "published_at", "published_by")
    list_filter = ("kind", ("published_at", admin.EmptyFieldListFilter))
    list_select_related = ("created_by", "published_by")
    search_fields = ("summary_fr", "summary_en", "body_fr", "body_en")
    change_form_template = "admin/legal/policydocument/change_form.html"
    readonly_fields = (
        "status",
        "version",
        "created_by",
        "created_at",
        "published_at",
        "published_by",
        "notified",
        "preview_fr",
        "preview_en",
        "site_link",
    )

    def get_fieldsets(self, request: HttpRequest, obj: PolicyDocument | None = None) -> Any:
        publication = ("status", "version", "created_by", "created_at", "published_at", "published_by", "notified")
        return (
            (None, {"fields": ("kind", "summary_fr", "summary_en")}),
            (_("Texte en français"), {"fields": ("body_fr", "preview_fr")}),
            (_("Texte en anglais"), {"fields": ("body_en", "preview_en")}),
            (_("Publication"), {"fields": (*publication, "site_link") if obj and obj.is_published else publication}),
        )

    @admin.display(description=_("état"))
    def status(self, obj: PolicyDocument) -> str:
        return gettext("publiée") if obj.is_published else gettext("brouillon")

    @admin.display(description=_("membres prévenus"))
    def notified(self, obj: PolicyDocument) -> str:
        if not obj.is_published:
            return "—"
        count = obj.notices.count()
        if obj.notified_at:
            return gettext("%(count)d e-mail(s), terminé le %(date)s") % {
                "count": count,
                "date": date_format(timezone.localtime(obj.notified_at), "DATETIME_FORMAT"),
            }
        return gettext("%(count)d e-mail(s) pour l'instant, envoi en cours") % {"count": count}

    def _preview(self, text: str, editor: str) -> str:
        html = render_markdown(text) if text.strip() else ""
        return format_html(
            '<div class="lesson-preview policy-preview prose" data-preview-url="{}" data-editor="{}">{}</div>',
            reverse("admin:legal_policydocument_preview"),
            editor,
            mark_safe(html),  # noqa: S308 - sanitized by nh3
        )

    @admin.display(description=_("aperçu"))
    def preview_fr(self, obj: PolicyDocument) -> str:
        return self._preview(obj.body_fr, "body_fr")

    @admin.display(description=_("aperçu"))
    def preview_en(self, obj: PolicyDocument) -> str:
        return self._preview(obj.body_en, "body_en")

    def get_urls(self) -> list[Any]:
        preview = path("preview/", self.admin_site.admin_view(self.preview_view), name="legal_policydocument_preview")
        return [preview, *super().get_urls()]

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """Render posted Markdown exactly as the policy page will (the editor's live preview)."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        return require_POST(_preview)(request)

    @admin.display(description=_("sur le site"))
    def site_link(self, obj: PolicyDocument) -> str:
        url = reverse("legal:policy_version", kwargs={"kind": obj.kind, "version": obj.version})
        return format_html('<a href="{}">{}</a>', url, url)

    class Media:
        css = {"all": ("learning/css/admin.css",)}
        js = ("core/js/markdown-preview.js",)

    # A published version is read-only and stays.
    def has_change_permission(self, request: HttpRequest, obj: PolicyDocument | None = None) -> bool:
        if obj is not None and obj.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: PolicyDocument | None = None) -> bool:
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # would delete published versions too
        return actions

    def save_model(self, request: HttpRequest, obj: PolicyDocument, form: Any, change: bool) -> None:
        services.policy_draft_save(document=obj, by=_staff(request))

    def delete_model(self, request: HttpRequest, obj: PolicyDocument) -> None:
        services.policy_draft_delete(document=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[PolicyDocument]) -> None:
        for document in queryset:
            services.policy_draft_delete(document=document)

    def _publish(self, request: HttpRequest, obj: PolicyDocument) -> HttpResponse | None:
        try:
            services.policy_publish(document=obj, by=_staff(request))
        except PolicyIncomplete as error:
            names = ", ".join(str(FIELD_NAMES[name]) for name in error.missing)
            messages.error(request, gettext("Publication impossible : il manque %(fields)s.") % {"fields": names})
            return None
        except PolicyAlreadyPublished:
            messages.error(request, gettext("Cette version est déjà publiée."))
            return None
        messages.success(
            request,
            gettext("%(document)s publiée : la bannière est sur l'accueil et les membres vont recevoir un e-mail.")
            % {"document": str(obj)},
        )
        return HttpResponseRedirect(reverse("admin:legal_policydocument_change", args=[obj.pk]))

    def response_add(self, request: HttpRequest, obj: PolicyDocument, post_url_continue: str | None = None) -> Any:
        if PUBLISH in request.POST:
            published = self._publish(request, obj)
            return published or HttpResponseRedirect(reverse("admin:legal_policydocument_change", args=[obj.pk]))
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request: HttpRequest, obj: PolicyDocument) -> Any:
        if PUBLISH in request.POST:
            published = self._publish(request, obj)
            return published or HttpResponseRedirect(reverse("admin:legal_policydocument_change", args=[obj.pk]))
        return super().response_change(request, obj)


def _preview(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        render_markdown(request.POST.get("body", "")[:200_000]), content_type="text/html; charset=utf-8"
    )
    response["Cache-Control"] = "no-store"
    return response


@admin.register(PolicyAcceptance)
class PolicyAcceptanceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[PolicyAcceptance]):
    list_display = ("user", "kind", "version", "accepted_at", "source")
    list_filter = ("kind", "version", "source")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email")


@admin.register(PolicyNotice)
class PolicyNoticeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[PolicyNotice]):
    list_display = ("document", "user", "created_at", "email")
    list_filter = ("document",)
    list_select_related = ("document", "user", "email")
    search_fields = ("user__username", "user__email")
