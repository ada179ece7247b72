from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo content for `make run`: the top layer, it may call every app's services."""

    name = "cloudmentor.demo"
    label = "demo"
