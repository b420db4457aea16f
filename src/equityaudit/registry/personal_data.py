"""Personal data written as text: what the registry looks for in every free-text field it accepts.

A result carries aggregates only, but its free text (``context``, ``notes``, messages, metadata,
member names) could carry a row copied from the data. :func:`find_personal_data` names the first
of these shapes in a string, masked so that the refusal does not repeat it:

* an **e-mail address**, written plainly (``jane.doe@example.com``) or obfuscated: ``(at)``,
  ``[at]``, ``{at}``, ``<at>`` or `` at `` for ``@`` and ``(dot)``, ``[dot]`` or `` dot `` for
  ``.`` (`` at `` is read as ``@`` only beside an obfuscated dot or a local part with a ``.``,
  ``_`` or a digit, so "look at example.com" is not an address);
* a **phone number**: three groups of digits split by spaces, dots or dashes, optionally with a
  ``+`` country code or an area code in brackets (``+1 212 555 0100``, ``(020) 7946 0958``), or
  ``+`` and 10 to 14 digits;
* a **date of birth**: a date (``1979-04-02``, ``02/04/1979``, ``2.4.1979``) within 20 characters
  of "born", "DOB", "birth" or "birthday";
* a **date next to a name**: a date before :data:`BIRTH_YEARS_BEFORE` within 25 characters of
  two capitalised words (``Jane Doe, 1979-04-02``);
* a **record**: four or more fields split by one delimiter (``,``, ``;``, ``|`` or a tab) of which
  at least two kinds identify a person — an id (letters then 4 or more digits, ``A000123``), a
  name, a date, an e-mail address, a phone number
  (``A000123, Jane Doe, 1979-04-02, Female, 40+, rejected``).

Examples
--------
>>> find_personal_data("jane.doe(at)example(dot)com")
'an e-mail address (j…@…com)'
>>> find_personal_data("A000123, Jane Doe, 1979-04-02, Female, 40+, rejected")
'a record of 6 fields with an id, a name and a date (A…, J…, 1…)'
>>> find_personal_data("Selection rates by sex and age band, audited 2026-11-23.") is None
True
"""

from __future__ import annotations

import re

from equityaudit.errors import listed

__all__ = ["BIRTH_YEARS_BEFORE", "find_personal_data"]

_AT = r"(?:\s*@\s*|\s*[(\[{<]\s*at\s*[)\]}>]\s*)"
_SPOKEN_AT = r"\s+at\s+"
_DOT = r"(?:\.|\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s+dot\s+)"
_OBFUSCATED_DOT = re.compile(r"[(\[{<]\s*dot|\sdot\s", re.IGNORECASE)
_LOCAL = r"(?<![A-Za-z0-9._%+-])(?P<local>[A-Za-z0-9._%+-]{1,64})"
"""An address's local part, starting where a run of its characters starts: anchored and bounded, so
that a 2,000-character string is searched in linear time."""
_DOMAIN = r"[A-Za-z0-9-]{1,63}(?:" + _DOT + r"[A-Za-z0-9-]{1,63}){0,8}" + _DOT + r"[A-Za-z]{2,24}\b"
_EMAIL = re.compile(_LOCAL + _AT + _DOMAIN, re.IGNORECASE)
_SPOKEN_EMAIL = re.compile(_LOCAL + _SPOKEN_AT + _DOMAIN, re.IGNORECASE)
_PHONE = re.compile(
    r"(?<![\w.+-])(?:\+\d{1,3}[\s.-]?)?\d{2,5}[\s.-]\d{3,4}[\s.-]\d{3,4}(?![\w.-]?\d)"
    r"|(?<![\w.+-])(?:\+\d{1,3}[\s.-]?)?\(\d{2,5}\)[\s.-]?\d{3,4}[\s.-]?\d{3,4}(?![\w.-]?\d)"
    r"|(?<![\w+])\+\d{10,14}\b"
)
_DATE = re.compile(
    r"\b(?:(?:18|19|20)\d{2}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])"
    r"|(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|[12]\d|3[01])[-/.](?:18|19|20)\d{2})\b"
)
_BIRTH = re.compile(r"\b(?:born|d\.?o\.?b\.?|birth|birthday|birthdate)\b", re.IGNORECASE)
_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s[A-Z]\.)?\s[A-Z][a-z]+(?:-[A-Z][a-z]+)?\b")
_ID = re.compile(r"^[A-Za-z]{0,4}[-_]?\d{4,}$")
BIRTH_YEARS_BEFORE = 2010
"""A date next to a name is read as a date of birth when its year is before this (anyone of working
age was born before it); later dates next to capitalised words are audit and data periods."""
_DELIMITERS = (",", ";", "|", "\t")
_KINDS = ("an id", "a name", "a date", "an e-mail address", "a phone number")


def find_personal_data(text: str) -> str | None:
    """What personal data ``text`` holds (the first shape found, masked), or None.

    Examples
    --------
    >>> find_personal_data("call +1 212 555 0100 tomorrow")
    'a phone number (…00)'
    >>> find_personal_data("Jane was born 02/04/1979")
    'a date of birth (0…)'
    >>> find_personal_data("The period 2026-01-01 to 2026-06-30; 4,312 applicants.") is None
    True
    """
    found = _EMAIL.search(text)
    if found:
        return f"an e-mail address ({_mask_email(found.group())})"
    for spoken in _SPOKEN_EMAIL.finditer(text):  # " at " is a word too: only beside an address's marks
        if re.search(r"[._0-9]", spoken.group("local")) or _OBFUSCATED_DOT.search(spoken.group()):
            return f"an e-mail address ({_mask_email(spoken.group())})"
    record = _record(text)
    if record:
        return record
    found = _PHONE.search(text)
    if found and sum(c.isdigit() for c in found.group()) >= 9:
        return f"a phone number (…{found.group()[-2:]})"
    for date in _DATE.finditer(text):
        around = text[max(0, date.start() - 25) : date.end() + 25]
        if _BIRTH.search(text[max(0, date.start() - 20) : date.end() + 20]):
            return f"a date of birth ({date.group()[0]}…)"
        name = _NAME.search(around)
        if name and _year(date.group()) < BIRTH_YEARS_BEFORE:
            return f"a date next to a name ({name.group()[0]}… and {date.group()[0]}…)"
    return None


def _year(date: str) -> int:
    """The four-digit year of a date :data:`_DATE` matched."""
    return int(next(part for part in re.split(r"[-/.]", date) if len(part) == 4))


def _mask_email(address: str) -> str:
    """The first character of the local part and the last label of the domain."""
    tail = re.split(r"[^A-Za-z]+", address.strip())[-1]
    return f"{address.strip()[:1]}…@…{tail}"


def _kind(field: str) -> int | None:
    """Which of :data:`_KINDS` a record's field is, or None."""
    if _ID.match(field):
        return 0
    if _DATE.fullmatch(field):
        return 2
    if _NAME.fullmatch(field):
        return 1
    if _EMAIL.fullmatch(field):
        return 3
    if _PHONE.fullmatch(field):
        return 4
    return None


def _record(text: str) -> str | None:
    """A line of four or more delimited fields of which two kinds identify a person, described."""
    for line in text.splitlines():
        for delimiter in _DELIMITERS:
            fields = [f.strip() for f in line.split(delimiter)]
            if len(fields) < 4:
                continue
            kinds: dict[int, str] = {}
            for field in fields:
                kind = _kind(field)
                if kind is not None:
                    kinds.setdefault(kind, field)
            if len(kinds) >= 2:
                named = [_KINDS[k] for k in sorted(kinds)]
                masked = ", ".join(kinds[k][:1] + "…" for k in sorted(kinds))
                return f"a record of {len(fields)} fields with {listed(named)} ({masked})"
    return None
