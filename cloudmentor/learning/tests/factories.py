from __future__ import annotations

from typing import Any

import factory

from cloudmentor.accounts.tests.factories import StaffFactory, UserFactory
from cloudmentor.billing.models import AccessLevel
from cloudmentor.learning import services
from cloudmentor.learning.models import (
    Author,
    Choice,
    Course,
    Lesson,
    LessonKind,
    Module,
    Question,
    Quiz,
    Status,
    Topic,
)

__all__ = ["StaffFactory", "UserFactory"]


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"theme-{n}")
    name = factory.Sequence(lambda n: f"Thème {n}")


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    name = factory.Sequence(lambda n: f"Auteur {n}")


class CourseFactory(factory.django.DjangoModelFactory):
    """A published course (no lessons: add them with LessonFactory)."""

    class Meta:
        model = Course

    slug = factory.Sequence(lambda n: f"cours-{n}")
    title = factory.Sequence(lambda n: f"Cours numéro {n}")
    summary = "Un cours pour apprendre."
    access_level = AccessLevel.PRO
    status = Status.PUBLISHED


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Module {n}")
    position = factory.Sequence(lambda n: n)


class LessonFactory(factory.django.DjangoModelFactory):
    """A lesson, published as revision 1 through the service unless `published=False`."""

    class Meta:
        model = Lesson
        skip_postgeneration_save = True

    module = factory.SubFactory(ModuleFactory)
    course = factory.LazyAttribute(lambda lesson: lesson.module.course)
    slug = factory.Sequence(lambda n: f"lecon-{n}")
    title = factory.Sequence(lambda n: f"Leçon {n}")
    kind = LessonKind.ARTICLE
    body = "## Au programme\n\nDu **contenu** et du code :\n\n```bash\nkubectl get pods\n```\n"
    position = factory.Sequence(lambda n: n)

    @factory.post_generation
    def published(obj: Lesson, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted is not False:
            services.lesson_publish(lesson=obj, by=None)
            obj.refresh_from_db()


class QuizFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quiz

    lesson = factory.SubFactory(LessonFactory, kind=LessonKind.QUIZ, body="Examen.")
    pass_mark_percent = 70


def question_with_choices(quiz: Quiz, text: str, choices: list[tuple[str, bool]], explanation: str = "") -> Question:
    question = Question.objects.create(quiz=quiz, text=text, explanation=explanation, position=quiz.questions.count())
    for position, (label, is_correct) in enumerate(choices):
        Choice.objects.create(question=question, text=label, is_correct=is_correct, position=position)
    return question
