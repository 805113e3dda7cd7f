"""Active Directory settings (`idp:global.ldap`), shared by every component that binds to LDAP."""

from __future__ import annotations

from pydantic import Field

from components.model import Fqdn, Model, Port


class LdapConfig(Model):
    """Active Directory as seen by Dex, Vault, Harbor and Grafana."""

    host: Fqdn
    port: Port = 636
    use_tls: bool = Field(True, description="LDAPS (port 636); false with start_tls for 389")
    start_tls: bool = False
    insecure_skip_verify: bool = False
    bind_dn: str = Field(min_length=3)
    user_base_dn: str = Field(min_length=3)
    group_base_dn: str = Field(min_length=3)
    user_filter: str = "(objectClass=person)"
    group_filter: str = "(objectClass=group)"
    username_attribute: str = "sAMAccountName"

    @property
    def url(self) -> str:
        return f"{'ldaps' if self.use_tls else 'ldap'}://{self.host}:{self.port}"
