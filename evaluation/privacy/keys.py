"""The secret key behind keyed pseudonyms: where it comes from and how it is checked.

A key is read, in this order of preference, from

1. the dataset config (``pseudonym_key:`` in ``params/datasets.yaml``): ``demo`` for the
   demo world's public key, ``env`` for the environment (below), or a path to a key file;
2. the environment variable ``WORKBENCH_PSEUDONYM_KEY`` (the key itself), or
3. the environment variable ``WORKBENCH_PSEUDONYM_KEY_FILE`` (a path to a key file).

There is never a built-in default: without a key, :func:`load_key` raises
:class:`~evaluation.errors.PrivacyError` saying how to make one.

Key text (the variable's value, or a key file's content without surrounding whitespace):

``hex:<hex digits>``
    at least 16 bytes (32 hex digits); 32 bytes recommended.
``base64:<base64>``
    standard or URL-safe alphabet, at least 16 bytes once decoded.
``passphrase:<text>``
    at least 20 characters; stretched with PBKDF2-HMAC-SHA256 (600,000 iterations, fixed
    salt :data:`PASSPHRASE_SALT`) after Unicode NFC normalisation.
no prefix
    hex if the text is only hex digits (even length, at least 32 of them), otherwise a
    passphrase. The prefix is part of the key: ``hex:ab…`` and ``passphrase:ab…`` give
    different pseudonyms.

A key file may also hold at least 16 raw random bytes (e.g. ``head -c 32 /dev/urandom``).
Key files must live outside the project folder and outside any git work tree, so that they
cannot be committed with the code; a key file that others can read raises a
:class:`~evaluation.errors.PrivacyWarning`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os
import re
import stat
import unicodedata
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from evaluation.errors import PrivacyError, PrivacyWarning

KEY_ENV = "WORKBENCH_PSEUDONYM_KEY"
KEY_FILE_ENV = "WORKBENCH_PSEUDONYM_KEY_FILE"

#: The demo world's key. It is public: use it only for the synthetic demo data
#: (dataset config ``pseudonym_key: demo``), never for real respondents.
DEMO_PSEUDONYM_KEY = b"demo-key-NOT-SECRET-elbasan-workbench-synthetic-data-only"

PASSPHRASE_SALT = b"evaluation-workbench/pseudonym-key/v1"
PASSPHRASE_ITERATIONS = 600_000
MIN_KEY_BYTES = 16
MIN_PASSPHRASE_CHARS = 20

HOW_TO_MAKE_A_KEY = (
    'create one with: python -c "import secrets; print(secrets.token_hex(32))" > '
    "~/.config/workbench/pseudonym.key && chmod 600 ~/.config/workbench/pseudonym.key, then "
    f"export {KEY_FILE_ENV}=~/.config/workbench/pseudonym.key (or put the key itself in "
    f"{KEY_ENV}); keep the key outside the project folder and keep a safe copy: without the "
    "same key, later waves get different pseudonyms and cannot be linked"
)

_HEX = re.compile(r"[0-9a-fA-F]+")


@dataclass(frozen=True)
class PseudonymKey:
    """A pseudonymisation key and where it came from.

    The secret never appears in ``repr`` or logs; use :attr:`fingerprint` to say which key
    was used.

    Attributes
    ----------
    secret : bytes
        The HMAC key.
    source : str
        Where it was read from, in words (``"environment variable ..."``, ``"key file ..."``,
        ``"demo key"``).
    """

    secret: bytes = field(repr=False)
    source: str = "given in code"

    def __post_init__(self) -> None:
        if not isinstance(self.secret, bytes):
            raise PrivacyError(
                f"a pseudonym key must be bytes, got {type(self.secret).__name__}; "
                "use evaluation.privacy.load_key() to read one"
            )
        if len(self.secret) < MIN_KEY_BYTES:
            raise PrivacyError(
                f"the pseudonym key from {self.source} is {len(self.secret)} bytes long; "
                f"at least {MIN_KEY_BYTES} bytes are needed (32 recommended); {HOW_TO_MAKE_A_KEY}"
            )

    @property
    def fingerprint(self) -> str:
        """First 8 hex digits of SHA-256 of the key: safe to log, identifies the key."""
        return key_fingerprint(self.secret)

    @property
    def is_demo(self) -> bool:
        """True for the public demo key."""
        return self.secret == DEMO_PSEUDONYM_KEY

    def __repr__(self) -> str:
        return f"PseudonymKey(source={self.source!r}, fingerprint={self.fingerprint!r})"


def key_fingerprint(secret: bytes) -> str:
    """First 8 hex digits of ``SHA-256(secret)``, for logs (never log the key itself)."""
    return hashlib.sha256(secret).hexdigest()[:8]


def load_key(
    spec: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    root: Path | None = None,
) -> PseudonymKey:
    """Read the pseudonymisation key named by a dataset config, or from the environment.

    Parameters
    ----------
    spec : str, path or None
        The dataset config's ``pseudonym_key`` value: ``"demo"`` (the public demo key),
        ``None`` or ``"env"`` (read ``WORKBENCH_PSEUDONYM_KEY`` or
        ``WORKBENCH_PSEUDONYM_KEY_FILE``), or the path of a key file.
    environ : mapping, optional
        Environment to read (default ``os.environ``); tests pass their own.
    root : Path, optional
        Project folder a key file must be outside of (default
        :func:`evaluation.paths.project_root`).

    Returns
    -------
    PseudonymKey

    Raises
    ------
    PrivacyError
        No key; both variables set; key too short or malformed; the real key equals the
        public demo key; key file missing, empty, or inside the project folder or a git
        work tree.

    Warns
    -----
    PrivacyWarning
        The key file can be read by other users of the machine.

    Examples
    --------
    >>> key = load_key("demo")
    >>> key.fingerprint  # doctest: +SKIP
    '5b1c0e7a'
    """
    env = os.environ if environ is None else environ
    if isinstance(spec, str) and spec.strip().lower() == "demo":
        return PseudonymKey(DEMO_PSEUDONYM_KEY, source="demo key (public; demo data only)")
    if spec is None or (isinstance(spec, str) and spec.strip().lower() in ("", "env")):
        return _key_from_environment(env, root)
    return _checked(read_key_file(Path(os.fspath(spec)), root=root))


def parse_key_text(text: str, source: str) -> bytes:
    """Turn key text (see module docstring for the formats) into key bytes.

    Raises
    ------
    PrivacyError
        Malformed hex or base64, a key shorter than 16 bytes, a passphrase shorter than
        20 characters, or the public demo key.
    """
    text = text.strip()
    if DEMO_PSEUDONYM_KEY.decode() in text:
        raise PrivacyError(
            f"the key from {source} is the public demo key; real data needs a secret key; "
            f"{HOW_TO_MAKE_A_KEY}"
        )
    kind, _, body = text.partition(":")
    kind = kind.lower()
    if kind == "hex":
        return _decode_hex(body.strip(), source)
    if kind == "base64":
        return _decode_base64(body.strip(), source)
    if kind == "passphrase":
        return _stretch_passphrase(body, source)
    if _HEX.fullmatch(text) and len(text) % 2 == 0 and len(text) >= 2 * MIN_KEY_BYTES:
        return bytes.fromhex(text)
    return _stretch_passphrase(text, source)


def read_key_file(path: Path, *, root: Path | None = None) -> PseudonymKey:
    """Read a key file after checking that it lives outside the project and any git tree.

    Raises
    ------
    PrivacyError
        The file is missing, a folder, empty, inside the project folder or a git work
        tree, or holds a malformed key.

    Warns
    -----
    PrivacyWarning
        Other users can read the file.
    """
    path = path.expanduser()
    if not path.exists():
        raise PrivacyError(f"key file {path} does not exist; {HOW_TO_MAKE_A_KEY}")
    if not path.is_file():
        raise PrivacyError(f"key file {path} is not a file; point to the file that holds the key")
    resolved = path.resolve()
    _refuse_inside_project(resolved, root)
    _warn_if_readable_by_others(resolved)
    data = resolved.read_bytes()
    source = f"key file {resolved}"
    if not data.strip():
        raise PrivacyError(f"{source} is empty; {HOW_TO_MAKE_A_KEY}")
    text = _as_key_text(data)
    secret = data if text is None else parse_key_text(text, source)
    return PseudonymKey(secret, source=source)


def _key_from_environment(env: Mapping[str, str], root: Path | None) -> PseudonymKey:
    value, file_value = env.get(KEY_ENV, "").strip(), env.get(KEY_FILE_ENV, "").strip()
    if value and file_value:
        raise PrivacyError(
            f"both {KEY_ENV} and {KEY_FILE_ENV} are set; set only one, so that it is clear "
            "which key makes the pseudonyms"
        )
    if file_value:
        return _checked(read_key_file(Path(file_value), root=root))
    if not value:
        raise PrivacyError(
            f"no pseudonymisation key: set {KEY_ENV} or {KEY_FILE_ENV}, or name a key file "
            f"in the dataset config (pseudonym_key: /path/outside/the/project); "
            f"{HOW_TO_MAKE_A_KEY}"
        )
    if _looks_like_path(value):
        raise PrivacyError(
            f"{KEY_ENV} holds what looks like a file path ({value}); put the path in "
            f"{KEY_FILE_ENV} instead, or put the key itself in {KEY_ENV}"
        )
    source = f"environment variable {KEY_ENV}"
    return _checked(PseudonymKey(parse_key_text(value, source), source=source))


def _checked(key: PseudonymKey) -> PseudonymKey:
    if key.is_demo:
        raise PrivacyError(
            f"the key from {key.source} is the public demo key; real data needs a secret "
            f"key; {HOW_TO_MAKE_A_KEY}"
        )
    return key


def _decode_hex(body: str, source: str) -> bytes:
    try:
        secret = bytes.fromhex(body)
    except ValueError:
        raise PrivacyError(
            f"the key from {source} starts with 'hex:' but is not hexadecimal; {HOW_TO_MAKE_A_KEY}"
        ) from None
    return _long_enough(secret, source)


def _decode_base64(body: str, source: str) -> bytes:
    padded = body + "=" * (-len(body) % 4)
    if re.fullmatch(r"[A-Za-z0-9+/]*=*", padded):
        decode = base64.b64decode
    elif re.fullmatch(r"[A-Za-z0-9_\-]*=*", padded):
        decode = base64.urlsafe_b64decode
    else:
        decode = None
    try:
        if decode is None:
            raise ValueError(body)
        secret = decode(padded.encode("ascii"))
    except (binascii.Error, ValueError):
        raise PrivacyError(
            f"the key from {source} starts with 'base64:' but is not valid base64; "
            f"{HOW_TO_MAKE_A_KEY}"
        ) from None
    return _long_enough(secret, source)


def _long_enough(secret: bytes, source: str) -> bytes:
    if len(secret) < MIN_KEY_BYTES:
        raise PrivacyError(
            f"the key from {source} is {len(secret)} bytes long; at least {MIN_KEY_BYTES} "
            f"bytes are needed (32 recommended); {HOW_TO_MAKE_A_KEY}"
        )
    return secret


def _stretch_passphrase(text: str, source: str) -> bytes:
    passphrase = unicodedata.normalize("NFC", text.strip())
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise PrivacyError(
            f"the key from {source} is taken as a passphrase but has only {len(passphrase)} "
            f"characters; use at least {MIN_PASSPHRASE_CHARS}, or a random hex key; "
            f"{HOW_TO_MAKE_A_KEY}"
        )
    return _pbkdf2(passphrase)


@functools.lru_cache(maxsize=8)
def _pbkdf2(passphrase: str) -> bytes:
    # Stretching makes guessing a weak passphrase from published pseudonyms slow.
    return hashlib.pbkdf2_hmac(
        "sha256", passphrase.encode("utf-8"), PASSPHRASE_SALT, PASSPHRASE_ITERATIONS
    )


def _as_key_text(data: bytes) -> str | None:
    """The file's text if it is printable UTF-8, else ``None`` (raw key bytes)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    stripped = text.strip()
    return stripped if stripped.isprintable() else None


def _refuse_inside_project(path: Path, root: Path | None) -> None:
    from evaluation.paths import project_root

    project = (root or project_root()).resolve()
    if path.is_relative_to(project):
        raise PrivacyError(
            f"key file {path} is inside the project folder {project}, where it could be "
            f"committed or shared with the code; move it outside (e.g. "
            f"~/.config/workbench/pseudonym.key) and update the setting that points to it"
        )
    for folder in path.parents:
        if (folder / ".git").exists():
            raise PrivacyError(
                f"key file {path} is inside the git work tree {folder}, where it could be "
                "committed; move it to a folder that is not under version control (e.g. "
                "~/.config/workbench/pseudonym.key)"
            )


def _warn_if_readable_by_others(path: Path) -> None:
    if os.name != "posix":
        return
    mode = path.stat().st_mode
    if mode & stat.S_IROTH:
        warnings.warn(
            f"key file {path} can be read by every user of this machine (mode "
            f"{stat.filemode(mode)}); restrict it with: chmod 600 {path}",
            PrivacyWarning,
            stacklevel=4,
        )


def _looks_like_path(value: str) -> bool:
    return (value.startswith(("/", "~", "./", "../")) or "\\" in value) and Path(
        value
    ).expanduser().exists()
