"""The staff site's learning paths (LX-4): administrators compose a path of ordered courses,
with its target role, in French and English, and publish it."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import LearningPath, PathCourse


class PathCourseInline(admin.TabularInline[PathCourse, LearningPath]):
    model = PathCourse
    extra = 1
    fields = ("position", "course")
    autocomplete_fields = ("course",)
    ordering = ("position", "pk")


@admin.register(LearningPath)
class LearningPathAdmin(admin.ModelAdmin[LearningPath]):
    list_display = ("title", "target_role", "status", "position")
    list_filter = ("status",)
    list_editable = ("position",)
    search_fields = ("title", "title_en", "target_role")
    prepopulated_fields = {"slug": ("title",)}
    inlines = (PathCourseInline,)
    fieldsets = (
        (None, {"fields": ("title", "slug", "status", "position")}),
        (_("Rôle visé et description"), {"fields": ("target_role", "description")}),
        (_("En anglais"), {"fields": ("title_en", "target_role_en", "description_en")}),
    )
