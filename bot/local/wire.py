"""HTTP wire format of the local Bot API: request bodies (query strings, forms, JSON,
multipart) in, JSON bodies and headers out."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from bot.local.errors import bad_request

# Parameters whose string values must never be JSON-decoded.
_STRING_KEYS = {
    "text",
    "caption",
    "parse_mode",
    "callback_query_id",
    "inline_message_id",
    "description",
    "short_description",
    "name",
    "title",
    "url",
    "action",
    "language_code",
    "file_id",
    "document",
    "photo",
    "thumbnail",
    "secret_token",
    "emoji",
    "business_connection_id",
    "query",
}



@dataclass
class Upload:
    filename: str
    content_type: str
    data: bytes




def _parse_header_params(value: str) -> dict[str, str]:
    """Parse ``form-data; name="x"; filename="y"`` style header parameters."""
    params: dict[str, str] = {}
    i, n = 0, len(value)
    # skip the main value
    while i < n and value[i] != ";":
        i += 1
    while i < n:
        i += 1  # skip ';'
        while i < n and value[i] in " \t":
            i += 1
        start = i
        while i < n and value[i] not in "=;":
            i += 1
        key = value[start:i].strip().lower()
        val = ""
        if i < n and value[i] == "=":
            i += 1
            while i < n and value[i] in " \t":
                i += 1
            if i < n and value[i] == '"':
                i += 1
                chars: list[str] = []
                while i < n and value[i] != '"':
                    if value[i] == "\\" and i + 1 < n:
                        i += 1
                    chars.append(value[i])
                    i += 1
                i += 1  # closing quote
                val = "".join(chars)
                # httpx/browsers percent-encode '"' and control characters.
                val = re.sub(r"%(22|[01][0-9A-Fa-f])", lambda m: chr(int(m.group(1), 16)), val)
            else:
                start = i
                while i < n and value[i] != ";":
                    i += 1
                val = value[start:i].strip()
        while i < n and value[i] != ";":
            i += 1
        if key:
            params[key] = val
    if "filename*" in params:
        charset, _, rest = params["filename*"].partition("'")
        _, _, encoded = rest.partition("'")
        try:
            params["filename"] = unquote(encoded, encoding=charset or "utf-8", errors="strict")
        except (LookupError, UnicodeDecodeError):
            pass
    return params


def parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], dict[str, Upload]]:
    """Parse a ``multipart/form-data`` body into text fields and uploaded files."""
    boundary = _parse_header_params(content_type).get("boundary")
    if not boundary:
        raise bad_request("multipart boundary is missing")
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    fields: dict[str, str] = {}
    files: dict[str, Upload] = {}
    parts = (b"\r\n" + body).split(delimiter)
    for part in parts[1:]:
        if part.startswith(b"--"):
            break
        line_end = part.find(b"\r\n")
        if line_end < 0:
            continue
        part = part[line_end + 2 :]
        head, sep, content = part.partition(b"\r\n\r\n")
        if not sep:
            if head.endswith(b"\r\n"):  # part with headers and an empty body
                head, content = head[:-2], b""
            else:
                continue
        headers: dict[str, str] = {}
        for line in head.split(b"\r\n"):
            key, _, val = line.decode("utf-8", "replace").partition(":")
            headers[key.strip().lower()] = val.strip()
        disposition = _parse_header_params(headers.get("content-disposition", ""))
        name = disposition.get("name")
        if name is None:
            continue
        if "filename" in disposition:
            files[name] = Upload(
                filename=disposition["filename"],
                content_type=headers.get("content-type", "application/octet-stream"),
                data=content,
            )
        else:
            fields[name] = content.decode("utf-8", "replace")
    return fields, files


def decode_value(key: str, value: Any) -> Any:
    """Decode a form value the way the Bot API does (non-strings are JSON encoded)."""
    if not isinstance(value, str):
        if key == "chat_id" and isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    if key in _STRING_KEYS:
        return value
    stripped = value.strip()
    if (
        stripped[:1] in ("{", "[", '"', "-")
        or stripped[:1].isdigit()
        or stripped
        in (
            "true",
            "false",
            "null",
        )
    ):
        try:
            return json.loads(stripped)
        except ValueError:
            return value
    return value


def ok_body(result: Any) -> bytes:
    return json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode("utf-8")



NOT_FOUND_BODY = b'{"ok": false, "error_code": 404, "description": "Not Found"}'
_date_cache: tuple[int, str] = (0, "")


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def http_date() -> str:
    """RFC 7231 date for the ``Date`` header, formatted at most once a second."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]
