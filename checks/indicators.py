"""The national government-website inspection indicators (2019) applied to one unit's findings.

Pure: findings in, a verdict out. The indicators themselves (which checks count, where, the
thresholds and points) are `indicators:` of checks/rules.yaml.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from checks.findings import LINK_CHECKS, Finding
from checks.rules import HOME, OTHER, Indicator, Indicators

FULL_SCORE = 100.0


@dataclass(frozen=True)
class Veto:
    name: str
    count: int  # problems counted at the period's last run, or runs that found one
    of_runs: int | None = None  # for a share of runs: how many runs the period had


@dataclass(frozen=True)
class Deduction:
    name: str
    count: int
    points: float


@dataclass(frozen=True)
class IndicatorVerdict:
    vetoes: tuple[Veto, ...]
    deductions: tuple[Deduction, ...]
    score: float | None  # None when a single veto applies: the unit is not scored
    qualified: bool


def page_key(url: str) -> str:
    """A URL as a place: scheme and host case-insensitive, no default port, no trailing slash."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is not None and (parts.scheme.lower(), port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    return f"{parts.scheme.lower()}://{host}{parts.path.rstrip('/')}?{parts.query}"


def counted(indicator: Indicator, findings: list[Finding], home_urls: set[str]) -> int:
    """How many problems `indicator` counts among `findings`: a link once per target."""
    homes = {page_key(url) for url in home_urls}
    problems = set()
    for finding in findings:
        if finding.check not in indicator.checks:
            continue
        on_home = page_key(finding.page_url) in homes
        if (indicator.page == HOME and not on_home) or (indicator.page == OTHER and on_home):
            continue
        if finding.check in LINK_CHECKS:
            problems.add(("link", finding.target_url))
        else:
            problems.add((finding.check, finding.page_url, finding.target_url, finding.detail))
    return len(problems)


def assess_indicators(indicators: Indicators, latest: list[Finding], runs: list[list[Finding]],
                      home_urls: set[str]) -> IndicatorVerdict:
    """The verdict on a unit: `latest` are its open findings at the period's last run, `runs` its
    open findings in each run of the period (for the share-of-runs vetoes), `home_urls` its home
    page (as configured and where it ended)."""
    vetoes = []
    for indicator in indicators.single_veto:
        if indicator.share_of_runs is not None:
            hit = sum(1 for findings in runs if counted(indicator, findings, home_urls))
            if runs and hit / len(runs) >= indicator.share_of_runs:
                vetoes.append(Veto(indicator.name, hit, len(runs)))
        else:
            count = counted(indicator, latest, home_urls)
            if count >= indicator.at_least:
                vetoes.append(Veto(indicator.name, count))
    deductions = []
    for indicator in indicators.deductions:
        count = counted(indicator, latest, home_urls)
        if count:
            points = count * indicator.points
            if indicator.max_points is not None:
                points = min(points, indicator.max_points)
            deductions.append(Deduction(indicator.name, count, round(points, 2)))
    if vetoes:
        return IndicatorVerdict(tuple(vetoes), tuple(deductions), None, False)
    score = round(max(0.0, FULL_SCORE - sum(d.points for d in deductions)), 2)
    return IndicatorVerdict((), tuple(deductions), score, score >= indicators.pass_score)
