"""Sessions bound to one municipality (or to none, for platform work)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.db.engine import make_engine
from core.settings import Settings
from tenants.context import TenantBinding
from tenants.isolation import TenantSession


@dataclass
class Database:
    """The app's engine and a session factory whose sessions carry the isolation listeners."""

    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    @classmethod
    def from_url(cls, url: str, *, echo: bool = False, **engine_options: Any) -> Database:
        engine = make_engine(url, echo=echo, **engine_options)
        return cls.from_engine(engine)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        if settings.is_sqlite:
            return cls.from_url(settings.database_url, echo=settings.sql_echo)
        return cls.from_url(
            settings.database_url,
            echo=settings.sql_echo,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )

    @classmethod
    def from_engine(cls, engine: AsyncEngine) -> Database:
        maker = async_sessionmaker(engine, sync_session_class=TenantSession, expire_on_commit=False)
        return cls(engine=engine, sessionmaker=maker)

    @asynccontextmanager
    async def session(self, binding: TenantBinding | None) -> AsyncIterator[AsyncSession]:
        """A session bound to ``binding`` (``None``: platform scope, sees no tenant rows).

        Commits on success and rolls back on any error, so a failed mutation changes nothing.
        """
        async with self.sessionmaker(info={"tenant": binding}) as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()
