/// `/ui/assets/audit.js`: sends the audit form's query to `GET /api/v1/main/audit` and lists the events it answers
/// (a virtual list; a click shows the whole event).
enum AuditScript {
    static let text = #"""
        "use strict";
        (() => {
          const { el } = BL;
          const form = document.getElementById("audit-form");
          if (!form) return;
          const KEYS = ["type", "execution", "flow", "task", "job", "secret", "since", "until", "requestedBy", "limit"];
          const params = new URLSearchParams(location.search);
          const query = new URLSearchParams();
          for (const key of KEYS) if (params.get(key)) query.set(key, params.get(key));
          if (!query.has("limit")) query.set("limit", "500");
          let results = [];

          function field(event, ...names) {
            for (const name of names) if (event && event[name] !== undefined && event[name] !== null) return event[name];
            return "";
          }

          const list = new BL.VirtualList(document.getElementById("audit"), 20, (index) => {
            const event = results[index];
            const stream = String(field(event, "execution", "stream", "executionId"));
            const who = field(event, "requestedBy") || field(event && event.payload, "requestedBy");
            const row = el("div", { className: "event-row", dataset: { seq: String(field(event, "seq")) }, attrs: { role: "listitem" } },
              el("span", { className: "seq" }, "#" + field(event, "seq")), String(field(event, "type")) + "  ",
              el("span", { className: "hint" }, String(field(event, "recorded_at", "recordedAt")) + "  "),
              stream ? el("a", { href: BL.executionURL(stream) }, stream) : "",
              who ? el("span", { className: "hint" }, "  by " + who) : "",
              field(event, "summary") ? "  " + String(field(event, "summary")) : "");
            row.addEventListener("click", () => {
              document.getElementById("audit-detail").textContent = JSON.stringify(event, null, 2);
            });
            return row;
          });

          if ([...params.keys()].length === 0) {
            document.getElementById("audit-summary").textContent = "Fill in the form to query the ledger's events.";
            return;
          }
          BL.apiJSON("/audit?" + query.toString()).then((body) => {
            results = Array.isArray(body) ? body : (body.results || []);
            document.getElementById("audit-summary").textContent = results.length + " events" +
              (results.length >= Number(query.get("limit")) ? " (the limit: narrow the query or raise it)" : "");
            list.setCount(results.length);
          }).catch((error) => {
            const box = document.getElementById("audit-problem");
            box.hidden = false;
            box.textContent = error.message;
          });
        })();
        """#
}
