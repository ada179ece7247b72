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


class QuizAlreadyPassed(LearningError):
    """The member passed this exam: there is nothing more to attempt (LX-1)."""


class QuizAttemptsExhausted(LearningError):
    """Every allowed attempt was used (LX-1): support may grant more."""


class QuizCooldown(LearningError):
    """A new attempt opens only after the quiz's delay since the last failure (LX-1)."""

    def __init__(self, available_at: object) -> None:
        super().__init__(available_at)
        self.available_at = available_at


class QuizDrawClosed(LearningError):
    """This draw was already answered: posting it again changes nothing (LX-1)."""

    def __init__(self, attempt_id: int | None) -> None:
        super().__init__(attempt_id)
        self.attempt_id = attempt_id


class LegalNameMissing(LearningError):
    """A certificate carries the member's legal name: it must be given first (LX-2)."""


class CertificateAlreadyRevoked(LearningError):
    """Staff already revoked this certificate (LX-2)."""


class NoteTooLong(LearningError):
    """A private note is longer than `models.NOTE_MAX_LENGTH` characters (LX-6)."""


class PathAssignmentRefused(LearningError):
    """A group owner's assignment of a path cannot be made (LX-4): the reason is its message key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PathNotCompleted(LearningError):
    """A course of the path has no valid certificate yet (LX-4)."""
