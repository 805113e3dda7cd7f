"""Active Directory settings (`idp:global.ldap`), shared by every component that binds to LDAP.

The directory (host, TLS, base DNs, filters) is described once. Each component binds with its own
service account: its own bind DN here and its own password in its own secret config key, so a
leaked password opens one component's directory access only and rotating one account touches
nothing else (docs/runbooks/ldap-rotation.md).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from components.model import Fqdn, Model, Port

LdapClient = Literal["dex", "grafana", "harbor", "vault"]
"""The components that bind to Active Directory (Dex is Argo CD's LDAP connector)."""

LDAP_CLIENTS: tuple[LdapClient, ...] = ("dex", "grafana", "harbor", "vault")

BIND_PASSWORD_KEYS: dict[LdapClient, str] = {
    "dex": "ldapDexBindPassword",
    "grafana": "ldapGrafanaBindPassword",
    "harbor": "ldapHarborBindPassword",
    "vault": "ldapVaultBindPassword",
}
"""Secret config key (`idp:<key>`) holding each component's bind password."""


class LdapBindDns(Model):
    """One AD service account per component; the DNs must differ."""

    dex: str = Field(min_length=3, description="Argo CD's Dex LDAP connector")
    grafana: str = Field(min_length=3)
    harbor: str = Field(min_length=3)
    vault: str = Field(min_length=3)

    @model_validator(mode="after")
    def _distinct(self) -> LdapBindDns:
        seen: dict[str, str] = {}
        for client in LDAP_CLIENTS:
            dn = getattr(self, client)
            key = dn.replace(" ", "").lower()
            if key in seen:
                raise ValueError(
                    f"{client} and {seen[key]} share the bind DN {dn!r}: each component needs its own service account"
                )
            seen[key] = client
        return self


class LdapConfig(Model):
    """Active Directory as seen by Dex, Vault, Harbor and Grafana."""

    host: Fqdn
    port: Port = 636
    use_tls: bool = Field(True, description="LDAPS (port 636); false with start_tls for 389")
    start_tls: bool = False
    insecure_skip_verify: bool = False
    bind_dns: LdapBindDns
    user_base_dn: str = Field(min_length=3)
    group_base_dn: str = Field(min_length=3)
    user_filter: str = "(objectClass=person)"
    group_filter: str = "(objectClass=group)"
    username_attribute: str = "sAMAccountName"

    @model_validator(mode="before")
    @classmethod
    def _no_shared_account(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("bindDn" in data or "bind_dn" in data):
            raise ValueError(
                "bindDn (one account shared by every component) was replaced by bindDns.{dex,grafana,harbor,vault}, "
                "one service account per component, with passwords in "
                + ", ".join(f"idp:{k}" for k in BIND_PASSWORD_KEYS.values())
            )
        return data

    @property
    def url(self) -> str:
        return f"{'ldaps' if self.use_tls else 'ldap'}://{self.host}:{self.port}"

    def bind_dn(self, client: LdapClient) -> str:
        """The bind DN of one component's own service account."""
        return getattr(self.bind_dns, client)
