from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    name = "devtools"
    label = "devtools"
    verbose_name = "Development tools"

    def ready(self) -> None:
        from devtools.demo import receivers  # noqa: F401  (run_platform prints the demo logins)
