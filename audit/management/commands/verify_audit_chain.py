"""``manage.py verify_audit_chain``: recompute the audit trail's hash chain and say where it breaks.

Exit status 0 when the chain is intact, 1 (CommandError) when it breaks; each break names the event whose
stored hash does not match its content and the previous event's hash (changed, or the one after a
deleted or inserted event)."""
from django.core.management.base import BaseCommand, CommandError

from audit import selectors
from audit.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain and report where it breaks."

    def handle(self, *args, **options):
        report = selectors.verify_chain()
        if report.intact:
            self.stdout.write(f"audit chain intact: {report.checked} events checked")
            return
        events = AuditEvent.objects.in_bulk([event_id for event_id, _previous in report.breaks])
        for event_id, previous_id in report.breaks:
            event = events.get(event_id)
            self.stdout.write(
                f"chain broken at event #{event_id} (after #{previous_id or '-'}): "
                f"{event.occurred_at:%Y-%m-%d %H:%M:%S} {event.actor_username} {event.action} "
                f"{event.object_type} {event.object_id}")
        more = " (and more)" if report.more_breaks else ""
        raise CommandError(f"audit chain broken at {len(report.breaks)} event(s){more}, first at event "
                           f"#{report.first_break}; {report.checked} events checked")
