"""Puts weights-spec/reference on the import path for the reference tests."""

import os
import sys

REFERENCE = os.path.join(os.path.dirname(__file__), "..", "..", "weights-spec", "reference")
sys.path.insert(0, os.path.abspath(REFERENCE))
