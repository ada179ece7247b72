from __future__ import annotations

import factory
from django.utils import timezone

from cloudmentor.newsletter.models import Issue, Source, Subscriber


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    language = "fr"
    source = Source.PUBLIC_FORM
    subscribed_at = factory.LazyFunction(timezone.now)


class IssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Issue

    subject_fr = "Nouveautés de novembre"
    body_fr = "## Trois nouveaux cours\n\nDécouvrez **Kubernetes** en pratique."
    subject_en = "What's new in November"
    body_en = "## Three new courses\n\nLearn **Kubernetes** hands-on."
