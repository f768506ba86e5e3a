"""The compatibility API's requests (`/api/...`, the seed's paths: README "Compatibility API").

Its answers are the main API's models re-shaped by `cashback.api.compat`; only the registration
body differs enough to need a model: the seed's clients send an `agent_id` of their choosing.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field, StrictBool, model_validator
from pydantic_core import PydanticCustomError

from cashback.models.agents import (
    PUBLIC_FIELD_DESCRIPTION,
    AgentName,
    Description,
    RegisterAgentRequest,
    WalletAddress,
)
from cashback.models.common import ApiModel
from cashback.models.wallets import CryptoPreference, check_currency_fits


class CompatRegisterRequest(ApiModel):
    """POST /api/agent/register: the seed's body. Ids are the server's: `agent_id` never becomes the
    agent's id (the answer's `agent.agent_id` does); it names the agent when `agent_name` is absent."""

    model_config = ConfigDict(extra="forbid")

    agent_id: AgentName | None = Field(default=None, description="a display hint: the name when agent_name is absent")
    agent_name: AgentName | None = None
    wallet_address: WalletAddress | None = None
    crypto_preference: CryptoPreference | None = None
    description: Description | None = None
    public: StrictBool = Field(default=False, description=PUBLIC_FIELD_DESCRIPTION)

    @model_validator(mode="after")
    def _named_and_fitting(self) -> CompatRegisterRequest:
        if self.agent_name is None and self.agent_id is None:
            raise PydanticCustomError("missing", "send agent_name (or agent_id, used as the name)")
        check_currency_fits(self.wallet_address, self.crypto_preference)
        return self

    def registration(self) -> RegisterAgentRequest:
        """The main API's registration this body asks for."""
        fields = self.model_dump(exclude={"agent_id"})
        fields["agent_name"] = self.agent_name or self.agent_id
        return RegisterAgentRequest.model_validate(fields)
