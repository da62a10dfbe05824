"""A request the server refuses: an HTTP status and an OpenAI-style error body."""

from __future__ import annotations

from starlette.responses import JSONResponse

__all__ = ["Refused", "error_response"]


def error_response(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    """``{"error": {...}}`` as the OpenAI API shapes it (the SDK raises its typed error from it)."""
    return JSONResponse({"error": {"message": message, "type": kind, "param": None, "code": None}}, status)


class Refused(Exception):
    """Raised by request handling; the endpoint answers with :attr:`response`."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.response = error_response(status, message, kind)
