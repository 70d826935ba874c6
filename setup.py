"""Builds the convopt Python package for `pip install .`: the _convopt extension
comes from the project's CMake build (target convopt_python, in build/ or
$CONVOPT_BUILD_DIR), the rest from python/convopt. See README, "Python"."""

import os
import re
import shutil
import subprocess
import sys
import sysconfig

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = os.environ.get("CONVOPT_BUILD_DIR", os.path.join(ROOT, "build"))
        if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):  # a configured one keeps its Python
            subprocess.check_call(["cmake", "-S", ROOT, "-B", build_dir, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                                   f"-DPython_EXECUTABLE={sys.executable}"])
        subprocess.check_call(["cmake", "--build", build_dir, "--target", "convopt_python"])
        library = os.path.join(build_dir, "python", "convopt", "_convopt" + sysconfig.get_config_var("EXT_SUFFIX"))
        if not os.path.exists(library):
            sys.exit(f"{build_dir} builds _convopt for another Python than {sys.executable}: "
                     "set CONVOPT_BUILD_DIR to a new folder")
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(library, target)


with open(os.path.join(ROOT, "CMakeLists.txt")) as lists:
    version = re.search(r"project\(convopt VERSION ([0-9.]+)", lists.read()).group(1)

setup(version=version, packages=["convopt"], package_dir={"": "python"},
      options={"build": {"build_base": os.path.join("build", "pip")}},
      ext_modules=[Extension("convopt._convopt", sources=[])], cmdclass={"build_ext": CMakeBuild})
