"""OAuth 2.0 (FACTS §1): the marketplace consent page and POST /oauth/token."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponseRedirect, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from sandbox.models import (
    SandboxLocation,
    SandboxOAuthCode,
    SandboxToken,
    SandboxTokenGrant,
    SandboxUser,
)

from . import errors
from .api import retry_locked
from .auth import authenticate, check_version, hash_token, new_token
from .pages import render_page

CODE_TTL = timedelta(minutes=10)
REFRESH_TTL = timedelta(days=365)
APP_NAME = "Syncdeck (sandbox app)"


def client_id() -> str:
    return getattr(settings, "SANDBOX_GHL_CLIENT_ID", "sandbox-client-id")


def client_secret() -> str:
    return getattr(settings, "SANDBOX_GHL_CLIENT_SECRET", "sandbox-client-secret")


def access_ttl() -> int:
    return int(getattr(settings, "SANDBOX_GHL_TOKEN_TTL", 86399))


def _with_query(url: str, params: dict) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v not in (None, "")]
    return urlunsplit(parts._replace(query=urlencode(query)))


# --- consent page -------------------------------------------------------------------------


def _authorize_params(source) -> tuple[dict, str | None]:
    params = {
        key: (source.get(key) or "").strip()
        for key in ("response_type", "client_id", "redirect_uri", "scope", "state")
    }
    for key in ("response_type", "client_id", "redirect_uri", "scope"):
        if not params[key]:
            return params, f"Missing required parameter: {key}"
    if params["response_type"] != "code":
        return params, "Unsupported response_type: only 'code' is supported"
    if params["client_id"] != client_id():
        return params, "Invalid client_id: no app is registered with this client id"
    if urlsplit(params["redirect_uri"]).scheme not in ("http", "https"):
        return params, "Invalid redirect_uri: it must be an absolute http(s) URL"
    allowed = getattr(settings, "SANDBOX_GHL_REDIRECT_URIS", None)
    if allowed and params["redirect_uri"] not in allowed:
        return params, "Invalid redirect_uri: it is not registered for this app"
    return params, None


@csrf_protect
def authorize(request):
    source = request.POST if request.method == "POST" else request.GET
    params, problem = _authorize_params(source)
    if problem:
        return render_page(
            request, "sandbox/ghl/oauth_error.html", {"message": problem}, status=400
        )
    scopes = params["scope"].split()
    # The busiest location first (pre-selected): the demo's seeded contacts live there.
    locations = list(SandboxLocation.objects.annotate(n=Count("contacts")).order_by("-n", "name"))
    if request.method == "POST":
        if "cancel" in request.POST or request.POST.get("action") == "cancel":
            return HttpResponseRedirect(
                _with_query(
                    params["redirect_uri"],
                    {
                        "error": "access_denied",
                        "error_description": "The user denied the authorization request",
                        "state": params["state"],
                    },
                )
            )
        location = SandboxLocation.objects.filter(pk=request.POST.get("locationId", "")).first()
        if location is None:
            return render_page(
                request,
                "sandbox/ghl/authorize.html",
                {
                    "params": params,
                    "scopes": scopes,
                    "locations": locations,
                    "app_name": APP_NAME,
                    "error": "Choose a location to install the app in.",
                },
                status=400,
            )
        code = secrets.token_urlsafe(24)
        user = SandboxUser.objects.filter(company_id=location.company_id).order_by("id").first()
        SandboxOAuthCode.objects.create(
            code_hash=hash_token(code),
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            scopes=" ".join(scopes),
            location=location,
            user_id=user.id if user else "",
            expires_at=timezone.now() + CODE_TTL,
        )
        return HttpResponseRedirect(
            _with_query(params["redirect_uri"], {"code": code, "state": params["state"]})
        )
    return render_page(
        request,
        "sandbox/ghl/authorize.html",
        {"params": params, "scopes": scopes, "locations": locations, "app_name": APP_NAME},
    )


# --- token endpoint -----------------------------------------------------------------------


def _token_error(message: str, status: int = 400) -> JsonResponse:
    if status == 401:
        return errors.error(401, message, "Unauthorized")
    return errors.bad_request(message)


def issue(*, client, location, company_id, user_type, scopes, user_id, grant_type) -> dict:
    access, refresh = new_token(), new_token()
    now = timezone.now()
    ttl = access_ttl()
    common = {
        "client_id": client,
        "user_type": user_type,
        "location": location if user_type == "Location" else None,
        "company_id": company_id,
        "user_id": user_id,
        "scopes": scopes,
    }
    SandboxToken.objects.create(
        token_hash=hash_token(access),
        kind=SandboxToken.ACCESS,
        expires_at=now + timedelta(seconds=ttl),
        **common,
    )
    SandboxToken.objects.create(
        token_hash=hash_token(refresh),
        kind=SandboxToken.REFRESH,
        expires_at=now + REFRESH_TTL,
        **common,
    )
    SandboxTokenGrant.objects.create(
        grant_type=grant_type,
        client_id=client,
        location_id=location.id if location else "",
        user_type=user_type,
    )
    body = {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ttl,
        "refresh_token": refresh,
        "scope": scopes,
        "userType": user_type,
        "companyId": company_id,
        "approvedLocations": [location.id] if location else [],
        "userId": user_id,
        "planId": "sandbox-plan",
        "isBulkInstallation": False,
    }
    if user_type == "Location":
        body["locationId"] = location.id
    else:
        body["installToFutureLocations"] = False
        body["approveAllLocations"] = False
    return body


def _form(request) -> dict:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return {k: v for k, v in request.POST.items()}


@csrf_exempt
@retry_locked
def token(request):
    if request.method != "POST":
        return errors.error(404, f"Cannot {request.method} {request.path}", "Not Found")
    data = _form(request)
    for key in ("client_id", "client_secret", "grant_type"):
        if not data.get(key):
            return _token_error(f"Missing parameter: {key}")
    if data["client_id"] != client_id() or data["client_secret"] != client_secret():
        return _token_error("Invalid client: client credentials are invalid", 401)
    grant = data["grant_type"]
    user_type = data.get("user_type") or "Location"
    if user_type not in ("Location", "Company"):
        return _token_error("Invalid parameter: user_type")
    if grant == "authorization_code":
        return _exchange_code(data, user_type)
    if grant == "refresh_token":
        return _refresh(data)
    if grant == "client_credentials":
        return _token_error("Unsupported grant type: client_credentials")
    return _token_error("Invalid parameter: grant_type")


def _exchange_code(data: dict, user_type: str) -> JsonResponse:
    if not data.get("code"):
        return _token_error("Missing parameter: code")
    now = timezone.now()
    invalid = _token_error("Invalid grant: authorization code is invalid")
    with transaction.atomic():
        row = (
            SandboxOAuthCode.objects.select_related("location")
            .filter(code_hash=hash_token(data["code"]))
            .first()
        )
        if row is None or row.expires_at <= now or row.client_id != data["client_id"]:
            return invalid
        if data.get("redirect_uri") and data["redirect_uri"] != row.redirect_uri:
            return _token_error("Invalid grant: redirect_uri does not match")
        # Single use: only the request that flips used_at gets tokens.
        if (
            SandboxOAuthCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now)
            != 1
        ):
            return invalid
        body = issue(
            client=row.client_id,
            location=row.location,
            company_id=row.location.company_id,
            user_type=user_type,
            scopes=row.scopes,
            user_id=row.user_id,
            grant_type="authorization_code",
        )
    return JsonResponse(body)


def _refresh(data: dict) -> JsonResponse:
    if not data.get("refresh_token"):
        return _token_error("Missing parameter: refresh_token")
    now = timezone.now()
    invalid = _token_error("Invalid grant: refresh token is invalid")
    with transaction.atomic():
        row = (
            SandboxToken.objects.select_related("location")
            .filter(token_hash=hash_token(data["refresh_token"]), kind=SandboxToken.REFRESH)
            .first()
        )
        if row is None or row.expires_at <= now or row.client_id != data["client_id"]:
            return invalid
        # Atomic claim: of concurrent refreshes with the same token exactly one flips it.
        if SandboxToken.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now) != 1:
            return invalid
        body = issue(
            client=row.client_id,
            location=row.location,
            company_id=row.company_id,
            user_type=row.user_type,
            scopes=row.scopes,
            user_id=row.user_id,
            grant_type="refresh_token",
        )
    return JsonResponse(body)


# --- /oauth/locationToken (agency token -> location token) --------------------------------


@csrf_exempt
def location_token(request):
    if request.method != "POST":
        return errors.error(404, f"Cannot {request.method} {request.path}", "Not Found")
    try:
        principal = authenticate(request)
        check_version(request)
    except errors.GHLError as exc:
        return exc.response
    if principal.user_type != "Company" or "oauth.write" not in principal.scopes:
        return errors.scope_unauthorized()
    data = _form(request)
    problems = [f"{k} should not be empty" for k in ("companyId", "locationId") if not data.get(k)]
    if problems:
        return errors.unprocessable(problems)
    location = SandboxLocation.objects.filter(
        pk=data["locationId"], company_id=data["companyId"]
    ).first()
    if location is None or data["companyId"] != principal.company_id:
        return errors.bad_request("Location not found")
    access = new_token()
    ttl = access_ttl()
    SandboxToken.objects.create(
        token_hash=hash_token(access),
        kind=SandboxToken.ACCESS,
        client_id=principal.client_id,
        user_type="Location",
        location=location,
        company_id=location.company_id,
        scopes=" ".join(sorted(principal.scopes)),
        expires_at=timezone.now() + timedelta(seconds=ttl),
    )
    return JsonResponse(
        {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ttl,
            "scope": " ".join(sorted(principal.scopes)),
            "locationId": location.id,
            "planId": "sandbox-plan",
            "userId": "",
            "appId": "sandbox-app-000000000001",
            "versionId": "sandbox-version-000000001",
        }
    )
