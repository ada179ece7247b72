"""The fixtures of billing's own tests, for the tests here that also involve other apps."""

from cloudmentor.billing.tests.conftest import *  # noqa: F403  # fixtures are found by name
