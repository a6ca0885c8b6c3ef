/// `/ui/audit`: the audit query form (event type, execution, flow, task, job, secret, time range, who asked) and
/// the table `audit.js` fills from `GET /api/v1/main/audit`.
enum AuditPage {
    static func body(_ request: APIRequest) -> HTML {
        func field(_ name: String, _ label: String, _ hint: String, type: String = "text") -> HTML {
            """
            <label>\(label) <input type="\(type)" name="\(name)" placeholder="\(hint)" value="\(request[name] ?? "")">\
            </label>
            """
        }
        return """
            <h1>Audit</h1>
            <form id="audit-form" class="filters" method="get" action="/ui/audit">
            \(field("type", "Event type", "JobCreated,TaskFailed"))
            \(field("execution", "Execution", "execution id"))
            \(field("flow", "Flow", "namespace/flow"))
            \(field("task", "Task", "task id"))
            \(field("job", "Job", "job id"))
            \(field("secret", "Secret", "secret name"))
            \(field("requestedBy", "Requested by", "token name"))
            \(field("since", "Since (UTC)", "2025-01-01T00:00:00Z"))
            \(field("until", "Until (UTC)", "2025-01-02T00:00:00Z"))
            \(field("limit", "Limit", "200", type: "number"))
            <button type="submit">Query</button> <a href="/ui/audit">Clear</a>
            </form>
            <p class="summary" id="audit-summary"></p>
            <p id="audit-problem" class="problem" role="alert" hidden></p>
            <div class="split">
            <div id="audit" class="events" role="list" aria-label="audit events"></div>
            <pre id="audit-detail" class="event-detail"></pre>
            </div>
            """
    }
}
