"""The v2 structs, named as the Go service named them (requests and answers alike)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from api.v2.decode import GoStruct

# Said in the document only (the decoder gives Go's zero values and the core its messages).
NO_NUL = "^[^\\u0000]*$"
# A name, as core.v2_rules.checked_name takes it: no control characters once the ends are
# stripped, and something that is not a space.
_PLAIN = "[^\\u0000-\\u001f\\u007f]"
NAME = f"\\s*{_PLAIN}*[^\\s\\u0000-\\u001f\\u007f]{_PLAIN}*\\s*"


def text(pattern: str = NO_NUL) -> Any:
    """A string field: "" when absent (Go's zero value); `pattern` is for the document."""
    return Field(default="", json_schema_extra={"pattern": pattern})


class V2CampaignClient(GoStruct):
    """A recipient: a Telegram user id, an @username or a shared +phone, and its {{n}} values."""

    GO_NAME: ClassVar[str] = "CampaignClient"
    GO_TYPES: ClassVar[dict[str, str]] = {"AccountID": "string", "Params": "[]string"}
    AccountID: str = text()
    Params: list[str] = Field(
        default_factory=list,
        json_schema_extra={"items": {"type": "string", "pattern": "^[^\\u0000]*$"}},
    )


class V2CreateCampaignRequest(GoStruct):
    """Body of POST /v2/campaign/create (keys match case-insensitively)."""

    model_config = ConfigDict(
        json_schema_extra={
            "required": ["Name", "Clients"],
            "anyOf": [
                {"required": ["JSON"], "properties": {"JSON": {"pattern": "\\S"}}},
                {"required": ["TempMsgID"], "properties": {"TempMsgID": {"pattern": "\\S"}}},
            ],
        }
    )

    GO_NAME: ClassVar[str] = "CreateCampaignRequest"
    NESTED: ClassVar[dict[str, type[GoStruct]]] = {"Clients": V2CampaignClient}
    GO_TYPES: ClassVar[dict[str, str]] = {
        "Name": "string", "Message": "string", "Clients": "[]CampaignClient", "JSON": "string",
        "TempMsgID": "string", "SendAt": "string",
    }  # fmt: skip
    Name: str = text(f"^{NAME}$")
    Message: str = text()
    Clients: list[V2CampaignClient] = Field(default_factory=list, json_schema_extra={"minItems": 2})
    JSON: str = text()
    TempMsgID: str = text()
    SendAt: str = text()


class V2DeleteCampaignRequest(GoStruct):
    """Body of DELETE /v2/campaign/delete."""

    GO_NAME: ClassVar[str] = "DeleteCampaignRequest"
    GO_TYPES: ClassVar[dict[str, str]] = {"ID": "int"}
    ID: int = 0


class V2UpdateCampaignRequest(GoStruct):
    """Body of PUT /v2/campaign/update."""

    GO_NAME: ClassVar[str] = "UpdateCampaignRequest"
    GO_TYPES: ClassVar[dict[str, str]] = {"ID": "int", "Name": "string", "SendAt": "string"}
    ID: int = 0
    Name: str = text(f"^(?:\\s*|{NAME})$")  # blank: the name stays
    SendAt: str = text()


class V2ResendCampaignMessageRequest(GoStruct):
    """Body of POST /v2/campaign/resendMsg."""

    model_config = ConfigDict(json_schema_extra={"required": ["MessageKey"]})

    GO_NAME: ClassVar[str] = "ResendCampaignMessageRequest"
    GO_TYPES: ClassVar[dict[str, str]] = {"MessageKey": "string"}
    MessageKey: str = text("^[^\\u0000]*[^\\s\\u0000]")


class GoOut(BaseModel):
    """An answer struct (documentation of what the renderers write)."""

    model_config = ConfigDict(extra="forbid")


class V2ClientOut(GoOut):
    """A V2CampaignClient as answered."""

    AccountID: str
    Params: list[str]


class V2CampaignResponse(GoOut):
    """A campaign. SentCount/DeliveredCount: accepted by Telegram; FailedCount: failed or
    unknown; Total: Clients given; Status: draft|scheduled|active|paused|completed|cancelled|
    failed; JSON: the Telegram call as a string."""

    ID: int
    Name: str
    TemplateName: str
    Lang: str
    CreatedAt: str
    UpdatedAt: str
    SendAt: str
    Status: str
    AgentID: int
    Message: str
    JSON: str
    SentCount: int
    DeliveredCount: int
    FailedCount: int
    Total: int
    Clients: list[V2ClientOut]
    CompanyID: int
    ReportHeaders: Any = None
    TempMsgID: str
    Error: str
    SocketKey: str


class V2CampaignList(GoOut):
    """Answer of GET /v2/campaign/getAll."""

    Campaigns: list[V2CampaignResponse]
    Total: int


class V2CampaignMessage(GoOut):
    """One recipient's message: Status is scheduled|pending|sending|sent|failed|unknown|skipped."""

    MessageKey: str
    CampaignID: int
    AccountID: str
    Params: list[str]
    Status: str
    Error: str
    TelegramMessageID: int
    SentAt: str
    Resent: bool


class V2CampaignMessages(GoOut):
    """Answer of GET /v2/campaign/getCampMsgs."""

    Messages: list[V2CampaignMessage]
    Total: int


class V2ResendResponse(GoOut):
    """Answer of POST /v2/campaign/resendMsg: the message, queued once more."""

    MessageKey: str
    Status: str
    Message: str


class V2GetAllQuery(BaseModel):
    """Query of getAll."""

    resultSize: int | None = Field(default=None, ge=1)


class V2GetCampMsgsQuery(BaseModel):
    """Query of getCampMsgs."""

    campaignID: int = Field(ge=1)
    resultSize: int | None = Field(default=None, ge=1)
