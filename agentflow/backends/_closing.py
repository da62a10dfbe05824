"""Closing a grammar-constrained JSON answer before ``max_tokens`` cuts it off.

A grammar keeps every token valid, but it cannot make a weak model *finish*: SmolLM2-135M will
happily repeat `` | 2 `` inside a JSON string until the token limit truncates it, and a truncated
answer is not JSON. So near the end of its budget a constrained row switches to closing mode: among
the tokens the grammar allows, those that close the current string (``"``, ``"}``...) or the current
object/array (``}``, ``]``...) win. Everything else — required keys, the first digit of a number —
is still the model's choice under the grammar, so the answer stays valid JSON of the schema.

How early closing mode starts is :func:`closing_reserve`: the character length of the shortest JSON
value of the schema (tokens rarely hold less than a character, so it bounds the tokens needed to
finish) capped at half the budget, so a large schema cannot take the whole answer. Closing mode
changes nothing for an answer that ends on its own before then.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BOOST", "Closer", "ClosingClasses", "JsonLexer", "closing_classes", "closing_reserve", "minimal_json_length",
    "token_texts",
]

_FALLBACK = 8  # characters assumed for a schema part this estimate does not model
_MAX_DEPTH = 12
BOOST = 1.0e4  # added to the preferred tokens' logits: larger than any logit gap, finite for float16


def minimal_json_length(schema: Any, root: Mapping[str, Any] | None = None, depth: int = 0) -> int:
    """Characters in the shortest JSON value valid for ``schema`` (an estimate; never below 1).

    Separators are counted as the grammar writes them (``", "`` and ``": "``, like ``json.dumps``).
    """
    root = schema if root is None else root
    if depth > _MAX_DEPTH or not isinstance(schema, Mapping):
        return _FALLBACK
    if "$ref" in schema:
        target = _resolve(str(schema["$ref"]), root)
        return _FALLBACK if target is None else minimal_json_length(target, root, depth + 1)
    if "const" in schema:
        return len(json.dumps(schema["const"]))
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return min(len(json.dumps(v)) for v in schema["enum"])
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return min(minimal_json_length(s, root, depth + 1) for s in schema[key])
    if isinstance(schema.get("allOf"), list) and schema["allOf"]:
        return max(minimal_json_length(s, root, depth + 1) for s in schema["allOf"])
    kind = schema.get("type")
    if isinstance(kind, list) and kind:
        return min(minimal_json_length({**schema, "type": k}, root, depth + 1) for k in kind)
    return _typed_length(schema, kind, root, depth)


def _typed_length(schema: Mapping[str, Any], kind: Any, root: Mapping[str, Any], depth: int) -> int:
    if kind == "object" or (kind is None and "properties" in schema):
        props = schema.get("properties") or {}
        required = [name for name in schema.get("required") or () if isinstance(name, str)]
        parts = [len(json.dumps(name)) + 2 + minimal_json_length(props.get(name, {}), root, depth + 1)
                 for name in required]
        return 2 + sum(parts) + 2 * max(0, len(parts) - 1)
    if kind == "array":
        count = int(schema.get("minItems") or 0)
        item = minimal_json_length(schema.get("items", {}), root, depth + 1) if count else 0
        return 2 + count * item + 2 * max(0, count - 1)
    if kind == "string":
        return 2 + int(schema.get("minLength") or 0)
    if kind in ("integer", "number"):
        bound = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        return max(1, len(str(bound)) if isinstance(bound, (int, float)) else 1)
    if kind in ("boolean", "null"):
        return 4
    return 1 if kind is None else _FALLBACK


def _resolve(ref: str, root: Mapping[str, Any]) -> Any:
    if not ref.startswith("#/"):
        return None
    node: Any = root
    for part in ref[2:].split("/"):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def closing_reserve(schema: Mapping[str, Any], max_new_tokens: int) -> int:
    """How many tokens before the limit a row starts closing its JSON (0: never)."""
    if max_new_tokens < 4:
        return 0
    return min(minimal_json_length(schema) + 4, max_new_tokens // 2)


@functools.lru_cache(maxsize=4)  # one entry per loaded tokenizer (a vocabulary scan, ~0.15 s for 49k tokens)
def token_texts(tokenizer: Any) -> tuple[str, ...]:
    """Every token id's text on its own (part of a multi-byte character decodes to U+FFFD)."""
    return tuple(str(tokenizer.decode([i])) for i in range(len(tokenizer)))


@dataclass(frozen=True)
class ClosingClasses:
    """Boolean masks over the vocabulary of the tokens that close a string or a container."""

    close_string: Any  # text is `"` followed only by `}`, `]`
    close_container: Any  # text is only `}`, `]`


@functools.lru_cache(maxsize=4)
def closing_classes(tokenizer: Any, vocab_size: int) -> ClosingClasses:
    """The closing token masks for a tokenizer, sized to the model's vocabulary."""
    import torch

    string = torch.zeros(vocab_size, dtype=torch.bool)
    container = torch.zeros(vocab_size, dtype=torch.bool)
    for index, text in enumerate(token_texts(tokenizer)[:vocab_size]):
        if text.startswith('"') and set(text[1:]) <= {"}", "]"}:
            string[index] = True
        elif text and set(text) <= {"}", "]"}:
            container[index] = True
    return ClosingClasses(close_string=string, close_container=container)


@dataclass
class JsonLexer:
    """Tracks whether generated JSON text is inside a string (and just after a backslash there)."""

    in_string: bool = False
    escaped: bool = False

    def feed(self, text: str) -> None:
        """Advance over ``text``, the next token's characters."""
        for char in text:
            if self.escaped:
                self.escaped = False
            elif self.in_string and char == "\\":
                self.escaped = True
            elif char == '"':
                self.in_string = not self.in_string

    def preferred(self, classes: ClosingClasses) -> Any | None:
        """The mask of tokens that close what is open now (None just after a backslash)."""
        if self.escaped:
            return None
        return classes.close_string if self.in_string else classes.close_container


class Closer:
    """Closing mode for the rows of one constrained batch: tracks each row's JSON and boosts closers.

    Args:
        classes: the tokenizer's closing token masks.
        texts: every token id's text (to follow each row's JSON lexically).
        starts: per row, the generated-token count from which it closes (``None``: never).
    """

    def __init__(self, classes: ClosingClasses, texts: Sequence[str], starts: Sequence[int | None]) -> None:
        self._classes = classes
        self._texts = texts
        self._starts = list(starts)
        self._lexers = [JsonLexer() for _ in self._starts]
        self.forced = [False] * len(self._starts)
        """Per row: whether closing mode changed its most likely token at least once."""

    @classmethod
    def for_rows(cls, tokenizer: Any, vocab_size: int, budgets: Sequence[tuple[int, int]]) -> Closer | None:
        """A closer for rows with ``(max_new_tokens, reserve)`` budgets; ``None`` when no row closes."""
        starts = [limit - reserve if reserve > 0 else None for limit, reserve in budgets]
        if all(start is None for start in starts):
            return None
        return cls(closing_classes(tokenizer, vocab_size), token_texts(tokenizer), starts)

    def accept(self, row: int, token: int) -> None:
        """Row ``row`` generated ``token``."""
        if token < len(self._texts):
            self._lexers[row].feed(self._texts[token])

    def apply(self, scores: Any, step: int, live: Sequence[bool]) -> None:
        """Boost, in the grammar-masked ``scores``, the closing tokens of every live row due to close."""
        import torch

        for row, start in enumerate(self._starts):
            if not live[row] or start is None or step < start:
                continue
            preferred = self._lexers[row].preferred(self._classes)
            if preferred is None:
                continue
            width = min(scores.shape[-1], preferred.shape[0])
            wanted = torch.zeros(scores.shape[-1], dtype=torch.bool, device=scores.device)
            wanted[:width] = preferred[:width].to(scores.device) & (scores[row, :width] > float("-inf"))
            if bool(wanted.any()):
                before = int(scores[row].argmax())
                scores[row, wanted] += BOOST
                self.forced[row] = self.forced[row] or int(scores[row].argmax()) != before
