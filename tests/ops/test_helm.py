"""The Helm chart, linted and rendered by a real helm binary (pinned and checksummed by
helm/fetch-helm.sh, which `make test` runs), and the rendered manifests checked."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO

HELM = REPO / ".tools" / "helm" / "helm"
CHART = REPO / "helm" / "usina"


@pytest.fixture(scope="module")
def helm() -> Path:
    if not HELM.exists():
        if os.environ.get("CI"):
            pytest.fail("the helm binary is missing: `make test` fetches it (helm/fetch-helm.sh)")
        pytest.skip("no helm binary (run `make .tools/helm/helm`)")
    return HELM


def render(helm: Path, *sets: str) -> list[dict[str, Any]]:
    args = [str(helm), "template", "usina", str(CHART)]
    for item in sets:
        args += ["--set", item]
    result = subprocess.run(args, capture_output=True, text=True, check=True)
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    if doc["kind"] == "CronJob":
        return dict(doc["spec"]["jobTemplate"]["spec"]["template"]["spec"])
    return dict(doc["spec"]["template"]["spec"])


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value") or e.get("valueFrom") for e in container.get("env", [])}


@pytest.fixture(scope="module")
def manifests(helm: Path) -> list[dict[str, Any]]:
    return render(helm, "ingress.enabled=true", "ingress.tlsSecretName=usina-tls")


def test_lint_strict(helm: Path) -> None:
    result = subprocess.run(
        [str(helm), "lint", "--strict", str(CHART)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_chart_has_every_piece(manifests: list[dict[str, Any]]) -> None:
    kinds = sorted(d["kind"] for d in manifests)
    assert kinds == sorted(
        [
            "ConfigMap",
            "CronJob",
            "Deployment",
            "Deployment",
            "HorizontalPodAutoscaler",
            "HorizontalPodAutoscaler",
            "Ingress",
            "Job",
            "PodDisruptionBudget",
            "PodDisruptionBudget",
            "Service",
            "ServiceAccount",
        ]
    )
    hpas = by_kind(manifests, "HorizontalPodAutoscaler")
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()} == {
        "usina-web",
        "usina-worker",
    }
    pdbs = by_kind(manifests, "PodDisruptionBudget")
    assert {
        p["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] for p in pdbs.values()
    } == {"web", "worker"}


def test_every_pod_is_locked_down_and_sized(manifests: list[dict[str, Any]]) -> None:
    workloads = [d for d in manifests if d["kind"] in ("Deployment", "Job", "CronJob")]
    assert len(workloads) == 4
    for doc in workloads:
        spec = pod_spec(doc)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert spec["automountServiceAccountToken"] is False
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["readOnlyRootFilesystem"] is True
            assert context["capabilities"]["drop"] == ["ALL"]
            assert set(container["resources"]) == {"requests", "limits"}
            assert {"cpu", "memory"} <= set(container["resources"]["limits"])


def test_probes(manifests: list[dict[str, Any]]) -> None:
    deployments = by_kind(manifests, "Deployment")
    (web,) = pod_spec(deployments["usina-web"])["containers"]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert web["startupProbe"]["httpGet"]["path"] == "/healthz"
    (worker,) = pod_spec(deployments["usina-worker"])["containers"]
    assert worker["args"][0] == "worker"
    assert worker["livenessProbe"]["httpGet"]["port"] == "metrics"
    assert worker["readinessProbe"]["httpGet"]["path"] == "/metrics"


def test_the_migration_hook_uses_the_owner_and_the_app_the_restricted_role(
    manifests: list[dict[str, Any]],
) -> None:
    (job,) = by_kind(manifests, "Job").values()
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    (migrate,) = pod_spec(job)["containers"]
    assert migrate["args"] == ["migrate"]
    env = env_of(migrate)
    assert env["USINA_MIGRATION_DATABASE_URL"]["secretKeyRef"]["key"] == "migration-database-url"
    assert env["USINA_DATABASE_URL"]["secretKeyRef"]["key"] == "database-url"
    assert env["USINA_DB_APP_ROLE"] == "usina_app"
    for doc in [
        *by_kind(manifests, "Deployment").values(),
        *by_kind(manifests, "CronJob").values(),
    ]:
        for container in pod_spec(doc)["containers"]:
            env = env_of(container)
            assert env["USINA_DATABASE_URL"]["secretKeyRef"]["key"] == "database-url"
            assert "USINA_MIGRATION_DATABASE_URL" not in env  # the app never holds the owner


def test_on_citus_the_hook_migrates_then_distributes(helm: Path) -> None:
    docs = render(helm, "database.citus.enabled=true", "database.citus.shardCount=64")
    (job,) = by_kind(docs, "Job").values()
    spec = pod_spec(job)
    (migrate,) = spec["initContainers"]
    (distribute,) = spec["containers"]
    assert migrate["args"] == ["migrate"]
    assert distribute["args"] == ["scale", "distribute", "--shard-count", "64"]
    for container in (migrate, distribute):
        env = env_of(container)
        assert (
            env["USINA_MIGRATION_DATABASE_URL"]["secretKeyRef"]["key"] == "migration-database-url"
        )
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
    (default,) = by_kind(render(helm), "Job").values()
    assert "initContainers" not in pod_spec(default)
    bad = subprocess.run(
        [str(helm), "template", "usina", str(CHART), "--set", "database.citus.shardCount=0"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0 and "shardCount" in bad.stderr


def test_the_cronjob_enqueues_the_periodic_jobs(manifests: list[dict[str, Any]]) -> None:
    (cron,) = by_kind(manifests, "CronJob").values()
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    (container,) = pod_spec(cron)["containers"]
    assert container["args"] == ["jobs", "enqueue-periodic"]


def test_configuration_and_secrets(manifests: list[dict[str, Any]]) -> None:
    (config,) = by_kind(manifests, "ConfigMap").values()
    data = config["data"]
    assert data["USINA_ENVIRONMENT"] == "production"
    assert data["USINA_WORKERS"] == "redis"
    assert not any("DATABASE_URL" in key or "PASSWORD" in key for key in data)
    (ingress,) = by_kind(manifests, "Ingress").values()
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    assert {"usina.example.org", "*.usina.example.org", "api.usina.example.org"} == hosts


@pytest.mark.parametrize(
    "bad",
    [
        "web.replicas=0",
        "config.USINA_DATABASE_URL=postgresql://secret@db/usina",
        "image.pullPolicy=Sometimes",
        "database.appRole=Robert'); DROP TABLE",
        "unknownKey=1",
    ],
)
def test_the_values_schema_refuses_bad_values(helm: Path, bad: str) -> None:
    result = subprocess.run(
        [str(helm), "template", "usina", str(CHART), "--set", bad], capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "values don't meet the specifications" in result.stderr or "schema" in result.stderr


def test_the_dockerfile_runs_usina_as_an_unprivileged_user() -> None:
    lines = (REPO / "Dockerfile").read_text().splitlines()
    assert "USER 10001:10001" in lines
    assert 'ENTRYPOINT ["usina"]' in lines
    assert lines[0].startswith("#") and any(
        line.startswith("FROM python:3.11-slim") for line in lines
    )


def test_the_package_carries_its_migrations_and_data(tmp_path: Path) -> None:
    """What the image installs: the wheel (not the source tree) has everything to run."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("usina-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    migrations = {n for n in names if n.startswith("usina/migrations/versions/0")}
    assert len(migrations) == len(list((REPO / "usina/migrations/versions").glob("0*.py")))
    assert {
        "usina/migrations/env.py",
        "usina/migrations/frozen.py",
        "usina/migrations/script.py.mako",
        "graphql_schema/portal.graphql",
    } <= names
    assert any(n.startswith("plugins/builtin/transparency_index/definition") for n in names)


@pytest.mark.parametrize("kubernetes", ["1.27.0", "1.31.0"])
def test_the_rendered_manifests_are_valid_kubernetes(
    helm: Path, kubernetes: str, tmp_path: Path
) -> None:
    """Strict schema validation (a misspelled field fails), at the oldest Kubernetes the chart
    supports and a recent one."""
    rendered = tmp_path / "usina.yaml"
    rendered.write_text(
        subprocess.run(
            [
                str(helm),
                "template",
                "usina",
                str(CHART),
                "--set",
                "ingress.enabled=true",
                "--set",
                "ingress.tlsSecretName=tls",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    validator = Path(sys.executable).parent / "kubernetes-validate"
    result = subprocess.run(
        [str(validator), "--strict", "--quiet", "-k", kubernetes, str(rendered)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_web_pods_keep_metrics_off_the_ingress_and_trust_only_their_proxies(
    manifests: list[dict[str, Any]],
) -> None:
    """Issue 32: /metrics on a port of its own (the scrape annotations point there, the
    Service and Ingress route only http), uvicorn told which proxies' X-Forwarded-For to
    believe (else every visitor shares the proxy's anonymous bucket), and links from the
    configured public URL (the issuer's when none is given), never from a request's Host."""
    deployments = by_kind(manifests, "Deployment")
    web_pod = deployments["usina-web"]["spec"]["template"]
    (web,) = pod_spec(deployments["usina-web"])["containers"]
    ports = {p["name"]: p["containerPort"] for p in web["ports"]}
    assert ports["metrics"] != ports["http"]
    assert web_pod["metadata"]["annotations"]["prometheus.io/port"] == str(ports["metrics"])
    args = web["args"]
    assert args[args.index("--metrics-port") + 1] == str(ports["metrics"])
    assert args[args.index("--forwarded-allow-ips") + 1]
    (service,) = by_kind(manifests, "Service").values()
    routed = {p.get("targetPort") for p in service["spec"]["ports"]}
    assert "metrics" not in routed and ports["metrics"] not in routed
    (config,) = by_kind(manifests, "ConfigMap").values()
    assert config["data"]["USINA_PUBLIC_URL"] == "https://api.usina.example.org"


def test_a_web_pod_runs_as_many_processes_as_asked(helm: Path) -> None:
    """``web.workers`` is ``usina serve --workers`` (one per core the pod may use)."""
    for sets, expected in (((), "1"), (("web.workers=4",), "4")):
        deployments = by_kind(render(helm, *sets), "Deployment")
        (web,) = pod_spec(deployments["usina-web"])["containers"]
        assert web["args"][web["args"].index("--workers") + 1] == expected
