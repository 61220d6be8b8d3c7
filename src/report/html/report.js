(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("muslcheck-data").textContent);
  var VERDICTS = ["native", "gcompat", "rebuild", "skipped", "error"];
  var LABEL = {
    native: "run as they are", gcompat: "run with gcompat", rebuild: "need a rebuild",
    skipped: "not judged", error: "unreadable"
  };
  var PAGE = 200;

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] !== null && attrs[k] !== undefined) { e.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) { return; }
      e.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
    });
    return e;
  }
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }
  function badge(v) { return el("span", {"class": "badge v-" + v}, [v]); }
  function counted(r) { return r.effective_verdict || r.verdict; }
  function describe(t) {
    return t.name + " (musl " + t.musl + ", " + (t.gcompat ? "gcompat " + t.gcompat : "no gcompat") + ")";
  }
  function bar(totals, small) {
    var sum = VERDICTS.reduce(function (s, v) { return s + (totals[v] || 0); }, 0);
    var b = el("div", {"class": small ? "bar small" : "bar", "role": "img",
      "aria-label": VERDICTS.map(function (v) { return (totals[v] || 0) + " " + v; }).join(", ")});
    VERDICTS.forEach(function (v) {
      var n = totals[v] || 0;
      if (n > 0) {
        b.appendChild(el("div", {"class": "v-" + v, "style": "flex-grow:" + n, "title": n + " " + v}));
      }
    });
    if (sum === 0) { b.appendChild(el("div", {"style": "flex-grow:1"})); }
    return b;
  }
  function table(headers, rows, numeric) {
    var head = el("tr", null, headers.map(function (h, i) {
      return el("th", {"class": numeric && numeric[i] ? "num" : null}, [h]);
    }));
    var body = el("tbody", null, rows.map(function (cells) {
      return el("tr", null, cells.map(function (c, i) {
        return el("td", {"class": numeric && numeric[i] ? "num" : null}, [c]);
      }));
    }));
    return el("table", null, [el("thead", null, [head]), body]);
  }
  function section(id, title, children) {
    return el("section", {"id": id}, [el("h2", null, [title])].concat(children));
  }

  var app = document.getElementById("app");
  var results = data.results;
  app.appendChild(el("header", null, [
    el("h1", null, ["Alpine migration assessment"]),
    el("p", {"class": "muted"}, [results.length + " files judged for " + describe(data.target) +
      " by muslcheck " + data.tool.version])
  ]));

  var gate = data.gate;
  if (gate) {
    var word = {passed: "Gate passed", failed: "Gate failed", unreadable: "Gate failed: unreadable inputs"};
    var banner = el("div", {"class": "banner " + gate.status, "id": "gate", "data-status": gate.status}, [
      el("strong", null, [word[gate.status] || gate.status]), " · ",
      el("span", {"data-gate": "failing"}, [String(gate.failing + gate.unreadable)]),
      " of " + results.length + " files fail --fail-on " + gate.fail_on +
      (gate.unreadable > 0 ? " (" + gate.unreadable + " unreadable)" : "") +
      (gate.allowed + gate.baselined > 0 ?
        " · " + plural(gate.allowed, "finding") + " allowed, " + gate.baselined + " known in the baseline" : "")
    ]);
    (gate.allow_rules || []).filter(function (r) { return r.expired; }).forEach(function (r) {
      banner.appendChild(el("div", {"class": "warn"}, ["Allow rule " + r.rule + " (line " + r.line +
        ", " + r.matches + ") expired on " + r.expires + " and no longer applies: " + r.reason]));
    });
    app.appendChild(banner);
  }

  var verify = data.verify;
  if (verify) {
    var vh = verify.host;
    app.appendChild(el("div", {"class": "banner " + (verify.disagree > 0 ? "failed" : "passed"), "id": "verify",
      "data-disagree": String(verify.disagree)}, [
      el("strong", null, [verify.disagree > 0 ? "Verify: disagreements" : "Verify: predictions confirmed"]), " · ",
      verify.agree + " of " + verify.checked + " checked files agree with musl " + vh.musl + " (" + vh.loader +
        (vh.gcompat_preload ? ", gcompat " + vh.gcompat_preload : ", no gcompat") + ")" +
        (verify.run_args ? " · ran with '" + verify.run_args.join(" ") + "'" +
          (vh.network_isolation ? " without network (" + vh.network_isolation + ")" : " with network") : " · list mode only") +
        " · " + verify.unconfirmed + " unconfirmed, " + verify.not_checked + " not checked"
    ]));
  }

  var legend = el("ul", {"class": "legend"}, VERDICTS.map(function (v) {
    return el("li", null, [el("span", {"class": "swatch v-" + v}), el("span", {"class": "count", "data-count": v},
      [String(data.totals[v] || 0)]), " " + v + " ", el("span", {"class": "muted"}, [LABEL[v]])]);
  }));
  app.appendChild(section("overview", "Verdicts", [bar(data.totals, false), legend]));

  var search = el("input", {"type": "search", "id": "search", "placeholder": "Filter by path, finding ID, symbol or library"});

  var arts = data.summary.artifacts || [];
  app.appendChild(section("artifacts", "Per artifact", [table(
    ["artifact", "worst verdict", "files", "native", "gcompat", "rebuild", "skipped", "error", ""],
    arts.map(function (a) {
      var t = a.totals;
      var files = VERDICTS.reduce(function (s, v) { return s + t[v]; }, 0);
      return [el("code", null, [a.artifact]), badge(a.verdict), files, t.native, t.gcompat, t.rebuild,
        t.skipped, t.error, bar(t, true)];
    }),
    [false, false, true, true, true, true, true, true, false])]));

  var blockers = data.summary.blockers || [];
  app.appendChild(section("blockers", "Top blockers", blockers.length === 0 ?
    [el("p", {"class": "muted"}, ["Nothing blocks a binary from loading."])] :
    [el("p", {"class": "muted"}, ["Symbols and libraries that stop binaries from loading even with gcompat."]),
     table(["blocker", "kind", "finding", "binaries", "artifacts"], blockers.map(function (b) {
       var name = el("code", {"class": "blocker", "title": "show the binaries it blocks"}, [b.name]);
       name.addEventListener("click", function () {
         search.value = b.name;
         apply();
         document.getElementById("files").scrollIntoView();
       });
       return [name, b.kind, el("code", null, [b.id]), b.binaries, b.artifacts];
     }), [false, false, false, true, true])]));

  if ((data.summary.install || []).length > 0) {
    app.appendChild(section("install", "To run the rest", [el("p", null,
      [el("code", null, ["apk add " + data.summary.install.join(" ")])])]));
  }

  if (gate && (gate.allow_rules || []).length > 0) {
    app.appendChild(section("allow", "Allow rules", [table(
      ["rule", "matches", "reason", "expires", "findings"],
      gate.allow_rules.map(function (r) {
        return [r.rule + " (line " + r.line + ")", el("code", null, [r.matches]), r.reason,
          r.expired ? el("span", {"class": "warn"}, ["expired " + r.expires]) : (r.expires || "never"), r.findings];
      }), [false, false, false, false, true])]));
  }

  var verdictFilter = el("select", {"id": "verdict-filter"}, [el("option", {"value": ""}, ["all verdicts"])].concat(
    VERDICTS.map(function (v) { return el("option", {"value": v}, [v]); })));
  var onlyFailing = el("input", {"type": "checkbox", "id": "only-failing"});
  var shown = el("span", {"class": "muted", "id": "shown"});
  var list = el("ul", {"class": "binaries", "id": "binaries"});
  var moreButton = el("button", {"type": "button"}, ["Show more"]);
  var controls = el("div", {"class": "controls"}, [search, verdictFilter,
    el("label", null, [onlyFailing, " failing only"]), shown]);
  app.appendChild(section("files", "Binaries and findings", [controls, list, moreButton]));

  var haystacks = results.map(function (r) {
    var parts = [r.path];
    r.findings.forEach(function (f) { parts.push(f.id, f.symbol || "", f.library || "", f.message); });
    return parts.join("\n").toLowerCase();
  });

  function item(r) {
    var v = counted(r);
    var head = el("summary", null, [badge(r.verdict),
      v !== r.verdict ? el("span", {"class": "muted"}, ["counted as " + v]) : null,
      el("code", {"class": "path"}, [r.path]),
      r.fails ? el("span", {"class": "fails"}, ["fails the gate"]) : null,
      r.verify ? el("span", {"class": r.verify.agreement === "disagree" ? "fails" : "muted",
        "data-agreement": r.verify.agreement}, ["verify: " + r.verify.agreement]) : null,
      el("span", {"class": "muted"}, [plural(r.findings.length, "finding")])]);
    var body = el("div", {"class": "body"});
    if (r.verify) {
      var o = r.verify;
      body.appendChild(el("p", null, ["Verify (" + o.agreement + "): " + o.note +
        (o.loader ? " · loader: " + o.loader.command + (o.loader.exit_code !== undefined ? " → exit " + o.loader.exit_code : "") : "") +
        (o.run ? " · run: " + o.run.command + " → " + o.run.outcome +
          (o.run.signal ? " " + o.run.signal : (o.run.exit_code !== undefined ? " " + o.run.exit_code : "")) +
          (o.run.stderr ? " · stderr: " + o.run.stderr : "") : "")]));
    }
    if (r.reason) { body.appendChild(el("p", null, [r.reason])); }
    if (r.image) {
      var im = r.image, l = im.layer;
      body.appendChild(el("p", {"class": "muted"}, ["in image " + (im.reference || "(unnamed)") +
        (im.digest || im.id ? "@" + (im.digest || im.id) : "") + ", " + im.path +
        (l ? " from layer " + l.index + (l.created_by ? ": " + l.created_by : "") : "")]));
    }
    if (r.elf) {
      body.appendChild(el("p", {"class": "muted"}, [r.elf.arch + " " + r.elf.kind + ", " + r.elf.libc +
        (r.elf.needed && r.elf.needed.length ? " · needs " + r.elf.needed.join(" ") : "")]));
    }
    if (r.findings.length > 0) {
      body.appendChild(table(["severity", "finding", "subject", "message", "fix"], r.findings.map(function (f) {
        var id = el("code", null, [f.id]);
        var msg = el("span", {"class": f.suppressed ? "accepted" : null}, [f.message]);
        if (f.suppressed) {
          msg.appendChild(el("div", {"class": "accepted"}, [(f.suppressed.kind === "allow" ? "allowed: " : "baselined: ") +
            f.suppressed.reason]));
        }
        return [f.severity, id, el("code", null, [f.symbol || f.library || ""]), msg, f.fix || ""];
      })));
    }
    return el("li", {"data-verdict": r.verdict}, [el("details", null, [head, body])]);
  }

  var matches = [];
  var rendered = 0;
  function renderMore() {
    var stop = Math.min(matches.length, rendered + PAGE);
    for (; rendered < stop; rendered++) { list.appendChild(item(results[matches[rendered]])); }
    moreButton.style.display = rendered < matches.length ? "" : "none";
    moreButton.textContent = "Show " + Math.min(PAGE, matches.length - rendered) + " more of " +
      (matches.length - rendered);
    shown.textContent = "showing " + rendered + " of " + matches.length + " matching files (" + results.length + " in all)";
  }
  function apply() {
    var terms = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var wanted = verdictFilter.value;
    matches = [];
    results.forEach(function (r, i) {
      if (wanted && r.verdict !== wanted && counted(r) !== wanted) { return; }
      if (onlyFailing.checked && !r.fails) { return; }
      if (terms.every(function (t) { return haystacks[i].indexOf(t) >= 0; })) { matches.push(i); }
    });
    while (list.firstChild) { list.removeChild(list.firstChild); }
    rendered = 0;
    renderMore();
  }
  search.addEventListener("input", apply);
  verdictFilter.addEventListener("change", apply);
  onlyFailing.addEventListener("change", apply);
  moreButton.addEventListener("click", renderMore);
  apply();

  app.appendChild(el("footer", null, ["Generated by muslcheck " + data.tool.version +
    ". Self-contained: no network access; the data is embedded in this file as JSON (schema " +
    data.schema + ")."]));
}());
