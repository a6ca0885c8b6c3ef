/// `/ui/assets/flows.js`: the flow list (`GET flows/search`), a flow's YAML source with every validation problem
/// placed at its line (`POST flows/validate`, whose messages read `FILE:LINE:COLUMN: message`), and the run form
/// (`POST executions/{namespace}/{id}` as multipart/form-data, one part per input), which then opens the new
/// execution's page.
enum FlowScript {
    static let text = #"""
        "use strict";
        (() => {
          const { el } = BL;

          function showProblem(error) {
            const box = document.getElementById("flow-problem");
            box.hidden = false;
            box.textContent = error.status === 404 && !error.message.includes("flow")
              ? "This server does not answer the flow API (" + error.message + ")." : error.message;
          }

          // ---- the list ----
          const table = document.getElementById("flows");
          if (table) {
            const size = Number(table.dataset.size) || 50;
            const params = new URLSearchParams(location.search);
            const page = Math.max(1, Number(params.get("page")) || 1);
            BL.apiJSON("/flows/search?page=" + page + "&size=" + size).then((body) => {
              const flows = body.results || [];
              const rows = flows.map((flow) => el("tr", { dataset: { flow: flow.namespace + "/" + flow.id } },
                el("td", {}, el("a", { href: "/ui/flows/" + encodeURIComponent(flow.namespace) + "/" + encodeURIComponent(flow.id) },
                  flow.namespace + "/" + flow.id)),
                el("td", {}, String(flow.revision ?? "")),
                el("td", {}, String((flow.tasks || []).length)),
                el("td", {}, (flow.inputs || []).map((i) => i.id).join(", ")),
                el("td", {}, flow.description || "")));
              if (rows.length === 0) rows.push(el("tr", { className: "empty" }, el("td", { colSpan: 5 }, "No flow.")));
              table.tBodies[0].replaceChildren(...rows);
              const total = body.total || 0;
              const pages = Math.max(1, Math.ceil(total / size));
              document.getElementById("flow-total").textContent = total + " flows · page " + page + " of " + pages;
              const links = [];
              if (page > 1) links.push(el("a", { href: "/ui/flows?page=" + (page - 1), rel: "prev" }, "‹ previous"));
              if (page < pages) links.push(el("a", { href: "/ui/flows?page=" + (page + 1), rel: "next" }, "next ›"));
              document.getElementById("flow-pager").replaceChildren(...links);
            }).catch(showProblem);
          }

          // ---- one flow ----
          const flowBox = document.getElementById("flow");
          if (!flowBox) return;
          const namespace = flowBox.dataset.namespace;
          const flowId = flowBox.dataset.flowId;
          const path = "/flows/" + encodeURIComponent(namespace) + "/" + encodeURIComponent(flowId);
          let source = "";
          const editor = document.getElementById("source-editor");

          /** Each message of a validation answer at its line: FILE:LINE:COLUMN: message. */
          function placed(results) {
            const byLine = new Map();
            const loose = [];
            let problems = 0;
            let warnings = 0;
            const add = (text, kind) => {
              const match = /^(.*?):(\d+):(\d+): ([\s\S]*)$/.exec(text);
              if (kind === "problem") problems++; else warnings++;
              if (!match) { loose.push({ kind, text }); return; }
              const line = Number(match[2]);
              if (!byLine.has(line)) byLine.set(line, []);
              byLine.get(line).push({ kind, text: "column " + match[3] + ": " + match[4] });
            };
            for (const result of results || []) {
              for (const line of String(result.constraints || "").split("\n")) if (line.trim()) add(line, "problem");
              for (const warning of result.warnings || []) add(String(warning), "warning");
            }
            return { byLine, loose, problems, warnings };
          }

          function drawSource(text, validation) {
            const lines = text.split("\n");
            const nodes = [];
            for (const message of validation ? validation.loose : []) {
              nodes.push(el("div", { className: "source-message" + (message.kind === "warning" ? " warning" : "") }, message.text));
            }
            lines.forEach((line, index) => {
              const messages = validation ? validation.byLine.get(index + 1) || [] : [];
              const kind = messages.some((m) => m.kind === "problem") ? " problem-line" : messages.length ? " warning-line" : "";
              nodes.push(el("div", { className: "source-line" + kind, dataset: { line: String(index + 1) }, attrs: { role: "listitem" } },
                el("span", { className: "number" }, String(index + 1)), el("span", { className: "text" }, line)));
              for (const message of messages) {
                nodes.push(el("div", { className: "source-message" + (message.kind === "warning" ? " warning" : ""),
                  dataset: { line: String(index + 1) } }, message.text));
              }
            });
            document.getElementById("source").replaceChildren(...nodes);
            const summary = document.getElementById("validation-summary");
            if (validation) {
              summary.textContent = validation.problems === 0 && validation.warnings === 0 ? "· valid"
                : "· " + validation.problems + " problem(s), " + validation.warnings + " warning(s)";
            }
          }

          async function validate(text) {
            const results = await BL.apiJSON("/flows/validate", {
              method: "POST", headers: { "Content-Type": "application/x-yaml" }, body: text });
            drawSource(text, placed(Array.isArray(results) ? results : [results]));
          }

          document.getElementById("validate").addEventListener("click", () => {
            const text = editor.hidden ? source : editor.value;
            validate(text).catch(showProblem);
          });
          document.getElementById("edit").addEventListener("click", () => {
            editor.hidden = !editor.hidden;
            if (!editor.hidden) editor.value = editor.value || source;
          });

          function inputField(input) {
            const type = String(input.type || "STRING").toUpperCase();
            const name = input.id;
            const defaults = input.defaults === undefined || input.defaults === null ? ""
              : typeof input.defaults === "string" ? input.defaults : JSON.stringify(input.defaults);
            let control;
            if (type === "FILE") {
              control = el("input", { type: "file", name });
            } else if (type === "BOOLEAN" || type === "BOOL") {
              control = el("select", { name }, el("option", { value: "" }, "(default)"), el("option", { value: "true" }, "true"),
                el("option", { value: "false" }, "false"));
              if (defaults) control.value = defaults;
            } else if (type === "JSON" || type === "ARRAY" || type === "YAML") {
              control = el("textarea", { name, rows: 3, value: defaults });
            } else {
              const htmlType = type === "INT" || type === "FLOAT" ? "number" : "text";
              control = el("input", { type: htmlType, name, value: defaults, step: type === "FLOAT" ? "any" : undefined });
            }
            control.required = input.required === true && !defaults;
            control.dataset.inputType = type;
            return el("label", { className: "input" },
              el("span", {}, (input.displayName || name) + " · " + type + (input.required ? " · required" : "") +
                (input.description ? " — " + input.description : "")), control);
          }

          const form = document.getElementById("run-form");
          form.addEventListener("submit", async (event) => {
            event.preventDefault();
            const result = document.getElementById("run-result");
            const data = new FormData();
            for (const control of form.querySelectorAll("[name]")) {
              if (control.type === "file") {
                if (control.files.length) data.append(control.name, control.files[0], control.files[0].name);
              } else if (control.value !== "") {
                data.append(control.name, control.value);
              }
            }
            result.textContent = "starting…";
            document.getElementById("run").disabled = true;
            try {
              const execution = await BL.apiJSON("/executions/" + encodeURIComponent(namespace) + "/" + encodeURIComponent(flowId),
                { method: "POST", body: data });
              result.textContent = "started " + execution.id;
              location.assign(BL.executionURL(execution.id));
            } catch (error) {
              result.textContent = error.message;
              document.getElementById("run").disabled = false;
            }
          });

          BL.apiJSON(path + "?source=true").then((flow) => {
            source = typeof flow.source === "string" ? flow.source : "";
            document.getElementById("run-inputs").replaceChildren(...(flow.inputs || []).map(inputField));
            drawSource(source, null);
            return validate(source);
          }).catch(showProblem);
        })();
        """#
}
