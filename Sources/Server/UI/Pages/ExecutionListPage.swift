import Foundation
import Ledger

/// `/ui/`: one page of executions, newest first, rendered on the server with its rows (so the first answer shows
/// them), with the filter form and the pager; `list.js` then refreshes the page in place.
struct ExecutionListPage {
    var query: ExecutionListQuery
    var results: Kestra.PagedResults<Kestra.Execution>
    /// Every flow that has executions, `namespace/id`, sorted, for the flow filter.
    var flows: [String]
    /// Why the filters were refused, if they were.
    var problem: String?
    var now: Date

    /// The most task runs a row's spark shows one cell each for.
    static let sparkCells = 100

    var pages: Int { max(1, (results.total + query.size - 1) / query.size) }

    func body() -> HTML {
        let problemBox: HTML = problem.map { "<p class=\"problem\" role=\"alert\">\($0)</p>" } ?? ""
        let rows =
            results.results.isEmpty
            ? ["<tr class=\"empty\"><td colspan=\"7\">No execution matches.</td></tr>"]
            : results.results.map { Self.row($0, now: now) }
        return """
            <h1>Executions</h1>
            \(filters())
            \(problemBox)
            <p class="summary"><span id="total">\(results.total)</span> executions · \
            page <span id="page">\(query.page)</span> \
            of <span id="pages">\(pages)</span> <span id="refreshed" class="refreshed" aria-live="polite"></span></p>
            <table id="executions" class="executions" data-api-query="\(query.apiQuery)" \
            data-size="\(query.size)" data-page="\(query.page)">
            <thead><tr><th>State</th><th>Execution</th><th>Flow</th><th>Labels</th><th>Started (UTC)</th>\
            <th>Duration</th><th>Task runs</th></tr></thead>
            <tbody>\(rows)</tbody>
            </table>
            \(pager())
            """
    }

    private func filters() -> HTML {
        let stateOptions = HTML.join(
            Kestra.StateType.allCases.map(\.rawValue).map { state -> HTML in
                let selected: HTML = query.states.contains(state) ? " selected" : ""
                return "<option value=\"\(state)\"\(selected)>\(state)</option>"
            })
        let current = query.flow.map { $0.namespace + "/" + $0.id }
        let flowOptions = HTML.join(
            flows.map { flow -> HTML in
                let selected: HTML = flow == current ? " selected" : ""
                return "<option value=\"\(flow)\"\(selected)>\(flow)</option>"
            })
        let label = query.label.map { $0.key + ":" + $0.value } ?? ""
        func local(_ text: String?) -> String {
            guard let text, let instant = ExecutionListQuery.instant(text), instant.count >= 16 else { return "" }
            return String(instant.prefix(16))
        }
        return """
            <form class="filters" method="get" action="/ui/">
            <label>State <select name="state" multiple size="4">\(stateOptions)</select></label>
            <label>Flow <select name="flow"><option value="">all flows</option>\(flowOptions)</select></label>
            <label>Label <input name="label" placeholder="key:value" value="\(label)"></label>
            <label>From (UTC) <input type="datetime-local" name="from" value="\(local(query.from))"></label>
            <label>To (UTC) <input type="datetime-local" name="to" value="\(local(query.to))"></label>
            <input type="hidden" name="size" value="\(query.size)">
            <button type="submit">Filter</button> <a href="/ui/">Clear</a>
            </form>
            """
    }

    private func pager() -> HTML {
        func link(_ page: Int, _ text: String, _ rel: String) -> HTML {
            guard page != query.page, (1...pages).contains(page) else {
                return "<span class=\"disabled\">\(text)</span>"
            }
            return "<a href=\"/ui/?\(query.listQuery(page: page))\" rel=\"\(rel)\">\(text)</a>"
        }
        return """
            <nav class="pager" id="pager">\(link(1, "« first", "first")) \(link(query.page - 1, "‹ newer", "prev")) \
            \(link(query.page + 1, "older ›", "next")) \(link(pages, "oldest »", "last"))</nav>
            """
    }

    /// One row: state, id, flow, labels, start, duration and the task runs' spark. `list.js` builds the same row
    /// from the API's JSON (`renderRow`).
    static func row(_ execution: Kestra.Execution, now: Date) -> HTML {
        let state = execution.state.current.rawValue
        let labels = HTML.join(
            execution.labels.filter { $0.key != Kestra.Label.correlationIdKey }.map {
                "<span class=\"label\">\($0.key):\($0.value)</span>"
            })
        let start = execution.state.startDate.flatMap(Timestamp.parse)
        let end = execution.state.endDate.flatMap(Timestamp.parse) ?? now
        let duration = start.map { UIFormat.duration(end.timeIntervalSince($0)) } ?? ""
        let runs = execution.taskRunList
        var cells = runs.prefix(sparkCells).map { run -> HTML in
            let value = run.value.map { " [\($0)]" } ?? ""
            let attempts = run.attempts.count > 1 ? " · \(run.attempts.count) attempts" : ""
            let state = run.state.current.rawValue
            return "<span class=\"cell s-\(state)\" title=\"\(run.taskId + value): \(state + attempts)\"></span>"
        }
        if runs.count > sparkCells { cells.append("<span class=\"more\">+\(runs.count - sparkCells)</span>") }
        let link = "/ui/executions/" + UIFormat.segment(execution.id)
        return """
            <tr data-execution-id="\(execution.id)" data-state="\(state)">\
            <td><span class="state s-\(state)">\(state)</span></td>\
            <td class="id"><a href="\(link)">\(execution.id)</a></td>\
            <td class="flow">\(execution.namespace)/\(execution.flowId)</td>\
            <td class="labels">\(labels)</td>\
            <td class="started">\(UIFormat.instant(execution.state.startDate))</td>\
            <td class="duration">\(duration)</td>\
            <td class="spark" aria-label="\(runs.count) task runs">\(cells)</td></tr>
            """
    }
}
