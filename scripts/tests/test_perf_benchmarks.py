"""Checks of perf.yml's package-benchmark steps, run in bash with a stand-in swift: the baseline
'base' is recorded in the base worktree, copied into the pull request's Benchmarks and checked
there, and the check's output and exit code become a verdict."""

import pytest

from perf_support import PERF, job, new_workspace, perf_job, workspace  # noqa: F401 (fixtures)
from workflow_support import calls, load, run_step, step, stub




# The package-benchmark suite: baseline 'base' in the base worktree, copied, checked in the PR.

SWIFT_PACKAGE = """
if args[:1] == ['package'] and 'benchmark' in args:
    verb = args.index('benchmark')
    package = Path(args[args.index('--package-path') + 1])
    if args[verb + 1:verb + 4] == ['baseline', 'update', 'base']:
        target = package / '.benchmarkBaselines' / 'AttentionBenchmarks' / 'base'
        target.mkdir(parents=True)
        (target / 'results.json').write_text('{"from": "' + os.getcwd() + '"}')
    elif args[verb + 1:verb + 4] == ['baseline', 'check', 'base']:
        stored = package / '.benchmarkBaselines' / 'AttentionBenchmarks' / 'base' / 'results.json'
        print('checked against', stored.read_text() if stored.exists() else 'nothing')
        print(os.environ.get('CHECK_OUTPUT', ''))
        sys.exit(int(os.environ.get('CHECK_EXIT', '0')))
"""


def run_benchmark_steps(job_, ws, env, bin_dir, **check_env):
    stub(bin_dir / "swift", "swift", SWIFT_PACKAGE)
    record, outputs = run_step(step(job_, "benchmark_base"), ws, env=env, path_prepend=[bin_dir], tmp=ws.parent)
    assert record.returncode == 0, record.stderr
    if outputs.get("recorded") != "true":
        return outputs, None
    for name in ("Copy the base baseline into the pull request's Benchmarks",):
        copy_, _ = run_step(step(job_, name), ws, env=env, tmp=ws.parent)
        assert copy_.returncode == 0, copy_.stderr
    check, check_outputs = run_step(step(job_, "benchmark_check"), ws, path_prepend=[bin_dir], tmp=ws.parent,
                                    env={**env, **check_env})
    assert check.returncode == 0, "the check step records its verdict; the last step decides\n" + check.stderr
    return outputs, (check, check_outputs)


def test_package_benchmarks_are_recorded_in_the_base_and_checked_in_the_pull_request(job, workspace):
    ws, env, bin_dir = workspace
    (ws.parent / "base/Benchmarks").mkdir(parents=True)
    (ws.parent / "base/Benchmarks/Package.swift").write_text("// base\n")
    (ws / "Benchmarks/.benchmarkBaselines/stale").mkdir(parents=True)
    outputs, (check, check_outputs) = run_benchmark_steps(job, ws, env, bin_dir)
    assert outputs == {"recorded": "true"}
    update, run_check = [c for c in calls(env["STUB_LOG"]) if c["tool"] == "swift"]
    # `swift package` options come before the plugin's verb; the baseline is written in the base.
    assert update["cwd"] == str(ws.parent / "base")
    verb = update["args"].index("benchmark")
    assert update["args"][0] == "package"
    assert {"--package-path", "Benchmarks", "--allow-writing-to-package-directory"} <= set(update["args"][:verb])
    assert update["args"][verb + 1:verb + 4] == ["baseline", "update", "base"]
    # The PR's check reads the base's baseline, copied over any stale one.
    assert run_check["cwd"] == str(ws)
    verb = run_check["args"].index("benchmark")
    assert run_check["args"][:verb] == ["package", "--package-path", "Benchmarks"]
    assert run_check["args"][verb + 1:verb + 4] == ["baseline", "check", "base"]
    assert f'"from": "{ws.parent / "base"}"' in check.stdout
    assert not (ws / "Benchmarks/.benchmarkBaselines/stale").exists()
    assert check_outputs == {"verdict": "within"}
    assert "checked against" in (ws / "benchmark-check.txt").read_text()
    copy_and_check = [step(job, "Copy the base baseline into the pull request's Benchmarks"),
                      step(job, "benchmark_check")]
    assert all(s["if"] == "steps.benchmark_base.outputs.recorded == 'true'" for s in copy_and_check)


CHECKS = {  # what `swift package benchmark baseline check` prints and exits with -> verdict
    "within": ("New baseline 'Current_run' is WITHIN the 'base' baseline thresholds.", 0, "within"),
    # SwiftPM turns a plugin's thrown error into exit 1 and prints its name.
    "regression": ("New baseline 'Current_run' is WORSE than the 'base' baseline thresholds.\n"
                   "error: benchmarkThresholdRegression", 1, "regression"),
    "improvement": ("New baseline 'Current_run' is BETTER than the 'base' baseline thresholds.\n"
                    "error: benchmarkThresholdImprovement", 1, "improvement"),
    "documented code 2": ("", 2, "regression"),
    "documented code 4": ("", 4, "improvement"),
    "build failure": ("error: compile command failed due to signal 9", 1, "failed"),
    "crash": ("One or more benchmark suites crashed during runtime.\nerror: benchmarkCrashed", 1, "failed"),
}


@pytest.mark.parametrize("output, code, verdict", CHECKS.values(), ids=CHECKS.keys())
def test_threshold_check_verdict(job, workspace, output, code, verdict):
    ws, env, bin_dir = workspace
    (ws.parent / "base/Benchmarks").mkdir(parents=True)
    (ws.parent / "base/Benchmarks/Package.swift").write_text("// base\n")
    _, (check, check_outputs) = run_benchmark_steps(job, ws, env, bin_dir, CHECK_OUTPUT=output, CHECK_EXIT=str(code))
    assert check_outputs == {"verdict": verdict}, check.stdout


def test_threshold_check_is_skipped_when_the_base_has_no_benchmark_package(job, workspace):
    ws, env, bin_dir = workspace
    (ws.parent / "base").mkdir()
    outputs, check = run_benchmark_steps(job, ws, env, bin_dir)
    assert outputs == {"recorded": "false"} and check is None
    assert calls(env["STUB_LOG"]) == []
