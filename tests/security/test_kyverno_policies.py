"""Static checks of the Kyverno policies under `policies/kyverno/`: layout, annotations, the CRD
schema, per-rule failure actions, suite coverage (a pass and a fail case per validate/verify rule,
pass and skip per generate rule) and the placeholder substitution the platform stack performs.
Running the suites with the real Kyverno CLI is in `test_kyverno_suites.py`.
"""

from __future__ import annotations

import pytest
import yaml

from components.platform.kyverno_policies import (
    COSIGN_KEY_MARKER,
    HARBOR_REGISTRY_PLACEHOLDER,
    POLICY_DIR,
    POLICY_NAMES,
    PROJECT_NAMESPACE_LABEL,
    PolicyError,
    load_policy,
    needs_cosign_key,
    placeholders_in,
    policy_names,
    render_policy,
)

ANNOTATIONS = ("title", "category", "severity", "subject", "description")
TEST_KEY = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEtest\n-----END PUBLIC KEY-----\n"


def _docs(path):
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def test_the_four_policies_exist():
    assert policy_names() == sorted(POLICY_NAMES)


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_layout_and_annotations(name):
    directory = POLICY_DIR / name
    for f in ("policy.yaml", "kyverno-test.yaml", "resources.yaml"):
        assert (directory / f).is_file(), f"{directory / f} is missing"
    assert (directory / "policy.yaml").read_text().startswith("# yaml-language-server: $schema=")
    policy = load_policy(name)
    assert policy["apiVersion"] == "kyverno.io/v1"
    annotations = policy["metadata"]["annotations"]
    for key in ANNOTATIONS:
        assert annotations.get(f"policies.kyverno.io/{key}", "").strip(), f"{name}: annotation {key} is empty"
    assert annotations["policies.kyverno.io/severity"] in {"low", "medium", "high", "critical"}


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_policy_validates_against_clusterpolicy_crd(name, schemas):
    policy = load_policy(name)
    assert schemas.knows("kyverno.io/v1", "ClusterPolicy")
    assert schemas.validate(policy) == []
    rendered = render_policy(policy, harbor_registry="harbor.lab.example.com", cosign_public_key=TEST_KEY)
    assert schemas.validate(rendered) == []


def test_schema_check_catches_a_broken_policy(schemas):
    """The CRD check is strict: a misspelt field fails, so the test above can fail."""
    policy = load_policy("disallow-root")
    policy["spec"]["rules"][0]["validate"]["failureActon"] = "Enforce"
    errors = schemas.validate(policy)
    assert any("failureActon" in e for e in errors), errors


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_every_enforcing_rule_sets_its_own_failure_action(name):
    policy = load_policy(name)
    assert "validationFailureAction" not in policy["spec"], "use per-rule failureAction"
    for rule in policy["spec"]["rules"]:
        if "validate" in rule:
            assert rule["validate"].get("failureAction") == "Enforce", rule["name"]
        for verify in rule.get("verifyImages", []):
            assert verify.get("failureAction") == "Enforce", rule["name"]


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_policies_select_tenant_project_namespaces_only(name):
    """Platform namespaces carry managed-by=idp-platform too; only the project label tells tenants apart."""
    policy = load_policy(name)
    for rule in policy["spec"]["rules"]:
        for clause in rule["match"]["any"]:
            res = clause["resources"]
            selector = res.get("namespaceSelector") or res.get("selector")
            assert selector["matchLabels"] == {"managed-by": "idp-platform"}, rule["name"]
            assert selector["matchExpressions"] == [{"key": PROJECT_NAMESPACE_LABEL, "operator": "Exists"}], rule["name"]


def test_project_label_is_the_tenant_components_label():
    from components.tenant.labels import PROJECT_LABEL

    assert PROJECT_NAMESPACE_LABEL == PROJECT_LABEL


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_suite_has_pass_and_fail_for_every_rule(name):
    directory = POLICY_DIR / name
    policy = load_policy(name)
    suite = _docs(directory / "kyverno-test.yaml")[0]
    assert suite["kind"] == "Test" and suite["apiVersion"] == "cli.kyverno.io/v1alpha1"
    assert suite["policies"] == ["policy.yaml"] and suite["resources"] == ["resources.yaml"]
    outcomes: dict[str, set[str]] = {}
    for result in suite["results"]:
        assert result["policy"] == name
        rule = result["rule"].removeprefix("autogen-")
        outcomes.setdefault(rule, set()).add(result["result"])
        if "generatedResource" in result:
            assert (directory / result["generatedResource"]).is_file()
    for rule in policy["spec"]["rules"]:
        got = outcomes.get(rule["name"], set())
        if "generate" in rule:
            # Generate rules have no "fail" outcome and `kyverno test` reports an untriggered
            # namespace as "Not found": the suite holds the pass case, resources.yaml the
            # namespaces that must not trigger (checked by test_kyverno_suites.py).
            assert "pass" in got, f"{name}/{rule['name']}: {got}"
            named = {res for r in suite["results"] for res in r["resources"]}
            negatives = [d["metadata"]["name"] for d in _docs(directory / "resources.yaml")
                         if d["kind"] == "Namespace" and d["metadata"]["name"] not in named]
            assert len(negatives) >= 3, negatives
        else:
            assert {"pass", "fail"} <= got, f"{name}/{rule['name']}: {got}"


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_suite_names_only_resources_that_exist(name, schemas):
    directory = POLICY_DIR / name
    resources = _docs(directory / "resources.yaml")
    known = set()
    for r in resources:
        meta = r["metadata"]
        known.add((r["kind"], f"{meta['namespace']}/{meta['name']}" if "namespace" in meta else meta["name"]))
        # Test resources are real Kubernetes objects, not sketches.
        assert schemas.validate(r) == [], r["metadata"]["name"]
    suite = _docs(directory / "kyverno-test.yaml")[0]
    for result in suite["results"]:
        for res in result["resources"]:
            assert (result["kind"], res) in known, f"{name}: {result['kind']} {res} is not in resources.yaml"


def test_render_substitutes_registry_and_key():
    policy = load_policy("verify-image-signatures")
    assert placeholders_in(policy) == {"registry", "cosign-key"}
    assert needs_cosign_key(policy)
    rendered = render_policy(policy, harbor_registry="harbor.lab.example.com", cosign_public_key=TEST_KEY)
    text = yaml.safe_dump(rendered)
    assert HARBOR_REGISTRY_PLACEHOLDER not in text and COSIGN_KEY_MARKER not in text
    verify = next(r for r in rendered["spec"]["rules"] if "verifyImages" in r)["verifyImages"][0]
    assert verify["imageReferences"] == ["harbor.lab.example.com/*"]
    assert verify["attestors"][0]["entries"][0]["keys"]["publicKeys"] == TEST_KEY
    validate = next(r for r in rendered["spec"]["rules"] if r["name"] == "require-harbor-registry")
    assert validate["validate"]["pattern"]["spec"]["containers"] == [{"image": "harbor.lab.example.com/*"}]
    assert "harbor.lab.example.com" in validate["validate"]["message"]
    # the source document is untouched
    assert placeholders_in(policy) == {"registry", "cosign-key"}


def test_render_refuses_to_leave_the_key_placeholder():
    policy = load_policy("verify-image-signatures")
    with pytest.raises(PolicyError, match="cosign public key"):
        render_policy(policy, harbor_registry="harbor.lab.example.com")
    with pytest.raises(PolicyError, match="PEM"):
        render_policy(policy, harbor_registry="harbor.lab.example.com", cosign_public_key="not a key")
    with pytest.raises(PolicyError, match="host"):
        render_policy(policy, harbor_registry="https://harbor.lab.example.com", cosign_public_key=TEST_KEY)


def test_policies_without_placeholders_render_unchanged():
    for name in ("generate-default-network-policies", "require-standard-labels", "disallow-root"):
        policy = load_policy(name)
        assert not needs_cosign_key(policy)
        assert render_policy(policy, harbor_registry="harbor.lab.example.com") == policy


def test_render_adds_registry_credentials_to_signature_rules_only():
    policy = load_policy("verify-image-signatures")
    rendered = render_policy(
        policy, harbor_registry="harbor.lab.example.com", cosign_public_key=TEST_KEY, registry_secret="harbor-kyverno-pull"
    )
    for rule in rendered["spec"]["rules"]:
        for verify in rule.get("verifyImages", []):
            assert verify["imageRegistryCredentials"] == {"secrets": ["harbor-kyverno-pull"]}
    plain = render_policy(policy, harbor_registry="harbor.lab.example.com", cosign_public_key=TEST_KEY)
    assert all("imageRegistryCredentials" not in v for r in plain["spec"]["rules"] for v in r.get("verifyImages", []))
