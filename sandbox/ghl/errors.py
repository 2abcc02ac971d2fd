"""GHL error bodies (common-schemas.json and FACTS §6)."""

from __future__ import annotations

from django.http import JsonResponse


class GHLError(Exception):
    """Raised inside views; the API wrapper turns it into the GHL-shaped response."""

    def __init__(self, response: JsonResponse):
        super().__init__(response.status_code)
        self.response = response


def error(status: int, message, error_text: str | None = None, **extra) -> JsonResponse:
    body: dict = {"statusCode": status, "message": message}
    if error_text:
        body["error"] = error_text
    body.update(extra)
    return JsonResponse(body, status=status)


def bad_request(message: str = "Bad Request", **extra) -> JsonResponse:
    return error(400, message, **extra)


def unauthorized(message: str = "Invalid token: access token is invalid") -> JsonResponse:
    return error(401, message, "Unauthorized")


def scope_unauthorized() -> JsonResponse:
    return error(401, "The token is not authorized for this scope.")


def forbidden(message: str = "The token does not have access to this location") -> JsonResponse:
    return error(403, message, "Forbidden")


def not_found(message: str = "Not Found") -> JsonResponse:
    return error(404, message, "The requested resource was not found")


def unprocessable(messages: list[str] | str) -> JsonResponse:
    if isinstance(messages, str):
        messages = [messages]
    return error(422, list(messages), "Unprocessable Entity")


def too_many_requests() -> JsonResponse:
    # GHL documents no 429 body (no spec declares one); this NestJS-style body is a guess.
    return error(429, "Too many requests")


def server_error(status: int = 500) -> JsonResponse:
    texts = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
    return error(status, texts.get(status, "Internal Server Error"))


def raise_error(response: JsonResponse):
    raise GHLError(response)
