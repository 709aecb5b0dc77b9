"""Issue 11, item 5: SQL lives in storage/ only, and core never imports an edge.

Read statically (AST), so a module that is never imported by a test is checked too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKED_DIRS = ("core", "api", "bot", "scheduler")
EDGES = ("api", "bot", "scheduler")
# Calls that run SQL when made on a session or connection.
DB_METHODS = {"get", "execute", "scalar", "scalars"}
DB_HOLDERS = {"session", "connection"}
# Statement builders that have no business outside storage/.
SQL_BUILDERS = {"text", "select", "update", "insert", "delete"}


def checked_files() -> list[Path]:
    files = sorted(ROOT.glob("*.py"))
    for folder in CHECKED_DIRS:
        files += sorted((ROOT / folder).rglob("*.py"))
    return files


def _holder_name(node: ast.expr) -> str | None:
    """`session` for `session`, `uow.session`, `self._session`; None for anything else."""
    if isinstance(node, ast.Name):
        name = node.id
    elif isinstance(node, ast.Attribute):
        name = node.attr
    else:
        return None
    name = name.lstrip("_")
    return name if name in DB_HOLDERS else None


def _is_sqlalchemy(module: str | None) -> bool:
    return module is not None and (module == "sqlalchemy" or module.startswith("sqlalchemy."))


def sql_violations(source: str, filename: str = "<source>") -> list[str]:
    """Each database call or SQLAlchemy statement built in `source`, as `line: what`."""
    tree = ast.parse(source, filename)
    builders: dict[str, str] = {}  # local name -> sqlalchemy builder it stands for
    modules: set[str] = set()  # local names bound to a sqlalchemy module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and _is_sqlalchemy(node.module):
            for alias in node.names:
                if alias.name in SQL_BUILDERS:
                    builders[alias.asname or alias.name] = alias.name
                elif alias.name in ("sql", "future", "expression"):
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _is_sqlalchemy(alias.name):
                    modules.add(alias.asname or alias.name.split(".")[0])
    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in DB_METHODS:
            holder = _holder_name(func.value)
            if holder is not None:
                found.append(f"{node.lineno}: {holder}.{func.attr}(...)")
        if isinstance(func, ast.Name) and func.id in builders:
            found.append(f"{node.lineno}: sqlalchemy {builders[func.id]}(...)")
        if (
            isinstance(func, ast.Attribute)
            and func.attr in SQL_BUILDERS
            and isinstance(func.value, ast.Name)
            and func.value.id in modules
        ):
            found.append(f"{node.lineno}: sqlalchemy {func.attr}(...)")
    return sorted(found, key=lambda problem: int(problem.split(":")[0]))


def edge_imports(source: str, filename: str = "<source>") -> list[str]:
    """Each import of api/, bot/ or scheduler/ in `source`, as `line: module`."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            if name.split(".")[0] in EDGES:
                found.append(f"{node.lineno}: {name}")
    return found


def test_the_checks_cover_the_project() -> None:
    names = {path.relative_to(ROOT).parts[0] for path in checked_files()}
    assert {"core", "api", "bot", "scheduler", "runtime.py"} <= names


@pytest.mark.parametrize(
    "source",
    [
        "async def f(uow):\n    return await uow.session.get(Campaign, 1)\n",
        "async def f(session):\n    await session.execute(q)\n",
        "async def f(self):\n    await self._connection.scalar(q)\n",
        "async def f(connection):\n    return await connection.scalars(q)\n",
        "from sqlalchemy import text\nQ = text('SELECT 1')\n",
        "from sqlalchemy import select as sel\nQ = sel(Campaign)\n",
        "import sqlalchemy as sa\nQ = sa.update(Campaign)\n",
        "from sqlalchemy.sql import expression\nQ = expression.delete(Campaign)\n",
    ],
)
def test_the_sql_check_finds_database_access(source: str) -> None:
    assert sql_violations(source)


@pytest.mark.parametrize(
    "source",
    [
        "async def f(uow):\n    return await CampaignRepository(uow.session).by_id(1)\n",
        "def f(data):\n    return data.get('status')\n",
        "def insert(rows):\n    return rows\nX = insert([])\n",
        "from sqlalchemy.ext.asyncio import AsyncSession\n",
    ],
)
def test_the_sql_check_leaves_other_code_alone(source: str) -> None:
    assert not sql_violations(source)


def test_the_edge_check_finds_edge_imports() -> None:
    source = "import bot.views\nfrom api.app import x\ndef f():\n    from scheduler import leader\n"
    assert [line.split(": ")[1] for line in edge_imports(source)] == [
        "bot.views",
        "api.app",
        "scheduler",
    ]
    assert not edge_imports("from core.uow import UnitOfWork\nfrom . import botany\n")


def test_no_sql_outside_storage() -> None:
    problems = [
        f"{path.relative_to(ROOT)}:{problem}"
        for path in checked_files()
        for problem in sql_violations(path.read_text(encoding="utf-8"), str(path))
    ]
    assert not problems, "SQL belongs behind a storage/ repository:\n" + "\n".join(problems)


def test_core_imports_no_edge() -> None:
    problems = [
        f"{path.relative_to(ROOT)}:{problem}"
        for path in sorted((ROOT / "core").rglob("*.py"))
        for problem in edge_imports(path.read_text(encoding="utf-8"), str(path))
    ]
    assert not problems, "core must not import api/, bot/ or scheduler/:\n" + "\n".join(problems)


# `# type: ignore[code]` followed by `# why`; anything else silences mypy without saying why.
EXPLAINED_IGNORE = re.compile(r"#\s*type:\s*ignore\[[\w,-]+\]\s+#\s*\S")
ANY_IGNORE = re.compile(r"#\s*type:\s*ignore")


def unexplained_ignores(source: str) -> list[int]:
    """Line numbers of `type: ignore` comments without an error code and a reason."""
    return [
        number
        for number, line in enumerate(source.splitlines(), start=1)
        if ANY_IGNORE.search(line) and not EXPLAINED_IGNORE.search(line)
    ]


def test_the_ignore_check_wants_a_code_and_a_reason() -> None:
    assert unexplained_ignores("x = f()  # type: ignore\ny = g()  # type: ignore[arg-type]") == [
        1,
        2,
    ]
    assert unexplained_ignores("x = f()  # type: ignore[arg-type]  # aiogram binds it") == []


def test_every_type_ignore_says_why() -> None:
    found = {
        str(path.relative_to(ROOT)): lines
        for path in checked_files() + sorted((ROOT / "storage").rglob("*.py"))
        if (lines := unexplained_ignores(path.read_text()))
    }
    assert found == {}
