"""One-off re-rating batch: ``manage.py rate_batch`` (runs here, as the system user)."""
from django.core.management.base import BaseCommand

from accounts.system import system_user


class Command(BaseCommand):
    help = "Run a re-rating batch now for every customer with a current rating (as the system user)."

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=None)

    def handle(self, *args, chunk_size=None, **options):
        from ratings import services
        from ratings.models import RatingBatch

        batch = services.batch_start(actor=system_user(), kind="manual", in_worker=False)
        batch = services.batch_run(batch_id=batch.pk, chunk_size=chunk_size)
        batch = RatingBatch.objects.get(pk=batch.pk)
        self.stdout.write(f"batch {batch.pk}: {batch.status}, customers {batch.total}, inputs changed "
                          f"{batch.changed}, proposed {batch.proposed} (downgrades {batch.downgrades}), "
                          f"errors {batch.error_count}")
