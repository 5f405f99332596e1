"""The one error vocabulary: every domain error is a CareKeyError.

A service raises one with the contract's error code, the HTTP status the API answers, a
sentence for a person and, when waiting helps, how long. The API turns any of them into
its error body with one handler; pages show the sentence with one helper.
"""

from __future__ import annotations

from django.utils.functional import Promise

StrOrPromise = str | Promise


class CareKeyError(Exception):
    code = "error"
    status = 400
    default: StrOrPromise = "Something went wrong."

    def __init__(self, message: StrOrPromise | None = None, *, retry_after: int | None = None):
        text = str(message or self.default)
        super().__init__(text)
        self.message = text
        self.retry_after = retry_after
