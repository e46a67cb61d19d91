"""API keys from VA_API_KEYS (hashed), authentication and ownership."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.gateway.auth import (
    ANONYMOUS,
    ApiKeyAuth,
    Forbidden,
    Principal,
    Unauthenticated,
    hash_key,
    key_from_headers,
)
from services.gateway.config import GatewaySettings


def test_keys_are_configured_as_name_and_sha256():
    settings = GatewaySettings(api_keys=f" alpha:{hash_key('a')} , beta:{hash_key('b')},")
    auth = ApiKeyAuth(settings.key_hashes())

    assert auth.authenticate("a") == Principal("alpha") and auth.authenticate("b") == Principal("beta")
    with pytest.raises(Unauthenticated):
        auth.authenticate("c")
    with pytest.raises(Unauthenticated):
        auth.authenticate(None)


@pytest.mark.parametrize(
    "value", ["alpha", "alpha:abc", f"alpha:{hash_key('a').upper()}", f":{hash_key('a')}", f"al pha:{hash_key('a')}"]
)
def test_malformed_key_entries_are_refused_at_start(value):
    with pytest.raises(ValidationError) as error:
        GatewaySettings(api_keys=value)
    assert "sha256" in str(error.value)


def test_no_keys_means_authentication_is_off():
    auth = ApiKeyAuth(GatewaySettings(api_keys="").key_hashes())
    assert not auth.enabled and auth.authenticate(None) == Principal(ANONYMOUS)


def test_only_the_owner_may_use_a_session():
    ApiKeyAuth.authorize(Principal("alpha"), "alpha")
    with pytest.raises(Forbidden):
        ApiKeyAuth.authorize(Principal("beta"), "alpha")


def test_key_sources():
    assert key_from_headers("k1", "Bearer k2") == "k1"
    assert key_from_headers(None, "Bearer k2") == "k2"
    assert key_from_headers(None, "Basic abc") is None
