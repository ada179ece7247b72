"""`demo_load` shows what the platform does (LX-8): a member at work, a team, traffic, a subscriber, a donation."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db.models import Max, Min
from django.utils import timezone

from cloudmentor.accounts.models import Group, GroupMembership, User
from cloudmentor.analytics.models import RequestRecord, SpoolFile, StatCount
from cloudmentor.demo.services import demo_load
from cloudmentor.demo.traffic import DEMO_SPOOL_NAME
from cloudmentor.donations.models import Donation
from cloudmentor.learning.models import Certificate, Enrollment, LessonCompletion, LessonNote, QuizAttempt
from cloudmentor.newsletter.models import Subscriber

pytestmark = pytest.mark.django_db


def _snapshot() -> dict[str, Any]:
    return {
        "completions": LessonCompletion.objects.count(),
        "enrollments": Enrollment.objects.count(),
        "attempts": QuizAttempt.objects.count(),
        "certificates": Certificate.objects.count(),
        "notes": LessonNote.objects.count(),
        "members": GroupMembership.objects.count(),
        "requests": RequestRecord.objects.count(),
        "statistics": StatCount.objects.count(),
        "subscribers": Subscriber.objects.count(),
        "donations": Donation.objects.count(),
    }


def test_lx8_the_demo_member_has_progress_in_three_courses_a_passed_exam_a_certificate_and_a_note() -> None:
    demo_load()

    member = User.objects.get(username="demo")
    enrollments = Enrollment.objects.filter(user=member).select_related("course", "last_lesson")
    assert enrollments.count() == 3
    for enrollment in enrollments:
        assert LessonCompletion.objects.filter(user=member, lesson__course=enrollment.course).exists()
    attempt = QuizAttempt.objects.get(user=member)
    assert attempt.is_passed and attempt.score_percent == 100
    certificate = Certificate.objects.get(user=member)
    assert certificate.course.slug == "aws-fondamentaux" and certificate.holder_name == "Sacha Durand"
    assert certificate.pdf  # downloadable; its badge is signed when a badge key is configured
    k8s = enrollments.get(course__slug="kubernetes-en-production")
    assert k8s.completed_at is None and k8s.last_lesson is not None  # « Reprendre » has somewhere to go
    note = LessonNote.objects.get(user=member)
    assert note.lesson.course.slug == "kubernetes-en-production" and "kubectl rollout undo" in note.body
    assert Subscriber.objects.get(email=member.email).is_subscribed  # their own opt-in, from the account page


def test_lx8_the_demo_group_has_three_colleagues_with_progress() -> None:
    demo_load()

    group = Group.objects.get(owner__username="equipe")
    colleagues = [
        membership.user
        for membership in GroupMembership.objects.filter(group=group).select_related("user")
        if membership.user != group.owner and membership.user.is_active
    ]
    with_progress = [user for user in colleagues if LessonCompletion.objects.filter(user=user).exists()]
    assert len(with_progress) >= 3, [user.username for user in colleagues]


def test_lx8_the_staff_statistics_have_weeks_of_plausible_traffic_marked_as_the_demos() -> None:
    demo_load()

    records = RequestRecord.objects.all()
    span = records.aggregate(first=Min("requested_at"), last=Max("requested_at"))
    assert records.count() > 2000
    assert span["last"] - span["first"] > timedelta(days=21) and span["last"] <= timezone.now()
    documentation = [ipaddress.ip_network(net) for net in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]
    addresses = {ipaddress.ip_address(ip) for ip in records.values_list("ip_address", flat=True).distinct()}
    assert all(any(address in net for net in documentation) for address in addresses)  # never a real visitor's
    assert SpoolFile.objects.filter(name=DEMO_SPOOL_NAME).exists()
    assert records.filter(status=200).count() > records.exclude(status=200).count() * 5
    assert StatCount.objects.filter(frequency="day").count() >= 21


def test_lx8_a_newsletter_subscriber_and_a_paid_donation_exist() -> None:
    demo_load()

    assert Subscriber.objects.exists()
    donation = Donation.objects.get()
    assert donation.status == Donation.Status.PAID


def test_lx8_demo_load_run_twice_gives_the_same_data() -> None:
    demo_load()
    first = _snapshot()

    demo_load()

    assert _snapshot() == first
    assert all(first[key] > 0 for key in first), first


def test_lx8_demo_load_runs_again_after_the_demo_plan_ended() -> None:
    """Months later the member's demo plan has ended (lessons closed): `make run` still starts, nothing changes."""
    demo_load()
    first = _snapshot()

    with time_machine.travel(timezone.now() + timedelta(days=200)):
        demo_load()

    after = _snapshot()
    assert {key: after[key] for key in first if key not in ("requests", "statistics")} == {
        key: first[key] for key in first if key not in ("requests", "statistics")
    }
    assert after["requests"] == first["requests"]
