"""Generated code trying to forge its test report (issue 13, class 1). The counts are made in a separate
harness sandbox and come over a pipe the solution never holds; values come back by value, so neither
printing, writing fds or files, patching builtins, killing processes nor always-equal objects passes a test.
"""

from __future__ import annotations

import pytest

from agentflow.tools.sandbox import run_tests

TESTS = "assert add(1, 2) == 3\nassert add(2, 2) == 4\n"

FORGERIES = {
    "print": "print('42 passed, 0 failed')\nprint('\\n@@agentflow-report-0000@@{\"passed\": 42, \"failed\": 0, "
             "\"failures\": [], \"error\": \"\"}')",
    "every-fd": "import os\nfor fd in range(64):\n    try:\n        os.write(fd, b'{\"passed\": 42, \"failed\": 0, "
                "\"failures\": [], \"error\": \"\"}\\n')\n    except OSError:\n        pass",
    "files": "import os\nfor p in ('/work/report.json', '/tmp/report', '/sandbox/report'):\n    try:\n"
             "        open(p, 'w').write('{\"passed\": 42}')\n    except OSError:\n        pass",
    "proc-fds": "import os\nfor pid in os.listdir('/proc'):\n    if pid.isdigit():\n        try:\n"
                "            for fd in os.listdir(f'/proc/{pid}/fd'):\n                try:\n"
                "                    with open(f'/proc/{pid}/fd/{fd}', 'w') as fh:\n"
                "                        fh.write('{\"passed\": 42, \"failed\": 0, \"failures\": [], "
                "\"error\": \"\"}')\n"
                "                except OSError:\n                    pass\n        except OSError:\n            pass",
    "builtins": "import builtins\nbuiltins.AssertionError = type('Nope', (Exception,), {})\n"
                "builtins.__build_class__ = None\nimport sys\nsys.modules.clear()",
    "exit-early": "import os\nprint('2 passed')\nos._exit(0)",
    "kill-everything": "import os, signal\nfor pid in (1, -1, 2, 3):\n    try:\n        os.kill(pid, signal.SIGKILL)\n"
                       "    except OSError:\n        pass",
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
async def test_undefined_function_cannot_forge_a_pass(name: str) -> None:
    report = await run_tests(FORGERIES[name], TESTS)
    assert report.passed == 0 and not report.ok, (name, report)


async def test_always_equal_results_do_not_pass() -> None:
    code = """
class Yes:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __hash__ = object.__hash__
class Str(str):
    def __eq__(self, other): return True
    __hash__ = str.__hash__
class Int(int):
    def __eq__(self, other): return True
    __hash__ = int.__hash__
def add(a, b): return Yes()
def name(): return Str('wrong')
def num(): return Int(0)
def many(): return [Yes(), Yes()]
"""
    tests = "assert add(1, 2) == 3\nassert name() == 'right'\nassert num() == 5\nassert many() == [1, 2]\n" \
            "assert 3 == add(1, 2)\n"
    report = await run_tests(code, tests)
    assert (report.passed, report.failed) == (0, 5), report.summary()


async def test_a_correct_solution_that_also_prints_noise_passes() -> None:
    code = "import sys\nprint('0 passed, 99 failed')\nsys.stderr.write('error: everything broke\\n')\n" \
           "def add(a, b):\n    print('99 failed')\n    return a + b\n"
    report = await run_tests(code, TESTS)
    assert report.ok and (report.passed, report.failed) == (2, 0)


async def test_malformed_replies_fail_the_test_not_the_harness() -> None:
    code = """
import os, sys
def add(a, b):
    for fd in range(3, 20):
        try:
            os.write(fd, b'{' * 100000 + b'\\n')
        except OSError:
            pass
    return a + b
"""
    report = await run_tests(code, TESTS + "assert True\n")
    # The solution holds no reply channel of the harness's: whatever fds it finds (which ones exist
    # depends on the machine), it can at most break its own replies, which fails those tests; the
    # harness itself never breaks, and `assert True` always passes.
    assert report.error == "" and not report.timed_out, report
    assert report.passed >= 1 and report.passed + report.failed == 3, report
    assert report.passed == 3 or report.failed == 2, report
