from __future__ import annotations

import factory

from cloudmentor.legal.models import PolicyDocument, PolicyKind


class DraftFactory(factory.django.DjangoModelFactory):
    """A complete draft (both languages, both summaries), ready to publish."""

    class Meta:
        model = PolicyDocument

    kind = PolicyKind.TERMS
    body_fr = factory.Sequence(lambda n: f"## Article 1\n\nTexte français numéro {n}.")
    body_en = factory.Sequence(lambda n: f"## Article 1\n\nEnglish text number {n}.")
    summary_fr = "Les remboursements sont précisés."
    summary_en = "Refunds are made clearer."
