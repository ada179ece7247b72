from __future__ import annotations

from django.contrib import admin

from .models import PolicyDocument


@admin.register(PolicyDocument)
class PolicyDocumentAdmin(admin.ModelAdmin[PolicyDocument]):
    list_display = ["kind", "version", "language", "title", "published_at"]
    list_filter = ["kind", "language"]
    search_fields = ["title", "body"]
