"""Support contacts of an environment (`idp:global.support`), listed on the portal's support page."""

from __future__ import annotations

from pydantic import Field, model_validator

from components.model import Model, raise_path_errors


class SupportContact(Model):
    """Where application teams get help; the portal's support page lists these (`idpctl docs`)."""

    name: str = Field(min_length=1, description="team or role, e.g. Platform team")
    scope: str = Field(min_length=1, description="what to ask them about")
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    chat: str | None = Field(None, description="chat channel, e.g. #platform-support")
    url: str | None = Field(None, pattern=r"^https?://\S+$", description="ticket queue or wiki page")
    hours: str | None = Field(None, description="when someone answers, e.g. Mon-Fri 08:00-17:00 CET")

    @model_validator(mode="after")
    def _reachable(self) -> "SupportContact":
        if not (self.email or self.chat or self.url):
            raise_path_errors([("email", "a support contact needs at least one of email, chat or url")])
        return self
