/// `/ui/flows` and `/ui/flows/{namespace}/{id}`: frames that `flows.js` fills from Kestra's flow API (the list,
/// a flow's YAML source with each validation problem at its line, and the form that runs it with inputs).
enum FlowPages {
    static func list() -> HTML {
        """
        <h1>Flows</h1>
        <p class="summary"><span id="flow-total"></span></p>
        <table id="flows" class="flows" data-page="1" data-size="50">
        <thead><tr><th>Flow</th><th>Revision</th><th>Tasks</th><th>Inputs</th><th>Description</th></tr></thead>
        <tbody></tbody>
        </table>
        <nav class="pager" id="flow-pager"></nav>
        <p id="flow-problem" class="problem" role="alert" hidden></p>
        """
    }

    static func flow(namespace: String, id: String) -> HTML {
        """
        <section id="flow" data-namespace="\(namespace)" data-flow-id="\(id)">
        <h1><span class="mono">\(namespace)/\(id)</span></h1>
        <p id="flow-problem" class="problem" role="alert" hidden></p>
        <p><a href="/ui/?flow=\(UIFormat.query(namespace + "/" + id))">Executions of this flow</a></p>
        </section>
        <section class="panel">
        <h2>Run</h2>
        <form id="run-form" class="run-form"><div id="run-inputs"></div>
        <button type="submit" id="run">Run</button> <span id="run-result" role="status" aria-live="polite"></span>
        </form>
        </section>
        <section class="panel">
        <h2>Source <span id="validation-summary" class="hint"></span></h2>
        <div class="actions"><button type="button" id="validate">Validate</button>
        <button type="button" id="edit">Edit</button></div>
        <textarea id="source-editor" class="source-editor" spellcheck="false" hidden></textarea>
        <div id="source" class="source" role="list" aria-label="source lines"></div>
        </section>
        """
    }
}
