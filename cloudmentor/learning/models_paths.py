"""Learning paths (LX-4): ordered courses towards a target role, assigned by group owners with a
due date, and the record of a path completed. Imported (and re-exported) by ``models.py``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .models import Course, Status, _certificate_code


def _in_english() -> bool:
    return (get_language() or "").startswith("en")


class LearningPath(models.Model):
    """Courses in an order, towards a role (« Devenir administrateur Kubernetes »); staff compose it."""

    slug = models.SlugField(_("identifiant"), unique=True, max_length=80)
    title = models.CharField(_("titre"), max_length=160)
    title_en = models.CharField(_("titre en anglais"), max_length=160, blank=True)
    target_role = models.CharField(_("rôle visé"), max_length=160)
    target_role_en = models.CharField(_("rôle visé en anglais"), max_length=160, blank=True)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    description_en = models.TextField(_("description en anglais"), max_length=2000, blank=True)
    status = models.CharField(_("état"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("parcours")
        verbose_name_plural = _("parcours")
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        return self.title_en if self.title_en and _in_english() else self.title

    @property
    def display_target_role(self) -> str:
        return self.target_role_en if self.target_role_en and _in_english() else self.target_role

    @property
    def display_description(self) -> str:
        return self.description_en if self.description_en and _in_english() else self.description

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED


class PathCourse(models.Model):
    """One course of a path, at its place in the order."""

    path = models.ForeignKey(LearningPath, verbose_name=_("parcours"), on_delete=models.CASCADE, related_name="steps")
    course = models.ForeignKey(Course, verbose_name=_("cours"), on_delete=models.PROTECT, related_name="path_steps")
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("cours du parcours")
        verbose_name_plural = _("cours du parcours")
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["path", "course"], name="learning_path_course_once")]

    def __str__(self) -> str:
        return f"{self.path} · {self.course}"


class PathAssignment(models.Model):
    """A path a group owner asks a member of their group to finish by a date (LX-4, TM-2).

    One per member and path: assigning again changes the date (and the reminders start over).
    ``reminded_days`` is the smallest « J-N » reminder already sent for this due date.
    """

    group = models.ForeignKey(
        "accounts.Group", verbose_name=_("groupe"), on_delete=models.CASCADE, related_name="path_assignments"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("membre"), on_delete=models.CASCADE, related_name="path_assignments"
    )
    path = models.ForeignKey(
        LearningPath, verbose_name=_("parcours"), on_delete=models.CASCADE, related_name="assignments"
    )
    due_on = models.DateField(_("à terminer le"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigné par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("assigné le"), default=timezone.now)
    reminded_days = models.PositiveSmallIntegerField(_("dernier rappel (jours avant)"), null=True, blank=True)

    class Meta:
        verbose_name = _("parcours assigné")
        verbose_name_plural = _("parcours assignés")
        ordering = ["due_on", "pk"]
        constraints = [models.UniqueConstraint(fields=["member", "path"], name="learning_path_assigned_once")]
        indexes = [models.Index(fields=["due_on"], name="learning_assignment_due_idx")]

    def __str__(self) -> str:
        return f"{self.member} · {self.path} · {self.due_on}"


class PathCompletion(models.Model):
    """The record of a path finished: every course's certificate held; publicly verifiable by its code."""

    code = models.CharField(_("code de vérification"), max_length=19, unique=True, default=_certificate_code)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("membre"), on_delete=models.CASCADE, related_name="path_completions"
    )
    path = models.ForeignKey(
        LearningPath, verbose_name=_("parcours"), on_delete=models.PROTECT, related_name="completions"
    )
    # Snapshots: the record says what was true when the path was completed.
    holder_name = models.CharField(_("titulaire"), max_length=200)
    path_title = models.CharField(_("intitulé du parcours"), max_length=160)
    target_role = models.CharField(_("rôle visé"), max_length=160)
    completed_at = models.DateTimeField(_("terminé le"), default=timezone.now)

    class Meta:
        verbose_name = _("parcours terminé")
        verbose_name_plural = _("parcours terminés")
        ordering = ["-completed_at"]
        constraints = [models.UniqueConstraint(fields=["user", "path"], name="learning_path_completed_once")]

    def __str__(self) -> str:
        return f"{self.code} · {self.holder_name}"
