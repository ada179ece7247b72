"""Full-text search over 10,000 lessons, on SQLite and on PostgreSQL (LX-3, LM-1).

Seeds 100 published courses of 100 lessons each (bodies of 250 words: function words and
a filler vocabulary in every lesson, then words in 30 %, 10 %, 1 % and 0.1 % of the lessons), indexes them through ``search.lessons_index_all`` (timed), then times
``search.search`` — courses and lessons together, as the catalog asks — for a mix of
queries: common and rare words, prefixes, accents, a synonym (k8s), two words, a word
nobody wrote, a locked reader. Target: p99 under 50 ms on each engine.

Each database is a fresh one: SQLite in a temporary folder, PostgreSQL in a throwaway
cluster started by ``scripts/with-postgres.sh`` (the script re-invokes itself inside it).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import sqlite_then_postgres

COURSES = 100
LESSONS_PER_COURSE = 100
WORDS_PER_LESSON = 250
ROUNDS = 30
TARGET_P99_MS = 50.0
QUERIES = [
    "kubernetes",
    "docker",
    "k8s",
    "python",
    "deploiement",
    "déploi",
    "conteneur image",
    "terraform state",
    "le",
    "service",
    "pipeline yaml",
    "helm chart valeurs",
    "zzzz introuvable",
    "réseau",
    'NEAR("docker" -python) OR *',
]
# Every lesson: French function words and a 3,000-word filler vocabulary; then words in
# about 30 %, 10 %, 1 % and 0.1 % of the lessons (the chance per word written below).
STOP = ["le", "la", "les", "un", "une", "des", "et", "en", "pour", "avec", "sur", "dans", "du", "de", "que", "qui"]
FILLER = [f"terme{n}" for n in range(3000)]
TIERS = [
    (0.0014, ["commande", "fichier", "service", "serveur", "réseau", "sécurité", "stockage", "accès", "clé", "compte"]),
    (0.00042, ["kubernetes", "docker", "conteneur", "image", "pod", "déploiement", "terraform", "pipeline", "aws"]),
    (0.00004, ["python", "helm", "chart", "valeurs", "yaml", "state", "bucket", "iam", "rôle", "politique"]),
    (0.000004, ["istio", "argocd", "crossplane", "keda", "karpenter"]),
]
TITLE_WORDS = TIERS[0][1] + TIERS[1][1]


def _word(rng: random.Random) -> str:
    roll = rng.random()
    for chance, words in TIERS:
        if roll < chance * len(words):
            return rng.choice(words)
        roll -= chance * len(words)
    return rng.choice(STOP) if roll < 0.45 else rng.choice(FILLER)


def _body(rng: random.Random) -> str:
    words = [_word(rng) for _ in range(WORDS_PER_LESSON)]
    sentences = [" ".join(words[i : i + 12]).capitalize() + "." for i in range(0, len(words), 12)]
    return "## Au programme\n\n" + " ".join(sentences) + "\n\n```bash\nkubectl get pods\n```\n"


def seed() -> None:
    from django.db import transaction
    from django.db.models import OuterRef, Subquery
    from django.utils import timezone

    from cloudmentor.learning.models import Course, Lesson, LessonRevision, Module, Status

    rng = random.Random(12)
    now = timezone.now()
    with transaction.atomic():
        courses = Course.objects.bulk_create(
            Course(
                slug=f"cours-{n}",
                title=f"Cours {n} : {rng.choice(TITLE_WORDS)} en pratique",
                summary="Un cours du banc d'essai.",
                access_level=(0, 10, 20, 30)[n % 4],
                status=Status.PUBLISHED,
                published_at=now,
            )
            for n in range(COURSES)
        )
        modules = Module.objects.bulk_create(Module(course=course, title="Module", position=0) for course in courses)
        lessons = Lesson.objects.bulk_create(
            (
                Lesson(
                    module=module,
                    course=module.course,
                    slug=f"lecon-{n}",
                    title=f"Leçon {n} : {rng.choice(TITLE_WORDS)} et {rng.choice(FILLER)}",
                    body=_body(rng),
                    status=Status.PUBLISHED,
                    is_free_preview=n == 0,
                    position=n,
                )
                for module in modules
                for n in range(LESSONS_PER_COURSE)
            ),
            batch_size=2000,
        )
        LessonRevision.objects.bulk_create(
            (LessonRevision(lesson=lesson, number=1, title=lesson.title, body=lesson.body) for lesson in lessons),
            batch_size=2000,
        )
        Lesson.objects.update(revision=Subquery(LessonRevision.objects.filter(lesson=OuterRef("pk")).values("pk")[:1]))


def run_phase(label: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudmentor.settings")
    django.setup()
    from django.db import connection, transaction

    from cloudmentor.learning import search

    seed()
    started = time.perf_counter()
    with transaction.atomic():
        indexed = search.lessons_index_all()
    index_seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    timings: list[float] = []
    per_query: dict[str, list[float]] = {query: [] for query in QUERIES}
    found = 0
    for round_number in range(ROUNDS + 1):
        for n, query in enumerate(QUERIES):
            access_level = (0, 30)[n % 2]
            started = time.perf_counter()
            results = search.search(query, access_level=access_level)
            elapsed = (time.perf_counter() - started) * 1000
            if round_number:  # the first round warms the caches up
                timings.append(elapsed)
                per_query[query].append(elapsed)
                found += len(results.lessons)
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    verdict = "ok" if p99 < TARGET_P99_MS else "MISSED"
    print(f"\n== Search over {indexed:,} lessons, {label} ==")
    print(f"indexing {indexed:,} lessons: {index_seconds:.1f} s")
    print(f"{len(timings)} searches ({len(QUERIES)} queries), {found / len(timings):.1f} lessons found on average")
    print(f"p50 {p50:.1f} ms, max {timings[-1]:.1f} ms")
    slowest = sorted(per_query.items(), key=lambda item: -statistics.median(item[1]))[:4]
    print("slowest queries (median): " + ", ".join(f"{q[:24]!r} {statistics.median(t):.1f} ms" for q, t in slowest))
    print(f"target: p99 < {TARGET_P99_MS:.0f} ms: {p99:.1f} ms {verdict}")
    if verdict != "ok":
        sys.exit(1)


if __name__ == "__main__":
    sys.exit(sqlite_then_postgres(__file__, "search", run_phase))
