"""The material (topics, courses, modules, lessons, revisions, resources, quizzes) and what
members do with it (enrollments, completions, attempts, certificates, error reports)."""

from __future__ import annotations

import secrets
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from cloudmentor.billing.models import AccessLevel


def _in_english() -> bool:
    return (get_language() or "").startswith("en")


class Level(models.TextChoices):
    BEGINNER = "beginner", _("Débutant")
    INTERMEDIATE = "intermediate", _("Intermédiaire")
    ADVANCED = "advanced", _("Avancé")


class Status(models.TextChoices):
    """Members see published material only; drafts and withdrawn material are hidden (LM-6, TM-11)."""

    DRAFT = "draft", _("Brouillon")
    PUBLISHED = "published", _("Publié")
    WITHDRAWN = "withdrawn", _("Retiré")


class Topic(models.Model):
    slug = models.SlugField(_("identifiant"), unique=True)
    name = models.CharField(_("nom"), max_length=80)
    name_en = models.CharField(_("nom en anglais"), max_length=80, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("thème")
        verbose_name_plural = _("thèmes")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_en if self.name_en and _in_english() else self.name


class Author(models.Model):
    """The public profile of someone who writes material, optionally tied to a creator account."""

    name = models.CharField(_("nom"), max_length=120)
    headline = models.CharField(_("présentation"), max_length=200, blank=True)
    headline_en = models.CharField(_("présentation en anglais"), max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("compte"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="author_profiles",
    )

    class Meta:
        verbose_name = _("auteur")
        verbose_name_plural = _("auteurs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_headline(self) -> str:
        return self.headline_en if self.headline_en and _in_english() else self.headline


class Course(models.Model):
    slug = models.SlugField(_("identifiant"), unique=True, max_length=80)
    title = models.CharField(_("titre"), max_length=160)
    title_en = models.CharField(_("titre en anglais"), max_length=160, blank=True)
    summary = models.TextField(_("résumé"), max_length=600)
    summary_en = models.TextField(_("résumé en anglais"), max_length=600, blank=True)
    description = models.TextField(_("description (Markdown)"), blank=True)
    description_en = models.TextField(_("description en anglais (Markdown)"), blank=True)
    prerequisites = models.TextField(_("prérequis"), blank=True)
    prerequisites_en = models.TextField(_("prérequis en anglais"), blank=True)
    language = models.CharField(_("langue du cours"), max_length=8, choices=settings.LANGUAGES, default="fr")
    level = models.CharField(_("niveau"), max_length=16, choices=Level.choices, default=Level.BEGINNER)
    duration_minutes = models.PositiveIntegerField(_("durée estimée (minutes)"), default=60)
    access_level = models.PositiveSmallIntegerField(
        _("niveau d'accès requis"), choices=AccessLevel.choices, default=AccessLevel.ESSENTIAL
    )
    topics = models.ManyToManyField(Topic, verbose_name=_("thèmes"), related_name="courses", blank=True)
    authors = models.ManyToManyField(Author, verbose_name=_("auteurs"), related_name="courses", blank=True)
    is_featured = models.BooleanField(_("mis en avant sur l'accueil"), default=False)
    status = models.CharField(_("état"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    # Published lessons, kept up to date by the publishing services (the catalog shows it).
    lesson_count = models.PositiveIntegerField(_("leçons publiées"), default=0, editable=False)
    # Words the full-text search looks at besides title and summary (topics, modules,
    # lessons); kept up to date by the publishing services.
    search_document = models.TextField(_("texte indexé"), blank=True, editable=False)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("cours")
        verbose_name_plural = pgettext_lazy("pluriel", "cours")
        ordering = ["title"]
        indexes = [models.Index(fields=["status", "access_level"], name="learning_course_status_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        return self.title_en if self.title_en and _in_english() else self.title

    @property
    def display_summary(self) -> str:
        return self.summary_en if self.summary_en and _in_english() else self.summary

    @property
    def display_description(self) -> str:
        return self.description_en if self.description_en and _in_english() else self.description

    @property
    def display_prerequisites(self) -> str:
        return self.prerequisites_en if self.prerequisites_en and _in_english() else self.prerequisites

    @property
    def description_language(self) -> str:
        """Return "fr" when an English page shows the French description (LX-5), else ""."""
        return "fr" if _in_english() and not self.description_en else ""

    @property
    def prerequisites_language(self) -> str:
        return "fr" if _in_english() and not self.prerequisites_en else ""

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    @property
    def access_label(self) -> str:
        return str(AccessLevel(self.access_level).label)


class Module(models.Model):
    course = models.ForeignKey(Course, verbose_name=_("cours"), on_delete=models.CASCADE, related_name="modules")
    title = models.CharField(_("titre"), max_length=160)
    title_en = models.CharField(_("titre en anglais"), max_length=160, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        return self.title_en if self.title_en and _in_english() else self.title


class LessonKind(models.TextChoices):
    ARTICLE = "article", _("Article")
    VIDEO = "video", _("Vidéo")
    LAB = "lab", _("Travaux pratiques")
    QUIZ = "quiz", _("Quiz")


class Lesson(models.Model):
    """A lesson: members read its published revision; creators edit `body`, the draft (LM-2, LM-6)."""

    module = models.ForeignKey(Module, verbose_name=_("module"), on_delete=models.CASCADE, related_name="lessons")
    # Copied from the module, so that a lesson's slug is unique within its course.
    course = models.ForeignKey(
        Course, verbose_name=_("cours"), on_delete=models.CASCADE, related_name="lessons", editable=False
    )
    slug = models.SlugField(_("identifiant"), max_length=80)
    title = models.CharField(_("titre"), max_length=160)
    title_en = models.CharField(_("titre en anglais"), max_length=160, blank=True)
    kind = models.CharField(_("type"), max_length=16, choices=LessonKind.choices, default=LessonKind.ARTICLE)
    body = models.TextField(_("contenu (Markdown, brouillon)"), blank=True)
    # The English version (LX-5): empty means the lesson exists in French only; /en/ then
    # shows the French text with a note saying so, marked lang="fr".
    body_en = models.TextField(_("contenu en anglais (Markdown, brouillon)"), blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("durée (minutes)"), default=10)
    is_free_preview = models.BooleanField(_("aperçu gratuit"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    status = models.CharField(_("état"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    revision = models.ForeignKey(
        "LessonRevision",
        verbose_name=_("révision publiée"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("leçon")
        verbose_name_plural = _("leçons")
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["course", "slug"], name="learning_lesson_slug_per_course")]
        indexes = [models.Index(fields=["course", "status"], name="learning_lesson_course_idx")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.module_id is not None:
            self.course_id = self.module.course_id

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED and self.revision_id is not None

    @property
    def display_title(self) -> str:
        return self.title_en if self.title_en and _in_english() else self.title

    @property
    def title_language(self) -> str:
        """The language of `display_title` when it differs from the page's ("fr" on /en/ without an English title)."""
        return "fr" if _in_english() and not self.title_en else ""


class LessonRevision(models.Model):
    """One published state of a lesson, kept for the record; its HTML is cached by its id (LM-2)."""

    lesson = models.ForeignKey(Lesson, verbose_name=_("leçon"), on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("numéro"))
    title = models.CharField(_("titre"), max_length=160)
    title_en = models.CharField(_("titre en anglais"), max_length=160, blank=True)
    body = models.TextField(_("contenu (Markdown)"))
    body_en = models.TextField(_("contenu en anglais (Markdown)"), blank=True)
    note = models.CharField(_("note de version"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("publiée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("publiée le"), default=timezone.now)

    class Meta:
        verbose_name = _("révision de leçon")
        verbose_name_plural = _("révisions de leçons")
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["lesson", "number"], name="learning_revision_number")]

    def __str__(self) -> str:
        return f"{self.title} (v{self.number})"


def _resource_path(instance: Resource, filename: str) -> str:
    """Store each file under a random folder: its name is never a guessable URL (LM-3)."""
    return f"learning/resources/{secrets.token_urlsafe(16)}/{PurePosixPath(filename).name}"


class Resource(models.Model):
    """A downloadable file of a lesson, served only through the access-checked view (LM-3)."""

    lesson = models.ForeignKey(Lesson, verbose_name=_("leçon"), on_delete=models.CASCADE, related_name="resources")
    title = models.CharField(_("titre"), max_length=160)
    file = models.FileField(_("fichier"), upload_to=_resource_path, max_length=300)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("ressource téléchargeable")
        verbose_name_plural = _("ressources téléchargeables")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def filename(self) -> str:
        return PurePosixPath(self.file.name).name


# An exam's rules when its author sets none (LX-1, decision 0120).
QUIZ_DEFAULT_MAX_ATTEMPTS = 3
QUIZ_DEFAULT_COOLDOWN_MINUTES = 24 * 60


class Quiz(models.Model):
    """The question pool of a quiz lesson and its exam rules; a course's quizzes must be passed to complete it.

    Each attempt draws `draw_count` questions of the pool (all when 0) in a random order,
    fixed for that attempt (`QuizDraw`); attempts are capped and spaced (LM-5, LX-1).
    """

    lesson = models.OneToOneField(Lesson, verbose_name=_("leçon"), on_delete=models.CASCADE, related_name="quiz")
    pass_mark_percent = models.PositiveSmallIntegerField(_("seuil de réussite (%)"), default=70)
    draw_count = models.PositiveSmallIntegerField(
        _("questions tirées par tentative"), default=0, help_text=_("0 : toutes les questions de la banque.")
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("tentatives autorisées"), default=QUIZ_DEFAULT_MAX_ATTEMPTS, help_text=_("0 : sans limite.")
    )
    cooldown_minutes = models.PositiveIntegerField(
        _("délai avant une nouvelle tentative (minutes)"), default=QUIZ_DEFAULT_COOLDOWN_MINUTES
    )
    reveal_after_last_attempt = models.BooleanField(
        _("correction après la dernière tentative"),
        default=True,
        help_text=_(
            "La correction (réponses et explications) est toujours montrée après une réussite ; "
            "cochée, elle l'est aussi après la dernière tentative autorisée."
        ),
    )

    class Meta:
        verbose_name = _("quiz")
        verbose_name_plural = pgettext_lazy("pluriel", "quiz")

    def __str__(self) -> str:
        return self.lesson.title


class Question(models.Model):
    quiz = models.ForeignKey(Quiz, verbose_name=_("quiz"), on_delete=models.CASCADE, related_name="questions")
    text = models.TextField(_("question"))
    text_en = models.TextField(_("question en anglais"), blank=True)
    explanation = models.TextField(_("explication"), blank=True)
    explanation_en = models.TextField(_("explication en anglais"), blank=True)
    # The part of the course the question checks: a failed attempt shows the score per topic.
    topic = models.CharField(_("thème de la question"), max_length=80, blank=True)
    topic_en = models.CharField(_("thème en anglais"), max_length=80, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def display_text(self) -> str:
        return self.text_en if self.text_en and _in_english() else self.text

    @property
    def display_explanation(self) -> str:
        return self.explanation_en if self.explanation_en and _in_english() else self.explanation


class Choice(models.Model):
    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(_("réponse"), max_length=300)
    text_en = models.CharField(_("réponse en anglais"), max_length=300, blank=True)
    is_correct = models.BooleanField(_("bonne réponse"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("réponse proposée")
        verbose_name_plural = _("réponses proposées")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text

    @property
    def display_text(self) -> str:
        return self.text_en if self.text_en and _in_english() else self.text


class Enrollment(models.Model):
    """A member following a course: where they are, and when they finished (LM-4)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("membre"), on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(Course, verbose_name=_("cours"), on_delete=models.CASCADE, related_name="enrollments")
    last_lesson = models.ForeignKey(
        Lesson, verbose_name=_("dernière leçon"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(_("commencé le"), default=timezone.now)
    last_visited_at = models.DateTimeField(_("dernière visite"), default=timezone.now)
    completed_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("suivi de cours")
        verbose_name_plural = _("suivis de cours")
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="learning_enrollment_once")]
        indexes = [models.Index(fields=["user", "-last_visited_at"], name="learning_enrollment_recent_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.course}"


class LessonCompletion(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("membre"), on_delete=models.CASCADE, related_name="lesson_completions"
    )
    lesson = models.ForeignKey(Lesson, verbose_name=_("leçon"), on_delete=models.CASCADE, related_name="completions")
    completed_at = models.DateTimeField(_("terminée le"), default=timezone.now)

    class Meta:
        verbose_name = _("leçon terminée")
        verbose_name_plural = _("leçons terminées")
        constraints = [models.UniqueConstraint(fields=["user", "lesson"], name="learning_completion_once")]

    def __str__(self) -> str:
        return f"{self.user} · {self.lesson}"


class QuizDraw(models.Model):
    """The questions one attempt asks, in their order, drawn when the member starts it (LX-1).

    Kept on the server: reloading the page or posting again never draws anew. A member has at
    most one open draw per quiz (no attempt yet); submitting it makes its `attempt`.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("membre"), on_delete=models.CASCADE, related_name="quiz_draws"
    )
    quiz = models.ForeignKey(Quiz, verbose_name=_("quiz"), on_delete=models.CASCADE, related_name="draws")
    # [[question id, [choice id, ...]], ...]: the questions and each one's choices, in the order shown.
    questions = models.JSONField(_("questions tirées"), default=list)
    is_open = models.BooleanField(_("en cours"), default=True)
    drawn_at = models.DateTimeField(_("tirée le"), default=timezone.now)

    class Meta:
        verbose_name = _("tirage de questions")
        verbose_name_plural = _("tirages de questions")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "quiz"], condition=models.Q(is_open=True), name="learning_draw_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.quiz}"

    @property
    def question_ids(self) -> list[int]:
        return [int(entry[0]) for entry in self.questions]


class QuizAttempt(models.Model):
    """One submitted attempt: the answers given (question id → choice ids) and the score (LM-5)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("membre"), on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    quiz = models.ForeignKey(Quiz, verbose_name=_("quiz"), on_delete=models.CASCADE, related_name="attempts")
    # The draw it answers (none for attempts made before draws existed): one attempt per draw.
    draw = models.OneToOneField(
        QuizDraw, verbose_name=_("tirage"), on_delete=models.SET_NULL, null=True, blank=True, related_name="attempt"
    )
    answers = models.JSONField(_("réponses"), default=dict)
    # [{"topic": ..., "topic_en": ..., "correct": n, "total": m}, ...]: what a failed attempt shows
    # instead of the answers ("topic_en" since LX-5; empty or absent: the French topic is shown).
    topic_scores = models.JSONField(_("score par thème"), default=list)
    correct_count = models.PositiveSmallIntegerField(_("bonnes réponses"))
    question_count = models.PositiveSmallIntegerField(_("questions"))
    score_percent = models.PositiveSmallIntegerField(_("score (%)"))
    is_passed = models.BooleanField(_("réussi"))
    submitted_at = models.DateTimeField(_("envoyé le"), default=timezone.now)

    class Meta:
        verbose_name = _("tentative de quiz")
        verbose_name_plural = _("tentatives de quiz")
        ordering = ["-submitted_at", "-pk"]
        indexes = [models.Index(fields=["user", "quiz", "-submitted_at"], name="learning_attempt_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.score_percent} %"

    @property
    def display_topic_scores(self) -> list[dict[str, object]]:
        """The score per topic with each topic in the page's language (LX-5)."""
        english = _in_english()
        return [
            {**entry, "topic": (entry.get("topic_en") or entry.get("topic", "")) if english else entry.get("topic", "")}
            for entry in self.topic_scores
        ]


class AttemptAnswer(models.Model):
    """Whether one question of an attempt was answered right: the staff's statistics per question (LX-1)."""

    attempt = models.ForeignKey(
        QuizAttempt, verbose_name=_("tentative"), on_delete=models.CASCADE, related_name="results"
    )
    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="results")
    is_correct = models.BooleanField(_("bonne réponse"))

    class Meta:
        verbose_name = _("réponse à une question")
        verbose_name_plural = _("réponses aux questions")
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="learning_attempt_answer_once")]

    def __str__(self) -> str:
        return f"{self.attempt_id} · {self.question_id}"


class QuizAllowance(models.Model):
    """Extra attempts staff grant a member on a quiz, with the reason (support, LX-1)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("membre"), on_delete=models.CASCADE, related_name="quiz_allowances"
    )
    quiz = models.ForeignKey(Quiz, verbose_name=_("quiz"), on_delete=models.CASCADE, related_name="allowances")
    extra_attempts = models.PositiveSmallIntegerField(_("tentatives supplémentaires"), default=1)
    reason = models.CharField(_("motif"), max_length=300)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accordé par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("accordé le"), default=timezone.now)

    class Meta:
        verbose_name = _("tentatives supplémentaires")
        verbose_name_plural = _("tentatives supplémentaires")

    def __str__(self) -> str:
        return f"{self.user} · {self.quiz} · +{self.extra_attempts}"


def _certificate_code() -> str:
    """Return a verification code: 16 letters and digits, no look-alikes (about 80 bits)."""
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


class Certificate(models.Model):
    """A certificate of completion, issued once per member and course, publicly verifiable (LM-5)."""

    code = models.CharField(_("code de vérification"), max_length=19, unique=True, default=_certificate_code)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("membre"), on_delete=models.CASCADE, related_name="certificates"
    )
    course = models.ForeignKey(Course, verbose_name=_("cours"), on_delete=models.PROTECT, related_name="certificates")
    # Snapshots: the certificate says what was true when it was issued.
    holder_name = models.CharField(_("titulaire"), max_length=200)
    course_title = models.CharField(_("intitulé du cours"), max_length=160)
    issued_at = models.DateTimeField(_("délivré le"), default=timezone.now)
    pdf = models.BinaryField(_("PDF"), editable=False)
    # The Open Badges 3.0 credential (a signed JWT, VC-JOSE), signed again at each re-issue (LX-2).
    badge = models.TextField(_("badge Open Badges 3.0 (JWT signé)"), blank=True, editable=False)
    # Set when staff revoke it: the public page then says so, with the date and the reason (LX-2).
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    revoked_reason = models.CharField(_("motif de la révocation"), max_length=300, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("révoqué par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("certificat")
        verbose_name_plural = _("certificats")
        ordering = ["-issued_at"]
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="learning_certificate_once")]

    def __str__(self) -> str:
        return f"{self.code} · {self.holder_name}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class CertificateReissue(models.Model):
    """A certificate issued again under a corrected legal name, through support (LX-2): the record."""

    certificate = models.ForeignKey(
        Certificate, verbose_name=_("certificat"), on_delete=models.CASCADE, related_name="reissues"
    )
    previous_name = models.CharField(_("ancien nom"), max_length=200)
    new_name = models.CharField(_("nouveau nom"), max_length=200)
    reason = models.CharField(_("motif"), max_length=300)
    reissued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reissued_at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        verbose_name = _("réédition de certificat")
        verbose_name_plural = _("rééditions de certificats")
        ordering = ["-reissued_at"]

    def __str__(self) -> str:
        return f"{self.certificate_id} · {self.previous_name} → {self.new_name}"


# The longest private note a member may keep on a lesson, in characters (LX-6).
NOTE_MAX_LENGTH = 10_000


class LessonNote(models.Model):
    """A member's private note on a lesson: plain text or Markdown, seen by them alone (LX-6, PV-9, PV-10)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("membre"), on_delete=models.CASCADE, related_name="lesson_notes"
    )
    lesson = models.ForeignKey(Lesson, verbose_name=_("leçon"), on_delete=models.CASCADE, related_name="notes")
    body = models.TextField(_("note"), max_length=NOTE_MAX_LENGTH)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    updated_at = models.DateTimeField(_("modifiée le"), default=timezone.now)

    class Meta:
        verbose_name = _("note personnelle")
        verbose_name_plural = _("notes personnelles")
        constraints = [models.UniqueConstraint(fields=["user", "lesson"], name="learning_note_once")]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.lesson_id}"


class ReportStatus(models.TextChoices):
    OPEN = "open", _("En cours d'examen")
    CORRECTED = "corrected", _("Corrigé")
    WITHDRAWN = "withdrawn", _("Contenu retiré")
    REJECTED = "rejected", _("Rejeté")


class ErrorReport(models.Model):
    """A member's report of an error in a lesson, and staff's outcome (TM-11)."""

    lesson = models.ForeignKey(Lesson, verbose_name=_("leçon"), on_delete=models.CASCADE, related_name="error_reports")
    revision_number = models.PositiveIntegerField(_("révision signalée"), null=True, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("signalé par"), on_delete=models.CASCADE, related_name="error_reports"
    )
    message = models.TextField(_("description de l'erreur"), max_length=4000)
    status = models.CharField(_("état"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.OPEN)
    staff_reply = models.TextField(_("réponse de l'équipe"), blank=True)
    created_at = models.DateTimeField(_("signalé le"), default=timezone.now)
    settled_at = models.DateTimeField(_("traité le"), null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("traité par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("signalement d'erreur")
        verbose_name_plural = _("signalements d'erreur")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="learning_report_status_idx"),
            models.Index(fields=["reporter", "-created_at"], name="learning_report_reporter_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.lesson} · {self.get_status_display()}"

    @property
    def is_settled(self) -> bool:
        return self.status != ReportStatus.OPEN


# Learning paths (LX-4) live in their own module; re-exported here, the app's public face.
from .models_paths import LearningPath as LearningPath  # noqa: E402
from .models_paths import PathAssignment as PathAssignment  # noqa: E402
from .models_paths import PathCompletion as PathCompletion  # noqa: E402
from .models_paths import PathCourse as PathCourse  # noqa: E402
