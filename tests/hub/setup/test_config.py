"""Configuration is validated when loaded, with messages that say what is wrong and where."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hub.runtime.embedded import EmbeddedHub
from hub.setup.config import ConfigError, load_config


def edit(config_dir: Path, name: str, change) -> None:
    path = config_dir / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def error_of(config_dir: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(config_dir)
    return info.value.message


def test_demo_configuration_loads(config_dir: Path) -> None:
    config = load_config(config_dir)
    assert len(config.directory.sites) == 4
    assert all(len(site.code) == 10 for site in config.directory.sites)
    gov = config.directory.site("gov")
    assert config.workflow_for(gov, gov.column("policy-gov")).id == "policy_documents"
    assert config.workflow_for(gov, gov.column("notices")).id == "standard"
    assert gov.column("政策解读") is not None  # by unique name as well as by id


def test_unknown_role_in_a_stage(config_dir: Path) -> None:
    edit(
        config_dir, "workflows.yaml", lambda d: d["workflows"][0]["stages"][0].update(role="chief")
    )
    message = error_of(config_dir)
    assert "workflows.yaml" in message and "stages.0.role" in message


def test_stage_without_gates(config_dir: Path) -> None:
    edit(config_dir, "workflows.yaml", lambda d: d["workflows"][0]["stages"][1].update(gates=[]))
    assert "没有配置把关项" in error_of(config_dir)


def test_duplicate_stage(config_dir: Path) -> None:
    edit(config_dir, "workflows.yaml", lambda d: d["workflows"][0]["stages"][1].update(id="first"))
    assert "duplicate stage" in error_of(config_dir)


def test_unknown_gate(config_dir: Path) -> None:
    edit(
        config_dir,
        "workflows.yaml",
        lambda d: d["workflows"][0]["stages"][0].update(gates=["wording", "beauty"]),
    )
    assert "gates" in error_of(config_dir)


def test_assignment_to_unknown_workflow_site_or_column(config_dir: Path) -> None:
    edit(config_dir, "workflows.yaml", lambda d: d["assignments"].update(default="missing"))
    assert "默认流程" in error_of(config_dir)
    edit(
        config_dir,
        "workflows.yaml",
        lambda d: d["assignments"].update(
            default="standard", rules=[{"site": "gov", "column": "nope", "workflow": "standard"}]
        ),
    )
    assert "没有栏目" in error_of(config_dir)
    edit(
        config_dir,
        "workflows.yaml",
        lambda d: d["assignments"].update(rules=[{"site": "mars", "workflow": "standard"}]),
    )
    assert "未知站点" in error_of(config_dir)


def test_bad_site_code_duplicate_keys_and_unknown_user_site(config_dir: Path) -> None:
    edit(config_dir, "sites.yaml", lambda d: d["sites"][0].update(code="123"))
    assert "sites.0.code" in error_of(config_dir)
    edit(config_dir, "sites.yaml", lambda d: d["sites"][0].update(code="9900000001", key="drc"))
    assert "站点 key重复" in error_of(config_dir)
    edit(config_dir, "sites.yaml", lambda d: d["sites"][0].update(key="gov"))
    edit(config_dir, "users.yaml", lambda d: d["users"][0].update(roles={"mars": ["editor"]}))
    assert "未知站点" in error_of(config_dir)


def test_broken_yaml_and_missing_folder(config_dir: Path, tmp_path: Path) -> None:
    (config_dir / "users.yaml").write_text("users: [\n", encoding="utf-8")
    assert "YAML" in error_of(config_dir)
    with pytest.raises(ConfigError):
        load_config(tmp_path / "nowhere")


@pytest.mark.parametrize("workers", [0, 65, "many"])
def test_delivery_workers_out_of_range_is_refused_with_its_place(
    config_dir: Path, workers: object
) -> None:
    edit(config_dir, "hub.yaml", lambda d: d.update(delivery_workers=workers))
    message = error_of(config_dir)
    assert "hub.yaml" in message and "delivery_workers" in message


def test_delivery_workers_reach_the_engine(config_dir: Path) -> None:
    edit(config_dir, "hub.yaml", lambda d: d.update(delivery_workers=7))
    with EmbeddedHub.open(config_dir) as hub:
        assert hub.deliveries.workers == 7


def test_channel_urls_follow_the_sandbox_port_unless_set(
    config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HUB_JPUSH_URL", "HUB_WECHAT_URL", "HUB_WEIBO_URL", "HUB_SANDBOX_PORT"):
        monkeypatch.delenv(name, raising=False)
    moved = load_config(config_dir, {"sandbox_port": 9123}).settings
    assert moved.jpush_url == moved.wechat_url == moved.weibo_url == "http://127.0.0.1:9123"
    monkeypatch.setenv("HUB_WECHAT_URL", "https://api.weixin.qq.com")
    explicit = load_config(config_dir, {"sandbox_port": 9123}).settings
    assert explicit.wechat_url == "https://api.weixin.qq.com"
    assert explicit.weibo_url == "http://127.0.0.1:9123"


def test_a_workflow_nobody_can_finish_is_refused_naming_the_site_and_stage(
    config_dir: Path,
) -> None:
    def without(user_id: str) -> None:
        edit(config_dir, "users.yaml",
             lambda d: d.update(users=[u for u in d["users"] if u["id"] != user_id]))  # fmt: skip

    without("songjie")  # drc keeps two reviewers for three stages
    message = error_of(config_dir)
    assert "站点 drc" in message and "终审" in message
    assert "edu" not in message


def test_sign_off_needs_a_leader_who_did_not_review(config_dir: Path) -> None:
    edit(config_dir, "users.yaml",
         lambda d: d.update(users=[u for u in d["users"] if u["id"] != "sunhao"]))  # fmt: skip
    message = error_of(config_dir)
    assert "站点 city" in message and "领导签批" in message


# Every demo site's own people take an article through its reviews (and a major one through
# the leader's sign-off): author, three different reviewers, a leader who reviewed nothing.
DEMO_FLOWS = {
    "drc": ("zhoumin", ["wujun", "songjie", "xuhui"], "hegang"),
    "edu": ("sunyan", ["mahong", "hanxue", "guoping"], "luoyi"),
    "city": ("linfang", ["huangbo", "yangfan", "zhengkai"], "sunhao"),
    "gov": ("zhangwei", ["liting", "wangqiang", "chenjing"], "zhaolei"),
}


@pytest.mark.parametrize("site", DEMO_FLOWS)
def test_every_demo_site_can_finish_its_reviews_and_sign_offs(site: str, hub) -> None:
    author, reviewers, leader = DEMO_FLOWS[site]
    created = hub.articles.create(author, site, ["notices"], "关于开展自查工作的通知",
                                  "<p>各有关单位：现将有关事项通知如下。</p>",
                                  metadata={"major": True})  # fmt: skip
    article = created.article_id
    hub.articles.submit(author, article)
    state, _ = hub.articles.state(article)
    for user, stage in zip(reviewers, state.workflow.stages, strict=True):
        hub.articles.approve(user, article, list(stage.gates))
    hub.articles.sign_off(leader, article)
    assert hub.articles.state(article)[0].status == "approved"


def test_a_site_without_its_required_footer_items_is_refused(config_dir: Path) -> None:
    edit(config_dir, "sites.yaml", lambda d: d["sites"][1]["footer"].update(icp="", contact=""))
    message = error_of(config_dir)
    assert "sites.yaml" in message and "站点 drc" in message
    assert "ICP 备案号" in message and "联系方式" in message


@pytest.mark.parametrize(
    ("location", "says"),
    [
        ("mysql://root@db/hub", "不支持的数据库类型"),
        ("sqlite://host/x.db", "不能包含主机名"),
        ("sqlite:///", "缺少文件路径"),
    ],
)
def test_a_database_location_the_hub_cannot_use_is_refused_at_load(
    config_dir: Path, location: str, says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_DATABASE", location)
    message = error_of(config_dir)
    assert "database" in message and says in message


def test_database_locations_resolve_and_hide_their_password(
    config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_DATABASE", "sqlite:///var/other.sqlite3")
    assert load_config(config_dir).database == str(config_dir.parent / "var/other.sqlite3")
    url = "postgresql://hub:s3cret@db.example:5432/hub"
    monkeypatch.setenv("HUB_DATABASE", url)
    config = load_config(config_dir)
    assert config.database == url
    assert config.database_shown == "postgresql://hub:***@db.example:5432/hub"
