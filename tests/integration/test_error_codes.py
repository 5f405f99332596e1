"""The ErrorCode enum of the OpenAPI document is every code the code base can answer
(issue 17 item 12): each CareKeyError subclass's `code`, and each code written literally in
an `error_response(...)` or `ApiError(...)`. A new code anywhere fails here until it is
added, with its status and meaning, to api/error_codes.py."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import carekey
from carekey.api.error_codes import ERROR_CODES
from carekey.api.errors import ApiError
from carekey.errors import CareKeyError

SOURCE = Path(carekey.__file__).parent
# Builders of the error body that take (status, code, message).
BUILDERS = {"error_response", "ApiError"}
# Where a code is passed on from an exception rather than written out.
PASSED_ON = {"api/errors.py", "api/__init__.py"}


def import_every_module() -> None:
    for module in pkgutil.walk_packages(carekey.__path__, "carekey."):
        if module.name != "carekey.__main__":
            importlib.import_module(module.name)


def subclasses(cls: type[CareKeyError]) -> Iterator[type[CareKeyError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


def literal_calls(source: str) -> Iterator[tuple[object, object, int]]:
    """(status, code, line) of each call to a builder; a value is None when not a literal."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name not in BUILDERS:
            continue
        given: dict[str | None, ast.expr] = dict(zip(("status", "code"), node.args, strict=False))
        given.update({k.arg: k.value for k in node.keywords if k.arg in ("status", "code")})
        status, code = (
            value.value if isinstance(value := given.get(key), ast.Constant) else None
            for key in ("status", "code")
        )
        yield status, code, node.lineno


def calls_in_the_code_base() -> Iterator[tuple[str, object, object, int]]:
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE).as_posix()
        for status, code, line in literal_calls(path.read_text()):
            yield relative, status, code, line


def test_every_carekey_error_subclass_has_a_published_code_and_its_status() -> None:
    import_every_module()
    found = [cls for cls in subclasses(CareKeyError) if cls is not ApiError]
    assert len(found) >= 20
    for cls in found:
        name = f"{cls.__module__}.{cls.__qualname__}"
        assert cls.code in ERROR_CODES, f"{name}: add {cls.code!r} to api/error_codes.py"
        assert ERROR_CODES[cls.code].status == cls.status, name


def test_every_code_written_in_an_error_response_is_published_with_its_status() -> None:
    calls = list(calls_in_the_code_base())
    assert len(calls) >= 15
    for path, status, code, line in calls:
        where = f"{path}:{line}"
        if code is None:
            assert path in PASSED_ON, f"{where}: write the code out, or add it to PASSED_ON"
            continue
        assert code in ERROR_CODES, f"{where}: add {code!r} to api/error_codes.py"
        if status is not None and code != "http_error":
            assert ERROR_CODES[str(code)].status == status, where


def test_the_check_finds_a_new_code_in_either_form() -> None:
    source = (
        "error_response(418, 'teapot', 'x')\n"
        "raise ApiError(status=409, code='conflict', message='x')\n"
        "errors.error_response(400, code, 'x')\n"
    )
    assert [(s, c) for s, c, _line in literal_calls(source)] == [
        (418, "teapot"),
        (409, "conflict"),
        (400, None),
    ]


def test_every_published_code_is_used_somewhere() -> None:
    import_every_module()
    used = {cls.code for cls in subclasses(CareKeyError) if cls is not ApiError}
    used |= {str(code) for _p, _s, code, _l in calls_in_the_code_base() if code is not None}
    assert set(ERROR_CODES) == used
