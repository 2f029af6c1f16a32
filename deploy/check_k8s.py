"""Checks of the rendered Kubernetes manifests that kubernetes-validate
cannot make (`deploy/validate.sh`): `python deploy/check_k8s.py RENDERED KUSTOMIZATION MIGRATE_JOB`.

- no Secret is applied by `kubectl apply -k` (the template stays a template);
- no Deployment under a HorizontalPodAutoscaler sets `replicas`;
- the custom resources kubernetes-validate has no schema for, checked for
  what they must hold: the PodMonitor selects the web pods and scrapes a port
  they declare, the HTTPRoute sends traffic to the web Service's port;
- the migrate Job runs the image tag the kustomization sets.

Prints one line per problem and exits 1, or 0 when there is none.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml


def problems(rendered: list[dict], kustomization: dict, migrate_job: dict) -> list[str]:
    found: list[str] = []
    by_kind: dict[str, list[dict]] = {}
    for doc in rendered:
        by_kind.setdefault(doc["kind"], []).append(doc)
    if "Secret" in by_kind:
        found.append("kubectl apply -k would apply a Secret: keep secret.template.yaml out of the kustomization")
    scaled = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in by_kind.get("HorizontalPodAutoscaler", [])}
    deployments = {deployment["metadata"]["name"]: deployment for deployment in by_kind.get("Deployment", [])}
    for name in sorted(scaled):
        if "replicas" in deployments.get(name, {}).get("spec", {}):
            found.append(f"Deployment {name} sets replicas under an HPA: every apply resets the scale")

    services = {service["metadata"]["name"]: service for service in by_kind.get("Service", [])}
    for monitor in by_kind.get("PodMonitor", []):
        labels = monitor["spec"]["selector"]["matchLabels"]
        pods = [
            deployment["spec"]["template"]
            for deployment in deployments.values()
            if labels.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
        ]
        if not pods:
            found.append(f"PodMonitor {monitor['metadata']['name']} selects no pod")
            continue
        ports = {port.get("name") for pod in pods for c in pod["spec"]["containers"] for port in c.get("ports", [])}
        for endpoint in monitor["spec"]["podMetricsEndpoints"]:
            if endpoint.get("port") not in ports:
                found.append(f"PodMonitor scrapes port {endpoint.get('port')!r}, which its pods do not declare")
    for route in by_kind.get("HTTPRoute", []):
        for rule in route["spec"]["rules"]:
            for backend in rule.get("backendRefs", []):
                service = services.get(backend["name"])
                if service is None or backend["port"] not in {port["port"] for port in service["spec"]["ports"]}:
                    found.append(f"HTTPRoute sends to {backend['name']}:{backend['port']}: no such Service port")

    tags = {image["name"]: image["newTag"] for image in kustomization.get("images", [])}
    for container in migrate_job["spec"]["template"]["spec"]["containers"]:
        name, _, tag = container["image"].rpartition(":")
        if name in tags and tag != tags[name]:
            found.append(f"the migrate Job runs {name}:{tag}, the kustomization sets {tags[name]}: set both")
    return found


def main(argv: list[str]) -> int:
    rendered = [doc for doc in yaml.safe_load_all(Path(argv[0]).read_text()) if doc]
    kustomization = yaml.safe_load(Path(argv[1]).read_text())
    migrate_job = yaml.safe_load(Path(argv[2]).read_text())
    found = problems(rendered, kustomization, migrate_job)
    sys.stdout.write("".join(f"{line}\n" for line in found))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
