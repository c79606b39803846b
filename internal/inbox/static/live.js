// Live updates: listens to the community's change stream (data-live on
// <body>) and, when tickets change, fetches the page again and swaps in
// the ticket list and, if it changed, the open ticket. A part the user is
// typing in, or has unsaved edits in, is left alone and a notice offers a
// reload instead.
(function () {
  'use strict';
  var url = document.body && document.body.getAttribute('data-live');
  if (!url || !window.EventSource || !window.fetch || !window.DOMParser) return;
  var LIST = 'section.list', TICKET = 'article.ticket';
  if (!document.querySelector(LIST) && !document.querySelector(TICKET)) return;

  var changed = {};   // ids of tickets changed since the last refresh; "0": anything
  var stale = {};     // parts left as they were, by selector
  var timer = 0, first = 0, fetching = false, again = false, hidden = false, shown = false;
  var notice = document.createElement('p');
  notice.className = 'live-notice';
  notice.setAttribute('role', 'status');
  document.body.appendChild(notice);

  // schedule refreshes 300 ms after the last change of a burst, but at
  // most 1 s after its first.
  function schedule(id) {
    if (id !== null) changed[id] = true;
    var now = Date.now();
    if (!first) first = now;
    clearTimeout(timer);
    timer = setTimeout(refresh, Math.max(0, Math.min(300, first + 1000 - now)));
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

  function apply(doc, ids) {
    var parts = [LIST], cur = document.querySelector(TICKET);
    if (cur && (ids['0'] || ids[cur.getAttribute('data-ticket-id')] || stale[TICKET])) parts.push(TICKET);
    parts.forEach(function (sel) {
      var old = document.querySelector(sel), next = doc.querySelector(sel);
      if (!old || !next) return;
      if (old.isEqualNode(next)) { delete stale[sel]; return; }
      if (working(old)) { stale[sel] = true; return; }
      swap(old, next);
      delete stale[sel];
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

  // swap replaces old by next, keeping the scroll position and the focus.
  function swap(old, next) {
    var x = window.scrollX, y = window.scrollY, top = old.scrollTop;
    var a = document.activeElement, where = a && a !== old && old.contains(a) ? locate(a, old) : null;
    next = document.adoptNode(next);
    old.replaceWith(next);
    next.scrollTop = top;
    var f = where && find(next, where);
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

  // When the user leaves a part that was left stale, try it again.
  document.addEventListener('focusout', function () {
    setTimeout(function () {
      var sels = Object.keys(stale);
      if (!sels.length) return;
      for (var i = 0; i < sels.length; i++) {
        var el = document.querySelector(sels[i]);
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
})();
