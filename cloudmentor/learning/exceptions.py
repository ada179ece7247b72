"""Domain errors of the learning app; views turn them into messages in the user's language."""

from __future__ import annotations


class LearningError(Exception):
    """Base class of every refusal the learning services can answer with."""


class LessonLocked(LearningError):
    """The member's plan does not open this lesson (LM-3)."""


class NotPublished(LearningError):
    """The material is a draft or was withdrawn: members cannot use it (LM-6, TM-11)."""


class EmptyLesson(LearningError):
    """A lesson without content cannot be published."""


class ReportAlreadySettled(LearningError):
    """Staff already gave this report its outcome."""
