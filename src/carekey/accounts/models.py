"""Users (patients and staff in one model), server-side portal sessions, throttle state."""

from __future__ import annotations

from datetime import datetime
from importlib import import_module
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession, BaseSessionManager
from django.db import models

from carekey import clock

EMAIL_MAX_LENGTH = 254
BIGGEST_ID = 2**63 - 1  # beyond any id column; SQLite's driver refuses larger integers


def normalize_email(email: str) -> str:
    """Emails compare ignoring case everywhere: one person, one account."""
    return email.strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=normalize_email(username or ""))

    def get(self, *args: Any, **kwargs: Any) -> User:
        """`get(pk=…)` by a fixed statement; any other lookup as Django does it.

        Django's ModelBackend reads the signed-in user this way on every request, and
        compiling the queryset cost more than the query (issue 18). The session holds
        the id as text; anything but decimal digits goes to the ORM, which says what is wrong.
        """
        pk = kwargs.get("pk")
        if not self._plain_lookup(args, kwargs) or not str(pk).isdecimal():
            return super().get(*args, **kwargs)
        if int(str(pk)) > BIGGEST_ID:
            return super().get(*args, **kwargs)  # the ORM answers DoesNotExist
        table = self.model._meta.db_table
        found = list(self.raw(f'SELECT * FROM "{table}" WHERE "id" = %s', [int(str(pk))]))  # noqa: S608 - our table
        if not found:
            raise self.model.DoesNotExist(
                f"{self.model._meta.object_name} matching query does not exist."
            )
        return found[0]

    def _plain_lookup(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        """`User.objects.get(pk=…)` itself: not a related manager (a group's `user_set`
        is a subclass of this manager and must keep its membership filter), not another
        database, no other condition."""
        return type(self) is UserManager and self._db is None and not args and len(kwargs) == 1


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in by email: a patient, or staff when `is_staff` is set."""

    email = models.EmailField(unique=True, max_length=EMAIL_MAX_LENGTH)
    name = models.CharField(max_length=150, blank=True)
    # The patient's FHIR resource (e.g. https://fhir.example.org/Patient/123): the
    # `fhirUser` claim for SMART on FHIR apps that ask for the scope.
    fhir_user = models.URLField("FHIR user", max_length=500, blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=clock.now)
    # Set by the password services (change, reset), never by a rehash at sign-in: the
    # Security page shows it, and a reset link made before it no longer works.
    password_changed_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = "user"

    def __str__(self) -> str:
        return self.email

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""

    @property
    def password_set_at(self) -> datetime:
        """When the current password was chosen: its last change, else the account's start."""
        return self.password_changed_at or self.date_joined


class PortalSession(AbstractBaseSession):
    """A Django session row with the columns the "Signed-in devices" list and revocation read."""

    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE)
    user_agent = models.CharField(max_length=512, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    last_active_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[BaseSessionManager[PortalSession]] = BaseSessionManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "portal session"
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["user", "expire_date"], name="portalsession_user_idx"),
        ]

    @classmethod
    def get_session_store_class(cls) -> Any:
        """The configured engine, as Django itself finds it: no import back to the store."""
        return import_module(settings.SESSION_ENGINE).SessionStore

    def __str__(self) -> str:
        return f"session of user {self.user_id}"


class ThrottleState(models.Model):
    """Consecutive failures of one account, shared by every process through the database.

    Keys: "user:<id>" counts codes, recovery codes and code unlocks; "password:<id>"
    wrong passwords from browsers the account does not know; "device:<nonce>" those of one
    browser that signed in before (a device cookie); "email:<address>" unknown emails, so
    the throttle never tells whether an account exists; "ip:<address>" sign-in attempts
    from one address across accounts; "unlock:<id>" one locked session's unlock attempts;
    "reset:<id>" reset links sent to an account, "reset-ip:<address>" reset requests.
    `refused` counts refusals in the current wait window, so one audit event
    (`refusal_event_id`) covers the whole window instead of one per refused request.
    """

    key = models.CharField(max_length=300, primary_key=True)
    failures = models.PositiveIntegerField(default=0)
    blocked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=clock.now)
    refused = models.PositiveIntegerField(default=0)
    refusal_event_id = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key


class DisabledClient(models.Model):
    """An OpenID Connect client the support desk switched off: it can neither start a
    sign-in nor use a token until it is enabled again."""

    application = models.OneToOneField(
        "oauth2_provider.Application", on_delete=models.CASCADE, related_name="carekey_disabled"
    )
    disabled_at = models.DateTimeField(default=clock.now)

    objects: ClassVar[models.Manager[DisabledClient]] = models.Manager()

    def __str__(self) -> str:
        return f"disabled client {self.pk}"


class PasswordResetLink(models.Model):
    """One emailed "reset your password" link, stored as the SHA-256 of its token.

    The token is 256 random bits, so a plain hash is enough to make a stolen database
    row useless. A link works once (claiming it deletes the row), for a limited time, and
    only while it is the account's newest and the password has not changed since.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now)

    objects: ClassVar[models.Manager[PasswordResetLink]] = models.Manager()

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["user", "created_at"], name="resetlink_user_idx"),
        ]

    def __str__(self) -> str:
        return f"password reset link of user {self.user_id}"
