// dsgen HLS kernel library: the one header generated code includes.
//
// Hand-written, templated, streaming kernels for Vitis HLS (and plain g++ through dsgen's shims).
// Activations stream one element per beat in NHWC order (channel fastest). Every kernel processes
// exactly one frame per call, so a DATAFLOW region of them handles frames back to back. All
// arithmetic follows docs/fixed_point.md bit for bit; geometry and folding come from a per-layer
// configuration struct that dsgen computes in Python (no derived numbers are computed here except
// loop bounds, and static_asserts check the struct is consistent).
#ifndef DSG_HLS_H
#define DSG_HLS_H

// Vendor headers under Vitis HLS (any flow) or when asked for; dsgen's g++ shims otherwise.
#if defined(__SYNTHESIS__) || defined(__VITIS_HLS__) || defined(DSG_VENDOR_HLS)
#include <ap_int.h>
#include <hls_stream.h>
#else
// Compilers do not know the HLS pragmas; they stay in the code for Vitis. This silences clang;
// g++ ignores it for this warning (GCC bug 53431), so build with -Wno-unknown-pragmas there.
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include "shims/ap_int.h"
#include "shims/hls_stream.h"
#endif

#include "dsg_hls_requant.h"
#include "dsg_hls_window.h"
#include "dsg_hls_mvu.h"
#include "dsg_hls_misc.h"
#include "dsg_hls_nonlinear.h"

#endif
