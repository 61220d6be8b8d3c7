(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("muslcheck-data").textContent);
  var VERDICTS = ["native", "gcompat", "rebuild", "skipped", "error"];
  var LABEL = {
    native: "run as they are", gcompat: "run with gcompat", rebuild: "need a rebuild",
    skipped: "not ELF, other architecture, or a limit", error: "unreadable"
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
  function plural(n, word) {
    if (n === 1) { return "1 " + word; }
    return n + " " + (/[^aeou]y$/.test(word) ? word.slice(0, -1) + "ies" : word + "s");
  }
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
  var arts = data.summary.artifacts || [];
  var blockers = data.summary.blockers || [];
  var TOP = 8;

  // The scan root of a path: its artifact when the path lies inside it (a directory or an
  // archive), so that long absolute prefixes are said once.
  function relative(path, artifact) {
    if (path === artifact) { return null; }
    if (path.indexOf(artifact + "!/") === 0) { return path.slice(artifact.length + 2); }
    var dir = artifact.replace(/\/+$/, "");
    if (path.indexOf(dir + "/") === 0) { return path.slice(dir.length + 1); }
    return null;
  }
  function actionText(a) {
    switch (a.kind) {
      case "nothing": return "nothing to do: runs on stock musl";
      case "apk-add": return "apk add " + a.packages.join(" ");
      case "musllinux-wheel": return "use the musllinux wheel of " + a.project + " (or build it from source)";
      case "musl-npm-package":
        return "use the -musl npm package" + (a.packages.length === 1 ? " " : "s ") +
          a.packages.map(function (p) { return p.musl; }).join(", ") +
          (a.rebuild_others ? "; rebuild " + plural(a.rebuild_others, "other binary") : "");
      case "rebuild": return "rebuild against musl";
      case "check-input": return "check the input: " + plural(a.files, "file") + " could not be read";
      case "not-judged": return "raise the limit and scan again: " + plural(a.files, "file") + " not judged";
      case "no-binaries": return "nothing to judge: no ELF files";
      default: return a.kind;
    }
  }
  function problems(r) {
    return r.findings.filter(function (f) { return f.requires !== "native" && f.requires !== "skipped"; });
  }
  function collapsible(summaryText, content, open) {
    return el("details", {"class": "more", "open": open ? "" : null}, [el("summary", null, [summaryText]), content]);
  }

  app.appendChild(el("header", null, [
    el("h1", null, ["Alpine migration assessment"]),
    el("p", {"class": "muted"}, [plural(results.length, "file") + " in " + plural(arts.length, "artifact") +
      " judged for " + describe(data.target) + " by muslcheck " + data.tool.version])
  ]));

  var gate = data.gate;
  if (gate) {
    var word = {passed: "Gate passed", failed: "Gate failed", unreadable: "Gate failed: unreadable inputs",
      "not-judged": "Gate failed: files not judged"};
    var banner = el("div", {"class": "banner " + gate.status, "id": "gate", "data-status": gate.status}, [
      el("strong", null, [word[gate.status] || gate.status]), " · ",
      el("span", {"data-gate": "failing"}, [String(gate.failing + gate.unreadable + (gate.not_judged || 0))]),
      " of " + plural(results.length, "file") + " fail --fail-on " + gate.fail_on +
      (gate.unreadable > 0 ? " (" + gate.unreadable + " unreadable)" : "") +
      (gate.not_judged > 0 ? " (" + gate.not_judged + " not judged: a limit stopped muslcheck)" : "") +
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

  // The first screen: how many run, the blockers with their fixes, and one action per artifact.
  var t = data.totals;
  function card(cls, title, n, count, detail) {
    return el("div", {"class": "card " + cls}, [
      el("div", {"class": "big"}, [el("span", {"data-count": count}, [String(n)])]),
      el("div", {"class": "title"}, [title]), detail ? el("div", {"class": "muted small"}, detail) : null]);
  }
  var install = data.summary.install || [];
  var notJudged = results.filter(function (r) {
    return r.findings.some(function (f) { return f.id === "not-judged" && !f.suppressed; });
  }).length;
  app.appendChild(el("section", {"id": "overview", "class": "cards"}, [
    card("v-native-card", "run natively on Alpine", t.native, "native", null),
    card("v-gcompat-card", "run with gcompat", t.gcompat, "gcompat",
      install.length ? [el("code", null, ["apk add " + install.join(" ")])] : null),
    el("div", {"class": "card v-work-card"}, [
      el("div", {"class": "big"}, [String(t.rebuild + t.error + notJudged)]),
      el("div", {"class": "title"}, ["need work"]),
      el("div", {"class": "muted small"}, [el("span", {"data-count": "rebuild"}, [String(t.rebuild)]), " need a rebuild · ",
        el("span", {"data-count": "error"}, [String(t.error)]), " unreadable" +
        (notJudged ? " · " + notJudged + " not judged (a limit stopped muslcheck)" : "")])]),
    el("div", {"class": "card v-skipped-card"}, [
      el("div", {"class": "big"}, [el("span", {"data-count": "skipped"}, [String(t.skipped)])]),
      el("div", {"class": "title"}, ["skipped"]),
      el("div", {"class": "muted small"}, [notJudged ? "not ELF, another architecture, or not judged" :
        "not ELF, or for another architecture"])])
  ]));

  var search = el("input", {"type": "search", "id": "search", "placeholder": "Filter by path, finding ID, symbol or library"});
  function blockerName(b) {
    var name = el("code", {"class": "blocker", "title": "show the binaries it blocks"}, [b.name]);
    name.addEventListener("click", function () {
      search.value = b.name;
      apply();
      document.getElementById("files").scrollIntoView();
    });
    return name;
  }
  function blockerRows(list) {
    return list.map(function (b) {
      return [blockerName(b), el("code", {"class": "muted nowrap"}, [b.id]), b.binaries, b.fix || ""];
    });
  }
  var blockerBox = el("section", {"id": "blockers"}, [el("h2", null, ["Blockers, ranked"])]);
  if (blockers.length === 0) {
    blockerBox.appendChild(el("p", {"class": "muted"}, ["Nothing blocks a binary from loading."]));
  } else {
    blockerBox.appendChild(table(["blocker", "finding", "binaries", "fix"], blockerRows(blockers.slice(0, TOP)),
      [false, false, true, false]));
    if (blockers.length > TOP) {
      blockerBox.appendChild(collapsible((blockers.length - TOP) + " more blockers",
        table(["blocker", "finding", "binaries", "fix"], blockerRows(blockers.slice(TOP)), [false, false, true, false])));
    }
  }
  // Artifacts that need something first, then the rest, each with its one-line action.
  var ORDER = {"musl-npm-package": 0, "musllinux-wheel": 0, rebuild: 0, "check-input": 1, "not-judged": 1,
    "apk-add": 2, nothing: 3, "no-binaries": 4};
  var ranked = arts.slice().sort(function (a, b) { return ORDER[a.action.kind] - ORDER[b.action.kind]; });
  function actionRows(list) {
    return list.map(function (a) {
      var files = VERDICTS.reduce(function (s, v) { return s + a.totals[v]; }, 0);
      var work = a.totals.rebuild + a.totals.error;
      return [el("code", {"title": a.artifact}, [a.artifact]), badge(a.verdict),
        el("span", {"class": "muted nowrap"}, [work + " of " + files]),
        el("span", {"class": "action", "data-action": a.action.kind}, [actionText(a.action)])];
    });
  }
  var actionBox = el("section", {"id": "actions"}, [el("h2", null, ["What to do, per artifact"])]);
  actionBox.appendChild(table(["artifact", "verdict", "to fix", "action"], actionRows(ranked.slice(0, TOP)), [false, false, true, false]));
  if (ranked.length > TOP) {
    actionBox.appendChild(collapsible((ranked.length - TOP) + " more artifacts",
      table(["artifact", "verdict", "to fix", "action"], actionRows(ranked.slice(TOP)), [false, false, true, false])));
  }
  app.appendChild(el("div", {"class": "story"}, [blockerBox, actionBox]));

  // The details.
  app.appendChild(el("h2", {"class": "details-head"}, ["Details"]));
  var legend = el("ul", {"class": "legend"}, VERDICTS.map(function (v) {
    return el("li", null, [el("span", {"class": "swatch v-" + v}), el("span", {"class": "count"},
      [String(data.totals[v] || 0)]), " " + v + " ", el("span", {"class": "muted"}, [LABEL[v]])]);
  }));
  app.appendChild(section("verdicts", "Verdicts", [bar(data.totals, false), legend]));

  var artTable = table(
    ["artifact", "worst verdict", "files", "native", "gcompat", "rebuild", "skipped", "error", ""],
    arts.map(function (a) {
      var t = a.totals;
      var files = VERDICTS.reduce(function (s, v) { return s + t[v]; }, 0);
      return [el("code", null, [a.artifact]), badge(a.verdict), files, t.native, t.gcompat, t.rebuild,
        t.skipped, t.error, bar(t, true)];
    }),
    [false, false, true, true, true, true, true, true, false]);
  app.appendChild(section("artifacts", "Per artifact", [arts.length > TOP ?
    collapsible("all " + arts.length + " artifacts", artTable) : artTable]));

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
    var rel = relative(r.path, r.artifact);
    var nProblems = problems(r).length;
    var nAdvice = r.findings.length - nProblems;
    var head = el("summary", null, [badge(r.verdict),
      v !== r.verdict ? el("span", {"class": "muted"}, ["counted as " + v]) : null,
      rel === null ? el("code", {"class": "path"}, [r.path]) :
        el("span", {"class": "path", "title": r.path}, [el("span", {"class": "muted"}, [r.artifact + " › "]),
          el("code", null, [rel])]),
      r.fails ? el("span", {"class": "fails"}, ["fails the gate"]) : null,
      r.verify ? el("span", {"class": r.verify.agreement === "disagree" ? "fails" : "muted",
        "data-agreement": r.verify.agreement}, ["verify: " + r.verify.agreement]) : null,
      el("span", {"class": "muted"}, [nProblems ? plural(nProblems, "problem") : "no problem"].concat(
        nAdvice ? [" · " + nAdvice + " advice"] : []))]);
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
    function findingRows(list) {
      return list.map(function (f) {
        var id = el("code", null, [f.id]);
        var msg = el("span", {"class": f.suppressed ? "accepted" : null}, [f.message]);
        if (f.suppressed) {
          msg.appendChild(el("div", {"class": "accepted"}, [(f.suppressed.kind === "allow" ? "allowed: " : "baselined: ") +
            f.suppressed.reason]));
        }
        return [f.severity, id, el("code", null, [f.symbol || f.library || ""]), msg, f.fix || ""];
      });
    }
    var HEAD = ["severity", "finding", "subject", "message", "fix"];
    var probs = problems(r);
    var advice = r.findings.filter(function (f) { return probs.indexOf(f) < 0; });
    if (probs.length > 0) { body.appendChild(table(HEAD, findingRows(probs))); }
    if (advice.length > 0) {
      // Advice (notes, hardening, runtime differences) does not stop the file from running.
      body.appendChild(collapsible(advice.length + " advice (does not stop it from running)",
        table(HEAD, findingRows(advice)), probs.length === 0 && advice.length <= 3));
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
