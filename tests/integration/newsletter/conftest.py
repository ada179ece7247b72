"""The fixtures of newsletter's own tests, for the tests here that also involve other apps."""

from cloudmentor.newsletter.tests.conftest import *  # noqa: F403  # fixtures are found by name
