/// `/ui/assets/app.css`.
enum StyleSheet {
    static let text = #"""
        :root {
          --bg: #f6f7f9; --panel: #fff; --ink: #1d2330; --muted: #667085; --line: #e3e6eb; --accent: #3b5bdb;
          --success: #2f9e44; --failed: #e03131; --running: #1c7ed6; --warning: #f08c00; --killed: #868e96;
          --created: #adb5bd; --retry: #ae3ec9;
          font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 14px;
        }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--bg); color: var(--ink); }
        a { color: var(--accent); }
        .mono, pre, code, .gantt-label, .events, .logs, .source { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; }
        header.top { display: flex; align-items: center; gap: 24px; padding: 10px 20px; background: #20242e; color: #fff; }
        header.top a { color: #dfe3ea; text-decoration: none; }
        header.top a[aria-current="page"] { color: #fff; border-bottom: 2px solid #7b96ff; }
        header.top .brand { font-weight: 700; color: #fff; }
        header.top nav { display: flex; gap: 16px; flex: 1; }
        .sign-out { display: flex; gap: 8px; align-items: center; }
        .sign-out .caller { color: #cfd5e0; }
        main { padding: 16px 20px 40px; max-width: 1400px; margin: 0 auto; }
        h1 { font-size: 20px; margin: 8px 0 12px; }
        h2 { font-size: 16px; margin: 0 0 10px; }
        .hint, .refreshed { color: var(--muted); font-weight: normal; font-size: 12px; }
        .problem { background: #fff0f0; border: 1px solid #ffc9c9; color: #a61e1e; padding: 8px 12px; border-radius: 4px; }
        .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 14px; margin: 14px 0; }
        .filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-end; background: var(--panel);
          border: 1px solid var(--line); border-radius: 6px; padding: 12px; }
        .filters label { display: flex; flex-direction: column; gap: 4px; font-size: 12px; color: var(--muted); }
        input, select, button, textarea { font: inherit; }
        button { border: 1px solid #c5cbd6; background: #fff; border-radius: 4px; padding: 5px 12px; cursor: pointer; }
        button:hover { background: #eef1f6; }
        button:disabled { opacity: .5; cursor: default; }
        button.danger { border-color: #ffa8a8; color: #c92a2a; }
        button.danger.confirm { background: #c92a2a; color: #fff; }
        table { width: 100%; border-collapse: collapse; background: var(--panel); border: 1px solid var(--line); }
        th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: middle; }
        th { font-size: 12px; color: var(--muted); font-weight: 600; background: #fafbfc; }
        td.id { font-family: ui-monospace, monospace; font-size: 12px; white-space: nowrap; }
        td.duration, td.started { white-space: nowrap; font-variant-numeric: tabular-nums; }
        tr.empty td { color: var(--muted); text-align: center; padding: 24px; }
        .summary { color: var(--muted); }
        .pager { display: flex; gap: 14px; margin: 10px 0; }
        .pager .disabled { color: #b0b6c0; }
        .state { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: 11px; font-weight: 600; color: #fff;
          background: var(--created); letter-spacing: .02em; }
        .label { display: inline-block; background: #edf2ff; color: #364fc7; border-radius: 3px; padding: 0 5px; margin: 1px 3px 1px 0;
          font-size: 11px; }
        .s-SUCCESS { background: var(--success); } .s-FAILED { background: var(--failed); }
        .s-RUNNING, .s-CREATED.running { background: var(--running); } .s-WARNING { background: var(--warning); }
        .s-KILLED, .s-KILLING, .s-CANCELLED { background: var(--killed); } .s-RETRYING, .s-RETRIED { background: var(--retry); }
        .s-CREATED, .s-QUEUED, .s-SUBMITTED, .s-PAUSED { background: var(--created); }
        .spark { line-height: 0; white-space: normal; max-width: 340px; }
        .spark .cell { display: inline-block; width: 8px; height: 12px; margin: 0 1px 1px 0; border-radius: 1px; }
        .spark .more { font-size: 11px; color: var(--muted); line-height: 12px; vertical-align: top; }
        .execution-head h1 { display: flex; align-items: center; gap: 10px; }
        .execution-head .meta { color: var(--muted); }
        .actions { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 8px 0; }
        .action-result { color: var(--muted); }
        .export a { margin-right: 6px; }
        .legend { font-size: 12px; color: var(--muted); margin-bottom: 6px; }
        .legend .bar { display: inline-block; position: static; width: 18px; height: 10px; margin: 0 4px 0 10px; border-radius: 2px; }
        .gantt-axis { position: relative; height: 18px; margin: 0 28px 0 260px; font-size: 11px; color: var(--muted); }
        .gantt-axis span { position: absolute; top: 0; white-space: nowrap; transform: translateX(-50%); }
        .gantt { position: relative; height: 420px; overflow: auto; border: 1px solid var(--line); border-radius: 4px; }
        .vlist-spacer { position: relative; width: 100%; }
        .gantt-row { position: absolute; left: 0; right: 0; height: 24px; display: flex; align-items: center;
          border-bottom: 1px solid #f1f3f5; cursor: pointer; }
        .gantt-row:hover, .gantt-row.selected { background: #edf2ff; }
        .gantt-label { width: 260px; flex: none; padding: 0 8px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
          font-size: 12px; }
        .gantt-track { position: relative; flex: 1; height: 100%; margin-right: 12px; }
        .bar { position: absolute; top: 5px; height: 14px; border-radius: 2px; min-width: 2px; }
        .bar.running { animation: pulse 1.5s infinite; }
        .bar.preempted { background-image: repeating-linear-gradient(45deg, rgba(255,255,255,.55) 0 3px, transparent 3px 7px);
          outline: 1px dashed #862e9c; }
        @keyframes pulse { 50% { opacity: .6; } }
        .slider-row { display: flex; gap: 10px; align-items: center; }
        .slider-row input { flex: 1; }
        .slider-label { color: var(--muted); min-height: 1.2em; }
        .split { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 12px; }
        .events, .logs { position: relative; height: 320px; overflow: auto; border: 1px solid var(--line); border-radius: 4px;
          font-size: 12px; background: #fff; }
        .logs { height: 360px; background: #101318; color: #d8dee9; }
        .event-row, .log-row { position: absolute; left: 0; right: 0; height: 20px; line-height: 20px; padding: 0 8px;
          white-space: pre; overflow: hidden; text-overflow: ellipsis; }
        .event-row { cursor: pointer; border-bottom: 1px solid #f4f5f7; }
        .event-row:hover { background: #f1f3f5; } .event-row.current { background: #dbe4ff; }
        .event-row .seq { color: var(--muted); display: inline-block; width: 70px; }
        .log-row .level-ERROR { color: #ff8787; } .log-row .level-WARN { color: #ffd43b; } .log-row .time { color: #7d8590; }
        .log-row .task { color: #74c0fc; }
        .event-detail { margin: 0; height: 320px; overflow: auto; background: #fafbfc; border: 1px solid var(--line);
          border-radius: 4px; padding: 8px; font-size: 12px; white-space: pre-wrap; word-break: break-all; }
        .outputs table { font-size: 12px; }
        .outputs td.value { font-family: ui-monospace, monospace; white-space: pre-wrap; word-break: break-all; }
        .source { border: 1px solid var(--line); border-radius: 4px; background: #fff; font-size: 12px; overflow: auto;
          max-height: 640px; }
        .source-line { display: flex; white-space: pre; line-height: 18px; }
        .source-line .number { width: 48px; flex: none; text-align: right; padding-right: 10px; color: #adb5bd; user-select: none; }
        .source-line.problem-line { background: #fff0f0; }
        .source-line.warning-line { background: #fff9db; }
        .source-message { white-space: pre-wrap; padding: 2px 8px 4px 58px; font-size: 12px; color: #c92a2a; background: #fff0f0; }
        .source-message.warning { color: #a35a00; background: #fff9db; }
        .source-editor { width: 100%; height: 420px; font-family: ui-monospace, monospace; font-size: 12px; }
        .run-form .input { display: flex; flex-direction: column; gap: 3px; margin: 0 0 10px; max-width: 520px; }
        .run-form .input span { font-size: 12px; color: var(--muted); }
        .sign-in { max-width: 420px; margin: 60px auto; background: var(--panel); border: 1px solid var(--line); border-radius: 6px;
          padding: 24px; }
        .sign-in form { display: flex; flex-direction: column; gap: 12px; }
        .sign-in label { display: flex; flex-direction: column; gap: 4px; }
        """#
}
