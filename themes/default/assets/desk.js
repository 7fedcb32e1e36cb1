// The desk's small progressive helpers. Every form works without them; with
// them the editor gains a live preview, autosave of drafts, a warning before
// leaving unsaved changes and a copy of the text kept in this browser (so an
// expired session loses nothing). The body's visual editor is editor.js.
(function () {
  "use strict";

  // "/" anywhere but in a field goes to the desk's search (the menu opens
  // on a phone).
  var deskSearch = document.getElementById("desk-search");
  if (deskSearch) {
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      var typing = target.closest && target.closest("input, textarea, select, [contenteditable]");
      if (event.key !== "/" || typing || event.ctrlKey || event.metaKey || event.altKey) return;
      event.preventDefault();
      var folded = document.querySelector(".menu-toggle[aria-expanded=false]");
      if (folded && window.getComputedStyle(folded).display !== "none") folded.click();
      deskSearch.focus();
    });
  }

  // The Menu button of a phone's desk bar.
  var menuToggle = document.querySelector(".menu-toggle");
  var menu = document.getElementById("desk-menu");
  if (menuToggle && menu) {
    menuToggle.addEventListener("click", function () {
      var open = menuToggle.getAttribute("aria-expanded") !== "true";
      menuToggle.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("open", open);
    });
  }

  // ---- Pickers. A list of choices (a select with data-picker="ADDRESS")
  // becomes a field that finds any choice by its words, asking the desk as
  // one types: an ARIA combobox with a listbox. Without scripting the select
  // offers the newest choices.
  var pickerCount = 0;
  document.querySelectorAll("select[data-picker]").forEach(function (select) {
    pickerCount += 1;
    var listId = "picker-" + pickerCount;
    var label = document.querySelector("label[for='" + select.id + "']");
    var choiceOf = function (option) { return { id: option.value, label: option.textContent, detail: "", src: option.getAttribute("data-src") || "" }; };
    var none = select.querySelector("option[value='']");
    var newest = [].map.call(select.options, choiceOf);
    var current = select.options[select.selectedIndex] ? choiceOf(select.options[select.selectedIndex]) : null;

    var wrap = document.createElement("div");
    wrap.className = "picker";
    wrap.setAttribute("data-picker-for", select.name);
    var input = document.createElement("input");
    input.type = "text";
    input.id = select.id;
    input.autocomplete = "off";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    if (select.getAttribute("aria-describedby")) input.setAttribute("aria-describedby", select.getAttribute("aria-describedby"));
    input.value = current && current.id ? current.label : "";
    input.placeholder = none ? none.textContent : "";
    var value = document.createElement("input");
    value.type = "hidden";
    value.name = select.name;
    value.value = select.value;
    value.setAttribute("data-src", current ? current.src || "" : "");
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "picker-choices";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", label ? label.textContent : "Choices");
    list.hidden = true;
    var said = document.createElement("p");
    said.className = "visually-hidden";
    said.setAttribute("aria-live", "polite");
    var items = [];
    var active = -1;
    var timer = null;
    var asked = 0;
    var highlightFirst = false;

    function open(yes) {
      list.hidden = !yes;
      input.setAttribute("aria-expanded", String(yes));
      if (!yes) input.removeAttribute("aria-activedescendant");
    }
    function highlight(i) {
      if (active >= 0 && list.children[active]) list.children[active].classList.remove("active");
      active = i;
      var li = list.children[i];
      if (!li) return;
      li.classList.add("active");
      input.setAttribute("aria-activedescendant", li.id);
      li.scrollIntoView({ block: "nearest" });
    }
    function choose(i) {
      var item = items[i];
      if (!item) return;
      value.value = item.id;
      value.setAttribute("data-src", item.src || "");
      current = item;
      input.value = item.id ? item.label : "";
      open(false);
      value.dispatchEvent(new Event("change", { bubbles: true }));
    }
    function show(found) {
      var real = found.filter(function (item) { return item.id !== ""; });
      items = (none ? [choiceOf(none)] : []).concat(real);
      list.textContent = "";
      items.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = listId + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", item.id === value.value ? "true" : "false");
        if (item.thumb) {
          var thumb = document.createElement("img");
          thumb.src = item.thumb;
          thumb.alt = "";
          thumb.loading = "lazy";
          li.appendChild(thumb);
        }
        var words = document.createElement("span");
        words.textContent = item.label;
        li.appendChild(words);
        if (item.detail) {
          var detail = document.createElement("small");
          detail.textContent = item.detail;
          li.appendChild(detail);
        }
        li.addEventListener("mousedown", function (event) { event.preventDefault(); });
        li.addEventListener("click", function () { choose(i); });
        list.appendChild(li);
      });
      active = -1;
      open(true);
      said.textContent = real.length === 0 ? "Nothing found." : real.length + (real.length === 1 ? " choice found." : " choices found.");
      if (highlightFirst) { highlightFirst = false; highlight(0); }
    }
    function ask() {
      var words = input.value.trim();
      if (!words || (current && words === current.label)) { show(newest); return; }
      var n = ++asked;
      var address = select.getAttribute("data-picker");
      address += (address.indexOf("?") >= 0 ? "&" : "?") + "q=" + encodeURIComponent(words);
      window.fetch(address, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { if (!response.ok) throw new Error(String(response.status)); return response.json(); })
        .then(function (answer) { if (n === asked) show(answer.items || []); })
        .catch(function () { if (n === asked) said.textContent = "The desk cannot be reached: try again."; });
    }
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 200);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (list.hidden) { highlightFirst = true; ask(); } else highlight(Math.min(items.length - 1, active + 1));
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (!list.hidden) highlight(Math.max(0, active - 1));
      } else if (event.key === "Enter") {
        if (!list.hidden && active >= 0) { event.preventDefault(); choose(active); }
      } else if (event.key === "Escape") {
        if (!list.hidden) { event.preventDefault(); open(false); }
      }
    });
    // Leaving the field: an emptied one chooses nothing; words typed but not
    // chosen give way to the current choice.
    input.addEventListener("blur", function () {
      open(false);
      if (!input.value.trim() && none) { value.value = ""; current = choiceOf(none); }
      else input.value = current && current.id ? current.label : "";
    });
    // Other scripts choose too (an image uploaded beside the field).
    wrap.choose = function (item) {
      items = [item];
      choose(0);
    };
    // What the field shows, kept with a draft in this browser and shown
    // again when the draft is put back (the id alone names nothing).
    wrap.shown = function () { return current && current.id ? current.label : ""; };
    wrap.restore = function (id, label) {
      current = { id: id, label: label, detail: "", src: value.getAttribute("data-src") || "" };
      value.value = id;
      input.value = id ? label : "";
    };
    wrap.append(input, value, list, said);
    select.replaceWith(wrap);
  });

  // ---- A field of names separated by commas (a story's tags) suggests
  // names the desk knows for the one being typed, asking as one types: the
  // browser's own list (a datalist) offers them, the names before kept.
  document.querySelectorAll("input[data-suggest]").forEach(function (field) {
    var list = document.getElementById(field.getAttribute("list"));
    if (!list || !window.fetch) return;
    var timer = null;
    var asked = 0;
    field.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var cut = field.value.lastIndexOf(",");
        var before = cut >= 0 ? field.value.slice(0, cut + 1) + " " : "";
        var words = field.value.slice(cut + 1).trim();
        if (!words) return;
        var n = ++asked;
        var address = field.getAttribute("data-suggest") + "?q=" + encodeURIComponent(words);
        window.fetch(address, { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (response) { if (!response.ok) throw new Error(String(response.status)); return response.json(); })
          .then(function (answer) {
            if (n !== asked) return;
            list.textContent = "";
            (answer.items || []).forEach(function (item) {
              var option = document.createElement("option");
              option.value = before + item.label;
              list.appendChild(option);
            });
          })
          .catch(function () { /* the names already offered stay */ });
      }, 200);
    });
  });

  // A body editor that did not start (its script not loaded, or failing):
  // the server's drawing of the body goes, and the raw textarea it stood
  // in for shows again, so the body can still be written.
  window.addEventListener("load", function () {
    document.querySelectorAll("textarea[data-document-editor]").forEach(function (textarea) {
      var preview = textarea.previousElementSibling;
      if (!textarea.editorView && preview && preview.classList.contains("document-preview")) preview.remove();
    });
  });

  // Forms that ask before doing something that cannot be undone.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });

  // A file dropped anywhere on an upload form's drop zone fills its file input.
  document.querySelectorAll(".drop-zone").forEach(function (zone) {
    var input = zone.querySelector("input[type=file]");
    if (!input) return;
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) input.files = event.dataTransfer.files;
    });
  });

  // Live counts while an issue is being sent.
  var progress = document.querySelector("[data-progress]");
  if (progress && window.fetch) {
    var poll = window.setInterval(function () {
      window.fetch(progress.getAttribute("data-progress"), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (counts) {
          if (!counts) return;
          ["sent", "failed", "queued"].forEach(function (name) {
            var cell = progress.querySelector("[data-count=" + name + "]");
            if (cell) cell.textContent = counts[name];
          });
          if (counts.status !== "sending" && counts.status !== "scheduled") window.clearInterval(poll);
        })
        .catch(function () { /* the counts on the page stay */ });
    }, 2000);
  }

  var form = document.getElementById("story-form") || document.getElementById("piece-form");
  if (!form) return;

  // ---- Upload a hero image from the editor, and choose it.
  var heroUpload = form.querySelector(".hero-upload");
  if (heroUpload && window.fetch) {
    var uploadStatus = heroUpload.querySelector(".hero-upload-status");
    heroUpload.querySelector("button").addEventListener("click", function () {
      var file = heroUpload.querySelector("input[type=file]").files[0];
      if (!file) { uploadStatus.textContent = "Choose an image file first."; return; }
      var data = new FormData();
      data.append("csrf", form.querySelector("input[name=csrf]").value);
      data.append("alt", document.getElementById("hero-upload-alt").value);
      data.append("credit", document.getElementById("hero-upload-credit").value);
      data.append("file", file);
      uploadStatus.textContent = "Uploading…";
      window.fetch(heroUpload.getAttribute("data-upload-to"), { method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.json().then(function (answer) { return { ok: response.ok, answer: answer }; }); })
        .then(function (result) {
          if (!result.ok) { uploadStatus.textContent = "Not uploaded: " + result.answer.message; return; }
          var picker = document.getElementById(heroUpload.getAttribute("data-field")).closest(".picker");
          picker.choose({ id: result.answer.id, label: result.answer.label, src: result.answer.src });
          uploadStatus.textContent = "Uploaded, and chosen.";
        })
        .catch(function () { uploadStatus.textContent = "Not uploaded: the desk cannot be reached."; });
    });
  }
  // With a publication time typed, Schedule is the prominent step for
  // those who may publish; without one, Publish.
  var when = form.querySelector("input[name=publish_at]");
  var scheduleStep = form.querySelector(".steps button[value=schedule]");
  var publishStep = form.querySelector(".steps button[value=publish]");
  if (when && scheduleStep && publishStep) {
    when.addEventListener("input", function () {
      var timed = when.value !== "";
      scheduleStep.classList.toggle("secondary", !timed);
      publishStep.classList.toggle("secondary", timed);
    });
  }

  var status = form.querySelector(".autosave-status");
  var storageKey = "masthead-draft:" + form.getAttribute("action");
  var dirty = false;
  var submitting = false;

  function formText() {
    var data = {};
    new FormData(form).forEach(function (value, name) {
      if (name === "csrf" || name === "revision" || name === "step") return;
      data[name] = data[name] === undefined ? value : [].concat(data[name], value);
    });
    form.querySelectorAll(".picker").forEach(function (picker) {
      var key = "picker-shown:" + picker.getAttribute("data-picker-for");
      data[key] = data[key] === undefined ? [picker.shown()] : data[key].concat(picker.shown());
    });
    return data;
  }

  function say(text) {
    if (status) status.textContent = text;
  }

  // ---- A copy in this browser, offered back when the page comes without it.
  function keepCopy() {
    try {
      window.localStorage.setItem(storageKey, JSON.stringify({ at: Date.now(), fields: formText() }));
    } catch (e) { /* storage full or disabled: autosave still runs */ }
  }
  function dropCopy() {
    try { window.localStorage.removeItem(storageKey); } catch (e) { /* nothing kept */ }
  }
  function offerCopy() {
    var kept;
    try { kept = JSON.parse(window.localStorage.getItem(storageKey) || "null"); } catch (e) { kept = null; }
    if (!kept || !kept.fields) return;
    if (JSON.stringify(kept.fields) === JSON.stringify(formText())) { dropCopy(); return; }
    var offer = document.createElement("div");
    offer.className = "notice restore-offer";
    offer.setAttribute("role", "status");
    var text = document.createElement("p");
    text.textContent = "This browser kept text that was not saved (" + new Date(kept.at).toLocaleString() + ").";
    var restore = document.createElement("button");
    restore.type = "button";
    restore.className = "quiet";
    restore.textContent = "Put it back in the form";
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "quiet";
    discard.textContent = "Discard it";
    restore.addEventListener("click", function () {
      Object.keys(kept.fields).forEach(function (name) {
        var values = [].concat(kept.fields[name]);
        if (name.indexOf("picker-shown:") === 0) {
          var pickers = form.querySelectorAll(".picker[data-picker-for='" + name.slice(13) + "']");
          pickers.forEach(function (picker, i) {
            var chosen = picker.querySelector("input[type=hidden]");
            var id = [].concat(kept.fields[name.slice(13)])[i];
            if (id !== undefined && chosen) picker.restore(id, values[i] || "");
          });
          return;
        }
        var inputs = form.querySelectorAll("[name='" + name + "']");
        inputs.forEach(function (input, i) {
          if (input.type === "checkbox") input.checked = values.indexOf(input.value) >= 0;
          else if (values[i] !== undefined) {
            input.value = values[i];
            // The body's editor takes the kept text from its textarea.
            input.dispatchEvent(new Event("masthead-restore"));
          }
        });
      });
      dirty = true;
      offer.remove();
      say("The kept text is back in the form: save to keep it.");
    });
    discard.addEventListener("click", function () { dropCopy(); offer.remove(); });
    offer.append(text, restore, discard);
    form.parentNode.insertBefore(offer, form);
  }
  offerCopy();

  form.addEventListener("input", function () { dirty = true; keepCopy(); });
  form.addEventListener("change", function () { dirty = true; keepCopy(); });
  form.addEventListener("submit", function () { submitting = true; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !submitting) { event.preventDefault(); event.returnValue = ""; }
  });

  // ---- Autosave of drafts: every half minute, when something changed.
  var revision = form.querySelector("input[name=revision]");
  if (form.getAttribute("data-autosave") === "yes" && window.fetch) {
    window.setInterval(function () {
      if (!dirty || submitting) return;
      var data = new FormData(form);
      data.set("step", "save");
      data.set("autosave", "1");
      say("Saving…");
      window.fetch(form.getAttribute("action"), { method: "POST", body: new URLSearchParams(data), credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) {
          if (response.redirected && response.url.indexOf("/desk/login") >= 0) {
            say("Your session has ended. Your text is kept in this browser: sign in again in another tab, then save.");
            return null;
          }
          return response.json().then(function (answer) { return { ok: response.ok, answer: answer }; });
        })
        .then(function (result) {
          if (!result) return;
          if (!result.ok) { say("Not saved automatically: " + result.answer.message); return; }
          if (revision) revision.value = result.answer.revision;
          if (result.answer.url && form.getAttribute("action") !== result.answer.url) {
            // A new story now has an address: later saves go there.
            form.setAttribute("action", result.answer.url);
            window.history.replaceState(null, "", result.answer.url);
            var id = form.querySelector("input[name=id]");
            if (id) id.value = result.answer.id;
          }
          dirty = false;
          dropCopy();
          say("Saved automatically at " + new Date().toLocaleTimeString() + ".");
        })
        .catch(function () { say("Not saved automatically: the desk cannot be reached. Your text is kept in this browser."); });
    }, 30000);
  }

  // ---- How the story shows in search results and when shared: the SEO
  // fields, else the headline and the dek (cut where search engines cut),
  // with the hero image.
  var share = form.querySelector(".share-preview");
  if (share) {
    var value = function (id) { var el = document.getElementById(id); return el ? el.value.trim() : ""; };
    var cut = function (text, max) { return text.length > max ? text.slice(0, max - 1).replace(/\s+\S*$/, "") + "…" : text; };
    var showShare = function () {
      var title = value("seo_title") || value("headline") || "Headline";
      var description = value("seo_description") || value("dek") || value("custom_excerpt") || "The dek, or the first paragraph, shows here.";
      var site = share.getAttribute("data-site").replace(/\/$/, "");
      var slug = value("slug") || value("headline").toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
      share.querySelector(".sr-address").textContent = site + "/stories/" + (slug || "…") + "/";
      share.querySelector(".sr-title").textContent = cut(title, 60);
      share.querySelector(".sr-description").textContent = cut(description, 160);
      share.querySelector(".sc-site").textContent = site.replace(/^https?:\/\//, "").toUpperCase();
      share.querySelector(".sc-title").textContent = cut(title, 90);
      share.querySelector(".sc-description").textContent = cut(description, 120);
      var hero = form.querySelector("input[name=hero_image_id]");
      var frame = share.querySelector(".sc-image");
      var src = hero && hero.value ? hero.getAttribute("data-src") : "";
      var img = frame.querySelector("img");
      if (!src) { frame.textContent = ""; return; }
      if (!img) { img = document.createElement("img"); img.alt = ""; frame.appendChild(img); }
      if (img.getAttribute("src") !== src) img.src = src;
    };
    form.addEventListener("input", showShare);
    form.addEventListener("change", showShare);
    showShare();
  }

  // ---- Live preview beside the editor: refreshed a moment after typing stops.
  var frame = document.querySelector("iframe[name=preview-frame]");
  var previewButton = form.querySelector("button[value=preview]");
  if (frame && previewButton) {
    var timer = null;
    var refresh = function () {
      var data = new FormData(form);
      data.set("step", "preview");
      window.fetch(previewButton.getAttribute("formaction"), { method: "POST", body: new URLSearchParams(data), credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) { if (html !== null) frame.srcdoc = html; })
        .catch(function () { /* the button still previews */ });
    };
    form.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 800);
    });
    if (window.matchMedia("(min-width: 80rem)").matches) refresh();
  }
})();
