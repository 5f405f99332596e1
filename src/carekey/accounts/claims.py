"""A right answer's claim and the throttle's refund, in one round trip where possible.

A right code or passkey is recorded by a conditional UPDATE (the claim: of any number of
concurrent requests exactly one wins a given TOTP step or passkey counter), and the
throttle reservation taken before the check is then given back. On PostgreSQL the claim,
the updates that follow it and the refund run as one statement, a data-modifying CTE in
which everything after the claim happens only if the claim changed a row; SQLite has no
such CTE, so there they are separate statements. Either way nothing follows a claim that
lost, and its reservation stands, as before (issue 18: round trips fewer on every right
code and passkey).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.db import connection
from django.db.models import QuerySet
from django.db.models.sql import UpdateQuery

from carekey import clock
from carekey.accounts.throttle import Attempt

Update = tuple[QuerySet[Any], dict[str, Any]]  # rows, and the values to set on them
_IF_CLAIMED = "EXISTS (SELECT 1 FROM claimed)"
_RESET_SQL = (
    'UPDATE "accounts_throttlestate" SET "failures" = 0, "blocked_until" = NULL, '
    '"refused" = 0, "updated_at" = %s WHERE "key" = %s AND EXISTS (SELECT 1 FROM claimed)'
)


def claim_and_refund(
    claim: QuerySet[Any], values: dict[str, Any], attempt: Attempt, then: Sequence[Update] = ()
) -> bool:
    """Run `claim.update(**values)`; if it changed a row, run the `then` updates and give
    `attempt` back. Returns whether the claim took effect; `claim` selects at most one row.
    """
    if connection.vendor != "postgresql" or not attempt.limit.reset_on_success:
        claimed = claim.update(**values) == 1
        if claimed:
            for rows, more in then:
                rows.update(**more)
            attempt.succeeded()
        return claimed
    claim_sql, params = _update_sql(claim, values)
    parts = [f"claimed AS ({claim_sql} RETURNING 1)"]
    for number, (rows, more) in enumerate(then):
        sql, more_params = _update_sql(rows, more)
        if sql.count(" WHERE ") != 1:  # the splice below needs exactly one WHERE to extend
            raise ValueError(f"cannot make this update conditional on the claim: {sql}")
        where = sql.index(" WHERE ")
        parts.append(
            f"then_{number} AS ({sql[:where]} WHERE {_IF_CLAIMED} AND ({sql[where + 7 :]}))"
        )
        params += more_params
    parts.append(f"reset AS ({_RESET_SQL})")
    params += (connection.ops.adapt_datetimefield_value(clock.now()), attempt.key)
    with connection.cursor() as cursor:
        # Constant text and Django's compiled UPDATEs; every value is a parameter.
        statement = f"WITH {', '.join(parts)} SELECT COUNT(*) FROM claimed"  # noqa: S608
        cursor.execute(statement, params)
        row = cursor.fetchone()
    return row is not None and int(row[0]) == 1


def _update_sql(rows: QuerySet[Any], values: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    """The UPDATE that `rows.update(**values)` would send, and its parameters."""
    query = cast(UpdateQuery, rows.query.chain(UpdateQuery))
    query.add_update_values(values)
    sql, params = query.get_compiler(rows.db).as_sql()
    return sql, tuple(params)
