"""Undo what core.logging's set-up did to the process-wide loggers, after a test."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def preserved_logging() -> Iterator[None]:
    """Restore every named logger's level and filters, and the root handlers' filters."""
    manager = logging.Logger.manager
    loggers = [
        logging.getLogger(),
        *(v for v in manager.loggerDict.values() if isinstance(v, logging.Logger)),
    ]
    saved = {logger: (logger.level, list(logger.filters)) for logger in loggers}
    handlers = {handler: list(handler.filters) for handler in logging.getLogger().handlers}
    try:
        yield
    finally:
        for logger in [logging.getLogger(), *manager.loggerDict.values()]:
            if not isinstance(logger, logging.Logger):
                continue
            level, filters = saved.get(logger, (logging.NOTSET, []))
            logger.setLevel(level)
            logger.filters[:] = filters
        for handler, filters in handlers.items():
            handler.filters[:] = filters
