"""English wording the registry's messages share."""

from __future__ import annotations

__all__ = ["possessive"]


def possessive(role: str) -> str:
    """A role with its article, possessive: ``an admin's``, ``a member's``, ``an observer's``.

    Examples
    --------
    >>> possessive("observer"), possessive("member")
    ("an observer's", "a member's")
    """
    return f"{'an' if role[:1] in ('a', 'e', 'i', 'o', 'u') else 'a'} {role}'s"
