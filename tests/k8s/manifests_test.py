#!/usr/bin/env python3
"""Offline checks of every Kubernetes manifest under deploy/k8s/ and of the Dockerfile.

    tests/k8s/manifests_test.py [MESHD_BINARY] [unittest options]

MESHD_BINARY (or the environment variable of that name) is the meshd that validates each
ConfigMap's config.yaml. ctest passes it (tests/CMakeLists.txt, test k8s.manifests).

What is checked, without a cluster:
  1. Every YAML document: known kinds in API versions a modern cluster serves, no field that the
     Kubernetes API does not have (typos would fail `kubectl apply` on a real cluster, whose
     server-side field validation is strict), field types; then what the deployment relies on:
     DaemonSet selector/labels, hostPort 4140, downward-API env, probes on the admin port,
     resource requests, non-root and read-only root filesystem, the image of the Dockerfile;
     Service l5d's named ports; RBAC; each ConfigMap's config.yaml passes `meshd -validate` and
     its ports and transformers match the DaemonSet and Services; the demo apps' http_proxy;
     Ingress v1 paths and backends.
  2. `kubectl apply --dry-run=client` of each file (and of deploy/k8s/ as a directory) against
     the fake kube-apiserver tests/k8s/fake_apiserver.py, which serves discovery: each object
     must map to a served kind and be listed "created (dry run)".
  3. The Dockerfile: two debian:12 stages, a non-root USER, ENTRYPOINT meshd, and the image
     name, uid and config path that the manifests use.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import selectors
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "k8s"
FAKE_APISERVER = ROOT / "tests" / "k8s" / "fake_apiserver.py"
MESHD_BINARY = os.environ.get("MESHD_BINARY", "")

# The config path inside the container: the DaemonSets mount their ConfigMap's directory here
# and pass the file as meshd's argument; the Dockerfile's CMD names it too.
CONFIG_DIR = "/io.buoyant/linkerd"
CONFIG_PATH = CONFIG_DIR + "/config.yaml"
# Namespace the manifests assume (ClusterRoleBinding subject, transformer `namespace`, dtabs).
NAMESPACE = "default"

# API versions and kinds of a modern cluster (no extensions/v1beta1, no */v1beta1 RBAC).
SERVED = {
    ("v1", "ConfigMap"), ("v1", "Service"), ("v1", "ServiceAccount"), ("v1", "Namespace"),
    ("apps/v1", "DaemonSet"), ("apps/v1", "Deployment"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("networking.k8s.io/v1", "Ingress"), ("networking.k8s.io/v1", "IngressClass"),
}

# Field names and types of the Kubernetes objects used here. Generated from the models of
# python3-kubernetes 22.6 (Kubernetes 1.22 API), plus the fields added since (LATER below).
# "any" = IntOrString or anything; "quantity" = a resource quantity (string or number);
# "[T]" = list of T; "{T}" = map of string to T; a type not listed here is not checked further.
# ObjectMeta lists only what a manifest should set.
SCHEMA: dict[str, dict[str, str]] = {
    "ObjectMeta": {"annotations": "{str}", "labels": "{str}", "name": "str", "namespace": "str"},
    "DaemonSet": {"apiVersion": "str", "kind": "str", "metadata": "ObjectMeta",
                  "spec": "DaemonSetSpec"},
    "Deployment": {"apiVersion": "str", "kind": "str", "metadata": "ObjectMeta",
                   "spec": "DeploymentSpec"},
    "Service": {"apiVersion": "str", "kind": "str", "metadata": "ObjectMeta",
                "spec": "ServiceSpec"},
    "ConfigMap": {"apiVersion": "str", "binaryData": "{str}", "data": "{str}",
                  "immutable": "bool", "kind": "str", "metadata": "ObjectMeta"},
    "ServiceAccount": {"apiVersion": "str", "automountServiceAccountToken": "bool",
                       "imagePullSecrets": "[LocalObjectReference]", "kind": "str",
                       "metadata": "ObjectMeta", "secrets": "[ObjectReference]"},
    "ClusterRole": {"aggregationRule": "AggregationRule", "apiVersion": "str", "kind": "str",
                    "metadata": "ObjectMeta", "rules": "[PolicyRule]"},
    "ClusterRoleBinding": {"apiVersion": "str", "kind": "str", "metadata": "ObjectMeta",
                           "roleRef": "RoleRef", "subjects": "[Subject]"},
    "Ingress": {"apiVersion": "str", "kind": "str", "metadata": "ObjectMeta",
                "spec": "IngressSpec"},
    "DaemonSetSpec": {"minReadySeconds": "int", "revisionHistoryLimit": "int",
                      "selector": "LabelSelector", "template": "PodTemplateSpec",
                      "updateStrategy": "DaemonSetUpdateStrategy"},
    "DaemonSetUpdateStrategy": {"rollingUpdate": "RollingUpdateDaemonSet", "type": "str"},
    "RollingUpdateDaemonSet": {"maxSurge": "any", "maxUnavailable": "any"},
    "DeploymentSpec": {"minReadySeconds": "int", "paused": "bool",
                       "progressDeadlineSeconds": "int", "replicas": "int",
                       "revisionHistoryLimit": "int", "selector": "LabelSelector",
                       "strategy": "DeploymentStrategy", "template": "PodTemplateSpec"},
    "DeploymentStrategy": {"rollingUpdate": "RollingUpdateDeployment", "type": "str"},
    "RollingUpdateDeployment": {"maxSurge": "any", "maxUnavailable": "any"},
    "LabelSelector": {"matchExpressions": "[LabelSelectorRequirement]", "matchLabels": "{str}"},
    "LabelSelectorRequirement": {"key": "str", "operator": "str", "values": "[str]"},
    "PodTemplateSpec": {"metadata": "ObjectMeta", "spec": "PodSpec"},
    "PodSpec": {"activeDeadlineSeconds": "int", "affinity": "Affinity",
                "automountServiceAccountToken": "bool", "containers": "[Container]",
                "dnsConfig": "PodDNSConfig", "dnsPolicy": "str", "enableServiceLinks": "bool",
                "ephemeralContainers": "[EphemeralContainer]", "hostAliases": "[HostAlias]",
                "hostIPC": "bool", "hostNetwork": "bool", "hostPID": "bool", "hostname": "str",
                "imagePullSecrets": "[LocalObjectReference]", "initContainers": "[Container]",
                "nodeName": "str", "nodeSelector": "{str}", "overhead": "{quantity}",
                "preemptionPolicy": "str", "priority": "int", "priorityClassName": "str",
                "readinessGates": "[PodReadinessGate]", "restartPolicy": "str",
                "runtimeClassName": "str", "schedulerName": "str",
                "securityContext": "PodSecurityContext", "serviceAccount": "str",
                "serviceAccountName": "str", "setHostnameAsFQDN": "bool",
                "shareProcessNamespace": "bool", "subdomain": "str",
                "terminationGracePeriodSeconds": "int", "tolerations": "[Toleration]",
                "topologySpreadConstraints": "[TopologySpreadConstraint]", "volumes": "[Volume]"},
    "PodSecurityContext": {"fsGroup": "int", "fsGroupChangePolicy": "str", "runAsGroup": "int",
                           "runAsNonRoot": "bool", "runAsUser": "int",
                           "seLinuxOptions": "SELinuxOptions",
                           "seccompProfile": "SeccompProfile", "supplementalGroups": "[int]",
                           "sysctls": "[Sysctl]",
                           "windowsOptions": "WindowsSecurityContextOptions"},
    "SeccompProfile": {"localhostProfile": "str", "type": "str"},
    "Volume": {"awsElasticBlockStore": "any", "azureDisk": "any", "azureFile": "any",
               "cephfs": "any", "cinder": "any", "configMap": "ConfigMapVolumeSource",
               "csi": "any", "downwardAPI": "any", "emptyDir": "EmptyDirVolumeSource",
               "ephemeral": "any", "fc": "any", "flexVolume": "any", "flocker": "any",
               "gcePersistentDisk": "any", "gitRepo": "any", "glusterfs": "any",
               "hostPath": "any", "iscsi": "any", "name": "str", "nfs": "any",
               "persistentVolumeClaim": "any", "photonPersistentDisk": "any",
               "portworxVolume": "any", "projected": "any", "quobyte": "any", "rbd": "any",
               "scaleIO": "any", "secret": "any", "storageos": "any", "vsphereVolume": "any"},
    "ConfigMapVolumeSource": {"defaultMode": "int", "items": "[KeyToPath]", "name": "str",
                              "optional": "bool"},
    "KeyToPath": {"key": "str", "mode": "int", "path": "str"},
    "EmptyDirVolumeSource": {"medium": "str", "sizeLimit": "quantity"},
    "Container": {"args": "[str]", "command": "[str]", "env": "[EnvVar]",
                  "envFrom": "[EnvFromSource]", "image": "str", "imagePullPolicy": "str",
                  "lifecycle": "Lifecycle", "livenessProbe": "Probe", "name": "str",
                  "ports": "[ContainerPort]", "readinessProbe": "Probe",
                  "resources": "ResourceRequirements", "securityContext": "SecurityContext",
                  "startupProbe": "Probe", "stdin": "bool", "stdinOnce": "bool",
                  "terminationMessagePath": "str", "terminationMessagePolicy": "str",
                  "tty": "bool", "volumeDevices": "[VolumeDevice]",
                  "volumeMounts": "[VolumeMount]", "workingDir": "str"},
    "EnvVar": {"name": "str", "value": "str", "valueFrom": "EnvVarSource"},
    "EnvVarSource": {"configMapKeyRef": "ConfigMapKeySelector",
                     "fieldRef": "ObjectFieldSelector",
                     "resourceFieldRef": "ResourceFieldSelector",
                     "secretKeyRef": "SecretKeySelector"},
    "ObjectFieldSelector": {"apiVersion": "str", "fieldPath": "str"},
    "ResourceFieldSelector": {"containerName": "str", "divisor": "quantity", "resource": "str"},
    "ConfigMapKeySelector": {"key": "str", "name": "str", "optional": "bool"},
    "SecretKeySelector": {"key": "str", "name": "str", "optional": "bool"},
    "ContainerPort": {"containerPort": "int", "hostIP": "str", "hostPort": "int", "name": "str",
                      "protocol": "str"},
    "Probe": {"exec": "ExecAction", "failureThreshold": "int", "httpGet": "HTTPGetAction",
              "initialDelaySeconds": "int", "periodSeconds": "int", "successThreshold": "int",
              "tcpSocket": "TCPSocketAction", "terminationGracePeriodSeconds": "int",
              "timeoutSeconds": "int"},
    "HTTPGetAction": {"host": "str", "httpHeaders": "[HTTPHeader]", "path": "str",
                      "port": "any", "scheme": "str"},
    "HTTPHeader": {"name": "str", "value": "str"},
    "TCPSocketAction": {"host": "str", "port": "any"},
    "ExecAction": {"command": "[str]"},
    "ResourceRequirements": {"limits": "{quantity}", "requests": "{quantity}"},
    "SecurityContext": {"allowPrivilegeEscalation": "bool", "capabilities": "Capabilities",
                        "privileged": "bool", "procMount": "str",
                        "readOnlyRootFilesystem": "bool", "runAsGroup": "int",
                        "runAsNonRoot": "bool", "runAsUser": "int",
                        "seLinuxOptions": "SELinuxOptions", "seccompProfile": "SeccompProfile",
                        "windowsOptions": "WindowsSecurityContextOptions"},
    "Capabilities": {"add": "[str]", "drop": "[str]"},
    "VolumeMount": {"mountPath": "str", "mountPropagation": "str", "name": "str",
                    "readOnly": "bool", "subPath": "str", "subPathExpr": "str"},
    "Toleration": {"effect": "str", "key": "str", "operator": "str",
                   "tolerationSeconds": "int", "value": "str"},
    "ServiceSpec": {"allocateLoadBalancerNodePorts": "bool", "clusterIP": "str",
                    "clusterIPs": "[str]", "externalIPs": "[str]", "externalName": "str",
                    "externalTrafficPolicy": "str", "healthCheckNodePort": "int",
                    "internalTrafficPolicy": "str", "ipFamilies": "[str]",
                    "ipFamilyPolicy": "str", "loadBalancerClass": "str",
                    "loadBalancerIP": "str", "loadBalancerSourceRanges": "[str]",
                    "ports": "[ServicePort]", "publishNotReadyAddresses": "bool",
                    "selector": "{str}", "sessionAffinity": "str",
                    "sessionAffinityConfig": "SessionAffinityConfig", "type": "str"},
    "ServicePort": {"appProtocol": "str", "name": "str", "nodePort": "int", "port": "int",
                    "protocol": "str", "targetPort": "any"},
    "PolicyRule": {"apiGroups": "[str]", "nonResourceURLs": "[str]", "resourceNames": "[str]",
                   "resources": "[str]", "verbs": "[str]"},
    "RoleRef": {"apiGroup": "str", "kind": "str", "name": "str"},
    "Subject": {"apiGroup": "str", "kind": "str", "name": "str", "namespace": "str"},
    "IngressSpec": {"defaultBackend": "IngressBackend", "ingressClassName": "str",
                    "rules": "[IngressRule]", "tls": "[IngressTLS]"},
    "IngressRule": {"host": "str", "http": "HTTPIngressRuleValue"},
    "HTTPIngressRuleValue": {"paths": "[HTTPIngressPath]"},
    "HTTPIngressPath": {"backend": "IngressBackend", "path": "str", "pathType": "str"},
    "IngressBackend": {"resource": "TypedLocalObjectReference",
                       "service": "IngressServiceBackend"},
    "IngressServiceBackend": {"name": "str", "port": "ServiceBackendPort"},
    "ServiceBackendPort": {"name": "str", "number": "int"},
    "IngressTLS": {"hosts": "[str]", "secretName": "str"},
}
# Fields added to these types after Kubernetes 1.22 (not in the 22.6 models).
LATER = {
    "PodSpec": {"hostUsers": "bool", "os": "any", "resourceClaims": "any", "resources": "any",
                "schedulingGates": "any"},
    "PodSecurityContext": {"appArmorProfile": "any", "seLinuxChangePolicy": "str",
                           "supplementalGroupsPolicy": "str"},
    "SecurityContext": {"appArmorProfile": "any"},
    "Container": {"resizePolicy": "any", "restartPolicy": "str"},
    "Probe": {"grpc": "any"},
    "ResourceRequirements": {"claims": "any"},
    "ServiceSpec": {"trafficDistribution": "str"},
    "VolumeMount": {"recursiveReadOnly": "str"},
}
for _type, _fields in LATER.items():
    SCHEMA[_type].update(_fields)


def load_yaml_files() -> dict[Path, list[dict]]:
    """Every YAML file under deploy/k8s/ → its non-empty documents."""
    files = sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yaml", ".yml"))
    return {p: [d for d in yaml.safe_load_all(p.read_text()) if d is not None] for p in files}


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def dockerfile_image() -> str:
    """The image name the Dockerfile's header tells users to build (`docker build -t NAME .`)."""
    match = re.search(r"docker build -t (\S+) \.", (ROOT / "Dockerfile").read_text())
    return match.group(1) if match else ""


def project_version() -> str:
    match = re.search(r"project\(meshd VERSION (\S+)", (ROOT / "CMakeLists.txt").read_text())
    return match.group(1) if match else ""


def check_schema(value, type_name: str, where: str, errors: list[str]) -> None:
    """Appends to `errors` every unknown field and wrong primitive type under `value`."""
    if type_name == "any":
        return
    if type_name.startswith("["):
        if not isinstance(value, list):
            errors.append(f"{where}: expected a list, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            check_schema(item, type_name[1:-1], f"{where}[{i}]", errors)
        return
    if type_name.startswith("{"):
        if not isinstance(value, dict):
            errors.append(f"{where}: expected a map, got {type(value).__name__}")
            return
        for key, item in value.items():
            check_schema(item, type_name[1:-1], f"{where}.{key}", errors)
        return
    primitives = {"str": (str,), "int": (int,), "bool": (bool,),
                  "quantity": (str, int, float)}
    if type_name in primitives:
        # bool is an int in Python; YAML `true` must not pass as a port number.
        if not isinstance(value, primitives[type_name]) or (
                type_name != "bool" and isinstance(value, bool)):
            errors.append(f"{where}: expected {type_name}, got {value!r}")
        return
    fields = SCHEMA.get(type_name)
    if fields is None:
        return  # a type this test does not describe
    if not isinstance(value, dict):
        errors.append(f"{where}: expected an object ({type_name}), got {value!r}")
        return
    for key, item in value.items():
        if key not in fields:
            errors.append(f"{where}.{key}: unknown field of {type_name}")
        else:
            check_schema(item, fields[key], f"{where}.{key}", errors)


def env_map(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env", [])}


def field_ref(env: dict) -> str:
    return env.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath", "")


def pod_spec(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]


def meshd_containers(obj: dict) -> list[dict]:
    """The containers of a workload that run the meshd image."""
    if obj.get("kind") not in ("DaemonSet", "Deployment"):
        return []
    image = dockerfile_image()
    return [c for c in pod_spec(obj)["containers"] if c.get("image") == image]


def is_meshd_configmap(doc: dict) -> bool:
    """A ConfigMap holding a meshd config (others, like Prometheus's, hold other files)."""
    return doc.get("kind") == "ConfigMap" and "config.yaml" in doc.get("data", {})


def config_of(configmap: dict) -> dict:
    return yaml.safe_load(configmap["data"]["config.yaml"])


def server_ports(config: dict) -> dict[str, list[int]]:
    """Router label → its servers' ports (label defaults to the protocol)."""
    return {r.get("label", r["protocol"]): [s.get("port", 4140) for s in r.get("servers", [])]
            for r in config.get("routers", [])}


def transformers(router: dict) -> list[dict]:
    return router.get("interpreter", {}).get("transformers", [])


def identifiers(router: dict) -> list[dict]:
    ident = router.get("identifier", [])
    return ident if isinstance(ident, list) else [ident]


class DeploymentSet:
    """The objects a user applies together: deploy/k8s/*.yaml, then optionally one variant
    directory on top (same kind and name replaces)."""

    def __init__(self, name: str, files: dict[Path, list[dict]]):
        self.name = name
        self.objects: dict[tuple[str, str], dict] = {}
        for docs in files.values():
            for doc in docs:
                self.objects[(doc["kind"], doc["metadata"]["name"])] = doc

    def get(self, kind: str, name: str) -> dict | None:
        return self.objects.get((kind, name))

    def of_kind(self, kind: str) -> list[dict]:
        return [o for (k, _), o in sorted(self.objects.items()) if k == kind]

    def workloads_selected_by(self, selector: dict) -> list[dict]:
        return [o for o in self.of_kind("DaemonSet") + self.of_kind("Deployment")
                if selector and all(o["spec"]["template"]["metadata"].get("labels", {}).get(k)
                                    == v for k, v in selector.items())]


def deployment_sets(files: dict[Path, list[dict]]) -> list[DeploymentSet]:
    base = {p: d for p, d in files.items() if p.parent == DEPLOY}
    sets = [DeploymentSet("deploy/k8s", base)]
    for directory in sorted({p.parent for p in files} - {DEPLOY}):
        variant = {p: d for p, d in files.items() if p.parent == directory}
        sets.append(DeploymentSet(rel(directory), {**base, **variant}))
    return sets


class Manifests(unittest.TestCase):
    """Structural checks of each object (part 1)."""

    @classmethod
    def setUpClass(cls):
        cls.files = load_yaml_files()
        cls.image = dockerfile_image()

    def all_docs(self):
        for path, docs in self.files.items():
            for doc in docs:
                yield path, doc

    def test_the_expected_files_exist(self):
        names = {rel(p) for p in self.files}
        for expected in ["deploy/k8s/l5d-config.yaml", "deploy/k8s/l5d.yaml",
                         "deploy/k8s/l5d-service.yaml", "deploy/k8s/l5d-rbac.yaml",
                         "deploy/k8s/hello-world.yaml"]:
            self.assertIn(expected, names)
        self.assertTrue(any(p.parent != DEPLOY for p in self.files), "no variant directories")

    def test_every_document_is_a_served_kind_with_known_fields(self):
        for path, doc in self.all_docs():
            with self.subTest(file=rel(path), name=doc.get("metadata", {}).get("name")):
                self.assertIn((doc.get("apiVersion"), doc.get("kind")), SERVED)
                self.assertTrue(doc.get("metadata", {}).get("name"))
                # No namespace: `kubectl apply -n` or the context picks it (README.md).
                self.assertNotIn("namespace", doc["metadata"])
                errors: list[str] = []
                check_schema(doc, doc["kind"], doc["kind"], errors)
                self.assertEqual(errors, [])

    def test_object_names_are_unique_within_a_file_set(self):
        for directory in sorted({p.parent for p in self.files}):
            seen: dict[tuple[str, str], str] = {}
            for path, docs in self.files.items():
                if path.parent != directory:
                    continue
                for doc in docs:
                    key = (doc["kind"], doc["metadata"]["name"])
                    with self.subTest(file=rel(path), object=key):
                        self.assertNotIn(key, seen, f"also in {seen.get(key)}")
                    seen[key] = rel(path)

    def test_workload_selectors_match_their_template_labels(self):
        for path, doc in self.all_docs():
            if doc["kind"] not in ("DaemonSet", "Deployment"):
                continue
            with self.subTest(file=rel(path), name=doc["metadata"]["name"]):
                match = doc["spec"]["selector"]["matchLabels"]
                labels = doc["spec"]["template"]["metadata"]["labels"]
                self.assertTrue(match)
                self.assertEqual({k: labels.get(k) for k in match}, match)

    def test_meshd_daemonsets(self):
        daemonsets = [(p, d) for p, d in self.all_docs() if d["kind"] == "DaemonSet"]
        self.assertTrue(daemonsets)
        for path, ds in daemonsets:
            with self.subTest(file=rel(path), name=ds["metadata"]["name"]):
                self.assertEqual(ds["apiVersion"], "apps/v1")
                spec = pod_spec(ds)
                containers = meshd_containers(ds)
                self.assertEqual(len(containers), 1,
                                 f"one container with image {self.image}, the Dockerfile's")
                self.assertEqual(len(spec["containers"]), 1, "no sidecar (in-cluster access)")
                c = containers[0]
                self.assertEqual(c.get("args"), [CONFIG_PATH])
                self.assertNotIn("command", c, "the image's ENTRYPOINT is meshd")
                # The API access is the pod's service account: a dedicated one, token mounted.
                self.assertEqual(spec.get("serviceAccountName"), "l5d")
                self.assertNotEqual(spec.get("automountServiceAccountToken"), False)
                env = env_map(c)
                self.assertEqual(field_ref(env.get("POD_IP", {})), "status.podIP")
                self.assertEqual(field_ref(env.get("NODE_NAME", {})), "spec.nodeName")
                ports = {p["name"]: p for p in c["ports"]}
                self.assertEqual(ports["admin"]["containerPort"], 9990)
                self.assertNotIn("hostPort", ports["admin"], "admin port stays off the node")
                for probe_name, path_ in (("readinessProbe", "/admin/ready"),
                                          ("livenessProbe", "/admin/ping")):
                    get = c[probe_name]["httpGet"]
                    self.assertEqual(get["path"], path_, probe_name)
                    self.assertIn(get["port"], ("admin", 9990), probe_name)
                requests = c["resources"]["requests"]
                self.assertIn("cpu", requests)
                self.assertIn("memory", requests)
                pod_sc, sc = spec.get("securityContext", {}), c.get("securityContext", {})
                self.assertTrue(sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")))
                self.assertGreater(sc.get("runAsUser", pod_sc.get("runAsUser", 0)), 0)
                self.assertIs(sc.get("readOnlyRootFilesystem"), True)
                self.assertIs(sc.get("allowPrivilegeEscalation"), False)
                self.assertIn("ALL", sc.get("capabilities", {}).get("drop", []))
                self.assertFalse(spec.get("hostNetwork", False))
                # The config: a ConfigMap volume mounted read-only at CONFIG_DIR.
                mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
                self.assertIn(CONFIG_DIR, mounts)
                self.assertTrue(mounts[CONFIG_DIR].get("readOnly"))
                volumes = {v["name"]: v for v in spec["volumes"]}
                self.assertIn("configMap", volumes[mounts[CONFIG_DIR]["name"]])

    def test_mesh_daemonsets_take_app_traffic_on_host_port_4140(self):
        for path, ds in self.all_docs():
            if ds["kind"] != "DaemonSet" or ds["metadata"]["name"] != "l5d":
                continue
            with self.subTest(file=rel(path)):
                ports = {p["name"]: p for p in meshd_containers(ds)[0]["ports"]}
                self.assertEqual(ports["outgoing"]["containerPort"], 4140)
                self.assertEqual(ports["outgoing"]["hostPort"], 4140)
                self.assertEqual(ports["incoming"]["containerPort"], 4141)

    def test_service_l5d_has_the_named_ports(self):
        for path, svc in self.all_docs():
            if svc["kind"] != "Service" or svc["metadata"]["name"] != "l5d":
                continue
            with self.subTest(file=rel(path)):
                ports = {p["name"]: p for p in svc["spec"]["ports"]}
                self.assertEqual(ports["outgoing"]["port"], 4140)
                self.assertEqual(ports["incoming"]["port"], 4141)
                self.assertEqual(ports["admin"]["port"], 9990)
                # Never exposed outside the cluster by these manifests.
                self.assertEqual(svc["spec"].get("type", "ClusterIP"), "ClusterIP")

    def test_every_service_port_is_named(self):
        for path, svc in self.all_docs():
            if svc["kind"] == "Service":
                with self.subTest(file=rel(path), name=svc["metadata"]["name"]):
                    self.assertTrue(all(p.get("name") for p in svc["spec"]["ports"]))

    def test_rbac(self):
        (role,) = [d for _, d in self.all_docs() if d["kind"] == "ClusterRole"]
        granted = {(group, resource): set(rule["verbs"])
                   for rule in role["rules"] for group in rule["apiGroups"]
                   for resource in rule["resources"]}
        for needed in [("", "endpoints"), ("", "services"), ("", "pods"),
                       ("discovery.k8s.io", "endpointslices"),
                       ("networking.k8s.io", "ingresses")]:
            with self.subTest(resource=needed):
                self.assertEqual(granted.get(needed), {"get", "list", "watch"})
        for (group, resource), verbs in granted.items():
            with self.subTest(granted=(group, resource)):
                self.assertLessEqual(verbs, {"get", "list", "watch"}, "read-only")
        (binding,) = [d for _, d in self.all_docs() if d["kind"] == "ClusterRoleBinding"]
        self.assertEqual(binding["roleRef"], {"apiGroup": "rbac.authorization.k8s.io",
                                              "kind": "ClusterRole",
                                              "name": role["metadata"]["name"]})
        self.assertEqual(binding["subjects"], [{"kind": "ServiceAccount", "name": "l5d",
                                                "namespace": NAMESPACE}])
        self.assertTrue([d for _, d in self.all_docs()
                         if d["kind"] == "ServiceAccount" and d["metadata"]["name"] == "l5d"])

    def test_the_base_config_has_the_mission_ports_and_in_cluster_discovery(self):
        config = config_of(self.files[DEPLOY / "l5d-config.yaml"][0])
        self.assertEqual(config["admin"]["port"], 9990)
        ports = server_ports(config)
        self.assertEqual(ports["outgoing"], [4140])
        self.assertEqual(ports["incoming"], [4141])
        routers = {r["label"]: r for r in config["routers"]}
        self.assertEqual([t["kind"] for t in transformers(routers["outgoing"])],
                         ["io.l5d.k8s.daemonset"])
        self.assertEqual([t["kind"] for t in transformers(routers["incoming"])],
                         ["io.l5d.k8s.localnode"])

    def test_k8s_namers_use_in_cluster_access(self):
        for path, doc in self.all_docs():
            if not is_meshd_configmap(doc):
                continue
            config = config_of(doc)
            plugins = list(config.get("namers", []))
            for router in config["routers"]:
                plugins += transformers(router) + identifiers(router)
            for plugin in plugins:
                if plugin["kind"].startswith("io.l5d.k8s") or plugin["kind"] == "io.l5d.ingress":
                    with self.subTest(file=rel(path), kind=plugin["kind"]):
                        # host/port (k8sHost/k8sPort) would mean a kubectl-proxy sidecar.
                        for key in ("host", "port", "k8sHost", "k8sPort"):
                            if plugin["kind"] == "io.l5d.k8s.daemonset" and key == "port":
                                continue  # the Service port name, not the API's
                            self.assertNotIn(key, plugin)

    def test_configmaps_are_generated_from_config(self):
        r = subprocess.run(["bash", str(ROOT / "scripts" / "k8s-configmap.sh"), "--check"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_every_configmap_config_passes_meshd_validate(self):
        self.assertTrue(MESHD_BINARY and os.access(MESHD_BINARY, os.X_OK),
                        "pass the meshd binary as the first argument or in MESHD_BINARY")
        env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")}
        configmaps = [(p, d) for p, d in self.all_docs() if is_meshd_configmap(d)]
        self.assertGreaterEqual(len(configmaps), 4)
        with tempfile.TemporaryDirectory() as tmp:
            for path, cm in configmaps:
                with self.subTest(file=rel(path)):
                    config = Path(tmp) / rel(path).replace("/", "_")
                    config.write_text(cm["data"]["config.yaml"])
                    r = subprocess.run([MESHD_BINARY, "-validate", str(config)], env=env,
                                       capture_output=True, text=True, timeout=60)
                    self.assertEqual(r.returncode, 0, f"meshd -validate:\n{r.stderr}{r.stdout}")

    def test_demo_apps_use_their_nodes_meshd_as_http_proxy(self):
        proxied = []
        for path, doc in self.all_docs():
            if doc["kind"] not in ("Deployment", "DaemonSet") or meshd_containers(doc):
                continue
            for c in pod_spec(doc)["containers"]:
                names = [e["name"] for e in c.get("env", [])]
                if "http_proxy" not in names:
                    continue
                proxied.append(doc["metadata"]["name"])
                with self.subTest(file=rel(path), name=doc["metadata"]["name"]):
                    env = env_map(c)
                    self.assertEqual(env["http_proxy"].get("value"), "$(NODE_NAME):4140")
                    self.assertEqual(field_ref(env.get("NODE_NAME", {})), "spec.nodeName")
                    # $(VAR) expands only variables defined earlier in the list.
                    self.assertLess(names.index("NODE_NAME"), names.index("http_proxy"))
        self.assertIn("hello", proxied)

    def test_demo_services_are_headless_with_a_port_named_http(self):
        demo = self.files[DEPLOY / "hello-world.yaml"]
        services = {d["metadata"]["name"]: d for d in demo if d["kind"] == "Service"}
        self.assertEqual(set(services), {"hello", "world-v1", "world-v2"})
        for name, svc in services.items():
            with self.subTest(service=name):
                self.assertEqual(svc["spec"].get("clusterIP"), "None")
                self.assertIn("http", [p["name"] for p in svc["spec"]["ports"]])

    def test_ingresses_are_v1_with_path_types(self):
        ingresses = [(p, d) for p, d in self.all_docs() if d["kind"] == "Ingress"]
        self.assertTrue(ingresses)
        for path, ing in ingresses:
            with self.subTest(file=rel(path), name=ing["metadata"]["name"]):
                self.assertEqual(ing["apiVersion"], "networking.k8s.io/v1")
                # The API server rejects an Ingress that sets both.
                self.assertFalse("kubernetes.io/ingress.class"
                                 in ing["metadata"].get("annotations", {})
                                 and "ingressClassName" in ing["spec"])
                for rule in ing["spec"].get("rules", []):
                    for p in rule["http"]["paths"]:
                        self.assertIn(p.get("pathType"),
                                      ("Exact", "Prefix", "ImplementationSpecific"))
                        if p["pathType"] != "ImplementationSpecific":
                            self.assertTrue(p.get("path", "").startswith("/"))


class DeploymentSets(unittest.TestCase):
    """What holds across the objects applied together: deploy/k8s/ alone, or with a variant."""

    @classmethod
    def setUpClass(cls):
        cls.sets = deployment_sets(load_yaml_files())

    def test_services_select_pods_with_their_target_ports(self):
        for s in self.sets:
            for svc in s.of_kind("Service"):
                with self.subTest(set=s.name, service=svc["metadata"]["name"]):
                    workloads = s.workloads_selected_by(svc["spec"].get("selector", {}))
                    self.assertEqual(len(workloads), 1)
                    names = {p.get("name"): p["containerPort"]
                             for c in pod_spec(workloads[0])["containers"]
                             for p in c.get("ports", [])}
                    for port in svc["spec"]["ports"]:
                        target = port.get("targetPort", port["port"])
                        if isinstance(target, str):
                            self.assertIn(target, names)
                        else:
                            self.assertIn(target, names.values())

    def test_references_resolve(self):
        for s in self.sets:
            for ds in s.of_kind("DaemonSet") + s.of_kind("Deployment"):
                spec = pod_spec(ds)
                with self.subTest(set=s.name, workload=ds["metadata"]["name"]):
                    if "serviceAccountName" in spec:
                        self.assertIsNotNone(s.get("ServiceAccount", spec["serviceAccountName"]))
                    for volume in spec.get("volumes", []):
                        if "configMap" in volume:
                            self.assertIsNotNone(s.get("ConfigMap", volume["configMap"]["name"]))
            for ing in s.of_kind("Ingress"):
                backends = [ing["spec"]["defaultBackend"]] if "defaultBackend" in ing["spec"] \
                    else []
                backends += [p["backend"] for r in ing["spec"].get("rules", [])
                             for p in r["http"]["paths"]]
                for backend in backends:
                    with self.subTest(set=s.name, ingress=ing["metadata"]["name"],
                                      backend=backend):
                        svc = s.get("Service", backend["service"]["name"])
                        self.assertIsNotNone(svc)
                        port = backend["service"]["port"]
                        key, value = ("name", port["name"]) if "name" in port \
                            else ("port", port["number"])
                        self.assertIn(value, [p.get(key) for p in svc["spec"]["ports"]])

    def test_meshd_configs_match_their_daemonsets_and_services(self):
        for s in self.sets:
            for ds in s.of_kind("DaemonSet"):
                with self.subTest(set=s.name, daemonset=ds["metadata"]["name"]):
                    (c,) = meshd_containers(ds)
                    volumes = {v["name"]: v for v in pod_spec(ds)["volumes"]}
                    mount = [m for m in c["volumeMounts"] if m["mountPath"] == CONFIG_DIR][0]
                    config = config_of(s.get("ConfigMap",
                                             volumes[mount["name"]]["configMap"]["name"]))
                    ports = {p["containerPort"]: p for p in c["ports"]}
                    env = env_map(c)
                    # admin listens on every address (probes reach the pod IP), on `admin`.
                    self.assertEqual(config["admin"].get("ip"), "0.0.0.0")
                    self.assertEqual(ports.get(config["admin"]["port"], {}).get("name"), "admin")
                    for router in config["routers"]:
                        for server in router["servers"]:
                            self.assertIn(server["port"], ports, router.get("label"))
                            self.assertEqual(server.get("ip"), "0.0.0.0", router.get("label"))
                        for t in transformers(router):
                            if t["kind"] == "io.l5d.k8s.localnode":
                                needed = "NODE_NAME" if t.get("hostNetwork") else "POD_IP"
                                self.assertIn(needed, env)
                            if t["kind"] == "io.l5d.k8s.daemonset":
                                self.check_daemonset_transformer(s, t, ds, config)
                    for router in config["routers"]:
                        for ident in identifiers(router):
                            if ident["kind"] == "io.l5d.ingress":
                                self.check_ingress_classes(s, ident)

    def check_daemonset_transformer(self, s, transformer, ds, config):
        """The transformer's Service selects this DaemonSet, and its named port leads to the
        router that keeps only local pods (io.l5d.k8s.localnode)."""
        self.assertEqual(transformer["namespace"], NAMESPACE)
        svc = s.get("Service", transformer["service"])
        self.assertIsNotNone(svc)
        self.assertEqual(s.workloads_selected_by(svc["spec"]["selector"]), [ds])
        (svc_port,) = [p for p in svc["spec"]["ports"] if p["name"] == transformer["port"]]
        target = svc_port.get("targetPort", svc_port["port"])
        container_ports = {p["name"]: p["containerPort"] for p in meshd_containers(ds)[0]["ports"]}
        number = container_ports[target] if isinstance(target, str) else target
        local = [r for r in config["routers"]
                 if number in [sv["port"] for sv in r["servers"]]
                 and "io.l5d.k8s.localnode" in [t["kind"] for t in transformers(r)]]
        self.assertEqual(len(local), 1, f"no localnode router on port {number}")

    def check_ingress_classes(self, s, identifier):
        wanted = identifier.get("ingressClassAnnotation", "linkerd")
        ours = [i for i in s.of_kind("Ingress")
                if i["spec"].get("ingressClassName") == wanted
                or i["metadata"].get("annotations", {}).get("kubernetes.io/ingress.class")
                == wanted]
        self.assertTrue(ours, f"no Ingress of class {wanted}")


def wait_for_line(proc: subprocess.Popen, prefix: str, timeout: float) -> str:
    """The first stdout line of `proc` starting with `prefix`, within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if not sel.select(left):
                break
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith(prefix):
                return line
    raise AssertionError(f"{' '.join(proc.args)}: no {prefix!r} line within {timeout} s")


class KubectlDryRun(unittest.TestCase):
    """`kubectl apply --dry-run=client` against the fake kube-apiserver's discovery (part 2)."""

    @classmethod
    def setUpClass(cls):
        cls.kubectl = shutil.which("kubectl")
        if cls.kubectl is None:
            raise AssertionError("kubectl not found: run scripts/bootstrap.sh (it installs "
                                 "Debian's kubernetes-client when no kubectl is present)")
        if not FAKE_APISERVER.exists():
            raise AssertionError(f"{rel(FAKE_APISERVER)} is missing")
        cls.tmp = tempfile.TemporaryDirectory()
        cls.stderr = open(Path(cls.tmp.name) / "fake_apiserver.log", "w+")
        cls.fake = subprocess.Popen(
            [sys.executable, str(FAKE_APISERVER), "--listen", "127.0.0.1:0"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=cls.stderr, text=True)
        try:
            port = int(wait_for_line(cls.fake, "READY ", 30).split()[1])
        except BaseException:
            cls.tearDownClass()
            raise
        cls.server = f"http://127.0.0.1:{port}"
        # An empty kubeconfig and a private cache: nothing from the user's ~/.kube is used.
        cls.kubeconfig = Path(cls.tmp.name) / "kubeconfig"
        cls.kubeconfig.write_text("")

    @classmethod
    def tearDownClass(cls):
        cls.fake.stdin.close()  # the fake exits when stdin closes
        try:
            cls.fake.wait(timeout=10)
        except subprocess.TimeoutExpired:
            cls.fake.kill()
            cls.fake.wait()
        cls.fake.stdout.close()
        cls.stderr.close()
        cls.tmp.cleanup()

    def dry_run(self, target: Path) -> subprocess.CompletedProcess:
        env = dict(os.environ, KUBECONFIG=str(self.kubeconfig))
        return subprocess.run(
            [self.kubectl, "--server", self.server, "--cache-dir",
             str(Path(self.tmp.name) / "cache"), "--request-timeout=20s",
             "apply", "--dry-run=client", "--validate=false", "-f", str(target)],
            env=env, capture_output=True, text=True, timeout=60)

    @staticmethod
    def expected_lines(docs: list[dict]) -> list[str]:
        lines = []
        for doc in docs:
            group = doc["apiVersion"].rpartition("/")[0]
            kind = doc["kind"].lower() + ("." + group if group else "")
            lines.append(f"{kind}/{doc['metadata']['name']} created (dry run)")
        return sorted(lines)

    def test_each_file_applies(self):
        files = load_yaml_files()
        for path, docs in files.items():
            with self.subTest(file=rel(path)):
                r = self.dry_run(path)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(sorted(r.stdout.splitlines()), self.expected_lines(docs),
                                 r.stderr)

    def test_the_base_directory_applies(self):
        files = load_yaml_files()
        docs = [d for p, ds in files.items() if p.parent == DEPLOY for d in ds]
        r = self.dry_run(DEPLOY)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(r.stdout.splitlines()), self.expected_lines(docs), r.stderr)


class Backend:
    """An HTTP server on 127.0.0.1 (OS-chosen port) that answers `<name> Host=<Host>`."""

    def __init__(self, name: str):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = f"{name} Host={self.headers.get('Host')}\n".encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def service_objects(name: str, ports: dict[str, int]) -> list[dict]:
    """Service `name` in NAMESPACE and its EndpointSlice: one ready pod, 127.0.0.1 on node-a."""
    meta = {"namespace": NAMESPACE, "creationTimestamp": "2025-01-01T00:00:00Z"}
    return [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, **meta},
         "spec": {"ports": [{"name": n, "port": p, "targetPort": p} for n, p in ports.items()]}},
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
         "metadata": {"name": name + "-x1", "labels": {"kubernetes.io/service-name": name},
                      **meta},
         "addressType": "IPv4",
         "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": True},
                        "nodeName": "node-a"}],
         "ports": [{"name": n, "port": p, "protocol": "TCP"} for n, p in ports.items()]},
    ]


def http_get(url: str, proxy: str | None = None, headers: dict | None = None,
             context: ssl.SSLContext | None = None, data: bytes | None = None,
             method: str = "GET") -> tuple[int | None, str]:
    """(status, body) of one request, ignoring the environment's proxy settings."""
    handlers = [urllib.request.ProxyHandler({"http": proxy} if proxy else {})]
    if context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=context))
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, headers=headers or {}, data=data, method=method)
    try:
        with opener.open(request, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return None, str(e)


class ShippedConfigsRoute(unittest.TestCase):
    """Each ConfigMap's config, run as is (only its ports made OS-chosen and loopback) in
    in-cluster mode: KUBERNETES_SERVICE_HOST/PORT and a service-account directory with a token
    and ca.crt, against the fake kube-apiserver over TLS. The demo Services and Service l5d all
    point at 127.0.0.1 on one node, so a request crosses outgoing → incoming (or ingress →
    incoming) → backend exactly as between two nodes."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = Path(cls.tmp.name)
        r = subprocess.run(["sh", str(ROOT / "tests" / "k8s" / "gen_certs.sh"),
                            str(cls.dir / "pki")], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            cls.tmp.cleanup()
            raise AssertionError("gen_certs.sh failed:\n" + r.stderr)
        (cls.dir / "sa").mkdir()
        (cls.dir / "sa" / "token").write_text("l5d-token")
        shutil.copy(cls.dir / "pki" / "ca.crt", cls.dir / "sa" / "ca.crt")
        cls.tls = ssl.create_default_context(cafile=str(cls.dir / "pki" / "ca.crt"))
        cls.backends = {name: Backend(name) for name in ("hello", "world-v1", "world-v2")}

    @classmethod
    def tearDownClass(cls):
        for backend in cls.backends.values():
            backend.close()
        cls.tmp.cleanup()

    def setUp(self):
        self.assertTrue(MESHD_BINARY, "pass the meshd binary as the first argument")
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def tearDown(self):
        for proc in reversed(self.processes):
            if proc.stdin:
                proc.stdin.close()
            if proc.poll() is None:
                proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout:
                proc.stdout.close()

    def dump_logs(self) -> str:
        return "".join(f"\n--- {p.name}\n{p.read_text()[-4000:]}" for p in self.logs)

    def start_fake(self, extra: list[dict]) -> str:
        objects = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}]
        for name, backend in self.backends.items():
            objects += service_objects(name, {"http": backend.port})
        state = self.dir / f"state-{self.id()}.json"
        state.write_text(json.dumps({"objects": objects + extra}))
        log = self.dir / f"fake-{self.id()}.log"
        self.logs.append(log)
        with open(log, "w") as stderr:
            fake = subprocess.Popen(
                [sys.executable, str(FAKE_APISERVER), "--listen", "127.0.0.1:0",
                 "--tls-cert", str(self.dir / "pki" / "server.crt"),
                 "--tls-key", str(self.dir / "pki" / "server.key"), "--token", "l5d-token",
                 "--state", str(state)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True)
        self.processes.append(fake)
        return wait_for_line(fake, "READY ", 30).split()[1]

    def start_meshd(self, configmap: Path, api_port: str) -> dict[str, int]:
        """Runs the ConfigMap's config; returns the port of each listener (router label or
        `admin`)."""
        config = config_of(load_yaml_files()[configmap][0])
        config["admin"].update(ip="127.0.0.1", port=0)
        for router in config["routers"]:
            for server in router["servers"]:
                server.update(ip="127.0.0.1", port=0)
        path = self.dir / f"config-{self.id()}.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        log = self.dir / f"meshd-{self.id()}.log"
        self.logs.append(log)
        env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")}
        env.update(KUBERNETES_SERVICE_HOST="127.0.0.1", KUBERNETES_SERVICE_PORT=api_port,
                   MESHD_K8S_SERVICEACCOUNT_DIR=str(self.dir / "sa"), POD_IP="127.0.0.1",
                   NODE_NAME="node-a", POD_NAMESPACE=NAMESPACE)
        with open(log, "w") as output:
            meshd = subprocess.Popen([MESHD_BINARY, str(path)], env=env,
                                     stdin=subprocess.DEVNULL, stdout=output,
                                     stderr=subprocess.STDOUT)
        self.processes.append(meshd)
        deadline = time.monotonic() + 20
        admin = None
        while admin is None and time.monotonic() < deadline and meshd.poll() is None:
            match = re.search(r"admin listening addr=127\.0\.0\.1:(\d+)", log.read_text())
            admin = match.group(1) if match else None
            if admin is None:
                time.sleep(0.05)
        self.assertIsNotNone(admin, "meshd did not start" + self.dump_logs())
        status, body = http_get(f"http://127.0.0.1:{admin}/admin/listeners.json")
        self.assertEqual(status, 200, body)
        return {entry["router"]: entry["port"] for entry in json.loads(body)}

    def put_l5d_service(self, api_port: str, ports: dict[str, int]):
        """Service l5d with the listeners as its named ports (`incoming` is what the daemonset
        transformer looks up)."""
        body = json.dumps({"objects": service_objects("l5d", ports)}).encode()
        status, text = http_get(f"https://127.0.0.1:{api_port}/_fake/objects", data=body,
                                method="PUT", context=self.tls,
                                headers={"Content-Type": "application/json"})
        self.assertEqual(status, 200, text)

    def wait_ready(self, ports: dict[str, int]):
        deadline = time.monotonic() + 20
        status = None
        while time.monotonic() < deadline and status != 200:
            status, _ = http_get(f"http://127.0.0.1:{ports['admin']}/admin/ready")
            if status != 200:
                time.sleep(0.05)
        self.assertEqual(status, 200, "/admin/ready" + self.dump_logs())

    def assert_routes(self, url: str, expected: str, proxy: str | None = None,
                      headers: dict | None = None):
        """`url` answered by backend `expected`, within a bounded wait (the watches of the names
        the request binds start with the first request)."""
        deadline = time.monotonic() + 10
        while True:
            status, body = http_get(url, proxy=proxy, headers=headers)
            if (status == 200 and body.startswith(expected + " ")) \
                    or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual((status, body.split(" ")[0]), (200, expected),
                         f"{url} {headers}: {body}" + self.dump_logs())

    def run_mesh(self, configmap: Path, extra: list[dict] | None = None) -> dict[str, int]:
        api_port = self.start_fake(extra or [])
        ports = self.start_meshd(configmap, api_port)
        self.put_l5d_service(api_port, ports)
        self.wait_ready(ports)
        return ports

    def check_mesh(self, ports: dict[str, int]):
        proxy = f"http://127.0.0.1:{ports['outgoing']}"
        self.assert_routes("http://hello/", "hello", proxy=proxy)
        self.assert_routes("http://world/", "world-v1", proxy=proxy)
        self.assert_routes("http://world/", "world-v2", proxy=proxy,
                           headers={"l5d-dtab": "/host/world => /srv/world-v2;"})

    def test_base_mesh(self):
        self.check_mesh(self.run_mesh(DEPLOY / "l5d-config.yaml"))

    def test_timeouts_mesh(self):
        self.check_mesh(self.run_mesh(DEPLOY / "timeouts" / "l5d-config.yaml"))

    def test_ingress_router(self):
        ports = self.run_mesh(DEPLOY / "ingress" / "l5d-config.yaml")
        self.check_mesh(ports)
        ingress = f"http://127.0.0.1:{ports['ingress']}/"
        self.assert_routes(ingress, "hello", headers={"Host": "www.hello.world"})
        self.assert_routes(ingress, "world-v1", headers={"Host": "world.hello.world"})
        # clearContext: an outside client cannot override the dtab.
        self.assert_routes(ingress, "world-v1", headers={
            "Host": "world.hello.world",
            "l5d-dtab": "/domain/world/hello/world => /srv/world-v2;"})

    def test_ingress_controller(self):
        (ingress,) = load_yaml_files()[DEPLOY / "ingress-controller" / "hello-world-ingress.yaml"]
        ingress = dict(ingress, metadata=dict(ingress["metadata"], namespace=NAMESPACE,
                                              creationTimestamp="2025-01-01T00:00:00Z"))
        ports = self.run_mesh(DEPLOY / "ingress-controller" / "l5d-ingress-config.yaml",
                              [ingress])
        url = f"http://127.0.0.1:{ports['ingress']}/"
        self.assert_routes(url, "world-v2", headers={"Host": "world.v2"})
        self.assert_routes(url, "world-v1", headers={"Host": "anything.else"})


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, args = line.partition(" ")
            out.append((word.upper(), args.strip()))
    return out


class Dockerfile(unittest.TestCase):
    """The image the manifests run (part 3)."""

    @classmethod
    def setUpClass(cls):
        cls.instructions = dockerfile_instructions()
        files = load_yaml_files()
        cls.daemonsets = [d for ds in files.values() for d in ds if d["kind"] == "DaemonSet"]

    def final_stage(self) -> list[tuple[str, str]]:
        starts = [i for i, (word, _) in enumerate(self.instructions) if word == "FROM"]
        return self.instructions[starts[-1]:]

    def test_two_debian_12_stages(self):
        froms = [args for word, args in self.instructions if word == "FROM"]
        self.assertEqual(len(froms), 2)
        self.assertRegex(froms[0], r"^debian:12 AS \w+$")
        self.assertEqual(froms[1], "debian:12")
        build = froms[0].split()[-1]
        copies = [args for word, args in self.final_stage() if word == "COPY"]
        self.assertTrue(any(a.startswith(f"--from={build} ") and a.endswith("/meshd")
                            for a in copies), "the runtime stage copies meshd from the build")

    def test_runs_as_the_non_root_user_of_the_manifests(self):
        users = [args for word, args in self.final_stage() if word == "USER"]
        self.assertTrue(users)
        uid = users[-1].split(":")[0]
        self.assertTrue(uid.isdigit() and int(uid) > 0, "a numeric non-root uid, so that "
                        "runAsNonRoot can verify it")
        for ds in self.daemonsets:
            self.assertEqual(pod_spec(ds)["securityContext"]["runAsUser"], int(uid))

    def test_entrypoint_is_meshd_and_cmd_the_mounted_config(self):
        final = dict(self.final_stage())
        self.assertRegex(final.get("ENTRYPOINT", ""), r'^\["[^"]*/meshd"\]$')
        self.assertEqual(final.get("CMD"), f'["{CONFIG_PATH}"]')

    def test_the_image_name_is_the_one_the_manifests_and_docs_use(self):
        image = dockerfile_image()
        self.assertEqual(image, "meshd:" + project_version())
        for ds in self.daemonsets:
            self.assertEqual(len(meshd_containers(ds)), 1, ds["metadata"]["name"])
        for doc in (DEPLOY / "README.md", ROOT / "docs" / "kubernetes.md"):
            with self.subTest(doc=rel(doc)):
                self.assertIn(f"docker build -t {image} .", doc.read_text())

    def test_dockerignore_keeps_build_trees_out(self):
        ignored = (ROOT / ".dockerignore").read_text().split()
        for entry in (".git", "build", "build-*"):
            self.assertIn(entry, ignored)


class Docs(unittest.TestCase):
    def test_the_readme_describes_every_manifest(self):
        readme = (DEPLOY / "README.md").read_text()
        for path in load_yaml_files():
            with self.subTest(file=rel(path)):
                self.assertIn(str(path.relative_to(DEPLOY)), readme)


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        MESHD_BINARY = sys.argv.pop(1)
    unittest.main()
