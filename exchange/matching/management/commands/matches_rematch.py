import time

from django.core.management.base import BaseCommand, CommandError

from exchange.matching.services.engine import (
    matches_rematch_all,
    matches_rematch_pending,
    matches_rematch_plan,
    wanted_candidates_index_rebuild,
)


class Command(BaseCommand):
    help = (
        "Run the nightly matching repair now (what changed, what a lost job never matched); "
        "with --full, compute every open request's best lots again; with --spread, on the "
        "Celery workers, in chunks, waiting until every chunk ran."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--full", action="store_true", help="match every open request again, not only changes"
        )
        parser.add_argument(
            "--spread",
            action="store_true",
            help="send the chunks to the Celery workers and wait for them",
        )
        parser.add_argument(
            "--timeout", type=int, default=3600, help="with --spread: seconds to wait at most"
        )

    def handle(
        self, *args, full: bool = False, spread: bool = False, timeout: int = 3600, **options
    ):
        if not spread:
            result = matches_rematch_all(full=full)
            self.stdout.write(", ".join(f"{name} {count}" for name, count in result.items()))
            return
        from exchange.matching.tasks import matches_rematch_dispatch

        started = time.monotonic()
        plan = matches_rematch_plan(full=full)
        matches_rematch_dispatch(plan)
        chunks = len(plan.request_chunks) + len(plan.lot_chunks)
        while (pending := matches_rematch_pending(plan)) > 0:
            if time.monotonic() - started > timeout:
                raise CommandError(f"{pending} requests and lots still to match after {timeout} s")
            time.sleep(1)
        if full:
            wanted_candidates_index_rebuild()
        summary = ", ".join(f"{name} {count}" for name, count in plan.summary.items())
        self.stdout.write(f"{summary}, chunks {chunks}: done in {time.monotonic() - started:.1f} s")
