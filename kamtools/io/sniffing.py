"""How a CSV file is written: its text encoding and its delimiter, guessed from its first bytes.

Pure functions over a byte or text sample (no disk access of their own): the CSV reader of
:mod:`kamtools.io.reading` hands them the file's head and reads the file as they decide,
noting the decision in the data-quality notes when it is not plain UTF-8.
"""

from __future__ import annotations

import csv
import re

# Tried in this order when a file does not say its encoding: strict UTF-8 first because it
# almost never decodes text that is not UTF-8; then GBK (Chinese exports) or the Windows code
# page Excel writes in the West, see detect_encoding; latin-1 last: it decodes anything.
CANDIDATE_ENCODINGS = ("utf-8", "gbk", "cp1252", "latin-1")
CANDIDATE_DELIMITERS = ",;\t|"
SNIFF_BYTES = 256 * 1024


ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with a byte-order mark",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 (little-endian, without a byte-order mark)",
    "utf-16-be": "UTF-16 (big-endian, without a byte-order mark)",
    "cp1252": "Windows-1252 (cp1252)",
    "latin-1": "Latin-1 (ISO-8859-1)",
    "gbk": "GBK (Chinese)",
}
_VALID_UTF8 = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def detect_encoding(sample: bytes) -> str:
    """Name the text encoding of a CSV sample.

    A byte-order mark decides; UTF-16 without one shows in its zero bytes. Otherwise UTF-8
    wins when the sample decodes as UTF-8, or when its valid UTF-8 characters outnumber the
    stray bytes (one bad byte must not turn every accented name into mojibake: the reader
    replaces and reports it). Else the first of :data:`CANDIDATE_ENCODINGS` that decodes the
    sample. A sample cut in the middle of a multi-byte character is tolerated.
    """
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    utf16 = _utf16_without_bom(sample)
    if utf16:
        return utf16
    body = sample[:-3] if len(sample) >= SNIFF_BYTES else sample
    if _mostly_utf8(body):
        return "utf-8"
    candidates = list(CANDIDATE_ENCODINGS)
    if not _looks_double_byte(body):
        # Accented Western text (isolated high bytes) often decodes as GBK too, wrongly.
        candidates.remove("gbk")
    for encoding in candidates:
        try:
            body.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 text of Latin letters has a zero byte in every pair, on one side."""
    pairs = sample[: len(sample) // 2 * 2]
    if len(pairs) < 8:
        return None
    even, odd = pairs[0::2].count(0), pairs[1::2].count(0)
    half = len(pairs) // 2
    if odd > 0.6 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.6 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _mostly_utf8(sample: bytes) -> bool:
    try:
        sample.decode("utf-8")
        return True
    except UnicodeDecodeError:
        pass
    valid = len(_VALID_UTF8.findall(sample))
    high = sum(1 for byte in sample if byte >= 0x80)
    stray = high - sum(len(m) for m in _VALID_UTF8.findall(sample))
    return valid > stray


def _looks_double_byte(sample: bytes) -> bool:
    """True when high bytes come in pairs or runs, as in GBK, not alone as in cp1252 accents."""
    high = [i for i, byte in enumerate(sample) if byte >= 0x80]
    if not high:
        return False
    positions = set(high)
    paired = sum(1 for i in high if i - 1 in positions or i + 1 in positions)
    return paired / len(high) > 0.9


def detect_delimiter(text_sample: str) -> str:
    """Guess the delimiter of a CSV from its first lines (comma when nothing else fits)."""
    lines = [line for line in text_sample.splitlines()[:50] if line.strip()]
    if not lines:
        return ","
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines), delimiters=CANDIDATE_DELIMITERS)
        return dialect.delimiter
    except csv.Error:
        header = lines[0]
        counts = {d: header.count(d) for d in CANDIDATE_DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","
