"""Shared-secret and bearer checks for apps that do not sign their webhooks."""

from __future__ import annotations

from integrations.connectors import inbound
from integrations.connectors.rest import signing


def test_header_secret_matches_only_the_exact_secret():
    assert inbound.verify("header_secret", "s3cret", {"X-Webhook-Secret": "s3cret"}, b"", 0).ok
    wrong = inbound.verify("header_secret", "s3cret", {"X-Webhook-Secret": "s3cre"}, b"", 0)
    assert (wrong.ok, wrong.verdict) == (False, signing.INVALID)
    missing = inbound.verify("header_secret", "s3cret", {}, b"", 0)
    assert (missing.ok, missing.verdict) == (False, signing.MISSING)
    unset = inbound.verify("header_secret", "", {"X-Webhook-Secret": "x"}, b"", 0)
    assert not unset.ok


def test_bearer_needs_the_scheme_and_the_token():
    assert inbound.verify("bearer", "tok", {"Authorization": "Bearer tok"}, b"", 0).ok
    assert inbound.verify("bearer", "tok", {"Authorization": "bearer tok"}, b"", 0).ok
    assert not inbound.verify("bearer", "tok", {"Authorization": "Basic tok"}, b"", 0).ok
    assert not inbound.verify("bearer", "tok", {"Authorization": "Bearer to"}, b"", 0).ok
    assert inbound.verify("bearer", "tok", {}, b"", 0).verdict == signing.MISSING


def test_signature_is_the_hmac_scheme_and_unknown_auth_is_refused():
    body = b'{"id": "e1"}'
    header = signing.sign("k", body, 1000)
    assert inbound.verify("signature", "k", {signing.SIGNATURE_HEADER: header}, body, 1000).ok
    assert not inbound.verify("", "k", {signing.SIGNATURE_HEADER: header}, body, 1000).ok
    assert inbound.presented("header_secret", {"X-Webhook-Secret": "v"}) == ["X-Webhook-Secret"]
    assert inbound.presented("bearer", {}) == []
