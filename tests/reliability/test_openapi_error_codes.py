"""Each operation answers only the error codes its OpenAPI entry lists (issue 17 item 12).

Schemathesis sends valid and invalid requests to every operation in each session state the
fuzz test uses (aal2, aal1 owing a code, locked); every error answer's `code` must be in the
operation's `x-error-codes` and described under the status it came with. Generated clients
branch on those lists, so a code missing from one is a client bug waiting to happen.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from carekey.api.error_codes import ERROR_CODES
from tests.reliability.conftest import FULL, in_process_app
from tests.reliability.fuzz_driver import STATES, SessionDriver, Tally

EXAMPLES = 60 if FULL else 8
CONFIG = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", in_process_app, config=CONFIG)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations() if isinstance(result, Ok)]


def cases(operation: Any) -> st.SearchStrategy[Any]:
    positive = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    negative = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    raw = operation.definition.raw
    if "requestBody" in raw or raw.get("parameters"):
        return st.one_of(positive, negative)
    return positive  # type: ignore[no-any-return]


def unlisted(operation: Any, status: int, body: bytes) -> str | None:
    """The answer's code when its operation does not list it under this status."""
    if status < 400:
        return None
    code = json.loads(body)["error"]["code"]
    raw = operation.definition.raw
    described = raw["responses"].get(str(status), {}).get("description", "")
    listed = code in raw["x-error-codes"] and ERROR_CODES[code].status == status
    return None if listed and f"`{code}`" in described else f"{status} {code}"


@pytest.mark.django_db
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_every_error_code_answered_is_listed_on_its_operation(
    operation: Any, state: str, settings: Any
) -> None:
    settings.CAREKEY_PASSWORD_RESET_ANSWER_SECONDS = 0  # the padding is timed elsewhere
    driver = SessionDriver(state, f"codes-{state}@example.org")
    tally = Tally()
    surprises: set[str] = set()

    @given(case=cases(operation), own=st.booleans())
    @examples(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def probe(case: Any, own: bool) -> None:
        driver.prepare(tally)
        if own and "factor_id" in (case.path_parameters or {}):
            case.path_parameters["factor_id"] = driver.factor_id
        response = case.call(headers=driver.headers, cookies=driver.cookies)
        driver.absorb(response.headers.get("set-cookie", []))
        surprise = unlisted(operation, response.status_code, response.content)
        if surprise:
            surprises.add(surprise)

    probe()
    assert not surprises, f"{operation.label} answered codes it does not list: {surprises}"
