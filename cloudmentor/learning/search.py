"""Full-text search of the catalog: one entry point, SQLite FTS5 or PostgreSQL behind it (LM-1).

SQLite keeps the virtual table ``learning_course_fts`` in sync with ``learning_course``
by triggers (migration 0002). PostgreSQL builds the document from the same columns.
Either way the query is reduced to words (letters and digits), each matched as a prefix,
all required, accents ignored: "kube deploie" finds "Kubernetes : pods et déploiements".
"""

from __future__ import annotations

import re
import unicodedata

from django.db import connection
from django.db.models import F, FloatField, Func, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL

from .models import Course

MAX_WORDS = 8
_WORD = re.compile(r"\w+", re.UNICODE)
# PostgreSQL's `translate()` strips the accents of French (and most Latin) text without the
# `unaccent` extension, which not every hosted PostgreSQL lets a database owner install.
ACCENTED = "àáâäãåçèéêëìíîïñòóôöõùúûüýÿÀÁÂÄÃÅÇÈÉÊËÌÍÎÏÑÒÓÔÖÕÙÚÛÜÝŸ"
PLAIN = "aaaaaaceeeeiiiinooooouuuuyyAAAAAACEEEEIIIINOOOOOUUUUYY"


def search_words(query: str) -> list[str]:
    return _WORD.findall(query.lower())[:MAX_WORDS]


def _without_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def course_search(queryset: QuerySet[Course], query: str) -> QuerySet[Course]:
    """Return the courses of `queryset` matching `query`, best matches first."""
    words = search_words(query)
    if not words:
        return queryset
    if connection.vendor == "postgresql":
        return _postgresql(queryset, words)
    return _sqlite(queryset, words)


def _sqlite(queryset: QuerySet[Course], words: list[str]) -> QuerySet[Course]:
    expression = " ".join(f'"{word}"*' for word in words)
    rank = RawSQL(
        "SELECT rank FROM learning_course_fts WHERE learning_course_fts MATCH %s AND rowid = learning_course.id",
        [expression],
        output_field=FloatField(),
    )
    matches = RawSQL("SELECT rowid FROM learning_course_fts WHERE learning_course_fts MATCH %s", [expression])
    # FTS5's rank is lower for better matches.
    return queryset.filter(pk__in=matches).annotate(search_rank=rank).order_by("search_rank", "title")


def _postgresql(queryset: QuerySet[Course], words: list[str]) -> QuerySet[Course]:
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    def plain(field: str) -> Func:
        return Func(F(field), Value(ACCENTED), Value(PLAIN), function="translate", output_field=TextField())

    vector = (
        SearchVector(plain("title"), weight="A", config="simple")
        + SearchVector(plain("title_en"), weight="A", config="simple")
        + SearchVector(plain("summary"), weight="B", config="simple")
        + SearchVector(plain("summary_en"), weight="B", config="simple")
        + SearchVector(plain("search_document"), weight="C", config="simple")
    )
    # Words hold letters and digits only, so the raw tsquery cannot be malformed.
    terms = " & ".join(f"{_without_accents(word)}:*" for word in words)
    search = SearchQuery(terms, search_type="raw", config="simple")
    return (
        queryset.annotate(search_vector=vector)
        .filter(search_vector=search)
        .annotate(search_rank=SearchRank(F("search_vector"), search))
        .order_by("-search_rank", "title")
    )
