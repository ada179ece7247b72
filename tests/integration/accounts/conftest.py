"""The fixtures of accounts's own tests, for the tests here that also involve other apps."""

from cloudmentor.accounts.tests.conftest import *  # noqa: F403  # fixtures are found by name
