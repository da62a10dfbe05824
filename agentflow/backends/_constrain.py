"""JSON-Schema-constrained decoding for HF transformers, one grammar per batch row.

Built on xgrammar (the grammar engine vLLM uses for its structured outputs): a schema is compiled
once per tokenizer into a token-level grammar, and at every decoding step a logits processor masks
the tokens that would leave the grammar. The output is then valid JSON of that schema by
construction. Near the end of a row's token budget the processor prefers the tokens that close the
JSON (``_closing``), so a weak model that would loop inside a string until ``max_tokens`` still ends
with a valid answer; the caller sees ``finish_reason="length"`` when that shortened the answer.

Unlike ``xgrammar.contrib.hf.LogitsProcessor`` this processor lets some rows of a batch run
unconstrained (``None``), so free-text and typed requests share one batch.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

from agentflow._ids import canonical_json
from agentflow.backends._closing import Closer

__all__ = ["Constrainer", "available"]


def available() -> bool:
    """Whether constrained decoding can be used here (xgrammar is importable)."""
    try:
        import xgrammar  # noqa: F401
    except ImportError:
        return False
    return True


class Constrainer:
    """Compiles JSON Schemas for one tokenizer and builds per-batch logits processors.

    Args:
        tokenizer: the HF tokenizer the model decodes with.
        vocab_size: the model's output vocabulary (may exceed the tokenizer's because of padding).
        stop_token_ids: the tokens that end an answer (the grammar allows them only at its end).
    """

    def __init__(self, tokenizer: Any, vocab_size: int, stop_token_ids: Sequence[int]) -> None:
        import xgrammar as xgr

        info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size, stop_token_ids=list(stop_token_ids))
        self._compiler = xgr.GrammarCompiler(info, max_threads=2)
        self._cache: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._tokenizer = tokenizer
        self.vocab_size = vocab_size

    def compile(self, schema: dict[str, Any]) -> Any:
        """The compiled grammar of a JSON Schema (cached by the schema's canonical JSON).

        Whitespace between tokens is fixed (compact JSON) so that a weak model cannot pad forever.
        """
        key = canonical_json(schema)
        with self._lock:
            grammar = self._cache.get(key)
            if grammar is None:
                # compile the schema as written: property order is generation order (reasons first...)
                text = json.dumps(schema, ensure_ascii=False)
                grammar = self._compiler.compile_json_schema(text, any_whitespace=False, strict_mode=True)
                self._cache[key] = grammar
        return grammar

    def processor(self, grammars: Sequence[Any | None], budgets: Sequence[tuple[int, int]] | None = None) -> Any:
        """A fresh logits processor for one ``generate`` call; ``grammars[i]`` constrains row ``i``.

        ``budgets[i]`` is row ``i``'s ``(max_new_tokens, closing reserve)``: from ``max_new_tokens -
        reserve`` generated tokens on, the row prefers tokens that close its JSON (see ``_closing``).
        """
        rows = list(grammars)
        closer = Closer.for_rows(self._tokenizer, self.vocab_size, budgets) if budgets is not None else None
        return _make_processor(rows, self.vocab_size, closer)


def _make_processor(grammars: list[Any | None], vocab_size: int, closer: Closer | None) -> Any:
    import transformers
    import xgrammar as xgr

    class _RowGrammarProcessor(transformers.LogitsProcessor):
        """Masks each constrained row's logits to its grammar; unconstrained rows pass through.

        ``forced[i]`` tells afterwards whether closing mode changed row ``i``'s choice of a token
        (the answer was shortened to fit its budget).
        """

        def __init__(self) -> None:
            self.matchers = [None if g is None else xgr.GrammarMatcher(g) for g in grammars]
            self.bitmask = xgr.allocate_token_bitmask(len(grammars), vocab_size)
            self.step = 0

        @property
        def forced(self) -> list[bool]:
            return list(closer.forced) if closer is not None else [False] * len(grammars)

        def __call__(self, input_ids: Any, scores: Any) -> Any:
            if input_ids.shape[0] != len(self.matchers):
                raise RuntimeError("constrained batch changed size during generation")
            live = [m is not None and not m.is_terminated() for m in self.matchers]
            if self.step:
                for row, matcher in enumerate(self.matchers):
                    if matcher is not None and live[row]:
                        token = int(input_ids[row, -1])
                        matcher.accept_token(token)
                        if closer is not None:
                            closer.accept(row, token)
            self.bitmask.fill_(-1)  # all tokens allowed
            live = [m is not None and not m.is_terminated() for m in self.matchers]
            for row, matcher in enumerate(self.matchers):
                if matcher is not None and live[row]:
                    matcher.fill_next_token_bitmask(self.bitmask, row)
            device = scores.device
            masked = scores.to("cpu") if device.type not in ("cpu", "cuda") else scores
            width = masked.shape[-1]
            if width > vocab_size:  # logits wider than the grammar's vocabulary: forbid the extra ids
                masked[:, vocab_size:] = float("-inf")
            xgr.apply_token_bitmask_inplace(masked, self.bitmask.to(masked.device), vocab_size=min(width, vocab_size))
            if closer is not None:
                closer.apply(masked, self.step, live)
            self.step += 1
            return masked.to(device)

    return _RowGrammarProcessor()
