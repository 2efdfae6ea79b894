"""Passwords (policy and argon2id hashing) and the tokens mailed in links or kept in cookies."""

from __future__ import annotations

import pytest

from app.services.security import (
    check_password_policy,
    hash_password,
    hash_token,
    new_token,
    verify_password,
)

PERSONAL = "Don't use your name or email address in your password."


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "Use at least 10 characters."),
        ("nine-char", "Use at least 10 characters."),
        ("x" * 129, "Use at most 128 characters."),
        ("password123", "This password is too common. Choose another."),
        ("PassWord123", "This password is too common. Choose another."),
        ("1234567890", "This password is too common. Choose another."),
    ],
)
def test_it_refuses_short_long_and_common_passwords(password: str, message: str) -> None:
    assert check_password_policy(password, email="olga@alpha.example") == message


def test_it_accepts_the_boundaries_of_the_length_rule() -> None:
    assert check_password_policy("q7-walrus!") is None  # 10 characters
    assert check_password_policy("w" * 64 + "z" * 64) is None  # 128 characters


@pytest.mark.parametrize("password", ["olga.owner-1987", "MyOLGA.OWNER!pass", "1987olga.owner"])
def test_it_refuses_a_password_containing_the_email_local_part(password: str) -> None:
    assert check_password_policy(password, email="olga.owner@alpha.example") == PERSONAL


def test_it_refuses_the_name_as_password() -> None:
    assert check_password_policy("Olga Owner Berlin", email="o@alpha.example", name="olga owner berlin") == PERSONAL


def test_it_accepts_an_unrelated_long_password() -> None:
    assert check_password_policy("a long quiet harbour", email="olga.owner@alpha.example", name="Olga Owner") is None


def _argon2_parameters(encoded: str) -> tuple[str, dict[str, int]]:
    # $argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>
    _, variant, version, params, salt, digest = encoded.split("$")
    assert version == "v=19" and salt and digest
    return variant, {k: int(v) for k, v in (p.split("=") for p in params.split(","))}


def test_it_hashes_passwords_with_argon2id_at_least_at_the_owasp_minimum() -> None:
    variant, params = _argon2_parameters(hash_password("a long quiet harbour"))
    assert variant == "argon2id"
    assert params["m"] >= 19456  # KiB
    assert params["t"] >= 2
    assert params["p"] >= 1


def test_it_salts_each_hash_and_verifies_only_the_right_password() -> None:
    first, second = hash_password("a long quiet harbour"), hash_password("a long quiet harbour")
    assert first != second
    assert "a long quiet harbour" not in first
    assert verify_password(first, "a long quiet harbour")
    assert verify_password(second, "a long quiet harbour")
    assert not verify_password(first, "a long quiet harbour ")
    assert not verify_password(first, "")


def test_it_never_verifies_against_a_missing_or_broken_hash() -> None:
    assert not verify_password(None, "rounds-timing-equaliser")
    assert not verify_password("", "anything")
    assert not verify_password("not-a-hash", "not-a-hash")


def test_it_stores_a_token_as_a_stable_digest_not_the_token() -> None:
    token = new_token()
    digest = hash_token(token)
    assert digest == hash_token(token)
    assert digest != token and token not in digest
    assert len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)
    assert hash_token(token + "x") != digest


def test_it_makes_unguessable_url_safe_tokens() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert len(token) >= 43  # 32 random bytes
        assert all(c.isalnum() or c in "-_" for c in token)
