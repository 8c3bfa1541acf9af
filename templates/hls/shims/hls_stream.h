// dsgen's stand-in for Vitis HLS's hls_stream.h, for plain g++ C simulation (not a vendor copy).
// Only the interface subset dsgen's kernels use. The FIFO is unbounded: a sequential C simulation
// of a DATAFLOW region runs every function to completion in turn, so a stream must hold a whole
// tensor (Vitis csim behaves the same). The synthesis depths are the STREAM pragmas.
// A read from an empty stream, or data left in a stream when it is destroyed, is a kernel bug:
// both print the stream's name and exit non-zero instead of returning garbage.
#ifndef DSG_SHIM_HLS_STREAM_H
#define DSG_SHIM_HLS_STREAM_H

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>

namespace hls {

template <typename T>
class stream {
  public:
    stream() : name_("unnamed") {}
    explicit stream(const char *name) : name_(name) {}
    stream(const stream &) = delete;
    stream &operator=(const stream &) = delete;
    ~stream() {
        if (!q_.empty()) {
            std::fprintf(stderr, "dsgen hls shim: stream '%s' destroyed with %zu unread elements\n",
                         name_.c_str(), q_.size());
            std::exit(4);
        }
    }

    T read() {
        if (q_.empty()) {
            std::fprintf(stderr, "dsgen hls shim: read from empty stream '%s'\n", name_.c_str());
            std::exit(3);
        }
        T v = q_.front();
        q_.pop_front();
        return v;
    }
    void read(T &v) { v = read(); }
    void write(const T &v) { q_.push_back(v); }
    bool empty() const { return q_.empty(); }
    bool full() const { return false; }
    std::size_t size() const { return q_.size(); }

  private:
    std::deque<T> q_;
    std::string name_;
};

}  // namespace hls

#endif
