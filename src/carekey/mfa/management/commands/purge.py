"""`carekey purge`: expired enrollments and sessions, old audit events, stale throttle rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import Q

from carekey import clock
from carekey.accounts import throttle
from carekey.accounts.models import PortalSession
from carekey.audit.models import SecurityEvent
from carekey.mfa.services import purge_expired_enrollments


class Command(BaseCommand):
    help = "Delete expired unverified factors, expired sessions and old audit events."

    def handle(self, *args: Any, **options: Any) -> None:
        now = clock.now()
        factors = purge_expired_enrollments()
        idle_cutoff = now - timedelta(minutes=settings.IDLE_TIMEOUT_MINUTES)
        absolute_cutoff = now - timedelta(hours=settings.SESSION_MAX_HOURS)
        sessions, _ = PortalSession.objects.filter(
            Q(expire_date__lt=now)
            | Q(last_active_at__lt=idle_cutoff)
            | Q(created_at__lt=absolute_cutoff)
        ).delete()
        retention = timedelta(days=settings.AUDIT_RETENTION_DAYS)
        events, _ = SecurityEvent.objects.filter(created_at__lt=now - retention).delete()
        counts = throttle.purge_stale(now)
        self.stdout.write(
            f"Purged {factors} expired enrollment(s), {sessions} session(s), "
            f"{events} audit event(s) older than {settings.AUDIT_RETENTION_DAYS} days, "
            f"{counts} stale throttle count(s)."
        )
