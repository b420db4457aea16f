"""Differential privacy of observers' pooled views: noise, its scale, the budget and its refusal.

A copy of the retail standard with ``privacy: {mechanism: laplace, epsilon_per_view: 0.5,
budget: 1.0}``; three (then six, then nine) members submit the same cells (``BIG``), so the exact
pool is known by hand: three times each member's cell.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from registry_kit import BIG, Member, Setup, audit, member_frame

from equityaudit.errors import SpecError
from equityaudit.registry import privacy
from equityaudit.registry.storage import RegistryError
from equityaudit.standards import find_standard, parse_standard
from equityaudit.standards.model import Privacy

PRIVATE = "retail-private@2026.1"
LAPLACE = {"mechanism": "laplace", "epsilon_per_view": 0.5, "budget": 1.0}
EXACT_CROSS = {  # three members with BIG's cells: 3 × (applicants, selected), by hand
    ("Female", "Under 40"): (360, 180),
    ("Female", "40 and over"): (240, 72),
    ("Male", "Under 40"): (390, 195),
    ("Male", "40 and over"): (270, 120),
}


@pytest.fixture
def private_standard(tmp_path: Path) -> str:
    """The retail standard as ``retail-private@2026.1`` with Laplace privacy; its file's path."""
    document = dict(find_standard("retail-screening@2026.1").document)
    document.update(id="retail-private", privacy=LAPLACE)
    path = tmp_path / "retail-private.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return str(path)


def _join(setup: Setup, standard: str, names: list[str]) -> list[Member]:
    members = [setup.add_member(name) for name in names]
    for member in members:
        result = audit(member_frame(BIG), ref=standard, name=member.name)
        answer = member.submit(member.sign(result))
        assert answer.status_code == 201, answer.text
    return members


def _pooled(setup: Setup, headers: dict[str, str]) -> Any:
    return setup.http.get(f"/v1/standards/{PRIVATE}/pooled", headers=headers)


def _cross(result: dict[str, Any]) -> dict[tuple[str, str], tuple[int | None, int | None]]:
    table = next(t for t in result["tables"] if t["name"] == "sex*age_band")
    return {(r["group"]["sex"], r["group"]["age_band"]): (r["n"], r["selected"]) for r in table["rows"]}


def test_observers_see_noisy_counts_and_members_exact_ones(setup: Setup, private_standard: str) -> None:
    setup.publish(private_standard)
    alice, *_ = _join(setup, private_standard, ["alice", "bob", "carol"])
    observer = setup.add_member("olga", role="observer")

    exact = _pooled(setup, alice.headers()).json()["result"]
    assert _cross(exact) == EXACT_CROSS
    assert "privacy" not in exact["context"]["pooled"]

    noisy = _pooled(setup, observer.headers()).json()["result"]
    shown = _cross(noisy)
    # the four cells hold some 240 to 390 people: their noisy counts (sd ≈ 10) are far above the
    # minimum cell and shown; all 8 equal to the exact ones has probability below 0.13 ** 8 even
    # for one member's discrete Laplace noise of scale 4 (P(0) = (1 − e^(−1/4)) / (1 + e^(−1/4)))
    assert all(None not in shown[cell] for cell in EXACT_CROSS)
    assert [shown[cell] for cell in EXACT_CROSS] != list(EXACT_CROSS.values())
    # noise, not another pool: within 3 × 12 scales of the exact counts (each member's noise is
    # beyond 12 scales with probability e^(−12) ≈ 6e-6)
    for cell, (n, selected) in EXACT_CROSS.items():
        assert abs(shown[cell][0] - n) <= 3 * 12 * 4 and abs(shown[cell][1] - selected) <= 3 * 12 * 4
    info = noisy["context"]["pooled"]["privacy"]
    assert info["mechanism"] == "laplace" and info["fresh"] is True
    assert any("Differentially private (ε = 0.5)" in note for note in noisy["notes"])
    # rates and counts are one release: each shown rate is the shown selected over the shown n
    table = next(t for t in noisy["tables"] if t["name"] == "sex*age_band")
    for row in table["rows"]:
        if row["n"]:
            assert row["selection_rate"] == pytest.approx(row["selected"] / row["n"])
    # the admin's view stays exact too
    assert _cross(_pooled(setup, setup.admin()).json()["result"]) == EXACT_CROSS


def test_observers_read_no_view_computed_from_exact_counts(setup: Setup, private_standard: str) -> None:
    """The results and benchmark views are computed from exact counts: outside the guarantee, so
    refused to observers of a private standard; members still read them."""
    setup.publish(private_standard)
    alice, *_ = _join(setup, private_standard, ["alice", "bob", "carol"])
    observer = setup.add_member("olga", role="observer")
    for view in ("results", "benchmark"):
        refused = setup.http.get(f"/v1/standards/{PRIVATE}/{view}", headers=observer.headers())
        assert refused.status_code == 403
        assert f"the {view} view is computed from members' exact counts" in refused.json()["error"]
        assert setup.http.get(f"/v1/standards/{PRIVATE}/{view}", headers=alice.headers()).status_code == 200


def test_the_budget_is_spent_per_fresh_view_and_refused_past_it(setup: Setup, private_standard: str) -> None:
    setup.publish(private_standard)
    _join(setup, private_standard, ["a1", "a2", "a3"])
    observer = setup.add_member("olga", role="observer")

    first = _pooled(setup, observer.headers()).json()["result"]
    info = first["context"]["pooled"]["privacy"]
    assert (info["epsilon_spent"], info["budget_left"], info["fresh"]) == (0.5, 0.5, True)

    again = _pooled(setup, observer.headers()).json()["result"]  # the same view: the same release, free
    assert again["counts"] == first["counts"]
    info = again["context"]["pooled"]["privacy"]
    assert (info["epsilon_spent"], info["budget_left"], info["fresh"]) == (0.5, 0.5, False)

    _join(setup, private_standard, ["b1", "b2", "b3"])  # three more members: a new view, released afresh
    second = _pooled(setup, observer.headers()).json()["result"]
    info = second["context"]["pooled"]["privacy"]
    assert (info["epsilon_spent"], info["budget_left"], info["fresh"]) == (1.0, 0.0, True)
    assert second["context"]["pooled"]["members"] == 6

    _join(setup, private_standard, ["c1", "c2", "c3"])
    refused = _pooled(setup, observer.headers())
    assert refused.status_code == 403
    status = setup.http.get(f"/v1/standards/{PRIVATE}", headers=observer.headers()).json()["privacy"]
    assert (status["views"], status["epsilon_spent"], status["budget_left"]) == (2, 1.0, 0.0)
    assert "privacy budget of retail-private@2026.1 is exhausted" in refused.json()["error"]
    assert "spent ε = 1 of the budget 1" in refused.json()["error"]


def test_the_noise_scale_is_the_sensitivity_over_epsilon(setup: Setup, private_standard: str) -> None:
    """Laplace: b = Δ₁ / ε. One applicant record moves its cell's n by 1 and selected by at most 1
    (two count columns): Δ₁ = 2, so b = 2 / 0.5 = 4; OpenDP's own privacy map of that noise at
    Δ₁ = 2 gives back ε = 0.5."""
    setup.publish(private_standard)
    _join(setup, private_standard, ["alice", "bob", "carol"])
    observer = setup.add_member("olga", role="observer")
    info = _pooled(setup, observer.headers()).json()["result"]["context"]["pooled"]["privacy"]
    assert info["count_columns"] == ["n", "selected"]
    assert info["sensitivity_l1"] == 2
    assert info["scale"] == 2 / 0.5
    policy = Privacy.model_validate(LAPLACE)
    assert privacy.privacy_loss(policy, 4.0, ["n", "selected"]) == pytest.approx(0.5)


def test_the_noise_has_the_laplace_variance() -> None:
    """20,000 draws of scale b = 4: variance 2b² = 32 (the discrete Laplace's is
    2e^(-1/b) / (1 − e^(-1/b))² = 31.83, 2b² − 1/6 to first order). The sample variance's standard
    error is b²·√20 / √20000 ≈ 0.51, so 10 % (3.2) is six standard errors; the mean's is
    √32 / √20000 ≈ 0.04, and 0.3 is seven."""
    b = 4.0
    draws = privacy.add_noise(Privacy.model_validate(LAPLACE), b, [0] * 20_000)
    mean = sum(draws) / len(draws)
    variance = sum((d - mean) ** 2 for d in draws) / (len(draws) - 1)
    assert abs(mean) < 0.3
    assert variance == pytest.approx(2 * b**2, rel=0.10)
    discrete = 2 * math.exp(-1 / b) / (1 - math.exp(-1 / b)) ** 2
    assert discrete == pytest.approx(2 * b**2 - 1 / 6, abs=0.01)


def test_the_gaussian_scale_is_between_the_exact_and_the_classical_bounds() -> None:
    """(ε, δ) = (0.5, 1e-6) at Δ₂ = √2. The classical Gaussian mechanism takes
    σ = Δ₂·√(2 ln(1.25/δ)) / ε = 14.99 (Dwork & Roth, Thm 3.22); the least σ any Gaussian noise can
    have is the analytic Gaussian mechanism's (Balle & Wang 2018, Thm 8), which solves
    Φ(Δ/2σ − εσ/Δ) − e^ε Φ(−Δ/2σ − εσ/Δ) = δ (scipy: 11.40). OpenDP's zCDP accounting lands between
    the two, and its privacy map holds it to ε ≤ 0.5."""
    from scipy.optimize import brentq
    from scipy.stats import norm

    policy = Privacy.model_validate(
        {"mechanism": "gaussian", "epsilon_per_view": 0.5, "budget": 5, "delta": 1e-6}
    )
    sigma = privacy.noise_scale(policy, ["n", "selected"])
    l2, epsilon, delta = math.sqrt(2), 0.5, 1e-6
    classical = l2 * math.sqrt(2 * math.log(1.25 / delta)) / epsilon

    def excess(s: float) -> float:
        a, b = l2 / (2 * s), epsilon * s / l2
        return float(norm.cdf(a - b) - math.exp(epsilon) * norm.cdf(-a - b) - delta)

    analytic = brentq(excess, 1, 100)
    assert analytic == pytest.approx(11.40, abs=0.01) and classical == pytest.approx(14.99, abs=0.01)
    assert analytic <= sigma < classical
    assert privacy.privacy_loss(policy, sigma, ["n", "selected"]) <= epsilon + 1e-9


def test_the_gaussian_noise_has_the_variance_of_its_scale() -> None:
    """20,000 draws of the discrete Gaussian of σ = 12.27: variance σ² = 150.6 (the discrete
    Gaussian's is below σ² by at most σ²·4π²σ² / (e^(4π²σ²) − 1), Canonne, Kamath & Steinke 2020:
    nothing at this σ).
    The sample variance's standard error is σ²·√2 / √20000 ≈ 1.5, so 10 % (15) is ten."""
    policy = Privacy.model_validate(
        {"mechanism": "gaussian", "epsilon_per_view": 0.5, "budget": 5, "delta": 1e-6}
    )
    sigma = privacy.noise_scale(policy, ["n", "selected"])
    draws = privacy.add_noise(policy, sigma, [0] * 20_000)
    mean = sum(draws) / len(draws)
    variance = sum((d - mean) ** 2 for d in draws) / (len(draws) - 1)
    assert abs(mean) < 0.6  # eight standard errors (12.27 / √20000 ≈ 0.087)
    assert variance == pytest.approx(sigma**2, rel=0.10)


def test_concurrent_views_never_overspend(setup: Setup, private_standard: str) -> None:
    """Eight requests for eight different views at once, with budget for two: two are drawn."""
    setup.publish(private_standard)
    outcomes: list[str] = []

    def ask(i: int) -> None:
        try:
            setup.registry.private_release(
                PRIVATE,
                {},
                [i],
                mechanism="laplace",
                epsilon=0.5,
                delta=None,
                scale=4.0,
                budget=1.0,
                draw=list,
            )
            outcomes.append("drawn")
        except RegistryError as exc:
            outcomes.append(f"refused {exc.status}")

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["drawn"] * 2 + ["refused 403"] * 6


def test_a_privacy_block_that_cannot_work_is_refused_with_its_key() -> None:
    document = dict(find_standard("retail-screening@2026.1").document)
    document["privacy"] = {"mechanism": "gaussian", "epsilon_per_view": 0.5, "budget": 5}
    with pytest.raises(SpecError, match=r"privacy: the gaussian mechanism needs a delta"):
        parse_standard(document)
    document["privacy"] = {"mechanism": "laplace", "epsilon_per_view": 0.5, "budget": 0.1}
    with pytest.raises(SpecError, match=r"budget 0.1 is smaller than epsilon_per_view 0.5"):
        parse_standard(document)
