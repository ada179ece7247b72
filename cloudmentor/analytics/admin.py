"""The request log in the staff site: read-only (a log is never edited by hand)."""

from __future__ import annotations

from typing import TypeVar

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Model
from django.utils.functional import cached_property

from cloudmentor.accounts.models import StaffAccess
from cloudmentor.accounts.roles import StaffAccessAuditMixin
from cloudmentor.core.admin import ReadOnlyAdminMixin

from .models import FillState, RequestRecord, SpoolFile

_ModelT = TypeVar("_ModelT", bound=Model)


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[_ModelT]):
    pass


class EstimatedCountPaginator(Paginator[RequestRecord]):
    """Count an unfiltered request log from PostgreSQL's statistics: COUNT(*) of millions is slow."""

    @cached_property
    def count(self) -> int:
        query = getattr(self.object_list, "query", None)
        if connection.vendor == "postgresql" and query is not None and not query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [RequestRecord._meta.db_table]
                )
                row = cursor.fetchone()
            if row and row[0] > 100_000:
                return int(row[0])
        return int(super().count)


@admin.register(RequestRecord)
class RequestRecordAdmin(StaffAccessAuditMixin, ReadOnlyAdmin[RequestRecord]):
    # A search by address or username is a look at someone's requests (TR-2).
    audit_kind = StaffAccess.Kind.REQUEST_LOG
    list_display = ["requested_at", "method", "path", "status", "user", "ip_address", "browser", "operating_system"]
    list_filter = ["device", "method"]
    list_select_related = ["user"]
    search_fields = ["=ip_address", "=user__username"]
    raw_id_fields = ["user"]
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    ordering = ["-requested_at"]


@admin.register(FillState)
class FillStateAdmin(ReadOnlyAdmin[FillState]):
    list_display = ["metric", "frequency", "filled_until", "updated_at"]
    ordering = ["metric", "frequency"]


@admin.register(SpoolFile)
class SpoolFileAdmin(ReadOnlyAdmin[SpoolFile]):
    list_display = ["name", "records", "skipped", "offset", "ingested_at", "finished_at"]
    ordering = ["-created_at"]
