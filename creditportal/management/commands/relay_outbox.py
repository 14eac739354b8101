"""Send the Celery tasks the outbox holds unsent (after a broker outage); ``--loop`` keeps relaying."""
import time

from django.core.management.base import BaseCommand

from creditportal.core.tasks import relay_outbox


class Command(BaseCommand):
    help = "Send the outbox's unsent Celery tasks to the broker (safe to run alongside beat and other copies)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=float, default=0,
                            help="Keep relaying, waiting this many seconds between runs (0: one run).")

    def handle(self, *args, loop=0, **options):
        while True:
            result = relay_outbox()
            sent = result["sent"]
            while result["sent"] and result["left"] and not result["failed"]:
                result = relay_outbox()  # more than one run's worth is due
                sent += result["sent"]
            self.stdout.write(f"sent {sent}, failed {result['failed']}, unsent {result['left']}")
            if not loop:
                return
            time.sleep(loop)
