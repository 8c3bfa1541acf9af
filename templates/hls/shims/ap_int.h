// dsgen's stand-in for Vitis HLS's ap_int.h, for plain g++ C simulation (not a vendor copy).
// ap_int<N> / ap_uint<N> are thin wrappers over a 64-bit integer that wrap to N bits on
// construction (two's complement, as the vendor types do on assignment). Arithmetic goes through
// the implicit conversion to long long, so expressions are evaluated in 64 bits; the kernels
// convert explicitly (to_int / to_int64) before doing arithmetic that must not wrap.
#ifndef DSG_SHIM_AP_INT_H
#define DSG_SHIM_AP_INT_H

template <int W, bool S>
class dsg_ap_base {
    static_assert(W >= 1 && W <= 64, "ap_int width must be 1..64");

  public:
    dsg_ap_base() : v_(0) {}
    dsg_ap_base(long long x) : v_(wrap(x)) {}  // NOLINT: implicit, like the vendor type
    operator long long() const { return v_; }
    int to_int() const { return static_cast<int>(v_); }
    long long to_int64() const { return v_; }
    dsg_ap_base &operator+=(long long x) { return *this = dsg_ap_base(v_ + x); }
    dsg_ap_base &operator-=(long long x) { return *this = dsg_ap_base(v_ - x); }

  private:
    static long long wrap(long long x) {
        if (W == 64) return x;
        const unsigned long long mask = (1ULL << (W % 64)) - 1ULL;
        unsigned long long u = static_cast<unsigned long long>(x) & mask;
        if (S && ((u >> (W - 1)) & 1ULL)) u |= ~mask;  // sign-extend
        return static_cast<long long>(u);
    }
    long long v_;
};

template <int W>
class ap_int : public dsg_ap_base<W, true> {
  public:
    ap_int() {}
    ap_int(long long x) : dsg_ap_base<W, true>(x) {}  // NOLINT
};

template <int W>
class ap_uint : public dsg_ap_base<W, false> {
  public:
    ap_uint() {}
    ap_uint(long long x) : dsg_ap_base<W, false>(x) {}  // NOLINT
};

#endif
