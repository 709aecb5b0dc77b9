"""Generated file_ids for media sent by URL, by file_id or as an upload."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from typing import Any

from emulator.errors import bad_request
from emulator.params import UploadedFile

_KIND_PREFIX = {
    "photo": "AgAC",
    "document": "BQAC",
    "video": "BAAC",
    "animation": "CgAC",
    "audio": "CQAC",
    "voice": "AwAC",
    "sticker": "CAAC",
}


@dataclass(slots=True, frozen=True)
class StoredFile:
    """A file known to the emulator, as Telegram would describe it."""

    file_id: str
    file_unique_id: str
    kind: str
    source: str  # "url", "upload" or "file_id"
    reference: str  # the URL, upload file name or the file_id that was sent
    size: int
    file_name: str | None = None
    mime_type: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Describe the file for the control API."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "kind": self.kind,
            "source": self.source,
            "reference": self.reference,
            "size": self.size,
            "file_name": self.file_name,
        }


class FileRegistry:
    """Maps media references to stable StoredFile records."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._counter = itertools.count(1)

    def resolve(
        self,
        kind: str,
        value: Any,
        uploads: dict[str, UploadedFile],
        field_name: str,
        *,
        strict: bool = False,
    ) -> StoredFile:
        """Turn a media parameter (attach://, direct upload, URL or file_id) into a file."""
        upload = uploads.get(field_name) if value is None else None
        if isinstance(value, str) and value.startswith("attach://"):
            upload = uploads.get(value[len("attach://") :])
            if upload is None:
                raise bad_request(f"wrong file identifier/HTTP URL specified: {value}")
        if upload is not None:
            return self._new(
                kind,
                "upload",
                upload.filename,
                upload.digest,
                upload.size,
                upload.filename,
                upload.content_type,
            )
        if not isinstance(value, str) or not value:
            raise bad_request(f"there is no {kind} in the request")
        if value.startswith(("http://", "https://")):
            unique = hashlib.sha1(value.encode(), usedforsecurity=False).hexdigest()
            return self._new(kind, "url", value, unique, 0, value.rsplit("/", 1)[-1] or None)
        known = self._by_id.get(value)
        if known is not None:
            return known
        if strict:
            raise bad_request("wrong file identifier/HTTP URL specified")
        stored = StoredFile(value, _unique_id(value), kind, "file_id", value, 0)
        self._by_id[value] = stored
        return stored

    def _new(
        self,
        kind: str,
        source: str,
        reference: str,
        content_key: str,
        size: int,
        file_name: str | None,
        mime_type: str | None = None,
    ) -> StoredFile:
        """Mint a fresh file_id; identical content keeps the same file_unique_id."""
        number = next(self._counter)
        prefix = _KIND_PREFIX.get(kind, "AAAC")
        file_id = f"{prefix}AgADEmu{number:010d}{content_key[:16]}"
        stored = StoredFile(
            file_id, _unique_id(content_key), kind, source, reference, size, file_name, mime_type
        )
        self._by_id[file_id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        """Look up a file minted or seen earlier."""
        return self._by_id.get(file_id)


def _unique_id(key: str) -> str:
    """A short stable identifier derived from content or reference."""
    return "AQAD" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:12]
