"""Whether the configured people can finish each workflow where it applies: an author (an
editor of the site) and, for every stage, a different holder of the stage's role, and for
sign-off a leader who is none of them (the decider's separation of duties). A workflow that
nobody can finish would leave articles stuck in review with no warning, so loading refuses it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from hub.setup.directory import Site, User
from workflows.vocabulary import ROLE_LABELS, Role
from workflows.workflow_definition import WorkflowDefinition


def unstaffed_step(
    site: Site, workflow: WorkflowDefinition, users: Iterable[User]
) -> tuple[str, str] | None:
    """The first step (its name and role) nobody distinct from the steps before it can take,
    or None when the workflow can be finished on the site (or nobody drafts there)."""

    def holders(role: str) -> set[str]:
        return {u.id for u in users if role in _roles_on(u, site)}

    if not holders(Role.EDITOR):
        return None  # nobody drafts here (a site that only receives): nothing can get stuck
    steps = [("起草（作者）", Role.EDITOR)]
    steps += [(stage.name, stage.role) for stage in workflow.stages]
    if workflow.signoff.major or workflow.signoff.grades:
        steps.append(("领导签批", workflow.signoff.role))
    for count in range(1, len(steps) + 1):
        if not _assignable([holders(role) for _, role in steps[:count]]):
            name, role = steps[count - 1]
            return name, ROLE_LABELS.get(role, str(role))
    return None


def _roles_on(user: User, site: Site) -> set[str]:
    roles: set[str] = set()
    for key in (site.key, site.code, "*"):
        roles.update(user.roles.get(key, ()))
    return roles


def _assignable(candidates: list[set[str]]) -> bool:
    """Whether each step gets a different person (bipartite matching, augmenting paths)."""
    taken: dict[str, int] = {}

    def place(step: int, seen: set[str]) -> bool:
        for person in candidates[step]:
            if person in seen:
                continue
            seen.add(person)
            if person not in taken or place(taken[person], seen):
                taken[person] = step
                return True
        return False

    return all(place(step, set()) for step in range(len(candidates)))


def check_staffing(
    sites: Iterable[Site],
    users: list[User],
    workflow_for: Callable[[Site, object], WorkflowDefinition],
) -> list[str]:
    """One line per (site, workflow) whose steps the configured people cannot all take."""
    problems = []
    for site in sites:
        seen: set[str] = set()
        for column, _parents in site.walk():
            workflow = workflow_for(site, column)
            if workflow.id in seen:
                continue
            seen.add(workflow.id)
            missing = unstaffed_step(site, workflow, users)
            if missing:
                problems.append(
                    f"站点 {site.key} 的流程 {workflow.id}（{workflow.name}）：环节“{missing[0]}”"
                    f"没有可办理的用户（须有“{missing[1]}”角色，且与作者和其他环节的人员不同）"
                )
    return problems
