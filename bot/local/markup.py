"""Telegram-style rendering of formatted text: HTML, MarkdownV2 and legacy Markdown are
parsed into plain text plus entities (UTF-16 offsets), malformed markup is refused as
Telegram refuses it."""

from __future__ import annotations

import re
from typing import Any

from bot.local.errors import ApiError, bad_request


def u16(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (Telegram's entity unit)."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))




class _Builder:
    """Accumulates rendered text and tracks the UTF-16 offset."""

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.u16 = 0
        self.entities: list[dict[str, Any]] = []

    def add(self, text: str) -> None:
        self.chars.append(text)
        self.u16 += u16(text)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        if self.u16 > start:
            self.entities.append({"type": kind, "offset": start, "length": self.u16 - start, **extra})

    def text(self) -> str:
        return "".join(self.chars)


def _entity_error(description: str) -> ApiError:
    return bad_request(f"can't parse entities: {description}")


_HTML_TAGS = {
    "a",
    "b",
    "strong",
    "i",
    "em",
    "s",
    "strike",
    "del",
    "u",
    "ins",
    "tg-spoiler",
    "tg-emoji",
    "span",
    "pre",
    "code",
    "blockquote",
}
_HTML_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
}
_HTML_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _html_unescape(match: re.Match[str]) -> str | None:
    if match.group(1):
        return _HTML_NAMED[match.group(1)]
    code = int(match.group(2)) if match.group(2) else int(match.group(3), 16)
    if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
        return chr(code)
    return None


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML like tdlib does (strict tags, few entities)."""
    out = _Builder()
    stack: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "&":
            m = _HTML_ENTITY_RE.match(text, i)
            decoded = _html_unescape(m) if m else None
            if m and decoded is not None:
                out.add(decoded)
                i = m.end()
            else:
                out.add("&")
                i += 1
            continue
        if c != "<":
            out.add(c)
            i += 1
            continue
        begin = i
        if i + 1 < n and text[i + 1] == "/":
            end = text.find(">", i)
            if end < 0:
                raise _entity_error(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
            name = text[i + 2 : end].strip().lower()
            if not stack:
                raise _entity_error(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
            top = stack.pop()
            if name != top["tag"]:
                raise _entity_error(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                    f'expected "</{top["tag"]}>", found "</{name}>"'
                )
            _close_html_tag(out, top, stack)
            i = end + 1
            continue
        i += 1
        j = i
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= n:
            raise _entity_error(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        tag = text[i:j].lower()
        if tag not in _HTML_TAGS:
            raise _entity_error(f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}')
        attrs: dict[str, str] = {}
        k = j
        while True:
            while k < n and text[k].isspace():
                k += 1
            if k >= n:
                raise _entity_error(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            if text[k] == ">":
                k += 1
                break
            a_start = k
            while k < n and not text[k].isspace() and text[k] not in "=>":
                k += 1
            attr = text[a_start:k].lower()
            while k < n and text[k].isspace():
                k += 1
            value = ""
            if k < n and text[k] == "=":
                k += 1
                while k < n and text[k].isspace():
                    k += 1
                if k < n and text[k] in "'\"":
                    quote = text[k]
                    close = text.find(quote, k + 1)
                    if close < 0:
                        raise _entity_error(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
                    value = text[k + 1 : close]
                    k = close + 1
                else:
                    v_start = k
                    while k < n and not text[k].isspace() and text[k] != ">":
                        k += 1
                    value = text[v_start:k]
                value = _HTML_ENTITY_RE.sub(lambda m: _html_unescape(m) or m.group(0), value)
            attrs[attr] = value
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise _entity_error(
                f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}'
            )
        stack.append({"tag": tag, "attrs": attrs, "start": out.u16, "language": None})
        i = k
    if stack:
        raise _entity_error(f'Can\'t find end tag corresponding to start tag "{stack[-1]["tag"]}"')
    return out.text(), out.entities


def _close_html_tag(out: _Builder, top: dict[str, Any], stack: list[dict[str, Any]]) -> None:
    tag, attrs, start = top["tag"], top["attrs"], top["start"]
    if tag == "a":
        href = attrs.get("href", "")
        user = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if user:
            out.entity(
                "text_mention",
                start,
                user={"id": int(user.group(1)), "is_bot": False, "first_name": ""},
            )
        elif href:
            out.entity("text_link", start, url=href)
    elif tag == "tg-emoji":
        if attrs.get("emoji-id"):
            out.entity("custom_emoji", start, custom_emoji_id=attrs["emoji-id"])
    elif tag == "blockquote":
        kind = "expandable_blockquote" if "expandable" in attrs else "blockquote"
        out.entity(kind, start)
    elif tag == "code" and stack and stack[-1]["tag"] == "pre" and stack[-1]["start"] == start:
        language = attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1]["language"] = language[len("language-") :]
        else:
            out.entity("code", start)
    elif tag == "pre":
        if top["language"]:
            out.entity("pre", start, language=top["language"])
        else:
            out.entity("pre", start)
    else:
        out.entity(_HTML_TAG_TYPES[tag], start)


_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!"
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


def _pre_language(text: str, i: int) -> tuple[int, str | None]:
    """After an opening ``` at ``i``: where the code starts and its language, the word up to
    the first space or backtick (none when the block starts with a space or ends at once)."""
    end = i
    while end < len(text) and not text[end].isspace() and text[end] != "`":
        end += 1
    if i != end and end < len(text) and text[end] != "`":
        return end, text[i:end]
    return i, None


def _reserved_error(c: str) -> ApiError:
    return _entity_error(f"Character '{c}' is reserved and must be escaped with the preceding '\\'")


def _parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse MarkdownV2 following tdlib's rules (reserved characters must be escaped)."""
    out = _Builder()
    stack: list[dict[str, Any]] = []
    quote_start: int | None = None
    i, n = 0, len(text)

    def ch(k: int) -> str:
        return text[k] if k < n else ""

    while i < n:
        c = text[i]
        in_code = bool(stack) and stack[-1]["type"] in ("code", "pre")
        if c == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            out.add(text[i + 1])
            i += 2
            continue
        if c == ">" and not stack and (i == 0 or text[i - 1] == "\n"):
            if quote_start is None:
                quote_start = out.u16
            i += 1
            continue
        reserved = "`" if in_code else _MDV2_RESERVED
        if c not in reserved:
            out.add(c)
            i += 1
            if c == "\n" and quote_start is not None and not stack and ch(i) != ">":
                out.u16 -= 1
                out.entity("blockquote", quote_start)
                out.u16 += 1
                quote_start = None
            continue
        kind = stack[-1]["type"] if stack else None
        is_end = (
            (kind == "bold" and c == "*")
            or (kind == "italic" and c == "_" and ch(i + 1) != "_")
            or (kind == "code" and c == "`")
            or (kind == "pre" and c == "`" and ch(i + 1) == "`" and ch(i + 2) == "`")
            or (kind in ("text_link", "custom_emoji") and c == "]")
            or (kind == "underline" and c == "_" and ch(i + 1) == "_")
            or (kind == "strikethrough" and c == "~")
            or (kind == "spoiler" and c == "|" and ch(i + 1) == "|")
        )
        if not is_end:
            begin = i
            language = None
            if c == "_":
                if ch(i + 1) == "_":
                    kind = "underline"
                    i += 1
                else:
                    kind = "italic"
            elif c == "*":
                kind = "bold"
            elif c == "~":
                kind = "strikethrough"
            elif c == "|":
                if ch(i + 1) != "|":
                    raise _reserved_error(c)
                kind = "spoiler"
                i += 1
            elif c == "[":
                kind = "text_link"
            elif c == "`":
                if ch(i + 1) == "`" and ch(i + 2) == "`":
                    kind = "pre"
                    i += 3
                    i, language = _pre_language(text, i)
                    if ch(i) in ("\n", "\r"):
                        if ch(i + 1) in ("\n", "\r") and ch(i) != ch(i + 1):
                            i += 2
                        else:
                            i += 1
                    i -= 1
                else:
                    kind = "code"
            elif c == "!" and ch(i + 1) == "[":
                kind = "custom_emoji"
                i += 1
            else:
                raise _reserved_error(c)
            stack.append(
                {
                    "type": kind,
                    "start": out.u16,
                    "begin": begin,
                    "language": language,
                    "chars": len(out.chars),
                }
            )
            i += 1
            continue
        top = stack.pop()
        extra: dict[str, Any] = {}
        if kind in ("underline", "spoiler"):
            i += 1
        elif kind == "pre":
            i += 2
            if top["language"]:
                extra["language"] = top["language"]
        elif kind in ("text_link", "custom_emoji"):
            if ch(i + 1) == "(":
                i += 2
                url_begin = i
                url: list[str] = []
                while i < n and text[i] != ")":
                    if text[i] == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
                        url.append(text[i + 1])
                        i += 2
                        continue
                    url.append(text[i])
                    i += 1
                if i >= n:
                    raise _entity_error(
                        f"Can't find end of a URL at byte offset {_byte_offset(text, url_begin)}"
                    )
                target = "".join(url)
            else:
                target = "".join(out.chars[top["chars"] :])
            if kind == "custom_emoji":
                emoji_id = re.fullmatch(r"tg://emoji\?id=(\d+)", target)
                if emoji_id:
                    extra["custom_emoji_id"] = emoji_id.group(1)
                else:
                    kind = ""
            else:
                extra["url"] = target
        if kind:
            out.entity(kind, top["start"], **extra)
        i += 1
    if stack:
        top = stack[-1]
        raise _entity_error(
            f"Can't find end of {_MDV2_NAMES[top['type']]} entity at byte offset "
            f"{_byte_offset(text, top['begin'])}"
        )
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    return out.text(), out.entities


def _parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse legacy Markdown (no nesting; ``*bold* _italic_ `code` ```pre``` [t](url)``)."""
    out = _Builder()
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            out.add(c)
            i += 1
            continue
        begin = i
        end_char = "]" if c == "[" else c
        is_pre = False
        language = None
        i += 1
        if c == "`" and text[i : i + 2] == "``":
            i += 2
            is_pre = True
            i, language = _pre_language(text, i)
            if i < n and text[i] in "\r\n":
                i += 1
        start = out.u16
        while i < n and not (text[i] == end_char and (not is_pre or text[i : i + 3] == "```")):
            out.add(text[i])
            i += 1
        if i >= n:
            raise _entity_error(
                f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
            )
        if c == "_":
            out.entity("italic", start)
        elif c == "*":
            out.entity("bold", start)
        elif c == "`":
            if is_pre:
                out.entity("pre", start, **({"language": language} if language else {}))
            else:
                out.entity("code", start)
        else:
            url = ""
            if i + 1 < n and text[i + 1] == "(":
                close = text.find(")", i + 2)
                if close >= 0:
                    url = text[i + 2 : close]
                    i = close
            if url:
                out.entity("text_link", start, url=url)
        i += 3 if is_pre else 1
    return out.text(), out.entities


def _strip_formatted(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Trim surrounding whitespace like Telegram does and shift the entities accordingly."""
    left = text.lstrip()
    lead = u16(text[: len(text) - len(left)])
    result = left.rstrip()
    total = u16(result)
    fixed = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            fixed.append({**entity, "offset": start, "length": end - start})
    fixed.sort(key=lambda e: (e["offset"], -e["length"]))
    return result, fixed


def format_text(raw: Any, parse_mode: Any, entities: Any) -> tuple[str, list[dict[str, Any]]]:
    """Render ``raw`` with ``parse_mode`` / explicit ``entities`` into (text, entities)."""
    text = "" if raw is None else str(raw)
    mode = (parse_mode or "").strip().lower() if isinstance(parse_mode, str) else ""
    if mode == "html":
        rendered, found = parse_html(text)
    elif mode == "markdownv2":
        rendered, found = _parse_markdown_v2(text)
    elif mode == "markdown":
        rendered, found = _parse_markdown(text)
    elif mode:
        raise bad_request(f"unsupported parse_mode {parse_mode!r}")
    else:
        rendered = text
        found = [dict(e) for e in entities] if isinstance(entities, list) else []
    return _strip_formatted(rendered, found)


# ---------------------------------------------------------------------- the server
