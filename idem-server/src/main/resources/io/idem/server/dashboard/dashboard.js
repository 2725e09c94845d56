// Idem dashboard: reads GET /v1/dashboard (and GET /v1/locks when the server has it) every 2 s.
// Plain JS, no build step, nothing from the network. Every text from the server is set with
// textContent, never parsed as HTML.
(function () {
  "use strict";

  var STATES = ["SCHEDULED", "QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "DEAD", "CANCELLED", "EXPIRED"];
  var KEY_STORE = "idem.apiKey";
  var REFRESH_MS = 2000;

  var selectedId = null;
  var timer = null;
  var asking = false;
  var last = null;
  var numbers = new Intl.NumberFormat("en-US");

  // ---- small DOM helpers ------------------------------------------------------------------------

  function $(id) {
    return document.getElementById(id);
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function setNumber(id, value) {
    var e = $(id);
    e.textContent = numbers.format(value);
    e.setAttribute("data-value", String(value));
  }

  function clear(e) {
    while (e.firstChild) e.removeChild(e.firstChild);
  }

  // ---- time -------------------------------------------------------------------------------------

  function ago(iso, nowMs) {
    if (!iso) return "–";
    var d = Math.round((nowMs - Date.parse(iso)) / 1000);
    var future = d < 0;
    d = Math.abs(d);
    var t;
    if (d < 2) return "just now";
    if (d < 60) t = d + " s";
    else if (d < 3600) t = Math.floor(d / 60) + " min";
    else if (d < 86400) t = Math.floor(d / 3600) + " h";
    else t = Math.floor(d / 86400) + " d";
    return future ? "in " + t : t + " ago";
  }

  function span(ms) {
    if (ms <= 0) return "over";
    var s = Math.ceil(ms / 1000);
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s";
    return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
  }

  function clock(iso) {
    if (!iso) return "–";
    var d = new Date(iso);
    return d.toLocaleString("en-GB", { hour12: false });
  }

  function pretty(text) {
    if (text === null || text === undefined) return null;
    if (typeof text !== "string") return JSON.stringify(text, null, 2);
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (e) {
      return String(text);
    }
  }

  // ---- key --------------------------------------------------------------------------------------

  function storedKey() {
    try {
      return localStorage.getItem(KEY_STORE);
    } catch (e) {
      return null;
    }
  }

  function readHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    var key = params.get("key");
    if (key) {
      try {
        localStorage.setItem(KEY_STORE, key);
      } catch (e) {
        // private mode: the key lives for this page only
        sessionKey = key;
      }
    }
    if (params.get("job")) selectedId = params.get("job");
    if (key) {
      writeHash();
      $("key-dialog").hidden = true;
      asking = false;
    }
  }

  var sessionKey = null;

  function writeHash() {
    var h = selectedId ? "#job=" + encodeURIComponent(selectedId) : "";
    history.replaceState(null, "", location.pathname + location.search + h);
  }

  function headers() {
    var k = storedKey() || sessionKey;
    return k ? { Authorization: "Bearer " + k } : {};
  }

  function askKey(message) {
    asking = true;
    $("key-dialog").hidden = false;
    var err = $("key-error");
    err.hidden = !message;
    err.textContent = message || "";
    $("key-input").focus();
  }

  $("key-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var k = $("key-input").value.trim();
    if (!k) return;
    try {
      localStorage.setItem(KEY_STORE, k);
    } catch (e) {
      sessionKey = k;
    }
    $("key-input").value = "";
    $("key-dialog").hidden = true;
    asking = false;
    refresh();
  });

  $("key-button").addEventListener("click", function () {
    try {
      localStorage.removeItem(KEY_STORE);
    } catch (e) {
      // nothing stored
    }
    sessionKey = null;
    location.reload();
  });

  // ---- fetching ---------------------------------------------------------------------------------

  function getJson(path) {
    return fetch(path, { headers: headers(), cache: "no-store" }).then(function (r) {
      if (r.status === 401) {
        var e = new Error("unauthorized");
        e.unauthorized = true;
        throw e;
      }
      if (r.status === 404) return null;
      if (!r.ok) {
        return r.json().then(
          function (p) {
            throw new Error((p && p.detail) || "HTTP " + r.status);
          },
          function () {
            throw new Error("HTTP " + r.status);
          }
        );
      }
      return r.json();
    });
  }

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(refresh, REFRESH_MS);
  }

  function refresh() {
    if (asking) return;
    if (document.visibilityState === "hidden") {
      schedule();
      return;
    }
    var q = selectedId ? "?job=" + encodeURIComponent(selectedId) : "";
    getJson("/v1/dashboard" + q)
      .then(function (d) {
        if (!d) throw new Error("this server has no /v1/dashboard");
        last = d;
        render(d);
        $("key-button").hidden = !storedKey();
        setStatus("live", "updated " + clock(d.now).split(", ")[1]);
        return getJson("/v1/locks").then(
          function (l) {
            renderLocks(l, d.now);
          },
          function () {
            renderLocks(null, d.now);
          }
        );
      })
      .then(schedule, function (e) {
        if (e && e.unauthorized) {
          setStatus("error", "API key needed");
          askKey(storedKey() || sessionKey ? "That key was refused." : null);
          return;
        }
        setStatus("error", (e && e.message) || "cannot reach the server");
        schedule();
      });
  }

  function setStatus(status, text) {
    var s = $("status");
    s.setAttribute("data-status", status);
    s.title = status;
    $("updated").textContent = text;
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") refresh();
  });

  // ---- rendering --------------------------------------------------------------------------------

  function render(d) {
    var nowMs = Date.parse(d.now);
    var stats = d.stats;
    document.body.setAttribute("data-tenant", d.tenant);
    $("tenant").textContent = d.tenant;
    $("store").textContent = d.store;
    document.title = "Idem · " + d.tenant;

    setNumber("jobs-total", stats.total);
    setNumber("dups-total", stats.duplicatesPreventedTotal);
    setNumber("replays-total", d.counters.replays);
    setNumber("conflicts-total", d.counters.conflicts);
    setNumber("mismatches-total", d.counters.mismatches);
    $("conflicts-foot").lastChild.textContent = d.counters.mismatches === 1 ? " mismatch" : " mismatches";
    var waiting = stats.byState.SCHEDULED + stats.byState.QUEUED + stats.byState.FAILED;
    $("jobs-foot").textContent =
      numbers.format(waiting) + " waiting · " + numbers.format(stats.byState.RUNNING) + " running";

    renderStates(stats.byState);
    renderJobs(d.jobs, nowMs);
    renderDetail(d, nowMs);
    renderDups(stats.duplicatesPrevented);
    renderEvents(d.events, nowMs);
    document.body.setAttribute("data-loaded", "true");
  }

  function renderStates(byState) {
    var box = $("states");
    clear(box);
    STATES.forEach(function (s) {
      var n = byState[s] || 0;
      var c = el("div", "state");
      c.id = "state-" + s;
      c.setAttribute("data-state", s);
      c.setAttribute("data-value", String(n));
      c.appendChild(el("div", "label", s));
      c.appendChild(el("div", "count", numbers.format(n)));
      box.appendChild(c);
    });
  }

  function pill(state) {
    var p = el("span", "pill", state);
    p.setAttribute("data-state", state);
    return p;
  }

  function renderJobs(jobs, nowMs) {
    var body = $("jobs-table").tBodies[0];
    clear(body);
    jobs.forEach(function (j) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-job-id", j.id);
      tr.setAttribute("data-job-state", j.state);
      if (j.id === selectedId) tr.className = "selected";

      var name = el("td");
      name.appendChild(el("span", "job-type", j.type));
      name.appendChild(el("span", "job-id", j.id.length > 24 ? j.id.slice(0, 8) + "…" + j.id.slice(-12) : j.id));
      name.title = j.id;
      tr.appendChild(name);

      var st = el("td");
      st.appendChild(pill(j.state));
      tr.appendChild(st);

      tr.appendChild(el("td", "num", j.attempt + " / " + j.maxAttempts));

      var created = el("td", null, ago(j.createdAt, nowMs));
      created.title = clock(j.createdAt);
      tr.appendChild(created);

      var key = el("td", "key", j.uniqueKey ? shortKey(j.uniqueKey, j.type) : "–");
      if (j.uniqueKey) key.title = j.uniqueKey;
      else key.className = "key zero";
      tr.appendChild(key);

      var dups = el("td", "num");
      dups.appendChild(
        j.duplicatesPrevented > 0
          ? el("span", "dups-badge", numbers.format(j.duplicatesPrevented))
          : el("span", "zero", "0")
      );
      tr.appendChild(dups);

      tr.addEventListener("click", function () {
        selectedId = j.id;
        writeHash();
        if (last) {
          last.selected = j;
          render(last);
        }
        refresh();
      });
      body.appendChild(tr);
    });
    $("jobs-empty").hidden = jobs.length > 0;
    $("jobs-note").textContent = jobs.length >= 50 ? "newest 50" : jobs.length + " shown";
  }

  // A unique key without its job type's prefix (the row shows the type already).
  function shortKey(key, type) {
    return key.indexOf(type + ":") === 0 ? key.substring(type.length + 1) : key;
  }

  function field(dl, name, value, cls) {
    dl.appendChild(el("dt", null, name));
    var dd = el("dd", cls || null);
    if (value instanceof Node) dd.appendChild(value);
    else dd.textContent = value === null || value === undefined || value === "" ? "–" : String(value);
    dl.appendChild(dd);
  }

  function blob(box, label, text, cls) {
    var p = pretty(text);
    if (p === null) return;
    box.appendChild(el("div", "blob-label", label));
    box.appendChild(el("pre", "blob" + (cls ? " " + cls : ""), p));
  }

  function renderDetail(d, nowMs) {
    var box = $("detail-body");
    var panel = $("job-detail");
    clear(box);
    var j = d.selected;
    if (!j && selectedId) {
      j = d.jobs.filter(function (x) {
        return x.id === selectedId;
      })[0];
    }
    if (!j) {
      panel.setAttribute("data-job-id", "");
      $("detail-hint").textContent = selectedId ? "not found" : "select a job";
      box.appendChild(
        el("p", "empty", selectedId ? "Job " + selectedId + " is not in this tenant." : "Click a job to see its history.")
      );
      return;
    }
    panel.setAttribute("data-job-id", j.id);
    panel.setAttribute("data-job-state", j.state);
    $("detail-hint").textContent = "queue " + j.queue;

    var title = el("div", "detail-title");
    title.appendChild(el("span", "job-type", j.type));
    title.appendChild(pill(j.state));
    box.appendChild(title);

    var dl = el("dl", "fields");
    field(dl, "id", j.id, "mono");
    field(dl, "attempts", j.attempt + " of " + j.maxAttempts);
    field(dl, "unique key", j.uniqueKey, "mono");
    var dup = el("span", j.duplicatesPrevented > 0 ? "dups-badge" : "zero", numbers.format(j.duplicatesPrevented));
    dup.id = "detail-dups";
    dup.setAttribute("data-value", String(j.duplicatesPrevented));
    field(dl, "duplicates", dup);
    field(dl, "priority", j.priority);
    if (j.workerId) field(dl, "worker", j.workerId, "mono");
    if (j.leaseUntil && j.state === "RUNNING") field(dl, "lease left", span(Date.parse(j.leaseUntil) - nowMs));
    if (j.expiresAt) field(dl, "expires", clock(j.expiresAt));
    box.appendChild(dl);

    // The job's history as its times tell it, oldest first.
    var steps = [{ label: "created", at: j.createdAt }];
    if (j.updatedAt !== j.createdAt && j.updatedAt !== j.finishedAt) {
      var what = j.state === "FAILED" ? "attempt " + j.attempt + " failed" : "updated";
      steps.push({ label: what, at: j.updatedAt });
    }
    if (j.finishedAt) steps.push({ label: j.state.toLowerCase(), at: j.finishedAt, state: j.state });
    if (j.state === "SCHEDULED") steps.push({ label: "runs", at: j.runAt, state: j.state });
    if (j.state === "FAILED") steps.push({ label: "retry", at: j.runAt, state: j.state });
    if (j.state === "RUNNING" && j.leaseUntil) {
      steps.push({ label: "lease ends", at: j.leaseUntil, state: j.state });
    }
    steps.sort(function (a, b) {
      return Date.parse(a.at) - Date.parse(b.at);
    });
    var tl = el("ul", "timeline");
    steps.forEach(function (s) {
      var li = el("li");
      if (s.state) li.setAttribute("data-state", s.state);
      li.appendChild(el("span", null, s.label));
      li.appendChild(el("span", "when", clock(s.at) + " · " + ago(s.at, nowMs)));
      tl.appendChild(li);
    });
    box.appendChild(tl);

    blob(box, "last error", j.lastError, "error");
    blob(box, "result", j.result);
    blob(box, "args", j.args);
  }

  function renderDups(top) {
    var body = $("dups-table").tBodies[0];
    clear(body);
    var max = top.reduce(function (m, k) {
      return Math.max(m, k.count);
    }, 0);
    top.slice(0, 12).forEach(function (k) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-unique-key", k.key);
      tr.setAttribute("data-count", String(k.count));
      var key = el("td", "key", k.key);
      key.title = k.key;
      tr.appendChild(key);
      var barCell = el("td", "bar-cell");
      var bar = el("div", "bar");
      bar.style.width = Math.max(4, Math.round((100 * k.count) / Math.max(1, max))) + "%";
      barCell.appendChild(bar);
      tr.appendChild(barCell);
      tr.appendChild(el("td", "num", numbers.format(k.count)));
      body.appendChild(tr);
    });
    $("dups-empty").hidden = top.length > 0;
  }

  function lockList(l) {
    if (!l) return null;
    if (Array.isArray(l)) return l;
    if (Array.isArray(l.locks)) return l.locks;
    if (Array.isArray(l.items)) return l.items;
    return [];
  }

  function renderLocks(l, nowIso) {
    var nowMs = Date.parse(nowIso);
    var body = $("locks-table").tBodies[0];
    clear(body);
    var locks = lockList(l);
    $("locks-note").textContent = locks === null ? "no lock registry on this server" : "";
    var held = (locks || []).filter(function (k) {
      return k.held !== false && (k.owner || k.holder);
    });
    held.forEach(function (k) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-lock", k.name);
      var name = el("td", "key", k.name);
      name.title = k.name;
      tr.appendChild(name);
      var who = k.owner || k.holder;
      var holder = el("td", null, who);
      holder.title = who;
      tr.appendChild(holder);
      tr.appendChild(el("td", "num mono", k.token === undefined ? "–" : k.token));
      var left = "–";
      if (typeof k.leaseLeftMillis === "number") left = span(k.leaseLeftMillis);
      else if (k.leaseUntil) left = span(Date.parse(k.leaseUntil) - nowMs);
      var leftCell = el("td", "num", left);
      if (k.leaseUntil) leftCell.title = "until " + clock(k.leaseUntil);
      tr.appendChild(leftCell);
      body.appendChild(tr);
    });
    $("locks-empty").hidden = held.length > 0;
  }

  function renderEvents(events, nowMs) {
    var list = $("events-list");
    clear(list);
    events.forEach(function (e) {
      var li = el("li");
      li.setAttribute("data-event", e.what);
      var when = el("span", "muted", ago(e.at, nowMs));
      when.title = clock(e.at);
      li.appendChild(when);
      li.appendChild(el("span", "what what-" + e.what, e.what));
      var key = el("span", "key", e.kind + " · " + e.key);
      key.title = e.key;
      li.appendChild(key);
      list.appendChild(li);
    });
    $("events-empty").hidden = events.length > 0;
  }

  readHash();
  window.addEventListener("hashchange", function () {
    readHash();
    refresh();
  });
  refresh();
})();
