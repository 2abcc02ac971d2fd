"""Every URL of the dashboard and the webhook receivers, driven with nasty values: never a 500.

The URL list comes from the resolver (config.urls → dashboard, webhooks), so a new view is
fuzzed without touching this file. Each URL is called with GET and POST, as an owner and
anonymously; path parameters are filled with real objects' codes and with nasty values. The
parameter names are the ones the view reads (found in its source, and the fields of the forms
it uses) plus a base of valid values per URL, so a nasty value also reaches the code behind a
valid action. A fixed table runs first (every name × a core of nasty values, deterministic),
then Hypothesis mixes names and values (derandomized, bounded, no shrinking)."""

from __future__ import annotations

import inspect
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.dashboard.fuzz_world import CLOSED, World, no_outside_http, world  # noqa: F401

pytestmark = pytest.mark.django_db

NAMESPACES = ("dashboard", "webhooks")
HUGE = "99999999999999999999999"

# Small enough to run every one against every name (the table), bad enough to find the
# classic 500s: unicode digits int() reads (١٢٣) or str.isdigit() passes (²), NUL bytes
# (PostgreSQL refuses them), huge numbers, view names as redirect targets, header breaks.
CORE: list[str | bytes] = [
    "",
    "-1",
    HUGE,
    "²",
    "١٢٣",
    "a\x00b",
    "javascript:alert(1)",
    b"\xff\xfe",  # not UTF-8
]
NASTY: list[str | bytes] = [
    *CORE,
    "abc",
    "\r\nX-Injected: 1",
    "0",
    "1",
    "1.5",
    "1e400",
    "9" * 5000,
    "x" * 10_000,
    "../../etc/passwd",
    "//evil.example/",
    "https://evil.example/",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "é漢字🙂",
    "\x00",
    "%00",
    "null",
    "[]",
    '{"a":',
    "true",
    str(uuid.UUID(int=7)),
]
# Path parameters, by converter: values that still match its regex.
PATH_NASTY = {
    "uuid": [str(uuid.UUID(int=1))],
    "int": ["0", HUGE],
    "slug": ["x" * 300, "ghl-"],
    "str": ["\x00", "١٢٣", "x" * 3000, "..", "%ff"],
    "path": ["\x00", "../x"],
}
# Names no source scan finds (dynamic form fields, the map editor's rows).
EXTRA_NAMES = [
    "scopes",
    "rows",
    "r0-target",
    "r0-source",
    "r0-const",
    "r0-transforms",
    "r0-default",
]
READS = re.compile(r"""(?:GET|POST)(?:\.get|\.getlist|\.pop)?[\(\[]\s*["']([\w-]+)["']""")
FORM_USE = re.compile(r"\b([A-Z]\w*Form)\(")


@dataclass
class Route:
    name: str  # namespace:name
    converters: dict[str, str]
    view: Any
    names: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return self.name


def _walk(patterns: list[Any], namespace: str = "") -> list[tuple[str, Any, dict[str, str]]]:
    out = []
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace in NAMESPACES:
                out += _walk(p.url_patterns, p.namespace)
        elif isinstance(p, URLPattern) and namespace and p.name:
            converters = {
                k: type(c).__name__.replace("Converter", "").lower()
                for k, c in p.pattern.converters.items()
            }
            out.append((f"{namespace}:{p.name}", p.callback, converters))
    return out


def _names(view: Any) -> list[str]:
    """The parameters a view reads: in its source, and the fields of the forms it builds."""
    func = inspect.unwrap(view)
    source = inspect.getsource(func)
    names = set(READS.findall(source))
    for form_name in FORM_USE.findall(source):
        form = func.__globals__.get(form_name)
        names |= set(getattr(form, "base_fields", {}))
    return sorted(names | {"next"})


def routes() -> list[Route]:
    found = [Route(n, c, v) for n, v, c in _walk(get_resolver().url_patterns)]
    for route in found:
        route.names = _names(route.view) + EXTRA_NAMES
    return found


ROUTES = routes()


def test_the_resolver_gives_every_view() -> None:
    names = {r.name for r in ROUTES}
    assert {"dashboard:wizard_map", "dashboard:switch_workspace", "webhooks:ghl"} <= names
    assert len(ROUTES) >= 40


# --- real values -------------------------------------------------------------------------


def path_kwargs(route: Route, w: World) -> dict[str, Any]:
    """Real objects for the route's path parameters."""
    name = route.name.split(":")[1]
    kw: dict[str, Any] = {}
    for param, conv in route.converters.items():
        if param == "kind":
            kw[param] = "ghl"
        elif param == "token":
            kw[param] = w.invitation.token
        elif param == "run":
            kw[param] = w.run.code
        elif param == "pk":
            kw[param] = (
                w.rule.pk
                if name.startswith("alert")
                else w.invitation.pk
                if name.startswith("invitation")
                else w.backfill.pk
            )
        elif param == "code":
            if name == "wizard_backfill_progress" or name.startswith("integration_"):
                kw[param] = w.integration.code
            elif name.startswith("wizard"):
                kw[param] = w.draft_integration.code
            elif name.startswith("run"):
                kw[param] = w.run.code
            elif name.startswith("connection"):
                kw[param] = w.ghl.code
            elif name.startswith("event"):
                kw[param] = w.event.code
            elif name.startswith("flow"):
                kw[param] = w.flow.code
            else:
                kw[param] = uuid.uuid4()
        else:
            kw[param] = {"int": 1, "uuid": uuid.uuid4()}.get(conv, "x")
    return kw


def base_params(route: Route, w: World) -> dict[str, Any]:
    """Valid values that take a view past its first checks (a nasty value then goes deeper)."""
    name = route.name.split(":")[1]
    key = w.flow_key
    bases: dict[str, dict[str, Any]] = {
        "wizard_map": {"flow": key, "rows": "1", "r0-target": "email", "r0-source": "x"},
        "wizard_preview": {"flow": key, "rows": "1", "r0-target": "email", "r0-source": "x"},
        "wizard_flows": {
            "action": "scratch",
            "side": "b",
            "trigger_kind": "poll",
            "interval": "5",
            "operation": "create-contact",
            "object_type": "contact",
        },
        "wizard_credentials": {"a": str(w.ghl.code), "b": str(w.app.code)},
        "wizard_connect_yourapp": {
            "label": "App",
            "base_url": CLOSED,
            "auth_type": "bearer",
            "api_key": "k",
            "header_name": "X-Key",
        },
        "wizard_new": {"name": "Fuzzed", "a_kind": "ghl", "b_kind": "rest"},
        "wizard_publish": {"note": "n", "backfill": str(w.backfill.pk)},
        "wizard_test": {"flow": key, "run": str(w.run.code)},
        "wizard_dry_run": {"flow": key},
        "wizard_test_sync": {"flow": key},
        "wizard_operations": {"side": "a", "q": "contact"},
        "switch_workspace": {"workspace": str(w.workspace.pk)},
        "connection_token": {"token": "pit-1", "account_id": "loc1", "scopes": "contacts.readonly"},
        "connection_new": {"scopes": "contacts.readonly"},
        "alerts": {
            "kind": "run_failed",
            "channel": "email",
            "target": "a@b.co",
            "threshold": "20",
            "window_minutes": "60",
        },
        "team": {"email": "x@example.com", "role": "viewer"},
        "runs": {"status": "failed", "range": "24h", "q": "c-1"},
        "charts": {"integration": str(w.integration.code), "range": "7d"},
        "flow_run_now": {"confirm": "yes"},
    }
    return dict(bases.get(name, {"next": "/runs/"}))


# --- requests ----------------------------------------------------------------------------


def encode(params: dict[str, Any]) -> str:
    pairs = []
    for k, v in params.items():
        for item in v if isinstance(v, list) else [v]:
            pairs.append((k, item))
    return urlencode(pairs)


@dataclass
class Caller:
    client: Client
    failures: list[str]
    count: int = 0

    def call(
        self, method: str, route: Route, kwargs: dict[str, Any], params: dict[str, Any], hx: bool
    ) -> None:
        url = reverse(route.name, kwargs=kwargs)
        query = encode(params)
        headers = {"HTTP_HX_REQUEST": "true"} if hx else {}
        if method == "GET":
            answer = self.client.get(f"{url}?{query}", **headers)
        else:
            answer = self.client.post(
                url, query, content_type="application/x-www-form-urlencoded", **headers
            )
        self.count += 1
        if answer.status_code >= 500:
            exc = getattr(answer, "exc_info", None)
            why = f"{exc[0].__name__}: {str(exc[1])[:120]}" if exc else ""
            self.failures.append(
                f"{answer.status_code} {method} {route} {kwargs} {params!r:.300} {why}"
            )


def table(route: Route, w: World) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Deterministic cases: the base, each name × each core value, and nasty path values."""
    kwargs, base = path_kwargs(route, w), base_params(route, w)
    cases = [(kwargs, base)]
    for name in route.names:
        for value in CORE:
            cases.append((kwargs, {**base, name: value}))
        cases.append((kwargs, {**base, name: [HUGE, "²"]}))  # a repeated key
    for param, conv in route.converters.items():
        for value in PATH_NASTY.get(conv, []):
            cases.append(({**kwargs, param: value}, base))
    return cases


def nasty_values(route: Route, w: World) -> st.SearchStrategy[Any]:
    real = [
        str(w.run.code),
        str(w.ghl.code),
        str(w.workspace.pk),
        w.flow_key,
        str(w.backfill.pk),
        "/runs/",
    ]
    one = st.sampled_from(NASTY + real) | st.text(max_size=30) | st.integers().map(str)
    return one | st.lists(one, min_size=2, max_size=3)


@pytest.fixture
def owner_client(owner) -> Client:  # type: ignore[no-untyped-def]
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    return client


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_no_500_as_an_owner(route: Route, world: World, owner_client: Client) -> None:  # noqa: F811
    caller = Caller(owner_client, [])
    for method in ("GET", "POST"):
        for kwargs, params in table(route, world):
            caller.call(method, route, kwargs, params, hx=False)

    kwargs, base = path_kwargs(route, world), base_params(route, world)

    @settings(
        max_examples=10,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(
        method=st.sampled_from(["GET", "POST"]),
        changes=st.dictionaries(
            st.sampled_from(route.names), nasty_values(route, world), min_size=1, max_size=4
        ),
        keep_base=st.booleans(),
        hx=st.booleans(),
    )
    def explore(method: str, changes: dict[str, Any], keep_base: bool, hx: bool) -> None:
        params = {**(base if keep_base else {}), **changes}
        caller.call(method, route, kwargs, params, hx)

    explore()
    assert not caller.failures, f"{len(caller.failures)} of {caller.count}:\n" + "\n".join(
        caller.failures[:30]
    )


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_no_500_anonymously(route: Route, world: World) -> None:  # noqa: F811
    caller = Caller(Client(raise_request_exception=False), [])
    kwargs, base = path_kwargs(route, world), base_params(route, world)
    for method in ("GET", "POST"):
        caller.call(method, route, kwargs, base, hx=False)
        for value in CORE:
            caller.call(method, route, kwargs, {name: value for name in route.names}, hx=True)
        for param, conv in route.converters.items():
            for value in PATH_NASTY.get(conv, []):
                caller.call(method, route, {**kwargs, param: value}, base, hx=False)
    assert not caller.failures, "\n".join(caller.failures[:30])
