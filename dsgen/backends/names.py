"""Model-given names → safe, unique identifiers for C, C++ and Verilog.

Nothing a model names (layers, tensors, the model itself) reaches generated code except through
`Namer.ident`: the result matches [a-z_][a-z0-9_]*, is not a keyword of C, C++ or Verilog, and is
unique within its namer.  Comments only ever contain these identifiers.
"""

from __future__ import annotations

import re
import unicodedata

KEYWORDS = frozenset(
    """
auto break case char const continue default do double else enum extern float for goto if inline
int long register restrict return short signed sizeof static struct switch typedef union unsigned
void volatile while _bool _complex _imaginary bool true false alignas alignof and and_eq asm bitand
bitor catch class compl constexpr const_cast decltype delete dynamic_cast explicit export friend
mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected public
reinterpret_cast static_assert static_cast template this thread_local throw try typeid typename
using virtual wchar_t xor xor_eq always assign begin buf casex casez cell config deassign defparam
design disable edge end endcase endconfig endfunction endgenerate endmodule endprimitive
endspecify endtable endtask event force forever fork function generate genvar highz0 highz1 ifnone
incdir include initial inout input instance integer join large liblist library localparam
macromodule medium module nand negedge nmos nor noshowcancelled notif0 notif1 output parameter
pmos posedge primitive pull0 pull1 pulldown pullup pulsestyle_onevent pulsestyle_ondetect rcmos
real realtime reg release repeat rnmos rpmos rtran rtranif0 rtranif1 scalared showcancelled
small specify specparam strong0 strong1 supply0 supply1 table task time tran tranif0 tranif1 tri
tri0 tri1 triand trior trireg uwire vectored wait wand weak0 weak1 wire wor xnor logic main
""".split()
)


def ascii_ident(text: str, max_len: int = 40) -> str:
    """Lower-case ASCII letters, digits and single underscores; never empty."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()
    text = re.sub(r"_+", "_", text)[:max_len].strip("_")
    if not text:
        text = "x"
    if text[0].isdigit():
        text = "n" + text
    if text in KEYWORDS or text.startswith("dsg") or text.startswith("_"):
        text = "m_" + text
    return text


class Namer:
    """Hands out unique identifiers (collisions after sanitising get _2, _3, …)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def ident(self, text: str, max_len: int = 40) -> str:
        base = ascii_ident(text, max_len)
        name, i = base, 1
        while name in self.used or name in KEYWORDS:
            i += 1
            name = f"{base}_{i}"
        self.used.add(name)
        return name
