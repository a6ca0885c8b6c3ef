#!/usr/bin/env python3
"""Validates Kestra JSON documents written by BatchLedger with kestrapy 2.0.3's own models, strictly.

Usage: kestra_models.py FILE...   (requires `pip install kestrapy==2.0.3 regex`)

The model of each file comes from its name's second-to-last suffix (or a `KIND:` prefix before the path):
  NAME.execution.json    an Execution (also ExecutionControllerExecutionResponse)
  NAME.logs.json         a JSON array of LogEntry
  NAME.flow.json         a FlowWithSource
  NAME.flowpage.json     a PagedResultsFlow
  NAME.violations.json   a JSON array of ValidateConstraintViolation

Each document goes through the model's `from_dict`, the strict pydantic validation kestrapy's `BaseApi._deserialize`
tries first; the SDK falls back to an unvalidated `model_construct` when it fails, so a document that only passes
through the fallback is a failure here. After validation, the fields a client reads are read back (so a required
value that validation let through as None is caught too). Prints one line per file; exits 1 naming the first
failure, 2 on bad usage.
"""

import json
import sys
import warnings

warnings.filterwarnings("ignore")  # kestrapy's models warn about a field named `validate` on import

try:
    from kestrapy.models.execution import Execution
    from kestrapy.models.execution_controller_execution_response import ExecutionControllerExecutionResponse
    from kestrapy.models.flow_with_source import FlowWithSource
    from kestrapy.models.log_entry import LogEntry
    from kestrapy.models.paged_results_flow import PagedResultsFlow
    from kestrapy.models.validate_constraint_violation import ValidateConstraintViolation
except ImportError as error:  # pragma: no cover - environment problem
    print(f"kestra_models: cannot import kestrapy ({error}); run `pip install kestrapy==2.0.3 regex`", file=sys.stderr)
    sys.exit(2)


def check_state(state, where):
    for name in ("current", "histories", "get_duration", "get_start_date", "get_end_date"):
        if getattr(state, name, None) is None:
            raise ValueError(f"{where}.{name} is unset")
    for index, history in enumerate(state.histories):
        if history.state is None or history.var_date is None:
            raise ValueError(f"{where}.histories[{index}] lacks state or date")


def check_execution(document, where):
    for model in (Execution, ExecutionControllerExecutionResponse):
        execution = model.from_dict(document)
        check_state(execution.state, f"{where}.state")
        if execution.metadata.original_created_date is None:
            raise ValueError(f"{where}.metadata.originalCreatedDate is unset")
        for index, run in enumerate(execution.task_run_list or []):
            check_state(run.state, f"{where}.taskRunList[{index}].state")
            if "outputs" not in run.additional_properties:
                raise ValueError(f"{where}.taskRunList[{index}] has no outputs")
            for number, attempt in enumerate(run.attempts or []):
                check_state(attempt.state, f"{where}.taskRunList[{index}].attempts[{number}].state")


def check_logs(document, where):
    if not isinstance(document, list):
        raise ValueError(f"{where} is not a JSON array")
    for index, item in enumerate(document):
        entry = LogEntry.from_dict(item)
        if entry.level is None or entry.timestamp is None or entry.message is None:
            raise ValueError(f"{where}[{index}] lacks level, timestamp or message")


def check_flow(document, where):
    flow = FlowWithSource.from_dict(document)
    if flow.source is None:
        raise ValueError(f"{where}.source is unset")
    for index, task in enumerate(flow.tasks):
        if not task.id or not task.type:
            raise ValueError(f"{where}.tasks[{index}] lacks id or type")


def check_flow_page(document, where):
    page = PagedResultsFlow.from_dict(document)
    if page.total is None or page.results is None:
        raise ValueError(f"{where} lacks results or total")


def check_violations(document, where):
    if not isinstance(document, list):
        raise ValueError(f"{where} is not a JSON array")
    for index, item in enumerate(document):
        violation = ValidateConstraintViolation.from_dict(item)
        if violation.index is None:
            raise ValueError(f"{where}[{index}].index is unset")


CHECKS = {
    "execution": check_execution,
    "logs": check_logs,
    "flow": check_flow,
    "flowpage": check_flow_page,
    "violations": check_violations,
}


def kind_and_path(argument):
    kind, colon, path = argument.partition(":")
    if colon and kind in CHECKS:
        return kind, path
    parts = argument.rsplit(".", 2)
    if len(parts) == 3 and parts[1] in CHECKS:
        return parts[1], argument
    return None, argument


def main(arguments):
    if not arguments:
        print(__doc__, file=sys.stderr)
        return 2
    for argument in arguments:
        kind, path = kind_and_path(argument)
        if kind is None:
            print(f"kestra_models: {argument}: name it NAME.<{'|'.join(CHECKS)}>.json or prefix KIND:", file=sys.stderr)
            return 2
        try:
            with open(path, encoding="utf-8") as file:
                document = json.load(file)
            CHECKS[kind](document, path)
        except Exception as error:  # noqa: BLE001 - any failure is the answer
            print(f"FAIL {path} ({kind}): {type(error).__name__}: {error}")
            return 1
        print(f"ok   {path} ({kind})")
    print(f"kestra_models: {len(arguments)} document(s) valid")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
