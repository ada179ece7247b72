"""The staff site for material (content creators and staff) and error reports (staff): LM-6, TM-11.

Creators write the draft of a lesson in Markdown with a live preview and publish it as a
new revision; members only ever see published revisions. Every write goes through the
services, so the page cache and the search index follow.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from cloudmentor.accounts import roles
from cloudmentor.accounts.models import StaffAccess, User
from cloudmentor.core.admin import ReadOnlyAdminMixin
from cloudmentor.core.pagecache import pages_invalidate

from . import (
    admin_exams,
    admin_paths,  # noqa: F401  # registers the learning paths' pages (LX-4)
    rendering,
    services,
)
from .exceptions import EmptyLesson, ReportAlreadySettled
from .models import (
    Author,
    Certificate,
    Choice,
    Course,
    ErrorReport,
    Lesson,
    LessonRevision,
    Module,
    Question,
    Quiz,
    ReportStatus,
    Resource,
    Topic,
)

MARKDOWN_HELP = _(
    "Markdown : ## titres, **gras**, `code`, blocs ```bash … ```, [liens](https://…), ![images](/static/…). "
    "Vidéo, image ou article d'un autre site : @[Titre](https://www.youtube.com/watch?v=…) sur une ligne "
    "seule ; le lecteur ne charge rien avant d'avoir cliqué."
)


_M = TypeVar("_M", bound=Model)


def _staff(request: HttpRequest) -> User:
    """Return the staff member of a staff-site request (the site lets only them in)."""
    return cast(User, request.user)


# How each kind of material reaches the accounts that wrote its course: a content creator
# sees and changes only their own courses (TR-1); topics and authors are shared.
OWNER_PATHS: dict[type[Model], str] = {
    Course: "authors__user",
    Module: "course__authors__user",
    Lesson: "course__authors__user",
    LessonRevision: "lesson__course__authors__user",
    Quiz: "lesson__course__authors__user",
    Question: "quiz__lesson__course__authors__user",
    ErrorReport: "lesson__course__authors__user",
}


def _own(request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Narrow `queryset` to the requester's own courses unless their role sees all the material."""
    path = OWNER_PATHS.get(queryset.model)
    if path is None or roles.user_sees_all_material(request.user):
        return queryset
    return queryset.filter(**{path: request.user}).distinct()


class OwnMaterialMixin:
    """A creator's pages of material show, and let them pick, only what belongs to their courses."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return _own(request, super().get_queryset(request))  # type: ignore[misc]  # a mixin of ModelAdmin

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.related_model in OWNER_PATHS:
            kwargs["queryset"] = _own(request, kwargs.get("queryset") or db_field.related_model._default_manager.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]  # a mixin of ModelAdmin


class MaterialAdmin(OwnMaterialMixin, admin.ModelAdmin[_M]):
    """Every change made here makes the cached pages stale (catalog, course and lesson pages)."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        transaction.on_commit(pages_invalidate)

    def delete_model(self, request: HttpRequest, obj: _M) -> None:
        super().delete_model(request, obj)
        transaction.on_commit(pages_invalidate)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[_M]) -> None:
        super().delete_queryset(request, queryset)
        transaction.on_commit(pages_invalidate)


class PreviewMedia:
    css = {"all": ("learning/css/pygments.css", "learning/css/admin.css")}
    js = ("core/js/markdown-preview.js",)


@admin.register(Topic)
class TopicAdmin(MaterialAdmin[Topic]):
    list_display = ("name", "name_en", "slug", "position")
    list_editable = ("position",)
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name", "name_en")


@admin.register(Author)
class AuthorAdmin(MaterialAdmin[Author]):
    list_display = ("name", "headline", "user")
    search_fields = ("name",)
    raw_id_fields = ("user",)


class ModuleInline(OwnMaterialMixin, admin.TabularInline[Module, Course]):
    model = Module
    extra = 0
    fields = ("position", "title", "title_en")
    ordering = ("position", "pk")


@admin.register(Course)
class CourseAdmin(MaterialAdmin[Course]):
    list_display = ("title", "status", "level", "access_level", "lesson_count", "is_featured", "published_at")
    list_filter = ("status", "level", "access_level", "topics", "language")
    search_fields = ("title", "title_en", "slug")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("topics", "authors")
    readonly_fields = ("status", "published_at", "lesson_count", "view_on_site_link")
    inlines = (ModuleInline,)
    actions = ("publish", "withdraw")
    fieldsets = (
        (None, {"fields": ("title", "slug", "summary", "status", "published_at", "view_on_site_link")}),
        (_("Présentation"), {"fields": ("description", "prerequisites", "level", "duration_minutes", "language")}),
        (_("Accès et classement"), {"fields": ("access_level", "topics", "authors", "is_featured", "lesson_count")}),
        (
            _("Anglais"),
            {"fields": ("title_en", "summary_en", "description_en", "prerequisites_en"), "classes": ("collapse",)},
        ),
    )

    @admin.display(description=_("sur le site"))
    def view_on_site_link(self, obj: Course) -> str:
        if not obj.pk:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("learning:course", args=[obj.slug]), gettext("Voir le cours"))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if not roles.user_sees_all_material(request.user):
            # A creator's new course is theirs: without their author profile they would lose it.
            author = Author.objects.filter(user=_staff(request)).first() or Author.objects.create(
                name=_staff(request).get_full_name() or _staff(request).get_username(), user=_staff(request)
            )
            form.instance.authors.add(author)
        services.course_search_document_update(course=form.instance)

    @admin.action(description=_("Publier les cours sélectionnés"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Course]) -> None:
        for course in queryset:
            services.course_publish(course=course)
        messages.success(request, gettext("%(count)d cours publié(s).") % {"count": len(queryset)})

    @admin.action(description=_("Retirer les cours sélectionnés du catalogue"))
    def withdraw(self, request: HttpRequest, queryset: QuerySet[Course]) -> None:
        for course in queryset:
            services.course_withdraw(course=course)
        messages.success(request, gettext("%(count)d cours retiré(s).") % {"count": len(queryset)})


class ModuleChoiceField(forms.ModelChoiceField[Module]):
    def label_from_instance(self, obj: Module) -> str:
        return f"{obj.course.title} — {obj.position}. {obj.title}"


class LessonForm(forms.ModelForm[Lesson]):
    publish = forms.BooleanField(
        label=_("Publier cette version"),
        required=False,
        help_text=_("Enregistre le brouillon puis le publie comme nouvelle révision, visible des membres."),
    )
    revision_note = forms.CharField(label=_("Note de version"), required=False, max_length=200)
    # The modules the editor may choose (a content creator: their own courses'); None: all.
    module_queryset: QuerySet[Module] | None = None

    class Meta:
        model = Lesson
        fields = (
            "module",
            "title",
            "slug",
            "kind",
            "duration_minutes",
            "is_free_preview",
            "position",
            "body",
            "title_en",
            "body_en",
        )
        widgets = {
            "body": forms.Textarea(attrs={"rows": 28, "class": "markdown-editor", "spellcheck": "true"}),
            # The English version (LX-5): empty, English pages show the French text with a note.
            "body_en": forms.Textarea(
                attrs={"rows": 28, "class": "markdown-editor", "spellcheck": "true", "lang": "en"}
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        modules = self.module_queryset
        self.fields["module"] = ModuleChoiceField(
            queryset=Module.objects.select_related("course").order_by("course__title", "position")
            if modules is None
            else modules,
            label=_("module"),
        )
        self.fields["body"].help_text = MARKDOWN_HELP
        self.fields["body"].required = False
        self.fields["body_en"].help_text = _(
            "Laissé vide, les pages en anglais montrent le texte français avec une note le signalant."
        )


class ResourceInline(admin.TabularInline[Resource, Lesson]):
    model = Resource
    extra = 0
    fields = ("position", "title", "file")


class RevisionInline(admin.TabularInline[LessonRevision, Lesson]):
    model = LessonRevision
    extra = 0
    can_delete = False
    fields = ("number", "title", "note", "created_by", "created_at")
    readonly_fields = fields
    ordering = ("-number",)
    verbose_name_plural = _("révisions publiées")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Lesson)
class LessonAdmin(MaterialAdmin[Lesson]):
    form = LessonForm
    list_display = ("title", "course", "kind", "status", "is_free_preview", "published_revision", "updated_at")
    list_filter = ("status", "kind", "is_free_preview", "course")
    list_select_related = ("course", "revision")
    search_fields = ("title", "slug", "course__title")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("status", "published_revision", "preview", "view_on_site_link")
    inlines = (ResourceInline, RevisionInline)
    actions = ("publish", "withdraw")
    Media = PreviewMedia
    fieldsets = (
        (None, {"fields": ("module", "title", "slug", "kind", "duration_minutes", "is_free_preview", "position")}),
        (_("Contenu"), {"fields": ("body", "preview")}),
        (_("Anglais"), {"fields": ("title_en", "body_en")}),
        (
            _("Publication"),
            {"fields": ("status", "published_revision", "view_on_site_link", "publish", "revision_note")},
        ),
    )

    @admin.display(description=_("révision publiée"))
    def published_revision(self, obj: Lesson) -> str:
        return f"v{obj.revision.number}" if obj.revision else "—"

    @admin.display(description=_("aperçu"))
    def preview(self, obj: Lesson) -> str:
        html = rendering.render_text(obj.body).html if obj.pk else ""
        return format_html(
            '<div class="lesson-preview prose" data-preview-url="{}">{}</div>',
            reverse("admin:learning_lesson_preview"),
            mark_safe(html),  # noqa: S308 - sanitized by nh3
        )

    @admin.display(description=_("sur le site"))
    def view_on_site_link(self, obj: Lesson) -> str:
        if not obj.pk:
            return "—"
        url = reverse("learning:lesson", args=[obj.course.slug, obj.slug])
        return format_html(
            '<a href="{}">{}</a> · <a href="{}?draft=1">{}</a>',
            url,
            gettext("Version publiée"),
            url,
            gettext("Brouillon"),
        )

    def get_urls(self) -> list[Any]:
        preview = path("preview/", self.admin_site.admin_view(self.preview_view), name="learning_lesson_preview")
        return [preview, *super().get_urls()]

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """Render posted Markdown exactly as members will see it (the editor's live preview)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        return require_POST(_preview)(request)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change, **kwargs)
        modules = _own(request, Module.objects.select_related("course").order_by("course__title", "position"))
        return type(form_class.__name__, (form_class,), {"module_queryset": modules})

    def save_model(self, request: HttpRequest, obj: Lesson, form: Any, change: bool) -> None:
        obj.course_id = obj.module.course_id
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        lesson = form.instance
        if form.cleaned_data.get("publish"):
            try:
                revision = services.lesson_publish(
                    lesson=lesson, by=_staff(request), note=form.cleaned_data.get("revision_note", "")
                )
            except EmptyLesson:
                messages.error(request, gettext("Une leçon vide ne peut pas être publiée."))
            else:
                messages.success(request, gettext("Révision v%(number)d publiée.") % {"number": revision.number})

    @admin.action(description=_("Publier le brouillon des leçons sélectionnées"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Lesson]) -> None:
        published = 0
        for lesson in queryset.select_related("course"):
            try:
                services.lesson_publish(lesson=lesson, by=_staff(request))
                published += 1
            except EmptyLesson:
                messages.error(request, gettext("« %(title)s » est vide : non publiée.") % {"title": lesson.title})
        messages.success(request, gettext("%(count)d leçon(s) publiée(s).") % {"count": published})

    @admin.action(description=_("Retirer les leçons sélectionnées"))
    def withdraw(self, request: HttpRequest, queryset: QuerySet[Lesson]) -> None:
        for lesson in queryset.select_related("course"):
            services.lesson_withdraw(lesson=lesson)
        messages.success(request, gettext("%(count)d leçon(s) retirée(s).") % {"count": len(queryset)})


def _preview(request: HttpRequest) -> HttpResponse:
    html = rendering.render_text(request.POST.get("body", "")[:200_000]).html
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


@admin.register(LessonRevision)
class LessonRevisionAdmin(ReadOnlyAdminMixin, OwnMaterialMixin, admin.ModelAdmin[LessonRevision]):
    list_display = ("lesson", "number", "note", "created_by", "created_at")
    list_select_related = ("lesson", "created_by")
    search_fields = ("lesson__title",)
    readonly_fields = ("lesson", "number", "title", "body", "note", "created_by", "created_at")


class QuestionInline(admin.StackedInline[Question, Quiz]):
    model = Question
    extra = 0
    fields = ("position", "topic", "text", "explanation", "topic_en", "text_en", "explanation_en")
    show_change_link = True


@admin.register(Quiz)
class QuizAdmin(MaterialAdmin[Quiz]):
    list_display = ("lesson", "pass_mark_percent", "draw_count", "max_attempts", "cooldown_minutes")
    list_select_related = ("lesson",)
    raw_id_fields = ("lesson",)
    inlines = (QuestionInline,)
    fieldsets = (
        (None, {"fields": ("lesson", "pass_mark_percent")}),
        (
            _("Règles de l'examen (LX-1)"),
            {"fields": ("draw_count", "max_attempts", "cooldown_minutes", "reveal_after_last_attempt")},
        ),
        (_("Statistiques des tentatives"), {"fields": ("statistics",)}),
    )
    readonly_fields = ("statistics",)

    @admin.display(description=_("statistiques par question"))
    def statistics(self, obj: Quiz) -> str:
        return admin_exams.quiz_statistics_html(obj)


class ChoiceInline(admin.TabularInline[Choice, Question]):
    model = Choice
    extra = 2
    fields = ("position", "text", "text_en", "is_correct")


@admin.register(Question)
class QuestionAdmin(MaterialAdmin[Question]):
    list_display = ("__str__", "quiz", "position")
    list_select_related = ("quiz__lesson",)
    raw_id_fields = ("quiz",)
    inlines = (ChoiceInline,)


class ErrorReportForm(forms.ModelForm[ErrorReport]):
    outcome = forms.ChoiceField(
        label=_("issue"),
        choices=[
            ("", _("— à traiter —")),
            (ReportStatus.CORRECTED, _("Corrigé : une révision corrigée est publiée")),
            (ReportStatus.WITHDRAWN, _("Retirer la leçon du catalogue")),
            (ReportStatus.REJECTED, _("Rejeter, avec la réponse ci-dessous")),
        ],
        required=False,
    )

    class Meta:
        model = ErrorReport
        fields = ("staff_reply",)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("outcome") == ReportStatus.REJECTED and not (data.get("staff_reply") or "").strip():
            self.add_error("staff_reply", gettext("Expliquez au membre pourquoi son signalement est rejeté."))
        return data


@admin.register(ErrorReport)
class ErrorReportAdmin(OwnMaterialMixin, admin.ModelAdmin[ErrorReport]):
    """Staff triage of error reports: correct, withdraw or reject with a reply (TM-11).

    A content creator sees the reports on their own courses, without who sent them (TR-1).
    """

    form = ErrorReportForm
    list_display = ("created_at", "lesson", "course", "reporter", "status", "settled_at")
    list_filter = ("status", "created_at")
    list_select_related = ("lesson__course", "reporter")
    search_fields = ("message", "lesson__title", "reporter__username", "reporter__email")
    readonly_fields = (
        "lesson_links",
        "revision_number",
        "reporter",
        "message",
        "created_at",
        "status",
        "settled_at",
        "settled_by",
    )
    fields = (
        "lesson_links",
        "revision_number",
        "reporter",
        "created_at",
        "message",
        "status",
        "outcome",
        "staff_reply",
        "settled_at",
        "settled_by",
    )

    @admin.display(description=_("cours"))
    def course(self, obj: ErrorReport) -> str:
        return obj.lesson.course.title

    @admin.display(description=_("leçon"))
    def lesson_links(self, obj: ErrorReport) -> str:
        lesson = obj.lesson
        return format_html(
            '{} — <a href="{}">{}</a> · <a href="{}">{}</a>',
            lesson.title,
            reverse("admin:learning_lesson_change", args=[lesson.pk]),
            gettext("corriger la leçon"),
            reverse("learning:lesson", args=[lesson.course.slug, lesson.slug]),
            gettext("voir sur le site"),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: ErrorReport | None = None) -> Any:
        if obj is not None and obj.is_settled:
            return (*self.readonly_fields, "staff_reply")
        return self.readonly_fields

    def get_fields(self, request: HttpRequest, obj: ErrorReport | None = None) -> Any:
        fields = list(self.fields)
        if obj is not None and obj.is_settled:
            fields = [name for name in fields if name != "outcome"]
        if not roles.user_sees_all_material(request.user):
            fields = [name for name in fields if name != "reporter"]
        return fields

    def get_list_display(self, request: HttpRequest) -> Any:
        if roles.user_sees_all_material(request.user):
            return self.list_display
        return [name for name in self.list_display if name != "reporter"]

    def get_search_fields(self, request: HttpRequest) -> Any:
        if roles.user_sees_all_material(request.user):
            return self.search_fields
        return [name for name in self.search_fields if not name.startswith("reporter")]

    def save_model(self, request: HttpRequest, obj: ErrorReport, form: Any, change: bool) -> None:
        outcome = form.cleaned_data.get("outcome")
        if not outcome:
            if "staff_reply" in form.changed_data:
                ErrorReport.objects.filter(pk=obj.pk).update(staff_reply=obj.staff_reply)
            return
        try:
            services.error_report_settle(report=obj, outcome=outcome, reply=obj.staff_reply, by=_staff(request))
        except ReportAlreadySettled:
            messages.error(request, gettext("Ce signalement a déjà été traité."))


@admin.register(Certificate)
class CertificateAdmin(roles.StaffAccessAuditMixin, admin.ModelAdmin[Certificate]):
    # A member's certificate carries their legal name: opening it is recorded for them (TR-2).
    audit_kind = StaffAccess.Kind.CERTIFICATE

    def audit_reference(self, obj: Certificate) -> str:
        return obj.code

    list_display = ("code", "holder_name", "course_title", "issued_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("code", "holder_name", "user__username", "user__email")
    readonly_fields = (
        "code",
        "user",
        "course",
        "holder_name",
        "course_title",
        "issued_at",
        "revoked_at",
        "revoked_reason",
        "revoked_by",
        "links",
    )
    exclude = ("pdf", "badge")
    inlines = (admin_exams.CertificateReissueInline,)

    @admin.display(description=_("liens"))
    def links(self, obj: Certificate) -> str:
        return admin_exams.certificate_links(obj)

    def get_urls(self) -> list[Any]:
        return [*admin_exams.certificate_urls(self), *super().get_urls()]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Certificate]:
        return super().get_queryset(request).defer("pdf", "badge")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
