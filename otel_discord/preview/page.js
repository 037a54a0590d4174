// otel-discord preview: polls the local Discord and draws each channel as Discord would.
// Every message is untrusted: text only ever reaches the page through textContent and
// DOM nodes built here, never through an HTML parser.
"use strict";

(() => {
  const POLL_MS = 1500;
  const KEEP = 300; // messages kept on screen per channel; older ones are dropped
  const GROUP_MS = 7 * 60 * 1000; // Discord groups a poster's messages within 7 minutes
  const MAX_DEPTH = 12; // nesting bound for pathological markdown
  const INVISIBLE = /[\u200b\u200c\u200d\u2060\ufeff]/g;
  const AVATAR_COLOURS = ["#5865f2", "#757e8a", "#3ba55c", "#faa61a", "#ed4245", "#eb459f"];

  // ---------- DOM helpers ----------

  function clean(text) {
    return String(text).replace(INVISIBLE, "");
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = clean(text);
    return node;
  }

  function textNode(text) {
    return document.createTextNode(clean(text));
  }

  function wrap(tag, cls, children) {
    const node = el(tag, cls);
    node.append(...children);
    return node;
  }

  function safeUrl(raw) {
    try {
      const url = new URL(String(raw));
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function link(raw, children) {
    const href = safeUrl(raw);
    if (href === null) return wrap("span", "", children);
    const a = wrap("a", "", children);
    a.href = href;
    a.title = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer nofollow";
    return a;
  }

  // ---------- time ----------

  const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const dateFmt = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "long", day: "numeric" });
  const shortFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "short" });
  const stampFormats = {
    t: { timeStyle: "short" },
    T: { timeStyle: "medium" },
    d: { dateStyle: "short" },
    D: { dateStyle: "long" },
    f: { dateStyle: "long", timeStyle: "short" },
    F: { dateStyle: "full", timeStyle: "short" },
  };
  const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

  function sameDay(a, b) {
    return a.toDateString() === b.toDateString();
  }

  function messageTime(date) {
    const clock = timeFmt.format(date);
    return sameDay(date, new Date()) ? `Today at ${clock}` : `${shortFmt.format(date)}`;
  }

  function relativeTime(date) {
    const seconds = Math.round((date.getTime() - Date.now()) / 1000);
    const steps = [[60, "second"], [60, "minute"], [24, "hour"], [30, "day"], [12, "month"], [Infinity, "year"]];
    let value = seconds;
    for (const [size, unit] of steps) {
      if (Math.abs(value) < size) return relative.format(value, unit);
      value = Math.round(value / size);
    }
    return relative.format(value, "year");
  }

  function discordTimestamp(match) {
    const date = new Date(Number(match[1]) * 1000);
    if (Number.isNaN(date.getTime())) return textNode(match[0]);
    const style = match[2] || "f";
    const text = style === "R" ? relativeTime(date) : new Intl.DateTimeFormat(undefined, stampFormats[style]).format(date);
    const node = el("span", "timestamp", text);
    node.title = date.toString();
    return node;
  }

  // ---------- inline markdown ----------

  // Content that may hold backslash escapes; lazy, so the first closing marker wins.
  const BODY = String.raw`((?:\\[\s\S]|[^\\])+?)`;
  const RULES = [
    { start: "\\", re: /\\([^\p{L}\p{N}\s])/uy, make: (m) => textNode(m[1]) },
    {
      start: "`",
      re: /(`+)([\s\S]*?[^`])\1(?!`)/y,
      make: (m) => el("code", "", m[1].length > 1 ? m[2].replace(/^ (?=\S)|(?<=\S) $/g, "") : m[2]),
    },
    {
      start: "[",
      re: /\[((?:\\[\s\S]|[^\\\]\n])+)\]\(\s*<?(https?:\/\/[^\s<>()]+)>?\s*\)/y,
      make: (m, depth) => link(m[2], inline(m[1], depth + 1)),
    },
    { start: "<", re: /<(https?:\/\/[^\s<>]+)>/y, make: (m) => link(m[1], [textNode(m[1])]) },
    { start: "<", re: /<t:(-?\d{1,13})(?::([tTdDfFR]))?>/y, make: discordTimestamp },
    { start: "<", re: /<a?:(\w{2,32}):\d{15,21}>/y, make: (m) => textNode(`:${m[1]}:`) },
    {
      start: "h",
      wordStart: true,
      re: /https?:\/\/[^\s<]*[^\s<.,:;"')\]*_~|]/y,
      make: (m) => link(m[0], [textNode(m[0])]),
    },
    { start: "*", re: new RegExp(String.raw`\*\*${BODY}\*\*(?!\*)`, "y"), make: (m, d) => wrap("strong", "", inline(m[1], d + 1)) },
    { start: "_", re: new RegExp(String.raw`__${BODY}__(?!_)`, "y"), make: (m, d) => wrap("u", "", inline(m[1], d + 1)) },
    {
      start: "*",
      re: /\*(?=[^\s*])((?:\\[\s\S]|\*\*(?:\\[\s\S]|[^\\])+?\*\*|[^\\*])+?)\*(?!\*)/y,
      make: (m, d) => wrap("em", "", inline(m[1], d + 1)),
    },
    {
      start: "_",
      wordStart: true,
      re: /_((?:\\[\s\S]|__(?:\\[\s\S]|[^\\])+?__|[^\\_])+?)_(?![\p{L}\p{N}_])/uy,
      make: (m, d) => wrap("em", "", inline(m[1], d + 1)),
    },
    { start: "~", re: new RegExp(String.raw`~~${BODY}~~`, "y"), make: (m, d) => wrap("s", "", inline(m[1], d + 1)) },
    {
      start: "|",
      re: new RegExp(String.raw`\|\|${BODY}\|\|`, "y"),
      make: (m, d) => {
        const node = wrap("span", "spoiler", inline(m[1], d + 1));
        node.addEventListener("click", () => node.classList.add("shown"));
        return node;
      },
    },
  ];
  const STARTS = new Set(RULES.map((rule) => rule.start));
  const WORD = /[\p{L}\p{N}_]/u;

  // Discord's inline markdown (bold, italic, underline, strike, spoilers, code, links,
  // timestamps, escapes) as DOM nodes. Unmatched markers stay as typed.
  function inline(source, depth = 0) {
    const text = String(source);
    if (depth > MAX_DEPTH) return [textNode(text)];
    const out = [];
    let plain = "";
    let i = 0;
    while (i < text.length) {
      const ch = text[i];
      let made = null;
      if (STARTS.has(ch)) {
        for (const rule of RULES) {
          if (rule.start !== ch) continue;
          if (rule.wordStart && i > 0 && WORD.test(text[i - 1])) continue;
          rule.re.lastIndex = i;
          const match = rule.re.exec(text);
          if (match === null) continue;
          made = rule.make(match, depth);
          i += match[0].length;
          break;
        }
      }
      if (made === null) {
        plain += ch;
        i += 1;
        continue;
      }
      if (plain) out.push(textNode(plain));
      plain = "";
      out.push(made);
    }
    if (plain) out.push(textNode(plain));
    return out;
  }

  // ---------- block markdown ----------

  // Split off fenced code blocks; a backslash outside them escapes the next character.
  function splitFences(text) {
    const parts = [];
    let last = 0;
    let i = 0;
    while (i < text.length) {
      if (text[i] === "\\") {
        i += 2;
        continue;
      }
      if (text.startsWith("```", i)) {
        const end = text.indexOf("```", i + 3);
        if (end > i + 3) {
          parts.push({ code: false, text: text.slice(last, i) });
          let body = text.slice(i + 3, end);
          let lang = "";
          const first = /^([A-Za-z0-9_+#.-]*)\n/.exec(body);
          if (first !== null) {
            lang = first[1];
            body = body.slice(first[0].length);
          }
          parts.push({ code: true, lang, text: body.replace(/\n$/, "") });
          i = last = end + 3;
          continue;
        }
      }
      i += 1;
    }
    parts.push({ code: false, text: text.slice(last) });
    return parts;
  }

  const LIST_ITEM = /^( *)([-*]|\d{1,9}\.) +(.*)$/;
  const HEADING = /^(#{1,3}) +(\S.*)$/;
  const SUBTEXT = /^-# +(\S.*)$/;
  const QUOTE = /^> ?(.*)$/;
  const QUOTE_REST = /^>>> ?([\s\S]*)$/;

  function listNode(items, depth) {
    // items: [{indent, ordered, number, text}] -> nested <ul>/<ol> by indentation
    const root = { indent: -1, children: [] };
    const stack = [root];
    for (const item of items) {
      while (stack.length > 1 && item.indent <= stack[stack.length - 1].indent) stack.pop();
      const node = { ...item, children: [] };
      stack[stack.length - 1].children.push(node);
      stack.push(node);
    }
    const render = (nodes) => {
      const lists = [];
      let current = null;
      for (const node of nodes) {
        if (current === null || current.ordered !== node.ordered) {
          current = { ordered: node.ordered, el: el(node.ordered ? "ol" : "ul") };
          if (node.ordered && node.number !== 1) current.el.start = node.number;
          lists.push(current.el);
        }
        const li = wrap("li", "", inline(node.text, depth + 1));
        if (node.children.length) li.append(...render(node.children));
        current.el.append(li);
      }
      return lists;
    };
    return render(root.children);
  }

  function lineBlocks(text, depth, allowQuote) {
    const out = [];
    const lines = text.split("\n");
    let para = [];
    const flush = () => {
      if (para.length) out.push(...inline(para.join("\n"), depth + 1));
      para = [];
    };
    for (let i = 0; i < lines.length; i += 1) {
      const line = lines[i];
      let m;
      if (allowQuote && (m = QUOTE_REST.exec(line)) !== null) {
        flush();
        const rest = [m[1], ...lines.slice(i + 1)].join("\n");
        out.push(wrap("blockquote", "", lineBlocks(rest, depth + 1, false)));
        return out;
      }
      if (allowQuote && QUOTE.test(line)) {
        flush();
        const quoted = [];
        while (i < lines.length && (m = QUOTE.exec(lines[i])) !== null) {
          quoted.push(m[1]);
          i += 1;
        }
        i -= 1;
        out.push(wrap("blockquote", "", lineBlocks(quoted.join("\n"), depth + 1, false)));
        continue;
      }
      if ((m = HEADING.exec(line)) !== null) {
        flush();
        out.push(wrap(`h${m[1].length}`, "", inline(m[2], depth + 1)));
        continue;
      }
      if ((m = SUBTEXT.exec(line)) !== null) {
        flush();
        out.push(wrap("span", "subtext", inline(m[1], depth + 1)));
        continue;
      }
      if (LIST_ITEM.test(line)) {
        flush();
        const items = [];
        while (i < lines.length && (m = LIST_ITEM.exec(lines[i])) !== null) {
          const ordered = m[2] !== "-" && m[2] !== "*";
          items.push({ indent: m[1].length, ordered, number: ordered ? parseInt(m[2], 10) : 0, text: m[3] });
          i += 1;
        }
        i -= 1;
        out.push(...listNode(items, depth));
        continue;
      }
      para.push(line);
    }
    flush();
    return out;
  }

  // Discord's full markdown for message content, descriptions and field values.
  function markdown(source, depth = 0) {
    const out = [];
    for (const part of splitFences(String(source))) {
      if (part.code) {
        const pre = el("pre");
        const code = el("code", part.lang ? `lang-${part.lang.replace(/[^\w-]/g, "")}` : "", part.text);
        pre.append(code);
        out.push(pre);
      } else {
        // A newline right beside a code block is the block's own line break, not a blank line.
        let text = part.text.replace(/\n$/, "");
        if (out.length) text = text.replace(/^\n/, "");
        if (text) out.push(...lineBlocks(text, depth, true));
      }
    }
    return out;
  }

  function mdNode(tag, cls, source, full) {
    return wrap(tag, `md ${cls}`, full ? markdown(source) : inline(source));
  }

  // ---------- embeds and messages ----------

  function str(value) {
    return typeof value === "string" ? value : value === undefined || value === null ? "" : String(value);
  }

  function colour(value) {
    return Number.isInteger(value) && value >= 0 && value <= 0xffffff ? `#${value.toString(16).padStart(6, "0")}` : null;
  }

  function fileName(url) {
    const text = str(url);
    const tail = text.split(/[?#]/)[0].split("/").filter(Boolean).pop() || text;
    return tail.slice(0, 60);
  }

  function fieldsNode(fields, hasThumb) {
    const grid = el("div", "embed-fields");
    const perRow = hasThumb ? 2 : 3;
    let row = [];
    const place = () => {
      const span = 12 / row.length;
      row.forEach((node, k) => {
        node.style.gridColumn = `${1 + k * span} / ${1 + (k + 1) * span}`;
      });
      row = [];
    };
    for (const field of fields) {
      if (field === null || typeof field !== "object") continue;
      const node = el("div", "embed-field");
      node.append(mdNode("div", "embed-field-name", str(field.name), false));
      node.append(mdNode("div", "embed-field-value", str(field.value), true));
      grid.append(node);
      if (field.inline === true) {
        row.push(node);
        if (row.length === perRow) place();
      } else {
        if (row.length) place();
        row.push(node);
        place();
      }
    }
    if (row.length) place();
    return grid;
  }

  // The files a message uploaded, by filename: only same-origin links to the local read API.
  function attachmentsOf(message) {
    const files = new Map();
    for (const file of Array.isArray(message.attachments) ? message.attachments : []) {
      if (file === null || typeof file !== "object") continue;
      const url = str(file.url);
      if (/^\/_local\/attachments\/\d+\/[^/?#]+$/.test(url)) files.set(str(file.filename), file);
    }
    return files;
  }

  // An embed image: the uploaded picture when attachment:// names one, else its name as text.
  function imageNode(image, files) {
    const raw = str(image.url);
    const file = raw.startsWith("attachment://") ? files.get(raw.slice("attachment://".length)) : undefined;
    if (file === undefined) return el("div", "embed-image", `image: ${fileName(raw)}`);
    const img = document.createElement("img");
    img.className = "embed-image-picture";
    img.alt = clean(str(file.description || file.filename));
    img.addEventListener("load", () => {
      img.dataset.loaded = `${img.naturalWidth}x${img.naturalHeight}`;
    });
    img.src = str(file.url);
    return img;
  }

  function embedNode(embed, files) {
    const box = el("div", "embed");
    const bar = colour(embed.color);
    if (bar !== null) box.style.borderLeftColor = bar;
    const main = el("div", "embed-main");
    box.append(main);
    const author = embed.author && typeof embed.author === "object" ? embed.author : null;
    if (author && author.name) {
      const name = el("div", "embed-author");
      name.append(author.url ? link(author.url, [textNode(str(author.name))]) : textNode(str(author.name)));
      main.append(name);
    }
    if (embed.title) {
      const title = mdNode("div", "embed-title", str(embed.title), false);
      if (embed.url && safeUrl(embed.url)) {
        const children = [...title.childNodes];
        title.replaceChildren(link(embed.url, children));
      }
      main.append(title);
    }
    if (embed.description) main.append(mdNode("div", "embed-description", str(embed.description), true));
    const thumb = embed.thumbnail && typeof embed.thumbnail === "object" ? embed.thumbnail : null;
    if (Array.isArray(embed.fields) && embed.fields.length) main.append(fieldsNode(embed.fields, Boolean(thumb)));
    const image = embed.image && typeof embed.image === "object" ? embed.image : null;
    if (image && image.url) main.append(imageNode(image, files));
    const footer = embed.footer && typeof embed.footer === "object" ? str(embed.footer.text) : "";
    const stamp = embed.timestamp ? new Date(str(embed.timestamp)) : null;
    const parts = [];
    if (footer) parts.push(footer);
    if (stamp && !Number.isNaN(stamp.getTime())) parts.push(shortFmt.format(stamp));
    if (parts.length) main.append(el("div", "embed-footer", parts.join(" • ")));
    if (thumb && thumb.url) box.append(el("div", "embed-thumb", fileName(thumb.url)));
    return box;
  }

  function avatarColour(name) {
    let hash = 0;
    for (const ch of name) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
    return AVATAR_COLOURS[hash % AVATAR_COLOURS.length];
  }

  function messageNode(message, when, grouped) {
    const payload = message.payload && typeof message.payload === "object" ? message.payload : {};
    const author = str(message.author) || "webhook";
    const node = el("article", grouped ? "msg grouped" : "msg");
    node.dataset.id = str(message.id);
    if (!grouped) {
      const avatar = el("div", "avatar", [...clean(author)][0] || "?");
      avatar.style.background = avatarColour(author);
      avatar.setAttribute("aria-hidden", "true");
      const head = el("div", "msg-head");
      head.append(el("span", "msg-author", author), el("span", "app-tag", "APP"), el("time", "msg-time", messageTime(when)));
      head.lastChild.dateTime = when.toISOString();
      node.append(avatar, head);
    }
    if (payload.content) node.append(mdNode("div", "content", str(payload.content), true));
    const files = attachmentsOf(message);
    for (const embed of Array.isArray(payload.embeds) ? payload.embeds : []) {
      if (embed !== null && typeof embed === "object") node.append(embedNode(embed, files));
    }
    const edited = Number(message.edited_at);
    if (message.edited_at !== null && message.edited_at !== undefined && Number.isFinite(edited)) {
      const mark = el("span", "edited", "(edited)");
      mark.title = new Date(edited * 1000).toString();
      node.append(mark);
    }
    return node;
  }

  // ---------- channels and polling ----------

  class ChannelView {
    constructor(section) {
      this.name = section.dataset.channel;
      this.after = "0";
      this.revision = "0";
      this.total = 0;
      this.last = null; // {author, when} of the newest message shown
      this.count = section.querySelector(".count");
      this.scroller = section.querySelector(".scroller");
      this.list = section.querySelector(".messages");
      this.empty = section.querySelector(".empty");
    }

    async poll() {
      const query = `channel=${encodeURIComponent(this.name)}&after=${encodeURIComponent(this.after)}`;
      const response = await fetch(`/_local/messages?${query}`, { cache: "no-store" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      const messages = Array.isArray(data.messages) ? data.messages : [];
      if (messages.length) this.show(messages);
      await this.pollChanges();
    }

    // Edits redraw a message in place (marked "(edited)"); deletions remove it.
    async pollChanges() {
      const query = `channel=${encodeURIComponent(this.name)}&since=${encodeURIComponent(this.revision)}`;
      const response = await fetch(`/_local/changes?${query}`, { cache: "no-store" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      for (const message of Array.isArray(data.edited) ? data.edited : []) {
        const old = this.find(message.id);
        if (old === null) continue; // not shown yet: the next poll brings it as it is now
        const when = new Date(Number(message.received_at) * 1000);
        old.replaceWith(messageNode(message, when, old.classList.contains("grouped")));
      }
      for (const id of Array.isArray(data.deleted) ? data.deleted : []) {
        const old = this.find(id);
        if (old !== null) old.remove();
      }
      if (Number.isSafeInteger(data.revision)) this.revision = String(data.revision);
    }

    find(id) {
      const text = str(id);
      if (!/^\d+$/.test(text)) return null;
      return this.list.querySelector(`article.msg[data-id="${text}"]`);
    }

    show(messages) {
      const s = this.scroller;
      const follow = this.total === 0 || s.scrollHeight - s.scrollTop - s.clientHeight < 120;
      for (const message of messages) {
        const id = str(message.id);
        if (!/^\d+$/.test(id)) continue;
        const when = new Date(Number(message.received_at) * 1000);
        const author = str(message.author);
        const newDay = this.last === null || !sameDay(this.last.when, when);
        if (newDay) {
          const divider = el("div", "divider");
          divider.append(el("span", "", dateFmt.format(when)));
          this.list.append(divider);
        }
        const grouped = !newDay && this.last.author === author && when - this.last.when < GROUP_MS;
        this.list.append(messageNode(message, when, grouped));
        this.last = { author, when };
        this.after = id;
        this.total += 1;
      }
      while (this.list.querySelectorAll(".msg").length > KEEP) this.list.firstElementChild.remove();
      this.count.textContent = `${this.total} message${this.total === 1 ? "" : "s"}`;
      this.empty.hidden = this.total > 0;
      if (follow) s.scrollTop = s.scrollHeight;
    }
  }

  const views = [...document.querySelectorAll("section.channel")].map((section) => new ChannelView(section));
  const status = document.getElementById("status");

  async function violations() {
    const response = await fetch("/_local/violations", { cache: "no-store" });
    if (!response.ok) return null;
    const data = await response.json();
    return Array.isArray(data.violations) ? data.violations : null;
  }

  function setStatus(ok, found) {
    status.className = ok ? "status ok" : "status down";
    if (!ok) {
      status.textContent = `disconnected, retrying… (last try ${timeFmt.format(new Date())})`;
      return;
    }
    const total = views.reduce((sum, view) => sum + view.total, 0);
    status.textContent = `connected · ${total} message${total === 1 ? "" : "s"} · last update ${timeFmt.format(new Date())}`;
    if (found !== null) {
      const note = el("span", found.length ? "warn" : "", ` · ${found.length} protocol violation${found.length === 1 ? "" : "s"}`);
      note.title = found.map((v) => `${str(v.kind)}: ${str(v.detail)}`).slice(-10).join("\n");
      status.append(note);
    }
  }

  async function tick() {
    try {
      const [found] = await Promise.all([violations(), ...views.map((view) => view.poll())]);
      setStatus(true, found);
    } catch (_) {
      setStatus(false, null);
    } finally {
      setTimeout(tick, POLL_MS);
    }
  }

  tick();
})();
