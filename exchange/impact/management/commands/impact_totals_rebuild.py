import time

from django.core.management.base import BaseCommand, CommandError

from exchange.impact.services.totals import impact_totals_differences, impact_totals_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the monthly impact totals that the statistics read from all impact "
        "records (after a bulk load that bypassed the services, or to repair them). Safe "
        "to run at any time: writers of records wait for it, readers are not disturbed. "
        "With --check, only compare them with the records (exit status 1 if they differ)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="compare only; change nothing")

    def handle(self, *args, check: bool = False, **options):
        started = time.monotonic()
        if check:
            differences = impact_totals_differences()
            if differences:
                raise CommandError(
                    f"{differences} monthly total rows differ from the impact records: "
                    "run impact_totals_rebuild."
                )
            self.stdout.write("The monthly totals agree with the impact records.")
            return
        rows = impact_totals_rebuild()
        self.stdout.write(
            f"{rows} monthly total rows from the impact records in "
            f"{time.monotonic() - started:.1f} s."
        )
