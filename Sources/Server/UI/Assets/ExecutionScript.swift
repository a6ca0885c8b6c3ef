/// `/ui/assets/execution.js`: an execution's page. The Gantt chart draws each attempt of each task run as its own
/// bar from the UI's timeline (`timeline.json`), with preempted spot attempts hatched; the slider steps through the
/// execution's events and shows its state after any of them (Kestra's `GET executions/{id}?at=SEQ`); the event
/// trail pages through `GET executions/{id}/events`; logs follow `GET logs/{id}/follow` (server-sent events), or
/// are polled where the server does not stream them. Chart rows, events and log lines are virtual lists.
enum ExecutionScript {
    static let text = #"""
        "use strict";
        (() => {
          const root = document.getElementById("execution");
          if (!root) return;
          const { el } = BL;
          const id = root.dataset.executionId;
          const enc = encodeURIComponent(id);
          const EVENT_PAGE = 100;

          let latest = null;        // the newest timeline, with the event index
          let shown = null;         // the timeline on screen (latest, or as of the slider's event)
          let atSeq = null;         // null: follow the newest event
          let execution = null;     // Kestra's execution JSON
          let selected = null;      // the selected task run's id
          let scale = null;         // the shown timeline's first and last instant, in seconds

          const stateBadge = document.getElementById("execution-state");
          const actionResult = document.getElementById("action-result");

          // ---- Gantt chart ----
          const gantt = new BL.VirtualList(document.getElementById("gantt"), 24, ganttRow);

          function span(timeline) {
            let start = timeline.start ? BL.seconds(timeline.start) : Infinity;
            let end = timeline.end ? BL.seconds(timeline.end) : BL.seconds(timeline.now);
            for (const run of timeline.taskRuns) {
              for (const attempt of run.attempts) {
                start = Math.min(start, BL.seconds(attempt.start));
                end = Math.max(end, attempt.end ? BL.seconds(attempt.end) : BL.seconds(timeline.now));
              }
            }
            if (!isFinite(start)) start = BL.seconds(timeline.now);
            if (end <= start) end = start + 1;
            return { start, end };
          }

          function runLabel(run) { return run.taskId + (run.value != null ? " [" + run.value + "]" : ""); }

          function ganttRow(index) {
            const run = shown.taskRuns[index];
            const { start, end } = scale;
            const width = end - start;
            const track = el("div", { className: "gantt-track" });
            for (const attempt of run.attempts) {
              const from = BL.seconds(attempt.start);
              const to = attempt.end ? BL.seconds(attempt.end) : BL.seconds(shown.now);
              const classes = ["bar", BL.stateClass(attempt.state)];
              if (attempt.preempted) classes.push("preempted");
              if (!attempt.end) classes.push("running");
              const details = ["attempt " + attempt.number + ": " + attempt.state, attempt.provisioning];
              if (attempt.preempted) details.push("preempted by Batch (exit 50001)");
              else if (attempt.exitCode != null) details.push("exit " + attempt.exitCode);
              if (attempt.job) details.push("job " + attempt.job);
              details.push(BL.formatDuration(to - from));
              if (attempt.reason) details.push(attempt.reason);
              const bar = el("div", { className: classes.join(" "), title: details.join(" · "),
                dataset: { attempt: String(attempt.number), state: attempt.state, preempted: String(attempt.preempted) } });
              bar.style.left = ((from - start) / width * 100) + "%";
              bar.style.width = Math.max(0.2, (to - from) / width * 100) + "%";
              track.append(bar);
            }
            const retries = run.attempts.length > 1 ? " ×" + run.attempts.length : "";
            const row = el("div", { className: "gantt-row" + (run.id === selected ? " selected" : ""),
              dataset: { taskRunId: run.id, state: run.state }, attrs: { role: "listitem" } },
              el("div", { className: "gantt-label", title: runLabel(run) + ": " + run.state + retries },
                el("span", { className: "state " + BL.stateClass(run.state) }, run.state.slice(0, 1)), " ", runLabel(run) + retries),
              track);
            row.addEventListener("click", () => select(run.id));
            return row;
          }

          function drawAxis() {
            const axis = document.getElementById("gantt-axis");
            const { start, end } = scale;
            const ticks = [];
            for (let i = 0; i <= 4; i++) {
              const t = el("span", {}, i === 0 ? BL.instant(new Date(start * 1000).toISOString()) : "+" + BL.formatDuration((end - start) * i / 4));
              t.style.left = (i * 25) + "%";
              ticks.push(t);
            }
            axis.replaceChildren(...ticks);
          }

          function drawTimeline() {
            scale = span(shown);
            gantt.container.style.height = Math.min(420, Math.max(72, shown.taskRuns.length * 24 + 4)) + "px";
            gantt.setCount(shown.taskRuns.length);
            drawAxis();
            const attempts = shown.taskRuns.reduce((n, run) => n + run.attempts.length, 0);
            const preempted = shown.taskRuns.reduce((n, run) => n + run.attempts.filter((a) => a.preempted).length, 0);
            document.getElementById("gantt-summary").textContent = shown.taskRuns.length + " task runs · " + attempts +
              " attempts" + (preempted ? " · " + preempted + " preempted" : "");
          }

          function showHeader(timeline) {
            stateBadge.textContent = timeline.state;
            stateBadge.className = "state " + BL.stateClass(timeline.state);
            root.dataset.state = timeline.state;
            const end = timeline.end ? BL.seconds(timeline.end) : BL.seconds(timeline.now);
            document.getElementById("execution-duration").textContent = timeline.start
              ? BL.formatDuration(end - BL.seconds(timeline.start)) + (timeline.end ? "" : " so far") : "";
            document.getElementById("kill").disabled = BL.isTerminal(timeline.state);
          }

          async function loadLatest() {
            const timeline = await BL.json("/ui/executions/" + enc + "/timeline.json?index=true");
            const grew = !latest || timeline.eventCount !== latest.eventCount;
            latest = timeline;
            showHeader(latest);
            if (atSeq === null) {
              shown = latest;
              showStateAt(latest.state, countStates(latest.taskRuns.map((run) => run.state)), "timeline");
              drawTimeline();
            }
            if (grew) {
              slider.max = String(latest.eventCount);
              if (atSeq === null) { slider.value = slider.max; describeSlider(); }
              events.setCount(latest.eventCount);
            }
            return timeline;
          }

          // ---- the slider: the state after any event ----
          const slider = document.getElementById("slider");
          let sliderTimer = null;

          function positionSeq(position) { return latest.events.seqs[position - 1]; }
          function positionType(position) { return latest.events.typeNames[latest.events.types[position - 1]]; }

          function describeSlider() {
            const position = Number(slider.value);
            if (!latest || position < 1) return;
            document.getElementById("slider-label").textContent = "After event " + position + " of " + latest.eventCount +
              ": " + positionType(position) + " (seq " + positionSeq(position) + ")" + (atSeq === null ? " · latest" : "");
          }

          function countStates(states) {
            const counts = {};
            for (const s of states) counts[s] = (counts[s] || 0) + 1;
            return Object.entries(counts).map(([s, n]) => n + " " + s).join(", ");
          }

          function showStateAt(state, detail, source) {
            const badge = document.getElementById("state-at");
            badge.textContent = state;
            badge.className = "state " + BL.stateClass(state);
            badge.dataset.source = source;
            document.getElementById("state-at-detail").textContent = detail ? "· task runs: " + detail : "· no task run yet";
          }

          async function showAt(position) {
            const seq = positionSeq(position);
            atSeq = position >= latest.eventCount ? null : seq;
            describeSlider();
            events.current = position - 1;
            events.list.reveal(position - 1);
            const timeline = atSeq === null ? latest : await BL.json("/ui/executions/" + enc + "/timeline.json?at=" + seq);
            if (Number(slider.value) !== position) return;  // the slider moved on
            shown = timeline;
            drawTimeline();
            // Kestra's execution as of the event, when the server answers `at` (it is then dated no later than the
            // event); otherwise the timeline's own fold of the same events.
            let state = timeline.state;
            let detail = countStates(timeline.taskRuns.map((run) => run.state));
            let source = "timeline";
            try {
              const asOf = await BL.apiJSON("/executions/" + enc + "?at=" + seq);
              const until = Date.parse(timeline.now) + 1;
              const dated = (asOf.state && asOf.state.histories || []).every((h) => Date.parse(h.date) <= until);
              if (asOf.state && dated) {
                state = asOf.state.current;
                detail = countStates((asOf.taskRunList || []).map((run) => run.state.current));
                source = "api";
              }
            } catch (error) { /* the timeline's state stands */ }
            if (Number(slider.value) !== position) return;
            showStateAt(state, detail, source);
          }

          slider.addEventListener("input", () => {
            describeSlider();
            clearTimeout(sliderTimer);
            sliderTimer = setTimeout(() => showAt(Number(slider.value)).catch(problem), 120);
          });
          document.getElementById("live").addEventListener("click", () => {
            slider.value = slider.max;
            showAt(Number(slider.max)).catch(problem);
          });

          // ---- the event trail, a page of EVENT_PAGE events at a time ----
          const events = {
            pages: new Map(),
            loading: new Set(),
            current: -1,
            list: null,
            setCount(count) { this.list.setCount(count); },
          };
          let eventsFallback = false;

          async function loadEventPage(page) {
            if (events.loading.has(page)) return;
            events.loading.add(page);
            const after = page === 0 ? 0 : latest.events.seqs[page * EVENT_PAGE - 1];
            const query = "?after=" + after + "&size=" + EVENT_PAGE;
            let body;
            try {
              if (eventsFallback) throw new BL.ApiError(404, "");
              body = await BL.apiJSON("/executions/" + enc + "/events" + query);
            } catch (error) {
              if (error.status !== 404 && error.status !== 405) { events.loading.delete(page); throw error; }
              eventsFallback = true;
              body = await BL.json("/ui/executions/" + enc + "/events.json" + query);
            }
            events.pages.set(page, body.results || []);
            events.loading.delete(page);
            events.list.draw();
          }

          function eventAt(index) {
            const page = events.pages.get(Math.floor(index / EVENT_PAGE));
            return page ? page[index % EVENT_PAGE] : undefined;
          }

          events.list = new BL.VirtualList(document.getElementById("events"), 20, (index) => {
            const event = eventAt(index);
            if (!event) loadEventPage(Math.floor(index / EVENT_PAGE)).catch(problem);
            const type = event ? event.type : positionType(index + 1);
            const row = el("div", { className: "event-row" + (index === events.current ? " current" : ""),
              dataset: { position: String(index + 1) }, attrs: { role: "listitem" } },
              el("span", { className: "seq" }, "#" + (index + 1)), type + "  ",
              el("span", { className: "hint" }, event ? (event.recorded_at || event.recordedAt || "") + "  " : ""),
              event && event.summary ? String(event.summary) : "");
            row.addEventListener("click", () => {
              slider.value = String(index + 1);
              showAt(index + 1).catch(problem);
              const detail = eventAt(index);
              document.getElementById("event-detail").textContent = detail ? JSON.stringify(detail, null, 2) : "";
            });
            return row;
          });

          // ---- selection and outputs ----
          function select(taskRunId) {
            selected = taskRunId;
            gantt.draw();
            const run = (shown || latest).taskRuns.find((r) => r.id === taskRunId);
            document.getElementById("selected-run").textContent = run ? runLabel(run) + " · " + run.id : taskRunId;
            document.getElementById("selection-hint").hidden = true;
            document.getElementById("fork").disabled = false;
            showOutputs().catch(problem);
            if (logFilter.checked) drawLogs(true);
          }

          function valueText(value) { return typeof value === "string" ? value : JSON.stringify(value, null, 1); }

          async function showOutputs() {
            if (!execution || !BL.isTerminal(execution.state.current)) execution = await BL.apiJSON("/executions/" + enc);
            const box = document.getElementById("outputs");
            const run = (execution.taskRunList || []).find((r) => r.id === selected);
            const timelineRun = latest.taskRuns.find((r) => r.id === selected);
            const rows = [];
            if (timelineRun) {
              for (const attempt of timelineRun.attempts) {
                const text = [attempt.state, attempt.provisioning, attempt.preempted ? "preempted" : null,
                  attempt.exitCode != null ? "exit " + attempt.exitCode : null, attempt.job, attempt.reason].filter(Boolean).join(" · ");
                rows.push(el("tr", {}, el("th", {}, "attempt " + attempt.number), el("td", { className: "value" }, text)));
              }
            }
            const outputs = run && run.outputs || {};
            for (const [name, value] of Object.entries(outputs.vars || {})) {
              rows.push(el("tr", {}, el("th", {}, "outputs." + name), el("td", { className: "value" }, valueText(value))));
            }
            if (outputs.exitCode !== undefined) rows.push(el("tr", {}, el("th", {}, "exitCode"), el("td", { className: "value" }, String(outputs.exitCode))));
            for (const [name, uri] of Object.entries(outputs.outputFiles || {})) {
              const href = "/api/v1/main/executions/" + enc + "/file?path=" + encodeURIComponent(String(uri));
              rows.push(el("tr", {}, el("th", {}, "file"),
                el("td", { className: "value" }, el("a", { href, className: "output-file", download: name }, name), " ", el("span", { className: "hint" }, String(uri)))));
            }
            if (rows.length === 0) rows.push(el("tr", {}, el("td", {}, "No outputs.")));
            box.replaceChildren(el("table", {}, el("tbody", {}, ...rows)));
          }

          // ---- logs: follow, or poll ----
          const logs = [];
          let visibleLogs = logs;
          const logFilter = document.getElementById("log-selected-only");
          const logMode = document.getElementById("log-mode");
          const logList = new BL.VirtualList(document.getElementById("logs"), 20, (index) => {
            const entry = visibleLogs[index] || {};
            const level = String(entry.level || "INFO");
            return el("div", { className: "log-row", dataset: { taskRunId: entry.taskRunId || "" } },
              el("span", { className: "time" }, BL.instant(entry.timestamp || "").slice(11) + " "),
              el("span", { className: "level-" + (["ERROR", "WARN"].includes(level) ? level : "INFO") }, level.padEnd(5) + " "),
              el("span", { className: "task" }, (entry.taskId || "") + " "),
              el("span", { className: "message" }, String(entry.message ?? "")));
          });

          function drawLogs(force) {
            const follow = force || logList.atBottom();
            visibleLogs = logFilter.checked && selected ? logs.filter((e) => e.taskRunId === selected) : logs;
            logList.container.style.height = Math.min(360, Math.max(48, visibleLogs.length * 20 + 4)) + "px";
            logList.setCount(visibleLogs.length);
            if (follow) logList.scrollToBottom();
          }
          logFilter.addEventListener("change", () => drawLogs(true));

          function logKey(entry) { return [entry.taskRunId, entry.attemptNumber, entry.timestamp, entry.message].join("\u0000"); }

          async function followLogs() {
            // What is stored now, then the stream; lines the stream repeats are counted off what was stored.
            const stored = await BL.apiJSON("/logs/" + enc);
            const seen = new Map();
            for (const entry of stored) { logs.push(entry); seen.set(logKey(entry), (seen.get(logKey(entry)) || 0) + 1); }
            drawLogs(true);
            if (BL.isTerminal(latest.state)) { logMode.textContent = "· " + logs.length + " lines"; return; }
            let response;
            try {
              response = await BL.api("/logs/" + enc + "/follow", { headers: { Accept: "text/event-stream" } });
            } catch (error) { return pollLogs(); }
            if (!response.ok || !response.body) return pollLogs();
            logMode.textContent = "· following";
            const reader = response.body.getReader();
            const decoder = new TextDecoder();
            let buffer = "";
            for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
              let end;
              while ((end = buffer.indexOf("\n\n")) >= 0) {
                const block = buffer.slice(0, end);
                buffer = buffer.slice(end + 2);
                const data = block.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5).replace(/^ /, "")).join("\n");
                if (!data) continue;
                let entry;
                try { entry = JSON.parse(data); } catch (e) { continue; }
                const key = logKey(entry);
                const left = seen.get(key) || 0;
                if (left > 0) { seen.set(key, left - 1); continue; }
                logs.push(entry);
                drawLogs(false);
              }
            }
            logMode.textContent = "· " + logs.length + " lines (stream ended)";
            if (!BL.isTerminal(latest.state)) return pollLogs();
          }

          async function pollLogs() {
            logMode.textContent = "· polling";
            for (;;) {
              await new Promise((resolve) => setTimeout(resolve, 2000));
              const terminal = BL.isTerminal(latest.state);
              const all = await BL.apiJSON("/logs/" + enc);
              if (all.length !== logs.length) {
                logs.splice(0, logs.length, ...all);
                drawLogs(false);
              }
              if (terminal) { logMode.textContent = "· " + logs.length + " lines"; return; }
            }
          }

          // ---- actions ----
          function problem(error) {
            actionResult.textContent = error && error.message ? error.message : String(error);
          }

          async function post(path, method) {
            actionResult.textContent = "…";
            const response = await BL.api(path, { method });
            if (!response.ok) {
              let message = response.status + " " + response.statusText;
              try { const body = await response.json(); if (body && body.message) message = body.message; } catch (e) { /* empty */ }
              throw new BL.ApiError(response.status, message);
            }
            const text = await response.text();
            try { return text ? JSON.parse(text) : null; } catch (e) { return null; }
          }

          function goToNew(body, what) {
            if (body && typeof body.id === "string" && body.id !== id) {
              location.assign(BL.executionURL(body.id));
            } else {
              actionResult.textContent = what;
              loadLatest().catch(problem);
            }
          }

          const kill = document.getElementById("kill");
          let killArmed = null;
          kill.addEventListener("click", async () => {
            if (!killArmed) {
              kill.textContent = "Confirm kill";
              kill.classList.add("confirm");
              killArmed = setTimeout(() => { killArmed = null; kill.textContent = "Kill"; kill.classList.remove("confirm"); }, 5000);
              return;
            }
            clearTimeout(killArmed);
            killArmed = null;
            kill.textContent = "Kill";
            kill.classList.remove("confirm");
            try {
              await post("/executions/" + enc + "/kill", "DELETE");
              actionResult.textContent = "kill requested";
              await loadLatest();
            } catch (error) { problem(error); }
          });

          document.getElementById("restart").addEventListener("click", async () => {
            try { goToNew(await post("/executions/" + enc + "/restart", "POST"), "restarted"); } catch (error) { problem(error); }
          });

          document.getElementById("fork").addEventListener("click", async () => {
            if (!selected) return;
            try {
              goToNew(await post("/executions/" + enc + "/replay?taskRunId=" + encodeURIComponent(selected), "POST"), "forked");
            } catch (error) { problem(error); }
          });

          // ---- start ----
          (async () => {
            await loadLatest();
            shown = latest;
            drawTimeline();
            const poller = BL.every(2000, async () => {
              await loadLatest();
              if (BL.isTerminal(latest.state)) { poller.stop(); await loadLatest(); }
            });
            if (BL.isTerminal(latest.state)) poller.stop();
            followLogs().catch((error) => { logMode.textContent = "· " + error.message; });
          })().catch(problem);
        })();
        """#
}
