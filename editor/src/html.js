// The HTML of a serialized document, written as the server writes it
// (src/model/document/writing.rs): attributes in the order given, the same
// escaping, no whitespace between blocks. Written here rather than read
// from innerHTML, whose escaping differs between browser versions.
const VOID = new Set(["br", "hr", "img"]);

function escapeText(s) {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\u00a0/g, "&nbsp;");
}
function escapeAttr(s) {
  return s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\u00a0/g, "&nbsp;");
}

export function htmlOf(node) {
  if (node.nodeType === 3) return escapeText(node.nodeValue);
  if (node.nodeType === 11) return Array.from(node.childNodes).map(htmlOf).join("");
  if (node.nodeType !== 1) return "";
  const tag = node.tagName.toLowerCase();
  let out = "<" + tag;
  for (const attr of Array.from(node.attributes)) out += " " + attr.name + '="' + escapeAttr(attr.value) + '"';
  out += ">";
  if (VOID.has(tag)) return out;
  return out + Array.from(node.childNodes).map(htmlOf).join("") + "</" + tag + ">";
}
