"""The fixtures of operations's own tests, for the tests here that also involve other apps."""

from cloudmentor.operations.tests.conftest import *  # noqa: F403  # fixtures are found by name
