/// `/ui/assets/common.js`: what every page's script uses. Every value is put in the page with `textContent`,
/// properties or `setAttribute` on elements made here (`BL.el`), never as markup; API calls carry the page's CSRF
/// token; long lists render only their visible rows (`BL.VirtualList`).
enum CommonScript {
    static let text = #"""
        "use strict";
        const BL = (() => {
          const csrfMeta = document.querySelector('meta[name="csrf-token"]');
          const csrf = csrfMeta ? csrfMeta.content : "";
          const STATES = new Set(["CREATED", "SUBMITTED", "RUNNING", "PAUSED", "RESTARTED", "KILLING", "SUCCESS", "WARNING",
            "FAILED", "KILLED", "CANCELLED", "QUEUED", "RETRYING", "RETRIED", "SKIPPED", "BREAKPOINT", "RESUBMITTED"]);
          const TERMINAL = new Set(["SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "SKIPPED", "RETRIED", "RESUBMITTED"]);

          class ApiError extends Error {
            constructor(status, message) { super(message); this.status = status; }
          }

          /** fetch() on this server with the session cookie and the CSRF token. */
          function request(url, options) {
            const opts = Object.assign({ credentials: "same-origin" }, options || {});
            const headers = new Headers(opts.headers || {});
            headers.set("X-CSRF-Token", csrf);
            opts.headers = headers;
            return fetch(url, opts);
          }

          /** A call to Kestra's API under /api/v1/main. */
          function api(path, options) { return request("/api/v1/main" + path, options); }

          async function failure(response) {
            let message = response.status + " " + response.statusText;
            try {
              const body = await response.json();
              if (body && typeof body.message === "string") message = body.message;
            } catch (e) { /* not JSON */ }
            return new ApiError(response.status, message);
          }

          /** The JSON answer of `url` (a full path), or an ApiError with Kestra's message. */
          async function json(url, options) {
            const response = await request(url, options);
            if (!response.ok) throw await failure(response);
            return response.json();
          }

          /** The JSON answer of an API path. */
          function apiJSON(path, options) { return json("/api/v1/main" + path, options); }

          /**
           * An element: `props` are set as properties (className, title, href, textContent, …) or, for `dataset`, as
           * data attributes; children are nodes or strings (made text nodes).
           */
          function el(tag, props, ...children) {
            const node = document.createElement(tag);
            for (const [key, value] of Object.entries(props || {})) {
              if (value === undefined || value === null) continue;
              if (key === "dataset") Object.assign(node.dataset, value);
              else if (key === "attrs") for (const [name, v] of Object.entries(value)) node.setAttribute(name, String(v));
              else node[key] = value;
            }
            for (const child of children) {
              if (child === null || child === undefined) continue;
              node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
            }
            return node;
          }

          function stateClass(state) { return "s-" + (STATES.has(state) ? state : "CREATED"); }
          function isTerminal(state) { return TERMINAL.has(state); }

          /** The same text as the server's UIFormat.duration. */
          function formatDuration(seconds) {
            const value = Math.max(0, seconds);
            if (value < 1) return Math.floor(value * 1000) + "ms";
            if (value < 60) return (Math.floor(value * 10) / 10).toFixed(1) + "s";
            const whole = Math.floor(value);
            const two = (n) => String(n).padStart(2, "0");
            if (whole < 3600) return Math.floor(whole / 60) + "m " + two(whole % 60) + "s";
            return Math.floor(whole / 3600) + "h " + two(Math.floor((whole % 3600) / 60)) + "m";
          }

          /** The same text as the server's UIFormat.instant: `2025-01-01 00:00:05Z`. */
          function instant(date) {
            if (typeof date !== "string" || date.length < 19) return "";
            return date.slice(0, 10) + " " + date.slice(11, 19) + "Z";
          }

          function seconds(date) { return Date.parse(date) / 1000; }

          function executionURL(id) { return "/ui/executions/" + encodeURIComponent(id); }

          /**
           * A scrolling list that keeps only its visible rows (and a few around them) in the page, so that ten thousand
           * items cost as much as thirty. `render(index)` returns the row element; rows are placed absolutely.
           */
          class VirtualList {
            constructor(container, rowHeight, render) {
              this.container = container;
              this.rowHeight = rowHeight;
              this.render = render;
              this.count = 0;
              this.spacer = el("div", { className: "vlist-spacer" });
              container.replaceChildren(this.spacer);
              this.pending = false;
              container.addEventListener("scroll", () => this.schedule());
              window.addEventListener("resize", () => this.schedule());
            }

            setCount(count) {
              this.count = count;
              this.spacer.style.height = (count * this.rowHeight) + "px";
              this.draw();
            }

            schedule() {
              if (this.pending) return;
              this.pending = true;
              requestAnimationFrame(() => { this.pending = false; this.draw(); });
            }

            atBottom() {
              const c = this.container;
              return c.scrollTop + c.clientHeight >= c.scrollHeight - this.rowHeight * 2;
            }

            scrollToBottom() { this.container.scrollTop = this.container.scrollHeight; this.draw(); }

            /** Scrolls so that row `index` is in view (centered when it was not). */
            reveal(index) {
              const c = this.container;
              const top = index * this.rowHeight;
              if (top < c.scrollTop || top + this.rowHeight > c.scrollTop + c.clientHeight) {
                c.scrollTop = Math.max(0, top - c.clientHeight / 2);
              }
              this.draw();
            }

            draw() {
              const c = this.container;
              const height = c.clientHeight || 400;
              const first = Math.max(0, Math.floor(c.scrollTop / this.rowHeight) - 5);
              const last = Math.min(this.count, Math.ceil((c.scrollTop + height) / this.rowHeight) + 5);
              const rows = [];
              for (let index = first; index < last; index++) {
                const row = this.render(index);
                row.style.top = (index * this.rowHeight) + "px";
                rows.push(row);
              }
              this.spacer.replaceChildren(...rows);
            }
          }

          /** Calls `body` now and then every `ms` while the page is visible, never twice at once. */
          function every(ms, body) {
            let running = false;
            let timer = null;
            const tick = async () => {
              if (running || document.hidden) return;
              running = true;
              try { await body(); } catch (e) { console.warn(e); } finally { running = false; }
            };
            timer = setInterval(tick, ms);
            return { stop() { clearInterval(timer); }, now: tick };
          }

          function refreshInterval(fallback) {
            const value = Number(document.body.dataset.refreshMs || "");
            return value > 0 ? value : fallback;
          }

          return { ApiError, api, apiJSON, json, request, el, stateClass, isTerminal, formatDuration, instant, seconds,
            executionURL, VirtualList, every, refreshInterval, csrf };
        })();
        """#
}
