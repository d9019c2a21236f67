"""Keyed pseudonyms and the key they come from."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluation.errors import ParamsError, PrivacyError, PrivacyWarning
from evaluation.privacy import (
    DEMO_PSEUDONYM_KEY,
    KEY_ENV,
    KEY_FILE_ENV,
    Pseudonymiser,
    PseudonymKey,
    key_fingerprint,
    load_key,
    normalise_identifier,
    pseudonymise,
)

HEX_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
KEY = bytes.fromhex(HEX_KEY)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the project and outside any git work tree."""
    folder = tmp_path / "secrets"
    folder.mkdir()
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "params").mkdir(parents=True)
    return root


def write_key(path: Path, content: str | bytes, mode: int = 0o600) -> Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    path.chmod(mode)
    return path


# --------------------------------------------------------------------------- HMAC
def test_pseudonym_is_the_hand_computed_hmac():
    expected = "P-" + hmac.new(KEY, b"ab-12", hashlib.sha256).hexdigest()[:16]
    assert pseudonymise(pd.Series([" AB-12 "]), KEY).tolist() == [expected]


def test_compact_normalisation_matches_spaced_and_dashed_codes():
    p = Pseudonymiser(KEY, remove_separators=True)
    expected = "P-" + hmac.new(KEY, b"ab12", hashlib.sha256).hexdigest()[:16]
    assert {p.pseudonym(v) for v in ["AB-12 ", "ab12", "Ab 12", "ab_12", "AB–12"]} == {expected}
    assert Pseudonymiser(KEY).pseudonym("AB-12") != Pseudonymiser(KEY).pseudonym("ab12")


def test_unicode_is_normalised_nfc_and_casefolded():
    composed, decomposed = "Dëshmia-7", "De\u0308shmia-7"
    p = Pseudonymiser(KEY)
    assert p.pseudonym(composed) == p.pseudonym(decomposed) == p.pseudonym("DËSHMIA-7")


def test_context_separates_domains_and_length_and_prefix_apply():
    plain = Pseudonymiser(KEY).pseudonym("x1")
    scoped = Pseudonymiser(KEY, context="youth_survey").pseudonym("x1")
    assert scoped != plain
    assert scoped == "P-" + hmac.new(KEY, b"youth_survey\x1fx1", hashlib.sha256).hexdigest()[:16]
    short = Pseudonymiser(KEY, prefix="S-", length=8).pseudonym("x1")
    assert short.startswith("S-") and len(short) == 10


def test_vectorised_keeps_missing_index_and_name():
    values = pd.Series(
        ["A1", None, np.nan, "a1", "  ", 42, 42.0], index=list("abcdefg"), name="code"
    )
    out = pseudonymise(values, KEY)
    assert out.name == "code" and list(out.index) == list("abcdefg")
    assert out.isna().tolist() == [False, True, True, False, True, False, False]
    assert out["a"] == out["d"], "case-insensitive"
    assert out["f"] == out["g"], "a whole float from a gappy CSV column is the same code"


def test_same_pseudonym_in_another_process():
    code = (
        "from evaluation.privacy import pseudonymise;"
        f"print(pseudonymise(['AB-12'], bytes.fromhex('{HEX_KEY}'))[0])"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert other.stdout.strip() == pseudonymise(["AB-12"], KEY)[0]


def test_normalise_identifier_rules():
    assert normalise_identifier("  Ab   C ") == "ab c"
    assert normalise_identifier("Ab C", remove_separators=True) == "abc"
    assert normalise_identifier(12.0) == "12"
    assert normalise_identifier(12.5) == "12.5"
    assert normalise_identifier(pd.NA) is None
    assert normalise_identifier("") is None


def test_bad_pseudonymiser_settings():
    with pytest.raises(ParamsError, match="load_key"):
        Pseudonymiser("not a key")  # type: ignore[arg-type]
    with pytest.raises(ParamsError, match="8 to 64"):
        Pseudonymiser(KEY, length=4)
    with pytest.raises(PrivacyError, match="at least 16 bytes"):
        Pseudonymiser(b"short")


def test_key_never_shows_in_repr_or_description():
    key = PseudonymKey(KEY, source="test")
    p = Pseudonymiser(key)
    text = repr(key) + repr(p) + str(p.describe())
    assert HEX_KEY not in text and str(KEY) not in text
    assert p.fingerprint == hashlib.sha256(KEY).hexdigest()[:8] == key_fingerprint(KEY)


# --------------------------------------------------------------------------- key sources
def test_no_key_is_an_error_that_says_how_to_make_one(project):
    with pytest.raises(PrivacyError, match=r"secrets\.token_hex\(32\)") as error:
        load_key(environ={}, root=project)
    assert KEY_ENV in str(error.value) and KEY_FILE_ENV in str(error.value)


def test_key_from_environment_in_each_format(project):
    hexed = load_key(environ={KEY_ENV: HEX_KEY}, root=project)
    prefixed = load_key(environ={KEY_ENV: "hex:" + HEX_KEY}, root=project)
    b64 = load_key(environ={KEY_ENV: "base64:" + base64.b64encode(KEY).decode()}, root=project)
    urlsafe = load_key(
        environ={KEY_ENV: "base64:" + base64.urlsafe_b64encode(KEY).decode().rstrip("=")},
        root=project,
    )
    assert hexed.secret == prefixed.secret == b64.secret == urlsafe.secret == KEY
    phrase = "correct horse battery staple Elbasan"
    derived = hashlib.pbkdf2_hmac(
        "sha256", phrase.encode(), b"evaluation-workbench/pseudonym-key/v1", 600_000
    )
    assert load_key(environ={KEY_ENV: phrase}, root=project).secret == derived
    assert load_key(environ={KEY_ENV: "passphrase:" + phrase}, root=project).secret == derived


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("hex:zz", "not hexadecimal"),
        ("hex:0011", "at least 16 bytes"),
        ("base64:***", "not valid base64"),
        ("too short", "at least 20"),
        (DEMO_PSEUDONYM_KEY.decode(), "public demo key"),
    ],
)
def test_bad_keys_in_the_environment(project, value, message):
    with pytest.raises(PrivacyError, match=message):
        load_key(environ={KEY_ENV: value}, root=project)


def test_both_variables_set_is_ambiguous(project, outside):
    path = write_key(outside / "k", HEX_KEY)
    with pytest.raises(PrivacyError, match="set only one"):
        load_key(environ={KEY_ENV: HEX_KEY, KEY_FILE_ENV: str(path)}, root=project)


def test_path_put_in_the_key_variable_is_caught(project, outside):
    path = write_key(outside / "k", HEX_KEY)
    with pytest.raises(PrivacyError, match=KEY_FILE_ENV):
        load_key(environ={KEY_ENV: str(path)}, root=project)


def test_key_file_outside_the_project(project, outside):
    path = write_key(outside / "pseudonym.key", HEX_KEY + "\n")
    key = load_key(environ={KEY_FILE_ENV: str(path)}, root=project)
    assert key.secret == KEY and str(path) in key.source
    assert load_key(path, environ={}, root=project).secret == KEY  # dataset config path
    raw = write_key(outside / "raw.key", os.urandom(32))
    assert len(load_key(raw, environ={}, root=project).secret) == 32


def test_key_file_inside_the_project_is_refused(project):
    path = write_key(project / "pseudonym.key", HEX_KEY)
    with pytest.raises(PrivacyError, match="inside the project folder"):
        load_key(path, environ={}, root=project)


def test_key_file_inside_a_git_work_tree_is_refused(project, tmp_path):
    repo = tmp_path / "other_repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "keys").mkdir()
    path = write_key(repo / "keys" / "k", HEX_KEY)
    with pytest.raises(PrivacyError, match="git work tree"):
        load_key(path, environ={}, root=project)


def test_key_file_in_this_repository_is_refused():
    # This very file stands in for a key committed with the code (checked before reading).
    with pytest.raises(PrivacyError, match=r"inside the project folder|git work tree"):
        load_key(Path(__file__), environ={})


def test_world_readable_key_file_warns(project, outside):
    path = write_key(outside / "open.key", HEX_KEY, mode=0o644)
    with pytest.warns(PrivacyWarning, match="chmod 600"):
        load_key(path, environ={}, root=project)
    private = write_key(outside / "closed.key", HEX_KEY, mode=0o600)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_key(private, environ={}, root=project)


def test_missing_or_empty_key_file(project, outside):
    with pytest.raises(PrivacyError, match="does not exist"):
        load_key(outside / "nope.key", environ={}, root=project)
    empty = write_key(outside / "empty.key", "  \n")
    with pytest.raises(PrivacyError, match="empty"):
        load_key(empty, environ={}, root=project)


def test_demo_key_only_when_asked():
    key = load_key("demo", environ={})
    assert key.is_demo and key.secret == DEMO_PSEUDONYM_KEY
    assert b"NOT-SECRET" in DEMO_PSEUDONYM_KEY
    assert key.fingerprint == hashlib.sha256(DEMO_PSEUDONYM_KEY).hexdigest()[:8]
