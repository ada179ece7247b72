"""Subscribing and unsubscribing members and addresses: what is stored and the consent record (PV-4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import User
from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.accounts.tokens import email_change_token
from cloudmentor.legal.services import policy_seed
from cloudmentor.newsletter import services
from cloudmentor.newsletter.exceptions import ConfirmationSuperseded, InvalidToken
from cloudmentor.newsletter.models import ConsentEvent, Source, Subscriber
from cloudmentor.newsletter.selectors import member_status, newsletter_export_for_user
from cloudmentor.newsletter.services import newsletter_erase_for_user
from cloudmentor.newsletter.tests.factories import SubscriberFactory
from cloudmentor.newsletter.tokens import confirm_token
from conftest import submit

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
REGISTRATION = {
    "username": "bob",
    "email": "Bob@Example.org",
    "password": "correct horse battery",
    "accept_terms": "on",
}


def test_pv4_opt_in_at_registration_subscribes_the_members_email(django_capture_on_commit_callbacks: object) -> None:
    """The ticked box of the registration form subscribes the address, with when and from where."""
    policy_seed()
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        response = submit(Client(), "/en/accounts/register/", {**REGISTRATION, "newsletter_opt_in": "on"})

    bob = User.objects.get()
    subscriber = Subscriber.objects.get()
    assert response.status_code == 302
    assert (subscriber.email, subscriber.user, subscriber.language) == ("Bob@Example.org", bob, "en")
    assert (subscriber.status, subscriber.source, subscriber.subscribed_at) == ("subscribed", "registration", T0)
    [event] = ConsentEvent.objects.all()
    assert (event.action, event.source, event.created_at) == ("subscribed", "registration", T0)
    assert len(mail.outbox) == 1  # the welcome email; a member's address needs no confirmation link


def test_pv4_registering_with_a_paid_plan_and_the_box_ticked_subscribes_too() -> None:
    """Billing's registration goes through accounts' registration: the same hook applies."""
    from cloudmentor.billing.services import member_register_with_plan
    from cloudmentor.billing.tests.factories import PlanFactory

    user, _subscription = member_register_with_plan(
        plan=PlanFactory(),
        username="carol",
        email="carol@example.org",
        password="correct horse battery",
        terms_version=None,
        newsletter_opt_in=True,
        language="fr",
    )

    assert Subscriber.objects.get().user == user


def test_pv4_the_unchecked_box_at_registration_subscribes_nobody() -> None:
    policy_seed()
    response = submit(Client(), "/accounts/register/", REGISTRATION)

    assert response.status_code == 302
    assert User.objects.count() == 1
    assert not Subscriber.objects.exists()


def test_pv4_registration_never_resubscribes_an_address_flagged_unsubscribed() -> None:
    """The flag stays: the new member sees it on the account page and may subscribe there."""
    flagged = SubscriberFactory(email="bob@example.org", status="unsubscribed", unsubscribed_at=T0)
    policy_seed()

    submit(Client(), "/accounts/register/", {**REGISTRATION, "newsletter_opt_in": "on"})

    flagged.refresh_from_db()
    assert flagged.status == "unsubscribed" and flagged.user == User.objects.get()
    assert not ConsentEvent.objects.exists()


def test_pv4_a_members_email_change_moves_the_subscription(member: User) -> None:
    subscriber = services.subscriber_subscribe_member(user=member)
    token = email_change_token(user=member, new_email="alice.new@example.org")

    accounts_services.email_change_confirm(user=member, token=token)

    subscriber.refresh_from_db()
    assert subscriber.email == "alice.new@example.org" and subscriber.is_subscribed
    assert ConsentEvent.objects.filter(subscriber=subscriber, action="email_changed").exists()


def test_pv4_an_email_change_onto_an_unsubscribed_address_keeps_it_unsubscribed(member: User) -> None:
    """Two rows become one; an address that said stop is never mailed again."""
    subscriber = services.subscriber_subscribe_member(user=member)
    SubscriberFactory(email="Alice.New@example.org", status="unsubscribed", unsubscribed_at=T0)
    token = email_change_token(user=member, new_email="alice.new@example.org")

    accounts_services.email_change_confirm(user=member, token=token)

    [merged] = Subscriber.objects.all()
    assert merged.pk == subscriber.pk and merged.email == "alice.new@example.org"
    assert merged.status == "unsubscribed" and merged.unsubscribed_at == T0


def test_pv4_unsubscribing_keeps_the_address_flagged(member: User) -> None:
    with time_machine.travel(T0, tick=False):
        services.subscriber_subscribe_member(user=member)
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        services.subscriber_unsubscribe_member(user=member)

    subscriber = Subscriber.objects.get()
    assert subscriber.email == "alice@example.org"
    assert (subscriber.status, subscriber.unsubscribed_at) == ("unsubscribed", T0 + timedelta(days=3))
    assert list(subscriber.consent_events.values_list("action", "source")) == [
        ("subscribed", "account_page"),
        ("unsubscribed", "account_page"),
    ]


def test_pv4_unsubscribing_twice_records_it_once(member: User) -> None:
    subscriber = services.subscriber_subscribe_member(user=member)

    assert services.subscriber_unsubscribe(subscriber=subscriber, source=Source.EMAIL_LINK) is True
    assert services.subscriber_unsubscribe(subscriber=subscriber, source=Source.ONE_CLICK) is False
    assert subscriber.consent_events.filter(action="unsubscribed").count() == 1


def test_pv4_the_public_form_stores_nothing_until_the_owner_confirms(
    django_capture_on_commit_callbacks: object,
) -> None:
    """Double opt-in: the request only sends a link; the address exists once it is followed."""
    with django_capture_on_commit_callbacks(execute=True):
        assert services.subscription_request(email="reader@example.org", language="en") is True

    assert not Subscriber.objects.exists()
    [message] = mail.outbox
    assert message.to == ["reader@example.org"] and "Confirm" in message.subject
    assert "reader@example.org" not in message.body  # the address is not readable in the link


def test_pv4_a_confirmation_link_subscribes_and_links_the_member_with_that_address(member: User) -> None:
    with time_machine.travel(T0, tick=False):
        subscriber = services.subscription_confirm(token=confirm_token(email="ALICE@example.org", language="en"))

    assert (subscriber.status, subscriber.source, subscriber.language) == ("subscribed", "public_form", "en")
    assert subscriber.user == member
    assert member_status(user=member).is_subscribed


def test_pv4_an_old_confirmation_link_never_undoes_a_later_unsubscription() -> None:
    with time_machine.travel(T0, tick=False):
        token = confirm_token(email="reader@example.org", language="fr")
        subscriber = services.subscription_confirm(token=token)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        services.subscriber_unsubscribe(subscriber=subscriber, source=Source.EMAIL_LINK)
    with time_machine.travel(T0 + timedelta(hours=2), tick=False), pytest.raises(ConfirmationSuperseded):
        services.subscription_confirm(token=token)

    subscriber.refresh_from_db()
    assert subscriber.status == "unsubscribed"


def test_pv4_a_confirmation_link_expires(settings: object) -> None:
    with time_machine.travel(T0, tick=False):
        token = confirm_token(email="reader@example.org", language="fr")
    with time_machine.travel(T0 + timedelta(days=8), tick=False), pytest.raises(InvalidToken):
        services.subscription_confirm(token=token)

    assert not Subscriber.objects.exists()


def test_pv4_a_subscribed_address_is_not_sent_another_link(django_capture_on_commit_callbacks: object) -> None:
    SubscriberFactory(email="reader@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        assert services.subscription_request(email="Reader@example.org", language="fr") is False

    assert mail.outbox == []


def test_pv4_one_mailbox_gets_at_most_a_few_confirmation_links_an_hour(
    django_capture_on_commit_callbacks: object, settings: object
) -> None:
    settings.NEWSLETTER_CONFIRM_MAX_PER_ADDRESS = 2
    with django_capture_on_commit_callbacks(execute=True):
        sent = [services.subscription_request(email="reader@example.org", language="fr") for _n in range(4)]

    assert sent == [True, True, False, False]
    assert len(mail.outbox) == 2


def test_pv7_the_member_status_costs_no_query_once_cached(member: User, django_assert_num_queries: object) -> None:
    services.subscriber_subscribe_member(user=member)
    member_status(user=member)

    with django_assert_num_queries(0):
        status = member_status(user=member)
    assert status.is_subscribed

    services.subscriber_unsubscribe_member(user=member)  # the cached copy is stale at once
    assert not member_status(user=member).is_subscribed


def test_pv9_the_newsletter_export_holds_the_subscription_and_its_consent_record(member: User) -> None:
    with time_machine.travel(T0, tick=False):
        services.subscriber_subscribe_member(user=member)

    data = newsletter_export_for_user(member)

    assert data["subscriber"]["email"] == "alice@example.org"
    assert data["subscriber"]["status"] == "subscribed"
    assert data["subscriber"]["subscribed_at"] == "2027-03-01T09:00:00+00:00"
    assert data["consent"] == [{"action": "subscribed", "source": "account_page", "at": "2027-03-01T09:00:00+00:00"}]
    assert newsletter_export_for_user(UserFactory())["subscriber"] is None


def test_pv10_newsletter_erasure_keeps_only_the_flagged_address_and_says_why(member: User) -> None:
    services.subscriber_subscribe_member(user=member)

    summary = newsletter_erase_for_user(member)

    subscriber = Subscriber.objects.get()
    assert subscriber.user is None and subscriber.status == "unsubscribed"
    assert subscriber.consent_events.last().source == "erasure"
    assert summary["kept"] and summary["erased"]


def test_pv9_pv10_the_account_export_and_erasure_include_the_newsletter(
    member: User, django_capture_on_commit_callbacks: object
) -> None:
    from django.utils import timezone

    from cloudmentor.core import personal_data

    services.subscriber_subscribe_member(user=member)
    document = personal_data.export_document(subject=personal_data.Subject.of(member), generated_at=timezone.now())
    assert document["sections"]["newsletter"]["subscriber"]["status"] == "subscribed"

    with django_capture_on_commit_callbacks(execute=True):
        outcomes = accounts_services.account_erase(user=member, actor=None)

    newsletter = next(entry.outcome for entry in outcomes if entry.section.key == "newsletter")
    assert [item.key for item in newsletter.kept] == ["newsletter_address"]
    assert "plus jamais" in str(newsletter.kept[0].why)
    subscriber = Subscriber.objects.get(email="alice@example.org")
    assert subscriber.user is None and subscriber.status == "unsubscribed"
