"""A member's private note on a lesson: written, edited, deleted, seen by them alone, exported, erased (LX-6, PV-9, PV-10)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import User
from cloudmentor.billing.models import AccessLevel
from cloudmentor.core import personal_data
from cloudmentor.learning import selectors, services
from cloudmentor.learning.exceptions import LessonLocked
from cloudmentor.learning.lessonpage import local_pages_forget
from cloudmentor.learning.models import NOTE_MAX_LENGTH, Lesson, LessonNote
from conftest import log_in_client

from .factories import CourseFactory, LessonFactory, ModuleFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/courses/k8s/pods/"
NOTE_URL = URL + "note/"


@pytest.fixture
def lesson() -> Lesson:
    module = ModuleFactory(course=CourseFactory(slug="k8s", access_level=AccessLevel.PRO))
    LessonFactory(module=module, slug="intro", position=1)
    return LessonFactory(module=module, slug="pods", position=2, body="Les pods.")


@pytest.fixture
def reader(member: User, access: Callable[..., None]) -> User:
    access(member, AccessLevel.PRO)
    return member


def _page(client: Client, url: str = URL) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_lx6_a_member_writes_edits_then_deletes_a_private_note_on_a_lesson(
    member_client: Client, reader: User, lesson: Lesson
) -> None:
    """The note is saved with a POST, shown rendered on the lesson, rewritten, then deleted."""
    assert 'id="note"' in _page(member_client) and "Écrire une note" in _page(member_client)

    saved = member_client.post(NOTE_URL, {"body": "Retenir : **kubectl get pods -A**"})

    assert saved.status_code == 302 and saved["Location"] == URL + "#note"
    page = _page(member_client)
    assert "Note enregistrée." in page
    assert "<strong>kubectl get pods -A</strong>" in page and "Modifier ma note" in page

    member_client.post(NOTE_URL, {"body": "Autre chose"})
    assert LessonNote.objects.get(user=reader, lesson=lesson).body == "Autre chose"
    assert "Autre chose" in _page(member_client) and "kubectl get pods -A" not in _page(member_client)

    member_client.post(NOTE_URL, {"body": "Autre chose", "delete": "1"})
    assert not LessonNote.objects.exists()
    assert "Autre chose" not in _page(member_client)


def test_lx6_an_empty_note_deletes_the_note(member_client: Client, reader: User, lesson: Lesson) -> None:
    """Saving an empty note (or only blanks) deletes the one kept."""
    services.lesson_note_save(user=reader, lesson=lesson, body="À revoir")

    member_client.post(NOTE_URL, {"body": "  \r\n "})

    assert not LessonNote.objects.exists()


def test_lx6_a_note_is_seen_by_its_author_only(
    member_client: Client, reader: User, lesson: Lesson, access: Callable[..., None]
) -> None:
    """Another member reading the same lesson (the same shell, the same process) never sees it; nor a visitor."""
    member_client.post(NOTE_URL, {"body": "Mon secret de révision"})
    assert "Mon secret de révision" in _page(member_client)
    other = UserFactory(username="bob", email="bob@example.org")
    access(other, AccessLevel.PRO)
    bob = log_in_client(Client(), other)

    bob_page = _page(bob)
    _page(member_client)  # the author's page again, then the other reader's from the warm shell
    bob_again = _page(bob)

    for page in (bob_page, bob_again):
        assert "Mon secret de révision" not in page and "Écrire une note" in page
    visitor = Client().get(URL).content.decode()
    assert "Mon secret de révision" not in visitor and 'id="note"' not in visitor


def test_lx6_a_note_is_rendered_safely(member_client: Client, reader: User, lesson: Lesson) -> None:
    """Markdown is rendered through the sanitizer: no script, no event handler reaches the page."""
    member_client.post(
        NOTE_URL, {"body": '<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n- un\n- deux'}
    )

    page = _page(member_client)
    body = page.split('class="prose lesson-note__body">', 1)[1].split("</div>", 1)[0]
    assert "<script" not in body and "<img" not in body  # shown as text, never as markup
    assert "<li>un</li>" in body


def test_lx6_a_too_long_note_is_refused_with_its_text_kept_and_nothing_saved(
    member_client: Client, reader: User, lesson: Lesson
) -> None:
    """Past the limit: a 400 page in the reader's language with the reason and the text typed, no row."""
    services.lesson_note_save(user=reader, lesson=lesson, body="Ancienne note")
    text = "x" * (NOTE_MAX_LENGTH + 1)

    response = member_client.post(NOTE_URL, {"body": text})

    assert response.status_code == 400
    page = response.content.decode()
    assert text in page and "Rien n'a été enregistré" in page
    assert LessonNote.objects.get().body == "Ancienne note"
    english = member_client.post("/en" + NOTE_URL, {"body": text}).content.decode()
    assert "Nothing was saved" in english


def test_lx6_a_note_needs_the_csrf_token(reader: User, lesson: Lesson) -> None:
    """A POST without the page's token is refused and writes nothing."""
    client = log_in_client(Client(enforce_csrf_checks=True), reader)

    response = client.post(NOTE_URL, {"body": "Forgé ailleurs"})

    assert response.status_code == 403
    assert not LessonNote.objects.exists()


def test_lx6_a_visitor_is_sent_to_log_in_and_get_is_refused(client: Client, lesson: Lesson) -> None:
    assert client.post(NOTE_URL, {"body": "x"})["Location"].startswith("/accounts/login/")
    assert not LessonNote.objects.exists()


def test_lx6_a_note_on_a_lesson_the_plan_does_not_open_is_refused(
    member_client: Client, member: User, lesson: Lesson
) -> None:
    """Without the plan the lesson needs: a message, no note; deleting stays possible."""
    response = member_client.post(NOTE_URL, {"body": "Je n'ai pas accès"}, follow=True)

    assert "la note n&#x27;a pas été enregistrée" in response.content.decode()
    assert not LessonNote.objects.exists()
    with pytest.raises(LessonLocked):
        services.lesson_note_save(user=member, lesson=lesson, body="Non")
    LessonNote.objects.create(user=member, lesson=lesson, body="Écrite quand le cours était ouvert")
    assert services.lesson_note_delete(user=member, lesson=lesson) is True


def test_lx6_the_lesson_page_costs_no_query_once_warm_and_shows_a_note_change_at_the_next_request(
    member_client: Client, reader: User, lesson: Lesson
) -> None:
    """The note is cached for its reader only, checked against their notes' stamp: a warm page still costs 0 queries."""
    services.lesson_note_save(user=reader, lesson=lesson, body="Première version")
    for _ in range(3):
        _page(member_client)
    with CaptureQueriesContext(connection) as warm:
        page = _page(member_client)
    assert len(warm) == 0, [query["sql"] for query in warm]
    assert "Première version" in page

    services.lesson_note_save(user=reader, lesson=lesson, body="Seconde version")

    page = _page(member_client)
    assert "Seconde version" in page and "Première version" not in page
    with CaptureQueriesContext(connection) as warm_again:
        _page(member_client)
    assert len(warm_again) == 0


def test_lx6_a_long_note_costs_the_lesson_page_no_more_queries_than_none(
    member_client: Client, reader: User, lesson: Lesson
) -> None:
    """Cold (cache emptied), the page costs the same number of queries with or without a note."""
    from django.core.cache import cache

    _page(member_client)  # the enrollment exists

    def cold() -> int:
        cache.clear()
        local_pages_forget()
        with CaptureQueriesContext(connection) as queries:
            _page(member_client)
        return len(queries)

    without = cold()
    services.lesson_note_save(user=reader, lesson=lesson, body="- point\n" * 1000)
    with_note = cold()

    assert with_note == without


def test_lx6_the_note_reads_in_english(member_client: Client, reader: User, lesson: Lesson) -> None:
    services.lesson_note_save(user=reader, lesson=lesson, body="Note")

    page = _page(member_client, "/en" + URL)

    assert "My note" in page and "Edit my note" in page and "Delete the note" in page


def test_pv9_the_data_export_holds_the_notes(reader: User, lesson: Lesson) -> None:
    services.lesson_note_save(user=reader, lesson=lesson, body="À exporter")

    document = personal_data.export_document(subject=personal_data.Subject.of(reader), generated_at=timezone.now())

    notes = document["sections"]["learning"]["notes"]
    assert [(n["course"], n["lesson"], n["note"]) for n in notes] == [("k8s", "pods", "À exporter")]


def test_pv10_erasure_deletes_the_notes_and_no_copy_shows_them_again(
    member_client: Client, reader: User, lesson: Lesson
) -> None:
    """The notes go with the account; the cached copy of the note is stale at once."""
    services.lesson_note_save(user=reader, lesson=lesson, body="À effacer")
    _page(member_client)

    outcomes = accounts_services.account_erase(user=reader, actor=reader)

    assert not LessonNote.objects.exists()
    erased = {item.key: item.count for outcome in outcomes for item in outcome.outcome.erased}
    assert erased["notes"] == 1
    assert "À effacer" not in Client().get(URL).content.decode()
    assert (
        selectors.course_progress(
            user=reader, course=lesson.course, lesson_ids={lesson.pk}, with_certificate=False, with_last_lesson=False
        ).notes
        == {}
    )
