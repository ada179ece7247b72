"""Full-text search over courses and lessons, French and English (LX-3, LM-1)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cloudmentor.billing.models import AccessLevel
from cloudmentor.learning import search, services
from cloudmentor.learning.models import Course, Lesson, Status

from .factories import CourseFactory, LessonFactory, ModuleFactory

pytestmark = pytest.mark.django_db

HOSTILE = [
    '"',
    '""',
    "'",
    'docker"',
    '"docker',
    "NEAR(docker python)",
    "NEAR",
    "docker NEAR/2 python",
    "*",
    "docker*",
    "-docker",
    "- -",
    "docker OR",
    "OR",
    "AND NOT",
    "(docker",
    "docker)",
    "((()))",
    "title:docker",
    "body : docker",
    "^docker",
    "docker & | ! :*",
    "\\",
    "%_%",
    "x" * 5000,
    "docker " * 400,
    "日本語 ドッカー",
    "🐳 docker",
    "déploiement Ǆ ﬁ ß",
    "\u202edocker",
    "docker\x00python",
    "\x00",
    "'; DROP TABLE learning_lesson; --",
    "<script>alert(1)</script>",
]


def _lesson(title: str, body: str, *, course: Course | None = None, **fields) -> Lesson:
    course = course or CourseFactory(access_level=AccessLevel.FREE)
    return LessonFactory(module=ModuleFactory(course=course), title=title, body=body, **fields)


def _titles(hits: list[search.LessonHit]) -> list[str]:
    return [hit.lesson.title for hit in hits]


def test_lx3_lessons_are_found_by_the_words_of_their_text_best_first_with_a_marked_snippet() -> None:
    _lesson("Construire une image", "On écrit un Dockerfile puis on lance `docker build` pour créer l'image.")
    _lesson("Docker en production", "Un conteneur Docker redémarre tout seul avec une politique de redémarrage.")
    _lesson("Terraform", "Rien à voir : un plan, un apply.")
    hits = search.lesson_search("docker", access_level=AccessLevel.FREE)
    assert _titles(hits) == ["Docker en production", "Construire une image"]  # the title weighs more
    assert hits[0].rank >= hits[1].rank
    assert "<mark>Docker</mark>" in hits[0].snippet
    assert "<mark>docker</mark> build" in hits[1].snippet


def test_lx3_accents_case_and_word_prefixes_are_ignored_both_ways() -> None:
    _lesson("Déployer", "Les déploiements progressifs réduisent le risque.")
    for query in ["deploiement", "DÉPLOIEMENTS", "déploi", "Deploiem"]:
        assert _titles(search.lesson_search(query, access_level=0)) == ["Déployer"], query
    assert "<mark>déploiements</mark>" in search.lesson_search("deploiement", access_level=0)[0].snippet


def test_lx3_k8s_finds_the_lessons_about_kubernetes() -> None:
    _lesson("Pods", "Kubernetes planifie les pods sur les nœuds.")
    _lesson("Abréviations", "Les habitués écrivent k8s.")
    assert sorted(_titles(search.lesson_search("k8s", access_level=0))) == ["Abréviations", "Pods"]
    assert sorted(_titles(search.lesson_search("kubernetes", access_level=0))) == ["Abréviations", "Pods"]
    assert _titles(search.lesson_search("k8s pods", access_level=0)) == ["Pods"]


def test_lx3_drafts_withdrawn_lessons_and_withdrawn_courses_never_appear() -> None:
    _lesson("Brouillon", "zanzibar en cours d'écriture", published=False)
    withdrawn = _lesson("Retirée", "zanzibar retirée")
    services.lesson_withdraw(lesson=withdrawn)
    hidden_course = CourseFactory(access_level=AccessLevel.FREE)
    _lesson("Cours retiré", "zanzibar du cours retiré", course=hidden_course)
    services.course_withdraw(course=hidden_course)
    draft_course = CourseFactory(access_level=AccessLevel.FREE, status=Status.DRAFT)
    _lesson("Cours en brouillon", "zanzibar du brouillon", course=draft_course)
    visible = _lesson("Publiée", "zanzibar publiée")
    # A draft edit of a published lesson stays private until it is published.
    visible.body = "zanzibar et un mot secret : quetzalcoatl"
    visible.save()
    assert _titles(search.lesson_search("zanzibar", access_level=AccessLevel.EXPERT)) == ["Publiée"]
    assert search.lesson_search("quetzalcoatl", access_level=AccessLevel.EXPERT) == []


def test_lx3_the_index_follows_publishing_again_and_withdrawing() -> None:
    lesson = _lesson("Mise à jour", "Version une : ornithorynque.")
    assert _titles(search.lesson_search("ornithorynque", access_level=0)) == ["Mise à jour"]
    lesson.body = "Version deux : pangolin."
    lesson.save()
    services.lesson_publish(lesson=lesson, by=None)
    assert search.lesson_search("ornithorynque", access_level=0) == []
    assert _titles(search.lesson_search("pangolin", access_level=0)) == ["Mise à jour"]
    services.lesson_withdraw(lesson=lesson)
    assert search.lesson_search("pangolin", access_level=0) == []
    services.lesson_publish(lesson=Lesson.objects.get(pk=lesson.pk), by=None)
    assert _titles(search.lesson_search("pangolin", access_level=0)) == ["Mise à jour"]


def test_lx3_a_locked_lesson_shows_its_title_and_never_its_text() -> None:
    course = CourseFactory(access_level=AccessLevel.PRO, title="Cours Pro")
    _lesson("Secrets d'Helm", "Le mot capybara et tout le contenu payant.", course=course)
    _lesson("Aperçu gratuit", "capybara en aperçu", course=course, is_free_preview=True)
    hits = {hit.lesson.title: hit for hit in search.lesson_search("capybara", access_level=AccessLevel.ESSENTIAL)}
    assert hits["Secrets d'Helm"].is_locked and hits["Secrets d'Helm"].snippet == ""
    assert not hits["Aperçu gratuit"].is_locked and "<mark>capybara</mark>" in hits["Aperçu gratuit"].snippet
    opened = {hit.lesson.title: hit for hit in search.lesson_search("capybara", access_level=AccessLevel.PRO)}
    assert not opened["Secrets d'Helm"].is_locked and "<mark>capybara</mark>" in opened["Secrets d'Helm"].snippet


def test_lx3_the_catalog_page_lists_lessons_with_a_paywall_note_in_french_and_english(client: Client) -> None:
    course = CourseFactory(access_level=AccessLevel.PRO, title="Cours Pro", title_en="Pro course")
    _lesson("Secrets d'Helm", "Le mot capybara et tout le contenu payant.", course=course)
    _lesson("Ouverte", "capybara pour tous", course=CourseFactory(access_level=AccessLevel.FREE))
    page = client.get("/courses/", {"q": "capybara"}).content.decode()
    assert "Leçons" in page and "Secrets d&#x27;Helm" in page and "Ouverte" in page
    assert "contenu payant" not in page
    assert re.search(r"Réservée à l.offre", page)
    assert "<mark>capybara</mark> pour tous" in page
    assert 'href="/courses/' in page
    english = client.get("/en/courses/", {"q": "capybara"}).content.decode()
    assert "Lessons" in english and "Pro course" in english and "contenu payant" not in english
    assert re.search(r"Included in the .+ plan", english)


def test_lx3_snippets_are_escaped_html_with_only_mark_added() -> None:
    _lesson("HTML", 'Ne collez pas <script>alert("docker")</script> ni <b onclick=x>docker</b> ici.')
    snippet = str(search.lesson_search("docker", access_level=0)[0].snippet)
    assert "<script" not in snippet and "<b" not in snippet
    assert "&lt;script&gt;" in snippet
    assert set(re.findall(r"<[^>]*>", snippet)) <= {"<mark>", "</mark>"}


@pytest.mark.filterwarnings("ignore::django.core.cache.backends.base.CacheKeyWarning")
def test_lx3_no_query_ever_fails_or_writes(client: Client, settings) -> None:
    settings.LEARNING_SEARCH_MAX_PER_IP = 1000
    _lesson("Docker", "docker et python")
    before = Lesson.objects.count()
    for query in HOSTILE:
        assert isinstance(search.lesson_search(query, access_level=0), list), query
        search.search(query, access_level=0)
        response = client.get("/courses/", {"q": query})
        assert response.status_code == 200, (query[:40], response.status_code)
        assert client.get("/en/courses/", {"q": query}).status_code == 200
    assert Lesson.objects.count() == before
    assert _titles(search.lesson_search("docker", access_level=0)) == ["Docker"]


def test_lx3_operators_are_plain_words() -> None:
    _lesson("Python", "python")
    assert _titles(search.lesson_search("python NEAR", access_level=0)) == []  # "near" is a word like any other
    assert _titles(search.lesson_search("python OR", access_level=0)) == ["Python"]  # "or" is too common a word
    assert search.lesson_search("le la les de", access_level=0) == []
    assert _titles(search.lesson_search('"python"*', access_level=0)) == ["Python"]
    assert search.query_words('NEAR(k8s "py") -x') == [["near"], ["k8s", "kubernetes"], ["py", "python"], ["x"]]


def test_lx3_courses_and_lessons_are_searched_together() -> None:
    course = CourseFactory(title="Python pour l'automatisation", access_level=AccessLevel.FREE)
    services.course_search_document_update(course=course)
    _lesson("Scripts", "Un script Python qui appelle l'API.")
    results = search.search("python", access_level=0)
    assert [c.title for c in results.courses] == ["Python pour l'automatisation"]
    assert _titles(results.lessons) == ["Scripts"]


def test_lm1_the_results_page_takes_the_same_queries_for_3_or_15_lessons(client: Client) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/courses/", {"q": "ocelot"}).status_code == 200
        return len(queries)

    client.get("/courses/", {"q": "warm"})  # what the first request of a process reads once
    course = CourseFactory(access_level=AccessLevel.PRO)
    for n in range(3):
        _lesson(f"Ocelot {n}", "ocelot", course=course, is_free_preview=n == 0)
    few = count()
    for n in range(12):
        _lesson(f"Ocelot bis {n}", "ocelot", course=CourseFactory(access_level=AccessLevel.FREE))
    assert count() == few


@pytest.mark.postgres_only
def test_lx3_postgresql_answers_from_the_gin_index_of_each_language() -> None:
    english = CourseFactory(access_level=AccessLevel.FREE, language="en")
    _lesson("Rolling updates", "Deployments roll out new pods gradually.", course=english)
    _lesson("Mises à jour", "Les déploiements remplacent les pods peu à peu.")
    # English stems on English lessons, French ones on French lessons.
    assert _titles(search.lesson_search("deploying", access_level=0)) == ["Rolling updates"]
    assert _titles(search.lesson_search("déploierons", access_level=0)) == ["Mises à jour"]
    groups = search.query_words("pods")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for config, predicate in [("french", "<> 'en'"), ("english", "= 'en'")]:
            tsquery, params = search.pg_query(config, groups)
            cursor.execute(
                f"EXPLAIN SELECT revision_id FROM learning_lesson_search "
                f"WHERE language {predicate} AND document @@ ({tsquery})",
                params,
            )
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert f"learning_lesson_search_{config[:2]}" in plan, plan


def test_lx3_the_course_index_triggers_exist_after_every_migration() -> None:
    """SQLite drops a table's triggers when a migration rebuilds it (0007 did, 0008 restores them)."""
    if connection.vendor != "sqlite":
        pytest.skip("triggers keep the SQLite course index only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'learning_course'")
        names = {row[0] for row in cursor.fetchall()}
    assert {"learning_course_fts_insert", "learning_course_fts_update", "learning_course_fts_delete"} <= names
    course = CourseFactory(title="Gouvernance FinOps", access_level=AccessLevel.FREE)
    assert [c.title for c in search.search("finops", access_level=0).courses] == [course.title]


def test_lx3_an_english_lesson_is_found_by_its_english_words_with_its_english_title(client: Client) -> None:
    course = CourseFactory(access_level=AccessLevel.FREE, title="Réseaux", title_en="Networking")
    _lesson(
        "Les sous-réseaux",
        "Un sous-réseau découpe le VPC.",
        course=course,
        title_en="Subnets",
        body_en="A subnet splits the VPC into ranges.",
    )
    assert _titles(search.lesson_search("ranges", access_level=0)) == ["Les sous-réseaux"]
    assert _titles(search.lesson_search("découpe", access_level=0)) == ["Les sous-réseaux"]
    english = client.get("/en/courses/", {"q": "subnet"}).content.decode()
    assert ">Subnets</a>" in english and "Networking" in english
    french = client.get("/courses/", {"q": "subnet"}).content.decode()
    assert ">Les sous-réseaux</a>" in french


def test_lx3_learning_paths_are_found_by_their_title_role_and_description(client: Client) -> None:
    from cloudmentor.learning.models_paths import LearningPath

    LearningPath.objects.create(
        slug="admin-k8s",
        title="Devenir administrateur Kubernetes",
        title_en="Become a Kubernetes administrator",
        target_role="Administrateur de clusters",
        description="Du premier pod au cluster en production.",
        status=Status.PUBLISHED,
    )
    LearningPath.objects.create(slug="brouillon", title="Parcours Kubernetes en brouillon", target_role="x")
    assert [p.slug for p in search.search("k8s admin", access_level=0).paths] == ["admin-k8s"]
    assert [p.slug for p in search.search("déploiement", access_level=0).paths] == []
    assert [p.slug for p in search.search("CLUSTER", access_level=0).paths] == ["admin-k8s"]
    page = client.get("/courses/", {"q": "kubernetes"}).content.decode()
    assert 'href="/paths/admin-k8s/"' in page and "Devenir administrateur Kubernetes" in page
    assert "en brouillon" not in page
    assert "Become a Kubernetes administrator" in client.get("/en/courses/", {"q": "kubernetes"}).content.decode()
