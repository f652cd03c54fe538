from django.core.management.base import BaseCommand

from exchange.matching.services.engine import matches_rematch_all


class Command(BaseCommand):
    help = (
        "Run the nightly matching repair now (what changed, what a lost job never matched); "
        "with --full, compute every open request's best lots again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--full", action="store_true", help="match every open request again, not only changes"
        )

    def handle(self, *args, full: bool = False, **options):
        result = matches_rematch_all(full=full)
        self.stdout.write(", ".join(f"{name} {count}" for name, count in result.items()))
