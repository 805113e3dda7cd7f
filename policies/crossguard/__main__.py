"""Entry point of the CrossGuard policy pack (run by the Pulumi engine with --policy-pack)."""

from pulumi_policy import EnforcementLevel, PolicyPack

from rules import POLICIES

PolicyPack(name="idp-platform", enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
