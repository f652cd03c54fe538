from django.apps import AppConfig


class ReuseConfig(AppConfig):
    name = "exchange.reuse"
    label = "reuse"

    def ready(self) -> None:
        from exchange.impact.sections import statistics_section_register
        from exchange.reuse import receivers  # noqa: F401  (claims from a check's matches count)
        from exchange.reuse.presenters import reuse_dashboard_section, reuse_report_section

        statistics_section_register(
            "reuse_before_buying",
            dashboard_template="reuse/_dashboard_section.html",
            dashboard=reuse_dashboard_section,
            report=reuse_report_section,
        )
