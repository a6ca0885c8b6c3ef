#!/usr/bin/env python3
"""The web UI of `batchledger serve` in a real browser (Debian's chromium and chromium-driver, headless, through
Selenium).

Usage: ui_selenium.py BATCHLEDGER SCREENSHOTS [--ledger LEDGER] [--bench-ledger BENCH]

  BATCHLEDGER   the batchledger binary
  SCREENSHOTS   a folder for the screenshots (created)
  --ledger      a ledger with at least one finished run of Samples/gcp_batch_runner.yaml; without it the sample is
                run on the embedded emulator (`batchledger run … --local`) into a ledger of its own
  --bench-ledger  the ledger `UIBenchLedgerTests` writes (BATCHLEDGER_UI_LEDGER=BENCH swift test --filter
                UIBenchLedgerTests): 1,000 executions and one with 1,000 task runs; the list and that execution's
                page are timed (navigation timing) and the figures printed

Checks, on `serve` without a token file: the list's first answer already holds rows; an execution's page draws its
Gantt bars and logs; the event slider changes the state shown; an event's payload shows on a click. With a token
file: a page leads to the sign-in form, a token signs in (an HttpOnly, SameSite=Strict cookie), the list shows,
signing out ends it. Where the server answers the flow and execution write API (POST executions/{ns}/{id}, kill),
it also starts an execution from the flow's form, watches it reach SUCCESS in the list, opens its chart and logs,
and kills a long-running one from its page; otherwise those checks are reported as skipped. Exits 1 naming the
first failure.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# Bounds on waiting for the page: they only catch a hung page; a loaded machine takes what it needs below them.
WAIT = 60
passed = 0
skipped = []


def fail(message):
    print(f"ui_selenium: FAIL {message}")
    sys.exit(1)


def ok(message):
    global passed
    passed += 1
    print(f"ok {message}")


def skip(message):
    skipped.append(message)
    print(f"skip {message}")


class Server:
    """`batchledger serve` on a free port, stopped on exit."""

    def __init__(self, binary, ledger, token_file=None, extra=()):
        command = [binary, "serve", "--ledger", ledger, "--port", "0", *extra]
        if token_file:
            command += ["--token-file", token_file]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        cwd=REPO)
        seen = []
        for _ in range(50):
            line = self.process.stdout.readline()
            seen.append(line)
            found = re.search(r"http://127\.0\.0\.1:(\d+)/api/", line)
            if found or not line:
                break
        if not found:
            self.stop()
            fail(f"serve did not say where it listens: {''.join(seen)!r}")
        self.base = f"http://127.0.0.1:{found.group(1)}"

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def call(self, method, path, headers=None, body=None):
        """The status and body of a request (404 and 405 say a route is missing)."""
        request = urllib.request.Request(self.base + path, method=method, headers=headers or {}, data=body)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def answers(self, method, path, headers=None):
        return self.call(method, path, headers)[0]


def browser():
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
                     "--disable-gpu"):
        options.add_argument(argument)
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(service=service, options=options)


def wait_for(driver, what, condition, timeout=WAIT):
    try:
        # A page that navigates or redraws while a condition reads it: read again at the next poll.
        return WebDriverWait(driver, timeout, poll_frequency=0.05,
                             ignored_exceptions=(StaleElementReferenceException, NoSuchElementException)).until(
            lambda d: condition(d))
    except TimeoutException:
        fail(f"timed out waiting for {what} on {driver.current_url}")


def texts(driver, css):
    """The text of every element `css` selects, read at once (virtual lists replace their rows as they redraw)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map((e) => e.textContent)", css)


def click(driver, css, index=0):
    """Clicks the `index`th element `css` selects, finding it again if a redraw replaced it."""
    for _ in range(20):
        try:
            driver.find_elements(By.CSS_SELECTOR, css)[index].click()
            return
        except (StaleElementReferenceException, IndexError):
            time.sleep(0.1)
    fail(f"could not click {css} [{index}]")


def shot(driver, folder, name):
    """A screenshot of the whole page (up to 4,000 pixels high)."""
    path = os.path.join(folder, name)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(max(height, 1000), 4000))
    driver.save_screenshot(path)
    driver.set_window_size(1400, 1000)
    print(f"screenshot {path}")


def no_script_errors(driver, where):
    errors = [entry for entry in driver.get_log("browser")
              if entry["level"] == "SEVERE" and "Failed to load resource" not in entry["message"]]
    if errors:
        fail(f"{where}: script errors: {errors}")


def run_sample(binary, folder, flow="Samples/gcp_batch_runner.yaml"):
    ledger = os.path.join(folder, "ledger")
    completed = subprocess.run(
        [binary, "run", flow, "--local", "--secrets-file", "Samples/local.env", "--ledger", ledger,
         "--output-dir", os.path.join(folder, "out"), "--json"],
        cwd=REPO, capture_output=True, text=True)
    if completed.returncode not in (0, 1):
        fail(f"batchledger run {flow}: exit {completed.returncode}: {completed.stderr[-2000:]}")
    return ledger, json.loads(completed.stdout)["executionId"]


def check_list_and_execution(driver, server, folder, execution_id):
    driver.get(server.base + "/ui/")
    # The first answer holds the rows: read them before any script could have run.
    source = driver.page_source
    if f'data-execution-id="{execution_id}"' not in source:
        fail("the list's first render has no row for the sample execution")
    rows = driver.find_elements(By.CSS_SELECTOR, "#executions tbody tr[data-execution-id]")
    ok(f"list renders {len(rows)} row(s), the sample's included")
    wait_for(driver, "the live refresh", lambda d: "live" in d.find_element(By.ID, "refreshed").text)
    ok("list refreshes itself from the search API")
    shot(driver, folder, "list.png")
    no_script_errors(driver, "list")

    driver.find_element(By.CSS_SELECTOR, f'tr[data-execution-id="{execution_id}"] td.id a').click()
    wait_for(driver, "Gantt bars", lambda d: d.find_elements(By.CSS_SELECTOR, "#gantt .gantt-row .bar"))
    bars = driver.find_elements(By.CSS_SELECTOR, "#gantt .gantt-row .bar")
    ok(f"execution page draws {len(bars)} Gantt bar(s)")
    wait_for(driver, "log lines", lambda d: any("Hello from GCP Batch" in text for text in texts(d, "#logs .log-row")))
    ok(f"logs shown ({driver.find_element(By.ID, 'log-mode').text.strip('· ')})")
    shot(driver, folder, "execution.png")

    slider = driver.find_element(By.ID, "slider")
    final = driver.find_element(By.ID, "state-at").text
    slider.send_keys(Keys.HOME)
    wait_for(driver, "the state after the first event",
             lambda d: d.find_element(By.ID, "state-at").text == "RUNNING"
             and "event 1 of" in d.find_element(By.ID, "slider-label").text)
    rows_at_start = len(driver.find_elements(By.CSS_SELECTOR, "#gantt .gantt-row"))
    shot(driver, folder, "slider-first-event.png")
    slider.send_keys(Keys.END)
    wait_for(driver, "the state after the last event", lambda d: d.find_element(By.ID, "state-at").text == final)
    if rows_at_start != 0:
        fail(f"after the first event the chart should have no task run, it has {rows_at_start}")
    source = driver.find_element(By.ID, "state-at").get_attribute("data-source")
    ok(f"event slider: RUNNING with no task run after event 1, {final} after the last (state from the {source})")

    click(driver, "#events .event-row", 1)
    wait_for(driver, "an event's payload", lambda d: '"type"' in d.find_element(By.ID, "event-detail").text)
    ok("event trail: a click shows the event's payload")
    click(driver, "#gantt .gantt-row")
    wait_for(driver, "the selected task run's outputs",
             lambda d: "attempt 1" in d.find_element(By.ID, "outputs").text)
    links = driver.find_elements(By.CSS_SELECTOR, "#outputs a.output-file")
    ok(f"outputs of the selected task run, {len(links)} output file link(s)")
    shot(driver, folder, "execution-selected.png")
    no_script_errors(driver, "execution")


def check_sign_in(binary, ledger, driver, folder):
    token = "ui-test-token-" + os.urandom(8).hex()
    with tempfile.NamedTemporaryFile("w", suffix=".tokens", delete=False) as tokens:
        tokens.write(f"browser:{token}\n")
    server = Server(binary, ledger, tokens.name)
    try:
        driver.delete_all_cookies()
        driver.get(server.base + "/ui/")
        wait_for(driver, "the sign-in form", lambda d: d.find_elements(By.ID, "token"))
        if "/ui/sign-in" not in driver.current_url:
            fail(f"expected the sign-in page, got {driver.current_url}")
        shot(driver, folder, "sign-in.png")
        driver.find_element(By.ID, "token").send_keys("not-the-token-0000000")
        driver.find_element(By.ID, "sign-in").click()
        wait_for(driver, "the refusal", lambda d: "not in the server's token file" in d.page_source)
        driver.find_element(By.ID, "token").send_keys(token)
        driver.find_element(By.ID, "sign-in").click()
        wait_for(driver, "the list after sign-in",
                 lambda d: d.find_elements(By.CSS_SELECTOR, "#executions tbody tr[data-execution-id]"))
        cookie = driver.get_cookie("batchledger_session")
        if not cookie or not cookie.get("httpOnly") or cookie.get("sameSite") != "Strict" or cookie.get("path") != "/":
            fail(f"session cookie flags: {cookie}")
        if driver.execute_script("return document.cookie").find("batchledger_session") >= 0:
            fail("the session cookie is readable from script")
        caller = driver.find_element(By.CSS_SELECTOR, ".sign-out .caller").text
        ok(f"signed in as {caller}: HttpOnly, SameSite=Strict session cookie")
        wait_for(driver, "a refresh with the cookie", lambda d: "live" in d.find_element(By.ID, "refreshed").text)
        ok("the list's script reads the API with the session cookie")
        shot(driver, folder, "signed-in.png")
        status = server.answers("DELETE", "/api/v1/main/executions/x/kill",
                                {"Cookie": f"batchledger_session={cookie['value']}"})
        if status != 403:
            fail(f"a cookie write without the CSRF token answered {status}, not 403")
        ok("a write with the cookie but without the CSRF token is 403")
        driver.find_element(By.CSS_SELECTOR, ".sign-out button").click()
        wait_for(driver, "the sign-in form after signing out", lambda d: d.find_elements(By.ID, "token"))
        driver.get(server.base + "/ui/")
        wait_for(driver, "sign-in again", lambda d: "/ui/sign-in" in d.current_url)
        ok("signing out ends the session")
    finally:
        server.stop()
        os.unlink(tokens.name)


def navigation(driver):
    return driver.execute_script(
        "const n = performance.getEntriesByType('navigation')[0];"
        "return {response: n.responseEnd, dom: n.domContentLoadedEventEnd, load: n.loadEventEnd,"
        " bytes: n.transferSize};")


def check_bench(binary, bench, driver, folder):
    ids = json.load(open(bench + ".json"))
    server = Server(binary, bench)
    try:
        driver.get(server.base + "/ui/")
        wait_for(driver, "the list", lambda d: d.execute_script(
            "return document.readyState === 'complete'"))
        timing = navigation(driver)
        rows = len(driver.find_elements(By.CSS_SELECTOR, "#executions tbody tr[data-execution-id]"))
        total = driver.find_element(By.ID, "total").text
        nodes = driver.execute_script("return document.getElementsByTagName('*').length")
        if rows != 50 or int(total) != ids["executions"]:
            fail(f"bench list: {rows} rows of {total}")
        print(f"figure list of {total} executions: first answer {timing['response']:.0f} ms, DOM ready "
              f"{timing['dom']:.0f} ms, load {timing['load']:.0f} ms, {rows} rows, {nodes} elements, "
              f"{timing['bytes']} bytes")
        ok("1,000+ executions: one page of 50 rows")
        shot(driver, folder, "bench-list.png")
        driver.find_element(By.CSS_SELECTOR, '#pager a[rel="last"]').click()
        wait_for(driver, "the last page", lambda d: "page=21" in d.current_url)
        ok("the pager reaches the last page")

        driver.get(server.base + "/ui/executions/" + ids["wide"])
        wait_for(driver, "the chart's rows", lambda d: d.find_elements(By.CSS_SELECTOR, "#gantt .gantt-row .bar"))
        drawn = driver.execute_script("return performance.now()")
        timing = navigation(driver)
        summary = driver.find_element(By.ID, "gantt-summary").text
        rendered = len(driver.find_elements(By.CSS_SELECTOR, "#gantt .gantt-row"))
        nodes = driver.execute_script("return document.getElementsByTagName('*').length")
        print(f"figure execution with {ids['wideTaskRuns']} task runs: first answer {timing['response']:.0f} ms, "
              f"DOM ready {timing['dom']:.0f} ms, chart drawn {drawn:.0f} ms, {rendered} chart rows in the page "
              f"({summary}), {nodes} elements")
        if not summary.startswith(f"{ids['wideTaskRuns']} task runs") or rendered > 100 or nodes > 3000:
            fail(f"the chart should be virtual: {summary}, {rendered} rows, {nodes} elements")
        if "preempted" not in summary or not driver.find_elements(By.CSS_SELECTOR, "#gantt .bar.preempted"):
            fail("no preempted attempt is marked")
        ok("1,000 task runs: a virtual chart, preempted spot attempts marked")
        shot(driver, folder, "bench-execution.png")
        driver.execute_script("const g = document.getElementById('gantt'); g.scrollTop = g.scrollHeight;")
        wait_for(driver, "the last task run", lambda d: any(
            "region-999" in text for text in texts(d, "#gantt .gantt-label")))
        ok("scrolling the chart reaches the 1,000th task run")
        wait_for(driver, "the logs", lambda d: len(d.find_elements(By.CSS_SELECTOR, "#logs .log-row")) > 10)
        events = driver.find_element(By.ID, "slider").get_attribute("max")
        print(f"figure execution with {ids['wideTaskRuns']} task runs: {events} events on the slider")
        shot(driver, folder, "bench-execution-end.png")
        no_script_errors(driver, "bench execution")

        driver.get(server.base + "/ui/executions/" + ids["hostile"])
        wait_for(driver, "the hostile log line", lambda d: any(
            "onerror" in text for text in texts(d, "#logs .log-row .message")))
        if driver.title.find("owned") >= 0 or driver.find_elements(By.CSS_SELECTOR, "#logs img, main script"):
            fail("a value from the ledger ran as markup")
        driver.get(server.base + "/ui/?flow=company.team%2Fhostile")
        if driver.title.find("owned") >= 0 or driver.find_elements(By.CSS_SELECTOR, "td img, td script"):
            fail("a label ran as markup")
        ok("hostile label, task id and log line show as text")
        shot(driver, folder, "hostile.png")
    finally:
        server.stop()


LONG_FLOW = """id: long_sleep
namespace: company.team
description: Sleeps, to be killed.

inputs:
  - id: seconds
    type: INT
    defaults: 600

tasks:
  - id: sleep
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: ubuntu:24.04
    taskRunner:
      type: io.kestra.plugin.ee.gcp.runner.Batch
      projectId: "{{ secret('GCP_PROJECT_ID') }}"
      region: europe-west9
      bucket: "{{ secret('GCS_BUCKET') }}"
    commands:
      - echo "sleeping {{ inputs.seconds }} seconds"
      - sleep {{ inputs.seconds }}
"""


def kill_twice(driver):
    """The kill button asks for a second click to confirm."""
    click(driver, "#kill")
    wait_for(driver, "the kill confirmation", lambda d: d.find_element(By.ID, "kill").text == "Confirm kill")
    click(driver, "#kill")


def check_writes(binary, driver, folder, work):
    """Starts an execution from a flow's form, watches it, and kills a long one, on `serve --local`, where the
    server answers the flow and execution write API."""
    os.makedirs(work, exist_ok=True)
    usage = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True).stdout
    if "--local" not in usage:
        skip("start from the flow form, watch it live, restart, fork and kill from the UI: this serve has no "
             "--local (it does not run executions)")
        return
    server = Server(binary, os.path.join(work, "ledger"),
                    extra=["--local", "--secrets-file", "Samples/local.env", "--output-dir", os.path.join(work, "out")])
    try:
        yaml = {"Content-Type": "application/x-yaml"}
        status, body = server.call("POST", "/api/v1/main/flows", yaml, open(os.path.join(REPO, "Samples/multi_task.yaml"), "rb").read())
        if status in (404, 405):
            skip(f"start from the flow form, watch it live, kill from the UI: this server does not answer the "
                 f"write API (POST flows: {status})")
            return
        if status != 200:
            fail(f"POST flows multi_task: {status} {body[:300]!r}")
        status, body = server.call("POST", "/api/v1/main/flows", yaml, LONG_FLOW.encode())
        if status != 200:
            fail(f"POST flows long_sleep: {status} {body[:300]!r}")

        driver.get(server.base + "/ui/flows")
        wait_for(driver, "the flow list", lambda d: d.find_elements(By.CSS_SELECTOR, "#flows tbody tr[data-flow]"))
        ok(f"flow list: {', '.join(texts(driver, '#flows tbody tr td:first-child'))}")
        click(driver, '#flows tbody tr[data-flow="company.team/multi_task"] a')
        wait_for(driver, "the flow's source", lambda d: d.find_elements(By.CSS_SELECTOR, "#source .source-line"))
        wait_for(driver, "validation", lambda d: d.find_element(By.ID, "validation-summary").text)
        ok(f"flow source with validation ({driver.find_element(By.ID, 'validation-summary').text.strip('· ')})")
        driver.find_element(By.ID, "edit").click()
        editor = driver.find_element(By.ID, "source-editor")
        editor.send_keys(Keys.CONTROL, "a")
        editor.send_keys("id: broken\nnamespace: company.team\ntasks:\n  - id: t\n    type: io.kestra.nope\n")
        driver.find_element(By.ID, "validate").click()
        wait_for(driver, "a problem at its line",
                 lambda d: d.find_elements(By.CSS_SELECTOR, "#source .source-line.problem-line"))
        lines = driver.execute_script(
            "return Array.from(document.querySelectorAll('#source .problem-line')).map((e) => e.dataset.line)")
        ok(f"validation problems marked at line(s) {', '.join(lines)}")
        shot(driver, folder, "flow-validation.png")
        driver.refresh()
        wait_for(driver, "the run form", lambda d: d.find_elements(By.CSS_SELECTOR, '#run-inputs [name="rows"]'))
        rows = driver.find_element(By.CSS_SELECTOR, '#run-inputs [name="rows"]')
        rows.clear()
        rows.send_keys("4")
        shot(driver, folder, "flow-run-form.png")
        driver.find_element(By.ID, "run").click()
        wait_for(driver, "the new execution's page", lambda d: "/ui/executions/" in d.current_url)
        started = driver.find_element(By.ID, "execution").get_attribute("data-execution-id")
        ok(f"started {started} from the flow's form (rows=4)")

        driver.get(server.base + "/ui/")
        wait_for(driver, "its row", lambda d: d.find_elements(By.CSS_SELECTOR, f'tr[data-execution-id="{started}"]'))
        first = driver.find_element(By.CSS_SELECTOR, f'tr[data-execution-id="{started}"]').get_attribute("data-state")
        wait_for(driver, "SUCCESS in the live list", lambda d: d.execute_script(
            "const r = document.querySelector(arguments[0]); return r && r.dataset.state === 'SUCCESS'",
            f'tr[data-execution-id="{started}"]'), timeout=600)
        ok(f"the list shows it go from {first} to SUCCESS without a reload")
        shot(driver, folder, "started-success-in-list.png")
        driver.get(server.base + "/ui/executions/" + started)
        wait_for(driver, "its Gantt bars", lambda d: len(d.find_elements(By.CSS_SELECTOR, "#gantt .bar")) >= 2)
        wait_for(driver, "its logs", lambda d: any("wrote 4 rows" in t for t in texts(d, "#logs .log-row")))
        ok(f"its chart ({driver.find_element(By.ID, 'gantt-summary').text}) and logs "
           f"({driver.find_element(By.ID, 'log-mode').text.strip('· ')})")
        shot(driver, folder, "started-execution.png")

        driver.get(server.base + "/ui/flows/company.team/long_sleep")
        wait_for(driver, "the run form", lambda d: d.find_elements(By.CSS_SELECTOR, '#run-inputs [name="seconds"]'))
        driver.find_element(By.ID, "run").click()
        wait_for(driver, "the long execution's page", lambda d: "/ui/executions/" in d.current_url)
        long_id = driver.find_element(By.ID, "execution").get_attribute("data-execution-id")
        wait_for(driver, "its log line while it runs",
                 lambda d: any("sleeping 600 seconds" in t for t in texts(d, "#logs .log-row")), timeout=300)
        mode = driver.find_element(By.ID, "log-mode").text
        if driver.find_element(By.ID, "execution").get_attribute("data-state") != "RUNNING":
            fail("the long execution is not running")
        ok(f"logs follow a running execution ({mode.strip('· ')})")
        shot(driver, folder, "long-running.png")
        kill_twice(driver)
        wait_for(driver, "KILLED", lambda d: d.find_element(By.ID, "execution").get_attribute("data-state") == "KILLED",
                 timeout=300)
        ok(f"killed {long_id} from its page")
        shot(driver, folder, "killed.png")
        driver.find_element(By.ID, "restart").click()
        wait_for(driver, "the restarted execution", lambda d: long_id not in d.current_url
                 or d.find_element(By.ID, "action-result").text not in ("", "…", "kill requested"))
        if long_id in driver.current_url:
            fail(f"restart: {driver.find_element(By.ID, 'action-result').text}")
        restarted = driver.find_element(By.ID, "execution").get_attribute("data-execution-id")
        ok(f"restart from the page opened the new execution {restarted}")
        wait_for(driver, "the restarted one running", lambda d: d.find_element(By.ID, "kill").is_enabled()
                 and d.find_element(By.ID, "execution").get_attribute("data-state") == "RUNNING", timeout=300)
        kill_twice(driver)
        wait_for(driver, "the restarted one KILLED",
                 lambda d: d.find_element(By.ID, "execution").get_attribute("data-state") == "KILLED", timeout=300)

        driver.get(server.base + "/ui/executions/" + started)
        wait_for(driver, "the chart", lambda d: len(d.find_elements(By.CSS_SELECTOR, "#gantt .gantt-row")) >= 2)
        click(driver, "#gantt .gantt-row", 1)
        wait_for(driver, "the fork button", lambda d: d.find_element(By.ID, "fork").is_enabled())
        driver.find_element(By.ID, "fork").click()
        wait_for(driver, "the forked execution", lambda d: started not in d.current_url
                 or d.find_element(By.ID, "action-result").text not in ("", "…"))
        if started in driver.current_url:
            fail(f"fork: {driver.find_element(By.ID, 'action-result').text}")
        forked = driver.find_element(By.ID, "execution").get_attribute("data-execution-id")
        wait_for(driver, "the fork's end", lambda d: d.find_element(By.ID, "execution").get_attribute("data-state")
                 in ("SUCCESS", "FAILED", "WARNING"), timeout=600)
        ok(f"fork from the second task run opened {forked}, which ended "
           f"{driver.find_element(By.ID, 'execution').get_attribute('data-state')}")
        shot(driver, folder, "forked.png")
        status, body = server.call("GET", f"/api/v1/main/audit?execution={long_id}")
        if status in (404, 405):
            skip(f"the audit page: this server does not answer GET audit ({status})")
        else:
            if status != 200 or b"requestedBy" not in body:
                fail(f"audit of the killed execution: {status} {body[:300]!r}")
            driver.get(server.base + f"/ui/audit?execution={long_id}")
            wait_for(driver, "the audit rows", lambda d: d.find_elements(By.CSS_SELECTOR, "#audit .event-row"))
            ok(f"audit page: {driver.find_element(By.ID, 'audit-summary').text}, who killed it recorded")
            shot(driver, folder, "audit.png")
        no_script_errors(driver, "writes")
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("binary")
    parser.add_argument("screenshots")
    parser.add_argument("--ledger")
    parser.add_argument("--bench-ledger")
    arguments = parser.parse_args()
    binary = os.path.abspath(arguments.binary)
    os.makedirs(arguments.screenshots, exist_ok=True)
    work = tempfile.mkdtemp(prefix="ui-selenium-")
    if arguments.ledger:
        ledger = arguments.ledger
        server = Server(binary, ledger)
        request = urllib.request.urlopen(server.base + "/api/v1/main/executions/search?size=1", timeout=30)
        execution_id = json.load(request)["results"][0]["id"]
        server.stop()
    else:
        ledger, execution_id = run_sample(binary, work)
    driver = browser()
    try:
        server = Server(binary, ledger)
        try:
            check_list_and_execution(driver, server, arguments.screenshots, execution_id)
        finally:
            server.stop()
        check_sign_in(binary, ledger, driver, arguments.screenshots)
        if arguments.bench_ledger:
            check_bench(binary, arguments.bench_ledger, driver, arguments.screenshots)
        else:
            skip("render times at 1,000 executions and 1,000 task runs: no --bench-ledger")
        check_writes(binary, driver, arguments.screenshots, os.path.join(work, "writes"))
    finally:
        driver.quit()
    print(f"ui_selenium: {passed} passed, 0 failed, {len(skipped)} skipped")


if __name__ == "__main__":
    main()
