"""Arm assignment and the experiment statistics, without a store."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from models.metrics.exposure import Exposure
from recsys.experiments import Arm, ExperimentSpec, assign, report, wilson

SPEC = ExperimentSpec("als-vs-pop", [Arm("control"), Arm("als", 3.0, 7)], traffic=0.5)


def test_assignment_is_stable_and_follows_weights_and_traffic() -> None:
    users = [f"user-{i}" for i in range(20_000)]
    arms = [assign(u, SPEC) for u in users]
    assert arms == [assign(u, SPEC) for u in users]  # stable
    enrolled = [a for a in arms if a is not None]
    assert len(enrolled) / len(users) == pytest.approx(0.5, abs=0.015)
    share = sum(a.name == "als" for a in enrolled) / len(enrolled)
    assert share == pytest.approx(0.75, abs=0.015)
    wider = ExperimentSpec(SPEC.name, SPEC.arms, traffic=0.8)
    for u, a in zip(users, arms, strict=True):
        if a is not None:
            assert assign(u, wider) == a  # more traffic never moves anyone enrolled
    other = ExperimentSpec("another", SPEC.arms, traffic=0.5)
    assert [assign(u, other) for u in users[:200]] != arms[:200]  # independent per experiment


def test_wilson_matches_the_textbook_interval() -> None:
    p, low, high = wilson(81, 263, 0.05)  # Wilson (1927) style example
    assert p == pytest.approx(81 / 263)
    z = stats.norm.ppf(0.975)
    n, ph = 263, 81 / 263
    centre = (ph + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(ph * (1 - ph) / n + z**2 / (4 * n**2))
    assert (low, high) == pytest.approx((centre - half, centre + half))
    assert wilson(0, 0, 0.05) == (None, None, None)


def exposure(effect: float, users: int = 300, seed: int = 1) -> Exposure:
    rng = np.random.default_rng(seed)
    arm = ["control"] * users + ["als"] * users
    minutes = np.concatenate([rng.gamma(4, 15, users), rng.gamma(4, 15 * (1 + effect), users)])
    ms = (minutes * 60_000).astype(np.int64)
    lists = rng.integers(1, 6, 2 * users)
    clicked = rng.binomial(lists, [0.2] * users + [0.2 + effect / 2] * users)
    known = rng.integers(10, 40, 2 * users)
    return Exposure(arm, lists, clicked, ms, rng.binomial(known, 0.25), known, ms // 4)


def test_known_effect_wins_and_no_effect_is_too_early() -> None:
    won = report(exposure(0.3), ["control", "als"])
    assert won.verdict.decided and won.verdict.winner == "als"
    als = won.arms[1].listening_minutes_per_user
    assert als.diff is not None and als.diff_low is not None and als.diff_low > 0
    assert als.p_value is not None and als.p_value < 0.001
    assert won.arms[1].click_through.diff_low is not None and won.arms[1].click_through.diff_low > 0
    null = report(exposure(0.0), ["control", "als"])
    assert not null.verdict.decided and null.verdict.winner is None
    assert "too early" in null.verdict.summary
    d = null.arms[1].listening_minutes_per_user
    assert d.diff_low is not None and d.diff_high is not None and d.diff_low < 0 < d.diff_high
    share = null.arms[1].rec_share
    assert share.value == pytest.approx(0.25, abs=0.001)
    assert share.diff_low is not None and share.diff_high is not None
    assert share.diff_low <= 0 <= share.diff_high


def test_small_arms_are_too_early_whatever_the_difference() -> None:
    small = report(exposure(1.0, users=20), ["control", "als"], min_users=100)
    assert not small.verdict.decided
    assert "fewer than 100 listeners" in small.verdict.summary
