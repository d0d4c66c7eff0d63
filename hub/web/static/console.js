// 发布中枢工作台: the rich-text editor (progressive: the plain textarea works without it),
// paste cleanup, and the live delivery board (server-sent events).
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

  // Structure an editor keeps when pasting (Word, web pages): everything else is unwrapped.
  const KEEP = new Set(["P", "BR", "H1", "H2", "H3", "H4", "STRONG", "B", "EM", "I", "U", "UL",
    "OL", "LI", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD", "A", "IMG", "BLOCKQUOTE", "SUB", "SUP"]);
  const ATTRS = { A: ["href"], IMG: ["src", "alt"], TD: ["colspan", "rowspan"], TH: ["colspan", "rowspan"] };

  function cleanNode(node) {
    for (const child of Array.from(node.childNodes)) {
      if (child.nodeType === Node.COMMENT_NODE) { child.remove(); continue; }
      if (child.nodeType !== Node.ELEMENT_NODE) continue;
      const tag = child.tagName;
      if (["SCRIPT", "STYLE", "META", "LINK", "TITLE", "XML", "IFRAME", "OBJECT"].includes(tag)) {
        child.remove(); continue;
      }
      cleanNode(child);
      if (!KEEP.has(tag)) { child.replaceWith(...Array.from(child.childNodes)); continue; }
      const allowed = ATTRS[tag] || [];
      for (const attr of Array.from(child.attributes)) {
        if (!allowed.includes(attr.name)) child.removeAttribute(attr.name);
      }
      for (const name of ["href", "src"]) {
        const value = child.getAttribute(name);
        if (value && !/^(https?:|\/|mailto:)/i.test(value.trim())) child.removeAttribute(name);
      }
    }
  }

  function cleanHtml(html) {
    const doc = new DOMParser().parseFromString(html, "text/html");
    cleanNode(doc.body);
    return doc.body.innerHTML;
  }

  function setupEditor(editor) {
    const textarea = document.getElementById(editor.dataset.for);
    const toolbar = document.querySelector(`.toolbar[data-for="${editor.dataset.for}"]`);
    editor.innerHTML = cleanHtml(textarea.value);
    editor.hidden = false; toolbar.hidden = false; textarea.hidden = true;
    const sync = () => { textarea.value = editor.innerHTML; };
    editor.addEventListener("input", sync);
    editor.addEventListener("paste", (event) => {
      const html = event.clipboardData.getData("text/html");
      if (!html) return;
      event.preventDefault();
      document.execCommand("insertHTML", false, cleanHtml(html));
      sync();
    });
    toolbar.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (!button) return;
      editor.focus();
      const cmd = button.dataset.cmd;
      if (cmd === "table") {
        const rows = parseInt(prompt("行数", "3") || "0", 10), cols = parseInt(prompt("列数", "3") || "0", 10);
        if (rows > 0 && cols > 0 && rows <= 50 && cols <= 20) {
          const cell = "<td>&nbsp;</td>".repeat(cols);
          document.execCommand("insertHTML", false, `<table><tbody>${`<tr>${cell}</tr>`.repeat(rows)}</tbody></table><p></p>`);
        }
      } else if (cmd === "image" || cmd === "attachment") {
        chooseAndUpload(cmd, (stored) => {
          editor.focus();
          if (stored.kind === "image") {
            const img = document.createElement("img");
            img.src = stored.url; img.alt = prompt("图片说明", "") || "";
            document.execCommand("insertHTML", false, img.outerHTML);
          } else {
            const link = document.createElement("a");
            link.href = stored.url; link.textContent = `附件：${stored.name || "下载"}`;
            document.execCommand("insertHTML", false, `<p>${link.outerHTML}</p>`);
          }
          sync();
        });
      } else if (cmd === "link") {
        const href = prompt("链接地址", "https://");
        if (href && /^(https?:|\/|mailto:)/i.test(href.trim())) document.execCommand("createLink", false, href.trim());
      } else {
        document.execCommand(cmd, false, button.dataset.arg ? `<${button.dataset.arg}>` : null);
      }
      sync();
    });
    editor.closest("form").addEventListener("submit", sync);

    // Images and attachments go to the hub's media store; the body links to what it keeps.
    const picker = document.querySelector(`input.upload[data-for="${editor.dataset.for}"]`);
    let uploaded = null;
    function chooseAndUpload(kind, done) {
      picker.accept = kind === "image" ? "image/png,image/jpeg,image/gif,image/webp" : "";
      picker.value = "";
      uploaded = done;
      picker.click();
    }
    picker.addEventListener("change", async () => {
      const file = picker.files[0];
      if (!file || !uploaded) return;
      const body = new FormData();
      body.append("file", file);
      const response = await fetch("/api/v1/media", {
        method: "POST", body, credentials: "same-origin", headers: { "X-CSRF-Token": csrf },
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) {
        alert((answer.error && answer.error.message) || "上传失败");
        return;
      }
      uploaded(answer);
    });
  }

  document.querySelectorAll(".editor[contenteditable]").forEach(setupEditor);

  // While an editor types, the system checks run on the form as it is (POST /api/v1/checks/
  // draft): field errors appear under their fields, findings beside the text.
  const form = document.getElementById("article-form");
  const panel = document.getElementById("draft-check");
  if (form && panel && window.fetch) {
    panel.hidden = false;
    const list = document.getElementById("check-findings");
    const state = document.getElementById("check-state");
    const value = (name) => (form.elements[name] ? form.elements[name].value : "");
    const checked = (name) => Boolean(form.elements[name] && form.elements[name].checked);
    let timer = null, running = 0;
    const clearErrors = () => form.querySelectorAll(".field-error").forEach((e) => e.remove());
    const showError = (field, message) => {
      const name = field.replace(/^metadata\./, "").replace(/^content\./, "");
      const input = form.elements[name] || form.elements.title;
      const note = document.createElement("small");
      note.className = "field-error"; note.textContent = message;
      input.setAttribute("aria-invalid", "true");
      input.closest("label, .field")?.append(note);
    };
    async function runCheck() {
      const placement = value("column") || `${form.dataset.site}/${form.dataset.column}`;
      const [site, column] = placement.split("/");
      if (!site || !column) return;
      const ticket = ++running;
      state.textContent = "校验中…";
      const body = {
        site, columns: [column], title: value("title"), body_html: value("body_html"),
        metadata: {
          source: value("source"), author: value("author"), summary: value("summary"),
          keywords: value("keywords").split(/[,，;；\s]+/).filter(Boolean),
          doc_number: value("doc_number"), issuing_agency: value("issuing_agency"),
          index_number: value("index_number"), subject_category: value("subject_category"),
          disclosure_type: value("disclosure_type") || "proactive",
          disclosure_reason: value("disclosure_reason"), pii_exemption: value("pii_exemption"),
          written_date: value("written_date") || null, sensitivity: value("sensitivity") || "normal",
          major: checked("major"), repost: checked("repost"),
        },
      };
      const response = await fetch("/api/v1/checks/draft", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(body),
      });
      if (ticket !== running) return; // a newer check is on its way
      const answer = await response.json().catch(() => ({}));
      clearErrors();
      form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
      list.replaceChildren();
      if (!response.ok) { state.textContent = (answer.error && answer.error.message) || "校验失败"; return; }
      answer.errors.forEach((e) => showError(e.field, e.message));
      answer.findings.forEach((f) => {
        const item = document.createElement("li");
        item.className = `sev-${f.severity.toLowerCase()}`;
        item.dataset.rule = f.rule;
        const where = f.field === "body" ? "正文" : f.field === "title" ? "标题" : f.field;
        item.textContent = `${f.rule}（${where}）${f.message}${f.text ? `：“${f.text}”` : ""}${f.fix ? ` → 建议“${f.fix}”` : ""}`;
        list.append(item);
        if (f.field.startsWith("metadata.")) showError(f.field, `${f.rule} ${f.message}`);
      });
      const blocking = answer.findings.filter((f) => f.severity === "BLOCK").length;
      state.textContent = answer.errors.length ? "有字段需要修改"
        : answer.findings.length ? `发现 ${answer.findings.length} 处问题${blocking ? `，其中 ${blocking} 处将阻止送审` : ""}`
        : "未发现问题";
    }
    const later = () => { clearTimeout(timer); timer = setTimeout(runCheck, 1200); };
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    document.getElementById("check-now").addEventListener("click", runCheck);
    runCheck();
  }

  // The delivery board: rows arrive over SSE and replace (or join) the table.
  const board = document.getElementById("deliveries");
  if (board && window.EventSource) {
    const live = document.getElementById("live");
    const source = new EventSource(board.dataset.stream);
    source.addEventListener("open", () => live.classList.add("on"));
    source.addEventListener("error", () => live.classList.remove("on"));
    source.addEventListener("delivery", (event) => {
      const data = JSON.parse(event.data);
      const holder = document.createElement("tbody");
      holder.innerHTML = data.html;
      const row = holder.firstElementChild;
      row.querySelectorAll('input[name="csrf_token"]').forEach((input) => { input.value = csrf; });
      const old = document.getElementById(row.id);
      if (!old) { board.tBodies[0].prepend(row); return; }
      // A live update keeps what the operator did to the row: its tick for a bulk action,
      // a cancel reason being typed, and the focus.
      const focused = old.contains(document.activeElement) ? document.activeElement : null;
      old.querySelectorAll("input[name]").forEach((input) => {
        const twin = row.querySelector(`input[name="${input.name}"]`);
        if (!twin || input.name === "csrf_token") return;
        if (input.type === "checkbox") twin.checked = input.checked; else twin.value = input.value;
      });
      old.replaceWith(row);
      if (focused && focused.name) row.querySelector(`[name="${focused.name}"]`)?.focus();
    });
    source.addEventListener("counts", (event) => {
      const counts = JSON.parse(event.data);
      document.getElementById("counts").textContent = `全部：${counts.total}`;
      const rollup = document.getElementById("rollup");
      if (!rollup) return;
      const rows = [["渠道", counts.channels], ["站点", counts.sites]].flatMap(([kind, group]) =>
        Object.entries(group).map(([name, line]) => {
          const tr = document.createElement("tr");
          for (const text of [kind, name, line]) {
            const td = document.createElement("td"); td.textContent = text; tr.append(td);
          }
          return tr;
        }));
      rollup.tBodies[0].replaceChildren(...rows);
      rollup.hidden = !rows.length;
    });
  }
})();

// 全选 in the publication plan: every column, or every column of one site.
document.addEventListener("change", event => {
  const box = event.target.closest("input[data-select-all]");
  if (!box) return;
  const scope = box.dataset.selectAll === "site" ? box.closest("[data-site]") : box.closest("form");
  scope.querySelectorAll('input[name="to"]').forEach(input => {
    if (input.closest("details") || box.dataset.selectAll === "site") input.checked = box.checked;
  });
});

// Never lose work: the form is kept in this browser while it is typed (every few seconds),
// offered back when the same form opens again (after a re-login too), and forgotten only
// once the hub confirms it saved (the page's notice). A warning comes before the session's
// 30 idle minutes run out; editors of one article see each other.
(function () {
  const user = document.querySelector('meta[name="hub-user"]')?.content;
  if (!user || !window.localStorage) return;
  const keyOf = (path) => `hub-draft:${user}:${path}`;
  const done = document.querySelector(".notice[data-done]")?.dataset.done;
  const articleId = location.pathname.split("/")[3];
  if (done === "saved") localStorage.removeItem(keyOf("/console/articles/new"));
  if (done === "revised") localStorage.removeItem(keyOf(`/console/articles/${articleId}/edit`));

  const form = document.getElementById("article-form");
  if (form) {
    const key = keyOf(new URL(form.action).pathname);
    const fields = () => {
      const values = {};
      for (const el of form.elements) {
        if (!el.name || el.name === "csrf_token" || el.type === "file") continue;
        values[el.name] = el.type === "checkbox" ? el.checked : el.value;
      }
      return values;
    };
    const fill = (values) => {
      for (const [name, value] of Object.entries(values)) {
        const el = form.elements[name];
        if (!el || el instanceof RadioNodeList) continue;
        if (el.type === "checkbox") el.checked = Boolean(value); else el.value = value;
      }
      const editor = form.querySelector(".editor");
      if (editor && values.body_html !== undefined) editor.innerHTML = values.body_html;
    };
    const saved = JSON.parse(localStorage.getItem(key) || "null");
    const start = JSON.stringify(fields());
    if (saved && JSON.stringify(saved.values) !== start) {
      const box = document.querySelector(".draft-recovery");
      box.querySelector("time").textContent = new Date(saved.at).toLocaleString("zh-CN");
      box.hidden = false;
      box.querySelector("[data-restore]").addEventListener("click", () => {
        fill(saved.values); box.hidden = true;
      });
      box.querySelector("[data-discard]").addEventListener("click", () => {
        localStorage.removeItem(key); box.hidden = true;
      });
    }
    let timer = null;
    const keep = () => {
      const now = JSON.stringify(fields());
      if (now !== start) localStorage.setItem(key, JSON.stringify({at: Date.now(), values: fields()}));
    };
    const soon = () => { clearTimeout(timer); timer = setTimeout(keep, 1500); };
    form.addEventListener("input", soon);
    form.addEventListener("change", soon);
    form.addEventListener("submit", keep);
    if (form.dataset.article) {
      const note = document.querySelector(".presence");
      const csrf = document.querySelector('meta[name="csrf-token"]').content;
      const report = async () => {
        const answer = await fetch(`/console/articles/${form.dataset.article}/presence`,
          {method: "POST", headers: {"X-CSRF-Token": csrf}});
        if (!answer.ok) return;
        const others = (await answer.json()).others;
        note.hidden = !others.length;
        note.textContent = others.length ? `${others.join("、")} 也正在编辑此稿件，保存前请与其确认` : "";
      };
      report(); setInterval(report, 20000);
    }
  }

  const warning = document.querySelector(".session-warning");
  if (warning) {
    const idle = 25 * 60 * 1000;  // the session ends after 30 idle minutes
    let warn = setTimeout(() => { warning.hidden = false; }, idle);
    warning.querySelector("[data-keepalive]").addEventListener("click", async () => {
      const answer = await fetch("/console/keepalive", {credentials: "same-origin"});
      if (answer.ok) {
        warning.hidden = true; clearTimeout(warn);
        warn = setTimeout(() => { warning.hidden = false; }, idle);
      }
    });
  }
})();

// On a phone the lists are cards: each cell says which column it is (from the table's head).
(function () {
  const label = (table) => {
    const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    table.querySelectorAll("tbody tr").forEach((tr) => {
      [...tr.children].forEach((td, i) => { if (heads[i] && !td.dataset.label) td.dataset.label = heads[i]; });
    });
  };
  document.querySelectorAll("table.list").forEach((table) => {
    label(table);
    new MutationObserver(() => label(table)).observe(table, {childList: true, subtree: true});
  });
})();

// On a phone the account-health panel starts folded: the deliveries come first.
(function () {
  "use strict";
  if (!window.matchMedia("(max-width: 600px)").matches) return;
  document.querySelectorAll("details[data-close-on-phone]").forEach((panel) => { panel.open = false; });
})();
