// The widget's panel: the document of the iframe the loader opens, served
// by this server, so its requests are same-origin and its storage is the
// site's own (browsers partition a frame's storage by the page's site).
//
// A conversation is kept in localStorage: its id, its visitor token, the
// last event read and the messages not yet sent. Replies come over one
// stream of server-sent events that resumes from the last event after
// any disconnect; messages typed while offline wait in the outbox and go
// out on reconnect, each with a client id, so that a retry never adds a
// message twice.
(() => {
  "use strict";
  const d = document, $ = (id) => d.getElementById(id);
  const cfg = JSON.parse($("config").textContent);
  const base = cfg.base; // this widget's path: /widget/{community}/{widgetId}
  const key = `openboards:${cfg.community}:${cfg.widgetId}`;

  // Texts, by language; a language not here is shown in English.
  const texts = {
    en: {
      name: "Your name", email: "E-mail", message: "Message", start: "Start chat", send: "Send", compose: "Write a message…",
      end: "End chat", endSure: "End the chat?", close: "Close", queue: "You are number {n} in the queue", wait: " (about {m} min)",
      typing: "{name} is typing…", reconnecting: "Reconnecting…", waiting: "Waiting for connection…", notSent: "Not sent: {e}",
      ended: "The chat has ended.", rate: "How did we do?", good: "Good", bad: "Bad", comment: "Anything to add? (optional)",
      sendFeedback: "Send feedback", thanks: "Thank you for your feedback.", again: "Start a new chat", leave: "Send message",
      left: "Thanks! We will answer at {email}.", unreachable: "We cannot reach the server. Check your connection and try again.",
      you: "You", messages: "Messages"
    },
    da: {
      name: "Dit navn", email: "E-mail", message: "Besked", start: "Start chat", send: "Send", compose: "Skriv en besked…",
      end: "Afslut chat", endSure: "Afslut chatten?", close: "Luk", queue: "Du er nummer {n} i køen", wait: " (ca. {m} min)",
      typing: "{name} skriver…", reconnecting: "Genopretter forbindelsen…", waiting: "Venter på forbindelse…", notSent: "Ikke sendt: {e}",
      ended: "Chatten er afsluttet.", rate: "Hvordan gik det?", good: "Godt", bad: "Dårligt", comment: "Vil du tilføje noget? (valgfrit)",
      sendFeedback: "Send feedback", thanks: "Tak for din feedback.", again: "Start en ny chat", leave: "Send besked",
      left: "Tak! Vi svarer på {email}.", unreachable: "Vi kan ikke nå serveren. Tjek din forbindelse og prøv igen.",
      you: "Dig", messages: "Beskeder"
    }
  };
  let lang = texts.en;
  const t = (k, vars) => (lang[k] || texts.en[k]).replace(/\{(\w+)\}/g, (_, v) => vars[v]);
  const translate = (code) => {
    lang = texts[String(code || "").slice(0, 2).toLowerCase()] || texts.en;
    d.documentElement.lang = lang === texts.en ? "en" : code.slice(0, 2);
    for (const el of d.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
    for (const el of d.querySelectorAll("[data-placeholder]")) el.placeholder = t(el.dataset.placeholder);
    for (const el of d.querySelectorAll("[data-label]")) el.setAttribute("aria-label", t(el.dataset.label));
  };

  // The stored conversation; storage that fails (a browser that refuses
  // it) leaves the conversation in memory for the page's life.
  let state = {};
  const read = () => { try { state = JSON.parse(localStorage.getItem(key)) || {}; } catch { state = {}; } };
  const save = () => { try { localStorage.setItem(key, JSON.stringify(state)); } catch { /* kept in memory */ } };
  const forget = () => { state = {}; try { localStorage.removeItem(key); } catch { /* nothing kept */ } };
  read();
  state.outbox = state.outbox || [];

  let parentOrigin = null, options = {}, pageURL = "", isOpen = false, started = null, stale = false, configRead = false;
  const tell = (msg) => parentOrigin && parent.postMessage(msg, parentOrigin);
  const emit = (name, data) => tell({ t: "event", name, data });

  // call sends a request to this widget's endpoints and returns the
  // envelope's data; a failure throws with .status (0: unreachable) and
  // the server's errorText.
  const call = async (method, path, body, token) => {
    const headers = { "Content-Type": "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    let r;
    try {
      r = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
    } catch {
      throw Object.assign(new Error(t("unreachable")), { status: 0 });
    }
    let env = {};
    try { env = await r.json(); } catch { /* an answer without a body */ }
    if (!r.ok) throw Object.assign(new Error(env.errorText || `HTTP ${r.status}`), { status: r.status, retryAfter: +r.headers.get("Retry-After") || 0 });
    return env.data;
  };
  const mine = (path, body) => call("POST", `/conversations/${state.id}${path}`, body, state.token);

  const alertError = (text) => { $("error").textContent = text || ""; };
  const views = ["start", "chat", "ended", "offline", "left"];
  const show = (view) => {
    for (const v of views) $(v).hidden = v !== view;
    $("end").hidden = view !== "chat";
    alertError("");
  };

  // --- messages ---------------------------------------------------------
  const list = $("messages");
  const shown = new Map(); // message id -> element
  const sending = new Map(); // client message id -> element
  let held = []; // the visitor's own messages the stream brought while theirs were being sent

  const linkify = (el, text) => {
    for (const part of text.split(/(https?:\/\/[^\s<>"]+)/)) {
      if (/^https?:\/\//.test(part)) {
        const a = d.createElement("a");
        a.href = part;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        a.textContent = part;
        el.append(a);
      } else if (part) el.append(part);
    }
  };
  const bubble = (text, fromTeam, author) => {
    const li = d.createElement("li"), who = d.createElement("span"), p = d.createElement("p"), note = d.createElement("span");
    li.className = fromTeam ? "team" : "visitor";
    who.className = "author";
    who.textContent = fromTeam ? author : t("you");
    note.className = "note";
    linkify(p, text);
    li.append(who, p, note);
    return li;
  };
  const place = (m) => {
    const old = shown.get(m.id);
    if (old) {
      const p = old.querySelector("p");
      p.textContent = "";
      linkify(p, m.message);
      return false;
    }
    const li = bubble(m.message, m.fromTeam, m.author);
    li.dataset.id = m.id;
    shown.set(m.id, li);
    // In the server's order (ids grow with it), whatever order they came
    // in, and before the messages still being sent.
    const next = [...list.children].find((el) => el.classList.contains("pending") || +el.dataset.id > m.id);
    list.insertBefore(li, next || null);
    li.scrollIntoView({ block: "end" });
    return true;
  };
  const renderAll = (msgs) => {
    for (const el of shown.values()) el.remove();
    shown.clear();
    msgs.forEach(place);
    setQueue(lastQueue);
  };
  // The queue place shows until someone of the team has answered.
  let lastQueue = null;
  const setQueue = (q) => {
    lastQueue = q;
    const answered = list.querySelector(".team");
    $("queue").textContent = q && q.position > 0 && !answered ? t("queue", { n: q.position }) + (q.waitTime != null ? t("wait", { m: q.waitTime }) : "") : "";
  };

  // --- the outbox -------------------------------------------------------
  const newID = () => [...crypto.getRandomValues(new Uint8Array(12))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const showPending = () => {
    for (const m of state.outbox) if (!sending.has(m.clientMessageId)) pendingBubble(m);
  };
  const pendingBubble = (m) => {
    const li = bubble(m.message, false);
    li.classList.add("pending");
    sending.set(m.clientMessageId, li);
    list.append(li);
    li.scrollIntoView({ block: "end" });
  };
  let flushing = false, flushTimer = 0, flushDelay = 0;
  const flush = async () => {
    if (flushing || !state.id) return;
    flushing = true;
    clearTimeout(flushTimer);
    try {
      while (state.outbox.length) {
        const m = state.outbox[0];
        if (!sending.has(m.clientMessageId)) pendingBubble(m);
        const li = sending.get(m.clientMessageId);
        try {
          const sent = await mine("/messages", m);
          state.outbox.shift();
          save();
          sending.delete(m.clientMessageId);
          li.remove();
          place(sent);
          flushDelay = 0;
        } catch (e) {
          if (e.status === 0 || e.status === 429 || e.status >= 500) {
            // Kept, to be sent when the connection is back.
            li.querySelector(".note").textContent = e.status === 0 ? t("waiting") : e.message;
            flushDelay = e.retryAfter * 1000 || Math.min(15000, (flushDelay || 500) * 2);
            flushTimer = setTimeout(flush, flushDelay);
            return;
          }
          // Refused for good (too long, the chat ended): say why.
          state.outbox.shift();
          save();
          sending.delete(m.clientMessageId);
          li.classList.replace("pending", "failed");
          li.querySelector(".note").textContent = t("notSent", { e: e.message });
        }
      }
    } finally {
      flushing = false;
      if (!state.outbox.length) {
        held.forEach((m) => place(m));
        held = [];
      }
    }
  };
  const send = (text) => {
    const m = { message: text, clientMessageId: newID() };
    state.outbox.push(m);
    save();
    pendingBubble(m);
    flush();
  };

  // --- the stream -------------------------------------------------------
  let stream = null, retryDelay = 0, retryTimer = 0, typingTimer = 0;
  const reconnecting = (on) => { $("connection").textContent = on ? t("reconnecting") : ""; };
  // A heartbeat comes every 25 s; a stream silent for longer is dead
  // though the network did not say so.
  const silence = 40000;

  const handle = async (ev) => {
    const data = ev.data ? JSON.parse(ev.data) : {};
    switch (ev.event) {
      case "message":
        if (!data.fromTeam && !shown.has(data.id) && (state.outbox.length || flushing)) held.push(data);
        else if (place(data) && data.fromTeam) {
          $("typing").textContent = "";
          setQueue(lastQueue);
          emit("messageReceived", { id: data.id, message: data.message, author: data.author });
        }
        break;
      case "message.deleted":
        shown.get(data.id)?.remove();
        shown.delete(data.id);
        break;
      case "typing":
        $("typing").textContent = t("typing", { name: data.name || "" });
        clearTimeout(typingTimer);
        typingTimer = setTimeout(() => { $("typing").textContent = ""; }, 6000);
        break;
      case "queue":
        setQueue(data);
        break;
      case "conversation":
        setQueue(data.queuePositionInfo);
        if (data.isClosed) ended();
        else if (!$("ended").hidden) show("chat");
        break;
      case "reset":
        await refresh();
        break;
    }
    if (ev.id) {
      state.lastEventId = ev.id;
      save();
    }
  };

  const connect = async () => {
    if (stream || !state.id) return;
    const ctl = new AbortController(), id = state.id;
    stream = ctl;
    let watchdog = 0;
    const alive = () => { clearTimeout(watchdog); watchdog = setTimeout(() => ctl.abort(), silence); };
    try {
      alive();
      const r = await fetch(`${base}/conversations/${id}/events`, {
        headers: { Authorization: `Bearer ${state.token}`, "Last-Event-ID": state.lastEventId || "", Accept: "text/event-stream" },
        cache: "no-store", signal: ctl.signal
      });
      if (r.status === 401 || r.status === 404) {
        // The conversation is gone (or its token): start afresh.
        clearTimeout(watchdog);
        stream = null;
        reset();
        return;
      }
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      retryDelay = 0;
      reconnecting(false);
      if (stale) {
        await refresh();
        stale = false;
      }
      flush();
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "", ev = {};
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        alive();
        buf += value;
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl).replace(/\r$/, "");
          buf = buf.slice(nl + 1);
          if (line === "") {
            if (ev.event || ev.data) await handle(ev);
            ev = {};
          } else if (line[0] !== ":") {
            const c = line.indexOf(":"), field = c < 0 ? line : line.slice(0, c);
            const v = c < 0 ? "" : line.slice(c + 1).replace(/^ /, "");
            if (field === "data") ev.data = ev.data === undefined ? v : ev.data + "\n" + v;
            else if (field === "event" || field === "id") ev[field] = v;
          }
        }
      }
    } catch { /* the connection broke: it is made again below */ }
    clearTimeout(watchdog);
    if (stream !== ctl) return; // replaced or stopped
    stream = null;
    if (state.id !== id) return;
    reconnecting(true);
    retryDelay = Math.min(15000, (retryDelay || 250) * 2);
    retryTimer = setTimeout(connect, retryDelay * (0.5 + Math.random() / 2));
  };
  const disconnect = () => {
    if (stream) stream.abort();
    stream = null;
    clearTimeout(retryTimer);
  };
  addEventListener("online", () => {
    clearTimeout(retryTimer);
    connect();
    flush();
  });

  // refresh reads the conversation afresh: on resuming it, and when the
  // stream cannot replay what was missed.
  const refresh = async () => {
    const c = await call("GET", `/conversations/${state.id}`, undefined, state.token);
    renderAll(c.messages);
    setQueue(c.queuePositionInfo);
    return c;
  };

  // --- views ------------------------------------------------------------
  const identity = (u) => (u ? u.customIdentifier || u.email || "" : "");
  const ended = () => {
    if (!$("ended").hidden) return; // already shown: keep what the visitor did there
    show("ended");
    $("feedback").hidden = false;
    $("feedbackDone").hidden = true;
  };
  const chat = (c) => {
    show("chat");
    setQueue(c.queuePositionInfo);
    if (c.isClosed) ended();
    showPending();
    connect();
    flush();
  };
  const startForm = () => {
    const u = options.user || {};
    $("nameRow").hidden = !cfg.askName || !!u.name;
    $("emailRow").hidden = !cfg.askEmail || !!identity(u);
    $("email").required = cfg.askEmail && !cfg.requireVerification && !identity(u);
    $("greeting").textContent = cfg.greeting;
    show("start");
  };
  // begin shows what the visitor can do now: their conversation, a new
  // one, or the offline form.
  const begin = async () => {
    if (state.id) {
      try {
        chat(await refresh());
        // The visitor came to this page with the conversation open.
        if (pageURL) mine("/page", { url: pageURL }).catch(() => { /* the next page says it again */ });
        return;
      } catch (e) {
        if (e.status !== 401 && e.status !== 404) {
          // Unreachable for now: show what waits to be sent, and read
          // the conversation once the stream is back.
          show("chat");
          showPending();
          stale = true;
          reconnecting(true);
          connect();
          return;
        }
        forget();
        state.outbox = [];
      }
    }
    // The page came with the config; later (a new chat after one ended)
    // it is read again, as the schedule may have moved on.
    if (configRead) {
      try { Object.assign(cfg, await call("GET", "/config")); } catch { /* the config the page came with */ }
    }
    configRead = true;
    if (cfg.online) startForm();
    else {
      $("offlineText").textContent = cfg.offlineText;
      show("offline");
    }
  };

  const busy = async (form, fn) => {
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await fn();
    } catch (e) {
      alertError(e.message);
    } finally {
      button.disabled = false;
    }
  };

  $("startForm").addEventListener("submit", (e) => {
    e.preventDefault();
    busy(e.target, async () => {
      const text = $("first").value.trim();
      const c = await call("POST", "/conversations", {
        name: $("name").value, email: $("email").value, message: text, clientMessageId: newID(), url: pageURL || null,
        user: options.user || null, fields: options.fields || [], categoryId: options.categoryId || null
      });
      state = { id: c.conversationId, token: c.visitorToken, who: identity(options.user), lastEventId: "", outbox: [] };
      save();
      $("first").value = "";
      renderAll(c.conversation.messages);
      chat(c.conversation);
      emit("conversationStarted", { conversationId: c.conversationId });
      $("compose").focus();
    });
  });

  $("composeForm").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("compose").value.trim();
    if (!text) return;
    $("compose").value = "";
    send(text);
  });
  $("compose").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("composeForm").requestSubmit();
    }
  });
  let lastTyping = 0;
  $("compose").addEventListener("input", () => {
    if (Date.now() - lastTyping > 3000 && state.id && stream) {
      lastTyping = Date.now();
      mine("/typing").catch(() => { /* a nicety */ });
    }
  });

  let endTimer = 0;
  $("end").addEventListener("click", async () => {
    const b = $("end");
    if (b.dataset.t !== "endSure") {
      b.dataset.t = "endSure";
      b.textContent = t("endSure");
      endTimer = setTimeout(() => { b.dataset.t = "end"; b.textContent = t("end"); }, 4000);
      return;
    }
    clearTimeout(endTimer);
    b.dataset.t = "end";
    b.textContent = t("end");
    try {
      await mine("/close");
      ended();
    } catch (e) {
      alertError(e.message);
    }
  });

  let rating = null;
  for (const b of [$("good"), $("bad")]) {
    b.addEventListener("click", () => {
      rating = b.id === "good";
      $("good").setAttribute("aria-pressed", rating);
      $("bad").setAttribute("aria-pressed", !rating);
      $("sendFeedback").disabled = false;
    });
  }
  $("feedback").addEventListener("submit", (e) => {
    e.preventDefault();
    busy(e.target, async () => {
      await mine("/feedback", { isPositive: rating, text: $("comment").value });
      $("feedback").hidden = true;
      $("feedbackDone").hidden = false;
      $("again").focus();
    });
  });
  // reset leaves the conversation for a new one.
  const reset = () => {
    disconnect();
    forget();
    state.outbox = [];
    renderAll([]);
    for (const el of sending.values()) el.remove();
    sending.clear();
    list.querySelectorAll(".failed").forEach((el) => el.remove());
    reconnecting(false);
    begin();
  };
  $("again").addEventListener("click", reset);

  $("offlineForm").addEventListener("submit", (e) => {
    e.preventDefault();
    busy(e.target, async () => {
      const email = $("offlineEmail").value.trim();
      await call("POST", "/tickets", { name: $("offlineName").value, email, message: $("offlineMessage").value, url: pageURL || null });
      $("leftText").textContent = t("left", { email });
      show("left");
    });
  });

  $("close").addEventListener("click", () => tell({ t: "close" }));

  // The open panel keeps the focus: Tab cycles inside it, Escape closes it.
  const focusables = () => [...$("panel").querySelectorAll("button, input, textarea, a[href]")]
    .filter((el) => !el.disabled && el.offsetParent !== null);
  d.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      tell({ t: "close" });
    } else if (e.key === "Tab") {
      const f = focusables(), first = f[0], last = f[f.length - 1];
      if (!f.includes(d.activeElement)) {
        e.preventDefault();
        first.focus();
      } else if (e.shiftKey && d.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && d.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    }
  });
  const focusFirst = () => {
    const target = ["name", "email", "first", "compose", "offlineName", "offlineEmail", "offlineMessage", "again"]
      .map($).find((el) => el.offsetParent !== null && !el.value);
    (target || focusables()[0] || $("close")).focus();
  };

  // --- the page around the panel -----------------------------------------
  addEventListener("message", (e) => {
    const m = e.data;
    if (e.source !== parent || !m) return;
    if (m.t === "init" && !parentOrigin) {
      parentOrigin = e.origin;
      options = m.options || {};
      pageURL = m.url;
      translate(options.language);
      if (state.id && state.who !== identity(options.user)) forget(); // someone else signed in on this browser
      state.outbox = state.outbox || [];
      started = begin();
      return;
    }
    if (e.origin !== parentOrigin) return;
    if (m.t === "open") {
      isOpen = true;
      started.then(() => {
        focusFirst();
        emit("opened");
      });
    } else if (m.t === "closed") {
      isOpen = false;
    } else if (m.t === "page") {
      pageURL = m.url;
      if (state.id) mine("/page", { url: m.url }).catch(() => { /* the next page says it again */ });
    } else if (m.t === "identify") {
      options.user = m.user;
      if (state.id && state.who !== identity(m.user)) reset(); else if (!state.id && cfg.online) startForm();
    }
  });

  d.documentElement.style.setProperty("--accent", cfg.color);
  translate(navigator.language);
  parent.postMessage({ t: "ready" }, "*"); // carries nothing: the page answers with init
})();
