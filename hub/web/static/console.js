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
      if (old) old.replaceWith(row); else board.tBodies[0].prepend(row);
    });
    source.addEventListener("counts", (event) => {
      document.getElementById("counts").textContent = event.data;
    });
  }
})();
