// Live updates: listens to the community's change stream (data-live on
// <body>) and, when tickets change, fetches the page again and swaps in
// the parts that show them (elements with data-live-part; one with
// data-ticket-id only when that ticket changed). A part the user is typing
// in, or has unsaved edits in, is left alone but for the parts inside it
// (a conversation's thread goes on updating while a message is typed),
// and a notice offers a reload for the rest.
//
// Chat: a form with data-chat-send is sent without leaving the page, its
// textarea sending on Enter; a part with data-stick="bottom" stays
// scrolled to its end as messages arrive. While the teammate is active,
// the page tells the server so (data-seen), which keeps them online for
// live chat.
(function () {
  'use strict';
  var body = document.body;
  if (!body || !window.fetch || !window.DOMParser) return;
  var url = body.getAttribute('data-live');
  var csrf = body.getAttribute('data-csrf') || '';

  // Activity: at most one heartbeat a minute, only after the user did
  // something since the last, and only while the page is visible.
  var seenURL = body.getAttribute('data-seen'), active = true;
  if (seenURL) {
    ['keydown', 'mousedown', 'mousemove', 'touchstart', 'scroll', 'focusin'].forEach(function (t) {
      document.addEventListener(t, function () { active = true; }, {passive: true, capture: true});
    });
    var beat = function () {
      if (!active || document.hidden) return;
      active = false;
      fetch(seenURL, {method: 'POST', credentials: 'same-origin', body: new URLSearchParams({csrf: csrf})}).catch(function () {});
    };
    beat();
    setInterval(beat, 60000);
  }

  function top(el) {
    return !el.parentElement || !el.parentElement.closest('[data-live-part]');
  }
  function parts() {
    return Array.prototype.filter.call(document.querySelectorAll('[data-live-part]'), top);
  }

  // Threads that stick to the bottom start there.
  function stickAll(root) {
    var s = root.querySelectorAll('[data-stick="bottom"]');
    for (var i = 0; i < s.length; i++) s[i].scrollTop = s[i].scrollHeight;
  }
  stickAll(document);

  var changed = {};   // ids of tickets changed since the last refresh; "0": anything
  var stale = {};     // names of parts left as they were
  var timer = 0, first = 0, fetching = false, again = false, hidden = false, shown = false;
  var notice = document.createElement('p');
  notice.className = 'live-notice';
  notice.setAttribute('role', 'status');
  body.appendChild(notice);

  // schedule refreshes 150 ms after the last change of a burst, but at
  // most 500 ms after its first.
  function schedule(id) {
    if (id !== null) changed[id] = true;
    var now = Date.now();
    if (!first) first = now;
    clearTimeout(timer);
    timer = setTimeout(refresh, Math.max(0, Math.min(150, first + 500 - now)));
  }

  function refresh() {
    timer = 0;
    first = 0;
    if (document.hidden) { hidden = true; return; }
    if (fetching) { again = true; return; }
    var ids = changed;
    changed = {};
    fetching = true;
    fetch(location.href, {credentials: 'same-origin'}).then(function (res) {
      if (!res.ok) throw new Error(res.status);
      return res.text();
    }).then(function (html) {
      apply(new DOMParser().parseFromString(html, 'text/html'), ids);
    }).catch(function () {
      for (var k in ids) changed[k] = true;
    }).then(function () {
      fetching = false;
      if (again) { again = false; refresh(); }
    });
  }

  // apply swaps in the parts of doc that changed (only the one named
  // only, when given).
  function apply(doc, ids, only) {
    if (!only && doc.title) document.title = doc.title;
    parts().forEach(function (old) {
      var name = old.getAttribute('data-live-part');
      if (only && name !== only) return;
      var next = doc.querySelector('[data-live-part="' + name + '"]');
      if (!next) return;
      var tid = old.getAttribute('data-ticket-id');
      if (tid && tid !== next.getAttribute('data-ticket-id')) return; // another ticket is open there now
      if (tid && !ids['0'] && !ids[tid] && !stale[name]) return;
      if (update(old, next)) delete stale[name];
      else stale[name] = true;
    });
    var show = Object.keys(stale).length > 0;
    if (show === shown) return;
    shown = show;
    notice.textContent = '';
    if (show) {
      notice.appendChild(document.createTextNode('Tickets were updated elsewhere. '));
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'link';
      b.textContent = 'Reload';
      b.addEventListener('click', function () { location.reload(); });
      notice.appendChild(b);
    }
  }

  // update brings old up to date with next and reports whether it is:
  // swapped whole when the user is not working in it, else part by part.
  function update(old, next) {
    if (old.isEqualNode(next)) return true;
    if (!working(old)) { swap(old, next); return true; }
    var inner = old.querySelectorAll('[data-live-part]');
    for (var i = 0; i < inner.length; i++) {
      var n = next.querySelector('[data-live-part="' + inner[i].getAttribute('data-live-part') + '"]');
      if (n && !working(inner[i])) swap(inner[i], n);
    }
    return old.isEqualNode(next);
  }

  // working reports whether the user is typing in el or has edits there
  // that are not sent yet.
  function working(el) {
    var a = document.activeElement;
    if (a && el.contains(a) && (a.tagName === 'TEXTAREA' || (a.tagName === 'INPUT' && !/^(checkbox|radio|submit|button|hidden|reset)$/.test(a.type)))) return true;
    var fields = el.querySelectorAll('input, textarea, select');
    for (var i = 0; i < fields.length; i++) if (edited(fields[i])) return true;
    return false;
  }

  function edited(f) {
    if (f.tagName === 'SELECT') {
      var d = f.multiple ? -1 : 0;
      for (var i = 0; i < f.options.length; i++) {
        var o = f.options[i];
        if (f.multiple && o.selected !== o.defaultSelected) return true;
        if (o.defaultSelected) d = i;
      }
      return !f.multiple && f.selectedIndex !== d;
    }
    if (f.type === 'checkbox' || f.type === 'radio') return f.checked !== f.defaultChecked;
    if (f.type === 'hidden') return false;
    return f.value !== f.defaultValue;
  }

  // swap replaces old by a copy of next (next stays in its document, to
  // compare with), keeping the scroll positions and the focus; a part
  // that sticks to the bottom and was there stays there.
  function swap(old, next) {
    var x = window.scrollX, y = window.scrollY;
    var scrolls = [], i;
    var boxes = [old].concat(Array.prototype.slice.call(old.querySelectorAll('[data-live-part]')));
    for (i = 0; i < boxes.length; i++) {
      var b = boxes[i];
      scrolls.push({name: b.getAttribute('data-live-part'), top: b.scrollTop,
        bottom: b.getAttribute('data-stick') === 'bottom' && b.scrollHeight - b.scrollTop - b.clientHeight < 40});
    }
    var a = document.activeElement, where = a && a !== old && old.contains(a) ? locate(a, old) : null;
    var copy = document.importNode(next, true);
    old.replaceWith(copy);
    for (i = 0; i < scrolls.length; i++) {
      var s = scrolls[i];
      var el = i === 0 ? copy : copy.querySelector('[data-live-part="' + s.name + '"]');
      if (!el) continue;
      el.scrollTop = s.bottom ? el.scrollHeight : s.top;
    }
    var f = where && find(copy, where);
    if (f) f.focus({preventScroll: true});
    window.scrollTo(x, y);
  }

  function locate(a, root) {
    if (a.id) return {id: a.id};
    if (a.getAttribute('href')) return {href: a.getAttribute('href')};
    var path = [];
    for (var n = a; n !== root; n = n.parentElement) path.unshift(Array.prototype.indexOf.call(n.parentElement.children, n));
    return {path: path};
  }

  function find(root, where) {
    var all = root.querySelectorAll('[id], [href]'), i;
    for (i = 0; i < all.length; i++) {
      if (where.id && all[i].id === where.id) return all[i];
      if (where.href && all[i].getAttribute('href') === where.href) return all[i];
    }
    if (!where.path) return null;
    var n = root;
    for (i = 0; n && i < where.path.length; i++) n = n.children[where.path[i]];
    return n || null;
  }

  // Chat forms: sent with fetch; the answer is the page with the message
  // in it, applied at once. An error keeps the text and says what failed.
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form.hasAttribute || !form.hasAttribute('data-chat-send')) return;
    e.preventDefault();
    var input = form.querySelector('[data-chat-input]'), err = form.querySelector('.send-error');
    var text = input ? input.value : '';
    if (!text.trim() || form.getAttribute('data-sending')) return;
    form.setAttribute('data-sending', '1');
    var data = new URLSearchParams(new FormData(form));
    fetch(form.action, {method: 'POST', credentials: 'same-origin', body: data}).then(function (res) {
      return res.text().then(function (html) { return {ok: res.ok, doc: new DOMParser().parseFromString(html, 'text/html')}; });
    }).then(function (r) {
      if (!r.ok) {
        var m = r.doc.querySelector('.error');
        throw new Error(m ? m.textContent : 'The message was not sent.');
      }
      form.removeAttribute('data-sending');
      if (input && input.value === text) { input.value = ''; input.defaultValue = ''; }
      if (err) { err.hidden = true; err.textContent = ''; }
      // Only the part the form is in: the answer is the page of another
      // address, whose list may differ from this one's.
      var part = form.closest('[data-live-part]');
      while (part && !top(part)) part = part.parentElement.closest('[data-live-part]');
      if (!part) return;
      var ids = {};
      ids[part.getAttribute('data-ticket-id') || '0'] = true;
      apply(r.doc, ids, part.getAttribute('data-live-part'));
    }).catch(function (x) {
      if (err) { err.textContent = x.message || 'The message was not sent; try again.'; err.hidden = false; }
    }).then(function () {
      form.removeAttribute('data-sending');
    });
  });
  // Typing in a chat composer tells the client, at most every 3 s.
  var typedAt = 0;
  document.addEventListener('input', function (e) {
    var t = e.target;
    if (!t.getAttribute || !t.getAttribute('data-typing') || !t.value.trim()) return;
    var now = Date.now();
    if (now - typedAt < 3000) return;
    typedAt = now;
    fetch(t.getAttribute('data-typing'), {method: 'POST', credentials: 'same-origin', body: new URLSearchParams({csrf: csrf})}).catch(function () {});
  });
  document.addEventListener('keydown', function (e) {
    var t = e.target;
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing || !t.hasAttribute || !t.hasAttribute('data-chat-input')) return;
    e.preventDefault();
    if (t.form) t.form.requestSubmit();
  });

  if (!url || !window.EventSource || !parts().length) return;

  // When the user leaves a part that was left stale, try it again.
  document.addEventListener('focusout', function () {
    setTimeout(function () {
      var names = Object.keys(stale);
      if (!names.length) return;
      for (var i = 0; i < names.length; i++) {
        var el = document.querySelector('[data-live-part="' + names[i] + '"]');
        if (el && working(el)) return;
      }
      schedule(null);
    }, 0);
  });

  document.addEventListener('visibilitychange', function () {
    if (!document.hidden && hidden) { hidden = false; refresh(); }
  });

  // The stream gives every burst of changes an id, and EventSource sends
  // the last one back (Last-Event-ID) when it reconnects: the server then
  // sends the changes missed meanwhile, or a 0 when it cannot tell them.
  var es = new EventSource(url);
  es.addEventListener('ticket', function (e) {
    schedule(String(parseInt(e.data, 10) || 0));
  });
  // Someone else typing in the open conversation shows for 6 s, or until
  // their message arrives (a refresh puts the indicator back hidden).
  var me = body.getAttribute('data-user-id'), typingTimer = 0;
  es.addEventListener('typing', function (e) {
    var d;
    try { d = JSON.parse(e.data); } catch (x) { return; }
    if (!d || d.userId === me) return;
    var art = document.querySelector('article[data-ticket-id="' + d.ticketId + '"]');
    var el = art && art.querySelector('.typing-indicator');
    if (!el) return;
    el.textContent = (d.name || 'Someone') + ' is typing…';
    el.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { el.hidden = true; }, 6000);
  });
})();
