"""pip install --no-build-isolation --no-deps --no-index ./python

Builds llmroof._core from the project's sources with the project's CMake (target llmroof_python,
the data compiled in), using only what Debian packages: cmake, g++, pybind11-dev, python3-dev,
python3-setuptools and the libraries of the CLI build. Nothing is downloaded. LLMROOF_BUILD_DIR
reuses a CMake build folder; CMAKE_CXX_COMPILER_LAUNCHER=ccache is honoured by CMake.
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
VERSION = re.search(r"project\(llmroof VERSION ([0-9.]+)",
                    (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")).group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        target = pathlib.Path(self.get_ext_fullpath(ext.name)).resolve()
        build = pathlib.Path(os.environ.get("LLMROOF_BUILD_DIR")
                             or pathlib.Path(self.build_temp).resolve() / "cmake")
        subprocess.check_call([
            "cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
            "-DLLMROOF_PYTHON=ON", f"-DPython3_EXECUTABLE={sys.executable}",
        ])
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2")
        subprocess.check_call(["cmake", "--build", str(build), "--target", "llmroof_python",
                               "-j", jobs])
        built = sorted((build / "python" / "llmroof").glob("_core*" + target.suffix))
        if len(built) != 1:
            raise RuntimeError(f"expected one llmroof/_core module in {build}, found {built}")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[0], target)


setup(
    name="llmroof",
    version=VERSION,
    description="Roofline estimates of LLM inference speed (tokens/s) on real hardware",
    license="MIT",
    packages=["llmroof"],
    ext_modules=[Extension("llmroof._core", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    python_requires=">=3.8",
    zip_safe=False,
)
