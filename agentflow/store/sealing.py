"""Sealing: keep what redaction hid, encrypted, so a resumed run sees exactly what the crashed one saw.

The store never holds a secret in the clear: everything is redacted before it is written. Without
more, a resumed run would see ``***`` where a tool returned a token or the conversation quoted one,
and its prompts would differ from the uninterrupted run's. With a key (``AGENTFLOW_STORE_KEY``),
the store also keeps an encrypted copy (Fernet: AES-128-CBC + HMAC-SHA256, from ``cryptography``)
of each checkpoint and tool result *that redaction changed*, and reads it back on resume. Without the
key, or with the wrong key, nobody can read the sealed copies; resuming without the key falls back to
the redacted values.

Use a long random key: ``python -c "import secrets; print(secrets.token_urlsafe(32))"``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from agentflow.store.base import StoreError

__all__ = ["KEY_ENV", "Sealer"]

KEY_ENV = "AGENTFLOW_STORE_KEY"


class Sealer:
    """Encrypts and decrypts JSON values with one key.

    Args:
        key: any string; it is hashed to the 256-bit key Fernet needs (so it must be long and random).
    """

    def __init__(self, key: str) -> None:
        from cryptography.fernet import Fernet  # lazy: only runs that configure a key pay the import

        digest = hashlib.sha256(("agentflow-store/1:" + key).encode("utf-8")).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Sealer | None:
        """A sealer from ``AGENTFLOW_STORE_KEY``, or ``None`` when it is unset or empty."""
        key = environ.get(KEY_ENV, "")
        return cls(key) if key else None

    def seal(self, value: Any) -> str:
        """The encrypted value, as hex (hex never looks like a secret to the redactor's patterns)."""
        data = json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")
        return self._fernet.encrypt(data).hex()

    def open(self, sealed: str) -> Any:
        """The value back. Raises :class:`StoreError` when the key is not the one that sealed it."""
        from cryptography.fernet import InvalidToken

        try:
            return json.loads(self._fernet.decrypt(bytes.fromhex(sealed)))
        except (InvalidToken, ValueError) as exc:
            raise StoreError(
                f"cannot unseal stored data: {KEY_ENV} differs from the key the run was recorded with"
            ) from exc
