"""The C backend: static-memory C99 for microcontrollers, calling the kernel library in
templates/c/ (`compile_c`), and its host verification (`dsgen.backends.c.host`)."""

from dsgen.backends.c.emit import CSummary, compile_c  # noqa: F401
