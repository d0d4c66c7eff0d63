"""Commands on an article. Input is validated at the edge; rules live in the decider."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from workflows.content import ArticleContent
from workflows.publication import Target
from workflows.workflow_definition import WorkflowDefinition

if TYPE_CHECKING:  # the checks engine loads where checks run, not with every command
    from workflows.checks.engine import CheckReport

ALL_SITES = "*"


@dataclass(frozen=True, slots=True)
class ActingUser:
    """The user issuing a command and their roles per site code (`*`: every site)."""

    user_id: str
    site_roles: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def roles_on(self, site: str) -> frozenset[str]:
        """Roles held on one site, including roles granted on every site."""
        return self.site_roles.get(site, frozenset()) | self.site_roles.get(ALL_SITES, frozenset())


@dataclass(frozen=True, slots=True)
class CreateArticle:
    """Draft a new article for a site and its columns, under a resolved workflow."""

    article_id: str
    site: str
    columns: tuple[str, ...]
    content: ArticleContent
    workflow: WorkflowDefinition
    actor: ActingUser


@dataclass(frozen=True, slots=True)
class ImportArticle:
    """Bring over a page the site's previous system published (迁移): created, taken as
    approved and published to its columns with its original date, at once."""

    article_id: str
    site: str
    columns: tuple[str, ...]
    content: ArticleContent
    workflow: WorkflowDefinition
    actor: ActingUser
    source_url: str
    published_at: datetime
    publication_id: str
    now: datetime
    source_system: str = ""


@dataclass(frozen=True, slots=True)
class EditArticle:
    """Replace the content with a new revision.

    `report`: the system checks of the new content; needed when the edit restarts a review.
    """

    article_id: str
    content: ArticleContent
    actor: ActingUser
    report: CheckReport | None = None


@dataclass(frozen=True, slots=True)
class SubmitArticle:
    """Send the current revision into review at the first stage.

    `report`: the system checks of the current revision (the service runs them; the decider
    records them and refuses to enter review on a BLOCK).
    """

    article_id: str
    actor: ActingUser
    report: CheckReport | None = None


@dataclass(frozen=True, slots=True)
class ApproveStage:
    """Approve the current stage for the named revision, attesting gates."""

    article_id: str
    revision: int
    gates: tuple[str, ...]
    actor: ActingUser
    opinion: str = ""
    content_hash: str | None = None
    stage: str | None = None


@dataclass(frozen=True, slots=True)
class ReturnArticle:
    """Return the article to its editor with reasons."""

    article_id: str
    reasons: tuple[str, ...]
    actor: ActingUser
    stage: str | None = None


@dataclass(frozen=True, slots=True)
class SignOff:
    """A leader signs off the reviewed revision."""

    article_id: str
    revision: int
    actor: ActingUser
    opinion: str = ""


@dataclass(frozen=True, slots=True)
class WithdrawArticle:
    """The editor pulls a submission back out of review."""

    article_id: str
    actor: ActingUser
    reason: str = ""


@dataclass(frozen=True, slots=True)
class OverrideFinding:
    """A reviewer accepts a REVIEW finding of the current revision, giving a reason."""

    article_id: str
    finding_id: str
    reason: str
    actor: ActingUser


@dataclass(frozen=True, slots=True)
class RecheckArticle:
    """Check an approved article again, after the dictionaries changed (词库更新后复检)."""

    article_id: str
    actor: ActingUser
    report: CheckReport | None = None


@dataclass(frozen=True, slots=True)
class PublishArticle:
    """Publish the approved revision now, or at `publish_at`, to `targets` (added to the live
    targets when the article is already out, or when an approved correction replaces it)."""

    article_id: str
    actor: ActingUser
    now: datetime
    publication_id: str
    targets: tuple[Target, ...] = ()
    publish_at: datetime | None = None
    expire_at: datetime | None = None
    report: CheckReport | None = None
    notify: bool = False  # push a notification to app users
    mass_send: bool = False  # WeChat: a mass send (群发) to followers, not only a publish
    # The site that answers for each target (its key → site code), resolved by the service
    # from the configuration: publishing to a target needs a publishing role on that site.
    target_sites: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReschedulePublication:
    """Move a scheduled publication, or set or clear the expiry of a scheduled or live one."""

    article_id: str
    actor: ActingUser
    now: datetime
    publish_at: datetime | None = None
    expire_at: datetime | None = None
    clear_expiry: bool = False


@dataclass(frozen=True, slots=True)
class ReleasePublication:
    """The timer of a scheduled publication fired: check again and go live."""

    article_id: str
    actor: ActingUser
    now: datetime
    report: CheckReport | None = None


@dataclass(frozen=True, slots=True)
class RetractArticle:
    """Withdraw the article from every target that received it (or cancel a schedule);
    `expired`: the expiry timer fired."""

    article_id: str
    actor: ActingUser
    now: datetime
    reason: str = ""
    expired: bool = False
    # Withdraw only from the targets of these sites (their staff's own retraction); empty:
    # every target. `target_sites` as in PublishArticle.
    sites: tuple[str, ...] = ()
    target_sites: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ArchiveArticle:
    """Archive an article that is not in review."""

    article_id: str
    actor: ActingUser
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ReuseArticle:
    """Place the live revision of another site's article on columns of the actor's site
    (共享调用): a reference, reviewed where it was written."""

    article_id: str
    actor: ActingUser
    now: datetime
    publication_id: str
    site: str  # the receiving site's code
    targets: tuple[Target, ...]
    target_sites: Mapping[str, str] = field(default_factory=dict)
    reuse_id: str = ""


ArticleCommand = (
    CreateArticle
    | ImportArticle
    | ReuseArticle
    | EditArticle
    | SubmitArticle
    | ApproveStage
    | ReturnArticle
    | SignOff
    | WithdrawArticle
    | ArchiveArticle
    | OverrideFinding
    | RecheckArticle
    | PublishArticle
    | ReschedulePublication
    | ReleasePublication
    | RetractArticle
)
