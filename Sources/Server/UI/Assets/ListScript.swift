/// `/ui/assets/list.js`: keeps the execution list's page current. It polls Kestra's search API with the page's
/// own query (`data-api-query`) and rebuilds the rows the way the server does (`ExecutionListPage.row`).
enum ListScript {
    static let text = #"""
        "use strict";
        (() => {
          const table = document.getElementById("executions");
          if (!table) return;
          const tbody = table.tBodies[0];
          const SPARK_CELLS = 100;
          const { el } = BL;

          function renderRow(execution) {
            const state = execution.state && execution.state.current || "CREATED";
            const labels = (execution.labels || []).filter((l) => l.key !== "system.correlationId")
              .map((l) => el("span", { className: "label" }, l.key + ":" + l.value));
            const start = execution.state && execution.state.startDate;
            const end = execution.state && execution.state.endDate;
            const duration = start ? BL.formatDuration(((end ? Date.parse(end) : Date.now()) - Date.parse(start)) / 1000) : "";
            const runs = execution.taskRunList || [];
            const cells = runs.slice(0, SPARK_CELLS).map((run) => {
              const runState = run.state && run.state.current || "CREATED";
              const value = run.value != null ? " [" + run.value + "]" : "";
              const attempts = (run.attempts || []).length > 1 ? " · " + run.attempts.length + " attempts" : "";
              return el("span", { className: "cell " + BL.stateClass(runState), title: run.taskId + value + ": " + runState + attempts });
            });
            if (runs.length > SPARK_CELLS) cells.push(el("span", { className: "more" }, "+" + (runs.length - SPARK_CELLS)));
            return el("tr", { dataset: { executionId: execution.id, state } },
              el("td", {}, el("span", { className: "state " + BL.stateClass(state) }, state)),
              el("td", { className: "id" }, el("a", { href: BL.executionURL(execution.id) }, execution.id)),
              el("td", { className: "flow" }, execution.namespace + "/" + execution.flowId),
              el("td", { className: "labels" }, ...labels),
              el("td", { className: "started" }, BL.instant(start)),
              el("td", { className: "duration" }, duration),
              el("td", { className: "spark", attrs: { "aria-label": runs.length + " task runs" } }, ...cells));
          }

          function showTotals(total) {
            const size = Number(table.dataset.size) || 50;
            const pages = Math.max(1, Math.ceil(total / size));
            document.getElementById("total").textContent = String(total);
            document.getElementById("pages").textContent = String(pages);
            const last = document.querySelector('#pager a[rel="last"]');
            if (last) {
              const url = new URL(last.href);
              url.searchParams.set("page", String(pages));
              last.href = url.pathname + url.search;
            }
          }

          function refreshed(problem) {
            const note = document.getElementById("refreshed");
            note.textContent = problem ? "· not refreshed: " + problem : "· live, updated " + new Date().toISOString().slice(11, 19) + "Z";
          }

          async function refresh() {
            try {
              const page = await BL.apiJSON("/executions/search?" + table.dataset.apiQuery);
              const rows = (page.results || []).map(renderRow);
              if (rows.length === 0) rows.push(el("tr", { className: "empty" }, el("td", { colSpan: 7 }, "No execution matches.")));
              tbody.replaceChildren(...rows);
              showTotals(page.total || 0);
              refreshed(null);
            } catch (error) {
              refreshed(error.message);
            }
          }

          BL.every(BL.refreshInterval(3000), refresh);
        })();
        """#
}
