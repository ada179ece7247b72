"""The demo's learning paths (LX-4): « Devenir administrateur Kubernetes » and a cloud one, both
published, and the Kubernetes one assigned by the demo group's owner to each member of the group."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cloudmentor.accounts.models import Group, GroupMembership
from cloudmentor.accounts.selectors import user_by_identifier
from cloudmentor.learning import services as learning
from cloudmentor.learning.models import Course, LearningPath, PathAssignment, PathCourse, Status

PATHS = (
    {
        "slug": "devenir-administrateur-kubernetes",
        "title": "Devenir administrateur Kubernetes",
        "title_en": "Become a Kubernetes administrator",
        "target_role": "Administrateur Kubernetes",
        "target_role_en": "Kubernetes administrator",
        "description": (
            "Du shell Linux au cluster en production, puis sa sécurité : les trois cours dans l'ordre où un "
            "administrateur les pratique."
        ),
        "description_en": (
            "From the Linux shell to a production cluster, then its security: the three courses in the order "
            "an administrator uses them."
        ),
        "courses": ("linux-ligne-de-commande", "kubernetes-en-production", "securite-du-cloud"),
    },
    {
        "slug": "devenir-ingenieur-cloud-aws",
        "title": "Devenir ingénieur cloud AWS",
        "title_en": "Become an AWS cloud engineer",
        "target_role": "Ingénieur cloud",
        "target_role_en": "Cloud engineer",
        "description": "Les services d'AWS, puis l'infrastructure décrite en code et livrée par une chaîne CI/CD.",
        "description_en": "AWS services, then infrastructure written as code and shipped by a CI/CD pipeline.",
        "courses": ("aws-fondamentaux", "terraform-de-a-a-z", "ci-cd-github-actions"),
    },
)
ASSIGNED = "devenir-administrateur-kubernetes"
DUE_IN_DAYS = 21


def demo_paths_seed(*, owner_username: str) -> int:
    """Create the demo paths once and assign the Kubernetes one to the demo group's members; return assignments made."""
    for spec in PATHS:
        fields = {key: value for key, value in spec.items() if key not in ("slug", "courses")}
        path, created = LearningPath.objects.get_or_create(
            slug=spec["slug"], defaults={**fields, "status": Status.PUBLISHED}
        )
        if created:
            courses = Course.objects.in_bulk(list(spec["courses"]), field_name="slug")
            for position, slug in enumerate(spec["courses"]):
                if slug in courses:
                    PathCourse.objects.create(path=path, course=courses[slug], position=position)
    owner = user_by_identifier(owner_username)
    group = Group.objects.filter(owner=owner).first() if owner is not None else None
    assigned = LearningPath.objects.filter(slug=ASSIGNED).first()
    if owner is None or group is None or assigned is None:
        return 0
    made = 0
    for membership in GroupMembership.objects.filter(group=group).exclude(user=owner).select_related("user"):
        if not PathAssignment.objects.filter(member=membership.user, path=assigned).exists():
            learning.path_assign(
                owner=owner,
                group=group,
                member=membership.user,
                path=assigned,
                due_on=timezone.localdate() + timedelta(days=DUE_IN_DAYS),
            )
            made += 1
    return made
