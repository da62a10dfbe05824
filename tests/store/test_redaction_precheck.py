"""The store skips the redaction walk when ``Redactor.may_hide`` says a value holds nothing to hide:
that pre-check must never say "nothing" for a value the walk would change."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from agentflow.redact import Redactor

SECRETS = ["plain-secret-value-1", 'quote"secret-2', "ünïcode-secret-3"]
REDACTOR = Redactor(values=SECRETS, fields=["pnr_secret"])

_pieces = st.sampled_from(["", "a", "token", "tokens", "sk-", "Bearer ", "x" * 20, "AKIA", "pnr_secret", "api_key",
                           "Password", "ok", *SECRETS])
_text = st.lists(_pieces, max_size=4).map("".join)
_keys = st.one_of(_text, st.sampled_from(["api_key", "Authorization", "token", "input_tokens", "PNR_SECRET", "a"]))
_values: Any = st.recursive(
    st.one_of(st.none(), st.integers(), st.booleans(), _text),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_keys, inner, max_size=3)),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(_values)
def test_precheck_never_misses_what_the_walk_hides(value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False)
    if not REDACTOR.may_hide(text):
        assert REDACTOR(value) == value


def test_precheck_lets_plain_data_through() -> None:
    redactor = Redactor(values=["plain-secret-value-1"], fields=["pnr_secret"])
    plain = {"turn": 3, "input_tokens": 512, "history": [{"role": "agent", "text": "Booked seat 12A, 航班."}]}
    assert not redactor.may_hide(json.dumps(plain, ensure_ascii=False))
    assert redactor.may_hide(json.dumps({"note": "plain-secret-value-1"}))
    assert redactor.may_hide(json.dumps({"Token": 1})) and redactor.may_hide(json.dumps({"PNR_secret": 1}))
    # A secret JSON would write differently (a quote, non-ASCII) makes the pre-check always say "maybe".
    assert Redactor(values=['quote"secret-2']).may_hide("{}")
