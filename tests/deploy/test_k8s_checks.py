"""deploy/check_k8s.py passes the manifests as they are, and names each fault
it exists to catch (validate.sh runs it on `kubectl kustomize`'s output)."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import pytest
import yaml

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
spec = importlib.util.spec_from_file_location("check_k8s", K8S.parent / "check_k8s.py")
check_k8s = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_k8s)


def _load() -> tuple[list[dict], dict, dict]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    docs = [doc for name in kustomization["resources"] for doc in yaml.safe_load_all((K8S / name).read_text()) if doc]
    return docs, kustomization, yaml.safe_load((K8S / "migrate-job.yaml").read_text())


def _find(docs: list[dict], kind: str, name: str | None = None) -> dict:
    return next(doc for doc in docs if doc["kind"] == kind and (name is None or doc["metadata"]["name"] == name))


def test_the_manifests_pass():
    assert check_k8s.problems(*_load()) == []


def test_the_secret_template_is_not_in_the_kustomization():
    _docs, kustomization, _job = _load()
    assert "secret.template.yaml" not in kustomization["resources"]
    assert sorted(p.name for p in K8S.glob("*.yaml")) == sorted(
        [*kustomization["resources"], "kustomization.yaml", "secret.template.yaml", "migrate-job.yaml"]
    )


def _broken(change) -> list[str]:
    docs, kustomization, job = copy.deepcopy(_load())
    change(docs, kustomization, job)
    return check_k8s.problems(docs, kustomization, job)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda docs, k, j: docs.append({"kind": "Secret", "metadata": {"name": "s"}}), "Secret"),
        (lambda docs, k, j: _find(docs, "Deployment", "guitaronline-web")["spec"].update(replicas=3), "replicas"),
        (
            lambda docs, k, j: _find(docs, "PodMonitor")["spec"]["podMetricsEndpoints"][0].update(port="metrics"),
            "port 'metrics'",
        ),
        (
            lambda docs, k, j: _find(docs, "PodMonitor")["spec"]["selector"]["matchLabels"].update(app="x"),
            "selects no pod",
        ),
        (lambda docs, k, j: _find(docs, "HTTPRoute")["spec"]["rules"][1]["backendRefs"][0].update(port=8080), "8080"),
        (lambda docs, k, j: k["images"][0].update(newTag="9.9.9"), "set both"),
    ],
)
def test_each_fault_is_named(change, named):
    found = _broken(change)
    assert len(found) == 1 and named in found[0], found
