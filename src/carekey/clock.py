"""The one clock of CareKey: tests move it with time-machine, nobody sleeps."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def timestamp() -> float:
    return now().timestamp()
