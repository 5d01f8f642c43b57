"""The $skiptoken and $deltatoken of delta rounds: a round's state (mail/delta.py DeltaState) and
the options of its first request, as base64url JSON with an HMAC-SHA256 tag, so that a token
survives restarts and works on every node sharing the signing key, and a forged or damaged one is
refused. Nothing about a round is kept on the server but the change log itself.

A token that does not verify is answered as one whose state is gone (410 SyncStateNotFound): to
Graph a state token is a reference into its sync-state cache, and any token it cannot find there
gets that answer; the client's remedy is the same, a new full round."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from cryptography.hazmat.primitives import serialization

from graphpost.auth.keys import SigningKey
from graphpost.errors import SyncStateNotFound
from graphpost.mail.delta import DeltaState, Watermark

_TAG_BYTES = 16
_VERSION = 1


@dataclass(frozen=True)
class DeltaToken:
    state: DeltaState
    options: dict[str, str]        # the first request's query options, as the client wrote them


@lru_cache(maxsize=4)
def _mac_key(signing_key: SigningKey) -> bytes:
    # A key of its own, derived from the signing key: nothing signed here could pass for a JWT.
    der = signing_key.private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption())
    return hashlib.sha256(b"graphpost delta tokens\0" + der).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _watermark(value: Watermark | None) -> list[Any] | None:
    return None if value is None else [value.seq, list(value.in_flight), value.horizon]


def encode(token: DeltaToken, signing_key: SigningKey) -> str:
    state = token.state
    payload = orjson.dumps({"v": _VERSION, "u": state.user_id, "c": state.collection,
                            "s": _watermark(state.since), "t": _watermark(state.until),
                            "a": list(state.after) if state.after is not None else None,
                            "r": state.started, "o": token.options})
    tag = hmac.new(_mac_key(signing_key), payload, hashlib.sha256).digest()[:_TAG_BYTES]
    return f"{_b64(payload)}.{_b64(tag)}"


def _read_watermark(value: Any) -> Watermark | None:
    if value is None:
        return None
    seq, in_flight, horizon = value
    if not isinstance(seq, int) or not (horizon is None or isinstance(horizon, int)) \
            or not all(isinstance(xid, int) for xid in in_flight):
        raise ValueError(value)
    return Watermark(seq, tuple(in_flight), horizon)


def decode(text: str, signing_key: SigningKey) -> DeltaToken:
    try:
        payload_text, tag_text = text.split(".")
        payload, tag = _unb64(payload_text), _unb64(tag_text)
        expected = hmac.new(_mac_key(signing_key), payload, hashlib.sha256).digest()[:_TAG_BYTES]
        if not hmac.compare_digest(tag, expected):
            raise ValueError("tag")
        body = orjson.loads(payload)
        if body["v"] != _VERSION:
            raise ValueError("version")
        state = DeltaState(str(body["u"]), str(body["c"]), _read_watermark(body["s"]), _read_watermark(body["t"]),
                           tuple(body["a"]) if body["a"] is not None else None, float(body["r"]))
        options = {str(key): str(value) for key, value in dict(body["o"]).items()}
    except (ValueError, TypeError, KeyError, binascii.Error, orjson.JSONDecodeError, UnicodeDecodeError):
        raise SyncStateNotFound() from None
    return DeltaToken(state, options)
