"""The JSON HTTP API (`/api/v1`): every article command and query, for machines (API tokens)
and for the web pages' own scripts (session + CSRF header). OpenAPI at /api/openapi.json."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hub.commands.dictionary_records import change_json, dictionary_history
from hub.content.docx_import import import_docx
from hub.content.media import MAX_ATTACHMENT_BYTES, download_name
from hub.runtime.clock import as_beijing, utc_now
from hub.runtime.embedded import EmbeddedHub
from hub.search.query import MAX_QUERY
from hub.supervision.freshness import Countdown, platform_freshness
from hub.web.actions import (
    ACTIONS,
    AcceptBody,
    Action,
    DispatchBody,
    ExtendBody,
    NoteBody,
    OfferBody,
    RequiredReasonBody,
    ReuseBody,
    SubmitUpBody,
    result_json,
)
from hub.web.api_models import (
    AccountHealth,
    ArticleDetail,
    ArticleSummary,
    Delivery,
    Dictionaries,
    DraftCheck,
    Findings,
    Flow,
    HistoryEntry,
    Me,
    PublicationPlan,
    QueueItem,
    RecheckReport,
    SearchAnswer,
    SiteGroup,
    StoredEvent,
    WorkOrder,
    WorkOrderDetail,
)
from hub.web.errors import ERROR_RESPONSES
from hub.web.limits import MAX_CURSOR
from hub.web.publication_plan import publication_plan
from hub.web.search_params import article_query
from hub.web.search_view import MAX_PAGE, page_as_json, search_query
from hub.web.security import (
    SESSION_COOKIE,
    Caller,
    NotLoggedIn,
    caller_of,
    can_see_site,
    check_csrf,
    live_for,
    require_writer,
    visibility,
    visible_article,
    visible_deliveries,
)
from workflows.article_commands import ALL_SITES
from workflows.errors import DomainError
from workflows.publication import Channel
from workflows.vocabulary import Role

Id = Annotated[str, StringConstraints(min_length=1, max_length=80)]


def _aware(moment: datetime) -> datetime:
    """A time from a request: one without a zone is Beijing time."""
    aware = as_beijing(moment)
    assert aware is not None
    return aware


class CommandResponse(BaseModel):
    id: str
    status: str
    revision: int
    content_hash: str
    waiting_for: str | None
    events: list[str]


class CreateBody(BaseModel):
    site: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    columns: list[Annotated[str, StringConstraints(min_length=1, max_length=80)]] = Field(
        min_length=1, max_length=20
    )
    title: Annotated[str, StringConstraints(max_length=200)]
    body_html: Annotated[str, StringConstraints(max_length=200_000)]
    metadata: dict[str, Any] = Field(default_factory=dict, max_length=40)


class DraftBody(CreateBody):
    """A draft as the form holds it (the title may still be empty)."""


class MediaResponse(BaseModel):
    key: str
    url: str
    kind: str
    media_type: str
    size: int
    name: str


class DeliveryFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")
    article: Annotated[str, StringConstraints(max_length=80)] | None = None
    account: Annotated[str, StringConstraints(max_length=80)] | None = None
    status: Annotated[str, StringConstraints(max_length=40)] | None = None


class BulkBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["retry", "cancel"]
    ids: list[Annotated[str, StringConstraints(min_length=1, max_length=80)]] = Field(
        default_factory=list, max_length=5000
    )
    filter: DeliveryFilter | None = None
    reason: Annotated[str, StringConstraints(max_length=500)] = ""


class BulkRefusal(BaseModel):
    id: str
    code: str
    message: str


class BulkResult(BaseModel):
    done: list[dict[str, Any]]
    refused: list[BulkRefusal]


class ImportResponse(BaseModel):
    title: str
    body_html: str
    images: list[MediaResponse]
    messages: list[str]
    metadata: dict[str, str] = Field(default_factory=dict, description="文号、发文机关、成文日期")


async def read_upload(file: UploadFile) -> bytes:
    """An uploaded file's bytes, one past the largest allowed (the store then refuses it)."""
    return await file.read(MAX_ATTACHMENT_BYTES + 1)


BEARER = HTTPBearer(
    scheme_name="api_token", bearerFormat="hubt_…", auto_error=False,
    description="接口令牌：hub token create --as 用户 生成，Authorization: Bearer hubt_…",
)  # fmt: skip
SESSION = APIKeyCookie(
    name=SESSION_COOKIE, scheme_name="login_session", auto_error=False,
    description="工作台登录会话（改动须另带 X-CSRF-Token 头）",
)  # fmt: skip


def router(hub: EmbeddedHub) -> APIRouter:
    api = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)

    async def current(
        request: Request,
        _token: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
        _session: Annotated[str | None, Depends(SESSION)],
    ) -> Caller:
        # The two schemes declare in OpenAPI how to call; caller_of checks either.
        caller = caller_of(request, hub.logins)
        if caller is None:
            raise NotLoggedIn()
        await check_csrf(request, caller)
        return caller

    You = Annotated[Caller, Depends(current)]

    def visible(user: str, article_ref: str) -> str:
        return visible_article(hub, user, article_ref)

    @api.get("/me", response_model=Me, summary="当前用户与角色", tags=["用户"])
    def me(you: You) -> dict[str, Any]:
        user = hub.config.directory.user(you.user_id)
        return {"id": user.id, "name": user.name, "unit": user.unit,
                "roles": {site: [str(r) for r in roles] for site, roles in user.roles.items()},
                "via": you.via}  # fmt: skip

    @api.get(
        "/articles",
        response_model=list[ArticleSummary],
        summary="查找稿件：全文检索、筛选、游标翻页（下一页游标在 X-Next-Cursor 头）",
        tags=["稿件"],
    )
    def list_articles(
        you: You,
        response: Response,
        q: Annotated[str, Query(max_length=100, description="标题与正文（3 字以上检索全文）")] = "",
        site: Annotated[str | None, Query(max_length=40)] = None,
        column: Annotated[str | None, Query(max_length=64)] = None,
        status: Annotated[str | None, Query(max_length=40)] = None,
        author: Annotated[str | None, Query(max_length=64)] = None,
        stage: Annotated[str | None, Query(max_length=40, description="待审环节")] = None,
        updated_from: Annotated[
            date | None, Query(alias="from", description="更新日期起（北京时间）")
        ] = None,
        updated_to: Annotated[
            date | None, Query(alias="to", description="更新日期止（含）")
        ] = None,
        channel: Annotated[Channel | None, Query(description="已发布到的渠道")] = None,
        cursor: Annotated[str | None, Query(max_length=400)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> list[dict[str, Any]]:
        query = article_query(hub, q, site, column, status, author, stage, updated_from,
                              updated_to, channel, cursor, limit)  # fmt: skip
        items, next_cursor = hub.articles.search(query, visibility(hub, you.user_id))
        if next_cursor:
            response.headers["X-Next-Cursor"] = next_cursor
            response.headers["Link"] = f'<?cursor={next_cursor}>; rel="next"'
        return items

    @api.post("/articles", status_code=201, summary="新建稿件", tags=["稿件"])
    def create(body: CreateBody, you: You) -> CommandResponse:
        result = hub.articles.create(
            you.user_id, body.site, body.columns, body.title, body.body_html, body.metadata
        )
        return CommandResponse(**result_json(result))

    @api.get(
        "/articles/{article_id}", response_model=ArticleDetail, summary="稿件详情", tags=["稿件"]
    )
    def show(article_id: Id, you: You) -> dict[str, Any]:
        return hub.articles.show(visible(you.user_id, article_id))

    @api.get(
        "/articles/{article_id}/history",
        response_model=list[HistoryEntry],
        summary="稿件历史（事件时间线）",
        tags=["稿件"],
    )
    def history(article_id: Id, you: You) -> list[dict[str, Any]]:
        return hub.articles.timeline(visible(you.user_id, article_id))

    @api.get(
        "/articles/{article_id}/findings",
        response_model=Findings,
        summary="系统校验结果",
        tags=["稿件"],
    )
    def findings(article_id: Id, you: You) -> dict[str, Any]:
        return hub.articles.findings(visible(you.user_id, article_id))

    @api.get(
        "/articles/{article_id}/plan",
        response_model=PublicationPlan,
        summary="发布计划与预检：我可发布的站点栏目与账号，哪些账号现在会拒收及原因",
        tags=["稿件"],
    )
    def plan(article_id: Id, you: You) -> dict[str, Any]:
        state, _ = hub.articles.state(visible(you.user_id, article_id))
        return publication_plan(hub, state, hub.config.directory.acting(you.user_id))

    def add_action(action: Action) -> None:
        optional = all(not f.is_required() for f in action.body.model_fields.values())

        def run(article_id: Id, you: You, body: Any) -> CommandResponse:
            target = visible(you.user_id, article_id)
            chosen = body if body is not None else action.body()
            return CommandResponse(**result_json(action.run(hub, you.user_id, target, chosen)))

        # The body's model is the action's own (an empty body is fine when nothing is required).
        run.__annotations__["body"] = action.body | None if optional else action.body
        if optional:
            run.__defaults__ = (None,)

        api.add_api_route(
            f"/articles/{{article_id}}/{action.name}",
            run,
            methods=["POST"],
            summary=action.label,
            tags=["稿件"],
            operation_id=f"article_{action.name}",
        )

    for action in ACTIONS.values():
        add_action(action)

    # -- the resource library (用网): references, offers, submissions ----------------------

    def visible_flow(user: str, flow_id: str) -> str:
        actor = hub.config.directory.acting(user)
        flow = hub.reuse.get(flow_id)
        if not (can_see_site(actor, str(flow["to_site"]))
                or can_see_site(actor, str(flow["source_site"]))):  # fmt: skip
            raise DomainError("REUSE_NOT_FOUND", f"没有流转记录 {flow_id}")
        return flow_id

    @api.post("/articles/{article_id}/reuse", response_model=CommandResponse, tags=["资源库"],
              summary="引用（共享调用）：把其他站点已发布的稿件放到本站栏目，沿用来源的三审并随来源更正、撤稿")  # fmt: skip
    def reuse(article_id: Id, body: ReuseBody, you: You) -> CommandResponse:
        state, _ = hub.articles.state(hub.articles.resolve(article_id))
        # What is live is public: any site's staff may find it in the library and reuse it.
        target = state.article_id if state.live is not None else visible(you.user_id, article_id)
        result = hub.reuse.reuse(you.user_id, target, body.to, feeds=body.feeds)
        return CommandResponse(**result_json(result))

    @api.post("/articles/{article_id}/offer", response_model=Flow, tags=["资源库"],
              summary="推送：把本单位审定的稿件推送给其他站点，由对方审核后采用")  # fmt: skip
    def offer(article_id: Id, body: OfferBody, you: You) -> dict[str, Any]:
        flow_id = hub.reuse.offer(you.user_id, visible(you.user_id, article_id), body.to_site,
                                  body.note)  # fmt: skip
        return hub.reuse.get(flow_id)

    @api.post("/articles/{article_id}/submit-up", response_model=Flow, tags=["资源库"],
              summary="信息报送：报送到上级站点，由上级采用或退回")  # fmt: skip
    def submit_up(article_id: Id, you: You, body: SubmitUpBody | None = None) -> dict[str, Any]:
        note = body.note if body else ""
        return hub.reuse.get(hub.reuse.submit(you.user_id, visible(you.user_id, article_id), note))

    @api.get("/articles/{article_id}/reposts", tags=["资源库"],
             summary="转载时效：各站点何时转载（引用或采用）了这份文件，距来源发布多少小时")  # fmt: skip
    def reposts(article_id: Id, you: You) -> dict[str, Any]:
        return hub.reuse.repost_speed(visible(you.user_id, article_id))

    @api.get("/library/flows", response_model=list[Flow], tags=["资源库"],
             summary="收到（direction=in）或推送、报送出去（out）的信息及其状态")  # fmt: skip
    def flows(
        you: You,
        direction: Annotated[str, Query(pattern="^(in|out)$")] = "in",
        site: Annotated[str | None, Query(max_length=40)] = None,
        kind: Annotated[str | None, Query(pattern="^(reference|offer|submission)$")] = None,
        status: Annotated[
            str | None, Query(pattern="^(offered|accepted|declined|withdrawn)$")
        ] = None,
    ) -> list[dict[str, Any]]:
        directory = hub.config.directory
        actor = directory.acting(you.user_id)
        codes = [s.code for s in directory.sites if can_see_site(actor, s.code)]
        if site is not None:
            code = directory.site(site).code
            codes = [code] if code in codes else []
        return hub.reuse.listing(codes, incoming=direction == "in", kind=kind, status=status)

    @api.post("/library/flows/{flow_id}/accept", response_model=Flow, tags=["资源库"],
              summary="采用：在本站建立副本（保留来源），进入本站三审")  # fmt: skip
    def accept(flow_id: Id, body: AcceptBody, you: You) -> dict[str, Any]:
        return hub.reuse.accept(you.user_id, visible_flow(you.user_id, flow_id), body.columns)

    @api.post("/library/flows/{flow_id}/decline", response_model=Flow, tags=["资源库"],
              summary="退回（不予采用），说明理由")  # fmt: skip
    def decline(flow_id: Id, body: RequiredReasonBody, you: You) -> dict[str, Any]:
        return hub.reuse.decline(you.user_id, visible_flow(you.user_id, flow_id), body.reason)

    @api.post("/media", status_code=201, summary="上传图片或附件（正文以返回的 url 引用）",
              tags=["素材"])  # fmt: skip
    async def upload(file: UploadFile, you: You) -> MediaResponse:
        require_writer(hub.config.directory.acting(you.user_id))
        data = await read_upload(file)
        stored = await run_in_threadpool(hub.media.put, data, file.filename or "")
        name = download_name(file.filename or "") if file.filename else ""
        return MediaResponse(**stored.as_dict(name))

    @api.post("/imports/docx", summary="导入 Word 文档（返回标题与正文，不建稿）", tags=["素材"])
    async def import_word(file: UploadFile, you: You) -> ImportResponse:
        require_writer(hub.config.directory.acting(you.user_id))
        data = await read_upload(file)
        document = await run_in_threadpool(import_docx, data, file.filename or "", hub.media)
        return ImportResponse(**document.as_dict())

    @api.post(
        "/checks/draft",
        response_model=DraftCheck,
        summary="校验未保存的稿件（编辑时的即时校验）",
        tags=["稿件"],
    )
    def check_draft(body: DraftBody, you: You) -> dict[str, Any]:
        return hub.articles.check_draft(
            you.user_id, body.site, body.columns, body.title, body.body_html, body.metadata
        )

    @api.get(
        "/sites", response_model=SiteGroup, summary="站群：站点、栏目与渠道账号", tags=["站群"]
    )
    def sites(you: You) -> dict[str, Any]:
        directory = hub.config.directory
        return {
            "sites": [s.model_dump(mode="json") for s in directory.sites],
            "accounts": [
                {"id": a.id, "channel": str(a.channel), "name": a.name, "site": a.site}
                for a in directory.accounts
            ],  # an account's settings may name keys of its platform: not for every caller
        }

    @api.get(
        "/dictionaries",
        response_model=Dictionaries,
        summary="校验词库：现行版本、词条数与变更记录",
        tags=["校验"],
    )
    def dictionaries(you: You) -> dict[str, Any]:
        current = hub.config.dictionaries
        return {
            "version": hub.config.checks.version,
            "terms": current.term_count(),
            "counts": current.counts(),
            "history": [change_json(e) for e in dictionary_history(hub.store)],
        }

    @api.post("/recheck", response_model=RecheckReport, summary="词库更新后复检已审定与已发布的稿件（渠道运维、管理员）",
              tags=["校验"])  # fmt: skip
    def recheck_all(
        you: You, site: Annotated[str | None, Query(max_length=40)] = None
    ) -> dict[str, Any]:
        actor = hub.config.directory.acting(you.user_id)
        sites = [hub.config.directory.site(site).code] if site else [
            s.code for s in hub.config.directory.sites]  # fmt: skip
        if not all(actor.roles_on(code) & {Role.OPERATOR, Role.ADMIN} for code in sites):
            raise DomainError("SITE_ROLE_REQUIRED", "复检须由相关站点的渠道运维或管理员执行")
        return hub.rechecker.run(you.user_id, site).as_dict()

    @api.get(
        "/events",
        response_model=list[StoredEvent],
        summary="事件日志（管理员）：某个全局位置之后的事件",
        tags=["事件"],
    )
    def events(
        you: You,
        after: Annotated[int, Query(ge=0, le=MAX_CURSOR)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[dict[str, Any]]:
        actor = hub.config.directory.acting(you.user_id)
        if Role.ADMIN not in actor.roles_on(ALL_SITES):
            raise DomainError("SITE_ROLE_REQUIRED", "事件日志涵盖全部站点，仅全站管理员可查看")
        return [event.as_dict() for event in hub.store.read_all(after, limit)]

    @api.get("/reviews/queue", response_model=list[QueueItem], summary="待我审核", tags=["审核"])
    def queue(you: You) -> list[dict[str, Any]]:
        return hub.articles.review_queue(you.user_id)

    @api.get("/deliveries", response_model=list[Delivery], summary="投递台账", tags=["投递"])
    def deliveries(
        you: You,
        article: Annotated[str | None, Query(max_length=80)] = None,
        account: Annotated[str | None, Query(max_length=80)] = None,
        status: Annotated[str | None, Query(max_length=40)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> list[dict[str, Any]]:
        rows = hub.delivery_service.find(article, account, status, limit)
        return visible_deliveries(hub, you.user_id, rows)

    @api.get("/accounts/health", response_model=list[AccountHealth], summary="渠道账号健康（熔断、限流、令牌、配额、最近失败）",
             tags=["投递"])  # fmt: skip
    def accounts_health(you: You) -> list[dict[str, Any]]:
        actor = hub.config.directory.acting(you.user_id)
        return [a for a in hub.delivery_service.accounts() if can_see_site(actor, a["site"])]

    @api.post(
        "/deliveries/{delivery_id}/retry",
        response_model=Delivery,
        summary="立即重试投递",
        tags=["投递"],
    )
    def retry(delivery_id: Id, you: You) -> dict[str, Any]:
        return hub.delivery_service.retry(you.user_id, delivery_id)

    @api.post(
        "/deliveries/{delivery_id}/cancel",
        response_model=Delivery,
        summary="取消投递",
        tags=["投递"],
    )
    def cancel(delivery_id: Id, body: RequiredReasonBody, you: You) -> dict[str, Any]:
        return hub.delivery_service.cancel(you.user_id, delivery_id, body.reason)

    @api.post(
        "/deliveries/bulk",
        response_model=BulkResult,
        summary="批量重试或取消投递（按所选编号，或按筛选条件的全部）",
        tags=["投递"],
    )
    def bulk(body: BulkBody, you: You) -> dict[str, Any]:
        ids = list(body.ids)
        if body.filter is not None:
            rows = hub.delivery_service.find(body.filter.article, body.filter.account,
                                             body.filter.status, 5000)  # fmt: skip
            ids += [r["id"] for r in visible_deliveries(hub, you.user_id, rows)]
        if not ids:
            raise DomainError("INVALID_INPUT", "请选择投递，或给出筛选条件")
        return hub.delivery_service.bulk(you.user_id, body.action, ids, body.reason)

    # -- time-travel -----------------------------------------------------------------------

    @api.get("/live", summary="回溯：某一时刻站点（栏目）或账号上在线的稿件、版本、发出时间与审核签发人",
             tags=["投递"])  # fmt: skip
    def live(
        you: You,
        site: Annotated[str | None, Query(max_length=40)] = None,
        column: Annotated[str | None, Query(max_length=64)] = None,
        account: Annotated[str | None, Query(max_length=64)] = None,
        at: Annotated[
            datetime | None, Query(description="时刻（无时区按北京时间；默认现在）")
        ] = None,
    ) -> dict[str, Any]:
        _, moment, items = live_for(hub, you.user_id, site, column, account, at)
        return {"at": moment.isoformat(), "items": [i.as_json() for i in items]}

    @api.get("/search", response_model=SearchAnswer, tags=["检索"],
             summary="一搜即达：各站点在线信息的检索（分词、同义词、文号、频道与分面筛选、高亮）")  # fmt: skip
    def search(
        you: You,
        q: Annotated[str, Query(max_length=MAX_QUERY)] = "",
        site: Annotated[str | None, Query(max_length=40)] = None,
        column: Annotated[str | None, Query(max_length=40)] = None,
        vertical: Annotated[
            str | None, Query(pattern="^(policy|interpretation|service|organisation|news)$")
        ] = None,
        agency: Annotated[str | None, Query(max_length=50)] = None,
        year: Annotated[str | None, Query(pattern=r"^\d{4}$")] = None,
        sort: Annotated[str, Query(pattern="^(relevance|date)$")] = "relevance",
        page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    ) -> dict[str, Any]:
        """Only what is live on the sites is indexed, so every signed-in user may search it."""
        key = hub.config.directory.site(site).key if site else None
        query = search_query(q, key, column, vertical, agency, year, sort, page)
        return page_as_json(hub.search.search(query))

    # -- supervision (管网) ----------------------------------------------------------------

    @api.get("/supervision/freshness", summary="更新情况：各站点栏目、首页与新媒体距单项否决的倒计时",
             tags=["监管"])  # fmt: skip
    def freshness(you: You) -> dict[str, Any]:
        now = utc_now()
        sites, accounts = platform_freshness(hub.config.directory, hub.store, now,
                                             hub.config.settings.freshness_warning_days)  # fmt: skip
        orders = hub.work_orders

        def countdown(c: Countdown) -> dict[str, Any]:
            left = c.days_left(now)
            return {"kind": c.kind, "subject": c.subject, "name": c.name, "category": c.category,
                    "rule_days": c.days, "state": str(c.state),
                    "last_update": c.last_update.isoformat() if c.last_update else None,
                    "days_left": round(left, 2) if left is not None else None}  # fmt: skip

        return {
            "sites": [{"site": s.site, "name": s.name, "vetoes": s.vetoes(),
                       "warnings": s.warnings(),
                       "counts": {w: s.count(w) for w in ("A", "B", "blank")},
                       "countdowns": [countdown(c) for c in s.countdowns]}
                      for s in sites if orders.may_see(you.user_id, s.site)],
            "accounts": [countdown(a) for a in accounts if orders.may_see(you.user_id, a.site)],
        }  # fmt: skip

    @api.get("/work-orders", response_model=list[WorkOrder], summary="工单列表", tags=["监管"])
    def work_orders(
        you: You,
        status: Annotated[Literal["open", "found", "dispatched", "rectified", "closed"] | None,
                          Query()] = "open",
        site: Annotated[str | None, Query(max_length=80)] = None,
        problem: Annotated[str | None, Query(max_length=40)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> list[dict[str, Any]]:  # fmt: skip
        code = hub.config.directory.site(site).code if site else None
        return hub.work_orders.find(status, code, problem, limit, for_user=you.user_id)

    def visible_order(you: Caller, order_ref: str) -> str:
        order_id = hub.work_orders.resolve(order_ref)
        if not hub.work_orders.may_see(you.user_id, str(hub.work_orders.get(order_id)["site"])):
            raise DomainError("WORK_ORDER_NOT_FOUND", f"工单 {order_ref} 不存在")
        return order_id

    @api.get("/work-orders/{order_ref}", response_model=WorkOrderDetail,
             summary="工单详情与全部记录（含证据）", tags=["监管"])  # fmt: skip
    def work_order(order_ref: Id, you: You) -> dict[str, Any]:
        order_id = visible_order(you, order_ref)
        return {**hub.work_orders.get(order_id), "history": hub.work_orders.history(order_id)}

    @api.post("/work-orders/{order_ref}/dispatch", response_model=WorkOrder, summary="派单",
              tags=["监管"])  # fmt: skip
    def dispatch_order(order_ref: Id, body: DispatchBody, you: You) -> dict[str, Any]:
        order_id = visible_order(you, order_ref)
        hub.work_orders.dispatch(you.user_id, order_id, body.unit, _aware(body.deadline), body.note)
        return hub.work_orders.get(order_id)

    @api.post("/work-orders/{order_ref}/rectify", response_model=WorkOrder,
              summary="报告整改完成（等待自动复核）", tags=["监管"])  # fmt: skip
    def rectify_order(order_ref: Id, body: NoteBody, you: You) -> dict[str, Any]:
        order_id = visible_order(you, order_ref)
        hub.work_orders.rectify(you.user_id, order_id, body.note)
        return hub.work_orders.get(order_id)

    @api.post("/work-orders/{order_ref}/return", response_model=WorkOrder, summary="退回整改",
              tags=["监管"])  # fmt: skip
    def return_order(order_ref: Id, body: RequiredReasonBody, you: You) -> dict[str, Any]:
        order_id = visible_order(you, order_ref)
        hub.work_orders.return_(you.user_id, order_id, body.reason)
        return hub.work_orders.get(order_id)

    @api.post("/work-orders/{order_ref}/extend", response_model=WorkOrder, summary="延期",
              tags=["监管"])  # fmt: skip
    def extend_order(order_ref: Id, body: ExtendBody, you: You) -> dict[str, Any]:
        order_id = visible_order(you, order_ref)
        hub.work_orders.extend(you.user_id, order_id, body.reason, _aware(body.until))
        return hub.work_orders.get(order_id)

    @api.post("/work-orders/{order_ref}/close", response_model=WorkOrder,
              summary="销号（复核通过后）", tags=["监管"])  # fmt: skip
    def close_order(order_ref: Id, you: You) -> dict[str, Any]:
        order_id = visible_order(you, order_ref)
        hub.work_orders.close(you.user_id, order_id)
        return hub.work_orders.get(order_id)

    @api.get("/notifications", summary="我的通知（工单的发现、派单、退回、待复核、销号）",
             tags=["监管"])  # fmt: skip
    def notifications(you: You, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
        return {"unread": hub.inbox.unread(you.user_id),
                "items": hub.inbox.latest(you.user_id, limit)}  # fmt: skip

    @api.post("/notifications/read", summary="全部标为已读", tags=["监管"])
    def notifications_read(you: You) -> dict[str, Any]:
        hub.inbox.mark_read(you.user_id, utc_now())
        return {"unread": hub.inbox.unread(you.user_id)}

    @api.get("/supervision/scorecard", summary="检查指标模拟评分（单项否决、扣分、未监测）",
             tags=["监管"])  # fmt: skip
    def scorecard_api(you: You) -> dict[str, Any]:
        from hub.supervision.scorecard import scorecard

        sites, accounts = scorecard(hub.store, hub.config.directory, hub.work_orders, utc_now(),
                                    hub.config.settings.freshness_warning_days)  # fmt: skip

        def card(c: Any) -> dict[str, Any]:
            return {"subject": c.subject, "name": c.name, "site": c.site, "kind": c.kind,
                    "verdict": c.verdict, "score": c.score,
                    "items": [vars(i) for i in c.items]}  # fmt: skip

        seen = hub.work_orders.may_see
        return {"sites": [card(c) for c in sites if seen(you.user_id, c.site)],
                "accounts": [card(a) for a in accounts if seen(you.user_id, a.site)]}  # fmt: skip

    @api.get("/supervision/reports/annual", summary="年度报表数据（每个数字附明细链接）",
             tags=["监管"])  # fmt: skip
    def annual_api(
        you: You, year: Annotated[int, Query(ge=2000, le=2100)],
        site: Annotated[str, Query(max_length=80)],
    ) -> list[dict[str, Any]]:  # fmt: skip
        from hub.supervision.reports import annual_figures

        found = hub.config.directory.site(site)
        if not hub.work_orders.may_see(you.user_id, found.code):
            raise DomainError("SITE_UNKNOWN", f"站点 {site} 不存在")
        return [vars(f) for f in annual_figures(hub.store, hub.config.directory, found, year)]

    return api
