"""Full-text search of the catalog and its lessons: one entry point, SQLite FTS5 or PostgreSQL behind it (LM-1).

SQLite keeps the virtual table ``learning_course_fts`` in sync with ``learning_course``
by triggers (migration 0002). PostgreSQL builds the document from the same columns.
Either way the query is reduced to words (letters and digits), each matched as a prefix,
all required, accents ignored: "kube deploie" finds "Kubernetes : pods et déploiements".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F, FloatField, Func, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import Course, Lesson, LessonRevision, Status
from .models_paths import LearningPath

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


# --- Lessons (LX-3) -------------------------------------------------------------------------
#
# One row per lesson's *published revision* (what members read, never the draft), keyed by
# the revision's id: SQLite keeps it in the FTS5 table ``learning_lesson_fts`` (rowid =
# revision id), PostgreSQL in ``learning_lesson_search`` with one GIN index per language
# configuration (migration 0004). ``lesson_index`` writes it when a lesson is published;
# every search joins the live lesson and course, so a withdrawn lesson, a draft or a
# withdrawn course never shows, whatever the index holds. Decision 0122.

LESSON_RESULTS = 20
MAX_WORD_LENGTH = 40
SNIPPET_WORDS = 18
# Short names members type for what the lessons spell out (documented in docs/learning.md).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "k8s": ("kubernetes",),
    "kubernetes": ("k8s",),
    "gcp": ("google",),
    "tf": ("terraform",),
    "py": ("python",),
    "js": ("javascript",),
    "gha": ("actions",),
}
# Words too common to tell lessons apart (French and English): left out of the query when
# other words remain; a query of these words alone finds no lesson.
STOP_WORDS = frozenset(
    [
        "a",
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "cet",
        "cette",
        "d",
        "dans",
        "de",
        "des",
        "du",
        "elle",
        "en",
        "est",
        "et",
        "il",
        "ils",
        "je",
        "l",
        "la",
        "le",
        "les",
        "leur",
        "mais",
        "ne",
        "nous",
        "on",
        "ou",
        "par",
        "pas",
        "pour",
        "qu",
        "que",
        "qui",
        "sa",
        "se",
        "ses",
        "son",
        "sont",
        "sur",
        "un",
        "une",
        "vous",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "with",
    ]
)
# How many best matches the full-text index hands over before the live publication state is
# joined; a second, exhaustive pass runs when too many of them are no longer shown.
CANDIDATES = 100
PG_CANDIDATES = 300
# What PostgreSQL stems each course language with; any other language uses the first.
PG_CONFIGS = {"fr": "french", "en": "english"}
_LETTERS = re.compile(r"[^\W_]+", re.UNICODE)
# Markers FTS5's snippet() puts around a match: control characters no lesson keeps
# (they are removed from the indexed text), so the snippet is escaped, then marked.
_OPEN, _CLOSE = "\x02", "\x03"
_MARKDOWN_NOISE = re.compile(r"```[^\n]*|`|\*\*|__|^#{1,6}\s*|^\s*[-*>]\s+|!\[|\]\([^)]*\)|[\x00-\x08\x0b-\x1f]", re.M)


@dataclass
class LessonHit:
    """A lesson found: its title and course always; its snippet only when the reader may open it."""

    lesson: Lesson
    is_locked: bool
    snippet: SafeString | str = ""
    rank: float = 0.0

    @property
    def course(self) -> Course:
        return self.lesson.course


@dataclass
class SearchResults:
    query: str
    courses: list[Course] = field(default_factory=list)
    lessons: list[LessonHit] = field(default_factory=list)
    paths: list[LearningPath] = field(default_factory=list)


def query_words(query: str) -> list[list[str]]:
    """The query as groups of alternative words (a word and its synonyms), all groups required.

    Only letters and digits survive, so no input can be an FTS5 or tsquery operator: quotes,
    NEAR, OR, *, -, parentheses and null bytes are separators like a space.
    """
    groups: list[list[str]] = []
    for word in _LETTERS.findall(query.lower())[:MAX_WORDS]:
        word = _without_accents(word)[:MAX_WORD_LENGTH]
        if not word or word in STOP_WORDS:
            continue
        group = [word, *SYNONYMS.get(word, ())]
        if group not in groups:
            groups.append(group)
    return groups


def lesson_text(body: str) -> str:
    """The words of a lesson's Markdown, without its markup (what snippets show)."""
    return " ".join(_MARKDOWN_NOISE.sub(" ", body).split())


def lesson_index(*, revision: LessonRevision, language: str = "fr") -> None:
    """Index a lesson's newly published revision and forget its previous ones (LX-3).

    Its French and English versions are one row: either language finds the lesson (LX-5).
    """
    title = f"{lesson_text(revision.title)} {lesson_text(revision.title_en)}".strip()
    body = f"{lesson_text(revision.body)} {lesson_text(revision.body_en)}".strip()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "DELETE FROM learning_lesson_search WHERE revision_id = %s OR revision_id IN "
                "(SELECT id FROM learning_lessonrevision WHERE lesson_id = %s)",
                [revision.pk, revision.lesson_id],
            )
            cursor.execute(
                "INSERT INTO learning_lesson_search (revision_id, language, title, body) VALUES (%s, %s, %s, %s)",
                [revision.pk, language, title, body],
            )
        else:
            cursor.execute(
                "DELETE FROM learning_lesson_fts WHERE rowid = %s OR rowid IN "
                "(SELECT id FROM learning_lessonrevision WHERE lesson_id = %s)",
                [revision.pk, revision.lesson_id],
            )
            cursor.execute(
                "INSERT INTO learning_lesson_fts (rowid, title, body) VALUES (%s, %s, %s)", [revision.pk, title, body]
            )


def lessons_index_all() -> int:
    """Index the published revision of every lesson (the migration, the bench, a repair)."""
    revisions = LessonRevision.objects.filter(lesson__revision_id=F("pk")).select_related("lesson__course")
    count = 0
    for revision in revisions.iterator(chunk_size=500):
        lesson_index(revision=revision, language=revision.lesson.course.language)
        count += 1
    return count


def lesson_search(query: str, *, access_level: int, limit: int = LESSON_RESULTS) -> list[LessonHit]:
    """Published lessons of published courses matching `query`, best first (two queries).

    A lesson above `access_level` (and not a free preview) comes with its title and no
    snippet: its text never leaves the database (LX-3, LM-3).
    """
    groups = query_words(query)
    if not groups:
        return []
    if connection.vendor == "postgresql":
        found = _lessons_postgresql(groups, access_level, limit)
    else:
        found = _lessons_sqlite(groups, access_level, limit)
    if not found:
        return []
    lessons = (
        Lesson.objects.select_related("course", "module")
        .only(
            "slug",
            "title",
            "title_en",
            "kind",
            "duration_minutes",
            "is_free_preview",
            "module__title",
            "module__title_en",
            "course__slug",
            "course__title",
            "course__title_en",
            "course__access_level",
            "course__language",
        )
        .in_bulk([lesson_id for lesson_id, _rank, _text in found])
    )
    hits = []
    for lesson_id, rank, text in found:
        lesson = lessons.get(lesson_id)
        if lesson is None:  # withdrawn between the two queries
            continue
        locked = not (lesson.is_free_preview or access_level >= lesson.course.access_level)
        snippet = "" if locked or not text else text
        hits.append(LessonHit(lesson=lesson, is_locked=locked, snippet=snippet, rank=rank))
    return hits


def _marked(text: str) -> SafeString:
    """Escape a snippet, then turn its match markers into <mark> (the only HTML it holds)."""
    html = escape(text).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")
    return mark_safe(html)  # noqa: S308  # escaped above; only <mark> added


def _lessons_sqlite(groups: list[list[str]], access_level: int, limit: int) -> list[tuple[int, float, SafeString]]:
    expression = " AND ".join("(" + " OR ".join(f'"{word}"*' for word in group) + ")" for group in groups)
    # The index ranks its matches alone first (no join per match); fewer than `limit` shown
    # means few matches or many hidden ones: then every match is joined.
    rows = _sqlite_ranked(expression, access_level, limit, CANDIDATES)
    if len(rows) < limit:
        rows = _sqlite_ranked(expression, access_level, limit, None)
    # bm25 is lower for better matches: the rank given out is higher for better ones.
    return [(lesson_id, -score, _marked(text or "")) for lesson_id, score, text in rows]


def _sqlite_ranked(
    expression: str, access_level: int, limit: int, candidates: int | None
) -> list[tuple[int, float, str | None]]:
    sql = """
        WITH best AS (
            SELECT rowid AS revision_id, bm25(learning_lesson_fts, 8.0, 1.0) AS score
            FROM learning_lesson_fts WHERE learning_lesson_fts MATCH %s ORDER BY score LIMIT %s
        ), top AS (
            SELECT best.revision_id, l.id AS lesson_id, best.score,
                   (l.is_free_preview OR c.access_level <= %s) AS is_open
            FROM best
            JOIN learning_lesson l ON l.revision_id = best.revision_id
            JOIN learning_course c ON c.id = l.course_id
            WHERE l.status = %s AND c.status = %s
            ORDER BY best.score, l.id LIMIT %s
        )
        SELECT top.lesson_id, top.score,
               CASE WHEN top.is_open THEN snippet(learning_lesson_fts, 1, char(2), char(3), '…', %s) END
        FROM top JOIN learning_lesson_fts ON learning_lesson_fts.rowid = top.revision_id
        WHERE learning_lesson_fts MATCH %s
        ORDER BY top.score, top.lesson_id
    """
    published = Status.PUBLISHED.value
    params: list[str | int] = [
        expression,
        -1 if candidates is None else candidates,
        access_level,
        published,
        published,
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, SNIPPET_WORDS, expression])
        return list(cursor.fetchall())


def pg_vector(config: str, table: str = "") -> str:
    """The document under one text-search configuration (the stored column ``document``).

    Each text gives its stems under the language's configuration (« déploierons » finds
    « déploiement ») and its whole words under `simple` (so that « deploiem » is a prefix
    of a word, a stem being shorter than most prefixes typed).
    """
    prefix = f"{table}." if table else ""

    def both(column: str) -> str:
        text = f"translate({prefix}{column}, '{ACCENTED}', '{PLAIN}')"
        return f"(to_tsvector('{config}'::regconfig, {text}) || to_tsvector('simple'::regconfig, {text}))"

    return f"setweight({both('title')}, 'A') || setweight({both('body')}, 'B')"


def pg_query(config: str, groups: list[list[str]]) -> tuple[str, list[str]]:
    """The tsquery of the words (each group: a word or its synonyms, as a stem or a prefix)."""
    parts, params = [], []
    for group in groups:
        # Words hold letters and digits only, so the tsquery cannot be malformed.
        terms = " | ".join(f"{word}:*" for word in group)
        parts.append(f"(to_tsquery('{config}', %s) || to_tsquery('simple', %s))")
        params += [terms, terms]
    return " && ".join(parts), params


def _lessons_postgresql(groups: list[list[str]], access_level: int, limit: int) -> list[tuple[int, float, SafeString]]:
    # No second pass as on SQLite: the index holds current revisions only, so the first
    # PG_CANDIDATES matches are hidden ones (withdrawn) only in a catalog mostly withdrawn.
    rows = _postgresql_ranked(groups, access_level, limit, PG_CANDIDATES)
    words = [word for group in groups for word in group]
    return [
        (lesson_id, float(score), _marked(_snippet(body, words)) if body else _marked(""))
        for lesson_id, score, body in rows
    ]


def _postgresql_ranked(
    groups: list[list[str]], access_level: int, limit: int, candidates: int | None
) -> list[tuple[int, float, str | None]]:
    """Rank at most `candidates` matches per language (`None`: all), found through the GIN index.

    Ranking reads each match's stored document (kept out of line, in TOAST): bounding the
    matches ranked bounds the time of a word found in thousands of lessons (decision 0122).
    """
    branches = []
    params: list[str | int | None] = []
    for language, config in PG_CONFIGS.items():
        # Constants, so that the planner picks the partial GIN index of the configuration.
        condition = "language = 'en'" if language == "en" else "language <> 'en'"
        tsquery, terms = pg_query(config, groups)
        branches.append(
            f"SELECT l.id AS lesson_id, s.revision_id, ts_rank(s.document, {tsquery}) AS score, "  # noqa: S608 - constants only, every value a parameter
            "(l.is_free_preview OR c.access_level <= %s) AS is_open "
            "FROM (SELECT revision_id, document FROM learning_lesson_search "
            f"WHERE {condition} AND document @@ ({tsquery}) LIMIT %s) s "
            "JOIN learning_lesson l ON l.revision_id = s.revision_id "
            "JOIN learning_course c ON c.id = l.course_id "
            "WHERE l.status = %s AND c.status = %s"
        )
        params += [*terms, access_level, *terms, candidates, Status.PUBLISHED.value, Status.PUBLISHED.value]
    union = " UNION ALL ".join(f"({branch})" for branch in branches)
    sql = (
        f"WITH hits AS ({union} ORDER BY score DESC, lesson_id LIMIT %s) "  # noqa: S608 - constants only, every value a parameter
        "SELECT hits.lesson_id, hits.score, CASE WHEN hits.is_open THEN s.body END "
        "FROM hits JOIN learning_lesson_search s ON s.revision_id = hits.revision_id "
        "ORDER BY hits.score DESC, hits.lesson_id"
    )
    params.append(limit)
    with transaction.atomic(), connection.cursor() as cursor:
        # Prefix queries are estimated poorly: the planner would read every document rather
        # than ask the GIN index, 80 ms on 10,000 lessons (bench/search.py).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _snippet(text: str, words: list[str]) -> str:
    """Around the first matching word, SNIPPET_WORDS words with each match between markers.

    PostgreSQL's ts_headline cannot match "déploiement" to the accentless query without the
    `unaccent` extension, so the snippet is cut here, by the same word rules as the query.
    """
    tokens = text.replace(_OPEN, " ").replace(_CLOSE, " ").split(" ")

    def matches(token: str) -> bool:
        plain = _without_accents(token.lower())
        return any(part.startswith(word) for part in _LETTERS.findall(plain) for word in words)

    first = next((i for i, token in enumerate(tokens) if matches(token)), 0)
    start = max(0, first - SNIPPET_WORDS // 3)
    window = tokens[start : start + SNIPPET_WORDS]
    marked = [f"{_OPEN}{token}{_CLOSE}" if matches(token) else token for token in window]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + SNIPPET_WORDS < len(tokens) else ""
    return prefix + " ".join(marked) + suffix


def path_search(query: str) -> list[LearningPath]:
    """Published learning paths whose title, role or description (either language) hold every
    word of `query` (as a word prefix, accents ignored; synonyms too), title matches first.

    Paths are a few dozen, composed by staff: they are read in one query and matched here,
    by the same word rules as the full-text indexes.
    """
    groups = query_words(query)
    if not groups:
        return []
    found: list[tuple[int, str, LearningPath]] = []
    for path in LearningPath.objects.filter(status=Status.PUBLISHED).order_by("position", "title"):
        title = _plain_words(f"{path.title} {path.title_en}")
        rest = _plain_words(f"{path.target_role} {path.target_role_en} {path.description} {path.description_en}")
        words = title + rest
        if all(any(w.startswith(alt) for w in words for alt in group) for group in groups):
            in_title = sum(any(w.startswith(alt) for w in title for alt in group) for group in groups)
            found.append((-in_title, path.title, path))
    return [path for _score, _title, path in sorted(found, key=lambda item: item[:2])]


def _plain_words(text: str) -> list[str]:
    return [_without_accents(word) for word in _LETTERS.findall(text.lower())]


def search(query: str, *, access_level: int, courses: QuerySet[Course] | None = None) -> SearchResults:
    """Courses, lessons and learning paths matching `query`, behind one interface (LX-3, LM-1)."""
    base = courses if courses is not None else Course.objects.filter(status=Status.PUBLISHED)
    return SearchResults(
        query=query,
        courses=list(course_search(base, query)) if search_words(query) else [],
        lessons=lesson_search(query, access_level=access_level),
        paths=path_search(query),
    )
