"""Text in a bank file's encoding: byte widths, cutting at a character boundary, detection."""

from __future__ import annotations

import codecs
import gc
from collections.abc import Iterator
from contextlib import contextmanager


def codec(encoding: str) -> str:
    """The Python codec that writes `encoding`."""
    return {"utf-8": "utf-8", "gbk": "gbk", "gb18030": "gb18030"}.get(encoding, "utf-8")


def read_codec(encoding: str) -> str:
    """The codec that reads a file declared in `encoding`.

    GB18030 is a superset of GBK, so a GBK file that carries a rarer name still reads.
    """
    return "gb18030" if encoding in ("gbk", "gb18030") else "utf-8-sig"


def byte_len(text: str, codec_name: str) -> int:
    """Bytes `text` takes in the codec; raises UnicodeEncodeError when it cannot be encoded.

    >>> byte_len("王小明", "gbk"), byte_len("A1-0301", "gbk"), byte_len("𠮷", "gb18030")
    (6, 7, 4)
    """
    return len(text) if text.isascii() else len(text.encode(codec_name))


def cut_to_bytes(text: str, width: int, codec_name: str) -> str:
    """The longest start of `text` that fits in `width` bytes, cut between characters.

    >>> cut_to_bytes("欧阳娜娜", 5, "gbk")
    '欧阳'
    >>> cut_to_bytes("Li王", 3, "gbk")
    'Li'
    """
    used = 0
    for i, ch in enumerate(text):
        used += len(ch.encode(codec_name))
        if used > width:
            return text[:i]
    return text


def fit(text: str, width: int, pad: str, right: bool, codec_name: str) -> tuple[str, bool]:
    """`text` padded to exactly `width` bytes; (text, whether it had to be cut).

    Raises UnicodeEncodeError when the text cannot be encoded. The padding is one ASCII
    character, so the result always encodes to exactly `width` bytes.
    """
    n = byte_len(text, codec_name)
    cut = False
    if n > width:
        text = cut_to_bytes(text, width, codec_name)
        n = byte_len(text, codec_name)
        cut = True
    fill = pad * (width - n)
    return (fill + text if right else text + fill), cut


def decode_detected(data: bytes) -> tuple[str, str] | None:
    """Text and encoding of an input file: UTF-8 (with or without BOM), else GB18030/GBK.

    None when it is none of them (UTF-16 included, recognised by its BOM).
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            return None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        return None


@contextmanager
def bulk() -> Iterator[None]:
    """No cyclic garbage collection while a million rows are built: they hold no cycles, and
    the collector would otherwise walk every one of them again and again (about 2x slower)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
