// The support widget's loader, served at /magic-widget.js. A site adds it
// with an async script and calls magicWidget.initializeAsync(options)
// from window.magicWidgetAsyncInit, or, where its CSP forbids inline
// script, puts data-community and data-widget-id on the script tag.
//
// The loader draws the launcher in a closed shadow root (host styles
// cannot reach it) and keeps the panel in an iframe from this server,
// loaded when the page is idle or first opened. It sets styles through
// the CSSOM only and never evaluates text, so it runs under a strict CSP.
(() => {
  "use strict";
  const w = window, d = document;
  if (w.magicWidget) return;
  const me = d.currentScript || [...d.scripts].filter((s) => /\/magic-widget\.js([?#]|$)/.test(s.src)).pop();
  const base = me.src.replace(/\/magic-widget\.js([?#].*)?$/, "");
  const origin = new URL(base).origin;
  const handlers = {}, outbox = [];
  let opts, cfg, host, button, badge, frame, ready, isOpen, unread = 0, lastURL;

  // css sets styles through the CSSOM (allowed by any CSP), important so
  // that the page's own rules cannot override them.
  const css = (el, props) => {
    for (const k in props) el.style.setProperty(k, props[k], "important");
    return el;
  };
  const emit = (name, data) => (handlers[name] || []).slice().forEach((fn) => {
    try { fn(data); } catch (e) { console.error(e); }
  });
  const post = (msg) => ready ? frame.contentWindow.postMessage(msg, origin) : outbox.push(msg);
  const path = (p) => `${base}/widget/${encodeURIComponent(opts.community)}/${+opts.widgetId}/${p}`;
  const left = () => opts.position === "left";

  // place sizes the frame: a floating panel, or the whole screen of a
  // phone, to the visual viewport so that the keyboard does not cover it.
  const place = () => {
    if (!frame) return;
    const vv = w.visualViewport, p = w.matchMedia("(max-width: 480px)").matches;
    css(host, { display: isOpen && p ? "none" : "block" });
    css(frame, isOpen ? {
      display: "block", position: "fixed", border: "0", margin: "0", "z-index": "2147483001",
      top: p ? (vv ? vv.offsetTop : 0) + "px" : "auto", bottom: p ? "auto" : "88px", [left() ? "left" : "right"]: p ? "0" : "16px",
      width: p ? "100%" : "min(380px, calc(100vw - 32px))", height: p ? (vv ? vv.height : w.innerHeight) + "px" : "min(620px, calc(100vh - 112px))",
      "border-radius": p ? "0" : "12px", "box-shadow": "0 8px 32px #0004"
    } : { display: "none" });
  };

  const load = () => {
    if (frame) return;
    frame = css(d.createElement("iframe"), { display: "none" });
    frame.title = cfg.name;
    frame.src = path("panel");
    d.body.appendChild(frame);
  };

  const draw = () => {
    button.setAttribute("aria-expanded", !!isOpen);
    // aria-expanded tells whether it opens or closes the panel.
    button.setAttribute("aria-label", cfg.name + (unread ? ` (${unread} new)` : ""));
    badge.textContent = unread;
    css(badge, { display: unread && !isOpen ? "block" : "none" });
  };

  const toggle = (open, fromPanel) => {
    if (!cfg || open == !!isOpen) return;
    isOpen = open;
    unread = 0;
    draw();
    load();
    place();
    post({ t: open ? "open" : "closed" });
    if (fromPanel) button.focus();
    if (!open) emit("closed");
  };

  const launch = () => {
    host = css(d.createElement("div"), { all: "initial", position: "fixed", bottom: "16px", [left() ? "left" : "right"]: "16px", "z-index": "2147483000" });
    host.dataset.openboardsWidget = "";
    button = css(d.createElement("button"), {
      all: "initial", display: "flex", "align-items": "center", "justify-content": "center", width: "56px", height: "56px",
      "border-radius": "50%", cursor: "pointer", background: cfg.color, color: "#fff", "box-shadow": "0 8px 32px #0004", outline: "revert"
    });
    const ns = "http://www.w3.org/2000/svg", svg = d.createElementNS(ns, "svg"), icon = d.createElementNS(ns, "path");
    for (const [k, v] of [["viewBox", "0 0 24 24"], ["width", 28], ["height", 28]]) svg.setAttribute(k, v);
    icon.setAttribute("fill", "currentColor");
    icon.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 1-2z");
    svg.append(icon);
    badge = css(d.createElement("span"), {
      all: "initial", position: "absolute", top: "-4px", right: "-4px", padding: "2px 6px", "border-radius": "10px",
      background: "#d00", color: "#fff", font: "bold 12px sans-serif"
    });
    button.append(svg, badge);
    button.onclick = () => toggle(!isOpen);
    // A pointer on its way to the launcher, or the focus on it, loads the
    // panel ahead of the click.
    button.onpointerenter = button.onfocus = load;
    host.attachShadow({ mode: "closed" }).append(button);
    d.body.append(host);
    draw();
  };

  w.addEventListener("message", (e) => {
    const m = e.data;
    if (!frame || e.source !== frame.contentWindow || e.origin !== origin || !m) return;
    if (m.t === "ready") {
      ready = true;
      post({ t: "init", url: location.href, open: isOpen,
        options: { language: opts.language || navigator.language, user: opts.user, fields: opts.fields, categoryId: opts.categoryId } });
      outbox.splice(0).forEach(post);
    } else if (m.t === "close") toggle(false, true);
    else if (m.t === "event") {
      if (m.name === "messageReceived" && !isOpen) { unread++; draw(); }
      emit(m.name, m.data);
    }
  });

  const initializeAsync = async (options) => {
    if (opts) return;
    opts = options;
    try {
      const r = await fetch(path("config")), env = await r.json();
      if (!r.ok) throw new Error(`magicWidget: ${env.errorText}`);
      cfg = env.data;
    } catch (e) {
      opts = null;
      console.warn(e.message);
      throw e;
    }
    if (!cfg.online && opts.hideWhenOffline) return;
    launch();
    // Pages of one-page applications change without a load: follow them.
    lastURL = location.href;
    setInterval(() => location.href !== lastURL && post({ t: "page", url: lastURL = location.href }), 1000);
    w.addEventListener("resize", place);
    w.visualViewport?.addEventListener("resize", place);
    opts.open ? toggle(true) : (w.requestIdleCallback || setTimeout)(load, { timeout: 3000 });
  };

  w.magicWidget = {
    initializeAsync,
    open: () => toggle(true),
    close: () => toggle(false),
    identify: (user) => {
      if (opts) opts.user = user;
      post({ t: "identify", user });
    },
    on: (name, fn) => {
      (handlers[name] = handlers[name] || []).push(fn);
      return () => { handlers[name] = handlers[name].filter((f) => f !== fn); };
    }
  };

  // The page's callback runs once, defined before the loader came or after.
  let init = w.magicWidgetAsyncInit, called;
  const call = (fn) => typeof fn === "function" && !called && (called = true, fn());
  if (init) call(init);
  else Object.defineProperty(w, "magicWidgetAsyncInit", { configurable: true, get: () => init, set: (fn) => call(init = fn) });

  const ds = me.dataset;
  if (ds.community && ds.widgetId) {
    initializeAsync({ ...ds, widgetId: +ds.widgetId, open: ds.open === "true", hideWhenOffline: ds.hideWhenOffline === "true" }).catch(() => {});
  }
})();
