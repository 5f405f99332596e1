"""Request and response bodies of /api/v1 (CONTRACT §3)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field


class ErrorDetail(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorDetail


class UserOut(Schema):
    id: int
    email: str
    name: str


class SessionOut(Schema):
    user: UserOut
    aal: Literal["aal1", "aal2"]
    next_level: Literal["aal1", "aal2"]
    locked: bool
    reauthenticated_until: datetime | None


class SignInIn(Schema):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=1024)
