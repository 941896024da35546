"""Per-project hosted-tool permissions: ``projects.<name>.hosted_tools: {tool: true|false}``.

Only the tools listed are managed (``file_search``, ``web_search``, ``image_generation``,
``mcp``, ``code_interpreter``; all enabled initially). One idempotent update per project
sends exactly the tools that differ (the API merges per tool). Not exported (one read per
project): add the key by hand to manage it.
"""

from __future__ import annotations

from airflow_provider_openai_projects.orgfile.changes import PHASE_SETTINGS, Change
from airflow_provider_openai_projects.orgfile.handlers._project_settings import declaring, read_one, target
from airflow_provider_openai_projects.orgfile.handlers.base import ApplyContext, PlanContext

FAMILY = "hosted_tools"
TOOLS = ("file_search", "web_search", "image_generation", "mcp", "code_interpreter")


class HostedToolsHandler:
    family = FAMILY

    def plan(self, ctx: PlanContext) -> list[Change]:
        changes: list[Change] = []
        for name, project, wanted in declaring(ctx, FAMILY):
            if project is None:
                live = dict.fromkeys(TOOLS, True)
            else:
                read = [
                    read_one(
                        ctx, FAMILY, TOOLS, ctx.reader.client.get_project_hosted_tool_permissions, str(project["id"])
                    )
                ]
                live = {tool: bool((read[0].get(tool) or {}).get("enabled", True)) for tool in TOOLS}
            after = {tool: bool(enabled) for tool, enabled in wanted.items() if live[tool] != bool(enabled)}
            if after:
                changes.append(
                    Change(
                        FAMILY,
                        "update",
                        name,
                        "hosted tools",
                        {tool: live[tool] for tool in after},
                        after,
                        False,
                        PHASE_SETTINGS,
                        target=target(project),
                    )
                )
        return changes

    def apply(self, change: Change, ctx: ApplyContext) -> int:
        tools = {tool: {"enabled": enabled} for tool, enabled in (change.after or {}).items()}
        ctx.client.update_project_hosted_tool_permissions(ctx.project_id(change), **tools)  # type: ignore[arg-type]
        return 1
