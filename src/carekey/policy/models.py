"""One row: what the health system requires of every patient (CONTRACT §5)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.db import models
from redis.exceptions import RedisError

from carekey import conf

MINUTE_CHOICES = conf.DEFAULTS["CAREKEY_LOCK_MINUTES"]


class SecurityPolicy(models.Model):
    require_mfa = models.BooleanField(
        "Require MFA for all patients",
        default=False,
        help_text="Patients without a verified authenticator reach only the Security page "
        "until they set one up.",
    )
    max_app_lock_minutes = models.PositiveSmallIntegerField(
        "Maximum app lock minutes",
        choices=[(m, f"{m} minutes") for m in MINUTE_CHOICES],
        default=30,
        help_text="Patients cannot choose a longer lock delay.",
    )
    require_app_lock = models.BooleanField(
        "Require app lock",
        default=False,
        help_text="App lock is on for everyone and patients cannot turn it off.",
    )

    class Meta:
        verbose_name = "organisation security policy"
        verbose_name_plural = "organisation security policy"

    def __str__(self) -> str:
        return "Organisation security policy"

    def save(self, *args: object, **kwargs: object) -> None:
        self.pk = 1  # one row, whatever the form says
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        _quietly(cache.delete, CACHE_KEY)


CACHE_KEY = "carekey:security-policy"
# A policy edit reaches every process within this many seconds (shared at once with Redis).
CACHE_SECONDS = 5


logger = logging.getLogger(__name__)


def _quietly(operation: Any, *args: Any) -> Any:
    """Run one cache call; an unreachable cache is a slower answer, never an error.

    The cache holds no security state (the database does), so losing Redis costs only
    the queries it saved.
    """
    try:
        return operation(*args)
    except (RedisError, OSError) as error:
        logger.warning("cache unavailable, reading the policy from the database: %s", error)
        return None


def current() -> SecurityPolicy:
    """The policy in force; an unsaved default row when staff never edited it."""
    cached = _quietly(cache.get, CACHE_KEY)
    if isinstance(cached, SecurityPolicy):
        return cached
    policy = SecurityPolicy.objects.filter(pk=1).first() or SecurityPolicy(pk=1)
    _quietly(cache.set, CACHE_KEY, policy, CACHE_SECONDS)
    return policy
