"""Request bodies: read (size, media type, JSON), checked for unstorable values, validated."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic_core import from_json, to_json

from core.errors import Failures, ValidationFailed
from core.field_errors import raise_invalid, validation_details
from core.validation import INT64_MAX, INT64_MIN, MAX_JSON_DEPTH

M = TypeVar("M", bound=BaseModel)
MAX_BODY = 1024 * 1024
# A whole body may nest a little deeper than one free-form value inside it.
MAX_BODY_DEPTH = MAX_JSON_DEPTH + 8
JSON_MEDIA = re.compile(r"application/(json|[A-Za-z0-9.!#$%&'^_`|~-]+\+json)")


class PayloadTooLarge(Exception):
    """The request body exceeds the route's limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body exceeds {limit // 1024} KiB.")
        self.limit = limit


class UnsupportedMediaType(Exception):
    """A body was sent with a Content-Type other than JSON."""

    def __init__(self, content_type: str | None) -> None:
        shown = content_type or "none"
        super().__init__(
            f"The body must be JSON (Content-Type: application/json), not '{shown[:100]}'."
        )


def _beyond_int64(value: int) -> bool:
    return not INT64_MIN <= value <= INT64_MAX


def body_problems(data: Any) -> list[dict[str, Any]]:
    """Values no later read could store or serialise: NUL in any string or key, integers
    beyond signed 64 bits, nesting deeper than MAX_BODY_DEPTH (the size limit bounds the rest).
    Each problem names its field."""
    problems: list[dict[str, Any]] = []
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack and len(problems) < 50:
        item, path, depth = stack.pop()
        if isinstance(item, dict):
            if depth >= MAX_BODY_DEPTH:
                problems.append({"field": path or "body", "message": "nests too deeply"})
                continue
            for key, value in item.items():
                child = f"{path}.{key}" if path else str(key)
                if "\x00" in key:
                    problems.append({"field": child, "message": "key contains NUL"})
                stack.append((value, child, depth + 1))
        elif isinstance(item, list):
            if depth >= MAX_BODY_DEPTH:
                problems.append({"field": path or "body", "message": "nests too deeply"})
                continue
            stack.extend((value, f"{path}[{i}]", depth + 1) for i, value in enumerate(item))
        elif isinstance(item, str) and "\x00" in item:
            problems.append({"field": path, "message": "must not contain NUL characters"})
        elif isinstance(item, int) and not isinstance(item, bool) and _beyond_int64(item):
            problems.append(
                {"field": path, "message": "integer out of range (signed 64-bit at most)"}
            )
    for problem in problems:
        problem["type"] = "unstorable"
    return sorted(problems, key=lambda p: p["field"])


def _top_level(field: str) -> str:
    return re.split(r"[.\[]", field, maxsplit=1)[0]


@lru_cache(maxsize=512)
def _field_adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    field = model.model_fields[name]
    kind: Any = Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
    strip = bool(model.model_config.get("str_strip_whitespace"))
    return TypeAdapter(kind, config=ConfigDict(str_strip_whitespace=strip))


def partial_model(model: type[M], data: dict[str, Any], bad: set[str]) -> M:
    """`model` holding only the given fields that validated (outside `bad`); the others keep
    their defaults, so later rules can still check what is valid (a required field that was
    bad is simply unset: read only what `model_fields_set` names). For checks only, never to
    store: the model's own field and model validators are not run again."""
    values: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key in bad or name in bad or key not in data:
            continue
        try:
            adapter = _field_adapter(model, name)
            values[name] = adapter.validate_json(to_json(data[key]), strict=True)
        except ValidationError:  # valid only with its siblings (info.data): leave it out
            continue
    return model.model_construct(_fields_set=set(values), **values)


@dataclass(frozen=True)
class JsonBody:
    """A request body: its bytes and the decoded JSON."""

    raw: bytes
    data: Any

    def validate(
        self, model: type[M], what: str = "request body", codes: dict[str, str] | None = None
    ) -> M:
        """The body as `model`: strict JSON types (no "10" for a number, no "yes" for a
        boolean); every bad field is reported at once."""
        problems = body_problems(self.data)
        try:
            result = model.model_validate_json(self.raw, strict=True)
        except ValidationError as exc:
            # The body-wide check already named the exact place inside free-form values.
            skip = "json_unstorable" if problems else None
            problems += [d for d in validation_details(exc) if d["type"] != skip]
        if problems:
            raise_invalid(problems, what, codes)
        return result

    def validate_collecting(
        self, model: type[M], what: str = "request body", codes: dict[str, str] | None = None
    ) -> tuple[M, Failures]:
        """Like `validate`, but never raises: the field errors go into the returned Failures,
        and the model holds the fields that did validate (see partial_model), so the core
        can add its own problems before one 400 reports them all."""
        failures = Failures()
        try:
            return self.validate(model, what, codes), failures
        except ValidationFailed as exc:
            failures.found.append(exc)
            bad = {_top_level(d["field"]) for d in exc.details}
            return partial_model(model, self.data, bad), failures


def _is_json(request: web.Request) -> bool:
    if "Content-Type" not in request.headers:
        return False
    return JSON_MEDIA.fullmatch(request.content_type) is not None


async def read_body(request: web.Request, *, limit: int = MAX_BODY) -> JsonBody | None:
    """The JSON body (None when empty); 413 past `limit`, 415 when not JSON, 400 when
    malformed or not an object."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    # read(n) returns what has arrived so far; keep reading until the body ends.
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(limit)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return None
    if not _is_json(request):
        raise UnsupportedMediaType(request.headers.get("Content-Type"))
    try:
        # pydantic's own parser: integers keep their exact value (orjson turns those beyond
        # 64 bits into floats, which would hide them from body_problems).
        data = from_json(raw, allow_inf_nan=False)
    except ValueError as exc:
        raise ValidationFailed(
            "The body is not valid JSON.",
            details=[{"field": "body", "message": str(exc)}],
            code="MALFORMED_JSON",
        ) from None
    if not isinstance(data, dict):
        raise ValidationFailed(
            "The body must be a JSON object.",
            details=[{"field": "body", "message": "not an object"}],
        )
    return JsonBody(raw, data)


async def parse_body(
    request: web.Request,
    model: type[M],
    *,
    optional: bool = False,
    limit: int = MAX_BODY,
    codes: dict[str, str] | None = None,
) -> M:
    """The body validated as `model`; an empty body is allowed only when `optional`."""
    body = await read_body(request, limit=limit)
    if body is None:
        if optional:
            return model()
        raise ValidationFailed(
            "A JSON body is required.", details=[{"field": "body", "message": "is required"}]
        )
    return body.validate(model, codes=codes)


async def parse_body_collecting(
    request: web.Request,
    model: type[M],
    *,
    limit: int = MAX_BODY,
    codes: dict[str, str] | None = None,
) -> tuple[M, Failures]:
    """The body as `model` plus the field errors found so far (see validate_collecting); a
    missing or non-JSON body still fails at once (there is nothing more to check)."""
    body = await read_body(request, limit=limit)
    if body is None:
        raise ValidationFailed(
            "A JSON body is required.", details=[{"field": "body", "message": "is required"}]
        )
    return body.validate_collecting(model, codes=codes)
