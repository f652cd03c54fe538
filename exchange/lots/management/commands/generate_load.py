from django.core.management.base import BaseCommand, CommandError

from exchange.lots.loadgen import (
    LOAD_ORGANISATION_PREFIX,
    GeneratedLoadInUse,
    lots_generate_load,
    lots_generated_load_delete,
)


class Command(BaseCommand):
    help = (
        "Bulk-generate published lots of generated, verified organisations for load tests "
        f'(organisations named "{LOAD_ORGANISATION_PREFIX} ..."). Not for production data.'
    )

    def add_arguments(self, parser):
        parser.add_argument("--lots", type=int, default=100_000)
        parser.add_argument("--organisations", type=int, default=300)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--reset",
            action="store_true",
            help="First delete the organisations, sites and lots generated before.",
        )

    def handle(self, *args, lots: int, organisations: int, seed: int, reset: bool, **options):
        if lots < 0 or organisations < 1:
            raise CommandError("--lots must be >= 0 and --organisations >= 1.")
        if reset:
            try:
                deleted = lots_generated_load_delete()
            except GeneratedLoadInUse as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                "Deleted {lots} generated lots and {organisations} organisations.".format(**deleted)
            )
        result = lots_generate_load(lots=lots, organisations=organisations, seed=seed)
        self.stdout.write(
            "Generated {lots} lots ({attestations} sanitisation attestations) of "
            "{organisations} organisations with {sites} sites in {total_seconds} s "
            "(insert {insert_seconds} s, reindex {reindex_seconds} s).".format(**result)
        )
