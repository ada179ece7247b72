"""LX-5: a lesson in several languages, with an honest fallback to French."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from cloudmentor.accounts.models import User
from cloudmentor.learning import services
from cloudmentor.learning.lessonpage import local_pages_forget
from cloudmentor.learning.models import Course, Lesson, QuizDraw, Resource

from .factories import CourseFactory, LessonFactory, ModuleFactory, QuizFactory, question_with_choices

pytestmark = pytest.mark.django_db

NOTE_EN = "This lesson is only available in French."
NOTE_FR = "Cette leçon n'existe qu'en français."


def _course() -> Course:
    course: Course = CourseFactory(slug="k8s", title="Kubernetes en prod", title_en="Kubernetes in production")
    return course


def _lessons(course: Course) -> tuple[Lesson, Lesson]:
    module = ModuleFactory(course=course, title="Les bases", title_en="The basics")
    translated = LessonFactory(
        module=module,
        slug="pods",
        title="Les pods",
        title_en="Pods",
        body="## Un pod\n\nLe plus petit objet déployable.\n\n```bash\nkubectl get pods\n```\n",
        body_en="## A pod\n\nThe smallest deployable object.\n\n```bash\nkubectl get pods\n```\n",
        is_free_preview=True,
    )
    french_only = LessonFactory(
        module=module,
        slug="services",
        title="Les services",
        body="## Un service\n\nUne adresse stable devant des pods.\n",
        is_free_preview=True,
    )
    return translated, french_only


def _body(html: str) -> str:
    match = re.search(r'<div class="prose lesson__body"[^>]*>', html)
    assert match is not None
    return match.group(0)


def test_lx5_english_page_shows_the_english_lesson(client: Client) -> None:
    course = _course()
    translated, _other = _lessons(course)
    html = client.get(f"/en/courses/{course.slug}/{translated.slug}/").content.decode()
    assert '<html lang="en"' in html
    assert '<h1 id="lesson-title">Pods</h1>' in html
    assert "<title>Pods ·" in html
    assert "The smallest deployable object." in html
    assert "Le plus petit objet" not in html
    assert NOTE_EN not in html
    assert "lang=" not in _body(html)
    assert "The basics" in html  # the module, in the breadcrumbs and the syllabus
    # Code blocks are the same in both versions.
    assert "kubectl" in html


def test_lx5_english_page_without_english_version_falls_back_to_french_with_a_note(client: Client) -> None:
    course = _course()
    _translated, french_only = _lessons(course)
    html = client.get(f"/en/courses/{course.slug}/{french_only.slug}/").content.decode()
    assert '<html lang="en"' in html
    assert NOTE_EN in html
    assert 'lang="fr"' in _body(html)
    assert "Une adresse stable devant des pods." in html
    assert '<h1 id="lesson-title" lang="fr">Les services</h1>' in html
    # The syllabus lists the other lesson under its English title.
    assert ">Pods</a>" in html


def test_lx5_french_pages_are_unchanged(client: Client) -> None:
    course = _course()
    translated, french_only = _lessons(course)
    for lesson in (translated, french_only):
        html = client.get(f"/courses/{course.slug}/{lesson.slug}/").content.decode()
        assert '<html lang="fr"' in html
        assert NOTE_FR not in html and NOTE_EN not in html
        assert "lang=" not in _body(html)
        assert f'<h1 id="lesson-title">{lesson.title}</h1>' in html
        assert "The smallest deployable object." not in html
        assert "Les bases" in html


def test_lx5_the_english_version_is_published_with_the_revision(client: Client) -> None:
    """A draft's English text reaches readers only once published, like the French one (LM-6)."""
    course = _course()
    _translated, french_only = _lessons(course)
    french_only.body_en = "## A service\n\nA stable address in front of pods.\n"
    french_only.title_en = "Services"
    french_only.save()
    url = f"/en/courses/{course.slug}/{french_only.slug}/"
    assert NOTE_EN in client.get(url).content.decode()
    revision = services.lesson_publish(lesson=french_only, by=None)
    assert revision.body_en.startswith("## A service") and revision.title_en == "Services"
    html = client.get(url).content.decode()
    assert NOTE_EN not in html
    assert "A stable address in front of pods." in html
    assert '<h1 id="lesson-title">Services</h1>' in html
    # The French page still shows the French text (cached per language).
    assert "Une adresse stable" in client.get(f"/courses/{course.slug}/{french_only.slug}/").content.decode()


def _queries(client: Client, url: str) -> int:
    client.get(url)  # warm the caches
    local_pages_forget()
    client.get(url)  # from the shared cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_lx5_english_pages_cost_the_queries_of_french_ones(client: Client, subscriber: User) -> None:
    course = _course()
    translated, french_only = _lessons(course)
    client.force_login(subscriber)
    french = _queries(client, f"/courses/{course.slug}/{translated.slug}/")
    assert _queries(client, f"/en/courses/{course.slug}/{translated.slug}/") == french
    assert _queries(client, f"/en/courses/{course.slug}/{french_only.slug}/") == french
    # A cold page costs the same whether the lesson has an English version or not.
    local_pages_forget()
    cache.clear()
    with CaptureQueriesContext(connection) as cold_translated:
        client.get(f"/en/courses/{course.slug}/{translated.slug}/")
    local_pages_forget()
    cache.clear()
    with CaptureQueriesContext(connection) as cold_french:
        client.get(f"/en/courses/{course.slug}/{french_only.slug}/")
    assert len(cold_translated) == len(cold_french)


def test_lx5_display_titles_follow_the_language() -> None:
    course = _course()
    translated, french_only = _lessons(course)
    with translation.override("en"):
        assert translated.display_title == "Pods" and translated.module.display_title == "The basics"
        assert french_only.display_title == "Les services" and french_only.title_language == "fr"
    with translation.override("fr"):
        assert translated.display_title == "Les pods" and translated.title_language == ""


def test_lx5_course_page_shows_english_description_and_prerequisites(client: Client) -> None:
    course = _course()
    course.description, course.description_en = "Des **pods** partout.", "**Pods** everywhere."
    course.prerequisites, course.prerequisites_en = "Savoir utiliser Docker.", "You can use Docker."
    course.save()
    _lessons(course)
    english = client.get(f"/en/courses/{course.slug}/").content.decode()
    assert "<strong>Pods</strong> everywhere." in english and "You can use Docker." in english
    assert "The basics" in english and ">Pods</a>" in english
    french = client.get(f"/courses/{course.slug}/").content.decode()
    assert "Des <strong>pods</strong> partout." in french and "Savoir utiliser Docker." in french
    assert "Pods everywhere" not in french and "Les bases" in french


def test_lx5_exam_questions_choices_and_explanations_in_english(member_client: Client, subscriber: User) -> None:
    course = _course()
    module = ModuleFactory(course=course, title="Examen", title_en="Exam")
    quiz = QuizFactory(
        lesson=LessonFactory(
            module=module, slug="examen", title="Examen", title_en="Exam", kind="quiz", body="Examen.", body_en="Exam."
        )
    )
    question = question_with_choices(
        quiz, "Qui place les pods ?", [("le scheduler", True), ("le kubelet", False)], explanation="Le **scheduler**."
    )
    question.text_en, question.explanation_en = "Who places pods?", "The **scheduler**."
    question.save()
    right, wrong = question.choices.all()
    right.text_en, wrong.text_en = "the scheduler", "the kubelet"
    right.save()
    wrong.save()
    member_client.post(f"/en/courses/{course.slug}/examen/quiz/start/")
    english = member_client.get(f"/en/courses/{course.slug}/examen/").content.decode()
    assert "Who places pods?" in english and "the scheduler" in english and "Qui place" not in english
    french = member_client.get(f"/courses/{course.slug}/examen/").content.decode()
    assert "Qui place les pods ?" in french and "le kubelet" in french and "Who places" not in french
    draw = QuizDraw.objects.get(user=subscriber)
    response = member_client.post(
        f"/en/courses/{course.slug}/examen/quiz/", {"draw": str(draw.pk), f"q{question.pk}": [str(right.pk)]}
    )
    assert response["Location"].startswith("/en/learn/attempts/")
    review = member_client.get(response["Location"]).content.decode()
    assert "Who places pods?" in review and "The <strong>scheduler</strong>." in review and "the kubelet" in review
    title = review.split("<title>")[1].split("</title>")[0]
    assert "Exam" in title and "Examen" not in title


def test_lx5_the_locked_file_page_names_the_lesson_in_english(client: Client) -> None:
    course = _course()
    module = ModuleFactory(course=course, title="Les bases", title_en="The basics")
    lesson = LessonFactory(module=module, slug="deployments", title="Les déploiements", title_en="Deployments")
    resource = Resource.objects.create(lesson=lesson, title="Manifeste", file=ContentFile(b"kind: Pod", name="p.yaml"))
    html = client.get(f"/en/courses/{course.slug}/{lesson.slug}/files/{resource.pk}/").content.decode()
    assert "<h1>Deployments</h1>" in html and "<title>Deployments" in html
    french = client.get(f"/courses/{course.slug}/{lesson.slug}/files/{resource.pk}/").content.decode()
    assert "<h1>Les déploiements</h1>" in french


def test_lx5_the_dashboard_resumes_with_the_english_lesson_title(member_client: Client, subscriber: User) -> None:
    course = _course()
    translated, _other = _lessons(course)
    LessonFactory(module=translated.module, slug="volumes", title="Les volumes", title_en="Volumes")
    member_client.get(f"/en/courses/{course.slug}/{translated.slug}/")  # the visit marks where the member stopped
    english = member_client.get("/en/learn/").content.decode()
    assert ">Pods</a></h2>" in english and "Les pods" not in english
    assert ">Les pods</a></h2>" in member_client.get("/learn/").content.decode()


def test_lx5_an_exam_question_without_english_is_marked_french(member_client: Client, subscriber: User) -> None:
    course = _course()
    module = ModuleFactory(course=course, title="Examen", title_en="Exam")
    quiz = QuizFactory(lesson=LessonFactory(module=module, slug="examen", kind="quiz", body="Examen.", body_en="Exam."))
    question_with_choices(quiz, "Question en français ?", [("Oui", True), ("Non", False)])
    member_client.post(f"/en/courses/{course.slug}/examen/quiz/start/")
    english = member_client.get(f"/en/courses/{course.slug}/examen/").content.decode()
    assert '<fieldset class="quiz__question" lang="fr">' in english
    french = member_client.get(f"/courses/{course.slug}/examen/").content.decode()
    assert '<fieldset class="quiz__question">' in french


def test_lx5_course_texts_without_english_are_marked_french(client: Client) -> None:
    course = _course()
    course.description, course.prerequisites = "Des **pods** partout.", "Savoir utiliser Docker."
    course.save()
    english = client.get(f"/en/courses/{course.slug}/").content.decode()
    assert '<div class="prose" lang="fr"><p>Des <strong>pods</strong> partout.</p>' in english
    assert '<p lang="fr">Savoir utiliser Docker.</p>' in english
    french = client.get(f"/courses/{course.slug}/").content.decode()
    assert '<div class="prose"><p>Des <strong>pods</strong>' in french and "<p>Savoir utiliser Docker.</p>" in french


def test_lx5_the_score_per_topic_names_topics_in_english(member_client: Client, subscriber: User) -> None:
    course = _course()
    module = ModuleFactory(course=course, title="Examen", title_en="Exam")
    quiz = QuizFactory(lesson=LessonFactory(module=module, slug="examen", kind="quiz", body="Examen.", body_en="Exam."))
    question = question_with_choices(quiz, "Qui place les pods ?", [("le scheduler", True), ("le kubelet", False)])
    question.topic, question.topic_en = "Architecture du cluster", "Cluster architecture"
    question.save()
    wrong = question.choices.get(is_correct=False)
    member_client.post(f"/en/courses/{course.slug}/examen/quiz/start/")
    draw = QuizDraw.objects.get(user=subscriber)
    response = member_client.post(
        f"/en/courses/{course.slug}/examen/quiz/", {"draw": str(draw.pk), f"q{question.pk}": [str(wrong.pk)]}
    )
    english = member_client.get(response["Location"]).content.decode()
    assert "<td>Cluster architecture</td>" in english and "Architecture du cluster" not in english
    french = member_client.get(response["Location"].removeprefix("/en")).content.decode()
    assert "<td>Architecture du cluster</td>" in french
