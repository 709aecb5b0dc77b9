"""Request parameters: decoding JSON, urlencoded and multipart bodies plus typed access."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from aiohttp import MultipartReader, StreamReader
from multidict import CIMultiDictProxy

from emulator.errors import ApiError, bad_request

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})


@dataclass(slots=True, frozen=True)
class UploadedFile:
    """A file part of a multipart request; only its metadata is kept."""

    field: str
    filename: str
    size: int
    content_type: str
    digest: str


class Params:
    """Method parameters with Telegram-like coercion of string values."""

    __slots__ = ("files", "values")

    def __init__(
        self, values: dict[str, Any] | None = None, files: dict[str, UploadedFile] | None = None
    ) -> None:
        self.values: dict[str, Any] = values if values is not None else {}
        self.files: dict[str, UploadedFile] = files if files is not None else {}

    def get(self, name: str) -> Any:
        """Return the raw value or None."""
        return self.values.get(name)

    def text(self, name: str) -> str | None:
        """Return a string parameter; numbers are stringified like Telegram does."""
        value = self.values.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        raise bad_request(f'field "{name}" must be of type String')

    def integer(self, name: str, *, required: bool = False) -> int | None:
        """Return an integer parameter, raising "<name> is empty" when required and missing."""
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty")
            return None
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be of type Integer')
        if isinstance(value, int):
            return value
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def require_int(self, name: str) -> int:
        """Return a mandatory integer parameter."""
        value = self.integer(name, required=True)
        assert value is not None  # integer(required=True) raises instead of returning None
        return value

    def number(self, name: str) -> float | None:
        """Return a float parameter or None."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def boolean(self, name: str, default: bool = False) -> bool:
        """Return a boolean parameter; form values arrive as "true"/"false"."""
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        lowered = str(value).lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise bad_request(f'field "{name}" must be of type Boolean')

    def json(self, name: str, what: str) -> Any:
        """Return a nested object, decoding it when it arrived as a JSON string."""
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            raise bad_request(f"can't parse {what} JSON object") from None

    def chat_ref(self, name: str = "chat_id") -> int | str:
        """Return a chat id (int) or a public @username (str)."""
        value = self.values.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            if value.startswith("@"):
                return value
            try:
                return int(value)
            except ValueError:
                pass
        raise bad_request("chat not found")


async def read_params(
    headers: CIMultiDictProxy[str] | Mapping[str, str],
    stream: StreamReader,
    query: Mapping[str, str] | None = None,
) -> Params:
    """Decode query string plus a JSON, urlencoded or multipart body into Params."""
    values: dict[str, Any] = dict(query) if query else {}
    content_type = headers.get("Content-Type", "")
    if content_type.startswith("multipart/"):
        files = await _read_multipart(headers, stream, values)
        return Params(values, files)
    body = await stream.read()
    if not body:
        return Params(values)
    if content_type.startswith("application/json") or (
        not content_type and body[:1] in (b"{", b"[")
    ):
        values.update(_decode_json_body(body))
    else:
        try:
            values.update(parse_qsl(body.decode(), keep_blank_values=True))
        except UnicodeDecodeError:
            raise bad_request("request body is not valid UTF-8") from None
    return Params(values)


def _decode_json_body(body: bytes) -> dict[str, Any]:
    """Parse a JSON object body."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise bad_request("can't parse JSON request body") from None
    if not isinstance(data, dict):
        raise ApiError(400, "Bad Request: JSON request body must be an object")
    return data


async def _read_multipart(
    headers: CIMultiDictProxy[str] | Mapping[str, str],
    stream: StreamReader,
    values: dict[str, Any],
) -> dict[str, UploadedFile]:
    """Read form fields into `values` and return metadata of the file parts."""
    files: dict[str, UploadedFile] = {}
    reader = MultipartReader(headers, stream)
    while (part := await reader.next()) is not None:
        if isinstance(part, MultipartReader):
            await part.release()
            continue
        name = part.name or ""
        if part.filename is None:
            values[name] = await part.text()
            continue
        digest = hashlib.sha1(usedforsecurity=False)
        size = 0
        while chunk := await part.read_chunk():
            digest.update(chunk)
            size += len(chunk)
        files[name] = UploadedFile(
            field=name,
            filename=part.filename,
            size=size,
            content_type=part.headers.get("Content-Type", "application/octet-stream"),
            digest=digest.hexdigest(),
        )
    return files
