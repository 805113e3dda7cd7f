"""Item 4: Traefik behind a MetalLB address, default class, HTTP->HTTPS, metrics, dashboard on TLS."""

from __future__ import annotations

import pytest

from idpctl.runtime import is_secret_envelope
from stacks.loading import ConfigError, load_environment
from tests.platform.helpers import chart_registration, chart_values, lab_config, obj, one, render_platform, waits_for


def test_service_is_a_load_balancer_on_the_configured_metallb_address(lab):
    values = chart_values(lab, "traefik")
    # Chart >= 40 reads the type from service.spec.type; the old service.type is silently ignored.
    assert values["service"]["spec"]["type"] == "LoadBalancer"
    assert "type" not in values["service"]
    assert values["service"]["annotations"] == {"metallb.io/loadBalancerIPs": "10.20.120.200"}


def test_traefik_waits_for_metallb_pool(lab):
    # Helm waits for the LoadBalancer address, which only exists once the pool does.
    pool = one(lab, "kubernetes:metallb.io/v1beta1:IPAddressPool", "metallb-pool")
    assert waits_for(lab, chart_registration(lab, "traefik"), pool)


def test_default_ingress_class_and_https_redirect(lab):
    values = chart_values(lab, "traefik")
    assert values["ingressClass"] == {"enabled": True, "isDefaultClass": True, "name": "traefik"}
    redirect = values["ports"]["web"]["http"]["redirections"]["entryPoint"]
    assert redirect == {"to": "websecure", "scheme": "https", "permanent": True}
    assert values["ports"]["websecure"]["http"]["tls"]["enabled"] is True


def test_metrics_are_exposed_for_scraping_but_not_outside(lab):
    values = chart_values(lab, "traefik")
    prometheus = values["metrics"]["prometheus"]
    assert prometheus["entryPoint"] == "metrics"
    assert prometheus["service"]["enabled"] is True
    assert prometheus["service"]["annotations"]["prometheus.io/scrape"] == "true"
    assert values["ports"]["metrics"]["expose"]["default"] is False


def test_dashboard_is_https_only_with_auth_and_a_platform_ca_certificate(lab):
    route = obj(lab, "IngressRoute", "traefik-dashboard", "traefik")
    assert route["spec"]["entryPoints"] == ["websecure"]
    (rule,) = route["spec"]["routes"]
    assert rule["match"].startswith("Host(`traefik.lab.idp.internal`)")
    assert rule["services"] == [{"kind": "TraefikService", "name": "api@internal"}]
    assert rule["middlewares"] == [{"name": "dashboard-auth"}]
    secret_name = route["spec"]["tls"]["secretName"]
    cert = obj(lab, "Certificate", secret_name, "traefik")
    assert cert["spec"]["secretName"] == secret_name
    assert cert["spec"]["dnsNames"] == ["traefik.lab.idp.internal"]
    assert cert["spec"]["issuerRef"]["name"] == "platform-ca"
    middleware = obj(lab, "Middleware", "dashboard-auth", "traefik")
    auth_secret = middleware["spec"]["basicAuth"]["secret"]
    # The htpasswd line is a Pulumi secret from the start.
    raw = one(lab, "kubernetes:core/v1:Secret", "traefik-dashboard-auth")
    assert raw.inputs["metadata"]["name"] == auth_secret
    assert is_secret_envelope(raw.inputs["stringData"])
    assert is_secret_envelope(lab.exports["traefikDashboardPassword"])
    assert chart_values(lab, "traefik")["ingressRoute"]["dashboard"]["enabled"] is False


def test_dashboard_route_waits_for_traefik_crds(lab):
    release = chart_registration(lab, "traefik")
    for name in ("traefik-dashboard-route", "traefik-dashboard-auth-middleware"):
        kind = "IngressRoute" if name.endswith("route") else "Middleware"
        assert waits_for(lab, one(lab, f"kubernetes:traefik.io/v1alpha1:{kind}", name), release)


def test_dashboard_can_be_switched_off():
    config = lab_config()
    config["idp:platform"]["traefik"]["dashboard"] = False
    result = render_platform(config)
    # (Other services bring their own Middlewares, e.g. the Longhorn UI's login.)
    assert not [r for r in result.resources if r.type.startswith("kubernetes:traefik.io/") and r.name.startswith("traefik-")]
    assert "traefik" not in result.exports["urls"]


def test_load_balancer_ip_must_be_in_the_metallb_pool():
    config = lab_config()
    config["idp:platform"]["traefik"]["loadBalancerIp"] = "10.20.120.100"
    with pytest.raises(ConfigError) as caught:
        load_environment("lab", config, set())
    assert "config error: idp:platform.traefik.loadBalancerIp: 10.20.120.100 is not in platform.metallb.addresses" in caught.value.lines
