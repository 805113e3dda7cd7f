"""Referential integrity of a rendered environment: nothing refers to what nobody creates.

A platform that renders cleanly can still not come up: a Helm release waits forever for a
StorageClass nothing installs, a custom resource is rejected because no chart ships its CRD, a pod
never starts because its Secret or namespace does not exist. This check reads everything the layers
of one environment declare (`idpctl.runtime.LayerResult`) and pairs every reference with a creator.

References, and where they are read from:
- Namespace: `metadata.namespace` of every namespaced object, a Helm release's namespace, an Argo CD
  Application's destination;
- StorageClass: PersistentVolumeClaims, StatefulSet claim templates, CloudNativePG `Cluster`,
  `RabbitmqCluster`, and `storageClass`/`storageClassName` keys in chart values;
- custom-resource kind: the apiVersion/kind of every object outside the Kubernetes API groups;
- Secret and ConfigMap: pod volumes, env and envFrom, image pull secrets, ingress TLS, Traefik
  IngressRoute TLS and basic-auth Middlewares, cert-manager CA issuers, Longhorn BackupTarget,
  Barman Cloud ObjectStore, External Secrets CA providers, and `existingSecret*`/`*CredentialSecret`
  keys in chart values (a Secret of the release's namespace);
- Harbor project: robot-account permissions, mirror replications, and images or charts pulled from
  the platform's Harbor host (pod images, Argo CD Application/ApplicationSet sources, AppProject
  source repositories).

Creators: objects of those kinds in the render; Secrets written by what the render declares
(cert-manager `Certificate`, `ExternalSecret`, Talos `ServiceAccount`, CloudNativePG `Cluster`,
`RabbitmqCluster`); Harbor projects the program creates; what a platform service declares its chart
provides (`Provided`); and what Kubernetes and Talos bring themselves (`BUILTIN`).

A dangling reference is reported naming the object and the field; `idpctl render` fails on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Literal

from idpctl.runtime import SECRET, UNKNOWN, LayerResult, mask

Category = Literal["Namespace", "StorageClass", "CustomResource", "Secret", "ConfigMap", "HarborProject"]
_SECRET_OR_CONFIGMAP_SOURCE: tuple[tuple[Category, str], ...] = (("Secret", "secret"), ("ConfigMap", "configMap"))
_SECRET_OR_CONFIGMAP_KEY_REF: tuple[tuple[Category, str], ...] = (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef"))
_SECRET_OR_CONFIGMAP_REF: tuple[tuple[Category, str], ...] = (("Secret", "secretRef"), ("ConfigMap", "configMapRef"))
CATEGORIES: tuple[Category, ...] = ("Namespace", "StorageClass", "CustomResource", "Secret", "ConfigMap", "HarborProject")

ANY_NAMESPACE = "*"
"""A `Ref.namespace` matching every namespace (Kubernetes puts `kube-root-ca.crt` in each)."""


@dataclass(frozen=True, order=True)
class Ref:
    """Something that must exist: a category, a name and, for namespaced things, a namespace.

    Custom-resource kinds are named `<group>/<Kind>` (version-independent: a CRD serves several).
    """

    category: Category
    name: str
    namespace: str | None = None

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace and self.namespace != ANY_NAMESPACE else ""
        return f"{self.category} {where}{self.name}"


def crd_kind(api_version: str, kind: str) -> Ref:
    """The Ref of a custom-resource kind from an object's apiVersion and kind."""
    group = api_version.split("/")[0] if "/" in api_version else ""
    return Ref("CustomResource", f"{group}/{kind}")


@dataclass(frozen=True)
class Dangling:
    """A reference nothing in the environment creates."""

    source: str
    """The referring object: `<Kind> <namespace>/<name>` (or a Pulumi resource type and name)."""
    field: str
    """Dotted path of the referring field inside the object."""
    ref: Ref

    def __str__(self) -> str:
        return f"{self.source}: {self.field}: {self.ref} is created by nothing in this environment"


BUILTIN: frozenset[Ref] = frozenset(
    {
        *(Ref("Namespace", ns) for ns in ("default", "kube-system", "kube-public", "kube-node-lease")),
        Ref("ConfigMap", "kube-root-ca.crt", ANY_NAMESPACE),
        # Talos serves this kind itself when `machine.features.kubernetesTalosAPIAccess` is on
        # (components/talos/patches.py turns it on for the etcd backup namespace).
        Ref("CustomResource", "talos.dev/ServiceAccount"),
    }
)
"""What Kubernetes and Talos provide without any component."""

_KUBERNETES_GROUPS = {"", "apps", "batch", "policy", "autoscaling"}


def is_kubernetes_group(group: str) -> bool:
    """API groups Kubernetes serves itself (no CRD needed)."""
    return group in _KUBERNETES_GROUPS or group.endswith(".k8s.io")


_PROVIDED_CATEGORIES: dict[str, Category] = {
    "namespace": "Namespace",
    "storageclass": "StorageClass",
    "secret": "Secret",
    "configmap": "ConfigMap",
    "harborproject": "HarborProject",
}


def parse_provided(entry: str, namespace: str | None = None) -> Ref | None:
    """One `PlatformService.provides` string as a Ref (None for kinds this check does not follow).

    `<group>/<Kind>` (the group has a dot) is a custom-resource kind; `<kind>/<name>` a named
    object, namespaced ones (`secret/`, `configmap/`) in the service's namespace unless written
    `<kind>/<namespace>/<name>`.
    """
    head, _, rest = entry.partition("/")
    if not rest:
        raise ValueError(f"{entry!r}: expected `<group>/<Kind>` or `<kind>/<name>`")
    if "." in head:
        return Ref("CustomResource", entry)
    category = _PROVIDED_CATEGORIES.get(head)
    if category is None:
        return None
    if category in ("Secret", "ConfigMap"):
        ns, _, name = rest.rpartition("/")
        return Ref(category, name, ns or namespace)
    return Ref(category, rest)


# ---------------------------------------------------------------------------------------------
# What the render declares, as uniform entries


@dataclass(frozen=True)
class Entry:
    """One thing the program declares: a Kubernetes object, or another Pulumi resource's inputs."""

    type: str
    """`kubernetes:<group>/<version>:<Kind>` or the Pulumi type token."""
    name: str
    """Pulumi resource name (for non-Kubernetes resources) or the object's metadata.name."""
    body: dict

    @property
    def is_object(self) -> bool:
        return "apiVersion" in self.body and "kind" in self.body

    @property
    def namespace(self) -> str | None:
        return (self.body.get("metadata") or {}).get("namespace")

    def describe(self) -> str:
        if self.is_object:
            meta = self.body.get("metadata") or {}
            where = f"{meta['namespace']}/" if meta.get("namespace") else ""
            return f"{self.body['kind']} {where}{meta.get('name', '?')}"
        return f"{self.type} {self.name}"


def entries(results: Iterable[LayerResult]) -> list[Entry]:
    """Everything the layers declare, inputs masked (secret values never enter the check)."""
    found = []
    for result in results:
        for reg in result.resources:
            if not reg.custom:
                continue
            body = mask(reg.inputs)
            body = {k: v for k, v in body.items() if not k.startswith("__")}
            name = (body.get("metadata") or {}).get("name") if "apiVersion" in body else None
            found.append(Entry(reg.type, name or reg.name, body))
    return found


def _name(value: Any) -> str | None:
    """A concrete reference name, or None for placeholders (secrets, unknowns, templates)."""
    if not isinstance(value, str) or not value or value in (SECRET, UNKNOWN) or "{{" in value:
        return None
    return value


def _get(node: Any, *path: str | int) -> Any:
    for key in path:
        if isinstance(node, dict) and isinstance(key, str):
            node = node.get(key)
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return None
    return node


# ---------------------------------------------------------------------------------------------
# Creators

SECRETS_WRITTEN_BY = {
    # (group/Kind): Secret names the controller writes for an object named `n`
    "postgresql.cnpg.io/Cluster": lambda obj, n: [f"{n}-app", *([f"{n}-superuser"] if _get(obj, "spec", "enableSuperuserAccess") else [])],
    "rabbitmq.com/RabbitmqCluster": lambda obj, n: [f"{n}-default-user"],
    # Talos writes the talosconfig of a ServiceAccount into a Secret of the same name.
    "talos.dev/ServiceAccount": lambda obj, n: [n],
    "cert-manager.io/Certificate": lambda obj, n: [_get(obj, "spec", "secretName")],
    "external-secrets.io/ExternalSecret": lambda obj, n: (
        [] if _get(obj, "spec", "target", "creationPolicy") in ("Merge", "None") else [_get(obj, "spec", "target", "name") or n]
    ),
}


def creators(items: Iterable[Entry]) -> set[Ref]:
    """What the declared objects and resources create."""
    made: set[Ref] = set()
    for entry in items:
        body = entry.body
        if entry.type == "harbor:index/project:Project":
            if name := _name(body.get("name")):
                made.add(Ref("HarborProject", name))
            continue
        if not entry.is_object:
            continue
        kind, name, ns = body["kind"], _name((body.get("metadata") or {}).get("name")), entry.namespace
        if name is None:
            continue
        if kind == "Namespace" and body["apiVersion"] == "v1":
            made.add(Ref("Namespace", name))
        elif kind == "StorageClass":
            made.add(Ref("StorageClass", name))
        elif kind in ("Secret", "ConfigMap") and body["apiVersion"] == "v1":
            made.add(Ref(kind, name, ns))
        elif kind == "CustomResourceDefinition":
            group, names = _get(body, "spec", "group"), _get(body, "spec", "names", "kind")
            if group and names:
                made.add(Ref("CustomResource", f"{group}/{names}"))
        writer = SECRETS_WRITTEN_BY.get(crd_kind(body["apiVersion"], kind).name)
        if writer:
            made.update(Ref("Secret", s, ns) for s in writer(body, name) if _name(s))
    return made


# ---------------------------------------------------------------------------------------------
# References

Found = Iterator[tuple[Ref, str]]

_POD_SPEC_PATHS = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Rollout": ("spec", "template", "spec"),
}


def _pod_refs(pod: dict, ns: str | None, where: str, registry_hosts: frozenset[str]) -> Found:
    for i, volume in enumerate(pod.get("volumes") or []):
        at = f"{where}.volumes[{i}]"
        if (name := _name(_get(volume, "secret", "secretName"))) and not _get(volume, "secret", "optional"):
            yield Ref("Secret", name, ns), f"{at}.secret.secretName"
        if (name := _name(_get(volume, "configMap", "name"))) and not _get(volume, "configMap", "optional"):
            yield Ref("ConfigMap", name, ns), f"{at}.configMap.name"
        for j, source in enumerate(_get(volume, "projected", "sources") or []):
            for kind, key in _SECRET_OR_CONFIGMAP_SOURCE:
                if (name := _name(_get(source, key, "name"))) and not _get(source, key, "optional"):
                    yield Ref(kind, name, ns), f"{at}.projected.sources[{j}].{key}.name"
        # Claims (`persistentVolumeClaim.claimName`) are not followed: StatefulSets and charts create them at run time.
    for i, secret in enumerate(pod.get("imagePullSecrets") or []):
        if name := _name(_get(secret, "name")):
            yield Ref("Secret", name, ns), f"{where}.imagePullSecrets[{i}].name"
    for group in ("initContainers", "containers"):
        for i, container in enumerate(pod.get(group) or []):
            at = f"{where}.{group}[{i}]"
            yield from _image_refs(container.get("image"), f"{at}.image", registry_hosts)
            for j, env in enumerate(container.get("env") or []):
                for kind, key in _SECRET_OR_CONFIGMAP_KEY_REF:
                    ref = _get(env, "valueFrom", key)
                    if (name := _name(_get(ref, "name"))) and not _get(ref, "optional"):
                        yield Ref(kind, name, ns), f"{at}.env[{j}].valueFrom.{key}.name"
            for j, source in enumerate(container.get("envFrom") or []):
                for kind, key in _SECRET_OR_CONFIGMAP_REF:
                    ref = source.get(key)
                    if (name := _name(_get(ref, "name"))) and not _get(ref, "optional"):
                        yield Ref(kind, name, ns), f"{at}.envFrom[{j}].{key}.name"


def _image_refs(image: Any, where: str, registry_hosts: frozenset[str]) -> Found:
    """`<harbor host>/<project>[/<repository>...]` (an image, or an OCI chart repository as Argo CD
    names it): the Harbor project must exist."""
    image = _name(image)
    if not image or "/" not in image:
        return
    host, _, rest = image.removeprefix("oci://").partition("/")
    project = rest.split("/")[0].split(":")[0].split("@")[0]
    if host in registry_hosts and project and project != "*":
        yield Ref("HarborProject", project), where


def _names_secret(key: str) -> bool:
    """`existingSecret...` and `...CredentialSecret` keys name a Secret; `existingSecret...Key` names a
    key inside one, except Harbor's `existingSecretSecretKey` (the Secret holding its secret key)."""
    if key.endswith("CredentialSecret") or key == "existingSecretSecretKey":
        return True
    return key.startswith("existingSecret") and not key.endswith("Key")


def _values_refs(values: Any, where: str, namespace: str | None) -> Found:
    """What chart values name by convention: StorageClasses under `storageClass`/`storageClassName`,
    Secrets of the release's namespace under `existingSecret*` and `*CredentialSecret` keys."""
    if isinstance(values, dict):
        for key, value in values.items():
            at = f"{where}.{key}"
            name = _name(value)
            if key in ("storageClass", "storageClassName") and name:
                yield Ref("StorageClass", name), at
            elif _names_secret(key) and name and namespace:
                yield Ref("Secret", name, namespace), at
            else:
                yield from _values_refs(value, at, namespace)
    elif isinstance(values, list):
        for i, value in enumerate(values):
            yield from _values_refs(value, f"{where}[{i}]", namespace)


def _object_refs(body: dict, registry_hosts: frozenset[str], cluster_resource_namespace: str) -> Found:
    api_version, kind = body["apiVersion"], body["kind"]
    ns = (body.get("metadata") or {}).get("namespace")
    group = api_version.split("/")[0] if "/" in api_version else ""
    if not is_kubernetes_group(group):
        yield crd_kind(api_version, kind), "apiVersion/kind"
    if name := _name(ns):
        yield Ref("Namespace", name), "metadata.namespace"
    spec = body.get("spec") or {}
    pod_path = _POD_SPEC_PATHS.get(kind)
    if pod_path and (group in ("", "apps", "batch") or kind == "Rollout"):
        pod = _get(body, *pod_path)
        if isinstance(pod, dict):
            yield from _pod_refs(pod, ns, ".".join(pod_path), registry_hosts)
    if kind == "StatefulSet":
        for i, claim in enumerate(spec.get("volumeClaimTemplates") or []):
            if name := _name(_get(claim, "spec", "storageClassName")):
                yield Ref("StorageClass", name), f"spec.volumeClaimTemplates[{i}].spec.storageClassName"
    elif kind == "PersistentVolumeClaim":
        if name := _name(spec.get("storageClassName")):
            yield Ref("StorageClass", name), "spec.storageClassName"
    elif kind == "Ingress" and group == "networking.k8s.io":
        for i, tls in enumerate(spec.get("tls") or []):
            if name := _name(tls.get("secretName")):
                yield Ref("Secret", name, ns), f"spec.tls[{i}].secretName"
    elif kind == "IngressRoute" and group == "traefik.io":
        if name := _name(_get(spec, "tls", "secretName")):
            yield Ref("Secret", name, ns), "spec.tls.secretName"
    elif kind == "Middleware" and group == "traefik.io":
        if name := _name(_get(spec, "basicAuth", "secret")):
            yield Ref("Secret", name, ns), "spec.basicAuth.secret"
    elif kind in ("ClusterIssuer", "Issuer") and group == "cert-manager.io":
        issuer_ns = cluster_resource_namespace if kind == "ClusterIssuer" else ns
        if name := _name(_get(spec, "ca", "secretName")):
            yield Ref("Secret", name, issuer_ns), "spec.ca.secretName"
    elif kind == "BackupTarget" and group == "longhorn.io":
        if name := _name(spec.get("credentialSecret")):
            yield Ref("Secret", name, ns), "spec.credentialSecret"
    elif kind == "ObjectStore" and group == "barmancloud.cnpg.io":
        for key in ("accessKeyId", "secretAccessKey"):
            if name := _name(_get(spec, "configuration", "s3Credentials", key, "name")):
                yield Ref("Secret", name, ns), f"spec.configuration.s3Credentials.{key}.name"
    elif kind == "Cluster" and group == "postgresql.cnpg.io":
        if name := _name(_get(spec, "storage", "storageClass")):
            yield Ref("StorageClass", name), "spec.storage.storageClass"
    elif kind == "RabbitmqCluster" and group == "rabbitmq.com":
        if name := _name(_get(spec, "persistence", "storageClassName")):
            yield Ref("StorageClass", name), "spec.persistence.storageClassName"
    elif kind in ("SecretStore", "ClusterSecretStore") and group == "external-secrets.io":
        ca = _get(spec, "provider", "vault", "caProvider")
        if isinstance(ca, dict) and (name := _name(ca.get("name"))) and ca.get("type") in ("Secret", "ConfigMap"):
            yield Ref(ca["type"], name, ca.get("namespace") or ns), "spec.provider.vault.caProvider.name"
    elif kind == "AppProject" and group == "argoproj.io":
        for i, repo in enumerate(spec.get("sourceRepos") or []):
            yield from _image_refs(repo, f"spec.sourceRepos[{i}]", registry_hosts)
    elif kind == "ApplicationSet" and group == "argoproj.io":
        yield from _sources(_get(spec, "template", "spec") or {}, "spec.template.spec", registry_hosts)
    elif kind == "Application" and group == "argoproj.io":
        if name := _name(_get(spec, "destination", "namespace")):
            yield Ref("Namespace", name), "spec.destination.namespace"
        yield from _sources(spec, "spec", registry_hosts)
        source = spec.get("source") or {}
        target = _name(_get(spec, "destination", "namespace"))
        yield from _values_refs(_get(source, "helm", "valuesObject"), "spec.source.helm.valuesObject", target)


def _sources(spec: dict, where: str, registry_hosts: frozenset[str]) -> Found:
    """Harbor projects of an Argo CD `source` and of each of `sources`."""
    if isinstance(spec.get("source"), dict):
        yield from _image_refs(spec["source"].get("repoURL"), f"{where}.source.repoURL", registry_hosts)
    for i, source in enumerate(spec.get("sources") or []):
        if isinstance(source, dict):
            yield from _image_refs(source.get("repoURL"), f"{where}.sources[{i}].repoURL", registry_hosts)


def _resource_refs(entry: Entry, registry_hosts: frozenset[str]) -> Found:
    body = entry.body
    if entry.type == "kubernetes:helm.sh/v3:Release":
        if name := _name(body.get("namespace")):
            yield Ref("Namespace", name), "namespace"
        yield from _values_refs(body.get("values"), "values", _name(body.get("namespace")))
        chart = _name(body.get("chart"))
        if chart and chart.startswith("oci://"):
            yield from _image_refs(chart.removeprefix("oci://"), "chart", registry_hosts)
    elif entry.type == "harbor:index/robotAccount:RobotAccount":
        for i, permission in enumerate(body.get("permissions") or []):
            # A system robot's `*` means every project: nothing in particular must exist.
            name = _name(permission.get("namespace"))
            if permission.get("kind") == "project" and name and name != "*":
                yield Ref("HarborProject", name), f"permissions[{i}].namespace"
    elif entry.type == "harbor:index/replication:Replication":
        if name := _name(body.get("destNamespace")):
            yield Ref("HarborProject", name), "destNamespace"


def references(
    items: Iterable[Entry], *, registry_hosts: Iterable[str] = (), cluster_resource_namespace: str = "cert-manager"
) -> Iterator[tuple[Entry, Ref, str]]:
    """(referring entry, reference, field) for everything the declared objects refer to."""
    hosts = frozenset(registry_hosts)
    for entry in items:
        found = _object_refs(entry.body, hosts, cluster_resource_namespace) if entry.is_object else _resource_refs(entry, hosts)
        for ref, field in found:
            yield entry, ref, field


# ---------------------------------------------------------------------------------------------
# The check


def _satisfied(ref: Ref, available: set[Ref]) -> bool:
    if ref in available:
        return True
    if ref.namespace is not None:
        return Ref(ref.category, ref.name, ANY_NAMESPACE) in available
    return False


def provided_by(results: Iterable[LayerResult]) -> set[Ref]:
    """What the platform services in the render declare their charts provide (`PlatformService.provides`).

    A service is in the render when its component is (type token `idp:platform:<Class>`); a
    disabled service provides nothing.
    """
    from components.platform.catalog import CATALOG

    by_token = {f"idp:platform:{cls.__name__}": cls for cls in CATALOG}
    found: set[Ref] = set()
    for result in results:
        for reg in result.resources:
            cls = by_token.get(reg.type)
            if cls is None:
                continue
            for entry in cls.provides:
                ref = parse_provided(entry, cls.namespace)
                if ref is not None:
                    found.add(ref)
    return found


def dangling(
    results: Iterable[LayerResult],
    provided: Iterable[Ref] = (),
    *,
    registry_hosts: Iterable[str] = (),
    cluster_resource_namespace: str = "cert-manager",
) -> list[Dangling]:
    """Every reference of the rendered layers that nothing creates, sorted and without duplicates.

    `results` are all layers of one environment (a layer may use what an earlier one creates);
    `provided` is what the enabled platform services' charts bring (CRDs, StorageClasses, ...).
    """
    items = entries(results)
    available = creators(items) | set(provided) | set(BUILTIN)
    found = {
        Dangling(entry.describe(), field, ref)
        for entry, ref, field in references(
            items, registry_hosts=registry_hosts, cluster_resource_namespace=cluster_resource_namespace
        )
        if not _satisfied(ref, available)
    }
    return sorted(found, key=lambda d: (d.ref, d.source, d.field))


class IntegrityError(Exception):
    """Dangling references in a render; `lines` are ready to print."""

    def __init__(self, problems: list[Dangling]):
        self.problems = problems
        self.lines = [f"integrity error: {p}" for p in problems]
        super().__init__("\n".join(self.lines))
