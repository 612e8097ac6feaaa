"""Errors a user can act on: one readable paragraph, never a traceback."""

from __future__ import annotations


class RkgError(Exception):
    """A failure caused by input or configuration, reported to the user as its message."""

    exit_code = 2
    status = 400  # the HTTP status when a request meets it


class EngineError(RkgError):
    """The external SPARQL engine could not be reached, or failed (HTTP 502 Bad Gateway)."""

    status = 502


class InputError(RkgError):
    """A file that cannot be read or parsed; the message names the file and, when known, the line."""

    def __init__(self, path: object, message: str, line: int | None = None, column: int | None = None):
        where = str(path)
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.line = line
        self.column = column
