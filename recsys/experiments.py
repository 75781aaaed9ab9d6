"""Recommendation experiments: who is in which arm, and which arm is winning.

Assignment is a pure function of the listener's id and the experiment's name (SHA-256),
so every server, every worker and every restart put a listener in the same arm, and no
assignment is stored. The report compares each arm with the first (the control):

- **listening time per listener** (the North Star) — Welch's t interval for the
  difference of means, and its p-value;
- **recommendation-attributed share** of listening — ratio of sums per arm, with a
  percentile bootstrap interval over listeners for the difference;
- **click-through** of served lists and **skip rate** of plays — Wilson intervals per
  arm and a two-proportion z-test for the difference.

The verdict is taken on listening time alone (one primary metric, Bonferroni-corrected
over the treatment arms): an arm wins or loses when its difference is significant at
``alpha`` with at least ``min_users`` listeners in both arms; otherwise it is too early
to tell. The other metrics explain the verdict; they do not make it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from models.metrics.exposure import Exposure

SCALE = float(2**64)


@dataclass(frozen=True, slots=True)
class Arm:
    name: str
    weight: float = 1.0
    model_version_id: int | None = None  # None: the popularity baseline


@dataclass(frozen=True, slots=True)
class ExperimentSpec:
    name: str
    arms: Sequence[Arm]
    traffic: float = 1.0  # share of listeners enrolled


def _unit(key: str) -> float:
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / SCALE


def assign(user_external_id: str, experiment: ExperimentSpec) -> Arm | None:
    """The arm ``user_external_id`` is in, or None when outside the experiment's traffic.

    Two independent uniform draws per (experiment, listener): below ``traffic`` the first
    enrols the listener, and the second picks the arm by weight. So raising ``traffic``
    keeps everyone already enrolled in their arm."""
    key = f"{experiment.name}\x00{user_external_id}"
    if _unit(key) >= experiment.traffic or not experiment.arms:
        return None
    v = _unit(key + "\x00arm") * sum(a.weight for a in experiment.arms)
    for arm in experiment.arms:
        if v < arm.weight:
            return arm
        v -= arm.weight
    return experiment.arms[-1]


@dataclass(frozen=True, slots=True)
class Estimate:
    """An arm's value, and against the control: difference, its interval, p-value."""

    value: float | None
    low: float | None = None
    high: float | None = None
    diff: float | None = None
    diff_low: float | None = None
    diff_high: float | None = None
    p_value: float | None = None


@dataclass(frozen=True, slots=True)
class ArmResult:
    arm: str
    users: int
    lists: int
    listening_minutes_per_user: Estimate
    rec_share: Estimate
    click_through: Estimate
    skip_rate: Estimate


@dataclass(frozen=True, slots=True)
class Verdict:
    winner: str | None
    decided: bool
    summary: str


@dataclass(frozen=True, slots=True)
class ExperimentReport:
    arms: list[ArmResult]
    verdict: Verdict
    alpha: float
    min_users: int


F64 = npt.NDArray[np.float64]
NORMAL = NormalDist()


def _f(x: float | np.floating | None) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def wilson(successes: int, n: int, alpha: float) -> tuple[float | None, float | None, float | None]:
    """A proportion and its Wilson score interval."""
    if n == 0:
        return None, None, None
    z = NORMAL.inv_cdf(1 - alpha / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return p, float(centre - half), float(centre + half)


def _proportion(x1: int, n1: int, x0: int, n0: int, alpha: float) -> Estimate:
    value, low, high = wilson(x1, n1, alpha)
    if not n0 or not n1 or value is None:
        return Estimate(value, low, high)
    p0 = x0 / n0
    diff = value - p0
    pooled = (x1 + x0) / (n1 + n0)
    se0 = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    # two-sided: 2 * P(Z > |z|) = erfc(|z| / sqrt 2), exact far into the tail
    p_value = math.erfc(abs(diff) / se0 / math.sqrt(2)) if se0 > 0 else (1.0 if diff == 0 else 0.0)
    se = np.sqrt(value * (1 - value) / n1 + p0 * (1 - p0) / n0)
    z = NORMAL.inv_cdf(1 - alpha / 2)
    return Estimate(value, low, high, diff, _f(diff - z * se), _f(diff + z * se), p_value)


def _means(x: F64, x0: F64, alpha: float) -> Estimate:
    if x.size == 0:
        return Estimate(None)
    mean = float(x.mean())
    if x.size < 2:
        return Estimate(mean)
    from scipy import stats  # 0.5 s to import: only a report with continuous metrics pays it

    low, high = stats.t.interval(1 - alpha, x.size - 1, loc=mean, scale=stats.sem(x))
    if x0.size < 2:
        return Estimate(mean, _f(low), _f(high))
    test = stats.ttest_ind(x, x0, equal_var=False)
    ci = test.confidence_interval(1 - alpha)
    return Estimate(
        mean, _f(low), _f(high), mean - float(x0.mean()), _f(ci.low), _f(ci.high),
        _f(test.pvalue),
    )  # fmt: skip


def _ratio(num: F64, den: F64, num0: F64, den0: F64, alpha: float, seed: int) -> Estimate:
    if den.sum() == 0:
        return Estimate(None)
    value = float(num.sum() / den.sum())
    if den0.sum() == 0 or num.size < 2 or num0.size < 2:
        return Estimate(value)
    rng = np.random.default_rng(seed)
    draws = 1000
    i = rng.integers(0, num.size, size=(draws, num.size))
    j = rng.integers(0, num0.size, size=(draws, num0.size))
    with np.errstate(invalid="ignore", divide="ignore"):
        own = num[i].sum(1) / den[i].sum(1)
        diffs = own - num0[j].sum(1) / den0[j].sum(1)
    own, diffs = own[np.isfinite(own)], diffs[np.isfinite(diffs)]
    lo, hi = np.quantile(own, [alpha / 2, 1 - alpha / 2])
    dlo, dhi = np.quantile(diffs, [alpha / 2, 1 - alpha / 2])
    base = float(num0.sum() / den0.sum())
    p = 2 * min((diffs <= 0).mean(), (diffs >= 0).mean())
    return Estimate(
        value, float(lo), float(hi), value - base, float(dlo), float(dhi), float(min(p, 1.0))
    )


def report(
    exposure: Exposure, arms: Sequence[str], *, alpha: float = 0.05, min_users: int = 100,
    seed: int = 0,
) -> ExperimentReport:  # fmt: skip
    """Compare every arm with ``arms[0]`` and call a winner or say it is too early."""
    names = np.array(exposure.arm, dtype=object)
    masks = {a: names == a for a in arms}
    control = masks[arms[0]] if arms else np.zeros(0, dtype=bool)

    def col(values: npt.NDArray[np.int64], mask: npt.NDArray[np.bool_]) -> F64:
        return values[mask].astype(np.float64)

    results = []
    for n, a in enumerate(arms):
        m = masks[a]
        results.append(
            ArmResult(
                arm=a, users=int(m.sum()), lists=int(exposure.lists[m].sum()),
                listening_minutes_per_user=_means(
                    col(exposure.ms, m) / 60_000, col(exposure.ms, control) / 60_000, alpha
                ),
                rec_share=_ratio(col(exposure.rec_ms, m), col(exposure.ms, m),
                                 col(exposure.rec_ms, control), col(exposure.ms, control),
                                 alpha, seed + n),
                click_through=_proportion(
                    int(exposure.clicked[m].sum()), int(exposure.lists[m].sum()),
                    int(exposure.clicked[control].sum()), int(exposure.lists[control].sum()),
                    alpha,
                ),
                skip_rate=_proportion(
                    int(exposure.skips[m].sum()), int(exposure.known[m].sum()),
                    int(exposure.skips[control].sum()), int(exposure.known[control].sum()),
                    alpha,
                ),
            )
        )  # fmt: skip
    return ExperimentReport(results, _verdict(results, alpha, min_users), alpha, min_users)


def _verdict(results: list[ArmResult], alpha: float, min_users: int) -> Verdict:
    if len(results) < 2:
        return Verdict(None, False, "too early to tell: an experiment needs two arms")
    control, treatments = results[0], results[1:]
    small = [r.arm for r in results if r.users < min_users]
    if small:
        return Verdict(
            None, False,
            f"too early to tell: {', '.join(small)} ha{'s' if len(small) == 1 else 've'} "
            f"fewer than {min_users} listeners",
        )  # fmt: skip
    level = alpha / len(treatments)
    significant = [
        r for r in treatments
        if r.listening_minutes_per_user.p_value is not None
        and r.listening_minutes_per_user.p_value < level
    ]  # fmt: skip
    better = [r for r in significant if (r.listening_minutes_per_user.diff or 0) > 0]
    if better:
        best = max(better, key=lambda r: r.listening_minutes_per_user.diff or 0)
        d = best.listening_minutes_per_user
        return Verdict(
            best.arm, True,
            f"{best.arm} wins: {d.diff:+.1f} listening minutes per listener against "
            f"{control.arm} (p = {d.p_value:.2g})",
        )  # fmt: skip
    if significant and len(significant) == len(treatments):
        return Verdict(
            control.arm, True, f"{control.arm} wins: every other arm listens significantly less"
        )
    return Verdict(
        None, False,
        f"too early to tell: no arm differs from {control.arm} in listening time per listener "
        f"at alpha {alpha:g}",
    )  # fmt: skip
