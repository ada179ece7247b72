"""Load the demo catalog (catalog.json, courses/<slug>/ beside this module) through learning's services.

Each lesson's English version (LX-5) sits beside its French file: `01-pods.md` and
`01-pods.en.md`; English titles, description and prerequisites are the `*_en` keys of
course.json.

Idempotent: a course whose slug exists is left as it is, so edits made on a running demo
survive a second `make run`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from cloudmentor.learning.models import Author, Choice, Course, Lesson, Module, Question, Quiz, Resource, Topic
from cloudmentor.learning.services import course_publish, lesson_publish

ROOT = Path(__file__).resolve().parent


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@transaction.atomic
def catalog_load() -> list[str]:
    """Create the topics, authors and every demo course missing; return the slugs created."""
    catalog = _read(ROOT / "catalog.json")
    for position, topic in enumerate(catalog["topics"]):
        Topic.objects.get_or_create(
            slug=topic["slug"],
            defaults={"name": topic["name"], "name_en": topic.get("name_en", ""), "position": position},
        )
    for author in catalog["authors"]:
        Author.objects.get_or_create(
            name=author["name"],
            defaults={"headline": author.get("headline", ""), "headline_en": author.get("headline_en", "")},
        )
    created = []
    for folder in sorted(path for path in (ROOT / "courses").iterdir() if path.is_dir()):
        data = _read(folder / "course.json")
        if not Course.objects.filter(slug=data["slug"]).exists():
            _course_create(folder, data)
            created.append(data["slug"])
    return created


def english_file(folder: Path, item: dict[str, Any]) -> Path | None:
    """Return where the English version of a lesson's file is (`<name>.en.md`), None without a file."""
    if not item.get("file"):
        return None
    path = folder / str(item["file"])
    return path.with_name(f"{path.stem}.en{path.suffix}")


def _course_create(folder: Path, data: dict[str, Any]) -> Course:
    course = Course.objects.create(
        slug=data["slug"],
        title=data["title"],
        title_en=data.get("title_en", ""),
        summary=data["summary"],
        summary_en=data.get("summary_en", ""),
        description=data.get("description", ""),
        description_en=data.get("description_en", ""),
        prerequisites=data.get("prerequisites", ""),
        prerequisites_en=data.get("prerequisites_en", ""),
        language=data.get("language", "fr"),
        level=data["level"],
        duration_minutes=data["duration_minutes"],
        access_level=data["access_level"],
        is_featured=data.get("featured", False),
    )
    course.topics.set(Topic.objects.filter(slug__in=data["topics"]))
    course.authors.set(Author.objects.filter(name__in=data["authors"]))
    lessons: dict[str, Lesson] = {}
    for module_position, module_data in enumerate(data["modules"], start=1):
        module = Module.objects.create(
            course=course,
            title=module_data["title"],
            title_en=module_data.get("title_en", ""),
            position=module_position,
        )
        for position, item in enumerate(module_data["lessons"], start=1):
            body = (folder / item["file"]).read_text(encoding="utf-8") if item.get("file") else ""
            english = english_file(folder, item)
            lessons[item["slug"]] = Lesson.objects.create(
                module=module,
                course=course,
                slug=item["slug"],
                title=item["title"],
                title_en=item.get("title_en", ""),
                kind=item.get("kind", "article"),
                body=body,
                body_en=english.read_text(encoding="utf-8") if english is not None and english.exists() else "",
                duration_minutes=item.get("minutes", 10),
                is_free_preview=item.get("free", False),
                position=position,
            )
    quiz_data = data["quiz"]
    # An exam is a pool: "draw" questions of it per attempt (all when absent), the model's rules otherwise (LX-1).
    quiz = Quiz.objects.create(
        lesson=lessons[quiz_data["lesson"]],
        pass_mark_percent=quiz_data.get("pass_mark", 70),
        draw_count=quiz_data.get("draw", 0),
    )
    for position, question_data in enumerate(quiz_data["questions"], start=1):
        question = Question.objects.create(
            quiz=quiz,
            text=question_data["text"],
            text_en=question_data.get("text_en", ""),
            explanation=question_data.get("explanation", ""),
            explanation_en=question_data.get("explanation_en", ""),
            topic=question_data.get("topic", ""),
            topic_en=question_data.get("topic_en", ""),
            position=position,
        )
        # "choices_en": the English labels, in the order of "choices" (LX-5).
        labels_en = question_data.get("choices_en") or [""] * len(question_data["choices"])
        Choice.objects.bulk_create(
            Choice(question=question, text=text, text_en=text_en, is_correct=is_correct, position=index)
            for index, ((text, is_correct), text_en) in enumerate(
                zip(question_data["choices"], labels_en, strict=True), start=1
            )
        )
    for position, resource in enumerate(data.get("resources", []), start=1):
        content = (ROOT / "files" / resource["file"]).read_bytes()
        item = Resource(lesson=lessons[resource["lesson"]], title=resource["title"], position=position)
        item.file.save(resource.get("filename", resource["file"]), ContentFile(content), save=True)
    for lesson in lessons.values():
        lesson_publish(lesson=lesson, by=None, note="Version initiale")
    return course_publish(course=course)
