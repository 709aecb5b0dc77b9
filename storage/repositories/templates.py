"""Template rows."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models_scheduling import Template
from storage.repositories.paging import Page, fetch_page


class TemplateRepository:
    """Templates of one tenant."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, template: Template) -> Template:
        """Insert a template."""
        self.session.add(template)
        await self.session.flush()
        return template

    async def get(self, tenant_id: int, template_id: int) -> Template | None:
        """One template of the tenant."""
        return await self.session.scalar(
            select(Template).where(Template.id == template_id, Template.tenant_id == tenant_id)
        )

    async def names(self, tenant_id: int, template_ids: Iterable[int]) -> dict[int, str]:
        """The names of these templates of the tenant, by id (one query)."""
        ids = sorted(set(template_ids))
        if not ids:
            return {}
        rows = await self.session.execute(
            select(Template.id, Template.name).where(
                Template.tenant_id == tenant_id, Template.id.in_(ids)
            )
        )
        return {int(template_id): name for template_id, name in rows.all()}

    async def list(self, tenant_id: int, *, offset: int, limit: int) -> Page[Template]:
        """A page of templates, newest first."""
        query = (
            select(Template)
            .where(Template.tenant_id == tenant_id)
            .order_by(Template.created_at.desc(), Template.id.desc())
        )
        return await fetch_page(self.session, query, offset=offset, limit=limit)

    async def delete(self, template: Template) -> None:
        """Remove a template."""
        await self.session.execute(delete(Template).where(Template.id == template.id))
