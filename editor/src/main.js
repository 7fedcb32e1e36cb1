// The desk's document editor: every textarea marked data-document-editor
// becomes a ProseMirror editor over the schema in schema.js. The textarea
// stays in the form, hidden, holding the document's HTML after every
// change, so saving, autosave, the local copy and the preview work on it
// as before.
import { EditorState, Plugin, TextSelection } from "prosemirror-state";
import { EditorView } from "prosemirror-view";
import { DOMParser, DOMSerializer, Slice } from "prosemirror-model";
import { keymap } from "prosemirror-keymap";
import { history, undo, redo } from "prosemirror-history";
import { baseKeymap, toggleMark, setBlockType, wrapIn, lift, chainCommands, exitCode } from "prosemirror-commands";
import { wrapInList, splitListItem, liftListItem, sinkListItem } from "prosemirror-schema-list";
import { inputRules, wrappingInputRule, textblockTypeInputRule, smartQuotes, ellipsis, emDash, undoInputRule, InputRule } from "prosemirror-inputrules";
import { dropCursor } from "prosemirror-dropcursor";
import { gapCursor } from "prosemirror-gapcursor";
import { tableEditing, goToNextCell } from "prosemirror-tables";
import { schema, safeHref } from "./schema.js";
import { htmlOf } from "./html.js";

const N = schema.nodes;
const M = schema.marks;

// Cells hold text only: blocks inside one (Word wraps every cell's text
// in a paragraph) give their content, a line break between each, as the
// server reads them.
const CELL_BLOCKS = "p, div, h1, h2, h3, h4, h5, h6, ul, ol, li, blockquote, pre";
function flattenCells(root) {
  root.querySelectorAll("td, th").forEach((cell) => {
    let block;
    while ((block = cell.querySelector(CELL_BLOCKS))) {
      const parts = document.createDocumentFragment();
      const before = block.previousSibling;
      if (before && !(before.nodeType === 3 && !before.nodeValue.trim()) && before.nodeName !== "BR") parts.appendChild(document.createElement("br"));
      while (block.firstChild) parts.appendChild(block.firstChild);
      block.replaceWith(parts);
    }
  });
  return root;
}

export function parseHTML(html) {
  const holder = document.createElement("div");
  holder.innerHTML = html;
  return DOMParser.fromSchema(schema).parse(flattenCells(holder));
}

function cleanPastedHTML(html) {
  const holder = document.createElement("div");
  holder.innerHTML = html;
  return flattenCells(holder).innerHTML;
}

export function serialize(doc) {
  return htmlOf(DOMSerializer.fromSchema(schema).serializeFragment(doc.content, { document }));
}

// Markdown typed at the start of a block: ## heading, > quote, - and 1.
// lists, ``` code. Quotes and dashes become typographic as they are typed;
// Backspace or one Ctrl+Z right after takes the change back.
function rules() {
  return inputRules({
    rules: [
      ...smartQuotes, ellipsis, emDash,
      new InputRule(/--$/, "–"),
      textblockTypeInputRule(/^(#{2,4})\s$/, N.heading, (m) => ({ level: m[1].length })),
      wrappingInputRule(/^\s*>\s$/, N.blockquote),
      wrappingInputRule(/^\s*([-+*])\s$/, N.bullet_list),
      wrappingInputRule(/^(\d+)\.\s$/, N.ordered_list, (m) => ({ start: +m[1] }), (m, node) => node.childCount + node.attrs.start === +m[1]),
      textblockTypeInputRule(/^```$/, N.code_block),
    ],
  });
}

function markActive(state, type) {
  const { from, $from, to, empty } = state.selection;
  if (empty) return !!type.isInSet(state.storedMarks || $from.marks());
  return state.doc.rangeHasMark(from, to, type);
}

function insert(node) {
  return (state, dispatch) => {
    if (dispatch) dispatch(state.tr.replaceSelectionWith(node).scrollIntoView());
    return true;
  };
}

// Plain text that reads as Markdown (block marks at a line's start,
// emphasis, links) or is one address on its own.
export function looksLikeMarkdown(text) {
  const t = text.trim();
  if (/^https:\/\/\S+$/.test(t)) return true;
  return /^(#{1,6} |> |[-*+] |\d+\. |```)/m.test(t) || /\*\*[^*\n]+\*\*|\[[^\]\n]+\]\([^)\s]+\)|(^|\s)_[^_\n]+_(\s|$)/.test(t);
}

function wordsOf(doc) {
  const text = doc.textBetween(0, doc.content.size, " ", " ");
  return (text.match(/\S+/g) || []).length;
}

// A figure shown with its fields, edited in place.
class FigureView {
  constructor(node, view, getPos) {
    this.node = node;
    this.dom = document.createElement("figure");
    this.dom.className = "editor-figure";
    this.img = document.createElement("img");
    this.dom.appendChild(this.img);
    const fields = document.createElement("div");
    fields.className = "figure-fields";
    const id = "figure-" + Math.random().toString(36).slice(2);
    const field = (name, label, hint) => {
      const wrap = document.createElement("p");
      const l = document.createElement("label");
      l.htmlFor = id + "-" + name;
      l.textContent = label;
      const input = document.createElement(name === "width" ? "select" : "input");
      input.id = id + "-" + name;
      if (name === "width") {
        for (const [value, words] of [["text", "Text width"], ["wide", "Wide"], ["full", "Full width"]]) {
          const o = document.createElement("option");
          o.value = value;
          o.textContent = words;
          input.appendChild(o);
        }
      } else {
        input.type = "text";
        if (hint) input.placeholder = hint;
      }
      input.addEventListener(name === "width" ? "change" : "input", () => {
        const pos = getPos();
        if (typeof pos !== "number") return;
        view.dispatch(view.state.tr.setNodeMarkup(pos, null, { ...this.node.attrs, [name]: input.value }));
      });
      // Keys typed in a field belong to the field, not the editor.
      input.addEventListener("keydown", (e) => e.stopPropagation());
      wrap.append(l, input);
      fields.appendChild(wrap);
      return input;
    };
    this.inputs = {
      alt: field("alt", "Alt text (what the image shows, for readers who cannot see it)", "Needed before publishing"),
      caption: field("caption", "Caption"),
      credit: field("credit", "Credit", "Photo: …"),
      width: field("width", "Width"),
    };
    this.dom.appendChild(fields);
    this.update(node);
  }
  update(node) {
    if (node.type !== N.figure) return false;
    this.node = node;
    this.img.src = node.attrs.src;
    this.img.alt = node.attrs.alt;
    for (const name of Object.keys(this.inputs)) {
      if (this.inputs[name].value !== node.attrs[name]) this.inputs[name].value = node.attrs[name];
    }
    this.inputs.alt.setAttribute("aria-invalid", node.attrs.alt.trim() ? "false" : "true");
    return true;
  }
  stopEvent(event) { return event.target !== this.dom && event.target !== this.img; }
  ignoreMutation() { return true; }
}

function button(label, title, run, extra = {}) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "quiet";
  b.textContent = label;
  b.title = title;
  if (extra.shortcut) b.setAttribute("aria-keyshortcuts", extra.shortcut);
  b.addEventListener("mousedown", (e) => e.preventDefault());
  b.addEventListener("click", run);
  return b;
}

function upload(file, form, uploadTo) {
  const data = new FormData();
  data.append("csrf", form.querySelector("input[name=csrf]").value);
  data.append("alt", "");
  data.append("credit", "");
  data.append("file", file);
  return fetch(uploadTo, { method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => r.json().then((answer) => { if (!r.ok) throw new Error(answer.message); return answer; }));
}

function mount(textarea) {
  const form = textarea.form;
  const uploadTo = textarea.getAttribute("data-library");
  const wrapper = document.createElement("div");
  wrapper.className = "document-editor";
  const toolbar = document.createElement("div");
  toolbar.className = "toolbar";
  toolbar.setAttribute("role", "toolbar");
  toolbar.setAttribute("aria-label", "Formatting");
  const linkForm = document.createElement("div");
  linkForm.className = "link-form panel";
  linkForm.hidden = true;
  const linkId = textarea.id + "-link";
  linkForm.innerHTML = '<label for="' + linkId + '">Link address</label><input type="url" id="' + linkId + '" placeholder="https://"> ';
  const linkInput = linkForm.querySelector("input");
  const status = document.createElement("p");
  status.className = "hint editor-status";
  status.setAttribute("aria-live", "polite");
  const mountPoint = document.createElement("div");
  mountPoint.className = "editor-surface";
  const label = document.querySelector('label[for="' + textarea.id + '"]');

  let view;
  let pending = 0;
  let stale = false;
  const run = (command) => () => { command(view.state, view.dispatch, view); view.focus(); };
  const openLink = () => {
    const { from, to } = view.state.selection;
    let href = "";
    view.state.doc.nodesBetween(from, to, (node) => { const m = M.link.isInSet(node.marks); if (m) href = m.attrs.href; });
    linkInput.value = href;
    linkForm.hidden = false;
    linkInput.focus();
    return true;
  };
  const applyLink = () => {
    const href = safeHref(linkInput.value);
    const { state } = view;
    const { from, to, empty } = state.selection;
    let tr = state.tr.removeMark(from, to, M.link);
    if (href) {
      if (empty) {
        tr = tr.insertText(href, from).addMark(from, from + href.length, M.link.create({ href }));
      } else {
        tr = tr.addMark(from, to, M.link.create({ href }));
      }
    }
    view.dispatch(tr);
    linkForm.hidden = true;
    view.focus();
  };
  linkInput.addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); applyLink(); }
    if (e.key === "Escape") { linkForm.hidden = true; view.focus(); }
  });
  linkForm.append(button("Apply", "Link the selected words", applyLink), button("Remove link", "Unlink the selected words", () => { linkInput.value = ""; applyLink(); }));

  const imageInput = document.createElement("input");
  imageInput.type = "file";
  imageInput.accept = "image/jpeg,image/png,image/webp,image/gif";
  imageInput.hidden = true;
  const say = (words) => { status.dataset.message = words; refreshStatus(); };
  const addImages = (files, pos) => {
    Array.from(files).filter((f) => /^image\//.test(f.type)).forEach((file) => {
      say("Uploading " + file.name + "…");
      upload(file, form, uploadTo).then((answer) => {
        const node = N.figure.create({ src: answer.src, alt: answer.alt || "", caption: answer.caption || "", credit: answer.credit || "" });
        const at = pos == null ? view.state.selection.to : pos;
        view.dispatch(view.state.tr.insert(Math.min(at, view.state.doc.content.size), node));
        say("Uploaded " + file.name + ": describe it in its alt text field.");
      }).catch((e) => say("Not uploaded: " + (e.message || "the desk cannot be reached")));
    });
  };
  imageInput.addEventListener("change", () => { if (uploadTo) addImages(imageInput.files); imageInput.value = ""; });

  const markButtons = [];
  const markButton = (label, type, shortcut) => {
    const b = button(label, label + (shortcut ? " (" + shortcut + ")" : ""), run(toggleMark(type)), { shortcut });
    b.setAttribute("aria-pressed", "false");
    markButtons.push([b, type]);
    return b;
  };
  toolbar.append(
    button("Heading", "Heading (Ctrl+Alt+2)", run(setBlockType(N.heading, { level: 2 })), { shortcut: "Control+Alt+2" }),
    button("Subheading", "Subheading (Ctrl+Alt+3)", run(setBlockType(N.heading, { level: 3 })), { shortcut: "Control+Alt+3" }),
    button("Paragraph", "Paragraph (Ctrl+Alt+0)", run(setBlockType(N.paragraph)), { shortcut: "Control+Alt+0" }),
    markButton("Bold", M.strong, "Control+B"),
    markButton("Italic", M.em, "Control+I"),
    markButton("Strike", M.strike),
    markButton("Sub", M.sub),
    markButton("Sup", M.sup),
    markButton("Code", M.code),
    button("Link", "Link (Ctrl+K)", openLink, { shortcut: "Control+K" }),
    button("List", "Bulleted list", run(wrapInList(N.bullet_list))),
    button("Numbered", "Numbered list", run(wrapInList(N.ordered_list))),
    button("Quote", "Quote", run(wrapIn(N.blockquote))),
    button("Pull quote", "Pull quote", run(wrapIn(N.pullquote))),
    button("Table", "Insert a table", run(insert(N.table.create(null, [0, 1, 2].map((r) =>
      N.table_row.create(null, [0, 1, 2].map(() => (r === 0 ? N.table_header : N.table_cell).create()))))))),
    button("Rule", "Insert a rule", run(insert(N.horizontal_rule.create()))),
    button("Undo", "Undo (Ctrl+Z)", run(undo), { shortcut: "Control+Z" }),
    button("Redo", "Redo (Ctrl+Shift+Z)", run(redo), { shortcut: "Control+Shift+Z" }),
  );
  // Images from the library, found by their words, with thumbnails; or a
  // new one uploaded (pasting or dropping a file in the text does that too).
  const picker = document.createElement("div");
  picker.className = "image-picker panel";
  picker.hidden = true;
  const pickerId = textarea.id + "-images";
  picker.id = pickerId;
  picker.innerHTML = '<label for="' + pickerId + '-q">Find an image in the library</label>' +
    '<input type="search" id="' + pickerId + '-q" placeholder="Words of its description, caption, credit or file name">' +
    '<ul class="image-choices" aria-live="polite"></ul>';
  const pickerSearch = picker.querySelector("input");
  const choices = picker.querySelector("ul");
  const uploadButton = button("Upload a new image…", "Upload an image from this device", () => imageInput.click());
  const closeButton = button("Close", "Close the image picker", () => closePicker());
  picker.append(uploadButton, closeButton);
  let searchTimer = 0;
  const closePicker = () => {
    picker.hidden = true;
    imageToggle.setAttribute("aria-expanded", "false");
    view.focus();
  };
  const findImages = () => {
    const q = encodeURIComponent(pickerSearch.value.trim());
    fetch(uploadTo + "?q=" + q, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then((answer) => {
        choices.textContent = "";
        if (!answer.items || !answer.items.length) {
          const none = document.createElement("li");
          none.textContent = "No image in the library matches those words.";
          choices.appendChild(none);
          return;
        }
        for (const image of answer.items) {
          const li = document.createElement("li");
          const choose = document.createElement("button");
          choose.type = "button";
          choose.className = "image-choice";
          const thumb = document.createElement("img");
          thumb.src = image.thumb;
          thumb.alt = "";
          thumb.width = 96;
          const words = document.createElement("span");
          words.textContent = image.alt || image.caption || image.label;
          choose.append(thumb, words);
          choose.addEventListener("click", () => {
            const node = N.figure.create({ src: image.src, alt: image.alt || "", caption: image.caption || "", credit: image.credit || "" });
            view.dispatch(view.state.tr.replaceSelectionWith(node).scrollIntoView());
            closePicker();
          });
          li.appendChild(choose);
          choices.appendChild(li);
        }
      })
      .catch(() => { choices.textContent = "The library cannot be reached."; });
  };
  pickerSearch.addEventListener("input", () => { window.clearTimeout(searchTimer); searchTimer = window.setTimeout(findImages, 250); });
  picker.addEventListener("keydown", (e) => { if (e.key === "Escape") { e.preventDefault(); closePicker(); } });
  const imageToggle = button("Image", "Insert an image from the library, or upload one", () => {
    picker.hidden = !picker.hidden;
    imageToggle.setAttribute("aria-expanded", String(!picker.hidden));
    if (!picker.hidden) { findImages(); pickerSearch.focus(); }
  });
  imageToggle.setAttribute("aria-expanded", "false");
  imageToggle.setAttribute("aria-controls", pickerId);
  if (uploadTo) toolbar.insertBefore(imageToggle, toolbar.children[toolbar.children.length - 2]);

  // Markdown (or a lone address, which may become an embed card) pasted
  // as plain text is read by the server's Markdown reader, the one
  // imports and API clients go through.
  const pasteMarkdown = (markdown) => {
    const body = new URLSearchParams();
    body.set("csrf", form.querySelector("input[name=csrf]").value);
    body.set("markdown", markdown);
    const { from, to } = view.state.selection;
    fetch("/desk/documents/from-markdown", { method: "POST", body, credentials: "same-origin" })
      .then((r) => r.text().then((html) => { if (!r.ok) throw new Error(html); return html; }))
      .then((html) => {
        const doc = parseHTML(html);
        const tr = view.state.tr.replaceRange(Math.min(from, view.state.doc.content.size), Math.min(to, view.state.doc.content.size), new Slice(doc.content, 0, 0));
        view.dispatch(tr.scrollIntoView());
      })
      .catch((e) => {
        view.dispatch(view.state.tr.insertText(markdown, from, to));
        say("Pasted as plain text: " + (e.message || "the desk cannot be reached"));
      });
  };

  const save = () => {
    const saveButton = form.querySelector("button[name=step][value=save]");
    if (saveButton) saveButton.click();
    return true;
  };
  const keys = keymap({
    "Mod-z": chainCommands(undoInputRule, undo),
    "Shift-Mod-z": redo,
    "Mod-y": redo,
    "Backspace": undoInputRule,
    "Mod-b": toggleMark(M.strong),
    "Mod-i": toggleMark(M.em),
    "Mod-k": openLink,
    "Mod-s": save,
    "Mod-Alt-0": setBlockType(N.paragraph),
    "Mod-Alt-2": setBlockType(N.heading, { level: 2 }),
    "Mod-Alt-3": setBlockType(N.heading, { level: 3 }),
    "Mod-Alt-4": setBlockType(N.heading, { level: 4 }),
    "Shift-Mod-8": wrapInList(N.bullet_list),
    "Shift-Mod-9": wrapInList(N.ordered_list),
    "Enter": splitListItem(N.list_item),
    "Tab": chainCommands(goToNextCell(1), sinkListItem(N.list_item)),
    "Shift-Tab": chainCommands(goToNextCell(-1), liftListItem(N.list_item)),
    "Mod-[": liftListItem(N.list_item),
    "Shift-Enter": chainCommands(exitCode, (state, dispatch) => { if (dispatch) dispatch(state.tr.replaceSelectionWith(N.hard_break.create()).scrollIntoView()); return true; }),
  });

  // The toolbar follows every change at once; counting a long story's
  // words waits until typing pauses (it reads the whole text).
  let counted = null;
  let counting = 0;
  function refreshStatus() {
    for (const [b, type] of markButtons) {
      const pressed = String(markActive(view.state, type));
      if (b.getAttribute("aria-pressed") !== pressed) b.setAttribute("aria-pressed", pressed);
    }
    if (counted !== view.state.doc) {
      window.clearTimeout(counting);
      counting = window.setTimeout(showCount, counted ? 400 : 0);
    } else {
      showCount();
    }
  }
  function showCount() {
    counted = view.state.doc;
    const words = wordsOf(counted);
    const minutes = Math.max(1, Math.ceil(words / 230));
    status.textContent = words + (words === 1 ? " word" : " words") + " · " + minutes + " min read" + (status.dataset.message ? " · " + status.dataset.message : "");
  }

  const state = EditorState.create({
    doc: parseHTML(textarea.value),
    plugins: [rules(), keys, keymap(baseKeymap), history(), dropCursor(), gapCursor(), tableEditing(),
      new Plugin({ view: () => ({ update: refreshStatus }) })],
  });
  view = new EditorView(mountPoint, {
    state,
    nodeViews: { figure: (node, v, getPos) => new FigureView(node, v, getPos) },
    attributes: {
      class: "editor-text",
      role: "textbox",
      "aria-multiline": "true",
      "aria-label": label ? label.textContent.trim() : "Body",
    },
    transformPastedHTML: cleanPastedHTML,
    handlePaste(v, event) {
      const data = event.clipboardData;
      if (!data) return false;
      const files = data.files;
      if (uploadTo && files && files.length && !data.getData("text/html")) { addImages(files); return true; }
      const plain = data.getData("text/plain");
      if (!data.getData("text/html") && plain && looksLikeMarkdown(plain)) {
        pasteMarkdown(plain);
        return true;
      }
      return false;
    },
    handleDrop(v, event) {
      const files = event.dataTransfer && event.dataTransfer.files;
      if (!uploadTo || !files || !files.length) return false;
      const at = v.posAtCoords({ left: event.clientX, top: event.clientY });
      addImages(files, at ? at.pos : null);
      event.preventDefault();
      return true;
    },
    dispatchTransaction(tr) {
      const next = view.state.apply(tr);
      view.updateState(next);
      if (tr.docChanged) {
        // Serializing a long story takes longer than a keystroke may: the
        // textarea follows once typing pauses, and at once whenever the
        // form's data is read (saving, autosave, the preview).
        window.clearTimeout(pending);
        pending = window.setTimeout(sync, 300);
        stale = true;
      }
    },
  });
  function sync(quietly) {
    window.clearTimeout(pending);
    if (!stale) return;
    stale = false;
    textarea.value = serialize(view.state.doc);
    if (quietly !== true) textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }
  // The form's data being read: its entries are already made, so the
  // body is set in them too (and no input event may read the form again).
  form.addEventListener("formdata", (event) => {
    sync(true);
    event.formData.set(textarea.name, textarea.value);
  });
  form.addEventListener("submit", sync, true);
  textarea.addEventListener("masthead-restore", () => {
    const kept = parseHTML(textarea.value);
    view.dispatch(view.state.tr.replaceWith(0, view.state.doc.content.size, kept.content));
  });
  if (label) label.addEventListener("click", () => view.focus());
  wrapper.append(toolbar, linkForm, picker, mountPoint, status, imageInput);
  textarea.hidden = true;
  // The server's drawing of the body, where there is one, gives its place.
  const preview = textarea.previousElementSibling;
  if (preview && preview.classList.contains("document-preview")) preview.replaceWith(wrapper);
  else textarea.parentNode.insertBefore(wrapper, textarea);
  const hint = textarea.getAttribute("aria-describedby");
  if (hint) view.dom.setAttribute("aria-describedby", hint);
  // The textarea holds the editor's own serialization from the start, so
  // an untouched body is saved as it was opened.
  textarea.value = serialize(view.state.doc);
  refreshStatus();
  textarea.editorView = view;
  return view;
}

document.querySelectorAll("textarea[data-document-editor]").forEach(mount);
window.MastheadEditor = { parseHTML, serialize, schema, looksLikeMarkdown, selectionNear: (pos) => TextSelection.near(pos) };
