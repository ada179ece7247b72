"""Learning paths (LX-4): the path page and its progress, the path's certificate, a group owner's
assignments with due dates (TM-2), their progress and lateness, reminders, the member's data."""

from __future__ import annotations

import html
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import Group, GroupMembership, User
from cloudmentor.billing import services as billing_services
from cloudmentor.billing.models import AccessLevel, Plan
from cloudmentor.billing.tests.factories import PlanFactory
from cloudmentor.core.personal_data import Subject
from cloudmentor.learning import selectors, services
from cloudmentor.learning.exceptions import PathAssignmentRefused, PathNotCompleted
from cloudmentor.learning.models import (
    Certificate,
    Course,
    Enrollment,
    LearningPath,
    Lesson,
    LessonCompletion,
    PathAssignment,
    PathCompletion,
    PathCourse,
    Status,
)
from cloudmentor.learning.personal_data import SECTION
from cloudmentor.mailing.models import OutboxEmail
from conftest import log_in_client

from .conftest import csrf_token
from .factories import CourseFactory, LessonFactory, ModuleFactory, UserFactory

pytestmark = pytest.mark.django_db


def _course(slug: str, title: str, lessons: int = 2) -> Course:
    module = ModuleFactory(course=CourseFactory(slug=slug, title=title, access_level=AccessLevel.PRO))
    for position in range(1, lessons + 1):
        LessonFactory(module=module, slug=f"{slug}-l{position}", position=position)
    return Course.objects.get(slug=slug)


def _path(slug: str = "admin-k8s", courses: int = 2, status: str = Status.PUBLISHED) -> LearningPath:
    path = LearningPath.objects.create(
        slug=slug,
        title="Devenir administrateur Kubernetes",
        title_en="Become a Kubernetes administrator",
        target_role="Administrateur Kubernetes",
        target_role_en="Kubernetes administrator",
        description="Des conteneurs au cluster en production.",
        status=status,
    )
    for index in range(courses):
        PathCourse.objects.create(path=path, course=_course(f"{slug}-c{index}", f"Cours {index}"), position=index)
    return path


def _progress(user: User, course: Course, done: int) -> None:
    lessons = list(Lesson.objects.filter(course=course).order_by("position"))
    last = lessons[done - 1] if done else None
    Enrollment.objects.create(user=user, course=course, last_lesson=last, last_visited_at=timezone.now())
    for lesson in lessons[:done]:
        LessonCompletion.objects.create(user=user, lesson=lesson)


def _certify(user: User, course: Course) -> Certificate:
    return Certificate.objects.create(user=user, course=course, holder_name="Alice Martin", course_title=course.title)


def _courses(path: LearningPath) -> list[Course]:
    return [step.course for step in path.steps.order_by("position")]


# ---- the path page ------------------------------------------------------------------------------


def test_lx4_the_path_page_shows_the_overall_progress_and_resumes_at_the_last_lesson(
    member: User, member_client: Client
) -> None:
    path = _path()
    first, _second = _courses(path)
    _progress(member, first, 1)  # 1 of 4 lessons

    page = html.unescape(member_client.get("/paths/admin-k8s/").content.decode())

    assert "Devenir administrateur Kubernetes" in page and "Administrateur Kubernetes" in page
    assert "1 leçon(s) sur 4 · 25 %" in page
    assert 'id="path-resume" href="/courses/admin-k8s-c0/admin-k8s-c0-l1/"' in page
    assert page.index("Cours 0") < page.index("Cours 1")  # in the path's order


def test_lx4_resume_leads_to_the_first_course_without_its_certificate(member: User, member_client: Client) -> None:
    path = _path()
    first, _second = _courses(path)
    _progress(member, first, 2)
    _certify(member, first)

    page = member_client.get("/paths/admin-k8s/").content.decode()

    assert 'id="path-resume" href="/courses/admin-k8s-c1/"' in page
    assert "Certificat obtenu" in page


def test_lx4_the_path_list_and_page_in_english_and_for_a_visitor() -> None:
    _path()
    _path("draft-path", courses=1, status=Status.DRAFT)
    client = Client()

    listing = html.unescape(client.get("/en/paths/").content.decode())
    page = html.unescape(client.get("/en/paths/admin-k8s/").content.decode())

    assert "Become a Kubernetes administrator" in listing and "Kubernetes administrator" in listing
    assert "draft-path" not in listing
    assert "Become a Kubernetes administrator" in page and "to follow your progress along this path" in page
    assert client.get("/paths/draft-path/").status_code == 404
    assert "Devenir administrateur Kubernetes" in html.unescape(client.get("/paths/").content.decode())


# ---- the path's certificate ---------------------------------------------------------------------


def test_lx4_the_path_certificate_needs_every_course_certificate_of_the_path(
    member: User, member_client: Client
) -> None:
    path = _path()
    first, second = _courses(path)
    _certify(member, first)
    page = member_client.get("/paths/admin-k8s/")

    refused = member_client.post("/paths/admin-k8s/certificate/", {"csrfmiddlewaretoken": csrf_token(page)})

    assert refused.status_code == 302 and refused["Location"] == "/paths/admin-k8s/"
    assert not PathCompletion.objects.exists()
    followed = html.unescape(member_client.get("/paths/admin-k8s/").content.decode())
    assert "Chaque cours du parcours doit d'abord avoir son certificat." in followed

    revoked = _certify(member, second)
    revoked.revoked_at = timezone.now()
    revoked.save()
    with pytest.raises(PathNotCompleted):
        services.path_complete(user=member, path=path)  # a revoked certificate is no certificate

    Certificate.objects.filter(pk=revoked.pk).update(revoked_at=None)
    assert "Obtenir l'attestation du parcours" in html.unescape(member_client.get("/paths/admin-k8s/").content.decode())
    done = member_client.post("/paths/admin-k8s/certificate/", {"csrfmiddlewaretoken": csrf_token(page)})
    completion = PathCompletion.objects.get()
    assert done["Location"] == f"/path-certificates/{completion.code}/"
    verification = html.unescape(Client().get(done["Location"]).content.decode())
    assert "Attestation authentique" in verification and "Alice Martin" in verification
    assert "Devenir administrateur Kubernetes" in verification
    # Once only.
    assert services.path_complete(user=member, path=path) == completion
    assert Client().get("/path-certificates/AAAA-BBBB/").status_code == 404


# ---- assignments by the group owner ---------------------------------------------------------------


@pytest.fixture
def owner() -> User:
    return UserFactory(username="olga", email="olga@example.org")


@pytest.fixture
def group(owner: User) -> Group:
    plan = PlanFactory(kind=Plan.Kind.GROUP, seats=50, price=Decimal("99.00"), access_level=AccessLevel.PRO)
    billing_services.group_subscription_buy(owner=owner, plan=plan)
    return Group.objects.get(owner=owner)


def _join(group: Group, username: str, language: str = "fr") -> User:
    user = UserFactory(username=username, email=f"{username}@example.org", language=language)
    GroupMembership.objects.create(group=group, user=user)
    accounts_services.group_members_changed(group=group)
    return user


PROGRESS = "/account/group/paths/"
ASSIGN = "/account/group/paths/assign/"


def test_lx4_the_owner_assigns_a_path_with_a_due_date_and_sees_progress_and_lateness(owner: User, group: Group) -> None:
    path = _path()
    bob = _join(group, "bob")
    first, _second = _courses(path)
    _progress(bob, first, 2)
    client = log_in_client(Client(), owner)
    page = client.get(PROGRESS)
    due = timezone.localdate() + timedelta(days=30)

    response = client.post(
        ASSIGN,
        {"csrfmiddlewaretoken": csrf_token(page), "member": bob.pk, "path": path.pk, "due_on": due.isoformat()},
    )

    assert response.status_code == 302 and response["Location"] == PROGRESS + "#paths"
    assignment = PathAssignment.objects.get()
    assert (assignment.member, assignment.group, assignment.due_on, assignment.assigned_by) == (bob, group, due, owner)
    shown = html.unescape(client.get(PROGRESS).content.decode())
    assert 'data-assignment="bob:admin-k8s"' in shown and "50 %" in shown and "Dans les temps" in shown
    # The member sees it on the paths page, with the date.
    member_page = html.unescape(log_in_client(Client(), bob).get("/paths/").content.decode())
    assert 'href="/paths/" id="dashboard-paths"' in log_in_client(Client(), bob).get("/learn/").content.decode()
    assert 'id="group-paths-link"' in client.get("/account/group/progress/").content.decode()
    assert "Assignés par votre groupe" in member_page

    PathAssignment.objects.update(due_on=timezone.localdate() - timedelta(days=1))
    late = html.unescape(client.get(PROGRESS).content.decode())
    assert "En retard" in late
    assert "En retard" in html.unescape(log_in_client(Client(), bob).get("/paths/admin-k8s/").content.decode())
    english = html.unescape(client.get("/en" + PROGRESS).content.decode())
    assert "Assigned paths" in english and "Late" in english
    assert 'aria-label="Withdraw the path Become a Kubernetes administrator from bob"' in english


def test_tm2_only_the_group_owner_assigns_paths(owner: User, group: Group) -> None:
    path = _path()
    bob = _join(group, "bob")
    carl = _join(group, "carl")
    client = log_in_client(Client(), bob)
    page = client.get("/paths/")
    due = (timezone.localdate() + timedelta(days=10)).isoformat()

    response = client.post(
        ASSIGN, {"csrfmiddlewaretoken": csrf_token(page), "member": carl.pk, "path": path.pk, "due_on": due}
    )

    assert response.status_code == 403
    assert not PathAssignment.objects.exists()
    with pytest.raises(PathAssignmentRefused):
        services.path_assign(owner=bob, group=group, member=carl, path=path, due_on=date.today() + timedelta(days=3))
    assert 'id="path-assign"' not in client.get(PROGRESS).content.decode()


def test_lx4_a_bad_assignment_is_refused_with_its_reason_and_nothing_written(owner: User, group: Group) -> None:
    path = _path()
    draft = _path("draft-path", courses=1, status=Status.DRAFT)
    bob = _join(group, "bob")
    stranger = UserFactory(username="zoe", email="zoe@example.org")
    client = log_in_client(Client(), owner)
    token = csrf_token(client.get(PROGRESS))
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    soon = (timezone.localdate() + timedelta(days=5)).isoformat()

    cases = [
        ({"member": bob.pk, "path": path.pk, "due_on": past}, "La date limite est passée"),
        ({"member": bob.pk, "path": path.pk, "due_on": "2205-01-01"}, "plus de trois ans"),
        ({"member": bob.pk, "path": path.pk, "due_on": "demain"}, "Indiquez une date"),
        ({"member": stranger.pk, "path": path.pk, "due_on": soon}, "Sélectionnez un choix valide"),
        ({"member": bob.pk, "path": draft.pk, "due_on": soon}, "Sélectionnez un choix valide"),
    ]
    for data, message in cases:
        response = client.post(ASSIGN, {"csrfmiddlewaretoken": token, **data})
        assert response.status_code == 400, data
        assert message in html.unescape(response.content.decode()), data
    assert not PathAssignment.objects.exists()
    english = client.post(
        "/en" + ASSIGN, {"csrfmiddlewaretoken": token, "member": bob.pk, "path": path.pk, "due_on": past}
    )
    assert "The due date has passed" in html.unescape(english.content.decode())
    # A withdrawn path cannot be assigned through the service either.
    with pytest.raises(PathAssignmentRefused):
        services.path_assign(owner=owner, group=group, member=bob, path=draft, due_on=timezone.localdate())


def test_lx4_assigning_again_moves_the_date_and_the_owner_withdraws_an_assignment(owner: User, group: Group) -> None:
    path = _path()
    bob = _join(group, "bob")
    today = timezone.localdate()
    services.path_assign(owner=owner, group=group, member=bob, path=path, due_on=today + timedelta(days=5))
    PathAssignment.objects.update(reminded_days=7)

    again = services.path_assign(owner=owner, group=group, member=bob, path=path, due_on=today + timedelta(days=20))

    assert PathAssignment.objects.count() == 1 and again.due_on == today + timedelta(days=20)
    assert again.reminded_days is None  # the reminders start over for the new date
    client = log_in_client(Client(), owner)
    token = csrf_token(client.get(PROGRESS))
    assert log_in_client(Client(), bob).post(f"/account/group/paths/{again.pk}/withdraw/").status_code == 403
    assert client.post(f"/account/group/paths/{again.pk}/withdraw/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert not PathAssignment.objects.exists()


def test_pv3_a_member_who_leaves_the_group_leaves_its_path_table_and_gets_no_reminder(
    owner: User, group: Group
) -> None:
    path = _path()
    bob = _join(group, "bob")
    services.path_assign(
        owner=owner, group=group, member=bob, path=path, due_on=timezone.localdate() + timedelta(days=3)
    )
    client = log_in_client(Client(), owner)
    assert 'data-assignment="bob:admin-k8s"' in client.get(PROGRESS).content.decode()

    accounts_services.group_leave(user=bob)

    assert 'data-assignment="bob:admin-k8s"' not in client.get(PROGRESS).content.decode()
    assert services.path_reminders_send() == 0


# ---- reminders ----------------------------------------------------------------------------------


def test_lx4_reminders_go_out_at_j7_and_j1_once_each_in_the_members_language(owner: User, group: Group) -> None:
    path = _path()
    bob = _join(group, "bob")
    emma = _join(group, "emma", language="en")
    today = timezone.localdate()
    due = today + timedelta(days=10)
    for member in (bob, emma):
        services.path_assign(owner=owner, group=group, member=member, path=path, due_on=due)

    assert services.path_reminders_send(today=due - timedelta(days=8)) == 0  # too early
    assert services.path_reminders_send(today=due - timedelta(days=7)) == 2
    assert services.path_reminders_send(today=due - timedelta(days=7)) == 0  # twice: once
    assert services.path_reminders_send(today=due - timedelta(days=3)) == 0  # J-7 sent, J-1 not yet
    assert services.path_reminders_send(today=due - timedelta(days=1)) == 2
    assert services.path_reminders_send(today=due) == 0
    assert services.path_reminders_send(today=due + timedelta(days=1)) == 0  # past: no more

    emails = list(OutboxEmail.objects.order_by("pk"))
    french = [email for email in emails if email.to == "bob@example.org"]
    assert len(french) == 2
    assert all(
        email.subject.startswith("Parcours « Devenir administrateur Kubernetes » à terminer le") for email in french
    )
    assert "dans 7 jours" in french[0].body_text and "dans 1 jour." in french[1].body_text
    english = [email for email in emails if email.to == "emma@example.org"]
    assert len(english) == 2 and all("Become a Kubernetes administrator" in email.subject for email in english)
    assert "in 7 days" in english[0].body_text and "in 1 day" in english[1].body_text
    assert "/en/paths/admin-k8s/" in english[0].body_text


def test_lx4_a_stopped_scheduler_sends_only_the_nearest_reminder_and_none_for_a_completed_path(
    owner: User, group: Group, settings: object
) -> None:
    path = _path(courses=1)
    bob = _join(group, "bob")
    carl = _join(group, "carl")
    today = timezone.localdate()
    for member in (bob, carl):
        services.path_assign(owner=owner, group=group, member=member, path=path, due_on=today + timedelta(days=1))
    _certify(carl, _courses(path)[0])

    assert services.path_reminders_send(today=today) == 1  # J-1 only, and nothing for carl who is done
    assert [email.to for email in OutboxEmail.objects.all()] == ["bob@example.org"]
    settings.LEARNING_PATH_REMINDER_DAYS = []  # type: ignore[attr-defined]  # pytest-django's settings
    assert services.path_reminders_send(today=today) == 0


# ---- speed ------------------------------------------------------------------------------------------


def test_lx4_the_path_pages_and_the_owners_page_cost_the_same_queries_whatever_their_size(
    owner: User, group: Group
) -> None:
    path = _path(courses=1)
    bob = _join(group, "bob")
    services.path_assign(owner=owner, group=group, member=bob, path=path, due_on=timezone.localdate())
    member = log_in_client(Client(), bob)
    client = log_in_client(Client(), owner)

    def counts() -> list[int]:
        result = []
        for who, url in ((member, "/paths/"), (member, "/paths/admin-k8s/"), (client, PROGRESS)):
            who.get(url)
            with CaptureQueriesContext(connection) as queries:
                assert who.get(url).status_code == 200
            # The session's own lookup and touch come and go with time: not the page's cost.
            result.append(sum("accounts_accountsession" not in query["sql"] for query in queries))
        return result

    small = counts()
    for index in range(3):
        PathCourse.objects.create(
            path=path, course=_course(f"more-{index}", f"Plus {index}", lessons=3), position=10 + index
        )
    other = _path("other-path", courses=2)
    for index in range(5):
        extra = _join(group, f"m{index}")
        for each in (path, other):
            services.path_assign(owner=owner, group=group, member=extra, path=each, due_on=timezone.localdate())
        _progress(extra, _courses(path)[0], 1)
    services.path_assign(owner=owner, group=group, member=bob, path=other, due_on=timezone.localdate())

    assert counts() == small, small
    assert small[2] <= 9, small  # the owner's page: group, members, assignments, paths (2), progress (2)


# ---- the member's data ----------------------------------------------------------------------------


def test_lx4_assigned_and_completed_paths_are_in_the_export_and_erased(owner: User, group: Group) -> None:
    path = _path(courses=1)
    bob = _join(group, "bob")
    services.path_assign(owner=owner, group=group, member=bob, path=path, due_on=timezone.localdate())
    _certify(bob, _courses(path)[0])
    services.path_complete(user=bob, path=path)

    exported = selectors.path_export_for_user(user=bob)
    assert exported["path_assignments"][0]["path"] == "Devenir administrateur Kubernetes"
    assert exported["path_completions"][0]["code"] == PathCompletion.objects.get().code

    # Through the registry the data page and the erasure use (PV-9, PV-10).
    subject = Subject.of(bob)
    assert SECTION.export is not None and SECTION.erase is not None
    assert "path_assignments" in dict(SECTION.holds) and "path_completions" in dict(SECTION.holds)
    with translation.override("en"):
        assert "the paths your group assigned you and the paths you completed" in [str(what) for what in SECTION.erases]
    assert SECTION.export(subject)["path_assignments"] == exported["path_assignments"]
    outcome = SECTION.erase(subject)
    assert {item.key: item.count for item in outcome.erased}["path_assignments"] == 1
    assert {item.key: item.count for item in outcome.erased}["path_completions"] == 1
    assert not PathAssignment.objects.exists() and not PathCompletion.objects.exists()
    assert services.path_erase_for_user(user=bob) == {"path_assignments": 0, "path_completions": 0}


# ---- staff ------------------------------------------------------------------------------------------


def test_lx4_an_administrator_composes_a_path_of_ordered_courses_in_the_staff_site(
    staff_client: Client, creator_client: Client
) -> None:
    linux = _course("linux", "Linux")
    k8s = _course("k8s", "Kubernetes")
    add = "/staff/learning/learningpath/add/"
    assert staff_client.get(add).status_code == 200
    response = staff_client.post(
        add,
        {
            "title": "Devenir administrateur Kubernetes",
            "slug": "admin-k8s",
            "status": Status.PUBLISHED,
            "position": 0,
            "target_role": "Administrateur Kubernetes",
            "description": "",
            "title_en": "Become a Kubernetes administrator",
            "target_role_en": "Kubernetes administrator",
            "description_en": "",
            "steps-TOTAL_FORMS": 2,
            "steps-INITIAL_FORMS": 0,
            "steps-0-position": 1,
            "steps-0-course": k8s.pk,
            "steps-1-position": 0,
            "steps-1-course": linux.pk,
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    path = LearningPath.objects.get(slug="admin-k8s")
    assert [step.course.slug for step in path.steps.order_by("position")] == ["linux", "k8s"]
    page = html.unescape(Client().get("/paths/admin-k8s/").content.decode())
    assert page.index("Linux") < page.index("Kubernetes</a>")
    # A content creator's role is their own courses: paths are the administrators' (decision 0124).
    assert creator_client.get(add).status_code == 403


HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    "99999999999999999999",
    "2027-02-30",
    "31/12/1999",
    "9999-12-31",
    "<script>",
    "' OR 1=1 --",
    "\x00",
    "é" * 300,
]


@hypothesis_settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    changes=st.dictionaries(
        st.sampled_from(["member", "path", "due_on", "unexpected"]),
        st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE)),
        max_size=3,
    )
)
def test_lx4_the_assignment_form_answers_hostile_input_without_a_5xx_and_writes_nothing_when_refused(
    owner: User, group: Group, changes: dict[str, str]
) -> None:
    path = LearningPath.objects.filter(slug="admin-k8s").first() or _path(courses=1)
    bob = User.objects.filter(username="bob").first() or _join(group, "bob")
    client = log_in_client(Client(raise_request_exception=False), owner)
    token = csrf_token(client.get(PROGRESS))
    data = {"member": str(bob.pk), "path": str(path.pk), "due_on": timezone.localdate().isoformat(), **changes}
    before = PathAssignment.objects.count()

    response = client.post(ASSIGN, {"csrfmiddlewaretoken": token, **data})

    assert response.status_code in (302, 400), (data, response.status_code)
    if response.status_code == 400:
        assert PathAssignment.objects.count() == before
        assert "field--error" in response.content.decode() or "form-problem" in response.content.decode()
