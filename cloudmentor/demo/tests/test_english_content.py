"""LX-5: every demo lesson has an English version, loaded beside the French one."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape

from cloudmentor.demo.catalog.loader import ROOT, catalog_load, english_file
from cloudmentor.learning.models import Choice, Lesson, Module, Question


def _courses() -> list[tuple[Path, dict[str, Any]]]:
    folders = sorted(path for path in (ROOT / "courses").iterdir() if path.is_dir())
    return [(folder, json.loads((folder / "course.json").read_text(encoding="utf-8"))) for folder in folders]


def _lessons() -> list[tuple[Path, dict[str, Any]]]:
    return [(folder, item) for folder, data in _courses() for module in data["modules"] for item in module["lessons"]]


_FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def test_lx5_every_demo_lesson_has_an_english_file_with_the_same_code_blocks() -> None:
    missing = []
    for folder, item in _lessons():
        english = english_file(folder, item)
        assert english is not None, item
        if not english.exists():
            missing.append(f"{folder.name}/{english.name}")
            continue
        french_text = (folder / item["file"]).read_text(encoding="utf-8")
        english_text = english.read_text(encoding="utf-8")
        assert english_text.strip() and english_text != french_text, english
        # Code stays identical: readers copy the same commands in both languages.
        assert _FENCE.findall(english_text) == _FENCE.findall(french_text), english
    assert missing == []


def test_lx5_every_demo_course_module_and_lesson_has_english_titles() -> None:
    for _folder, data in _courses():
        for key in ("title_en", "summary_en", "description_en", "prerequisites_en"):
            assert data.get(key) or not data.get(key.removesuffix("_en")), (data["slug"], key)
        for module in data["modules"]:
            assert module.get("title_en"), (data["slug"], module["title"])
            for item in module["lessons"]:
                assert item.get("title_en"), (data["slug"], item["slug"])


@pytest.mark.django_db
def test_lx5_the_demo_loads_and_shows_english_lessons(client: Client) -> None:
    catalog_load()
    assert not Lesson.objects.filter(body_en="").exists()
    assert not Lesson.objects.filter(title_en="").exists()
    assert not Module.objects.filter(title_en="").exists()
    lesson = Lesson.objects.select_related("course", "revision").get(slug="architecture-cluster")
    assert lesson.revision is not None and lesson.revision.body_en == lesson.body_en
    html = client.get(f"/en/courses/{lesson.course.slug}/{lesson.slug}/").content.decode()
    assert f'<h1 id="lesson-title">{escape(lesson.title_en)}</h1>' in html
    assert "This lesson is only available in French." not in html
    french = client.get(f"/courses/{lesson.course.slug}/{lesson.slug}/").content.decode()
    assert f'<h1 id="lesson-title">{escape(lesson.title)}</h1>' in french


def test_lx5_every_demo_exam_question_has_its_english_text_explanation_and_choices() -> None:
    for _folder, data in _courses():
        for question in data["quiz"]["questions"]:
            where = (data["slug"], question["text"])
            assert question.get("text_en"), where
            assert question.get("explanation_en") or not question.get("explanation"), where
            assert len(question.get("choices_en", [])) == len(question["choices"]), where
            assert all(question["choices_en"]), where


@pytest.mark.django_db
def test_lx5_the_demo_exams_load_in_english() -> None:
    catalog_load()
    assert not Question.objects.filter(text_en="").exists()
    assert not Choice.objects.filter(text_en="").exists()
    choice = Choice.objects.get(question__quiz__lesson__course__slug="linux-ligne-de-commande", text="`pwd`")
    assert choice.text_en == "`pwd`" and choice.is_correct


def test_lx5_every_demo_exam_topic_has_its_english_name() -> None:
    for _folder, data in _courses():
        for question in data["quiz"]["questions"]:
            assert question.get("topic_en") or not question.get("topic"), (data["slug"], question["text"])
