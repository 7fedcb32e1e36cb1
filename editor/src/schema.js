// The document schema as ProseMirror holds it, built from the same data the
// server reads (src/model/document/schema.json): marks in their rank order,
// each node's canonical markup as the server writes it (writing.rs), so a
// document opened here and serialized again is the one stored.
import { Schema } from "prosemirror-model";
import { tableNodes } from "prosemirror-tables";
import shared from "../../src/model/document/schema.json";

const text = (dom) => (dom.textContent || "").replace(/[ \t\r\n\f]+/g, " ").trim();

function safeHref(href) {
  href = (href || "").trim();
  if (!href) return null;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(href.replace(/[\t\n\r]/g, ""));
  if (scheme && !shared.link_schemes.includes(scheme[1].toLowerCase())) return null;
  return href;
}

function widthOf(dom) {
  const w = dom.getAttribute("data-width");
  if (w === "wide" || w === "full") return w;
  if (dom.classList.contains("alignwide") || dom.classList.contains("kg-width-wide")) return "wide";
  if (dom.classList.contains("alignfull") || dom.classList.contains("kg-width-full")) return "full";
  return "text";
}

const markRules = {
  link: {
    attrs: { href: {} },
    inclusive: false,
    parseDOM: [{ tag: "a[href]", getAttrs: (dom) => { const href = safeHref(dom.getAttribute("href")); return href ? { href } : false; } }],
    toDOM: (mark) => ["a", { href: mark.attrs.href }, 0],
  },
  strong: {
    parseDOM: [
      { tag: "strong" },
      { tag: "b", getAttrs: (dom) => dom.style.fontWeight !== "normal" && dom.style.fontWeight !== "400" && null },
      { style: "font-weight", getAttrs: (value) => /^(bold(er)?|[6-9]\d{2})$/.test(value) && null },
    ],
    toDOM: () => ["strong", 0],
  },
  em: {
    parseDOM: [{ tag: "em" }, { tag: "i", getAttrs: (dom) => dom.style.fontStyle !== "normal" && null }, { tag: "cite" }, { style: "font-style=italic" }],
    toDOM: () => ["em", 0],
  },
  strike: { parseDOM: [{ tag: "s" }, { tag: "del" }, { tag: "strike" }], toDOM: () => ["s", 0] },
  sub: { excludes: "sup", parseDOM: [{ tag: "sub" }], toDOM: () => ["sub", 0] },
  sup: { excludes: "sub", parseDOM: [{ tag: "sup" }], toDOM: () => ["sup", 0] },
  code: { parseDOM: [{ tag: "code" }, { tag: "kbd" }, { tag: "samp" }, { tag: "tt" }], toDOM: () => ["code", 0] },
};

const tables = tableNodes({ tableGroup: "block", cellContent: "inline*", cellAttributes: {} });
tables.table = {
  ...tables.table,
  attrs: { caption: { default: "" } },
  parseDOM: [{
    tag: "table",
    getAttrs: (dom) => ({ caption: Array.from(dom.children).filter((c) => c.tagName === "CAPTION").map(text).join(" ").trim() }),
    contentElement: (dom) => { const copy = dom.cloneNode(true); copy.querySelectorAll("caption").forEach((c) => c.remove()); return copy; },
  }],
  toDOM: (node) => node.attrs.caption ? ["table", ["caption", node.attrs.caption], ["tbody", 0]] : ["table", ["tbody", 0]],
};

const nodeRules = {
  doc: { content: "block+" },
  paragraph: { group: "block", content: "inline*", parseDOM: [{ tag: "p" }], toDOM: () => ["p", 0] },
  heading: {
    group: "block", content: "inline*", defining: true,
    attrs: { level: { default: 2 } },
    parseDOM: [1, 2, 3, 4, 5, 6].map((n) => ({ tag: "h" + n, attrs: { level: Math.min(4, Math.max(2, n)) } })),
    toDOM: (node) => ["h" + node.attrs.level, 0],
  },
  blockquote: { group: "block", content: "block+", defining: true, parseDOM: [{ tag: "blockquote" }], toDOM: () => ["blockquote", 0] },
  pullquote: {
    group: "block", content: "paragraph+", defining: true,
    parseDOM: [{ tag: "blockquote.pullquote", priority: 60 }, { tag: "blockquote.wp-block-pullquote", priority: 60 }],
    toDOM: () => ["blockquote", { class: "pullquote" }, 0],
  },
  bullet_list: { group: "block", content: "list_item+", parseDOM: [{ tag: "ul" }], toDOM: () => ["ul", 0] },
  ordered_list: {
    group: "block", content: "list_item+", attrs: { start: { default: 1 } },
    parseDOM: [{ tag: "ol", getAttrs: (dom) => ({ start: parseInt(dom.getAttribute("start") || "1", 10) || 1 }) }],
    toDOM: (node) => node.attrs.start === 1 ? ["ol", 0] : ["ol", { start: String(node.attrs.start) }, 0],
  },
  list_item: { content: "paragraph block*", defining: true, parseDOM: [{ tag: "li" }], toDOM: () => ["li", 0] },
  code_block: {
    group: "block", content: "text*", marks: "", code: true, defining: true,
    parseDOM: [{ tag: "pre", preserveWhitespace: "full" }],
    toDOM: () => ["pre", ["code", 0]],
  },
  horizontal_rule: { group: "block", parseDOM: [{ tag: "hr" }], toDOM: () => ["hr"] },
  ...tables,
  figure: {
    group: "block", atom: true, draggable: true,
    attrs: { src: {}, alt: { default: "" }, caption: { default: "" }, credit: { default: "" }, width: { default: "text" } },
    parseDOM: [
      {
        tag: "figure",
        getAttrs: (dom) => {
          const img = dom.querySelector("img[src]");
          if (!img || dom.classList.contains("embed")) return false;
          const caption = dom.querySelector("figcaption");
          let credit = "";
          let words = "";
          if (caption) {
            const copy = caption.cloneNode(true);
            copy.querySelectorAll(".credit, small, cite").forEach((c) => { credit += (credit ? " " : "") + text(c); c.remove(); });
            words = text(copy);
          }
          return { src: img.getAttribute("src"), alt: text({ textContent: img.getAttribute("alt") || "" }), caption: words, credit: credit.trim(), width: widthOf(dom) };
        },
      },
      { tag: "img[src]", getAttrs: (dom) => ({ src: dom.getAttribute("src"), alt: text({ textContent: dom.getAttribute("alt") || "" }), width: widthOf(dom) }) },
    ],
    toDOM: (node) => {
      const { src, alt, caption, credit, width } = node.attrs;
      const attrs = width === "text" ? { class: "image" } : { class: "image", "data-width": width };
      const parts = ["figure", attrs, ["img", { src, alt, loading: "lazy" }]];
      if (caption || credit) parts.push(["figcaption", caption, ...(credit ? [["small", { class: "credit" }, credit]] : [])]);
      return parts;
    },
  },
  embed: {
    group: "block", atom: true, draggable: true,
    attrs: { url: {}, provider: {}, player: { default: "" } },
    parseDOM: [{
      tag: "figure.embed", priority: 60,
      getAttrs: (dom) => {
        const a = dom.querySelector("a[href]");
        return a ? { url: a.getAttribute("href"), provider: dom.getAttribute("data-provider") || "", player: dom.getAttribute("data-player") || "" } : false;
      },
    }],
    toDOM: (node) => {
      const { url, provider, player } = node.attrs;
      return player
        ? ["figure", { class: "embed", "data-player": player, "data-provider": provider }, ["a", { href: url }, "Watch the video on " + provider], ["figcaption", "Playing it here loads it from " + provider + "."]]
        : ["figure", { class: "embed", "data-provider": provider }, ["a", { href: url }, "See the post on " + provider]];
    },
  },
  definition_list: { group: "block", content: "(definition_term | definition_detail)+", parseDOM: [{ tag: "dl" }], toDOM: () => ["dl", 0] },
  definition_term: { content: "inline*", parseDOM: [{ tag: "dt" }], toDOM: () => ["dt", 0] },
  definition_detail: { content: "inline*", parseDOM: [{ tag: "dd" }], toDOM: () => ["dd", 0] },
  text: { group: "inline" },
  hard_break: { inline: true, group: "inline", selectable: false, parseDOM: [{ tag: "br" }], toDOM: () => ["br"] },
};

// Nodes in the shared file's order (doc first), marks in its rank order:
// a node or mark missing on either side is a mistake found at once.
const nodes = { doc: nodeRules.doc };
for (const { name } of shared.nodes) {
  if (!nodeRules[name]) throw new Error("the editor has no rule for the node " + name);
  nodes[name] = nodeRules[name];
}
nodes.text = nodeRules.text;
const marks = {};
for (const { name } of shared.marks) {
  if (!markRules[name]) throw new Error("the editor has no rule for the mark " + name);
  marks[name] = markRules[name];
}

export const schema = new Schema({ nodes, marks });
export { safeHref };
