"""The project's own error types. Every error a user can cause is one of these (exit code 2 on the CLI)."""
from __future__ import annotations


class InputError(Exception):
    """Bad input from the user: a file, an argument, a request. The message names the file and the place."""

    def __init__(self, message: str, *, file: str | None = None, where: str | None = None):
        self.file = file
        self.where = where
        self.bare_message = message
        prefix = ""
        if file:
            prefix = f"{file}"
            if where:
                prefix += f" at {where}"
            prefix += ": "
        super().__init__(prefix + message)


class SnapshotError(InputError):
    """A snapshot (or a part of it) that cannot be loaded at all."""


class RequestError(InputError):
    """An authorization request (simulate) that is not valid."""


class PolicyError(InputError):
    """A policy document that is not valid."""
