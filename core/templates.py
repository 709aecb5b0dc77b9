"""Message templates: reusable content with declared variables, for campaigns and schedules."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator

from core.context import Actor
from core.errors import NotFoundError, ValidationFailed
from core.ids import parse_id
from core.models import Buttons, CamelModel, Media, ParseMode
from core.templating import BUILT_IN, unknown_variables, variables_in
from core.uow import UnitOfWork
from core.validation import JsonObject, Line, Text, given, left_out
from storage.models_scheduling import Template
from storage.repositories.paging import Page
from storage.repositories.templates import TemplateRepository


class TemplateInput(CamelModel):
    """Body of template create/replace."""

    # The _check rule below, said in the OpenAPI document: content (not blank) or media, and
    # a caption of at most 1024 characters under media.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                given("content", content={"pattern": "\\S"}),
                given("media"),
            ],
            "allOf": [
                {"anyOf": [left_out("media"), {"properties": {"content": {"maxLength": 1024}}}]}
            ],
        }
    )

    name: Line = Field(min_length=1, max_length=200)
    # Declared before content: content's check reads them.
    variables: list[Annotated[Line, Field(max_length=64)]] = Field(
        default_factory=list, max_length=50
    )
    content: Text | None = Field(default=None, max_length=4096)
    parse_mode: ParseMode | None = None
    media: Media | None = None
    buttons: Buttons | None = None
    # The v2 Campaign API's Telegram call ({"method": "sendPhoto", "photo": "{{1}}", ...}),
    # checked where it is used: a v2 campaign naming this template.
    call: JsonObject | None = Field(default=None, alias="json")

    @field_validator("content")
    @classmethod
    def _variables(cls, content: str | None, info: ValidationInfo) -> str | None:
        problems = []
        unknown = unknown_variables(content or "")
        if unknown:
            problems.append(f"unknown variables: {', '.join(sorted(set(unknown)))}")
        declared = set(info.data.get("variables") or [])
        undeclared = set(variables_in(content or "")) - declared - BUILT_IN
        if undeclared:
            problems.append(f"declare the variables you use: {', '.join(sorted(undeclared))}")
        if problems:
            raise ValueError("; ".join(problems))
        return content

    @model_validator(mode="after")
    def _check(self) -> TemplateInput:
        if not self.content and self.media is None:
            raise ValueError("a template needs content or media")
        if self.media is not None and self.content and len(self.content) > 1024:
            raise ValueError("a media caption is at most 1024 characters")
        return self


def to_message(template: Template) -> dict[str, Any]:
    """The template as a campaign message (the shape the delivery engine sends)."""
    message: dict[str, Any] = {"templateId": f"tmpl_{template.id}", "content": template.content}
    if template.parse_mode:
        message["parseMode"] = template.parse_mode
    if template.media:
        message["media"] = template.media
    if template.buttons:
        message["buttons"] = template.buttons
    return message


async def save_template(
    uow: UnitOfWork, actor: Actor, data: TemplateInput, template: Template | None = None
) -> Template:
    """Create a template or replace one's content."""
    values = data.model_dump(mode="json", by_alias=True, exclude_none=True)
    if template is None:
        template = Template(tenant_id=actor.tenant_id, name=data.name)
        await TemplateRepository(uow.session).add(template)
    template.name = data.name
    template.content = data.content
    template.parse_mode = data.parse_mode
    template.media = values.get("media")
    template.buttons = values.get("buttons")
    template.variables = data.variables
    template.json = values.get("json")
    template.updated_at = uow.clock()
    await uow.flush()
    return template


async def get_template(uow: UnitOfWork, actor: Actor, public_id: str) -> Template:
    """The tenant's template or TEMPLATE_NOT_FOUND."""
    template = await TemplateRepository(uow.session).get(
        actor.tenant_id, parse_id("template", public_id)
    )
    if template is None:
        raise NotFoundError("TEMPLATE_NOT_FOUND", f"No template with id '{public_id}'.")
    return template


async def resolve_templates(
    uow: UnitOfWork, tenant_id: int, refs: list[tuple[str, str]]
) -> dict[str, Template]:
    """Templates by public id; unknown ones are a 400 naming the field (path, id) pairs."""
    found: dict[str, Template] = {}
    problems = []
    repo = TemplateRepository(uow.session)
    for path, ref in refs:
        try:
            template = await repo.get(tenant_id, parse_id("template", ref))
        except NotFoundError:
            template = None
        if template is None:
            problems.append({"field": path, "message": f"no template '{ref}'"})
        else:
            found[ref] = template
    if problems:
        raise ValidationFailed("Unknown templates.", details=problems, code="TEMPLATE_NOT_FOUND")
    return found


async def list_templates(uow: UnitOfWork, actor: Actor, *, page: int, limit: int) -> Page[Template]:
    """A page of the tenant's templates."""
    return await TemplateRepository(uow.session).list(
        actor.tenant_id, offset=(page - 1) * limit, limit=limit
    )


async def delete_template(uow: UnitOfWork, actor: Actor, public_id: str) -> None:
    """Delete a template (schedules naming it fail their next run with a clear reason)."""
    template = await get_template(uow, actor, public_id)
    await TemplateRepository(uow.session).delete(template)
