"""The staff site's side of exams and certificates (LX-1, LX-2): statistics per question, extra
attempts, revoking a certificate and correcting the legal name it carries. Every write goes
through the services; admin.py wires these into the quiz and certificate pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cloudmentor.accounts.models import User

from . import selectors, services
from .exceptions import CertificateAlreadyRevoked
from .models import Certificate, CertificateReissue, Quiz, QuizAllowance

CHANGE_CERTIFICATE = "learning.change_certificate"


def quiz_statistics_html(quiz: Quiz) -> SafeString:
    """The staff's figures for a quiz: attempts, pass rate, average score, each question hardest first (LX-1)."""
    if quiz.pk is None:
        return format_html("{}", gettext("Les statistiques apparaissent après les premières tentatives."))
    stats = selectors.quiz_statistics(quiz=quiz)
    if not stats.attempts:
        return format_html("{}", gettext("Aucune tentative pour l'instant."))
    summary = format_html(
        "<p>{}</p>",
        gettext("%(attempts)d tentative(s), %(passed)d réussie(s), score moyen %(average)s %%.")
        % {"attempts": stats.attempts, "passed": stats.passed, "average": stats.average_score},
    )
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                row.question.text[:120],
                row.question.topic or "—",
                row.answered,
                "—" if row.success_percent is None else f"{row.success_percent} %",
            )
            for row in stats.questions
        ),
    )
    return format_html(
        '{}<table id="question-statistics"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>'
        "<tbody>{}</tbody></table>",
        summary,
        gettext("Question (la plus difficile d'abord)"),
        gettext("Thème"),
        gettext("Posée"),
        gettext("Réussite"),
        rows,
    )


@admin.register(QuizAllowance)
class QuizAllowanceAdmin(admin.ModelAdmin[QuizAllowance]):
    """Extra attempts granted by support: added with a reason, never changed afterwards (LX-1)."""

    list_display = ("user", "quiz", "extra_attempts", "reason", "granted_by", "granted_at")
    list_select_related = ("user", "quiz__lesson", "granted_by")
    search_fields = ("user__username", "user__email", "quiz__lesson__title")
    raw_id_fields = ("user", "quiz")
    fields = ("user", "quiz", "extra_attempts", "reason")

    def save_model(self, request: HttpRequest, obj: QuizAllowance, form: Any, change: bool) -> None:
        if change:
            raise PermissionDenied
        saved = services.quiz_allowance_grant(
            user=obj.user,
            quiz=obj.quiz,
            extra_attempts=obj.extra_attempts,
            reason=obj.reason,
            by=cast(User, request.user),
        )
        obj.pk = saved.pk

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CertificateReissueInline(admin.TabularInline[CertificateReissue, Certificate]):
    model = CertificateReissue
    extra = 0
    can_delete = False
    fields = ("reissued_at", "previous_name", "new_name", "reason", "reissued_by")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif de la révocation"),
        max_length=300,
        help_text=_("Affiché sur la page publique de vérification et dans le statut du badge."),
    )


class LegalNameCorrectionForm(forms.Form):
    legal_name = forms.CharField(label=_("Nom légal corrigé"), max_length=200)
    reason = forms.CharField(
        label=_("Motif (pièce justificative vue, demande du membre…)"),
        max_length=300,
    )


def certificate_links(certificate: Certificate) -> SafeString:
    """The links of a certificate's staff page: public page, PDF, badge, and the two staff actions."""
    actions = format_html(
        ' · <a href="{}">{}</a>',
        reverse("admin:learning_certificate_correct_name", args=[certificate.pk]),
        gettext("corriger le nom légal"),
    )
    if certificate.revoked_at is None:
        actions += format_html(
            ' · <a href="{}">{}</a>',
            reverse("admin:learning_certificate_revoke", args=[certificate.pk]),
            gettext("révoquer"),
        )
    return format_html(
        '<a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a>{}',
        reverse("learning:certificate_verify", args=[certificate.code]),
        gettext("page de vérification"),
        reverse("learning:certificate_download", args=[certificate.code]),
        gettext("PDF"),
        reverse("learning:certificate_badge", args=[certificate.code]),
        gettext("badge"),
        actions,
    )


def certificate_urls(model_admin: admin.ModelAdmin[Certificate]) -> list[URLPattern]:
    """The staff's pages to revoke a certificate and to correct the name it carries (LX-2)."""
    wrap: Callable[..., Any] = model_admin.admin_site.admin_view

    def _certificate(request: HttpRequest, pk: int) -> Certificate:
        if not request.user.has_perm(CHANGE_CERTIFICATE):
            raise PermissionDenied
        return get_object_or_404(Certificate.objects.select_related("user", "course").defer("pdf"), pk=pk)

    def _page(request: HttpRequest, certificate: Certificate, form: forms.Form, title: str) -> HttpResponse:
        context = {
            **model_admin.admin_site.each_context(request),
            "title": title,
            "certificate": certificate,
            "form": form,
            "opts": Certificate._meta,
        }
        return TemplateResponse(request, "admin/learning/certificate_action.html", context)

    def _back(certificate: Certificate) -> HttpResponseBase:
        return redirect("admin:learning_certificate_change", certificate.pk)

    def revoke(request: HttpRequest, pk: int) -> HttpResponseBase:
        certificate = _certificate(request, pk)
        form = RevokeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.certificate_revoke(
                    certificate=certificate, reason=form.cleaned_data["reason"], by=cast(User, request.user)
                )
            except CertificateAlreadyRevoked:
                messages.error(request, gettext("Ce certificat est déjà révoqué."))
            else:
                messages.success(request, gettext("Certificat révoqué : sa page publique le dit désormais."))
            return _back(certificate)
        return _page(
            request, certificate, form, gettext("Révoquer le certificat %(code)s") % {"code": certificate.code}
        )

    def correct_name(request: HttpRequest, pk: int) -> HttpResponseBase:
        certificate = _certificate(request, pk)
        form = LegalNameCorrectionForm(request.POST or None, initial={"legal_name": certificate.holder_name})
        if request.method == "POST" and form.is_valid():
            reissued = services.certificate_legal_name_correct(
                user=certificate.user,
                legal_name=form.cleaned_data["legal_name"],
                reason=form.cleaned_data["reason"],
                by=cast(User, request.user),
            )
            messages.success(
                request,
                gettext("Nom légal corrigé ; %(count)d certificat(s) réédité(s) à la même adresse.")
                % {"count": len(reissued)},
            )
            return _back(certificate)
        return _page(
            request, certificate, form, gettext("Corriger le nom légal de %(name)s") % {"name": certificate.holder_name}
        )

    return [
        path("<int:pk>/revoke/", wrap(revoke), name="learning_certificate_revoke"),
        path("<int:pk>/correct-name/", wrap(correct_name), name="learning_certificate_correct_name"),
    ]
