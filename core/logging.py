"""Logging set-up: configured secrets redacted, library chatter and personal data kept out."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Iterable
from urllib.parse import quote

from aiohttp.http_exceptions import HttpProcessingError

# Logger -> level it is held at whatever LOG_LEVEL says (it may still be raised above it).
# aiosqlite: its DEBUG lines repr the call, bound SQL parameters included (names, texts).
# sqlalchemy.engine: statement echo (parameters are hidden by the engines, rows are not).
ALWAYS = {"aiosqlite": logging.INFO, "sqlalchemy.engine": logging.WARNING}
# Held at WARNING unless LOG_LEVEL=DEBUG: APScheduler logs two INFO lines per job run and the
# scheduler's trigger poll runs every second; aiogram.event one INFO line per update handled
# (500 of them as the demo's subscribers say /start); aiohttp.access one per request. Their
# warnings and errors (a skipped job, a handler's exception) still show. At DEBUG they come
# back: then the point is to see every timer firing and every update.
QUIET_UNLESS_DEBUG = ("apscheduler", "aiogram.event", "aiohttp.access")
SERVER_LOGGER = "aiohttp.server"
MAX_REASON = 120


def secret_variants(secrets: Iterable[str]) -> list[str]:
    """Each secret, its URL-quoted form and its SHA-256 digest (how API keys are stored)."""
    variants: list[str] = []
    for secret in secrets:
        if not secret or len(secret) < 6:
            continue
        digest = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
        for value in (secret, quote(secret, safe=""), digest):
            if value not in variants:
                variants.append(value)
    return variants


class RedactSecrets(logging.Filter):
    """Replaces every configured secret in a record's final message with `***`."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = secret_variants(secrets)

    def add(self, secret: str) -> None:
        """Also redact `secret` (a key minted after start-up)."""
        for value in secret_variants([secret]):
            if value not in self.secrets:
                self.secrets.append(value)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        redacted = self._redact(message)
        if redacted != message or record.exc_info or record.stack_info:
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = self._redact(record.exc_text)
            if record.stack_info:
                record.stack_info = self._redact(record.stack_info)
            record.msg, record.args = redacted, None
        return True

    def _redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


class MalformedRequests(logging.Filter):
    """aiohttp.server's "Error handling request" for an unparsable request: one WARNING line.

    A client that sends a broken request line or header gets its 400 from aiohttp; that is the
    client's problem, not a server error worth a traceback. The parser's message is cut before
    any echo of the raw bytes, which may be someone's header value.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, HttpProcessingError):
            return True
        remote = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
        reason = (str(error.message).strip().splitlines() or [""])[0]
        reason = re.split(r"""\bb['"]""", reason, maxsplit=1)[0].rstrip(": ")[:MAX_REASON]
        record.msg = "malformed HTTP request from %s refused (%s %s: %s)"
        record.args = (remote, error.code, type(error).__name__, reason)
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        # aiohttp already logs some of these (non-HTTP bytes on a fresh connection) at DEBUG.
        record.levelno = min(record.levelno, logging.WARNING)
        record.levelname = logging.getLevelName(record.levelno)
        return logging.getLogger(record.name).isEnabledFor(record.levelno)


class CancelledJobs(logging.Filter):
    """APScheduler's "Error running job" for a job cancelled by the scheduler's shutdown.

    Stopping the service cancels a timer job that is mid-flight; that is the stop working,
    not an error, so it becomes one DEBUG line instead of an ERROR with a traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, asyncio.CancelledError):
            return True
        record.msg = f"{record.getMessage()}: cancelled by the scheduler's shutdown"
        record.args, record.exc_info, record.exc_text = None, None, None
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


_MALFORMED = MalformedRequests()
_CANCELLED = CancelledJobs()
# The logger APScheduler's default executor reports job failures on.
JOB_ERRORS_LOGGER = "apscheduler.executors.default"


def tune_library_loggers(level: str) -> None:
    """Levels of the third-party loggers that are noisy or carry personal data."""
    for name, floor in ALWAYS.items():
        logger = logging.getLogger(name)
        logger.setLevel(max(floor, logging.getLevelName(level)))
    for name in QUIET_UNLESS_DEBUG:
        logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
    for name, quieter in ((SERVER_LOGGER, _MALFORMED), (JOB_ERRORS_LOGGER, _CANCELLED)):
        logger = logging.getLogger(name)
        if quieter not in logger.filters:
            logger.addFilter(quieter)


def redact_also(secret: str) -> None:
    """Redact `secret` too (a key minted at start-up) in every handler configured so far."""
    for handler in logging.getLogger().handlers:
        for found in handler.filters:
            if isinstance(found, RedactSecrets):
                found.add(secret)


def configure_logging(level: str, secrets: Iterable[str]) -> RedactSecrets:
    """Root logging at `level`, with secrets redacted from every handler's output."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redactor = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
    tune_library_loggers(level)
    return redactor
