# -*- Python -*-
# Runs the gtest binaries (build/bin/*Tests) as part of the lit suite, one lit
# test per gtest case.
import os

import lit.formats

config.name = "FLOPS-Unit"
config.suffixes = []
config.test_exec_root = config.flops_tools_dir
config.test_source_root = config.test_exec_root
config.test_format = lit.formats.GoogleTest(".", "Tests")
