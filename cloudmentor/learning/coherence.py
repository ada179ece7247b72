"""What makes the pages kept for visitors and the lesson shells stale, whoever writes the rows.

Pages (`core.pagecache`), lesson pages and their shells (`lessonpage`), renderings of the
material and the plans' summary are checked against the pages' stamp (`core.stamps.PAGES_STAMP`).
The publishing services and the staff site's material pages bump it; these receivers bump it
for every other write of a row those pages show: a save through the model (a script, a data
migration, a service added later), a delete, a cascade. queryset.update() sends no signal:
its callers bump the stamp themselves (docs/decisions/0090-one-coherence-rule.md).
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from cloudmentor.core import stamps

from .models import Author, Certificate, Choice, Course, Lesson, LessonRevision, Module, Question, Quiz, Resource, Topic

# Every row of these shows on a page kept for visitors or in a lesson shell.
MATERIAL = (Topic, Author, Course, Module, Lesson, LessonRevision, Resource, Quiz, Question, Choice)


def on_material_written(sender: type, instance: Any, **kwargs: Any) -> None:
    stamps.pages_invalidate()


def on_certificate_written(sender: type, instance: Any, created: bool = False, **kwargs: Any) -> None:
    # A new certificate was on no page yet (an unknown code's 404 is never kept): issuing one,
    # at every course completion, leaves the cached pages alone. A change or a delete does not.
    if not created:
        stamps.pages_invalidate()


def connect() -> None:
    """Connect the receivers (`LearningConfig.ready`)."""
    for model in MATERIAL:
        label = model._meta.model_name
        post_save.connect(on_material_written, sender=model, dispatch_uid=f"learning_pages_saved_{label}")
        post_delete.connect(on_material_written, sender=model, dispatch_uid=f"learning_pages_deleted_{label}")
    post_save.connect(on_certificate_written, sender=Certificate, dispatch_uid="learning_pages_certificate_saved")
    post_delete.connect(on_certificate_written, sender=Certificate, dispatch_uid="learning_pages_certificate_deleted")
