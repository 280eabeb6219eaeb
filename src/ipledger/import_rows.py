"""Read the rows of an import file, reporting every structural problem with its line number.

A messy file never stops the reading: bytes that are not UTF-8, a row with too many or too few
fields, a quote that is not closed, a JSON line that is not an object: each becomes one
``(line, {"__error__": reason})`` item and reading goes on with the next row, so that one run
reports every problem of the file. Values are checked later, by the importer.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

from ipledger.errors import ValidationError

ERROR = "__error__"
JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
_BOM = b"\xef\xbb\xbf"

Row = tuple[int, dict[str, str]]


def read_rows(path: Path, required: Sequence[str] = ()) -> Iterator[Row]:
    """(line number, row) for each record of a CSV (header on line 1) or JSON-lines file.

    Args:
        path: the file; ``.jsonl``, ``.ndjson`` or ``.json`` is read as JSON lines, anything
            else as CSV with a header row.
        required: columns the file must have; a missing one is reported once, on line 1.

    Yields:
        ``(line, row)`` with stripped text values, or ``(line, {"__error__": reason})`` for a
        row that cannot be read. Line numbers are those of the row's first physical line.

    Raises:
        ValidationError: the file does not exist, cannot be read, or is empty.
    """
    if not path.is_file():
        raise ValidationError(f"no such file: {path}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror}") from exc
    # surrogateescape keeps undecodable bytes as lone surrogates: each row can then say where
    # its bad bytes are instead of the whole file failing on the first one.
    text = raw.removeprefix(_BOM).decode("utf-8", errors="surrogateescape")
    if not text.strip():
        raise ValidationError(f"{path.name} is empty")
    if path.suffix.lower() in JSON_SUFFIXES:
        yield from _json_rows(text, required)
    else:
        yield from _csv_rows(text, required)


def not_utf8(value: str) -> str | None:
    """A reason when ``value`` holds bytes that were not UTF-8, else None."""
    bad = [c for c in value if "\udc80" <= c <= "\udcff"]
    if not bad:
        return None
    raw = value.encode("utf-8", errors="surrogateescape")
    hint = ""
    try:
        raw.decode("gb18030")
        hint = "; it reads as GB18030/GBK, so save the file as UTF-8"
    except UnicodeDecodeError:
        hint = "; save the file as UTF-8"
    return f"not UTF-8 text (byte 0x{ord(bad[0]) - 0xDC00:02X}){hint}"


def _json_rows(text: str, required: Sequence[str]) -> Iterator[Row]:
    missing_reported = False
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        reason = not_utf8(line)
        if reason:
            yield n, {ERROR: reason}
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield n, {ERROR: f"not JSON: {exc.msg} at column {exc.colno}"}
            continue
        if not isinstance(obj, dict):
            yield n, {ERROR: f"a line must be a JSON object, not {type(obj).__name__}"}
            continue
        nested = [k for k, v in obj.items() if isinstance(v, dict | list)]
        if nested:
            yield n, {ERROR: f"field {nested[0]!r} must be a plain value, not a {type(obj[nested[0]]).__name__}"}
            continue
        row = {str(k).strip(): "" if v is None else str(v).strip() for k, v in obj.items()}
        lacking = [c for c in required if c not in row]
        if lacking and not missing_reported:
            # JSON lines name their fields per row; the first row missing one says it for all.
            missing_reported = True
        yield n, row


def _records(lines: list[str]) -> Iterator[tuple[int, list[str] | None, int, str]]:
    """(first line, fields or None, physical lines spanned, error) for each CSV record.

    On a CSV error, reading starts again on the line after the bad record's first line, so an
    unclosed quote costs one row, not the rest of the file.
    """
    base = 0
    while True:
        reader = csv.reader(itertools.islice(lines, base, None), strict=True)
        consumed = 0
        while True:
            start = base + consumed + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield start, None, 1, _csv_reason(str(exc))
                base = start  # 0-based index of the line after the bad record's first line
                break
            span = reader.line_num - consumed
            consumed = reader.line_num
            yield start, fields, span, ""


def _csv_reason(message: str) -> str:
    if "expected after" in message:
        return "a closing quote must be followed by a comma or the end of the line (stray quote?)"
    if "unexpected end of data" in message or "EOF" in message:
        return "a quoted value is not closed before the end of the file"
    if "NUL" in message:
        return "the line contains a NUL byte (is this a spreadsheet file rather than CSV?)"
    if "field larger" in message:
        return "a value is longer than the CSV field limit (an unclosed quote?)"
    return f"not valid CSV: {message}"


def _csv_rows(text: str, required: Sequence[str]) -> Iterator[Row]:
    lines = text.splitlines(keepends=True)
    header: list[str] | None = None
    records = _records(lines)
    skip_until = 0
    for start, fields, span, error in records:
        if start <= skip_until:
            continue
        if header is None:
            if fields is None:
                yield start, {ERROR: f"the header row cannot be read: {error}"}
                return
            header = [h.strip() for h in fields]
            problem = _header_problem(header, required)
            if problem:
                yield start, {ERROR: problem}
                return
            continue
        if fields is None:
            yield start, {ERROR: error}
            continue
        if not any(f.strip() for f in fields):
            continue  # a blank line or a row of empty cells
        if len(fields) != len(header):
            if span > 1:
                # A quoted value ran over into the next lines: report it here and read on from
                # the next line, which is probably the next row.
                yield start, {ERROR: "a quoted value is not closed on this line (stray quote?)"}
                yield from _csv_rows_from(lines, start, header)
                return
            more = "an unquoted comma in a value?" if len(fields) > len(header) else "a missing comma?"
            yield start, {ERROR: f"{len(fields)} fields, but the header has {len(header)} ({more})"}
            continue
        row = dict(zip(header, (f.strip() for f in fields), strict=True))
        bad = next(((k, r) for k, v in row.items() if (r := not_utf8(v))), None)
        if bad:
            yield start, {ERROR: f"{bad[0]}: {bad[1]}"}
            continue
        yield start, row


def _csv_rows_from(lines: list[str], after: int, header: list[str]) -> Iterator[Row]:
    """Rows after physical line ``after`` (1-based), read with a known header."""
    body = ",".join(_quote(h) for h in header) + "\n"
    for line, row in _csv_rows(body + "".join(lines[after:]), ()):
        yield line - 1 + after, row


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _header_problem(header: list[str], required: Sequence[str]) -> str | None:
    reason = not_utf8(",".join(header))
    if reason:
        return f"the header row is {reason}"
    if any(not h for h in header):
        return "the header row has an empty column name"
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        return f"column {dupes[0]!r} appears twice in the header row"
    lacking = [c for c in required if c not in header]
    if lacking and len(header) == 1 and ("\t" in header[0] or ";" in header[0]):
        sep = "tabs" if "\t" in header[0] else "semicolons"
        return f"the header row has one column: the file is separated by {sep}; save it as CSV with commas"
    if lacking:
        return f"no column {lacking[0]!r} in the header row (columns: {', '.join(header)})"
    return None
