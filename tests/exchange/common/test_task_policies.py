"""Every task meets trouble by one of the two policies of exchange/common/tasks.py."""

from django.db import OperationalError

from exchange.celery import app

# A lost run of these would lose data (a record, a notice, a match, a photo, a report).
RELIABLE = {
    "impact.impact_record_for_claim",
    "impact.impact_record_for_lot_close",
    "impact.impact_records_sweep",
    "impact.report_job_run",
    "lots.lot_photo_process",
    "lots.lots_advance",
    "matching.match_lot",
    "matching.match_wanted",
    "matching.matches_rematch_all",
    "matching.matches_rematch",
    "matching.matches_lots_repair",
    "matching.matches_digest_send",
    "notifications.notification_email_send",
    "organisations.organisation_verified_notify",
    "organisations.invitation_send",
    "reuse.reuse_checks_close_due",
}
# Another run does what a lost one missed.
TRANSIENT_ONLY = {
    "common.idempotent_requests_sweep",
    "notifications.deadline_reminders_send",
    "organisations.invitations_send_sweep",
    "impact.report_jobs_sweep",
    "lots.lot_photos_sweep",
    "lots.lot_import_files_sweep",
    "matching.matches_pending_sweep",
    "notifications.notification_emails_sweep",
    "organisations.organisation_verified_notify_sweep",
}


def test_every_task_retries_with_backoff_and_the_reliable_ones_survive_a_dying_worker():
    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert set(ours) == RELIABLE | TRANSIENT_ONLY
    for name, task in ours.items():
        assert set(task.autoretry_for) == {OperationalError, OSError}, name
        assert task.retry_backoff is True, name
        assert task.retry_kwargs == {"max_retries": 10}, name
        reliable = name in RELIABLE
        assert (task.acks_late, bool(task.reject_on_worker_lost)) == (reliable, reliable), name
