"""Runs the Python module's tests for ctest: exit 77 (skipped) when pytest is not installed or
collects no test (its exit code 5), else pytest's own exit code."""
import pathlib
import sys

try:
    import pytest
except ImportError:
    print("python3-pytest is not installed: skipped")
    sys.exit(77)

code = pytest.main(["-q", "-p", "no:cacheprovider", str(pathlib.Path(__file__).parent)])
sys.exit(77 if code == pytest.ExitCode.NO_TESTS_COLLECTED else int(code))
