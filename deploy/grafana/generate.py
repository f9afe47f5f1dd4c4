"""`make dashboards`: the Grafana dashboards, as code (grafana-foundation-sdk), into deploy/k8s/base/dashboards/.

One JSON file per dashboard, shipped by kustomize as a ConfigMap labelled `grafana_dashboard: "1"` for
Grafana's dashboard sidecar. Every panel reads Prometheus through the `datasource` variable; the SLO
dashboard has one row per OpenSLO spec in deploy/slo/, read from the recording rules Sloth generates
(`make slo` regenerates both). tests/deploy/test_dashboards.py fails when the committed files drift from
this code, when a dashboard does not validate against Grafana's dashboard JSON Schema
(deploy/grafana/schema/), when a panel's PromQL does not parse, or when it names a metric no service exports.

    uv run python deploy/grafana/generate.py [--check]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml
from grafana_foundation_sdk.builders import bargauge, prometheus, stat, timeseries
from grafana_foundation_sdk.builders.common import GraphThresholdsStyleConfig, VizLegendOptions
from grafana_foundation_sdk.builders.dashboard import (
    Dashboard,
    DashboardLink,
    DatasourceVariable,
    QueryVariable,
    Row,
    ThresholdsConfig,
)
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import GraphThresholdsStyleMode, LegendDisplayMode, LegendPlacement
from grafana_foundation_sdk.models.dashboard import (
    DashboardLinkType,
    DataSourceRef,
    Threshold,
    ThresholdsMode,
    VariableRefresh,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = ROOT / "deploy/k8s/base/dashboards"
SPECS = ROOT / "deploy/slo"
DS = DataSourceRef(type_val="prometheus", uid="${datasource}")
RUNBOOKS = "https://github.com/trust-portal/trust-portal/blob/main/docs/runbooks"
RATE = "$__rate_interval"

Panel = timeseries.Panel | stat.Panel | bargauge.Panel


def query(expr: str, legend: str = "", *, instant: bool = False) -> prometheus.Dataquery:
    """A PromQL target (its refId is given by the panel)."""
    q = prometheus.Dataquery().expr(expr)
    if legend:
        q = q.legend_format(legend)
    return q.instant() if instant else q.range()


def thresholds(*steps: tuple[float | None, str]) -> ThresholdsConfig:
    """Absolute thresholds: the first step's value is None (the base colour)."""
    return ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps([Threshold(value=v, color=c) for v, c in steps])


def targets(panel: Panel, queries: Iterable[prometheus.Dataquery]) -> Panel:
    """The panel with its queries, named A, B, C..."""
    for ref, q in zip("ABCDEFGH", queries, strict=False):
        panel = panel.with_target(q.ref_id(ref))
    return panel


def graph(title: str, *queries: prometheus.Dataquery, unit: str = "short", about: str = "", span: int = 12,
          limits: ThresholdsConfig | None = None) -> timeseries.Panel:  # fmt: skip
    """A time series panel; with `limits`, the thresholds are drawn as lines (the alert's line)."""
    panel = (
        timeseries.Panel().title(title).description(about).datasource(DS).unit(unit).span(span).height(8)
        .legend(VizLegendOptions().display_mode(LegendDisplayMode.TABLE).placement(LegendPlacement.BOTTOM)
                .show_legend(True).calcs(["lastNotNull", "max"]))
    )  # fmt: skip
    if limits is not None:
        panel = panel.thresholds(limits).thresholds_style(
            GraphThresholdsStyleConfig().mode(GraphThresholdsStyleMode.DASHED)
        )
    return targets(panel, queries)


def number(title: str, expr: str, *, unit: str = "short", about: str = "", span: int = 6,
           limits: ThresholdsConfig | None = None) -> stat.Panel:  # fmt: skip
    """A single figure, coloured by its thresholds."""
    panel = stat.Panel().title(title).description(about).datasource(DS).unit(unit).span(span).height(5)
    panel = panel.thresholds(limits or thresholds((None, "blue")))
    return targets(panel, [query(expr, instant=True)])


def bars(title: str, expr: str, legend: str, *, unit: str = "short", about: str = "", span: int = 12,
         limits: ThresholdsConfig | None = None) -> bargauge.Panel:  # fmt: skip
    """One bar per series (a cohort, a level, a pool), now."""
    panel = bargauge.Panel().title(title).description(about).datasource(DS).unit(unit).span(span).height(8)
    panel = panel.thresholds(limits or thresholds((None, "blue")))
    return targets(panel, [query(expr, legend, instant=True)])


def dashboard(uid: str, title: str, about: str, rows: dict[str, list[Panel]],
              variables: Iterable[QueryVariable] = (), runbook: str = "") -> Dashboard:  # fmt: skip
    """A Trust Portal dashboard: the data source variable, then `variables`, then one row per entry of `rows`."""
    source = DatasourceVariable("datasource").label("Prometheus").type("prometheus")
    # The SDK gives every variable the interval variable's auto options, which Grafana's published
    # dashboard schema has only for interval variables; a data source variable does not use them.
    source._internal.auto = source._internal.auto_min = source._internal.auto_count = None
    board = (
        Dashboard(title).uid(uid).description(about).tags(["trust-portal"]).refresh("1m")
        .time("now-24h", "now").timezone("utc").with_variable(source)
        .link(DashboardLink("Trust Portal dashboards").type(DashboardLinkType.DASHBOARDS)
              .tags(["trust-portal"]).as_dropdown(True).include_vars(True).keep_time(True))
    )  # fmt: skip
    if runbook:
        board = board.link(DashboardLink("Runbook").type(DashboardLinkType.LINK).url(f"{RUNBOOKS}/{runbook}")
                           .target_blank(True))  # fmt: skip
    for variable in variables:
        variable._internal.auto = variable._internal.auto_min = variable._internal.auto_count = None
        board = board.with_variable(variable)
    for name, panels in rows.items():
        board = board.with_row(Row(name))
        for panel in panels:
            board = board.with_panel(panel)
    return board


def label_values(name: str, label: str, metric: str) -> QueryVariable:
    """A multi-value variable of one label's values (All by default)."""
    return (
        QueryVariable(name).label(label.capitalize()).datasource(DS).query(f"label_values({metric}, {label})")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED).multi(True).include_all(True).all_value(".*")
    )  # fmt: skip


def cohorts() -> Dashboard:
    """Cohort progress: verifications per cohort against the 10% failure line, time-to-first-verify, attempts."""
    v = "trustportal_onboarding_verifications_total"
    sel = '{cohort=~"$cohort"}'
    failed = f'{v}{{cohort=~"$cohort",outcome="failed"}}'
    rate = f"sum by (cohort) (increase({failed}[6h])) / sum by (cohort) (increase({v}{sel}[6h]))"
    ttfv = "trustportal_onboarding_time_to_first_verify_seconds_bucket"
    line = thresholds((None, "green"), (0.10, "red"))
    return dashboard("tp-cohorts", "Trust Portal / Cohort progress",
        "Partner cohorts onboarding: webhook verifications per cohort, the failure rate against the 10% line "
        "(the CohortFailureRateHigh alert), time from request to first verify, pings per verification.",
        {
            "Now": [
                number("Verified (24h)", f'sum(increase({v}{{cohort=~"$cohort",outcome="verified"}}[24h]))'),
                number("Failed (24h)", f"sum(increase({failed}[24h]))",
                       limits=thresholds((None, "green"), (1, "orange"))),
                number("Failure rate (6h)", f"sum(increase({failed}[6h])) / sum(increase({v}{sel}[6h]))",
                       unit="percentunit", limits=line),
                number("Verifications in flight", "sum(trustportal_onboarding_verifications_in_flight)"),
            ],
            "Per cohort": [
                bars("Failure rate by cohort (6h)", rate, "{{cohort}}", unit="percentunit", limits=line,
                     about="Failed over all verifications in 6 hours; the alert fires above 10% with 5 or more."),
                graph("Verifications by outcome", query(f"sum by (cohort, outcome) (rate({v}{sel}[{RATE}]))",
                                                        "{{cohort}} {{outcome}}"), unit="ops"),
                graph("Failure rate by cohort", query(rate, "{{cohort}}"), unit="percentunit", limits=line),
                graph("Time to first verify", query(f"histogram_quantile(0.5, sum by (le) (rate({ttfv}[{RATE}])))",
                                                    "p50"),
                      query(f"histogram_quantile(0.95, sum by (le) (rate({ttfv}[{RATE}])))", "p95"), unit="s",
                      limits=thresholds((None, "green"), (300, "red")),
                      about="From the tenant's request to its webhook verification (SLO: 95% within 5 minutes)."),
                graph("Pings per verification (p95)", query(
                    "histogram_quantile(0.95, sum by (le) "
                    f"(rate(trustportal_onboarding_verification_attempts_bucket[{RATE}])))", "p95")),
            ],
        },
        [label_values("cohort", "cohort", v)], runbook="onboarding.md")  # fmt: skip


def portal() -> Dashboard:
    """Portal availability and error budget, traffic and latency by route template."""
    req = "trustportal_http_requests_total"
    lat = "trustportal_http_request_duration_seconds_bucket"
    slo = 'sloth_slo="portal-availability"'
    return dashboard("tp-portal", "Trust Portal / Portal availability and error budget",
        "The portal as users reach it: the prober's availability against 99.95%, the error budget left in the "
        "30-day window and how fast it burns, then requests, errors and latency by route template.",
        {
            "Availability": [
                number("Availability (30d)", f"1 - slo:sli_error:ratio_rate30d{{{slo}}}", unit="percentunit",
                       limits=thresholds((None, "red"), (0.9995, "green"))),
                number("Error budget left", f"slo:period_error_budget_remaining:ratio{{{slo}}}",
                       unit="percentunit", limits=thresholds((None, "red"), (0.25, "orange"), (0.5, "green"))),
                number("Burn rate (5m)", f"slo:current_burn_rate:ratio{{{slo}}}",
                       limits=thresholds((None, "green"), (6, "orange"), (14.4, "red")),
                       about="1 spends the budget exactly over 30 days; the page fires at 14.4x (1h) and 6x (6h)."),
                number("Probe latency p95", "histogram_quantile(0.95, sum by (le) "
                       "(rate(trustportal_probe_latency_seconds_bucket[1h])))", unit="s"),
                graph("Probes by outcome", query(
                    f"sum by (target, outcome) (rate(trustportal_probe_results_total[{RATE}]))",
                    "{{target}} {{outcome}}"), unit="ops"),
                graph("Burn rate", query(f"slo:sli_error:ratio_rate1h{{{slo}}} / on() group_left() "
                                         f"(1 - slo:objective:ratio{{{slo}}})", "1h"),
                      query(f"slo:sli_error:ratio_rate6h{{{slo}}} / on() group_left() "
                            f"(1 - slo:objective:ratio{{{slo}}})", "6h"),
                      limits=thresholds((None, "green"), (6, "orange"), (14.4, "red"))),
            ],
            "Requests": [
                graph("Requests by status class", query(
                    f'sum by (class) (label_replace(rate({req}[{RATE}]), "class", "${{1}}xx", "status", "(.).."))',
                    "{{class}}"), unit="reqps"),
                graph("Server errors by route", query(
                    f'topk(10, sum by (route) (rate({req}{{status=~"5.."}}[{RATE}])))', "{{route}}"), unit="reqps"),
                graph("Latency p95 by route", query(
                    f"topk(10, histogram_quantile(0.95, sum by (route, le) (rate({lat}[{RATE}]))))", "{{route}}"),
                    unit="s", limits=thresholds((None, "green"), (0.3, "red")),
                    about="The latency SLO: 99% of requests within 300 ms."),
                graph("Requests by route", query(f"topk(10, sum by (route) (rate({req}[{RATE}])))", "{{route}}"),
                      unit="reqps"),
            ],
        }, runbook="portal.md")  # fmt: skip


def auth() -> Dashboard:
    """Auth errors: 401/403 against all answers, by route and status (the AuthErrorsSpiking alert's input)."""
    req = "trustportal_http_requests_total"
    denied = f'{req}{{status=~"401|403"}}'
    line = thresholds((None, "green"), (0.2, "red"))
    return dashboard("tp-auth", "Trust Portal / Auth errors",
        "Answers refused for authentication (401) or authorisation (403): their share of all answers against "
        "the 20% line of the AuthErrorsSpiking alert, by status and by route template.",
        {
            "Refusals": [
                number("Refused share (10m)", f"sum(rate({denied}[10m])) / sum(rate({req}[10m]))",
                       unit="percentunit", limits=line),
                number("401 per second", f'sum(rate({req}{{status="401"}}[10m]))', unit="reqps"),
                number("403 per second", f'sum(rate({req}{{status="403"}}[10m]))', unit="reqps"),
                number("Answers per second", f"sum(rate({req}[10m]))", unit="reqps"),
                graph("Refused share", query(f"sum(rate({denied}[{RATE}])) / sum(rate({req}[{RATE}]))", "refused"),
                      unit="percentunit", limits=line),
                graph("Refusals by status", query(f"sum by (status) (rate({denied}[{RATE}]))", "{{status}}"),
                      unit="reqps"),
                graph("Refusals by route", query(f"topk(10, sum by (route, status) (rate({denied}[{RATE}])))",
                                                 "{{route}} {{status}}"), unit="reqps", span=24),
            ],
        }, runbook="portal.md")  # fmt: skip


def slsa() -> Dashboard:
    """SLSA adoption against the L3 target, verdicts, and the hermetic runner queues."""
    pools = label_values("pool", "pool", "trustportal_runner_queue_depth")
    sel = '{pool=~"$pool"}'
    return dashboard("tp-slsa", "Trust Portal / SLSA adoption and runner queues",
        "Repositories by newest verified Build level against the L3 target (SlsaL3BelowTarget), verdicts and "
        "their latency, and the hermetic runner pools' queue depth, wait and utilisation (RunnerQueueSaturated).",
        {
            "Adoption": [
                number("Repositories at L3", "max(trustportal_slsa_repos_at_l3)",
                       limits=thresholds((None, "blue"))),
                number("L3 target", "max(trustportal_slsa_repos_at_l3_target)"),
                number("Rejected share (1h)", 'sum(increase(trustportal_slsa_verdicts_total{outcome="rejected"}[1h]))'
                       " / sum(increase(trustportal_slsa_verdicts_total[1h]))", unit="percentunit",
                       limits=thresholds((None, "green"), (0.5, "red"))),
                number("Verification p99", "histogram_quantile(0.99, sum by (le) "
                       "(rate(trustportal_slsa_verification_seconds_bucket[1h])))", unit="s",
                       limits=thresholds((None, "green"), (0.05, "red"))),
                bars("Repositories by Build level", "max by (level) (trustportal_slsa_repos)", "L{{level}}"),
                graph("At L3 against the target", query("max(trustportal_slsa_repos_at_l3)", "at L3"),
                      query("max(trustportal_slsa_repos_at_l3_target)", "target")),
                graph("Verdicts", query(f"sum by (outcome, level) (rate(trustportal_slsa_verdicts_total[{RATE}]))",
                                        "{{outcome}} L{{level}}"), unit="ops", span=24),
            ],
            "Runner queues": [
                graph("Queue depth", query(f"max by (pool) (trustportal_runner_queue_depth{sel})", "{{pool}}")),
                graph("Running jobs", query(f"max by (pool) (trustportal_runner_running_jobs{sel})", "{{pool}}")),
                graph("Queue wait p95", query(
                    'max by (pool) (trustportal_runner_wait_seconds{pool=~"$pool",quantile="0.95"})',
                    "{{pool}}"), unit="s"),
                graph("Utilisation", query(f"max by (pool) (trustportal_runner_utilisation_ratio{sel})", "{{pool}}"),
                      unit="percentunit", limits=thresholds((None, "green"), (0.85, "red"))),
                graph("Saturated", query(f"max by (pool) (trustportal_runner_saturated{sel})", "{{pool}}"),
                      span=24, about="1 while the pool's wait p95 exceeds its bound (pages after 10 minutes)."),
            ],
        }, [pools], runbook="slsa-watch.md")  # fmt: skip


def evidence() -> Dashboard:
    """Evidence time-to-pack against 7 minutes (and the 9-minute alert), packs built and failed, build time."""
    ttp = "trustportal_evidence_time_to_pack_seconds_bucket"
    line = thresholds((None, "green"), (420, "orange"), (540, "red"))
    slo = 'sloth_slo="evidence-time-to-pack"'
    return dashboard("tp-evidence", "Trust Portal / Evidence SLOs",
        "Time from a pack request to its signed pack in the ledger: p50 against 7 minutes (the seed's SLO) and "
        "the 9-minute alert (EvidenceTimeToPackSlow), the SLO's error budget, packs built and failed.",
        {
            "Time to pack": [
                number("p50 (recent packs)", 'max(trustportal_evidence_time_to_pack_quantile_seconds{quantile="0.5"})',
                       unit="s", limits=line),
                number("p95 (recent packs)",
                       'max(trustportal_evidence_time_to_pack_quantile_seconds{quantile="0.95"})', unit="s"),
                number("Error budget left", f"slo:period_error_budget_remaining:ratio{{{slo}}}", unit="percentunit",
                       limits=thresholds((None, "red"), (0.25, "orange"), (0.5, "green"))),
                number("Failed (1h)", "sum(increase(trustportal_evidence_packs_failed_total[1h]))",
                       limits=thresholds((None, "green"), (1, "orange"), (5, "red"))),
                graph("Time to pack", query(f"histogram_quantile(0.5, sum by (le) (rate({ttp}[{RATE}])))", "p50"),
                      query(f"histogram_quantile(0.95, sum by (le) (rate({ttp}[{RATE}])))", "p95"), unit="s",
                      limits=line),
                graph("Packs", query(f"sum(rate(trustportal_evidence_packs_built_total[{RATE}]))", "built"),
                      query(f"sum(rate(trustportal_evidence_packs_failed_total[{RATE}]))", "failed"), unit="ops"),
                graph("Build time p95", query("histogram_quantile(0.95, sum by (le) "
                                              f"(rate(trustportal_evidence_build_seconds_bucket[{RATE}])))", "p95"),
                      unit="s", span=24, about="The build itself, without the queue: signing, Merkle tree, upload."),
            ],
        }, runbook="evidence.md")  # fmt: skip


def board() -> Dashboard:
    """Board pack completeness, and the SLA probes the pack's figures come from."""
    packs = "trustportal_board_packs_total"
    return dashboard("tp-board", "Trust Portal / Board pack completeness",
        "Board packs built complete, built incomplete or refused (BoardPackIncomplete), and the real probes "
        "whose results make the pack's SLA.",
        {
            "Packs": [
                number("Complete (30d)", f'sum(increase({packs}{{outcome="complete"}}[30d]))',
                       limits=thresholds((None, "green"))),
                number("Incomplete (30d)", f'sum(increase({packs}{{outcome="incomplete"}}[30d]))',
                       limits=thresholds((None, "green"), (1, "red"))),
                number("Refused (30d)", f'sum(increase({packs}{{outcome="failed"}}[30d]))',
                       limits=thresholds((None, "green"), (1, "red"))),
                number("Probe success (24h)", 'sum(increase(trustportal_probe_results_total{outcome="ok"}[24h])) '
                       "/ sum(increase(trustportal_probe_results_total[24h]))", unit="percentunit",
                       limits=thresholds((None, "red"), (0.9995, "green"))),
                graph("Packs by outcome", query(f"sum by (outcome) (increase({packs}[1d]))", "{{outcome}}")),
                graph("Probe latency p95 by target", query(
                    "histogram_quantile(0.95, sum by (target, le) "
                    f"(rate(trustportal_probe_latency_seconds_bucket[{RATE}])))",
                    "{{target}}"), unit="s"),
            ],
        }, runbook="board.md")  # fmt: skip


def kafka() -> Dashboard:
    """Kafka lag per consumer group and partition, dead letters, and handler outcome and latency per event type."""
    groups = label_values("group", "group", "trustportal_consumer_lag")
    lag = 'trustportal_consumer_lag{group=~"$group"}'
    handled = "trustportal_handler_messages_total"
    return dashboard("tp-kafka", "Trust Portal / Kafka lag and dead letters",
        "Records each consumer group has yet to handle (ConsumerLagGrowing), dead letters held and arriving "
        "(DeadLettersGrowing), and every handler's outcome, retries and latency per event type.",
        {
            "Lag": [
                number("Total lag", f"sum({lag})", limits=thresholds((None, "green"), (1000, "orange"))),
                number("Dead letters held", "sum(max by (topic) (trustportal_dead_letter_backlog))",
                       limits=thresholds((None, "green"), (1, "orange"))),
                number("Dead-lettered (1h)", "sum(increase(trustportal_dead_letters_total[1h]))",
                       limits=thresholds((None, "green"), (1, "orange"), (10, "red"))),
                number("Redelivered (1h)", f'sum(increase({handled}{{outcome="redelivered"}}[1h]))',
                       limits=thresholds((None, "green"), (1, "red")),
                       about="Handlers that failed on the infrastructure after their retries: left for redelivery."),
                graph("Lag by group", query(f"sum by (group) ({lag})", "{{group}}"),
                      limits=thresholds((None, "green"), (1000, "red"))),
                graph("Lag by topic and partition", query(f"max by (topic, partition) ({lag})",
                                                          "{{topic}}/{{partition}}")),
            ],
            "Dead letters": [
                graph("Held in each DLQ", query("max by (topic) (trustportal_dead_letter_backlog)", "{{topic}}")),
                graph("Dead-lettered", query(f"sum by (topic) (rate(trustportal_dead_letters_total[{RATE}]))",
                                             "{{topic}}"), unit="ops"),
            ],
            "Handlers": [
                graph("Handled by event type and outcome", query(
                    f"sum by (event_type, outcome) (rate({handled}[{RATE}]))", "{{event_type}} {{outcome}}"),
                    unit="ops"),
                graph("Handler latency p95 by event type", query(
                    "histogram_quantile(0.95, sum by (event_type, le) "
                    f"(rate(trustportal_handler_duration_seconds_bucket[{RATE}])))", "{{event_type}}"), unit="s"),
                graph("Retries by event type", query(
                    f"sum by (event_type) (rate(trustportal_handler_retries_total[{RATE}]))", "{{event_type}}"),
                    unit="ops", span=24),
            ],
        }, [groups], runbook="delivery.md")  # fmt: skip


def slos() -> Dashboard:
    """One row per OpenSLO spec: the objective, the SLI over the window, the error budget left, the burn rate."""
    rows: dict[str, list[Panel]] = {}
    for path in sorted(SPECS.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text())
        name, shown = spec["metadata"]["name"], spec["metadata"]["displayName"]
        target = spec["spec"]["objectives"][0]["target"]
        sel = f'{{sloth_slo="{name}"}}'
        rows[f"{shown}: {target:.2%}".replace(".00%", "%")] = [
            number("Objective", f"slo:objective:ratio{sel}", unit="percentunit", span=4),
            number("SLI (30d)", f"1 - slo:sli_error:ratio_rate30d{sel}", unit="percentunit", span=4,
                   limits=thresholds((None, "red"), (target, "green"))),
            number("Error budget left", f"slo:period_error_budget_remaining:ratio{sel}", unit="percentunit", span=4,
                   limits=thresholds((None, "red"), (0.25, "orange"), (0.5, "green"))),
            graph("Burn rate (1h, 6h, 3d)", *(
                query(f"slo:sli_error:ratio_rate{w}{sel} / on() group_left() (1 - slo:objective:ratio{sel})", w)
                for w in ("1h", "6h", "3d")), limits=thresholds((None, "green"), (6, "orange"), (14.4, "red")),
                about=spec["spec"]["description"]),
            graph("Error budget left over time", query(f"slo:period_error_budget_remaining:ratio{sel}", "left"),
                  unit="percentunit"),
        ]  # fmt: skip
    return dashboard("tp-slos", "Trust Portal / SLOs",
        "Every SLO of deploy/slo/ (OpenSLO): objective, SLI over the 30-day window, error budget left and the "
        "burn rate the multi-window alerts read (page at 14.4x over 1h or 6x over 6h).",
        rows, runbook="slo-error-budget-burn.md")  # fmt: skip


DASHBOARDS: tuple[Callable[[], Dashboard], ...] = (cohorts, portal, auth, slsa, evidence, board, kafka, slos)


def rendered() -> dict[str, str]:
    """File name -> dashboard JSON, for every dashboard."""
    out = {}
    for make in DASHBOARDS:
        model: Any = json.loads(json.dumps(make().build(), cls=JSONEncoder))
        for n, panel in enumerate(model["panels"], start=1):
            panel["id"] = n
        out[f"{model['uid']}.json"] = json.dumps(model, indent=2, sort_keys=True) + "\n"
    return out


KUSTOMIZATION = """\
# Generated by `make dashboards` (deploy/grafana/generate.py); do not edit.
# One ConfigMap per dashboard, labelled for Grafana's dashboard sidecar.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
generatorOptions:
  disableNameSuffixHash: true
  labels:
    grafana_dashboard: "1"
  annotations:
    grafana_folder: Trust Portal
configMapGenerator:
"""


def files() -> dict[Path, str]:
    """Every generated file and its text: the dashboards and the kustomization that ships them."""
    dashboards = rendered()
    entries = "".join(f"  - name: dashboard-{name.removesuffix('.json')}\n    files:\n      - {name}\n"
                      for name in sorted(dashboards))  # fmt: skip
    return {
        **{OUT / name: text for name, text in dashboards.items()},
        OUT / "kustomization.yaml": KUSTOMIZATION + entries,
    }


def main() -> int:
    """Write the files, or with --check report those that differ from what the code makes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a committed file differs")
    args = parser.parse_args()
    wanted = files()
    stale = sorted({p for p in OUT.glob("*") if p.is_file()} - set(wanted))
    if args.check:
        drift = [p for p, text in wanted.items() if not p.exists() or p.read_text() != text] + stale
        for p in drift:
            print(f"{p.relative_to(ROOT)} differs from deploy/grafana/generate.py: run `make dashboards`")
        return 1 if drift else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for p in stale:
        p.unlink()
    for p, text in wanted.items():
        p.write_text(text)
    print(f"wrote {len(wanted)} files to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
