"""Alertmanager: routes vmalert's alerts to a Microsoft Teams channel.

A `VMAlertmanager` (VictoriaMetrics operator) in `monitoring`, labelled so vmalert finds it, with its
whole configuration in a Secret we write (`configSecret`, plain Alertmanager format) and the Teams
webhook in a second Secret mounted by the operator at `/etc/vm/secrets/<secret>/`:

- receiver `teams` uses `msteamsv2_configs` (Power Automate "Workflows" webhooks, Alertmanager
  0.28+; the Office 365 connector kind `msteams_configs` is being retired by Microsoft) with
  `webhook_url_file`, so the URL is in no configuration file: it comes from the secret config key
  `idp:teamsWebhookUrl` straight into Secret `alertmanager-teams`;
- critical alerts repeat every `critical_repeat`, the rest every `repeat_interval`; a critical
  alert silences the warnings of the same alert name and namespace.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import yaml
from pydantic import Field

from components.model import Duration, Resources
from components.platform.chart import ServiceArgs, standard_labels
from components.platform.service import PlatformContext, PlatformService
from components.platform.victoria_metrics import ALERTMANAGER_SELECTOR

NAMESPACE = "monitoring"
NAME = "idp"
"""VMAlertmanager name: the operator runs StatefulSet/Service `vmalertmanager-idp`."""
CONFIG_SECRET = "alertmanager-config"
WEBHOOK_SECRET = "alertmanager-teams"
WEBHOOK_KEY = "webhook-url"
SECRETS_DIR = "/etc/vm/secrets"
"""Where the operator mounts each Secret listed in `spec.secrets` (operator `vmv1beta1.SecretsDir`)."""
WEBHOOK_FILE = f"{SECRETS_DIR}/{WEBHOOK_SECRET}/{WEBHOOK_KEY}"
TEAMS_RECEIVER = "teams"
IMAGE_TAG = "v0.32.1"
"""prom/alertmanager tag the k8s-stack chart 0.91.2 pins; msteamsv2 needs 0.28.0 or later."""


class AlertmanagerArgs(ServiceArgs):
    """Alertmanager's routing to Teams, replicas and resources."""

    replicas: int = Field(1, ge=1, le=3, description="more than one forms a gossip cluster")
    group_by: list[str] = Field(default_factory=lambda: ["alertname", "namespace", "severity"], min_length=1)
    group_wait: Duration = "30s"
    group_interval: Duration = "5m"
    repeat_interval: Duration = "12h"
    critical_repeat: Duration = "1h"
    send_resolved: bool = True
    storage_size_mi: int = Field(512, ge=64, description="silences and notification log (emptyDir)")
    resources: Resources = Resources(requests_cpu="20m", requests_memory="64Mi", limits_memory="256Mi")
    config_reloader_resources: Resources = Resources(requests_cpu="10m", requests_memory="32Mi", limits_memory="64Mi")


def alertmanager_config(args: AlertmanagerArgs) -> dict:
    """The alertmanager.yaml: everything to Teams, criticals repeated more often, no URL inside."""
    teams = {"webhook_url_file": WEBHOOK_FILE, "send_resolved": args.send_resolved}
    return {
        "route": {
            "receiver": TEAMS_RECEIVER,
            "group_by": list(args.group_by),
            "group_wait": args.group_wait,
            "group_interval": args.group_interval,
            "repeat_interval": args.repeat_interval,
            "routes": [
                {"receiver": TEAMS_RECEIVER, "matchers": ['severity="critical"'], "repeat_interval": args.critical_repeat},
            ],
        },
        "inhibit_rules": [
            {
                "source_matchers": ['severity="critical"'],
                "target_matchers": ['severity="warning"'],
                "equal": ["alertname", "namespace"],
            }
        ],
        "receivers": [{"name": TEAMS_RECEIVER, "msteamsv2_configs": [teams]}],
    }


def alertmanager_spec(args: AlertmanagerArgs) -> dict:
    """`VMAlertmanager.spec`: our config Secret, the webhook Secret mounted, resources explicit."""
    return {
        "replicaCount": args.replicas,
        "image": {"tag": IMAGE_TAG},
        "configSecret": CONFIG_SECRET,
        "secrets": [WEBHOOK_SECRET],
        # Only this configuration: VMAlertmanagerConfig objects elsewhere are not merged in.
        "selectAllByDefault": False,
        "resources": args.resources.to_k8s(),
        "configReloaderResources": args.config_reloader_resources.to_k8s(),
        "storage": {"emptyDir": {"sizeLimit": f"{args.storage_size_mi}Mi"}},
    }


class Alertmanager(PlatformService):
    """The VMAlertmanager, its configuration Secret and the Teams webhook Secret."""

    key = "alertmanager"
    args_type = AlertmanagerArgs
    # Shares `monitoring`, created (privileged) by the VictoriaMetrics stack; it needs no host access itself.
    namespace = NAMESPACE
    pod_security = "privileged"
    needs = {"victoria_metrics": "the VMAlertmanager CRD, the monitoring namespace and vmalert"}

    url: str
    """Alertmanager inside the cluster."""

    def __init__(self, name: str, args: AlertmanagerArgs, webhook_url: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None):
        super().__init__("idp:platform:Alertmanager", name, {}, opts)
        labels = standard_labels("alertmanager", NAME, IMAGE_TAG)
        child = pulumi.ResourceOptions(parent=self)
        webhook = k8s.core.v1.Secret(
            f"{name}-teams-webhook",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=WEBHOOK_SECRET, namespace=NAMESPACE, labels=labels),
            string_data={WEBHOOK_KEY: pulumi.Output.secret(webhook_url)},
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["stringData", "data"]),
        )
        config = k8s.core.v1.Secret(
            f"{name}-config",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=CONFIG_SECRET, namespace=NAMESPACE, labels=labels),
            string_data={"alertmanager.yaml": yaml.safe_dump(alertmanager_config(args), sort_keys=False)},
            opts=child,
        )
        k8s.apiextensions.CustomResource(
            f"{name}-alertmanager",
            api_version="operator.victoriametrics.com/v1beta1",
            kind="VMAlertmanager",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NAME, namespace=NAMESPACE, labels={**labels, **ALERTMANAGER_SELECTOR}),
            spec=alertmanager_spec(args),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[webhook, config]),
        )
        self.url = f"http://vmalertmanager-{NAME}.{NAMESPACE}.svc:9093"
        self.register_outputs({"url": self.url})

    @classmethod
    def create(cls, name: str, args: AlertmanagerArgs, context: PlatformContext, opts: pulumi.ResourceOptions) -> Alertmanager:
        return cls(name, args, context.secret("teamsWebhookUrl"), opts=opts)
