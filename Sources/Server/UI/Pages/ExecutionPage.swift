import Foundation

/// `/ui/executions/{id}`: the execution's header (rendered on the server) and the places `execution.js` fills:
/// the Gantt chart of task runs and attempts, the event slider and trail, the logs, the outputs, and the buttons
/// that kill, restart, fork and export it.
struct ExecutionPage {
    var execution: Kestra.Execution
    var now: Date

    func body() -> HTML {
        let id = execution.id
        let state = execution.state.current.rawValue
        let labels = HTML.join(
            execution.labels.filter { $0.key != Kestra.Label.correlationIdKey }.map {
                "<span class=\"label\">\($0.key):\($0.value)</span>"
            })
        let export = "/api/v1/main/executions/" + UIFormat.segment(id) + "/export?format="
        let forked: HTML =
            execution.originalId != id
            ? """
             · forked from <a href="/ui/executions/\(UIFormat.segment(execution.originalId))">\
            \(execution.originalId)</a>
            """
            : ""
        let flowLink = "/ui/flows/" + UIFormat.segment(execution.namespace) + "/" + UIFormat.segment(execution.flowId)
        return """
            <section class="execution-head" id="execution" data-execution-id="\(id)" data-state="\(state)">
            <h1><span class="state s-\(state)" id="execution-state">\(state)</span> <span class="mono">\(id)</span></h1>
            <p class="meta">flow <a href="\(flowLink)">\(execution.namespace)/\(execution.flowId)</a>\(forked) · \
            started <span id="execution-start">\(UIFormat.instant(execution.state.startDate))</span> · \
            <span id="execution-duration"></span> \(labels)</p>
            <div class="actions">
            <button type="button" id="kill" class="danger">Kill</button>
            <button type="button" id="restart">Restart</button>
            <span class="export">Export: <a href="\(export)ndjson" download>NDJSON</a> \
            <a href="\(export)csv" download>CSV</a> <a href="\(export)html" download>HTML</a></span>
            <span id="action-result" class="action-result" role="status" aria-live="polite"></span>
            </div>
            </section>
            <section class="panel">
            <h2>Task runs <span id="gantt-summary" class="hint"></span></h2>
            <div class="legend"><span class="bar s-RUNNING"></span>running <span class="bar s-SUCCESS"></span>success \
            <span class="bar s-FAILED"></span>failed <span class="bar s-FAILED preempted"></span>preempted (spot) \
            <span class="bar s-KILLED"></span>killed</div>
            <div id="gantt-axis" class="gantt-axis"></div>
            <div id="gantt" class="gantt" role="list" aria-label="task runs"></div>
            </section>
            <section class="panel">
            <h2>History</h2>
            <div class="slider-row"><input type="range" id="slider" min="1" max="1" value="1" aria-label="event">
            <button type="button" id="live">Latest</button></div>
            <p id="slider-label" class="slider-label" aria-live="polite"></p>
            <p>State after this event: <span id="state-at" class="state"></span> <span id="state-at-detail"></span></p>
            <div class="split">
            <div id="events" class="events" role="list" aria-label="events"></div>
            <pre id="event-detail" class="event-detail"></pre>
            </div>
            </section>
            <section class="panel" id="selection-panel">
            <h2>Task run <span id="selected-run" class="mono"></span></h2>
            <p class="hint" id="selection-hint">Select a task run in the chart to see its outputs, or fork the \
            execution from it.</p>
            <div class="actions"><button type="button" id="fork" disabled>Fork from this task run</button></div>
            <div id="outputs" class="outputs"></div>
            </section>
            <section class="panel">
            <h2>Logs <span id="log-mode" class="hint"></span></h2>
            <label><input type="checkbox" id="log-selected-only"> only the selected task run</label>
            <div id="logs" class="logs" role="log" aria-label="logs"></div>
            </section>
            """
    }
}
