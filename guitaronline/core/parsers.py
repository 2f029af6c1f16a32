"""The API's JSON parser: DRF's, with a nesting limit and messages in the
reader's language.

Python's `json` decodes arrays and objects by recursion: a body of a few
hundred kilobytes of `[` raises `RecursionError`, which no handler expects
(a 500). The body is first scanned for its bracket depth, strings and their
escapes respected, and refused past `MAX_JSON_DEPTH` without decoding it.
The scan stops at the first level past the limit, and a body with fewer
brackets than the limit (most bodies) is not scanned at all.

DRF's own parse errors are English sentences that embed the decoder's
English text; these say the same in the active language and give where it
went wrong as numbers in the error's details.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers
from rest_framework.utils import json as drf_json

MAX_JSON_DEPTH = 64

# A JSON string, escapes included, or one bracket; anything else is skipped.
# A string with no closing quote runs to the end of the text: a match that
# could fail would be retried from every later quote, quadratic in the body.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)|[\[\]{}]', re.DOTALL)


def json_depth_exceeds(text: str, limit: int) -> bool:
    """Do arrays and objects in `text` nest deeper than `limit`? `[]` is one
    level. Brackets inside strings do not count."""
    if text.count("[") + text.count("{") <= limit:  # the depth cannot exceed the number of openers
        return False
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        first = text[match.start()]
        if first == '"':
            continue
        if first in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


class JSONParseError(exceptions.ParseError):
    """A `parse_error` whose details say where, in numbers (no sentence)."""

    def __init__(self, detail: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.details = details


def _too_deep(limit: int) -> JSONParseError:
    return JSONParseError(
        _("The JSON in the request body is nested more than %(limit)d levels deep.") % {"limit": limit},
        details={"max_depth": limit},
    )


class JSONParser(parsers.JSONParser):
    max_depth = MAX_JSON_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        try:
            encoding = parsers.get_encoding(parser_context)  # type: ignore[attr-defined]  # DRF has it; the stubs not
        except exceptions.ParseError:
            raise JSONParseError(
                _("The character set named in the Content-Type header is not supported."),
                details={"charset": str(parser_context.get("encoding", ""))},
            ) from None
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError as exc:
            raise JSONParseError(_("The request body is not valid JSON."), details={"position": exc.start}) from None
        if json_depth_exceeds(text, self.max_depth):
            raise _too_deep(self.max_depth)
        parse_constant = drf_json.strict_constant if self.strict else None
        try:
            return drf_json.loads(text, parse_constant=parse_constant)
        except json.JSONDecodeError as exc:
            raise JSONParseError(
                _("The request body is not valid JSON."),
                details={"line": exc.lineno, "column": exc.colno, "position": exc.pos},
            ) from None
        except ValueError:  # NaN or Infinity, refused by strict JSON
            raise JSONParseError(_("The request body is not valid JSON.")) from None
        except RecursionError:  # only if max_depth is set above what the interpreter can decode
            raise _too_deep(self.max_depth) from None
