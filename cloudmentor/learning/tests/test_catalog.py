"""The catalog: topics, search, level, duration, plan needed, and what each plan opens (LM-1, TM-3)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from cloudmentor.billing.models import AccessLevel
from cloudmentor.billing.tests.factories import PlanFactory
from cloudmentor.learning import selectors, services
from cloudmentor.learning.models import Course, LessonKind, Level, Resource, Status

from .factories import CourseFactory, LessonFactory, ModuleFactory, TopicFactory

pytestmark = pytest.mark.django_db


def _titles(response) -> list[str]:
    return re.findall(r'class="course-card__title"><a href="[^"]+">([^<]+)</a>', response.content.decode())


def _course(title: str, **fields) -> Course:
    topics = fields.pop("topics", [])
    lesson_title = fields.pop("lesson_title", "Introduction")
    course = CourseFactory(title=title, **fields)
    course.topics.set(topics)
    LessonFactory(module=ModuleFactory(course=course), title=lesson_title)
    services.course_search_document_update(course=course)
    return course


def test_lm1_the_catalog_lists_published_courses_with_level_duration_and_plan(client: Client) -> None:
    """Each card says the level, the estimated duration, the lessons and the plan needed."""
    aws = TopicFactory(slug="aws", name="AWS")
    _course(
        "AWS pour débuter", topics=[aws], level=Level.BEGINNER, duration_minutes=150, access_level=AccessLevel.ESSENTIAL
    )
    _course("Brouillon secret", status=Status.DRAFT)
    _course("Cours retiré", status=Status.WITHDRAWN)

    response = client.get("/courses/")
    html = response.content.decode()

    assert response.status_code == 200
    assert _titles(response) == ["AWS pour débuter"]
    assert "Débutant" in html and "2 h 30" in html and "1 leçon" in html and "Offre Essentiel" in html
    assert not response.cookies


def test_lm1_courses_are_grouped_by_topic_and_filtered_by_topic_level_and_plan(client: Client) -> None:
    aws, k8s = TopicFactory(slug="aws", name="AWS"), TopicFactory(slug="kubernetes", name="Kubernetes")
    _course("AWS avancé", topics=[aws], level=Level.ADVANCED, access_level=AccessLevel.EXPERT)
    _course("AWS débutant", topics=[aws], level=Level.BEGINNER, access_level=AccessLevel.ESSENTIAL)
    _course("Kubernetes", topics=[k8s], level=Level.INTERMEDIATE, access_level=AccessLevel.PRO)

    home = client.get("/courses/").content.decode()
    assert 'href="?topic=aws">AWS <span class="muted">(2)</span>' in home
    assert _titles(client.get("/courses/?topic=aws")) == ["AWS avancé", "AWS débutant"]
    assert _titles(client.get("/courses/?level=intermediate")) == ["Kubernetes"]
    # A plan opens every course of its level and below.
    assert _titles(client.get("/courses/?plan=20")) == ["AWS débutant", "Kubernetes"]
    assert _titles(client.get("/courses/?topic=aws&level=beginner")) == ["AWS débutant"]


def test_lm1_full_text_search_matches_word_prefixes_in_titles_summaries_topics_and_lessons(client: Client) -> None:
    _course("Kubernetes en production", summary="Pods, déploiements et services.")
    _course("Terraform de A à Z", summary="Infrastructure as code.", lesson_title="Modules et registres")
    _course("Linux", summary="Le shell.", topics=[TopicFactory(slug="devops", name="DevOps")])

    assert _titles(client.get("/courses/?q=kube")) == ["Kubernetes en production"]
    assert _titles(client.get("/courses/?q=deploiements pods")) == ["Kubernetes en production"]
    assert _titles(client.get("/courses/?q=registres")) == ["Terraform de A à Z"]
    assert _titles(client.get("/courses/?q=devops")) == ["Linux"]
    assert _titles(client.get("/courses/?q=introuvable")) == []
    assert "Aucun cours ne correspond" in client.get("/courses/?q=introuvable").content.decode()


def test_lm1_search_ignores_accents_and_punctuation(client: Client) -> None:
    _course("Sécurité du cloud")

    assert _titles(client.get("/courses/?q=securite")) == ["Sécurité du cloud"]
    assert _titles(client.get('/courses/?q="sécu*)(:')) == ["Sécurité du cloud"]


def test_lm1_search_follows_changes_and_withdrawals() -> None:
    course = _course("Azure pour tous")
    assert list(selectors.catalog_list(query="azure")) == [course]

    course.title = "Microsoft Cloud pour tous"
    course.save()
    assert list(selectors.catalog_list(query="azure")) == []
    assert list(selectors.catalog_list(query="microsoft")) == [course]

    services.course_withdraw(course=course)
    assert list(selectors.catalog_list(query="microsoft")) == []


def test_lm1_the_catalog_speaks_english_under_en(client: Client) -> None:
    _course("Les bases d'AWS", title_en="AWS basics", summary_en="Start here.")

    response = client.get("/en/courses/")
    html = response.content.decode()

    assert _titles(response) == ["AWS basics"]
    assert "Course catalog" in html and "Start here." in html and "Course in French" in html


def test_tm3_what_each_plan_opens_is_computed_from_the_published_material() -> None:
    """A plan opens its level and every level below, plus every free preview."""
    free = CourseFactory(access_level=AccessLevel.FREE)
    LessonFactory(module=ModuleFactory(course=free), kind=LessonKind.ARTICLE, duration_minutes=30)
    pro = CourseFactory(access_level=AccessLevel.PRO)
    module = ModuleFactory(course=pro)
    LessonFactory(module=module, kind=LessonKind.VIDEO, duration_minutes=60, is_free_preview=True)
    lab = LessonFactory(module=module, kind=LessonKind.LAB, duration_minutes=90)
    LessonFactory(module=module, kind=LessonKind.QUIZ, duration_minutes=20)
    LessonFactory(module=module, published=False)  # a draft counts for nobody
    Resource.objects.create(lesson=lab, title="TP", file="learning/resources/x/tp.zip")
    for course in (free, pro):
        services.course_search_document_update(course=course)

    plans = {plan.level: plan for plan in selectors.material_summary()}

    assert [plans[level].courses for level in AccessLevel] == [1, 1, 2, 2]
    assert plans[AccessLevel.FREE].lessons == 2 and plans[AccessLevel.FREE].free_previews == 1
    assert plans[AccessLevel.FREE].by_kind == {"article": 1, "video": 1}
    assert plans[AccessLevel.PRO].lessons == 4 and plans[AccessLevel.PRO].free_previews == 0
    assert plans[AccessLevel.PRO].by_kind == {"article": 1, "video": 1, "lab": 1, "quiz": 1}
    assert plans[AccessLevel.PRO].minutes == 200 and plans[AccessLevel.PRO].hours == 3
    assert plans[AccessLevel.ESSENTIAL].resources == 0 and plans[AccessLevel.EXPERT].resources == 1


def test_tm3_the_catalog_and_the_home_page_show_what_each_plan_opens(client: Client) -> None:
    LessonFactory(module=ModuleFactory(course=CourseFactory(access_level=AccessLevel.ESSENTIAL)))

    for url in ("/", "/courses/"):
        html = client.get(url).content.decode()
        table = html[html.index('id="plan-material"') :]
        assert "Ce que chaque offre vous ouvre" in html
        assert re.search(r"Cours complets, avec certificat</th><td>0</td><td>1</td><td>1</td><td>1</td>", table), url


def test_tm3_each_plan_on_sale_shows_the_material_it_opens(client: Client) -> None:
    """With plans on sale, the table has one column per plan, computed from its access level."""
    LessonFactory(module=ModuleFactory(course=CourseFactory(access_level=AccessLevel.ESSENTIAL)))
    LessonFactory(module=ModuleFactory(course=CourseFactory(access_level=AccessLevel.EXPERT)))
    PlanFactory(slug="essentiel", name="Essentiel 1 mois", access_level=AccessLevel.ESSENTIAL, position=1)
    PlanFactory(slug="expert", name="Expert 12 mois", access_level=AccessLevel.EXPERT, position=2)

    html = client.get("/courses/").content.decode()
    table = html[html.index('id="plan-material"') :]

    assert '<th scope="col"><a href="/plans/essentiel/subscribe/">Essentiel 1 mois</a></th>' in table
    assert re.search(r"Cours complets, avec certificat</th><td>1</td><td>2</td></tr>", table)
    assert re.search(r"Leçons</th><td>1</td><td>2</td></tr>", table)


def test_tm3_the_summary_follows_publication(django_capture_on_commit_callbacks) -> None:
    course = CourseFactory(access_level=AccessLevel.ESSENTIAL)
    LessonFactory(module=ModuleFactory(course=course))
    assert selectors.material_summary()[1].courses == 1

    with django_capture_on_commit_callbacks(execute=True):
        services.course_withdraw(course=course)

    assert selectors.material_summary()[1].courses == 0


def test_tm3_the_plans_page_says_what_material_each_plan_opens(client: Client) -> None:
    """/plans/ (billing) lists, in each plan's card, the courses and lessons computed from the catalog."""
    essential = CourseFactory(access_level=AccessLevel.ESSENTIAL)
    LessonFactory(module=ModuleFactory(course=essential), kind=LessonKind.VIDEO, duration_minutes=120)
    expert = CourseFactory(access_level=AccessLevel.EXPERT)
    LessonFactory(module=ModuleFactory(course=expert), kind=LessonKind.LAB, duration_minutes=60)
    PlanFactory(slug="essentiel", name="Essentiel 1 mois", access_level=AccessLevel.ESSENTIAL, position=1)
    PlanFactory(slug="expert", name="Expert 12 mois", access_level=AccessLevel.EXPERT, position=2)

    french = client.get("/plans/").content.decode()
    english = client.get("/en/plans/").content.decode()

    essential_card = french[french.index('id="plan-essentiel"') : french.index('id="plan-expert"')]
    expert_card = french[french.index('id="plan-expert"') :]
    assert "1 cours complet, avec certificat" in essential_card
    assert '<span class="plan-material__kind" data-kind="video">1 × vidéo</span>' in essential_card
    assert "2 heures de contenu" in essential_card
    assert "2 cours complets, avec certificat" in expert_card
    assert 'data-kind="lab">1 × travaux pratiques' in expert_card
    assert "2 full courses, with a certificate" in english
