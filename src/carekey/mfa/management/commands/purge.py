"""`carekey purge`: expired enrollments, sessions, passkey challenges and password reset
links, old audit events, stale throttle rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import Q

from carekey import clock, conf
from carekey.accounts import throttle
from carekey.accounts.models import PortalSession
from carekey.audit.models import SecurityEvent
from carekey.mfa.passkeys import purge_expired_challenges
from carekey.mfa.services import purge_expired_enrollments
from carekey.password.reset import purge_expired_links


class Command(BaseCommand):
    help = (
        "Delete expired unverified factors, sessions, passkey challenges and password "
        "reset links, old audit events and stale throttle counts."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        now = clock.now()
        factors = purge_expired_enrollments()
        idle_cutoff = now - timedelta(minutes=conf.idle_timeout_minutes())
        absolute_cutoff = now - timedelta(hours=conf.session_max_hours())
        sessions, _ = PortalSession.objects.filter(
            Q(expire_date__lt=now)
            | Q(last_active_at__lt=idle_cutoff)
            | Q(created_at__lt=absolute_cutoff)
        ).delete()
        retention = timedelta(days=conf.audit_retention_days())
        events, _ = SecurityEvent.objects.filter(created_at__lt=now - retention).delete()
        counts = throttle.purge_stale(now)
        challenges = purge_expired_challenges()
        links = purge_expired_links(now)
        self.stdout.write(
            f"Purged {factors} expired enrollment(s), {sessions} session(s), "
            f"{events} audit event(s) older than {conf.audit_retention_days()} days, "
            f"{counts} stale throttle count(s), {challenges} expired passkey challenge(s), "
            f"{links} expired password reset link(s)."
        )
