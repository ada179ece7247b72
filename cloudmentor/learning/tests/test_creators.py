"""Content creators write and publish; drafts stay invisible; members cannot modify material (LM-6, TM-9)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern

from cloudmentor.accounts.models import User
from cloudmentor.billing.models import AccessLevel
from cloudmentor.learning import services
from cloudmentor.learning import urls as learning_urls
from cloudmentor.learning.exceptions import EmptyLesson
from cloudmentor.learning.models import Course, Lesson, LessonRevision, Module, Status

from .conftest import csrf_token
from .factories import AuthorFactory, CourseFactory, LessonFactory, ModuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def module(creator: User) -> Module:
    """A module of a course the creator writes (a creator sees only their own courses, TR-1)."""
    course = CourseFactory(slug="aws", title="AWS", access_level=AccessLevel.FREE)
    course.authors.add(AuthorFactory(name="Claire", user=creator))
    return ModuleFactory(course=course)


def _lesson_form(lesson: Lesson | None, module: Module, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "module": module.pk,
        "title": "Les régions",
        "slug": "regions",
        "kind": "article",
        "duration_minutes": 15,
        "position": 1,
        "body": "## Choisir une région\n\nLa latence compte.",
        "resources-TOTAL_FORMS": 0,
        "resources-INITIAL_FORMS": 0,
        "revisions-TOTAL_FORMS": 0,
        "revisions-INITIAL_FORMS": 0,
    }
    if lesson is not None:
        data.update(
            {"revisions-TOTAL_FORMS": lesson.revisions.count(), "revisions-INITIAL_FORMS": lesson.revisions.count()}
        )
        for index, revision in enumerate(lesson.revisions.all()):
            data[f"revisions-{index}-id"] = revision.pk
            data[f"revisions-{index}-lesson"] = lesson.pk
    data.update(changes)
    return data


def test_lm6_a_creator_writes_a_draft_that_members_do_not_see(
    creator_client: Client, module: Module, client: Client
) -> None:
    page = creator_client.get("/staff/learning/lesson/add/")
    response = creator_client.post(
        "/staff/learning/lesson/add/", _lesson_form(None, module, csrfmiddlewaretoken=csrf_token(page))
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    lesson = Lesson.objects.get(slug="regions")
    assert (lesson.status, lesson.revision, lesson.course) == (Status.DRAFT, None, module.course)
    assert client.get("/courses/aws/regions/").status_code == 404
    assert "Les régions" not in client.get("/courses/aws/").content.decode()
    # The creator previews the draft on the site.
    preview = creator_client.get("/courses/aws/regions/")
    assert preview.status_code == 200 and "Aperçu du brouillon" in preview.content.decode()


def test_lm6_publishing_keeps_each_published_change_as_a_revision(
    creator_client: Client, creator: User, module: Module, client: Client, django_capture_on_commit_callbacks
) -> None:
    lesson = LessonFactory(module=module, slug="regions", body="Version une.")
    page = creator_client.get(f"/staff/learning/lesson/{lesson.pk}/change/")
    token = csrf_token(page)

    # A saved draft does not change what members read…
    creator_client.post(
        f"/staff/learning/lesson/{lesson.pk}/change/",
        _lesson_form(lesson, module, body="Version deux.", csrfmiddlewaretoken=token),
    )
    assert "Version une." in client.get("/courses/aws/regions/").content.decode()

    # …publishing it does, and the first version stays on record.
    with django_capture_on_commit_callbacks(execute=True):
        creator_client.post(
            f"/staff/learning/lesson/{lesson.pk}/change/",
            _lesson_form(
                lesson, module, body="Version deux.", publish="on", revision_note="Précision", csrfmiddlewaretoken=token
            ),
        )
    revisions = list(LessonRevision.objects.filter(lesson=lesson).order_by("number"))
    assert [(r.number, r.body) for r in revisions] == [(1, "Version une."), (2, "Version deux.")]
    assert revisions[1].created_by == creator and revisions[1].note == "Précision"
    assert "Version deux." in client.get("/courses/aws/regions/").content.decode()


def test_lm6_the_editor_previews_markdown_as_members_will_see_it(creator_client: Client, module: Module) -> None:
    page = creator_client.get("/staff/learning/lesson/add/")
    html = page.content.decode()
    assert "core/js/markdown-preview.js" in html and 'data-preview-url="/staff/learning/lesson/preview/"' in html

    response = creator_client.post(
        "/staff/learning/lesson/preview/",
        {"body": "**gras** <script>x()</script> [doc](https://example.org)", "csrfmiddlewaretoken": csrf_token(page)},
    )

    assert response.status_code == 200
    assert "<strong>gras</strong> &lt;script&gt;" in response.content.decode()
    assert 'class="external"' in response.content.decode()


def test_lm6_a_creator_withdraws_a_course(
    creator_client: Client, module: Module, client: Client, django_capture_on_commit_callbacks
) -> None:
    LessonFactory(module=module, slug="regions")
    assert client.get("/courses/aws/").status_code == 200
    page = creator_client.get("/staff/learning/course/")

    with django_capture_on_commit_callbacks(execute=True):
        creator_client.post(
            "/staff/learning/course/",
            {"action": "withdraw", "_selected_action": [module.course.pk], "csrfmiddlewaretoken": csrf_token(page)},
        )

    assert Course.objects.get().status == Status.WITHDRAWN
    assert client.get("/courses/aws/").status_code == 404
    assert client.get("/courses/aws/regions/").status_code == 404


def test_lm6_the_creator_role_writes_material_but_not_members_or_reports(creator_client: Client) -> None:
    assert creator_client.get("/staff/learning/lesson/").status_code == 200
    assert creator_client.get("/staff/accounts/user/").status_code == 403
    assert creator_client.post("/staff/learning/errorreport/1/change/", {}).status_code in {403, 302}


def test_tm9_members_cannot_reach_the_material_editor(member_client: Client, module: Module) -> None:
    lesson = LessonFactory(module=module)

    for url in (
        "/staff/learning/lesson/",
        f"/staff/learning/lesson/{lesson.pk}/change/",
        "/staff/learning/lesson/preview/",
    ):
        response = member_client.post(url, {"body": "vandalisme", "title": "x"})
        assert response.status_code == 302 and "login" in response["Location"], url
    lesson.refresh_from_db()
    assert lesson.body != "vandalisme"


def test_tm9_no_member_page_writes_material(member_client: Client, member: User, module: Module) -> None:
    """Every learning URL that accepts a member's POST writes progress or reports, never material."""
    lesson = LessonFactory(module=module, slug="regions", is_free_preview=True)
    before = (
        Lesson.objects.values_list("title", "body", "status").get(),
        LessonRevision.objects.count(),
        Course.objects.values_list("title", "status").get(),
    )
    names = [pattern.name for pattern in learning_urls.urlpatterns if isinstance(pattern, URLPattern)]

    for name in names:
        url = {
            "home": "/",
            "catalog": "/courses/",
            "course": "/courses/aws/",
            "lesson": "/courses/aws/regions/",
            "lesson_complete": "/courses/aws/regions/complete/",
            "quiz_submit": "/courses/aws/regions/quiz/",
            "quiz_start": "/courses/aws/regions/quiz/start/",
            "report_error": "/courses/aws/regions/report/",
            "resource_download": "/courses/aws/regions/files/1/",
            "dashboard": "/learn/",
            "attempt": "/learn/attempts/1/",
            "certificate_download": "/learn/certificates/X.pdf",
            "certificate_verify": "/certificates/X/",
            "certificate_badge": "/certificates/X/badge.jwt",
            "certificate_status": "/certificates/X/status.json",
            "legal_name": "/learn/certificates/name/",
            "reports": "/account/reports/",
            "group_progress": "/account/group/progress/",
            "group_paths": "/account/group/paths/",
            "group_path_assign": "/account/group/paths/assign/",
            "group_path_unassign": "/account/group/paths/1/withdraw/",
            "paths": "/paths/",
            "path": "/paths/x/",
            "path_complete": "/paths/x/certificate/",
            "path_certificate": "/path-certificates/X/",
            "lesson_note": "/courses/aws/regions/note/",
        }[name]
        member_client.post(
            url,
            {"title": "vandalisme", "body": "vandalisme", "status": "withdrawn", "message": "Une erreur ici, ligne 3."},
        )

    after = (
        Lesson.objects.values_list("title", "body", "status").get(),
        LessonRevision.objects.count(),
        Course.objects.values_list("title", "status").get(),
    )
    assert after == before
    assert lesson.pk
    assert len(names) == 26


def test_lm6_publishing_an_empty_lesson_is_refused(module: Module) -> None:
    lesson = LessonFactory(module=module, body="  ", published=False)

    with pytest.raises(EmptyLesson):
        services.lesson_publish(lesson=lesson, by=None)


def test_lm6_edits_in_the_staff_site_reach_cached_pages(
    creator_client: Client, module: Module, client: Client, django_capture_on_commit_callbacks
) -> None:
    """A visitor's cached lesson page shows a title changed in the staff site at once."""
    lesson = LessonFactory(module=module, slug="regions", title="Les régions")
    assert "Les régions" in client.get("/courses/aws/regions/").content.decode()
    page = creator_client.get(f"/staff/learning/lesson/{lesson.pk}/change/")

    with django_capture_on_commit_callbacks(execute=True):
        creator_client.post(
            f"/staff/learning/lesson/{lesson.pk}/change/",
            _lesson_form(
                lesson, module, title="Régions et zones", body=lesson.body, csrfmiddlewaretoken=csrf_token(page)
            ),
        )

    html = client.get("/courses/aws/regions/").content.decode()
    assert "Régions et zones" in html and "Les régions" not in html
