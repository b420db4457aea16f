"""Output safety: the one place where text from an audit's inputs is made inert for each format.

Group labels, column names, a spec's or result's ``name``, the data source and the findings'
messages come from files the reader does not control (a result JSON received from someone else,
a CSV whose labels are ``<script>…</script>`` or ``=HYPERLINK(…)``). Every renderer writes such
text through the function of its format here, and through nothing else:

==========================  ==========================================================
format                      function
==========================  ==========================================================
HTML text and attributes    :func:`html_text` (the same escape as the HTML report's
                            Jinja autoescape, which the report's template relies on)
Markdown inline text        :func:`markdown_text`
Markdown table cell         :func:`markdown_cell`
Markdown code span          :func:`markdown_code`
XML text and attributes     :func:`xml_text` (ElementTree escapes markup; this removes
                            the characters XML 1.0 cannot hold)
GitHub workflow commands    :func:`github_message`, :func:`github_property`
CSV cell                    :func:`csv_cell` (formula injection, as OWASP recommends)
terminal (rich)             :func:`terminal_text` (a ``Text``, never console markup)
terminal (plain string)     :func:`terminal_plain` (for ``click.echo``; control and
                            bidirectional characters shown as escapes)
file name                   :func:`file_stem`
==========================  ==========================================================

Each leaves ordinary text (letters, digits, spaces, ordinary punctuation) exactly as it is, so a
report of ordinary labels reads as it always did. docs/reports.md#output-safety states the rules.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import TYPE_CHECKING, Any

import markupsafe

if TYPE_CHECKING:
    from rich.text import Text

__all__ = [
    "csv_cell",
    "file_stem",
    "github_message",
    "github_property",
    "html_text",
    "markdown_cell",
    "markdown_code",
    "markdown_text",
    "terminal_plain",
    "terminal_text",
    "xml_text",
]


def html_text(value: Any) -> str:
    """Text safe in HTML (and SVG) element content and quoted attribute values.

    Escapes ``& < > " '`` exactly as Jinja's autoescape does (``markupsafe.escape``), so text
    written by hand (the LL144 page) and text written through the HTML report's template are
    escaped alike.

    Examples
    --------
    >>> html_text('"><img src=x onerror=alert(1)>')
    '&#34;&gt;&lt;img src=x onerror=alert(1)&gt;'
    """
    return str(markupsafe.escape(str(value)))


_BLOCK_START = re.compile(r"^(?:[#>+*=|-]|\d{1,9}[.)](?=\s|$))")


def _markdown_inline(text: str, *, code_spans: bool) -> str:
    # HTML first (GitHub and most renderers pass raw HTML through), then backticks, so a label
    # cannot open a code span; one line, since a newline could start a block.
    escaped = _html_no_quotes(text)
    if not code_spans:
        escaped = escaped.replace("`", "\\`")
    return escaped.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def _html_no_quotes(text: str) -> str:
    """``& < >`` as entities; quotes stay (they mean nothing in Markdown text)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markdown_text(value: Any, *, code_spans: bool = False) -> str:
    """Text safe as inline Markdown where a line starts (a paragraph, a list item, a quote).

    No raw HTML (``& < >`` become entities), no code span opened by a backtick, one line, and a
    first character that would start a block (``#``, ``>``, ``-``, ``+``, ``*``, ``=``, ``|``,
    ``1.``) backslash-escaped.

    ``code_spans=True`` is for sentences equityaudit composes itself (the findings' messages),
    whose pairs of backticks mark values as code: they are kept. A code span is inert: its
    content is shown literally.

    Examples
    --------
    >>> markdown_text("# <b>bold</b> `x`")
    '\\\\# &lt;b&gt;bold&lt;/b&gt; \\\\`x\\\\`'
    """
    escaped = _markdown_inline(str(value), code_spans=code_spans)
    return "\\" + escaped if _BLOCK_START.match(escaped) else escaped


def markdown_cell(value: Any, *, code_spans: bool = False) -> str:
    """Text safe in a Markdown (GFM) table cell: as :func:`markdown_text`, and no ``|`` that
    would end the cell. A cell holds inline content only, so its first character stays as it is
    (a negative number reads ``-0.25``).

    Examples
    --------
    >>> markdown_cell("a | b `c`")
    'a \\\\| b \\\\`c\\\\`'
    """
    return _markdown_inline(str(value), code_spans=code_spans).replace("|", "\\|")


def markdown_code(value: Any) -> str:
    """Text shown as a Markdown code span: fenced with more backticks than it holds in a row.

    Examples
    --------
    >>> markdown_code("datasets/hiring.csv"), markdown_code("a`b")
    ('`datasets/hiring.csv`', '`` a`b ``')
    """
    text = str(value).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    if not longest:
        return f"`{text}`"
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}"


_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: Any) -> str:
    """Text an XML 1.0 document can hold: control characters (and lone surrogates) become U+FFFD.

    ElementTree escapes ``& < > "`` itself; a NUL or ESC it would write as is, and no XML parser
    reads the file back.

    Examples
    --------
    >>> xml_text("a\\x00b\\x1bc")
    'a\\ufffdb\\ufffdc'
    """
    return _NOT_XML.sub("\ufffd", str(value))


def github_message(value: Any) -> str:
    """A GitHub Actions workflow command's message: ``%``, CR and LF escaped, so the text cannot
    end the command and start another on a new line.

    Examples
    --------
    >>> github_message("50%\\n::set-output name=x::y")
    '50%25%0A::set-output name=x::y'
    """
    return str(value).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(value: Any) -> str:
    """A workflow command's property value (``title=…``): also ``:`` and ``,``, which end it.

    Examples
    --------
    >>> github_property("a: b, c")
    'a%3A b%2C c'
    """
    return github_message(value).replace(":", "%3A").replace(",", "%2C")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not evaluate: text starting with ``=``, ``+``, ``-``, ``@``,
    a tab or a carriage return gets a leading ``'`` (OWASP's CSV injection advice); a plain number
    such as ``-0.25`` and any non-text value are left as they are.

    Examples
    --------
    >>> csv_cell('=HYPERLINK("http://x.test","c")'), csv_cell("-0.25"), csv_cell(-0.25), csv_cell("White")
    ('\\'=HYPERLINK("http://x.test","c")', '-0.25', -0.25, 'White')
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def _visible(char: str) -> str:
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Unicode's bidirectional formatting characters: they reorder the text around them on screen
(the "Trojan Source" attack, CVE-2021-42574), so a label could show something other than it holds."""


def _hidden(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in _BIDI_CONTROLS


def terminal_plain(value: Any) -> str:
    """Text for the terminal as a plain string (for ``click.echo``): every character that would
    act instead of show is shown as its escape — control characters (ESC starts a terminal escape
    sequence, CR returns to the line's start and overwrites it, a newline starts a line that looks
    like the tool's own), Unicode's line and paragraph separators, and the bidirectional controls
    (U+202E and the like, which reorder what is shown). Everything else is left as it is.

    Examples
    --------
    >>> terminal_plain("a\\nb\\rc \\x1b[2J \\u202eevil [red]x[/]")
    'a\\\\nb\\\\rc \\\\x1b[2J \\\\u202eevil [red]x[/]'
    >>> print(terminal_plain("line\\nbreak"))
    line\\nbreak
    """
    text = str(value)
    if not any(_hidden(c) for c in text):
        return text
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return "".join((named.get(c) or _visible(c)) if _hidden(c) else c for c in text)


def terminal_text(value: Any, style: str = "") -> Text:
    """Text for the terminal (rich): :func:`terminal_plain` as a rich ``Text``, never console
    markup, so ``[bold]`` or ``[link=…]`` in a label is shown, not obeyed.

    Examples
    --------
    >>> terminal_text("[red]x[/] \\x1b[2J").plain
    '[red]x[/] \\\\x1b[2J'
    """
    from rich.text import Text

    return Text(terminal_plain(value), style=style)


_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}")


def file_stem(name: str) -> str:
    """A file name for a spec's or result's ``name``: the name itself when a spec would accept it
    (letters, digits, ``.``, ``_``, ``-``, starting with a letter or digit, at most 120
    characters), otherwise a slug of it with 8 hex digits of its SHA-256, so it cannot climb out
    of a folder and two names never share a file.

    Examples
    --------
    >>> file_stem("hiring-screening"), file_stem("../../escaped-by-name")
    ('hiring-screening', 'escaped-by-name-9ae1608d')
    """
    if _STEM.fullmatch(name):
        return name
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_name).strip("-_")[:80] or "audit"
    return f"{slug}-{hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"
