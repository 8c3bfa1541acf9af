"""`dsgen verify`: run a target on the same inputs as its reference and compare."""

from dsgen.verify.core import TARGETS, VerifyResult, load_inputs, verify_model  # noqa: F401
