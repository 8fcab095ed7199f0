#pragma once

#include <chrono>
#include <cstdint>

namespace azx {

// Wall-clock milliseconds since the epoch, injectable so tests and the engine share one source.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t nowMillis() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t nowMillis() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace azx
