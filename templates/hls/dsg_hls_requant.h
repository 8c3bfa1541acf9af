// The contract's integer steps (docs/fixed_point.md): RQ, rounding division, saturation.
// Written with int32_t/int64_t so the same code is exact under g++ and Vitis HLS.
#ifndef DSG_HLS_REQUANT_H
#define DSG_HLS_REQUANT_H

#include <stdint.h>

// SaturatingRoundingDoublingHighMul: round(x*q / 2^31), ties away from zero, C truncation.
static inline int32_t dsg_srdhm(int32_t x, int32_t q) {
    if (x == INT32_MIN && q == INT32_MIN) return INT32_MAX;
    const int64_t p = static_cast<int64_t>(x) * static_cast<int64_t>(q);
    const int64_t nudge = p >= 0 ? (int64_t(1) << 30) : (int64_t(1) - (int64_t(1) << 30));
    return static_cast<int32_t>((p + nudge) / (int64_t(1) << 31));
}

// RoundingDivideByPOT: arithmetic shift right with round-half-away-from-zero.
static inline int32_t dsg_rdbpot(int32_t y, int right) {
    const int32_t mask = static_cast<int32_t>((int64_t(1) << right) - 1);
    const int32_t rem = y & mask;
    const int32_t thr = (mask >> 1) + (y < 0 ? 1 : 0);
    return (y >> right) + (rem > thr ? 1 : 0);
}

// RQ(acc, q, shift) = MultiplyByQuantizedMultiplier. The left shift is a multiplication because
// shifting a negative value left is undefined in C++14; the compiler proved it fits int32.
static inline int32_t dsg_requantize(int32_t acc, int32_t q, int32_t shift) {
    const int left = shift > 0 ? shift : 0;
    const int right = shift > 0 ? 0 : -shift;
    const int32_t x = static_cast<int32_t>(static_cast<int64_t>(acc) * (int64_t(1) << left));
    return dsg_rdbpot(dsg_srdhm(x, q), right);
}

static inline int32_t dsg_clamp(int32_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

// Average pooling's division: round half away from zero with C truncating division.
static inline int32_t dsg_rdiv(int32_t sum, int32_t n) {
    return sum >= 0 ? (sum + n / 2) / n : (sum - n / 2) / n;
}

#endif
