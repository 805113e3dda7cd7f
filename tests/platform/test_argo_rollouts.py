"""Item 7: Argo Rollouts with the Traefik v3 API group, dashboard behind TLS, delivered by Argo CD in the lab."""

from __future__ import annotations

from tests.platform.helpers import APPLICATION, RELEASE, chart_registration, chart_values, lab_config, obj, one, render_platform, waits_for


def test_controller_writes_traefik_v3_resources(lab):
    args = chart_values(lab, "argo-rollouts")["controller"]["extraArgs"]
    # v1.9.0 defaults to traefik.containo.us (Traefik v2): canary weights would go nowhere.
    assert "--traefik-api-group=traefik.io" in args
    assert "--traefik-api-version=traefik.io/v1alpha1" in args


def test_dashboard_is_read_only_behind_tls(lab):
    dashboard = chart_values(lab, "argo-rollouts")["dashboard"]
    assert dashboard["enabled"] is True and dashboard["readonly"] is True
    ingress = dashboard["ingress"]
    assert ingress["enabled"] is True and ingress["ingressClassName"] == "traefik"
    assert ingress["hosts"] == ["rollouts.lab.idp.internal"]
    (tls,) = ingress["tls"]
    assert tls["hosts"] == ingress["hosts"]
    cert = obj(lab, "Certificate", tls["secretName"], "argo-rollouts")
    assert cert["spec"]["dnsNames"] == ingress["hosts"]
    assert cert["spec"]["issuerRef"]["name"] == "platform-ca"


def test_lab_delivers_it_through_argocd_after_argocd(lab):
    app = chart_registration(lab, "argo-rollouts")
    assert app.type == APPLICATION
    assert app.inputs["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "10"
    assert app.inputs["spec"]["source"]["targetRevision"] == "2.41.0"
    assert waits_for(lab, app, chart_registration(lab, "argocd"))
    # The certificate needs the namespace the Application creates: it waits for the Application.
    assert waits_for(lab, one(lab, "kubernetes:cert-manager.io/v1:Certificate", "argo-rollouts-dashboard-certificate"), app)


def test_switching_delivery_is_one_key():
    config = lab_config()
    config["idp:platform"]["argoRollouts"]["delivery"] = "helm"
    result = render_platform(config)
    reg = chart_registration(result, "argo-rollouts")
    assert reg.type == RELEASE
    assert reg.inputs["version"] == "2.41.0"
    assert "--traefik-api-group=traefik.io" in reg.inputs["values"]["controller"]["extraArgs"]
